import { describe, expect, it } from 'vitest';
import { authorizeSubscription, type SubscriptionAccessDeps } from './subscribe-auth.ts';

const caller = { userId: 'usr1', orgId: 'org1', role: 'viewer' } as const;
const deps: SubscriptionAccessDeps = {
  ownsNumber: (orgId, phoneNumberId) => Promise.resolve(orgId === 'org1' && phoneNumberId === '1001'),
};

describe('authorizeSubscription', () => {
  it.each([
    [{ scope: 'org' }, { scope: 'org', id: 'org1' }],
    [
      { scope: 'org', id: 'org1' },
      { scope: 'org', id: 'org1' },
    ],
    [
      { scope: 'number', id: '1001' },
      { scope: 'number', id: '1001' },
    ],
    [
      { scope: 'conversation', id: '1001.p15551234567' },
      { scope: 'conversation', id: '1001.p15551234567' },
    ],
  ] as const)('lets a reader subscribe to %j', async (request, key) => {
    expect(await authorizeSubscription(caller, request, deps)).toEqual({ ok: true, key });
  });

  it.each([
    [{ scope: 'org', id: 'org2' }, 'PARLO_ORG_NOT_FOUND'],
    [{ scope: 'number', id: '2002' }, 'PARLO_NUMBER_NOT_FOUND'],
    [{ scope: 'conversation', id: '2002.p15551234567' }, 'PARLO_CONVERSATION_NOT_FOUND'],
  ] as const)('answers what is not the organisation’s like the REST API: %j → %s', async (request, code) => {
    expect(await authorizeSubscription(caller, request, deps)).toMatchObject({ ok: false, code });
  });

  it('refuses a role without messages:read before looking anything up', async () => {
    let lookedUp = false;
    const refused = await authorizeSubscription(
      caller,
      { scope: 'number', id: '1001' },
      {
        ownsNumber: () => {
          lookedUp = true;
          return Promise.resolve(true);
        },
        canRead: () => false,
      },
    );
    expect(refused).toEqual({
      ok: false,
      code: 'PARLO_ACCESS_FORBIDDEN',
      message: 'role viewer does not hold messages:read',
    });
    expect(lookedUp).toBe(false);
  });
});
