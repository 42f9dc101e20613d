import type { Address } from '../../core/index.ts';

/**
 * The protocol of the `message-search` actor: one per connected business number (id = phone-number id), holding the
 * text of the number's latest messages so that an inbox can find a conversation by what was written in it ("the
 * customer who asked about order A-1001"). Conversations tell it the text of each message they log that a person
 * wrote (`indexTexts`, built by actors/conversation/search-feed.ts: customer messages and free-form replies, never
 * templates); an erased conversation's texts go (`forgetConversation`); the API asks `search`.
 *
 * It keeps the newest `maxEntries` texts of the number (a setting, `inbox.searchableMessagesPerNumber`); older ones
 * are dropped oldest first, and a search says how far back it reached.
 */
export const MESSAGE_SEARCH_KIND = 'message-search';

export function messageSearchAddress(phoneNumberId: string): Address {
  return { kind: MESSAGE_SEARCH_KIND, id: phoneNumberId };
}

/** The longest text kept of one message, in UTF-16 code units; longer texts are searched by their start. */
export const MAX_INDEXED_CHARS = 1_000;
/** The most conversations one search answers. */
export const MAX_SEARCH_HITS = 500;
/** The longest search text, in characters. */
export const MAX_SEARCH_CHARS = 100;

/** One message's text, as the conversation that logged it tells it. */
export interface IndexedText {
  readonly conversationId: string;
  /** The message's seq in its conversation's log. */
  readonly seq: number;
  readonly atMs: number;
  readonly direction: 'in' | 'out';
  /** At most MAX_INDEXED_CHARS. */
  readonly text: string;
}

/** A conversation found: its newest message whose text holds every word searched for. */
export interface SearchHit {
  readonly conversationId: string;
  readonly seq: number;
  readonly atMs: number;
  readonly direction: 'in' | 'out';
  /** The message's text around the first word found, whitespace collapsed, at most EXCERPT_MAX_CHARS. */
  readonly excerpt: string;
}

export type MessageSearchMsg =
  /** Messages a conversation logged (in log order). */
  | { readonly type: 'indexTexts'; readonly texts: readonly IndexedText[] }
  /** The conversation was erased (GDPR): its texts go. */
  | { readonly type: 'forgetConversation'; readonly conversationId: string }
  /**
   * The conversations whose messages hold every word of `text` (case and accents ignored, words matched anywhere
   * in the text), by their newest such message, newest first, at most `limit` (1 … MAX_SEARCH_HITS).
   */
  | { readonly type: 'search'; readonly text: string; readonly limit: number };

export interface MessageSearchReplies {
  /**
   * `oldestAtMs`: the time of the oldest text still kept (null when none); `dropped`: how many older texts were
   * let go to stay within the limit (0: every text the number ever had is searched).
   */
  search: { ok: true; hits: readonly SearchHit[]; oldestAtMs: number | null; dropped: number };
}

export type MessageSearchReply<T extends keyof MessageSearchReplies> = MessageSearchReplies[T];
