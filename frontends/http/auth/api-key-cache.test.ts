import { describe, expect, it } from 'vitest';
import { API_KEY_CACHE_TTL_MS, ApiKeyCache } from './api-key-cache.ts';
import type { ApiCaller } from './caller.ts';

const caller: ApiCaller = { kind: 'apiKey', keyId: 'org.k1', orgId: 'org', scopes: ['messages:send'] };

describe('ApiKeyCache', () => {
  it('trusts a verified key with the same secret for the TTL only', () => {
    let now = 1_000;
    const cache = new ApiKeyCache(() => now);
    cache.put('org.k1', 'hash-a', caller);
    expect(cache.get('org.k1', 'hash-a')).toBe(caller);
    expect(cache.get('org.k1', 'hash-b')).toBeUndefined(); // another secret is verified by the organisation
    now += API_KEY_CACHE_TTL_MS - 1;
    expect(cache.get('org.k1', 'hash-a')).toBe(caller);
    now += 1;
    expect(cache.get('org.k1', 'hash-a')).toBeUndefined();
  });

  it('forgets a revoked key at once, and the oldest key beyond its size', () => {
    const cache = new ApiKeyCache(() => 0, 10_000, 2);
    cache.put('org.k1', 'h', caller);
    cache.invalidate('org.k1');
    expect(cache.get('org.k1', 'h')).toBeUndefined();
    cache.put('org.k1', 'h', caller);
    cache.put('org.k2', 'h', caller);
    cache.put('org.k3', 'h', caller);
    expect(cache.get('org.k1', 'h')).toBeUndefined();
    expect(cache.get('org.k3', 'h')).toBe(caller);
  });
});
