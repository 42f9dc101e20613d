import type { Refusal, SealedSigningSecret } from '../../core/index.ts';
import type { WebhookCaller } from './webhook-caller.ts';
import type { AnyWebhookEvent, WebhookEventType } from './webhook-events.ts';

/**
 * The protocol of the `webhook-endpoints` actor (one per organisation, id = org id): the organisation's outbound
 * webhook endpoints, their signing secrets (sealed; the actor never sees one in plaintext) and the fan-out of
 * published events to them. Inputs are validated at the HTTP edge (zod in `webhooks.routes.ts`); in-process
 * senders are checked by TypeScript, and published events once more here (`webhookEventProblem`).
 */
export { WEBHOOK_ENDPOINTS_KIND } from './webhook-events.ts';

/** An organisation has at most this many endpoints: fan-out work per event stays bounded. */
export const MAX_ENDPOINTS_PER_ORG = 20;
/** An endpoint has at most this many active secrets: the current one and, during a rotation, the previous one. */
export const MAX_ACTIVE_SECRETS = 2;
/** How long the previous secret keeps signing after a rotation, unless the rotation says otherwise. */
export const DEFAULT_SECRET_OVERLAP_MS = 24 * 60 * 60 * 1000;
export const MAX_SECRET_OVERLAP_MS = 7 * 24 * 60 * 60 * 1000;

/** The event types an endpoint receives; null means every type (`["*"]` in the API). */
export type EventFilter = readonly WebhookEventType[] | null;

/** `gone`: the receiver answered 410 Gone, so Parlo disabled the endpoint (re-enable it with an update). */
export type DisabledReason = 'gone' | null;

export type WebhookEndpointsMsg =
  | {
      readonly type: 'createEndpoint';
      readonly endpointId: string;
      readonly url: string;
      readonly description: string;
      readonly events: EventFilter;
      readonly enabled: boolean;
      readonly secret: SealedSigningSecret;
      readonly by: WebhookCaller;
    }
  | {
      readonly type: 'updateEndpoint';
      readonly endpointId: string;
      readonly url?: string;
      readonly description?: string;
      readonly events?: EventFilter;
      readonly enabled?: boolean;
      readonly by: WebhookCaller;
    }
  | { readonly type: 'deleteEndpoint'; readonly endpointId: string; readonly by: WebhookCaller }
  | { readonly type: 'getEndpoint'; readonly endpointId: string; readonly by: WebhookCaller }
  | { readonly type: 'listEndpoints'; readonly by: WebhookCaller }
  /**
   * The event types some enabled endpoint wants, for the webhook ingestion path (Parlo-internal, no caller): an
   * organisation none of whose endpoints wants an event type is not sent events of that type at all.
   */
  | { readonly type: 'getSubscribedEventTypes' }
  /** A new current secret; the previous one keeps signing for `overlapMs` (0: revoked at once). */
  | {
      readonly type: 'rotateSecret';
      readonly endpointId: string;
      readonly secret: SealedSigningSecret;
      readonly overlapMs: number;
      readonly by: WebhookCaller;
    }
  /** Ends a rotation's overlap now: only the current secret signs from here on. */
  | { readonly type: 'revokePreviousSecrets'; readonly endpointId: string; readonly by: WebhookCaller }
  /** Timer delivery: the overlap of a previous secret ended. */
  | { readonly type: 'secretExpired'; readonly endpointId: string; readonly secretId: string }
  /** An event to fan out to every enabled endpoint whose filter matches (see `webhook-events.ts`). */
  | { readonly type: 'publishEvent'; readonly event: AnyWebhookEvent }
  /** Sends a `webhook.test` event to one endpoint, whatever its filter. */
  | {
      readonly type: 'sendTestEvent';
      readonly endpointId: string;
      readonly eventId: string;
      readonly by: WebhookCaller;
    }
  /** Asked by a delivery before each attempt: where to send and with which secrets, now. */
  | { readonly type: 'prepareAttempt'; readonly endpointId: string; readonly deliveryId: string }
  /** Told by a delivery whose receiver answered 410 Gone: the endpoint is disabled. */
  | { readonly type: 'endpointGone'; readonly endpointId: string; readonly deliveryId: string };

export const WEBHOOK_ENDPOINTS_ERROR_CODES = [
  'PARLO_ACCESS_FORBIDDEN',
  'PARLO_ID_CONFLICT',
  'PARLO_WEBHOOK_ENDPOINT_NOT_FOUND',
  'PARLO_WEBHOOK_ENDPOINT_LIMIT',
  'PARLO_WEBHOOK_ENDPOINT_DISABLED',
] as const;
export type WebhookEndpointsErrorCode = (typeof WEBHOOK_ENDPOINTS_ERROR_CODES)[number];

export interface WebhookEndpointsRefused extends Refusal {
  readonly code: WebhookEndpointsErrorCode;
}

export interface SecretView {
  readonly secretId: string;
  readonly createdAtMs: number;
  /** When a previous secret stops signing; null for the current one. */
  readonly expiresAtMs: number | null;
}

export interface EndpointView {
  readonly endpointId: string;
  readonly url: string;
  readonly description: string;
  readonly events: EventFilter;
  readonly enabled: boolean;
  readonly disabledReason: DisabledReason;
  /** Newest (current) first. Never the secrets themselves. */
  readonly secrets: readonly SecretView[];
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export interface PreparedAttempt {
  readonly ok: true;
  readonly url: string;
  readonly enabled: boolean;
  /** The active secrets, newest first. */
  readonly secrets: readonly SealedSigningSecret[];
}

/** The reply of each message, by type. */
export interface WebhookEndpointsReplies {
  createEndpoint: { ok: true; endpoint: EndpointView } | WebhookEndpointsRefused;
  updateEndpoint: { ok: true; endpoint: EndpointView } | WebhookEndpointsRefused;
  deleteEndpoint: { ok: true; endpointId: string } | WebhookEndpointsRefused;
  getEndpoint: { ok: true; endpoint: EndpointView } | WebhookEndpointsRefused;
  listEndpoints: { ok: true; endpoints: readonly EndpointView[] } | WebhookEndpointsRefused;
  getSubscribedEventTypes: { ok: true; eventTypes: readonly WebhookEventType[] };
  rotateSecret: { ok: true; endpoint: EndpointView } | WebhookEndpointsRefused;
  revokePreviousSecrets: { ok: true; endpoint: EndpointView; revoked: number } | WebhookEndpointsRefused;
  secretExpired: { ok: true; removed: boolean };
  publishEvent: { ok: true; deliveryIds: readonly string[] };
  sendTestEvent: { ok: true; deliveryId: string; eventId: string } | WebhookEndpointsRefused;
  prepareAttempt: PreparedAttempt | WebhookEndpointsRefused;
  endpointGone: { ok: true; disabled: boolean };
}
export type WebhookEndpointsReply<T extends WebhookEndpointsMsg['type']> = WebhookEndpointsReplies[T];

/** The timer that ends a previous secret's overlap. */
export function secretTimerName(endpointId: string, secretId: string): string {
  return `secret:${endpointId}:${secretId}`;
}
