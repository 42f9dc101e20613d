import type { Address, Refusal, WebhookFailureReason } from '../../core/index.ts';
import type { WebhookCaller } from './webhook-caller.ts';
import type { PreparedAttempt, WebhookEndpointsRefused } from './webhook-endpoints.messages.ts';
import type { AnyWebhookEvent } from './webhook-events.ts';

/**
 * The protocol of the `webhook-delivery` actor: one event to one endpoint (id = `<orgId>:<deliveryId>`, the
 * delivery id being `deliveryIdOf(endpointId, eventId)`). It asks the endpoints actor for the endpoint's URL and
 * active secrets before each attempt, sends through the `webhooks-out` port, records every attempt, retries with
 * exponential backoff within the retry window (`retry.ts`) and then becomes dead: listed in the endpoint's
 * dead-letter list and replayable, which starts a fresh window.
 */
export const WEBHOOK_DELIVERY_KIND = 'webhook-delivery';

/** Attempts a delivery keeps in its own record (the oldest fall off; the count goes on). */
export const ATTEMPTS_KEPT = 50;

export function webhookDeliveryAddress(orgId: string, deliveryId: string): Address {
  return { kind: WEBHOOK_DELIVERY_KIND, id: `${orgId}:${deliveryId}` };
}

/** `pending`: attempts go on. `delivered`: a 2xx arrived. `dead`: the window ran out or the endpoint is gone
 *  (410); replayable. `cancelled`: the endpoint was deleted. */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'delivered', 'dead', 'cancelled'] as const;
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** An attempt's failure: the port's reasons, plus `disabled` (the endpoint was disabled; nothing was sent) and
 *  `internal` (a port or actor failure inside Parlo). */
export type AttemptFailureReason = WebhookFailureReason | 'disabled' | 'internal';

export interface AttemptRecord {
  /** Counts across replays: 1, 2, 3, … */
  readonly attempt: number;
  readonly round: number;
  readonly atMs: number;
  readonly outcome: 'delivered' | 'failed';
  readonly status: number | null;
  readonly reason: AttemptFailureReason | null;
  readonly detail: string | null;
  readonly durationMs: number;
}

/** The reply of an `ask` effect, as it comes back to the asking actor (core/runtime/define-actor.ts). */
export type AskReply<T> = { readonly ok: true; readonly value: T } | Refusal;

export type WebhookDeliveryMsg =
  | {
      readonly type: 'startDelivery';
      readonly orgId: string;
      readonly endpointId: string;
      readonly deliveryId: string;
      readonly event: AnyWebhookEvent;
    }
  /** The endpoints actor's answer to `prepareAttempt`. */
  | {
      readonly type: 'attemptPrepared';
      readonly callId: string;
      readonly reply: AskReply<PreparedAttempt | WebhookEndpointsRefused>;
    }
  /** The port's outcome (`WebhookDeliveryOutcome`), or the runtime's refusal if the port threw. */
  | { readonly type: 'attemptResult'; readonly callId: string; readonly result: unknown }
  /** Timer delivery: the next attempt is due. */
  | { readonly type: 'retryDue'; readonly callId: string }
  /** Re-queues a dead delivery with a fresh retry window. */
  | { readonly type: 'replayDelivery'; readonly endpointId: string; readonly by: WebhookCaller }
  | { readonly type: 'getDelivery'; readonly endpointId: string; readonly by: WebhookCaller }
  /** Timer delivery: the retention of a settled delivery ended; the delivery is forgotten. */
  | { readonly type: 'deliveryExpired' };

export const WEBHOOK_DELIVERY_ERROR_CODES = [
  'PARLO_ACCESS_FORBIDDEN',
  'PARLO_WEBHOOK_DELIVERY_NOT_FOUND',
  'PARLO_WEBHOOK_DELIVERY_NOT_DEAD',
] as const;
export type WebhookDeliveryErrorCode = (typeof WEBHOOK_DELIVERY_ERROR_CODES)[number];

export interface WebhookDeliveryRefused extends Refusal {
  readonly code: WebhookDeliveryErrorCode;
}

export interface DeliveryView {
  readonly deliveryId: string;
  readonly endpointId: string;
  readonly event: AnyWebhookEvent;
  readonly status: WebhookDeliveryStatus;
  readonly round: number;
  readonly attemptCount: number;
  /** The newest ATTEMPTS_KEPT attempts, oldest first. */
  readonly attempts: readonly AttemptRecord[];
  readonly nextAttemptAtMs: number | null;
  readonly createdAtMs: number;
  /** When it was delivered, died or was cancelled; null while pending. */
  readonly settledAtMs: number | null;
}

export interface WebhookDeliveryReplies {
  startDelivery: { ok: true; started: boolean };
  attemptPrepared: { ok: true };
  attemptResult: { ok: true };
  retryDue: { ok: true };
  replayDelivery: { ok: true; deliveryId: string; round: number } | WebhookDeliveryRefused;
  getDelivery: { ok: true; delivery: DeliveryView } | WebhookDeliveryRefused;
  deliveryExpired: { ok: true };
}
export type WebhookDeliveryReply<T extends WebhookDeliveryMsg['type']> = WebhookDeliveryReplies[T];
