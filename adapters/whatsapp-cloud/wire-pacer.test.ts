import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FakeClock, settle } from '../../core/testing/fake-clock.ts';
import {
  DEFAULT_IDLE_SWEEP_MS,
  WirePacer,
  wireIdleBurst,
  wireLogWindowMs,
  wireWindowLimit,
  type ReleaseCall,
} from './wire-pacer.ts';

const ACCOUNT = '106540352242922';

interface Started {
  readonly id: number;
  readonly atMs: number;
  /** The newest rate given for the account when the call started (the one the bound applies to). */
  readonly rate: number | undefined;
  readonly release: ReleaseCall;
}

/** A pacer on a fake clock, with each call's start recorded as the moment its `acquire` resolves. */
function setup(maxInFlight = 1_000) {
  const clock = new FakeClock();
  const pacer = new WirePacer({ clock, maxInFlight });
  const started: Started[] = [];
  const refused: number[] = [];
  let newestRate: number | undefined;
  let seq = 0;
  const call = (rate?: number, accountId = ACCOUNT): number => {
    const id = seq++;
    if (rate !== undefined && accountId === ACCOUNT) newestRate = rate;
    void pacer.acquire(accountId, rate).then((release) => {
      if (release === undefined) refused.push(id);
      else started.push({ id, atMs: clock.now(), rate: accountId === ACCOUNT ? newestRate : rate, release });
    });
    return id;
  };
  return { clock, pacer, started, refused, call };
}

/** For every start s: the starts in (s − 1000, s], which must be at most the limit of the rate in force at s. */
function worstWindow(started: readonly Started[]): { count: number; limit: number; atMs: number } | undefined {
  const sorted = [...started].sort((a, b) => a.atMs - b.atMs || a.id - b.id);
  let first = 0;
  for (let last = 0; last < sorted.length; last++) {
    const s = sorted[last]!;
    while (sorted[first]!.atMs <= s.atMs - 1000) first++;
    const count = last - first + 1;
    const limit = wireWindowLimit(s.rate!);
    if (count > limit) return { count, limit, atMs: s.atMs };
  }
  return undefined;
}

describe('wire pacer: the bound and its burst', () => {
  it('derives the limit ⌊rate × 1.02⌋ (at least 1) the idle burst max(1, ⌊rate × 2 %⌋) and the log span from the rate', () => {
    expect([20, 80, 100, 1000, 0.5].map(wireWindowLimit)).toEqual([20, 81, 102, 1020, 1]);
    expect([20, 80, 100, 1000].map(wireIdleBurst)).toEqual([1, 1, 2, 20]);
    expect([20, 80, 100, 1000].map(wireLogWindowMs)).toEqual([1000, 1011.5, 1019, 1019]);
  });

  it.each([
    [80, 1, 13],
    [1000, 20, 1],
    [20, 1, 50],
    [100, 2, 10],
  ])('an idle number at %i msg/s starts %i calls at once, then one per interval (%i ms)', async (rate, burst, gap) => {
    const { clock, started, call } = setup();
    const t0 = clock.now();
    for (let i = 0; i < burst + 3; i++) call(rate);
    await settle();
    expect(started.map((s) => s.atMs - t0)).toEqual(Array.from({ length: burst }, () => 0));
    await clock.advance(1000);
    const offsets = started.map((s) => s.atMs - t0);
    expect(offsets.slice(burst, burst + 1)).toEqual([gap]);
    expect(offsets).toHaveLength(burst + 3);
  });

  it('spreads 300 calls at 100 msg/s over 2.98 s with at most 102 in any 1 s window', async () => {
    const { clock, started, call } = setup();
    const t0 = clock.now();
    for (let i = 0; i < 300; i++) call(100);
    await settle(); // the 3 of the idle burst start now (recorded before time moves)
    await clock.advance(5_000);
    expect(started).toHaveLength(300);
    // 2 at once, then one per 10 ms; the log holds the 102nd after the burst back by 10 ms (span W = 1,020 ms).
    expect(started.at(-1)!.atMs - t0).toBe(2_980);
    expect(worstWindow(started)).toBeUndefined();
  });

  it('keeps the bound and the arrival order under random arrivals, 5,000-call bursts and rate changes', async () => {
    const arrival = fc.record({
      gapMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 3_000 })),
      count: fc.oneof(
        { arbitrary: fc.integer({ min: 1, max: 40 }), weight: 6 },
        { arbitrary: fc.constant(5_000), weight: 1 },
      ),
      rate: fc.constantFrom(20, 40, 80, 100, 1000),
      holdMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400 })),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(arrival, { minLength: 1, maxLength: 6 }), async (arrivals) => {
        const { clock, started, call } = setup(200);
        const issued: number[] = [];
        let released = 0;
        for (const a of arrivals) {
          await clock.advance(a.gapMs);
          for (let i = 0; i < a.count; i++) issued.push(call(a.rate));
          // Calls end after their hold (a Graph API round trip), freeing their in-flight slot.
          await settle();
          for (; released < started.length; released++) {
            const s = started[released]!;
            clock.wakeAt(clock.now() + a.holdMs, s.release);
          }
        }
        // 5,000 calls at 20 msg/s take 250 s.
        for (let guard = 0; started.length < issued.length && guard < 2_000; guard++) {
          await clock.advance(1_000);
          for (; released < started.length; released++) {
            const s = started[released]!;
            clock.wakeAt(clock.now() + 50, s.release);
          }
        }
        expect(started.length).toBe(issued.length);
        expect(started.map((s) => s.id)).toEqual(issued);
        expect(worstWindow(started)).toBeUndefined();
      }),
      { numRuns: 12 },
    );
  }, 60_000);

  it('keeps 80 msg/s when every wake-up comes 2 ms late (the schedule, not the late start, sets the next slot)', async () => {
    const clock = new FakeClock();
    const late = { now: () => clock.now(), wakeAt: (atMs: number, cb: () => void) => clock.wakeAt(atMs + 2, cb) };
    const pacer = new WirePacer({ clock: late, maxInFlight: 1_000 });
    const times: number[] = [];
    for (let i = 0; i < 801; i++) void pacer.acquire(ACCOUNT, 80).then(() => times.push(clock.now()));
    await settle();
    const t0 = clock.now();
    await clock.advance(12_000);
    expect(times).toHaveLength(801);
    // On time, the 801st would start at 10,000 ms. Here it is 2 ms late, plus 2 ms each time the log binds (a late
    // wake-up once per 81 starts: ≤ 20 ms in all); counted from each late start instead, every call would lose
    // 2.5 ms (the 801st at ≈ 12 s: 67 msg/s).
    expect(times.at(-1)! - t0).toBeLessThanOrEqual(10_025);
  });

  it('after a cut from 1,000 to 80 msg/s waits until the last second holds fewer than 81 starts', async () => {
    const { clock, started, call } = setup(5_000);
    const t0 = clock.now();
    for (let i = 0; i < 500; i++) call(1000);
    await settle();
    await clock.advance(600);
    expect(started).toHaveLength(500); // 21 at once, then one per ms: the 500th at 479 ms
    for (let i = 0; i < 5; i++) call(80);
    await clock.advance(2_000);
    const afterCut = started.slice(500).map((s) => s.atMs - t0);
    // The 81st newest start (at 400 ms) leaves the span W = 1,011.5 ms at 1,411.5 ms (1,412 in whole ms).
    expect(afterCut[0]).toBe(1_412);
    expect(worstWindow(started)).toBeUndefined();
  });

  it('takes the newest rate for the calls still waiting (an upgrade from 80 to 1,000 speeds the backlog up)', async () => {
    const { clock, started, call } = setup();
    for (let i = 0; i < 200; i++) call(80);
    await settle();
    await clock.advance(1_000);
    // One at once, then at 13, 25, 38, … ms: 80 in [0, 1000) and the 81st at 1,000 ms.
    expect(started).toHaveLength(81);
    call(1000);
    await clock.advance(200);
    expect(started).toHaveLength(201);
    expect(started.at(-1)!.atMs - started[80]!.atMs).toBeLessThan(200);
    expect(worstWindow(started)).toBeUndefined();
  });
});

describe('wire pacer: the latency guard', () => {
  it('widens the span to 1 s plus the longest recent call, so that calls bunched on the way stay within the bound', async () => {
    const { clock, started, call } = setup();
    // One slow call (60 ms from start to answer) teaches the account its latency.
    call(1_000);
    await settle();
    await clock.advance(60);
    started[0]!.release();
    await clock.advance(2_000);
    // Then a backlog at 1,000 msg/s: every 1,021 starts span at least 1 s + the guard (60 ms, decaying).
    for (let i = 0; i < 3_000; i++) call(1_000);
    await settle();
    for (let t = 0; t < 4_000; t++) {
      await clock.advance(1);
      for (const s of started.slice(1)) s.release(); // answered at once: no new latency
    }
    const starts = started.slice(1).map((s) => s.atMs);
    expect(starts).toHaveLength(3_000);
    for (let i = wireWindowLimit(1_000); i < starts.length; i++) {
      const span = starts[i]! - starts[i - wireWindowLimit(1_000)]!;
      // 60 ms halving every 30 s: 57 ms when the backlog starts, still 52 ms when it ends 4 s later.
      expect(span).toBeGreaterThanOrEqual(1_052);
    }
    // The price: after the first second, ~1,020 starts per 1.04–1.05 s instead of per 1.02 s.
    const rate = (starts.length - 1) / ((starts.at(-1)! - starts[0]!) / 1000);
    expect(rate).toBeGreaterThan(960);
    expect(rate).toBeLessThan(993);
  });

  it('lets the guard decay: three minutes after a slow call the account paces at its full rate again', async () => {
    const { clock, started, call } = setup();
    call(1_000);
    await settle();
    await clock.advance(200);
    started[0]!.release();
    await clock.advance(180_000); // six half-lives: 200 ms → 3 ms
    for (let i = 0; i < 3_000; i++) call(1_000);
    await settle();
    for (let t = 0; t < 4_000; t++) {
      await clock.advance(1);
      for (const s of started.slice(1)) s.release();
    }
    const starts = started.slice(1).map((s) => s.atMs);
    expect(starts).toHaveLength(3_000);
    const rate = (starts.length - 1) / ((starts.at(-1)! - starts[0]!) / 1000);
    expect(rate).toBeGreaterThan(995);
  });
});

describe('wire pacer: in-flight limit, order and lanes', () => {
  it('starts paced calls in arrival order; a paced wait holds no in-flight slot', async () => {
    const { clock, started, call } = setup(2);
    const ids = Array.from({ length: 10 }, () => call(100));
    await settle();
    expect(started.map((s) => s.id)).toEqual([0, 1]);
    // Both slots taken: the third waits for a release even though its pacing time comes.
    await clock.advance(100);
    expect(started).toHaveLength(2);
    started[0]!.release();
    started[1]!.release();
    await settle();
    expect(started).toHaveLength(4); // two slots again, and their times (10, 20 ms) have passed
    for (let i = 0; i < 20; i++) {
      for (const s of started) s.release();
      await clock.advance(20);
    }
    expect(started.map((s) => s.id)).toEqual(ids);
  });

  it('does not make an unpaced call (a read receipt) wait behind a paced backlog', async () => {
    const { clock, started, call } = setup(10);
    for (let i = 0; i < 100; i++) call(20);
    await settle();
    expect(started).toHaveLength(1);
    const read = call(undefined);
    await settle();
    expect(started.map((s) => s.id)).toEqual([0, read]);
    await clock.advance(0);
  });

  it('keeps at most maxInFlight calls in flight per account, unpaced calls in arrival order', async () => {
    const { started, call } = setup(3);
    const ids = Array.from({ length: 7 }, () => call());
    await settle();
    expect(started.map((s) => s.id)).toEqual([0, 1, 2]);
    started[1]!.release();
    started[1]!.release(); // idempotent
    await settle();
    expect(started.map((s) => s.id)).toEqual([0, 1, 2, 3]);
    for (let i = 0; i < 7; i++) for (const s of started) s.release();
    await settle();
    expect(started.map((s) => s.id)).toEqual(ids);
  });

  it('paces each account on its own', async () => {
    const { started, call } = setup();
    for (let i = 0; i < 5; i++) call(100, 'a');
    for (let i = 0; i < 5; i++) call(100, 'b');
    await settle();
    expect(started.map((s) => s.id)).toEqual([0, 1, 5, 6]);
  });

  it('arms one wake-up per waiting account, however many calls wait', async () => {
    const { clock, call } = setup();
    for (let i = 0; i < 5_000; i++) call(80, 'a');
    for (let i = 0; i < 5_000; i++) call(1000, 'b');
    await settle();
    expect(clock.pendingCount()).toBe(2);
  });

  it('wakes waiting calls with undefined on close; calls in flight finish', async () => {
    const { pacer, started, refused, call } = setup(1);
    call(80);
    call(80);
    call();
    await settle();
    pacer.close();
    await settle();
    expect(started.map((s) => s.id)).toEqual([0]);
    expect(refused.sort()).toEqual([1, 2]);
    started[0]!.release();
    expect(await pacer.acquire(ACCOUNT, 80)).toBeUndefined();
  });

  it('refuses a rate that is not a positive number (a local bug)', () => {
    const { pacer } = setup();
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => pacer.acquire(ACCOUNT, bad)).toThrow(TypeError);
    }
  });
});

describe('wire pacer: idle accounts are forgotten', () => {
  it('forgets an account once nothing is in flight or waiting and its last second is over', async () => {
    const { clock, pacer, started, call } = setup();
    for (let i = 0; i < 10; i++) call(80, 'a');
    call(undefined, 'b');
    await settle();
    expect(pacer.accountCount).toBe(2);
    await clock.advance(DEFAULT_IDLE_SWEEP_MS * 2);
    // 'a' still has calls in flight (never released), 'b' too.
    expect(pacer.accountCount).toBe(2);
    for (const s of started) s.release();
    await clock.advance(DEFAULT_IDLE_SWEEP_MS * 2 + 1_000);
    expect(pacer.accountCount).toBe(0);
    expect(clock.pendingCount()).toBe(0);
  });

  it('an account forgotten and seen again starts afresh with an idle burst', async () => {
    const { clock, pacer, started, call } = setup();
    for (let i = 0; i < 3; i++) call(100);
    await settle();
    await clock.advance(100);
    for (const s of started) s.release();
    await clock.advance(DEFAULT_IDLE_SWEEP_MS * 3);
    expect(pacer.accountCount).toBe(0);
    const t1 = clock.now();
    for (let i = 0; i < 3; i++) call(100);
    await settle();
    expect(started.slice(3).map((s) => s.atMs)).toEqual([t1, t1]);
  });
});
