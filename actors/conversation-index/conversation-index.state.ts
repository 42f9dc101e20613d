import {
  INDEX_BUCKET_COUNT,
  bucketOf,
  emptyBucketIndex,
  findEntry,
  removeEntry,
  upsertEntry,
  type Bucket,
  type BucketIndex,
  type EntryKind,
} from '../indexing/bucket-index.ts';
import type { ConversationSummary } from './conversation-index.messages.ts';

/**
 * The index's state: the conversation summaries of one number in a bucketed index (indexing/bucket-index.ts): an
 * update copies one small bucket, never all summaries. Storage (conversation-index.storage.ts) writes each bucket
 * as its own record.
 */
export type ConversationIndexState = BucketIndex<ConversationSummary>;
export type IndexBucket = Bucket<ConversationSummary>;

export { INDEX_BUCKET_COUNT, bucketOf };

export function initialConversationIndexState(): ConversationIndexState {
  return emptyBucketIndex();
}

/** Whether `update` is a later version of a conversation's summary than `held` (see ConversationSummary). */
export function isNewer(update: ConversationSummary, held: ConversationSummary): boolean {
  return update.seq > held.seq || (update.seq === held.seq && update.changedAtMs > held.changedAtMs);
}

const SUMMARIES: EntryKind<ConversationSummary> = { idOf: (s) => s.conversationId, isNewer };

/**
 * The state with `summary` recorded: added, or replacing the conversation's older summary. A summary that is not
 * newer than the one held (a reordered or repeated tell) returns the very same state, so the turn writes nothing.
 */
export function recordSummary(state: ConversationIndexState, summary: ConversationSummary): ConversationIndexState {
  return upsertEntry(state, summary, SUMMARIES);
}

/** The summary held for a conversation, if any. */
export function summaryIn(state: ConversationIndexState, conversationId: string): ConversationSummary | undefined {
  return findEntry(state, conversationId, SUMMARIES);
}

/** The state without the conversation's summary (an erased conversation); the same state when it held none. */
export function removeSummary(state: ConversationIndexState, conversationId: string): ConversationIndexState {
  return removeEntry(state, conversationId, SUMMARIES);
}
