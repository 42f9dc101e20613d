import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import {
  contactIndexAddress,
  MAX_SEARCH_PAGE,
  type ContactIndexReplies,
} from '../../../actors/contacts/contact-index.actor.ts';
import {
  MAX_SEGMENT_NAME,
  segmentsAddress,
  type Segment,
  type SegmentsMsg,
  type SegmentsReplies,
} from '../../../actors/contacts/segments.actor.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { callerOf, okOrThrow } from '../auth/caller.ts';
import {
  ContactFilterSchema,
  ContactFilterView,
  SearchResult,
  contactFilterOf,
  listed,
  type ContactFilterInput,
} from './contacts-search.routes.ts';
import { iso } from './identity.routes.ts';
import { auditActorOf } from './numbers.routes.ts';

/**
 * Saved segments (issue #6, 2): a name and a contact filter, kept by the organisation's `segments` actor and
 * evaluated against the contact index whenever used (so "wrote within 30 days" stays current). Reading needs
 * `contacts:read`, saving `contacts:write`.
 */

export interface SegmentsRoutesDeps {
  readonly system: ActorSystem;
  readonly now?: () => number;
}

const SegmentInput = z
  .object({ name: z.string().trim().min(1).max(MAX_SEGMENT_NAME), filter: ContactFilterSchema })
  .meta({ id: 'SegmentInput' });

const SegmentView = z
  .object({
    id: z.string(),
    name: z.string(),
    filter: ContactFilterView,
    contacts: z.number().int().describe('Contacts that match now'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Segment' });

const SegmentId = z.string().regex(/^seg_[A-Za-z0-9_.-]{1,60}$/);

export function segmentRoutes(deps: SegmentsRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const now = deps.now ?? Date.now;
  const segments = <T extends SegmentsMsg['type']>(orgId: string, msg: Extract<SegmentsMsg, { type: T }>) =>
    system.ask<SegmentsReplies[T]>(segmentsAddress(orgId), msg);
  const search = (orgId: string, filter: ContactFilterInput, limit: number, after?: string) =>
    system.ask<ContactIndexReplies['searchContacts']>(contactIndexAddress(orgId), {
      type: 'searchContacts',
      filter: contactFilterOf(filter, now()),
      limit,
      ...(after === undefined ? {} : { after }),
    });
  const view = async (orgId: string, segment: Segment): Promise<z.input<typeof SegmentView>> => {
    const filter = segment.filter as ContactFilterInput;
    return {
      id: segment.id,
      name: segment.name,
      filter,
      contacts: (await search(orgId, filter, 1)).total,
      createdAt: iso(segment.createdAtMs),
      updatedAt: iso(segment.updatedAtMs),
    };
  };

  const create = defineRoute({
    method: 'POST',
    url: '/segments',
    operationId: 'createSegment',
    summary: 'Save a contact filter as a named segment',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:write'],
    body: SegmentInput,
    responses: { 201: SegmentView },
    async handler({ body, request }) {
      const caller = callerOf(request);
      const { segment } = okOrThrow(
        await segments<'createSegment'>(caller.orgId, {
          type: 'createSegment',
          name: body.name,
          filter: body.filter,
          by: auditActorOf(caller),
        }),
      );
      return { status: 201, body: await view(caller.orgId, segment) };
    },
  });

  const list = defineRoute({
    method: 'GET',
    url: '/segments',
    operationId: 'listSegments',
    summary: "The organisation's segments, each with how many contacts match now",
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:read'],
    responses: { 200: z.object({ segments: z.array(SegmentView) }) },
    async handler({ request }) {
      const { orgId } = callerOf(request);
      const { segments: all } = await segments<'listSegments'>(orgId, { type: 'listSegments' });
      return { status: 200, body: { segments: await Promise.all(all.map((s) => view(orgId, s))) } };
    },
  });

  const get = defineRoute({
    method: 'GET',
    url: '/segments/:segmentId',
    operationId: 'getSegment',
    summary: 'A segment and how many contacts match it now',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:read'],
    params: z.object({ segmentId: SegmentId }),
    responses: { 200: SegmentView },
    async handler({ params, request }) {
      const { orgId } = callerOf(request);
      const { segment } = okOrThrow(await segments<'getSegment'>(orgId, { type: 'getSegment', id: params.segmentId }));
      return { status: 200, body: await view(orgId, segment) };
    },
  });

  const update = defineRoute({
    method: 'PUT',
    url: '/segments/:segmentId',
    operationId: 'updateSegment',
    summary: "Replace a segment's name and filter",
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:write'],
    params: z.object({ segmentId: SegmentId }),
    body: SegmentInput,
    responses: { 200: SegmentView },
    async handler({ params, body, request }) {
      const { orgId } = callerOf(request);
      const { segment } = okOrThrow(
        await segments<'updateSegment'>(orgId, {
          type: 'updateSegment',
          id: params.segmentId,
          name: body.name,
          filter: body.filter,
        }),
      );
      return { status: 200, body: await view(orgId, segment) };
    },
  });

  const remove = defineRoute({
    method: 'DELETE',
    url: '/segments/:segmentId',
    operationId: 'deleteSegment',
    summary: 'Delete a segment (its contacts stay)',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:write'],
    params: z.object({ segmentId: SegmentId }),
    responses: { 204: null },
    async handler({ params, request }) {
      okOrThrow(
        await segments<'deleteSegment'>(callerOf(request).orgId, { type: 'deleteSegment', id: params.segmentId }),
      );
      return { status: 204 as const };
    },
  });

  const members = defineRoute({
    method: 'POST',
    url: '/segments/:segmentId/contacts',
    operationId: 'listSegmentContacts',
    summary: 'The contacts a segment matches now, a page at a time',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:read'],
    params: z.object({ segmentId: SegmentId }),
    body: z.object({
      limit: z.number().int().min(1).max(MAX_SEARCH_PAGE).default(50),
      cursor: z.string().max(200).optional(),
    }),
    responses: { 200: SearchResult },
    async handler({ params, body, request }) {
      const { orgId } = callerOf(request);
      const found = await segments<'getSegment'>(orgId, { type: 'getSegment', id: params.segmentId });
      if (!found.ok) throw new ParloError('PARLO_SEGMENT_NOT_FOUND', found.message);
      const page = await search(orgId, found.segment.filter as ContactFilterInput, body.limit, body.cursor);
      return {
        status: 200,
        body: { contacts: page.contacts.map(listed), total: page.total, nextCursor: page.nextAfter },
      };
    },
  });

  return [create, list, get, update, remove, members];
}
