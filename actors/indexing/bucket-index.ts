import type { StateSplit } from '../../core/index.ts';

/**
 * A keyed collection of small records (summaries) an index actor holds for listings: a number's conversations,
 * an organisation's contacts. The entries are sharded into buckets by a stable hash of their id, so that an update
 * copies one small bucket (about `count / INDEX_BUCKET_COUNT` entries) and the array of bucket references, never
 * all entries: with 100,000 entries a bucket holds ~25, and an update costs the same whether the index holds a
 * hundred entries or a million. Only buckets that hold something are present, ordered by `index`.
 *
 * Storage (`bucketIndexSplit`) writes each bucket as its own record keyed by `index`, and only the buckets whose
 * object changed: untouched buckets keep their identity across updates for that reason.
 */
export interface BucketIndex<T> {
  /** How many entries the index holds. */
  readonly count: number;
  /** Non-empty buckets, ascending by `index`. */
  readonly buckets: readonly Bucket<T>[];
}

export interface Bucket<T> {
  /** `bucketOf(id)` of every entry in it; stable: the bucket's storage key. */
  readonly index: number;
  /** In no particular order. */
  readonly entries: readonly T[];
}

/** How an index tells its entries apart and which of two versions of one entry is the later. */
export interface EntryKind<T> {
  idOf(entry: T): string;
  /** Whether `update` is a later version than `held` (a reordered or repeated update is not). */
  isNewer(update: T, held: T): boolean;
}

/**
 * The number of buckets. Part of the stored layout: changing it re-shards every stored index, so it is a state
 * version bump with an upgrade, never a setting. 4,096 keeps buckets small up to a million entries.
 */
export const INDEX_BUCKET_COUNT = 4096;

export function emptyBucketIndex<T>(): BucketIndex<T> {
  return { count: 0, buckets: [] };
}

/**
 * The bucket of an id: FNV-1a 32-bit over the id's UTF-16 code units, finished with MurmurHash3's mixer (FNV's
 * low bits alone follow the low bits of the last characters, and ids often differ only there). Stable across
 * processes and versions: it decides where a stored entry lives.
 */
export function bucketOf(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % INDEX_BUCKET_COUNT;
}

/**
 * The index with `entry` recorded: added, or replacing the older version of its id. An entry that is not newer
 * than the one held returns the very same index, so the turn writes nothing. Cost: a binary search over the
 * buckets, a scan and a copy of one bucket, one copy of the bucket array.
 */
export function upsertEntry<T>(index: BucketIndex<T>, entry: T, kind: EntryKind<T>): BucketIndex<T> {
  const id = kind.idOf(entry);
  const bucketIndex = bucketOf(id);
  const at = findBucket(index.buckets, bucketIndex);
  if (at < 0) {
    const insertAt = -at - 1;
    const buckets = [
      ...index.buckets.slice(0, insertAt),
      { index: bucketIndex, entries: [entry] },
      ...index.buckets.slice(insertAt),
    ];
    return { count: index.count + 1, buckets };
  }
  const bucket = index.buckets[at]!;
  const held = bucket.entries.findIndex((e) => kind.idOf(e) === id);
  let entries: T[];
  if (held >= 0) {
    if (!kind.isNewer(entry, bucket.entries[held]!)) return index;
    entries = bucket.entries.slice();
    entries[held] = entry;
  } else {
    entries = [...bucket.entries, entry];
  }
  const buckets = index.buckets.slice();
  buckets[at] = { index: bucketIndex, entries };
  return { count: held >= 0 ? index.count : index.count + 1, buckets };
}

/** The index without the entry of `id` (the very same index when it holds none). */
export function removeEntry<T>(index: BucketIndex<T>, id: string, kind: Pick<EntryKind<T>, 'idOf'>): BucketIndex<T> {
  const at = findBucket(index.buckets, bucketOf(id));
  if (at < 0) return index;
  const bucket = index.buckets[at]!;
  const held = bucket.entries.findIndex((e) => kind.idOf(e) === id);
  if (held < 0) return index;
  const entries = bucket.entries.filter((_, i) => i !== held);
  const buckets =
    entries.length === 0
      ? index.buckets.filter((_, i) => i !== at)
      : index.buckets.map((b, i) => (i === at ? { index: b.index, entries } : b));
  return { count: index.count - 1, buckets };
}

/** The entry held for `id`, if any. */
export function findEntry<T>(index: BucketIndex<T>, id: string, kind: Pick<EntryKind<T>, 'idOf'>): T | undefined {
  const at = findBucket(index.buckets, bucketOf(id));
  if (at < 0) return undefined;
  return index.buckets[at]!.entries.find((e) => kind.idOf(e) === id);
}

/** The position of the bucket with this index, or `-(insertion point) - 1` when there is none. */
function findBucket<T>(buckets: readonly Bucket<T>[], index: number): number {
  let low = 0;
  let high = buckets.length - 1;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const found = buckets[mid]!.index;
    if (found === index) return mid;
    if (found < index) low = mid + 1;
    else high = mid - 1;
  }
  return -low - 1;
}

/**
 * An index stored as its head (the count) and one record per bucket, keyed by the bucket's index: an update
 * rewrites the one bucket it touched, never the whole index.
 */
export function bucketIndexSplit<T>(): StateSplit<BucketIndex<T>, Bucket<T>> {
  return {
    head: (state) => ({ count: state.count }),
    items: (state) => state.buckets,
    itemKey: (bucket) => bucket.index,
    join: (head, buckets) => ({ count: (head as { count: number }).count, buckets: ascending(buckets) }),
  };
}

/** The buckets ordered by index (the store gives them in key order already; this only checks it). */
function ascending<T>(buckets: readonly Bucket<T>[]): readonly Bucket<T>[] {
  for (let i = 1; i < buckets.length; i++) {
    if (buckets[i - 1]!.index >= buckets[i]!.index) return [...buckets].sort((a, b) => a.index - b.index);
  }
  return buckets;
}
