import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  idempotencyRecordId,
  readIdempotencyKey,
  requestFingerprint,
  responseBox,
  type FingerprintInput,
} from './idempotency.ts';
import type { ValidationDetail } from './validation.ts';

const BASE: FingerprintInput = {
  method: 'POST',
  operationId: 'createContact',
  principal: 'user:usr1',
  params: {},
  query: {},
  body: { name: 'Ada', tags: ['a', 'b'], address: { zip: '12345', city: 'London' } },
};

function read(headers: Record<string, string | string[]>): { key: string | undefined; problems: ValidationDetail[] } {
  const problems: ValidationDetail[] = [];
  const key = readIdempotencyKey({ headers } as unknown as FastifyRequest, problems);
  return { key, problems };
}

describe('canonicalJson', () => {
  it('sorts keys at every level, keeps array order and drops undefined fields', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { y: 1, x: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"x":2,"y":1}]},"b":1}',
    );
    expect(canonicalJson([undefined, null, 'x'])).toBe('[null,null,"x"]');
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('requestFingerprint', () => {
  it('is the same for the same request written in another key order', () => {
    const reordered = { ...BASE, body: { address: { city: 'London', zip: '12345' }, tags: ['a', 'b'], name: 'Ada' } };
    expect(requestFingerprint(reordered, 'org1', 'k')).toBe(requestFingerprint(BASE, 'org1', 'k'));
  });

  it('is keyed by scope and Idempotency-Key, so that it reveals nothing about the inputs without the key', () => {
    const fingerprint = requestFingerprint(BASE, 'org1', 'k');
    expect(fingerprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(requestFingerprint(BASE, 'org1', 'k2')).not.toBe(fingerprint);
    expect(requestFingerprint(BASE, 'org2', 'k')).not.toBe(fingerprint);
  });

  it.each<[string, Partial<FingerprintInput>]>([
    ['another body', { body: { ...(BASE.body as object), name: 'Bob' } }],
    ['another array order', { body: { ...(BASE.body as object), tags: ['b', 'a'] } }],
    ['another route', { operationId: 'createOther' }],
    ['another caller', { principal: 'apiKey:k1' }],
    ['other params', { params: { contactId: 'ct_1' } }],
    ['another query', { query: { dryRun: true } }],
    ['no body', { body: undefined }],
  ])('differs for %s', (_name, change) => {
    expect(requestFingerprint({ ...BASE, ...change }, 'org1', 'k')).not.toBe(requestFingerprint(BASE, 'org1', 'k'));
  });
});

describe('readIdempotencyKey', () => {
  it('reads 1 to 255 printable ASCII characters', () => {
    expect(read({})).toEqual({ key: undefined, problems: [] });
    expect(read({ 'idempotency-key': '3f1c2a9e-0b7d-4c55-9a57-5e0b0c1f9d11' }).key).toBe(
      '3f1c2a9e-0b7d-4c55-9a57-5e0b0c1f9d11',
    );
    expect(read({ 'idempotency-key': 'x'.repeat(255) }).key).toHaveLength(255);
  });

  it.each([[''], ['x'.repeat(256)], ['tab\there'], ['café'], [['a', 'b']]])(
    'refuses %j, naming the header',
    (value) => {
      const { key, problems } = read({ 'idempotency-key': value });
      expect(key).toBeUndefined();
      expect(problems).toEqual([
        { location: 'headers', path: 'idempotency-key', rule: 'pattern', message: expect.any(String) },
      ]);
    },
  );
});

describe('record ids and sealed bodies', () => {
  it('names a record by scope and key hash, never the key', () => {
    const id = idempotencyRecordId('0123456789abcdef', 'my-secret-key');
    expect(id).toMatch(/^0123456789abcdef\.[A-Za-z0-9_-]{43}$/);
    expect(id).not.toContain('my-secret-key');
    expect(idempotencyRecordId('public', 'my-secret-key')).not.toBe(id);
  });

  it('seals bodies so that only the same scope and key open them', () => {
    const sealed = responseBox('org1', 'key-1').seal('{"token":"secret"}', 'org1.h');
    expect(sealed).not.toContain('secret');
    expect(responseBox('org1', 'key-1').open(sealed, 'org1.h')).toBe('{"token":"secret"}');
    expect(() => responseBox('org1', 'key-2').open(sealed, 'org1.h')).toThrow();
    expect(() => responseBox('org2', 'key-1').open(sealed, 'org1.h')).toThrow();
  });
});
