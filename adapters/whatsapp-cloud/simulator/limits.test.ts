import { describe, expect, it } from 'vitest';
import { DAY_MS, RollingUniqueUsers, SlidingCounter, TokenBucket } from './limits.ts';

describe('TokenBucket', () => {
  it('allows a burst of `burst` then refills at the rate', () => {
    const bucket = new TokenBucket(80, 80, 0);
    const first = Array.from({ length: 81 }, () => bucket.tryTake(0));
    expect(first.filter(Boolean)).toHaveLength(80);
    expect(bucket.tryTake(12)).toBe(false); // 12 ms refill 0.96 tokens
    expect(bucket.tryTake(13)).toBe(true); // 13 ms: 1.04 tokens
  });

  it('never exceeds the rate over a second once drained', () => {
    const bucket = new TokenBucket(80, 80, 0);
    for (let i = 0; i < 80; i++) bucket.tryTake(0);
    let accepted = 0;
    for (let t = 1; t <= 1000; t++) for (let k = 0; k < 3; k++) if (bucket.tryTake(t)) accepted++;
    expect(accepted).toBe(80);
  });

  it('counts forced (inbound) takes against outbound capacity', () => {
    const bucket = new TokenBucket(10, 10, 0);
    for (let i = 0; i < 15; i++) bucket.forceTake(0);
    expect(bucket.tryTake(0)).toBe(false);
    expect(bucket.tryTake(500)).toBe(false); // -5 + 5 = 0 tokens
    expect(bucket.tryTake(600)).toBe(true);
  });

  it('applies a new rate (throughput upgrade) from now on', () => {
    const bucket = new TokenBucket(80, 80, 0);
    for (let i = 0; i < 80; i++) bucket.tryTake(0);
    bucket.setRate(1000, 1000, 0);
    let accepted = 0;
    for (let i = 0; i < 2000; i++) if (bucket.tryTake(1000)) accepted++;
    expect(accepted).toBe(1000);
  });
});

describe('RollingUniqueUsers', () => {
  it('counts unique users in a moving 24 h window and lets known users through at the limit', () => {
    const users = new RollingUniqueUsers();
    users.record('a', 0);
    users.record('b', 1000);
    expect(users.count(1000)).toBe(2);
    expect(users.allows('c', 1000, 2)).toBe(false);
    expect(users.allows('a', 1000, 2)).toBe(true);
    expect(users.allows('c', 1000, null)).toBe(true);
    expect(users.count(DAY_MS)).toBe(1); // 'a' left the window exactly 24 h later
    expect(users.allows('c', DAY_MS, 2)).toBe(true);
  });
});

describe('SlidingCounter', () => {
  it('counts events per key inside the window', () => {
    const counter = new SlidingCounter(1000);
    counter.record('u', 0);
    counter.record('u', 500);
    counter.record('v', 500);
    expect(counter.count('u', 999)).toBe(2);
    expect(counter.count('u', 1000)).toBe(1);
    expect(counter.count('u', 1500)).toBe(0);
    expect(counter.count('v', 1499)).toBe(1);
  });
});
