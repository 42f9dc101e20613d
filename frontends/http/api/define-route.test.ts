import type { FastifyReply, FastifyRequest } from 'fastify';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineRoute, urlParamNames, type HandlerResult, type RouteMeta } from './define-route.ts';

/**
 * The definition API: what TypeScript infers from the schemas (checked by `npm run typecheck`; expectTypeOf is a
 * no-op at run time) and what defineRoute refuses at module load.
 */

const meta = {
  summary: 'test',
  tags: ['test'],
  auth: 'public',
} as const satisfies Partial<RouteMeta>;

describe('defineRoute types', () => {
  it('infers params, query and body from the schemas, and the result from the responses', () => {
    const route = defineRoute({
      ...meta,
      method: 'POST',
      url: '/orgs/:orgId/contacts',
      operationId: 'createContact',
      params: z.object({ orgId: z.string() }),
      query: z.object({ dryRun: z.stringbool().default(false), limit: z.coerce.number().optional() }),
      body: z.object({ name: z.string(), tags: z.array(z.string()).default([]) }),
      responses: { 201: z.object({ id: z.string() }), 202: null },
      handler: ({ params, query, body, request, reply }) => {
        expectTypeOf(params).toEqualTypeOf<{ orgId: string }>();
        expectTypeOf(query).toEqualTypeOf<{ dryRun: boolean; limit?: number | undefined }>();
        expectTypeOf(body).toEqualTypeOf<{ name: string; tags: string[] }>();
        expectTypeOf(request).toEqualTypeOf<FastifyRequest>();
        expectTypeOf(reply).toEqualTypeOf<FastifyReply>();
        if (query.dryRun) return { status: 202 };
        // A domain object with more fields than the schema is fine for the compiler; the schema strips them.
        const record = { id: 'ct_1', name: body.name, secret: 'x' };
        return { status: 201, body: record };
      },
    });
    expect(route.operationId).toBe('createContact');
  });

  it('gives routes without params, query or body empty inputs', () => {
    defineRoute({
      ...meta,
      method: 'GET',
      url: '/status',
      operationId: 'getStatus',
      responses: { 200: z.object({ ok: z.boolean() }) },
      handler: ({ params, query, body }) => {
        expectTypeOf(params).toEqualTypeOf<Record<string, never>>();
        expectTypeOf(query).toEqualTypeOf<Record<string, never>>();
        expectTypeOf(body).toEqualTypeOf<undefined>();
        return { status: 200, body: { ok: true } };
      },
    });
  });

  it('types the handler result as the union of declared statuses', () => {
    type R = HandlerResult<{ 200: z.ZodObject<{ ok: z.ZodBoolean }>; 204: null }>;
    expectTypeOf<R>().toEqualTypeOf<{ status: 200; body: { ok: boolean } } | { status: 204; body?: undefined }>();

    defineRoute({
      ...meta,
      method: 'GET',
      url: '/typed',
      operationId: 'typed',
      responses: { 200: z.object({ ok: z.boolean() }) },
      // @ts-expect-error 201 is not a declared status
      handler: () => ({ status: 201, body: { ok: true } }),
    });
    defineRoute({
      ...meta,
      method: 'GET',
      url: '/typed',
      operationId: 'typed',
      responses: { 200: z.object({ ok: z.boolean() }) },
      // @ts-expect-error ok must be a boolean
      handler: () => ({ status: 200, body: { ok: 'yes' } }),
    });
    defineRoute({
      ...meta,
      method: 'GET',
      url: '/typed/:id',
      operationId: 'typed',
      params: z.object({ id: z.string() }),
      responses: { 204: null },
      handler: ({ params }) => {
        // @ts-expect-error no such param
        void params.other;
        return { status: 204 };
      },
    });
  });
});

describe('defineRoute checks', () => {
  const ok = {
    ...meta,
    method: 'GET',
    url: '/contacts/:contactId',
    operationId: 'getContact',
    params: z.object({ contactId: z.string() }),
    responses: { 200: z.object({ id: z.string() }) },
    handler: () => ({ status: 200 as const, body: { id: 'x' } }),
  } as const;

  it('accepts a well-formed route', () => {
    expect(() => defineRoute(ok)).not.toThrow();
  });

  it.each([
    ['an operationId that is not camelCase', { operationId: 'get-contact' }, /operationId must be camelCase/],
    ['a url without a leading slash', { url: 'contacts/:contactId' }, /url must start with \//],
    ['a regex segment', { url: '/contacts/:contactId(^\\d+$)' }, /url segment ".*" must be a plain word or :name/],
    ['a wildcard segment', { url: '/contacts/*' }, /url segment "\*"/],
    ['a url param missing from params', { url: '/contacts/:contactId/:noteId' }, /params schema lacks :noteId/],
    [
      'a params key missing from the url',
      { url: '/contacts', params: z.object({ contactId: z.string() }) },
      /params schema has contactId, which the url does not contain/,
    ],
    ['a body on GET', { body: z.object({ a: z.string() }) }, /a GET route cannot take a body/],
    ['no response', { responses: {} }, /declare at least one response/],
    ['an error status as a response', { responses: { 404: null } }, /must be a 2xx or 3xx/],
    ['scopes on a public route', { scopes: ['contacts:read'] }, /a public route cannot require scopes/],
    ['a bad body limit', { bodyLimitBytes: 0 }, /bodyLimitBytes must be a positive integer/],
  ])('refuses %s', (_name, change, message) => {
    expect(() => defineRoute({ ...ok, ...change } as unknown as Parameters<typeof defineRoute>[0])).toThrow(message);
  });

  it('makes top-level query and body objects strict unless they are explicitly loose', () => {
    const strict = defineRoute({
      ...meta,
      method: 'POST',
      url: '/a',
      operationId: 'a',
      query: z.object({ q: z.string().optional() }),
      body: z.object({ b: z.string() }),
      responses: { 204: null },
      handler: () => ({ status: 204 }),
    });
    expect(strict.query?.safeParse({ other: '1' }).success).toBe(false);
    expect(strict.body?.safeParse({ b: 'x', other: 1 }).success).toBe(false);

    const loose = defineRoute({
      ...meta,
      method: 'POST',
      url: '/a',
      operationId: 'a',
      query: z.looseObject({ q: z.string().optional() }),
      body: z.array(z.string()),
      responses: { 204: null },
      handler: () => ({ status: 204 }),
    });
    expect(loose.query?.safeParse({ other: '1' }).success).toBe(true);
    expect(loose.body?.safeParse(['x']).success).toBe(true);
  });
});

describe('urlParamNames', () => {
  it.each([
    ['/', []],
    ['/contacts', []],
    ['/contacts/:contactId', ['contactId']],
    ['/orgs/:orgId/contacts/:contactId/notes', ['orgId', 'contactId']],
  ])('%s → %j', (url, names) => {
    expect(urlParamNames(url)).toEqual(names);
  });
});
