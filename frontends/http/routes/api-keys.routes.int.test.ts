import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/index.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { loginActor } from '../../../actors/identity/login.actor.ts';
import { sessionActor } from '../../../actors/identity/session.actor.ts';
import { orgActor } from '../../../actors/org/org.actor.ts';
import { buildHttpApp } from '../app.ts';
import { createAuthenticate } from '../auth/authenticate.ts';
import { apiKeyRoutes } from './api-keys.routes.ts';
import { ApiKeyCache } from '../auth/api-key-cache.ts';
import { identityRoutes } from './identity.routes.ts';

let fixture: RuntimeFixture;
let app: FastifyInstance;
let owner: { orgId: string; token: string };
let other: { orgId: string; token: string };

beforeAll(async () => {
  fixture = await startRuntimeFixture({ definitions: [orgActor, loginActor, sessionActor] });
  // As in the composition root: verified keys are cached, and a revocation through this node drops its key.
  const apiKeys = new ApiKeyCache(() => fixture.clock.now());
  const routes = [
    ...identityRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
    ...apiKeyRoutes({ system: fixture.system, apiKeys }),
  ];
  app = buildHttpApp({
    system: fixture.system,
    metrics: fixture.metrics,
    logger: silentLogger(),
    api: { routes, authenticate: createAuthenticate(fixture.system, { apiKeys }) },
  });
  owner = await signUp('Keys Inc', 'owner@keys.test');
  other = await signUp('Other Inc', 'owner@other.test');
});

afterAll(async () => {
  await app.close();
  await fixture.dispose();
});

async function call(
  method: string,
  url: string,
  options: { token?: string; key?: string; body?: unknown } = {},
): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.key !== undefined) headers['x-api-key'] = options.key;
  return app.inject({
    method: method as 'GET',
    url: `/v1${url}`,
    headers,
    ...(options.body === undefined ? {} : { payload: options.body as object }),
  });
}

async function signUp(orgName: string, email: string): Promise<{ orgId: string; token: string }> {
  const res = await call('POST', '/signup', { body: { orgName, email, password: 'correct horse battery staple' } });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ org: { id: string }; tokens: { accessToken: string } }>();
  return { orgId: body.org.id, token: body.tokens.accessToken };
}

function expectError(res: LightMyRequestResponse, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json<{ error: { code: string } }>().error.code).toBe(code);
}

describe('API key routes', () => {
  it('creates a key shown once, lists keys without secrets, revokes them', async () => {
    const created = await call('POST', '/api-keys', {
      token: owner.token,
      body: { name: '  Zapier  ', scopes: ['messages:send', 'messages:send', 'contacts:*'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json<{ id: string; name: string; scopes: string[]; key: string; createdAt: string }>();
    expect(key).toMatchObject({ name: 'Zapier', scopes: ['messages:send', 'contacts:*'] });
    expect(key.createdAt).toBe(new Date(fixture.clock.now()).toISOString());
    const secret = key.key.slice(`parlo_${key.id}_`.length);
    expect(secret.length).toBeGreaterThanOrEqual(43);

    const listed = await call('GET', '/api-keys', { token: owner.token });
    expect(listed.statusCode).toBe(200);
    expect(listed.body).not.toContain(secret);
    expect(listed.json()).toEqual({
      data: [
        {
          id: key.id,
          name: 'Zapier',
          scopes: ['messages:send', 'contacts:*'],
          createdAt: key.createdAt,
          createdBy: expect.stringMatching(/^usr/) as unknown,
          lastUsedAt: null,
          revokedAt: null,
        },
      ],
    });

    // The key authenticates `any` routes, but cannot manage keys (no scope grants it) nor reach session routes.
    expect((await call('GET', '/me', { key: key.key })).statusCode).toBe(200);
    expectError(await call('GET', '/api-keys', { key: key.key }), 403, 'PARLO_ACCESS_FORBIDDEN');
    expectError(
      await call('POST', '/api-keys', { key: key.key, body: { name: 'child', scopes: ['read'] } }),
      403,
      'PARLO_ACCESS_FORBIDDEN',
    );

    expect((await call('DELETE', `/api-keys/${key.id}`, { token: owner.token })).statusCode).toBe(204);
    expectError(await call('GET', '/me', { key: key.key }), 401, 'PARLO_API_KEY_REVOKED');
    const after = (await call('GET', '/api-keys', { token: owner.token })).json<{
      data: { revokedAt: string | null; lastUsedAt: string | null }[];
    }>();
    expect(after.data[0]?.revokedAt).not.toBeNull();
    expect(after.data[0]?.lastUsedAt).not.toBeNull();
  });

  it('names the field of invalid input', async () => {
    const res = await call('POST', '/api-keys', { token: owner.token, body: { name: '', scopes: ['root'] } });
    expectError(res, 400, 'PARLO_VALIDATION_FAILED');
    const details = res.json<{ error: { details: { path: string; rule: string }[] } }>().error.details;
    expect(details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'name' }),
        expect.objectContaining({ path: 'scopes[0]', rule: 'enum' }),
      ]),
    );
    const empty = await call('POST', '/api-keys', { token: owner.token, body: { name: 'x', scopes: [] } });
    expectError(empty, 400, 'PARLO_VALIDATION_FAILED');
    expect(empty.body).toContain('body.scopes');
    const badId = await call('DELETE', '/api-keys/not-a-key', { token: owner.token });
    expectError(badId, 400, 'PARLO_VALIDATION_FAILED');
    expect(badId.body).toContain('params.keyId');
  });

  it("answers 404 for another organisation's key and leaves it working", async () => {
    const theirs = await call('POST', '/api-keys', { token: other.token, body: { name: 'theirs', scopes: ['read'] } });
    const { id, key } = theirs.json<{ id: string; key: string }>();
    expectError(await call('DELETE', `/api-keys/${id}`, { token: owner.token }), 404, 'PARLO_API_KEY_NOT_FOUND');
    const mine = (await call('GET', '/api-keys', { token: owner.token })).json<{ data: { id: string }[] }>();
    expect(mine.data.map((k) => k.id)).not.toContain(id);
    expect((await call('GET', '/me', { key })).json()).toMatchObject({ kind: 'apiKey', orgId: other.orgId });
    // A key cannot be passed off as another org's: the id names the org that verifies it.
    const forged = key.replace(other.orgId, owner.orgId);
    expectError(await call('GET', '/me', { key: forged }), 401, 'PARLO_API_KEY_INVALID');
  });
});
