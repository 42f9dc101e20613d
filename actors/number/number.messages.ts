import type { Address } from '../../core/index.ts';
import type { FeedbackBreach, FeedbackSignal, FeedbackTotals } from './feedback.ts';

export { FEEDBACK_SIGNALS, feedbackSignalOfCode, type FeedbackSignal } from './feedback.ts';

/**
 * The protocol of the `number` actor (one per business phone number, id = phone-number id): the single authority
 * for "may this send happen now". Conversations ask it for a send slot; it queues the request by priority and
 * grants slots at the number's pace (pacing.ts: never more than 2 % over the throughput in any 1 s window, inbound
 * messages counted) and at each recipient's pair rate. The conversation that gets a slot makes the Graph API call
 * itself and reports Meta's throughput and pair-rate refusals back here, so the number slows down for everyone
 * (130429) or for that recipient (131056), and the negative feedback it sees, so that marketing pauses when the
 * number's own block / opt-out rate is too high (feedback.ts).
 */
export const NUMBER_KIND = 'number';

/** Send priorities, highest first: replies to customers > authentication > utility > marketing. */
export const SEND_PRIORITIES = ['reply', 'authentication', 'utility', 'marketing'] as const;
export type SendPriority = (typeof SEND_PRIORITIES)[number];

/** Requests a number holds at most; further ones are refused (`PARLO_NUMBER_BUSY`) and retried by their sender. */
export const MAX_QUEUED_SENDS = 5_000;

export interface SlotRequest {
  /** Who gets the slot: the conversation actor holding the message. */
  readonly requester: Address;
  /** The requester's message id; echoed in the grant. */
  readonly messageId: string;
  readonly priority: SendPriority;
  /**
   * The customer the message goes to: the conversation's customer key (`p<phone digits>` or `u<BSUID>`, the part
   * of the conversation id after `<phoneNumberId>.`). Messages to one recipient are spaced by Meta's pair rate
   * (pacing.ts) and granted in request order; requests to other recipients are not held up by them. Absent: the
   * request is not pair-spaced.
   */
  readonly recipient?: string;
}

/** Why marketing is paused: Meta flagged the number (quality RED), or its own negative feedback is too high. */
export const MARKETING_PAUSE_REASONS = ['qualityRed', 'negativeFeedback'] as const;
export type MarketingPauseReason = (typeof MARKETING_PAUSE_REASONS)[number];

export type NumberMsg =
  | ({ readonly type: 'requestSlot' } & SlotRequest)
  /** Meta answered 130429 (throughput) to a granted send: slow down, queue it again at the front of its priority. */
  | ({ readonly type: 'throttled'; readonly code: number } & SlotRequest)
  /**
   * Meta answered 131056 (pair rate) to a granted send: that recipient backs off (60 s, doubling on repeats) and the
   * request is queued again at the front of its priority, granted when the recipient may be written to again.
   */
  | ({ readonly type: 'pairThrottled'; readonly code: number; readonly recipient: string } & SlotRequest)
  /**
   * Negative feedback about this number (feedback.ts), counted against the marketing sends of the window:
   * `optOut` (an opt-out keyword, WhatsApp's stop button: whatever the customer last received), `blocked` /
   * `spamLimited` (a marketing send failed, synchronously or by a `failed` status, with a code
   * `feedbackSignalOfCode` maps; `code` says which). Report each once (on the message's transition to failed).
   */
  | { readonly type: 'negativeFeedbackObserved'; readonly signal: FeedbackSignal; readonly code?: number }
  /** Customers' messages count towards the number's throughput. */
  | { readonly type: 'inboundCounted'; readonly count: number }
  /** The number's throughput changed (Meta's THROUGHPUT_UPGRADE webhook, or a coexistence number). */
  | { readonly type: 'setThroughput'; readonly ratePerSec: number }
  /**
   * What Meta said about the number when it was connected (`GET /{phone-number-id}?fields=…throughput`, sent by
   * the org-numbers actor): the throughput level sets the rate (`rateOfThroughputLevel`: HIGH 1,000, LOW 20 for
   * coexistence numbers, else 80), the quality rating RED pauses marketing. Ignored for the rate when a newer rate
   * change (a THROUGHPUT_UPGRADE webhook) came after `observedAtMs`.
   */
  | {
      readonly type: 'configure';
      readonly throughputLevel: string | null;
      readonly qualityRating?: string | null;
      readonly observedAtMs: number;
    }
  /**
   * Meta's `phone_number_quality_update` for this number: FLAGGED (quality RED) pauses marketing sends,
   * UNFLAGGED resumes them, THROUGHPUT_UPGRADE raises the throughput to 1,000 msg/s.
   */
  | { readonly type: 'qualityChanged'; readonly event: string; readonly orgId?: string }
  /**
   * A person resumes marketing by hand: the given pauses end (default: all). Ending a negative-feedback pause
   * starts its window afresh (the counts that caused it are dropped), so it pauses again only on new feedback.
   */
  | { readonly type: 'resumeMarketing'; readonly reasons?: readonly MarketingPauseReason[]; readonly by?: string }
  /** Internal: the pacing timer. */
  | { readonly type: 'paceTick' }
  /** Internal: re-checks a negative-feedback pause as its window moves on. */
  | { readonly type: 'feedbackTick' }
  /** Internal: drops expired pair-rate entries of an idle number. */
  | { readonly type: 'sweepPairs' }
  | { readonly type: 'getNumberState' };

/** What the requester receives when its slot comes. */
export interface SlotGranted {
  readonly type: 'slotGranted';
  readonly messageId: string;
  /**
   * The rate (msg/s) the number paced this grant at: its effective rate at grant time (`effectiveRate`, the
   * slow-down's after a 130429). The send passes it to the channel as `maxRatePerSec`, so that the adapter keeps
   * the same rate on the wire.
   */
  readonly ratePerSec: number;
}

/** Realtime topic of a number's alerts (marketing paused/resumed, throughput changed). */
export function numberAlertsTopic(phoneNumberId: string): string {
  return `number.${phoneNumberId}.alerts`;
}

export type QualityRating = 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';

export type MarketingPause =
  | { readonly reason: 'qualityRed'; readonly sinceMs: number }
  | { readonly reason: 'negativeFeedback'; readonly sinceMs: number; readonly breach: FeedbackBreach };

/**
 * Events on `numberAlertsTopic`. A pause and its end are published per reason; marketing flows again when
 * `stillPausedBy` is empty.
 */
export type NumberAlert =
  | {
      readonly type: 'marketingPaused';
      readonly phoneNumberId: string;
      readonly reason: 'qualityRed';
      readonly atMs: number;
    }
  | ({
      readonly type: 'marketingPaused';
      readonly phoneNumberId: string;
      readonly reason: 'negativeFeedback';
      readonly atMs: number;
    } & FeedbackBreach)
  | {
      readonly type: 'marketingResumed';
      readonly phoneNumberId: string;
      /** `qualityRecovered` (UNFLAGGED), `feedbackRecovered` (the rate fell back), `manual` (resumeMarketing). */
      readonly reason: 'qualityRecovered' | 'feedbackRecovered' | 'manual';
      readonly ended: readonly MarketingPauseReason[];
      readonly stillPausedBy: readonly MarketingPauseReason[];
      readonly atMs: number;
    }
  | {
      readonly type: 'throughputChanged';
      readonly phoneNumberId: string;
      readonly ratePerSec: number;
      readonly atMs: number;
    };

export interface NumberStateView {
  readonly ratePerSec: number;
  readonly effectiveRatePerSec: number;
  /** Meta's throughput level as last told (`configure`, or HIGH after a THROUGHPUT_UPGRADE); null: unknown. */
  readonly throughputLevel: string | null;
  readonly queued: number;
  readonly queuedByPriority: Readonly<Record<SendPriority, number>>;
  /** Requests at the head of the queues known to wait for their recipient's pair rate. */
  readonly waitingForPairRate: number;
  readonly granted: number;
  readonly throttledCount: number;
  readonly pairThrottledCount: number;
  /** Recipients whose pair-rate state is held. */
  readonly pairRecipients: number;
  readonly quality: QualityRating;
  /** The first pause (kept for readers of one reason); all of them in `marketingPauses`. */
  readonly marketingPause: MarketingPause | null;
  readonly marketingPauses: readonly MarketingPause[];
  /** The negative-feedback window now. */
  readonly feedback: FeedbackTotals;
}

export interface NumberReplies {
  requestSlot: { ok: true; queued: number } | { ok: false; code: 'PARLO_NUMBER_BUSY'; message: string };
  resumeMarketing: {
    ok: true;
    ended: readonly MarketingPauseReason[];
    stillPausedBy: readonly MarketingPauseReason[];
  };
  getNumberState: { ok: true; state: NumberStateView };
}
