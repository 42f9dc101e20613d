import * as crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeSignature, signatureHeader, signingSecretContext, verifyParloSignature } from './signature.ts';

const OLD = 'whsec_old-secret-0123456789abcdef';
const NEW = 'whsec_new-secret-fedcba9876543210';
const BODY = '{"id":"evt_1","type":"message.received","created":"2026-01-01T00:00:00.000Z","data":{}}';
const T = 1_767_225_600;

describe('signatureHeader', () => {
  it('is t=<seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>"> per secret', () => {
    const header = signatureHeader([NEW, OLD], T, BODY);
    const expected = (secret: string) => crypto.createHmac('sha256', secret).update(`${T}.${BODY}`).digest('hex');
    expect(header).toBe(`t=${T},v1=${expected(NEW)},v1=${expected(OLD)}`);
    expect(header).toMatch(/^t=\d+(,v1=[0-9a-f]{64}){2}$/);
    expect(computeSignature(NEW, T, Buffer.from(BODY))).toBe(expected(NEW));
  });

  it('needs a secret', () => {
    expect(() => signatureHeader([], T, BODY)).toThrow(RangeError);
  });

  it('names the context a secret is sealed under', () => {
    expect(signingSecretContext('o1', 'we_1', 'ws_1')).toBe('webhook:o1:we_1:ws_1');
  });
});

describe('verifyParloSignature', () => {
  const header = signatureHeader([NEW, OLD], T, BODY);

  it('accepts the body with either secret during a rotation', () => {
    expect(verifyParloSignature(header, BODY, NEW, T)).toEqual({ ok: true, timestamp: T });
    expect(verifyParloSignature(header, BODY, [OLD], T)).toEqual({ ok: true, timestamp: T });
    expect(verifyParloSignature(header, Buffer.from(BODY), ['whsec_unrelated', NEW], T)).toMatchObject({ ok: true });
    // After the rotation the receiver knows only the new secret, and Parlo signs only with it.
    expect(verifyParloSignature(signatureHeader([NEW], T, BODY), BODY, NEW, T)).toMatchObject({ ok: true });
    expect(verifyParloSignature(signatureHeader([NEW], T, BODY), BODY, OLD, T)).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('refuses another body, another secret or a changed timestamp', () => {
    expect(verifyParloSignature(header, `${BODY} `, NEW, T)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyParloSignature(header, BODY, 'whsec_wrong', T)).toEqual({ ok: false, reason: 'mismatch' });
    const shifted = header.replace(`t=${T}`, `t=${T + 1}`);
    expect(verifyParloSignature(shifted, BODY, NEW, T)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('allows 300 s of clock difference either way, and no more', () => {
    expect(verifyParloSignature(header, BODY, NEW, T + 300)).toMatchObject({ ok: true });
    expect(verifyParloSignature(header, BODY, NEW, T - 300)).toMatchObject({ ok: true });
    expect(verifyParloSignature(header, BODY, NEW, T + 301)).toEqual({ ok: false, reason: 'timestamp' });
    expect(verifyParloSignature(header, BODY, NEW, T - 301)).toEqual({ ok: false, reason: 'timestamp' });
    expect(verifyParloSignature(header, BODY, NEW, T + 1000, 3600)).toMatchObject({ ok: true });
  });

  it.each<[string | undefined, string]>([
    [undefined, 'missing'],
    ['', 'missing'],
    ['garbage', 'malformed'],
    [`t=${T}`, 'malformed'],
    [`v1=${'a'.repeat(64)}`, 'malformed'],
    [`t=abc,v1=${'a'.repeat(64)}`, 'malformed'],
    [`t=${T},v1=xyz`, 'malformed'],
    [`t=${T},t=${T},v1=${'a'.repeat(64)}`, 'malformed'],
  ])('refuses header %s as %s', (value, reason) => {
    expect(verifyParloSignature(value, BODY, NEW, T)).toEqual({ ok: false, reason });
  });

  it('ignores signature schemes it does not know', () => {
    const withFuture = `${header},v2=somethingelse`;
    expect(verifyParloSignature(withFuture, BODY, NEW, T)).toMatchObject({ ok: true });
  });
});

describe('the verifier printed in docs/webhooks.md', () => {
  type Verify = (header: string, body: string, secrets: string | string[], now?: number, tolerance?: number) => boolean;
  const docs = readFileSync(new URL('../../docs/webhooks.md', import.meta.url), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(docs)?.[1] ?? '';
  // The block is an ES module; run it as a function body with node:crypto handed in.
  const body = code
    .replace(
      "import { createHmac, timingSafeEqual } from 'node:crypto';",
      'const { createHmac, timingSafeEqual } = crypto;',
    )
    .replace('export function', 'function');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval, @typescript-eslint/no-unsafe-call -- the documented snippet, run as written
  const verify = new Function('crypto', 'Buffer', `${body}\nreturn verifyParloSignature;`)(crypto, Buffer) as Verify;

  it('agrees with the signer: both secrets during a rotation, 300 s tolerance, tampering refused', () => {
    expect(code).toContain('export function verifyParloSignature');
    const header = signatureHeader([NEW, OLD], T, BODY);
    expect(verify(header, BODY, NEW, T)).toBe(true);
    expect(verify(header, BODY, [OLD], T + 300)).toBe(true);
    expect(verify(header, BODY, NEW, T + 301)).toBe(false);
    expect(verify(header, `${BODY}x`, NEW, T)).toBe(false);
    expect(verify(header, BODY, 'whsec_other', T)).toBe(false);
    expect(verify('', BODY, NEW, T)).toBe(false);
  });
});
