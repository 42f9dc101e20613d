import { z } from 'zod';
import { ParloError, randomHex, type ActorSystem } from '../../../core/index.ts';
import {
  CONVERSATION_KIND,
  MAX_NOTE_CHARS,
  MAX_TAG_CHARS,
  MAX_TAGS,
  type ConversationMsg,
  type ConversationReplies,
} from '../../../actors/conversation/conversation.messages.ts';
import { CONVERSATION_STATUSES } from '../../../actors/conversation/conversation.state.ts';
import type { InboxControlsReply } from '../../../actors/conversation/inbox-controls.ts';
import { ORG_KIND, type OrgMsg, type OrgReply } from '../../../actors/org/org.messages.ts';
import { ConversationId } from '../api/conversation-id.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { okOrThrow, userCallerOf } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';

/**
 * The inbox's hold on a conversation (issue #7, 3–4): claim, assign or transfer, take over, release the lock, and
 * set the status (open, pending, snoozed until a time, resolved). The conversation actor enforces the lock itself
 * (actors/conversation/inbox-controls.ts): these routes check who may ask, and that the conversation and the
 * assignee are the caller's organisation's. Signed-in users only: an API key is not an operator.
 */

const Params = z.object({ conversationId: ConversationId });

const InboxControls = z.object({
  assignee: z.string().nullable(),
  lock: z.object({ holder: z.string(), since: z.string(), expiresAt: z.string() }).nullable(),
  status: z.enum(CONVERSATION_STATUSES),
  snoozedUntil: z.string().nullable(),
});

export interface InboxRoutesDeps {
  readonly system: ActorSystem;
}

export function inboxRoutes(deps: InboxRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const conversation = <T extends keyof ConversationReplies>(id: string, msg: ConversationMsg) =>
    system.ask<ConversationReplies[T]>({ kind: CONVERSATION_KIND, id }, msg);

  /** 404 unless the conversation exists and is the caller's organisation's (another's looks like none). */
  async function ensureOwned(conversationId: string, orgId: string): Promise<void> {
    const { conversation: view } = await conversation<'getConversation'>(conversationId, {
      type: 'getConversation',
      limit: 1,
    });
    if (view.orgId !== orgId) {
      throw new ParloError('PARLO_CONVERSATION_NOT_FOUND', `no conversation ${conversationId} here`);
    }
  }

  /** The user to assign must be an active member of the caller's organisation. */
  async function ensureMember(orgId: string, userId: string): Promise<void> {
    const msg: OrgMsg = { type: 'getMember', userId };
    const reply = await system.ask<OrgReply<'getMember'>>({ kind: ORG_KIND, id: orgId }, msg);
    if (!reply.ok || reply.member.status !== 'active') {
      throw new ParloError('PARLO_USER_NOT_FOUND', `assignee ${userId} is not an active member of this organisation`);
    }
  }

  const control = (
    name: string,
    summary: string,
    scope: 'conversations:assign' | 'conversations:takeover',
    body: z.ZodType | undefined,
    toMsg: (userId: string, body: never) => ConversationMsg,
    check?: (orgId: string, body: never) => Promise<void>,
  ): ApiRoute =>
    defineRoute({
      method: 'POST',
      url: `/conversations/:conversationId/${name}`,
      operationId: `${name}Conversation`,
      summary,
      tags: ['inbox'],
      auth: 'session',
      scopes: [scope],
      params: Params,
      ...(body === undefined ? {} : { body }),
      responses: { 200: InboxControls },
      async handler({ params, body: input, request }) {
        const caller = userCallerOf(request);
        await ensureOwned(params.conversationId, caller.orgId);
        await check?.(caller.orgId, input as never);
        const reply: InboxControlsReply = okOrThrow(
          await conversation<'claim'>(params.conversationId, toMsg(caller.userId, input as never)),
        );
        return { status: 200, body: controlsBody(reply) };
      },
    });

  const AssignBody = z
    .object({
      assignee: z.string().min(1).max(64).nullable(),
      /** A transfer's internal note (never sent to the customer); the new assignee is notified. */
      note: z.string().trim().min(1).max(MAX_NOTE_CHARS).optional(),
    })
    .strict();
  const StatusBody = z
    .object({ status: z.enum(CONVERSATION_STATUSES), snoozeUntil: z.iso.datetime({ offset: true }).optional() })
    .refine((b) => (b.status === 'snoozed') === (b.snoozeUntil !== undefined), {
      message: 'snoozeUntil is required with status snoozed, and only then',
      path: ['snoozeUntil'],
    });

  const Note = z.object({
    id: z.string(),
    at: z.string(),
    by: z.string(),
    text: z.string(),
    mentions: z.array(z.string()),
  });
  const addNote = defineRoute({
    method: 'POST',
    url: '/conversations/:conversationId/notes',
    operationId: 'addConversationNote',
    summary: 'Add an internal note (operators only; never sent to the customer); each member in `mentions` is notified',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['conversations:reply'],
    params: Params,
    body: z
      .object({
        text: z.string().min(1).max(MAX_NOTE_CHARS),
        mentions: z.array(z.string().min(1).max(64)).max(20).default([]),
      })
      .strict(),
    responses: { 201: Note },
    async handler({ params, body, request }) {
      const caller = userCallerOf(request);
      await ensureOwned(params.conversationId, caller.orgId);
      for (const userId of new Set(body.mentions)) await ensureMember(caller.orgId, userId);
      const reply = okOrThrow(
        await conversation<'addNote'>(params.conversationId, {
          type: 'addNote',
          noteId: `note_${randomHex(8)}`,
          userId: caller.userId,
          text: body.text,
          mentions: body.mentions,
        }),
      );
      const note = reply.note;
      return {
        status: 201,
        body: { id: note.id, at: iso(note.atMs), by: note.by, text: note.text, mentions: [...note.mentions] },
      };
    },
  });

  const setTags = defineRoute({
    method: 'PUT',
    url: '/conversations/:conversationId/tags',
    operationId: 'setConversationTags',
    summary: 'Replace the conversation’s tags',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['conversations:assign'],
    params: Params,
    body: z.object({ tags: z.array(z.string().min(1).max(MAX_TAG_CHARS)).max(MAX_TAGS) }).strict(),
    responses: { 200: z.object({ tags: z.array(z.string()) }) },
    async handler({ params, body, request }) {
      const caller = userCallerOf(request);
      await ensureOwned(params.conversationId, caller.orgId);
      const reply = okOrThrow(
        await conversation<'setTags'>(params.conversationId, {
          type: 'setTags',
          tags: body.tags,
          by: { kind: 'user', id: caller.userId },
        }),
      );
      return { status: 200, body: { tags: [...reply.tags] } };
    },
  });

  return [
    addNote,
    setTags,
    control(
      'claim',
      'Take the conversation: you become its assignee and hold its lock (409 PARLO_CONVERSATION_LOCKED while another operator holds it)',
      'conversations:assign',
      undefined,
      (userId) => ({ type: 'claim', userId }),
    ),
    control(
      'assign',
      'Assign the conversation to a member (the lock moves to them), transfer it with an optional internal `note` (the new assignee is notified), or unassign it (assignee null)',
      'conversations:assign',
      AssignBody,
      (userId, body: z.output<typeof AssignBody>) => ({
        type: 'assign',
        assignee: body.assignee,
        by: { kind: 'user', id: userId },
        ...(body.note === undefined ? {} : { note: { noteId: `note_${randomHex(8)}`, userId, text: body.note } }),
      }),
      async (orgId, body: z.output<typeof AssignBody>) => {
        if (body.assignee !== null) await ensureMember(orgId, body.assignee);
      },
    ),
    control(
      'takeover',
      'Take the conversation and its lock from whoever holds it (managers and up)',
      'conversations:takeover',
      undefined,
      (userId) => ({ type: 'takeOver', userId }),
    ),
    control(
      'release',
      'Let go of the conversation’s lock you hold (the assignment stays)',
      'conversations:assign',
      undefined,
      (userId) => ({ type: 'releaseLock', userId }),
    ),
    control(
      'status',
      'Set the status: open, pending, snoozed until a time (opens again then, or when the customer writes), resolved (releases the lock)',
      'conversations:assign',
      StatusBody,
      (userId, body: z.output<typeof StatusBody>) => ({
        type: 'setStatus',
        status: body.status,
        ...(body.snoozeUntil === undefined ? {} : { snoozeUntilMs: Date.parse(body.snoozeUntil) }),
        by: { kind: 'user', id: userId },
      }),
    ),
  ];
}

function controlsBody(reply: InboxControlsReply): z.input<typeof InboxControls> {
  return {
    assignee: reply.assignee,
    lock:
      reply.lock === null
        ? null
        : { holder: reply.lock.holder, since: iso(reply.lock.sinceMs), expiresAt: iso(reply.lock.expiresAtMs) },
    status: reply.status,
    snoozedUntil: reply.snoozedUntilMs === null ? null : iso(reply.snoozedUntilMs),
  };
}
