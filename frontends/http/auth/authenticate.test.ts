import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ActorSystem, Address } from '../../../core/index.ts';
import type { AuthRequirement } from '../api/register-routes.ts';
import { callerOf, createAuthenticate, orgOfApiKeyId, requirePermission } from './authenticate.ts';
import { formatApiKey, formatSessionToken, hashToken } from './credentials.ts';

const ORG = '0123456789abcdef';
const KEY_ID = `${ORG}.0123456789ab`;
const SECRET = 'S'.repeat(43);

interface Sent {
  readonly to: Address;
  readonly msg: { type: string } & Record<string, unknown>;
}

/** An ActorSystem stand-in: one valid session and one valid key, everything else refused like the actors do. */
function fakeSystem(options: { revoked?: boolean } = {}) {
  const asked: Sent[] = [];
  const told: Sent[] = [];
  const system = {
    ask(to: Address, msg: Sent['msg']): Promise<unknown> {
      asked.push({ to, msg });
      if (to.kind === 'session') {
        if (to.id === 'sess1' && msg.accessTokenHash === hashToken(SECRET)) {
          return Promise.resolve({
            ok: true,
            sessionId: 'sess1',
            userId: 'usr1',
            orgId: ORG,
            role: 'operator',
            accessExpiresAtMs: 1,
          });
        }
        return Promise.resolve({ ok: false, code: 'PARLO_SESSION_INVALID', message: 'no' });
      }
      if (to.id === ORG && msg.keyId === KEY_ID && msg.secretHash === hashToken(SECRET)) {
        return Promise.resolve(
          options.revoked
            ? { ok: false, code: 'PARLO_API_KEY_REVOKED', message: 'revoked' }
            : { ok: true, orgId: ORG, keyId: KEY_ID, name: 'k', scopes: ['read'] },
        );
      }
      return Promise.resolve({ ok: false, code: 'PARLO_ORG_NOT_FOUND', message: 'no org' });
    },
    tell(to: Address, msg: Sent['msg']): Promise<void> {
      told.push({ to, msg });
      return Promise.resolve();
    },
  };
  return { system: system as unknown as ActorSystem, asked, told };
}

function request(headers: Record<string, string>): FastifyRequest {
  return { headers, method: 'GET', url: '/v1/x' } as unknown as FastifyRequest;
}

const session = `Bearer ${formatSessionToken('sess1', SECRET)}`;
const apiKey = formatApiKey(KEY_ID, SECRET);
const any: AuthRequirement = { auth: 'any', scopes: [] };

async function codeOf(promise: unknown): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code;
  }
}

describe('createAuthenticate', () => {
  it('authenticates a bearer session by the hash of its secret and attaches the user', async () => {
    const { system, asked } = fakeSystem();
    const req = request({ authorization: session });
    await createAuthenticate(system)(req, any);
    expect(asked).toEqual([
      { to: { kind: 'session', id: 'sess1' }, msg: { type: 'authenticate', accessTokenHash: hashToken(SECRET) } },
    ]);
    expect(callerOf(req)).toEqual({
      kind: 'user',
      userId: 'usr1',
      orgId: ORG,
      role: 'operator',
      sessionId: 'sess1',
      // When the token stops working: the realtime gateway closes its sockets then (4002).
      accessExpiresAtMs: 1,
    });
    expect(JSON.stringify(asked)).not.toContain(SECRET);
  });

  it('verifies an API key with the org named by its id, then touches it without waiting', async () => {
    const { system, asked, told } = fakeSystem();
    const req = request({ 'x-api-key': apiKey });
    await createAuthenticate(system)(req, any);
    expect(asked[0]?.to).toEqual({ kind: 'org', id: ORG });
    expect(told).toEqual([{ to: { kind: 'org', id: ORG }, msg: { type: 'touchApiKey', keyId: KEY_ID } }]);
    expect(callerOf(req)).toEqual({ kind: 'apiKey', keyId: KEY_ID, orgId: ORG, scopes: ['read'] });
  });

  it('answers 401 codes for missing, malformed, unknown and revoked credentials', async () => {
    const { system } = fakeSystem();
    const auth = createAuthenticate(system);
    expect(await codeOf(auth(request({}), any))).toBe('PARLO_SESSION_INVALID');
    expect(await codeOf(auth(request({}), { auth: 'apiKey', scopes: [] }))).toBe('PARLO_API_KEY_INVALID');
    expect(await codeOf(auth(request({ authorization: 'Basic abc' }), any))).toBe('PARLO_SESSION_INVALID');
    expect(await codeOf(auth(request({ authorization: `Bearer sess1.${'x'.repeat(43)}` }), any))).toBe(
      'PARLO_SESSION_INVALID',
    );
    expect(await codeOf(auth(request({ 'x-api-key': 'parlo_abc_def' }), any))).toBe('PARLO_API_KEY_INVALID');
    // An org that does not exist looks like a key that does not exist.
    const elsewhere = formatApiKey('fedcba9876543210.0123456789ab', SECRET);
    expect(await codeOf(auth(request({ 'x-api-key': elsewhere }), any))).toBe('PARLO_API_KEY_INVALID');
    const revoked = createAuthenticate(fakeSystem({ revoked: true }).system);
    expect(await codeOf(revoked(request({ 'x-api-key': apiKey }), any))).toBe('PARLO_API_KEY_REVOKED');
    expect(await codeOf(auth(request({ authorization: session, 'x-api-key': apiKey }), any))).toBe('PARLO_BAD_REQUEST');
  });

  it('refuses a valid credential of the wrong kind, and a missing permission, with 403', async () => {
    const { system } = fakeSystem();
    const auth = createAuthenticate(system);
    const sessionOnly: AuthRequirement = { auth: 'session', scopes: [] };
    expect(await codeOf(auth(request({ 'x-api-key': apiKey }), sessionOnly))).toBe('PARLO_ACCESS_FORBIDDEN');
    expect(await codeOf(auth(request({ authorization: session }), { auth: 'apiKey', scopes: [] }))).toBe(
      'PARLO_ACCESS_FORBIDDEN',
    );
    // operator holds conversations:reply but not users:invite; the `read` scope grants contacts:read only.
    expect(await codeOf(auth(request({ authorization: session }), { auth: 'any', scopes: ['users:invite'] }))).toBe(
      'PARLO_ACCESS_FORBIDDEN',
    );
    expect(
      await codeOf(auth(request({ authorization: session }), { auth: 'any', scopes: ['conversations:reply'] })),
    ).toBeUndefined();
    expect(await codeOf(auth(request({ 'x-api-key': apiKey }), { auth: 'any', scopes: ['contacts:write'] }))).toBe(
      'PARLO_ACCESS_FORBIDDEN',
    );
    expect(
      await codeOf(auth(request({ 'x-api-key': apiKey }), { auth: 'any', scopes: ['contacts:read'] })),
    ).toBeUndefined();
  });

  it('requirePermission checks roles for users and scopes for keys', async () => {
    const { system } = fakeSystem();
    const auth = createAuthenticate(system);
    const user = request({ authorization: session });
    const key = request({ 'x-api-key': apiKey });
    await auth(user, any);
    await auth(key, any);
    expect(requirePermission(user, 'conversations:assign').kind).toBe('user');
    expect(() => requirePermission(user, 'api-keys:manage')).toThrow(/role operator does not hold api-keys:manage/);
    expect(requirePermission(key, 'templates:read').kind).toBe('apiKey');
    expect(() => requirePermission(key, 'messages:send')).toThrow(/API key does not hold messages:send/);
  });

  it('reads the org out of an API key id', () => {
    expect(orgOfApiKeyId(KEY_ID)).toBe(ORG);
    expect(orgOfApiKeyId('0123456789ABCDEF.0123456789ab')).toBeNull();
    expect(orgOfApiKeyId(`${ORG}.0123`)).toBeNull();
  });
});
