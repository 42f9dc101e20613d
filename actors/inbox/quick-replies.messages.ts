import { z } from 'zod';
import type { Address, Refusal } from '../../core/index.ts';
import { AuditActor } from '../org/org.messages.ts';

/**
 * The protocol of the `quick-replies` actor (id = org id): the organisation's canned answers (issue #7, 5), which
 * operators insert into the composer by `/shortcut`. A quick reply is **shared** (every member sees it; members
 * holding `inbox:manage` write it) or **personal** (its owner alone sees and writes it). Its text may hold variables
 * (quick-reply-text.ts), filled when it is rendered for a conversation.
 *
 * **Shortcuts.** `/shortcut` must mean one reply to each member, so a shortcut is unique among the shared replies
 * ∪ the owner's personal ones: a member cannot take a shared shortcut for a personal reply. A manager may still
 * create a shared reply whose shortcut some member uses for a personal one (the manager cannot see it, and
 * refusing would leak it); that member's listing then shows their own, and the shared one with `isShadowed`.
 *
 * **Who may.** The actor enforces it as well as the HTTP layer (defence in depth): the caller is `by` (a user, or
 * an API key, which owns no personal replies) and `canManageShared` (holds `inbox:manage`). Another member's
 * personal reply is answered as not found, never as forbidden, so its existence does not leak.
 */
export const QUICK_REPLIES_KIND = 'quick-replies';

export function quickRepliesAddress(orgId: string): Address {
  return { kind: QUICK_REPLIES_KIND, id: orgId };
}

export const QUICK_REPLY_SCOPES = ['shared', 'personal'] as const;
export type QuickReplyScope = (typeof QUICK_REPLY_SCOPES)[number];

export const MAX_SHARED_QUICK_REPLIES = 500;
export const MAX_PERSONAL_QUICK_REPLIES = 100;
export const MAX_SHORTCUT_LENGTH = 32;
/** Lowercase letters and digits, then also `_` and `-`: what follows the `/` in the composer. */
export const SHORTCUT_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
export const MAX_TITLE_LENGTH = 100;
/** WhatsApp's limit for the body of a text message. */
export const MAX_TEXT_LENGTH = 4096;
export const MAX_QUERY_LENGTH = 100;

export interface QuickReply {
  /** `qr_…`, unique across organisations. */
  readonly id: string;
  readonly scope: QuickReplyScope;
  /** The member a personal reply belongs to; null for a shared one. */
  readonly ownerUserId: string | null;
  readonly shortcut: string;
  readonly title: string;
  readonly text: string;
  readonly createdBy: AuditActor;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

/** A reply as one member sees it in a listing. */
export interface ListedQuickReply {
  readonly quickReply: QuickReply;
  /** A shared reply whose shortcut the member uses for a personal one (which `/shortcut` then inserts). */
  readonly isShadowed: boolean;
}

const Id = z.string().min(1).max(128);

export const QuickRepliesMsg = z.discriminatedUnion('type', [
  /**
   * The shared replies and the caller's personal ones, by shortcut (a personal one before the shared one it
   * shadows). `query`: a shortcut prefix, or text the title or text contains (ignoring case and accents); with a
   * leading `/` (as typed in the composer), a shortcut prefix only.
   */
  z.object({
    type: z.literal('listQuickReplies'),
    by: AuditActor,
    query: z.string().max(MAX_QUERY_LENGTH).optional(),
  }),
  z.object({ type: z.literal('getQuickReply'), id: Id, by: AuditActor }),
  /** Bounds and text rules are the actor's (refused naming the field), not the schema's. */
  z.object({
    type: z.literal('createQuickReply'),
    scope: z.enum(QUICK_REPLY_SCOPES),
    shortcut: z.string(),
    title: z.string(),
    text: z.string(),
    by: AuditActor,
    canManageShared: z.boolean(),
  }),
  /** Absent fields stay as they are. */
  z.object({
    type: z.literal('updateQuickReply'),
    id: Id,
    shortcut: z.string().optional(),
    title: z.string().optional(),
    text: z.string().optional(),
    by: AuditActor,
    canManageShared: z.boolean(),
  }),
  z.object({ type: z.literal('deleteQuickReply'), id: Id, by: AuditActor, canManageShared: z.boolean() }),
]);
export type QuickRepliesMsg = z.infer<typeof QuickRepliesMsg>;

export type QuickRepliesErrorCode =
  | 'PARLO_QUICK_REPLY_NOT_FOUND'
  | 'PARLO_QUICK_REPLY_SHORTCUT_TAKEN'
  | 'PARLO_QUICK_REPLY_LIMIT'
  | 'PARLO_ACCESS_FORBIDDEN'
  | 'PARLO_VALIDATION_FAILED';

export interface QuickRepliesRefusal extends Refusal {
  readonly code: QuickRepliesErrorCode;
}

export interface QuickRepliesReplies {
  listQuickReplies: { ok: true; items: readonly ListedQuickReply[] };
  getQuickReply: { ok: true; item: ListedQuickReply } | QuickRepliesRefusal;
  createQuickReply: { ok: true; item: ListedQuickReply } | QuickRepliesRefusal;
  updateQuickReply: { ok: true; item: ListedQuickReply } | QuickRepliesRefusal;
  deleteQuickReply: { ok: true } | QuickRepliesRefusal;
}
