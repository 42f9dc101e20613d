import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { z } from 'zod';
import {
  isBinaryResponse,
  isStreamedResponse,
  type ApiHandlerResult,
  type ApiRoute,
  type AuthMode,
  type BinaryBody,
  type StreamedBody,
} from './define-route.ts';
import { apiErrorHandler, apiNotFoundHandler } from './errors.ts';
import {
  IDEMPOTENT_METHODS,
  idempotencyCaller,
  idempotencyRecordId,
  readIdempotencyKey,
  requestFingerprint,
  responseBox,
  runIdempotent,
  type IdempotencyOptions,
} from './idempotency.ts';
import { DEFAULT_API_PREFIX, openApiDocument, type OpenApiDocument, type OpenApiOptions } from './openapi.ts';
import { parseInput, validationFailed, type ValidationDetail } from './validation.ts';

/**
 * Mounts route definitions on fastify under `/v1` and serves their OpenAPI document at `/openapi.json`.
 *
 * Validation is ours, not fastify's: no route gets a fastify `schema`, so ajv never runs and every input goes
 * through its zod schema here, where failures become `PARLO_VALIDATION_FAILED` with the field and rule
 * (`validation.ts`). Params, query and body are parsed together so that one 400 lists all of their problems.
 */

/** What a non-public route demands of the caller, as passed to `authenticate`. */
export interface AuthRequirement {
  readonly auth: Exclude<AuthMode, 'public'>;
  readonly scopes: readonly string[];
}

/**
 * Checks the caller's credential for a non-public route before its body is read. It throws a ParloError (401 / 403
 * codes of the auth plugin) to refuse, and may decorate the request with the principal for handlers to read.
 */
export type Authenticate = (request: FastifyRequest, requirement: AuthRequirement) => void | Promise<void>;

/**
 * Admits a request to a public route before its body is read (the per-address rate limit); throws a ParloError
 * (429) to refuse.
 */
export type GuardPublic = (request: FastifyRequest) => void | Promise<void>;

export interface ApiRoutesOptions extends OpenApiOptions {
  /** Required as soon as one route is not public: a guarded route without a guard must not start. */
  readonly authenticate?: Authenticate;
  /** Default body limit for routes that do not set `bodyLimitBytes`. */
  readonly bodyLimitBytes?: number;
  /** Where the OpenAPI document is served; `false` to not serve it. Default `/openapi.json`. */
  readonly openApiPath?: string | false;
  /** Honours `Idempotency-Key` on POST routes (`idempotency.ts`); absent: the header is ignored. */
  readonly idempotency?: IdempotencyOptions;
  /** Runs in `onRequest` of every public route (per-address rate limit). */
  readonly guardPublic?: GuardPublic;
}

/** fastify's own default, stated so that the 413 message and the docs can quote it. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
export const DEFAULT_OPENAPI_PATH = '/openapi.json';

/** A route without a query schema accepts no query parameters. */
const NO_QUERY = z.strictObject({});

/**
 * Registers `routes` (an encapsulated plugin under `options.prefix`, default `/v1`) and the OpenAPI document.
 * Everything that can be checked without a request is checked now and throws: duplicate operationIds or paths,
 * guarded routes without `authenticate`, schemas JSON Schema cannot express, response schemas that do not whitelist.
 * Returns the document (the same object `/openapi.json` serves).
 */
export function registerApiRoutes(
  app: FastifyInstance,
  routes: readonly ApiRoute[],
  options: ApiRoutesOptions,
): OpenApiDocument {
  assertUnique(routes);
  const guarded = routes.filter((route) => route.auth !== 'public');
  const { authenticate } = options;
  if (guarded.length > 0 && !authenticate) {
    throw new TypeError(
      `routes ${guarded.map((route) => route.operationId).join(', ')} need a credential, but no authenticate hook was given`,
    );
  }
  const document = openApiDocument(routes, { ...options, idempotencyKeyHeader: options.idempotency !== undefined });
  const prefix = options.prefix ?? DEFAULT_API_PREFIX;
  const bodyLimit = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;

  void app.register(
    async (api) => {
      // The API speaks JSON only: a text/plain body is a 415, not a string handed to a schema expecting an object.
      api.removeContentTypeParser('text/plain');
      // Also set here (not only on the root by useApiErrorMapper) so that the API keeps its error body wherever it
      // is mounted.
      api.setErrorHandler(apiErrorHandler);
      if (prefix !== '') api.setNotFoundHandler(apiNotFoundHandler);
      for (const route of routes) api.route(fastifyRoute(route, bodyLimit, options));
    },
    { prefix },
  );

  const openApiPath = options.openApiPath ?? DEFAULT_OPENAPI_PATH;
  if (openApiPath !== false) {
    const json = JSON.stringify(document);
    app.get(openApiPath, (_request, reply) =>
      reply.type('application/json; charset=utf-8').header('cache-control', 'no-cache').send(json),
    );
  }
  return document;
}

function fastifyRoute(route: ApiRoute, defaultBodyLimit: number, options: ApiRoutesOptions): RouteOptions {
  const { authenticate, guardPublic } = options;
  const query = route.query ?? NO_QUERY;
  const requirement: AuthRequirement | undefined =
    route.auth === 'public' ? undefined : { auth: route.auth, scopes: route.scopes ?? [] };
  // onRequest runs before the body is read: an anonymous caller cannot make us parse megabytes.
  const onRequest =
    requirement && authenticate
      ? async (request: FastifyRequest) => authenticate(request, requirement)
      : !requirement && guardPublic
        ? async (request: FastifyRequest) => guardPublic(request)
        : undefined;
  const idempotency = IDEMPOTENT_METHODS.includes(route.method) ? options.idempotency : undefined;
  return {
    method: route.method,
    url: route.url,
    bodyLimit: route.bodyLimitBytes ?? defaultBodyLimit,
    config: { operationId: route.operationId },
    ...(onRequest ? { onRequest } : {}),
    handler: async (request, reply) => {
      const problems: ValidationDetail[] = [];
      const params = route.params ? parseInput('params', route.params, request.params, problems) : {};
      const parsedQuery = parseInput('query', query, request.query, problems);
      const body = route.body ? parseInput('body', route.body, request.body, problems) : undefined;
      const idempotencyKey = idempotency ? readIdempotencyKey(request, problems) : undefined;
      if (problems.length > 0) throw validationFailed(problems);
      const execute = async () =>
        serialise(
          route,
          await route.handler({
            params: params as Record<string, unknown>,
            query: parsedQuery as Record<string, unknown>,
            body,
            request,
            reply,
          }),
        );
      if (!idempotency || idempotencyKey === undefined) return send(reply, await execute());
      const { scope, principal } = idempotencyCaller(route, request, idempotency);
      return runIdempotent({
        store: idempotency.store,
        recordId: idempotencyRecordId(scope, idempotencyKey),
        box: responseBox(scope, idempotencyKey),
        fingerprint: requestFingerprint(
          { method: route.method, operationId: route.operationId, principal, params, query: parsedQuery, body },
          scope,
          idempotencyKey,
        ),
        request,
        reply,
        execute,
      });
    },
  };
}

/**
 * A handler's result through its response schema, as the status and body text to send. A status the route does not
 * declare, or a body that breaks the schema, is a bug in the handler: it throws, the mapper logs it and answers 500
 * without the details.
 */
function serialise(
  route: ApiRoute,
  result: ApiHandlerResult,
): { status: number; body: string | null; stream?: StreamedBody; binary?: BinaryBody } {
  const schema = route.responses[result.status];
  if (schema === undefined) {
    throw new Error(`${route.operationId} returned status ${result.status}, which its definition does not declare`);
  }
  if (schema === null) return { status: result.status, body: null };
  if (isStreamedResponse(schema)) {
    const stream = result.stream;
    if (stream === undefined || !Object.hasOwn(schema.mediaTypes, stream.mediaType)) {
      throw new Error(
        `${route.operationId} answered its streamed ${result.status} without a stream in one of ${Object.keys(schema.mediaTypes).join(', ')}`,
      );
    }
    return { status: result.status, body: null, stream };
  }
  if (isBinaryResponse(schema)) {
    if (result.binary === undefined) {
      throw new Error(`${route.operationId} answered its binary ${result.status} without bytes`);
    }
    return { status: result.status, body: null, binary: result.binary };
  }
  const parsed = schema.safeParse(result.body);
  if (!parsed.success) {
    throw new Error(
      `${route.operationId} returned a ${result.status} body that breaks its response schema:\n${z.prettifyError(parsed.error)}`,
    );
  }
  // Serialised here so that a string body is still JSON (fastify would send a bare string as text/plain).
  return { status: result.status, body: JSON.stringify(parsed.data) };
}

function send(
  reply: FastifyReply,
  answer: { status: number; body: string | null; stream?: StreamedBody; binary?: BinaryBody },
): FastifyReply {
  reply.code(answer.status);
  if (answer.binary) {
    const { contentType, sizeBytes, data, headers } = answer.binary;
    for (const [name, value] of Object.entries(headers ?? {})) reply.header(name, value);
    reply.type(contentType);
    if (sizeBytes !== undefined) reply.header('content-length', sizeBytes);
    return reply.send(data instanceof Readable ? data : Readable.from(data, { objectMode: false }));
  }
  if (answer.stream) {
    // Sent as produced. An error after the first chunk can only cut the response short (the status is gone).
    const { mediaType, chunks, fileName } = answer.stream;
    reply.type(`${mediaType}; charset=utf-8`);
    if (fileName !== undefined && /^[A-Za-z0-9._-]{1,200}$/.test(fileName)) {
      reply.header('content-disposition', `attachment; filename="${fileName}"`);
    }
    return reply.send(Readable.from(chunks, { objectMode: false }));
  }
  if (answer.body === null) return reply.send();
  return reply.type('application/json; charset=utf-8').send(answer.body);
}

function assertUnique(routes: readonly ApiRoute[]): void {
  const ids = new Set<string>();
  const endpoints = new Set<string>();
  for (const route of routes) {
    if (ids.has(route.operationId)) throw new TypeError(`operationId ${route.operationId} is used twice`);
    ids.add(route.operationId);
    // `:a` and `:b` at the same place are the same path to the router.
    const endpoint = `${route.method} ${route.url.replace(/:[A-Za-z0-9_]+/g, ':')}`;
    if (endpoints.has(endpoint)) throw new TypeError(`${route.method} ${route.url} is defined twice`);
    endpoints.add(endpoint);
  }
}
