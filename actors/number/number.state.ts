import { createPacing, type PacingState } from './pacing.ts';
import { SEND_PRIORITIES, type SendPriority, type SlotRequest } from './number.messages.ts';

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
}

export function initialNumberState(): NumberState {
  return {
    pacing: createPacing(),
    queues: { reply: [], authentication: [], utility: [], marketing: [] },
    nextSeq: 1,
    timerDueMs: null,
    granted: 0,
    throttledCount: 0,
  };
}

export function queuedCount(state: NumberState): number {
  let total = 0;
  for (const priority of SEND_PRIORITIES) total += state.queues[priority].length;
  return total;
}
