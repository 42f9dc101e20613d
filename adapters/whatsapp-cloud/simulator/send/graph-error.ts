/**
 * Meta's Graph API error vocabulary for the Cloud API simulator: one catalog of the codes the WhatsApp Cloud API
 * returns (WHATSAPP.md §5), the synchronous envelope `{ error: {...} }` (WHATSAPP.md §1.4) and the asynchronous form
 * carried by `statuses[].errors[]` / `value.errors[]` in webhooks (WHATSAPP.md §3.6–3.7).
 *
 * Pure data and pure functions: no I/O, no clock. The server picks the fbtrace id and the HTTP response.
 */

/** Graph error `type` values the Cloud API uses. */
export type GraphErrorType = 'OAuthException' | 'GraphMethodException';

/** One synchronous Graph error, before it is wrapped in Meta's envelope by {@link graphErrorBody}. */
export interface GraphError {
  /** HTTP status of the response that carries this error. */
  httpStatus: number;
  code: number;
  type: string;
  /** `(#<code>) <Title>` as Meta formats it (a few Graph-layer errors carry their own sentence). */
  message: string;
  /** `error_data.details`: names the offending field path, the part Meta tells integrators to build logic on. */
  details?: string;
  /** `error_subcode` (deprecated by Meta since v16, still seen on the wire, e.g. 33 for "object does not exist"). */
  subcode?: number;
  /** `is_transient: true` is emitted only for errors worth retrying, as in Meta's examples. */
  isTransient?: boolean;
}

/** One row of {@link GRAPH_ERROR_CATALOG}. */
export interface GraphErrorCatalogEntry {
  /** The title Meta puts after `(#code) ` in `message`, and in `title`/`message` of webhook error objects. */
  readonly title: string;
  readonly httpStatus: number;
  readonly type: GraphErrorType;
  /** Meta marks it `is_transient` (a retry with backoff can succeed). */
  readonly transient: boolean;
  /**
   * Graph OAuth token errors carry a bare sentence, not `(#190) ...` (every 190 example in Meta's OpenAPI file:
   * `"message": "Invalid OAuth access token"`).
   */
  readonly unprefixed?: boolean;
}

const entry = (
  title: string,
  httpStatus: number,
  transient = false,
  extra: Partial<Pick<GraphErrorCatalogEntry, 'type' | 'unprefixed'>> = {},
): GraphErrorCatalogEntry => ({ title, httpStatus, type: extra.type ?? 'OAuthException', transient, ...extra });

/**
 * Every Cloud API error code of WHATSAPP.md §5 with the HTTP status given there (statuses marked "~" in that table
 * are Meta's usual 400/403/429/500 for the class; the simulator lets callers override per error).
 *
 * Titles are Meta's error-code table titles, except where real responses captured from graph.facebook.com show a
 * different wire string in `message` (132000, 132001, 132012: those wire strings are used, since this catalog builds
 * `message`). `type` is `OAuthException` for all of them, as in every recorded WhatsApp send error; the Graph
 * "object does not exist" flavour of 100 (`GraphMethodException`, subcode 33) is {@link objectDoesNotExistError}.
 */
export const GRAPH_ERROR_CATALOG: Readonly<Record<number, GraphErrorCatalogEntry>> = {
  // Authorization, throttling and integrity (Graph-wide codes)
  0: entry('AuthException', 401),
  1: entry('API Unknown', 400),
  2: entry('API Service', 503, true),
  3: entry('API Method', 500),
  4: entry('Application request limit reached', 429, true),
  10: entry('Application does not have permission for this action', 403),
  100: entry('Invalid parameter', 400),
  190: entry('Invalid OAuth access token', 401, false, { unprefixed: true }),
  200: entry('API Permission', 403),
  368: entry('Temporarily blocked for policies violations', 403),
  80007: entry('Rate limit issues', 429, true),
  // WhatsApp Cloud API codes
  130429: entry('Rate limit hit', 429, true),
  130472: entry("User's number is part of an experiment", 400),
  130497: entry('Business account is restricted from messaging users in this country', 403),
  131000: entry('Something went wrong', 500, true),
  131005: entry('Access denied', 403),
  131008: entry('Required parameter is missing', 400),
  131009: entry('Parameter value is not valid', 400),
  131016: entry('Service unavailable', 503, true),
  131020: entry('Group has only one member', 400),
  131021: entry('Recipient cannot be sender', 400),
  131026: entry('Message Undeliverable', 400),
  131030: entry('Recipient phone number not in allowed list', 400),
  131031: entry('Account has been locked', 403),
  131037: entry('WhatsApp provided number needs display name approval before message can be sent', 400),
  131041: entry('Group does not exist', 400),
  131042: entry('Business eligibility payment issue', 400),
  131045: entry('Incorrect certificate', 400),
  131047: entry('Re-engagement message', 400),
  131048: entry('Spam rate limit hit', 429),
  131049: entry('This message was not delivered to maintain healthy ecosystem engagement.', 400),
  131050: entry('User has stopped receiving marketing messages from this business', 400),
  131051: entry('Unsupported message type', 400),
  131052: entry('Media download error', 400),
  131053: entry('Media upload error', 400),
  131056: entry('(Business Account, Consumer Account) pair rate limit hit', 429, true),
  131057: entry('Account in maintenance mode', 500, true),
  131059: entry('Invalid pagination cursor', 400),
  131062: entry('Business-scoped user ID recipients are not supported for this message', 400),
  131063: entry('Marketing templates are disabled for Cloud API', 400),
  131064: entry('Messaging limit reached due to template classification violations', 429),
  132000: entry('Number of parameters does not match the expected number of params', 400),
  132001: entry('Template name does not exist in the translation', 404),
  132005: entry('Template Hydrated Text Too Long', 400),
  132007: entry('Template Format Character Policy Violated', 400),
  132008: entry('Template Parameter Value Invalid', 400),
  132012: entry('Parameter format does not match format in the created template', 400),
  132015: entry('Template is Paused', 400),
  132016: entry('Template is Disabled', 400),
  132068: entry('Flow is blocked', 400),
  132069: entry('Flow is throttled', 400),
  133010: entry('Account not registered', 400),
  133016: entry('Account register deregister rate limit exceeded', 429, true),
  135000: entry('Generic user error', 400),
  137000: entry('Identity key hash mismatch', 400),
};

/**
 * Used for a code that is not in the catalog (e.g. a fault injected through the control API with an unlisted
 * code): a 400 `OAuthException`, so the simulator still answers in Meta's shape instead of crashing.
 */
const UNCATALOGED: GraphErrorCatalogEntry = entry('Unknown error', 400);

/** The catalog row for `code`, or `undefined` when the code is not cataloged. */
export function catalogEntry(code: number): GraphErrorCatalogEntry | undefined {
  return GRAPH_ERROR_CATALOG[code];
}

/** `(#131047) Re-engagement message`, or the bare title for unprefixed Graph OAuth errors. */
export function formatGraphMessage(code: number, title: string, unprefixed = false): string {
  return unprefixed ? title : `(#${code}) ${title}`;
}

/**
 * Build a synchronous Graph error from the catalog. `details` should name the offending field path
 * (`interactive.action.buttons[3]: ...`). `overrides` win over the catalog (HTTP status chosen by a test, a
 * Graph-layer sentence in `message`, a subcode).
 */
export function graphError(code: number, details: string, overrides: Partial<GraphError> = {}): GraphError {
  const row = GRAPH_ERROR_CATALOG[code] ?? UNCATALOGED;
  const base: GraphError = {
    httpStatus: row.httpStatus,
    code,
    type: row.type,
    message: formatGraphMessage(code, row.title, row.unprefixed),
    details,
  };
  if (row.transient) base.isTransient = true;
  return { ...base, ...overrides };
}

/**
 * Graph's answer for a path object that does not exist or is not visible to the token (e.g. an unknown
 * phone-number id): HTTP 400, `GraphMethodException`, code 100, subcode 33, no `error_data` — as recorded from
 * graph.facebook.com (WHATSAPP.md §1.4).
 */
export function objectDoesNotExistError(objectId: string, method: 'get' | 'post' | 'delete' = 'post'): GraphError {
  return {
    httpStatus: 400,
    code: 100,
    type: 'GraphMethodException',
    message:
      `Unsupported ${method} request. Object with ID '${objectId}' does not exist, cannot be loaded due to missing ` +
      'permissions, or does not support this operation. Please read the Graph API documentation at ' +
      'https://developers.facebook.com/docs/graph-api',
    subcode: 33,
  };
}

/** The JSON body of a synchronous Graph error response. */
export interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    error_subcode?: number;
    fbtrace_id: string;
    is_transient?: true;
  };
}

/**
 * Meta's envelope, keys in the order of Meta's `GraphAPIError` schema and of the recorded responses:
 * `message, type, code, error_data, error_subcode, fbtrace_id, is_transient` (WHATSAPP.md §1.4 puts `error_data`
 * after `code`; the OpenAPI schema and 8 of the 10 examples with `is_transient` put it after `fbtrace_id`).
 * `error_data` is present whenever there are details; optional keys are omitted, never `null`.
 */
export function graphErrorBody(err: GraphError, fbtraceId: string): GraphErrorBody {
  return {
    error: {
      message: err.message,
      type: err.type,
      code: err.code,
      ...(err.details !== undefined
        ? { error_data: { messaging_product: 'whatsapp' as const, details: err.details } }
        : {}),
      ...(err.subcode !== undefined ? { error_subcode: err.subcode } : {}),
      fbtrace_id: fbtraceId,
      ...(err.isTransient === true ? { is_transient: true as const } : {}),
    },
  };
}

/** Where Meta's webhook error objects point (`href`), as in recorded `failed` statuses. */
export const ERROR_CODES_HREF = 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/';

/** The error object of webhooks: `statuses[].errors[]`, `messages[].errors[]`, `value.errors[]`. */
export interface AsyncErrorObject {
  code: number;
  title: string;
  message: string;
  error_data: { details: string };
  href: string;
}

/**
 * The webhook form of an error, used in `failed` statuses. Meta repeats the title in `message`, without the
 * `(#code)` prefix (e.g. `{"code":131051,"title":"Message type unknown","message":"Message type unknown",...}`).
 */
export function asyncErrorObject(code: number, details: string): AsyncErrorObject {
  const title = (GRAPH_ERROR_CATALOG[code] ?? UNCATALOGED).title;
  return { code, title, message: title, error_data: { details }, href: ERROR_CODES_HREF };
}
