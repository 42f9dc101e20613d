import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signatureHeader, verifySignature } from './signature.ts';

const SECRET = 'app-secret-1';
const BODY = Buffer.from('{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}],"n":"\\u00e9"}');

function hmacHex(body: Buffer, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}

describe('verifySignature (X-Hub-Signature-256, WHATSAPP.md §3.2)', () => {
  it('accepts sha256=<hex HMAC-SHA256(app secret, raw body)>', () => {
    expect(verifySignature(BODY, `sha256=${hmacHex(BODY, SECRET)}`, [SECRET])).toBe(true);
  });

  it('accepts upper-case hex', () => {
    expect(verifySignature(BODY, `sha256=${hmacHex(BODY, SECRET).toUpperCase()}`, [SECRET])).toBe(true);
  });

  it('accepts any of several secrets (rotation)', () => {
    const header = signatureHeader(BODY, 'new-secret');
    expect(verifySignature(BODY, header, [SECRET, 'new-secret'])).toBe(true);
    expect(verifySignature(BODY, header, ['new-secret', SECRET])).toBe(true);
    expect(verifySignature(BODY, header, [SECRET])).toBe(false);
  });

  it('is computed over the raw bytes, not re-serialised JSON', () => {
    const header = signatureHeader(BODY, SECRET);
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(BODY.toString('utf8'))));
    expect(reserialised.equals(BODY)).toBe(false);
    expect(verifySignature(reserialised, header, [SECRET])).toBe(false);
  });

  it('rejects a tampered body', () => {
    const header = signatureHeader(BODY, SECRET);
    const tampered = Buffer.from(BODY);
    tampered[10] = tampered[10] === 0x41 ? 0x42 : 0x41;
    expect(verifySignature(tampered, header, [SECRET])).toBe(false);
  });

  const good = hmacHex(BODY, SECRET);
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['without the prefix', good],
    ['with another algorithm', `sha1=${good}`],
    ['with a short digest', `sha256=${good.slice(0, 62)}`],
    ['with a long digest', `sha256=${good}00`],
    ['with non-hex characters', `sha256=${good.slice(0, 63)}z`],
    ['with surrounding text', ` sha256=${good}`],
    ['with two signatures', `sha256=${good},sha256=${good}`],
  ])('rejects a header that is %s', (_name, header) => {
    expect(verifySignature(BODY, header, [SECRET])).toBe(false);
  });

  it('never verifies with no secrets or only empty secrets', () => {
    expect(verifySignature(BODY, signatureHeader(BODY, ''), [])).toBe(false);
    expect(verifySignature(BODY, signatureHeader(BODY, ''), [''])).toBe(false);
  });

  it('signatureHeader produces what Meta sends', () => {
    expect(signatureHeader(BODY, SECRET)).toBe(`sha256=${good}`);
  });
});
