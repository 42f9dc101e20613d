import {
  WEBHOOKS_OUT_DELIVER,
  WEBHOOKS_OUT_PORT,
  WEBHOOK_FAILURE_REASONS,
  defineActor,
  refusal,
  unreachable,
  type ActorDefinition,
  type Effect,
  type TurnContext,
  type TurnResult,
  type WebhookDeliveryOutcome,
  type WebhookDeliveryRequest,
} from '../../core/index.ts';
import { DEFAULT_DELIVERY_POLICY, nextAttemptAtMs, type DeliveryPolicy } from './retry.ts';
import { webhookAccessRefusal } from './webhook-caller.ts';
import {
  ATTEMPTS_KEPT,
  WEBHOOK_DELIVERY_KIND,
  type AttemptFailureReason,
  type AttemptRecord,
  type WebhookDeliveryErrorCode,
  type WebhookDeliveryMsg,
  type WebhookDeliveryReplies,
} from './webhook-delivery.messages.ts';
import {
  deliveryView,
  describeAttempt,
  initialWebhookDeliveryState,
  isEmptyWebhookDeliveryState,
  type WebhookDeliveryState,
} from './webhook-delivery.state.ts';
import { webhookEndpointsAddress, type AnyWebhookEvent } from './webhook-events.ts';
import type { WebhookEndpointsMsg } from './webhook-endpoints.messages.ts';
import { webhookLogAddress, type WebhookLogMsg } from './webhook-log.messages.ts';

/**
 * One event to one endpoint, with its own retry timer (id `<orgId>:<deliveryId>`). Each attempt is two steps:
 * ask the endpoints actor for the URL and active secrets now (so a rotation, an update, a disable or a deletion
 * applies to retries already scheduled), then call the `webhooks-out` port. A 2xx delivers; 410 Gone disables the
 * endpoint and kills the delivery; anything else retries on the schedule of `retry.ts` until the retry window
 * after the round's first attempt has passed, then the delivery is dead (dead-letter list, replayable).
 *
 * Settled deliveries are kept for the API for a while (`settledRetentionMs`, `deadRetentionMs`), then forgotten:
 * the state returns to the initial one, which the runtime removes from storage.
 */
type Turn = TurnResult<WebhookDeliveryState>;
type Msg<T extends WebhookDeliveryMsg['type']> = Extract<WebhookDeliveryMsg, { type: T }>;
type Started = WebhookDeliveryState & { readonly event: AnyWebhookEvent };

const RETRY_TIMER = 'retry';
const EXPIRE_TIMER = 'expire';

/** The delivery actor with a retry policy (the composition root passes the configured one). */
export function createWebhookDeliveryActor(
  policy: DeliveryPolicy = DEFAULT_DELIVERY_POLICY,
): ActorDefinition<WebhookDeliveryState, WebhookDeliveryMsg> {
  return defineActor<WebhookDeliveryState, WebhookDeliveryMsg>({
    kind: WEBHOOK_DELIVERY_KIND,
    stateVersion: 1,
    initialState: () => initialWebhookDeliveryState(),
    isEmpty: isEmptyWebhookDeliveryState,
    handle(state, msg, ctx) {
      switch (msg.type) {
        case 'startDelivery':
          return onStart(state, msg, ctx);
        case 'attemptPrepared':
          return onAttemptPrepared(policy, state, msg, ctx);
        case 'attemptResult':
          return onAttemptResult(policy, state, msg, ctx);
        case 'retryDue':
          return onRetryDue(state, msg);
        case 'replayDelivery':
          return onReplay(state, msg, ctx);
        case 'getDelivery':
          return onGet(state, msg);
        case 'deliveryExpired':
          return onExpired(state);
        default:
          return unreachable(msg);
      }
    },
  });
}

export const webhookDeliveryActor = createWebhookDeliveryActor();

// ---------------------------------------------------------------- helpers

function refuse(state: WebhookDeliveryState, code: WebhookDeliveryErrorCode, message: string): Turn {
  return { state, reply: refusal(code, message) };
}

function ok<T extends keyof WebhookDeliveryReplies>(
  state: WebhookDeliveryState,
  reply: WebhookDeliveryReplies[T],
  effects?: readonly Effect[],
): Turn {
  return effects && effects.length > 0 ? { state, effects, reply } : { state, reply };
}

function isStarted(state: WebhookDeliveryState): state is Started {
  return state.event !== null;
}

function callIdOf(state: WebhookDeliveryState): string {
  return `${state.round}.${state.roundAttempts + 1}`;
}

/** Asks the endpoints actor for the URL and secrets of the next attempt. */
function beginAttempt(state: Started): { state: Started; effects: Effect[] } {
  const callId = callIdOf(state);
  const prepare: WebhookEndpointsMsg = {
    type: 'prepareAttempt',
    endpointId: state.endpointId,
    deliveryId: state.deliveryId,
  };
  return {
    state: { ...state, inFlight: { callId, phase: 'preparing' }, nextAttemptAtMs: null },
    effects: [
      { type: 'ask', to: webhookEndpointsAddress(state.orgId), msg: prepare, replyType: 'attemptPrepared', callId },
    ],
  };
}

function log(state: Started, msg: WebhookLogMsg): Effect {
  return { type: 'tell', to: webhookLogAddress(state.orgId, state.endpointId), msg };
}

function isDeliveryOutcome(value: unknown): value is WebhookDeliveryOutcome {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (v.outcome === 'delivered') return typeof v.status === 'number';
  return (
    v.outcome === 'failed' &&
    (WEBHOOK_FAILURE_REASONS as readonly unknown[]).includes(v.reason) &&
    typeof v.detail === 'string'
  );
}

function failure(
  state: Started,
  ctx: TurnContext,
  reason: AttemptFailureReason,
  detail: string,
  status: number | null = null,
  durationMs = 0,
): AttemptRecord {
  return {
    attempt: state.attemptCount + 1,
    round: state.round,
    atMs: ctx.nowMs,
    outcome: 'failed',
    status,
    reason,
    detail,
    durationMs,
  };
}

/** The state with `record` appended (bounded) and counted. */
function recorded(state: Started, record: AttemptRecord): Started {
  const attempts = [...state.attempts, record];
  return {
    ...state,
    attempts: attempts.length > ATTEMPTS_KEPT ? attempts.slice(attempts.length - ATTEMPTS_KEPT) : attempts,
    attemptCount: state.attemptCount + 1,
    roundAttempts: state.roundAttempts + 1,
    inFlight: null,
  };
}

function attemptLogged(state: Started, record: AttemptRecord): Effect {
  return log(state, {
    type: 'attemptRecorded',
    entry: {
      deliveryId: state.deliveryId,
      eventId: state.event.id,
      eventType: state.event.type,
      attempt: record.attempt,
      round: record.round,
      atMs: record.atMs,
      outcome: record.outcome,
      status: record.status,
      reason: record.reason,
      detail: record.detail,
      durationMs: record.durationMs,
      deliveryStatus: state.status,
      nextAttemptAtMs: state.nextAttemptAtMs,
    },
  });
}

function expireTimer(atMs: number): Effect {
  return { type: 'setTimer', name: EXPIRE_TIMER, dueAtMs: atMs, msg: { type: 'deliveryExpired' } };
}

/** The delivery is dead: listed in the endpoint's dead letters until replayed or forgotten. */
function die(policy: DeliveryPolicy, state: Started, record: AttemptRecord, ctx: TurnContext): Turn {
  const dead: Started = { ...recorded(state, record), status: 'dead', settledAtMs: ctx.nowMs, nextAttemptAtMs: null };
  return ok<'attemptResult'>(dead, { ok: true }, [
    attemptLogged(dead, record),
    log(dead, {
      type: 'deadLettered',
      entry: {
        deliveryId: dead.deliveryId,
        eventId: dead.event.id,
        eventType: dead.event.type,
        round: dead.round,
        deadAtMs: ctx.nowMs,
        attemptCount: dead.attemptCount,
        lastError: describeAttempt(record),
      },
    }),
    expireTimer(ctx.nowMs + policy.deadRetentionMs),
  ]);
}

/** A failed attempt: the next one on the schedule, or death when it would fall after the window. */
function afterFailure(policy: DeliveryPolicy, state: Started, record: AttemptRecord, ctx: TurnContext): Turn {
  const roundAttempt = state.roundAttempts + 1;
  const dueAtMs = nextAttemptAtMs(policy, state.deliveryId, state.round, roundAttempt, ctx.nowMs, state.windowStartMs);
  if (dueAtMs === null) return die(policy, state, record, ctx);
  const waiting: Started = { ...recorded(state, record), status: 'pending', nextAttemptAtMs: dueAtMs };
  const retry: WebhookDeliveryMsg = { type: 'retryDue', callId: callIdOf(waiting) };
  return ok<'attemptResult'>(waiting, { ok: true }, [
    { type: 'setTimer', name: RETRY_TIMER, dueAtMs, msg: retry },
    attemptLogged(waiting, record),
  ]);
}

// ---------------------------------------------------------------- handlers

function onStart(state: WebhookDeliveryState, msg: Msg<'startDelivery'>, ctx: TurnContext): Turn {
  // The same event published again reaches this very actor (its id derives from endpoint and event): start once.
  if (isStarted(state)) return ok<'startDelivery'>(state, { ok: true, started: false });
  const fresh: Started = {
    ...state,
    orgId: msg.orgId,
    endpointId: msg.endpointId,
    deliveryId: msg.deliveryId,
    event: msg.event,
    status: 'pending',
    round: 1,
    windowStartMs: ctx.nowMs,
    createdAtMs: ctx.nowMs,
  };
  const begun = beginAttempt(fresh);
  return ok<'startDelivery'>(begun.state, { ok: true, started: true }, begun.effects);
}

function onAttemptPrepared(
  policy: DeliveryPolicy,
  state: WebhookDeliveryState,
  msg: Msg<'attemptPrepared'>,
  ctx: TurnContext,
): Turn {
  if (!isStarted(state) || state.inFlight?.callId !== msg.callId || state.inFlight.phase !== 'preparing') {
    return ok<'attemptPrepared'>(state, { ok: true });
  }
  if (!msg.reply.ok) {
    return afterFailure(policy, state, failure(state, ctx, 'internal', `${msg.reply.code}: ${msg.reply.message}`), ctx);
  }
  const prepared = msg.reply.value;
  if (!prepared.ok) {
    if (prepared.code === 'PARLO_WEBHOOK_ENDPOINT_NOT_FOUND') {
      // The endpoint was deleted: nothing to deliver to, and nothing to replay to later.
      const cancelled: Started = { ...state, status: 'cancelled', inFlight: null, settledAtMs: ctx.nowMs };
      return ok<'attemptPrepared'>(cancelled, { ok: true }, [expireTimer(ctx.nowMs + policy.settledRetentionMs)]);
    }
    return afterFailure(policy, state, failure(state, ctx, 'internal', `${prepared.code}: ${prepared.message}`), ctx);
  }
  if (!prepared.enabled) {
    return afterFailure(
      policy,
      state,
      failure(state, ctx, 'disabled', 'the endpoint is disabled; nothing was sent'),
      ctx,
    );
  }
  const request: WebhookDeliveryRequest = {
    orgId: state.orgId,
    endpointId: state.endpointId,
    deliveryId: state.deliveryId,
    attempt: state.attemptCount + 1,
    url: prepared.url,
    secrets: prepared.secrets,
    event: state.event,
  };
  return ok<'attemptPrepared'>({ ...state, inFlight: { callId: msg.callId, phase: 'sending' } }, { ok: true }, [
    {
      type: 'callPort',
      port: WEBHOOKS_OUT_PORT,
      operation: WEBHOOKS_OUT_DELIVER,
      input: request,
      resultType: 'attemptResult',
      callId: msg.callId,
    },
  ]);
}

function onAttemptResult(
  policy: DeliveryPolicy,
  state: WebhookDeliveryState,
  msg: Msg<'attemptResult'>,
  ctx: TurnContext,
): Turn {
  if (!isStarted(state) || state.inFlight?.callId !== msg.callId || state.inFlight.phase !== 'sending') {
    return ok<'attemptResult'>(state, { ok: true });
  }
  const result = msg.result;
  if (!isDeliveryOutcome(result)) {
    // The port threw (PARLO_PORT_FAILED) or is not wired: a fault inside Parlo, retried like any failure.
    const r = result as { code?: unknown; message?: unknown } | null;
    const code = typeof r?.code === 'string' ? r.code : 'PARLO_PORT_FAILED';
    const message = typeof r?.message === 'string' ? r.message : 'the port returned no outcome';
    const detail = `${code}: ${message}`;
    return afterFailure(policy, state, failure(state, ctx, 'internal', detail), ctx);
  }
  if (result.outcome === 'delivered') {
    const record: AttemptRecord = {
      attempt: state.attemptCount + 1,
      round: state.round,
      atMs: ctx.nowMs,
      outcome: 'delivered',
      status: result.status,
      reason: null,
      detail: null,
      durationMs: result.durationMs,
    };
    const delivered: Started = {
      ...recorded(state, record),
      status: 'delivered',
      settledAtMs: ctx.nowMs,
      nextAttemptAtMs: null,
    };
    return ok<'attemptResult'>(delivered, { ok: true }, [
      attemptLogged(delivered, record),
      expireTimer(ctx.nowMs + policy.settledRetentionMs),
    ]);
  }
  const record = failure(state, ctx, result.reason, result.detail, result.status, result.durationMs);
  if (result.status === 410) {
    // 410 Gone: the receiver asks to be left alone. The endpoint is disabled, this delivery dies (replayable once
    // the endpoint is enabled again) and pending deliveries find the endpoint disabled at their next attempt.
    const gone: WebhookEndpointsMsg = {
      type: 'endpointGone',
      endpointId: state.endpointId,
      deliveryId: state.deliveryId,
    };
    const died = die(policy, state, record, ctx);
    return {
      ...died,
      effects: [{ type: 'tell', to: webhookEndpointsAddress(state.orgId), msg: gone }, ...(died.effects ?? [])],
    };
  }
  return afterFailure(policy, state, record, ctx);
}

function onRetryDue(state: WebhookDeliveryState, msg: Msg<'retryDue'>): Turn {
  if (!isStarted(state) || state.status !== 'pending' || state.inFlight !== null || callIdOf(state) !== msg.callId) {
    return ok<'retryDue'>(state, { ok: true });
  }
  const begun = beginAttempt(state);
  return ok<'retryDue'>(begun.state, { ok: true }, begun.effects);
}

/** Another round for a dead delivery: a fresh retry window from now, the same event (and event id). */
function onReplay(state: WebhookDeliveryState, msg: Msg<'replayDelivery'>, ctx: TurnContext): Turn {
  const denied = webhookAccessRefusal(msg.by);
  if (denied) return { state, reply: denied };
  if (!isStarted(state) || state.endpointId !== msg.endpointId) {
    return refuse(state, 'PARLO_WEBHOOK_DELIVERY_NOT_FOUND', 'no such delivery for this endpoint');
  }
  if (state.status !== 'dead') {
    return refuse(
      state,
      'PARLO_WEBHOOK_DELIVERY_NOT_DEAD',
      `the delivery is ${state.status}; only a dead one is replayed`,
    );
  }
  const round = state.round + 1;
  const replayed: Started = {
    ...state,
    status: 'pending',
    round,
    windowStartMs: ctx.nowMs,
    roundAttempts: 0,
    settledAtMs: null,
  };
  const begun = beginAttempt(replayed);
  return ok<'replayDelivery'>(begun.state, { ok: true, deliveryId: state.deliveryId, round }, [
    { type: 'cancelTimer', name: EXPIRE_TIMER },
    log(replayed, { type: 'deadLetterCleared', deliveryId: state.deliveryId, round }),
    ...begun.effects,
  ]);
}

function onGet(state: WebhookDeliveryState, msg: Msg<'getDelivery'>): Turn {
  const denied = webhookAccessRefusal(msg.by);
  if (denied) return { state, reply: denied };
  if (!isStarted(state) || state.endpointId !== msg.endpointId) {
    return refuse(state, 'PARLO_WEBHOOK_DELIVERY_NOT_FOUND', 'no such delivery for this endpoint');
  }
  return ok<'getDelivery'>(state, { ok: true, delivery: deliveryView(state) });
}

/** The retention ended: the delivery is forgotten (and a dead one leaves the dead-letter list). */
function onExpired(state: WebhookDeliveryState): Turn {
  if (!isStarted(state) || state.status === 'pending') return ok<'deliveryExpired'>(state, { ok: true });
  const effects: Effect[] =
    state.status === 'dead'
      ? [log(state, { type: 'deadLetterCleared', deliveryId: state.deliveryId, round: state.round + 1 })]
      : [];
  return ok<'deliveryExpired'>(initialWebhookDeliveryState(), { ok: true }, effects);
}
