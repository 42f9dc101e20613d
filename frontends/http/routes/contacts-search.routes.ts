import { z } from 'zod';
import type { ActorSystem } from '../../../core/index.ts';
import { CONSENT_STATUSES } from '../../../actors/contacts/consent.ts';
import { FIELD_OPERATORS, type ContactFilter, type ContactSummary } from '../../../actors/contacts/contact-filter.ts';
import {
  MAX_SEARCH_PAGE,
  contactIndexAddress,
  type ContactIndexMsg,
  type ContactIndexReplies,
} from '../../../actors/contacts/contact-index.actor.ts';
import { MAX_TAG_LENGTH, normaliseTag } from '../../../actors/contacts/contact-profile.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { callerOf } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';

/**
 * Finding contacts (issue #6, 2): `POST /v1/contacts/search` with a filter — the same filter segments save and
 * campaigns target (actors/contacts/contact-filter.ts) — answered from the organisation's contact index, one
 * page in key order with the number of contacts that match.
 */

export interface ContactsSearchRoutesDeps {
  readonly system: ActorSystem;
  readonly now?: () => number;
}

const Tags = z.array(z.string().min(1).max(MAX_TAG_LENGTH)).max(100);
const Value = z.union([z.string().max(1_000), z.number(), z.boolean()]);

/**
 * The filter's schema: strict for input (an unknown condition is refused, not ignored), plain for output (a
 * response schema only whitelists fields).
 */
function filterSchema(strict: boolean) {
  const object = <T extends z.ZodRawShape>(shape: T) => (strict ? z.object(shape).strict() : z.object(shape));
  return object({
    tags: object({
      any: Tags.optional().describe('At least one of these tags'),
      all: Tags.optional().describe('Every one of these tags'),
      none: Tags.optional().describe('None of these tags'),
    }).optional(),
    fields: z
      .array(
        object({
          key: z.string().min(1).max(40),
          op: z.enum(FIELD_OPERATORS),
          value: Value.optional().describe('eq, ne, gt, gte, lt, lte (dates as YYYY-MM-DD)'),
          values: z.array(Value).max(100).optional().describe('in'),
        }),
      )
      .max(20)
      .optional()
      .describe('Custom field conditions, all of which must hold'),
    marketing: z.array(z.enum(CONSENT_STATUSES)).optional().describe('Marketing consent status among these'),
    utility: z.array(z.enum(CONSENT_STATUSES)).optional(),
    lastSeenAfter: z.iso.datetime().optional().describe('Last inbound message at or after'),
    lastSeenBefore: z.iso.datetime().optional().describe('Last inbound message before'),
    lastSeenWithinDays: z
      .number()
      .int()
      .min(1)
      .max(3_650)
      .optional()
      .describe('Wrote within the last N days (counted when the filter is used: a segment stays current)'),
    neverSeen: z.boolean().optional().describe('Never wrote to the organisation'),
    languages: z.array(z.string().max(16)).max(50).optional(),
    text: z.string().max(100).optional().describe('In the name, WhatsApp profile name or phone'),
  });
}

export const ContactFilterSchema = filterSchema(true).meta({ id: 'ContactFilter' });
export const ContactFilterView = filterSchema(false).meta({ id: 'ContactFilterView' });

export type ContactFilterInput = z.infer<typeof ContactFilterSchema>;

/** The API's filter as the index evaluates it at `nowMs` (times in ms, tags as stored). */
export function contactFilterOf(input: ContactFilterInput, nowMs: number): ContactFilter {
  const withinMs = input.lastSeenWithinDays === undefined ? undefined : nowMs - input.lastSeenWithinDays * 86_400_000;
  const afterMs = Math.max(
    input.lastSeenAfter === undefined ? -Infinity : Date.parse(input.lastSeenAfter),
    withinMs ?? -Infinity,
  );
  const tags = (list: readonly string[] | undefined) => list?.map(normaliseTag);
  return {
    ...(input.tags === undefined
      ? {}
      : {
          tags: {
            ...(input.tags.any ? { any: tags(input.tags.any) } : {}),
            ...(input.tags.all ? { all: tags(input.tags.all) } : {}),
            ...(input.tags.none ? { none: tags(input.tags.none) } : {}),
          },
        }),
    ...(input.fields === undefined ? {} : { fields: input.fields }),
    ...(input.marketing === undefined ? {} : { marketing: input.marketing }),
    ...(input.utility === undefined ? {} : { utility: input.utility }),
    ...(afterMs === -Infinity ? {} : { lastSeenAfterMs: afterMs }),
    ...(input.lastSeenBefore === undefined ? {} : { lastSeenBeforeMs: Date.parse(input.lastSeenBefore) }),
    ...(input.neverSeen === undefined ? {} : { neverSeen: input.neverSeen }),
    ...(input.languages === undefined ? {} : { languages: input.languages }),
    ...(input.text === undefined ? {} : { text: input.text }),
  };
}

const ContactListed = z
  .object({
    key: z.string(),
    phone: z.string().nullable(),
    userId: z.string().nullable(),
    name: z.string().nullable(),
    profileName: z.string().nullable(),
    language: z.string().nullable(),
    timeZone: z.string().nullable(),
    tags: z.array(z.string()),
    fields: z.record(z.string(), Value),
    consent: z.object({ marketing: z.enum(CONSENT_STATUSES), utility: z.enum(CONSENT_STATUSES) }),
    lastSeenAt: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'ContactListed' });

export const SearchResult = z
  .object({
    contacts: z.array(ContactListed),
    total: z.number().int().describe('Contacts matching the filter'),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'ContactSearchResult' });

export function listed(c: ContactSummary): z.input<typeof ContactListed> {
  return {
    key: c.key,
    phone: c.phone,
    userId: c.userId,
    name: c.name,
    profileName: c.profileName,
    language: c.language,
    timeZone: c.timeZone,
    tags: [...c.tags],
    fields: { ...c.fields },
    consent: { marketing: c.marketing, utility: c.utility },
    lastSeenAt: c.lastSeenAtMs === null ? null : iso(c.lastSeenAtMs),
    createdAt: iso(c.createdAtMs),
  };
}

export function contactsSearchRoutes(deps: ContactsSearchRoutesDeps): ApiRoute[] {
  const searchContacts = defineRoute({
    method: 'POST',
    url: '/contacts/search',
    operationId: 'searchContacts',
    summary: 'Find contacts by tags, custom fields, consent, activity, language or text',
    description:
      'Every condition given must hold. Contacts are listed in key order, `limit` per page (at most 500); pass `nextCursor` back as `cursor` for the next page. `total` counts every contact that matches. Contacts appear once they exist (a first message, a consent record or a profile write) and change with them.',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:read'],
    body: z.object({
      filter: ContactFilterSchema.default({}),
      limit: z.number().int().min(1).max(MAX_SEARCH_PAGE).default(50),
      cursor: z.string().max(200).optional(),
    }),
    responses: { 200: SearchResult },
    async handler({ body, request }) {
      const msg: ContactIndexMsg = {
        type: 'searchContacts',
        filter: contactFilterOf(body.filter, (deps.now ?? Date.now)()),
        limit: body.limit,
        ...(body.cursor === undefined ? {} : { after: body.cursor }),
      };
      const page = await deps.system.ask<ContactIndexReplies['searchContacts']>(
        contactIndexAddress(callerOf(request).orgId),
        msg,
      );
      return {
        status: 200,
        body: { contacts: page.contacts.map(listed), total: page.total, nextCursor: page.nextAfter },
      };
    },
  });
  return [searchContacts];
}
