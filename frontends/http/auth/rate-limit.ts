import { ParloError } from '../../../core/index.ts';
import type { Authenticate } from '../api/register-routes.ts';
import { callerOf } from './caller.ts';

export const DEFAULT_RATE_PER_KEY_PER_SEC = 50;
export const DEFAULT_RATE_PER_ORG_PER_SEC = 200;
/** Buckets hold this many seconds of traffic, so short bursts pass. */
export const DEFAULT_BURST_SECONDS = 2;

interface Bucket {
  tokens: number;
  lastMs: number;
}

export interface RateLimiterOptions {
  readonly perKeyPerSec?: number;
  readonly perOrgPerSec?: number;
  readonly burstSeconds?: number;
  readonly now?: () => number;
}

/**
 * Token buckets per credential (API key or session) and per organisation. A request takes one token from both;
 * when either is empty the answer says how long until one refills. In memory, per node: limits are per node.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perKey: number;
  private readonly perOrg: number;
  private readonly burstSeconds: number;
  private readonly now: () => number;

  constructor(options: RateLimiterOptions = {}) {
    this.perKey = options.perKeyPerSec ?? DEFAULT_RATE_PER_KEY_PER_SEC;
    this.perOrg = options.perOrgPerSec ?? DEFAULT_RATE_PER_ORG_PER_SEC;
    this.burstSeconds = options.burstSeconds ?? DEFAULT_BURST_SECONDS;
    this.now = options.now ?? Date.now;
  }

  /** Takes a token for the credential and its organisation, or returns the wait in ms (nothing taken then). */
  take(
    credentialKey: string,
    orgId: string,
  ): { ok: true } | { ok: false; retryAfterMs: number; limit: 'credential' | 'organisation' } {
    const nowMs = this.now();
    const credential = this.refill(`c:${credentialKey}`, this.perKey, nowMs);
    const org = this.refill(`o:${orgId}`, this.perOrg, nowMs);
    if (credential.tokens < 1)
      return { ok: false, retryAfterMs: this.waitMs(credential, this.perKey), limit: 'credential' };
    if (org.tokens < 1) return { ok: false, retryAfterMs: this.waitMs(org, this.perOrg), limit: 'organisation' };
    credential.tokens -= 1;
    org.tokens -= 1;
    return { ok: true };
  }

  private refill(key: string, ratePerSec: number, nowMs: number): Bucket {
    const capacity = ratePerSec * this.burstSeconds;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: capacity, lastMs: nowMs };
      this.buckets.set(key, bucket);
    } else if (nowMs > bucket.lastMs) {
      bucket.tokens = Math.min(capacity, bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * ratePerSec);
      bucket.lastMs = nowMs;
    }
    return bucket;
  }

  private waitMs(bucket: Bucket, ratePerSec: number): number {
    return Math.ceil(((1 - bucket.tokens) / ratePerSec) * 1000);
  }
}

/** Authenticates, then charges the caller's credential and organisation; 429 PARLO_RATE_LIMITED when exhausted. */
export function withRateLimit(authenticate: Authenticate, limiter: RateLimiter): Authenticate {
  return async (request, requirement) => {
    await authenticate(request, requirement);
    const caller = callerOf(request);
    const credential = caller.kind === 'apiKey' ? `key:${caller.keyId}` : `session:${caller.sessionId}`;
    const verdict = limiter.take(credential, caller.orgId);
    if (!verdict.ok) {
      const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
      throw new ParloError(
        'PARLO_RATE_LIMITED',
        `too many requests for this ${verdict.limit}; retry after ${retryAfterSeconds} s`,
        {
          retryAfterSeconds,
          limit: verdict.limit,
        },
      );
    }
  };
}
