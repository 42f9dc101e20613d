import type { FastifyRequest } from 'fastify';
import { ParloError } from '../../../core/index.ts';
import type { Authenticate, GuardPublic } from '../api/register-routes.ts';
import { callerOf } from './caller.ts';

export const DEFAULT_RATE_PER_KEY_PER_SEC = 50;
export const DEFAULT_RATE_PER_ORG_PER_SEC = 200;
/** Public routes (sign-up, sign-in, refresh, invite accept) per client address: 10/s, bursts of 20. */
export const DEFAULT_RATE_PER_ADDRESS_PER_SEC = 10;
/** Buckets hold this many seconds of traffic, so short bursts pass. */
export const DEFAULT_BURST_SECONDS = 2;
/**
 * Above this many buckets, full ones are dropped (a full bucket is what a new one would be, so nothing is lost).
 * Bounds memory against callers that rotate addresses or credentials to about the callers of the last burst window.
 */
export const DEFAULT_MAX_BUCKETS = 100_000;

interface Bucket {
  tokens: number;
  lastMs: number;
}

export type RateLimitScope = 'credential' | 'organisation' | 'address';
export type RateVerdict = { ok: true } | { ok: false; retryAfterMs: number; limit: RateLimitScope };

export interface RateLimiterOptions {
  readonly perKeyPerSec?: number;
  readonly perOrgPerSec?: number;
  readonly perAddressPerSec?: number;
  readonly burstSeconds?: number;
  readonly maxBuckets?: number;
  readonly now?: () => number;
}

/**
 * Token buckets per credential (API key or session), per organisation, and per client address on public routes. A
 * request takes one token from each bucket it is charged to; when one is empty the answer says how long until one
 * refills. In memory, per node: limits are per node.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perKey: number;
  private readonly perOrg: number;
  private readonly perAddress: number;
  private readonly burstSeconds: number;
  private readonly maxBuckets: number;
  /** The size at which full buckets are dropped next; doubles what a sweep leaves, so sweeps stay amortised O(1). */
  private sweepAtSize: number;
  private readonly now: () => number;

  constructor(options: RateLimiterOptions = {}) {
    this.perKey = options.perKeyPerSec ?? DEFAULT_RATE_PER_KEY_PER_SEC;
    this.perOrg = options.perOrgPerSec ?? DEFAULT_RATE_PER_ORG_PER_SEC;
    this.perAddress = options.perAddressPerSec ?? DEFAULT_RATE_PER_ADDRESS_PER_SEC;
    this.burstSeconds = options.burstSeconds ?? DEFAULT_BURST_SECONDS;
    this.maxBuckets = options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    this.sweepAtSize = this.maxBuckets;
    this.now = options.now ?? Date.now;
  }

  /** Takes a token for the credential and its organisation, or returns the wait in ms (nothing taken then). */
  take(credentialKey: string, orgId: string): RateVerdict {
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

  /** Takes a token for a client address (public routes), or returns the wait in ms. */
  takeForAddress(address: string): RateVerdict {
    const bucket = this.refill(`a:${address}`, this.perAddress, this.now());
    if (bucket.tokens < 1) return { ok: false, retryAfterMs: this.waitMs(bucket, this.perAddress), limit: 'address' };
    bucket.tokens -= 1;
    return { ok: true };
  }

  /** Buckets held in memory (for tests of the bound). */
  get bucketCount(): number {
    return this.buckets.size;
  }

  private refill(key: string, ratePerSec: number, nowMs: number): Bucket {
    const capacity = ratePerSec * this.burstSeconds;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.sweepAtSize) this.dropFullBuckets(nowMs);
      bucket = { tokens: capacity, lastMs: nowMs };
      this.buckets.set(key, bucket);
    } else if (nowMs > bucket.lastMs) {
      bucket.tokens = Math.min(capacity, bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * ratePerSec);
      bucket.lastMs = nowMs;
    }
    return bucket;
  }

  /**
   * Drops every bucket that has refilled completely by now (as good as absent). Buckets refill within
   * `burstSeconds`, so what stays is the callers of the last few seconds; the next sweep waits until the map has
   * doubled from there.
   */
  private dropFullBuckets(nowMs: number): void {
    const rates: Readonly<Record<string, number>> = { c: this.perKey, o: this.perOrg, a: this.perAddress };
    for (const [key, bucket] of this.buckets) {
      const rate = rates[key.charAt(0)] ?? this.perKey;
      if (bucket.tokens + ((nowMs - bucket.lastMs) / 1000) * rate >= rate * this.burstSeconds) this.buckets.delete(key);
    }
    this.sweepAtSize = Math.max(this.maxBuckets, 2 * this.buckets.size);
  }

  private waitMs(bucket: Bucket, ratePerSec: number): number {
    return Math.ceil(((1 - bucket.tokens) / ratePerSec) * 1000);
  }
}

function rateLimited(verdict: Extract<RateVerdict, { ok: false }>): ParloError {
  const retryAfterSeconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
  const subject = verdict.limit === 'address' ? 'client address' : verdict.limit;
  return new ParloError(
    'PARLO_RATE_LIMITED',
    `too many requests for this ${subject}; retry after ${retryAfterSeconds} s`,
    {
      retryAfterSeconds,
      limit: verdict.limit,
    },
  );
}

/** Authenticates, then charges the caller's credential and organisation; 429 PARLO_RATE_LIMITED when exhausted. */
export function withRateLimit(authenticate: Authenticate, limiter: RateLimiter): Authenticate {
  return async (request, requirement) => {
    await authenticate(request, requirement);
    const caller = callerOf(request);
    const credential = caller.kind === 'apiKey' ? `key:${caller.keyId}` : `session:${caller.sessionId}`;
    const verdict = limiter.take(credential, caller.orgId);
    if (!verdict.ok) throw rateLimited(verdict);
  };
}

/**
 * The guard of public routes (sign-up, sign-in, refresh, invite accept): one bucket per client address, which is
 * the socket's peer (`request.ip`; fastify's `trustProxy` is off, so a forwarded-for header cannot pick a bucket).
 */
export function publicRateLimit(limiter: RateLimiter): GuardPublic {
  return (request: FastifyRequest) => {
    const verdict = limiter.takeForAddress(request.ip);
    if (!verdict.ok) throw rateLimited(verdict);
  };
}
