import { z } from 'zod';
import type { ActorSystem } from '../../../core/index.ts';
import { contactFieldsAddress, type ContactFieldsReplies } from '../../../actors/contacts/contact-fields.actor.ts';
import { MAX_CONSENT_SOURCE_LENGTH, MAX_CONSENT_WORDING_LENGTH } from '../../../actors/contacts/consent.ts';
import { contactAddress, type ContactMsg, type ContactReply } from '../../../actors/contacts/contact.messages.ts';
import { normalisePhone } from '../../../actors/contacts/import/phone-normalise.ts';
import { customerKeyOf } from '../../../actors/contacts/customer-key.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { validationFailed } from '../api/validation.ts';
import { callerOf } from '../auth/caller.ts';
import { ProfileFields, profilePatchOf } from './contact-profile-input.ts';
import { auditActorOf } from './numbers.routes.ts';

/**
 * Many contacts in one call (issue #6, 2): what a CRM sync or a spreadsheet import sends. Each item names the
 * customer by phone number as people write it (normalised to E.164 with the batch's default country), carries a
 * profile change (as `PATCH /v1/contacts/{key}`) and optionally a marketing opt-in or opt-out recorded with the
 * batch's consent evidence. Items are independent: each is applied or refused on its own, and the answer gives
 * every item's outcome by its index, so a bad row never holds back the good ones.
 */

export const MAX_BATCH_CONTACTS = 1_000;

export interface ContactsBatchRoutesDeps {
  readonly system: ActorSystem;
}

const Item = z
  .object({
    phone: z.string().min(1).max(40).describe('As written: +34 600 00 00 01, 600000001 with defaultCountry ES, …'),
    ...ProfileFields,
    optIn: z
      .boolean()
      .optional()
      .describe('true records a marketing opt-in, false an opt-out, with the batch’s consent evidence'),
  })
  .strict()
  .meta({ id: 'ContactBatchItem' });

const BatchInput = z
  .object({
    defaultCountry: z
      .string()
      .regex(/^[A-Za-z]{2}$/)
      .optional()
      .describe('ISO 3166-1 alpha-2 country of numbers written without their country code'),
    consent: z
      .object({
        source: z.string().min(1).max(MAX_CONSENT_SOURCE_LENGTH).describe('Where the consent was given'),
        wording: z.string().max(MAX_CONSENT_WORDING_LENGTH).optional().describe('What the customer agreed to'),
      })
      .optional()
      .describe('The evidence of the items’ optIn values (required when any item has one)'),
    contacts: z.array(Item).min(1).max(MAX_BATCH_CONTACTS),
  })
  .meta({ id: 'ContactBatch' });

const ItemResult = z
  .object({
    index: z.number().int(),
    key: z.string().nullable().describe('The contact key, when the phone number was understood'),
    outcome: z.enum(['created', 'updated', 'unchanged', 'failed']),
    error: z
      .object({ code: z.string(), message: z.string(), fields: z.array(z.string()) })
      .nullable()
      .describe('Why the item failed, naming each field'),
  })
  .meta({ id: 'ContactBatchItemResult' });

const BatchResult = z
  .object({
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    failed: z.number().int(),
    results: z.array(ItemResult),
  })
  .meta({ id: 'ContactBatchResult' });

type Outcome = z.input<typeof ItemResult>;

export function contactsBatchRoutes(deps: ContactsBatchRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const contact = <T extends ContactMsg['type']>(orgId: string, key: string, msg: Extract<ContactMsg, { type: T }>) =>
    system.ask<ContactReply<T>>(contactAddress(orgId, key), msg);

  const batch = defineRoute({
    method: 'POST',
    url: '/contacts/batch',
    operationId: 'upsertContacts',
    summary: `Create or update up to ${MAX_BATCH_CONTACTS} contacts at once (profile and marketing consent)`,
    description: [
      'Each item is applied on its own: the answer lists every item by its index with `created`, `updated`, `unchanged` or `failed` and, for a failure, the fields at fault (a phone number that cannot be read, a value that does not fit its custom field, an unknown time zone…). The same phone twice in one batch is applied once, the second item failing as a duplicate.',
      '`optIn` records a marketing opt-in (true) or opt-out (false) with method `import` and the batch’s `consent` evidence, which is then required (400 `PARLO_VALIDATION_FAILED` otherwise, nothing applied).',
    ].join('\n\n'),
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:write'],
    body: BatchInput,
    responses: { 200: BatchResult },
    async handler({ body, request }) {
      const caller = callerOf(request);
      if (body.consent === undefined && body.contacts.some((c) => c.optIn !== undefined)) {
        throw validationFailed([
          {
            location: 'body',
            path: 'consent',
            rule: 'required',
            message: 'an item records consent (optIn): give the evidence (consent.source, consent.wording)',
          },
        ]);
      }
      const definitions = (
        await system.ask<ContactFieldsReplies['getFields']>(contactFieldsAddress(caller.orgId), { type: 'getFields' })
      ).fields;
      const by = auditActorOf(caller);
      const seen = new Set<string>();
      const results = await Promise.all(
        body.contacts.map(async (item, index): Promise<Outcome> => {
          const phone = normalisePhone(item.phone, body.defaultCountry?.toUpperCase() ?? null);
          if (!phone.ok) return failed(index, 'PARLO_VALIDATION_FAILED', `phone: ${phone.message}`, ['phone'], null);
          const key = customerKeyOf({ phone: phone.e164 });
          if (seen.has(key)) {
            return failed(
              index,
              'PARLO_VALIDATION_FAILED',
              `phone: ${key} appears earlier in this batch`,
              ['phone'],
              key,
            );
          }
          seen.add(key);
          const { patch, problems } = profilePatchOf(item, definitions);
          if (problems.length > 0) {
            const message = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
            return failed(
              index,
              'PARLO_VALIDATION_FAILED',
              message,
              problems.map((p) => p.path),
              key,
            );
          }
          // One turn per row: the profile and the row's consent together (importContact).
          const consent =
            item.optIn === undefined || body.consent === undefined
              ? undefined
              : {
                  action: item.optIn ? ('optIn' as const) : ('optOut' as const),
                  source: body.consent.source,
                  ...(body.consent.wording === undefined ? {} : { wording: body.consent.wording }),
                };
          const imported = await contact<'importContact'>(caller.orgId, key, {
            type: 'importContact',
            patch,
            ...(consent === undefined ? {} : { consent }),
            by,
          });
          // The message names the field (a profile rule such as the number of tags, or `optIn:`).
          if (!imported.ok) return failed(index, imported.code, imported.message, [], key);
          const outcome = imported.created ? 'created' : imported.changed ? 'updated' : 'unchanged';
          return { index, key, outcome, error: null };
        }),
      );
      const counts = { created: 0, updated: 0, unchanged: 0, failed: 0 };
      for (const result of results) counts[result.outcome]++;
      return { status: 200, body: { ...counts, results } };
    },
  });

  return [batch];
}

function failed(index: number, code: string, message: string, fields: string[], key: string | null): Outcome {
  return { index, key, outcome: 'failed', error: { code, message, fields } };
}
