import type { AttemptRecord, DeliveryView, WebhookDeliveryStatus } from './webhook-delivery.messages.ts';
import type { AnyWebhookEvent } from './webhook-events.ts';

/**
 * One event on its way to one endpoint. `event === null` is the initial (empty) state: not started yet, or
 * forgotten after its retention, and then not stored at all.
 */
export interface WebhookDeliveryState {
  readonly orgId: string;
  readonly endpointId: string;
  readonly deliveryId: string;
  readonly event: AnyWebhookEvent | null;
  readonly status: WebhookDeliveryStatus;
  /** 1 for the first window; each replay starts the next. */
  readonly round: number;
  /** The first attempt of the current round: retries continue until the retry window after it. */
  readonly windowStartMs: number;
  /** Attempts made in the current round. */
  readonly roundAttempts: number;
  /** Attempts made in every round. */
  readonly attemptCount: number;
  /** The newest ATTEMPTS_KEPT, oldest first. */
  readonly attempts: readonly AttemptRecord[];
  /**
   * The attempt under way: `preparing` while the endpoints actor is asked for the URL and secrets, `sending` while
   * the port sends. A reply or result with another call id is stale and ignored.
   */
  readonly inFlight: { readonly callId: string; readonly phase: 'preparing' | 'sending' } | null;
  readonly nextAttemptAtMs: number | null;
  readonly createdAtMs: number;
  readonly settledAtMs: number | null;
}

export function initialWebhookDeliveryState(): WebhookDeliveryState {
  return {
    orgId: '',
    endpointId: '',
    deliveryId: '',
    event: null,
    status: 'pending',
    round: 0,
    windowStartMs: 0,
    roundAttempts: 0,
    attemptCount: 0,
    attempts: [],
    inFlight: null,
    nextAttemptAtMs: null,
    createdAtMs: 0,
    settledAtMs: null,
  };
}

export function isEmptyWebhookDeliveryState(state: WebhookDeliveryState): boolean {
  return state.event === null;
}

export function deliveryView(state: WebhookDeliveryState & { readonly event: AnyWebhookEvent }): DeliveryView {
  return {
    deliveryId: state.deliveryId,
    endpointId: state.endpointId,
    event: state.event,
    status: state.status,
    round: state.round,
    attemptCount: state.attemptCount,
    attempts: state.attempts,
    nextAttemptAtMs: state.nextAttemptAtMs,
    createdAtMs: state.createdAtMs,
    settledAtMs: state.settledAtMs,
  };
}

/** One line for the dead-letter list: what the last attempt said. */
export function describeAttempt(record: AttemptRecord | undefined): string | null {
  if (!record) return null;
  if (record.outcome === 'delivered') return `HTTP ${record.status ?? '?'}`;
  return record.detail ?? record.reason;
}
