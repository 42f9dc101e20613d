import type { Address } from '../../core/index.ts';
import type { ConversationStatus } from '../conversation/conversation.messages.ts';

/**
 * The protocol of the `conversation-index` actor: one per connected business number (id = phone-number id), holding
 * one summary per conversation of that number so that an organisation's conversations can be listed, filtered and
 * paged without waking every conversation actor. Each conversation tells its index when its summary changed
 * (`summaryChanged`, built by actors/conversation/summary.ts); the API asks `listConversations`.
 */
export const CONVERSATION_INDEX_KIND = 'conversation-index';

export function conversationIndexAddress(phoneNumberId: string): Address {
  return { kind: CONVERSATION_INDEX_KIND, id: phoneNumberId };
}

/** The most a `listConversations` answers (the API asks for one more than its page of at most 100). */
export const MAX_INDEX_PAGE = 500;

/** The newest message of a conversation, as a listing shows it. */
export interface LastMessageSummary {
  readonly direction: 'in' | 'out';
  /** Meta's message type (`text`, `image`, `template`, …). */
  readonly type: string;
  /** A short text (PREVIEW_MAX_CHARS at most): the body, a caption, a template's name; null when it has none. */
  readonly preview: string | null;
  /** An outbound message Parlo or Meta refused (its send state is `failed`). */
  readonly failed: boolean;
}

/**
 * What the index keeps of one conversation: what a conversation list shows and filters on. `seq` and
 * `changedAtMs` order the updates of one conversation (its log's next seq, then the time of the turn that changed
 * it): an update that is not newer than the one held is dropped, so reordered or repeated tells do no harm.
 */
export interface ConversationSummary {
  readonly conversationId: string;
  readonly orgId: string;
  readonly customer: {
    readonly phone: string | null;
    readonly userId: string | null;
    readonly profileName: string | null;
  };
  /** The time of the newest message (either direction): the listing's sort key. */
  readonly lastActivityAtMs: number;
  readonly lastMessage: LastMessageSummary;
  /** The customer's latest message: the customer-service window is open until this + 24 h. */
  readonly lastInboundAtMs: number | null;
  readonly assignee: string | null;
  /** The inbox status (inbox-controls.ts); absent in summaries written before it existed: open. */
  readonly status?: ConversationStatus;
  /** Customer messages since the business's last message (all of them when it never wrote). */
  readonly unreadCount: number;
  readonly seq: number;
  readonly changedAtMs: number;
}

/** A place in the listing order (last activity descending, then conversation id ascending): a cursor. */
export interface ListPosition {
  readonly lastActivityAtMs: number;
  readonly conversationId: string;
}

/** Filters of a listing; absent ones match everything. */
export interface ConversationFilter {
  /** Only conversations whose customer-service window is open (or closed) at the query's time. */
  readonly window?: 'open' | 'closed';
  /** Only conversations assigned to this id; null: only unassigned ones. */
  readonly assignee?: string | null;
  /** Only conversations in one of these statuses. */
  readonly status?: readonly ConversationStatus[];
  /** Only conversations with (or without) customer messages since the business's last one. */
  readonly hasUnread?: boolean;
  /** Last activity at or after this instant. */
  readonly activeFromMs?: number;
  /** Last activity strictly before this instant. */
  readonly activeBeforeMs?: number;
  /** The customer's phone number (E.164 digits) starts with these digits. */
  readonly phonePrefix?: string;
  /** The customer's profile name contains this text (case and accents ignored). */
  readonly nameContains?: string;
  /**
   * A search box's text: the conversation matches when the customer's profile name contains it (case and accents
   * ignored), or their phone number contains its digits (a text of digits, spaces, `+`, `-`, `(`, `)` with at
   * least three digits), or it is one of `conversationIds` (those whose messages hold its words, found by the
   * number's message-search actor).
   */
  readonly search?: { readonly text: string; readonly conversationIds: readonly string[] };
}

export type ConversationIndexMsg =
  /** A conversation's summary changed (told by the conversation after the turn that changed it). */
  | { readonly type: 'summaryChanged'; readonly summary: ConversationSummary }
  /** The conversation was erased (GDPR): its summary goes. */
  | { readonly type: 'summaryRemoved'; readonly conversationId: string }
  /**
   * The organisation's conversations of this number matching `filter`, newest activity first, strictly after
   * `after` when given, at most `limit` (1 … MAX_INDEX_PAGE).
   */
  | {
      readonly type: 'listConversations';
      readonly orgId: string;
      readonly filter: ConversationFilter;
      readonly after?: ListPosition;
      readonly limit: number;
    };

export interface ConversationIndexReplies {
  /** `nowMs`: the time the window filter was evaluated at (the turn's), for showing the windows consistently. */
  listConversations: { ok: true; nowMs: number; conversations: readonly ConversationSummary[] };
}

export type ConversationIndexReply<T extends keyof ConversationIndexReplies> = ConversationIndexReplies[T];
