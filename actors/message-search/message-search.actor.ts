import { defineActor, unreachable, type ActorDefinition, type TurnResult } from '../../core/index.ts';
import {
  MAX_SEARCH_HITS,
  MESSAGE_SEARCH_KIND,
  type MessageSearchMsg,
  type MessageSearchReplies,
} from './message-search.messages.ts';
import { MESSAGE_SEARCH_STATE_VERSION, messageSearchSplit } from './message-search.storage.ts';
import {
  appendTexts,
  emptyMessageTexts,
  forgetConversation,
  oldestAtMs,
  searchTexts,
  searchWords,
  type MessageTexts,
  type TextChunk,
} from './message-texts.ts';

/** The default of `inbox.searchableMessagesPerNumber` (config/schema.ts). */
export const DEFAULT_SEARCHABLE_MESSAGES = 20_000;

export interface MessageSearchOptions {
  /** The newest this many texts of a number are searched (whole chunks of older ones are dropped). */
  readonly maxEntries: number;
}

/**
 * The texts of one business number's messages, searched by the inbox (see message-search.messages.ts). Pure:
 * turns append, forget and search (message-texts.ts); storage writes one chunk record per change.
 */
export function createMessageSearchActor(
  options: MessageSearchOptions,
): ActorDefinition<MessageTexts, MessageSearchMsg, TextChunk> {
  return defineActor<MessageTexts, MessageSearchMsg, TextChunk>({
    kind: MESSAGE_SEARCH_KIND,
    stateVersion: MESSAGE_SEARCH_STATE_VERSION,
    initialState: () => emptyMessageTexts(),
    split: messageSearchSplit,
    isEmpty: (state) => state.chunks.length === 0 && state.dropped === 0,
    handle(state, msg): TurnResult<MessageTexts> {
      switch (msg.type) {
        case 'indexTexts':
          return { state: appendTexts(state, msg.texts, options.maxEntries) };
        case 'forgetConversation':
          return { state: forgetConversation(state, msg.conversationId) };
        case 'search': {
          const limit = Math.min(Math.max(Math.trunc(msg.limit), 1), MAX_SEARCH_HITS);
          const reply: MessageSearchReplies['search'] = {
            ok: true,
            hits: searchTexts(state, searchWords(msg.text), limit),
            oldestAtMs: oldestAtMs(state),
            dropped: state.dropped,
          };
          return { state, reply };
        }
        default:
          return unreachable(msg);
      }
    },
  });
}

/** Registered with the default limit; the composition root swaps in one on the configured limit. */
export const messageSearchActor = createMessageSearchActor({ maxEntries: DEFAULT_SEARCHABLE_MESSAGES });
