import { describe, expect, it } from 'vitest';
import { bucketOf, emptyBucketIndex, findEntry, removeEntry, upsertEntry, type EntryKind } from './bucket-index.ts';

interface Entry {
  readonly id: string;
  readonly v: number;
}
const KIND: EntryKind<Entry> = { idOf: (e) => e.id, isNewer: (a, b) => a.v > b.v };

describe('bucket index', () => {
  it('adds, replaces by version, finds and removes entries, keeping buckets ordered and non-empty', () => {
    let index = emptyBucketIndex<Entry>();
    for (let i = 0; i < 500; i++) index = upsertEntry(index, { id: `id${i}`, v: 1 }, KIND);
    expect(index.count).toBe(500);
    expect(index.buckets.every((b, i) => i === 0 || index.buckets[i - 1]!.index < b.index)).toBe(true);
    const same = upsertEntry(index, { id: 'id7', v: 1 }, KIND);
    expect(same).toBe(index); // not newer: nothing changes
    index = upsertEntry(index, { id: 'id7', v: 2 }, KIND);
    expect(findEntry(index, 'id7', KIND)).toEqual({ id: 'id7', v: 2 });
    expect(index.count).toBe(500);
    const removed = removeEntry(index, 'id7', KIND);
    expect(removed.count).toBe(499);
    expect(findEntry(removed, 'id7', KIND)).toBeUndefined();
    expect(removeEntry(removed, 'id7', KIND)).toBe(removed);
    // A bucket emptied by a removal leaves the index.
    const lone = upsertEntry(emptyBucketIndex<Entry>(), { id: 'x', v: 1 }, KIND);
    expect(removeEntry(lone, 'x', KIND)).toEqual({ count: 0, buckets: [] });
  });

  it('spreads ids that differ only at the end over many buckets', () => {
    const buckets = new Set(Array.from({ length: 1_000 }, (_, i) => bucketOf(`1001.p1555000${i}`)));
    expect(buckets.size).toBeGreaterThan(850);
  });
});
