import { defineActor, unreachable, type TurnResult } from '../../core/index.ts';
import {
  CONVERSATION_INDEX_KIND,
  MAX_INDEX_PAGE,
  type ConversationIndexMsg,
  type ConversationIndexReplies,
} from './conversation-index.messages.ts';
import {
  initialConversationIndexState,
  recordSummary,
  removeSummary,
  type ConversationIndexState,
  type IndexBucket,
} from './conversation-index.state.ts';
import { CONVERSATION_INDEX_STATE_VERSION, conversationIndexSplit } from './conversation-index.storage.ts';
import { compileFilter, listPage } from './query.ts';

type Turn = TurnResult<ConversationIndexState>;
type Msg<T extends ConversationIndexMsg['type']> = Extract<ConversationIndexMsg, { type: T }>;

/**
 * The conversations of one business number, as summaries (id = phone-number id). Conversations tell it when their
 * summary changes; a stale or repeated update is dropped by its version. Listings scan the summaries once and
 * answer the newest `limit` after a cursor. See conversation-index.state.ts for the bucketed layout.
 */
export const conversationIndexActor = defineActor<ConversationIndexState, ConversationIndexMsg, IndexBucket>({
  kind: CONVERSATION_INDEX_KIND,
  stateVersion: CONVERSATION_INDEX_STATE_VERSION,
  initialState: () => initialConversationIndexState(),
  split: conversationIndexSplit,
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'summaryChanged':
        return { state: recordSummary(state, msg.summary) };
      case 'summaryRemoved':
        return { state: removeSummary(state, msg.conversationId) };
      case 'listConversations':
        return onList(state, msg, ctx.nowMs);
      default:
        return unreachable(msg);
    }
  },
});

function onList(state: ConversationIndexState, msg: Msg<'listConversations'>, nowMs: number): Turn {
  const limit = Math.min(Math.max(Math.trunc(msg.limit), 1), MAX_INDEX_PAGE);
  const conversations = listPage(state, compileFilter(msg.orgId, msg.filter, nowMs), msg.after, limit);
  const reply: ConversationIndexReplies['listConversations'] = { ok: true, nowMs, conversations };
  return { state, reply };
}
