import { describe, expect, it } from 'vitest';
import { OrgMsg } from './org.messages.ts';

const by = { userId: 'u-1', role: 'admin' } as const;
const hash = 'c29tZS1oYXNoLW9mLWEtdG9rZW4';

describe('OrgMsg schema (the HTTP edge)', () => {
  it.each([
    { type: 'createOrg', name: ' Acme ', owner: { userId: 'u-1', email: 'a@acme.test' } },
    { type: 'inviteUser', inviteId: 'i', email: 'b@acme.test', role: 'viewer', tokenHash: hash, expiresAtMs: 1, by },
    { type: 'createApiKey', keyId: 'k', name: 'CI', scopes: ['campaigns:*', 'read'], secretHash: hash, by },
    { type: 'recordAudit', event: 'dataExported', actor: { kind: 'system', id: 'export' }, detail: { rows: 3 } },
    { type: 'listAudit', by, limit: 20, before: 100 },
  ])('accepts $type', (msg) => {
    expect(OrgMsg.safeParse(msg).success).toBe(true);
  });

  it('trims names', () => {
    const parsed = OrgMsg.parse({ type: 'createOrg', name: ' Acme ', owner: { userId: 'u-1', email: 'a@acme.test' } });
    expect(parsed).toMatchObject({ name: 'Acme' });
  });

  it.each([
    ['an unknown scope', { type: 'createApiKey', keyId: 'k', name: 'n', scopes: ['admin:*'], secretHash: hash, by }],
    ['no scopes', { type: 'createApiKey', keyId: 'k', name: 'n', scopes: [], secretHash: hash, by }],
    ['an unknown role', { type: 'changeRole', userId: 'u', role: 'root', by }],
    [
      'a malformed email',
      { type: 'inviteUser', inviteId: 'i', email: 'nope', role: 'viewer', tokenHash: hash, expiresAtMs: 1, by },
    ],
    ['a short hash', { type: 'verifyApiKey', keyId: 'k', secretHash: 'abc' }],
    [
      'an unknown audit event',
      { type: 'recordAudit', event: 'hacked', actor: { kind: 'system', id: 's' }, detail: {} },
    ],
    [
      'nested audit detail',
      { type: 'recordAudit', event: 'dataErased', actor: { kind: 'system', id: 's' }, detail: { a: {} } },
    ],
    ['a huge page', { type: 'listAudit', by, limit: 100_000 }],
    ['an unknown type', { type: 'dropOrg' }],
  ])('rejects %s', (_label, msg) => {
    expect(OrgMsg.safeParse(msg).success).toBe(false);
  });
});
