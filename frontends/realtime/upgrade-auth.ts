import { ParloError, type ActorSystem } from '../../core/index.ts';
import { authenticateSessionToken } from '../http/auth/authenticate.ts';
import type { UserCaller } from '../http/auth/caller.ts';

/**
 * Session authentication of a WebSocket upgrade. Browsers cannot set headers on a WebSocket, so the session access
 * token (the REST API's `Authorization: Bearer` token) comes either as the query parameter `access_token` or as a
 * subprotocol `parlo.bearer.<token>` (offered next to `parlo.v1`, which the gateway then selects, so the token is
 * not echoed back). Then the same check as the REST API: one ask to the session's actor.
 */
export const ACCESS_TOKEN_PARAM = 'access_token';
export const BEARER_PROTOCOL_PREFIX = 'parlo.bearer.';
/** The protocol version the gateway speaks; selected when offered. */
export const REALTIME_PROTOCOL = 'parlo.v1';

export type UpgradeCredential =
  | {
      readonly ok: true;
      readonly token: string;
      /** The `Sec-WebSocket-Protocol` to answer with ('' for none): one of those the client offered. */
      readonly protocol: string;
    }
  | { readonly ok: false; readonly error: ParloError };

/** The access token of an upgrade request, from its raw query string and `Sec-WebSocket-Protocol` header. */
export function credentialOf(query: string, protocolHeader: string): UpgradeCredential {
  const fromQuery = new URLSearchParams(query).getAll(ACCESS_TOKEN_PARAM);
  const offered = protocolHeader
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const bearer = offered.filter((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  if (fromQuery.length + bearer.length > 1) {
    return refused(
      'PARLO_BAD_REQUEST',
      `send the access token once: either ?${ACCESS_TOKEN_PARAM}= or the subprotocol ${BEARER_PROTOCOL_PREFIX}<token>`,
    );
  }
  const token = fromQuery[0] ?? bearer[0]?.slice(BEARER_PROTOCOL_PREFIX.length);
  if (token === undefined || token === '') {
    return refused(
      'PARLO_SESSION_INVALID',
      `sign in: pass the session access token as ?${ACCESS_TOKEN_PARAM}=<token> or the subprotocol ${BEARER_PROTOCOL_PREFIX}<token>`,
    );
  }
  // A browser fails the handshake unless the server selects one of the offered protocols (RFC 6455 §4.1).
  const protocol = offered.includes(REALTIME_PROTOCOL) ? REALTIME_PROTOCOL : (bearer[0] ?? '');
  return { ok: true, token, protocol };
}

/** The signed-in user of the token; throws the session's refusal (PARLO_SESSION_INVALID, _EXPIRED, _REVOKED). */
export function authenticateUpgrade(system: ActorSystem, token: string): Promise<UserCaller> {
  return authenticateSessionToken(system, token);
}

function refused(code: 'PARLO_BAD_REQUEST' | 'PARLO_SESSION_INVALID', message: string): UpgradeCredential {
  return { ok: false, error: new ParloError(code, message) };
}
