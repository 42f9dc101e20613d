import { describe, expect, it } from 'vitest';
import {
  ContactMsg,
  MAX_CONTACT_KEY_LENGTH,
  contactAddress,
  contactIdParts,
  customerKeyOf,
  isContactKey,
  parseContactKey,
} from './contact.messages.ts';

const ORG = '0123456789abcdef';
const BSUID = 'US.13491208655302741918';

describe('customerKeyOf (customer-key.ts): a customer seen with a phone is keyed by it, else by their BSUID', () => {
  const table: readonly [string, { phone?: string | null; userId?: string | null }, string][] = [
    ['phone digits', { phone: '15551234567' }, 'p15551234567'],
    ['phone with +', { phone: '+34600111222' }, 'p34600111222'],
    ['phone and BSUID: the phone wins', { phone: '15551234567', userId: BSUID }, 'p15551234567'],
    ['BSUID only', { userId: BSUID }, `u${BSUID}`],
    ['null phone and a BSUID', { phone: null, userId: BSUID }, `u${BSUID}`],
  ];
  it.each(table)('%s', (_, identifiers, key) => {
    expect(customerKeyOf(identifiers)).toBe(key);
    expect(isContactKey(key)).toBe(true);
  });
});

describe('contact keys', () => {
  const valid = ['p15551234567', 'p491701234567', `u${BSUID}`, 'uUS.ENT.118157', 'uBR.abcDEF123'];
  const invalid = [
    '',
    'p',
    'u',
    'p+15551234567',
    'p015551234567',
    'p1555',
    'p1234567890123456',
    'p1555 1234567',
    'uUS.12 34',
    'uUS/12',
    'x15551234567',
    '15551234567',
    `u${'1'.repeat(MAX_CONTACT_KEY_LENGTH)}`,
    'pconstructor',
  ];
  it.each(valid)('accepts %s', (key) => {
    expect(isContactKey(key)).toBe(true);
  });
  it.each(invalid)('refuses %j', (key) => {
    expect(isContactKey(key)).toBe(false);
  });

  it('parses a key into the identifier it stands for', () => {
    expect(parseContactKey('p15551234567')).toEqual({ kind: 'phone', phone: '15551234567' });
    expect(parseContactKey(`u${BSUID}`)).toEqual({ kind: 'userId', userId: BSUID });
  });

  it('addresses one actor per organisation and key, and splits the id back at the first dot', () => {
    const address = contactAddress(ORG, `u${BSUID}`);
    expect(address).toEqual({ kind: 'contact', id: `${ORG}.u${BSUID}` });
    expect(contactIdParts(address.id)).toEqual({ orgId: ORG, key: `u${BSUID}` });
    expect(contactIdParts('no-dot')).toBeNull();
    expect(contactIdParts(`${ORG}.bad`)).toBeNull();
  });
});

describe('ContactMsg (the protocol schema)', () => {
  it('accepts the messages the conversation actor and the API send', () => {
    const messages: unknown[] = [
      { type: 'observeInbound', atMs: 1, phoneNumberId: '1', messageId: 'wamid.1', text: 'STOP' },
      {
        type: 'recordConsent',
        scope: 'all',
        action: 'optOut',
        method: 'api',
        source: 'support ticket 42',
        by: { kind: 'user', id: 'usr1' },
      },
      { type: 'checkConsent', scope: 'marketing' },
      { type: 'getContact' },
      { type: 'marketingPreferenceChanged', value: 'stop', atMs: 1 },
      {
        type: 'keywordClassified',
        callId: 'wamid.1',
        reply: { ok: true, value: { ok: true, match: null, confirmation: null } },
      },
    ];
    for (const msg of messages) expect(ContactMsg.safeParse(msg).success, JSON.stringify(msg)).toBe(true);
  });

  it('refuses the customer-side methods through recordConsent', () => {
    const msg = {
      type: 'recordConsent',
      scope: 'marketing',
      action: 'optIn',
      method: 'keyword',
      source: 'x',
      by: { kind: 'user', id: 'usr1' },
    };
    expect(ContactMsg.safeParse(msg).success).toBe(false);
  });
});
