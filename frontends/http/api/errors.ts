import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ERROR_CODES, errorCodeOf, isErrorCode, type ErrorCode } from '../../../core/index.ts';

/**
 * The HTTP error mapper (STYLE 2.4, rule 5): every failure the API answers, whatever raised it, leaves as
 *
 *   `{ "error": { "code": "PARLO_…", "message": "…", "details": … } }`
 *
 * with the status the registry (`core/errors/codes.ts`) gives the code. Errors are recognised by their `code`,
 * never by `instanceof`: a ParloError, fastify's own `FST_ERR_*` client errors, or anything else, which is a bug:
 * it is logged in full and answered as `PARLO_INTERNAL_ERROR` with only the request id.
 */

/** The one error body, also the `Error` schema of the OpenAPI document. */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().describe('A stable PARLO_* code from docs/errors.md; compare this, not the message.'),
      message: z.string().describe('For people; names the field and rule for validation errors. May change.'),
      details: z
        .unknown()
        .optional()
        .describe(
          'Structured context when there is any. For PARLO_VALIDATION_FAILED: [{ location, path, rule, message }].',
        ),
    }),
  })
  .describe('The body of every error response.');
export type ErrorBody = z.infer<typeof ErrorBody>;

export function errorBody(code: ErrorCode, message: string, details?: unknown): ErrorBody {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

/** What an error becomes on the wire, plus whether it is a bug worth an error log line. */
export interface MappedError {
  readonly status: number;
  readonly body: ErrorBody;
  readonly isBug: boolean;
}

/** The request facts a mapping may quote: the id (for 500s) and the route's limits. */
export interface ErrorContext {
  readonly requestId: string;
  readonly bodyLimitBytes?: number | undefined;
  readonly contentType?: string | undefined;
}

/** The media type the API accepts for bodies. */
export const ACCEPTED_MEDIA_TYPES = ['application/json'] as const;

/** Pure: an error of any origin → status + body. `apiErrorHandler` is this plus logging and sending. */
export function mapError(error: unknown, context: ErrorContext): MappedError {
  const code = errorCodeOf(error);
  if (isErrorCode(code)) {
    const { message, details } = error as { message?: unknown; details?: unknown };
    const status = ERROR_CODES[code].httpStatus;
    return {
      status,
      body: errorBody(code, typeof message === 'string' ? message : ERROR_CODES[code].summary, details),
      isBug: status >= 500,
    };
  }
  const fastify = fastifyClientError(error, code, context);
  if (fastify) return { status: ERROR_CODES[fastify.code].httpStatus, body: fastify.body, isBug: false };
  return {
    status: ERROR_CODES.PARLO_INTERNAL_ERROR.httpStatus,
    body: errorBody('PARLO_INTERNAL_ERROR', `internal error; quote request id ${context.requestId} when reporting it`, {
      requestId: context.requestId,
    }),
    isBug: true,
  };
}

function fastifyClientError(
  error: unknown,
  code: string | undefined,
  context: ErrorContext,
): { code: ErrorCode; body: ErrorBody } | undefined {
  const mapped = (c: ErrorCode, message: string, details?: unknown) => ({
    code: c,
    body: errorBody(c, message, details),
  });
  switch (code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return context.bodyLimitBytes === undefined
        ? mapped('PARLO_BODY_TOO_LARGE', 'request body is too large')
        : mapped('PARLO_BODY_TOO_LARGE', `request body exceeds the limit of ${context.bodyLimitBytes} bytes`, {
            limitBytes: context.bodyLimitBytes,
          });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const contentType = clip(context.contentType ?? '', 100);
      return mapped(
        'PARLO_UNSUPPORTED_MEDIA_TYPE',
        `content type ${JSON.stringify(contentType)} is not accepted; send ${ACCEPTED_MEDIA_TYPES.join(' or ')}`,
        { contentType, accepted: ACCEPTED_MEDIA_TYPES },
      );
    }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return mapped('PARLO_MALFORMED_JSON', 'request body is empty but its content type is application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      // secure-json-parse also lands here for __proto__ / constructor.prototype keys (prototype poisoning).
      return mapped('PARLO_MALFORMED_JSON', 'request body is not valid JSON');
    default: {
      // Any other client error raised while fastify read the request (bad URL encoding, a Content-Length that does
      // not match the body, a stream cut short). Only fastify's own messages are known to be safe to repeat.
      const statusCode = (error as { statusCode?: unknown } | null)?.statusCode;
      if (typeof statusCode !== 'number' || statusCode < 400 || statusCode > 499) return undefined;
      const message = (error as { message?: unknown }).message;
      const isFastify = code?.startsWith('FST_') === true && typeof message === 'string';
      return mapped('PARLO_BAD_REQUEST', isFastify ? message : 'the request could not be read');
    }
  }
}

/** fastify error handler: maps, logs bugs (with the full error, never sent), and answers with the one body. */
export function apiErrorHandler(error: Error, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const contentType = request.headers['content-type'];
  const mapped = mapError(error, {
    requestId: request.id,
    bodyLimitBytes: routeBodyLimit(request),
    contentType: typeof contentType === 'string' ? contentType : undefined,
  });
  if (mapped.isBug) {
    request.log.error(
      { err: error, code: mapped.body.error.code, method: request.method, url: request.url },
      'request failed',
    );
  }
  // 429s (and a 409 for an Idempotency-Key still in flight) say when to come back (RFC 9110 Retry-After, seconds).
  const details: unknown = mapped.body.error.details;
  if (
    (mapped.status === 429 || mapped.status === 409) &&
    details &&
    typeof details === 'object' &&
    'retryAfterSeconds' in details
  ) {
    reply.header('retry-after', String(details.retryAfterSeconds));
  }
  return reply.code(mapped.status).type('application/json; charset=utf-8').send(mapped.body);
}

/**
 * For fastify's `frameworkErrors` option: errors raised before routing (a URL that is not valid percent-encoding)
 * otherwise bypass every error handler and answer with fastify's own body.
 */
export function apiFrameworkErrorHandler(error: Error, request: FastifyRequest, reply: FastifyReply): void {
  void apiErrorHandler(error, request, reply);
}

/** Methods probed to tell "no such path" (404) from "no such method on this path" (405). */
const PROBED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** fastify not-found handler: 405 with `Allow` when the path exists for other methods, else 404. */
export function apiNotFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const path = request.url.split('?', 1)[0] ?? '/';
  const routed = (method: string): boolean =>
    // Typed as always returning a match; find-my-way returns null when nothing matches.
    (request.server.findRoute({ method, url: path }) as ReturnType<FastifyInstance['findRoute']> | null) !== null;
  // A route for this very method exists when a handler called reply.callNotFound(): that is a 404, not a 405.
  const allowed = routed(request.method) ? [] : PROBED_METHODS.filter(routed);
  const shown = clip(path, 200);
  if (allowed.length > 0) {
    return reply
      .code(ERROR_CODES.PARLO_METHOD_NOT_ALLOWED.httpStatus)
      .header('allow', allowed.join(', '))
      .type('application/json; charset=utf-8')
      .send(
        errorBody(
          'PARLO_METHOD_NOT_ALLOWED',
          `${request.method} is not allowed on ${shown}; use ${allowed.join(', ')}`,
          {
            allowed,
          },
        ),
      );
  }
  return reply
    .code(ERROR_CODES.PARLO_ROUTE_NOT_FOUND.httpStatus)
    .type('application/json; charset=utf-8')
    .send(errorBody('PARLO_ROUTE_NOT_FOUND', `no route matches ${request.method} ${shown}`));
}

/**
 * Installs the mapper on `app` (the root instance, so that every route, and every path that matches none, answers
 * with the one error body). Encapsulated plugins that set their own error handler (the WhatsApp webhook) keep it.
 * `notFound` replaces the not-found handler when something else answers some unmatched paths (the inbox web app's
 * client-side routes) and delegates the rest to `apiNotFoundHandler`.
 */
export function useApiErrorMapper(
  app: FastifyInstance,
  notFound: (request: FastifyRequest, reply: FastifyReply) => FastifyReply | Promise<FastifyReply> = apiNotFoundHandler,
): void {
  app.setErrorHandler(apiErrorHandler);
  app.setNotFoundHandler(notFound);
}

/** Errors raised before routing (fastify's `frameworkErrors`) come with a request that has no route context. */
function routeBodyLimit(request: FastifyRequest): number | undefined {
  try {
    return request.routeOptions.bodyLimit;
  } catch {
    return undefined;
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
