/**
 * The per-account gate every Graph API call passes right before its POST: at most `maxInFlight` calls in flight
 * per business phone number, and, for sends that carry a rate (`OutboundMessage.maxRatePerSec`), pacing of the
 * **actual call starts** so that Meta's throughput (WHATSAPP.md 4.1: 80 msg/s, 1,000 after an upgrade; 130429
 * above it) holds on the wire, not only at the number actor's grant time. A grant reaches the adapter two LMDB
 * commits after the number paced it, and the commits' varying latency bunches the calls (measured: 83 calls in a
 * 1 s window at 80 msg/s, 1,147 at 1,000); this gate spaces them again. No I/O: time and wake-ups come from an
 * injected `Clock`, so the unit tests drive it with a `FakeClock`.
 *
 * ## The bound
 *
 * Rate r (the newest one given for the account), tolerance k = ⌊r × 2 %⌋, limit L = max(1, r + k) = ⌊r × 1.02⌋
 * for whole rates (the number actor's `pacing.ts` uses the same k). A paced call starts at t only when
 * - GCRA conforms: t ≥ TAT − τ with the emission interval T = 1000 / r ms and τ = (B − 1)·T, B = max(1, k) the
 *   idle burst; on a start TAT ← max(TAT, t) + T. A number that was idle starts B calls at once (≤ 2 % of the
 *   rate, at least one: 1 at 80 msg/s, 20 at 1,000), then one per T. A call that waited keeps its place in the
 *   schedule when its timer fires late, up to 5 ms (`recordStart`);
 * - and the log of its newest starts says that (t − W, t] holds at most L − 1 of them (the L-th newest start is
 *   ≤ t − W), W = 1000 + k·T − 1 ms. This is the hard bound: **every span [a, a + W), hence every 1 s window,
 *   holds at most L call starts, L being the limit of the rate in force at the span's last start** (all of its
 *   starts lie in (s − W, s] of its last start s). The guard (19 ms from 50 msg/s up, 0 below) is there because
 *   the bound that matters is the one Meta sees: a call's way to Meta (a cold connection, a busy socket) varies by
 *   a few ms, and L + 1 starts spanning at least W cannot land in one 1 s window at the receiver unless their
 *   latencies differ by more than the guard. Measured without it, a cold start put 103 sends at 100 msg/s in a
 *   simulator-side window. The guard costs almost nothing in steady state: calls one T apart put
 *   ⌈W / T⌉ ≤ r + k = L starts in a span W (the 1 ms absorbs the rounding to whole ms), so the log binds only
 *   after an idle burst, a catch-up or a rate cut (a slow-down after 130429: the next start waits until the span
 *   holds fewer than the new limit), and it keeps the bound exact whatever the floating-point drift of TAT.
 *
 * ## The latency guard
 *
 * A call reaches Meta somewhere between its start and its answer. If no call takes longer than G ms, L + 1
 * starts spanning at least 1 s + G cannot arrive within one 1 s window, whatever bunched them on the way (a GC
 * pause or a busy event loop on either side, measured: 1,046 arrivals in a window at 1,000 msg/s with the fixed
 * guard only). So the span W is 1 s plus the larger of the guard above and G, G being the longest paced call of
 * the account lately (a decaying maximum: halved every 30 s, capped at 250 ms). On a quiet loopback G is a few ms
 * and costs nothing; when calls slow to 50 ms the steady rate becomes L / 1.05 s (971 msg/s at 1,000): a few
 * per cent of throughput for the bound at the receiver.
 *
 * ## Order and the in-flight limit
 *
 * Paced calls of an account start in arrival order (one FIFO); calls without a rate (read receipts, unpaced sends)
 * have their own FIFO and never wait for pacing, so a read receipt does not queue behind a backlog of paced sends.
 * A paced call holds no in-flight slot while it waits for its pacing time: the head of the paced FIFO starts when
 * both its time has come and a slot is free, and its start is recorded then, at the moment the caller's POST goes
 * out. (Pacing first and taking a slot afterwards would let a saturated limiter release paced calls in a lump;
 * taking a slot first would let paced waits hold every slot.) When both FIFOs' heads may go, the older call goes.
 *
 * ## Cost
 *
 * O(1) per call (GCRA, a ring of the newest start times, FIFOs with a moving head); a rate change is O(1) too,
 * except the first time an account reaches a higher limit (the ring grows). One wake-up per account, armed only
 * while its paced head waits for its time. Memory per account: the FIFOs plus its largest L numbers (1,020 at
 * 1,000 msg/s). An account with nothing in flight or waiting whose pacing record says nothing any more (TAT
 * passed, no start in the last span W: the same as a fresh record) is forgotten by a sweep every `idleSweepMs`,
 * one shared wake-up armed only while such accounts exist.
 */
import type { Clock } from '../../core/time/clock.ts';

/** A start never makes a 1 s window exceed the rate by more than this (in percent), as in the number's pacing. */
const WIRE_TOLERANCE_PERCENT = 2;
/** How often accounts gone idle are looked at (and forgotten once their pacing record is empty). */
export const DEFAULT_IDLE_SWEEP_MS = 5_000;

const SECOND_MS = 1000;
/**
 * How late a waiting call may start and still keep its slot in the schedule (see `recordStart`): enough for a
 * timer's usual lateness, less than one interval at 80 msg/s, so that a late timer never starts two calls at once
 * there (a 20 ms catch-up could: 1.6 intervals).
 */
const WIRE_CATCH_UP_MS = 5;
/**
 * The latency guard (see "The latency guard" above): the longest recent call, halving every this many ms (10 s let a
 * stall seen 20 s earlier be forgotten too soon: 1,022 in a window at 1,000 msg/s), at most
 * MAX_LATENCY_GUARD_MS (a longer stall is an outage, not jitter: pacing would otherwise drop far below the rate).
 */
const LATENCY_GUARD_HALF_LIFE_MS = 30_000;
export const MAX_LATENCY_GUARD_MS = 250;

export interface WirePacerOptions {
  readonly clock: Pick<Clock, 'now' | 'wakeAt'>;
  /** Calls in flight per account; further calls wait. */
  readonly maxInFlight: number;
  readonly idleSweepMs?: number;
}

/** Ends a call: frees its in-flight slot. Idempotent. */
export type ReleaseCall = () => void;

/** The most call starts a 1 s window may hold at `ratePerSec`: max(1, ⌊rate × 1.02⌋). */
export function wireWindowLimit(ratePerSec: number): number {
  return Math.max(1, Math.floor((ratePerSec * (100 + WIRE_TOLERANCE_PERCENT)) / 100));
}

/** The tolerance k = ⌊rate × 2 %⌋: the calls a 1 s window may hold beyond the rate. */
function wireTolerance(ratePerSec: number): number {
  return Math.floor((ratePerSec * WIRE_TOLERANCE_PERCENT) / 100);
}

/** The calls an idle account may start at once: max(1, k), at most 2 % of the rate (but at least one). */
export function wireIdleBurst(ratePerSec: number): number {
  return Math.max(1, wireTolerance(ratePerSec));
}

/**
 * The span the start log counts over: 1 s plus a guard of k·T − 1 ms (≈ 19 ms from 50 msg/s up, 0 below); the
 * 1 ms is the rounding of start times to whole ms, so that calls one T apart never make the log bind.
 */
export function wireLogWindowMs(ratePerSec: number): number {
  return SECOND_MS + Math.max(0, (wireTolerance(ratePerSec) * SECOND_MS) / ratePerSec - 1);
}

interface Waiter {
  readonly seq: number;
  readonly resolve: (release: ReleaseCall | undefined) => void;
}

/** A FIFO with a moving head: O(1) push and shift, compacted when the dead prefix is large. */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  peek(): T | undefined {
    return this.#items[this.#head];
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  drain(): T[] {
    const rest = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return rest;
  }
}

/**
 * The pacing record of one account: GCRA state and a ring of its newest start times, as many as the largest limit
 * it has had (so a rate change costs O(1), unless the rate reaches a new high: then the ring grows once).
 */
class PaceRecord {
  ratePerSec = 0;
  #intervalMs = 0;
  #toleranceMs = 0;
  #limit = 0;
  #logWindowMs = SECOND_MS;
  /** Theoretical arrival time of the next call (ms). */
  tatMs = -Infinity;
  /** Start times, oldest first from `#ringHead`; `#ringCount` ≤ the ring's length. */
  #ring: number[] = [];
  #ringHead = 0;
  #ringCount = 0;
  lastStartMs = -Infinity;
  /** The longest recent call (ms) and when it was seen: the latency guard decays from there. */
  #guardMs = 0;
  #guardAtMs = 0;

  /** A paced call took `latencyMs` (start to answer): the guard is at least that, for a while. */
  observeLatency(latencyMs: number, nowMs: number): void {
    const sample = Math.min(MAX_LATENCY_GUARD_MS, latencyMs);
    if (sample > this.latencyGuardMs(nowMs)) {
      this.#guardMs = sample;
      this.#guardAtMs = nowMs;
    }
  }

  /** The latency guard at `nowMs`: the longest recent call, halved for every half-life since it was seen. */
  latencyGuardMs(nowMs: number): number {
    if (this.#guardMs === 0) return 0;
    return this.#guardMs * 0.5 ** ((nowMs - this.#guardAtMs) / LATENCY_GUARD_HALF_LIFE_MS);
  }

  /** Takes the newest rate; keeps TAT and the starts (the log applies the new limit to the last span). */
  setRate(ratePerSec: number): void {
    if (ratePerSec === this.ratePerSec) return;
    this.ratePerSec = ratePerSec;
    this.#intervalMs = SECOND_MS / ratePerSec;
    this.#toleranceMs = (wireIdleBurst(ratePerSec) - 1) * this.#intervalMs;
    this.#limit = wireWindowLimit(ratePerSec);
    this.#logWindowMs = wireLogWindowMs(ratePerSec);
    if (this.#limit > this.#ring.length) {
      const starts: number[] = [];
      for (let i = 0; i < this.#ringCount; i++) starts.push(this.#ring[(this.#ringHead + i) % this.#ring.length]!);
      this.#ring = starts.concat(new Array<number>(this.#limit - starts.length).fill(0));
      this.#ringHead = 0;
    }
  }

  /** The earliest time (≥ nowMs) a call may start, in whole ms. */
  nextStartMs(nowMs: number): number {
    let atMs = Math.max(nowMs, Math.ceil(this.tatMs - this.#toleranceMs));
    if (this.#ringCount >= this.#limit) {
      // The limit-th newest start must have left the span (t − W, t].
      const oldest = this.#ring[(this.#ringHead + this.#ringCount - this.#limit) % this.#ring.length]!;
      const spanMs = Math.max(this.#logWindowMs, SECOND_MS + this.latencyGuardMs(nowMs));
      atMs = Math.max(atMs, Math.ceil(oldest + spanMs));
    }
    return atMs;
  }

  /** `hasWaited`: the call waited for its pacing time (a wake-up started it, or a release). */
  recordStart(nowMs: number, hasWaited: boolean): void {
    // A call that waited starts when a timer or a release gets round to it, a little late (timers fire a ms or
    // more after their time; the event loop has other work): counted from its start, every wait would lose that
    // much (12.5 ms → 13–14 ms at 80 msg/s: 76 calls a second, not 80). So the schedule is kept up to
    // WIRE_CATCH_UP_MS behind; slots missed by more are forgotten, so that a stall never turns into a long burst
    // (and the log bounds any burst). A call that found the account idle starts a new schedule, as GCRA does
    // (times are whole ms: up to 1 ms after TAT counts as on time).
    const base = hasWaited
      ? Math.max(this.tatMs, nowMs - WIRE_CATCH_UP_MS)
      : this.tatMs > nowMs - 1
        ? this.tatMs
        : nowMs;
    this.tatMs = base + this.#intervalMs;
    this.lastStartMs = nowMs;
    const capacity = this.#ring.length;
    if (this.#ringCount < capacity) {
      this.#ring[(this.#ringHead + this.#ringCount) % capacity] = nowMs;
      this.#ringCount++;
    } else {
      this.#ring[this.#ringHead] = nowMs;
      this.#ringHead = (this.#ringHead + 1) % capacity;
    }
  }

  /**
   * Nothing remembered matters any more: a fresh record would decide the same from `nowMs` on (but for the
   * latency guard, which an account idle this long may well start without).
   */
  isSpent(nowMs: number): boolean {
    const spanMs = Math.max(this.#logWindowMs, SECOND_MS + this.latencyGuardMs(nowMs));
    return this.tatMs <= nowMs && this.lastStartMs + spanMs <= nowMs;
  }
}

interface Account {
  active: number;
  readonly paced: Fifo<Waiter>;
  readonly unpaced: Fifo<Waiter>;
  readonly pace: PaceRecord;
  /** The pending wake-up for the paced head: its due time and its cancel function. */
  wakeAtMs: number;
  cancelWake: (() => void) | undefined;
}

/**
 * Per-account in-flight limit plus wire pacing (see the module comment). `acquire` resolves to the call's release
 * function at the moment the call may start, or to `undefined` when the pacer closed first.
 */
export class WirePacer {
  readonly #clock: Pick<Clock, 'now' | 'wakeAt'>;
  readonly #maxInFlight: number;
  readonly #idleSweepMs: number;
  readonly #accounts = new Map<string, Account>();
  #seq = 0;
  #closed = false;
  #cancelSweep: (() => void) | undefined;

  constructor(options: WirePacerOptions) {
    if (!Number.isInteger(options.maxInFlight) || options.maxInFlight < 1) {
      throw new TypeError(`WirePacer: maxInFlight must be a positive integer, got ${options.maxInFlight}`);
    }
    this.#clock = options.clock;
    this.#maxInFlight = options.maxInFlight;
    this.#idleSweepMs = options.idleSweepMs ?? DEFAULT_IDLE_SWEEP_MS;
  }

  /**
   * Waits for a slot (and, with a rate, for the call's pacing time). `ratePerSec` becomes the account's rate for
   * every paced call waiting or to come (the newest rate given wins); `undefined` means no pacing for this call.
   */
  acquire(accountId: string, ratePerSec?: number): Promise<ReleaseCall | undefined> {
    if (ratePerSec !== undefined && !(Number.isFinite(ratePerSec) && ratePerSec > 0)) {
      throw new TypeError(`WirePacer: a rate must be a positive number of calls per second, got ${ratePerSec}`);
    }
    if (this.#closed) return Promise.resolve(undefined);
    const account = this.#account(accountId);
    if (ratePerSec !== undefined) account.pace.setRate(ratePerSec);
    const nowMs = this.#clock.now();
    if (account.active < this.#maxInFlight) {
      if (ratePerSec === undefined && account.unpaced.size === 0) return Promise.resolve(this.#start(account, false));
      if (ratePerSec !== undefined && account.paced.size === 0 && account.pace.nextStartMs(nowMs) <= nowMs) {
        return Promise.resolve(this.#start(account, true, nowMs));
      }
    }
    return new Promise((resolve) => {
      (ratePerSec === undefined ? account.unpaced : account.paced).push({ seq: this.#seq++, resolve });
      this.#pump(account);
    });
  }

  /** Wakes every waiting call with `undefined`; calls in flight finish normally. */
  close(): void {
    this.#closed = true;
    this.#cancelSweep?.();
    this.#cancelSweep = undefined;
    for (const account of this.#accounts.values()) {
      account.cancelWake?.();
      account.cancelWake = undefined;
      for (const waiter of [...account.paced.drain(), ...account.unpaced.drain()]) waiter.resolve(undefined);
    }
  }

  /** Accounts currently remembered (in flight, waiting, or with a pacing record that still matters). */
  get accountCount(): number {
    return this.#accounts.size;
  }

  #account(accountId: string): Account {
    let account = this.#accounts.get(accountId);
    if (account === undefined) {
      account = {
        active: 0,
        paced: new Fifo(),
        unpaced: new Fifo(),
        pace: new PaceRecord(),
        wakeAtMs: Infinity,
        cancelWake: undefined,
      };
      this.#accounts.set(accountId, account);
    }
    return account;
  }

  #start(account: Account, isPaced: boolean, nowMs = this.#clock.now(), hasWaited = false): ReleaseCall {
    account.active++;
    if (isPaced) account.pace.recordStart(nowMs, hasWaited);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      account.active--;
      if (isPaced) {
        const endMs = this.#clock.now();
        account.pace.observeLatency(endMs - nowMs, endMs);
      }
      if (!this.#closed) this.#pump(account);
    };
  }

  /** Starts every waiting call that may start now, older first; arms the paced head's wake-up if it must wait. */
  #pump(account: Account): void {
    const nowMs = this.#clock.now();
    let pacedAtMs = Infinity;
    while (account.active < this.#maxInFlight) {
      const paced = account.paced.peek();
      const unpaced = account.unpaced.peek();
      pacedAtMs = paced === undefined ? Infinity : account.pace.nextStartMs(nowMs);
      const isPacedReady = paced !== undefined && pacedAtMs <= nowMs;
      if (isPacedReady && (unpaced === undefined || paced.seq < unpaced.seq)) {
        account.paced.shift();
        paced.resolve(this.#start(account, true, nowMs, true));
      } else if (unpaced !== undefined) {
        account.unpaced.shift();
        unpaced.resolve(this.#start(account, false, nowMs));
      } else {
        break;
      }
    }
    // A head blocked by the in-flight limit is woken by a release, not by a timer.
    if (account.active < this.#maxInFlight && pacedAtMs !== Infinity && pacedAtMs > nowMs) {
      this.#armWake(account, pacedAtMs);
    }
    if (account.active === 0 && account.paced.size === 0 && account.unpaced.size === 0) this.#armSweep();
  }

  #armWake(account: Account, atMs: number): void {
    if (account.cancelWake !== undefined && account.wakeAtMs <= atMs) return;
    account.cancelWake?.();
    account.wakeAtMs = atMs;
    account.cancelWake = this.#clock.wakeAt(atMs, () => {
      account.cancelWake = undefined;
      account.wakeAtMs = Infinity;
      if (!this.#closed) this.#pump(account);
    });
  }

  #armSweep(): void {
    if (this.#cancelSweep !== undefined || this.#closed) return;
    this.#cancelSweep = this.#clock.wakeAt(this.#clock.now() + this.#idleSweepMs, () => {
      this.#cancelSweep = undefined;
      this.#sweep();
    });
  }

  #sweep(): void {
    const nowMs = this.#clock.now();
    let isIdleLeft = false;
    for (const [accountId, account] of this.#accounts) {
      if (account.active > 0 || account.paced.size > 0 || account.unpaced.size > 0) continue;
      if (account.pace.isSpent(nowMs)) this.#accounts.delete(accountId);
      else isIdleLeft = true;
    }
    if (isIdleLeft) this.#armSweep();
  }
}
