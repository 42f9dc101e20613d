import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ParloError, silentLogger } from '../../../core/index.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { loginActor } from '../../../actors/identity/login.actor.ts';
import { sessionActor } from '../../../actors/identity/session.actor.ts';
import { idempotencyActor } from '../../../actors/idempotency/idempotency.actor.ts';
import { IDEMPOTENCY_KIND } from '../../../actors/idempotency/idempotency.messages.ts';
import { orgActor } from '../../../actors/org/org.actor.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { idempotencyRecordId, PUBLIC_SCOPE, requestFingerprint } from '../api/idempotency.ts';
import type { OpenApiDocument } from '../api/openapi.ts';
import { buildHttpApp } from '../app.ts';
import { createAuthenticate } from '../auth/authenticate.ts';
import { apiKeyRoutes } from '../routes/api-keys.routes.ts';
import { identityRoutes } from '../routes/identity.routes.ts';
import { actorIdempotency, actorIdempotencyStore, DEFAULT_IDEMPOTENCY_LEASE_MS } from './idempotency-store.ts';

/**
 * Idempotency-Key end to end: fastify inject → register-routes → the `idempotency` actor on a real LMDB (temp dir)
 * with a fake clock, through the real identity and API-key routes plus a few test routes that count their calls.
 */

const HOUR_MS = 60 * 60 * 1000;
const RETENTION_MS = 24 * HOUR_MS;
const PASSWORD = 'correct horse battery staple';

let fixture: RuntimeFixture;
let app: FastifyInstance;
let owner: { orgId: string; userId: string; token: string };
let admin: { token: string };
let other: { orgId: string; token: string };
let apiKey: string;

/** Calls of the test routes, by route. */
const calls = { echo: 0, slow: 0, refuse: 0, flaky: 0, busy: 0 };
let releaseSlow: (() => void) | undefined;
let slowStarted: (() => void) | undefined;

function testRoutes(): ApiRoute[] {
  const counted = z.object({ n: z.number().int(), calls: z.number().int() });
  return [
    defineRoute({
      method: 'POST',
      url: '/tests/echo',
      operationId: 'testEcho',
      summary: 'Counts and echoes',
      tags: ['tests'],
      auth: 'any',
      body: z.object({ n: z.number().int() }),
      responses: { 201: counted },
      handler({ body, reply }) {
        calls.echo += 1;
        reply.header('location', `/v1/tests/echo/${calls.echo}`);
        return { status: 201, body: { n: body.n, calls: calls.echo } };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/tests/slow',
      operationId: 'testSlow',
      summary: 'Waits for the test to let it finish',
      tags: ['tests'],
      auth: 'any',
      responses: { 201: z.object({ calls: z.number().int() }) },
      async handler() {
        calls.slow += 1;
        slowStarted?.();
        await new Promise<void>((resolve) => (releaseSlow = resolve));
        return { status: 201, body: { calls: calls.slow } };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/tests/refuse',
      operationId: 'testRefuse',
      summary: 'Refuses with a 4xx ParloError',
      tags: ['tests'],
      auth: 'any',
      responses: { 204: null },
      handler() {
        calls.refuse += 1;
        throw new ParloError('PARLO_INVITE_EXPIRED', `refused on call ${calls.refuse}`);
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/tests/flaky',
      operationId: 'testFlaky',
      summary: 'Fails unexpectedly on its first call',
      tags: ['tests'],
      auth: 'any',
      responses: { 201: z.object({ calls: z.number().int() }) },
      handler() {
        calls.flaky += 1;
        if (calls.flaky === 1) throw new Error('a bug on the first call');
        return { status: 201, body: { calls: calls.flaky } };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/tests/busy',
      operationId: 'testBusy',
      summary: 'Says "not now" once',
      tags: ['tests'],
      auth: 'any',
      responses: { 204: null },
      handler() {
        calls.busy += 1;
        if (calls.busy === 1) {
          throw new ParloError('PARLO_RATE_LIMITED', 'not now', { retryAfterSeconds: 1, limit: 'credential' });
        }
        return { status: 204 };
      },
    }),
  ];
}

async function buildApp(): Promise<void> {
  await app?.close();
  const routes = [
    ...identityRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
    ...apiKeyRoutes({ system: fixture.system }),
    ...testRoutes(),
  ];
  app = buildHttpApp({
    system: fixture.system,
    metrics: fixture.metrics,
    logger: silentLogger(),
    api: {
      routes,
      authenticate: createAuthenticate(fixture.system),
      idempotency: actorIdempotency(fixture.system, { retentionMs: RETENTION_MS }),
    },
  });
  await app.ready();
}

interface Call {
  readonly token?: string;
  readonly key?: string;
  readonly idem?: string;
  readonly body?: unknown;
}

function call(url: string, options: Call = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.key !== undefined) headers['x-api-key'] = options.key;
  if (options.idem !== undefined) headers['idempotency-key'] = options.idem;
  return app.inject({
    method: 'POST',
    url: `/v1${url}`,
    headers,
    ...(options.body === undefined ? {} : { payload: options.body as object }),
  });
}

async function signUp(orgName: string, email: string) {
  const res = await call('/signup', { body: { orgName, email, password: PASSWORD } });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ org: { id: string }; user: { id: string }; tokens: { accessToken: string } }>();
  return { orgId: body.org.id, userId: body.user.id, token: body.tokens.accessToken };
}

function errorCode(res: LightMyRequestResponse): string | undefined {
  return res.json<{ error?: { code?: string } }>().error?.code;
}

function stateOf(scope: string, key: string): unknown {
  return fixture.store.readState(IDEMPOTENCY_KIND, idempotencyRecordId(scope, key));
}

async function apiKeyCount(token: string): Promise<number> {
  const res = await app.inject({ url: '/v1/api-keys', headers: { authorization: `Bearer ${token}` } });
  return res.json<{ data: unknown[] }>().data.length;
}

beforeAll(async () => {
  fixture = await startRuntimeFixture({ definitions: [orgActor, loginActor, sessionActor, idempotencyActor] });
  await buildApp();
  owner = await signUp('Idem Inc', 'owner@idem.test');
  other = await signUp('Other Inc', 'owner@other-idem.test');
  const invite = await call('/invites', { token: owner.token, body: { email: 'admin@idem.test', role: 'admin' } });
  const { inviteId, token } = invite.json<{ inviteId: string; token: string }>();
  const accepted = await call('/invites/accept', { body: { inviteId, token, password: PASSWORD } });
  admin = { token: accepted.json<{ tokens: { accessToken: string } }>().tokens.accessToken };
  const created = await call('/api-keys', { token: owner.token, body: { name: 'idem', scopes: ['read'] } });
  apiKey = created.json<{ key: string }>().key;
});

afterAll(async () => {
  await app.close();
  await fixture.dispose();
});

describe('Idempotency-Key on POST routes', () => {
  it('replays the first response (same status, body and Location) instead of creating twice', async () => {
    const before = await apiKeyCount(owner.token);
    const body = { name: 'crm', scopes: ['read'] };
    const first = await call('/api-keys', { token: owner.token, idem: 'create-crm-1', body });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await call('/api-keys', { token: owner.token, idem: 'create-crm-1', body });
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(again.body).toBe(first.body); // the very key secret, shown once, is what a retry needs
    expect(await apiKeyCount(owner.token)).toBe(before + 1);
    // At rest the stored body is sealed with a key derived from the Idempotency-Key: the secret is not in LMDB.
    const created = first.json<{ id: string; key: string }>();
    const secret = created.key.slice(`parlo_${created.id}_`.length);
    expect(secret.length).toBeGreaterThan(20);
    const stored = JSON.stringify(stateOf(owner.orgId, 'create-crm-1'));
    expect(stored).toContain('"phase":"completed"');
    expect(stored).not.toContain(secret);

    const echo = await call('/tests/echo', { key: apiKey, idem: 'echo-1', body: { n: 7 } });
    const echoAgain = await call('/tests/echo', { key: apiKey, idem: 'echo-1', body: { n: 7 } });
    expect(echo.headers.location).toBe(`/v1/tests/echo/${calls.echo}`);
    expect(echoAgain.headers.location).toBe(echo.headers.location);
    expect(echoAgain.body).toBe(echo.body);
    // Key order and whitespace do not make another request.
    const reordered = await app.inject({
      method: 'POST',
      url: '/v1/tests/echo',
      headers: { 'x-api-key': apiKey, 'idempotency-key': 'create-crm-2', 'content-type': 'application/json' },
      payload: '{ "n": 1 }',
    });
    expect(reordered.statusCode).toBe(201);
  });

  it('runs every request without the header', async () => {
    const before = calls.echo;
    await call('/tests/echo', { key: apiKey, body: { n: 1 } });
    await call('/tests/echo', { key: apiKey, body: { n: 1 } });
    expect(calls.echo).toBe(before + 2);
  });

  it('answers 422 for the same key with another body, route or caller; other organisations are separate', async () => {
    const first = await call('/tests/echo', { key: apiKey, idem: 'reuse-1', body: { n: 1 } });
    expect(first.statusCode).toBe(201);
    const otherBody = await call('/tests/echo', { key: apiKey, idem: 'reuse-1', body: { n: 2 } });
    expect(otherBody.statusCode).toBe(422);
    expect(errorCode(otherBody)).toBe('PARLO_IDEMPOTENCY_KEY_REUSED');
    const otherRoute = await call('/tests/flaky', { key: apiKey, idem: 'reuse-1' });
    expect(errorCode(otherRoute)).toBe('PARLO_IDEMPOTENCY_KEY_REUSED');
    // Another member of the same organisation never receives this caller's response.
    const otherCaller = await call('/tests/echo', { token: admin.token, idem: 'reuse-1', body: { n: 1 } });
    expect(errorCode(otherCaller)).toBe('PARLO_IDEMPOTENCY_KEY_REUSED');
    // Another organisation's key of the same text is another key.
    const otherOrg = await call('/tests/echo', { token: other.token, idem: 'reuse-1', body: { n: 2 } });
    expect(otherOrg.statusCode).toBe(201);
    expect(otherOrg.headers['idempotent-replayed']).toBeUndefined();
  });

  it('answers 409 with Retry-After while the first request with the key still runs', async () => {
    const started = new Promise<void>((resolve) => (slowStarted = resolve));
    const first = call('/tests/slow', { key: apiKey, idem: 'slow-1' });
    await started;
    const concurrent = await call('/tests/slow', { key: apiKey, idem: 'slow-1' });
    expect(concurrent.statusCode).toBe(409);
    expect(errorCode(concurrent)).toBe('PARLO_IDEMPOTENCY_IN_FLIGHT');
    expect(concurrent.headers['retry-after']).toBe('5');
    expect(calls.slow).toBe(1);
    releaseSlow?.();
    const done = await first;
    expect(done.statusCode).toBe(201);
    const replay = await call('/tests/slow', { key: apiKey, idem: 'slow-1' });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(done.body);
    expect(calls.slow).toBe(1);
  });

  it('stores nothing for a request that fails validation, and refuses a malformed key', async () => {
    const invalid = await call('/api-keys', { token: owner.token, idem: 'validate-1', body: { name: '' } });
    expect(invalid.statusCode).toBe(400);
    await fixture.store.durable();
    expect(stateOf(owner.orgId, 'validate-1')).toBeUndefined();
    const valid = await call('/api-keys', {
      token: owner.token,
      idem: 'validate-1',
      body: { name: 'later', scopes: ['read'] },
    });
    expect(valid.statusCode, valid.body).toBe(201);
    expect(valid.headers['idempotent-replayed']).toBeUndefined();

    for (const bad of ['', 'x'.repeat(256), 'tab\there', 'é']) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/tests/echo',
        headers: { 'x-api-key': apiKey, 'idempotency-key': bad },
        payload: { n: 1 },
      });
      expect(res.statusCode, JSON.stringify(bad)).toBe(400);
      expect(res.json()).toMatchObject({
        error: {
          code: 'PARLO_VALIDATION_FAILED',
          details: [{ location: 'headers', path: 'idempotency-key', rule: 'pattern' }],
        },
      });
    }
    expect((await call('/tests/echo', { key: apiKey, idem: `a b${'~'.repeat(252)}`, body: { n: 1 } })).statusCode).toBe(
      201,
    );
  });

  it('replays a refusal (ParloError 4xx) of the handler without running it again', async () => {
    const first = await call('/tests/refuse', { key: apiKey, idem: 'refuse-1' });
    expect(first.statusCode).toBe(410);
    expect(errorCode(first)).toBe('PARLO_INVITE_EXPIRED');
    const again = await call('/tests/refuse', { key: apiKey, idem: 'refuse-1' });
    expect(again.statusCode).toBe(410);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(calls.refuse).toBe(1);

    // A real route: signing up with a taken email is refused, and the retry is refused the same way.
    const taken = { orgName: 'Again', email: 'owner@idem.test', password: PASSWORD };
    const refused = await call('/signup', { idem: 'signup-taken', body: taken });
    expect(errorCode(refused)).toBe('PARLO_EMAIL_TAKEN');
    const retried = await call('/signup', { idem: 'signup-taken', body: taken });
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(retried.body).toBe(refused.body);
    expect(stateOf(PUBLIC_SCOPE, 'signup-taken')).toMatchObject({ s: { record: { phase: 'completed' } } });
  });

  it('releases the key after an unexpected error or a 429, so that a retry runs again', async () => {
    const failed = await call('/tests/flaky', { key: apiKey, idem: 'flaky-1' });
    expect(failed.statusCode).toBe(500);
    await fixture.store.durable();
    expect(stateOf(owner.orgId, 'flaky-1')).toBeUndefined();
    const retried = await call('/tests/flaky', { key: apiKey, idem: 'flaky-1' });
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
    expect((await call('/tests/flaky', { key: apiKey, idem: 'flaky-1' })).headers['idempotent-replayed']).toBe('true');
    expect(calls.flaky).toBe(2);

    expect((await call('/tests/busy', { key: apiKey, idem: 'busy-1' })).statusCode).toBe(429);
    expect((await call('/tests/busy', { key: apiKey, idem: 'busy-1' })).statusCode).toBe(204);
    expect(calls.busy).toBe(2);
  });

  it('keeps a record across a restart of the node', async () => {
    const first = await call('/tests/echo', { key: apiKey, idem: 'restart-1', body: { n: 3 } });
    expect(first.statusCode).toBe(201);
    await fixture.restart();
    await buildApp();
    const replay = await call('/tests/echo', { key: apiKey, idem: 'restart-1', body: { n: 3 } });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
  });

  it('forgets a claim left in flight (its node died) once the lease ends', async () => {
    const recordId = idempotencyRecordId(owner.orgId, 'crashed-1');
    const store = actorIdempotencyStore(fixture.system, { retentionMs: RETENTION_MS });
    // A claim whose request never completes nor releases: what a node that crashed mid-request leaves behind.
    const keyId = /^parlo_([^_]+)_/.exec(apiKey)?.[1] ?? '';
    const fingerprint = requestFingerprint(
      { method: 'POST', operationId: 'testEcho', principal: `apiKey:${keyId}`, params: {}, query: {}, body: { n: 0 } },
      owner.orgId,
      'crashed-1',
    );
    expect(await store.claim(recordId, fingerprint)).toMatchObject({ outcome: 'new' });
    expect(errorCode(await call('/tests/echo', { key: apiKey, idem: 'crashed-1', body: { n: 0 } }))).toBe(
      'PARLO_IDEMPOTENCY_IN_FLIGHT',
    );
    await fixture.clock.advance(DEFAULT_IDEMPOTENCY_LEASE_MS);
    await fixture.system.whenIdle();
    await fixture.store.durable();
    expect(fixture.store.readState(IDEMPOTENCY_KIND, recordId)).toBeUndefined();
    const retried = await call('/tests/echo', { key: apiKey, idem: 'crashed-1', body: { n: 0 } });
    expect(retried.statusCode).toBe(201);
    expect(retried.headers['idempotent-replayed']).toBeUndefined();
  });

  it('forgets a response after the retention: the key is new again and its LMDB entry is gone', async () => {
    const first = await call('/tests/echo', { key: apiKey, idem: 'retained-1', body: { n: 5 } });
    expect(first.statusCode).toBe(201);
    expect(stateOf(owner.orgId, 'retained-1')).toBeDefined();
    await fixture.clock.advance(RETENTION_MS - 1);
    expect((await call('/tests/echo', { key: apiKey, idem: 'retained-1', body: { n: 5 } })).headers).toMatchObject({
      'idempotent-replayed': 'true',
    });
    await fixture.clock.advance(1);
    await fixture.system.whenIdle();
    await fixture.store.durable();
    expect(stateOf(owner.orgId, 'retained-1')).toBeUndefined();
    const fresh = await call('/tests/echo', { key: apiKey, idem: 'retained-1', body: { n: 6 } });
    expect(fresh.statusCode).toBe(201);
    expect(fresh.headers['idempotent-replayed']).toBeUndefined();
  });

  it('declares the optional header and its 409/422 answers on POST operations of the OpenAPI document', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json<OpenApiDocument>();
    const post = doc.paths['/v1/api-keys']?.post;
    expect(post?.parameters).toContainEqual(
      expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false }),
    );
    expect(Object.keys(post?.responses ?? {})).toEqual(expect.arrayContaining(['400', '409', '422']));
    const get = doc.paths['/v1/api-keys']?.get;
    expect(get?.parameters.some((p) => p.name === 'Idempotency-Key')).toBe(false);
    expect(Object.keys(get?.responses ?? {})).not.toContain('422');
  });
});
