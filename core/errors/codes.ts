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
} as const satisfies Record<string, { httpStatus: number; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}
