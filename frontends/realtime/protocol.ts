import { z } from 'zod';
import { unreachable, type ErrorCode } from '../../core/index.ts';
import { CUSTOMER_KEY_PATTERN } from '../../actors/contacts/customer-key.ts';
import type { ConversationLock } from '../../actors/conversation/conversation.state.ts';
import type { InboxEntry, InboxEvent } from '../../actors/inbox/inbox-stream.messages.ts';
import type { Role } from '../../actors/org/permissions.ts';
import { messageBody, type MessageViewBody } from '../http/api/message-view.ts';
import type { MediaRefs } from '../http/media-refs.ts';

/**
 * The realtime inbox protocol (README "Realtime inbox events"): JSON text frames. Client frames are validated here
 * (zod, at the trust boundary); server frames are built here, and only here, as strings.
 *
 * Client → server: `subscribe {scope, id?, since?}`, `unsubscribe {scope, id?}`, `typing {conversationId}`, `ping`.
 * Server → client: `ready`, `subscribed`, `event`, `resync`, `typing`, `pong`, `error`.
 */

export const SCOPES = ['org', 'number', 'conversation'] as const;
export type Scope = (typeof SCOPES)[number];

/** The path of the WebSocket endpoint on the gateway. */
export const REALTIME_PATH = '/v1/realtime';

const PHONE_NUMBER_ID = /^[0-9]{5,25}$/;

/** `<phoneNumberId>.<customerKey>` (actors/conversation/conversation.messages.ts `conversationId`). */
export function isConversationId(id: string): boolean {
  const dot = id.indexOf('.');
  return dot > 0 && PHONE_NUMBER_ID.test(id.slice(0, dot)) && CUSTOMER_KEY_PATTERN.test(id.slice(dot + 1));
}

/** The number a conversation id names (its part before the first dot). */
export function numberOfConversation(conversationId: string): string {
  return conversationId.slice(0, conversationId.indexOf('.'));
}

const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const Id = z.string().min(1).max(200);

/** Checks `id` against its scope: required and well-formed for number and conversation. */
function checkScopeId(frame: { scope: Scope; id?: string | undefined }, ctx: z.RefinementCtx): void {
  if (frame.scope === 'org') return;
  if (frame.id === undefined) {
    ctx.addIssue({ code: 'custom', path: ['id'], message: `required for scope ${frame.scope}` });
    return;
  }
  if (frame.scope === 'number' && !PHONE_NUMBER_ID.test(frame.id)) {
    ctx.addIssue({ code: 'custom', path: ['id'], message: 'must be a phone-number id (digits)' });
  }
  if (frame.scope === 'conversation' && !isConversationId(frame.id)) {
    ctx.addIssue({
      code: 'custom',
      path: ['id'],
      message: 'must be a conversation id: <phoneNumberId>.<p + phone digits | u + user id>',
    });
  }
}

const Subscribe = z
  .strictObject({
    type: z.literal('subscribe'),
    scope: z.enum(SCOPES),
    id: Id.optional(),
    since: Seq.optional(),
  })
  .superRefine(checkScopeId);

const Unsubscribe = z
  .strictObject({ type: z.literal('unsubscribe'), scope: z.enum(SCOPES), id: Id.optional() })
  .superRefine(checkScopeId);

const Ping = z.strictObject({ type: z.literal('ping') });

/** "I am typing in this conversation" (typing.ts): sent at most every 3 s while the user types. */
const Typing = z.strictObject({
  type: z.literal('typing'),
  conversationId: Id.refine(isConversationId, {
    message: 'must be a conversation id: <phoneNumberId>.<p + phone digits | u + user id>',
  }),
});

export const ClientFrame = z.discriminatedUnion('type', [Subscribe, Unsubscribe, Typing, Ping]);
export type ClientFrame = z.infer<typeof ClientFrame>;
export type SubscribeFrame = z.infer<typeof Subscribe>;
export type UnsubscribeFrame = z.infer<typeof Unsubscribe>;
export type TypingFrame = z.infer<typeof Typing>;

export type ParsedFrame =
  | { readonly ok: true; readonly frame: ClientFrame }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

/** A client's text frame, validated; a refusal names the field and the rule (PARLO_BAD_REQUEST). */
export function parseClientFrame(text: string): ParsedFrame {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, code: 'PARLO_BAD_REQUEST', message: 'a frame must be one JSON object' };
  }
  const parsed = ClientFrame.safeParse(json);
  if (parsed.success) return { ok: true, frame: parsed.data };
  const issue = parsed.error.issues[0];
  const path = issue?.path.join('.') ?? '';
  return {
    ok: false,
    code: 'PARLO_BAD_REQUEST',
    message: `${path === '' ? 'frame' : path}: ${issue?.message ?? 'invalid'}`,
  };
}

// ---------------------------------------------------------------- server frames

/** What an event frame shows of an inbox event: the conversation, and the message (REST view) or the assignment. */
export interface EventView {
  readonly type: InboxEvent['type'];
  readonly conversationId: string;
  readonly phoneNumberId: string;
  readonly customer: { phone: string | null; userId: string | null; profileName: string | null };
  readonly message?: MessageViewBody;
  readonly assignee?: string | null;
  readonly lock?: { holder: string; since: string; expiresAt: string } | null;
  readonly status?: string;
  readonly snoozedUntil?: string | null;
  /** As `POST /v1/conversations/{id}/notes` answers it. */
  readonly note?: { id: string; at: string; by: string; text: string; mentions: string[] };
  readonly tags?: string[];
}

export type ServerFrame =
  | { readonly type: 'ready'; readonly userId: string; readonly orgId: string; readonly role: Role }
  | { readonly type: 'subscribed'; readonly scope: Scope; readonly id: string; readonly lastSeq: number }
  | { readonly type: 'event'; readonly seq: number; readonly at: string; readonly event: EventView }
  | {
      readonly type: 'resync';
      readonly reason: 'gap' | 'slow';
      readonly scope?: Scope;
      readonly id?: string;
      readonly lastSeq: number;
    }
  | {
      readonly type: 'typing';
      readonly conversationId: string;
      readonly phoneNumberId: string;
      readonly userId: string;
      /** ISO time; the indicator shows until then unless a newer one extends it. */
      readonly expiresAt: string;
    }
  | {
      readonly type: 'presence';
      readonly userId: string;
      readonly presence: 'online' | 'away' | 'offline';
      /** ISO time of the change. */
      readonly at: string;
    }
  | { readonly type: 'pong' }
  | {
      readonly type: 'error';
      readonly code: ErrorCode;
      readonly message: string;
      readonly scope?: Scope;
      readonly id?: string;
    };

export function encodeFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

export const PONG_FRAME = encodeFrame({ type: 'pong' });

/** An inbox event as clients see it; stored media gets refs scoped to `orgId` (as in the REST API). */
export function eventView(event: InboxEvent, orgId: string, refs: MediaRefs): EventView {
  const base = {
    type: event.type,
    conversationId: event.conversationId,
    phoneNumberId: event.phoneNumberId,
    customer: {
      phone: event.customer.phone,
      userId: event.customer.userId,
      profileName: event.customer.profileName,
    },
  };
  switch (event.type) {
    case 'message':
    case 'messageUpdated':
      return { ...base, message: messageBody(event.message, orgId, refs) };
    case 'assignment':
      return { ...base, assignee: event.assignee, lock: event.lock === null ? null : lockView(event.lock) };
    case 'noteAdded': {
      const { note } = event;
      return {
        ...base,
        note: { id: note.id, at: iso(note.atMs), by: note.by, text: note.text, mentions: [...note.mentions] },
      };
    }
    case 'tagsChanged':
      return { ...base, tags: [...event.tags] };
    case 'conversationStatus':
      return {
        ...base,
        status: event.status,
        snoozedUntil: event.snoozedUntilMs === null ? null : iso(event.snoozedUntilMs),
      };
    default:
      return unreachable(event);
  }
}

function lockView(lock: ConversationLock): NonNullable<EventView['lock']> {
  return { holder: lock.holder, since: iso(lock.sinceMs), expiresAt: iso(lock.expiresAtMs) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function eventFrame(entry: InboxEntry, orgId: string, refs: MediaRefs): string {
  return encodeFrame({
    type: 'event',
    seq: entry.seq,
    at: iso(entry.atMs),
    event: eventView(entry.event, orgId, refs),
  });
}

/** Someone is typing in a conversation (ephemeral: no seq, never replayed; see typing.ts). */
export function typingFrame(typing: {
  readonly conversationId: string;
  readonly phoneNumberId: string;
  readonly userId: string;
  readonly expiresAtMs: number;
}): string {
  return encodeFrame({
    type: 'typing',
    conversationId: typing.conversationId,
    phoneNumberId: typing.phoneNumberId,
    userId: typing.userId,
    expiresAt: iso(typing.expiresAtMs),
  });
}

/** An operator's presence changed (ephemeral: no seq, never replayed; see presence.ts). */
export function presenceFrame(presence: {
  readonly userId: string;
  readonly presence: 'online' | 'away' | 'offline';
  readonly atMs: number;
}): string {
  return encodeFrame({
    type: 'presence',
    userId: presence.userId,
    presence: presence.presence,
    at: iso(presence.atMs),
  });
}
