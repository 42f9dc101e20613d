import type { DisabledReason, EndpointView, EventFilter } from './webhook-endpoints.messages.ts';

export interface SigningSecret {
  readonly secretId: string;
  /** Sealed by the HTTP layer with the SecretBox (context `webhook:<orgId>:<endpointId>:<secretId>`). */
  readonly sealed: string;
  readonly createdAtMs: number;
  /** Null for the current secret; when a previous one stops signing. */
  readonly expiresAtMs: number | null;
}

export interface Endpoint {
  readonly url: string;
  readonly description: string;
  readonly events: EventFilter;
  readonly enabled: boolean;
  readonly disabledReason: DisabledReason;
  /** Newest (current) first; at most MAX_ACTIVE_SECRETS. */
  readonly secrets: readonly SigningSecret[];
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/**
 * An organisation's endpoints, keyed by endpoint id (ids come from outside: read with `own()`). An organisation
 * without endpoints has the initial (empty) state, which the runtime does not store.
 */
export interface WebhookEndpointsState {
  readonly endpoints: Readonly<Record<string, Endpoint>>;
}

export function initialWebhookEndpointsState(): WebhookEndpointsState {
  return { endpoints: {} };
}

export function isEmptyWebhookEndpointsState(state: WebhookEndpointsState): boolean {
  return Object.keys(state.endpoints).length === 0;
}

/** The secrets that sign at `nowMs`: the current one and any previous one whose overlap has not ended. */
export function activeSecrets(endpoint: Endpoint, nowMs: number): readonly SigningSecret[] {
  return endpoint.secrets.filter((s) => s.expiresAtMs === null || s.expiresAtMs > nowMs);
}

/** Whether the endpoint receives events of `type` now. */
export function endpointWants(endpoint: Endpoint, type: string): boolean {
  return endpoint.enabled && (endpoint.events === null || (endpoint.events as readonly string[]).includes(type));
}

export function endpointView(endpointId: string, e: Endpoint, nowMs: number): EndpointView {
  return {
    endpointId,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    secrets: activeSecrets(e, nowMs).map((s) => ({
      secretId: s.secretId,
      createdAtMs: s.createdAtMs,
      expiresAtMs: s.expiresAtMs,
    })),
    createdAtMs: e.createdAtMs,
    updatedAtMs: e.updatedAtMs,
  };
}
