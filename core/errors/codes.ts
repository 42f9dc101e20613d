/**
 * The one registry of Parlo error codes (STYLE rule 5). A code is never renamed once shipped.
 * `httpStatus` is what the HTTP error mapper answers with; `docs/errors.md` is generated from this table
 * (`npm run docs:errors`) and `codes.test.ts` fails on any drift between the two.
 */
export const ERROR_CODES = {
  PARLO_CONFIG_INVALID: {
    httpStatus: 500,
    summary: 'A configuration value is missing or invalid; start-up stops and names the field.',
  },
  PARLO_ASK_TIMEOUT: {
    httpStatus: 504,
    summary: 'An actor did not answer an ask within its timeout. The message may still be processed later.',
  },
  PARLO_UNKNOWN_ACTOR_KIND: {
    httpStatus: 500,
    summary: 'A message was addressed to an actor kind that no definition registers.',
  },
  PARLO_INVALID_ADDRESS: {
    httpStatus: 400,
    summary: 'An actor address is not of the form kind:id with a non-empty kind and id.',
  },
  PARLO_MAILBOX_FULL: {
    httpStatus: 503,
    summary: "An actor's bounded mailbox is full; the producer must slow down and retry.",
  },
  PARLO_HANDLER_FAILED: {
    httpStatus: 500,
    summary: 'An actor handler threw (a bug); the message was dead-lettered and the state left unchanged.',
  },
  PARLO_PORT_FAILED: {
    httpStatus: 502,
    summary: 'A port (adapter) call threw instead of returning a classified outcome.',
  },
  PARLO_PORT_CALL_INTERRUPTED: {
    httpStatus: 503,
    summary:
      'A port call marked onReplay interrupt was still in the outbox when the node stopped; it was not repeated after the restart, so its outcome (e.g. whether a message was sent) is unknown.',
  },
  PARLO_UNKNOWN_PORT: {
    httpStatus: 500,
    summary: 'An effect called a port or operation that is not wired in the composition root.',
  },
  PARLO_RUNTIME_STOPPED: {
    httpStatus: 503,
    summary: 'The runtime is shutting down or stopped and accepts no new messages.',
  },
  PARLO_PARTITION_NOT_OWNED: {
    httpStatus: 503,
    summary: 'A message reached a node that does not own the target partition.',
  },
  PARLO_TRANSPORT_FAILED: {
    httpStatus: 503,
    summary: 'The transport (in-process hub or NATS) could not deliver a message.',
  },
  PARLO_INVALID_TOPIC: {
    httpStatus: 400,
    summary: 'A realtime topic or subscription pattern is malformed (empty token, misplaced wildcard).',
  },
  PARLO_NO_RESPONDERS: {
    httpStatus: 503,
    summary: 'No node currently listens for the target partition.',
  },
  PARLO_CODEC_VERSION_UNSUPPORTED: {
    httpStatus: 500,
    summary: 'A message was encoded with a newer wire-structure table than this process knows.',
  },
  PARLO_STORE_FAILED: {
    httpStatus: 500,
    summary: 'An LMDB write or flush failed; the affected turns were not acknowledged.',
  },
  PARLO_WEBHOOK_VERIFY_FAILED: {
    httpStatus: 403,
    summary:
      'The webhook verification handshake did not match (hub.mode must be subscribe, hub.verify_token must be ours).',
  },
  PARLO_WEBHOOK_SIGNATURE_INVALID: {
    httpStatus: 401,
    summary:
      'A webhook POST carried no X-Hub-Signature-256 header or one that does not match its raw body; nothing was recorded.',
  },
  PARLO_WEBHOOK_MALFORMED: {
    httpStatus: 400,
    summary: 'A signed webhook body is not a WhatsApp Business Account notification; nothing was recorded.',
  },
  PARLO_WEBHOOK_TOO_LARGE: {
    httpStatus: 413,
    summary: 'A webhook body exceeds 3 MB, the most Meta sends; nothing was recorded.',
  },
  PARLO_WEBHOOK_NOT_RECORDED: {
    httpStatus: 503,
    summary: 'The webhook events could not be recorded durably; the sender should retry (Meta does).',
  },
  PARLO_VALIDATION_FAILED: {
    httpStatus: 400,
    summary:
      'A path parameter, query parameter or body field broke its schema; the message names the first field and rule, details lists every one.',
  },
  PARLO_MALFORMED_JSON: {
    httpStatus: 400,
    summary: 'The request body is empty or not valid JSON although its content type is application/json.',
  },
  PARLO_BAD_REQUEST: {
    httpStatus: 400,
    summary:
      'The HTTP request itself is malformed (a bad URL encoding, a body shorter or longer than its Content-Length).',
  },
  PARLO_INVALID_CURSOR: {
    httpStatus: 400,
    summary: 'The pagination cursor was not issued by this endpoint or was altered; start again without a cursor.',
  },
  PARLO_ROUTE_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No API route matches the request path.',
  },
  PARLO_METHOD_NOT_ALLOWED: {
    httpStatus: 405,
    summary: 'The path exists but not for this HTTP method; the Allow header lists the methods it accepts.',
  },
  PARLO_BODY_TOO_LARGE: {
    httpStatus: 413,
    summary: 'The request body exceeds the size limit of the route; details gives the limit in bytes.',
  },
  PARLO_UNSUPPORTED_MEDIA_TYPE: {
    httpStatus: 415,
    summary: 'The request body has a content type the route does not accept; the API accepts application/json.',
  },
  PARLO_INTERNAL_ERROR: {
    httpStatus: 500,
    summary: 'An unexpected server error (a bug); it was logged with the request id, which the error details carry.',
  },
  PARLO_ORG_NOT_FOUND: {
    httpStatus: 404,
    summary: 'The organisation does not exist.',
  },
  PARLO_ORG_EXISTS: {
    httpStatus: 409,
    summary: 'An organisation with this id already exists with another name or owner.',
  },
  PARLO_ACCESS_FORBIDDEN: {
    httpStatus: 403,
    summary: 'The caller is not an active member, lacks the permission, or the role involved is beyond their reach.',
  },
  PARLO_MEMBER_EXISTS: {
    httpStatus: 409,
    summary: 'The email or user is already an active member.',
  },
  PARLO_USER_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No active member or login with this id.',
  },
  PARLO_LAST_OWNER: {
    httpStatus: 409,
    summary: 'The change would leave the organisation without an owner.',
  },
  PARLO_INVITE_INVALID: {
    httpStatus: 404,
    summary: 'The invite does not exist, was used, or the token does not match.',
  },
  PARLO_INVITE_EXPIRED: {
    httpStatus: 410,
    summary: 'The invite has expired; ask for a new one.',
  },
  PARLO_ID_CONFLICT: {
    httpStatus: 409,
    summary: 'An id given for a new invite, API key or session is already in use.',
  },
  PARLO_API_KEY_INVALID: {
    httpStatus: 401,
    summary: 'The API key is unknown or its secret does not match.',
  },
  PARLO_API_KEY_REVOKED: {
    httpStatus: 401,
    summary: 'The API key was revoked.',
  },
  PARLO_EMAIL_TAKEN: {
    httpStatus: 409,
    summary: 'A login with this email already exists.',
  },
  PARLO_LOGIN_FAILED: {
    httpStatus: 401,
    summary: 'The email or password is wrong (the two cases look the same).',
  },
  PARLO_LOGIN_LOCKED: {
    httpStatus: 429,
    summary: 'Too many failed sign-ins; try again later.',
  },
  PARLO_SESSION_INVALID: {
    httpStatus: 401,
    summary: 'The session does not exist or the token does not match.',
  },
  PARLO_SESSION_EXPIRED: {
    httpStatus: 401,
    summary: 'The access token (refresh it) or the whole session (sign in again) has expired.',
  },
  PARLO_SESSION_REVOKED: {
    httpStatus: 401,
    summary: 'The session was signed out or revoked.',
  },
  PARLO_PASSWORD_WEAK: {
    httpStatus: 400,
    summary: 'The new password fails the password policy; the message says why.',
  },
  PARLO_API_KEY_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No API key with this id in the caller’s organisation.',
  },
  PARLO_NUMBER_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No connected phone number with this id in the caller’s organisation.',
  },
  PARLO_NUMBER_ALREADY_CONNECTED: {
    httpStatus: 409,
    summary: 'The phone number is already connected to this organisation.',
  },
  PARLO_NUMBER_TAKEN: {
    httpStatus: 409,
    summary: 'The phone number is connected to another organisation; it must be disconnected there first.',
  },
  PARLO_NUMBER_LIMIT_REACHED: {
    httpStatus: 409,
    summary: 'The organisation already has the most numbers it may connect; disconnect one first.',
  },
  PARLO_WABA_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No connected WhatsApp business account with this id in the caller’s organisation.',
  },
  PARLO_WABA_MODE_MISMATCH: {
    httpStatus: 409,
    summary: 'The WhatsApp business account is connected in the other mode (cloud vs simulator).',
  },
  PARLO_NUMBER_CREDENTIALS_REJECTED: {
    httpStatus: 422,
    summary: 'Meta refused the access token given for the number (invalid, expired or lacking permissions).',
  },
  PARLO_NUMBER_UNKNOWN_AT_META: {
    httpStatus: 422,
    summary: 'Meta does not know the phone-number id, or the token may not see it.',
  },
  PARLO_BUSINESS_PROFILE_REJECTED: {
    httpStatus: 422,
    summary: 'Meta refused a value of the business profile; the message names it.',
  },
  PARLO_META_UNREACHABLE: {
    httpStatus: 502,
    summary: 'The Graph API could not be reached or answered unexpectedly; nothing was changed at Meta; retry later.',
  },
  PARLO_SEGMENT_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No saved segment with this id in the caller’s organisation.',
  },
  PARLO_SEGMENT_NAME_TAKEN: {
    httpStatus: 409,
    summary: 'Another segment of the organisation already has this name (names are compared ignoring case).',
  },
  PARLO_SEGMENT_LIMIT: {
    httpStatus: 409,
    summary: 'The organisation keeps at most 200 segments; delete one first.',
  },
  PARLO_CAMPAIGN_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No campaign with this id in the caller’s organisation.',
  },
  PARLO_CAMPAIGN_RUN_NOT_FOUND: {
    httpStatus: 404,
    summary: 'The campaign has no run with this number (a run starts when the campaign is launched or recurs).',
  },
  PARLO_CAMPAIGN_INVALID: {
    httpStatus: 400,
    summary:
      'A campaign definition breaks a rule: variant weights that do not add up to 100, a template that is not approved or not MARKETING/UTILITY, a variable without a value or field, a schedule in the past or in an unknown time zone. The message names the field.',
  },
  PARLO_CAMPAIGN_LINK_UNTRACKABLE: {
    httpStatus: 422,
    summary:
      'A campaign variant tracks clicks on a URL button whose template URL is not this installation’s click redirect with its variable at the end (`<public URL>/r/{{1}}`), or the button is not a URL button. The message names the variant, the button and the URL to use.',
  },
  PARLO_CAMPAIGN_NOT_EDITABLE: {
    httpStatus: 409,
    summary: 'Only a draft campaign can be edited or deleted; a launched one can be paused, resumed or cancelled.',
  },
  PARLO_CAMPAIGN_STATE: {
    httpStatus: 409,
    summary:
      'The campaign is not in a state that allows this action (launching a launched campaign, resuming one that is not paused, acting on a finished or cancelled one).',
  },
  PARLO_CAMPAIGN_PREFLIGHT_FAILED: {
    httpStatus: 409,
    summary:
      'The launch was refused because the campaign cannot complete: no eligible recipient, a template not approved, not enough credit or plan quota. The response lists every blocking problem.',
  },
  PARLO_CAMPAIGN_CANCELLED: {
    httpStatus: 409,
    summary: 'The campaign was cancelled before this recipient’s message left; the recipient is skipped.',
  },
  PARLO_FREQUENCY_CAP: {
    httpStatus: 409,
    summary:
      'A campaign’s marketing message was skipped because the customer was sent another marketing message on this number within the campaign’s frequency cap.',
  },
  PARLO_TEMPLATE_INVALID: {
    httpStatus: 422,
    summary: 'The template breaks Meta’s template rules; `details.problems` names each component and rule.',
  },
  PARLO_TEMPLATE_REFUSED: {
    httpStatus: 422,
    summary: 'Meta refused the template (for example the name already exists in that language); the message says why.',
  },
  PARLO_TEMPLATE_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No template with this id (or name and language) in the organisation’s WhatsApp business account.',
  },
  PARLO_TEMPLATE_LIMIT: {
    httpStatus: 409,
    summary: 'The WhatsApp business account holds Meta’s maximum of 6,000 templates; delete one first.',
  },
  PARLO_TEMPLATE_VALUES_MISSING: {
    httpStatus: 422,
    summary: 'A template preview lacks values for some variables; `details.missing` names each.',
  },
  PARLO_SIMULATOR_UNAVAILABLE: {
    httpStatus: 409,
    summary: 'Simulator numbers can only be connected when Parlo runs the bundled simulator (whatsapp.mode simulator).',
  },
  PARLO_NUMBER_BUSY: {
    httpStatus: 503,
    summary: 'The phone number already holds as many queued sends as it may; retry shortly.',
  },
  PARLO_WINDOW_CLOSED: {
    httpStatus: 409,
    summary:
      'A free-form message outside the 24 h customer-service window: only a template may be sent (the details give the window state).',
  },
  PARLO_CONVERSATION_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No conversation with this id in the caller’s organisation.',
  },
  PARLO_CONVERSATION_LOCKED: {
    httpStatus: 409,
    summary:
      'Another operator holds the conversation’s lock (the message names them): only they reply, until they release it, it times out, or a manager takes over.',
  },
  PARLO_TEAM_NOT_FOUND: {
    httpStatus: 404,
    summary:
      'No active member of the organisation belongs to this team, so nobody could take a conversation transferred to it (teams are set on operators).',
  },
  PARLO_QUICK_REPLY_NOT_FOUND: {
    httpStatus: 404,
    summary:
      'No quick reply with this id that the caller may see (shared, or their own personal one) in the organisation.',
  },
  PARLO_QUICK_REPLY_SHORTCUT_TAKEN: {
    httpStatus: 409,
    summary:
      'The shortcut is already used by a shared quick reply, or (for a personal one) by another of the member’s own; choose another.',
  },
  PARLO_QUICK_REPLY_LIMIT: {
    httpStatus: 409,
    summary:
      'The organisation keeps at most 500 shared quick replies and each member 100 personal ones; delete one first.',
  },
  PARLO_TIER_LIMIT: {
    httpStatus: 429,
    summary:
      'The business portfolio reached its messaging limit (unique customers outside the window in a moving 24 h): the message waits until a customer drops out.',
  },
  PARLO_SECRET_UNREADABLE: {
    httpStatus: 500,
    summary:
      'A stored secret could not be decrypted: the encryption key that sealed it is not configured, or the value was altered.',
  },
  PARLO_RATE_LIMITED: {
    httpStatus: 429,
    summary:
      'Too many requests for this API key, session, organisation or client address; retry after the Retry-After seconds.',
  },
  PARLO_IDEMPOTENCY_KEY_REUSED: {
    httpStatus: 422,
    summary:
      'The Idempotency-Key was already used for a different request (another route, caller or body); send a new key for a new request.',
  },
  PARLO_IDEMPOTENCY_IN_FLIGHT: {
    httpStatus: 409,
    summary:
      'A request with this Idempotency-Key is still being processed; retry after the Retry-After seconds to receive its result.',
  },
  PARLO_WEBHOOK_ENDPOINT_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No outbound webhook endpoint with this id in the caller’s organisation.',
  },
  PARLO_WEBHOOK_ENDPOINT_LIMIT: {
    httpStatus: 409,
    summary: 'The organisation already has the most outbound webhook endpoints allowed (20); delete one first.',
  },
  PARLO_WEBHOOK_ENDPOINT_DISABLED: {
    httpStatus: 409,
    summary:
      'The webhook endpoint is disabled; enable it (PATCH enabled: true) before sending test events or replaying.',
  },
  PARLO_WEBHOOK_URL_INVALID: {
    httpStatus: 400,
    summary:
      'The webhook URL is not an absolute http(s) URL without credentials or fragment, of at most 2048 characters; the message says which rule.',
  },
  PARLO_WEBHOOK_URL_FORBIDDEN: {
    httpStatus: 400,
    summary:
      'The webhook URL points at a private, loopback, link-local or otherwise non-public address, which this installation does not allow (webhooks.allow* settings).',
  },
  PARLO_WEBHOOK_DELIVERY_NOT_FOUND: {
    httpStatus: 404,
    summary: 'No webhook delivery with this id for this endpoint (it may have been forgotten after its retention).',
  },
  PARLO_WEBHOOK_DELIVERY_NOT_DEAD: {
    httpStatus: 409,
    summary: 'Only a dead-lettered webhook delivery can be replayed; this one is pending, delivered or cancelled.',
  },
  PARLO_CONTACT_NOT_FOUND: {
    httpStatus: 404,
    summary:
      'No contact with this key in the caller’s organisation; a contact exists from its first inbound message or first consent record.',
  },
  PARLO_NO_CONSENT: {
    httpStatus: 409,
    summary:
      'A marketing send to a contact without a marketing opt-in, or whose newest marketing consent is an opt-out (STOP), was refused; a utility send to a contact who opted out of utility likewise.',
  },
  PARLO_CONSENT_KEYWORD_INVALID: {
    httpStatus: 400,
    summary:
      'A consent keyword setting breaks a rule: a word without letters or digits, longer than 32 characters once accents, case and punctuation are folded, or repeated; a disabled word that is no default keyword; a language with two confirmation entries or none of its texts. The message names the field.',
  },
  PARLO_CONSENT_KEYWORD_CONFLICT: {
    httpStatus: 400,
    summary:
      'A consent keyword would be both an opt-out and an opt-in word: it is in both lists, or in one while it is an enabled default of the other kind (disable that default first). The message names the field.',
  },
  PARLO_INSUFFICIENT_CREDIT: {
    httpStatus: 402,
    summary:
      'The organisation’s wallet cannot pay for this (its available credit, balance minus what is held for sends in flight, is less than the price); the message names both amounts; top up the wallet.',
  },
  PARLO_PLAN_QUOTA_EXCEEDED: {
    httpStatus: 402,
    summary:
      'The plan’s conversations for this month are used up to its cap (300 % of the included ones by default): business-initiated conversations are refused until the plan changes or the month ends.',
  },
  PARLO_MEDIA_NOT_FOUND: {
    httpStatus: 404,
    summary:
      'No media with this ref for the caller’s organisation: the ref was issued to another organisation, altered, or the file is not stored.',
  },
  PARLO_MEDIA_TOO_LARGE: {
    httpStatus: 413,
    summary:
      'A media file is larger than Meta’s limit for its type (image 5 MB, audio and video 16 MB, document 100 MB, sticker 500 KB) or the media store’s; it was not stored.',
  },
  PARLO_MEDIA_INTEGRITY_FAILED: {
    httpStatus: 502,
    summary:
      'Downloaded media did not match the SHA-256 Meta gave for it, or was empty; nothing was stored (a mismatch is retried, an empty file is not).',
  },
  PARLO_MEDIA_STORE_FAILED: {
    httpStatus: 500,
    summary: 'The media store could not write a file (disk full or unwritable); the fetch is retried.',
  },
} as const satisfies Record<string, { httpStatus: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
