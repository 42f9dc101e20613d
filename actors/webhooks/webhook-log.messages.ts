import type { Address } from '../../core/index.ts';
import type { WebhookCaller } from './webhook-caller.ts';
import type { AttemptFailureReason, WebhookDeliveryStatus } from './webhook-delivery.messages.ts';

/**
 * The protocol of the `webhook-log` actor (one per endpoint, id = `<orgId>:<endpointId>`): the endpoint's recent
 * delivery attempts and its dead-letter list, both bounded (newest kept). Deliveries report to it; the API reads
 * it. It is apart from the endpoints actor so that recording an attempt rewrites one endpoint's small log, not the
 * organisation's endpoint list.
 */
export const WEBHOOK_LOG_KIND = 'webhook-log';

export const RECENT_ATTEMPTS_KEPT = 100;
export const DEAD_LETTERS_KEPT = 500;
export const DEFAULT_LOG_PAGE = 20;
export const MAX_LOG_PAGE = 100;

export function webhookLogAddress(orgId: string, endpointId: string): Address {
  return { kind: WEBHOOK_LOG_KIND, id: `${orgId}:${endpointId}` };
}

export interface AttemptLogEntry {
  /** Increases by one per entry of this log; the `before` cursor. */
  readonly seq: number;
  readonly deliveryId: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly attempt: number;
  readonly round: number;
  readonly atMs: number;
  readonly outcome: 'delivered' | 'failed';
  readonly status: number | null;
  readonly reason: AttemptFailureReason | null;
  readonly detail: string | null;
  readonly durationMs: number;
  /** The delivery's status after this attempt. */
  readonly deliveryStatus: WebhookDeliveryStatus;
  readonly nextAttemptAtMs: number | null;
}

export interface DeadLetterEntry {
  readonly seq: number;
  readonly deliveryId: string;
  readonly eventId: string;
  readonly eventType: string;
  /** The round that died; a replay starts the next one and clears this entry. */
  readonly round: number;
  readonly deadAtMs: number;
  readonly attemptCount: number;
  readonly lastError: string | null;
}

export type WebhookLogMsg =
  | { readonly type: 'attemptRecorded'; readonly entry: Omit<AttemptLogEntry, 'seq'> }
  | { readonly type: 'deadLettered'; readonly entry: Omit<DeadLetterEntry, 'seq'> }
  /** Removes the delivery's dead letter of any round before `round` (replayed, or forgotten). */
  | { readonly type: 'deadLetterCleared'; readonly deliveryId: string; readonly round: number }
  | { readonly type: 'listAttempts'; readonly by: WebhookCaller; readonly limit?: number; readonly before?: number }
  | { readonly type: 'listDeadLetters'; readonly by: WebhookCaller; readonly limit?: number; readonly before?: number }
  /** Replays every listed dead letter (each delivery re-checks and clears its entry). */
  | { readonly type: 'replayDeadLetters'; readonly endpointId: string; readonly by: WebhookCaller }
  /** The endpoint was deleted: the log is emptied (and its stored state removed). */
  | { readonly type: 'endpointDeleted' };

export interface WebhookLogRefused {
  readonly ok: false;
  readonly code: 'PARLO_ACCESS_FORBIDDEN';
  readonly message: string;
}

export interface WebhookLogReplies {
  attemptRecorded: { ok: true; seq: number };
  deadLettered: { ok: true; seq: number };
  deadLetterCleared: { ok: true; removed: boolean };
  listAttempts: { ok: true; entries: readonly AttemptLogEntry[]; nextBefore: number | null } | WebhookLogRefused;
  listDeadLetters: { ok: true; entries: readonly DeadLetterEntry[]; nextBefore: number | null } | WebhookLogRefused;
  replayDeadLetters: { ok: true; replayed: number; deliveryIds: readonly string[] } | WebhookLogRefused;
  endpointDeleted: { ok: true };
}
export type WebhookLogReply<T extends WebhookLogMsg['type']> = WebhookLogReplies[T];
