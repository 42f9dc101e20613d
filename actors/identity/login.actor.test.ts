import { describe, expect, it } from 'vitest';
import type { TurnContext, TurnResult } from '../../core/index.ts';
import { loginActor } from './login.actor.ts';
import { MAX_FAILED_SIGN_INS, MAX_TRACKED_SESSIONS, SIGN_IN_LOCK_MS, type LoginMsg } from './login.messages.ts';
import { initialLoginState, type LoginAccount, type LoginState } from './login.state.ts';

const EMAIL = 'ana@acme.test';
const T0 = 1_767_225_600_000;
const MINUTE = 60_000;
const HASH = 'scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g';
const NEW_HASH = 'scrypt$32768$8$1$bmV3c2FsdG5ld3NhbHQ$bmV3aGFzaG5ld2hhc2huZXdoYXNobmV3aGFzaG5ldw';

function ctxAt(nowMs: number): TurnContext {
  let n = 0;
  return { self: { kind: 'login', id: EMAIL }, nowMs, msgId: 'm-1', newId: () => `id-${++n}` };
}

function run(state: LoginState, msg: LoginMsg, nowMs = T0): TurnResult<LoginState> {
  return loginActor.handle(state, msg, ctxAt(nowMs));
}

const ACCOUNT: LoginAccount = {
  userId: 'u-ana',
  orgId: 'acme',
  passwordHash: HASH,
  createdAtMs: T0,
  passwordChangedAtMs: T0,
  failedAttempts: 0,
  lockedUntilMs: null,
  lastSignInAtMs: null,
  sessionIds: [],
};

const registered = (over: Partial<LoginAccount> = {}): LoginState => ({ account: { ...ACCOUNT, ...over } });

const auditTell = (event: string, detail: Record<string, unknown>) => ({
  type: 'tell',
  to: { kind: 'org', id: 'acme' },
  msg: { type: 'recordAudit', event, actor: { kind: 'user', id: 'u-ana' }, detail: { email: EMAIL, ...detail } },
});

const revokeTell = (sessionId: string, reason: string) => ({
  type: 'tell',
  to: { kind: 'session', id: sessionId },
  msg: { type: 'revoke', reason },
});

function expectRefused(result: TurnResult<LoginState>, before: LoginState, code: string): void {
  expect(result.state).toBe(before);
  expect(result.effects ?? []).toEqual([]);
  expect(result.reply).toEqual({ ok: false, code, message: expect.any(String) });
}

describe('register and getCredentials', () => {
  it('registers once; a second registration of the email is refused', () => {
    const result = run(initialLoginState(), { type: 'register', userId: 'u-ana', orgId: 'acme', passwordHash: HASH });
    expect(result).toEqual({ state: registered(), reply: { ok: true, userId: 'u-ana', orgId: 'acme' } });
    expectRefused(
      run(result.state, { type: 'register', userId: 'u-other', orgId: 'other', passwordHash: NEW_HASH }),
      result.state,
      'PARLO_EMAIL_TAKEN',
    );
  });

  it('answers credentials read-only, with the lock only while it lasts', () => {
    const state = registered({ lockedUntilMs: T0 + SIGN_IN_LOCK_MS });
    expect(run(state, { type: 'getCredentials' })).toEqual({
      state,
      reply: { ok: true, userId: 'u-ana', orgId: 'acme', passwordHash: HASH, lockedUntilMs: T0 + SIGN_IN_LOCK_MS },
    });
    expect(run(state, { type: 'getCredentials' }, T0 + SIGN_IN_LOCK_MS).reply).toMatchObject({ lockedUntilMs: null });
  });

  it('answers an unknown email like a wrong password at sign-in, and as not found elsewhere', () => {
    const state = initialLoginState();
    expectRefused(run(state, { type: 'getCredentials' }), state, 'PARLO_LOGIN_FAILED');
    expectRefused(run(state, { type: 'recordLoginResult', success: true }), state, 'PARLO_USER_NOT_FOUND');
    expectRefused(run(state, { type: 'changePassword', passwordHash: NEW_HASH }), state, 'PARLO_USER_NOT_FOUND');
    expectRefused(
      run(state, { type: 'revokeAllSessions', reason: 'signOutEverywhere' }),
      state,
      'PARLO_USER_NOT_FOUND',
    );
  });
});

describe('recordLoginResult', () => {
  it('on success resets failures, remembers the session and audits the sign-in', () => {
    const state = registered({ failedAttempts: 3, sessionIds: ['s0'] });
    expect(run(state, { type: 'recordLoginResult', success: true, sessionId: 's1' }, T0 + MINUTE)).toEqual({
      state: registered({ failedAttempts: 0, lastSignInAtMs: T0 + MINUTE, sessionIds: ['s0', 's1'] }),
      effects: [auditTell('signedIn', { sessionId: 's1' })],
      reply: { ok: true, failedAttempts: 0, lockedUntilMs: null },
    });
  });

  it('on failure counts and audits it', () => {
    const state = registered({ failedAttempts: 2 });
    expect(run(state, { type: 'recordLoginResult', success: false })).toEqual({
      state: registered({ failedAttempts: 3 }),
      effects: [auditTell('signInFailed', { failedAttempts: 3 })],
      reply: { ok: true, failedAttempts: 3, lockedUntilMs: null },
    });
  });

  it(`locks for 15 minutes after ${MAX_FAILED_SIGN_INS} consecutive failures, then counts afresh`, () => {
    let state = registered();
    for (let i = 1; i < MAX_FAILED_SIGN_INS; i++) {
      state = run(state, { type: 'recordLoginResult', success: false }, T0 + i).state;
    }
    expect(state.account?.failedAttempts).toBe(MAX_FAILED_SIGN_INS - 1);
    const locking = run(state, { type: 'recordLoginResult', success: false }, T0 + MINUTE);
    const lockedUntilMs = T0 + MINUTE + SIGN_IN_LOCK_MS;
    expect(locking).toEqual({
      state: registered({ failedAttempts: 0, lockedUntilMs }),
      effects: [
        auditTell('signInFailed', { failedAttempts: MAX_FAILED_SIGN_INS }),
        auditTell('signInLocked', { failedAttempts: MAX_FAILED_SIGN_INS, lockedUntilMs }),
      ],
      reply: { ok: true, failedAttempts: MAX_FAILED_SIGN_INS, lockedUntilMs },
    });
    // While locked, reported results change nothing.
    const during = run(locking.state, { type: 'recordLoginResult', success: true, sessionId: 's9' }, lockedUntilMs - 1);
    expect(during).toEqual({ state: locking.state, reply: { ok: true, failedAttempts: 0, lockedUntilMs } });
    // Afterwards, one failure is one failure again.
    const after = run(locking.state, { type: 'recordLoginResult', success: false }, lockedUntilMs);
    expect(after.state).toEqual(registered({ failedAttempts: 1, lockedUntilMs: null }));
    expect(after.reply).toEqual({ ok: true, failedAttempts: 1, lockedUntilMs: null });
  });

  it(`remembers at most ${MAX_TRACKED_SESSIONS} sessions, newest kept`, () => {
    const many = Array.from({ length: MAX_TRACKED_SESSIONS }, (_, i) => `s${i}`);
    const result = run(registered({ sessionIds: many }), {
      type: 'recordLoginResult',
      success: true,
      sessionId: 'new',
    });
    expect(result.state.account?.sessionIds).toEqual([...many.slice(1), 'new']);
  });
});

describe('changePassword and revokeAllSessions', () => {
  it('changePassword replaces the hash, clears the lockout and revokes every other session', () => {
    const state = registered({ failedAttempts: 4, lockedUntilMs: T0 + MINUTE, sessionIds: ['s1', 's2', 's3'] });
    expect(
      run(state, { type: 'changePassword', passwordHash: NEW_HASH, exceptSessionId: 's2' }, T0 + 5 * MINUTE),
    ).toEqual({
      state: registered({
        passwordHash: NEW_HASH,
        passwordChangedAtMs: T0 + 5 * MINUTE,
        failedAttempts: 0,
        lockedUntilMs: null,
        sessionIds: ['s2'],
      }),
      effects: [
        revokeTell('s1', 'passwordChanged'),
        revokeTell('s3', 'passwordChanged'),
        auditTell('passwordChanged', { revokedSessions: 2 }),
      ],
      reply: { ok: true, passwordChangedAtMs: T0 + 5 * MINUTE, revokedSessionCount: 2 },
    });
  });

  it('revokeAllSessions tells every session to end and audits a sign-out everywhere', () => {
    const state = registered({ sessionIds: ['s1', 's2'] });
    expect(run(state, { type: 'revokeAllSessions', reason: 'signOutEverywhere', exceptSessionId: 's2' })).toEqual({
      state: registered({ sessionIds: ['s2'] }),
      effects: [
        revokeTell('s1', 'signOutEverywhere'),
        auditTell('sessionsRevoked', { reason: 'signOutEverywhere', revokedSessions: 1 }),
      ],
      reply: { ok: true, revokedSessionCount: 1 },
    });
  });

  it('on removal from the org revokes without a second audit entry (the org logged the removal)', () => {
    const state = registered({ sessionIds: ['s1'] });
    expect(run(state, { type: 'revokeAllSessions', reason: 'memberRemoved' })).toEqual({
      state: registered({ sessionIds: [] }),
      effects: [revokeTell('s1', 'memberRemoved')],
      reply: { ok: true, revokedSessionCount: 1 },
    });
    const none = registered();
    expect(run(none, { type: 'revokeAllSessions', reason: 'memberRemoved' })).toEqual({
      state: none,
      reply: { ok: true, revokedSessionCount: 0 },
    });
  });
});

describe('unregister', () => {
  it('removes a login never used to sign in, for its own user only, leaving a state the runtime deletes', () => {
    const fresh = registered({ lastSignInAtMs: null });
    const other = run(fresh, { type: 'unregister', userId: 'usr-someone-else' });
    expect(other.reply).toEqual({ ok: true, removed: false });
    expect(other.state).toBe(fresh);
    const undone = run(fresh, { type: 'unregister', userId: ACCOUNT.userId });
    expect(undone.reply).toEqual({ ok: true, removed: true });
    expect(undone.state).toEqual({ account: null });
    expect(loginActor.isEmpty?.(undone.state)).toBe(true);
    const used = registered({ lastSignInAtMs: T0 });
    expect(run(used, { type: 'unregister', userId: ACCOUNT.userId }).reply).toEqual({ ok: true, removed: false });
    expect(run({ account: null }, { type: 'unregister', userId: ACCOUNT.userId }).reply).toEqual({
      ok: true,
      removed: false,
    });
  });
});
