import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretBox, silentLogger, type WebhookDeliveryRequest, type WebhookSenderPort } from '../../../core/index.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { loginActor } from '../../../actors/identity/login.actor.ts';
import { sessionActor } from '../../../actors/identity/session.actor.ts';
import { orgActor } from '../../../actors/org/org.actor.ts';
import { createWebhookDeliveryActor } from '../../../actors/webhooks/webhook-delivery.actor.ts';
import { webhookEndpointsActor } from '../../../actors/webhooks/webhook-endpoints.actor.ts';
import {
  webhookEndpointsAddress,
  webhookEventMessage,
  webhookEventMsgId,
  type AnyWebhookEvent,
} from '../../../actors/webhooks/webhook-events.ts';
import { webhookLogActor } from '../../../actors/webhooks/webhook-log.actor.ts';
import { createWebhookSender, type WebhookSender } from '../../../adapters/webhook-http/sender.ts';
import { verifyParloSignature } from '../../../adapters/webhook-http/signature.ts';
import { STRICT_TARGET_POLICY, type TargetPolicy } from '../../../adapters/webhook-http/ssrf.ts';
import { buildHttpApp } from '../app.ts';
import { createAuthenticate } from '../auth/authenticate.ts';
import { apiKeyRoutes } from './api-keys.routes.ts';
import { identityRoutes } from './identity.routes.ts';
import { webhookRoutes } from './webhooks.routes.ts';

/**
 * Outbound webhooks end to end: the REST API, the webhook actors on a real runtime (LMDB in a temp dir, durable
 * timers on a fake clock), the real HTTP adapter (undici) and a real receiver on 127.0.0.1 (loopback allowed by
 * the policy, as `webhooks.allowLoopback` would). The fake clock drives the retries; the receiver checks each
 * signature with the published verifier against that same clock.
 */

const LOOPBACK: TargetPolicy = { ...STRICT_TARGET_POLICY, allowLoopback: true };
const box = SecretBox.fromText(SecretBox.generateKeyText());
const HOUR = 3_600_000;

interface Received {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The fake clock's time when it arrived. */
  readonly atMs: number;
  readonly status: number;
}

let fixture: RuntimeFixture;
let app: FastifyInstance;
let strictApp: FastifyInstance;
let receiver: Server;
let receiverUrl: string;
let received: Received[] = [];
/** Status the receiver answers with next (shifted), then `receiverDefault`. */
let receiverScript: number[] = [];
let receiverDefault = 200;
/** The port implementation the runtime calls; a test may swap it. */
let port: WebhookSenderPort;
const senders: WebhookSender[] = [];
let orgId: string;
let ownerToken: string;
let apiKey: string;

// ---------------------------------------------------------------- helpers

async function call(
  method: string,
  url: string,
  options: { token?: string; key?: string; body?: unknown; on?: FastifyInstance } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.key !== undefined) headers['x-api-key'] = options.key;
  return (options.on ?? app).inject({
    method: method as 'GET',
    url: `/v1${url}`,
    headers,
    ...(options.body === undefined ? {} : { payload: options.body as object }),
  });
}

/** As the API key (clock-proof: sessions expire while the fake clock runs through a retry window). */
const asKey = (method: string, url: string, body?: unknown) =>
  call(method, url, { key: apiKey, ...(body === undefined ? {} : { body }) });

function errorOf(res: LightMyRequestResponse): { code: string; message: string; details?: unknown } {
  return res.json<{ error: { code: string; message: string; details?: unknown } }>().error;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface EndpointBody {
  id: string;
  url: string;
  events: string[];
  enabled: boolean;
  secrets: { id: string; expiresAt: string | null }[];
}

async function createEndpoint(
  url: string,
  events: string[] = ['*'],
): Promise<{ endpoint: EndpointBody; secret: string }> {
  const res = await asKey('POST', '/webhook-endpoints', { url, events });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

let eventCounter = 0;
async function publish(type: 'conversation.resolved' | 'contact.opted_out' = 'conversation.resolved'): Promise<string> {
  const id = `evt_int_${++eventCounter}`;
  const event: AnyWebhookEvent =
    type === 'conversation.resolved'
      ? {
          id,
          type,
          orgId,
          occurredAtMs: fixture.clock.now(),
          data: {
            conversationId: 'c1',
            phoneNumberId: '100000000000002',
            contactWaId: '15551234567',
            resolvedBy: null,
          },
        }
      : {
          id,
          type,
          orgId,
          occurredAtMs: fixture.clock.now(),
          data: { contactId: null, waId: '15551234567', phoneNumberId: null, source: 'keyword', keyword: 'STOP' },
        };
  await fixture.system.tell(webhookEndpointsAddress(orgId), webhookEventMessage(event), {
    msgId: webhookEventMsgId(event),
  });
  return id;
}

interface DeliveryBody {
  id: string;
  status: string;
  attemptCount: number;
  round: number;
  nextAttemptAt: string | null;
  event: { id: string; type: string };
  attempts: { attempt: number; outcome: string; status: number | null; reason: string | null }[];
}

async function deliveryOf(endpointId: string, eventId: string): Promise<DeliveryBody> {
  const listed = await eventually(`a delivery of ${eventId}`, async () => {
    const res = await asKey('GET', `/webhook-endpoints/${endpointId}/deliveries?limit=100`);
    const found = res
      .json<{ data: { deliveryId: string; eventId: string }[] }>()
      .data.find((d) => d.eventId === eventId);
    return found;
  });
  const res = await asKey('GET', `/webhook-endpoints/${endpointId}/deliveries/${listed.deliveryId}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json<DeliveryBody>();
}

/** Runs the fake clock through the delivery's retries until it is settled (or `maxAttempts` were made). */
async function driveDelivery(endpointId: string, eventId: string, maxAttempts = 100): Promise<DeliveryBody> {
  let delivery = await deliveryOf(endpointId, eventId);
  for (;;) {
    const attempts = delivery.attemptCount;
    delivery = await eventually(`attempt ${attempts} of ${eventId} settled`, async () => {
      const d = await deliveryOf(endpointId, eventId);
      return d.attemptCount >= attempts && (d.status !== 'pending' || d.nextAttemptAt !== null) ? d : undefined;
    });
    if (delivery.status !== 'pending' || delivery.attemptCount >= maxAttempts) return delivery;
    await fixture.clock.advanceTo(Math.max(fixture.clock.now(), Date.parse(delivery.nextAttemptAt ?? '')));
    const before = delivery.attemptCount;
    delivery = await eventually(`attempt ${before + 1} of ${eventId}`, async () => {
      const d = await deliveryOf(endpointId, eventId);
      return d.attemptCount > before && (d.status !== 'pending' || d.nextAttemptAt !== null) ? d : undefined;
    });
  }
}

const nowSeconds = (): number => Math.floor(fixture.clock.now() / 1000);

// ---------------------------------------------------------------- setup

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = receiverScript.shift() ?? receiverDefault;
      received.push({
        path: req.url ?? '',
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString('utf8'),
        atMs: fixture.clock.now(),
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  fixture = await startRuntimeFixture({
    definitions: [
      orgActor,
      loginActor,
      sessionActor,
      webhookEndpointsActor,
      createWebhookDeliveryActor(),
      webhookLogActor,
    ],
    ports: { 'webhooks-out': { deliver: (input) => port.deliver(input as WebhookDeliveryRequest) } },
  });
  const realSender = createWebhookSender({
    secretBox: box,
    policy: LOOPBACK,
    timeoutMs: 2_000,
    now: () => fixture.clock.now(),
  });
  senders.push(realSender);
  port = realSender;
  const routes = (policy: TargetPolicy) => [
    ...identityRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
    ...apiKeyRoutes({ system: fixture.system }),
    ...webhookRoutes({ system: fixture.system, secretBox: box, targetPolicy: policy }),
  ];
  const build = (policy: TargetPolicy) =>
    buildHttpApp({
      system: fixture.system,
      metrics: fixture.metrics,
      logger: silentLogger(),
      api: { routes: routes(policy), authenticate: createAuthenticate(fixture.system) },
    });
  app = build(LOOPBACK);
  strictApp = build(STRICT_TARGET_POLICY);

  const signup = await call('POST', '/signup', {
    body: { orgName: 'Hooks Inc', email: 'owner@hooks.test', password: 'correct horse battery staple' },
  });
  expect(signup.statusCode, signup.body).toBe(201);
  const signedUp = signup.json<{ org: { id: string }; tokens: { accessToken: string } }>();
  orgId = signedUp.org.id;
  ownerToken = signedUp.tokens.accessToken;
  const key = await call('POST', '/api-keys', { token: ownerToken, body: { name: 'hooks', scopes: ['webhooks:*'] } });
  expect(key.statusCode, key.body).toBe(201);
  apiKey = key.json<{ key: string }>().key;
});

beforeEach(() => {
  received = [];
  receiverScript = [];
  receiverDefault = 200;
  port = senders[0] as WebhookSender;
});

afterAll(async () => {
  await app?.close();
  await strictApp?.close();
  for (const sender of senders) await sender.close();
  await fixture?.dispose();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
});

// ---------------------------------------------------------------- tests

describe('webhook endpoints API', () => {
  it('creates an endpoint and shows its secret only once', async () => {
    const created = await createEndpoint(`${receiverUrl}/hooks/once`, ['conversation.resolved']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.endpoint).toMatchObject({
      url: `${receiverUrl}/hooks/once`,
      events: ['conversation.resolved'],
      enabled: true,
      secrets: [{ expiresAt: null }],
    });
    const listed = await call('GET', '/webhook-endpoints', { token: ownerToken });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(created.secret);
    expect(listed.body).not.toContain('v1.'); // nor the sealed value
    const one = await asKey('GET', `/webhook-endpoints/${created.endpoint.id}`);
    expect(one.json()).toMatchObject({ id: created.endpoint.id });
    expect(one.body).not.toContain(created.secret);
    expect((await asKey('DELETE', `/webhook-endpoints/${created.endpoint.id}`)).statusCode).toBe(204);
    // Both are in the organisation's audit log, by the API key, without the secret.
    const audited = await eventually('audit entries', async () => {
      const res = await call('GET', '/audit?limit=10', { token: ownerToken });
      const entries = res.json<{ data: { event: string; actor: { id: string }; detail: Record<string, unknown> }[] }>()
        .data;
      const mine = entries.filter((e) => e.detail.endpointId === created.endpoint.id);
      return mine.length === 2 ? mine : undefined;
    });
    expect(audited.map((e) => e.event)).toEqual(['webhookEndpointDeleted', 'webhookEndpointCreated']);
    expect(JSON.stringify(audited)).not.toContain(created.secret);
    const gone = await asKey('GET', `/webhook-endpoints/${created.endpoint.id}`);
    expect([gone.statusCode, errorOf(gone).code]).toEqual([404, 'PARLO_WEBHOOK_ENDPOINT_NOT_FOUND']);
  });

  it.each<[string, unknown, number, string, string]>([
    ['a relative URL', { url: '/hooks' }, 400, 'PARLO_WEBHOOK_URL_INVALID', 'url'],
    ['an ftp URL', { url: 'ftp://hooks.example.com/x' }, 400, 'PARLO_WEBHOOK_URL_INVALID', 'url'],
    ['credentials in the URL', { url: 'https://a:b@hooks.example.com/' }, 400, 'PARLO_WEBHOOK_URL_INVALID', 'url'],
    ['a private address', { url: 'http://10.1.2.3/x' }, 400, 'PARLO_WEBHOOK_URL_FORBIDDEN', 'url'],
    ['cloud metadata', { url: 'http://169.254.169.254/latest' }, 400, 'PARLO_WEBHOOK_URL_FORBIDDEN', 'url'],
    [
      'an unknown event type',
      { url: 'https://h.example.com/', events: ['nope'] },
      400,
      'PARLO_VALIDATION_FAILED',
      'events[0]',
    ],
    [
      '"*" with named types',
      { url: 'https://h.example.com/', events: ['*', 'message.status'] },
      400,
      'PARLO_VALIDATION_FAILED',
      'events',
    ],
    ['no URL', { events: ['*'] }, 400, 'PARLO_VALIDATION_FAILED', 'url'],
    ['an unknown field', { url: 'https://h.example.com/', colour: 'red' }, 400, 'PARLO_VALIDATION_FAILED', 'colour'],
    [
      'a long description',
      { url: 'https://h.example.com/', description: 'x'.repeat(501) },
      400,
      'PARLO_VALIDATION_FAILED',
      'description',
    ],
  ])('refuses %s with a code naming the field', async (_, body, status, code, path) => {
    const res = await asKey('POST', '/webhook-endpoints', body);
    expect(res.statusCode, res.body).toBe(status);
    const error = errorOf(res);
    expect(error.code).toBe(code);
    expect(error.details).toEqual(expect.arrayContaining([expect.objectContaining({ location: 'body', path })]));
  });

  it('refuses bad ids, empty updates and overlong overlaps', async () => {
    const { endpoint } = await createEndpoint('https://hooks.example.com/bad-input');
    const badId = await asKey('GET', '/webhook-endpoints/not-an-id');
    expect([badId.statusCode, errorOf(badId).code]).toEqual([400, 'PARLO_VALIDATION_FAILED']);
    const unknown = await asKey('GET', '/webhook-endpoints/we_0000000000000000');
    expect([unknown.statusCode, errorOf(unknown).code]).toEqual([404, 'PARLO_WEBHOOK_ENDPOINT_NOT_FOUND']);
    const empty = await asKey('PATCH', `/webhook-endpoints/${endpoint.id}`, {});
    expect([empty.statusCode, errorOf(empty).code]).toEqual([400, 'PARLO_VALIDATION_FAILED']);
    const badUrl = await asKey('PATCH', `/webhook-endpoints/${endpoint.id}`, { url: 'http://192.168.1.1/' });
    expect([badUrl.statusCode, errorOf(badUrl).code]).toEqual([400, 'PARLO_WEBHOOK_URL_FORBIDDEN']);
    const overlap = await asKey('POST', `/webhook-endpoints/${endpoint.id}/rotate-secret`, {
      overlapSeconds: 8 * 86400,
    });
    expect([overlap.statusCode, errorOf(overlap).code]).toEqual([400, 'PARLO_VALIDATION_FAILED']);
    const badDelivery = await asKey('GET', `/webhook-endpoints/${endpoint.id}/deliveries/dlv_0000000000000000`);
    expect([badDelivery.statusCode, errorOf(badDelivery).code]).toEqual([404, 'PARLO_WEBHOOK_DELIVERY_NOT_FOUND']);
    const notDead = await asKey('POST', `/webhook-endpoints/${endpoint.id}/dead-letters/dlv_0000000000000000/replay`);
    expect([notDead.statusCode, errorOf(notDead).code]).toEqual([404, 'PARLO_WEBHOOK_DELIVERY_NOT_FOUND']);
    const cursor = await asKey('GET', `/webhook-endpoints/${endpoint.id}/dead-letters?cursor=abc`);
    expect([cursor.statusCode, errorOf(cursor).code]).toEqual([400, 'PARLO_INVALID_CURSOR']);
    await asKey('DELETE', `/webhook-endpoints/${endpoint.id}`);
  });

  it('refuses a loopback target when the installation does not allow it: at creation, and at delivery', async () => {
    const res = await call('POST', '/webhook-endpoints', {
      key: apiKey,
      on: strictApp,
      body: { url: `${receiverUrl}/strict` },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(errorOf(res)).toMatchObject({
      code: 'PARLO_WEBHOOK_URL_FORBIDDEN',
      message: expect.stringContaining('webhooks.allowLoopback'),
    });
    const named = await call('POST', '/webhook-endpoints', {
      key: apiKey,
      on: strictApp,
      body: { url: 'http://localhost:9/x' },
    });
    expect(errorOf(named).code).toBe('PARLO_WEBHOOK_URL_FORBIDDEN');

    // A name that only resolves to loopback passes creation, and is refused by the sender when it resolves.
    const strictSender = createWebhookSender({
      secretBox: box,
      policy: STRICT_TARGET_POLICY,
      timeoutMs: 2_000,
      now: () => fixture.clock.now(),
      resolve: async () => [{ address: '127.0.0.1', family: 4 }],
    });
    senders.push(strictSender);
    port = strictSender;
    const { port: receiverPort } = new URL(receiverUrl);
    const created = await call('POST', '/webhook-endpoints', {
      key: apiKey,
      on: strictApp,
      body: { url: `http://hooks.internal.test:${receiverPort}/x`, events: ['contact.opted_out'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const endpointId = created.json<{ endpoint: { id: string } }>().endpoint.id;
    const eventId = await publish('contact.opted_out');
    const delivery = await eventually('a refused attempt', async () => {
      const d = await deliveryOf(endpointId, eventId);
      return d.attemptCount >= 1 ? d : undefined;
    });
    expect(delivery.attempts[0]).toMatchObject({ outcome: 'failed', reason: 'forbidden', status: null });
    expect(received).toEqual([]);
    await asKey('DELETE', `/webhook-endpoints/${endpointId}`);
  });
});

describe('webhook deliveries', () => {
  it('retries a failing receiver and delivers once, with the same event id, signed verifiably', async () => {
    const { endpoint, secret } = await createEndpoint(`${receiverUrl}/hooks/retry`, ['conversation.resolved']);
    receiverScript = [500, 503, 500];
    const eventId = await publish();
    const delivery = await driveDelivery(endpoint.id, eventId);
    expect(delivery).toMatchObject({ status: 'delivered', attemptCount: 4, round: 1 });
    expect(delivery.attempts.map((a) => [a.attempt, a.outcome, a.status])).toEqual([
      [1, 'failed', 500],
      [2, 'failed', 503],
      [3, 'failed', 500],
      [4, 'delivered', 200],
    ]);
    const mine = received.filter((r) => r.path === '/hooks/retry');
    expect(mine.map((r) => r.status)).toEqual([500, 503, 500, 200]);
    expect(new Set(mine.map((r) => r.headers['parlo-event-id']))).toEqual(new Set([eventId]));
    expect(mine.filter((r) => r.status === 200)).toHaveLength(1);
    for (const r of mine) {
      const t = Math.floor(r.atMs / 1000);
      expect(verifyParloSignature(r.headers['parlo-signature'], r.body, secret, t)).toMatchObject({ ok: true });
      expect(JSON.parse(r.body)).toMatchObject({ id: eventId, type: 'conversation.resolved', orgId });
    }
    // Exponential: each wait about twice the one before.
    const gaps = mine.slice(1).map((r, i) => r.atMs - (mine[i]?.atMs ?? 0));
    expect(gaps[0]).toBeGreaterThanOrEqual(8_000);
    expect(gaps[1]).toBeGreaterThanOrEqual(16_000);
    expect(gaps[2]).toBeGreaterThanOrEqual(32_000);
    // The recent-attempt log, newest first.
    const log = await asKey('GET', `/webhook-endpoints/${endpoint.id}/deliveries?limit=2`);
    const page = log.json<{ data: { attempt: number; deliveryStatus: string }[]; nextCursor: string | null }>();
    expect(page.data.map((a) => [a.attempt, a.deliveryStatus])).toEqual([
      [4, 'delivered'],
      [3, 'pending'],
    ]);
    const next = await asKey('GET', `/webhook-endpoints/${endpoint.id}/deliveries?limit=2&cursor=${page.nextCursor}`);
    expect(next.json<{ data: { attempt: number }[] }>().data.map((a) => a.attempt)).toEqual([2, 1]);
    await asKey('DELETE', `/webhook-endpoints/${endpoint.id}`);
  });

  it('signs with both secrets during a rotation and with the new one only after the previous is revoked', async () => {
    const { endpoint, secret: first } = await createEndpoint(`${receiverUrl}/hooks/rotate`, ['conversation.resolved']);
    const rotated = await asKey('POST', `/webhook-endpoints/${endpoint.id}/rotate-secret`, { overlapSeconds: 3600 });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const { secret: second, endpoint: after } = rotated.json<{ secret: string; endpoint: EndpointBody }>();
    expect(second).not.toBe(first);
    expect(after.secrets).toHaveLength(2);
    expect(after.secrets[1]?.expiresAt).toBe(new Date(fixture.clock.now() + HOUR).toISOString());

    const during = await publish();
    await driveDelivery(endpoint.id, during);
    const signed = received.find((r) => r.headers['parlo-event-id'] === during);
    expect(signed?.headers['parlo-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);
    for (const secret of [first, second]) {
      expect(
        verifyParloSignature(signed?.headers['parlo-signature'], signed?.body ?? '', secret, nowSeconds()),
      ).toMatchObject({
        ok: true,
      });
    }

    const revoked = await asKey('DELETE', `/webhook-endpoints/${endpoint.id}/previous-secrets`);
    expect(revoked.json()).toMatchObject({ revoked: 1 });
    const later = await publish();
    await driveDelivery(endpoint.id, later);
    const signedLater = received.find((r) => r.headers['parlo-event-id'] === later);
    const header = signedLater?.headers['parlo-signature'];
    expect(verifyParloSignature(header, signedLater?.body ?? '', second, nowSeconds())).toMatchObject({ ok: true });
    expect(verifyParloSignature(header, signedLater?.body ?? '', first, nowSeconds())).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    await asKey('DELETE', `/webhook-endpoints/${endpoint.id}`);
  });

  it('dead-letters a delivery whose receiver is down past 24 h, lists it, and replays it to delivery', async () => {
    // A port nobody listens on: connection refused at every attempt.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { endpoint, secret } = await createEndpoint(`http://127.0.0.1:${deadPort}/down`, ['contact.opted_out']);
    const startedAt = fixture.clock.now();
    const first = await publish('contact.opted_out');
    const second = await publish('contact.opted_out');
    const dead = await driveDelivery(endpoint.id, first);
    expect(dead.status).toBe('dead');
    expect(dead.attempts.every((a) => a.reason === 'network')).toBe(true);
    expect(fixture.clock.now() - startedAt).toBeGreaterThan(22 * HOUR);
    expect(fixture.clock.now() - startedAt).toBeLessThanOrEqual(24 * HOUR);
    expect((await driveDelivery(endpoint.id, second)).status).toBe('dead');

    const listed = await eventually('two dead letters', async () => {
      const res = await asKey('GET', `/webhook-endpoints/${endpoint.id}/dead-letters`);
      const data = res.json<{ data: { deliveryId: string; eventId: string; lastError: string }[] }>().data;
      return data.length === 2 ? data : undefined;
    });
    expect(listed.map((d) => d.eventId).sort()).toEqual([first, second].sort());
    expect(listed[0]?.lastError).toContain('ECONNREFUSED');

    // The customer fixes the URL, then replays one dead letter, then all the rest.
    const fixed = await asKey('PATCH', `/webhook-endpoints/${endpoint.id}`, { url: `${receiverUrl}/fixed` });
    expect(fixed.statusCode, fixed.body).toBe(200);
    const firstId = listed.find((d) => d.eventId === first)?.deliveryId ?? '';
    const replay = await asKey('POST', `/webhook-endpoints/${endpoint.id}/dead-letters/${firstId}/replay`);
    expect(replay.statusCode, replay.body).toBe(202);
    expect(replay.json()).toEqual({ deliveryId: firstId, round: 2, status: 'pending' });
    const again = await asKey('POST', `/webhook-endpoints/${endpoint.id}/dead-letters/${firstId}/replay`);
    expect([again.statusCode, errorOf(again).code]).toEqual([409, 'PARLO_WEBHOOK_DELIVERY_NOT_DEAD']);
    expect(await driveDelivery(endpoint.id, first)).toMatchObject({ status: 'delivered', round: 2 });
    const all = await asKey('POST', `/webhook-endpoints/${endpoint.id}/dead-letters/replay`);
    expect(all.statusCode, all.body).toBe(202);
    expect(all.json()).toMatchObject({ replayed: 1 });
    expect(await driveDelivery(endpoint.id, second)).toMatchObject({ status: 'delivered', round: 2 });
    await eventually('an empty dead-letter list', async () => {
      const res = await asKey('GET', `/webhook-endpoints/${endpoint.id}/dead-letters`);
      return res.json<{ data: unknown[] }>().data.length === 0 ? true : undefined;
    });
    const arrived = received.filter((r) => r.path === '/fixed');
    expect(arrived.map((r) => r.headers['parlo-event-id']).sort()).toEqual([first, second].sort());
    for (const r of arrived) {
      expect(
        verifyParloSignature(r.headers['parlo-signature'], r.body, secret, Math.floor(r.atMs / 1000)),
      ).toMatchObject({
        ok: true,
      });
    }
    await asKey('DELETE', `/webhook-endpoints/${endpoint.id}`);
  });

  it('sends a test event, and disables the endpoint when the receiver answers 410 Gone', async () => {
    const { endpoint } = await createEndpoint(`${receiverUrl}/hooks/test`, ['campaign.finished']);
    const sent = await asKey('POST', `/webhook-endpoints/${endpoint.id}/test`);
    expect(sent.statusCode, sent.body).toBe(202);
    const { deliveryId, eventId } = sent.json<{ deliveryId: string; eventId: string }>();
    const delivered = await eventually('the test event', async () => {
      const res = await asKey('GET', `/webhook-endpoints/${endpoint.id}/deliveries/${deliveryId}`);
      const d = res.json<DeliveryBody>();
      return d.status === 'delivered' ? d : undefined;
    });
    expect(delivered.event).toMatchObject({ id: eventId, type: 'webhook.test' });
    expect(received.find((r) => r.headers['parlo-event-id'] === eventId)?.headers['parlo-event-type']).toBe(
      'webhook.test',
    );

    receiverDefault = 410;
    const gone = await asKey('POST', `/webhook-endpoints/${endpoint.id}/test`);
    const goneId = gone.json<{ deliveryId: string }>().deliveryId;
    await eventually('the endpoint disabled', async () => {
      const res = await asKey('GET', `/webhook-endpoints/${endpoint.id}`);
      return res.json<{ enabled: boolean }>().enabled ? undefined : res.json();
    });
    expect((await asKey('GET', `/webhook-endpoints/${endpoint.id}`)).json()).toMatchObject({
      enabled: false,
      disabledReason: 'gone',
    });
    const goneDelivery = await asKey('GET', `/webhook-endpoints/${endpoint.id}/deliveries/${goneId}`);
    expect(goneDelivery.json()).toMatchObject({ status: 'dead' });
    const refused = await asKey('POST', `/webhook-endpoints/${endpoint.id}/dead-letters/${goneId}/replay`);
    expect([refused.statusCode, errorOf(refused).code]).toEqual([409, 'PARLO_WEBHOOK_ENDPOINT_DISABLED']);
    const test = await asKey('POST', `/webhook-endpoints/${endpoint.id}/test`);
    expect([test.statusCode, errorOf(test).code]).toEqual([409, 'PARLO_WEBHOOK_ENDPOINT_DISABLED']);
    const enabled = await asKey('PATCH', `/webhook-endpoints/${endpoint.id}`, { enabled: true });
    expect(enabled.json()).toMatchObject({ enabled: true, disabledReason: null });
    await asKey('DELETE', `/webhook-endpoints/${endpoint.id}`);
  });
});
