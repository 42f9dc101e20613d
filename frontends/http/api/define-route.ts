import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';

/**
 * A REST route is data: method, URL, the zod schemas of what it accepts and answers, and a handler. The schemas
 * are the single source for three things: runtime validation (`register-routes.ts`), the handler's TypeScript
 * types (inferred here), and the OpenAPI document (`openapi.ts`). A route never hand-writes any of the three.
 */

/** The methods a REST route may use. HEAD is answered for every GET by fastify; OPTIONS is not an API verb. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * Who may call a route: `public` (anyone), `session` (an operator's bearer session token), `apiKey` (an
 * `X-Api-Key` header), `any` (either credential).
 */
export const AUTH_MODES = ['public', 'session', 'apiKey', 'any'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

/**
 * Response schemas by HTTP status. `null` declares a status without a body (204, or a 202 with nothing to say).
 * Object schemas must strip unknown keys (plain `z.object`), so that they whitelist what leaves the server.
 * `streamedResponse(...)` declares a body streamed as it is produced (an export), which no schema parses;
 * `binaryResponse(...)` a body of bytes in their own type (a stored media file).
 */
export type ResponseSchemas = { readonly [status: number]: z.ZodType | null | StreamedResponse | BinaryResponse };

/**
 * A response whose body is streamed as it is produced (an export of unbounded length: CSV, a JSON array), not one
 * JSON document parsed through a schema. `mediaTypes` maps each media type the route may answer with to what the
 * body holds; JSON is always among them (the API's own type), others are alternatives the client picks (CSV).
 * GET only: a streamed answer cannot be stored for an Idempotency-Key replay.
 */
export interface StreamedResponse {
  readonly streamed: true;
  readonly mediaTypes: { readonly 'application/json': string } & Readonly<Record<string, string>>;
}

export function streamedResponse(mediaTypes: StreamedResponse['mediaTypes']): StreamedResponse {
  return { streamed: true, mediaTypes };
}

export function isStreamedResponse(value: unknown): value is StreamedResponse {
  return typeof value === 'object' && value !== null && (value as { streamed?: unknown }).streamed === true;
}

/** What a handler answers a streamed response with: chunks of text, sent as they are produced. */
export interface StreamedBody {
  /** One of the response's media types (a `; charset=utf-8` is added). */
  readonly mediaType: string;
  readonly chunks: AsyncIterable<string>;
  /** Offered as a download under this name (`Content-Disposition: attachment`). Letters, digits, `._-` only. */
  readonly fileName?: string;
}

/**
 * A response whose body is bytes of their own type (a stored media file: `image/jpeg`, `audio/ogg; codecs=opus`,
 * …), not JSON and not text: the handler answers `{ status, binary: BinaryBody }`. GET only, like a streamed one.
 */
export interface BinaryResponse {
  readonly binary: true;
  /** What the bytes are, for the OpenAPI document. */
  readonly description: string;
}

export function binaryResponse(description: string): BinaryResponse {
  return { binary: true, description };
}

export function isBinaryResponse(value: unknown): value is BinaryResponse {
  return typeof value === 'object' && value !== null && (value as { binary?: unknown }).binary === true;
}

/** What a handler answers a binary response with: the bytes, streamed, with their type. */
export interface BinaryBody {
  /** The Content-Type sent as is (no charset added): the handler vouches for it. */
  readonly contentType: string;
  /** Sent as Content-Length when known. */
  readonly sizeBytes?: number;
  readonly data: AsyncIterable<Uint8Array>;
  /** Further response headers (ETag, Cache-Control, Content-Disposition, …), lowercase names. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The schema slots of a route; everything else in a definition is metadata. */
export interface RouteSchemas {
  /** One key per `:name` segment of `url`, nothing else (checked when the route is registered). */
  readonly params?: z.ZodObject;
  /** Query parameters. Unknown parameters are refused unless the object is explicitly `.loose()`. */
  readonly query?: z.ZodObject;
  /** The JSON body. Unknown top-level fields are refused unless the object is `.loose()`. A route without a body
   *  schema ignores any body it is sent. */
  readonly body?: z.ZodType;
  readonly responses: ResponseSchemas;
}

export interface RouteMeta {
  readonly method: HttpMethod;
  /** Relative to the API prefix (`/v1`), fastify syntax: `/contacts/:contactId`. No regex or wildcard segments. */
  readonly url: string;
  /** Unique across the API; client generators turn it into a function name. camelCase, e.g. `listContacts`. */
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly auth: AuthMode;
  /** Scopes the credential must carry; checked by the `authenticate` hook given to `registerApiRoutes`. */
  readonly scopes?: readonly string[];
  /** Overrides the API-wide body limit for this route. */
  readonly bodyLimitBytes?: number;
  readonly deprecated?: boolean;
}

type Parsed<T, Absent> = T extends z.ZodType ? z.output<T> : Absent;

/** What a handler receives: inputs already validated and typed by their schemas, plus fastify's request/reply. */
export interface HandlerContext<S extends RouteSchemas> {
  readonly params: Parsed<S['params'], Record<string, never>>;
  readonly query: Parsed<S['query'], Record<string, never>>;
  readonly body: Parsed<S['body'], undefined>;
  readonly request: FastifyRequest;
  /** For headers (`Location`, `ETag`) only: the status and body are the handler's return value. */
  readonly reply: FastifyReply;
}

/**
 * What a handler returns: one of the declared statuses with a body of its schema's input type. The body is parsed
 * with that schema before it is sent, so fields the schema does not list never leave the server.
 */
export type HandlerResult<R extends ResponseSchemas> = {
  [K in keyof R & number]: R[K] extends StreamedResponse
    ? { status: K; stream: StreamedBody }
    : R[K] extends BinaryResponse
      ? { status: K; binary: BinaryBody }
      : R[K] extends z.ZodType
        ? { status: K; body: z.input<R[K]> }
        : { status: K; body?: undefined };
}[keyof R & number];

/** The definition object as written by a route author (one generic: the schemas, inferred). */
export type RouteDefinition<S extends RouteSchemas> = RouteMeta & { readonly [K in keyof S]: S[K] } & {
  // NoInfer: the statuses come from `responses`, never from what the handler happens to return.
  handler(
    ctx: HandlerContext<S>,
  ): HandlerResult<NoInfer<S['responses']>> | Promise<HandlerResult<NoInfer<S['responses']>>>;
};

/** A route after `defineRoute`, with its types erased so that routes of different shapes share one list. */
export interface ApiRoute extends RouteMeta, RouteSchemas {
  handler(ctx: ApiHandlerContext): ApiHandlerResult | Promise<ApiHandlerResult>;
}

export interface ApiHandlerContext {
  readonly params: Record<string, unknown>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
}

export interface ApiHandlerResult {
  readonly status: number;
  readonly body?: unknown;
  /** For a status declared with `streamedResponse`. */
  readonly stream?: StreamedBody;
  /** For a status declared with `binaryResponse`. */
  readonly binary?: BinaryBody;
}

/**
 * Defines a REST route. The handler's `params`, `query` and `body` are typed from the schemas, and its return value
 * must be one of the declared statuses with a matching body:
 *
 * ```ts
 * export const getContact = defineRoute({
 *   method: 'GET', url: '/contacts/:contactId', operationId: 'getContact', summary: 'Read a contact',
 *   tags: ['contacts'], auth: 'session', scopes: ['contacts:read'],
 *   params: z.object({ contactId: ContactId }),
 *   responses: { 200: Contact },
 *   async handler({ params }) { return { status: 200, body: await contacts.read(params.contactId) } },
 * });
 * ```
 *
 * The definition is checked for what types cannot express (URL syntax, `:name` segments ⇄ `params` keys, a body on
 * GET, at least one response): a mistake throws here, at module load, rather than on the first request.
 */
export function defineRoute<const S extends RouteSchemas>(definition: RouteDefinition<S>): ApiRoute {
  const written = definition as unknown as ApiRoute;
  assertRouteShape(written);
  const route: ApiRoute = { ...written };
  // Normalised here, once, so that validation and the OpenAPI document see the same schemas.
  if (written.query) (route as { query?: z.ZodObject }).query = strictByDefault(written.query);
  if (written.body) (route as { body?: z.ZodType }).body = strictByDefault(written.body);
  return route;
}

/**
 * Unknown top-level query parameters and body fields are refused, not silently dropped: a typo (`?limt=5`, a PATCH
 * of `{"nmae": …}`) would otherwise "succeed" without effect. A route that wants them accepts them explicitly with
 * `.loose()`; nested objects are as their schema says. Non-object bodies are left alone.
 */
function strictByDefault<T extends z.ZodType>(schema: T): T {
  const def = schema._zod.def;
  if (def.type !== 'object' || (def as { catchall?: unknown }).catchall !== undefined) return schema;
  return (schema as unknown as z.ZodObject).strict() as unknown as T;
}

const STATIC_SEGMENT = /^[A-Za-z0-9._~-]+$/;
const PARAM_SEGMENT = /^:([A-Za-z][A-Za-z0-9_]*)$/;
const OPERATION_ID = /^[a-z][A-Za-z0-9]*$/;

/** The `:name` segments of a route URL, in order. */
export function urlParamNames(url: string): string[] {
  return url
    .split('/')
    .map((segment) => PARAM_SEGMENT.exec(segment)?.[1])
    .filter((name): name is string => name !== undefined);
}

function assertRouteShape(route: ApiRoute): void {
  const where = `route ${route.operationId} (${route.method} ${route.url})`;
  const fail = (reason: string): never => {
    throw new TypeError(`${where}: ${reason}`);
  };
  if (!OPERATION_ID.test(route.operationId)) fail('operationId must be camelCase letters and digits');
  if (!HTTP_METHODS.includes(route.method)) fail(`method must be one of ${HTTP_METHODS.join(', ')}`);
  if (!AUTH_MODES.includes(route.auth)) fail(`auth must be one of ${AUTH_MODES.join(', ')}`);
  if (route.auth === 'public' && route.scopes !== undefined && route.scopes.length > 0) {
    fail('a public route cannot require scopes');
  }
  if (!route.url.startsWith('/')) fail('url must start with /');
  if (route.url !== '/') {
    for (const segment of route.url.slice(1).split('/')) {
      if (!STATIC_SEGMENT.test(segment) && !PARAM_SEGMENT.test(segment)) {
        fail(`url segment "${segment}" must be a plain word or :name (validate formats with the params schema)`);
      }
    }
  }
  const inUrl = urlParamNames(route.url);
  if (new Set(inUrl).size !== inUrl.length) fail('url repeats a :name segment');
  const inSchema = route.params ? Object.keys(route.params.shape) : [];
  const missing = inUrl.filter((name) => !inSchema.includes(name));
  const extra = inSchema.filter((name) => !inUrl.includes(name));
  if (missing.length > 0) fail(`params schema lacks ${missing.map((n) => `:${n}`).join(', ')}`);
  if (extra.length > 0) fail(`params schema has ${extra.join(', ')}, which the url does not contain`);
  if (route.method === 'GET' && route.body !== undefined) fail('a GET route cannot take a body');
  const statuses = Object.keys(route.responses).map(Number);
  if (statuses.length === 0) fail('declare at least one response');
  for (const status of statuses) {
    if (!Number.isInteger(status) || status < 200 || status > 399) {
      fail(`response status ${status} must be a 2xx or 3xx: errors are thrown as ParloError, not returned`);
    }
    const response = route.responses[status];
    if (isStreamedResponse(response)) {
      if (route.method !== 'GET') fail(`response ${status} is streamed: only a GET route may stream its answer`);
      if (typeof response.mediaTypes['application/json'] !== 'string') {
        fail(`streamed response ${status} must offer application/json among its media types`);
      }
    }
    if (isBinaryResponse(response) && route.method !== 'GET') {
      fail(`response ${status} is binary: only a GET route may answer with bytes`);
    }
  }
  if (route.bodyLimitBytes !== undefined && !(Number.isInteger(route.bodyLimitBytes) && route.bodyLimitBytes > 0)) {
    fail('bodyLimitBytes must be a positive integer');
  }
}
