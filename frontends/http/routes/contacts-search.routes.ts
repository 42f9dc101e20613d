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
import { ParloError } from '../../../core/index.ts';
import { contactFieldsAddress, type ContactFieldsReplies } from '../../../actors/contacts/contact-fields.actor.ts';
import { segmentsAddress, type SegmentsReplies } from '../../../actors/contacts/segments.actor.ts';
import { defineRoute, streamedResponse, type ApiRoute } from '../api/define-route.ts';
import { csvField } from './billing-export.ts';
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
  const exportContacts = defineRoute({
    method: 'GET',
    url: '/contacts/export',
    operationId: 'exportContacts',
    summary: 'Export contacts (all, or a segment) as CSV or JSON, streamed',
    description:
      "One row (or object) per contact in key order: identifiers, name, language, time zone, tags, consent per scope, last seen, created, and one column per custom field. CSV follows RFC 4180 (tags separated by `|`; text a spreadsheet would run as a formula is prefixed with `'`). Streamed a page at a time: an export of any size holds one page in memory. `segment` limits it to a saved segment.",
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:read'],
    query: z.object({
      format: z.enum(['csv', 'json']).default('csv'),
      segment: z
        .string()
        .regex(/^seg_[A-Za-z0-9_.-]{1,60}$/)
        .optional(),
    }),
    responses: {
      200: streamedResponse({
        'text/csv': 'RFC 4180 CSV with a header row, one contact per row, in key order',
        'application/json': 'A JSON array of ContactListed objects, in key order',
      }),
    },
    async handler({ query, request }) {
      const { orgId } = callerOf(request);
      const nowMs = (deps.now ?? Date.now)();
      let filter: ContactFilter = {};
      if (query.segment !== undefined) {
        const found = await deps.system.ask<SegmentsReplies['getSegment']>(segmentsAddress(orgId), {
          type: 'getSegment',
          id: query.segment,
        });
        if (!found.ok) throw new ParloError('PARLO_SEGMENT_NOT_FOUND', found.message);
        filter = contactFilterOf(found.segment.filter as ContactFilterInput, nowMs);
      }
      const definitions = (
        await deps.system.ask<ContactFieldsReplies['getFields']>(contactFieldsAddress(orgId), { type: 'getFields' })
      ).fields;
      const fieldKeys = definitions.map((f) => f.key);
      const format = query.format;
      const page = (after: string | undefined) =>
        deps.system.ask<ContactIndexReplies['searchContacts']>(contactIndexAddress(orgId), {
          type: 'searchContacts',
          filter,
          limit: MAX_SEARCH_PAGE,
          ...(after === undefined ? {} : { after }),
        });
      async function* chunks(): AsyncGenerator<string> {
        yield format === 'csv' ? csvLine([...EXPORT_COLUMNS, ...fieldKeys]) : '[';
        let after: string | undefined;
        let first = true;
        for (;;) {
          const { contacts, nextAfter } = await page(after);
          let chunk = '';
          for (const contact of contacts) {
            if (format === 'csv') chunk += csvLine(exportRow(contact, fieldKeys));
            else {
              chunk += `${first ? '' : ','}${JSON.stringify(listed(contact))}`;
              first = false;
            }
          }
          if (chunk !== '') yield chunk;
          if (nextAfter === null) break;
          after = nextAfter;
        }
        if (format === 'json') yield ']';
      }
      return {
        status: 200,
        stream: {
          mediaType: format === 'csv' ? 'text/csv' : 'application/json',
          chunks: chunks(),
          fileName: `contacts-${iso(nowMs).slice(0, 10)}.${format}`,
        },
      };
    },
  });

  return [searchContacts, exportContacts];
}

const EXPORT_COLUMNS = [
  'key',
  'phone',
  'user_id',
  'name',
  'profile_name',
  'language',
  'time_zone',
  'tags',
  'marketing',
  'utility',
  'last_seen_at',
  'created_at',
] as const;

function exportRow(c: ContactSummary, fieldKeys: readonly string[]): (string | number | null)[] {
  return [
    c.key,
    c.phone,
    c.userId,
    c.name,
    c.profileName,
    c.language,
    c.timeZone,
    c.tags.join('|'),
    c.marketing,
    c.utility,
    c.lastSeenAtMs === null ? null : iso(c.lastSeenAtMs),
    iso(c.createdAtMs),
    ...fieldKeys.map((key) => {
      const value = c.fields[key];
      return value === undefined ? null : typeof value === 'boolean' ? String(value) : value;
    }),
  ];
}

export function csvLine(cells: readonly (string | number | null)[]): string {
  return `${cells.map((cell) => csvField(cell, typeof cell === 'string')).join(',')}\r\n`;
}
