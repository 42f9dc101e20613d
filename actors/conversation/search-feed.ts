import type { ActorDefinition, Effect } from '../../core/index.ts';
import {
  MAX_INDEXED_CHARS,
  messageSearchAddress,
  type IndexedText,
  type MessageSearchMsg,
} from '../message-search/message-search.messages.ts';
import type { ConversationMsg, LoggedMessage } from './conversation.messages.ts';
import type { ConversationState } from './conversation.state.ts';
import { messageTextOf } from './message-text.ts';

/**
 * What a conversation tells its number's `message-search` actor (pure, STYLE rule 3): after a turn that logged
 * messages, the text of each one a person wrote — the customer's messages and the business's free-form replies —
 * in one `indexTexts` tell. Templates (a campaign's hundred thousand copies of one text) and reactions are not
 * searched. Conversations without an organisation are not listed, so they tell nothing.
 */

/** The text of a logged message the inbox's search should find, at most MAX_INDEXED_CHARS; null for none. */
export function searchableTextOf(message: LoggedMessage): string | null {
  if (message.type === 'template' || message.type === 'reaction' || message.campaign !== undefined) return null;
  const text = messageTextOf(message.type, message.content)?.trim();
  if (text === undefined || text === '') return null;
  return text.length <= MAX_INDEXED_CHARS ? text : text.slice(0, MAX_INDEXED_CHARS).replace(/[\uD800-\uDBFF]$/u, '');
}

/** The tell for the messages logged between `before` and `after`, or null when none of them has a text to find. */
export function searchFeedEffect(
  before: ConversationState,
  after: ConversationState,
  conversationId: string,
): Effect | null {
  if (after.nextSeq === before.nextSeq || after.orgId === null || after.phoneNumberId === null) return null;
  const texts: IndexedText[] = [];
  // Logged messages are appended with increasing seqs: those at or above the old next seq are this turn's.
  for (let i = after.log.length - 1; i >= 0; i--) {
    const message = after.log[i]!;
    if (message.seq < before.nextSeq) break;
    const text = searchableTextOf(message);
    if (text !== null) {
      texts.push({ conversationId, seq: message.seq, atMs: message.atMs, direction: message.direction, text });
    }
  }
  if (texts.length === 0) return null;
  texts.reverse();
  const msg: MessageSearchMsg = { type: 'indexTexts', texts };
  return { type: 'tell', to: messageSearchAddress(after.phoneNumberId), msg };
}

/** The conversation actor with its messages' texts told to the number's search (the handler is untouched). */
export function withSearchFeed<I>(
  definition: ActorDefinition<ConversationState, ConversationMsg, I>,
): ActorDefinition<ConversationState, ConversationMsg, I> {
  return {
    ...definition,
    handle(state, msg, ctx) {
      const turn = definition.handle(state, msg, ctx);
      const effect = searchFeedEffect(state, turn.state, ctx.self.id);
      return effect === null ? turn : { ...turn, effects: [...(turn.effects ?? []), effect] };
    },
  };
}
