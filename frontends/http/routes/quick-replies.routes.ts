import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import {
  CONTACT_FIELDS_KIND,
  type ContactFieldsMsg,
  type ContactFieldsReplies,
} from '../../../actors/contacts/contact-fields.actor.ts';
import type { FieldValue } from '../../../actors/contacts/contact-fields.ts';
import {
  contactAddress,
  customerKeyOf,
  type ContactMsg,
  type ContactReply,
  type ContactView,
} from '../../../actors/contacts/contact.messages.ts';
import {
  CONVERSATION_KIND,
  type ConversationMsg,
  type ConversationReplies,
  type ConversationView,
} from '../../../actors/conversation/conversation.messages.ts';
import {
  MAX_QUERY_LENGTH,
  MAX_SHORTCUT_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_TITLE_LENGTH,
  QUICK_REPLY_SCOPES,
  SHORTCUT_PATTERN,
  quickRepliesAddress,
  type ListedQuickReply,
  type QuickRepliesMsg,
  type QuickRepliesReplies,
} from '../../../actors/inbox/quick-replies.messages.ts';
import {
  contactVariableValues,
  operatorVariableValues,
  renderQuickReplyText,
  textProblems,
  variablesOf,
} from '../../../actors/inbox/quick-reply-text.ts';
import { ORG_KIND, type OrgMsg, type OrgReply } from '../../../actors/org/org.messages.ts';
import { ConversationId } from '../api/conversation-id.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { callerCan, forbidden, okOrThrow, userCallerOf, type UserCaller } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';
import { auditActorOf } from './numbers.routes.ts';

/**
 * Quick replies (issue #7, 5): canned answers operators insert into the composer by `/shortcut`, kept by the
 * organisation's `quick-replies` actor (actors/inbox/quick-replies.actor.ts). Shared ones are written by members
 * holding `inbox:manage`; personal ones by their owner alone (the actor enforces both too). Rendering fills the
 * text's variables (actors/inbox/quick-reply-text.ts) from the conversation's contact and the calling operator.
 * Signed-in users only: an API key is not an operator and owns no personal replies.
 */

const QuickReplyId = z.string().regex(/^qr_[A-Za-z0-9_.-]{1,60}$/, 'must be a quick reply id (qr_…)');

const Shortcut = z
  .string()
  .min(1)
  .max(MAX_SHORTCUT_LENGTH)
  .regex(SHORTCUT_PATTERN, 'must be lowercase letters, digits, _ or -, starting with a letter or digit')
  .describe('What follows the / in the composer, e.g. thanks for /thanks');
const Title = z.string().trim().min(1).max(MAX_TITLE_LENGTH);
const Text = z
  .string()
  .min(1)
  .max(MAX_TEXT_LENGTH)
  .superRefine((text, ctx) => {
    if (text.trim() === '') ctx.addIssue({ code: 'custom', message: 'must not be blank' });
    for (const problem of textProblems(text)) ctx.addIssue({ code: 'custom', message: problem.message });
  })
  .describe(
    'May hold {{contact.name}}, {{contact.first_name}}, {{contact.profile_name}}, {{contact.phone}}, ' +
      '{{contact.<custom field key>}}, {{operator.name}}, {{operator.first_name}}; a fallback follows a bar: ' +
      '{{contact.first_name|there}}',
  );

const QuickReplyInput = z
  .object({ scope: z.enum(QUICK_REPLY_SCOPES), shortcut: Shortcut, title: Title, text: Text })
  .meta({ id: 'QuickReplyInput' });
const QuickReplyPatch = z
  .object({ shortcut: Shortcut.optional(), title: Title.optional(), text: Text.optional() })
  .refine((b) => b.shortcut !== undefined || b.title !== undefined || b.text !== undefined, {
    message: 'give at least one of shortcut, title, text',
  });

const QuickReplyView = z
  .object({
    id: z.string(),
    scope: z.enum(QUICK_REPLY_SCOPES),
    shortcut: z.string(),
    title: z.string(),
    text: z.string(),
    variables: z.array(z.string()).describe('The variables the text uses, in order of first use: contact.first_name'),
    owner: z.string().nullable().describe('The member a personal reply belongs to; null for a shared one'),
    shadowed: z
      .boolean()
      .describe('A shared reply whose shortcut you use for a personal one (which /shortcut then inserts)'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'QuickReply' });

const Rendered = z
  .object({
    text: z.string(),
    missing: z.array(z.string()).describe('Variables without a value or fallback, rendered as nothing'),
  })
  .meta({ id: 'RenderedQuickReply' });

const ItemParams = z.object({ quickReplyId: QuickReplyId });

export interface QuickReplyRoutesDeps {
  readonly system: ActorSystem;
}

export function quickReplyRoutes(deps: QuickReplyRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const quickReplies = <T extends QuickRepliesMsg['type']>(orgId: string, msg: Extract<QuickRepliesMsg, { type: T }>) =>
    system.ask<QuickRepliesReplies[T]>(quickRepliesAddress(orgId), msg);

  /** Who asks, as the actor checks it. */
  const asCaller = (caller: UserCaller) => ({
    by: auditActorOf(caller),
    canManageShared: callerCan(caller, 'inbox:manage'),
  });

  const list = defineRoute({
    method: 'GET',
    url: '/quick-replies',
    operationId: 'listQuickReplies',
    summary: 'The shared quick replies and your personal ones, by shortcut',
    description:
      'A shared reply whose shortcut you use for a personal one is listed after it with `shadowed: true`. `q` keeps ' +
      'those whose shortcut starts with it, or whose title or text contains it (ignoring case and accents); `q=/th` ' +
      'keeps shortcuts starting with th only.',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['messages:read'],
    query: z.object({ q: z.string().trim().max(MAX_QUERY_LENGTH).optional() }),
    responses: { 200: z.object({ items: z.array(QuickReplyView) }) },
    async handler({ query, request }) {
      const caller = userCallerOf(request);
      const { items } = await quickReplies<'listQuickReplies'>(caller.orgId, {
        type: 'listQuickReplies',
        by: auditActorOf(caller),
        ...(query.q === undefined || query.q === '' ? {} : { query: query.q }),
      });
      return { status: 200, body: { items: items.map(viewOf) } };
    },
  });

  const create = defineRoute({
    method: 'POST',
    url: '/quick-replies',
    operationId: 'createQuickReply',
    summary: 'Save a quick reply: personal (yours alone) or shared (needs inbox:manage)',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['conversations:reply'],
    body: QuickReplyInput,
    responses: { 201: QuickReplyView },
    async handler({ body, request }) {
      const caller = userCallerOf(request);
      const who = asCaller(caller);
      if (body.scope === 'shared' && !who.canManageShared) throw forbidden(caller, 'inbox:manage');
      const { item } = okOrThrow(
        await quickReplies<'createQuickReply'>(caller.orgId, { type: 'createQuickReply', ...body, ...who }),
      );
      return { status: 201, body: viewOf(item) };
    },
  });

  const update = defineRoute({
    method: 'PATCH',
    url: '/quick-replies/:quickReplyId',
    operationId: 'updateQuickReply',
    summary: 'Change a quick reply’s shortcut, title or text (your personal ones; shared ones need inbox:manage)',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['conversations:reply'],
    params: ItemParams,
    body: QuickReplyPatch,
    responses: { 200: QuickReplyView },
    async handler({ params, body, request }) {
      const caller = userCallerOf(request);
      const { item } = okOrThrow(
        await quickReplies<'updateQuickReply'>(caller.orgId, {
          type: 'updateQuickReply',
          id: params.quickReplyId,
          ...(body.shortcut === undefined ? {} : { shortcut: body.shortcut }),
          ...(body.title === undefined ? {} : { title: body.title }),
          ...(body.text === undefined ? {} : { text: body.text }),
          ...asCaller(caller),
        }),
      );
      return { status: 200, body: viewOf(item) };
    },
  });

  const remove = defineRoute({
    method: 'DELETE',
    url: '/quick-replies/:quickReplyId',
    operationId: 'deleteQuickReply',
    summary: 'Delete a quick reply (your personal ones; shared ones need inbox:manage)',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['conversations:reply'],
    params: ItemParams,
    responses: { 204: null },
    async handler({ params, request }) {
      const caller = userCallerOf(request);
      okOrThrow(
        await quickReplies<'deleteQuickReply'>(caller.orgId, {
          type: 'deleteQuickReply',
          id: params.quickReplyId,
          ...asCaller(caller),
        }),
      );
      return { status: 204 };
    },
  });

  /** The conversation if it is the caller's organisation's (another's looks like none: 404). */
  async function ownedConversation(conversationId: string, orgId: string): Promise<ConversationView> {
    const msg: ConversationMsg = { type: 'getConversation', limit: 1 };
    const { conversation } = await system.ask<ConversationReplies['getConversation']>(
      { kind: CONVERSATION_KIND, id: conversationId },
      msg,
    );
    if (conversation.orgId !== orgId) {
      throw new ParloError('PARLO_CONVERSATION_NOT_FOUND', `no conversation ${conversationId} here`);
    }
    return conversation;
  }

  /** The conversation's contact record, if the organisation has one (it exists from the first inbound message). */
  async function contactOf(orgId: string, conversation: ConversationView): Promise<ContactView | null> {
    const { phone, userId } = conversation.customer;
    const key =
      phone || userId ? customerKeyOf({ phone, userId }) : conversation.id.slice(conversation.id.indexOf('.') + 1);
    const msg: ContactMsg = { type: 'getContact' };
    const reply = await system.ask<ContactReply<'getContact'>>(contactAddress(orgId, key), msg);
    return reply.ok ? reply.contact : null;
  }

  /** The custom field keys the organisation defines now (values of dropped fields are not shown). */
  async function definedFieldKeys(orgId: string): Promise<ReadonlySet<string>> {
    const msg: ContactFieldsMsg = { type: 'getFields' };
    const reply = await system.ask<ContactFieldsReplies['getFields']>({ kind: CONTACT_FIELDS_KIND, id: orgId }, msg);
    return new Set(reply.fields.map((f) => f.key));
  }

  async function memberEmail(orgId: string, userId: string): Promise<string | null> {
    const msg: OrgMsg = { type: 'getMember', userId };
    const reply = await system.ask<OrgReply<'getMember'>>({ kind: ORG_KIND, id: orgId }, msg);
    return reply.ok && reply.member.status === 'active' ? reply.member.email : null;
  }

  const render = defineRoute({
    method: 'POST',
    url: '/conversations/:conversationId/quick-replies/:quickReplyId/render',
    operationId: 'renderQuickReply',
    summary: 'A quick reply’s text with its variables filled for this conversation’s contact and for you',
    description:
      'Nothing is sent: the composer shows the text for the operator to edit and send. A variable without a value ' +
      'and without a fallback renders as nothing and is listed in `missing`.',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['conversations:reply'],
    params: z.object({ conversationId: ConversationId, quickReplyId: QuickReplyId }),
    responses: { 200: Rendered },
    async handler({ params, request }) {
      const caller = userCallerOf(request);
      const conversation = await ownedConversation(params.conversationId, caller.orgId);
      const { item } = okOrThrow(
        await quickReplies<'getQuickReply'>(caller.orgId, {
          type: 'getQuickReply',
          id: params.quickReplyId,
          by: auditActorOf(caller),
        }),
      );
      const [contact, defined, email] = await Promise.all([
        contactOf(caller.orgId, conversation),
        definedFieldKeys(caller.orgId),
        memberEmail(caller.orgId, caller.userId),
      ]);
      const fields: Record<string, FieldValue> = {};
      for (const [key, value] of Object.entries(contact?.profile.fields ?? {}))
        if (defined.has(key)) fields[key] = value;
      const rendered = renderQuickReplyText(item.quickReply.text, {
        contact: contactVariableValues({
          name: contact?.profile.name ?? null,
          profileName: contact?.profileName ?? conversation.customer.profileName,
          phone: contact?.phone ?? conversation.customer.phone,
          fields,
        }),
        operator: operatorVariableValues(email),
      });
      return { status: 200, body: { text: rendered.text, missing: [...rendered.missing] } };
    },
  });

  return [list, create, update, remove, render];
}

function viewOf({ quickReply: r, isShadowed }: ListedQuickReply): z.input<typeof QuickReplyView> {
  return {
    id: r.id,
    scope: r.scope,
    shortcut: r.shortcut,
    title: r.title,
    text: r.text,
    variables: variablesOf(r.text),
    owner: r.ownerUserId,
    shadowed: isShadowed,
    createdAt: iso(r.createdAtMs),
    updatedAt: iso(r.updatedAtMs),
  };
}
