import type { WebhookEventType } from '../webhooks/webhook-events.ts';
import type { MessageReceived, OutboundContent, SendOutcome, StatusUpdated } from '../../core/index.ts';
import type { CampaignTag } from '../campaigns/recipient-outcome.ts';
import type { AuditActor } from '../org/org.messages.ts';
import type { MediaFetchOutcome, MessageMedia } from './media.ts';
import type { MessageStatus } from './status-merge.ts';
import type { WindowState } from './window.ts';

export const CONVERSATION_STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const;
export type ConversationStatus = (typeof CONVERSATION_STATUSES)[number];

/** The one operator who replies (inbox-controls.ts); released at `expiresAtMs` unless they reply again before. */
export interface ConversationLock {
  readonly holder: string;
  readonly sinceMs: number;
  readonly expiresAtMs: number;
}

/** An internal note (inbox-notes.ts): operators only, never sent to the customer. */
export interface ConversationNote {
  readonly id: string;
  readonly atMs: number;
  readonly by: string;
  readonly text: string;
  /** Members mentioned with @ (their user ids): each is notified. */
  readonly mentions: readonly string[];
}

export const NOTES_KEPT = 200;
export const MAX_NOTE_CHARS = 4_000;
export const MAX_TAGS = 20;
export const MAX_TAG_CHARS = 40;

/** What the inbox controls answer (inbox-controls.ts). */
export interface InboxControlsReply {
  readonly ok: true;
  readonly assignee: string | null;
  readonly lock: ConversationLock | null;
  readonly status: ConversationStatus;
  readonly snoozedUntilMs: number | null;
  /** Only in the answer to a transfer to a team: the team a member of which will be assigned (operators/). */
  readonly waitingForTeam?: string;
}

export interface InboxControlsRefusal {
  readonly ok: false;
  readonly code: 'PARLO_CONVERSATION_LOCKED' | 'PARLO_CONVERSATION_NOT_FOUND' | 'PARLO_BAD_REQUEST';
  readonly message: string;
}

/**
 * The protocol of the `conversation` actor: one customer on one business number, id
 * `<phoneNumberId>.<customerKey>` (customer-key.ts). It decides whether a message may be sent (the 24 h window for
 * free-form messages), asks the number for a send slot, makes the Graph API call when the slot comes, and keeps
 * the message log with every status merged (status-merge.ts).
 */
export const CONVERSATION_KIND = 'conversation';

/** Messages kept in the conversation's own state (newest); older ones fall off. */
export const MESSAGES_KEPT = 500;
/** Transient send failures (timeouts, 5xx, lookups) are retried this many times before the message fails. */
export const MAX_SEND_ATTEMPTS = 6;

export function conversationId(phoneNumberId: string, customerKey: string): string {
  return `${phoneNumberId}.${customerKey}`;
}

/** The message key sent with a message (Meta echoes it on every status): `<conversationId>/<messageId>`. */
export function messageKeyOf(conversation: string, messageId: string): string {
  return `${conversation}/${messageId}`;
}

/** The conversation and message a message key names, or undefined if it is not one of ours. */
export function parseMessageKey(key: string): { conversationId: string; messageId: string } | undefined {
  const slash = key.lastIndexOf('/');
  if (slash <= 0 || slash === key.length - 1) return undefined;
  return { conversationId: key.slice(0, slash), messageId: key.slice(slash + 1) };
}

/** Meta's pricing categories as Parlo sends them: free-form messages are `service`. */
export const MESSAGE_CATEGORIES = ['service', 'marketing', 'utility', 'authentication'] as const;
export type MessageCategory = (typeof MESSAGE_CATEGORIES)[number];

export interface Customer {
  readonly phone: string | null;
  readonly userId: string | null;
  readonly profileName: string | null;
}

/**
 * Parlo's own progress of an outbound message, before and around Meta's statuses. `checkingConsent`: a marketing
 * message waits for the contact's consent answer before it asks for a slot. `reserving`: a billable message (or a
 * business-initiated one, whose plan conversation is counted) waits for the organisation's wallet to hold its price;
 * refused, it fails with the wallet's code (PARLO_INSUFFICIENT_CREDIT, PARLO_PLAN_QUOTA_EXCEEDED) and never leaves.
 * `checkingTier`: a business-initiated message outside the window waits for the portfolio's messaging limit;
 * `deferred`: the limit is reached, the message waits (error PARLO_TIER_LIMIT) until a customer drops out of the
 * moving 24 h. `reconciling`: the node stopped while the Graph API call was in flight, so Meta may or may not have
 * the message; its status webhook (which carries our message key) settles it, and only when none came within
 * `reconcileAfterMs` is it sent again.
 */
export type SendState =
  | 'checkingConsent'
  | 'reserving'
  | 'checkingTier'
  | 'deferred'
  | 'queued'
  | 'sending'
  | 'reconciling'
  | 'accepted'
  | 'failed';

/**
 * Where an outbound message stands with the organisation's wallet (actors/billing): `pending` (the reserve is
 * asked), `reserved` (its price is held), `none` (nothing held: a free business-initiated message, which only
 * counted its plan conversation, or a message Meta may still bill), `settled` (charged on its first delivery
 * proof, exactly once), `released` (the send failed for good; nothing charged).
 */
export const CHARGE_STATES = ['pending', 'reserved', 'none', 'settled', 'released'] as const;
export type ChargeState = (typeof CHARGE_STATES)[number];

/**
 * The money side of one outbound message; absent on messages the wallet never heard of (free replies). Fixed keys,
 * so every billed message encodes as one msgpack record. The wallet knows the message by its key,
 * `messageKeyOf(conversationId, messageId)`.
 */
export interface MessageBilling {
  readonly charge: ChargeState;
  /** The rate-card price held (0 when nothing is). */
  readonly reservedMicros: number;
  /** What the settle charged; null until settled. */
  readonly chargedMicros: number | null;
  /** The recipient's ISO country (or `other`) the message is priced for. */
  readonly country: string;
  readonly rateCardVersion: number;
  /** Window facts when the Graph API call was made (those at the reservation until then): what Meta prices by. */
  readonly insideServiceWindow: boolean;
  readonly insideFreeEntryPoint: boolean;
  /** The business-initiated plan conversation the message was admitted in (its start), or null. */
  readonly planConversationStartMs: number | null;
}

export interface SendError {
  /** Meta's code, or a negative local one (adapter), or a PARLO_ code's name. */
  readonly code: number | string;
  readonly detail: string;
}

export interface LoggedMessage {
  /** Increases by one per logged message of the conversation; the `before` cursor of a page. */
  readonly seq: number;
  /** Parlo's message id (outbound) or WhatsApp's message id (inbound). */
  readonly id: string;
  readonly direction: 'in' | 'out';
  readonly atMs: number;
  readonly type: string;
  readonly content: unknown;
  readonly providerMessageId: string | null;
  readonly category: MessageCategory | null;
  readonly sendState: SendState | null;
  readonly status: MessageStatus | null;
  readonly error: SendError | null;
  readonly attempts: number;
  readonly by: AuditActor | null;
  /** Inbound media (image, video, audio, document, sticker): fetch state and store ref (media.ts); null otherwise. */
  readonly media?: MessageMedia | null;
  /** Outbound messages the wallet heard of: reservation, charge, the facts they were priced by. */
  readonly billing?: MessageBilling;
  /** A campaign's message: the run its progress is reported to (campaign-reports.ts). */
  readonly campaign?: CampaignTag;
}

export type ConversationMsg =
  | {
      readonly type: 'send';
      readonly orgId: string;
      readonly phoneNumberId: string;
      readonly customer: { readonly phone?: string; readonly userId?: string };
      readonly messageId: string;
      readonly content: OutboundContent;
      readonly category: MessageCategory;
      readonly by: AuditActor;
      /** Sent for a campaign run (campaigns/): progress is reported to it; a frequency cap may skip it. */
      readonly campaign?: CampaignTag;
    }
  /** `ratePerSec`: the number's pace at the grant, kept on the wire by the channel adapter (absent: none). */
  | { readonly type: 'slotGranted'; readonly messageId: string; readonly ratePerSec?: number }
  | { readonly type: 'slotRequested'; readonly callId: string; readonly reply: unknown }
  | { readonly type: 'sendResult'; readonly callId: string; readonly result: SendOutcome | PortFailure }
  | { readonly type: 'retrySend'; readonly messageId: string }
  /** The contact's answer to `checkConsent` for a marketing message (callId = message id). */
  | { readonly type: 'consentChecked'; readonly callId: string; readonly reply: unknown }
  /** From the contact a customer message was told to (`observeInbound`; callId = WhatsApp message id): an opt-out/in keyword that applied, and its confirmation. */
  | { readonly type: 'inboundObserved'; readonly callId: string; readonly reply: unknown }
  /** The portfolio's answer to `admit` (callId = message id). */
  | { readonly type: 'tierChecked'; readonly callId: string; readonly reply: unknown }
  /** The wallet's answer to `reserve` (callId = message id): held, or refused with the wallet's code. */
  | { readonly type: 'creditReserved'; readonly callId: string; readonly reply: unknown }
  /**
   * A customer's message or a status of one of ours. `webhookTypes`: the event came straight from the organisation's
   * webhook (see inbound-routing.ts), and the conversation emits the customer-webhook events of these types.
   */
  | {
      readonly type: 'inbound';
      readonly event: MessageReceived;
      readonly orgId?: string;
      readonly webhookTypes?: readonly WebhookEventType[];
    }
  | {
      readonly type: 'status';
      readonly event: StatusUpdated;
      readonly orgId?: string;
      readonly webhookTypes?: readonly WebhookEventType[];
    }
  | { readonly type: 'mediaFetched'; readonly callId: string; readonly result: MediaFetchOutcome }
  | { readonly type: 'retryMediaFetch'; readonly messageId: string }
  /**
   * GDPR erasure (art. 17): the log, the customer and the window facts go; the conversation starts empty again
   * and leaves its number's index. Answers the stored media refs of the erased messages, for the caller to erase.
   */
  | { readonly type: 'eraseConversation' }
  // ---- the inbox (inbox-controls.ts): assignment, the lock, the status ----
  /**
   * Assign to a user (the lock moves to them) or unassign (`null`: the lock goes too). A transfer is an assign.
   * `team` (with `assignee` null): a transfer to a team — unassigned, and the organisation's assignment actor gives
   * it to a free member of the team (a resolved conversation is open again for it).
   */
  | {
      readonly type: 'assign';
      readonly assignee: string | null;
      readonly team?: string;
      readonly by: AuditActor;
      /** A transfer's internal note, added in the same turn; the new assignee is mentioned (notified). */
      readonly note?: { readonly noteId: string; readonly userId: string; readonly text: string };
    }
  /** An operator takes the conversation; refused while another operator holds its lock. */
  | { readonly type: 'claim'; readonly userId: string }
  /** A manager takes the conversation and its lock from whoever holds it. */
  | { readonly type: 'takeOver'; readonly userId: string }
  /** From the organisation's assignment actor: assign unless someone took the conversation meanwhile. */
  /** `transferNoteId`: the note of the transfer to a team it was waiting for; the assignee is notified of it. */
  | { readonly type: 'autoAssign'; readonly assignee: string; readonly transferNoteId?: string }
  /** From the assignment actor: `userId` went offline; unassign if the conversation is still theirs. */
  | { readonly type: 'autoUnassign'; readonly userId: string }
  /** The holder lets go of the lock; the assignment stays. */
  | { readonly type: 'releaseLock'; readonly userId: string }
  /** `snoozeUntilMs` is required for `snoozed` (a time after now). */
  | {
      readonly type: 'setStatus';
      readonly status: ConversationStatus;
      readonly snoozeUntilMs?: number;
      readonly by: AuditActor;
    }
  /** An internal note by a member; `mentions` are notified. Idempotent by `noteId`. */
  | {
      readonly type: 'addNote';
      readonly noteId: string;
      readonly userId: string;
      readonly text: string;
      readonly mentions: readonly string[];
    }
  /** The conversation's tags, replaced. */
  | { readonly type: 'setTags'; readonly tags: readonly string[]; readonly by: AuditActor }
  /** Its own durable timers: the lock's holder was inactive; the snooze ended. */
  | { readonly type: 'lockExpired' }
  | { readonly type: 'snoozeEnded' }
  /** A page of the log, newest first: `before` a seq (exclusive), only one `direction` when given. */
  | {
      readonly type: 'getConversation';
      readonly limit?: number;
      readonly before?: number;
      readonly direction?: 'in' | 'out';
    };

/** What a port call that threw comes back as (the runtime's refusal). */
export interface PortFailure {
  readonly ok: false;
  readonly code: string;
  readonly message: string;
}

export interface ConversationView {
  readonly id: string;
  readonly orgId: string | null;
  readonly phoneNumberId: string | null;
  readonly customer: Customer;
  readonly window: WindowState;
  readonly assignee: string | null;
  readonly lock: ConversationLock | null;
  readonly status: ConversationStatus;
  readonly snoozedUntilMs: number | null;
  readonly tags: readonly string[];
  /** Oldest first. */
  readonly notes: readonly ConversationNote[];
  /** Newest first. */
  readonly messages: readonly LoggedMessage[];
  /** Pass as `before` for the next (older) page; null at the end. */
  readonly nextBefore: number | null;
}

export interface ConversationReplies {
  send:
    | { ok: true; messageId: string; conversationId: string; sendState: SendState }
    | { ok: false; code: 'PARLO_WINDOW_CLOSED' | 'PARLO_CONVERSATION_LOCKED'; message: string };
  assign: InboxControlsReply | InboxControlsRefusal;
  claim: InboxControlsReply | InboxControlsRefusal;
  takeOver: InboxControlsReply | InboxControlsRefusal;
  releaseLock: InboxControlsReply | InboxControlsRefusal;
  setStatus: InboxControlsReply | InboxControlsRefusal;
  addNote: { ok: true; note: ConversationNote } | InboxControlsRefusal;
  setTags: { ok: true; tags: readonly string[] } | InboxControlsRefusal;
  getConversation: { ok: true; conversation: ConversationView };
  eraseConversation: { ok: true; messages: number; mediaRefs: string[] };
}
