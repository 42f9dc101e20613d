import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import {
  contactAddress,
  isContactKey,
  CUSTOMER_KEY_RULE,
  MAX_CONTACT_KEY_LENGTH,
  type ContactReply,
} from '../../../actors/contacts/contact.messages.ts';
import {
  CONVERSATION_KIND,
  conversationId,
  type ConversationReplies,
  type LoggedMessage,
} from '../../../actors/conversation/conversation.messages.ts';
import { ORG_NUMBERS_KIND, type OrgNumbersReply } from '../../../actors/numbers/numbers.messages.ts';
import { ORG_KIND, type OrgMsg } from '../../../actors/org/org.messages.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { callerOf, okOrThrow } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';
import { auditActorOf } from './numbers.routes.ts';
import { eraseCustomer, hashedPseudonym } from './contact-erasure.ts';

/**
 * A data subject's access request (GDPR art. 15, issue #6, 2): everything the organisation holds about one
 * customer — the contact (identifiers, profile, every consent entry with its evidence) and every conversation
 * with them on each of the organisation's numbers, message by message. Audited as `dataExported`. Admins and
 * owners only (`org:manage`): it is a compliance act, not a contact lookup.
 */

export interface ContactDataRoutesDeps {
  readonly system: ActorSystem;
  readonly now?: () => number;
  /** Erasure's pseudonyms (keyed by an installation secret in production); default: `hashedPseudonym`. */
  readonly pseudonymOf?: (orgId: string, key: string) => string;
  /** Erases a stored media object (the media store); absent: no media is stored. */
  readonly eraseMedia?: (ref: string) => Promise<boolean>;
}

const ErasureView = z
  .object({
    erasedAt: z.string(),
    pseudonym: z.string().describe('What the customer is called where records must stay (ledger, campaign outcomes)'),
    contactsErased: z.number().int(),
    conversationsErased: z.number().int(),
    messagesErased: z.number().int(),
    mediaErased: z.number().int(),
    ledgerRecordsPseudonymised: z.number().int(),
    campaignRecipientsPseudonymised: z.number().int(),
  })
  .meta({ id: 'ContactErasure' });

const ContactKey = z
  .string()
  .max(MAX_CONTACT_KEY_LENGTH)
  .refine(isContactKey, { message: `expected ${CUSTOMER_KEY_RULE}` });

const Message = z.object({
  id: z.string(),
  direction: z.enum(['in', 'out']),
  at: z.string(),
  type: z.string(),
  content: z.unknown(),
  whatsappMessageId: z.string().nullable(),
  category: z.string().nullable(),
  state: z.string().nullable(),
  status: z.string().nullable(),
  error: z.unknown(),
});

const Export = z
  .object({
    exportedAt: z.string(),
    contactKey: z.string(),
    contact: z
      .unknown()
      .describe(
        'The contact record as held: identifiers, profile, consent with every entry of evidence (times in epoch ms); null when only conversations exist',
      ),
    conversations: z.array(
      z.object({
        conversationId: z.string(),
        phoneNumberId: z.string(),
        messages: z.array(Message).describe('Oldest first'),
      }),
    ),
  })
  .meta({ id: 'ContactDataExport' });

/** Every message of a conversation, oldest first (the log keeps the newest 500). */
async function allMessages(system: ActorSystem, id: string): Promise<LoggedMessage[]> {
  const messages: LoggedMessage[] = [];
  let before: number | undefined;
  for (;;) {
    const { conversation } = await system.ask<ConversationReplies['getConversation']>(
      { kind: CONVERSATION_KIND, id },
      { type: 'getConversation', limit: 200, ...(before === undefined ? {} : { before }) },
    );
    messages.push(...conversation.messages);
    if (conversation.nextBefore === null) break;
    before = conversation.nextBefore;
  }
  return messages.reverse();
}

export function contactDataRoutes(deps: ContactDataRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const now = deps.now ?? Date.now;

  const exportData = defineRoute({
    method: 'GET',
    url: '/contacts/:contactKey/data',
    operationId: 'exportContactData',
    summary: 'Everything the organisation holds about one customer (a data subject access request)',
    description:
      'The contact with its profile and every consent entry, and every conversation with the customer on each of the organisation’s numbers, message by message (the newest 500 each). Audited as `dataExported`. Needs `org:manage`. 404 `PARLO_CONTACT_NOT_FOUND` when the organisation holds nothing about the customer.',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['org:manage'],
    params: z.object({ contactKey: ContactKey }),
    responses: { 200: Export },
    async handler({ params, request }) {
      const caller = callerOf(request);
      const contact = await system.ask<ContactReply<'getContact'>>(contactAddress(caller.orgId, params.contactKey), {
        type: 'getContact',
      });
      const { numbers } = await system.ask<OrgNumbersReply<'listNumbers'>>(
        { kind: ORG_NUMBERS_KIND, id: caller.orgId },
        { type: 'listNumbers' },
      );
      const conversations = [];
      for (const number of numbers) {
        const id = conversationId(number.phoneNumberId, params.contactKey);
        const messages = await allMessages(system, id);
        if (messages.length === 0) continue;
        conversations.push({
          conversationId: id,
          phoneNumberId: number.phoneNumberId,
          messages: messages.map((m) => ({
            id: m.id,
            direction: m.direction,
            at: iso(m.atMs),
            type: m.type,
            content: m.content,
            whatsappMessageId: m.providerMessageId,
            category: m.category,
            state: m.sendState,
            status: m.status === null ? null : m.status.current,
            error: m.error,
          })),
        });
      }
      if (!contact.ok && conversations.length === 0) {
        throw new ParloError('PARLO_CONTACT_NOT_FOUND', `the organisation holds nothing about ${params.contactKey}`);
      }
      const audit: OrgMsg = {
        type: 'recordAudit',
        event: 'dataExported',
        actor: auditActorOf(caller),
        detail: { contactKey: params.contactKey, conversations: conversations.length },
      };
      okOrThrow(await system.ask<{ ok: boolean }>({ kind: ORG_KIND, id: caller.orgId }, audit));
      return {
        status: 200,
        body: {
          exportedAt: iso(now()),
          contactKey: params.contactKey,
          contact: contact.ok ? contact.contact : null,
          conversations,
        },
      };
    },
  });

  const eraseData = defineRoute({
    method: 'POST',
    url: '/contacts/:contactKey/erase',
    operationId: 'eraseContactData',
    summary: 'Erase everything the organisation holds about one customer (a data subject erasure request)',
    description:
      'Deletes the contact (and the customer’s other record, phone or user id), every conversation with them on each of the organisation’s numbers and the media those stored, and replaces the customer in the ledger and in campaign outcomes with a pseudonym: amounts, balances and counts stay exact. Idempotent: repeating a request that was cut off completes it. Audited as `dataErased` under the pseudonym. Needs `org:manage`.',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['org:manage'],
    params: z.object({ contactKey: ContactKey }),
    body: z.object({}).strict().optional(),
    responses: { 200: ErasureView },
    async handler({ params, request }) {
      const caller = callerOf(request);
      const report = await eraseCustomer(
        {
          system,
          pseudonymOf: deps.pseudonymOf ?? hashedPseudonym,
          ...(deps.eraseMedia ? { eraseMedia: deps.eraseMedia } : {}),
        },
        caller.orgId,
        params.contactKey,
      );
      const audit: OrgMsg = {
        type: 'recordAudit',
        event: 'dataErased',
        actor: auditActorOf(caller),
        detail: {
          pseudonym: report.pseudonym,
          conversations: report.conversationsErased,
          messages: report.messagesErased,
          media: report.mediaErased,
        },
      };
      okOrThrow(await system.ask<{ ok: boolean }>({ kind: ORG_KIND, id: caller.orgId }, audit));
      return { status: 200, body: { erasedAt: iso(now()), ...report } };
    },
  });

  return [exportData, eraseData];
}
