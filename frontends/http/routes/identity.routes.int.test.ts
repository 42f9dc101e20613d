import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../core/index.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { loginActor } from '../../../actors/identity/login.actor.ts';
import { MAX_FAILED_SIGN_INS, SIGN_IN_LOCK_MS } from '../../../actors/identity/login.messages.ts';
import { sessionActor } from '../../../actors/identity/session.actor.ts';
import { auditSegmentActor } from '../../../actors/org/audit-segment.actor.ts';
import { orgActor } from '../../../actors/org/org.actor.ts';
import { AUDIT_SEGMENT_SIZE } from '../../../actors/org/org.state.ts';
import { buildHttpApp } from '../app.ts';
import { createAuthenticate } from '../auth/authenticate.ts';
import { apiKeyRoutes } from './api-keys.routes.ts';
import { identityRoutes } from './identity.routes.ts';

/**
 * The identity API end to end over fastify inject, on a real actor system (LMDB, fake clock). scrypt costs ~0.3 s
 * per call, so the tests share one app and sign up as few organisations as they need.
 */

let fixture: RuntimeFixture;
let app: FastifyInstance;
/** Every response body, to prove afterwards that no secret leaks beyond its one issuing response. */
const bodies: string[] = [];
/** Secrets handed out, each expected in exactly one response body (the one that issued it). */
const issued = new Set<string>();
/** Secrets the server must never send at all. */
const neverSent = new Set<string>();

const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  fixture = await startRuntimeFixture({ definitions: [orgActor, auditSegmentActor, loginActor, sessionActor] });
  const routes = [
    ...identityRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
    ...apiKeyRoutes({ system: fixture.system }),
  ];
  app = buildHttpApp({
    system: fixture.system,
    metrics: fixture.metrics,
    logger: silentLogger(),
    api: { routes, authenticate: createAuthenticate(fixture.system) },
  });
  neverSent.add(PASSWORD);
});

afterAll(async () => {
  await app.close();
  await fixture.dispose();
});

interface Call {
  readonly token?: string;
  readonly key?: string;
  readonly body?: unknown;
}

async function call(method: string, url: string, options: Call = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = {};
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.key !== undefined) headers['x-api-key'] = options.key;
  const res = await app.inject({
    method: method as 'GET',
    url: `/v1${url}`,
    headers,
    ...(options.body === undefined ? {} : { payload: options.body as object }),
  });
  bodies.push(res.body);
  return res;
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
}

function remember(tokens: Tokens): Tokens {
  issued.add(tokens.accessToken);
  issued.add(tokens.refreshToken);
  return tokens;
}

async function signUp(orgName: string, email: string) {
  const res = await call('POST', '/signup', { body: { orgName, email, password: PASSWORD } });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ org: { id: string }; user: { id: string }; tokens: Tokens }>();
  remember(body.tokens);
  return { orgId: body.org.id, userId: body.user.id, token: body.tokens.accessToken, tokens: body.tokens };
}

/** Invites `email` as `role` and accepts the invite; one scrypt (the new password's hash). */
async function addMember(ownerToken: string, email: string, role: string) {
  const invite = await call('POST', '/invites', { token: ownerToken, body: { email, role } });
  expect(invite.statusCode, invite.body).toBe(201);
  const { inviteId, token } = invite.json<{ inviteId: string; token: string }>();
  issued.add(token);
  const password = `glass river stone ${issued.size}`;
  neverSent.add(password);
  const accepted = await call('POST', '/invites/accept', { body: { inviteId, token, password } });
  expect(accepted.statusCode, accepted.body).toBe(201);
  const body = accepted.json<{ user: { id: string; role: string }; tokens: Tokens }>();
  remember(body.tokens);
  return { userId: body.user.id, token: body.tokens.accessToken, tokens: body.tokens, password };
}

function expectError(res: LightMyRequestResponse, status: number, code: string): void {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.json<{ error: { code: string } }>().error.code).toBe(code);
}

describe('identity API', () => {
  it('runs the whole flow: signup, login, me, invite, accept, role change, API key, revoke', async () => {
    const owner = await signUp('Acme', 'Owner@Acme.test');
    expect(owner.orgId).toMatch(/^[0-9a-f]{16}$/);
    expect(owner.userId).toMatch(/^usr[0-9a-f]{16}$/);

    const login = await call('POST', '/sessions', { body: { email: 'owner@acme.test', password: PASSWORD } });
    expect(login.statusCode, login.body).toBe(201);
    const signedIn = login.json<{ orgId: string; user: { id: string; role: string }; tokens: Tokens }>();
    remember(signedIn.tokens);
    expect(signedIn).toMatchObject({ orgId: owner.orgId, user: { id: owner.userId, role: 'owner' } });

    const me = await call('GET', '/me', { token: signedIn.tokens.accessToken });
    expect(me.statusCode).toBe(200);
    expect(me.json()).toMatchObject({
      kind: 'user',
      orgId: owner.orgId,
      user: { id: owner.userId, email: 'owner@acme.test', role: 'owner' },
    });

    const viewer = await addMember(owner.token, 'Vera@Acme.test', 'viewer');
    const org = await call('GET', '/org', { token: owner.token });
    expect(org.statusCode).toBe(200);
    const orgBody = org.json<{ name: string; members: { userId: string; role: string }[]; invites: unknown[] }>();
    expect(orgBody.name).toBe('Acme');
    expect(orgBody.members.map((m) => m.role).sort()).toEqual(['owner', 'viewer']);
    expect(orgBody.invites).toEqual([]);
    // A viewer sees the members but neither invites nor keys.
    const asViewer = (await call('GET', '/org', { token: viewer.token })).json<Record<string, unknown>>();
    expect(asViewer).toMatchObject({ invites: null, apiKeys: null });

    // Promote the viewer to admin; the new role reaches the session on refresh.
    const promoted = await call('PATCH', `/members/${viewer.userId}`, { token: owner.token, body: { role: 'admin' } });
    expect(promoted.statusCode, promoted.body).toBe(200);
    expect(promoted.json()).toEqual({ userId: viewer.userId, role: 'admin', previousRole: 'viewer' });
    expectError(await call('GET', '/audit', { token: viewer.token }), 403, 'PARLO_ACCESS_FORBIDDEN');
    const refreshed = await call('POST', '/sessions/refresh', { body: { refreshToken: viewer.tokens.refreshToken } });
    expect(refreshed.statusCode, refreshed.body).toBe(200);
    const adminTokens = remember(refreshed.json<{ tokens: Tokens }>().tokens);
    expect((await call('GET', '/audit', { token: adminTokens.accessToken })).statusCode).toBe(200);
    // The refresh token was rotated: the old one is refused, and its reuse ends the session.
    expectError(
      await call('POST', '/sessions/refresh', { body: { refreshToken: viewer.tokens.refreshToken } }),
      401,
      'PARLO_SESSION_REVOKED',
    );
    expectError(await call('GET', '/me', { token: adminTokens.accessToken }), 401, 'PARLO_SESSION_REVOKED');

    // An API key: created once, usable, listed without its secret, revoked, then refused.
    const created = await call('POST', '/api-keys', {
      token: owner.token,
      body: { name: 'CRM sync', scopes: ['read', 'contacts:write'] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const key = created.json<{ id: string; key: string; scopes: string[] }>();
    issued.add(key.key);
    expect(key.id).toMatch(new RegExp(`^${owner.orgId}\\.[0-9a-f]{12}$`));
    expect(key.key.startsWith(`parlo_${key.id}_`)).toBe(true);

    const asKey = await call('GET', '/me', { key: key.key });
    expect(asKey.statusCode, asKey.body).toBe(200);
    expect(asKey.json()).toEqual({
      kind: 'apiKey',
      orgId: owner.orgId,
      apiKey: { id: key.id, scopes: ['read', 'contacts:write'] },
    });
    // Session-only routes refuse a valid key with 403; a bad key is a 401.
    expectError(await call('GET', '/org', { key: key.key }), 403, 'PARLO_ACCESS_FORBIDDEN');
    expectError(await call('GET', '/me', { key: `${key.key.slice(0, -4)}AAAA` }), 401, 'PARLO_API_KEY_INVALID');

    const listed = await call('GET', '/api-keys', { token: owner.token });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toMatchObject({ data: [{ id: key.id, name: 'CRM sync', revokedAt: null }] });
    const lastUsed = listed.json<{ data: { lastUsedAt: string | null }[] }>().data[0]?.lastUsedAt;
    expect(lastUsed).toBe(new Date(fixture.clock.now()).toISOString());

    expect((await call('DELETE', `/api-keys/${key.id}`, { token: owner.token })).statusCode).toBe(204);
    expectError(await call('GET', '/me', { key: key.key }), 401, 'PARLO_API_KEY_REVOKED');
    // Revoking again is idempotent.
    expect((await call('DELETE', `/api-keys/${key.id}`, { token: owner.token })).statusCode).toBe(204);

    // The audit log pages with a cursor.
    const first = await call('GET', '/audit?limit=2', { token: owner.token });
    expect(first.statusCode).toBe(200);
    const page1 = first.json<{ data: { seq: number; event: string }[]; nextCursor: string | null }>();
    expect(page1.data).toHaveLength(2);
    expect(page1.nextCursor).not.toBeNull();
    const second = await call('GET', `/audit?limit=2&cursor=${page1.nextCursor ?? ''}`, { token: owner.token });
    const page2 = second.json<{ data: { seq: number; event: string }[] }>();
    expect(page2.data[0]?.seq).toBeLessThan(page1.data[1]?.seq ?? 0);
    const all = (await call('GET', '/audit?limit=100', { token: owner.token })).json<{ data: { event: string }[] }>();
    expect(all.data.map((e) => e.event)).toEqual(
      expect.arrayContaining(['orgCreated', 'userInvited', 'inviteAccepted', 'roleChanged', 'apiKeyRevoked']),
    );
    expectError(await call('GET', '/audit?cursor=bogus!', { token: owner.token }), 400, 'PARLO_INVALID_CURSOR');

    // Sign out ends the session.
    expect((await call('DELETE', '/sessions/current', { token: signedIn.tokens.accessToken })).statusCode).toBe(204);
    expectError(await call('GET', '/me', { token: signedIn.tokens.accessToken }), 401, 'PARLO_SESSION_REVOKED');
  });

  it('refuses missing and malformed credentials with 401', async () => {
    expectError(await call('GET', '/me'), 401, 'PARLO_SESSION_INVALID');
    expectError(await call('GET', '/me', { token: 'nope' }), 401, 'PARLO_SESSION_INVALID');
    expectError(
      await call('GET', '/me', { token: `0123456789abcdef.${'A'.repeat(43)}` }),
      401,
      'PARLO_SESSION_INVALID',
    );
    expectError(await call('GET', '/me', { key: 'parlo_nope' }), 401, 'PARLO_API_KEY_INVALID');
    expectError(
      await call('GET', '/me', { key: `parlo_0123456789abcdef.0123456789ab_${'A'.repeat(43)}` }),
      401,
      'PARLO_API_KEY_INVALID',
    );
  });

  it('names the field of every validation error', async () => {
    const res = await call('POST', '/signup', { body: { orgName: '', email: 'not-an-email' } });
    expectError(res, 400, 'PARLO_VALIDATION_FAILED');
    const error = res.json<{ error: { message: string; details: { path: string }[] } }>().error;
    expect(error.details.map((d) => d.path).sort()).toEqual(['email', 'orgName', 'password']);
    expect(error.message).toMatch(/^body\.(orgName|email|password): /);

    const weak = await call('POST', '/signup', { body: { orgName: 'X', email: 'x@x.test', password: 'short' } });
    expectError(weak, 400, 'PARLO_PASSWORD_WEAK');
    expect(weak.json<{ error: { message: string } }>().error.message).toMatch(/^body\.password: /);

    const unknown = await call('POST', '/sessions', { body: { email: 'a@b.test', password: 'x', remember: true } });
    expectError(unknown, 400, 'PARLO_VALIDATION_FAILED');
    expect(unknown.body).toContain('remember');

    const role = await call('PATCH', '/members/not-a-user', { token: 'x.y', body: { role: 'king' } });
    // Authentication runs first: an anonymous caller learns nothing about the shape of the request.
    expectError(role, 401, 'PARLO_SESSION_INVALID');
  });

  it('answers 401 to a wrong password, locks after 10 failures with Retry-After, and hides unknown emails', async () => {
    await signUp('Lockers', 'lock@lockers.test');
    expectError(
      await call('POST', '/sessions', { body: { email: 'nobody@lockers.test', password: PASSWORD } }),
      401,
      'PARLO_LOGIN_FAILED',
    );
    for (let i = 1; i < MAX_FAILED_SIGN_INS; i++) {
      expectError(
        await call('POST', '/sessions', { body: { email: 'lock@lockers.test', password: `wrong password ${i}` } }),
        401,
        'PARLO_LOGIN_FAILED',
      );
    }
    const tenth = await call('POST', '/sessions', { body: { email: 'lock@lockers.test', password: 'wrong again!' } });
    expectError(tenth, 429, 'PARLO_LOGIN_LOCKED');
    expect(tenth.headers['retry-after']).toBe(String(SIGN_IN_LOCK_MS / 1000));
    // Locked: even the right password is refused, without a scrypt call.
    const right = await call('POST', '/sessions', { body: { email: 'lock@lockers.test', password: PASSWORD } });
    expectError(right, 429, 'PARLO_LOGIN_LOCKED');
    await fixture.clock.advance(SIGN_IN_LOCK_MS);
    const after = await call('POST', '/sessions', { body: { email: 'lock@lockers.test', password: PASSWORD } });
    expect(after.statusCode, after.body).toBe(201);
    remember(after.json<{ tokens: Tokens }>().tokens);
  });

  it('isolates tenants: ids of another organisation answer 404', async () => {
    const a = await signUp('Org A', 'a@a.test');
    const b = await signUp('Org B', 'b@b.test');
    const bKey = await call('POST', '/api-keys', { token: b.token, body: { name: 'b', scopes: ['read'] } });
    const bKeyId = bKey.json<{ id: string; key: string }>().id;
    issued.add(bKey.json<{ key: string }>().key);

    expectError(
      await call('PATCH', `/members/${b.userId}`, { token: a.token, body: { role: 'viewer' } }),
      404,
      'PARLO_USER_NOT_FOUND',
    );
    expectError(await call('DELETE', `/members/${b.userId}`, { token: a.token }), 404, 'PARLO_USER_NOT_FOUND');
    expectError(await call('DELETE', `/api-keys/${bKeyId}`, { token: a.token }), 404, 'PARLO_API_KEY_NOT_FOUND');
    // An unknown key of one's own org looks the same.
    expectError(
      await call('DELETE', `/api-keys/${a.orgId}.000000000000`, { token: a.token }),
      404,
      'PARLO_API_KEY_NOT_FOUND',
    );
    // B's key still works, B's owner is untouched, and A sees only its own people.
    expect((await call('GET', '/me', { key: bKey.json<{ key: string }>().key })).statusCode).toBe(200);
    const aOrg = (await call('GET', '/org', { token: a.token })).json<{ members: { userId: string }[] }>();
    expect(aOrg.members.map((m) => m.userId)).toEqual([a.userId]);
  });

  it('enforces roles: viewer cannot invite, operator cannot create keys, admin cannot make owners, last owner stays', async () => {
    const owner = await signUp('Roles', 'owner@roles.test');
    const viewer = await addMember(owner.token, 'viewer@roles.test', 'viewer');
    const operator = await addMember(owner.token, 'operator@roles.test', 'operator');
    const admin = await addMember(owner.token, 'admin@roles.test', 'admin');

    expectError(
      await call('POST', '/invites', { token: viewer.token, body: { email: 'x@roles.test', role: 'viewer' } }),
      403,
      'PARLO_ACCESS_FORBIDDEN',
    );
    expectError(
      await call('POST', '/api-keys', { token: operator.token, body: { name: 'k', scopes: ['read'] } }),
      403,
      'PARLO_ACCESS_FORBIDDEN',
    );
    expectError(
      await call('PATCH', `/members/${operator.userId}`, { token: admin.token, body: { role: 'owner' } }),
      403,
      'PARLO_ACCESS_FORBIDDEN',
    );
    expectError(
      await call('POST', '/invites', { token: admin.token, body: { email: 'boss@roles.test', role: 'owner' } }),
      403,
      'PARLO_ACCESS_FORBIDDEN',
    );
    expectError(
      await call('PATCH', `/members/${owner.userId}`, { token: owner.token, body: { role: 'admin' } }),
      409,
      'PARLO_LAST_OWNER',
    );
    expectError(await call('DELETE', `/members/${owner.userId}`, { token: owner.token }), 409, 'PARLO_LAST_OWNER');
    // An admin may still make admins, and remove an operator, whose sessions end at once.
    expect(
      (await call('PATCH', `/members/${viewer.userId}`, { token: admin.token, body: { role: 'admin' } })).statusCode,
    ).toBe(200);
    expect((await call('DELETE', `/members/${operator.userId}`, { token: admin.token })).statusCode).toBe(204);
    // The revocation travels org → login → sessions as effects, just after the removal's turn commits.
    await vi.waitFor(async () => {
      expectError(await call('GET', '/me', { token: operator.token }), 401, 'PARLO_SESSION_REVOKED');
    });
    // And the removed operator cannot sign back in.
    expectError(
      await call('POST', '/sessions', { body: { email: 'operator@roles.test', password: operator.password } }),
      401,
      'PARLO_LOGIN_FAILED',
    );
  });

  it('changes the password, revoking the other sessions', async () => {
    const owner = await signUp('Pw', 'owner@pw.test');
    const other = await call('POST', '/sessions', { body: { email: 'owner@pw.test', password: PASSWORD } });
    const otherTokens = remember(other.json<{ tokens: Tokens }>().tokens);
    const newPassword = 'a brand new passphrase 42';
    neverSent.add(newPassword);
    expectError(
      await call('POST', '/me/password', {
        token: owner.token,
        body: { currentPassword: PASSWORD, newPassword: 'short' },
      }),
      400,
      'PARLO_PASSWORD_WEAK',
    );
    const changed = await call('POST', '/me/password', {
      token: owner.token,
      body: { currentPassword: PASSWORD, newPassword },
    });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(changed.json()).toMatchObject({ revokedSessions: 1 });
    await vi.waitFor(async () => {
      expectError(await call('GET', '/me', { token: otherTokens.accessToken }), 401, 'PARLO_SESSION_REVOKED');
    });
    expect((await call('GET', '/me', { token: owner.token })).statusCode).toBe(200);
  });

  it('pages the audit log across sealed segments with no gap or repeat', async () => {
    const owner = await signUp('Audited', 'owner@audited.test');
    const extra = 2 * AUDIT_SEGMENT_SIZE + 37;
    for (let i = 0; i < extra; i++) {
      await fixture.system.tell(
        { kind: 'org', id: owner.orgId },
        { type: 'recordAudit', event: 'dataExported', actor: { kind: 'system', id: 'test' }, detail: { i } },
      );
    }
    const seqs: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const res = await call('GET', `/audit?limit=100${cursor ? `&cursor=${cursor}` : ''}`, { token: owner.token });
      expect(res.statusCode, res.body).toBe(200);
      const page = res.json<{ data: { seq: number }[]; nextCursor: string | null }>();
      seqs.push(...page.data.map((e) => e.seq));
      cursor = page.nextCursor;
    }
    // orgCreated + signedIn-like entries of the sign-up, then the extra ones: every seq once, newest first.
    const newest = seqs[0]!;
    expect(seqs).toEqual(Array.from({ length: newest }, (_, i) => newest - i));
    expect(newest).toBeGreaterThanOrEqual(extra + 1);
  });

  it('never sends a secret except in the one response that issued it', () => {
    expect(bodies.length).toBeGreaterThan(50);
    for (const body of bodies) {
      expect(body).not.toMatch(/scrypt\$|passwordHash|secretHash|tokenHash/);
      for (const secret of neverSent) expect(body).not.toContain(secret);
    }
    for (const secret of issued) {
      // The secret part alone (after the id) must not show up anywhere else either.
      const tail = secret.slice(-43);
      expect(
        bodies.filter((body) => body.includes(tail)),
        `secret ending ${tail.slice(-6)}`,
      ).toHaveLength(1);
    }
  });
});
