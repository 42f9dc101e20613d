/**
 * Settings of the WhatsApp Cloud API adapter: the Graph API location and version (one setting, STYLE 2.6: "one
 * GRAPH_API_VERSION in adapter config"), connection pool size, timeouts and per-account concurrency, plus the
 * channel's capabilities as data (STYLE 2.4).
 */
import { z } from 'zod';
import type { ChannelCapabilities, OutboundContentType } from '../../core/ports/channel.port.ts';
import type { Clock } from '../../core/time/clock.ts';

export const WHATSAPP_CLOUD_CHANNEL_NAME = 'whatsapp-cloud';

/** Meta's Graph API host (WHATSAPP.md §1.1). */
export const DEFAULT_GRAPH_BASE_URL = 'https://graph.facebook.com';
/**
 * The Graph API version every call uses. v23.0 is the version of Meta's official OpenAPI file (WHATSAPP.md §1.2)
 * and is available until 2027-10-08. v24.0+ drops `conversation` from most status webhooks, which the parser
 * tolerates either way.
 */
export const DEFAULT_GRAPH_API_VERSION = 'v23.0';
/** Keep-alive connections to the Graph API host. */
export const DEFAULT_CONNECTIONS = 32;
/** Deadline of one Graph API call, from dispatch to the last byte of the response. */
export const DEFAULT_TIMEOUT_MS = 15_000;
/** Calls in flight per business phone number; further calls wait their turn. */
export const DEFAULT_MAX_IN_FLIGHT_PER_ACCOUNT = 200;
/** How long an idle keep-alive connection is kept unless the server's `Keep-Alive` header says otherwise. */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 30_000;

const HOUR_MS = 60 * 60 * 1000;

/** Every content type the Cloud API send endpoint takes (WHATSAPP.md §2). */
export const WHATSAPP_CLOUD_CONTENT_TYPES: readonly OutboundContentType[] = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contacts',
  'reaction',
  'interactive',
  'template',
];

/**
 * What the conversation actor consults instead of asking which provider it has: the 24 h customer-service window
 * (WHATSAPP.md §4.5), the 72 h free entry point after a click-to-WhatsApp referral (§4.6), templates only outside
 * the window, 4096-character text bodies (§2.1).
 */
export const WHATSAPP_CLOUD_CAPABILITIES: ChannelCapabilities = {
  serviceWindowMs: 24 * HOUR_MS,
  freeEntryPointWindowMs: 72 * HOUR_MS,
  templateRequiredOutsideWindow: true,
  maxTextLength: 4096,
  supportedContent: WHATSAPP_CLOUD_CONTENT_TYPES,
};

export type AccessTokenAnswer = string | undefined | Promise<string | undefined>;

export interface CloudApiClientOptions {
  /** Graph API origin, optionally with a path prefix (e.g. a simulator mounted under `/meta`). */
  readonly baseUrl?: string;
  /** Graph API version, `vNN.N`. */
  readonly apiVersion?: string;
  /**
   * The access token (system-user or business token) for a business phone-number id; `undefined` when the number is
   * not connected. May answer asynchronously (a lookup); a synchronous answer costs nothing extra.
   */
  accessToken(accountId: string): AccessTokenAnswer;
  readonly connections?: number;
  readonly timeoutMs?: number;
  readonly maxInFlightPerAccount?: number;
  readonly keepAliveTimeoutMs?: number;
  /** Time and wake-ups of the wire pacing (`wire-pacer.ts`); the system clock when absent. */
  readonly clock?: Clock;
}

export interface ResolvedCloudApiClientOptions {
  /** `protocol://host[:port]`, what the connection pool dials. */
  readonly origin: string;
  /** Path prefix before `/{version}/…`, `''` when the base URL has none. */
  readonly pathPrefix: string;
  readonly apiVersion: string;
  readonly accessToken: (accountId: string) => AccessTokenAnswer;
  readonly connections: number;
  readonly timeoutMs: number;
  readonly maxInFlightPerAccount: number;
  readonly keepAliveTimeoutMs: number;
}

const positiveInt = z.number().int().positive();

const OptionsSchema = z.object({
  baseUrl: z
    .url({ protocol: /^https?$/ })
    .refine((value) => {
      const url = new URL(value);
      return url.search === '' && url.hash === '';
    }, 'must have no query string or fragment')
    .default(DEFAULT_GRAPH_BASE_URL),
  apiVersion: z
    .string()
    .regex(/^v\d+\.\d+$/, 'must look like v23.0')
    .default(DEFAULT_GRAPH_API_VERSION),
  connections: positiveInt.default(DEFAULT_CONNECTIONS),
  timeoutMs: positiveInt.default(DEFAULT_TIMEOUT_MS),
  maxInFlightPerAccount: positiveInt.default(DEFAULT_MAX_IN_FLIGHT_PER_ACCOUNT),
  keepAliveTimeoutMs: positiveInt.default(DEFAULT_KEEP_ALIVE_TIMEOUT_MS),
});

/**
 * Applies the defaults and checks the options. A bad value is a configuration bug, so it throws (at start-up,
 * never per call).
 */
export function resolveClientOptions(options: CloudApiClientOptions): ResolvedCloudApiClientOptions {
  if (typeof options.accessToken !== 'function') throw new TypeError('whatsapp-cloud: accessToken must be a function');
  const parsed = OptionsSchema.safeParse({
    baseUrl: options.baseUrl,
    apiVersion: options.apiVersion,
    connections: options.connections,
    timeoutMs: options.timeoutMs,
    maxInFlightPerAccount: options.maxInFlightPerAccount,
    keepAliveTimeoutMs: options.keepAliveTimeoutMs,
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new TypeError(`whatsapp-cloud: invalid client options (${problems})`);
  }
  const url = new URL(parsed.data.baseUrl);
  return {
    origin: url.origin,
    pathPrefix: url.pathname.replace(/\/+$/, ''),
    apiVersion: parsed.data.apiVersion,
    accessToken: (accountId) => options.accessToken(accountId),
    connections: parsed.data.connections,
    timeoutMs: parsed.data.timeoutMs,
    maxInFlightPerAccount: parsed.data.maxInFlightPerAccount,
    keepAliveTimeoutMs: parsed.data.keepAliveTimeoutMs,
  };
}
