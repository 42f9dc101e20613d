import type { FastifyRequest } from 'fastify';
import { ParloError, isErrorCode } from '../../../core/index.ts';
import {
  can,
  isPermission,
  scopeAllows,
  type ApiKeyScope,
  type Permission,
  type Role,
} from '../../../actors/org/permissions.ts';

/**
 * The authenticated principal of a request, attached by the `authenticate` hook (`authenticate.ts`) and read by
 * handlers. The tenant is implicit: every caller belongs to exactly one organisation, and routes act on that one.
 */
export type ApiCaller =
  | {
      readonly kind: 'user';
      readonly userId: string;
      readonly orgId: string;
      /** The role snapshot of the session (refreshed on token refresh); the org actor re-checks the stored one. */
      readonly role: Role;
      readonly sessionId: string;
      /** When the access token stops working (a long-lived connection ends then; the client reconnects fresh). */
      readonly accessExpiresAtMs?: number;
    }
  | {
      readonly kind: 'apiKey';
      readonly keyId: string;
      readonly orgId: string;
      readonly scopes: readonly ApiKeyScope[];
    };

export type UserCaller = Extract<ApiCaller, { kind: 'user' }>;

/** A WeakMap rather than a fastify decoration: nothing to register, and a caller dies with its request. */
const callers = new WeakMap<FastifyRequest, ApiCaller>();

export function setCaller(request: FastifyRequest, caller: ApiCaller): void {
  callers.set(request, caller);
}

/** The caller of a guarded route. A handler of a public route has none: asking is a bug. */
export function callerOf(request: FastifyRequest): ApiCaller {
  const caller = callers.get(request);
  if (!caller) throw new Error(`no authenticated caller on ${request.method} ${request.url} (is the route public?)`);
  return caller;
}

/** The signed-in user of a `session` route. */
export function userCallerOf(request: FastifyRequest): UserCaller {
  const caller = callerOf(request);
  if (caller.kind !== 'user') {
    throw new ParloError('PARLO_ACCESS_FORBIDDEN', 'this operation needs a signed-in user; API keys may not do it');
  }
  return caller;
}

/** Whether the caller holds `permission`: by role for users, by scope for API keys. */
export function callerCan(caller: ApiCaller, permission: Permission): boolean {
  return caller.kind === 'user' ? can(caller.role, permission) : scopeAllows(caller.scopes, permission);
}

/** Whether the caller satisfies one requirement string of a route (`scopes`): a permission name or a key scope. */
export function callerSatisfies(caller: ApiCaller, requirement: string): boolean {
  if (isPermission(requirement)) return callerCan(caller, requirement);
  // Not a permission: only a key holding that very scope name satisfies it.
  return caller.kind === 'apiKey' && (caller.scopes as readonly string[]).includes(requirement);
}

/** Throws 403 PARLO_ACCESS_FORBIDDEN unless the request's caller holds `permission`. Returns the caller. */
export function requirePermission(request: FastifyRequest, permission: Permission): ApiCaller {
  const caller = callerOf(request);
  if (!callerCan(caller, permission)) throw forbidden(caller, permission);
  return caller;
}

export function forbidden(caller: ApiCaller, permission: string): ParloError {
  const who = caller.kind === 'user' ? `role ${caller.role}` : 'this API key';
  return new ParloError('PARLO_ACCESS_FORBIDDEN', `${who} does not hold ${permission}`);
}

/** An actor's `{ ok: false, code, message }` refusal as the ParloError the API error mapper answers with. */
export function refusalError(reply: { readonly code: string; readonly message: string }): ParloError {
  return isErrorCode(reply.code)
    ? new ParloError(reply.code, reply.message)
    : new ParloError('PARLO_INTERNAL_ERROR', `unexpected refusal ${reply.code}: ${reply.message}`);
}

/** The reply if it is `ok`, else its refusal thrown as a ParloError. */
export function okOrThrow<R extends { readonly ok: boolean }>(reply: R): Extract<R, { ok: true }> {
  if (reply.ok) return reply as Extract<R, { ok: true }>;
  throw refusalError(reply as unknown as { code: string; message: string });
}
