import type { StateSplit } from '../../core/index.ts';
import type { ConversationIndexState, IndexBucket } from './conversation-index.state.ts';

export const CONVERSATION_INDEX_STATE_VERSION = 1;

/**
 * The index is written as its head (the count) and one record per bucket, keyed by the bucket's index: an update
 * rewrites the one bucket it touched (~25 summaries at 100,000 conversations), never the whole index.
 */
export const conversationIndexSplit: StateSplit<ConversationIndexState, IndexBucket> = {
  head: (state) => ({ count: state.count }),
  items: (state) => state.buckets,
  itemKey: (bucket) => bucket.index,
  join: (head, buckets) => ({ count: (head as { count: number }).count, buckets: ascending(buckets) }),
};

/** The buckets ordered by index (the store gives them in key order already; this only checks it). */
function ascending(buckets: readonly IndexBucket[]): readonly IndexBucket[] {
  for (let i = 1; i < buckets.length; i++) {
    if (buckets[i - 1]!.index >= buckets[i]!.index) return [...buckets].sort((a, b) => a.index - b.index);
  }
  return buckets;
}
