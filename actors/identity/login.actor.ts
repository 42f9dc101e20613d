import { defineActor, refusal, unreachable, type Effect, type TurnContext, type TurnResult } from '../../core/index.ts';
import { ORG_KIND, type AuditDetail, type AuditEvent, type OrgMsg } from '../org/org.messages.ts';
import {
  LOGIN_KIND,
  MAX_FAILED_SIGN_INS,
  MAX_TRACKED_SESSIONS,
  SIGN_IN_LOCK_MS,
  type LoginErrorCode,
  type LoginMsg,
  type LoginReplies,
} from './login.messages.ts';
import { initialLoginState, type LoginAccount, type LoginState } from './login.state.ts';
import { SESSION_KIND, type SessionMsg, type SessionRevokeReason } from './session.messages.ts';

/**
 * One sign-in identity per normalised email (id = `normaliseEmail(email)`). It never sees a password: the HTTP layer
 * fetches the hash with `getCredentials`, verifies it with scrypt, and reports the outcome with `recordLoginResult`,
 * which drives the lockout and the audit log of the login's organisation.
 */
type Turn = TurnResult<LoginState>;
type Msg<T extends LoginMsg['type']> = Extract<LoginMsg, { type: T }>;

export const loginActor = defineActor<LoginState, LoginMsg>({
  kind: LOGIN_KIND,
  stateVersion: 1,
  initialState: () => initialLoginState(),
  isEmpty: (state) => state.account === null,
  handle(state, msg, ctx) {
    if (msg.type === 'register') return onRegister(state, msg, ctx);
    if (msg.type === 'unregister') return onUnregister(state, msg);
    const account = state.account;
    if (account === null) {
      // Sign-in must not reveal whether an email is registered; the other commands are internal.
      return msg.type === 'getCredentials'
        ? refuse(state, 'PARLO_LOGIN_FAILED', 'the email or the password is wrong')
        : refuse(state, 'PARLO_USER_NOT_FOUND', `no login for ${ctx.self.id}`);
    }
    switch (msg.type) {
      case 'getCredentials':
        return onGetCredentials(state, account, ctx);
      case 'recordLoginResult':
        return onRecordLoginResult(state, account, msg, ctx);
      case 'changePassword':
        return onChangePassword(state, account, msg, ctx);
      case 'revokeAllSessions':
        return onRevokeAllSessions(state, account, msg, ctx);
      default:
        return unreachable(msg);
    }
  },
});

function refuse(state: LoginState, code: LoginErrorCode, message: string): Turn {
  return { state, reply: refusal(code, message) };
}

function ok<T extends keyof LoginReplies>(
  state: LoginState,
  reply: LoginReplies[T],
  effects?: readonly Effect[],
): Turn {
  return effects && effects.length > 0 ? { state, effects, reply } : { state, reply };
}

/** A `recordAudit` for the login's organisation; the login actor is where sign-in facts are known. */
function audit(account: LoginAccount, ctx: TurnContext, event: AuditEvent, detail: AuditDetail): Effect {
  const msg: OrgMsg = {
    type: 'recordAudit',
    event,
    actor: { kind: 'user', id: account.userId },
    detail: { email: ctx.self.id, ...detail },
  };
  return { type: 'tell', to: { kind: ORG_KIND, id: account.orgId }, msg };
}

function revokeSessions(sessionIds: readonly string[], reason: SessionRevokeReason): Effect[] {
  const msg: SessionMsg = { type: 'revoke', reason };
  return sessionIds.map((id): Effect => ({ type: 'tell', to: { kind: SESSION_KIND, id }, msg }));
}

/** The currently active lock's end, or null. */
function activeLock(account: LoginAccount, nowMs: number): number | null {
  return account.lockedUntilMs !== null && account.lockedUntilMs > nowMs ? account.lockedUntilMs : null;
}

function onRegister(state: LoginState, msg: Msg<'register'>, ctx: TurnContext): Turn {
  if (state.account !== null) return refuse(state, 'PARLO_EMAIL_TAKEN', `${ctx.self.id} is already registered`);
  const account: LoginAccount = {
    userId: msg.userId,
    orgId: msg.orgId,
    passwordHash: msg.passwordHash,
    createdAtMs: ctx.nowMs,
    passwordChangedAtMs: ctx.nowMs,
    failedAttempts: 0,
    lockedUntilMs: null,
    lastSignInAtMs: null,
    sessionIds: [],
  };
  return ok<'register'>({ account }, { ok: true, userId: msg.userId, orgId: msg.orgId });
}

function onUnregister(state: LoginState, msg: Msg<'unregister'>): Turn {
  const account = state.account;
  if (account === null || account.userId !== msg.userId || account.lastSignInAtMs !== null) {
    return ok<'unregister'>(state, { ok: true, removed: false });
  }
  return ok<'unregister'>(initialLoginState(), { ok: true, removed: true });
}

function onGetCredentials(state: LoginState, account: LoginAccount, ctx: TurnContext): Turn {
  return ok<'getCredentials'>(state, {
    ok: true,
    userId: account.userId,
    orgId: account.orgId,
    passwordHash: account.passwordHash,
    lockedUntilMs: activeLock(account, ctx.nowMs),
  });
}

function onRecordLoginResult(
  state: LoginState,
  account: LoginAccount,
  msg: Msg<'recordLoginResult'>,
  ctx: TurnContext,
): Turn {
  const lockedUntilMs = activeLock(account, ctx.nowMs);
  // While locked the HTTP layer does not verify passwords; a result reported anyway changes nothing.
  if (lockedUntilMs !== null) {
    return ok<'recordLoginResult'>(state, { ok: true, failedAttempts: account.failedAttempts, lockedUntilMs });
  }
  if (msg.success) {
    const sessionIds =
      msg.sessionId === undefined
        ? account.sessionIds
        : [...account.sessionIds, msg.sessionId].slice(-MAX_TRACKED_SESSIONS);
    const next: LoginAccount = {
      ...account,
      failedAttempts: 0,
      lockedUntilMs: null,
      lastSignInAtMs: ctx.nowMs,
      sessionIds,
    };
    return ok<'recordLoginResult'>({ account: next }, { ok: true, failedAttempts: 0, lockedUntilMs: null }, [
      audit(account, ctx, 'signedIn', { sessionId: msg.sessionId ?? null }),
    ]);
  }
  const failedAttempts = account.failedAttempts + 1;
  if (failedAttempts < MAX_FAILED_SIGN_INS) {
    return ok<'recordLoginResult'>(
      { account: { ...account, failedAttempts, lockedUntilMs: null } },
      { ok: true, failedAttempts, lockedUntilMs: null },
      [audit(account, ctx, 'signInFailed', { failedAttempts })],
    );
  }
  // The counter restarts with the lock, so after it ends another MAX_FAILED_SIGN_INS failures are needed.
  const lockEndsAtMs = ctx.nowMs + SIGN_IN_LOCK_MS;
  return ok<'recordLoginResult'>(
    { account: { ...account, failedAttempts: 0, lockedUntilMs: lockEndsAtMs } },
    { ok: true, failedAttempts, lockedUntilMs: lockEndsAtMs },
    [
      audit(account, ctx, 'signInFailed', { failedAttempts }),
      audit(account, ctx, 'signInLocked', { failedAttempts, lockedUntilMs: lockEndsAtMs }),
    ],
  );
}

/** Splits tracked sessions into those to revoke and the one to keep (if tracked). */
function sessionsExcept(account: LoginAccount, keep: string | undefined): { revoke: string[]; kept: string[] } {
  return {
    revoke: account.sessionIds.filter((id) => id !== keep),
    kept: account.sessionIds.filter((id) => id === keep),
  };
}

function onChangePassword(
  state: LoginState,
  account: LoginAccount,
  msg: Msg<'changePassword'>,
  ctx: TurnContext,
): Turn {
  const { revoke, kept } = sessionsExcept(account, msg.exceptSessionId);
  const next: LoginAccount = {
    ...account,
    passwordHash: msg.passwordHash,
    passwordChangedAtMs: ctx.nowMs,
    failedAttempts: 0,
    lockedUntilMs: null,
    sessionIds: kept,
  };
  return ok<'changePassword'>(
    { account: next },
    { ok: true, passwordChangedAtMs: ctx.nowMs, revokedSessionCount: revoke.length },
    [
      ...revokeSessions(revoke, 'passwordChanged'),
      audit(account, ctx, 'passwordChanged', { revokedSessions: revoke.length }),
    ],
  );
}

function onRevokeAllSessions(
  state: LoginState,
  account: LoginAccount,
  msg: Msg<'revokeAllSessions'>,
  ctx: TurnContext,
): Turn {
  const { revoke, kept } = sessionsExcept(account, msg.exceptSessionId);
  const effects = revokeSessions(revoke, msg.reason);
  // The org already logs the removal of a member; sign-out-everywhere and admin revocations are logged here.
  if (msg.reason !== 'memberRemoved') {
    effects.push(audit(account, ctx, 'sessionsRevoked', { reason: msg.reason, revokedSessions: revoke.length }));
  }
  const nextState = revoke.length === 0 ? state : { account: { ...account, sessionIds: kept } };
  return ok<'revokeAllSessions'>(nextState, { ok: true, revokedSessionCount: revoke.length }, effects);
}
