import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CATCH_UP_MS,
  COEXISTENCE_RATE_PER_SEC,
  MAX_PAIR_STRIKES,
  MAX_ROUND_MS,
  DEFAULT_PAIR_POLICY,
  DEFAULT_RATE_PER_SEC,
  DEFAULT_SLOW_DOWN,
  PAIR_SHARDS,
  UPGRADED_RATE_PER_SEC,
  availableSlots,
  burstAllowance,
  createPacing,
  createPairState,
  effectiveRate,
  eventsInLastSecond,
  nextSlot,
  openPairBatch,
  normalise,
  pairBackOff,
  pairEntry,
  pairNextSlot,
  pairShardOf,
  pairTrySend,
  prunePairs,
  countInbound,
  setRate,
  slowDown,
  takeSlots,
  trySend,
  windowLimit,
  type PacingState,
  type PairState,
} from './pacing.ts';

const T0 = 1_790_000_000_000;

/** Sends as many as allowed at exactly `atMs`; returns the count and the state. */
function drainAt(state: PacingState, atMs: number, max = 100_000): { state: PacingState; sent: number } {
  let sent = 0;
  for (; sent < max; sent++) {
    const d = trySend(state, atMs);
    if (!d.ok) break;
    state = d.state;
  }
  return { state, sent };
}

interface Event {
  readonly atMs: number;
  readonly kind: 'send' | 'inbound';
}

/** The largest number of events, up to and including a send, in any window (s − 1000, s] ending at a send. */
function maxEventsUpToASend(events: readonly Event[]): number {
  let max = 0;
  let start = 0;
  for (let j = 0; j < events.length; j++) {
    while (events[start]!.atMs <= events[j]!.atMs - 1000) start++;
    if (events[j]!.kind === 'send') max = Math.max(max, j - start + 1);
  }
  return max;
}

/** The largest number of sends in any 1 s window. */
function maxSendsPerWindow(events: readonly Event[]): number {
  const sends = events.filter((e) => e.kind === 'send').map((e) => e.atMs);
  let max = 0;
  let start = 0;
  for (let j = 0; j < sends.length; j++) {
    while (sends[start]! <= sends[j]! - 1000) start++;
    max = Math.max(max, j - start + 1);
  }
  return max;
}

type Arrival =
  | { readonly atMs: number; readonly kind: 'send'; readonly count: number }
  | { readonly atMs: number; readonly kind: 'inbound'; readonly count: number }
  | { readonly atMs: number; readonly kind: 'setRate'; readonly rate: number }
  | { readonly atMs: number; readonly kind: 'slowDown' };

/**
 * A sender that queues send requests and sends each as soon as `nextSlot` allows (checking that `trySend` agrees),
 * while inbound messages, rate changes and 130429s arrive. Returns the events in processing order.
 */
function simulate(initial: PacingState, arrivals: readonly Arrival[]): { events: Event[]; state: PacingState } {
  const sorted = [...arrivals].sort((a, b) => a.atMs - b.atMs);
  const events: Event[] = [];
  let state = initial;
  let pending = 0;
  let now = sorted[0]?.atMs ?? T0;
  let i = 0;
  while (i < sorted.length || pending > 0) {
    const nextArrival = i < sorted.length ? sorted[i]!.atMs : Infinity;
    const nextSend = pending > 0 ? nextSlot(state, now) : Infinity;
    expect(nextSend).toBeGreaterThanOrEqual(now);
    if (nextSend <= nextArrival) {
      now = nextSend;
      const d = trySend(state, now);
      expect(d.ok, `nextSlot promised ${now}`).toBe(true);
      state = d.state;
      events.push({ atMs: now, kind: 'send' });
      pending--;
      continue;
    }
    const arrival = sorted[i++]!;
    now = arrival.atMs;
    switch (arrival.kind) {
      case 'send':
        pending += arrival.count;
        break;
      case 'inbound':
        state = countInbound(state, now, arrival.count);
        for (let n = 0; n < arrival.count; n++) events.push({ atMs: now, kind: 'inbound' });
        break;
      case 'setRate':
        state = setRate(state, arrival.rate, now);
        break;
      case 'slowDown':
        state = slowDown(state, now);
        break;
    }
  }
  return { events, state };
}

describe('burstAllowance', () => {
  it('is ⌊rate × 2 %⌋', () => {
    expect(burstAllowance(20)).toBe(0);
    expect(burstAllowance(49)).toBe(0);
    expect(burstAllowance(50)).toBe(1);
    expect(burstAllowance(80)).toBe(1);
    expect(burstAllowance(1000)).toBe(20);
  });
});

describe('number pacing: examples', () => {
  it('starts with rate + burst allowance, then one send per 1/rate', () => {
    const { state, sent } = drainAt(createPacing(80), T0);
    expect(sent).toBe(2); // the first send and the one-event burst allowance
    expect(nextSlot(state, T0)).toBe(T0 + 13); // TAT − τ = T0 + 25 − 12.5 → 12.5, rounded up
    let s = state;
    let count = 2;
    for (let t = T0 + 1; t < T0 + 1000; t++) {
      const d = drainAt(s, t);
      s = d.state;
      count += d.sent;
    }
    expect(count).toBe(81); // 80 + 1 in the first second
    expect(count).toBeLessThanOrEqual(80 * 1.02);
  });

  it('spaces sends at 1 ms at 1,000 msg/s after a 21-send burst', () => {
    const { state, sent } = drainAt(createPacing(UPGRADED_RATE_PER_SEC), T0);
    expect(sent).toBe(21);
    expect(nextSlot(state, T0)).toBe(T0 + 1);
    expect(drainAt(state, T0 + 1).sent).toBe(1);
  });

  it('never bursts at 20 msg/s (coexistence)', () => {
    const { state, sent } = drainAt(createPacing(COEXISTENCE_RATE_PER_SEC), T0);
    expect(sent).toBe(1);
    expect(nextSlot(state, T0)).toBe(T0 + 50);
    const rejected = trySend(state, T0 + 49);
    expect(rejected).toMatchObject({ ok: false, retryAtMs: T0 + 50 });
  });

  it('counts inbound messages: they delay sends', () => {
    let state = createPacing(80);
    state = countInbound(state, T0, 40);
    // 40 inbound = 500 ms of capacity; with the burst allowance the next send is at T0 + 500 − 12.5.
    expect(nextSlot(state, T0)).toBe(T0 + 488);
  });

  it('caps the debt of an inbound flood at one second', () => {
    const state = countInbound(createPacing(80), T0, 1000);
    expect(nextSlot(state, T0)).toBe(T0 + 1000);
    expect(nextSlot(countInbound(state, T0 + 10, 1000), T0 + 10)).toBe(T0 + 1010);
  });

  it('ignores a non-positive inbound count', () => {
    const state = createPacing(80);
    expect(countInbound(state, T0, 0)).toBe(state);
  });

  it('rejects invalid rates', () => {
    expect(() => createPacing(0)).toThrow(RangeError);
    expect(() => createPacing(12.5)).toThrow(RangeError);
    expect(() => setRate(createPacing(), -1, T0)).toThrow(RangeError);
  });

  it('changes rate after an upgrade (80 → 1,000) without a gap', () => {
    let state = drainAt(createPacing(DEFAULT_RATE_PER_SEC), T0).state;
    state = setRate(state, UPGRADED_RATE_PER_SEC, T0 + 100);
    expect(effectiveRate(state, T0 + 100)).toBe(1000);
    expect(state.appliedRatePerSec).toBe(1000);
    expect(drainAt(state, T0 + 100).sent).toBe(21);
    expect(setRate(state, UPGRADED_RATE_PER_SEC, T0 + 100)).toBe(state);
  });

  it('slows down after 130429: half rate, 1 s pause, back after 60 s', () => {
    let state = drainAt(createPacing(80), T0).state;
    state = slowDown(state, T0 + 5);
    expect(state.slowDown).toEqual({
      ratePerSec: 40,
      startedAtMs: T0 + 5,
      untilMs: T0 + 5 + DEFAULT_SLOW_DOWN.durationMs,
    });
    expect(effectiveRate(state, T0 + 6)).toBe(40);
    expect(nextSlot(state, T0 + 5)).toBe(T0 + 1005);
    // More 130429s from sends already in flight do not slow down further…
    const repeated = slowDown(state, T0 + 500);
    expect(repeated.slowDown?.ratePerSec).toBe(40);
    expect(repeated.slowDown?.untilMs).toBe(T0 + 500 + 60_000);
    // …but a 130429 after the grace period does.
    const again = slowDown(repeated, T0 + 2000);
    expect(again.slowDown?.ratePerSec).toBe(20);
    // After the slow-down the configured rate returns.
    const later = T0 + 2000 + 60_000;
    expect(effectiveRate(again, later)).toBe(80);
    expect(normalise(again, later)).toMatchObject({ slowDown: null, appliedRatePerSec: 80 });
    expect(drainAt(again, later).sent).toBe(2);
  });

  it('never slows below the minimum rate', () => {
    let state = createPacing(3);
    for (let i = 0; i < 5; i++) state = slowDown(state, T0 + i * 2000);
    expect(effectiveRate(state, T0 + 8000)).toBe(1);
  });

  it('nextSlot accounts for a slow-down that ends before the slot', () => {
    let state = createPacing(80);
    state = slowDown(state, T0, { ...DEFAULT_SLOW_DOWN, durationMs: 100, pauseMs: 5000 });
    const slot = nextSlot(state, T0);
    expect(slot).toBeGreaterThanOrEqual(T0 + 5000);
    expect(trySend(state, slot).ok).toBe(true);
    expect(trySend(state, slot - 1).ok).toBe(false);
  });
});

// ---- the guarantee, property-tested ----

const rateArb = fc.constantFrom(1, 3, 20, 33, 49, 50, 80, 97, 250, 1000);

function arrivalsArb(spanMs: number, maxCount: number): fc.Arbitrary<Arrival[]> {
  return fc.array(
    fc.oneof(
      {
        weight: 5,
        arbitrary: fc.record({
          atMs: fc.integer({ min: T0, max: T0 + spanMs }),
          kind: fc.constant('send' as const),
          count: fc.integer({ min: 1, max: maxCount }),
        }),
      },
      {
        weight: 2,
        arbitrary: fc.record({
          atMs: fc.integer({ min: T0, max: T0 + spanMs }),
          kind: fc.constant('inbound' as const),
          count: fc.integer({ min: 1, max: maxCount }),
        }),
      },
    ),
    { maxLength: 60 },
  );
}

describe('number pacing: no 1 s window above rate × 1.02 (property)', () => {
  it('with sends and inbound at a fixed rate', () => {
    fc.assert(
      fc.property(rateArb, arrivalsArb(5000, 200), (rate, arrivals) => {
        const { events } = simulate(createPacing(rate), arrivals);
        const bound = rate + burstAllowance(rate);
        expect(bound).toBeLessThanOrEqual(rate * 1.02);
        expect(maxEventsUpToASend(events)).toBeLessThanOrEqual(bound);
        expect(maxSendsPerWindow(events)).toBeLessThanOrEqual(bound);
        // Nothing is lost: every requested send went out.
        const requested = arrivals.filter((a) => a.kind === 'send').reduce((n, a) => n + a.count, 0);
        expect(events.filter((e) => e.kind === 'send').length).toBe(requested);
      }),
      { numRuns: 300 },
    );
  }, 30_000);

  it('achieves the rate under constant demand', () => {
    for (const rate of [20, 80, 1000]) {
      const { events } = simulate(createPacing(rate), [{ atMs: T0, kind: 'send', count: rate * 10 }]);
      const last = events.at(-1)!.atMs;
      // rate × 10 sends take a little under 10 s (the burst allowance goes first).
      expect(last - T0).toBeLessThan(10_000);
      expect(last - T0).toBeGreaterThanOrEqual(10_000 - 1000 / rate - (burstAllowance(rate) * 1000) / rate - 1);
      expect(maxSendsPerWindow(events)).toBe(rate + burstAllowance(rate));
    }
  });

  it('across rate changes and slow-downs: a window obeys the highest rate in force during it', () => {
    const changeArb = fc.oneof(
      fc.record({
        atMs: fc.integer({ min: T0, max: T0 + 5000 }),
        kind: fc.constant('setRate' as const),
        rate: rateArb,
      }),
      fc.record({ atMs: fc.integer({ min: T0, max: T0 + 5000 }), kind: fc.constant('slowDown' as const) }),
    );
    fc.assert(
      fc.property(rateArb, arrivalsArb(5000, 150), fc.array(changeArb, { maxLength: 6 }), (rate, arrivals, changes) => {
        const { events } = simulate(createPacing(rate), [...arrivals, ...changes]);
        // Every rate that could be in force: the configured ones and every slow-down rate ≤ them.
        const rates = [rate, ...changes.flatMap((c) => (c.kind === 'setRate' ? [c.rate] : []))];
        const highest = Math.max(...rates);
        expect(maxEventsUpToASend(events)).toBeLessThanOrEqual(highest + burstAllowance(highest));
        // Windows that start after the last change obey the rate in force then.
        const lastChange = Math.max(T0, ...changes.map((c) => c.atMs));
        const after = events.filter((e) => e.atMs >= lastChange + DEFAULT_SLOW_DOWN.durationMs);
        const finalRate = [...changes]
          .sort((a, b) => a.atMs - b.atMs)
          .reduce((r, c) => (c.kind === 'setRate' ? c.rate : r), rate);
        expect(maxEventsUpToASend(after)).toBeLessThanOrEqual(finalRate + burstAllowance(finalRate));
      }),
      { numRuns: 300 },
    );
  }, 30_000);

  it('never mutates its input', () => {
    fc.assert(
      fc.property(rateArb, fc.integer({ min: 0, max: 5000 }), (rate, offset) => {
        const state = Object.freeze(drainAt(createPacing(rate), T0).state);
        const copy = structuredClone(state);
        trySend(state, T0 + offset);
        countInbound(state, T0 + offset, 3);
        slowDown(state, T0 + offset);
        setRate(state, 1000, T0 + offset);
        expect(state).toEqual(copy);
      }),
    );
  });
});

// ---- pair rate ----

describe('pair rate', () => {
  const policy = DEFAULT_PAIR_POLICY;

  it('allows a burst (40 by default), then one message per 6 s to the same recipient', () => {
    let state = createPairState();
    for (let i = 0; i < policy.burst; i++) {
      const d = pairTrySend(state, '4915112345678', T0);
      expect(d.ok).toBe(true);
      state = d.state;
    }
    const blocked = pairTrySend(state, '4915112345678', T0);
    expect(blocked).toMatchObject({ ok: false, retryAtMs: T0 + policy.intervalMs });
    expect(pairTrySend(state, '4915112345678', T0 + policy.intervalMs - 1).ok).toBe(false);
    expect(pairTrySend(state, '4915112345678', T0 + policy.intervalMs).ok).toBe(true);
    // Other recipients are unaffected.
    expect(pairTrySend(state, '4915112345679', T0).ok).toBe(true);
    expect(pairNextSlot(state, 'someone-else', T0)).toBe(T0);
  });

  it('spaces messages to one recipient by the GCRA bound (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 120_000 }), { maxLength: 80 }), (requests) => {
        let state: PairState = createPairState();
        const sent: number[] = [];
        for (const at of [...requests].sort((a, b) => a - b)) {
          const d = pairTrySend(state, 'u', T0 + at);
          state = d.state;
          if (d.ok) sent.push(T0 + at);
          else expect(d.retryAtMs).toBeGreaterThan(T0 + at);
        }
        for (let i = 0; i < sent.length; i++)
          for (let j = i + policy.burst; j < sent.length; j++)
            expect(sent[j]! - sent[i]!).toBeGreaterThanOrEqual((j - i - (policy.burst - 1)) * policy.intervalMs);
      }),
    );
  });

  it('backs off after 131056, doubling while the strikes are remembered, capped', () => {
    let state = pairTrySend(createPairState(), 'u', T0).state;
    state = pairBackOff(state, 'u', T0);
    expect(pairNextSlot(state, 'u', T0)).toBe(T0 + 60_000);
    expect(pairEntry(state, 'u')?.strikes).toBe(1);
    // The burst is spent after a back-off: one message, then 6 s.
    const first = pairTrySend(state, 'u', T0 + 60_000);
    expect(first.ok).toBe(true);
    if (first.ok) expect(pairTrySend(first.state, 'u', T0 + 60_001).ok).toBe(false);
    state = pairBackOff(state, 'u', T0 + 61_000);
    expect(pairNextSlot(state, 'u', T0 + 61_000)).toBe(T0 + 61_000 + 120_000);
    for (let i = 0; i < 10; i++) state = pairBackOff(state, 'u', T0 + 200_000);
    expect(pairNextSlot(state, 'u', T0 + 200_000)).toBe(T0 + 200_000 + policy.maxBackoffMs);
    // Strikes are forgotten after the memory ends.
    const much = T0 + 200_000 + policy.maxBackoffMs + policy.strikeMemoryMs;
    expect(pairBackOff(state, 'u', much) && pairEntry(pairBackOff(state, 'u', much), 'u')?.strikes).toBe(1);
  });

  it('keeps memory bounded at 1,000 msg/s to distinct recipients, and prunes to empty when idle', () => {
    let state = createPairState();
    let max = 0;
    for (let i = 0; i < 30_000; i++) {
      const d = pairTrySend(state, `u${i}`, T0 + i); // 1 per ms for 30 s
      expect(d.ok).toBe(true);
      state = d.state;
      max = Math.max(max, state.size);
    }
    // Entries live 6 s after a single message: about 6,000, plus a few not yet pruned in untouched shards.
    expect(max).toBeLessThan(6_000 + PAIR_SHARDS * 5);
    expect(state.size).toBe(state.shards.reduce((n, s) => n + s.recipients.length, 0));
    const pruned = prunePairs(state, T0 + 40_000);
    expect(pruned.size).toBe(0);
    expect(prunePairs(pruned, T0 + 40_000)).toBe(pruned);
  }, 30_000);

  it('spreads recipients over the shards and handles any id', () => {
    const used = new Set<number>();
    for (let i = 0; i < 1000; i++) used.add(pairShardOf(`4915${i}`));
    expect(used.size).toBe(PAIR_SHARDS);
    let state = pairTrySend(createPairState(), '__proto__', T0).state;
    state = pairTrySend(state, 'constructor', T0).state;
    expect(pairEntry(state, '__proto__')?.tatMs).toBe(T0 + policy.intervalMs);
    expect(pairEntry(state, 'constructor')?.tatMs).toBe(T0 + policy.intervalMs);
    expect(pairEntry(state, 'toString')).toBeUndefined();
    expect(state.size).toBe(2);
  });

  it('never mutates its input', () => {
    const state = pairTrySend(createPairState(), 'u', T0).state;
    const copy = structuredClone(state);
    pairTrySend(state, 'u', T0 + 1);
    pairTrySend(state, 'v', T0 + 100_000);
    pairBackOff(state, 'u', T0 + 2);
    prunePairs(state, T0 + 100_000);
    expect(state).toEqual(copy);
  });
});

// ---- several slots per wake-up (catch-up) ----

/** A deterministic PRNG (mulberry32), so that the simulated delays are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A backlogged sender woken late: at each wake-up it takes every available slot, then sleeps until the next slot
 * plus a delay (a commit before the timer is armed). Returns the send events.
 */
function wakeUps(rate: number, spanMs: number, delayMs: () => number, inboundEveryMs = 0): Event[] {
  let state = createPacing(rate);
  const events: Event[] = [];
  let now = T0;
  let nextInbound = inboundEveryMs > 0 ? T0 + inboundEveryMs : Infinity;
  while (now < T0 + spanMs) {
    while (nextInbound <= now) {
      state = countInbound(state, nextInbound, 1);
      events.push({ atMs: nextInbound, kind: 'inbound' });
      nextInbound += inboundEveryMs;
    }
    const n = availableSlots(state, now);
    state = takeSlots(state, now, n, true);
    for (let i = 0; i < n; i++) events.push({ atMs: now, kind: 'send' });
    now = Math.max(now + 1, Math.min(nextSlot(state, now), nextInbound)) + Math.floor(delayMs());
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}

describe('number pacing: several slots per late wake-up', () => {
  it('grants every slot that fell due while it waited, at the rate, never above rate + k in a 1 s window', () => {
    for (const rate of [20, 80, 1000]) {
      const random = prng(rate);
      const events = wakeUps(rate, 20_000, () => random() * 40);
      const sends = events.filter((e) => e.kind === 'send');
      expect(maxSendsPerWindow(events)).toBeLessThanOrEqual(rate + burstAllowance(rate));
      // Within a few percent of the rate (a wake-up that finds the 1 s window full waits for it), never above.
      expect(sends.length).toBeGreaterThanOrEqual(rate * 20 * 0.97);
      expect(sends.length).toBeLessThanOrEqual(rate * 20 + burstAllowance(rate) + 1);
    }
  });

  it('with plain GCRA (no backlog) the same late wake-ups lose slots: the catch-up is what keeps the rate', () => {
    let state = createPacing(1000);
    let now = T0;
    let sent = 0;
    while (now < T0 + 10_000) {
      const n = availableSlots(state, now);
      state = takeSlots(state, now, n, false);
      sent += n;
      now = nextSlot(state, now) + 40;
    }
    expect(sent).toBeLessThan(6_000); // 21 per 41 ms
  });

  it('keeps the window bound with inbound messages and random delays (property)', () => {
    fc.assert(
      fc.property(
        rateArb,
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 0, max: 200 }),
        (rate, seed, every) => {
          const random = prng(seed);
          const events = wakeUps(rate, 4_000, () => random() * 120, every);
          expect(maxEventsUpToASend(events)).toBeLessThanOrEqual(rate + burstAllowance(rate));
        },
      ),
      { numRuns: 100 },
    );
  }, 30_000);

  it('an idle number still starts with one send plus the burst allowance', () => {
    const idle = createPacing(1000);
    expect(availableSlots(idle, T0)).toBe(21);
    const backlogged = takeSlots(idle, T0, 21, true);
    // 100 ms later, backlogged: the 100 slots that fell due meanwhile.
    expect(availableSlots(backlogged, T0 + 100)).toBe(100);
    // The same state, not backlogged: plain GCRA (1 + k).
    expect(availableSlots(takeSlots(backlogged, T0 + 100, 0, false), T0 + 100)).toBe(21);
    // At most MAX_ROUND_MS worth per round; the rest (up to CATCH_UP_MS back) in the next rounds.
    expect(availableSlots(backlogged, T0 + 10_000)).toBe(MAX_ROUND_MS);
    const next = takeSlots(backlogged, T0 + 10_000, MAX_ROUND_MS, true);
    expect(availableSlots(next, T0 + 10_001)).toBe(MAX_ROUND_MS);
    let owed = next;
    let total = MAX_ROUND_MS;
    for (let t = T0 + 10_001; availableSlots(owed, t) > 1; t++) {
      const n = availableSlots(owed, t);
      owed = takeSlots(owed, t, n, true);
      total += n;
    }
    expect(total).toBeLessThanOrEqual(CATCH_UP_MS + 21 + 10);
  });

  it('refuses to take more than is available, and keeps one log pair per ms of the last second', () => {
    const state = createPacing(80);
    expect(() => takeSlots(state, T0, 3)).toThrow(RangeError);
    let s = createPacing(1000);
    for (let t = T0; t < T0 + 5_000; t++) s = takeSlots(s, t, availableSlots(s, t), true);
    expect(s.recent.length).toBeLessThanOrEqual(2 * 1000);
    expect(eventsInLastSecond(s, T0 + 4_999)).toBeLessThanOrEqual(windowLimit(1000));
    expect(eventsInLastSecond(s, T0 + 10_000)).toBe(0);
  });
});

describe('pair rate: batches and strikes', () => {
  it('a batch of takes decides like the same takes one by one, and leaves its input alone (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('p1', 'p2', 'p3', 'u4', 'p5'), { maxLength: 120 }),
        fc.array(fc.constantFrom('p1', 'p2', 'u4'), { maxLength: 30 }),
        (before, round) => {
          let state = createPairState();
          before.forEach((r, i) => (state = pairTrySend(state, r, T0 + i * 500).state));
          const at = T0 + before.length * 500;
          const frozen = structuredClone(state);
          const batch = openPairBatch(state, at);
          const batched = round.map((r) => batch.tryTake(r));
          const fromBatch = batch.finish();
          let single = state;
          const oneByOne = round.map((r) => {
            const d = pairTrySend(single, r, at);
            single = d.state;
            return d.ok ? true : d.retryAtMs;
          });
          expect(batched).toEqual(oneByOne);
          for (const r of ['p1', 'p2', 'p3', 'u4', 'p5']) expect(pairEntry(fromBatch, r)).toEqual(pairEntry(single, r));
          expect(fromBatch.size).toBe(fromBatch.shards.reduce((n, s) => n + s.recipients.length, 0));
          expect(state).toEqual(frozen);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('remembers at most MAX_PAIR_STRIKES recipients’ strikes, and forgets them when their memory ends', () => {
    let state = createPairState();
    for (let i = 0; i < MAX_PAIR_STRIKES + 10; i++) state = pairBackOff(state, `p${i}`, T0);
    expect(state.strikes).toHaveLength(MAX_PAIR_STRIKES);
    expect(pairEntry(state, 'p0')?.strikes ?? 0).toBe(0); // the oldest went first
    expect(pairEntry(state, `p${MAX_PAIR_STRIKES + 9}`)?.strikes).toBe(1);
    const later = T0 + DEFAULT_PAIR_POLICY.backoffMs + DEFAULT_PAIR_POLICY.strikeMemoryMs;
    expect(prunePairs(state, later - 1).strikes).toHaveLength(MAX_PAIR_STRIKES);
    const pruned = prunePairs(state, later + 300_000);
    expect(pruned).toMatchObject({ size: 0, strikes: [] });
  });
});
