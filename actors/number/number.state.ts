import { createPacing, type PacingState } from './pacing.ts';
import {
  SEND_PRIORITIES,
  type MarketingPause,
  type QualityRating,
  type SendPriority,
  type SlotRequest,
} from './number.messages.ts';

/** One waiting request. `seq` keeps first-come order within a priority. */
export interface QueuedRequest extends SlotRequest {
  readonly seq: number;
  readonly enqueuedAtMs: number;
}

/**
 * A number's state. The queue is one array per priority (FIFO each), so taking the next request is O(1) amortised
 * and no sort runs on the hot path; it is bounded by MAX_QUEUED_SENDS in total. `timerDueMs` is the pacing timer
 * currently armed (null: none), so a burst of requests arms it once.
 */
export interface NumberState {
  readonly pacing: PacingState;
  readonly queues: Readonly<Record<SendPriority, readonly QueuedRequest[]>>;
  readonly nextSeq: number;
  readonly timerDueMs: number | null;
  readonly granted: number;
  readonly throttledCount: number;
  /** From Meta's quality webhooks (FLAGGED → RED; UNFLAGGED does not say GREEN or YELLOW: GREEN is assumed). */
  readonly quality: QualityRating;
  /** While set, marketing requests wait in their queue; other priorities go on. */
  readonly marketingPause: MarketingPause | null;
}

export function initialNumberState(): NumberState {
  return {
    pacing: createPacing(),
    queues: { reply: [], authentication: [], utility: [], marketing: [] },
    nextSeq: 1,
    timerDueMs: null,
    granted: 0,
    throttledCount: 0,
    quality: 'UNKNOWN',
    marketingPause: null,
  };
}

export function queuedCount(state: NumberState): number {
  let total = 0;
  for (const priority of SEND_PRIORITIES) total += state.queues[priority].length;
  return total;
}
