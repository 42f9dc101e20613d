import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limit.ts';

describe('RateLimiter', () => {
  it('lets a burst through, then refuses with the wait until the next token', () => {
    let now = 0;
    const limiter = new RateLimiter({ perKeyPerSec: 2, perOrgPerSec: 100, burstSeconds: 1, now: () => now });
    expect(limiter.take('k1', 'o1')).toEqual({ ok: true });
    expect(limiter.take('k1', 'o1')).toEqual({ ok: true });
    expect(limiter.take('k1', 'o1')).toEqual({ ok: false, retryAfterMs: 500, limit: 'credential' });
    now = 499;
    expect(limiter.take('k1', 'o1').ok).toBe(false);
    now = 500;
    expect(limiter.take('k1', 'o1')).toEqual({ ok: true });
    expect(limiter.take('k2', 'o1')).toEqual({ ok: true }); // another credential has its own bucket
  });

  it('caps the whole organisation across its credentials, and a refusal takes nothing', () => {
    let now = 0;
    const limiter = new RateLimiter({ perKeyPerSec: 100, perOrgPerSec: 3, burstSeconds: 1, now: () => now });
    expect(['a', 'b', 'c'].map((k) => limiter.take(k, 'org').ok)).toEqual([true, true, true]);
    expect(limiter.take('d', 'org')).toMatchObject({ ok: false, limit: 'organisation' });
    expect(limiter.take('a', 'other-org').ok).toBe(true);
    now = 334;
    expect(limiter.take('d', 'org').ok).toBe(true);
  });

  it('limits each client address on its own bucket (public routes)', () => {
    let now = 0;
    const limiter = new RateLimiter({ perAddressPerSec: 10, burstSeconds: 2, now: () => now });
    for (let i = 0; i < 20; i++) expect(limiter.takeForAddress('203.0.113.7').ok).toBe(true);
    expect(limiter.takeForAddress('203.0.113.7')).toEqual({ ok: false, retryAfterMs: 100, limit: 'address' });
    expect(limiter.takeForAddress('203.0.113.8').ok).toBe(true);
    now = 100;
    expect(limiter.takeForAddress('203.0.113.7').ok).toBe(true);
    expect(limiter.takeForAddress('203.0.113.7').ok).toBe(false);
  });

  it('keeps memory bounded: full buckets are dropped once there are too many', () => {
    let now = 0;
    const limiter = new RateLimiter({ perAddressPerSec: 1, burstSeconds: 1, maxBuckets: 100, now: () => now });
    for (let i = 0; i < 100; i++) limiter.takeForAddress(`10.0.0.${i}`);
    expect(limiter.bucketCount).toBe(100);
    now = 1_000; // every bucket has refilled: the next new address clears them all
    limiter.takeForAddress('10.0.1.0');
    expect(limiter.bucketCount).toBe(1);
    // A bucket that is still drained is kept, so dropping never resets a limit.
    limiter.takeForAddress('10.0.1.0');
    for (let i = 0; i < 100; i++) limiter.takeForAddress(`10.0.2.${i}`);
    expect(limiter.takeForAddress('10.0.1.0').ok).toBe(false);
  });
});
