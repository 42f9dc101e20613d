/**
 * A small per-node cache whose entries expire `ttlMs` after they were put, bounded to `maxEntries` (the oldest
 * put is dropped first). For facts the HTTP layer would otherwise ask an actor on every request (a verified API
 * key, a number's organisation), where a few seconds of staleness across the nodes of a cluster is acceptable and
 * a change made through this node is invalidated at once.
 */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, { readonly value: V; readonly expiresAtMs: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: K): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAtMs <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    if (this.#entries.size >= this.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { value, expiresAtMs: this.now() + this.ttlMs });
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}
