import { describe, expect, it } from 'vitest';
import { ParloError } from '../errors/parlo-error.ts';
import { SecretBox, parseKeyList } from './secret-box.ts';

const keyA = SecretBox.generateKeyText();
const keyB = SecretBox.generateKeyText();

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    return err instanceof ParloError ? err.code : 'not a ParloError';
  }
  return undefined;
}

describe('SecretBox', () => {
  it('opens what it sealed, in the same context', () => {
    const box = SecretBox.fromText(keyA);
    const sealed = box.seal('EAAG-token ✓', 'waba:o1:w1:accessToken');
    expect(sealed).toMatch(/^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(sealed).not.toContain('EAAG');
    expect(box.open(sealed, 'waba:o1:w1:accessToken')).toBe('EAAG-token ✓');
  });

  it('seals the same plaintext differently each time (random nonce)', () => {
    const box = SecretBox.fromText(keyA);
    expect(box.seal('x', 'c')).not.toBe(box.seal('x', 'c'));
  });

  it('refuses another context, a tampered value and an unknown key', () => {
    const box = SecretBox.fromText(keyA);
    const sealed = box.seal('secret', 'waba:o1:w1:accessToken');
    expect(codeOf(() => box.open(sealed, 'waba:o2:w1:accessToken'))).toBe('PARLO_SECRET_UNREADABLE');
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3]!, 'base64url');
    body[0] = body[0]! ^ 1;
    const tampered = [...parts.slice(0, 3), body.toString('base64url')].join('.');
    expect(codeOf(() => box.open(tampered, 'waba:o1:w1:accessToken'))).toBe('PARLO_SECRET_UNREADABLE');
    expect(codeOf(() => SecretBox.fromText(keyB).open(sealed, 'waba:o1:w1:accessToken'))).toBe(
      'PARLO_SECRET_UNREADABLE',
    );
    expect(codeOf(() => box.open('plain text', 'c'))).toBe('PARLO_SECRET_UNREADABLE');
  });

  it('rotates keys: the first key seals, every listed key opens', () => {
    const old = SecretBox.fromText(keyA).seal('kept', 'c');
    const rotated = SecretBox.fromText(`${keyB},${keyA}`);
    expect(rotated.open(old, 'c')).toBe('kept');
    const fresh = rotated.seal('new', 'c');
    expect(fresh.split('.')[1]).not.toBe(old.split('.')[1]);
    expect(codeOf(() => SecretBox.fromText(keyA).open(fresh, 'c'))).toBe('PARLO_SECRET_UNREADABLE');
  });

  it('names the bad key in a key list', () => {
    expect(() => parseKeyList('')).toThrow('no key given');
    expect(() => parseKeyList(`${keyA},not base64!`)).toThrow('key 2 is not base64');
    expect(() => parseKeyList('AAAA')).toThrow('key 1 decodes to 3 bytes; it must be 32');
    expect(parseKeyList(` ${keyA} , ${Buffer.from(keyB, 'base64').toString('base64url')} `)).toHaveLength(2);
  });
});
