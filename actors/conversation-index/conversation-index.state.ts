import type { ConversationSummary } from './conversation-index.messages.ts';

/**
 * The index's state: the summaries sharded into buckets by a stable hash of the conversation id, so that an update
 * copies one small bucket (about `count / INDEX_BUCKET_COUNT` summaries) and the array of bucket references, never
 * all summaries: with 100,000 conversations a bucket holds ~25 of them, and an update costs the same whether the
 * number has a hundred conversations or a million. Only buckets that hold something are present, ordered by
 * `index`, so a number with a few conversations keeps a few small buckets.
 *
 * Storage (conversation-index.storage.ts) writes each bucket as its own record keyed by `index`, and only the
 * buckets whose object changed: untouched buckets keep their identity across updates for that reason.
 */
export interface ConversationIndexState {
  /** How many conversations the index holds. */
  readonly count: number;
  /** Non-empty buckets, ascending by `index`. */
  readonly buckets: readonly IndexBucket[];
}

export interface IndexBucket {
  /** `bucketOf(conversationId)` of every summary in it; stable: the bucket's storage key. */
  readonly index: number;
  /** In no particular order. */
  readonly entries: readonly ConversationSummary[];
}

/**
 * The number of buckets. Part of the stored layout: changing it re-shards every stored index, so it is a state
 * version bump with an upgrade, never a setting. 4,096 keeps buckets small up to a million conversations per number.
 */
export const INDEX_BUCKET_COUNT = 4096;

export function initialConversationIndexState(): ConversationIndexState {
  return { count: 0, buckets: [] };
}

/**
 * The bucket of a conversation: FNV-1a 32-bit over the id's UTF-16 code units, finished with MurmurHash3's
 * mixer (FNV's low bits alone follow the low bits of the last characters, and ids of one number differ only
 * there). Stable across processes and versions: it decides where a stored summary lives.
 */
export function bucketOf(conversationId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < conversationId.length; i++) {
    hash ^= conversationId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % INDEX_BUCKET_COUNT;
}

/** Whether `update` is a later version of a conversation's summary than `held` (see ConversationSummary). */
export function isNewer(update: ConversationSummary, held: ConversationSummary): boolean {
  return update.seq > held.seq || (update.seq === held.seq && update.changedAtMs > held.changedAtMs);
}

/**
 * The state with `summary` recorded: added, or replacing the conversation's older summary. A summary that is not
 * newer than the one held (a reordered or repeated tell) returns the very same state, so the turn writes nothing.
 * Cost: a binary search over the buckets, a scan and a copy of one bucket, one copy of the bucket array.
 */
export function recordSummary(state: ConversationIndexState, summary: ConversationSummary): ConversationIndexState {
  const index = bucketOf(summary.conversationId);
  const at = findBucket(state.buckets, index);
  if (at < 0) {
    const insertAt = -at - 1;
    const buckets = [
      ...state.buckets.slice(0, insertAt),
      { index, entries: [summary] },
      ...state.buckets.slice(insertAt),
    ];
    return { count: state.count + 1, buckets };
  }
  const bucket = state.buckets[at]!;
  const held = bucket.entries.findIndex((e) => e.conversationId === summary.conversationId);
  let entries: ConversationSummary[];
  if (held >= 0) {
    if (!isNewer(summary, bucket.entries[held]!)) return state;
    entries = bucket.entries.slice();
    entries[held] = summary;
  } else {
    entries = [...bucket.entries, summary];
  }
  const buckets = state.buckets.slice();
  buckets[at] = { index, entries };
  return { count: held >= 0 ? state.count : state.count + 1, buckets };
}

/** The summary held for a conversation, if any. */
export function summaryIn(state: ConversationIndexState, conversationId: string): ConversationSummary | undefined {
  const at = findBucket(state.buckets, bucketOf(conversationId));
  if (at < 0) return undefined;
  return state.buckets[at]!.entries.find((e) => e.conversationId === conversationId);
}

/** The position of the bucket with this index, or `-(insertion point) - 1` when there is none. */
function findBucket(buckets: readonly IndexBucket[], index: number): number {
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
