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
import type { AssignmentMsg, AssignmentReplies } from '../../../actors/operators/assignment.messages.ts';
import { assignmentAddress } from '../../../actors/operators/operator.messages.ts';
import { ORG_KIND, type OrgMsg, type OrgReply } from '../../../actors/org/org.messages.ts';
import { ConversationId } from '../api/conversation-id.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { okOrThrow, userCallerOf } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';

/**
 * The inbox's hold on a conversation (issue #7, 3–4): claim, assign or transfer (to a member or to a team), take
 * over, release the lock, and set the status (open, pending, snoozed until a time, resolved). The conversation
 * actor enforces the lock itself (actors/conversation/inbox-controls.ts): these routes check who may ask, and that
 * the conversation and the assignee (or a member of the team) are the caller's organisation's. Signed-in users
 * only: an API key is not an operator.
 */

const Params = z.object({ conversationId: ConversationId });

const InboxControls = z.object({
  assignee: z.string().nullable(),
  lock: z.object({ holder: z.string(), since: z.string(), expiresAt: z.string() }).nullable(),
  status: z.enum(CONVERSATION_STATUSES),
  snoozedUntil: z.string().nullable(),
  waitingForTeam: z
    .string()
    .optional()
    .describe(
      'Only in the answer to a transfer to a team: the team the conversation waits for (unassigned until a member of it is given it)',
    ),
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

  async function isActiveMember(orgId: string, userId: string): Promise<boolean> {
    const msg: OrgMsg = { type: 'getMember', userId };
    const reply = await system.ask<OrgReply<'getMember'>>({ kind: ORG_KIND, id: orgId }, msg);
    return reply.ok && reply.member.status === 'active';
  }

  /** The user to assign must be an active member of the caller's organisation. */
  async function ensureMember(orgId: string, userId: string): Promise<void> {
    if (!(await isActiveMember(orgId, userId))) {
      throw new ParloError('PARLO_USER_NOT_FOUND', `assignee ${userId} is not an active member of this organisation`);
    }
  }

  /** A team to transfer to must have an active member (teams are operators' settings, PATCH /v1/operators/{id}). */
  async function ensureTeam(orgId: string, team: string): Promise<void> {
    const msg: AssignmentMsg = { type: 'getTeam', team };
    const reply = await system.ask<AssignmentReplies['getTeam']>(assignmentAddress(orgId), msg);
    for (const userId of reply.userIds) if (await isActiveMember(orgId, userId)) return;
    throw new ParloError('PARLO_TEAM_NOT_FOUND', `no active member of this organisation is in team "${team}"`);
  }

  const control = (
    name: string,
    summary: string,
    scope: 'conversations:assign' | 'conversations:takeover',
    body: z.ZodType | undefined,
    toMsg: (userId: string, body: never) => ConversationMsg,
    check?: (orgId: string, body: never) => Promise<void>,
    description?: string,
  ): ApiRoute =>
    defineRoute({
      method: 'POST',
      url: `/conversations/:conversationId/${name}`,
      operationId: `${name}Conversation`,
      summary,
      ...(description === undefined ? {} : { description }),
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
      assignee: z
        .string()
        .min(1)
        .max(64)
        .nullable()
        .optional()
        .describe('The member to assign (user id), or null to unassign; not with `team`'),
      team: z
        .string()
        .min(1)
        .max(64)
        .optional()
        .describe('Transfer to a team (as set on operators): a free member of it is assigned; not with `assignee`'),
      /** A transfer's internal note (never sent to the customer); the new assignee is notified. */
      note: z
        .string()
        .trim()
        .min(1)
        .max(MAX_NOTE_CHARS)
        .optional()
        .describe('An internal note kept with the transfer (never sent to the customer); the new assignee is notified'),
    })
    .strict()
    .superRefine((b, ctx) => {
      if (b.assignee !== undefined && b.team !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['team'], message: 'give either assignee or team, not both' });
      } else if (b.assignee === undefined && b.team === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['assignee'],
          message: 'is required (a member’s user id, or null to unassign) unless team is given',
        });
      }
    });
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
      'Assign or transfer the conversation to a member (the lock moves to them) or to a team (a free member of it is assigned), with an optional internal `note`; or unassign it (assignee null)',
      'conversations:assign',
      AssignBody,
      (userId, body: z.output<typeof AssignBody>) => ({
        type: 'assign',
        assignee: body.assignee ?? null,
        ...(body.team === undefined ? {} : { team: body.team }),
        by: { kind: 'user', id: userId },
        ...(body.note === undefined ? {} : { note: { noteId: `note_${randomHex(8)}`, userId, text: body.note } }),
      }),
      async (orgId, body: z.output<typeof AssignBody>) => {
        if (body.team !== undefined) await ensureTeam(orgId, body.team);
        else if (body.assignee != null) await ensureMember(orgId, body.assignee);
      },
      [
        'Exactly one of `assignee` and `team` (400 `PARLO_VALIDATION_FAILED` naming the field otherwise).',
        '',
        '`{"assignee": "<userId>"}` assigns the conversation to an active member (404 `PARLO_USER_NOT_FOUND` otherwise), who holds its lock; `{"assignee": null}` unassigns it and releases the lock. With a `note`, the note is added to the conversation in the same turn and mentions the new assignee, who is notified.',
        '',
        '`{"team": "<team>"}` transfers it to a team (the teams set on operators; 404 `PARLO_TEAM_NOT_FOUND` when no active member is in it): the conversation is unassigned, its lock released, a resolved one opened again, and the answer says `waitingForTeam`. The organisation’s automatic assignment gives it to a member of the team who is online, on shift and under capacity, by the rules’ mode — in `manual` mode too, to the least busy (a person asked for it) — whatever route the rules give its number; nobody free: it waits, oldest first, until one is. A `note` is added at once and mentions the member given the conversation, who is notified then. Someone claiming, being assigned or resolving it meanwhile ends the wait.',
      ].join('\n'),
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
    ...(reply.waitingForTeam === undefined ? {} : { waitingForTeam: reply.waitingForTeam }),
  };
}
