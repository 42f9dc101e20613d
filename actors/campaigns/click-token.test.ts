import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CLICK_MAC_BYTES, clickToken, hmacSha256, readClickToken, sha256, type ClickRef } from './click-token.ts';

const KEY = new Uint8Array(32).map((_, i) => i + 1);
const OTHER_KEY = new Uint8Array(32).map((_, i) => 200 - i);
const RUN_ID = '0123456789abcdef.cmp_AbCdEfGhIjKlMnOp.3';
const REF: ClickRef = { runId: RUN_ID, recipient: 4_711, variant: 1, button: 0 };

describe('SHA-256 and HMAC-SHA256, pure', () => {
  it('agree with node:crypto on lengths around the block boundaries', () => {
    for (const length of [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1_000]) {
      const data = new Uint8Array(length).map((_, i) => (i * 31 + 7) & 0xff);
      expect(Buffer.from(sha256(data)).toString('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    }
  });

  it('agree with node:crypto for any key and message (a long key is hashed first)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ maxLength: 300 }), (key, message) => {
        const expected = createHmac('sha256', key).update(message).digest('hex');
        expect(Buffer.from(hmacSha256(key, message)).toString('hex')).toBe(expected);
      }),
    );
  });
});

describe('click tokens', () => {
  it('round-trip: the token names its run, recipient, variant and button, and is short for a real run', () => {
    const token = clickToken(KEY, REF);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(token).toHaveLength(50);
    expect(readClickToken([KEY], token)).toEqual(REF);
  });

  it('are deterministic: the same ref gives the same token (a dispatch replayed after a crash sends it again)', () => {
    expect(clickToken(KEY, REF)).toBe(clickToken(KEY, { ...REF }));
    expect(clickToken(KEY, REF)).not.toBe(clickToken(KEY, { ...REF, recipient: 4_712 }));
    expect(clickToken(KEY, REF)).not.toBe(clickToken(KEY, { ...REF, button: 1 }));
  });

  it('carry run ids of any other shape in full', () => {
    const ref: ClickRef = { runId: 'org1.cmp_1.12', recipient: 0, variant: 0, button: 9 };
    expect(readClickToken([KEY], clickToken(KEY, ref))).toEqual(ref);
  });

  it('round-trip for any recipient, variant and button', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 1, max: 99_999 }),
        (recipient, variant, button, run) => {
          const ref = { runId: `fedcba9876543210.cmp_-_-_0123456789ab.${run}`, recipient, variant, button };
          expect(readClickToken([KEY], clickToken(KEY, ref))).toEqual(ref);
        },
      ),
    );
  });

  it('are refused when forged: another key, a changed byte, a changed character', () => {
    const token = clickToken(KEY, REF);
    expect(readClickToken([OTHER_KEY], token)).toBeNull();
    const bytes = Buffer.from(token, 'base64url');
    for (const at of [0, 5, bytes.length - CLICK_MAC_BYTES - 1, bytes.length - 1]) {
      const changed = Buffer.from(bytes);
      changed[at] = changed[at]! ^ 0x01;
      expect(readClickToken([KEY], changed.toString('base64url'))).toBeNull();
    }
    const last = token.at(-1) === 'A' ? 'B' : 'A';
    expect(readClickToken([KEY], token.slice(0, -1) + last)).toBeNull();
  });

  it('are refused when truncated or extended, and garbage is no token', () => {
    const token = clickToken(KEY, REF);
    for (let cut = 1; cut < token.length; cut += 7) expect(readClickToken([KEY], token.slice(0, -cut))).toBeNull();
    expect(readClickToken([KEY], `${token}AA`)).toBeNull();
    for (const text of ['', 'x', 'not a token', '../../etc/passwd', '%00', 'A'.repeat(401)]) {
      expect(readClickToken([KEY], text)).toBeNull();
    }
  });

  it('of another run do not name this run: a MAC is bound to every field', () => {
    const other = clickToken(KEY, { ...REF, runId: '0123456789abcdef.cmp_AbCdEfGhIjKlMnOp.4' });
    expect(readClickToken([KEY], other)?.runId).toBe('0123456789abcdef.cmp_AbCdEfGhIjKlMnOp.4');
    // Splicing the other run's body onto this token's MAC (or the reverse) fails.
    const mine = Buffer.from(clickToken(KEY, REF), 'base64url');
    const theirs = Buffer.from(other, 'base64url');
    const spliced = Buffer.concat([
      theirs.subarray(0, theirs.length - CLICK_MAC_BYTES),
      mine.subarray(-CLICK_MAC_BYTES),
    ]);
    expect(readClickToken([KEY], spliced.toString('base64url'))).toBeNull();
  });

  it('are accepted under any configured key, so a key rotation keeps sent links working', () => {
    const old = clickToken(OTHER_KEY, REF);
    expect(readClickToken([KEY, OTHER_KEY], old)).toEqual(REF);
    expect(readClickToken([KEY], old)).toBeNull();
  });

  it('refuse refs no token can carry', () => {
    expect(() => clickToken(KEY, { ...REF, button: 10 })).toThrow(RangeError);
    expect(() => clickToken(KEY, { ...REF, variant: 16 })).toThrow(RangeError);
    expect(() => clickToken(KEY, { ...REF, recipient: -1 })).toThrow(RangeError);
  });
});
