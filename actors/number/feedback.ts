/**
 * The number's own negative-feedback rate over a rolling window, pure (STYLE rule 3): the signals Parlo observes
 * that tell of customers who do not want the number's marketing, against the marketing messages the number sent
 * in the same window. WhatsApp's quality rating is built from the same kind of feedback (blocks, reports, block
 * reasons, weighted over the last 7 days: WHATSAPP.md 4.4), but Meta says it late and coarsely (FLAGGED); this
 * lets a number stop its own marketing before Meta does.
 *
 * ## Signals (what Parlo actually sees)
 * - `optOut`: a customer withdrew marketing consent: an opt-out keyword (STOP, …) recognised by the contact actor,
 *   or WhatsApp's own "stop promotions" button (the `user_preferences` webhook, value `stop`).
 * - `blocked`: a send failed with 131026 ("message undeliverable"): what Meta answers for a customer who blocked or
 *   reported the number (the simulator's blocks and spam reports surface exactly so), and for numbers that are not
 *   on WhatsApp (a bad list, which also hurts quality).
 * - `spamLimited`: Meta held a message back because of the number's standing: 131048 ("spam rate limit hit": too
 *   many previous messages were blocked or flagged as spam) and 131049 ("not delivered to maintain healthy
 *   ecosystem engagement").
 * Not a signal: 131050 (the customer had stopped marketing): the stop itself was counted when it happened. The
 * code-based signals are reported for marketing sends (the rate is over them): a utility list with many numbers
 * not on WhatsApp says nothing about the number's marketing.
 *
 * ## Rule
 * Counts live in `FEEDBACK_BUCKETS` (24) time buckets of window / 24 (1 h for 24 h), not in per-event lists: at
 * most 25 small records whatever the traffic. The window is the buckets whose end is after now − window (between
 * the window and the window plus one bucket). Marketing pauses when at least `minMarketingSent` marketing sends
 * are in the window and some signal's count is above `pausePercent[signal]` % of them (0 turns a signal off). It
 * resumes on its own when fewer than `minMarketingSent` sends are left in the window or every signal is at most
 * `RESUME_AT_PERCENT_OF_THRESHOLD` (50 %) of its threshold (hysteresis, so that it does not flap); while paused
 * nothing new is sent, so that happens as the bad hours leave the window (`nextExpiry`).
 */

export const FEEDBACK_SIGNALS = ['optOut', 'blocked', 'spamLimited'] as const;
export type FeedbackSignal = (typeof FEEDBACK_SIGNALS)[number];

const HOUR_MS = 60 * 60 * 1000;

/** Buckets per window. */
export const FEEDBACK_BUCKETS = 24;
/** A paused number resumes when every signal is at most this share of its threshold (percent). */
export const RESUME_AT_PERCENT_OF_THRESHOLD = 50;

export interface FeedbackPolicy {
  /** The rolling window the rates are measured over. */
  readonly windowMs: number;
  /** Marketing sends the window must hold before a rate is judged. */
  readonly minMarketingSent: number;
  /** Pause above this share (percent) of the window's marketing sends; 0: this signal never pauses. */
  readonly pausePercent: Readonly<Record<FeedbackSignal, number>>;
}

export const DEFAULT_FEEDBACK_WINDOW_HOURS = 24;
export const DEFAULT_FEEDBACK_MIN_MARKETING_SENDS = 200;
export const DEFAULT_OPT_OUT_PAUSE_PERCENT = 2;
export const DEFAULT_BLOCKED_PAUSE_PERCENT = 5;
export const DEFAULT_SPAM_LIMITED_PAUSE_PERCENT = 5;

export const DEFAULT_FEEDBACK_POLICY: FeedbackPolicy = {
  windowMs: DEFAULT_FEEDBACK_WINDOW_HOURS * HOUR_MS,
  minMarketingSent: DEFAULT_FEEDBACK_MIN_MARKETING_SENDS,
  pausePercent: {
    optOut: DEFAULT_OPT_OUT_PAUSE_PERCENT,
    blocked: DEFAULT_BLOCKED_PAUSE_PERCENT,
    spamLimited: DEFAULT_SPAM_LIMITED_PAUSE_PERCENT,
  },
};

const SIGNAL_OF_CODE: ReadonlyMap<number, FeedbackSignal> = new Map([
  [131026, 'blocked'],
  [131048, 'spamLimited'],
  [131049, 'spamLimited'],
]);

/** The signal a Meta error code on a failed send stands for (null: none). */
export function feedbackSignalOfCode(code: number): FeedbackSignal | null {
  return SIGNAL_OF_CODE.get(code) ?? null;
}

/** One time bucket: marketing sends and signals counted from `startMs` for window / FEEDBACK_BUCKETS. */
export type FeedbackBucket = { readonly startMs: number; readonly marketingSent: number } & Readonly<
  Record<FeedbackSignal, number>
>;

/** Plain data, persisted in the number's state. Buckets oldest first. */
export interface FeedbackState {
  readonly buckets: readonly FeedbackBucket[];
}

export type FeedbackTotals = { readonly marketingSent: number; readonly windowMs: number } & Readonly<
  Record<FeedbackSignal, number>
>;

/** Why marketing pauses: the signal furthest above its threshold. */
export interface FeedbackBreach {
  readonly signal: FeedbackSignal;
  readonly signalCount: number;
  readonly marketingSentCount: number;
  /** signalCount / marketingSentCount, in percent (two decimals). */
  readonly ratePercent: number;
  readonly thresholdPercent: number;
  readonly windowMs: number;
}

export function createFeedbackState(): FeedbackState {
  return { buckets: [] };
}

/**
 * Counts marketing sends (slots granted to marketing). A negative count takes back grants that did not become
 * sends (Meta refused them with 130429 or 131056: they are granted again), from the newest buckets first.
 */
export function recordMarketingSent(
  state: FeedbackState,
  nowMs: number,
  count: number,
  policy: FeedbackPolicy = DEFAULT_FEEDBACK_POLICY,
): FeedbackState {
  if (count === 0) return state;
  if (count > 0) return bump(state, nowMs, policy, (b) => ({ ...b, marketingSent: b.marketingSent + count }));
  const buckets = live(state.buckets, nowMs, policy).slice();
  let left = -count;
  for (let i = buckets.length - 1; i >= 0 && left > 0; i--) {
    const bucket = buckets[i]!;
    const taken = Math.min(left, bucket.marketingSent);
    if (taken > 0) buckets[i] = { ...bucket, marketingSent: bucket.marketingSent - taken };
    left -= taken;
  }
  return { buckets };
}

/** Counts one negative-feedback signal. */
export function recordSignal(
  state: FeedbackState,
  nowMs: number,
  signal: FeedbackSignal,
  policy: FeedbackPolicy = DEFAULT_FEEDBACK_POLICY,
): FeedbackState {
  return bump(state, nowMs, policy, (b) => ({ ...b, [signal]: b[signal] + 1 }));
}

/** The counts of the window at `nowMs`. */
export function feedbackTotals(
  state: FeedbackState,
  nowMs: number,
  policy: FeedbackPolicy = DEFAULT_FEEDBACK_POLICY,
): FeedbackTotals {
  const totals = { marketingSent: 0, optOut: 0, blocked: 0, spamLimited: 0 };
  for (const bucket of live(state.buckets, nowMs, policy)) {
    totals.marketingSent += bucket.marketingSent;
    for (const signal of FEEDBACK_SIGNALS) totals[signal] += bucket[signal];
  }
  return { ...totals, windowMs: policy.windowMs };
}

/** The reason to pause marketing at `nowMs`, if there is one. */
export function feedbackBreach(
  state: FeedbackState,
  nowMs: number,
  policy: FeedbackPolicy = DEFAULT_FEEDBACK_POLICY,
): FeedbackBreach | null {
  const totals = feedbackTotals(state, nowMs, policy);
  const sent = totals.marketingSent;
  if (sent < Math.max(1, policy.minMarketingSent)) return null;
  let worst: FeedbackBreach | null = null;
  let worstRatio = 0;
  for (const signal of FEEDBACK_SIGNALS) {
    const threshold = policy.pausePercent[signal];
    const count = totals[signal];
    if (threshold <= 0 || count * 100 <= threshold * sent) continue;
    const ratio = (count * 100) / (threshold * sent);
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = {
        signal,
        signalCount: count,
        marketingSentCount: sent,
        ratePercent: Math.round((count * 10_000) / sent) / 100,
        thresholdPercent: threshold,
        windowMs: policy.windowMs,
      };
    }
  }
  return worst;
}

/** Whether a pause for negative feedback may end at `nowMs` (see the header: hysteresis). */
export function hasRecovered(
  state: FeedbackState,
  nowMs: number,
  policy: FeedbackPolicy = DEFAULT_FEEDBACK_POLICY,
): boolean {
  const totals = feedbackTotals(state, nowMs, policy);
  const sent = totals.marketingSent;
  if (sent < Math.max(1, policy.minMarketingSent)) return true;
  return FEEDBACK_SIGNALS.every((signal) => {
    const threshold = policy.pausePercent[signal];
    return threshold <= 0 || totals[signal] * 100 * 100 <= threshold * RESUME_AT_PERCENT_OF_THRESHOLD * sent;
  });
}

/** When the oldest bucket of the window leaves it (null: the window is empty). */
export function nextExpiry(
  state: FeedbackState,
  nowMs: number,
  policy: FeedbackPolicy = DEFAULT_FEEDBACK_POLICY,
): number | null {
  const oldest = live(state.buckets, nowMs, policy)[0];
  return oldest === undefined ? null : oldest.startMs + bucketMsOf(policy) + policy.windowMs;
}

function bucketMsOf(policy: FeedbackPolicy): number {
  return Math.max(1, Math.floor(policy.windowMs / FEEDBACK_BUCKETS));
}

/** The buckets still in the window at `nowMs` (the same array when none left). */
function live(buckets: readonly FeedbackBucket[], nowMs: number, policy: FeedbackPolicy): readonly FeedbackBucket[] {
  const size = bucketMsOf(policy);
  let start = 0;
  while (start < buckets.length && buckets[start]!.startMs + size + policy.windowMs <= nowMs) start++;
  return start === 0 ? buckets : buckets.slice(start);
}

/** Applies `change` to the bucket of `nowMs` (created when new), dropping buckets that left the window. */
function bump(
  state: FeedbackState,
  nowMs: number,
  policy: FeedbackPolicy,
  change: (bucket: FeedbackBucket) => FeedbackBucket,
): FeedbackState {
  const size = bucketMsOf(policy);
  const startMs = Math.floor(nowMs / size) * size;
  const buckets = live(state.buckets, nowMs, policy).slice();
  const last = buckets[buckets.length - 1];
  // A clock that stepped back counts in the newest bucket.
  if (last !== undefined && last.startMs >= startMs) buckets[buckets.length - 1] = change(last);
  else buckets.push(change({ startMs, marketingSent: 0, optOut: 0, blocked: 0, spamLimited: 0 }));
  return { buckets };
}
