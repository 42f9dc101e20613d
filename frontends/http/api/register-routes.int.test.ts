import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../core/index.ts';
import { sampleApp, type SampleApi } from './__fixtures__/sample-routes.ts';
import { apiFrameworkErrorHandler, ErrorBody, useApiErrorMapper } from './errors.ts';

/** The REST machinery end to end through fastify's inject(): no socket, no network. */

let app: FastifyInstance | undefined;
let api: SampleApi;
let logLines: string[];

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(): Promise<FastifyInstance> {
  logLines = [];
  ({ app, api } = sampleApp(logLines));
  await app.ready();
  return app;
}

const VALID = { name: 'Ada', phone: '+14155550100', kind: 'person' } as const;

/** Every failure has the one body, the registry's status for its code, and nothing else at the top level. */
function expectError(res: LightMyRequestResponse, code: keyof typeof ERROR_CODES): ErrorBody['error'] {
  expect(res.statusCode, res.body).toBe(ERROR_CODES[code].httpStatus);
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  const body: unknown = res.json();
  expect(ErrorBody.strict().safeParse(body).success, res.body).toBe(true);
  const { error } = body as ErrorBody;
  expect(error.code).toBe(code);
  return error;
}

async function createContact(server: FastifyInstance, payload: object = VALID): Promise<string> {
  const res = await server.inject({ method: 'POST', url: '/v1/contacts', payload });
  expect(res.statusCode, res.body).toBe(201);
  return res.json<{ id: string }>().id;
}

describe('valid requests', () => {
  it('passes parsed, defaulted inputs to the handler and answers with the declared status', async () => {
    const server = await start();
    const res = await server.inject({
      method: 'POST',
      url: '/v1/contacts',
      payload: { ...VALID, address: { city: 'London', zip: '12345' } },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers.location).toBe('/v1/contacts/ct_1000');
    // tags defaulted to [] by the body schema; the record's secrets did not leave (next test).
    expect(res.json()).toEqual({ id: 'ct_1000', name: 'Ada', phone: '+14155550100', kind: 'person', tags: [] });
    expect(api.contacts.get('ct_1000')?.internalNotes).toBe('from London');

    expect((await server.inject({ url: '/v1/status' })).json()).toEqual({ ok: true, contacts: 1 });
    expect((await server.inject({ url: '/v1/contacts/ct_1000' })).json()).toMatchObject({ id: 'ct_1000' });
  });

  it('whitelists response fields: what the schema does not list never leaves, even if the handler returns it', async () => {
    const server = await start();
    const id = await createContact(server);
    for (const res of [
      await server.inject({ url: `/v1/contacts/${id}` }),
      await server.inject({ url: '/v1/contacts' }),
    ]) {
      expect(res.statusCode).toBe(200);
      expect(res.body).not.toContain('passwordHash');
      expect(res.body).not.toContain('argon2');
      expect(res.body).not.toContain('internalNotes');
    }
    expect(api.contacts.get(id)?.passwordHash).toBe('$argon2id$secret');
  });

  it('answers 204 with no body', async () => {
    const server = await start();
    const id = await createContact(server);
    const res = await server.inject({
      method: 'DELETE',
      url: `/v1/contacts/${id}`,
      headers: { 'x-api-key': 'test-key' },
    });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(api.contacts.has(id)).toBe(false);
    expect(api.authCalls).toEqual([{ auth: 'apiKey', scopes: ['contacts:write'] }]);
  });

  it('pages with limit and an opaque cursor until nextCursor is null', async () => {
    const server = await start();
    for (let i = 0; i < 5; i += 1) await createContact(server);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url: string = `/v1/contacts?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await server.inject({ url });
      expect(res.statusCode, res.body).toBe(200);
      const body = res.json<{ data: { id: string }[]; nextCursor: string | null }>();
      expect(body.data.length).toBeLessThanOrEqual(2);
      seen.push(...body.data.map((c) => c.id));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor !== null && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual(['ct_1000', 'ct_1001', 'ct_1002', 'ct_1003', 'ct_1004']);
    // Default limit (20) when absent.
    expect((await server.inject({ url: '/v1/contacts' })).json()).toMatchObject({ nextCursor: null });
  });
});

describe('validation failures: 400 PARLO_VALIDATION_FAILED naming the field and the rule', () => {
  const cases: {
    name: string;
    method?: 'GET' | 'POST';
    url: string;
    payload?: object;
    message: string;
    detail: { location: string; path: string; rule: string; message: string };
  }[] = [
    {
      name: 'a missing field',
      method: 'POST',
      url: '/v1/contacts',
      payload: { name: 'Ada', kind: 'person' },
      message: 'body.phone: is required',
      detail: { location: 'body', path: 'phone', rule: 'required', message: 'is required' },
    },
    {
      name: 'a wrong type',
      method: 'POST',
      url: '/v1/contacts',
      payload: { ...VALID, name: 42 },
      message: 'body.name: expected a string, got a number',
      detail: { location: 'body', path: 'name', rule: 'type', message: 'expected a string, got a number' },
    },
    {
      name: 'a string that is too long',
      method: 'POST',
      url: '/v1/contacts',
      payload: { ...VALID, name: 'x'.repeat(101) },
      message: 'body.name: expected a string of at most 100 characters',
      detail: {
        location: 'body',
        path: 'name',
        rule: 'maxLength',
        message: 'expected a string of at most 100 characters',
      },
    },
    {
      name: 'a value outside an enum',
      method: 'POST',
      url: '/v1/contacts',
      payload: { ...VALID, kind: 'robot' },
      message: 'body.kind: expected one of "person", "business"',
      detail: { location: 'body', path: 'kind', rule: 'enum', message: 'expected one of "person", "business"' },
    },
    {
      name: 'a bad format',
      method: 'POST',
      url: '/v1/contacts',
      payload: { ...VALID, phone: '0044 20 7946' },
      message: 'body.phone: expected an E.164 phone number (+ and digits)',
      detail: {
        location: 'body',
        path: 'phone',
        rule: 'format',
        message: 'expected an E.164 phone number (+ and digits)',
      },
    },
    {
      name: 'a nested field and an array element',
      method: 'POST',
      url: '/v1/contacts',
      payload: { ...VALID, tags: ['ok', 'y'.repeat(21)] },
      message: 'body.tags[1]: expected a string of at most 20 characters',
      detail: {
        location: 'body',
        path: 'tags[1]',
        rule: 'maxLength',
        message: 'expected a string of at most 20 characters',
      },
    },
    {
      name: 'a pattern inside an object',
      method: 'POST',
      url: '/v1/contacts',
      payload: { ...VALID, address: { city: 'Paris', zip: 'ABCDE' } },
      message: 'body.address.zip: expected a string matching /^\\d{5}$/',
      detail: {
        location: 'body',
        path: 'address.zip',
        rule: 'pattern',
        message: 'expected a string matching /^\\d{5}$/',
      },
    },
    {
      name: 'a body that is not an object',
      method: 'POST',
      url: '/v1/contacts',
      payload: ['Ada'],
      message: 'body: expected an object, got an array',
      detail: { location: 'body', path: '', rule: 'type', message: 'expected an object, got an array' },
    },
    {
      name: 'an unknown body field (strict top-level bodies)',
      method: 'POST',
      url: '/v1/contacts',
      payload: { ...VALID, nmae: 'Ada' },
      message: 'body.nmae: is not a known field',
      detail: { location: 'body', path: 'nmae', rule: 'additionalProperties', message: 'is not a known field' },
    },
    {
      name: 'a limit above 100',
      url: '/v1/contacts?limit=101',
      message: 'query.limit: expected a number of at most 100',
      detail: { location: 'query', path: 'limit', rule: 'maximum', message: 'expected a number of at most 100' },
    },
    {
      name: 'a limit that is not a number',
      url: '/v1/contacts?limit=lots',
      message: 'query.limit: expected a number',
      detail: { location: 'query', path: 'limit', rule: 'type', message: 'expected a number' },
    },
    {
      name: 'a limit that is not an integer',
      url: '/v1/contacts?limit=2.5',
      message: 'query.limit: expected an integer, got a number',
      detail: { location: 'query', path: 'limit', rule: 'type', message: 'expected an integer, got a number' },
    },
    {
      name: 'a query enum',
      url: '/v1/contacts?kind=robot',
      message: 'query.kind: expected one of "person", "business"',
      detail: { location: 'query', path: 'kind', rule: 'enum', message: 'expected one of "person", "business"' },
    },
    {
      name: 'an unknown query parameter (strict query objects)',
      url: '/v1/contacts?limt=5',
      message: 'query.limt: is not a known query parameter',
      detail: {
        location: 'query',
        path: 'limt',
        rule: 'additionalProperties',
        message: 'is not a known query parameter',
      },
    },
    {
      name: 'a query parameter on a route that takes none',
      url: '/v1/status?verbose=1',
      message: 'query.verbose: is not a known query parameter',
      detail: {
        location: 'query',
        path: 'verbose',
        rule: 'additionalProperties',
        message: 'is not a known query parameter',
      },
    },
    {
      name: 'a bad path parameter',
      url: '/v1/contacts/CT-1',
      message: 'params.contactId: expected a string matching /^ct_[a-z0-9]{4,}$/',
      detail: {
        location: 'params',
        path: 'contactId',
        rule: 'pattern',
        message: 'expected a string matching /^ct_[a-z0-9]{4,}$/',
      },
    },
    {
      name: 'a missing body',
      method: 'POST',
      url: '/v1/contacts',
      message: 'body: is required',
      detail: { location: 'body', path: '', rule: 'required', message: 'is required' },
    },
  ];

  it.each(cases)('$name', async ({ method, url, payload, message, detail }) => {
    const server = await start();
    const res = await server.inject({ method: method ?? 'GET', url, ...(payload ? { payload } : {}) });
    const error = expectError(res, 'PARLO_VALIDATION_FAILED');
    expect(error.message).toBe(message);
    expect(error.details).toEqual([detail]);
    expect(api.contacts.size).toBe(0);
  });

  it('lists every problem of params, query and body in one answer, the first in the message', async () => {
    const server = await start();
    const res = await server.inject({
      method: 'POST',
      url: '/v1/contacts/nope/notes?x=1',
      headers: { 'x-api-key': 'test-key' },
      payload: { text: 7 },
    });
    const error = expectError(res, 'PARLO_VALIDATION_FAILED');
    expect(error.message).toBe('params.contactId: expected a string matching /^ct_[a-z0-9]{4,}$/ (and 2 more)');
    expect((error.details as { location: string; path: string; rule: string }[]).map((d) => d.location)).toEqual([
      'params',
      'query',
      'body',
    ]);
  });

  it('never echoes the rejected value', async () => {
    const server = await start();
    const res = await server.inject({
      method: 'POST',
      url: '/v1/contacts',
      payload: { ...VALID, name: 'S3CR3T'.repeat(20) },
    });
    expectError(res, 'PARLO_VALIDATION_FAILED');
    expect(res.body).not.toContain('S3CR3T');
  });
});

describe('errors raised by handlers', () => {
  it('maps a ParloError to its registry status with code, message and details', async () => {
    const server = await start();
    const error = expectError(await server.inject({ url: '/v1/contacts/ct_slow' }), 'PARLO_ASK_TIMEOUT');
    expect(error).toEqual({
      code: 'PARLO_ASK_TIMEOUT',
      message: 'contact:ct_slow did not answer within 5000 ms',
      details: { address: 'contact:ct_slow', timeoutMs: 5000 },
    });
    expect(expectError(await server.inject({ url: '/v1/contacts/ct_none' }), 'PARLO_INVALID_ADDRESS')).toEqual({
      code: 'PARLO_INVALID_ADDRESS',
      message: 'no contact ct_none',
    });
  });

  it('answers anything else with 500 PARLO_INTERNAL_ERROR and the request id, and logs the real error', async () => {
    const server = await start();
    const res = await server.inject({ url: '/v1/contacts/ct_boom' });
    const error = expectError(res, 'PARLO_INTERNAL_ERROR');
    expect(res.body).not.toContain('hunter2');
    expect(res.body).not.toContain('ECONNREFUSED');
    expect(error.details).toEqual({ requestId: expect.any(String) });
    expect(error.message).toContain((error.details as { requestId: string }).requestId);
    const logged = logLines.join('\n');
    expect(logged).toContain('password=hunter2');
    expect(logged).toContain('PARLO_INTERNAL_ERROR');
  });

  it.each(['shape', 'status'])(
    'treats a response that breaks its own contract (%s) as a bug: 500, logged',
    async (how) => {
      const server = await start();
      expectError(await server.inject({ url: `/v1/broken/${how}` }), 'PARLO_INTERNAL_ERROR');
      expect(logLines.join('\n')).toContain('getBroken returned');
    },
  );
});

describe("fastify's own errors", () => {
  it('answers an unknown route with 404 PARLO_ROUTE_NOT_FOUND, inside and outside /v1', async () => {
    const server = await start();
    for (const url of ['/v1/nope', '/v1/contacts/ct_1000/nope', '/nope', '/v2/contacts']) {
      const error = expectError(await server.inject({ url }), 'PARLO_ROUTE_NOT_FOUND');
      expect(error.message).toBe(`no route matches GET ${url}`);
    }
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const server = await start();
    const res = await server.inject({ method: 'PUT', url: '/v1/contacts/ct_1000' });
    const error = expectError(res, 'PARLO_METHOD_NOT_ALLOWED');
    expect(res.headers.allow).toBe('GET, HEAD, DELETE');
    expect(error.details).toEqual({ allowed: ['GET', 'HEAD', 'DELETE'] });
  });

  it('answers malformed JSON with 400 PARLO_MALFORMED_JSON', async () => {
    const server = await start();
    const headers = { 'content-type': 'application/json' };
    for (const payload of ['{"name": "Ada",', '{"__proto__": {"admin": true}}']) {
      const res = await server.inject({ method: 'POST', url: '/v1/contacts', headers, payload });
      expect(expectError(res, 'PARLO_MALFORMED_JSON').message).toBe('request body is not valid JSON');
    }
    const empty = await server.inject({ method: 'POST', url: '/v1/contacts', headers, payload: '' });
    expectError(empty, 'PARLO_MALFORMED_JSON');
  });

  it('answers a body over the route limit with 413 PARLO_BODY_TOO_LARGE naming the limit', async () => {
    const server = await start();
    const res = await server.inject({
      method: 'POST',
      url: '/v1/contacts/ct_1000/notes',
      headers: { 'x-api-key': 'test-key' },
      payload: { text: 'x'.repeat(100) },
    });
    const error = expectError(res, 'PARLO_BODY_TOO_LARGE');
    expect(error).toEqual({
      code: 'PARLO_BODY_TOO_LARGE',
      message: 'request body exceeds the limit of 64 bytes',
      details: { limitBytes: 64 },
    });
    const small = await server.inject({
      method: 'POST',
      url: '/v1/contacts/ct_1000/notes',
      headers: { 'x-api-key': 'test-key' },
      payload: { text: 'hi' },
    });
    expect(small.statusCode).toBe(202);
  });

  it('answers a non-JSON body with 415 PARLO_UNSUPPORTED_MEDIA_TYPE', async () => {
    const server = await start();
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await server.inject({
        method: 'POST',
        url: '/v1/contacts',
        headers: { 'content-type': contentType },
        payload: 'name=Ada',
      });
      const error = expectError(res, 'PARLO_UNSUPPORTED_MEDIA_TYPE');
      expect(error.details).toEqual({ contentType, accepted: ['application/json'] });
    }
  });

  it('checks the credential before reading the body', async () => {
    const server = await start();
    const res = await server.inject({
      method: 'POST',
      url: '/v1/contacts/ct_1000/notes',
      payload: { text: 'x'.repeat(100) }, // over the limit, but the caller is refused first
    });
    const error = expectError(res, 'PARLO_VALIDATION_FAILED');
    expect(error.message).toBe('headers["x-api-key"]: is required');
    expect(api.authCalls).toEqual([{ auth: 'any', scopes: [] }]);
  });
});

describe('errors raised before routing', () => {
  it('answers a bad URL encoding with 400 PARLO_BAD_REQUEST once frameworkErrors points at the mapper', async () => {
    const server = Fastify({ logger: false, frameworkErrors: apiFrameworkErrorHandler });
    useApiErrorMapper(server);
    server.get('/v1/contacts/:contactId', () => ({}));
    app = server;
    const error = expectError(await server.inject({ url: '/v1/contacts/%E0%A4%A' }), 'PARLO_BAD_REQUEST');
    expect(error.message).toBe("'/v1/contacts/%E0%A4%A' is not a valid url component");
  });
});

describe('/openapi.json', () => {
  it('serves the generated document', async () => {
    const server = await start();
    const res = await server.inject({ url: '/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const doc = res.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toContain('/v1/contacts/{contactId}');
  });
});
