import { createHash, createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, ParloError, SecretBox, errorCodeOf, isErrorCode } from '../../../core/index.ts';
import type { ApiRoute } from './define-route.ts';
import { mapError } from './errors.ts';
import type { ValidationDetail } from './validation.ts';

/**
 * `Idempotency-Key` for the REST API (draft-ietf-httpapi-idempotency-key-header): a client that sends a POST with a
 * key and retries it with the same key gets the first response again instead of creating or sending twice.
 *
 * The key is honoured after the inputs passed validation (a request that fails validation stores nothing) and after
 * authentication (`onRequest`), and it is scoped: to the caller's organisation on guarded routes, to `public` on
 * public ones. The record of a key lives in a durable store shared by every node (`IdempotencyStore`, backed by the
 * `idempotency` actor), keyed by `<scope>.<SHA-256 of the key>`; the request is summarised by a fingerprint, an
 * HMAC-SHA256 (keyed by scope and Idempotency-Key) of method, operationId, principal (user or API key) and the
 * validated params, query and body in canonical JSON. Then:
 *
 * - first time: the handler runs; a 2xx, or a ParloError 4xx other than 429, is stored with its exact body text and
 *   its replayable headers (`REPLAYED_HEADERS`) for the retention, then sent; a 5xx, a 429 or an unexpected error
 *   releases the key so that a retry runs again;
 * - same key, same fingerprint, finished: the stored status, headers and body, plus `Idempotent-Replayed: true`;
 * - same key, same fingerprint, still running: 409 PARLO_IDEMPOTENCY_IN_FLIGHT with Retry-After;
 * - same key, another fingerprint (another body, route or caller): 422 PARLO_IDEMPOTENCY_KEY_REUSED.
 *
 * Stored bodies are sealed (AES-256-GCM, `SecretBox`) with a key derived from the client's Idempotency-Key, which
 * is itself stored nowhere (the record id holds a hash of it under another domain): responses that carry secrets (a
 * new API key, session tokens) are unreadable in LMDB to anyone who does not hold the Idempotency-Key.
 */

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;
/** 1–255 printable ASCII characters (space to tilde); a UUID is the usual choice. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;
/** The methods whose requests honour the header: the ones that create or send. */
export const IDEMPOTENT_METHODS: readonly string[] = ['POST'];
/** Response headers stored with a response and sent again on a replay; the rest belong to one exchange. */
export const REPLAYED_HEADERS = ['location', 'content-location', 'etag', 'last-modified'] as const;
/** The scope of public routes, whose callers are anonymous. */
export const PUBLIC_SCOPE = 'public';
/** How long a retry of a request still in flight is told to wait, at most (the claim's lease may be longer). */
const MAX_IN_FLIGHT_RETRY_AFTER_SECONDS = 5;

/**
 * A response as stored: status, body (null without one; the exact text sent, sealed by `runIdempotent` before it
 * reaches the store) and its replayable headers.
 */
export interface StoredResponse {
  readonly status: number;
  readonly body: string | null;
  readonly headers: Readonly<Record<string, string>>;
}

export type ClaimOutcome =
  | { readonly outcome: 'new'; readonly claimId: string }
  | { readonly outcome: 'inFlight'; readonly retryAfterMs: number }
  | { readonly outcome: 'replay'; readonly response: StoredResponse }
  | { readonly outcome: 'mismatch' };

/**
 * Where idempotency records live. Shared by every node of an installation (the actor-backed one is), so that a
 * retry that lands on another node is still recognised. Retention and lease are the implementation's settings.
 */
export interface IdempotencyStore {
  claim(recordId: string, fingerprint: string): Promise<ClaimOutcome>;
  /** Stores the response of a claim; a claim that was lost meanwhile (its lease lapsed and was retaken) is ignored. */
  complete(recordId: string, claimId: string, response: StoredResponse): Promise<void>;
  release(recordId: string, claimId: string): Promise<void>;
}

/** Who is asking on a guarded route: `scope` (the tenant, e.g. the org id) and `principal` (folded into the fingerprint). */
export interface IdempotencyCaller {
  readonly scope: string;
  readonly principal: string;
}

export interface IdempotencyOptions {
  readonly store: IdempotencyStore;
  /** The caller of a guarded route, after `authenticate` ran. Not called for public routes. */
  callerOf(request: FastifyRequest): IdempotencyCaller;
}

/** The request's key, or undefined without the header; a malformed key is added to `problems` (a 400). */
export function readIdempotencyKey(request: FastifyRequest, problems: ValidationDetail[]): string | undefined {
  const value = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (value === undefined) return undefined;
  if (typeof value === 'string' && IDEMPOTENCY_KEY_PATTERN.test(value)) return value;
  problems.push({
    location: 'headers',
    path: IDEMPOTENCY_KEY_HEADER,
    rule: 'pattern',
    message:
      typeof value === 'string'
        ? `expected 1 to ${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters`
        : 'expected one Idempotency-Key header, not several',
  });
  return undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url');
}

/** The store's record id: the scope and a hash of the key (the key itself is never stored). */
export function idempotencyRecordId(scope: string, key: string): string {
  return `${scope}.${sha256(key)}`;
}

/** The box that seals a key's stored bodies: its key is derived from the scope and the client's key. */
export function responseBox(scope: string, key: string): SecretBox {
  return new SecretBox([
    createHash('sha256').update(`parlo idempotency response v1\0${scope}\0${key}`, 'utf8').digest(),
  ]);
}

/** JSON with object keys sorted at every level, so that `{"a":1,"b":2}` and `{"b":2,"a":1}` are one request. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`);
  return `{${entries.join(',')}}`;
}

export interface FingerprintInput {
  readonly method: string;
  readonly operationId: string;
  readonly principal: string;
  readonly params: unknown;
  readonly query: unknown;
  readonly body: unknown;
}

/**
 * What makes two requests "the same" (route, caller and validated inputs), as an HMAC-SHA256 keyed by the scope and
 * the client's Idempotency-Key. Keyed, because the inputs may hold a password (sign-up, sign-in): a plain hash of
 * them at rest would be an unsalted fast hash to guess passwords against; without the Idempotency-Key, which is
 * stored nowhere, the fingerprint says nothing.
 */
export function requestFingerprint(input: FingerprintInput, scope: string, key: string): string {
  return createHmac('sha256', `parlo idempotency fingerprint v1\0${scope}\0${key}`)
    .update(
      canonicalJson([input.method, input.operationId, input.principal, input.params, input.query, input.body ?? null]),
      'utf8',
    )
    .digest('base64url');
}

/** The key's scope and principal for `route`: `public`/anonymous on public routes, the caller's otherwise. */
export function idempotencyCaller(
  route: ApiRoute,
  request: FastifyRequest,
  options: IdempotencyOptions,
): IdempotencyCaller {
  return route.auth === 'public' ? { scope: PUBLIC_SCOPE, principal: 'anonymous' } : options.callerOf(request);
}

/** Whether a handler's failure is part of the answer (stored and replayed) or worth a retry (the key is released). */
function storedError(error: unknown): boolean {
  const code = errorCodeOf(error);
  if (!isErrorCode(code)) return false;
  const status = ERROR_CODES[code].httpStatus;
  // 429 says "not now": a retry later should run, not be told "not now" for a day.
  return status >= 400 && status < 500 && status !== 429;
}

function replayableHeaders(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (typeof value === 'string') headers[name] = value;
    else if (typeof value === 'number') headers[name] = String(value);
  }
  return headers;
}

/** Sends a stored response again, marked as a replay. */
function sendReplay(reply: FastifyReply, response: StoredResponse, box: SecretBox, recordId: string): FastifyReply {
  const body = response.body === null ? null : box.open(response.body, recordId);
  reply.code(response.status).header(IDEMPOTENT_REPLAYED_HEADER, 'true');
  for (const [name, value] of Object.entries(response.headers)) reply.header(name, value);
  if (body === null) return reply.send();
  return reply.type('application/json; charset=utf-8').send(body);
}

export interface IdempotentRun {
  readonly store: IdempotencyStore;
  readonly recordId: string;
  /** Seals the bodies this record stores (`responseBox`). */
  readonly box: SecretBox;
  readonly fingerprint: string;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** Runs the handler and serialises its answer, without sending it. */
  execute(): Promise<{ readonly status: number; readonly body: string | null }>;
}

/** Claims the key, then replays, refuses, or runs the handler and stores its answer before sending it. */
export async function runIdempotent(run: IdempotentRun): Promise<FastifyReply> {
  const { store, recordId, request, reply } = run;
  const claim = await store.claim(recordId, run.fingerprint);
  switch (claim.outcome) {
    case 'replay':
      return sendReplay(reply, claim.response, run.box, recordId);
    case 'mismatch':
      throw new ParloError(
        'PARLO_IDEMPOTENCY_KEY_REUSED',
        'this Idempotency-Key was already used for a different request; send a new key for a new request',
      );
    case 'inFlight': {
      const retryAfterSeconds = Math.min(
        MAX_IN_FLIGHT_RETRY_AFTER_SECONDS,
        Math.max(1, Math.ceil(claim.retryAfterMs / 1000)),
      );
      throw new ParloError(
        'PARLO_IDEMPOTENCY_IN_FLIGHT',
        `a request with this Idempotency-Key is still being processed; retry after ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
    case 'new':
      break;
  }
  let answer: { readonly status: number; readonly body: string | null };
  try {
    answer = await run.execute();
  } catch (error) {
    if (storedError(error)) {
      const mapped = mapError(error, { requestId: request.id });
      await complete(run, claim.claimId, {
        status: mapped.status,
        body: JSON.stringify(mapped.body),
        headers: replayableHeaders(reply),
      });
    } else {
      await store.release(recordId, claim.claimId).catch((err: unknown) => {
        request.log.warn(
          { err, recordId },
          'could not release an idempotency key; it frees itself when its lease ends',
        );
      });
    }
    throw error;
  }
  // Stored before it is sent: a retry that arrives once the client has the answer always finds it.
  await complete(run, claim.claimId, { status: answer.status, body: answer.body, headers: replayableHeaders(reply) });
  reply.code(answer.status);
  if (answer.body === null) return reply.send();
  return reply.type('application/json; charset=utf-8').send(answer.body);
}

async function complete(run: IdempotentRun, claimId: string, response: StoredResponse): Promise<void> {
  const body = response.body === null ? null : run.box.seal(response.body, run.recordId);
  try {
    await run.store.complete(run.recordId, claimId, { ...response, body });
  } catch (err) {
    // The client still gets its answer; a retry meets the claim in flight until its lease ends, then runs again.
    run.request.log.warn({ err, recordId: run.recordId }, 'could not store the response of an idempotency key');
  }
}
