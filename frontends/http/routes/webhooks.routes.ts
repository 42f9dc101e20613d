import { randomBytes } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import { DELIVERY_ID_PATTERN } from '../../../actors/webhooks/retry.ts';
import type { WebhookCaller } from '../../../actors/webhooks/webhook-caller.ts';
import {
  webhookDeliveryAddress,
  type AttemptRecord,
  type WebhookDeliveryMsg,
  type WebhookDeliveryReply,
} from '../../../actors/webhooks/webhook-delivery.messages.ts';
import {
  DEFAULT_SECRET_OVERLAP_MS,
  MAX_ENDPOINTS_PER_ORG,
  MAX_SECRET_OVERLAP_MS,
  type EndpointView,
  type EventFilter,
  type WebhookEndpointsMsg,
  type WebhookEndpointsReply,
} from '../../../actors/webhooks/webhook-endpoints.messages.ts';
import { WEBHOOK_EVENT_TYPES, webhookEndpointsAddress } from '../../../actors/webhooks/webhook-events.ts';
import {
  MAX_LOG_PAGE,
  webhookLogAddress,
  type WebhookLogMsg,
  type WebhookLogReply,
} from '../../../actors/webhooks/webhook-log.messages.ts';
import { SIGNING_SECRET_PREFIX, signingSecretContext } from '../../../adapters/webhook-http/signature.ts';
import { MAX_WEBHOOK_URL_LENGTH, checkWebhookUrl, type TargetPolicy } from '../../../adapters/webhook-http/ssrf.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { PageQuery, decodeCursor, encodeCursor, pageSchema } from '../api/pagination.ts';
import { callerOf, okOrThrow } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';

/**
 * Outbound webhooks: the organisation's endpoints (URL, event filter, enabled flag, signing secrets), a test event,
 * the recent delivery attempts, the dead-letter list and its replay. Callable with a session or an API key holding
 * `webhooks:manage` (scope `webhooks:*`); the actors check the permission again. Signing secrets are generated
 * and sealed here (SecretBox, context `webhook:<orgId>:<endpointId>:<secretId>`): the actors only store the sealed
 * value, and the API shows a secret once, when it is created or rotated. See docs/webhooks.md.
 */
export interface WebhookRoutesDeps {
  readonly system: ActorSystem;
  /** Seals new signing secrets (the composition root's SecretBox). */
  readonly secretBox: { seal(plaintext: string, context: string): string };
  /** The SSRF policy from config (`webhooks.allow*`): URLs with literal addresses are checked at once. */
  readonly targetPolicy: TargetPolicy;
  /**
   * Called after an endpoint was created, changed or deleted: the webhook ingestion path caches which event types
   * the organisation's endpoints want, and drops that cache at once (other nodes refresh it within seconds).
   */
  readonly onEndpointsChanged?: (orgId: string) => void;
}

// ---------------------------------------------------------------- ids and schemas

export const ENDPOINT_ID_PATTERN = /^we_[0-9a-f]{16}$/;
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');
const newEndpointId = (): string => `we_${hex(8)}`;
const newSecretId = (): string => `ws_${hex(8)}`;
const newEventId = (): string => `evt_${hex(12)}`;
const newSigningSecret = (): string => `${SIGNING_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;

const EndpointId = z.string().regex(ENDPOINT_ID_PATTERN, 'must be a webhook endpoint id (we_ + 16 hex characters)');
const DeliveryId = z.string().regex(DELIVERY_ID_PATTERN, 'must be a webhook delivery id (dlv_ + 16 hex characters)');
const Timestamp = z.string().describe('ISO 8601, UTC.');

const EVENT_CHOICES = ['*', ...WEBHOOK_EVENT_TYPES] as const;
const EventsInput = z
  .array(z.enum(EVENT_CHOICES))
  .min(1)
  .max(EVENT_CHOICES.length)
  .refine((events) => !events.includes('*') || events.length === 1, {
    message: '"*" (every event type) cannot be combined with named event types',
  })
  .describe(`The event types to receive, or ["*"] for every type: ${WEBHOOK_EVENT_TYPES.join(', ')}.`);
const UrlInput = z
  .string()
  .min(1)
  .max(MAX_WEBHOOK_URL_LENGTH)
  .describe(
    'An absolute http(s) URL without credentials or fragment. Private, loopback and link-local targets are refused unless the installation allows them.',
  );
const DescriptionInput = z.string().trim().max(500);

const SecretSummary = z
  .object({
    id: z.string(),
    createdAt: Timestamp,
    expiresAt: Timestamp.nullable().describe('When a previous secret stops signing; null for the current one.'),
  })
  .meta({ id: 'WebhookSigningSecret' });

const WebhookEndpoint = z
  .object({
    id: z.string(),
    url: z.string(),
    description: z.string(),
    events: z.array(z.string()).describe('Event types delivered, or ["*"] for all.'),
    enabled: z.boolean(),
    disabledReason: z
      .enum(['gone'])
      .nullable()
      .describe('"gone": the receiver answered 410 Gone, so the endpoint was disabled; enable it to resume.'),
    secrets: z.array(SecretSummary).describe('Active signing secrets, current first (two during a rotation).'),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'WebhookEndpoint' });

const WebhookEndpointWithSecret = z
  .object({
    endpoint: WebhookEndpoint,
    secret: z.string().describe('The new signing secret (whsec_…), shown only in this response.'),
  })
  .meta({ id: 'WebhookEndpointWithSecret' });

const AttemptFields = {
  attempt: z.number().int(),
  round: z.number().int().describe('1 for the first 24 h window; each replay starts the next.'),
  at: Timestamp,
  outcome: z.enum(['delivered', 'failed']),
  status: z.number().int().nullable().describe("The receiver's HTTP status, if it answered."),
  reason: z
    .enum(['http', 'timeout', 'network', 'forbidden', 'secret', 'disabled', 'internal'])
    .nullable()
    .describe('Why a failed attempt failed.'),
  detail: z.string().nullable(),
  durationMs: z.number().int(),
};

const WebhookDeliveryAttempt = z
  .object({
    deliveryId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    ...AttemptFields,
    deliveryStatus: z.enum(['pending', 'delivered', 'dead', 'cancelled']),
    nextAttemptAt: Timestamp.nullable(),
  })
  .meta({ id: 'WebhookDeliveryAttempt' });

const WebhookEventBody = z
  .object({
    id: z.string(),
    type: z.string(),
    created: Timestamp,
    orgId: z.string(),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'WebhookEvent' });

const WebhookDelivery = z
  .object({
    id: z.string(),
    endpointId: z.string(),
    status: z.enum(['pending', 'delivered', 'dead', 'cancelled']),
    round: z.number().int(),
    attemptCount: z.number().int(),
    nextAttemptAt: Timestamp.nullable(),
    createdAt: Timestamp,
    settledAt: Timestamp.nullable(),
    event: WebhookEventBody,
    attempts: z.array(z.object(AttemptFields)).describe('The newest 50 attempts, oldest first.'),
  })
  .meta({ id: 'WebhookDelivery' });

const WebhookDeadLetter = z
  .object({
    deliveryId: z.string(),
    eventId: z.string(),
    eventType: z.string(),
    round: z.number().int(),
    deadAt: Timestamp,
    attemptCount: z.number().int(),
    lastError: z.string().nullable(),
  })
  .meta({ id: 'WebhookDeadLetter' });

const LogCursor = z.object({ before: z.number().int() });

const Replayed = z.object({
  deliveryId: z.string(),
  round: z.number().int(),
  status: z.literal('pending'),
});

// ---------------------------------------------------------------- helpers

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

function endpointBody(e: EndpointView) {
  return {
    id: e.endpointId,
    url: e.url,
    description: e.description,
    events: e.events === null ? ['*'] : [...e.events],
    enabled: e.enabled,
    disabledReason: e.disabledReason,
    secrets: e.secrets.map((s) => ({
      id: s.secretId,
      createdAt: iso(s.createdAtMs),
      expiresAt: isoOrNull(s.expiresAtMs),
    })),
    createdAt: iso(e.createdAtMs),
    updatedAt: iso(e.updatedAtMs),
  };
}

function attemptBody(a: AttemptRecord) {
  return {
    attempt: a.attempt,
    round: a.round,
    at: iso(a.atMs),
    outcome: a.outcome,
    status: a.status,
    reason: a.reason,
    detail: a.detail,
    durationMs: a.durationMs,
  };
}

function eventFilterOf(events: readonly (typeof EVENT_CHOICES)[number][]): EventFilter {
  if (events.includes('*')) return null;
  return [...new Set(events)].filter((e): e is (typeof WEBHOOK_EVENT_TYPES)[number] => e !== '*');
}

/** The caller as the webhook actors check it: a user's role, or a key's scopes. */
function webhookCallerOf(request: FastifyRequest): { orgId: string; by: WebhookCaller } {
  const caller = callerOf(request);
  return caller.kind === 'user'
    ? { orgId: caller.orgId, by: { kind: 'user', userId: caller.userId, role: caller.role } }
    : { orgId: caller.orgId, by: { kind: 'apiKey', keyId: caller.keyId, scopes: caller.scopes } };
}

const ENDPOINT_CHANGES: ReadonlySet<WebhookEndpointsMsg['type']> = new Set([
  'createEndpoint',
  'updateEndpoint',
  'deleteEndpoint',
]);

function routesActors(system: ActorSystem, onEndpointsChanged: ((orgId: string) => void) | undefined) {
  return {
    endpoints: async <T extends WebhookEndpointsMsg['type']>(
      orgId: string,
      msg: Extract<WebhookEndpointsMsg, { type: T }>,
    ) => {
      const reply = await system.ask<WebhookEndpointsReply<T>>(webhookEndpointsAddress(orgId), msg);
      if (ENDPOINT_CHANGES.has(msg.type)) onEndpointsChanged?.(orgId);
      return reply;
    },
    delivery: <T extends WebhookDeliveryMsg['type']>(
      orgId: string,
      deliveryId: string,
      msg: Extract<WebhookDeliveryMsg, { type: T }>,
    ) => system.ask<WebhookDeliveryReply<T>>(webhookDeliveryAddress(orgId, deliveryId), msg),
    log: <T extends WebhookLogMsg['type']>(
      orgId: string,
      endpointId: string,
      msg: Extract<WebhookLogMsg, { type: T }>,
    ) => system.ask<WebhookLogReply<T>>(webhookLogAddress(orgId, endpointId), msg),
  };
}

// ---------------------------------------------------------------- routes

export function webhookRoutes(deps: WebhookRoutesDeps): ApiRoute[] {
  const actors = routesActors(deps.system, deps.onEndpointsChanged);

  /** The URL as the customer gave it, checked (format, credentials, SSRF on literal addresses) and normalised. */
  function checkedUrl(text: string): string {
    const checked = checkWebhookUrl(text, deps.targetPolicy);
    if (checked.ok) return checked.url;
    throw new ParloError(checked.code, `body.url: ${checked.message}`, [
      { location: 'body', path: 'url', rule: checked.rule, message: checked.message },
    ]);
  }

  function sealSecret(
    orgId: string,
    endpointId: string,
  ): { secret: string; sealed: { secretId: string; sealed: string } } {
    const secretId = newSecretId();
    const secret = newSigningSecret();
    return {
      secret,
      sealed: { secretId, sealed: deps.secretBox.seal(secret, signingSecretContext(orgId, endpointId, secretId)) },
    };
  }

  /** The endpoint (404 if it is not the caller's organisation's); every per-endpoint route starts here. */
  async function endpointOf(orgId: string, by: WebhookCaller, endpointId: string): Promise<EndpointView> {
    return okOrThrow(await actors.endpoints<'getEndpoint'>(orgId, { type: 'getEndpoint', endpointId, by })).endpoint;
  }

  function enabledOrThrow(endpoint: EndpointView): void {
    if (!endpoint.enabled) {
      throw new ParloError(
        'PARLO_WEBHOOK_ENDPOINT_DISABLED',
        `webhook endpoint ${endpoint.endpointId} is disabled; enable it first (PATCH {"enabled": true})`,
      );
    }
  }

  const common = { tags: ['webhooks'], auth: 'any', scopes: ['webhooks:manage'] } as const;
  const endpointParams = z.object({ endpointId: EndpointId });
  const deliveryParams = z.object({ endpointId: EndpointId, deliveryId: DeliveryId });

  const createWebhookEndpoint = defineRoute({
    ...common,
    method: 'POST',
    url: '/webhook-endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Create a webhook endpoint (its signing secret is returned once)',
    description: `An organisation has at most ${MAX_ENDPOINTS_PER_ORG} endpoints. Events are POSTed as JSON, signed with the Parlo-Signature header (docs/webhooks.md).`,
    body: z.object({
      url: UrlInput,
      events: EventsInput.default(['*']),
      description: DescriptionInput.default(''),
      enabled: z.boolean().default(true),
    }),
    responses: { 201: WebhookEndpointWithSecret },
    async handler({ body, request }) {
      const { orgId, by } = webhookCallerOf(request);
      const url = checkedUrl(body.url);
      const endpointId = newEndpointId();
      const { secret, sealed } = sealSecret(orgId, endpointId);
      const created = okOrThrow(
        await actors.endpoints<'createEndpoint'>(orgId, {
          type: 'createEndpoint',
          endpointId,
          url,
          description: body.description,
          events: eventFilterOf(body.events),
          enabled: body.enabled,
          secret: sealed,
          by,
        }),
      );
      return { status: 201, body: { endpoint: endpointBody(created.endpoint), secret } };
    },
  });

  const listWebhookEndpoints = defineRoute({
    ...common,
    method: 'GET',
    url: '/webhook-endpoints',
    operationId: 'listWebhookEndpoints',
    summary: "The organisation's webhook endpoints, oldest first (never their secrets)",
    responses: { 200: z.object({ data: z.array(WebhookEndpoint) }) },
    async handler({ request }) {
      const { orgId, by } = webhookCallerOf(request);
      const listed = okOrThrow(await actors.endpoints<'listEndpoints'>(orgId, { type: 'listEndpoints', by }));
      return { status: 200, body: { data: listed.endpoints.map(endpointBody) } };
    },
  });

  const getWebhookEndpoint = defineRoute({
    ...common,
    method: 'GET',
    url: '/webhook-endpoints/:endpointId',
    operationId: 'getWebhookEndpoint',
    summary: 'A webhook endpoint',
    params: endpointParams,
    responses: { 200: WebhookEndpoint },
    async handler({ params, request }) {
      const { orgId, by } = webhookCallerOf(request);
      return { status: 200, body: endpointBody(await endpointOf(orgId, by, params.endpointId)) };
    },
  });

  const updateWebhookEndpoint = defineRoute({
    ...common,
    method: 'PATCH',
    url: '/webhook-endpoints/:endpointId',
    operationId: 'updateWebhookEndpoint',
    summary: "Change a webhook endpoint's URL, events, description or enabled flag",
    description: 'Deliveries already scheduled use the new URL and flag at their next attempt.',
    params: endpointParams,
    body: z
      .object({
        url: UrlInput.optional(),
        events: EventsInput.optional(),
        description: DescriptionInput.optional(),
        enabled: z.boolean().optional(),
      })
      .refine((b) => Object.values(b).some((v) => v !== undefined), {
        message: 'give at least one of url, events, description, enabled',
      }),
    responses: { 200: WebhookEndpoint },
    async handler({ params, body, request }) {
      const { orgId, by } = webhookCallerOf(request);
      const updated = okOrThrow(
        await actors.endpoints<'updateEndpoint'>(orgId, {
          type: 'updateEndpoint',
          endpointId: params.endpointId,
          ...(body.url === undefined ? {} : { url: checkedUrl(body.url) }),
          ...(body.events === undefined ? {} : { events: eventFilterOf(body.events) }),
          ...(body.description === undefined ? {} : { description: body.description }),
          ...(body.enabled === undefined ? {} : { enabled: body.enabled }),
          by,
        }),
      );
      return { status: 200, body: endpointBody(updated.endpoint) };
    },
  });

  const deleteWebhookEndpoint = defineRoute({
    ...common,
    method: 'DELETE',
    url: '/webhook-endpoints/:endpointId',
    operationId: 'deleteWebhookEndpoint',
    summary: 'Delete a webhook endpoint; its pending deliveries are cancelled',
    params: endpointParams,
    responses: { 204: null },
    async handler({ params, request }) {
      const { orgId, by } = webhookCallerOf(request);
      okOrThrow(
        await actors.endpoints<'deleteEndpoint'>(orgId, { type: 'deleteEndpoint', endpointId: params.endpointId, by }),
      );
      return { status: 204 };
    },
  });

  const rotateWebhookSecret = defineRoute({
    ...common,
    method: 'POST',
    url: '/webhook-endpoints/:endpointId/rotate-secret',
    operationId: 'rotateWebhookSecret',
    summary: 'Rotate the signing secret (the new one is returned once)',
    description:
      'The previous secret keeps signing for overlapSeconds (default 86400: 24 h), so each request carries two v1 signatures meanwhile; 0 revokes it at once. At most two secrets are active: one still in an earlier overlap is dropped.',
    params: endpointParams,
    body: z.object({
      overlapSeconds: z
        .number()
        .int()
        .min(0)
        .max(MAX_SECRET_OVERLAP_MS / 1000)
        .default(DEFAULT_SECRET_OVERLAP_MS / 1000)
        .describe('How long the previous secret keeps signing; 0 revokes it at once.'),
    }),
    responses: { 200: WebhookEndpointWithSecret },
    async handler({ params, body, request }) {
      const { orgId, by } = webhookCallerOf(request);
      const { secret, sealed } = sealSecret(orgId, params.endpointId);
      const rotated = okOrThrow(
        await actors.endpoints<'rotateSecret'>(orgId, {
          type: 'rotateSecret',
          endpointId: params.endpointId,
          secret: sealed,
          overlapMs: body.overlapSeconds * 1000,
          by,
        }),
      );
      return { status: 200, body: { endpoint: endpointBody(rotated.endpoint), secret } };
    },
  });

  const revokePreviousWebhookSecrets = defineRoute({
    ...common,
    method: 'DELETE',
    url: '/webhook-endpoints/:endpointId/previous-secrets',
    operationId: 'revokePreviousWebhookSecrets',
    summary: "End a rotation's overlap now: only the current secret signs from here on",
    params: endpointParams,
    responses: { 200: z.object({ endpoint: WebhookEndpoint, revoked: z.number().int() }) },
    async handler({ params, request }) {
      const { orgId, by } = webhookCallerOf(request);
      const revoked = okOrThrow(
        await actors.endpoints<'revokePreviousSecrets'>(orgId, {
          type: 'revokePreviousSecrets',
          endpointId: params.endpointId,
          by,
        }),
      );
      return { status: 200, body: { endpoint: endpointBody(revoked.endpoint), revoked: revoked.revoked } };
    },
  });

  const sendWebhookTestEvent = defineRoute({
    ...common,
    method: 'POST',
    url: '/webhook-endpoints/:endpointId/test',
    operationId: 'sendWebhookTestEvent',
    summary: 'Send a webhook.test event to the endpoint (whatever its event filter)',
    description: 'Delivered like any event (signed, retried); follow it with GET …/deliveries/{deliveryId}.',
    params: endpointParams,
    responses: { 202: z.object({ deliveryId: z.string(), eventId: z.string() }) },
    async handler({ params, request }) {
      const { orgId, by } = webhookCallerOf(request);
      const sent = okOrThrow(
        await actors.endpoints<'sendTestEvent'>(orgId, {
          type: 'sendTestEvent',
          endpointId: params.endpointId,
          eventId: newEventId(),
          by,
        }),
      );
      return { status: 202, body: { deliveryId: sent.deliveryId, eventId: sent.eventId } };
    },
  });

  const listWebhookDeliveries = defineRoute({
    ...common,
    method: 'GET',
    url: '/webhook-endpoints/:endpointId/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: "The endpoint's most recent delivery attempts (the newest 100 are kept), newest first",
    params: endpointParams,
    query: PageQuery,
    responses: { 200: pageSchema(WebhookDeliveryAttempt) },
    async handler({ params, query, request }) {
      const { orgId, by } = webhookCallerOf(request);
      await endpointOf(orgId, by, params.endpointId);
      const before = decodeCursor(query.cursor, LogCursor)?.before;
      const listed = okOrThrow(
        await actors.log<'listAttempts'>(orgId, params.endpointId, {
          type: 'listAttempts',
          by,
          limit: Math.min(query.limit, MAX_LOG_PAGE),
          ...(before === undefined ? {} : { before }),
        }),
      );
      return {
        status: 200,
        body: {
          data: listed.entries.map((e) => ({
            deliveryId: e.deliveryId,
            eventId: e.eventId,
            eventType: e.eventType,
            attempt: e.attempt,
            round: e.round,
            at: iso(e.atMs),
            outcome: e.outcome,
            status: e.status,
            reason: e.reason,
            detail: e.detail,
            durationMs: e.durationMs,
            deliveryStatus: e.deliveryStatus,
            nextAttemptAt: isoOrNull(e.nextAttemptAtMs),
          })),
          nextCursor: listed.nextBefore === null ? null : encodeCursor({ before: listed.nextBefore }),
        },
      };
    },
  });

  const getWebhookDelivery = defineRoute({
    ...common,
    method: 'GET',
    url: '/webhook-endpoints/:endpointId/deliveries/:deliveryId',
    operationId: 'getWebhookDelivery',
    summary: 'One delivery: its event, status and attempts',
    params: deliveryParams,
    responses: { 200: WebhookDelivery },
    async handler({ params, request }) {
      const { orgId, by } = webhookCallerOf(request);
      await endpointOf(orgId, by, params.endpointId);
      const { delivery } = okOrThrow(
        await actors.delivery<'getDelivery'>(orgId, params.deliveryId, {
          type: 'getDelivery',
          endpointId: params.endpointId,
          by,
        }),
      );
      return {
        status: 200,
        body: {
          id: delivery.deliveryId,
          endpointId: delivery.endpointId,
          status: delivery.status,
          round: delivery.round,
          attemptCount: delivery.attemptCount,
          nextAttemptAt: isoOrNull(delivery.nextAttemptAtMs),
          createdAt: iso(delivery.createdAtMs),
          settledAt: isoOrNull(delivery.settledAtMs),
          event: {
            id: delivery.event.id,
            type: delivery.event.type,
            created: iso(delivery.event.occurredAtMs),
            orgId: delivery.event.orgId,
            data: delivery.event.data,
          },
          attempts: delivery.attempts.map(attemptBody),
        },
      };
    },
  });

  const listWebhookDeadLetters = defineRoute({
    ...common,
    method: 'GET',
    url: '/webhook-endpoints/:endpointId/dead-letters',
    operationId: 'listWebhookDeadLetters',
    summary: 'Deliveries that failed for the whole retry window (newest 500 kept), newest first',
    params: endpointParams,
    query: PageQuery,
    responses: { 200: pageSchema(WebhookDeadLetter) },
    async handler({ params, query, request }) {
      const { orgId, by } = webhookCallerOf(request);
      await endpointOf(orgId, by, params.endpointId);
      const before = decodeCursor(query.cursor, LogCursor)?.before;
      const listed = okOrThrow(
        await actors.log<'listDeadLetters'>(orgId, params.endpointId, {
          type: 'listDeadLetters',
          by,
          limit: Math.min(query.limit, MAX_LOG_PAGE),
          ...(before === undefined ? {} : { before }),
        }),
      );
      return {
        status: 200,
        body: {
          data: listed.entries.map((e) => ({
            deliveryId: e.deliveryId,
            eventId: e.eventId,
            eventType: e.eventType,
            round: e.round,
            deadAt: iso(e.deadAtMs),
            attemptCount: e.attemptCount,
            lastError: e.lastError,
          })),
          nextCursor: listed.nextBefore === null ? null : encodeCursor({ before: listed.nextBefore }),
        },
      };
    },
  });

  const replayWebhookDeadLetter = defineRoute({
    ...common,
    method: 'POST',
    url: '/webhook-endpoints/:endpointId/dead-letters/:deliveryId/replay',
    operationId: 'replayWebhookDeadLetter',
    summary: 'Replay a dead delivery: the same event (same id) with a fresh retry window',
    params: deliveryParams,
    responses: { 202: Replayed },
    async handler({ params, request }) {
      const { orgId, by } = webhookCallerOf(request);
      enabledOrThrow(await endpointOf(orgId, by, params.endpointId));
      const replayed = okOrThrow(
        await actors.delivery<'replayDelivery'>(orgId, params.deliveryId, {
          type: 'replayDelivery',
          endpointId: params.endpointId,
          by,
        }),
      );
      return {
        status: 202,
        body: { deliveryId: replayed.deliveryId, round: replayed.round, status: 'pending' as const },
      };
    },
  });

  const replayAllWebhookDeadLetters = defineRoute({
    ...common,
    method: 'POST',
    url: '/webhook-endpoints/:endpointId/dead-letters/replay',
    operationId: 'replayAllWebhookDeadLetters',
    summary: 'Replay every listed dead delivery of the endpoint',
    params: endpointParams,
    responses: { 202: z.object({ replayed: z.number().int(), deliveryIds: z.array(z.string()) }) },
    async handler({ params, request }) {
      const { orgId, by } = webhookCallerOf(request);
      enabledOrThrow(await endpointOf(orgId, by, params.endpointId));
      const replayed = okOrThrow(
        await actors.log<'replayDeadLetters'>(orgId, params.endpointId, {
          type: 'replayDeadLetters',
          endpointId: params.endpointId,
          by,
        }),
      );
      return { status: 202, body: { replayed: replayed.replayed, deliveryIds: [...replayed.deliveryIds] } };
    },
  });

  return [
    createWebhookEndpoint,
    listWebhookEndpoints,
    getWebhookEndpoint,
    updateWebhookEndpoint,
    deleteWebhookEndpoint,
    rotateWebhookSecret,
    revokePreviousWebhookSecrets,
    sendWebhookTestEvent,
    listWebhookDeliveries,
    getWebhookDelivery,
    listWebhookDeadLetters,
    replayWebhookDeadLetter,
    replayAllWebhookDeadLetters,
  ];
}
