import { describe, expect, it } from 'vitest';
import { normaliseEmail } from './email.ts';
import { LoginMsg } from './login.messages.ts';
import { SessionMsg } from './session.messages.ts';

const hash = 'c29tZS1oYXNoLW9mLWEtdG9rZW4';

describe('identity protocols (the HTTP edge)', () => {
  it.each([
    { type: 'register', userId: 'u', orgId: 'o', passwordHash: `scrypt$32768$8$1$${hash}$${hash}` },
    { type: 'recordLoginResult', success: false },
    { type: 'revokeAllSessions', reason: 'signOutEverywhere', exceptSessionId: 's' },
  ])('LoginMsg accepts $type', (msg) => {
    expect(LoginMsg.safeParse(msg).success).toBe(true);
  });

  it.each([
    { type: 'open', userId: 'u', orgId: 'o', role: 'viewer', accessTokenHash: hash, refreshTokenHash: hash },
    { type: 'refresh', refreshTokenHash: hash, newAccessTokenHash: hash, newRefreshTokenHash: hash, role: 'admin' },
    { type: 'revoke', reason: 'signedOut' },
  ])('SessionMsg accepts $type', (msg) => {
    expect(SessionMsg.safeParse(msg).success).toBe(true);
  });

  it.each([
    [LoginMsg, { type: 'register', userId: 'u', orgId: 'o', passwordHash: 'short' }],
    [LoginMsg, { type: 'revokeAllSessions', reason: 'whim' }],
    [SessionMsg, { type: 'open', userId: 'u', orgId: 'o', role: 'god', accessTokenHash: hash, refreshTokenHash: hash }],
    [
      SessionMsg,
      { type: 'refresh', refreshTokenHash: hash, newAccessTokenHash: hash, newRefreshTokenHash: hash, accessTtlMs: 0 },
    ],
  ] as const)('rejects %#', (schema, msg) => {
    expect(schema.safeParse(msg).success).toBe(false);
  });

  it.each([
    [' Ana@Example.COM ', 'ana@example.com'],
    ['ana@example.com', 'ana@example.com'],
  ])('normalises %j to %j', (input, expected) => {
    expect(normaliseEmail(input)).toBe(expected);
  });
});
