import { describe, expect, it } from 'vitest';
import type { TurnContext, TurnResult } from '../../core/index.ts';
import { sessionActor } from './session.actor.ts';
import {
  DEFAULT_ACCESS_TTL_MS,
  DEFAULT_REFRESH_TTL_MS,
  ROTATED_REFRESH_HASHES_KEPT,
  sessionTopic,
  type SessionMsg,
} from './session.messages.ts';
import { initialSessionState, type SessionRecord, type SessionState } from './session.state.ts';

const SESSION_ID = 'sess-1';
const T0 = 1_767_225_600_000;
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function ctxAt(nowMs: number): TurnContext {
  let n = 0;
  return { self: { kind: 'session', id: SESSION_ID }, nowMs, msgId: 'm-1', newId: () => `id-${++n}` };
}

function run(state: SessionState, msg: SessionMsg, nowMs = T0): TurnResult<SessionState> {
  return sessionActor.handle(state, msg, ctxAt(nowMs));
}

const h = (name: string) => `token-hash-${name}-000000`;

const RECORD: SessionRecord = {
  userId: 'u-ana',
  orgId: 'acme',
  role: 'manager',
  accessTokenHash: h('a1'),
  accessExpiresAtMs: T0 + DEFAULT_ACCESS_TTL_MS,
  refreshTokenHash: h('r1'),
  refreshExpiresAtMs: T0 + DEFAULT_REFRESH_TTL_MS,
  rotatedRefreshTokenHashes: [],
  createdAtMs: T0,
  refreshedAtMs: null,
  revokedAtMs: null,
  revokedReason: null,
};

const opened = (over: Partial<SessionRecord> = {}): SessionState => ({ session: { ...RECORD, ...over } });

function expectRefused(result: TurnResult<SessionState>, before: SessionState, code: string): void {
  expect(result.state).toBe(before);
  expect(result.effects ?? []).toEqual([]);
  expect(result.reply).toEqual({ ok: false, code, message: expect.any(String) });
}

const refresh = (over: Partial<Extract<SessionMsg, { type: 'refresh' }>> = {}): SessionMsg => ({
  type: 'refresh',
  refreshTokenHash: h('r1'),
  newAccessTokenHash: h('a2'),
  newRefreshTokenHash: h('r2'),
  ...over,
});

describe('open', () => {
  it('opens with the default lifetimes, once', () => {
    const result = run(initialSessionState(), {
      type: 'open',
      userId: 'u-ana',
      orgId: 'acme',
      role: 'manager',
      accessTokenHash: h('a1'),
      refreshTokenHash: h('r1'),
    });
    expect(result).toEqual({
      state: opened(),
      reply: {
        ok: true,
        sessionId: SESSION_ID,
        accessExpiresAtMs: T0 + DEFAULT_ACCESS_TTL_MS,
        refreshExpiresAtMs: T0 + DEFAULT_REFRESH_TTL_MS,
      },
    });
    expect(DEFAULT_ACCESS_TTL_MS).toBe(15 * MINUTE);
    expect(DEFAULT_REFRESH_TTL_MS).toBe(30 * DAY);
    expectRefused(
      run(result.state, {
        type: 'open',
        userId: 'u-x',
        orgId: 'acme',
        role: 'owner',
        accessTokenHash: h('ax'),
        refreshTokenHash: h('rx'),
      }),
      result.state,
      'PARLO_ID_CONFLICT',
    );
  });

  it('takes explicit lifetimes', () => {
    const result = run(initialSessionState(), {
      type: 'open',
      userId: 'u-ana',
      orgId: 'acme',
      role: 'viewer',
      accessTokenHash: h('a1'),
      refreshTokenHash: h('r1'),
      accessTtlMs: MINUTE,
      refreshTtlMs: DAY,
    });
    expect(result.state.session).toMatchObject({ accessExpiresAtMs: T0 + MINUTE, refreshExpiresAtMs: T0 + DAY });
  });

  it.each<SessionMsg>([{ type: 'authenticate', accessTokenHash: h('a1') }, refresh(), { type: 'revoke' }])(
    'refuses $type on a session never opened',
    (msg) => {
      const state = initialSessionState();
      expectRefused(run(state, msg), state, 'PARLO_SESSION_INVALID');
    },
  );
});

describe('authenticate', () => {
  it('answers who the session is, read-only', () => {
    const state = opened();
    expect(run(state, { type: 'authenticate', accessTokenHash: h('a1') }, T0 + MINUTE)).toEqual({
      state,
      reply: {
        ok: true,
        sessionId: SESSION_ID,
        userId: 'u-ana',
        orgId: 'acme',
        role: 'manager',
        accessExpiresAtMs: T0 + DEFAULT_ACCESS_TTL_MS,
      },
    });
  });

  it.each([
    ['a wrong token', opened(), h('zz'), T0, 'PARLO_SESSION_INVALID'],
    ['an expired access token', opened(), h('a1'), T0 + DEFAULT_ACCESS_TTL_MS, 'PARLO_SESSION_EXPIRED'],
    [
      'a revoked session',
      opened({ revokedAtMs: T0, revokedReason: 'signedOut' }),
      h('a1'),
      T0,
      'PARLO_SESSION_REVOKED',
    ],
    [
      'a wrong token on a revoked session',
      opened({ revokedAtMs: T0, revokedReason: 'signedOut' }),
      h('zz'),
      T0,
      'PARLO_SESSION_INVALID',
    ],
  ] as const)('refuses %s', (_label, state, accessTokenHash, nowMs, code) => {
    expectRefused(run(state, { type: 'authenticate', accessTokenHash }, nowMs), state, code);
  });
});

describe('refresh', () => {
  it('rotates both tokens, slides the expiry and takes the current role', () => {
    const state = opened();
    const at = T0 + DAY;
    const result = run(state, refresh({ role: 'operator', accessTtlMs: 5 * MINUTE }), at);
    expect(result).toEqual({
      state: opened({
        role: 'operator',
        accessTokenHash: h('a2'),
        accessExpiresAtMs: at + 5 * MINUTE,
        refreshTokenHash: h('r2'),
        refreshExpiresAtMs: at + DEFAULT_REFRESH_TTL_MS,
        rotatedRefreshTokenHashes: [h('r1')],
        refreshedAtMs: at,
      }),
      reply: {
        ok: true,
        sessionId: SESSION_ID,
        accessExpiresAtMs: at + 5 * MINUTE,
        refreshExpiresAtMs: at + DEFAULT_REFRESH_TTL_MS,
      },
    });
    // The old access token stops working with the new one.
    expectRefused(
      run(result.state, { type: 'authenticate', accessTokenHash: h('a1') }, at),
      result.state,
      'PARLO_SESSION_INVALID',
    );
  });

  it('treats a rotated-out refresh token as theft: the session is revoked and announced', () => {
    const state = run(opened(), refresh(), T0 + MINUTE).state;
    const reuse = run(state, refresh({ newAccessTokenHash: h('a3'), newRefreshTokenHash: h('r3') }), T0 + 2 * MINUTE);
    expect(reuse).toEqual({
      state: { session: { ...state.session, revokedAtMs: T0 + 2 * MINUTE, revokedReason: 'refreshTokenReused' } },
      effects: [
        {
          type: 'publish',
          topic: sessionTopic(SESSION_ID),
          event: {
            type: 'sessionRevoked',
            sessionId: SESSION_ID,
            userId: 'u-ana',
            orgId: 'acme',
            reason: 'refreshTokenReused',
          },
        },
        {
          type: 'tell',
          to: { kind: 'org', id: 'acme' },
          msg: {
            type: 'recordAudit',
            event: 'sessionsRevoked',
            actor: { kind: 'user', id: 'u-ana' },
            detail: { sessionId: SESSION_ID, reason: 'refreshTokenReused' },
          },
        },
      ],
      reply: { ok: false, code: 'PARLO_SESSION_REVOKED', message: expect.any(String) },
    });
    // The legitimate holder of the newest token is now out too.
    expectRefused(run(reuse.state, refresh({ refreshTokenHash: h('r2') })), reuse.state, 'PARLO_SESSION_REVOKED');
    expectRefused(run(reuse.state, refresh()), reuse.state, 'PARLO_SESSION_REVOKED');
  });

  it(`remembers the last ${ROTATED_REFRESH_HASHES_KEPT} rotated refresh tokens`, () => {
    let state = opened();
    for (let i = 1; i <= ROTATED_REFRESH_HASHES_KEPT + 2; i++) {
      state = run(state, refresh({ refreshTokenHash: h(`r${i}`), newRefreshTokenHash: h(`r${i + 1}`) })).state;
    }
    expect(state.session?.rotatedRefreshTokenHashes).toEqual(
      Array.from({ length: ROTATED_REFRESH_HASHES_KEPT }, (_, i) => h(`r${ROTATED_REFRESH_HASHES_KEPT + 2 - i}`)),
    );
  });

  it.each([
    ['an unknown refresh token', opened(), refresh({ refreshTokenHash: h('zz') }), T0, 'PARLO_SESSION_INVALID'],
    ['an expired session', opened(), refresh(), T0 + DEFAULT_REFRESH_TTL_MS, 'PARLO_SESSION_EXPIRED'],
    [
      'a revoked session',
      opened({ revokedAtMs: T0, revokedReason: 'signedOut' }),
      refresh(),
      T0,
      'PARLO_SESSION_REVOKED',
    ],
  ] as const)('refuses %s', (_label, state, msg, nowMs, code) => {
    expectRefused(run(state, msg, nowMs), state, code);
  });
});

describe('revoke', () => {
  it('revokes with a reason, announces it and audits a sign-out', () => {
    const result = run(opened(), { type: 'revoke' }, T0 + MINUTE);
    expect(result).toEqual({
      state: opened({ revokedAtMs: T0 + MINUTE, revokedReason: 'signedOut' }),
      effects: [
        {
          type: 'publish',
          topic: 'session.sess-1',
          event: { type: 'sessionRevoked', sessionId: SESSION_ID, userId: 'u-ana', orgId: 'acme', reason: 'signedOut' },
        },
        {
          type: 'tell',
          to: { kind: 'org', id: 'acme' },
          msg: {
            type: 'recordAudit',
            event: 'signedOut',
            actor: { kind: 'user', id: 'u-ana' },
            detail: { sessionId: SESSION_ID, reason: 'signedOut' },
          },
        },
      ],
      reply: { ok: true, revokedAtMs: T0 + MINUTE },
    });
    // Revoking again answers the first revocation and changes nothing.
    expect(run(result.state, { type: 'revoke', reason: 'passwordChanged' }, T0 + DAY)).toEqual({
      state: result.state,
      reply: { ok: true, revokedAtMs: T0 + MINUTE },
    });
  });

  it('does not audit revocations ordered in bulk (the login or org logs those once)', () => {
    const result = run(opened(), { type: 'revoke', reason: 'passwordChanged' });
    expect(result.effects).toEqual([
      {
        type: 'publish',
        topic: 'session.sess-1',
        event: {
          type: 'sessionRevoked',
          sessionId: SESSION_ID,
          userId: 'u-ana',
          orgId: 'acme',
          reason: 'passwordChanged',
        },
      },
    ]);
  });

  it('makes session ids token-safe in topics', () => {
    expect(sessionTopic('a.b*c>d')).toBe('session.a_b_c_d');
  });
});
