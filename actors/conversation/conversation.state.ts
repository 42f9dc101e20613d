import type {
  ConversationLock,
  ConversationNote,
  ConversationStatus,
  Customer,
  LoggedMessage,
} from './conversation.messages.ts';

export { CONVERSATION_STATUSES, type ConversationLock, type ConversationStatus } from './conversation.messages.ts';
import { EMPTY_WINDOW_FACTS, type WindowFacts } from './window.ts';

/**
 * One conversation's state: who, the window facts, and the newest MESSAGES_KEPT messages (oldest first).
 * `assignee`, `lock` and `status` belong to the inbox (inbox-controls.ts); they live here because the conversation
 * enforces them.
 */
export interface ConversationState {
  readonly orgId: string | null;
  readonly phoneNumberId: string | null;
  readonly customer: Customer;
  readonly window: WindowFacts;
  readonly log: readonly LoggedMessage[];
  readonly nextSeq: number;
  readonly assignee: string | null;
  readonly lock: ConversationLock | null;
  readonly status: ConversationStatus;
  /** When a snoozed conversation opens again; null unless snoozed. */
  readonly snoozedUntilMs: number | null;
  readonly tags: readonly string[];
  /** Internal notes, oldest first, the newest NOTES_KEPT. */
  readonly notes: readonly ConversationNote[];
  /** Statuses for messages this conversation does not know (sent outside Parlo, or fallen off the log). */
  readonly unknownStatuses: number;
}

export function initialConversationState(): ConversationState {
  return {
    orgId: null,
    phoneNumberId: null,
    customer: { phone: null, userId: null, profileName: null },
    window: EMPTY_WINDOW_FACTS,
    log: [],
    nextSeq: 1,
    assignee: null,
    lock: null,
    status: 'open',
    snoozedUntilMs: null,
    tags: [],
    notes: [],
    unknownStatuses: 0,
  };
}

/** The logged message with this id, and its index. */
export function findMessage(
  state: ConversationState,
  id: string,
): { index: number; message: LoggedMessage } | undefined {
  for (let index = state.log.length - 1; index >= 0; index--) {
    const message = state.log[index]!;
    if (message.id === id) return { index, message };
  }
  return undefined;
}

/**
 * The logged message WhatsApp knows by this id (statuses without our key, inbound duplicates). Newest first: a
 * status is almost always about a recent message.
 */
export function findByProviderId(
  state: ConversationState,
  providerMessageId: string,
): { index: number; message: LoggedMessage } | undefined {
  for (let index = state.log.length - 1; index >= 0; index--) {
    const message = state.log[index]!;
    if (message.providerMessageId === providerMessageId) return { index, message };
  }
  return undefined;
}
