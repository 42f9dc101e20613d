/**
 * The simulator's rate rules, pure and clock-free (callers pass `nowMs`), so they are table-tested in isolation.
 */

/** Tolerance for the float refill: 80 refills of 1/80 s must add up to a whole token. */
const EPSILON = 1e-9;

/** A token bucket: `ratePerSec` refill, `burst` capacity. Meta's throughput limit counts inbound and outbound. */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private ratePerSec: number,
    private burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.lastMs = nowMs;
  }

  /** Takes one token if available. */
  tryTake(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1 - EPSILON) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes one token even if that leaves the bucket negative (inbound traffic Meta counted anyway). */
  forceTake(nowMs: number): void {
    this.refill(nowMs);
    this.tokens -= 1;
  }

  setRate(ratePerSec: number, burst: number, nowMs: number): void {
    this.refill(nowMs);
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }

  private refill(nowMs: number): void {
    if (nowMs > this.lastMs) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) / 1000) * this.ratePerSec);
      this.lastMs = nowMs;
    }
  }
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Unique users reached in a moving 24 h window (Meta's messaging limit counts unique users of business-initiated
 * messages outside a customer-service window, per business portfolio).
 */
export class RollingUniqueUsers {
  private readonly lastSeenAtMs = new Map<string, number>();

  /** Users reached in (nowMs − 24 h, nowMs]. */
  count(nowMs: number): number {
    let n = 0;
    for (const [user, at] of this.lastSeenAtMs) {
      if (at > nowMs - DAY_MS) n++;
      else this.lastSeenAtMs.delete(user);
    }
    return n;
  }

  isCounted(user: string, nowMs: number): boolean {
    const at = this.lastSeenAtMs.get(user);
    return at !== undefined && at > nowMs - DAY_MS;
  }

  /** Whether reaching `user` now stays within `limit` (null = unlimited). */
  allows(user: string, nowMs: number, limit: number | null): boolean {
    if (limit === null || this.isCounted(user, nowMs)) return true;
    return this.count(nowMs) < limit;
  }

  record(user: string, nowMs: number): void {
    this.lastSeenAtMs.set(user, nowMs);
  }
}

/** Timestamps of events per key inside a sliding window, for per-user caps (e.g. marketing templates per day). */
export class SlidingCounter {
  private readonly events = new Map<string, number[]>();

  constructor(private readonly windowMs: number) {}

  count(key: string, nowMs: number): number {
    const list = this.events.get(key);
    if (!list) return 0;
    const fresh = list.filter((at) => at > nowMs - this.windowMs);
    if (fresh.length === 0) this.events.delete(key);
    else this.events.set(key, fresh);
    return fresh.length;
  }

  record(key: string, nowMs: number): void {
    const list = this.events.get(key) ?? [];
    list.push(nowMs);
    this.events.set(key, list);
  }
}
