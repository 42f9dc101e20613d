import { z } from 'zod';

/**
 * The one schema for every Parlo setting (STYLE §2.3: the contract is a zod schema, types come from `z.infer`).
 *
 * Every object is strict so an unknown key (a typo in the config file) is an error, never silently ignored.
 * Each leaf carries `meta({ description })` — the "meaning" column of `config/README.md` — and, where the
 * generic wording would be vague, `meta({ expected })`, the phrase used in `ConfigError` messages
 * ("expected <expected>, got …"). Defaults are NOT part of the schema: `defaults.ts` builds a complete
 * config from the `DEFAULT_…` constants below, so the schema validates a finished config and nothing else.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const TRANSPORT_KINDS = ['in-process', 'nats'] as const;
export type TransportKind = (typeof TRANSPORT_KINDS)[number];

export const DEFAULT_DATA_DIR = './data';
/** `nodeId` defaults to this prefix plus `os.hostname()` (made token-safe), computed in `defaults.ts`. */
export const DEFAULT_NODE_ID_PREFIX = 'node-';
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';
export const DEFAULT_LOG_PRETTY = false;
export const DEFAULT_TRANSPORT_KIND: TransportKind = 'in-process';
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_STREAM_NAME = 'PARLO';
export const DEFAULT_STREAM_REPLICAS = 1;
/** Fixed per cluster: changing it is a migration, not a config tweak (STYLE §2.3, Orleans NatsOptions remark). */
export const DEFAULT_PARTITION_COUNT = 64;
export const DEFAULT_MAILBOX_CAPACITY = 10_000;
export const DEFAULT_ASK_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_PASSIVATE_MS = 60_000;
export const DEFAULT_MAX_ACTIVATIONS = 20_000;
export const DEFAULT_DEDUPE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_TURNS_PER_COMMIT = 5_000;
export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 8080;
/** The realtime gateway (frontends/realtime) listens beside the HTTP API, on its own port. */
export const DEFAULT_REALTIME_HOST = DEFAULT_HTTP_HOST;
export const DEFAULT_REALTIME_PORT = 8081;
/** How long an organisation's inbox events stay readable for a client that resumes (`since`). */
export const DEFAULT_REALTIME_RETENTION_SEC = 300;
export const DEFAULT_REALTIME_MAX_BACKPRESSURE_BYTES = 1024 * 1024;
/** uWebSockets.js accepts 8 to 960 s; a silent socket is pinged before it times out. */
export const DEFAULT_REALTIME_IDLE_TIMEOUT_SEC = 120;
/** The inbox's search by message text reaches back this many messages of each number. */
export const DEFAULT_INBOX_SEARCHABLE_MESSAGES = 20_000;
export const DEFAULT_METRICS_ENABLED = true;
/** Issue #4: a first response to an Idempotency-Key is replayed for at least 24 hours. */
export const MIN_IDEMPOTENCY_RETENTION_HOURS = 24;
export const DEFAULT_IDEMPOTENCY_RETENTION_HOURS = 24;
export const DEFAULT_API_RATE_PER_KEY_PER_SEC = 50;
export const DEFAULT_API_RATE_PER_ORG_PER_SEC = 200;
export const DEFAULT_API_RATE_PER_ADDRESS_PER_SEC = 10;
export const DEFAULT_API_RATE_BURST_SECONDS = 2;
export const WHATSAPP_MODES = ['simulator', 'cloud'] as const;
export type WhatsAppMode = (typeof WHATSAPP_MODES)[number];
export const DEFAULT_WHATSAPP_MODE: WhatsAppMode = 'simulator';
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com';
/** The one Graph API version setting (STYLE §2.6: never hard-code versions in several places). */
export const DEFAULT_GRAPH_API_VERSION = 'v23.0';
export const DEFAULT_SIMULATOR_PORT = 0;
/** Outbound webhooks reach public addresses only unless these relax the SSRF guard. */
export const DEFAULT_WEBHOOKS_ALLOW_LOOPBACK = false;
export const DEFAULT_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = false;
export const DEFAULT_WEBHOOKS_ALLOW_LINK_LOCAL = false;
export const DEFAULT_WEBHOOKS_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_WEBHOOKS_RETRY_WINDOW_HOURS = 24;
/** Meta's pair rate (WHATSAPP.md 4.2): bursts of up to 45 to one customer, then one per 6 s; 40 leaves a margin. */
export const DEFAULT_SENDING_PAIR_BURST = 40;
export const DEFAULT_SENDING_PAIR_INTERVAL_MS = 6_000;
/** A number's own negative-feedback rate over marketing (actors/number/feedback.ts). */
export const DEFAULT_SENDING_FEEDBACK_WINDOW_HOURS = 24;
export const DEFAULT_SENDING_FEEDBACK_MIN_MARKETING_SENDS = 200;
export const DEFAULT_SENDING_OPT_OUT_PAUSE_PERCENT = 2;
export const DEFAULT_SENDING_BLOCKED_PAUSE_PERCENT = 5;
export const DEFAULT_SENDING_SPAM_LIMITED_PAUSE_PERCENT = 5;
export const DEFAULT_SENDING_RECONCILE_AFTER_SEC = 600;
/**
 * A new organisation's wallet starts with €10 (integer micro-euros), so that a trial (`npm start`, a simulator
 * number, a few templates) works before anyone tops up; hosted installations set 0. See docs/pricing.md.
 */
export const DEFAULT_BILLING_STARTING_CREDIT_MICROS = 10_000_000;
/** The wallet's largest single credit, €1,000,000 (actors/billing MAX_TOP_UP_MICROS; config imports no actor). */
export const MAX_BILLING_STARTING_CREDIT_MICROS = 1_000_000_000_000;

/** Letters, digits, `_` and `-`: safe as a NATS subject token, a JetStream name and a file name. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]+$/;
const TOKEN_EXPECTED = 'a non-empty token of letters, digits, "_" or "-"';

/** Schemes the NATS Node transport accepts (`@nats-io/transport-node`); websockets use another transport. */
const NATS_URL_SCHEMES = new Set(['nats:', 'tls:']);

/** True for `nats://host:port` or a comma-separated list of them (the form nats.js `servers` accepts). */
export function isNatsUrlList(value: string): boolean {
  const parts = value.split(',').map((part) => part.trim());
  return parts.length > 0 && parts.every(isNatsUrl);
}

function isNatsUrl(text: string): boolean {
  if (text === '') return false;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return NATS_URL_SCHEMES.has(url.protocol) && url.hostname !== '' && (url.pathname === '' || url.pathname === '/');
}

/** Empty, or comma-separated base64 keys of 32 bytes each (the SecretBox key list). */
export function isKeyListOrEmpty(value: string): boolean {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items.every(
    (item) =>
      /^[A-Za-z0-9+/_-]+={0,2}$/.test(item) &&
      Buffer.from(item.replace(/-/g, '+').replace(/_/g, '/'), 'base64').length === 32,
  );
}

const int = (min: number, max?: number) => {
  const base = z.number().int().min(min);
  return max === undefined ? base : base.max(max);
};

const percent = () => z.number().min(0).max(100);

export const ConfigSchema = z.strictObject({
  nodeId: z
    .string()
    .regex(TOKEN_PATTERN)
    .meta({ description: 'Identity of this node in the cluster (leases, logs, metrics).', expected: TOKEN_EXPECTED }),
  dataDir: z.string().min(1).meta({
    description: 'Directory for LMDB files; resolved against the working directory.',
    expected: 'a non-empty path',
  }),
  log: z.strictObject({
    level: z.enum(LOG_LEVELS).meta({ description: 'Minimum log level (pino levels, plus silent).' }),
    pretty: z.boolean().meta({ description: 'Human-readable log lines instead of JSON (development only).' }),
  }),
  transport: z.strictObject({
    kind: z
      .enum(TRANSPORT_KINDS)
      .meta({ description: 'in-process: one embedded node, no NATS. nats: cluster mode over NATS + JetStream.' }),
    natsUrl: z.string().refine(isNatsUrlList).meta({
      description: 'NATS server URL(s), comma-separated; used when kind is nats.',
      expected: 'a NATS URL like nats://host:4222 (several separated by commas)',
    }),
    streamName: z
      .string()
      .regex(TOKEN_PATTERN)
      .meta({ description: 'JetStream stream that carries the durable parlo.p.> subjects.', expected: TOKEN_EXPECTED }),
    streamReplicas: int(1, 5).meta({ description: 'JetStream replicas for the stream (1 for a single server).' }),
  }),
  runtime: z.strictObject({
    partitionCount: int(1, 4096).meta({
      description: 'Partitions P (hash(address) mod P). Fixed per cluster: changing it is a migration.',
    }),
    mailboxCapacity: int(1).meta({ description: 'Messages an actor mailbox holds before PARLO_MAILBOX_FULL.' }),
    askTimeoutMs: int(1).meta({ description: 'Default ask() timeout before PARLO_ASK_TIMEOUT.' }),
    idlePassivateMs: int(1000).meta({ description: 'Idle time after which an actor activation is passivated.' }),
    maxActivations: int(100).meta({
      description:
        'Actor activations kept in memory at most; beyond it the least recently active idle ones are passivated.',
    }),
    dedupeRetentionMs: int(60_000).meta({ description: 'How long processed message ids are kept for dedupe.' }),
    maxTurnsPerCommit: int(1).meta({ description: 'Upper bound of turns batched into one LMDB commit.' }),
  }),
  http: z.strictObject({
    host: z
      .string()
      .min(1)
      .meta({ description: 'Interface the HTTP API listens on.', expected: 'a non-empty host name or IP address' }),
    port: int(0, 65535).meta({ description: 'HTTP API port (0 picks a free port).' }),
    publicUrl: z
      .string()
      .refine((value) => value === '' || /^https?:\/\/[^\s/]+(\/[^\s]*)?$/.test(value))
      .meta({
        description:
          'Public base URL of this installation (what Meta and browsers reach, e.g. https://parlo.example.com); empty: the address the HTTP API listens on.',
        expected: 'an http(s) URL, or empty',
      }),
  }),
  realtime: z.strictObject({
    host: z.string().min(1).meta({
      description: 'Interface the realtime WebSocket gateway listens on.',
      expected: 'a non-empty host name or IP address',
    }),
    port: int(0, 65535).meta({ description: 'Realtime WebSocket gateway port (0 picks a free port).' }),
    publicUrl: z
      .string()
      .refine((value) => value === '' || /^wss?:\/\/[^\s/]+(\/[^\s]*)?$/.test(value))
      .meta({
        description:
          'The WebSocket URL browsers connect to (e.g. wss://parlo.example.com/v1/realtime behind a reverse proxy), announced by GET /v1/realtime; empty: ws://<host>:<port>/v1/realtime.',
        expected: 'a ws(s) URL, or empty',
      }),
    retentionSec: int(1, 86_400).meta({
      description:
        "How long an organisation's inbox events are kept so that a client that reconnects resumes without loss (subscribe with since).",
    }),
    maxBackpressureBytes: int(16 * 1024, 256 * 1024 * 1024).meta({
      description:
        'Bytes a socket may have waiting to be sent; beyond it the gateway stops sending to it and asks it to resync (slow consumer).',
    }),
    idleTimeoutSec: int(8, 960).meta({
      description:
        'Seconds a socket may stay silent; the gateway pings it before that, and closes it if it does not answer.',
    }),
  }),
  inbox: z.strictObject({
    searchableMessagesPerNumber: int(1_000, 1_000_000).meta({
      description:
        "How many of each number's latest messages the inbox's search by message text reaches (customer messages and free-form replies; older ones are let go, oldest first).",
    }),
  }),
  api: z.strictObject({
    idempotencyRetentionHours: int(MIN_IDEMPOTENCY_RETENTION_HOURS, 24 * 366).meta({
      description: 'How long the first response to an Idempotency-Key is stored and replayed (at least 24 hours).',
    }),
    ratePerKeyPerSec: int(1).meta({ description: 'Requests per second one API key or session may make (per node).' }),
    ratePerOrgPerSec: int(1).meta({
      description: 'Requests per second all credentials of one organisation may make together (per node).',
    }),
    ratePerAddressPerSec: int(1).meta({
      description:
        'Requests per second one client address may make to the public routes: sign-up, sign-in, refresh, invite accept (per node).',
    }),
    rateBurstSeconds: int(1, 60).meta({
      description: 'Seconds of traffic a rate-limit bucket holds, so that short bursts pass.',
    }),
  }),
  metrics: z.strictObject({
    enabled: z.boolean().meta({ description: 'Collect and expose runtime metrics.' }),
  }),
  secrets: z.strictObject({
    encryptionKey: z.string().refine(isKeyListOrEmpty).meta({
      description:
        'Keys that encrypt stored secrets (Cloud API tokens, app secrets, webhook signing secrets) with AES-256-GCM: base64 of 32 bytes each, comma-separated, the sealing key first. Empty in embedded mode: a key is generated once into <dataDir>/secrets.key. Required in nats mode. Never logged.',
      expected: 'base64 of 32 random bytes (several separated by commas), or empty',
    }),
  }),
  whatsapp: z.strictObject({
    mode: z.enum(WHATSAPP_MODES).meta({
      description:
        '`simulator`: run the bundled Cloud API simulator and send to it (no Meta account needed). `cloud`: send to Meta (needs accessToken, appSecret, verifyToken).',
    }),
    graphBaseUrl: z
      .string()
      .regex(/^https?:\/\/[^/\s]+$/)
      .meta({ description: 'Graph API base URL in cloud mode.', expected: 'an http(s) URL without a path' }),
    apiVersion: z
      .string()
      .regex(/^v\d+\.\d+$/)
      .meta({ description: 'Graph API version used for every call.', expected: 'a version like v23.0' }),
    accessToken: z.string().meta({ description: 'System-user access token (cloud mode). Never logged.' }),
    appSecret: z.string().meta({
      description: 'App secret(s) that sign webhooks (cloud mode); comma-separated during a rotation. Never logged.',
    }),
    verifyToken: z
      .string()
      .meta({ description: 'Token Meta echoes in the webhook verification handshake (cloud mode).' }),
    simulatorPort: int(0, 65535).meta({
      description: 'Port of the bundled simulator in simulator mode (0 picks a free port).',
    }),
  }),
  webhooks: z.strictObject({
    allowLoopback: z.boolean().meta({
      description:
        'Let outbound webhook URLs reach loopback addresses (127.0.0.0/8, ::1, localhost). For development and tests only.',
    }),
    allowPrivateNetworks: z.boolean().meta({
      description:
        'Let outbound webhook URLs reach private networks (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), e.g. receivers inside your own network.',
    }),
    allowLinkLocal: z.boolean().meta({
      description:
        'Let outbound webhook URLs reach link-local addresses (169.254/16 incl. the cloud metadata service, fe80::/10). Almost never wanted.',
    }),
    requestTimeoutMs: int(100, 120_000).meta({
      description: 'Deadline of one outbound webhook attempt, from connecting to the last byte of the answer.',
    }),
    retryWindowHours: int(1, 7 * 24).meta({
      description:
        'How long failed outbound webhook deliveries are retried (exponential backoff, at most 1 h apart) before they go to the dead-letter list.',
    }),
  }),
  billing: z.strictObject({
    startingCreditMicros: int(0, MAX_BILLING_STARTING_CREDIT_MICROS).meta({
      description:
        "Credit a new organisation's wallet starts with, in micro-euros (1 EUR = 1,000,000), booked once as a top-up; 0: organisations must be topped up before they send billable messages.",
    }),
    rateCardsFile: z.string().meta({
      description:
        'A JSON file of the rate cards messages are priced with ({"cards":[{version, effectiveFrom, currency, policy, rates}]}); empty: the built-in card (docs/pricing.md).',
    }),
  }),
  sending: z.strictObject({
    pairBurst: int(1, 45).meta({
      description:
        'Messages a number sends back to back to one customer before the pair rate (one per pairIntervalMs) applies; Meta allows bursts of 45.',
    }),
    pairIntervalMs: int(1_000, 60_000).meta({
      description:
        'The pair rate: a number writes to one customer at most once per this many ms on average (Meta: 6 s).',
    }),
    feedbackWindowHours: int(1, 7 * 24).meta({
      description: "The rolling window a number's negative-feedback rate over its marketing sends is measured over.",
    }),
    feedbackMinMarketingSends: int(1).meta({
      description: 'Marketing sends the window must hold before a number pauses marketing for negative feedback.',
    }),
    optOutPausePercent: percent().meta({
      description:
        "Marketing pauses when opt-outs (STOP keywords, WhatsApp's stop button) exceed this share of the window's marketing sends; 0: never.",
    }),
    blockedPausePercent: percent().meta({
      description:
        "Marketing pauses when sends refused as undeliverable (131026: blocked, reported, not on WhatsApp) exceed this share of the window's marketing sends; 0: never.",
    }),
    spamLimitedPausePercent: percent().meta({
      description:
        "Marketing pauses when sends Meta held back for spam or engagement (131048, 131049) exceed this share of the window's marketing sends; 0: never.",
    }),
    reconcileAfterSec: int(1, 86_400).meta({
      description:
        'A send whose Graph API call was in flight when the node stopped waits this long for its status webhook before it is sent again.',
    }),
  }),
});

export type ParloConfig = z.infer<typeof ConfigSchema>;
