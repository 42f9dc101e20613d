import type { Address } from '../../core/index.ts';

/**
 * The protocol of the `number` actor (one per business phone number, id = phone-number id): the single authority
 * for "may this send happen now". Conversations ask it for a send slot; it queues the request by priority and
 * grants slots at the number's pace (pacing.ts: never more than 2 % over the throughput in any 1 s window, inbound
 * messages counted). The conversation that gets a slot makes the Graph API call itself and reports Meta's
 * throughput refusals back here, so the number slows down for everyone.
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
}

export type NumberMsg =
  | ({ readonly type: 'requestSlot' } & SlotRequest)
  /** Meta answered 130429 (throughput) to a granted send: slow down, queue it again at the front of its priority. */
  | ({ readonly type: 'throttled'; readonly code: number } & SlotRequest)
  /** Customers' messages count towards the number's throughput. */
  | { readonly type: 'inboundCounted'; readonly count: number }
  /** The number's throughput changed (Meta's THROUGHPUT_UPGRADE webhook, or a coexistence number). */
  | { readonly type: 'setThroughput'; readonly ratePerSec: number }
  /**
   * Meta's `phone_number_quality_update` for this number: FLAGGED (quality RED) pauses marketing sends,
   * UNFLAGGED resumes them, THROUGHPUT_UPGRADE raises the throughput to 1,000 msg/s.
   */
  | { readonly type: 'qualityChanged'; readonly event: string; readonly orgId?: string }
  /** Internal: the pacing timer. */
  | { readonly type: 'paceTick' }
  | { readonly type: 'getNumberState' };

/** What the requester receives when its slot comes. */
export interface SlotGranted {
  readonly type: 'slotGranted';
  readonly messageId: string;
}

/** Realtime topic of a number's alerts (marketing paused/resumed, throughput changed). */
export function numberAlertsTopic(phoneNumberId: string): string {
  return `number.${phoneNumberId}.alerts`;
}

export type QualityRating = 'GREEN' | 'RED' | 'UNKNOWN';

export interface MarketingPause {
  readonly reason: 'qualityRed';
  readonly sinceMs: number;
}

export interface NumberStateView {
  readonly ratePerSec: number;
  readonly effectiveRatePerSec: number;
  readonly queued: number;
  readonly queuedByPriority: Readonly<Record<SendPriority, number>>;
  readonly granted: number;
  readonly throttledCount: number;
  readonly quality: QualityRating;
  readonly marketingPause: MarketingPause | null;
}

export interface NumberReplies {
  requestSlot: { ok: true; queued: number } | { ok: false; code: 'PARLO_NUMBER_BUSY'; message: string };
  getNumberState: { ok: true; state: NumberStateView };
}
