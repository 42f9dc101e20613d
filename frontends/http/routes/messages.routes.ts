import { z } from 'zod';
import { ParloError, randomHex, type ActorSystem, type OutboundContent } from '../../../core/index.ts';
import { contactAddress, type ContactReply } from '../../../actors/contacts/contact.messages.ts';
import { customerKeyOf } from '../../../actors/contacts/customer-key.ts';
import {
  CONVERSATION_KIND,
  conversationId,
  type ConversationMsg,
  type ConversationReplies,
} from '../../../actors/conversation/conversation.messages.ts';
import {
  conversationIndexAddress,
  type ConversationFilter,
  type ConversationIndexMsg,
  type ConversationIndexReply,
  type ConversationSummary,
  type ListPosition,
} from '../../../actors/conversation-index/conversation-index.messages.ts';
import { isWindowOpen, mergePages, windowExpiresAtMs } from '../../../actors/conversation-index/query.ts';
import { PREVIEW_MAX_CHARS } from '../../../actors/conversation/summary.ts';
import {
  MAX_SEARCH_CHARS,
  MAX_SEARCH_HITS,
  messageSearchAddress,
  type MessageSearchReply,
  type SearchHit,
} from '../../../actors/message-search/message-search.messages.ts';
import { CONVERSATION_STATUSES, type ConversationStatus } from '../../../actors/conversation/conversation.state.ts';
import { ORG_NUMBERS_KIND, type OrgNumbersReply } from '../../../actors/numbers/numbers.messages.ts';
import { ConversationId } from '../api/conversation-id.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { MAX_CURSOR_LENGTH, decodeCursor, page, pageSchema } from '../api/pagination.ts';
import { callerOf, okOrThrow, requirePermission } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';
import { auditActorOf } from './numbers.routes.ts';
import { MessageView, messageBody } from '../api/message-view.ts';
import type { MediaRefs } from '../media-refs.ts';
import type { TtlCache } from '../ttl-cache.ts';

/**
 * Sending WhatsApp messages and reading conversations. A send is answered 202 once the conversation actor has
 * logged it as queued (the 24 h window checked: a free-form message outside it is 409 PARLO_WINDOW_CLOSED); the
 * number actor then releases it at the number's pace and the status moves on (accepted → sent → delivered → read,
 * or failed with Meta's code), readable on the conversation. Free-form replies need `conversations:reply`;
 * templates (business-initiated, billed) also `messages:send`.
 *
 * Conversations are listed from each number's `conversation-index` actor (one summary per conversation, kept up
 * to date by the conversations themselves): newest activity first, filtered, paged by an opaque cursor (the last
 * item's activity time and id). Without `number` the organisation's numbers are listed together: each index
 * answers its first page after the cursor and the pages are merged.
 */
export interface MessagesRoutesDeps {
  readonly system: ActorSystem;
  /** Turns stored media into organisation-scoped refs for GET /v1/media/{ref}. */
  readonly mediaRefs: MediaRefs;
  /**
   * `<orgId>/<phoneNumberId>` of numbers seen to be the organisation's, so that a send does not ask the
   * organisation's numbers on every request (the composition root clears it when numbers change through this node).
   */
  readonly ownedNumbers?: TtlCache<string, true>;
}

// ---------------------------------------------------------------- content schemas (Meta's objects)

const Media = z
  .object({
    id: z.string().min(1).max(256).optional(),
    link: z
      .url({ protocol: /^https?$/ })
      .max(2048)
      .optional(),
    caption: z.string().max(1024).optional(),
    filename: z.string().max(255).optional(),
  })
  .refine((m) => (m.id === undefined) !== (m.link === undefined), { message: 'give exactly one of id or link' });

const Content = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('text'),
    text: z.object({ body: z.string().min(1).max(4096), preview_url: z.boolean().optional() }),
  }),
  z.object({ type: z.literal('image'), image: Media }),
  z.object({ type: z.literal('video'), video: Media }),
  z.object({ type: z.literal('audio'), audio: Media }),
  z.object({ type: z.literal('document'), document: Media }),
  z.object({ type: z.literal('sticker'), sticker: Media }),
  z.object({
    type: z.literal('location'),
    location: z.object({
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      name: z.string().max(1000).optional(),
      address: z.string().max(1000).optional(),
    }),
  }),
  z.object({ type: z.literal('contacts'), contacts: z.array(z.record(z.string(), z.unknown())).min(1).max(257) }),
  z.object({
    type: z.literal('reaction'),
    reaction: z.object({ message_id: z.string().min(1).max(256), emoji: z.string().max(16) }),
  }),
  z.object({
    type: z.literal('interactive'),
    interactive: z.object({ type: z.string().min(1).max(64) }).loose(),
  }),
  z.object({
    type: z.literal('template'),
    template: z.object({
      name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'must be a template name: lowercase letters, digits and _'),
      language: z.object({ code: z.string().min(2).max(15), policy: z.literal('deterministic').optional() }),
      components: z.array(z.record(z.string(), z.unknown())).max(20).optional(),
    }),
  }),
]);

const PhoneNumberId = z.string().regex(/^[0-9]{5,25}$/, 'must be a phone-number id (digits)');

const E164 = z.string().regex(/^\+?[1-9][0-9]{7,14}$/, 'must be an E.164 number, 8–15 digits');

const SendBody = z
  .object({
    from: PhoneNumberId.describe('The business phone-number id to send from'),
    to: E164.optional().describe('The customer’s phone number'),
    toUserId: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/)
      .optional()
      .describe('Or their business-scoped user id'),
    category: z
      .enum(['marketing', 'utility', 'authentication'])
      .optional()
      .describe('The template’s category (templates only): decides priority and price'),
    content: Content,
  })
  .refine((b) => (b.to === undefined) !== (b.toUserId === undefined), { message: 'give exactly one of to or toUserId' })
  .refine((b) => b.content.type !== 'template' || b.category !== undefined, {
    message: 'a template send needs its category',
    path: ['category'],
  });

const WindowView = z.object({ isOpen: z.boolean(), expiresAt: z.string().nullable() });

const ConversationView = z
  .object({
    id: z.string(),
    phoneNumberId: z.string().nullable(),
    customer: z.object({
      phone: z.string().nullable(),
      userId: z.string().nullable(),
      profileName: z.string().nullable(),
    }),
    window: z.object({
      service: WindowView,
      freeEntryPoint: WindowView,
      canSendFreeForm: z.boolean(),
      reason: z.string(),
    }),
    assignee: z.string().nullable().describe('The member it is assigned to'),
    lock: z
      .object({ holder: z.string(), since: z.string(), expiresAt: z.string() })
      .nullable()
      .describe('The one operator who replies, until the lock lapses at expiresAt without a reply of theirs'),
    status: z.enum(CONVERSATION_STATUSES),
    snoozedUntil: z.string().nullable(),
    tags: z.array(z.string()),
    notes: z
      .array(
        z.object({ id: z.string(), at: z.string(), by: z.string(), text: z.string(), mentions: z.array(z.string()) }),
      )
      .describe('Internal notes, oldest first: operators only, never sent to the customer'),
    messages: z.array(MessageView),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'Conversation' });

const ConversationListItem = z
  .object({
    id: z.string(),
    phoneNumberId: z.string(),
    customer: z.object({
      phone: z.string().nullable(),
      userId: z.string().nullable(),
      profileName: z.string().nullable(),
    }),
    lastActivityAt: z.string().describe('The time of the newest message, either direction'),
    lastMessage: z.object({
      direction: z.enum(['in', 'out']),
      type: z.string(),
      preview: z
        .string()
        .nullable()
        .describe(`Its text, caption or template name, at most ${PREVIEW_MAX_CHARS} characters`),
      failed: z.boolean().describe('An outbound message that was refused'),
    }),
    window: WindowView.describe('The 24 h customer-service window: free-form replies while it is open'),
    assignee: z.string().nullable(),
    status: z.enum(CONVERSATION_STATUSES),
    unreadCount: z.number().int().describe("Customer messages since the business's last message"),
    match: z
      .object({
        seq: z.number().int().describe('The message, in the conversation (its `seq` among the messages)'),
        at: z.string(),
        direction: z.enum(['in', 'out']),
        excerpt: z.string().describe('Its text around the first word found, at most 120 characters'),
      })
      .optional()
      .describe(
        'With `q`: the newest message whose text holds every word searched for (absent when the name or phone matched)',
      ),
  })
  .meta({ id: 'ConversationSummary' });

/** Where a listing resumes: the last item's activity time and conversation id. */
const ConversationCursor = z.object({ at: z.number().int().min(0), id: z.string().min(1).max(200) });

const ASSIGNEE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

const ListConversationsQuery = z.object({
  number: PhoneNumberId.optional().describe("Only this business number's conversations; default: every number"),
  window: z
    .enum(['open', 'closed'])
    .optional()
    .describe('Only conversations whose customer-service window is open (free-form replies allowed) or closed'),
  assignee: z
    .string()
    .regex(ASSIGNEE_ID, 'must be a user id or unassigned')
    .optional()
    .describe('Only conversations assigned to this user; `unassigned` for those assigned to nobody'),
  status: z
    .string()
    .transform((text, ctx) => {
      const statuses = text.split(',');
      for (const status of statuses) {
        if (!(CONVERSATION_STATUSES as readonly string[]).includes(status)) {
          ctx.addIssue({ code: 'custom', message: `"${status}" is not one of ${CONVERSATION_STATUSES.join(', ')}` });
          return z.NEVER;
        }
      }
      return statuses as ConversationStatus[];
    })
    .optional()
    .describe('Only conversations in these statuses, comma-separated: open, pending, snoozed, resolved'),
  hasUnread: z
    .stringbool()
    .optional()
    .describe("Only conversations with (true) or without (false) customer messages since the business's last one"),
  activeAfter: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only conversations whose last activity is at or after this instant'),
  activeBefore: z.iso
    .datetime({ offset: true })
    .optional()
    .describe('Only conversations whose last activity is before this instant'),
  phonePrefix: z
    .string()
    .regex(/^\+?[0-9]{1,15}$/, 'must be digits of a phone number (an optional + first)')
    .optional()
    .describe("Only customers whose phone number starts with these digits (country code first, '+' optional)"),
  name: z
    .string()
    .trim()
    .min(1)
    .max(100)
    .optional()
    .describe('Only customers whose WhatsApp profile name contains this text (case and accents ignored)'),
  q: z
    .string()
    .trim()
    .min(1)
    .max(MAX_SEARCH_CHARS)
    .optional()
    .describe(
      `Search: conversations whose messages hold every word of this text (case and accents ignored, anywhere in a word; customer messages and free-form replies, not templates, among each number's latest \`inbox.searchableMessagesPerNumber\`; at most ${MAX_SEARCH_HITS} per number), or whose customer's profile name contains it, or whose phone number contains its digits`,
    ),
  limit: z.coerce.number().int().min(1).max(100).default(50).describe('How many conversations to return, 1 to 100.'),
  cursor: z
    .string()
    .min(1)
    .max(MAX_CURSOR_LENGTH)
    .optional()
    .describe("The previous page's nextCursor; omit it for the first page."),
});

function filterOf(query: z.output<typeof ListConversationsQuery>): ConversationFilter {
  return {
    ...(query.window === undefined ? {} : { window: query.window }),
    ...(query.assignee === undefined ? {} : { assignee: query.assignee === 'unassigned' ? null : query.assignee }),
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(query.hasUnread === undefined ? {} : { hasUnread: query.hasUnread }),
    ...(query.activeAfter === undefined ? {} : { activeFromMs: Date.parse(query.activeAfter) }),
    ...(query.activeBefore === undefined ? {} : { activeBeforeMs: Date.parse(query.activeBefore) }),
    ...(query.phonePrefix === undefined ? {} : { phonePrefix: query.phonePrefix }),
    ...(query.name === undefined ? {} : { nameContains: query.name }),
  };
}

/** A listed conversation with the time its index evaluated the window at (so the shown window matches the filter). */
interface Listed {
  readonly summary: ConversationSummary;
  readonly nowMs: number;
  /** With a search: the message whose text matched (absent when the name or phone did). */
  readonly match?: SearchHit;
}

function listItemBody({ summary, nowMs, match }: Listed): z.input<typeof ConversationListItem> {
  return {
    ...(match === undefined
      ? {}
      : { match: { seq: match.seq, at: iso(match.atMs), direction: match.direction, excerpt: match.excerpt } }),
    id: summary.conversationId,
    phoneNumberId: summary.conversationId.slice(0, summary.conversationId.indexOf('.')),
    customer: {
      phone: summary.customer.phone,
      userId: summary.customer.userId,
      profileName: summary.customer.profileName,
    },
    lastActivityAt: iso(summary.lastActivityAtMs),
    lastMessage: summary.lastMessage,
    window: { isOpen: isWindowOpen(summary, nowMs), expiresAt: isoOrNull(windowExpiresAtMs(summary)) },
    assignee: summary.assignee,
    status: summary.status ?? 'open',
    unreadCount: summary.unreadCount,
  };
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

export function messageRoutes(deps: MessagesRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const conversation = <T extends keyof ConversationReplies>(id: string, msg: ConversationMsg) =>
    system.ask<ConversationReplies[T]>({ kind: CONVERSATION_KIND, id }, msg);

  const sendMessage = defineRoute({
    method: 'POST',
    url: '/messages',
    operationId: 'sendMessage',
    summary: 'Send a WhatsApp message (free-form inside the 24 h window, or a template)',
    description:
      'Answers 202 when the message is queued on its conversation; follow it with GET /v1/conversations/{conversationId}. A free-form message outside the customer-service window is refused with 409 PARLO_WINDOW_CLOSED (send a template). Templates need messages:send.',
    tags: ['messages'],
    auth: 'any',
    scopes: ['conversations:reply'],
    body: SendBody,
    responses: {
      202: z
        .object({ messageId: z.string(), conversationId: z.string(), state: z.string() })
        .meta({ id: 'MessageQueued' }),
    },
    async handler({ body, request }) {
      const caller = callerOf(request);
      if (body.content.type === 'template') requirePermission(request, 'messages:send');
      // The number must be one of the caller's organisation (404 otherwise, like any id that is not ours).
      const owned = `${caller.orgId}/${body.from}`;
      if (deps.ownedNumbers?.get(owned) === undefined) {
        okOrThrow(
          await system.ask<OrgNumbersReply<'getNumber'>>(
            { kind: ORG_NUMBERS_KIND, id: caller.orgId },
            { type: 'getNumber', phoneNumberId: body.from },
          ),
        );
        deps.ownedNumbers?.set(owned, true);
      }
      const customer = body.to === undefined ? { userId: body.toUserId! } : { phone: body.to.replace(/^\+/, '') };
      const customerKey = customerKeyOf(customer);
      const id = conversationId(body.from, customerKey);
      if (body.content.type === 'template' && body.category === 'marketing') {
        // Answered here so the caller gets the 409 at once; the conversation checks again before it sends.
        const consent = await system.ask<ContactReply<'checkConsent'>>(contactAddress(caller.orgId, customerKey), {
          type: 'checkConsent',
          scope: 'marketing',
        });
        // A keyword still being classified is the conversation's to wait for (it asks again before sending).
        if (!consent.allowed && !consent.isKeywordPending) {
          throw new ParloError(
            'PARLO_NO_CONSENT',
            `no marketing opt-in for ${customerKey.slice(1)} (consent status ${consent.status}); record the opt-in first`,
          );
        }
      }
      const messageId = `msg_${randomHex(12)}`;
      const sent = okOrThrow(
        await conversation<'send'>(id, {
          type: 'send',
          orgId: caller.orgId,
          phoneNumberId: body.from,
          customer,
          messageId,
          content: body.content as OutboundContent,
          category: body.content.type === 'template' ? body.category! : 'service',
          by: auditActorOf(caller),
        }),
      );
      return {
        status: 202,
        body: { messageId: sent.messageId, conversationId: sent.conversationId, state: sent.sendState },
      };
    },
  });

  const getConversation = defineRoute({
    method: 'GET',
    url: '/conversations/:conversationId',
    operationId: 'getConversation',
    summary: 'A conversation: its window, customer and messages (newest first, paged)',
    tags: ['messages'],
    auth: 'any',
    scopes: ['messages:read'],
    params: z.object({ conversationId: ConversationId }),
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: z
        .string()
        .regex(/^[0-9]{1,15}$/, 'must be a cursor from nextCursor')
        .optional(),
    }),
    responses: { 200: ConversationView },
    async handler({ params, query, request }) {
      const caller = callerOf(request);
      const { conversation: view } = await conversation<'getConversation'>(params.conversationId, {
        type: 'getConversation',
        limit: query.limit,
        ...(query.cursor === undefined ? {} : { before: Number(query.cursor) }),
      });
      // Another organisation's conversation, or one that never existed: the same 404.
      if (view.orgId !== caller.orgId) {
        throw new ParloError('PARLO_CONVERSATION_NOT_FOUND', `no conversation ${params.conversationId} here`);
      }
      return {
        status: 200,
        body: {
          id: view.id,
          phoneNumberId: view.phoneNumberId,
          customer: view.customer,
          window: {
            service: { isOpen: view.window.service.isOpen, expiresAt: isoOrNull(view.window.service.expiresAtMs) },
            freeEntryPoint: {
              isOpen: view.window.freeEntryPoint.isOpen,
              expiresAt: isoOrNull(view.window.freeEntryPoint.expiresAtMs),
            },
            canSendFreeForm: view.window.canSendFreeForm,
            reason: view.window.reason,
          },
          assignee: view.assignee,
          lock:
            view.lock === null
              ? null
              : { holder: view.lock.holder, since: iso(view.lock.sinceMs), expiresAt: iso(view.lock.expiresAtMs) },
          status: view.status,
          snoozedUntil: isoOrNull(view.snoozedUntilMs),
          tags: [...view.tags],
          notes: view.notes.map((n) => ({
            id: n.id,
            at: iso(n.atMs),
            by: n.by,
            text: n.text,
            mentions: [...n.mentions],
          })),
          messages: view.messages.map((m) => messageBody(m, caller.orgId, deps.mediaRefs)),
          nextCursor: view.nextBefore === null ? null : String(view.nextBefore),
        },
      };
    },
  });

  const listConversations = defineRoute({
    method: 'GET',
    url: '/conversations',
    operationId: 'listConversations',
    summary: "The organisation's conversations, newest activity first, filtered and paged",
    description:
      "One business number (`number`, 404 if it is not one of the organisation's) or all of them. Filters combine (all must hold); the window filter is evaluated when the request is answered. A conversation whose activity changes while you page moves to the front: it is not listed twice, and appears on a fresh first page.",
    tags: ['messages'],
    auth: 'any',
    scopes: ['messages:read'],
    query: ListConversationsQuery,
    responses: { 200: pageSchema(ConversationListItem).meta({ id: 'ConversationList' }) },
    async handler({ query, request }) {
      const caller = callerOf(request);
      const cursor = decodeCursor(query.cursor, ConversationCursor);
      const after: ListPosition | undefined =
        cursor === undefined ? undefined : { lastActivityAtMs: cursor.at, conversationId: cursor.id };
      let numbers: readonly string[];
      if (query.number !== undefined) {
        // The number must be one of the caller's organisation (404 otherwise, like any id that is not ours).
        okOrThrow(
          await system.ask<OrgNumbersReply<'getNumber'>>(
            { kind: ORG_NUMBERS_KIND, id: caller.orgId },
            { type: 'getNumber', phoneNumberId: query.number },
          ),
        );
        numbers = [query.number];
      } else {
        const listed = await system.ask<OrgNumbersReply<'listNumbers'>>(
          { kind: ORG_NUMBERS_KIND, id: caller.orgId },
          { type: 'listNumbers' },
        );
        numbers = listed.numbers.map((n) => n.phoneNumberId);
      }
      // One more than the page: a next page exists iff the merged rows go beyond it.
      const ask: ConversationIndexMsg = {
        type: 'listConversations',
        orgId: caller.orgId,
        filter: filterOf(query),
        limit: query.limit + 1,
        ...(after === undefined ? {} : { after }),
      };
      const pages = await Promise.all(
        numbers.map(async (phoneNumberId) => {
          // A search first asks the number's message search which conversations' texts hold its words.
          const found =
            query.q === undefined
              ? undefined
              : await system.ask<MessageSearchReply<'search'>>(messageSearchAddress(phoneNumberId), {
                  type: 'search',
                  text: query.q,
                  limit: MAX_SEARCH_HITS,
                });
          const hits = new Map(found?.hits.map((hit) => [hit.conversationId, hit]));
          const answer = await system.ask<ConversationIndexReply<'listConversations'>>(
            conversationIndexAddress(phoneNumberId),
            query.q === undefined
              ? ask
              : { ...ask, filter: { ...ask.filter, search: { text: query.q, conversationIds: [...hits.keys()] } } },
          );
          return answer.conversations.map((summary): Listed => {
            const match = hits.get(summary.conversationId);
            return { summary, nowMs: answer.nowMs, ...(match === undefined ? {} : { match }) };
          });
        }),
      );
      const rows = mergePages(pages, query.limit + 1, (row) => row.summary);
      const listed = page(rows, query.limit, (last) => ({
        at: last.summary.lastActivityAtMs,
        id: last.summary.conversationId,
      }));
      return { status: 200, body: { data: listed.data.map(listItemBody), nextCursor: listed.nextCursor } };
    },
  });

  const listConversationMessages = defineRoute({
    method: 'GET',
    url: '/conversations/:conversationId/messages',
    operationId: 'listConversationMessages',
    summary: "A conversation's messages, newest first, paged by seq",
    description:
      "The conversation keeps its newest 500 messages. `before` is the previous page's nextBefore (a message seq): the page holds messages logged before it. `direction` keeps customer messages (in) or the business's (out).",
    tags: ['messages'],
    auth: 'any',
    scopes: ['messages:read'],
    params: z.object({ conversationId: ConversationId }),
    query: z.object({
      before: z.coerce
        .number()
        .int()
        .min(1)
        .max(Number.MAX_SAFE_INTEGER)
        .optional()
        .describe("The previous page's nextBefore; omit it for the newest messages"),
      limit: z.coerce.number().int().min(1).max(100).default(50).describe('How many messages to return, 1 to 100.'),
      direction: z.enum(['in', 'out']).optional().describe('Only customer messages (in) or business messages (out)'),
    }),
    responses: {
      200: z
        .object({
          data: z.array(MessageView),
          nextBefore: z
            .number()
            .int()
            .nullable()
            .describe('Pass as ?before= for the next (older) page; null on the last page'),
        })
        .meta({ id: 'ConversationMessages' }),
    },
    async handler({ params, query, request }) {
      const caller = callerOf(request);
      const { conversation: view } = await conversation<'getConversation'>(params.conversationId, {
        type: 'getConversation',
        limit: query.limit,
        ...(query.before === undefined ? {} : { before: query.before }),
        ...(query.direction === undefined ? {} : { direction: query.direction }),
      });
      // Another organisation's conversation, or one that never existed: the same 404.
      if (view.orgId !== caller.orgId) {
        throw new ParloError('PARLO_CONVERSATION_NOT_FOUND', `no conversation ${params.conversationId} here`);
      }
      return {
        status: 200,
        body: {
          data: view.messages.map((m) => messageBody(m, caller.orgId, deps.mediaRefs)),
          nextBefore: view.nextBefore,
        },
      };
    },
  });

  return [sendMessage, listConversations, getConversation, listConversationMessages];
}
