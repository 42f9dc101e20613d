import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sampleApi, SAMPLE_INFO } from './__fixtures__/sample-routes.ts';
import { defineRoute, type ApiRoute } from './define-route.ts';
import {
  openApiDocument,
  openApiPath,
  type JsonSchema,
  type OpenApiDocument,
  type OpenApiResponse,
} from './openapi.ts';

/**
 * The generated document, checked structurally against what OpenAPI 3.1 requires and against the routes it was
 * made from. No network: the checks are written out here rather than fetched as the official meta-schema.
 */

const HTTP_VERBS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** Every violation of the OpenAPI 3.1 rules we rely on; an empty list means the document is well formed. */
function openApi31Problems(doc: OpenApiDocument): string[] {
  const problems: string[] = [];
  const problem = (at: string, what: string) => problems.push(`${at}: ${what}`);
  if (doc.openapi !== '3.1.0') problem('openapi', `is ${String(doc.openapi)}`);
  if (typeof doc.info.title !== 'string' || typeof doc.info.version !== 'string')
    problem('info', 'needs title+version');

  const schemes = doc.components.securitySchemes;
  const operationIds = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/')) problem(path, 'path must start with /');
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [verb, op] of Object.entries(item)) {
      const at = `${verb.toUpperCase()} ${path}`;
      if (!HTTP_VERBS.includes(verb)) problem(at, 'not an HTTP verb');
      if (!/^[A-Za-z][A-Za-z0-9]*$/.test(op.operationId)) problem(at, 'operationId missing or malformed');
      if (operationIds.has(op.operationId)) problem(at, `operationId ${op.operationId} is not unique`);
      operationIds.add(op.operationId);
      const pathParams = op.parameters.filter((p) => p.in === 'path').map((p) => p.name);
      if (JSON.stringify(pathParams) !== JSON.stringify(templated)) {
        problem(at, `path parameters ${pathParams.join(',')} ≠ template ${templated.join(',')}`);
      }
      const seen = new Set<string>();
      for (const p of op.parameters) {
        if (seen.has(`${p.in}:${p.name}`)) problem(at, `parameter ${p.name} twice`);
        seen.add(`${p.in}:${p.name}`);
        if (p.in === 'path' && !p.required) problem(at, `path parameter ${p.name} must be required`);
        if (typeof p.schema !== 'object') problem(at, `parameter ${p.name} has no schema`);
      }
      if (op.requestBody && !op.requestBody.content['application/json'].schema) problem(at, 'requestBody schema');
      const statuses = Object.keys(op.responses);
      if (statuses.length === 0) problem(at, 'no responses');
      for (const [status, response] of Object.entries(op.responses)) {
        if (!/^([1-5]\d\d|[1-5]XX|default)$/.test(status)) problem(at, `bad response key ${status}`);
        if (typeof response.description !== 'string') problem(at, `response ${status} lacks a description`);
      }
      for (const requirement of op.security) {
        for (const name of Object.keys(requirement)) if (!(name in schemes)) problem(at, `unknown scheme ${name}`);
      }
    }
  }

  // Every reference resolves, and nothing of zod's output that is not OpenAPI was left behind.
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) return node.forEach((item, i) => walk(item, `${at}[${i}]`));
    if (node === null || typeof node !== 'object') return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref') {
        const name = typeof value === 'string' ? value.replace('#/components/schemas/', '') : '';
        if (!(name in doc.components.schemas)) problem(at, `$ref ${String(value)} does not resolve`);
      }
      if (key === '$schema' || key === '$defs') problem(at, `left-over ${key}`);
      walk(value, `${at}.${key}`);
    }
  };
  walk(doc, '#');
  return problems;
}

const { routes } = sampleApi();
const doc = openApiDocument(routes, { info: SAMPLE_INFO });

function operationOf(route: ApiRoute) {
  const op = doc.paths[openApiPath('/v1', route.url)]?.[route.method.toLowerCase()];
  if (!op) throw new Error(`no operation for ${route.operationId}`);
  return op;
}

/** A response's JSON schema (a binary response has none). */
function jsonOf(response: OpenApiResponse | undefined): JsonSchema | undefined {
  const content = response?.content;
  return content && 'application/json' in content ? content['application/json'].schema : undefined;
}

function responseSchema(route: ApiRoute, status: string): JsonSchema | undefined {
  return jsonOf(operationOf(route).responses[status]);
}

const byId = (id: string): ApiRoute => {
  const route = routes.find((r) => r.operationId === id);
  if (!route) throw new Error(id);
  return route;
};

describe('openApiDocument', () => {
  it('is a well-formed OpenAPI 3.1 document', () => {
    expect(openApi31Problems(doc)).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual(SAMPLE_INFO);
    // Plain JSON: nothing lost when served.
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });

  it('has every route, under /v1, with its operationId, summary and tags', () => {
    for (const route of routes) {
      const op = operationOf(route);
      expect(op.operationId).toBe(route.operationId);
      expect(op.summary).toBe(route.summary);
      expect(op.tags).toEqual(route.tags);
    }
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v1/broken/{how}',
      '/v1/contacts',
      '/v1/contacts/{contactId}',
      '/v1/contacts/{contactId}/notes',
      '/v1/status',
    ]);
    expect(doc.tags).toEqual([{ name: 'contacts' }, { name: 'meta' }]);
  });

  it('describes path and query parameters from the params and query schemas', () => {
    expect(operationOf(byId('getContact')).parameters).toEqual([
      {
        name: 'contactId',
        in: 'path',
        required: true,
        description: 'A contact id, ct_ followed by at least four lowercase letters or digits.',
        schema: {
          type: 'string',
          pattern: '^ct_[a-z0-9]{4,}$',
          description: 'A contact id, ct_ followed by at least four lowercase letters or digits.',
        },
      },
    ]);
    const query = operationOf(byId('listContacts')).parameters;
    expect(query.map((p) => [p.name, p.in, p.required])).toEqual([
      ['limit', 'query', false],
      ['cursor', 'query', false],
      ['kind', 'query', false],
    ]);
    expect(query[0]?.schema).toMatchObject({ type: 'integer', minimum: 1, maximum: 100, default: 20 });
  });

  it('describes the request body as its input (defaults optional, unknown fields refused)', () => {
    const body = operationOf(byId('createContact')).requestBody;
    expect(body?.required).toBe(true);
    const schema = body?.content['application/json'].schema;
    expect(schema).toMatchObject({
      type: 'object',
      required: ['name', 'phone', 'kind'],
      additionalProperties: false,
      properties: { name: { type: 'string', minLength: 1, maxLength: 100 }, tags: { default: [] } },
    });
    expect(operationOf(byId('getContact')).requestBody).toBeUndefined();
  });

  it('hoists named schemas to components and references them from responses', () => {
    expect(responseSchema(byId('getContact'), '200')).toEqual({ $ref: '#/components/schemas/Contact' });
    expect(responseSchema(byId('createContact'), '201')).toEqual({ $ref: '#/components/schemas/Contact' });
    expect(responseSchema(byId('listContacts'), '200')).toMatchObject({
      properties: { data: { items: { $ref: '#/components/schemas/Contact' } } },
      required: ['data', 'nextCursor'],
    });
    // Output schemas whitelist: additionalProperties false.
    expect(doc.components.schemas.Contact).toMatchObject({
      type: 'object',
      additionalProperties: false,
      required: ['id', 'name', 'phone', 'kind', 'tags'],
    });
  });

  it('declares bodiless responses without content', () => {
    expect(operationOf(byId('deleteContact')).responses['204']).toEqual({ description: 'No Content' });
  });

  it('answers every failure with the shared Error component', () => {
    expect(doc.components.schemas.Error).toMatchObject({
      type: 'object',
      required: ['error'],
      properties: {
        error: {
          type: 'object',
          required: ['code', 'message'],
          properties: { code: { type: 'string' }, message: { type: 'string' } },
        },
      },
    });
    const errorRef = { $ref: '#/components/schemas/Error' };
    const create = operationOf(byId('createContact')).responses;
    for (const status of ['400', '413', '415', 'default']) {
      expect(jsonOf(create[status]), status).toEqual(errorRef);
    }
    expect(Object.keys(operationOf(byId('getStatus')).responses)).toEqual(['200', 'default']);
  });

  it('declares bearer-session and X-Api-Key security; public routes have none', () => {
    expect(doc.components.securitySchemes).toEqual({
      sessionToken: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      apiKey: expect.objectContaining({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }),
    });
    expect(operationOf(byId('getStatus')).security).toEqual([]);
    expect(operationOf(byId('deleteContact')).security).toEqual([{ apiKey: ['contacts:write'] }]);
    expect(operationOf(byId('addNote')).security).toEqual([{ sessionToken: [] }, { apiKey: [] }]);
    expect(Object.keys(operationOf(byId('deleteContact')).responses)).toEqual(
      expect.arrayContaining(['401', '403', '404']),
    );
  });
});

describe('openApiDocument refuses at start-up', () => {
  const route = (responses: Record<number, z.ZodType>) =>
    defineRoute({
      method: 'GET',
      url: '/x',
      operationId: 'getX',
      summary: 'x',
      tags: [],
      auth: 'public',
      responses,
      handler: () => ({ status: 200, body: {} }) as never,
    });

  it.each([
    ['a loose response object', z.looseObject({ a: z.string() })],
    ['a nested passthrough object', z.object({ a: z.object({ b: z.string() }).passthrough() })],
    ['a strict response object', z.strictObject({ a: z.string() })],
  ])('%s (it would not whitelist fields)', (_name, schema) => {
    expect(() => openApiDocument([route({ 200: schema })], { info: SAMPLE_INFO })).toThrow(
      /getX: a response object schema .* must be a plain z.object/,
    );
  });

  it('a schema JSON Schema cannot express', () => {
    expect(() => openApiDocument([route({ 200: z.object({ at: z.date() }) })], { info: SAMPLE_INFO })).toThrow(
      /Date cannot be represented/,
    );
  });
});

describe('component naming', () => {
  it('names the response shape of an id plainly, gives a differing input shape an Input twin, shares equal ones', () => {
    const Settings = z.object({ locale: z.string().default('en') }).meta({ id: 'TestSettings' });
    const put = defineRoute({
      method: 'PUT',
      url: '/settings',
      operationId: 'putSettings',
      summary: 's',
      tags: [],
      auth: 'public',
      body: z.object({ settings: Settings }),
      responses: { 200: z.object({ settings: Settings }) },
      handler: ({ body }) => ({ status: 200, body }),
    });
    const generated = openApiDocument([put], { info: SAMPLE_INFO });
    expect(openApi31Problems(generated)).toEqual([]);
    const op = generated.paths['/v1/settings']?.put;
    expect(jsonOf(op?.responses['200'])).toMatchObject({
      properties: { settings: { $ref: '#/components/schemas/TestSettings' } },
    });
    expect(op?.requestBody?.content['application/json'].schema).toMatchObject({
      properties: { settings: { $ref: '#/components/schemas/TestSettingsInput' } },
    });
    expect(generated.components.schemas.TestSettings).toMatchObject({ required: ['locale'] });
    expect(generated.components.schemas.TestSettingsInput).not.toHaveProperty('required');

    // An id whose input and output agree is one component. (An object never does: its output also forbids
    // additional properties.)
    const Tag = z.enum(['red', 'green']).meta({ id: 'TestTag' });
    const tag = defineRoute({
      method: 'POST',
      url: '/tags',
      operationId: 'createTag',
      summary: 't',
      tags: [],
      auth: 'public',
      body: z.object({ tag: Tag }),
      responses: { 201: z.object({ tag: Tag }) },
      handler: ({ body }) => ({ status: 201, body }),
    });
    const shared = openApiDocument([tag], { info: SAMPLE_INFO });
    expect(Object.keys(shared.components.schemas).filter((name) => name.startsWith('TestTag'))).toEqual(['TestTag']);
  });

  it('names recursive schemas after the operation', () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const Tree: z.ZodType<Node> = z.lazy(() => z.object({ name: z.string(), children: z.array(Tree) }));
    const get = defineRoute({
      method: 'GET',
      url: '/tree',
      operationId: 'getTree',
      summary: 't',
      tags: [],
      auth: 'public',
      responses: { 200: z.object({ root: Tree }) },
      handler: () => ({ status: 200, body: { root: { name: 'r', children: [] } } }),
    });
    const generated = openApiDocument([get], { info: SAMPLE_INFO });
    expect(openApi31Problems(generated)).toEqual([]);
    expect(Object.keys(generated.components.schemas)).toEqual(['Error', 'getTree200_schema0']);
  });
});

describe('Idempotency-Key in the document', () => {
  const withHeader = openApiDocument(routes, { info: SAMPLE_INFO, idempotencyKeyHeader: true });

  it('declares the optional header and its 409/422 answers on POST operations only, and stays well formed', () => {
    expect(openApi31Problems(withHeader)).toEqual([]);
    for (const item of Object.values(withHeader.paths)) {
      for (const [verb, op] of Object.entries(item)) {
        const header = op.parameters.find((p) => p.name === 'Idempotency-Key');
        if (verb === 'post') {
          expect(header).toMatchObject({ in: 'header', required: false, schema: { type: 'string', maxLength: 255 } });
          expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '409', '422']));
        } else {
          expect(header).toBeUndefined();
          expect(op.responses['422']).toBeUndefined();
        }
      }
    }
  });

  it('leaves it out when the API does not honour it', () => {
    for (const item of Object.values(doc.paths)) {
      for (const op of Object.values(item)) expect(op.parameters.some((p) => p.in === 'header')).toBe(false);
    }
  });
});
