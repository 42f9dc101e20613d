import type { StateSplit } from '../../core/index.ts';
import { bucketIndexSplit } from '../indexing/bucket-index.ts';
import type { ConversationIndexState, IndexBucket } from './conversation-index.state.ts';

export const CONVERSATION_INDEX_STATE_VERSION = 1;

/**
 * The index is written as its head (the count) and one record per bucket, keyed by the bucket's index: an update
 * rewrites the one bucket it touched (~25 summaries at 100,000 conversations), never the whole index.
 */
export const conversationIndexSplit: StateSplit<ConversationIndexState, IndexBucket> = bucketIndexSplit();
