import { createFeedbackState, type FeedbackState } from './feedback.ts';
import { createPacing, createPairState, type PacingState, type PairState } from './pacing.ts';
import {
  SEND_PRIORITIES,
  type MarketingPause,
  type MarketingPauseReason,
  type QualityRating,
  type SendPriority,
  type SlotRequest,
} from './number.messages.ts';

/**
 * One waiting request, a plain object. `seq` is unique within the number and never changes; within a priority's
 * queue the order is `seq` order (appended requests count up from 1, requests put back at the front count down
 * from −1), so a queue can be rebuilt from its requests sorted by `seq`.
 */
export interface QueuedRequest extends SlotRequest {
  readonly seq: number;
  readonly enqueuedAtMs: number;
}

/**
 * The first `count` requests of a priority's queue wait for their recipients' pair rate until `untilMs` at least
 * (the earliest of them): a round before then starts after them instead of asking the pair rate about each again.
 */
export interface PairWait {
  readonly count: number;
  readonly untilMs: number;
}

export const NO_PAIR_WAIT: PairWait = { count: 0, untilMs: 0 };

/**
 * A number's state. The queue is one array per priority (FIFO each, except that requests waiting for their
 * recipient's pair rate stay where they are while later ones pass), bounded by MAX_QUEUED_SENDS in total.
 * `timerDueMs` is the pacing timer currently armed (null: none), so a burst of requests arms it once; the two
 * other timers likewise.
 */
export interface NumberState {
  readonly pacing: PacingState;
  readonly pairs: PairState;
  readonly queues: Readonly<Record<SendPriority, readonly QueuedRequest[]>>;
  readonly pairWaits: Readonly<Record<SendPriority, PairWait>>;
  readonly nextSeq: number;
  /** The seq of the next request put back at the front (−1, −2, …). */
  readonly nextFrontSeq: number;
  readonly timerDueMs: number | null;
  readonly pairSweepDueMs: number | null;
  readonly feedbackCheckDueMs: number | null;
  readonly granted: number;
  readonly throttledCount: number;
  readonly pairThrottledCount: number;
  /** From Meta: FLAGGED → RED; UNFLAGGED does not say GREEN or YELLOW: GREEN is assumed; `configure` says. */
  readonly quality: QualityRating;
  /** At most one per reason. While any is set, marketing requests wait in their queue; other priorities go on. */
  readonly marketingPauses: readonly MarketingPause[];
  readonly feedback: FeedbackState;
  /** Meta's throughput level as last told; null: unknown (the default rate applies). */
  readonly throughputLevel: string | null;
  /** When the rate was last set from a fact (configure, upgrade, setThroughput); null: never. */
  readonly rateChangedAtMs: number | null;
}

export function initialNumberState(): NumberState {
  return {
    pacing: createPacing(),
    pairs: createPairState(),
    queues: { reply: [], authentication: [], utility: [], marketing: [] },
    pairWaits: { reply: NO_PAIR_WAIT, authentication: NO_PAIR_WAIT, utility: NO_PAIR_WAIT, marketing: NO_PAIR_WAIT },
    nextSeq: 1,
    nextFrontSeq: -1,
    timerDueMs: null,
    pairSweepDueMs: null,
    feedbackCheckDueMs: null,
    granted: 0,
    throttledCount: 0,
    pairThrottledCount: 0,
    quality: 'UNKNOWN',
    marketingPauses: [],
    feedback: createFeedbackState(),
    throughputLevel: null,
    rateChangedAtMs: null,
  };
}

export function queuedCount(state: NumberState): number {
  let total = 0;
  for (const priority of SEND_PRIORITIES) total += state.queues[priority].length;
  return total;
}

export function isMarketingPaused(state: NumberState): boolean {
  return state.marketingPauses.length > 0;
}

export function pauseReasons(state: NumberState): MarketingPauseReason[] {
  return state.marketingPauses.map((p) => p.reason);
}

/** The pair wait of a priority that still holds at `nowMs` (none once its time came). */
export function liveWait(wait: PairWait, nowMs: number): PairWait {
  return wait.count > 0 && nowMs < wait.untilMs ? wait : NO_PAIR_WAIT;
}

/**
 * The stored state of version 1 (before pair rates, negative feedback and catch-up), brought to this shape: its
 * queues, counters, quality and pause are kept.
 */
export function upgradeFromVersion1(stored: unknown): NumberState {
  const v1 = stored as {
    pacing: Omit<PacingState, 'recent' | 'isBacklogged'>;
    queues: NumberState['queues'];
    nextSeq: number;
    timerDueMs: number | null;
    granted: number;
    throttledCount: number;
    quality: 'GREEN' | 'RED' | 'UNKNOWN';
    marketingPause: { reason: 'qualityRed'; sinceMs: number } | null;
  };
  const initial = initialNumberState();
  return {
    ...initial,
    pacing: { ...v1.pacing, recent: [], isBacklogged: false },
    queues: v1.queues,
    nextSeq: v1.nextSeq,
    timerDueMs: v1.timerDueMs,
    granted: v1.granted,
    throttledCount: v1.throttledCount,
    quality: v1.quality,
    marketingPauses: v1.marketingPause === null ? [] : [v1.marketingPause],
  };
}
