import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INDEX_SHARDS,
  MAX_TRACKED_USERS,
  MESSAGING_TIERS,
  QUEUE_CHUNK,
  TIER_WINDOW_MS,
  countAt,
  createTierState,
  isCounted,
  nextFreeAtMs,
  parseMessagingLimit,
  prune,
  record,
  wouldExceed,
  type TierState,
} from './tier.ts';

const T0 = 1_790_000_000_000;
const HOUR = 3_600_000;

function queuedPairs(state: TierState): [string, number][] {
  const pairs: [string, number][] = [];
  state.queue.forEach((chunk, c) => {
    for (let i = c === 0 ? state.head : 0; i < chunk.atMs.length; i++) pairs.push([chunk.userIds[i]!, chunk.atMs[i]!]);
  });
  return pairs;
}

/** The structure's invariants. */
function checkInvariants(state: TierState): void {
  expect(state.index).toHaveLength(INDEX_SHARDS);
  const indexed = state.index.reduce((n, shard) => n + shard.userIds.length, 0);
  expect(state.liveCount).toBe(indexed);
  const pairs = queuedPairs(state);
  expect(state.queuedCount).toBe(pairs.length);
  for (let i = 1; i < pairs.length; i++) expect(pairs[i]![1]).toBeGreaterThanOrEqual(pairs[i - 1]![1]);
  expect(state.queuedCount).toBeLessThanOrEqual(state.liveCount + Math.floor(state.liveCount / 4) + QUEUE_CHUNK);
  if (state.queue.length > 0) expect(state.head).toBeLessThan(state.queue[0]!.atMs.length);
  for (const chunk of state.queue) expect(chunk.atMs.length).toBeLessThanOrEqual(QUEUE_CHUNK);
  // Every indexed user has its latest time in the queue.
  const latest = new Set(pairs.map(([u, t]) => `${u}@${t}`));
  for (const shard of state.index)
    shard.userIds.forEach((u, i) => expect(latest.has(`${u}@${shard.lastAtMs[i]}`), u).toBe(true));
}

describe('tier: examples', () => {
  it('counts unique users; a user already counted does not count again', () => {
    let state = createTierState();
    expect(wouldExceed(state, 'a', T0, 2)).toBe(false);
    state = record(state, 'a', T0);
    state = record(state, 'a', T0 + 1000);
    state = record(state, 'b', T0 + 2000);
    expect(countAt(state, T0 + 2000)).toBe(2);
    expect(wouldExceed(state, 'a', T0 + 3000, 2)).toBe(false);
    expect(wouldExceed(state, 'b', T0 + 3000, 2)).toBe(false);
    expect(wouldExceed(state, 'c', T0 + 3000, 2)).toBe(true);
    expect(wouldExceed(state, 'c', T0 + 3000, 3)).toBe(false);
    expect(wouldExceed(state, 'c', T0 + 3000, null)).toBe(false);
    checkInvariants(state);
  });

  it('forgets a user exactly 24 h after their latest message (counted at −1 ms, not at 0)', () => {
    let state = record(createTierState(), 'a', T0);
    state = record(state, 'a', T0 + 10 * HOUR); // the latest message keeps them counted
    expect(isCounted(state, 'a', T0 + TIER_WINDOW_MS)).toBe(true);
    const end = T0 + 10 * HOUR + TIER_WINDOW_MS;
    expect(isCounted(state, 'a', end - 1)).toBe(true);
    expect(countAt(state, end - 1)).toBe(1);
    expect(isCounted(state, 'a', end)).toBe(false);
    expect(countAt(state, end)).toBe(0);
    expect(wouldExceed(state, 'b', end - 1, 1)).toBe(true);
    expect(wouldExceed(state, 'b', end, 1)).toBe(false);
    const pruned = prune(state, end);
    expect(pruned.liveCount).toBe(0);
    expect(pruned.queuedCount).toBe(0);
    expect(pruned.queue).toEqual([]);
    checkInvariants(pruned);
    expect(prune(state, end - 1).liveCount).toBe(1);
  });

  it('prune returns the same object when nothing expired', () => {
    const state = record(createTierState(), 'a', T0);
    expect(prune(state, T0 + 1000)).toBe(state);
    expect(prune(createTierState(), T0)).toEqual(createTierState());
  });

  it('record is a no-op for a user recorded at the same time or later', () => {
    const state = record(createTierState(), 'a', T0 + 5);
    expect(record(state, 'a', T0 + 5)).toBe(state);
  });

  it('keeps the queue ordered when a caller clock steps back (the user is kept counted longer)', () => {
    let state = record(createTierState(), 'a', T0 + 100);
    state = record(state, 'b', T0);
    expect(isCounted(state, 'b', T0 + 100 + TIER_WINDOW_MS - 1)).toBe(true);
    checkInvariants(state);
  });

  it('says when a slot frees up for a deferred send', () => {
    let state = createTierState();
    state = record(state, 'a', T0);
    state = record(state, 'b', T0 + HOUR);
    state = record(state, 'c', T0 + 2 * HOUR);
    state = record(state, 'a', T0 + 3 * HOUR); // a moves to the back
    expect(nextFreeAtMs(state, T0 + 4 * HOUR, 4)).toBe(T0 + 4 * HOUR);
    expect(nextFreeAtMs(state, T0 + 4 * HOUR, 3)).toBe(T0 + HOUR + TIER_WINDOW_MS); // b expires first
    expect(nextFreeAtMs(state, T0 + 4 * HOUR, 2)).toBe(T0 + 2 * HOUR + TIER_WINDOW_MS); // then c
    expect(nextFreeAtMs(state, T0 + 4 * HOUR, null)).toBe(T0 + 4 * HOUR);
    // At the time it names, the send is allowed.
    const at = nextFreeAtMs(state, T0 + 4 * HOUR, 2);
    expect(wouldExceed(state, 'd', at, 2)).toBe(false);
    expect(wouldExceed(state, 'd', at - 1, 2)).toBe(true);
  });

  it('compacts the queue when a few users are messaged again and again', () => {
    let state = createTierState();
    for (let i = 0; i < 5000; i++) state = record(state, `u${i % 7}`, T0 + i);
    expect(state.liveCount).toBe(7);
    expect(state.queuedCount).toBeLessThanOrEqual(7 + 1 + QUEUE_CHUNK);
    checkInvariants(state);
  });

  it('tracks at most MAX_TRACKED_USERS users and refuses beyond the top finite tier', () => {
    let state = createTierState();
    for (let i = 0; i < MAX_TRACKED_USERS + 10; i++) state = record(state, `${4900000000000 + i}`, T0 + i);
    expect(state.liveCount).toBe(MAX_TRACKED_USERS);
    expect(wouldExceed(state, 'new', T0 + 200_000, 100_000)).toBe(true);
    expect(wouldExceed(state, 'new', T0 + 200_000, 1_000_000)).toBe(true);
    expect(wouldExceed(state, '4900000000001', T0 + 200_000, 100_000)).toBe(false);
    checkInvariants(state);
    // The shards stay balanced.
    const sizes = state.index.map((s) => s.userIds.length);
    expect(Math.max(...sizes)).toBeLessThan((MAX_TRACKED_USERS / INDEX_SHARDS) * 2);
    // Everything expires 24 h later.
    const pruned = prune(state, T0 + MAX_TRACKED_USERS + TIER_WINDOW_MS);
    expect(pruned.liveCount).toBe(0);
    checkInvariants(pruned);
  }, 30_000);

  it('handles any user id', () => {
    let state = record(createTierState(), '__proto__', T0);
    state = record(state, 'constructor', T0);
    expect(isCounted(state, '__proto__', T0)).toBe(true);
    expect(isCounted(state, 'toString', T0)).toBe(false);
    expect(countAt(state, T0)).toBe(2);
  });

  it('parses Meta tier names', () => {
    expect(parseMessagingLimit('TIER_250')).toBe(250);
    expect(parseMessagingLimit('TIER_1K')).toBe(1000);
    expect(parseMessagingLimit('TIER_2K')).toBe(2000);
    expect(parseMessagingLimit('tier_10k')).toBe(10_000);
    expect(parseMessagingLimit('TIER_100K')).toBe(100_000);
    expect(parseMessagingLimit('TIER_UNLIMITED')).toBeNull();
    expect(parseMessagingLimit('TIER_X')).toBeUndefined();
    expect(MESSAGING_TIERS).toEqual([250, 2000, 10_000, 100_000, null]);
  });
});

// ---- against a naive model ----

type Op = { readonly kind: 'record' | 'check' | 'prune'; readonly user: number; readonly dtMs: number };

const opArb = (users: number, longGap: number, dayJumpWeight: number): fc.Arbitrary<Op> =>
  fc.record({
    kind: fc.constantFrom<Op['kind']>('record', 'record', 'record', 'check', 'prune'),
    user: fc.integer({ min: 0, max: users - 1 }),
    dtMs: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 3, arbitrary: fc.integer({ min: 1, max: 1000 }) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: longGap }) },
      { weight: dayJumpWeight, arbitrary: fc.constantFrom(TIER_WINDOW_MS - 1, TIER_WINDOW_MS) },
    ),
  });

describe('tier: matches a naive model (property)', () => {
  it.each([
    ['many users, short runs', 40, 12 * HOUR, 1, 0, 150, 200, 1],
    ['few users, long runs (compaction)', 5, 60_000, 0, 600, 900, 20, 100],
  ])(
    'count, isCounted, wouldExceed and nextFreeAtMs agree with a map of latest times: %s',
    (_name, users, longGap, dayJumpWeight, minLength, maxLength, numRuns, checkEvery) => {
      let compactionsSeen = 0;
      fc.assert(
        fc.property(
          fc.array(opArb(users, longGap, dayJumpWeight), { minLength, maxLength }),
          fc.integer({ min: 1, max: 30 }),
          (ops, limit) => {
            let state = createTierState();
            const model = new Map<string, number>();
            let now = T0;
            let compactions = 0;
            const modelCount = (at: number) => [...model.values()].filter((t) => at < t + TIER_WINDOW_MS).length;
            for (const [n, op] of ops.entries()) {
              const thorough = n % checkEvery === 0 || n === ops.length - 1;
              now += op.dtMs;
              const user = `u${op.user}`;
              if (op.kind === 'record') {
                const before = state;
                const copy = thorough ? structuredClone(before) : null;
                state = record(state, user, now);
                if (copy !== null) expect(before).toEqual(copy); // inputs are never mutated
                if (state.queuedCount < before.queuedCount) compactions++;
                model.set(user, Math.max(model.get(user) ?? 0, now));
              } else if (op.kind === 'prune') {
                state = prune(state, now);
              }
              const expectedCount = modelCount(now);
              expect(countAt(state, now)).toBe(expectedCount);
              const counted = (model.get(user) ?? -Infinity) + TIER_WINDOW_MS > now;
              expect(isCounted(state, user, now)).toBe(counted);
              expect(wouldExceed(state, user, now, limit)).toBe(!counted && expectedCount >= limit);
              const freeAt = nextFreeAtMs(state, now, limit);
              expect(modelCount(freeAt) < limit || freeAt === now).toBe(true);
              if (freeAt > now) expect(modelCount(freeAt - 1)).toBeGreaterThanOrEqual(limit);
              if (thorough) checkInvariants(state);
            }
            compactionsSeen += compactions;
          },
        ),
        { numRuns },
      );
      if (dayJumpWeight === 0) expect(compactionsSeen).toBeGreaterThan(0);
    },
    30_000,
  );
});
