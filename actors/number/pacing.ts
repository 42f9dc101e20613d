/**
 * Send pacing for one business phone number, pure (STYLE rule 3). WHATSAPP.md 4.1 (throughput: 80 msg/s, 1,000
 * after an upgrade, 20 for coexistence numbers, "inclusive of inbound and outbound messages"; 130429 above it) and
 * 4.2 (pair rate: about one message every 6 s to the same user, small bursts; 131056 above it).
 *
 * ## Number throughput: GCRA with exact rational time
 *
 * A generic cell-rate algorithm (the virtual-scheduling form of a token bucket): each event advances a
 * theoretical arrival time TAT by the emission interval T = 1000 / rate ms (`TAT ← max(TAT, t) + T`); a send at t
 * conforms when `t ≥ TAT − τ`, with the burst tolerance τ = k·T and k = ⌊rate × 2 %⌋ (`burstAllowance`: 1 at
 * 80 msg/s, 20 at 1,000, 0 at 20). TAT is kept exactly as `tatMs + tatFrac / rate` with integers (T is not an
 * integer number of ms at most rates), so there is no rounding drift; send times are whole ms, rounded up.
 *
 * **Guarantee.** In every 1 s window [a, a + 1000) (any a), the events (sends and counted inbound) up to and
 * including the window's last send number at most `rate + k ≤ rate × 1.02`. Proof: let e₁ … e_N be those events and
 * s = e_N the last send. Each event raises TAT by at least T above the arrival of e₁, so just before s,
 * TAT ≥ e₁ + (N−1)·T; s conformed, so s ≥ TAT − k·T ≥ e₁ + (N−1−k)·T. s − e₁ < 1000 = rate·T, hence
 * N − 1 − k < rate, i.e. N ≤ rate + k. With sends only, that is every window. Inbound messages are the customers'
 * and cannot be refused: they are counted (`countInbound`) so that sends make room for them; a window may still
 * hold more inbound after its last send than the rate allows, but no send is ever made into a window that is
 * already full. Property-tested with random arrival patterns, rate changes and slow-downs.
 *
 * **Inbound floods** would push TAT far ahead (1,000 inbound at 80 msg/s = 12.5 s of "debt") although they weigh
 * on one second only. After a counted inbound at f, TAT is capped at f + 1000 + τ: the next send then comes no
 * earlier than f + 1000, outside every window that contains f, so the proof above still holds (a window containing
 * a capped event has no later send), and a flood costs at most one second of sending.
 *
 * **Rate changes** (`setRate`: 80 → 1,000 after an upgrade; 20 for coexistence) and slow-downs keep the pending
 * TAT (rounded up to a whole ms) and add the new τ once. Then windows after the change obey the new rate, and a
 * window straddling it obeys the higher of the two (the same proof with T_old for the events before the change and
 * T_new after it; the added τ pays for the new burst tolerance). The conversion depends only on the state and the
 * new rate, not on when it runs, so a lazily applied change (a slow-down ending) gives the same result as an eager
 * one.
 *
 * **Slow-down after 130429** (`slowDown`): the rate drops to `factorPercent` (50 %) of the current effective rate
 * (never below `minRatePerSec`), sending pauses `pauseMs` (1 s), and after `durationMs` (60 s) without another
 * 130429 the configured rate returns. A burst of 130429 replies to sends that were already in flight counts once:
 * repeats within `graceMs` (1 s) of the slow-down's start only extend it.
 *
 * ## Pair rate (same recipient)
 *
 * The same algorithm per recipient with T = `intervalMs` (6 s) and τ = (burst − 1)·T: up to `burst` (6) messages
 * back to back to a recipient not written to lately, then one per 6 s. After a 131056 the recipient waits
 * `backoffMs` (60 s), doubled on each further 131056 within `strikeMemoryMs`, at most `maxBackoffMs` (15 min), and
 * its burst is spent. An entry whose TAT has passed (a full burst available again) and whose strike memory ended
 * is equivalent to no entry: it is dropped.
 *
 * ## Bounds and cost
 * - `PacingState`: five numbers and an optional slow-down record; O(1) per call (≈ 30 ns), one small object
 *   allocated.
 * - `PairState`: entries only for recipients whose TAT has not passed (6 s after a single message, up to 36 s
 *   after a full burst) or whose strike memory lasts: at 1,000 msg/s to distinct recipients about 6,000 entries. They are spread over
 *   `PAIR_SHARDS` (128) arrays by a hash of the recipient, so a send scans and copies the 128-slot shard array
 *   and one shard (≈ entries / 128), dropping that shard's expired entries as it goes: O(128 + entries / 128) per
 *   send, not O(entries) — about 3 µs at 6,000 entries, where copying one object keyed by recipient cost 100 µs.
 *   Arrays, not objects keyed by id: V8 copies and scans small arrays far faster than many-keyed objects, and no
 *   outside id can collide with an object's own keys. `prunePairs` sweeps everything (O(entries)) for an
 *   idle-time timer.
 */

export const DEFAULT_RATE_PER_SEC = 80;
export const UPGRADED_RATE_PER_SEC = 1000;
export const COEXISTENCE_RATE_PER_SEC = 20;
/** A send never makes a 1 s window exceed the rate by more than this (in percent). */
export const PACING_TOLERANCE_PERCENT = 2;

const SECOND_MS = 1000;

export interface SlowDownPolicy {
  readonly factorPercent: number;
  readonly durationMs: number;
  readonly pauseMs: number;
  readonly minRatePerSec: number;
  readonly graceMs: number;
}

export const DEFAULT_SLOW_DOWN: SlowDownPolicy = {
  factorPercent: 50,
  durationMs: 60_000,
  pauseMs: 1_000,
  minRatePerSec: 1,
  graceMs: 1_000,
};

export interface SlowDown {
  readonly ratePerSec: number;
  readonly startedAtMs: number;
  readonly untilMs: number;
}

/** Plain data, persisted in the number actor's state. */
export interface PacingState {
  /** The number's configured throughput (msg/s, integer). */
  readonly ratePerSec: number;
  readonly slowDown: SlowDown | null;
  /** The rate TAT is currently counted in (the effective rate when last normalised). */
  readonly appliedRatePerSec: number;
  /** TAT = tatMs + tatFrac / appliedRatePerSec (ms), 0 ≤ tatFrac < appliedRatePerSec. */
  readonly tatMs: number;
  readonly tatFrac: number;
}

export type SendDecision =
  | { readonly ok: true; readonly state: PacingState }
  | { readonly ok: false; readonly state: PacingState; readonly retryAtMs: number };

/** The burst allowance k (events beyond the rate) of a rate: ⌊rate × 2 %⌋. */
export function burstAllowance(ratePerSec: number): number {
  return Math.floor((ratePerSec * PACING_TOLERANCE_PERCENT) / 100);
}

export function createPacing(ratePerSec: number = DEFAULT_RATE_PER_SEC): PacingState {
  assertRate(ratePerSec);
  return { ratePerSec, slowDown: null, appliedRatePerSec: ratePerSec, tatMs: 0, tatFrac: 0 };
}

/** The rate in force at `nowMs` (the configured one, or the slow-down's while it lasts). */
export function effectiveRate(state: PacingState, nowMs: number): number {
  return state.slowDown !== null && nowMs < state.slowDown.untilMs
    ? Math.min(state.slowDown.ratePerSec, state.ratePerSec)
    : state.ratePerSec;
}

/** The earliest whole ms ≥ nowMs at which a send conforms. */
export function nextSlot(state: PacingState, nowMs: number): number {
  const current = normalise(state, nowMs);
  let slot = Math.max(nowMs, earliestConforming(current));
  if (slot > nowMs && effectiveRate(current, slot) !== current.appliedRatePerSec)
    slot = Math.max(slot, earliestConforming(normalise(current, slot)));
  return slot;
}

/** Takes a send slot at `nowMs` if one is free; otherwise says when to retry. */
export function trySend(state: PacingState, nowMs: number): SendDecision {
  const current = normalise(state, nowMs);
  if (nowMs >= earliestConforming(current)) return { ok: true, state: advance(current, nowMs, 1) };
  return { ok: false, state: current, retryAtMs: nextSlot(current, nowMs) };
}

/** Counts `count` inbound messages received at `nowMs` (always accepted; they delay the next sends). */
export function countInbound(state: PacingState, nowMs: number, count = 1): PacingState {
  if (count <= 0) return state;
  const taken = advance(normalise(state, nowMs), nowMs, count);
  const r = taken.appliedRatePerSec;
  const tau = burstAllowance(r) * SECOND_MS;
  const capMs = nowMs + SECOND_MS + Math.floor(tau / r);
  const capFrac = tau % r;
  return isAfter(taken.tatMs, taken.tatFrac, capMs, capFrac) ? { ...taken, tatMs: capMs, tatFrac: capFrac } : taken;
}

/** Changes the configured rate (an upgrade to 1,000, a coexistence number's 20, …). */
export function setRate(state: PacingState, ratePerSec: number, nowMs: number): PacingState {
  assertRate(ratePerSec);
  if (ratePerSec === state.ratePerSec) return normalise(state, nowMs);
  return normalise({ ...state, ratePerSec }, nowMs);
}

/** Meta answered 130429 at `nowMs`: slow down (see the header). */
export function slowDown(state: PacingState, nowMs: number, policy: SlowDownPolicy = DEFAULT_SLOW_DOWN): PacingState {
  const current = normalise(state, nowMs);
  const active = current.slowDown !== null && nowMs < current.slowDown.untilMs ? current.slowDown : null;
  if (active !== null && nowMs < active.startedAtMs + policy.graceMs) {
    const untilMs = Math.max(active.untilMs, nowMs + policy.durationMs);
    return untilMs === active.untilMs ? current : { ...current, slowDown: { ...active, untilMs } };
  }
  const base = effectiveRate(current, nowMs);
  const ratePerSec = Math.max(Math.min(policy.minRatePerSec, base), Math.floor((base * policy.factorPercent) / 100), 1);
  const slowed = normalise(
    { ...current, slowDown: { ratePerSec, startedAtMs: nowMs, untilMs: nowMs + policy.durationMs } },
    nowMs,
  );
  // Pause: the next send no earlier than nowMs + pauseMs, with the burst spent (TAT ≥ pause end + τ).
  const r = slowed.appliedRatePerSec;
  const tau = burstAllowance(r) * SECOND_MS;
  const floorMs = nowMs + policy.pauseMs + Math.floor(tau / r);
  const floorFrac = tau % r;
  return isAfter(floorMs, floorFrac, slowed.tatMs, slowed.tatFrac)
    ? { ...slowed, tatMs: floorMs, tatFrac: floorFrac }
    : slowed;
}

/** Brings the state to the rate in force at `nowMs` (ends an expired slow-down). */
export function normalise(state: PacingState, nowMs: number): PacingState {
  const expired = state.slowDown !== null && nowMs >= state.slowDown.untilMs;
  const target = effectiveRate(state, nowMs);
  if (target === state.appliedRatePerSec) return expired ? { ...state, slowDown: null } : state;
  const converted = convert(state, target);
  return expired ? { ...converted, slowDown: null } : converted;
}

function convert(state: PacingState, newRate: number): PacingState {
  // Keep the pending TAT (rounded up to a whole ms) and add the new burst tolerance once.
  const baseMs = state.tatMs + (state.tatFrac > 0 ? 1 : 0);
  const tau = burstAllowance(newRate) * SECOND_MS;
  return {
    ...state,
    appliedRatePerSec: newRate,
    tatMs: baseMs + Math.floor(tau / newRate),
    tatFrac: tau % newRate,
  };
}

/** TAT − τ, rounded up to a whole ms. */
function earliestConforming(state: PacingState): number {
  const r = state.appliedRatePerSec;
  return state.tatMs + Math.ceil((state.tatFrac - burstAllowance(r) * SECOND_MS) / r);
}

/** TAT ← max(TAT, t) + count·T, exactly. */
function advance(state: PacingState, t: number, count: number): PacingState {
  const r = state.appliedRatePerSec;
  let tatMs = state.tatMs;
  let tatFrac = state.tatFrac;
  if (tatMs < t) {
    tatMs = t;
    tatFrac = 0;
  }
  tatFrac += count * SECOND_MS;
  tatMs += Math.floor(tatFrac / r);
  tatFrac %= r;
  return { ...state, tatMs, tatFrac };
}

function isAfter(aMs: number, aFrac: number, bMs: number, bFrac: number): boolean {
  return aMs > bMs || (aMs === bMs && aFrac > bFrac);
}

function assertRate(ratePerSec: number): void {
  if (!Number.isSafeInteger(ratePerSec) || ratePerSec < 1)
    throw new RangeError(`rate must be a positive integer (msg/s), got ${ratePerSec}`);
}

// ---- pair rate (per recipient) ----

export interface PairPolicy {
  readonly intervalMs: number;
  readonly burst: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly strikeMemoryMs: number;
}

export const DEFAULT_PAIR_POLICY: PairPolicy = {
  intervalMs: 6_000,
  burst: 6,
  backoffMs: 60_000,
  maxBackoffMs: 15 * 60_000,
  strikeMemoryMs: 10 * 60_000,
};

export const PAIR_SHARDS = 128;

export interface PairEntry {
  readonly recipient: string;
  /** The recipient's theoretical arrival time (whole ms: T is). */
  readonly tatMs: number;
  /** 131056 replies in a row (within the strike memory). */
  readonly strikes: number;
  /** Until when the strikes are remembered (0 when none). */
  readonly strikeUntilMs: number;
}

export interface PairState {
  /** `PAIR_SHARDS` arrays of entries; a recipient lives in shard `pairShardOf(recipient)`, at most once. */
  readonly shards: readonly (readonly PairEntry[])[];
  /** Entries held (for metrics and bounds checks). */
  readonly size: number;
}

export type PairDecision =
  | { readonly ok: true; readonly state: PairState }
  | { readonly ok: false; readonly state: PairState; readonly retryAtMs: number };

export function createPairState(): PairState {
  return { shards: Array.from({ length: PAIR_SHARDS }, () => []), size: 0 };
}

/** The shard of a recipient: FNV-1a of the id, mod PAIR_SHARDS. */
export function pairShardOf(recipient: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < recipient.length; i++) {
    hash ^= recipient.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % PAIR_SHARDS;
}

/** The entry of a recipient, if held. */
export function pairEntry(state: PairState, recipient: string): PairEntry | undefined {
  return state.shards[pairShardOf(recipient)]!.find((e) => e.recipient === recipient);
}

/** The earliest whole ms ≥ nowMs at which a message to `recipient` conforms. */
export function pairNextSlot(
  state: PairState,
  recipient: string,
  nowMs: number,
  policy: PairPolicy = DEFAULT_PAIR_POLICY,
): number {
  const entry = pairEntry(state, recipient);
  if (entry === undefined) return nowMs;
  return Math.max(nowMs, entry.tatMs - (policy.burst - 1) * policy.intervalMs);
}

/** Takes a slot for a message to `recipient` at `nowMs` if it conforms; otherwise says when to retry. */
export function pairTrySend(
  state: PairState,
  recipient: string,
  nowMs: number,
  policy: PairPolicy = DEFAULT_PAIR_POLICY,
): PairDecision {
  const slot = pairNextSlot(state, recipient, nowMs, policy);
  if (slot > nowMs) return { ok: false, state, retryAtMs: slot };
  const entry = pairEntry(state, recipient);
  return {
    ok: true,
    state: putEntry(state, nowMs, {
      recipient,
      tatMs: Math.max(entry?.tatMs ?? nowMs, nowMs) + policy.intervalMs,
      strikes: entry?.strikes ?? 0,
      strikeUntilMs: entry?.strikeUntilMs ?? 0,
    }),
  };
}

/** Meta answered 131056 for `recipient` at `nowMs`: back off (see the header). */
export function pairBackOff(
  state: PairState,
  recipient: string,
  nowMs: number,
  policy: PairPolicy = DEFAULT_PAIR_POLICY,
): PairState {
  const entry = pairEntry(state, recipient);
  const strikes = entry !== undefined && nowMs < entry.strikeUntilMs ? entry.strikes + 1 : 1;
  const backoffMs = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.min(strikes - 1, 30));
  const tau = (policy.burst - 1) * policy.intervalMs;
  return putEntry(state, nowMs, {
    recipient,
    tatMs: Math.max(entry?.tatMs ?? 0, nowMs + backoffMs + tau),
    strikes,
    strikeUntilMs: nowMs + backoffMs + policy.strikeMemoryMs,
  });
}

/** Drops every expired entry (O(entries)); for an idle-time timer. Same object back when nothing expired. */
export function prunePairs(state: PairState, nowMs: number): PairState {
  let shards: (readonly PairEntry[])[] | null = null;
  let size = state.size;
  state.shards.forEach((shard, i) => {
    if (!shard.some((e) => isExpired(e, nowMs))) return;
    const kept = shard.filter((e) => !isExpired(e, nowMs));
    shards ??= state.shards.slice();
    shards[i] = kept;
    size -= shard.length - kept.length;
  });
  return shards === null ? state : { shards, size };
}

function isExpired(entry: PairEntry, nowMs: number): boolean {
  return entry.tatMs <= nowMs && entry.strikeUntilMs <= nowMs;
}

/** Writes `entry` into its shard, dropping that shard's expired entries on the way (one copy of the shard). */
function putEntry(state: PairState, nowMs: number, entry: PairEntry): PairState {
  const index = pairShardOf(entry.recipient);
  const shard = state.shards[index]!;
  const next: PairEntry[] = [];
  for (const e of shard) if (e.recipient !== entry.recipient && !isExpired(e, nowMs)) next.push(e);
  next.push(entry);
  const shards = state.shards.slice();
  shards[index] = next;
  return { shards, size: state.size - shard.length + next.length };
}
