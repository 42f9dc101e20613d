import Fastify, { type FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ParloError } from '../../../../core/index.ts';
import { defineRoute, type ApiRoute } from '../define-route.ts';
import { registerApiDocs } from '../docs-page.ts';
import { useApiErrorMapper } from '../errors.ts';
import { decodeCursor, page, PageQuery, pageSchema } from '../pagination.ts';
import { registerApiRoutes, type AuthRequirement } from '../register-routes.ts';

/**
 * A small API used by the tests of this folder: a public route, a body, a query with pagination, path params,
 * a 204, a guarded route and two handlers with bugs. It stands in for the resource routes that will use the same
 * machinery.
 */

export const ContactId = z
  .string()
  .regex(/^ct_[a-z0-9]{4,}$/)
  .describe('A contact id, ct_ followed by at least four lowercase letters or digits.');

export const Contact = z
  .object({
    id: ContactId,
    name: z.string(),
    phone: z.string(),
    kind: z.enum(['person', 'business']),
    tags: z.array(z.string()),
  })
  .meta({ id: 'Contact' });

/** What the store holds: more than the API may show. */
export interface ContactRecord {
  id: string;
  name: string;
  phone: string;
  kind: 'person' | 'business';
  tags: string[];
  passwordHash: string;
  internalNotes: string;
}

export const CreateContact = z.object({
  name: z.string().min(1).max(100),
  phone: z.e164(),
  kind: z.enum(['person', 'business']),
  tags: z.array(z.string().max(20)).max(5).default([]),
  address: z.object({ city: z.string().max(50), zip: z.string().regex(/^\d{5}$/) }).optional(),
});

const ContactCursor = z.object({ after: ContactId });

export interface SampleApi {
  readonly routes: readonly ApiRoute[];
  readonly contacts: Map<string, ContactRecord>;
  readonly authCalls: AuthRequirement[];
}

export function sampleApi(): SampleApi {
  const contacts = new Map<string, ContactRecord>();
  const authCalls: AuthRequirement[] = [];
  let next = 1000;

  const getStatus = defineRoute({
    method: 'GET',
    url: '/status',
    operationId: 'getStatus',
    summary: 'Service status',
    tags: ['meta'],
    auth: 'public',
    responses: { 200: z.object({ ok: z.boolean(), contacts: z.number().int() }) },
    handler: () => ({ status: 200, body: { ok: true, contacts: contacts.size } }),
  });

  const createContact = defineRoute({
    method: 'POST',
    url: '/contacts',
    operationId: 'createContact',
    summary: 'Create a contact',
    tags: ['contacts'],
    auth: 'public',
    body: CreateContact,
    responses: { 201: Contact },
    handler: ({ body, reply }) => {
      const record: ContactRecord = {
        id: `ct_${next++}`,
        name: body.name,
        phone: body.phone,
        kind: body.kind,
        tags: body.tags,
        passwordHash: '$argon2id$secret',
        internalNotes: `from ${body.address?.city ?? 'nowhere'}`,
      };
      contacts.set(record.id, record);
      void reply.header('location', `/v1/contacts/${record.id}`);
      // The whole record, secrets included: the response schema is what keeps them in.
      return { status: 201, body: record };
    },
  });

  const listContacts = defineRoute({
    method: 'GET',
    url: '/contacts',
    operationId: 'listContacts',
    summary: 'List contacts',
    tags: ['contacts'],
    auth: 'public',
    query: PageQuery.extend({ kind: z.enum(['person', 'business']).optional() }),
    responses: { 200: pageSchema(Contact) },
    handler: ({ query }) => {
      const after = decodeCursor(query.cursor, ContactCursor)?.after;
      const rows = [...contacts.values()]
        .filter((c) => query.kind === undefined || c.kind === query.kind)
        .filter((c) => after === undefined || c.id > after)
        .sort((a, b) => (a.id < b.id ? -1 : 1))
        .slice(0, query.limit + 1);
      return { status: 200, body: page(rows, query.limit, (last) => ({ after: last.id })) };
    },
  });

  const getContact = defineRoute({
    method: 'GET',
    url: '/contacts/:contactId',
    operationId: 'getContact',
    summary: 'Read a contact',
    tags: ['contacts'],
    auth: 'public',
    params: z.object({ contactId: ContactId }),
    responses: { 200: Contact },
    handler: ({ params }) => {
      if (params.contactId === 'ct_slow') {
        throw new ParloError('PARLO_ASK_TIMEOUT', 'contact:ct_slow did not answer within 5000 ms', {
          address: 'contact:ct_slow',
          timeoutMs: 5000,
        });
      }
      if (params.contactId === 'ct_boom') throw new Error('connect ECONNREFUSED db.internal:5432 password=hunter2');
      const record = contacts.get(params.contactId);
      if (!record) throw new ParloError('PARLO_INVALID_ADDRESS', `no contact ${params.contactId}`);
      return { status: 200, body: record };
    },
  });

  const deleteContact = defineRoute({
    method: 'DELETE',
    url: '/contacts/:contactId',
    operationId: 'deleteContact',
    summary: 'Delete a contact',
    tags: ['contacts'],
    auth: 'apiKey',
    scopes: ['contacts:write'],
    params: z.object({ contactId: ContactId }),
    responses: { 204: null },
    handler: ({ params }) => {
      contacts.delete(params.contactId);
      return { status: 204 };
    },
  });

  const addNote = defineRoute({
    method: 'POST',
    url: '/contacts/:contactId/notes',
    operationId: 'addNote',
    summary: 'Add a short note',
    tags: ['contacts'],
    auth: 'any',
    params: z.object({ contactId: ContactId }),
    body: z.object({ text: z.string().max(1000) }),
    bodyLimitBytes: 64,
    responses: { 202: null },
    handler: () => ({ status: 202 }),
  });

  const getBroken = defineRoute({
    method: 'GET',
    url: '/broken/:how',
    operationId: 'getBroken',
    summary: 'A handler with a bug',
    tags: ['meta'],
    auth: 'public',
    params: z.object({ how: z.enum(['shape', 'status']) }),
    responses: { 200: z.object({ ok: z.boolean() }) },
    handler: ({ params }) =>
      // Both are bugs the types would catch; the casts stand for a handler that lied to the compiler.
      params.how === 'shape'
        ? { status: 200, body: { ok: 'yes' } as unknown as { ok: boolean } }
        : ({ status: 418, body: { ok: true } } as unknown as { status: 200; body: { ok: boolean } }),
  });

  return {
    routes: [getStatus, createContact, listContacts, getContact, deleteContact, addNote, getBroken],
    contacts,
    authCalls,
  };
}

export const SAMPLE_INFO = { title: 'Parlo API', version: '1.0.0-test' } as const;

/** The app as frontends/http/app.ts is to mount it: mapper on the root, routes under /v1, docs. */
export function sampleApp(logLines: string[] = []): { app: FastifyInstance; api: SampleApi } {
  const app = Fastify({
    logger: { level: 'error', stream: { write: (line: string) => void logLines.push(line) } },
  });
  const api = sampleApi();
  useApiErrorMapper(app);
  registerApiRoutes(app, api.routes, {
    info: SAMPLE_INFO,
    authenticate: (request, requirement) => {
      api.authCalls.push(requirement);
      if (request.headers['x-api-key'] !== 'test-key') {
        // A stand-in refusal: the auth plugin will bring its own 401/403 codes.
        throw new ParloError('PARLO_VALIDATION_FAILED', 'headers["x-api-key"]: is required', [
          { location: 'headers', path: '["x-api-key"]', rule: 'required', message: 'is required' },
        ]);
      }
    },
  });
  registerApiDocs(app);
  return { app, api };
}
