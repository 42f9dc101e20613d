/**
 * Meta Graph API refusals → the port's classified outcomes (STYLE rule 4: remote refusals are outcomes, never
 * exceptions). The codes and their retry advice come from WHATSAPP.md §0.3, §5 and §8.3; build logic on `code`
 * (Meta: "build logic on code and details; titles … will eventually be deprecated", WHATSAPP.md §1.4).
 */
import type { SendOutcome } from '../../core/ports/channel.port.ts';

/** A send outcome other than `accepted`: what a refused or failed call turns into. */
export type SendRefusal = Exclude<SendOutcome, { readonly outcome: 'accepted' }>;

/** Meta error codes the classifier treats specially (WHATSAPP.md §5). */
export const GRAPH_ERROR_CODES = {
  /** Cloud API throughput (80 / 1,000 msg/s per number) reached. */
  throughputReached: 130429,
  /** (Business, consumer) pair rate limit: about one message per 6 s to the same user. */
  pairRateLimit: 131056,
  /** Free-form message outside the 24 h customer-service window: a template is required. */
  reEngagement: 131047,
} as const;

/**
 * Codes that are worth the same request again after a backoff: API unknown (1), API service (2), app call rate
 * (4), Graph user / custom call rate limits (17, 613: the Graph API's documented throttling codes), WABA rate limit
 * (80007), something went wrong (131000), service unavailable (131016), maintenance mode (131057).
 */
export const TRANSIENT_GRAPH_CODES: ReadonlySet<number> = new Set([1, 2, 4, 17, 613, 80007, 131000, 131016, 131057]);

/** Pause after 130429: the per-second throughput window is one second wide. */
export const THROUGHPUT_RETRY_AFTER_MS = 1_000;
/** Pause after 131056: Meta's pair rate is about one message every 6 s to the same user (WHATSAPP.md §4.2). */
export const PAIR_RATE_RETRY_AFTER_MS = 6_000;

/**
 * Codes for failures that have no Meta code: Meta's codes are non-negative, ours are negative so that the two can
 * never be confused in a message log.
 */
export const LOCAL_ERROR_CODES = {
  /** The connection failed or broke before a complete response arrived. */
  network: -1,
  /** No complete response within the client's deadline. */
  timeout: -2,
  /** A 2xx response whose body is not the documented success shape (the message may or may not have been sent). */
  malformedResponse: -3,
  /** The client was closed while the call waited for its turn. */
  clientClosed: -4,
  /** No access token for this phone-number id: the number is not connected (nothing was sent). */
  noCredentials: -5,
  /** The access token could not be looked up just now (e.g. its store timed out); nothing was sent. */
  credentialsUnavailable: -6,
} as const;

interface GraphErrorFields {
  readonly code?: number;
  readonly message?: string;
  readonly details?: string;
  readonly isTransient: boolean;
}

/**
 * Classifies a non-2xx Graph API answer (or any answer that is not a success). Never returns `accepted`, never
 * throws, whatever the body: `body` may be the parsed JSON, the raw text, or anything else. `code` is Meta's
 * `error.code`, or the HTTP status when the body carries none (a proxy's 502 page, say).
 *
 * Order: the specific codes (130429 / 131056 → slowDown, 131047 → windowClosed), then transient codes,
 * `is_transient: true` and HTTP 5xx → retry; a body without a Graph code answered with 408 or 429 → retry;
 * everything else → rejected (fix the request).
 */
export function classifyGraphError(httpStatus: number, body: unknown): SendRefusal {
  const error = readGraphError(body);
  const code = error.code ?? httpStatus;
  const detail = describe(httpStatus, error, body);

  switch (error.code) {
    case GRAPH_ERROR_CODES.throughputReached:
      return { outcome: 'slowDown', code, detail, afterMs: THROUGHPUT_RETRY_AFTER_MS };
    case GRAPH_ERROR_CODES.pairRateLimit:
      return { outcome: 'slowDown', code, detail, afterMs: PAIR_RATE_RETRY_AFTER_MS };
    case GRAPH_ERROR_CODES.reEngagement:
      return { outcome: 'windowClosed', code, detail };
    default:
      break;
  }
  if (error.code !== undefined && TRANSIENT_GRAPH_CODES.has(error.code)) return { outcome: 'retry', code, detail };
  if (error.isTransient || httpStatus >= 500) return { outcome: 'retry', code, detail };
  if (error.code === undefined && (httpStatus === 408 || httpStatus === 429)) return { outcome: 'retry', code, detail };
  return { outcome: 'rejected', code, detail };
}

/** A call that produced no usable HTTP answer (connection refused or reset, DNS, deadline): always `retry`. */
export function classifyTransportError(error: unknown): SendRefusal {
  const timedOut = isTimeout(error);
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return {
    outcome: 'retry',
    code: timedOut ? LOCAL_ERROR_CODES.timeout : LOCAL_ERROR_CODES.network,
    detail: timedOut ? `timed out (${detail})` : detail,
  };
}

const TIMEOUT_ERROR_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
]);

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'TimeoutError') return true; // AbortSignal.timeout()'s reason
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && TIMEOUT_ERROR_CODES.has(code)) return true;
  return error.cause !== undefined && error.cause !== error && isTimeout(error.cause);
}

function readGraphError(body: unknown): GraphErrorFields {
  const parsed = typeof body === 'string' ? tryParseJson(body) : body;
  const error = isRecord(parsed) && isRecord(parsed.error) ? parsed.error : undefined;
  if (error === undefined) return { isTransient: false };
  const errorData = isRecord(error.error_data) ? error.error_data : undefined;
  const code = toCode(error.code);
  const message =
    typeof error.message === 'string'
      ? error.message
      : typeof error.error_user_msg === 'string'
        ? error.error_user_msg
        : undefined;
  const details = typeof errorData?.details === 'string' ? errorData.details : undefined;
  return {
    ...(code === undefined ? {} : { code }),
    ...(message === undefined ? {} : { message }),
    ...(details === undefined ? {} : { details }),
    isTransient: error.is_transient === true,
  };
}

function describe(httpStatus: number, error: GraphErrorFields, body: unknown): string {
  const parts = [error.message, error.details].filter((part): part is string => part !== undefined && part !== '');
  if (parts.length > 0) return parts.join(': ');
  const text = typeof body === 'string' ? body.trim() : '';
  return text === '' ? `HTTP ${httpStatus} without a Graph error body` : `HTTP ${httpStatus}: ${text.slice(0, 200)}`;
}

function toCode(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
