import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Address } from '../../core/index.ts';
import { settle } from '../../core/testing/fake-clock.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../core/testing/runtime-fixture.ts';
import { loginActor } from '../identity/login.actor.ts';
import type { LoginMsg, LoginReplies } from '../identity/login.messages.ts';
import { sessionActor } from '../identity/session.actor.ts';
import type { SessionMsg, SessionReplies } from '../identity/session.messages.ts';
import { orgActor } from './org.actor.ts';
import { EXPIRED_INVITE_KEPT_MS, type Caller, type OrgMsg, type OrgReplies } from './org.messages.ts';

const DAY = 24 * 60 * 60 * 1000;
const ORG: Address = { kind: 'org', id: 'acme' };
const OWNER: Caller = { userId: 'u-owner', role: 'owner' };
const ADMIN: Caller = { userId: 'u-admin', role: 'admin' };

/** What the HTTP layer does with secrets: random 256-bit tokens, stored as SHA-256. */
const secret = () => randomBytes(32).toString('base64url');
const sha = (token: string) => createHash('sha256').update(token).digest('base64url');

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

function askOrg<T extends OrgMsg['type']>(
  f: RuntimeFixture,
  msg: Extract<OrgMsg, { type: T }>,
): Promise<OrgReplies[T]> {
  return f.system.ask<OrgReplies[T]>(ORG, msg);
}
function askLogin<T extends LoginMsg['type']>(
  f: RuntimeFixture,
  email: string,
  msg: Extract<LoginMsg, { type: T }>,
): Promise<LoginReplies[T]> {
  return f.system.ask<LoginReplies[T]>({ kind: 'login', id: email }, msg);
}
function askSession<T extends SessionMsg['type']>(
  f: RuntimeFixture,
  sessionId: string,
  msg: Extract<SessionMsg, { type: T }>,
): Promise<SessionReplies[T]> {
  return f.system.ask<SessionReplies[T]>({ kind: 'session', id: sessionId }, msg);
}

/** Lets tell effects travel through the outbox to their actors. */
async function quiesce(f: RuntimeFixture): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await f.system.whenIdle();
    await settle();
  }
}

describe('org actor in the real runtime', () => {
  it('runs invite → accept → key lifecycle → audit, and keeps it all across a restart', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [orgActor, loginActor, sessionActor] }));
    const t0 = f.clock.now();

    expect(
      await askOrg(f, { type: 'createOrg', name: 'Acme', owner: { userId: 'u-owner', email: 'owner@acme.test' } }),
    ).toEqual({ ok: true, orgId: 'acme', createdAtMs: t0, alreadyExisted: false });

    // Invite an admin; the token goes to the inviter, only its hash to the actor.
    const inviteToken = secret();
    expect(
      await askOrg(f, {
        type: 'inviteUser',
        inviteId: 'inv-1',
        email: 'Admin@Acme.test',
        role: 'admin',
        tokenHash: sha(inviteToken),
        expiresAtMs: t0 + 7 * DAY,
        by: OWNER,
      }),
    ).toEqual({ ok: true, inviteId: 'inv-1', expiresAtMs: t0 + 7 * DAY });
    expect(await askOrg(f, { type: 'checkInvite', inviteId: 'inv-1', tokenHash: sha(inviteToken) })).toMatchObject({
      ok: true,
      email: 'admin@acme.test',
      role: 'admin',
    });
    expect(
      await askOrg(f, { type: 'acceptInvite', inviteId: 'inv-1', tokenHash: sha(secret()), userId: 'u-admin' }),
    ).toMatchObject({ ok: false, code: 'PARLO_INVITE_INVALID' });
    expect(
      await askOrg(f, { type: 'acceptInvite', inviteId: 'inv-1', tokenHash: sha(inviteToken), userId: 'u-admin' }),
    ).toEqual({ ok: true, userId: 'u-admin', email: 'admin@acme.test', role: 'admin' });

    // The new admin creates a key, an integration uses it, the admin revokes it.
    const keySecret = secret();
    expect(
      await askOrg(f, {
        type: 'createApiKey',
        keyId: 'k1',
        name: 'CRM sync',
        scopes: ['contacts:write', 'campaigns:*'],
        secretHash: sha(keySecret),
        by: ADMIN,
      }),
    ).toEqual({ ok: true, keyId: 'k1', scopes: ['contacts:write', 'campaigns:*'], createdAtMs: t0 });
    expect(await askOrg(f, { type: 'verifyApiKey', keyId: 'k1', secretHash: sha(keySecret) })).toEqual({
      ok: true,
      orgId: 'acme',
      keyId: 'k1',
      name: 'CRM sync',
      scopes: ['contacts:write', 'campaigns:*'],
    });
    await f.clock.advance(1000);
    expect(await askOrg(f, { type: 'touchApiKey', keyId: 'k1' })).toEqual({ ok: true, lastUsedAtMs: t0 + 1000 });
    expect(await askOrg(f, { type: 'revokeApiKey', keyId: 'k1', by: ADMIN })).toEqual({
      ok: true,
      keyId: 'k1',
      revokedAtMs: t0 + 1000,
    });
    expect(await askOrg(f, { type: 'verifyApiKey', keyId: 'k1', secretHash: sha(keySecret) })).toMatchObject({
      ok: false,
      code: 'PARLO_API_KEY_REVOKED',
    });

    const audit = await askOrg(f, { type: 'listAudit', by: OWNER });
    if (!audit.ok) throw new Error(audit.message);
    expect(audit.entries.map((e) => [e.seq, e.event, e.actor.id])).toEqual([
      [5, 'apiKeyRevoked', 'u-admin'],
      [4, 'apiKeyCreated', 'u-admin'],
      [3, 'inviteAccepted', 'u-admin'],
      [2, 'userInvited', 'u-owner'],
      [1, 'orgCreated', 'u-owner'],
    ]);
    expect(new Set(audit.entries.map((e) => e.id)).size).toBe(5);
    expect(await askOrg(f, { type: 'listAudit', by: { userId: 'u-nobody', role: 'owner' } })).toMatchObject({
      ok: false,
      code: 'PARLO_ACCESS_FORBIDDEN',
    });

    await f.restart();

    expect(await askOrg(f, { type: 'listAudit', by: ADMIN })).toEqual(audit);
    expect(await askOrg(f, { type: 'verifyApiKey', keyId: 'k1', secretHash: sha(keySecret) })).toMatchObject({
      ok: false,
      code: 'PARLO_API_KEY_REVOKED',
    });
    const org = await askOrg(f, { type: 'getOrg', by: ADMIN });
    expect(org).toMatchObject({
      ok: true,
      name: 'Acme',
      invites: [],
      apiKeys: [{ keyId: 'k1', lastUsedAtMs: t0 + 1000, revokedAtMs: t0 + 1000 }],
    });
    expect(JSON.stringify(org)).not.toContain(sha(keySecret));
    expect(
      await askOrg(f, { type: 'acceptInvite', inviteId: 'inv-1', tokenHash: sha(inviteToken), userId: 'u-again' }),
    ).toMatchObject({ ok: false, code: 'PARLO_INVITE_INVALID' });
  });

  it('signs a member in, audits it in the org, and ends their session when they are removed', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [orgActor, loginActor, sessionActor] }));
    await askOrg(f, { type: 'createOrg', name: 'Acme', owner: { userId: 'u-owner', email: 'owner@acme.test' } });
    const token = secret();
    await askOrg(f, {
      type: 'inviteUser',
      inviteId: 'inv-op',
      email: 'op@acme.test',
      role: 'operator',
      tokenHash: sha(token),
      expiresAtMs: f.clock.now() + DAY,
      by: OWNER,
    });
    // The HTTP order: check the invite, register the login, then accept.
    expect(await askOrg(f, { type: 'checkInvite', inviteId: 'inv-op', tokenHash: sha(token) })).toMatchObject({
      ok: true,
    });
    expect(
      await askLogin(f, 'op@acme.test', {
        type: 'register',
        userId: 'u-op',
        orgId: 'acme',
        passwordHash: 'scrypt$32768$8$1$opaque-for-this-test$opaque',
      }),
    ).toEqual({ ok: true, userId: 'u-op', orgId: 'acme' });
    await askOrg(f, { type: 'acceptInvite', inviteId: 'inv-op', tokenHash: sha(token), userId: 'u-op' });

    // Sign-in: one failure, then success with a session.
    await askLogin(f, 'op@acme.test', { type: 'recordLoginResult', success: false });
    const access = secret();
    expect(
      await askSession(f, 'sess-op', {
        type: 'open',
        userId: 'u-op',
        orgId: 'acme',
        role: 'operator',
        accessTokenHash: sha(access),
        refreshTokenHash: sha(secret()),
      }),
    ).toMatchObject({ ok: true, sessionId: 'sess-op' });
    await askLogin(f, 'op@acme.test', { type: 'recordLoginResult', success: true, sessionId: 'sess-op' });
    expect(await askSession(f, 'sess-op', { type: 'authenticate', accessTokenHash: sha(access) })).toMatchObject({
      ok: true,
      userId: 'u-op',
      role: 'operator',
    });

    // Removal: org → login (revokeAllSessions) → session (revoke), all through the outbox.
    expect(await askOrg(f, { type: 'removeMember', userId: 'u-op', by: OWNER })).toEqual({ ok: true, userId: 'u-op' });
    await quiesce(f);
    expect(await askSession(f, 'sess-op', { type: 'authenticate', accessTokenHash: sha(access) })).toMatchObject({
      ok: false,
      code: 'PARLO_SESSION_REVOKED',
    });

    await f.restart();
    const audit = await askOrg(f, { type: 'listAudit', by: OWNER });
    if (!audit.ok) throw new Error(audit.message);
    expect(audit.entries.map((e) => e.event)).toEqual([
      'memberRemoved',
      'signedIn',
      'signInFailed',
      'inviteAccepted',
      'userInvited',
      'orgCreated',
    ]);
    expect(await askSession(f, 'sess-op', { type: 'authenticate', accessTokenHash: sha(access) })).toMatchObject({
      ok: false,
      code: 'PARLO_SESSION_REVOKED',
    });
  });

  it('prunes an unaccepted invite with a durable timer that survives a restart', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [orgActor, loginActor, sessionActor] }));
    await askOrg(f, { type: 'createOrg', name: 'Acme', owner: { userId: 'u-owner', email: 'owner@acme.test' } });
    const token = secret();
    await askOrg(f, {
      type: 'inviteUser',
      inviteId: 'inv-late',
      email: 'late@acme.test',
      role: 'viewer',
      tokenHash: sha(token),
      expiresAtMs: f.clock.now() + DAY,
      by: OWNER,
    });
    await f.clock.advance(DAY);
    expect(await askOrg(f, { type: 'checkInvite', inviteId: 'inv-late', tokenHash: sha(token) })).toMatchObject({
      ok: false,
      code: 'PARLO_INVITE_EXPIRED',
    });
    await f.restart();
    await f.clock.advance(EXPIRED_INVITE_KEPT_MS);
    await quiesce(f);
    expect(await askOrg(f, { type: 'checkInvite', inviteId: 'inv-late', tokenHash: sha(token) })).toMatchObject({
      ok: false,
      code: 'PARLO_INVITE_INVALID',
    });
    expect(await askOrg(f, { type: 'getOrg', by: OWNER })).toMatchObject({ ok: true, invites: [] });
  });
});
