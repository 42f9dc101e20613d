import { hostname } from 'node:os';
import {
  DEFAULT_API_RATE_BURST_SECONDS,
  DEFAULT_API_RATE_PER_ADDRESS_PER_SEC,
  DEFAULT_API_RATE_PER_KEY_PER_SEC,
  DEFAULT_API_RATE_PER_ORG_PER_SEC,
  DEFAULT_ASK_TIMEOUT_MS,
  DEFAULT_BILLING_STARTING_CREDIT_MICROS,
  DEFAULT_IDEMPOTENCY_RETENTION_HOURS,
  DEFAULT_INBOX_SEARCHABLE_MESSAGES,
  DEFAULT_DATA_DIR,
  DEFAULT_DEDUPE_RETENTION_MS,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_REALTIME_HOST,
  DEFAULT_REALTIME_IDLE_TIMEOUT_SEC,
  DEFAULT_REALTIME_MAX_BACKPRESSURE_BYTES,
  DEFAULT_REALTIME_PORT,
  DEFAULT_REALTIME_RETENTION_SEC,
  DEFAULT_IDLE_PASSIVATE_MS,
  DEFAULT_MAX_ACTIVATIONS,
  DEFAULT_LOG_LEVEL,
  DEFAULT_LOG_PRETTY,
  DEFAULT_MAILBOX_CAPACITY,
  DEFAULT_MAX_TURNS_PER_COMMIT,
  DEFAULT_METRICS_ENABLED,
  DEFAULT_WHATSAPP_MODE,
  DEFAULT_GRAPH_BASE_URL,
  DEFAULT_GRAPH_API_VERSION,
  DEFAULT_SIMULATOR_PORT,
  DEFAULT_NATS_URL,
  DEFAULT_NODE_ID_PREFIX,
  DEFAULT_PARTITION_COUNT,
  DEFAULT_STREAM_NAME,
  DEFAULT_STREAM_REPLICAS,
  DEFAULT_TRANSPORT_KIND,
  DEFAULT_WEBHOOKS_ALLOW_LINK_LOCAL,
  DEFAULT_WEBHOOKS_ALLOW_LOOPBACK,
  DEFAULT_WEBHOOKS_ALLOW_PRIVATE_NETWORKS,
  DEFAULT_WEBHOOKS_REQUEST_TIMEOUT_MS,
  DEFAULT_WEBHOOKS_RETRY_WINDOW_HOURS,
  DEFAULT_SENDING_BLOCKED_PAUSE_PERCENT,
  DEFAULT_SENDING_FEEDBACK_MIN_MARKETING_SENDS,
  DEFAULT_SENDING_FEEDBACK_WINDOW_HOURS,
  DEFAULT_SENDING_OPT_OUT_PAUSE_PERCENT,
  DEFAULT_SENDING_PAIR_BURST,
  DEFAULT_SENDING_PAIR_INTERVAL_MS,
  DEFAULT_SENDING_SPAM_LIMITED_PAUSE_PERCENT,
  DEFAULT_SENDING_RECONCILE_AFTER_SEC,
  type ParloConfig,
} from './schema.ts';

/**
 * `node-<hostname>`, with every character outside `[A-Za-z0-9_-]` replaced by `-` so that a dotted host name
 * (`web-1.example.com`) still gives a valid, token-safe id.
 */
export function defaultNodeId(host: string = hostname()): string {
  const token = host.replace(/[^A-Za-z0-9_-]/g, '-');
  return DEFAULT_NODE_ID_PREFIX + (token === '' ? 'local' : token);
}

/**
 * A complete configuration for embedded mode: one node, in-process transport, data under `./data`
 * (relative; `loadConfig` resolves it against its `cwd`). Returns a fresh object on every call.
 */
export function defaultConfig(): ParloConfig {
  return {
    nodeId: defaultNodeId(),
    dataDir: DEFAULT_DATA_DIR,
    log: { level: DEFAULT_LOG_LEVEL, pretty: DEFAULT_LOG_PRETTY },
    transport: {
      kind: DEFAULT_TRANSPORT_KIND,
      natsUrl: DEFAULT_NATS_URL,
      streamName: DEFAULT_STREAM_NAME,
      streamReplicas: DEFAULT_STREAM_REPLICAS,
    },
    runtime: {
      partitionCount: DEFAULT_PARTITION_COUNT,
      mailboxCapacity: DEFAULT_MAILBOX_CAPACITY,
      askTimeoutMs: DEFAULT_ASK_TIMEOUT_MS,
      idlePassivateMs: DEFAULT_IDLE_PASSIVATE_MS,
      maxActivations: DEFAULT_MAX_ACTIVATIONS,
      dedupeRetentionMs: DEFAULT_DEDUPE_RETENTION_MS,
      maxTurnsPerCommit: DEFAULT_MAX_TURNS_PER_COMMIT,
    },
    http: { host: DEFAULT_HTTP_HOST, port: DEFAULT_HTTP_PORT, publicUrl: '' },
    realtime: {
      host: DEFAULT_REALTIME_HOST,
      port: DEFAULT_REALTIME_PORT,
      publicUrl: '',
      retentionSec: DEFAULT_REALTIME_RETENTION_SEC,
      maxBackpressureBytes: DEFAULT_REALTIME_MAX_BACKPRESSURE_BYTES,
      idleTimeoutSec: DEFAULT_REALTIME_IDLE_TIMEOUT_SEC,
    },
    inbox: { searchableMessagesPerNumber: DEFAULT_INBOX_SEARCHABLE_MESSAGES },
    api: {
      idempotencyRetentionHours: DEFAULT_IDEMPOTENCY_RETENTION_HOURS,
      ratePerKeyPerSec: DEFAULT_API_RATE_PER_KEY_PER_SEC,
      ratePerOrgPerSec: DEFAULT_API_RATE_PER_ORG_PER_SEC,
      ratePerAddressPerSec: DEFAULT_API_RATE_PER_ADDRESS_PER_SEC,
      rateBurstSeconds: DEFAULT_API_RATE_BURST_SECONDS,
    },
    metrics: { enabled: DEFAULT_METRICS_ENABLED },
    secrets: { encryptionKey: '' },
    whatsapp: {
      mode: DEFAULT_WHATSAPP_MODE,
      graphBaseUrl: DEFAULT_GRAPH_BASE_URL,
      apiVersion: DEFAULT_GRAPH_API_VERSION,
      accessToken: '',
      appSecret: '',
      verifyToken: '',
      simulatorPort: DEFAULT_SIMULATOR_PORT,
    },
    webhooks: {
      allowLoopback: DEFAULT_WEBHOOKS_ALLOW_LOOPBACK,
      allowPrivateNetworks: DEFAULT_WEBHOOKS_ALLOW_PRIVATE_NETWORKS,
      allowLinkLocal: DEFAULT_WEBHOOKS_ALLOW_LINK_LOCAL,
      requestTimeoutMs: DEFAULT_WEBHOOKS_REQUEST_TIMEOUT_MS,
      retryWindowHours: DEFAULT_WEBHOOKS_RETRY_WINDOW_HOURS,
    },
    billing: { startingCreditMicros: DEFAULT_BILLING_STARTING_CREDIT_MICROS, rateCardsFile: '' },
    sending: {
      pairBurst: DEFAULT_SENDING_PAIR_BURST,
      pairIntervalMs: DEFAULT_SENDING_PAIR_INTERVAL_MS,
      feedbackWindowHours: DEFAULT_SENDING_FEEDBACK_WINDOW_HOURS,
      feedbackMinMarketingSends: DEFAULT_SENDING_FEEDBACK_MIN_MARKETING_SENDS,
      optOutPausePercent: DEFAULT_SENDING_OPT_OUT_PAUSE_PERCENT,
      blockedPausePercent: DEFAULT_SENDING_BLOCKED_PAUSE_PERCENT,
      spamLimitedPausePercent: DEFAULT_SENDING_SPAM_LIMITED_PAUSE_PERCENT,
      reconcileAfterSec: DEFAULT_SENDING_RECONCILE_AFTER_SEC,
    },
  };
}
