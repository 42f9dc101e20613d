import { describe, expect, it } from 'vitest';
import {
  DEFAULT_DELIVERY_POLICY,
  DELIVERY_ID_PATTERN,
  deliveryIdOf,
  nextAttemptAtMs,
  retryDelayMs,
  unitInterval,
  type DeliveryPolicy,
} from './retry.ts';

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const NO_JITTER: DeliveryPolicy = { ...DEFAULT_DELIVERY_POLICY, jitterRatio: 0 };

describe('retryDelayMs', () => {
  it.each([
    [1, 10 * SECOND],
    [2, 20 * SECOND],
    [3, 40 * SECOND],
    [4, 80 * SECOND],
    [8, 1280 * SECOND],
    [9, 2560 * SECOND],
    [10, HOUR], // 5120 s capped at 1 h
    [30, HOUR],
    [500, HOUR],
  ])('without jitter, after attempt %i waits %i ms', (attempt, expected) => {
    expect(retryDelayMs(NO_JITTER, 'dlv_x', 1, attempt)).toBe(expected);
  });

  it('spreads each wait by at most ±20 %, deterministically, never past the 1 h cap', () => {
    for (let attempt = 1; attempt <= 40; attempt++) {
      const base = retryDelayMs(NO_JITTER, 'dlv_a', 1, attempt);
      const jittered = retryDelayMs(DEFAULT_DELIVERY_POLICY, 'dlv_a', 1, attempt);
      expect(jittered).toBeGreaterThanOrEqual(Math.floor(base * 0.8));
      expect(jittered).toBeLessThanOrEqual(Math.min(Math.ceil(base * 1.2), HOUR));
      expect(retryDelayMs(DEFAULT_DELIVERY_POLICY, 'dlv_a', 1, attempt)).toBe(jittered);
    }
    // Deliveries that failed together do not retry together.
    const spread = new Set(
      ['dlv_1', 'dlv_2', 'dlv_3', 'dlv_4'].map((id) => retryDelayMs(DEFAULT_DELIVERY_POLICY, id, 1, 1)),
    );
    expect(spread.size).toBe(4);
  });

  it('unitInterval is in [0, 1)', () => {
    for (const text of ['', 'a', 'dlv_1:1:1', 'ü'.repeat(100)]) {
      const u = unitInterval(text);
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
    }
  });
});

describe('nextAttemptAtMs', () => {
  it('schedules retries until 24 h after the first attempt, then stops', () => {
    const start = 1_000_000;
    let now = start;
    let attempt = 1;
    const due: number[] = [];
    for (;;) {
      const next = nextAttemptAtMs(DEFAULT_DELIVERY_POLICY, 'dlv_schedule', 1, attempt, now, start);
      if (next === null) break;
      due.push(next);
      now = next;
      attempt++;
    }
    expect(due.at(-1)).toBeLessThanOrEqual(start + 24 * HOUR);
    expect(now + HOUR * 1.2).toBeGreaterThan(start + 24 * HOUR - 1);
    expect(due.length).toBeGreaterThanOrEqual(27);
    expect(due.length).toBeLessThanOrEqual(36);
  });

  it('with a zero window the first failure is final', () => {
    expect(nextAttemptAtMs({ ...DEFAULT_DELIVERY_POLICY, retryWindowMs: 0 }, 'd', 1, 1, 5, 5)).toBeNull();
  });
});

describe('deliveryIdOf', () => {
  it('is deterministic, distinct per endpoint and event, and URL-safe', () => {
    const id = deliveryIdOf('we_1', 'evt_1');
    expect(id).toMatch(DELIVERY_ID_PATTERN);
    expect(deliveryIdOf('we_1', 'evt_1')).toBe(id);
    expect(deliveryIdOf('we_2', 'evt_1')).not.toBe(id);
    expect(deliveryIdOf('we_1', 'evt_2')).not.toBe(id);
    // The separator keeps ("a", "b\nc") apart from ("a\nb", "c").
    expect(deliveryIdOf('a', 'bc')).not.toBe(deliveryIdOf('ab', 'c'));
  });
});
