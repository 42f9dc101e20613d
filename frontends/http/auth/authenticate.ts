import type { FastifyRequest } from 'fastify';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import { ORG_KIND, type OrgMsg, type OrgReply } from '../../../actors/org/org.messages.ts';
import { SESSION_KIND, type SessionMsg, type SessionReply } from '../../../actors/identity/session.messages.ts';
import type { Authenticate, AuthRequirement } from '../api/register-routes.ts';
import { callerSatisfies, forbidden, refusalError, setCaller, type ApiCaller, type UserCaller } from './caller.ts';
import type { ApiKeyCache } from './api-key-cache.ts';
import { hashToken, parseApiKey, parseSessionToken } from './credentials.ts';

export { callerOf, requirePermission, userCallerOf, type ApiCaller } from './caller.ts';

/** Org ids are 16 lowercase hex characters; an API key id is `<orgId>.<12 hex>`. */
export const ORG_ID_PATTERN = /^[0-9a-f]{16}$/;
export const API_KEY_ID_PATTERN = /^([0-9a-f]{16})\.[0-9a-f]{12}$/;

export const API_KEY_HEADER = 'x-api-key';

/** The org an API key id belongs to, or null when the id is not one we issue. */
export function orgOfApiKeyId(keyId: string): string | null {
  return API_KEY_ID_PATTERN.exec(keyId)?.[1] ?? null;
}

/**
 * The `authenticate` hook of the REST API. It reads one credential:
 *
 * - `Authorization: Bearer <sessionId>.<secret>` → the session actor (`authenticate` with the secret's hash), or
 * - `X-Api-Key: parlo_<orgId>.<hex>_<secret>` → the org actor named by the key id (`verifyApiKey`), then a
 *   fire-and-forget `touchApiKey` (last-used is a hint).
 *
 * A missing or bad credential is a 401 with the code of what failed. A valid credential of a kind the route does
 * not take (an API key on a `session` route) is a 403: the caller is known, the route is just not theirs. The
 * route's `scopes` are permission names (`users:invite`), checked with the role's table for users and the key's
 * scopes for keys. The caller is attached to the request (`callerOf`).
 */
export function createAuthenticate(
  system: ActorSystem,
  options: { readonly apiKeys?: ApiKeyCache } = {},
): Authenticate {
  return async (request: FastifyRequest, requirement: AuthRequirement): Promise<void> => {
    const caller = await identify(system, request, requirement, options.apiKeys);
    if (requirement.auth === 'session' && caller.kind !== 'user') {
      throw new ParloError('PARLO_ACCESS_FORBIDDEN', 'this route needs a signed-in session; API keys may not call it');
    }
    if (requirement.auth === 'apiKey' && caller.kind !== 'apiKey') {
      throw new ParloError('PARLO_ACCESS_FORBIDDEN', 'this route is for API keys (X-Api-Key), not sessions');
    }
    for (const needed of requirement.scopes) {
      if (!callerSatisfies(caller, needed)) throw forbidden(caller, needed);
    }
    setCaller(request, caller);
  };
}

async function identify(
  system: ActorSystem,
  request: FastifyRequest,
  requirement: AuthRequirement,
  apiKeys: ApiKeyCache | undefined,
): Promise<ApiCaller> {
  const authorization = request.headers.authorization;
  const apiKey = request.headers[API_KEY_HEADER];
  if (authorization !== undefined && apiKey !== undefined) {
    throw new ParloError('PARLO_BAD_REQUEST', 'send one credential: either Authorization or X-Api-Key, not both');
  }
  if (authorization !== undefined) return authenticateSession(system, authorization);
  if (apiKey !== undefined) return authenticateApiKey(system, apiKey, apiKeys);
  if (requirement.auth === 'apiKey') {
    throw new ParloError('PARLO_API_KEY_INVALID', 'this route needs an API key in the X-Api-Key header');
  }
  throw new ParloError('PARLO_SESSION_INVALID', 'sign in: send Authorization: Bearer <access token>');
}

async function authenticateSession(system: ActorSystem, header: string): Promise<ApiCaller> {
  const match = /^Bearer +(\S+)$/i.exec(header.trim());
  const token = match?.[1];
  if (token === undefined || !parseSessionToken(token)) {
    throw new ParloError('PARLO_SESSION_INVALID', 'the Authorization header must be "Bearer <access token>"');
  }
  return authenticateSessionToken(system, token);
}

/**
 * The signed-in user of a session access token (`<sessionId>.<secret>`): one ask to that session's actor with the
 * secret's hash. Throws PARLO_SESSION_INVALID / _EXPIRED / _REVOKED as the session answers. The REST API (bearer
 * header) and the realtime gateway (WebSocket upgrade) both authenticate sessions through this.
 */
export async function authenticateSessionToken(system: ActorSystem, text: string): Promise<UserCaller> {
  const token = parseSessionToken(text);
  if (!token) throw new ParloError('PARLO_SESSION_INVALID', 'the access token is not a Parlo session token');
  const msg: SessionMsg = { type: 'authenticate', accessTokenHash: hashToken(token.secret) };
  const reply = await system.ask<SessionReply<'authenticate'>>({ kind: SESSION_KIND, id: token.sessionId }, msg);
  if (!reply.ok) throw refusalError(reply);
  return {
    kind: 'user',
    userId: reply.userId,
    orgId: reply.orgId,
    role: reply.role,
    sessionId: reply.sessionId,
    accessExpiresAtMs: reply.accessExpiresAtMs,
  };
}

async function authenticateApiKey(
  system: ActorSystem,
  header: string | string[],
  apiKeys: ApiKeyCache | undefined,
): Promise<ApiCaller> {
  const parsed = typeof header === 'string' ? parseApiKey(header.trim()) : null;
  const orgId = parsed ? orgOfApiKeyId(parsed.keyId) : null;
  if (!parsed || orgId === null) {
    throw new ParloError('PARLO_API_KEY_INVALID', 'the X-Api-Key header does not hold a Parlo API key');
  }
  const secretHash = hashToken(parsed.secret);
  const cached = apiKeys?.get(parsed.keyId, secretHash);
  if (cached !== undefined) return cached;
  const address = { kind: ORG_KIND, id: orgId };
  const verify: OrgMsg = { type: 'verifyApiKey', keyId: parsed.keyId, secretHash };
  const reply = await system.ask<OrgReply<'verifyApiKey'>>(address, verify);
  if (!reply.ok) {
    // An org that does not exist must look like a key that does not exist.
    if (reply.code === 'PARLO_API_KEY_REVOKED') throw refusalError(reply);
    throw new ParloError('PARLO_API_KEY_INVALID', 'the API key does not exist or its secret does not match');
  }
  const touch: OrgMsg = { type: 'touchApiKey', keyId: parsed.keyId };
  // Fire and forget: a failed touch only leaves last-used stale.
  system.tell(address, touch).catch(() => undefined);
  const caller: ApiCaller = { kind: 'apiKey', keyId: reply.keyId, orgId: reply.orgId, scopes: reply.scopes };
  apiKeys?.put(parsed.keyId, secretHash, caller);
  return caller;
}
