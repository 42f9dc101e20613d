/**
 * The outbound-webhooks port: how the webhook delivery actor hands one signed HTTP POST to an adapter
 * (`adapters/webhook-http/`) and hears how it went. Types only; `webhooks-out.contract.ts` proves implementations.
 *
 * The actor never sees a signing secret in plaintext: it passes the endpoint's secrets as stored (sealed with the
 * SecretBox), and the adapter opens them, signs the body with every active one and sends. A remote refusal, a
 * timeout, a forbidden target (SSRF guard) or an unreadable secret are outcomes, never exceptions (STYLE rule 4).
 */

/** The port's name in the composition root's `ports` map, and its one operation. */
export const WEBHOOKS_OUT_PORT = 'webhooks-out';
export const WEBHOOKS_OUT_DELIVER = 'deliver';

/** The event as it travels to the adapter; the adapter turns it into the JSON body customers receive. */
export interface WebhookPayloadEvent {
  readonly id: string;
  readonly type: string;
  readonly orgId: string;
  readonly occurredAtMs: number;
  readonly data: unknown;
}

/** A signing secret as stored: its id (part of the SecretBox context) and the sealed value. */
export interface SealedSigningSecret {
  readonly secretId: string;
  readonly sealed: string;
}

export interface WebhookDeliveryRequest {
  readonly orgId: string;
  readonly endpointId: string;
  readonly deliveryId: string;
  /** 1 for the first attempt of a delivery; counts on across replays. */
  readonly attempt: number;
  readonly url: string;
  /** Every active secret of the endpoint, newest first (two during a rotation): one `v1=` signature each. */
  readonly secrets: readonly SealedSigningSecret[];
  readonly event: WebhookPayloadEvent;
}

/**
 * Why an attempt failed: `http` (the receiver answered, but not 2xx; redirects are not followed), `timeout`,
 * `network` (DNS failure, connection refused or reset), `forbidden` (the target resolves to an address the SSRF
 * guard refuses; nothing was sent), `secret` (a signing secret could not be opened; nothing was sent).
 */
export const WEBHOOK_FAILURE_REASONS = ['http', 'timeout', 'network', 'forbidden', 'secret'] as const;
export type WebhookFailureReason = (typeof WEBHOOK_FAILURE_REASONS)[number];

export type WebhookDeliveryOutcome =
  | { readonly outcome: 'delivered'; readonly status: number; readonly durationMs: number }
  | {
      readonly outcome: 'failed';
      readonly reason: WebhookFailureReason;
      /** The receiver's HTTP status when it answered (`reason: 'http'`), else null. */
      readonly status: number | null;
      /** A short sentence for the delivery log (never a secret, never the response body). */
      readonly detail: string;
      readonly durationMs: number;
    };

export interface WebhookSenderPort {
  /** Sends one attempt. Resolves to an outcome for every remote or local refusal; a throw is a bug. */
  deliver(request: WebhookDeliveryRequest): Promise<WebhookDeliveryOutcome>;
}
