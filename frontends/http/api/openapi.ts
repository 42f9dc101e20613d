import { STATUS_CODES } from 'node:http';
import { z } from 'zod';
import { isBinaryResponse, isStreamedResponse, type ApiRoute, type AuthMode } from './define-route.ts';
import { ErrorBody } from './errors.ts';

/**
 * The OpenAPI 3.1 document, generated from the route definitions: paths and operationIds from `method`/`url`,
 * parameters from the `params`/`query` objects, request and response bodies via `z.toJSONSchema` (JSON Schema
 * 2020-12, which is OpenAPI 3.1's own dialect). Nothing in it is written by hand, so it cannot drift from what the
 * server validates.
 *
 * Schemas given an id with `.meta({ id: 'Contact' })` become `components.schemas.Contact` and are referenced; the
 * rest are inlined. Inputs are converted with `io: 'input'` (a field with a default is optional) and responses with
 * `io: 'output'`.
 */

export type JsonSchema = z.core.JSONSchema.BaseSchema;

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

export interface OpenApiOptions {
  readonly info: OpenApiInfo;
  /** Where the routes are mounted; default `/v1`. */
  readonly prefix?: string;
  readonly servers?: readonly { readonly url: string; readonly description?: string }[];
  /** Declare the optional `Idempotency-Key` header (and its 409/422 answers) on POST operations. */
  readonly idempotencyKeyHeader?: boolean;
}

export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

/** By media type; JSON is always there, a streamed response adds others (`text/csv`). */
export interface OpenApiMediaContent {
  readonly 'application/json': { readonly schema: JsonSchema };
  readonly [mediaType: string]: { readonly schema: JsonSchema };
}

/** A binary response (`binaryResponse`): bytes of any type, named by the answer's Content-Type. No JSON form. */
export interface OpenApiBinaryContent {
  readonly '*/*': { readonly schema: JsonSchema };
}

export interface OpenApiResponse {
  readonly description: string;
  readonly content?: OpenApiMediaContent | OpenApiBinaryContent;
}

export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly deprecated?: boolean;
  readonly parameters: readonly OpenApiParameter[];
  readonly requestBody?: { readonly required: boolean; readonly content: OpenApiMediaContent };
  readonly responses: Readonly<Record<string, OpenApiResponse>>;
  /** `[]` for public routes; otherwise the accepted credentials, each with the scopes the route requires. */
  readonly security: readonly Readonly<Record<string, readonly string[]>>[];
}

export type OpenApiSecurityScheme =
  | { readonly type: 'http'; readonly scheme: 'bearer'; readonly description: string }
  | { readonly type: 'apiKey'; readonly in: 'header'; readonly name: string; readonly description: string };

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: OpenApiInfo;
  readonly servers?: readonly { readonly url: string; readonly description?: string }[];
  readonly tags: readonly { readonly name: string }[];
  readonly paths: Readonly<Record<string, Readonly<Record<string, OpenApiOperation>>>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, JsonSchema>>;
    readonly securitySchemes: Readonly<Record<string, OpenApiSecurityScheme>>;
  };
}

export const DEFAULT_API_PREFIX = '/v1';

/** Security scheme names in `components.securitySchemes`. */
export const SECURITY_SCHEMES = {
  sessionToken: {
    type: 'http',
    scheme: 'bearer',
    description: "An operator's session token: `Authorization: Bearer <token>`.",
  },
  apiKey: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Api-Key',
    description: 'An organisation API key.',
  },
} as const satisfies Record<string, OpenApiSecurityScheme>;

const SECURITY_BY_AUTH: Readonly<Record<AuthMode, readonly (keyof typeof SECURITY_SCHEMES)[]>> = {
  public: [],
  session: ['sessionToken'],
  apiKey: ['apiKey'],
  any: ['sessionToken', 'apiKey'],
};

const ERROR_REF: JsonSchema = { $ref: '#/components/schemas/Error' };

/** The `Idempotency-Key` request header of POST operations (see `idempotency.ts`). */
export const IDEMPOTENCY_KEY_PARAMETER: OpenApiParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes a retry safe: the first response to this key is stored for at least 24 hours and replayed, with ' +
    '`Idempotent-Replayed: true`, to every retry of the same request. The same key with a different request answers ' +
    '422 PARLO_IDEMPOTENCY_KEY_REUSED; while the first request still runs, 409 PARLO_IDEMPOTENCY_IN_FLIGHT with ' +
    'Retry-After. Use a new random key (a UUID) per request.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x20-\\x7E]+$' },
};

/** Builds the document; throws (at start-up, not on a request) on a schema that JSON Schema cannot express. */
export function openApiDocument(routes: readonly ApiRoute[], options: OpenApiOptions): OpenApiDocument {
  const prefix = options.prefix ?? DEFAULT_API_PREFIX;
  const components = new ComponentSchemas();
  components.put('Error', components.convert(ErrorBody, 'output', 'Error'));

  // Responses first, for every route: a named schema's plain component name is then always its response (output)
  // shape, and an input shape that differs is the `…Input` twin, whatever the order of the routes.
  const responses = routes.map((route) => successResponses(route, components));
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  routes.forEach((route, i) => {
    const path = openApiPath(prefix, route.url);
    const operations = (paths[path] ??= {});
    const idempotent = options.idempotencyKeyHeader === true && route.method === 'POST';
    operations[route.method.toLowerCase()] = operation(route, responses[i] ?? {}, components, idempotent);
  });
  const tags = [...new Set(routes.flatMap((route) => route.tags))].sort().map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: options.info,
    ...(options.servers ? { servers: options.servers } : {}),
    tags,
    paths,
    components: { schemas: components.all(), securitySchemes: SECURITY_SCHEMES },
  };
}

/** `/v1` + `/contacts/:contactId` → `/v1/contacts/{contactId}`. */
export function openApiPath(prefix: string, url: string): string {
  const joined = url === '/' ? prefix || '/' : `${prefix}${url}`;
  return joined.replace(/:([A-Za-z][A-Za-z0-9_]*)/g, '{$1}');
}

function successResponses(route: ApiRoute, components: ComponentSchemas): Record<string, OpenApiResponse> {
  const responses: Record<string, OpenApiResponse> = {};
  for (const [status, schema] of Object.entries(route.responses)) {
    const description = STATUS_CODES[Number(status)] ?? `HTTP ${status}`;
    if (isStreamedResponse(schema)) {
      // A streamed body is text in the chosen media type; its shape is described in words.
      const text = (what: string) => ({ schema: { type: 'string', description: what } satisfies JsonSchema });
      const content: OpenApiMediaContent = {
        ...Object.fromEntries(Object.entries(schema.mediaTypes).map(([mediaType, what]) => [mediaType, text(what)])),
        'application/json': text(schema.mediaTypes['application/json']),
      };
      responses[status] = { description: `${description} (streamed)`, content };
      continue;
    }
    if (isBinaryResponse(schema)) {
      const binary = { type: 'string', format: 'binary', description: schema.description } satisfies JsonSchema;
      responses[status] = { description, content: { '*/*': { schema: binary } } };
      continue;
    }
    responses[status] =
      schema === null
        ? { description }
        : {
            description,
            content: {
              'application/json': {
                schema: components.convert(schema, 'output', `${route.operationId}${status}`, route),
              },
            },
          };
  }
  return responses;
}

function operation(
  route: ApiRoute,
  success: Readonly<Record<string, OpenApiResponse>>,
  components: ComponentSchemas,
  idempotent: boolean,
): OpenApiOperation {
  const hint = route.operationId;
  const parameters = [
    ...objectParameters(route.params, 'path', components, hint),
    ...objectParameters(route.query, 'query', components, hint),
    ...(idempotent ? [IDEMPOTENCY_KEY_PARAMETER] : []),
  ];
  const responses: Record<string, OpenApiResponse> = { ...success };
  const error = (description: string): OpenApiResponse => ({
    description,
    content: { 'application/json': { schema: ERROR_REF } },
  });
  if (parameters.length > 0 || route.body) {
    responses['400'] = error('The request broke its schema (PARLO_VALIDATION_FAILED) or is not valid JSON.');
  }
  if (route.auth !== 'public') {
    responses['401'] = error('No valid credential was presented.');
    responses['403'] = error('The credential lacks a required scope.');
  }
  if (route.params) responses['404'] = error('No such resource.');
  if (idempotent) {
    responses['409'] = error('A request with this Idempotency-Key is still running (PARLO_IDEMPOTENCY_IN_FLIGHT).');
    responses['422'] = error('The Idempotency-Key was used for a different request (PARLO_IDEMPOTENCY_KEY_REUSED).');
  }
  if (route.body) {
    responses['413'] = error('The body exceeds the size limit (PARLO_BODY_TOO_LARGE).');
    responses['415'] = error('The body is not application/json (PARLO_UNSUPPORTED_MEDIA_TYPE).');
  }
  responses.default = error('Any other error, with a code from docs/errors.md.');

  const requestBody = route.body
    ? {
        required: route.body._zod.optin !== 'optional',
        content: { 'application/json': { schema: components.convert(route.body, 'input', `${hint}Body`) } },
      }
    : undefined;

  return {
    operationId: route.operationId,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: route.tags,
    ...(route.deprecated ? { deprecated: true } : {}),
    parameters,
    ...(requestBody ? { requestBody } : {}),
    responses,
    security: SECURITY_BY_AUTH[route.auth].map((scheme) => ({ [scheme]: route.scopes ?? [] })),
  };
}

function objectParameters(
  schema: z.ZodObject | undefined,
  where: 'path' | 'query',
  components: ComponentSchemas,
  hint: string,
): OpenApiParameter[] {
  if (!schema) return [];
  const json = components.resolve(components.convert(schema, 'input', `${hint}${where === 'path' ? 'Path' : 'Query'}`));
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set(json.required ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    schema: property,
  }));
}

const COMPONENT_NAME = /^[A-Za-z0-9._-]+$/;

/**
 * `components.schemas`, filled as schemas are converted. Each conversion's `$defs` are hoisted here and its
 * `#/$defs/X` references rewritten. A name is reused only for identical JSON: an id whose input and output shapes
 * differ (a field with a default) gets an `Input` twin, and zod's anonymous defs (`__schema0`, from recursive
 * schemas) are named after the operation.
 */
class ComponentSchemas {
  private readonly schemas: Record<string, JsonSchema> = {};

  all(): Record<string, JsonSchema> {
    return { ...this.schemas };
  }

  put(name: string, schema: JsonSchema): void {
    this.schemas[name] = schema;
  }

  /** Follows a top-level `$ref` to its component (a params/query object that was given an id). */
  resolve(schema: JsonSchema): JsonSchema {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    return this.schemas[ref.replace('#/components/schemas/', '')] ?? schema;
  }

  /** `route` is given for response schemas, which must whitelist (strip) unknown keys. */
  convert(schema: z.ZodType, io: 'input' | 'output', hint: string, route?: ApiRoute): JsonSchema {
    const generated = z.toJSONSchema(schema, {
      io,
      target: 'draft-2020-12',
      override: route ? (ctx) => assertWhitelists(ctx.zodSchema, ctx.path, route) : undefined,
    });
    const { $schema: _dialect, $defs = {}, ...root } = generated;
    const keys = Object.keys($defs);
    const base = (key: string): string => (key.startsWith('__') ? `${hint}_${key.slice(2)}` : key);
    // Names depend on content (an identical component is shared) and content on names (references), so settle
    // them by iteration; it converges in one or two rounds because only collisions rename.
    let renames = new Map(keys.map((key) => [key, base(key)]));
    for (let round = 0; round < 5; round += 1) {
      const current = renames;
      const next = new Map(
        keys.map((key) => [key, this.nameFor(base(key), io, rewriteRefs($defs[key], current) as JsonSchema)]),
      );
      renames = next;
      if (keys.every((key) => next.get(key) === current.get(key))) break;
    }
    for (const key of keys) {
      const name = renames.get(key) ?? base(key);
      this.schemas[name] ??= rewriteRefs($defs[key], renames) as JsonSchema;
    }
    return rewriteRefs(root, renames) as JsonSchema;
  }

  /** The first candidate name that is free or already holds exactly this schema. */
  private nameFor(id: string, io: 'input' | 'output', def: JsonSchema): string {
    if (!COMPONENT_NAME.test(id)) {
      throw new TypeError(`schema id "${id}" is not a valid OpenAPI component name (letters, digits, . _ -)`);
    }
    const json = JSON.stringify(def);
    const candidates = [id, io === 'input' ? `${id}Input` : `${id}Output`];
    for (let n = 2; n < 20; n += 1) candidates.push(`${id}_${n}`);
    const name = candidates.find((candidate) => {
      const existing = this.schemas[candidate];
      return existing === undefined || JSON.stringify(existing) === json;
    });
    if (name === undefined) throw new TypeError(`too many different schemas share the id "${id}"`);
    return name;
  }
}

/** Points zod's `#/$defs/X` references at `#/components/schemas/<renamed X>`. */
function rewriteRefs(node: unknown, renames: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(node)) return node.map((item) => rewriteRefs(item, renames));
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#/$defs/')
        ? `#/components/schemas/${renames.get(value.slice('#/$defs/'.length)) ?? value}`
        : rewriteRefs(value, renames);
  }
  return out;
}

/**
 * Response bodies are parsed with their schema so that only listed fields leave the server. A loose object
 * (`.loose()`, `.passthrough()`, `.catchall()`) would let anything through, and a strict one would turn an extra
 * field into a 500 instead of dropping it; both are refused when the document is built.
 */
function assertWhitelists(schema: z.core.$ZodTypes, path: readonly (string | number)[], route: ApiRoute): void {
  if (schema._zod.def.type !== 'object') return;
  if (schema._zod.def.catchall === undefined) return;
  const at = path.length === 0 ? 'the root' : `/${path.join('/')}`;
  throw new TypeError(
    `route ${route.operationId}: a response object schema (at ${at}) must be a plain z.object, which strips unknown ` +
      'keys; loose or strict objects do not whitelist fields',
  );
}
