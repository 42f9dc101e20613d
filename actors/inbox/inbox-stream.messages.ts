import type { Address } from '../../core/index.ts';
import type { ConversationNote, Customer, LoggedMessage } from '../conversation/conversation.messages.ts';
import type { ConversationLock, ConversationStatus } from '../conversation/conversation.state.ts';

/**
 * The protocol of the `inbox-stream` actor (id = org id): the organisation's realtime inbox events in one order.
 * Conversations tell it what changed (`append`); it numbers each event (`seq`, 1, 2, … per organisation, never
 * reused), keeps the newest ones for a while so that a client that reconnects can resume from the last seq it saw
 * (`readSince`), and publishes each numbered event on `inboxTopic(orgId)` for the realtime gateway
 * (frontends/realtime), in embedded and NATS mode alike.
 */
export const INBOX_STREAM_KIND = 'inbox-stream';

export function inboxStreamAddress(orgId: string): Address {
  return { kind: INBOX_STREAM_KIND, id: orgId };
}

/** The realtime topic an organisation's numbered inbox events are published on. */
export function inboxTopic(orgId: string): string {
  return `inbox.${orgId}`;
}

/** The conversation an event is about, as the inbox shows and filters it. */
export interface InboxConversationRef {
  readonly conversationId: string;
  readonly phoneNumberId: string;
  readonly customer: Customer;
}

/**
 * What happened in the inbox. `message`: a message was logged (a customer's, or one of ours: an operator's reply,
 * an API send, a campaign's); `messageUpdated`: one already logged changed (its send state, Meta's status with its
 * history, an error, fetched media), carried whole so that a client replaces what it shows; `assignment`: the
 * conversation's assignee or lock changed; `conversationStatus`: open, pending, snoozed (until a time), resolved;
 * `noteAdded`: an internal note (its `mentions` are the members to notify); `tagsChanged`: the tags, whole.
 */
export type InboxEvent =
  | ({ readonly type: 'message'; readonly message: LoggedMessage } & InboxConversationRef)
  | ({ readonly type: 'messageUpdated'; readonly message: LoggedMessage } & InboxConversationRef)
  | ({
      readonly type: 'assignment';
      readonly assignee: string | null;
      readonly lock: ConversationLock | null;
    } & InboxConversationRef)
  | ({ readonly type: 'noteAdded'; readonly note: ConversationNote } & InboxConversationRef)
  | ({ readonly type: 'tagsChanged'; readonly tags: readonly string[] } & InboxConversationRef)
  | ({
      readonly type: 'conversationStatus';
      readonly status: ConversationStatus;
      readonly snoozedUntilMs: number | null;
    } & InboxConversationRef);

export type InboxEventType = InboxEvent['type'];

/** A numbered event as stored, published and replayed. */
export interface InboxEntry {
  readonly seq: number;
  readonly atMs: number;
  readonly event: InboxEvent;
}

export type InboxStreamMsg =
  /** From a conversation, in the commit that made the change (a tell: at least once, consumed once). */
  | { readonly type: 'append'; readonly events: readonly InboxEvent[] }
  /**
   * The retained events with seq > `afterSeq`, oldest first, at most `limit`. `complete` is false when events after
   * `afterSeq` are no longer retained (the client must reload what it shows, then follow from `lastSeq`).
   */
  | { readonly type: 'readSince'; readonly afterSeq: number; readonly limit?: number };

export interface InboxStreamReplies {
  readSince: {
    readonly ok: true;
    readonly entries: readonly InboxEntry[];
    /** The newest seq assigned so far (0 before the first event). */
    readonly lastSeq: number;
    readonly complete: boolean;
    /** More retained entries follow the last one returned (ask again after it). */
    readonly hasMore: boolean;
  };
}

/** The most entries one `readSince` answers. */
export const MAX_READ_SINCE = 1_000;
