import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signPayload, verifySignature } from './sign.ts';

describe('signPayload', () => {
  it('matches the published HMAC-SHA256 test vector', () => {
    // The widely published example vector (e.g. Wikipedia "HMAC"): HMAC_SHA256("key", "The quick brown fox …").
    expect(signPayload('The quick brown fox jumps over the lazy dog', 'key')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  it('equals an independent node:crypto HMAC over the raw bytes, for strings and buffers', () => {
    const raw = Buffer.from('{"object":"whatsapp_business_account","entry":[{"emoji":"😮"}]}', 'utf8');
    const expected = `sha256=${createHmac('sha256', 'app-secret').update(raw).digest('hex')}`;
    expect(signPayload(raw, 'app-secret')).toBe(expected);
    expect(signPayload(raw.toString('utf8'), 'app-secret')).toBe(expected);
    expect(expected).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('differs when the secret or a single byte differs', () => {
    const body = '{"a":1}';
    expect(signPayload(body, 's1')).not.toBe(signPayload(body, 's2'));
    expect(signPayload(body, 's1')).not.toBe(signPayload('{"a":2}', 's1'));
  });
});

describe('verifySignature', () => {
  it('accepts the right header and refuses a wrong or missing one', () => {
    const body = Buffer.from('{"a":"\\u00e9"}');
    const header = signPayload(body, 'secret');
    expect(verifySignature(body, 'secret', header)).toBe(true);
    expect(verifySignature(body, 'other', header)).toBe(false);
    expect(verifySignature(body, 'secret', undefined)).toBe(false);
    expect(verifySignature(body, 'secret', 'sha256=00')).toBe(false);
    // a re-serialised body (é instead of \u00e9) does not verify: receivers must hash the raw bytes
    expect(verifySignature(JSON.stringify(JSON.parse(body.toString())), 'secret', header)).toBe(false);
  });
});
