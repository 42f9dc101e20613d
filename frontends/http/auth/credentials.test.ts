import { beforeAll, describe, expect, it } from 'vitest';
import {
  SCRYPT_PARAMS,
  checkPasswordPolicy,
  constantTimeEqual,
  formatApiKey,
  formatSessionToken,
  hashPassword,
  hashToken,
  needsRehash,
  newApiKeyId,
  newId,
  newSecret,
  parseApiKey,
  parseSessionToken,
  verifyPassword,
  verifyPasswordOfUnknownUser,
} from './credentials.ts';

// Real scrypt parameters (the encoding must never depend on the test), so keep the number of hashes small.
describe('password hashing', () => {
  const PASSWORD = 'correct horse battery staple';
  let encoded: string;
  beforeAll(async () => {
    encoded = await hashPassword(PASSWORD);
  });

  it('encodes scrypt$N$r$p$salt$hash with the real parameters, a 16-byte salt and a 32-byte key', () => {
    const parts = encoded.split('$');
    expect(parts.slice(0, 4)).toEqual(['scrypt', '32768', '8', '1']);
    expect(SCRYPT_PARAMS).toMatchObject({ N: 2 ** 15, r: 8, p: 1 });
    expect(Buffer.from(parts[4] as string, 'base64url')).toHaveLength(16);
    expect(Buffer.from(parts[5] as string, 'base64url')).toHaveLength(32);
    expect(parts[4]).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(needsRehash(encoded)).toBe(false);
  });

  it('verifies the password and nothing else', async () => {
    expect(await verifyPassword(PASSWORD, encoded)).toBe(true);
    expect(await verifyPassword(`${PASSWORD}!`, encoded)).toBe(false);
  });

  it('salts every hash', async () => {
    expect(await hashPassword(PASSWORD)).not.toBe(encoded);
  });

  it('compares passwords in NFKC form', async () => {
    const composed = await hashPassword('Ångström-unit-42');
    expect(await verifyPassword('A\u030Angstro\u0308m-unit-42', composed)).toBe(true);
  });

  it('answers false for a tampered key and for malformed encodings, without throwing', async () => {
    const parts = encoded.split('$');
    const key = Buffer.from(parts[5] as string, 'base64url');
    key[0] = (key[0] ?? 0) ^ 1;
    expect(await verifyPassword(PASSWORD, [...parts.slice(0, 5), key.toString('base64url')].join('$'))).toBe(false);
    const malformed = [
      '',
      'bcrypt$2b$10$abc',
      encoded.replace('scrypt$32768', 'scrypt$30000'), // N not a power of two
      encoded.replace('scrypt$32768', `scrypt$${2 ** 24}`), // too much work to accept
      encoded.replace('$8$1$', '$800$1$'),
      [...parts.slice(0, 4), 'c2FsdA', parts[5]].join('$'), // 4-byte salt
      [...parts.slice(0, 5), 'a2V5'].join('$'), // 3-byte key
      `${encoded}$extra`,
      encoded.replace(/\$[^$]+$/, '$not base64!'),
    ];
    for (const bad of malformed) {
      expect(await verifyPassword(PASSWORD, bad), bad).toBe(false);
      expect(needsRehash(bad)).toBe(true);
    }
  });

  it('spends the same work for an unknown user and answers false', async () => {
    expect(await verifyPasswordOfUnknownUser(PASSWORD)).toBe(false);
  });
});

describe('secrets and tokens', () => {
  it('makes base64url secrets of the asked size and refuses weak ones', () => {
    const secret = newSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
    expect(newSecret(16)).toHaveLength(22);
    expect(newSecret()).not.toBe(secret);
    expect(() => newSecret(8)).toThrow(RangeError);
  });

  it('hashes tokens with SHA-256 as base64url', () => {
    // sha256("abc"), RFC 6234 test vector, in base64url.
    expect(hashToken('abc')).toBe(
      Buffer.from('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad', 'hex').toString('base64url'),
    );
    expect(hashToken('abc')).toHaveLength(43);
  });

  it('compares strings in constant time', () => {
    expect(constantTimeEqual('abc', 'abc')).toBe(true);
    expect(constantTimeEqual('abc', 'abd')).toBe(false);
    expect(constantTimeEqual('abc', 'abcd')).toBe(false);
  });

  it('makes ids that fit the token formats', () => {
    expect(newApiKeyId()).toMatch(/^[0-9a-f]{24}$/);
    expect(newId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });
});

describe('API keys: parlo_<keyId>_<secret>', () => {
  it('round-trips, also when the secret contains underscores', () => {
    const keyId = newApiKeyId();
    for (const secret of [newSecret(), 'ab_cd_ef-gh_ij_kl_mn']) {
      const text = formatApiKey(keyId, secret);
      expect(text.startsWith(`parlo_${keyId}_`)).toBe(true);
      expect(parseApiKey(text)).toEqual({ keyId, secret });
    }
    expect(parseApiKey('parlo_org-1.k2_0123456789abcdefXYZ')).toEqual({
      keyId: 'org-1.k2',
      secret: '0123456789abcdefXYZ',
    });
  });

  it.each([
    '',
    'parlo_',
    'parlo_k1',
    'parlo_k1_short',
    'parlo__0123456789abcdef',
    'PARLO_k1_0123456789abcdef',
    'xparlo_k1_0123456789abcdef',
    'parlo_k1_0123456789abcdef ',
    'parlo_k1_0123456789abc+def/',
    'parlo_k1_0123456789abcdef.x',
  ])('rejects %j', (text) => {
    expect(parseApiKey(text)).toBeNull();
  });

  it('refuses to format ids or secrets that would not parse back', () => {
    expect(() => formatApiKey('k_1', newSecret())).toThrow();
    expect(() => formatApiKey('k1', 'short')).toThrow();
  });
});

describe('session tokens: <sessionId>.<secret>', () => {
  it('round-trips', () => {
    const sessionId = newId();
    const secret = newSecret();
    const token = formatSessionToken(sessionId, secret);
    expect(token).toBe(`${sessionId}.${secret}`);
    expect(parseSessionToken(token)).toEqual({ sessionId, secret });
  });

  it.each([
    '',
    'abc',
    '.0123456789abcdefgh',
    'sid.',
    'sid.short',
    'a.b.0123456789abcdefgh',
    'sid.0123456789abcdefgh=',
    ' sid.0123456789abcdefgh',
  ])('rejects %j', (text) => {
    expect(parseSessionToken(text)).toBeNull();
  });

  it('refuses to format ids that would not parse back', () => {
    expect(() => formatSessionToken('a.b', newSecret())).toThrow();
  });
});

describe('checkPasswordPolicy', () => {
  it.each([
    ['Tr0ub4dor&3x!', null],
    ['correct horse battery staple', null],
    ['correcthorsebatterystaple', null], // a long passphrase needs no second class
    ['zebra-Lantern-91', null],
    ['short1A!', 'use at least 12 characters'],
    ['aaaaaaaaaaaaaaaaaaaaaaa', 'use at least 5 different characters'],
    ['abababababab12', 'use at least 5 different characters'],
    ['lowercaseonly', 'mix letters with digits or symbols (or use a passphrase of 20 or more characters)'],
    ['384920175638', 'mix letters with digits or symbols (or use a passphrase of 20 or more characters)'],
    ['Password1234', 'this password is too common'],
    ['Qwerty!123456', 'this password is too common'],
    ['x'.repeat(200) + 'Y1abcdefgh'.repeat(6), 'use at most 256 characters'],
  ])('%j → %j', (password, expected) => {
    expect(checkPasswordPolicy(password)).toBe(expected);
  });

  it('refuses a password that contains the name of the email address', () => {
    expect(checkPasswordPolicy('Ana.Silva-2026!', { email: 'ana.silva@acme.test' })).toBe(
      'do not use your email address in your password',
    );
    expect(checkPasswordPolicy('Ana.Silva-2026!', { email: 'bob@acme.test' })).toBeNull();
  });

  it('counts characters, not UTF-16 units', () => {
    expect(checkPasswordPolicy('😀😁😂🤣😃😄😅😆😉😊😋a')).toBeNull();
    expect(checkPasswordPolicy('😀😁😂🤣😃a')).toBe('use at least 12 characters');
  });
});
