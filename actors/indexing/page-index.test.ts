import { describe, expect, it } from 'vitest';
import type { EntryKind } from './bucket-index.ts';
import {
  CHUNK_SIZE,
  PAGE_SIZE,
  emptyPageIndex,
  findEntry,
  pageAt,
  pageIndexSplit,
  pagesOf,
  removeEntry,
  upsertEntries,
  upsertEntry,
  type PageIndex,
} from './page-index.ts';

interface Entry {
  readonly id: string;
  readonly v: number;
}
const KIND: EntryKind<Entry> = { idOf: (e) => e.id, isNewer: (a, b) => a.v > b.v };

const entries = (from: number, to: number, v = 1): Entry[] =>
  Array.from({ length: to - from }, (_, i) => ({ id: `id${from + i}`, v }));

function filled(n: number): PageIndex<Entry> {
  return upsertEntries(emptyPageIndex<Entry>(), entries(0, n), KIND);
}

describe('page index', () => {
  it('fills pages in arrival order, finds, replaces by version in place, and keeps an emptied page', () => {
    let index = filled(PAGE_SIZE * 2 + 5);
    expect(index).toMatchObject({ count: PAGE_SIZE * 2 + 5, pageCount: 3 });
    expect(pagesOf(index).map((p) => [p.index, p.entries.length])).toEqual([
      [0, PAGE_SIZE],
      [1, PAGE_SIZE],
      [2, 5],
    ]);
    expect(pageAt(index, 1)!.entries[0]).toEqual({ id: `id${PAGE_SIZE}`, v: 1 });
    expect(upsertEntry(index, { id: 'id7', v: 1 }, KIND)).toBe(index); // not newer: nothing changes
    index = upsertEntry(index, { id: 'id7', v: 2 }, KIND);
    expect(findEntry(index, 'id7', KIND)).toEqual({ id: 'id7', v: 2 });
    expect(pageAt(index, 0)!.entries[7]).toEqual({ id: 'id7', v: 2 }); // stays where it was
    expect(index.count).toBe(PAGE_SIZE * 2 + 5);

    const removed = removeEntry(index, 'id7', KIND);
    expect(removed.count).toBe(index.count - 1);
    expect(findEntry(removed, 'id7', KIND)).toBeUndefined();
    expect(removeEntry(removed, 'id7', KIND)).toBe(removed);
    // Back again: at the end, not in its old place.
    const back = upsertEntry(removed, { id: 'id7', v: 3 }, KIND);
    expect(pageAt(back, 2)!.entries.at(-1)).toEqual({ id: 'id7', v: 3 });

    // A page emptied by removals stays (pages are positions: a cursor over them never skips).
    let lone = upsertEntry(emptyPageIndex<Entry>(), { id: 'x', v: 1 }, KIND);
    lone = removeEntry(lone, 'x', KIND);
    expect(lone).toMatchObject({ count: 0, pageCount: 1 });
    expect(pageAt(lone, 0)!.entries).toEqual([]);
  });

  it('touches only the page it changes: every other page keeps its identity, whatever the size', () => {
    const big = filled(CHUNK_SIZE * PAGE_SIZE * 3); // three chunks of pages
    const before = pagesOf(big);
    // A change in the middle: one page is new, every other page is the very same object (nothing to write).
    const changed = pagesOf(upsertEntry(big, { id: `id${PAGE_SIZE * 200 + 3}`, v: 2 }, KIND));
    expect(changed.filter((page, i) => page !== before[i]).map((p) => p.index)).toEqual([200]);
    // A bulk of new entries fills new pages only: the earlier pages are all untouched.
    const added = pagesOf(
      upsertEntries(big, entries(before.length * PAGE_SIZE, before.length * PAGE_SIZE + 100), KIND),
    );
    expect(added.slice(0, before.length).every((page, i) => page === before[i])).toBe(true);
    expect(added.length - before.length).toBe(Math.ceil(100 / PAGE_SIZE));
  });

  it('answers as a pure function of the index, also for an index used twice (its lookup map was handed on)', () => {
    const base = filled(100);
    const without = removeEntry(base, 'id5', KIND); // hands the lookup map on to `without`
    // The older index still holds id5: a newer version replaces it in place rather than adding a duplicate.
    const again = upsertEntry(base, { id: 'id5', v: 2 }, KIND);
    expect(again.count).toBe(100);
    expect(findEntry(again, 'id5', KIND)).toEqual({ id: 'id5', v: 2 });
    expect(findEntry(without, 'id5', KIND)).toBeUndefined();
    expect(findEntry(base, 'id5', KIND)).toEqual({ id: 'id5', v: 1 });
  });

  it('is stored as its counts and one record per page, and joined back from them', () => {
    const split = pageIndexSplit<Entry>();
    const index = removeEntry(filled(PAGE_SIZE * CHUNK_SIZE + 40), 'id3', KIND);
    const head = split.head(index);
    expect(head).toEqual({ count: PAGE_SIZE * CHUNK_SIZE + 39, pageCount: CHUNK_SIZE + 2 });
    const stored = split.items(index).map((page, i) => [split.itemKey(page, i), structuredClone(page)] as const);
    expect(stored.map(([key]) => key)).toEqual(Array.from({ length: CHUNK_SIZE + 2 }, (_, i) => i));
    const joined = split.join(
      structuredClone(head),
      stored.map(([, page]) => page),
    );
    expect(joined).toEqual(index);
    expect(findEntry(joined, `id${PAGE_SIZE * CHUNK_SIZE + 39}`, KIND)).toEqual({
      id: `id${PAGE_SIZE * CHUNK_SIZE + 39}`,
      v: 1,
    });
    expect(findEntry(joined, 'id3', KIND)).toBeUndefined();
  });
});
