/**
 * Send pacing for one business phone number, pure (STYLE rule 3). WHATSAPP.md 4.1 (throughput: 80 msg/s, 1,000
 * after an upgrade, 20 for coexistence numbers, "inclusive of inbound and outbound messages"; 130429 above it) and
 * 4.2 (pair rate: one message every 6 s to the same user, bursts allowed; 131056 above it).
 *
 * ## Number throughput: GCRA with exact rational time, bounded by a one-second event log
 *
 * A generic cell-rate algorithm (the virtual-scheduling form of a token bucket): each event advances a
 * theoretical arrival time TAT by the emission interval T = 1000 / rate ms (`TAT ← max(TAT, t) + T`); a send at t
 * conforms when `t ≥ TAT − τ`, with the burst tolerance τ = k·T and k = ⌊rate × 2 %⌋ (`burstAllowance`: 1 at
 * 80 msg/s, 20 at 1,000, 0 at 20). TAT is kept exactly as `tatMs + tatFrac / rate` with integers (T is not an
 * integer number of ms at most rates), so there is no rounding drift; send times are whole ms, rounded up.
 *
 * **Guarantee.** In every 1 s window [a, a + 1000) (any a), the events (sends and counted inbound) up to and
 * including the window's last send number at most `rate + k ≤ rate × 1.02`. It is enforced directly: the events of
 * the last second are kept (`recent`, a few numbers, see below) and a send at t is granted only when the events
 * in (t − 1000, t] plus the sends granted with it number at most rate + k (`windowLimit`). Every window that holds
 * a send has a last send s, and all of its events up to s lie in (s − 1000, s]: hence the bound, whatever else
 * happens. With sends only, that is every window. Inbound messages are the customers' and cannot be refused: they
 * are counted (`countInbound`) so that sends make room for them; a window may still hold more inbound after its
 * last send than the rate allows, but no send is ever made into a window that is already full. Plain GCRA alone
 * already keeps this bound (let e₁ … e_N be the events of the window up to its last send s: each raised TAT by T,
 * so s ≥ TAT − k·T ≥ e₁ + (N−1−k)·T and s − e₁ < 1000 = rate·T give N ≤ rate + k), so the log only binds when the
 * catch-up below lets GCRA admit more. Property-tested with random arrival patterns, wake-up delays, rate changes
 * and slow-downs.
 *
 * **Catch-up (several slots per wake-up).** A number whose requests wait for pacing is woken by a timer at its
 * next slot, but the runtime arms a timer only after the commit of the turn that set it, so under load the
 * wake-up comes tens of ms late. Plain GCRA forgets the slots that passed meanwhile (`TAT ← max(TAT, t)`): at
 * 1,000 msg/s, τ = 20 ms, a wake-up every 40 ms sent only 21 per wake-up, about 500 msg/s. So while requests
 * were left waiting for pacing (`isBacklogged`, set by the caller after each round), TAT is taken no earlier than
 * `t − CATCH_UP_MS` (250 ms) instead of t: every slot that fell due since the last round is granted at the wake-up
 * (`availableSlots`), the one-second log keeping the window bound, at most `MAX_ROUND_MS` (100 ms) worth per round
 * (the rest in the next rounds), so that a long stall is not made up in one lump. The long-run rate stays the rate
 * (TAT still advances T per event). A number that was idle (nothing waiting) keeps plain GCRA: its first burst is
 * 1 + k. The bound and the rate hold for grant times; the Graph API call follows a grant after two commits (the
 * number's, then the conversation's), whose varying latency shifts groups of sends between seconds.
 *
 * **Inbound floods** would push TAT far ahead (1,000 inbound at 80 msg/s = 12.5 s of "debt") although they weigh
 * on one second only. After a counted inbound at f, TAT is capped at f + 1000 + τ: the next send then comes no
 * earlier than f + 1000 (the log says the same), and a flood costs at most one second of sending.
 *
 * **Rate changes** (`setRate`: 80 → 1,000 after an upgrade; 20 for coexistence) and slow-downs keep the pending
 * TAT (rounded up to a whole ms) and add the new τ once. The log then applies the new limit to the last second:
 * after a rate cut, sends wait until the last second holds fewer events than the new limit. The conversion
 * depends only on the state and the new rate, not on when it runs, so a lazily applied change (a slow-down ending)
 * gives the same result as an eager one.
 *
 * **Slow-down after 130429** (`slowDown`): the rate drops to `factorPercent` (50 %) of the current effective rate
 * (never below `minRatePerSec`), sending pauses `pauseMs` (1 s), and after `durationMs` (60 s) without another
 * 130429 the configured rate returns. A burst of 130429 replies to sends that were already in flight counts once:
 * repeats within `graceMs` (1 s) of the slow-down's start only extend it.
 *
 * ## Pair rate (same recipient)
 *
 * The same algorithm per recipient with T = `intervalMs` (6 s) and τ = (burst − 1)·T: up to `burst` messages back
 * to back to a recipient not written to lately, then one per 6 s; a burst "borrows" from later (after 40 at once,
 * the next comes 6 s after the 40th would have been due at one per 6 s). Meta documents bursts of up to 45
 * messages, then the average (WHATSAPP.md 4.2; the simulator's pair bucket is 45 deep, 1 per 6 s); the default
 * burst is 40, so that a little clock skew or network jitter between our grants and Meta's arrivals never meets
 * Meta's limit. After a 131056 the recipient waits `backoffMs` (60 s), doubled on each further 131056 within
 * `strikeMemoryMs`, at most `maxBackoffMs` (15 min), and its burst is spent. An entry whose TAT has passed (a
 * full burst available again) is equivalent to no entry: it is dropped; strikes are kept apart (few, short-lived).
 *
 * ## Bounds and cost
 * - `PacingState`: five numbers, an optional slow-down record, a flag and `recent`: one (time, count) pair per
 *   distinct ms with events in the last second, in practice one per wake-up (≤ 1,000 pairs at any rate).
 *   `availableSlots` + `takeSlots` once per round: O(pairs in the last second), independent of the grants made.
 * - `PairState`: entries only for recipients whose TAT has not passed (6 s after a single message, up to 240 s
 *   after a full burst): at 1,000 msg/s to distinct recipients about 6,000. They are spread over `PAIR_SHARDS`
 *   (128) shards by a hash of the recipient, each two parallel arrays (recipients, TATs; msgpack-friendly, no
 *   object per entry). A round of grants opens a `PairBatch`, which copies the 128-slot shard list once and each
 *   shard it writes once (dropping that shard's expired entries on the way): O(128 + touched shards × entries /
 *   128) per round, a lookup is one `indexOf` over ≈ entries / 128 ids. `prunePairs` sweeps everything
 *   (O(entries)) for an idle-time timer. Strikes: at most `MAX_PAIR_STRIKES`, each gone when its memory ends.
 */

export const DEFAULT_RATE_PER_SEC = 80;
export const UPGRADED_RATE_PER_SEC = 1000;
export const COEXISTENCE_RATE_PER_SEC = 20;
/** A send never makes a 1 s window exceed the rate by more than this (in percent). */
export const PACING_TOLERANCE_PERCENT = 2;
/** How far back a backlogged number's missed slots are still granted (see "Catch-up"). */
export const CATCH_UP_MS = 250;
/** A round grants at most this long's worth of sends (at least 1 + k), so that a catch-up comes in parts. */
export const MAX_ROUND_MS = 100;

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
  /**
   * The events (sends and counted inbound) of the last second as `[atMs, count, atMs, count, …]`, times strictly
   * increasing; older pairs are dropped as time passes.
   */
  readonly recent: readonly number[];
  /** Requests were left waiting for pacing after the last round: the slots since then are owed (catch-up). */
  readonly isBacklogged: boolean;
}

export type SendDecision =
  | { readonly ok: true; readonly state: PacingState }
  | { readonly ok: false; readonly state: PacingState; readonly retryAtMs: number };

/** The burst allowance k (events beyond the rate) of a rate: ⌊rate × 2 %⌋. */
export function burstAllowance(ratePerSec: number): number {
  return Math.floor((ratePerSec * PACING_TOLERANCE_PERCENT) / 100);
}

/** The most events a 1 s window may hold up to and including a send: rate + k. */
export function windowLimit(ratePerSec: number): number {
  return ratePerSec + burstAllowance(ratePerSec);
}

export function createPacing(ratePerSec: number = DEFAULT_RATE_PER_SEC): PacingState {
  assertRate(ratePerSec);
  return {
    ratePerSec,
    slowDown: null,
    appliedRatePerSec: ratePerSec,
    tatMs: 0,
    tatFrac: 0,
    recent: [],
    isBacklogged: false,
  };
}

/** The rate in force at `nowMs` (the configured one, or the slow-down's while it lasts). */
export function effectiveRate(state: PacingState, nowMs: number): number {
  return state.slowDown !== null && nowMs < state.slowDown.untilMs
    ? Math.min(state.slowDown.ratePerSec, state.ratePerSec)
    : state.ratePerSec;
}

/** The events recorded in (nowMs − 1000, nowMs]. */
export function eventsInLastSecond(state: PacingState, nowMs: number): number {
  return windowCount(state.recent, nowMs);
}

/** How many sends may go at `nowMs`, one after another (0: none now; `nextSlot` says when). */
export function availableSlots(state: PacingState, nowMs: number): number {
  const current = normalise(state, nowMs);
  const byRate = gcraSlots(current, nowMs);
  if (byRate === 0) return 0;
  const rate = current.appliedRatePerSec;
  const room = windowLimit(rate) - windowCount(current.recent, nowMs);
  const roundCap = Math.max(1 + burstAllowance(rate), Math.floor((rate * MAX_ROUND_MS) / SECOND_MS));
  return Math.max(0, Math.min(byRate, room, roundCap));
}

/**
 * Records `count` sends at `nowMs` (at most `availableSlots`). `isBacklogged`: whether requests are still waiting
 * for pacing after them (the caller knows; it decides whether the next round catches up). Default: unchanged.
 */
export function takeSlots(
  state: PacingState,
  nowMs: number,
  count: number,
  isBacklogged: boolean = state.isBacklogged,
): PacingState {
  const current = normalise(state, nowMs);
  let next = current;
  if (count > 0) {
    const available = availableSlots(current, nowMs);
    if (count > available) throw new RangeError(`${count} sends at ${nowMs}, but only ${available} may go`);
    next = record(advance(current, floorOf(current, nowMs), count), nowMs, count);
  }
  return next.isBacklogged === isBacklogged ? next : { ...next, isBacklogged };
}

/** The earliest whole ms ≥ nowMs at which a send conforms. */
export function nextSlot(state: PacingState, nowMs: number): number {
  let slot = nowMs;
  // A slow-down ending changes the rate, τ and the window limit: settle in a few steps (at most one change).
  for (let i = 0; i < 8; i++) {
    const at = normalise(state, slot);
    const next = Math.max(slot, earliestConforming(at), windowFreeAt(at, slot));
    if (next === slot) return slot;
    slot = next;
  }
  return slot;
}

/** Takes a send slot at `nowMs` if one is free; otherwise says when to retry. */
export function trySend(state: PacingState, nowMs: number): SendDecision {
  const current = normalise(state, nowMs);
  if (availableSlots(current, nowMs) > 0) return { ok: true, state: takeSlots(current, nowMs, 1) };
  return { ok: false, state: current, retryAtMs: nextSlot(current, nowMs) };
}

/** Counts `count` inbound messages received at `nowMs` (always accepted; they delay the next sends). */
export function countInbound(state: PacingState, nowMs: number, count = 1): PacingState {
  if (count <= 0) return state;
  const current = normalise(state, nowMs);
  const taken = record(advance(current, floorOf(current, nowMs), count), nowMs, count);
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

/** Where TAT restarts from when it lies in the past: t, or t − CATCH_UP_MS while backlogged. */
function floorOf(state: PacingState, t: number): number {
  return state.isBacklogged ? t - CATCH_UP_MS : t;
}

/**
 * GCRA's sends at t, back to back: with B = max(TAT, floor), the j-th (from 0) conforms when
 * B + (j − k)·T ≤ t, i.e. j·1000 ≤ k·1000 − (B − t)·r, all in units of 1/r ms (exact integers).
 */
function gcraSlots(state: PacingState, t: number): number {
  const r = state.appliedRatePerSec;
  const floorMs = floorOf(state, t);
  const [baseMs, baseFrac] = isAfter(floorMs, 0, state.tatMs, state.tatFrac)
    ? [floorMs, 0]
    : [state.tatMs, state.tatFrac];
  const ahead = (baseMs - t) * r + baseFrac;
  const jMax = Math.floor((burstAllowance(r) * SECOND_MS - ahead) / SECOND_MS);
  return jMax < 0 ? 0 : jMax + 1;
}

/** TAT ← max(TAT, from) + count·T, exactly. */
function advance(state: PacingState, from: number, count: number): PacingState {
  const r = state.appliedRatePerSec;
  let tatMs = state.tatMs;
  let tatFrac = state.tatFrac;
  if (tatMs < from) {
    tatMs = from;
    tatFrac = 0;
  }
  tatFrac += count * SECOND_MS;
  tatMs += Math.floor(tatFrac / r);
  tatFrac %= r;
  return { ...state, tatMs, tatFrac };
}

/** Sum of the counts at times in (t − 1000, t] (and later: a clock that stepped back keeps them in). */
function windowCount(recent: readonly number[], t: number): number {
  const oldest = t - SECOND_MS;
  let count = 0;
  for (let i = recent.length - 2; i >= 0 && recent[i]! > oldest; i -= 2) count += recent[i + 1]!;
  return count;
}

/** The earliest t' ≥ t at which the last second holds fewer than the window limit of events. */
function windowFreeAt(state: PacingState, t: number): number {
  const recent = state.recent;
  let excess = windowCount(recent, t) - (windowLimit(state.appliedRatePerSec) - 1);
  if (excess <= 0) return t;
  for (let i = 0; i < recent.length; i += 2) {
    if (recent[i]! <= t - SECOND_MS) continue;
    excess -= recent[i + 1]!;
    if (excess <= 0) return recent[i]! + SECOND_MS;
  }
  return t; // unreachable: the counted pairs cover the excess
}

/** Adds `count` events at t to the log, dropping pairs older than a second. */
function record(state: PacingState, t: number, count: number): PacingState {
  const old = state.recent;
  let start = 0;
  while (start < old.length && old[start]! <= t - SECOND_MS) start += 2;
  const recent = old.slice(start);
  const n = recent.length;
  // Same ms: one pair. A clock that stepped back: add to the newest pair (it leaves the log later: conservative).
  if (n >= 2 && recent[n - 2]! >= t) recent[n - 1] = recent[n - 1]! + count;
  else recent.push(t, count);
  return { ...state, recent };
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
  burst: 40,
  backoffMs: 60_000,
  maxBackoffMs: 15 * 60_000,
  strikeMemoryMs: 10 * 60_000,
};

export const PAIR_SHARDS = 128;
/** Recipients whose 131056 strikes are remembered at once (the oldest are forgotten first beyond it). */
export const MAX_PAIR_STRIKES = 5_000;

/** One shard: `tatMs[i]` is the theoretical arrival time of `recipients[i]` (whole ms: T is). */
export interface PairShard {
  readonly recipients: readonly string[];
  readonly tatMs: readonly number[];
}

/** 131056 replies in a row for one recipient, remembered until `untilMs`. */
export interface PairStrike {
  readonly recipient: string;
  readonly strikes: number;
  readonly untilMs: number;
}

export interface PairState {
  /** `PAIR_SHARDS` shards; a recipient lives in shard `pairShardOf(recipient)`, at most once. */
  readonly shards: readonly PairShard[];
  /** Entries held in the shards (for metrics and bounds checks). */
  readonly size: number;
  /** Oldest first. */
  readonly strikes: readonly PairStrike[];
}

/** A recipient's pair facts (a view: `tatMs` 0 when only strikes are held). */
export interface PairEntry {
  readonly recipient: string;
  readonly tatMs: number;
  readonly strikes: number;
  readonly strikeUntilMs: number;
}

export type PairDecision =
  | { readonly ok: true; readonly state: PairState }
  | { readonly ok: false; readonly state: PairState; readonly retryAtMs: number };

/** Several pair decisions at one instant (a round of grants), applied together. */
export interface PairBatch {
  /** Takes a slot for a message to `recipient` if one is free now: `true`; otherwise the time it may go. */
  tryTake(recipient: string): true | number;
  /** The state with every take applied (the state the batch was opened on is never changed). */
  finish(): PairState;
}

const EMPTY_SHARD: PairShard = { recipients: [], tatMs: [] };

export function createPairState(): PairState {
  return { shards: Array.from({ length: PAIR_SHARDS }, () => EMPTY_SHARD), size: 0, strikes: [] };
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

/** What is held about a recipient, if anything. */
export function pairEntry(state: PairState, recipient: string): PairEntry | undefined {
  const shard = state.shards[pairShardOf(recipient)]!;
  const index = shard.recipients.indexOf(recipient);
  const strike = state.strikes.find((s) => s.recipient === recipient);
  if (index < 0 && strike === undefined) return undefined;
  return {
    recipient,
    tatMs: index < 0 ? 0 : shard.tatMs[index]!,
    strikes: strike?.strikes ?? 0,
    strikeUntilMs: strike?.untilMs ?? 0,
  };
}

/** The earliest whole ms ≥ nowMs at which a message to `recipient` conforms. */
export function pairNextSlot(
  state: PairState,
  recipient: string,
  nowMs: number,
  policy: PairPolicy = DEFAULT_PAIR_POLICY,
): number {
  const tat = tatOf(state.shards[pairShardOf(recipient)]!, recipient);
  return tat === undefined ? nowMs : Math.max(nowMs, tat - (policy.burst - 1) * policy.intervalMs);
}

/** Takes a slot for a message to `recipient` at `nowMs` if it conforms; otherwise says when to retry. */
export function pairTrySend(
  state: PairState,
  recipient: string,
  nowMs: number,
  policy: PairPolicy = DEFAULT_PAIR_POLICY,
): PairDecision {
  const batch = openPairBatch(state, nowMs, policy);
  const taken = batch.tryTake(recipient);
  return taken === true ? { ok: true, state: batch.finish() } : { ok: false, state, retryAtMs: taken };
}

/** Opens a batch of pair decisions at `nowMs` (one copy of the shard list and of each shard written). */
export function openPairBatch(state: PairState, nowMs: number, policy: PairPolicy = DEFAULT_PAIR_POLICY): PairBatch {
  const writer = pairWriter(state, nowMs);
  const tauMs = (policy.burst - 1) * policy.intervalMs;
  return {
    tryTake(recipient) {
      const tat = writer.tatOf(recipient);
      if (tat !== undefined && tat - tauMs > nowMs) return tat - tauMs;
      writer.put(recipient, Math.max(tat ?? nowMs, nowMs) + policy.intervalMs);
      return true;
    },
    finish: () => writer.finish(state.strikes),
  };
}

/** Meta answered 131056 for `recipient` at `nowMs`: back off (see the header). */
export function pairBackOff(
  state: PairState,
  recipient: string,
  nowMs: number,
  policy: PairPolicy = DEFAULT_PAIR_POLICY,
): PairState {
  const previous = state.strikes.find((s) => s.recipient === recipient && s.untilMs > nowMs);
  const strikes = previous === undefined ? 1 : previous.strikes + 1;
  const backoffMs = Math.min(policy.maxBackoffMs, policy.backoffMs * 2 ** Math.min(strikes - 1, 30));
  const tauMs = (policy.burst - 1) * policy.intervalMs;
  const writer = pairWriter(state, nowMs);
  writer.put(recipient, Math.max(writer.tatOf(recipient) ?? 0, nowMs + backoffMs + tauMs));
  const kept = state.strikes.filter((s) => s.recipient !== recipient && s.untilMs > nowMs);
  kept.push({ recipient, strikes, untilMs: nowMs + backoffMs + policy.strikeMemoryMs });
  return writer.finish(kept.length > MAX_PAIR_STRIKES ? kept.slice(kept.length - MAX_PAIR_STRIKES) : kept);
}

/** Drops every expired entry and strike (O(entries)); for an idle-time timer. Same object back when none expired. */
export function prunePairs(state: PairState, nowMs: number): PairState {
  let shards: PairShard[] | null = null;
  let size = state.size;
  state.shards.forEach((shard, i) => {
    if (!shard.tatMs.some((tat) => tat <= nowMs)) return;
    const kept = livePart(shard, nowMs);
    shards ??= state.shards.slice();
    shards[i] = kept.recipients.length === 0 ? EMPTY_SHARD : kept;
    size -= shard.recipients.length - kept.recipients.length;
  });
  const strikes = state.strikes.some((s) => s.untilMs <= nowMs)
    ? state.strikes.filter((s) => s.untilMs > nowMs)
    : state.strikes;
  if (shards === null && strikes === state.strikes) return state;
  return { shards: shards ?? state.shards, size, strikes };
}

/** The TAT held for a recipient in its shard. */
function tatOf(shard: PairShard, recipient: string): number | undefined {
  const index = shard.recipients.indexOf(recipient);
  return index < 0 ? undefined : shard.tatMs[index];
}

/** Copy-on-write access to the shards at `nowMs`: entries whose TAT passed count as absent and are dropped. */
function pairWriter(state: PairState, nowMs: number) {
  let shards: PairShard[] | null = null;
  const owned: (MutableShard | undefined)[] = [];
  let size = state.size;
  const shardAt = (index: number): PairShard => owned[index] ?? state.shards[index]!;
  return {
    tatOf(recipient: string): number | undefined {
      const tat = tatOf(shardAt(pairShardOf(recipient)), recipient);
      return tat === undefined || tat <= nowMs ? undefined : tat;
    },
    put(recipient: string, tatMs: number): void {
      const index = pairShardOf(recipient);
      let shard = owned[index];
      if (shard === undefined) {
        const original = state.shards[index]!;
        shard = livePart(original, nowMs);
        size -= original.recipients.length - shard.recipients.length;
        owned[index] = shard;
        shards ??= state.shards.slice();
        shards[index] = shard;
      }
      const at = shard.recipients.indexOf(recipient);
      if (at >= 0) {
        shard.tatMs[at] = tatMs;
      } else {
        shard.recipients.push(recipient);
        shard.tatMs.push(tatMs);
        size++;
      }
    },
    finish(strikes: readonly PairStrike[]): PairState {
      if (shards === null && strikes === state.strikes) return state;
      return { shards: shards ?? state.shards, size, strikes };
    },
  };
}

interface MutableShard extends PairShard {
  readonly recipients: string[];
  readonly tatMs: number[];
}

/** A fresh copy of the shard's entries whose TAT has not passed. */
function livePart(shard: PairShard, nowMs: number): MutableShard {
  const recipients: string[] = [];
  const tatMs: number[] = [];
  for (let i = 0; i < shard.recipients.length; i++) {
    if (shard.tatMs[i]! > nowMs) {
      recipients.push(shard.recipients[i]!);
      tatMs.push(shard.tatMs[i]!);
    }
  }
  return { recipients, tatMs };
}
