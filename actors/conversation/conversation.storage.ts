import type { StateSplit } from '../../core/index.ts';
import type { LoggedMessage } from './conversation.messages.ts';
import type { ConversationState } from './conversation.state.ts';

/**
 * Version 3 adds the inbox status (open until set), the lock's expiry, tags and internal notes; version 2 stores the log one message per
 * record; version 1 stored it (and a provider-id index) in the state.
 */
export const CONVERSATION_STATE_VERSION = 3;

type ConversationHead = Omit<ConversationState, 'log'>;

/**
 * A conversation is written as its head (customer, window, assignee, …) and one record per logged message, keyed
 * by the message's `seq`: a send or a status rewrites one message, not the whole log of up to MESSAGES_KEPT.
 */
export const conversationSplit: StateSplit<ConversationState, LoggedMessage> = {
  head: ({ log: _log, ...head }) => head,
  items: (state) => state.log,
  itemKey: (message) => message.seq,
  join: (head, log) => ({ ...(head as ConversationHead), log }),
};

/**
 * Version 1 → 2: the same fields, without `byProviderId` (the log is searched instead). Version 2 → 3: status
 * `open`, no snooze; no version-2 conversation held a lock (nothing set one), so none is carried over. A split
 * version 2 comes as its head and its logged messages (`items`).
 */
export function upgradeConversation(
  stored: unknown,
  storedVersion: number,
  items?: readonly unknown[],
): ConversationState {
  if (storedVersion !== 1 && storedVersion !== 2)
    throw new Error(`conversation: no upgrade from stored version ${storedVersion}`);
  const { byProviderId: _index, ...head } = stored as Omit<
    ConversationState,
    'status' | 'snoozedUntilMs' | 'tags' | 'notes'
  > & {
    byProviderId?: unknown;
  };
  const log = storedVersion === 1 ? head.log : ((items ?? []) as LoggedMessage[]);
  return { ...head, log, lock: null, status: 'open', snoozedUntilMs: null, tags: [], notes: [] };
}
