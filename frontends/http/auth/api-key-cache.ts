import { TtlCache } from '../ttl-cache.ts';
import type { ApiCaller } from './caller.ts';

/** How long a node trusts a verified API key without asking its organisation again. */
export const API_KEY_CACHE_TTL_MS = 10_000;
/** Keys remembered at once per node (the oldest is forgotten first). */
export const API_KEY_CACHE_MAX = 10_000;

/**
 * Verified API keys, per node: an integration sending thousands of messages a second would otherwise ask its
 * organisation's actor to verify (and touch) its key on every request. A key is trusted for
 * API_KEY_CACHE_TTL_MS after a verification, and only with the very secret that was verified (its hash). A key
 * revoked through this node is forgotten at once (`invalidate`); one revoked through another node of a cluster
 * stops working here within the TTL. The key's last-used time is touched at each verification, which is finer
 * than the organisation's own resolution (a minute).
 */
export class ApiKeyCache {
  readonly #entries: TtlCache<string, { readonly secretHash: string; readonly caller: ApiCaller }>;

  constructor(now: () => number = Date.now, ttlMs = API_KEY_CACHE_TTL_MS, maxEntries = API_KEY_CACHE_MAX) {
    this.#entries = new TtlCache(ttlMs, maxEntries, now);
  }

  /** The caller of a key verified lately with this secret, else undefined. */
  get(keyId: string, secretHash: string): ApiCaller | undefined {
    const entry = this.#entries.get(keyId);
    return entry?.secretHash === secretHash ? entry.caller : undefined;
  }

  put(keyId: string, secretHash: string, caller: ApiCaller): void {
    this.#entries.set(keyId, { secretHash, caller });
  }

  invalidate(keyId: string): void {
    this.#entries.delete(keyId);
  }
}
