import { describe, expect, it } from 'vitest';
import type { TurnContext } from '../../core/index.ts';
import {
  CHUNK_SIZE,
  createInboxStreamActor,
  initialInboxStreamState,
  type InboxStreamState,
} from './inbox-stream.actor.ts';
import type { InboxEvent, InboxStreamMsg, InboxStreamReplies } from './inbox-stream.messages.ts';

const T0 = 1_767_225_600_000;
const RETENTION = 60_000;
const stream = createInboxStreamActor({ retentionMs: RETENTION, maxEntries: 4 * CHUNK_SIZE });
const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'inbox-stream', id: 'org1' },
  nowMs,
  msgId: undefined,
  newId: () => 'id',
});

const event = (n: number): InboxEvent => ({
  type: 'assignment',
  conversationId: `1001.p${n}`,
  phoneNumberId: '1001',
  customer: { phone: `${n}`, userId: null, profileName: null },
  assignee: null,
  lock: null,
});

function append(state: InboxStreamState, count: number, nowMs: number, from = 0): InboxStreamState {
  const events = Array.from({ length: count }, (_, i) => event(from + i));
  return stream.handle(state, { type: 'append', events } satisfies InboxStreamMsg, ctx(nowMs)).state;
}

function read(state: InboxStreamState, afterSeq: number, nowMs: number, limit?: number) {
  const msg: InboxStreamMsg = { type: 'readSince', afterSeq, ...(limit === undefined ? {} : { limit }) };
  return stream.handle(state, msg, ctx(nowMs)).reply as InboxStreamReplies['readSince'];
}

describe('inbox-stream actor', () => {
  it('numbers events 1, 2, 3… in the order told and publishes each on the organisation’s topic', () => {
    const result = stream.handle(initialInboxStreamState(), { type: 'append', events: [event(1), event(2)] }, ctx(T0));
    expect(result.effects).toEqual([
      { type: 'publish', topic: 'inbox.org1', event: { seq: 1, atMs: T0, event: event(1) }, transient: true },
      { type: 'publish', topic: 'inbox.org1', event: { seq: 2, atMs: T0, event: event(2) }, transient: true },
    ]);
    const next = stream.handle(result.state, { type: 'append', events: [event(3)] }, ctx(T0 + 1));
    expect(next.effects).toEqual([
      { type: 'publish', topic: 'inbox.org1', event: { seq: 3, atMs: T0 + 1, event: event(3) }, transient: true },
    ]);
    expect(next.state.nextSeq).toBe(4);
  });

  it('keeps entries in chunks of consecutive seqs, full but the newest, and rewrites only the newest', () => {
    const before = append(initialInboxStreamState(), CHUNK_SIZE + 3, T0);
    expect(before.chunks.map((c) => [c.no, c.entries.length])).toEqual([
      [0, CHUNK_SIZE],
      [1, 3],
    ]);
    const after = append(before, 1, T0 + 1);
    expect(after.chunks[0]).toBe(before.chunks[0]);
    expect(after.chunks[1]!.entries.map((e) => e.seq)).toEqual([33, 34, 35, 36]);
  });

  it('answers what came after a seq, paged, and says when the client can simply follow', () => {
    const state = append(initialInboxStreamState(), 10, T0);
    expect(read(state, 7, T0)).toMatchObject({ lastSeq: 10, complete: true, hasMore: false });
    expect(read(state, 7, T0).entries.map((e) => e.seq)).toEqual([8, 9, 10]);
    const paged = read(state, 0, T0, 4);
    expect(paged.entries.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(paged).toMatchObject({ hasMore: true, complete: true });
    expect(read(state, 10, T0)).toEqual({ ok: true, entries: [], lastSeq: 10, complete: true, hasMore: false });
    // A client from the future (its seq is not ours: a new data dir) must reload.
    expect(read(state, 11, T0)).toMatchObject({ complete: false, entries: [] });
    expect(read(initialInboxStreamState(), 0, T0)).toMatchObject({ complete: true, lastSeq: 0 });
  });

  it('forgets entries older than the retention: a client behind them gets a gap and the newest ones', () => {
    let state = append(initialInboxStreamState(), CHUNK_SIZE, T0);
    state = append(state, 5, T0 + RETENTION + 1, 100);
    // The first chunk is entirely older than the retention: dropped at the append.
    expect(state.chunks.map((c) => c.no)).toEqual([1]);
    const behind = read(state, 3, T0 + RETENTION + 1);
    expect(behind).toMatchObject({ complete: false, lastSeq: CHUNK_SIZE + 5 });
    expect(behind.entries.map((e) => e.seq)).toEqual([33, 34, 35, 36, 37]);
    expect(read(state, CHUNK_SIZE, T0 + RETENTION + 1)).toMatchObject({ complete: true });
    // Nothing appended since, but time passed: reads apply the retention too.
    expect(read(state, CHUNK_SIZE, T0 + 3 * RETENTION)).toMatchObject({ complete: false, entries: [] });
    expect(read(state, CHUNK_SIZE + 5, T0 + 3 * RETENTION)).toMatchObject({ complete: true });
  });

  it('keeps about maxEntries: whole chunks leave from the front, seqs are never reused', () => {
    let state = initialInboxStreamState();
    for (let i = 0; i < 10; i++) state = append(state, CHUNK_SIZE, T0 + i, i * CHUNK_SIZE);
    const held = state.chunks.reduce((n, c) => n + c.entries.length, 0);
    expect(held).toBe(4 * CHUNK_SIZE);
    expect(state.chunks[0]!.entries[0]!.seq).toBe(6 * CHUNK_SIZE + 1);
    expect(state.nextSeq).toBe(10 * CHUNK_SIZE + 1);
    expect(read(state, 0, T0 + 10)).toMatchObject({ complete: false });
  });

  it('stores only its numbering; a buffer started afresh mid-chunk answers across the chunk boundary', () => {
    const state = append(initialInboxStreamState(), 5, T0);
    expect(stream.split!.head(state)).toEqual({ nextSeq: 6 });
    expect(stream.split!.items(state)).toEqual([]);
    const restarted = stream.split!.join({ nextSeq: 30 }, []);
    expect(read(restarted, 29, T0)).toMatchObject({ complete: true, entries: [], lastSeq: 29 });
    expect(read(restarted, 12, T0)).toMatchObject({ complete: false, entries: [], lastSeq: 29 });
    const after = append(restarted, 10, T0);
    expect(read(after, 29, T0).entries.map((e) => e.seq)).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
    expect(read(after, 33, T0, 2).entries.map((e) => e.seq)).toEqual([34, 35]);
  });

  it('refuses options it cannot honour', () => {
    expect(() => createInboxStreamActor({ retentionMs: -1 })).toThrow(/retentionMs/);
    expect(() => createInboxStreamActor({ retentionMs: 1000, maxEntries: 1 })).toThrow(/maxEntries/);
  });
});
