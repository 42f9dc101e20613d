import { defineActor, refusal, unreachable, type Effect, type TurnContext, type TurnResult } from '../../core/index.ts';
import { ORG_KIND, type AuditActor, type AuditDetail, type AuditEvent, type OrgMsg } from '../org/org.messages.ts';
import { own, withEntry, without } from '../org/org.state.ts';
import { deliveryIdOf } from './retry.ts';
import { webhookAccessRefusal, type WebhookCaller } from './webhook-caller.ts';
import { webhookDeliveryAddress, type WebhookDeliveryMsg } from './webhook-delivery.messages.ts';
import {
  MAX_ENDPOINTS_PER_ORG,
  WEBHOOK_ENDPOINTS_KIND,
  secretTimerName,
  type WebhookEndpointsErrorCode,
  type WebhookEndpointsMsg,
  type WebhookEndpointsReplies,
} from './webhook-endpoints.messages.ts';
import {
  activeSecrets,
  endpointView,
  endpointWants,
  initialWebhookEndpointsState,
  isEmptyWebhookEndpointsState,
  type Endpoint,
  type SigningSecret,
  type WebhookEndpointsState,
} from './webhook-endpoints.state.ts';
import {
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_TEST_EVENT_TYPE,
  webhookEventProblem,
  type AnyWebhookEvent,
  type WebhookEventType,
} from './webhook-events.ts';
import { webhookLogAddress, type WebhookLogMsg } from './webhook-log.messages.ts';

/**
 * One organisation's outbound webhook endpoints (id = org id). It is the authority on each endpoint's URL, event
 * filter, enabled flag and signing secrets, and fans published events out: one `webhook-delivery` actor per
 * (event, endpoint), whose id is derived from both, so an event published twice starts each delivery once.
 *
 * Publishing and preparing attempts change nothing here, so the hot path commits no new state for this actor.
 */
type Turn = TurnResult<WebhookEndpointsState>;
type Msg<T extends WebhookEndpointsMsg['type']> = Extract<WebhookEndpointsMsg, { type: T }>;

export const webhookEndpointsActor = defineActor<WebhookEndpointsState, WebhookEndpointsMsg>({
  kind: WEBHOOK_ENDPOINTS_KIND,
  stateVersion: 1,
  initialState: () => initialWebhookEndpointsState(),
  isEmpty: isEmptyWebhookEndpointsState,
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'createEndpoint':
        return onCreate(state, msg, ctx);
      case 'updateEndpoint':
        return onUpdate(state, msg, ctx);
      case 'deleteEndpoint':
        return onDelete(state, msg, ctx);
      case 'getEndpoint':
        return onGet(state, msg, ctx);
      case 'listEndpoints':
        return onList(state, msg, ctx);
      case 'getSubscribedEventTypes':
        return ok<'getSubscribedEventTypes'>(state, { ok: true, eventTypes: subscribedEventTypes(state) });
      case 'rotateSecret':
        return onRotateSecret(state, msg, ctx);
      case 'revokePreviousSecrets':
        return onRevokePreviousSecrets(state, msg, ctx);
      case 'secretExpired':
        return onSecretExpired(state, msg, ctx);
      case 'publishEvent':
        return onPublishEvent(state, msg, ctx);
      case 'sendTestEvent':
        return onSendTestEvent(state, msg, ctx);
      case 'prepareAttempt':
        return onPrepareAttempt(state, msg, ctx);
      case 'endpointGone':
        return onEndpointGone(state, msg, ctx);
      default:
        return unreachable(msg);
    }
  },
});

// ---------------------------------------------------------------- helpers

function refuse(state: WebhookEndpointsState, code: WebhookEndpointsErrorCode, message: string): Turn {
  return { state, reply: refusal(code, message) };
}

function ok<T extends keyof WebhookEndpointsReplies>(
  state: WebhookEndpointsState,
  reply: WebhookEndpointsReplies[T],
  effects?: readonly Effect[],
): Turn {
  return effects && effects.length > 0 ? { state, effects, reply } : { state, reply };
}

/** The caller may manage webhooks and the endpoint exists; else the refusal. */
function authorisedEndpoint(
  state: WebhookEndpointsState,
  by: WebhookCaller,
  endpointId: string,
): { endpoint: Endpoint } | { refused: Turn } {
  const denied = webhookAccessRefusal(by);
  if (denied) return { refused: { state, reply: denied } };
  const endpoint = own(state.endpoints, endpointId);
  if (!endpoint) {
    return { refused: refuse(state, 'PARLO_WEBHOOK_ENDPOINT_NOT_FOUND', `no webhook endpoint ${endpointId}`) };
  }
  return { endpoint };
}

/** An entry in the organisation's audit log (the org actor keeps it). */
function audit(orgId: string, event: AuditEvent, by: WebhookCaller | null, detail: AuditDetail): Effect {
  const actor: AuditActor =
    by === null
      ? { kind: 'system', id: 'webhooks' }
      : by.kind === 'user'
        ? { kind: 'user', id: by.userId }
        : { kind: 'apiKey', id: by.keyId };
  const msg: OrgMsg = { type: 'recordAudit', event, actor, detail };
  return { type: 'tell', to: { kind: ORG_KIND, id: orgId }, msg };
}

function put(state: WebhookEndpointsState, endpointId: string, endpoint: Endpoint): WebhookEndpointsState {
  return { endpoints: withEntry(state.endpoints, endpointId, endpoint) };
}

function startDelivery(
  orgId: string,
  endpointId: string,
  event: AnyWebhookEvent,
): { deliveryId: string; effect: Effect } {
  const deliveryId = deliveryIdOf(endpointId, event.id);
  const msg: WebhookDeliveryMsg = { type: 'startDelivery', orgId, endpointId, deliveryId, event };
  return { deliveryId, effect: { type: 'tell', to: webhookDeliveryAddress(orgId, deliveryId), msg } };
}

// ---------------------------------------------------------------- management

function onCreate(state: WebhookEndpointsState, msg: Msg<'createEndpoint'>, ctx: TurnContext): Turn {
  const denied = webhookAccessRefusal(msg.by);
  if (denied) return { state, reply: denied };
  if (own(state.endpoints, msg.endpointId)) {
    return refuse(state, 'PARLO_ID_CONFLICT', `webhook endpoint id ${msg.endpointId} is already used`);
  }
  if (Object.keys(state.endpoints).length >= MAX_ENDPOINTS_PER_ORG) {
    return refuse(
      state,
      'PARLO_WEBHOOK_ENDPOINT_LIMIT',
      `an organisation has at most ${MAX_ENDPOINTS_PER_ORG} webhook endpoints; delete one first`,
    );
  }
  const endpoint: Endpoint = {
    url: msg.url,
    description: msg.description,
    events: msg.events === null ? null : [...new Set(msg.events)],
    enabled: msg.enabled,
    disabledReason: null,
    secrets: [{ ...msg.secret, createdAtMs: ctx.nowMs, expiresAtMs: null }],
    createdAtMs: ctx.nowMs,
    updatedAtMs: ctx.nowMs,
  };
  const next = put(state, msg.endpointId, endpoint);
  return ok<'createEndpoint'>(next, { ok: true, endpoint: endpointView(msg.endpointId, endpoint, ctx.nowMs) }, [
    audit(ctx.self.id, 'webhookEndpointCreated', msg.by, {
      endpointId: msg.endpointId,
      url: msg.url,
      events: endpoint.events === null ? '*' : endpoint.events.join(' '),
      enabled: msg.enabled,
    }),
  ]);
}

function onUpdate(state: WebhookEndpointsState, msg: Msg<'updateEndpoint'>, ctx: TurnContext): Turn {
  const found = authorisedEndpoint(state, msg.by, msg.endpointId);
  if ('refused' in found) return found.refused;
  const { endpoint } = found;
  const enabled = msg.enabled ?? endpoint.enabled;
  const updated: Endpoint = {
    ...endpoint,
    url: msg.url ?? endpoint.url,
    description: msg.description ?? endpoint.description,
    events: msg.events === undefined ? endpoint.events : msg.events === null ? null : [...new Set(msg.events)],
    enabled,
    // Enabling again clears why it was disabled.
    disabledReason: enabled ? null : endpoint.disabledReason,
    updatedAtMs: ctx.nowMs,
  };
  const changed: AuditDetail = { endpointId: msg.endpointId };
  if (msg.url !== undefined && msg.url !== endpoint.url) changed.url = msg.url;
  if (msg.events !== undefined) changed.events = updated.events === null ? '*' : updated.events.join(' ');
  if (msg.enabled !== undefined) changed.enabled = msg.enabled;
  if (msg.description !== undefined) changed.descriptionChanged = true;
  return ok<'updateEndpoint'>(
    put(state, msg.endpointId, updated),
    { ok: true, endpoint: endpointView(msg.endpointId, updated, ctx.nowMs) },
    [audit(ctx.self.id, 'webhookEndpointUpdated', msg.by, changed)],
  );
}

function onDelete(state: WebhookEndpointsState, msg: Msg<'deleteEndpoint'>, ctx: TurnContext): Turn {
  const found = authorisedEndpoint(state, msg.by, msg.endpointId);
  if ('refused' in found) return found.refused;
  const clearLog: WebhookLogMsg = { type: 'endpointDeleted' };
  const effects: Effect[] = [
    ...found.endpoint.secrets.map((s): Effect => ({
      type: 'cancelTimer',
      name: secretTimerName(msg.endpointId, s.secretId),
    })),
    { type: 'tell', to: webhookLogAddress(ctx.self.id, msg.endpointId), msg: clearLog },
    audit(ctx.self.id, 'webhookEndpointDeleted', msg.by, { endpointId: msg.endpointId, url: found.endpoint.url }),
  ];
  // Pending deliveries learn it at their next attempt (prepareAttempt answers "not found") and are cancelled.
  return ok<'deleteEndpoint'>(
    { endpoints: without(state.endpoints, msg.endpointId) },
    { ok: true, endpointId: msg.endpointId },
    effects,
  );
}

function onGet(state: WebhookEndpointsState, msg: Msg<'getEndpoint'>, ctx: TurnContext): Turn {
  const found = authorisedEndpoint(state, msg.by, msg.endpointId);
  if ('refused' in found) return found.refused;
  return ok<'getEndpoint'>(state, { ok: true, endpoint: endpointView(msg.endpointId, found.endpoint, ctx.nowMs) });
}

function onList(state: WebhookEndpointsState, msg: Msg<'listEndpoints'>, ctx: TurnContext): Turn {
  const denied = webhookAccessRefusal(msg.by);
  if (denied) return { state, reply: denied };
  const endpoints = Object.entries(state.endpoints)
    .map(([id, e]) => endpointView(id, e, ctx.nowMs))
    .sort((a, b) => a.createdAtMs - b.createdAtMs || a.endpointId.localeCompare(b.endpointId));
  return ok<'listEndpoints'>(state, { ok: true, endpoints });
}

function subscribedEventTypes(state: WebhookEndpointsState): WebhookEventType[] {
  const endpoints = Object.values(state.endpoints);
  return WEBHOOK_EVENT_TYPES.filter((type) => endpoints.some((endpoint) => endpointWants(endpoint, type)));
}

// ---------------------------------------------------------------- secrets

/**
 * The new secret becomes current. The previous current one keeps signing for `overlapMs` (a durable timer ends
 * it), so receivers can switch without rejecting anything; with 0 it stops at once. At most two secrets are active
 * (MAX_ACTIVE_SECRETS): a secret still in an earlier rotation's overlap is dropped now.
 */
function onRotateSecret(state: WebhookEndpointsState, msg: Msg<'rotateSecret'>, ctx: TurnContext): Turn {
  const found = authorisedEndpoint(state, msg.by, msg.endpointId);
  if ('refused' in found) return found.refused;
  const { endpoint } = found;
  const active = activeSecrets(endpoint, ctx.nowMs);
  const [current] = active;
  const effects: Effect[] = endpoint.secrets
    .filter((s) => s !== current)
    .map((s) => ({ type: 'cancelTimer', name: secretTimerName(msg.endpointId, s.secretId) }));
  const fresh: SigningSecret = { ...msg.secret, createdAtMs: ctx.nowMs, expiresAtMs: null };
  const secrets: SigningSecret[] = [fresh];
  if (current && msg.overlapMs > 0) {
    const expiresAtMs = ctx.nowMs + msg.overlapMs;
    secrets.push({ ...current, expiresAtMs });
    effects.push({
      type: 'setTimer',
      name: secretTimerName(msg.endpointId, current.secretId),
      dueAtMs: expiresAtMs,
      msg: {
        type: 'secretExpired',
        endpointId: msg.endpointId,
        secretId: current.secretId,
      } satisfies WebhookEndpointsMsg,
    });
  }
  const updated: Endpoint = { ...endpoint, secrets, updatedAtMs: ctx.nowMs };
  effects.push(
    audit(ctx.self.id, 'webhookSecretRotated', msg.by, {
      endpointId: msg.endpointId,
      secretId: fresh.secretId,
      previousSecretId: current?.secretId ?? null,
      overlapSeconds: Math.round(msg.overlapMs / 1000),
    }),
  );
  return ok<'rotateSecret'>(
    put(state, msg.endpointId, updated),
    { ok: true, endpoint: endpointView(msg.endpointId, updated, ctx.nowMs) },
    effects,
  );
}

function onRevokePreviousSecrets(
  state: WebhookEndpointsState,
  msg: Msg<'revokePreviousSecrets'>,
  ctx: TurnContext,
): Turn {
  const found = authorisedEndpoint(state, msg.by, msg.endpointId);
  if ('refused' in found) return found.refused;
  const { endpoint } = found;
  const revoked = endpoint.secrets.length - 1;
  if (revoked <= 0) {
    return ok<'revokePreviousSecrets'>(state, {
      ok: true,
      endpoint: endpointView(msg.endpointId, endpoint, ctx.nowMs),
      revoked: 0,
    });
  }
  const updated: Endpoint = { ...endpoint, secrets: endpoint.secrets.slice(0, 1), updatedAtMs: ctx.nowMs };
  const effects = endpoint.secrets
    .slice(1)
    .map((s): Effect => ({ type: 'cancelTimer', name: secretTimerName(msg.endpointId, s.secretId) }));
  effects.push(
    audit(ctx.self.id, 'webhookSecretRotated', msg.by, {
      endpointId: msg.endpointId,
      secretId: endpoint.secrets[0]?.secretId ?? null,
      previousSecretsRevoked: revoked,
    }),
  );
  return ok<'revokePreviousSecrets'>(
    put(state, msg.endpointId, updated),
    { ok: true, endpoint: endpointView(msg.endpointId, updated, ctx.nowMs), revoked },
    effects,
  );
}

function onSecretExpired(state: WebhookEndpointsState, msg: Msg<'secretExpired'>, ctx: TurnContext): Turn {
  const endpoint = own(state.endpoints, msg.endpointId);
  const secret = endpoint?.secrets.find((s) => s.secretId === msg.secretId);
  if (!endpoint || !secret || secret.expiresAtMs === null || secret.expiresAtMs > ctx.nowMs) {
    return ok<'secretExpired'>(state, { ok: true, removed: false });
  }
  const updated: Endpoint = { ...endpoint, secrets: endpoint.secrets.filter((s) => s !== secret) };
  return ok<'secretExpired'>(put(state, msg.endpointId, updated), { ok: true, removed: true });
}

// ---------------------------------------------------------------- events and deliveries

function onPublishEvent(state: WebhookEndpointsState, msg: Msg<'publishEvent'>, ctx: TurnContext): Turn {
  const problem = webhookEventProblem(msg.event, ctx.self.id);
  // Events come from Parlo's own actors: a malformed one is a bug. Throwing dead-letters the message with
  // PARLO_HANDLER_FAILED (logged, counted), rather than dropping it quietly.
  if (problem !== null) throw new Error(`publishEvent: ${problem}`);
  const deliveryIds: string[] = [];
  const effects: Effect[] = [];
  for (const [endpointId, endpoint] of Object.entries(state.endpoints)) {
    if (!endpointWants(endpoint, msg.event.type)) continue;
    const started = startDelivery(ctx.self.id, endpointId, msg.event);
    deliveryIds.push(started.deliveryId);
    effects.push(started.effect);
  }
  return ok<'publishEvent'>(state, { ok: true, deliveryIds }, effects);
}

function onSendTestEvent(state: WebhookEndpointsState, msg: Msg<'sendTestEvent'>, ctx: TurnContext): Turn {
  const found = authorisedEndpoint(state, msg.by, msg.endpointId);
  if ('refused' in found) return found.refused;
  if (!found.endpoint.enabled) {
    return refuse(state, 'PARLO_WEBHOOK_ENDPOINT_DISABLED', `webhook endpoint ${msg.endpointId} is disabled`);
  }
  const event: AnyWebhookEvent = {
    id: msg.eventId,
    type: WEBHOOK_TEST_EVENT_TYPE,
    orgId: ctx.self.id,
    occurredAtMs: ctx.nowMs,
    data: { endpointId: msg.endpointId, message: 'A test event from Parlo: your endpoint is reachable.' },
  };
  const started = startDelivery(ctx.self.id, msg.endpointId, event);
  return ok<'sendTestEvent'>(state, { ok: true, deliveryId: started.deliveryId, eventId: msg.eventId }, [
    started.effect,
  ]);
}

function onPrepareAttempt(state: WebhookEndpointsState, msg: Msg<'prepareAttempt'>, ctx: TurnContext): Turn {
  const endpoint = own(state.endpoints, msg.endpointId);
  if (!endpoint) return refuse(state, 'PARLO_WEBHOOK_ENDPOINT_NOT_FOUND', `no webhook endpoint ${msg.endpointId}`);
  return ok<'prepareAttempt'>(state, {
    ok: true,
    url: endpoint.url,
    enabled: endpoint.enabled,
    secrets: activeSecrets(endpoint, ctx.nowMs).map((s) => ({ secretId: s.secretId, sealed: s.sealed })),
  });
}

/** The receiver said 410 Gone: it asks not to be called again, so the endpoint is disabled (not deleted). */
function onEndpointGone(state: WebhookEndpointsState, msg: Msg<'endpointGone'>, ctx: TurnContext): Turn {
  const endpoint = own(state.endpoints, msg.endpointId);
  if (!endpoint || !endpoint.enabled) return ok<'endpointGone'>(state, { ok: true, disabled: false });
  const updated: Endpoint = { ...endpoint, enabled: false, disabledReason: 'gone', updatedAtMs: ctx.nowMs };
  return ok<'endpointGone'>(put(state, msg.endpointId, updated), { ok: true, disabled: true }, [
    audit(ctx.self.id, 'webhookEndpointDisabled', null, {
      endpointId: msg.endpointId,
      reason: 'the receiver answered 410 Gone',
      deliveryId: msg.deliveryId,
    }),
  ]);
}
