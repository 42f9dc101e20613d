import { defineActor, refusal, unreachable, type Effect, type TurnContext, type TurnResult } from '../../core/index.ts';
import { ORG_KIND, type OrgMsg } from '../org/org.messages.ts';
import {
  DEFAULT_ACCESS_TTL_MS,
  DEFAULT_REFRESH_TTL_MS,
  ROTATED_REFRESH_HASHES_KEPT,
  SESSION_KIND,
  sessionTopic,
  type SessionErrorCode,
  type SessionMsg,
  type SessionReplies,
  type SessionRevokeReason,
  type SessionRevokedEvent,
} from './session.messages.ts';
import { initialSessionState, type SessionRecord, type SessionState } from './session.state.ts';

/**
 * One signed-in session (id = session id). A short-lived access token authenticates HTTP requests and WebSocket
 * connections; a long-lived refresh token, rotated on every use, gets new access tokens. Reusing a rotated-out
 * refresh token is treated as theft and revokes the session (refresh token rotation with reuse detection, OAuth 2.0 Security BCP, RFC 9700 "Refresh Token Protection").
 */
type Turn = TurnResult<SessionState>;
type Msg<T extends SessionMsg['type']> = Extract<SessionMsg, { type: T }>;

export const sessionActor = defineActor<SessionState, SessionMsg>({
  kind: SESSION_KIND,
  stateVersion: 1,
  initialState: () => initialSessionState(),
  handle(state, msg, ctx) {
    if (msg.type === 'open') return onOpen(state, msg, ctx);
    const session = state.session;
    if (session === null) return refuse(state, 'PARLO_SESSION_INVALID', 'no such session');
    switch (msg.type) {
      case 'authenticate':
        return onAuthenticate(state, session, msg, ctx);
      case 'refresh':
        return onRefresh(state, session, msg, ctx);
      case 'revoke':
        return onRevoke(state, session, msg, ctx);
      default:
        return unreachable(msg);
    }
  },
});

function refuse(state: SessionState, code: SessionErrorCode, message: string): Turn {
  return { state, reply: refusal(code, message) };
}

function ok<T extends keyof SessionReplies>(
  state: SessionState,
  reply: SessionReplies[T],
  effects?: readonly Effect[],
): Turn {
  return effects && effects.length > 0 ? { state, effects, reply } : { state, reply };
}

/** The session with `revokedAtMs` set, and the effects that announce it. */
function revoked(
  session: SessionRecord,
  reason: SessionRevokeReason,
  ctx: TurnContext,
): { state: SessionState; effects: Effect[] } {
  const event: SessionRevokedEvent = {
    type: 'sessionRevoked',
    sessionId: ctx.self.id,
    userId: session.userId,
    orgId: session.orgId,
    reason,
  };
  const effects: Effect[] = [{ type: 'publish', topic: sessionTopic(ctx.self.id), event }];
  // Sign-outs and theft are worth an audit entry; bulk revocations are logged once by whoever ordered them.
  if (reason === 'signedOut' || reason === 'refreshTokenReused') {
    const audit: OrgMsg = {
      type: 'recordAudit',
      event: reason === 'signedOut' ? 'signedOut' : 'sessionsRevoked',
      actor: { kind: 'user', id: session.userId },
      detail: { sessionId: ctx.self.id, reason },
    };
    effects.push({ type: 'tell', to: { kind: ORG_KIND, id: session.orgId }, msg: audit });
  }
  return { state: { session: { ...session, revokedAtMs: ctx.nowMs, revokedReason: reason } }, effects };
}

function onOpen(state: SessionState, msg: Msg<'open'>, ctx: TurnContext): Turn {
  // Session ids are random; a second open under one id is a caller bug or a replay, never a re-login.
  if (state.session !== null) return refuse(state, 'PARLO_ID_CONFLICT', `session ${ctx.self.id} already exists`);
  const session: SessionRecord = {
    userId: msg.userId,
    orgId: msg.orgId,
    role: msg.role,
    accessTokenHash: msg.accessTokenHash,
    accessExpiresAtMs: ctx.nowMs + (msg.accessTtlMs ?? DEFAULT_ACCESS_TTL_MS),
    refreshTokenHash: msg.refreshTokenHash,
    refreshExpiresAtMs: ctx.nowMs + (msg.refreshTtlMs ?? DEFAULT_REFRESH_TTL_MS),
    rotatedRefreshTokenHashes: [],
    createdAtMs: ctx.nowMs,
    refreshedAtMs: null,
    revokedAtMs: null,
    revokedReason: null,
  };
  return ok<'open'>(
    { session },
    {
      ok: true,
      sessionId: ctx.self.id,
      accessExpiresAtMs: session.accessExpiresAtMs,
      refreshExpiresAtMs: session.refreshExpiresAtMs,
    },
  );
}

function onAuthenticate(state: SessionState, session: SessionRecord, msg: Msg<'authenticate'>, ctx: TurnContext): Turn {
  // Only a holder of the token learns that the session is revoked or expired.
  if (session.accessTokenHash !== msg.accessTokenHash) {
    return refuse(state, 'PARLO_SESSION_INVALID', 'the access token does not match');
  }
  if (session.revokedAtMs !== null) return refuse(state, 'PARLO_SESSION_REVOKED', 'the session was revoked');
  if (ctx.nowMs >= session.accessExpiresAtMs) {
    return refuse(state, 'PARLO_SESSION_EXPIRED', 'the access token expired; refresh it');
  }
  return ok<'authenticate'>(state, {
    ok: true,
    sessionId: ctx.self.id,
    userId: session.userId,
    orgId: session.orgId,
    role: session.role,
    accessExpiresAtMs: session.accessExpiresAtMs,
  });
}

function onRefresh(state: SessionState, session: SessionRecord, msg: Msg<'refresh'>, ctx: TurnContext): Turn {
  if (session.refreshTokenHash !== msg.refreshTokenHash) {
    if (!session.rotatedRefreshTokenHashes.includes(msg.refreshTokenHash)) {
      return refuse(state, 'PARLO_SESSION_INVALID', 'the refresh token does not match');
    }
    // A rotated-out token came back: either the client or a thief holds a copy. Ending the session stops both.
    if (session.revokedAtMs !== null) return refuse(state, 'PARLO_SESSION_REVOKED', 'the session was revoked');
    const { state: next, effects } = revoked(session, 'refreshTokenReused', ctx);
    return {
      state: next,
      effects,
      reply: refusal('PARLO_SESSION_REVOKED', 'a used refresh token was presented again'),
    };
  }
  if (session.revokedAtMs !== null) return refuse(state, 'PARLO_SESSION_REVOKED', 'the session was revoked');
  if (ctx.nowMs >= session.refreshExpiresAtMs) {
    return refuse(state, 'PARLO_SESSION_EXPIRED', 'the session expired; sign in again');
  }
  const next: SessionRecord = {
    ...session,
    role: msg.role ?? session.role,
    accessTokenHash: msg.newAccessTokenHash,
    accessExpiresAtMs: ctx.nowMs + (msg.accessTtlMs ?? DEFAULT_ACCESS_TTL_MS),
    refreshTokenHash: msg.newRefreshTokenHash,
    refreshExpiresAtMs: ctx.nowMs + (msg.refreshTtlMs ?? DEFAULT_REFRESH_TTL_MS),
    rotatedRefreshTokenHashes: [session.refreshTokenHash, ...session.rotatedRefreshTokenHashes].slice(
      0,
      ROTATED_REFRESH_HASHES_KEPT,
    ),
    refreshedAtMs: ctx.nowMs,
  };
  return ok<'refresh'>(
    { session: next },
    {
      ok: true,
      sessionId: ctx.self.id,
      accessExpiresAtMs: next.accessExpiresAtMs,
      refreshExpiresAtMs: next.refreshExpiresAtMs,
    },
  );
}

function onRevoke(state: SessionState, session: SessionRecord, msg: Msg<'revoke'>, ctx: TurnContext): Turn {
  if (session.revokedAtMs !== null) return ok<'revoke'>(state, { ok: true, revokedAtMs: session.revokedAtMs });
  const { state: next, effects } = revoked(session, msg.reason ?? 'signedOut', ctx);
  return ok<'revoke'>(next, { ok: true, revokedAtMs: ctx.nowMs }, effects);
}
