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
});
