/**
 * The `webhooks-out` port over HTTP: one signed POST per attempt to a customer's endpoint.
 *
 * - Body: `{"id","type","created","orgId","data"}` (`created` = the event's time, ISO 8601). Headers:
 *   `Parlo-Signature` (`signature.ts`), `Parlo-Event-Id`, `Parlo-Event-Type`, `Parlo-Delivery-Id`,
 *   `Parlo-Delivery-Attempt`, `User-Agent: Parlo-Webhooks/1.0`.
 * - Secrets arrive sealed and are opened here, per attempt, with the SecretBox; they never leave this module.
 * - One undici `Agent` (keep-alive connections per origin), never the global fetch. Redirects are not followed:
 *   a 3xx is a failed attempt (a redirect could point anywhere, past the SSRF guard).
 * - One deadline per attempt (`timeoutMs`) covering connect, headers and body; the answer's body is read up to
 *   64 KiB and discarded.
 * - SSRF: a literal IP in the URL is checked before anything is sent; a host name is resolved inside the
 *   connection's own `lookup`, every resolved address is checked, and the socket connects to exactly the
 *   addresses that were checked (pinned: no second resolution that a DNS rebinding could answer differently).
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { Agent } from 'undici';
import type {
  WebhookDeliveryOutcome,
  WebhookDeliveryRequest,
  WebhookFailureReason,
  WebhookSenderPort,
} from '../../core/index.ts';
import {
  DELIVERY_ATTEMPT_HEADER,
  DELIVERY_ID_HEADER,
  EVENT_ID_HEADER,
  EVENT_TYPE_HEADER,
  SIGNATURE_HEADER,
  signatureHeader,
  signingSecretContext,
} from './signature.ts';
import { categoryAllowed, classifyAddress, forbiddenMessage, hostCategory, type TargetPolicy } from './ssrf.ts';

export const WEBHOOK_USER_AGENT = 'Parlo-Webhooks/1.0';
/** How much of a receiver's answer is read (and thrown away) before the connection goes back to the pool. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/** Resolves a host name to every address (dns.lookup with `all: true`). */
export type ResolveAll = (hostname: string) => Promise<readonly LookupAddress[]>;

export interface WebhookSenderOptions {
  /** Opens sealed signing secrets (the composition root's SecretBox). */
  readonly secretBox: { open(sealed: string, context: string): string };
  readonly policy: TargetPolicy;
  /** Deadline of one attempt, connect to last body byte. */
  readonly timeoutMs: number;
  /** The platform clock in ms: the signature's `t`. Default `Date.now`. */
  readonly now?: () => number;
  /** DNS resolution; default the system resolver (`dns.lookup`, as every other Node client uses). */
  readonly resolve?: ResolveAll;
  readonly connectionsPerOrigin?: number;
}

export interface WebhookSender extends WebhookSenderPort {
  /** Closes the connection pool; attempts still running fail with `network`. */
  close(): Promise<void>;
}

/** Raised inside the connection's lookup when a resolved address is refused; classified as `forbidden`. */
class TargetForbiddenError extends Error {
  readonly code = 'EPARLOFORBIDDEN';
}

const systemResolve: ResolveAll = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses)));
  });

type LookupCallback = (err: Error | null, address: string | LookupAddress[], family?: number) => void;

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const now = options.now ?? Date.now;
  const resolve = options.resolve ?? systemResolve;
  const { policy, timeoutMs } = options;

  /** `net.connect`'s lookup: resolve once, check every address, hand over only checked ones. */
  function guardedLookup(
    hostname: string,
    lookupOptions: { family?: number | string; all?: boolean },
    callback: LookupCallback,
  ): void {
    resolve(hostname).then(
      (addresses) => {
        if (addresses.length === 0) {
          callback(Object.assign(new Error(`${hostname} did not resolve`), { code: 'ENOTFOUND' }), []);
          return;
        }
        for (const { address } of addresses) {
          const category = classifyAddress(address) ?? 'reserved';
          if (!categoryAllowed(category, policy)) {
            callback(new TargetForbiddenError(forbiddenMessage(address, category, hostname)), []);
            return;
          }
        }
        const family = Number(lookupOptions.family ?? 0);
        const usable = family === 4 || family === 6 ? addresses.filter((a) => a.family === family) : [...addresses];
        const first = usable[0];
        if (!first) {
          callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), []);
          return;
        }
        if (lookupOptions.all) callback(null, usable);
        else callback(null, first.address, first.family);
      },
      (err: unknown) => callback(err instanceof Error ? err : new Error(String(err)), []),
    );
  }

  const agent = new Agent({
    connections: options.connectionsPerOrigin ?? 8,
    keepAliveTimeout: 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs, lookup: guardedLookup },
  });

  async function deliver(request: WebhookDeliveryRequest): Promise<WebhookDeliveryOutcome> {
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const failed = (
      reason: WebhookFailureReason,
      detail: string,
      status: number | null = null,
    ): WebhookDeliveryOutcome => ({
      outcome: 'failed',
      reason,
      status,
      detail,
      durationMs: elapsed(),
    });

    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return failed('forbidden', 'the endpoint URL is not a URL');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:')
      return failed('forbidden', `scheme ${url.protocol} is not allowed`);
    // A literal address never goes through a lookup: check it here. `localhost` would resolve to loopback anyway.
    const literal = isIP(url.hostname.replace(/^\[|\]$/g, '')) !== 0 ? hostCategory(url.hostname) : null;
    if (literal !== null && !categoryAllowed(literal, policy)) {
      return failed('forbidden', forbiddenMessage(url.hostname, literal));
    }

    let secrets: string[];
    try {
      secrets = request.secrets.map((s) =>
        options.secretBox.open(s.sealed, signingSecretContext(request.orgId, request.endpointId, s.secretId)),
      );
    } catch (err) {
      return failed('secret', `a signing secret cannot be opened: ${(err as Error).message}`);
    }
    if (secrets.length === 0) return failed('secret', 'the endpoint has no active signing secret');

    const body = JSON.stringify({
      id: request.event.id,
      type: request.event.type,
      created: new Date(request.event.occurredAtMs).toISOString(),
      orgId: request.event.orgId,
      data: request.event.data,
    });
    const timestamp = Math.floor(now() / 1000);
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': WEBHOOK_USER_AGENT,
          [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(secrets, timestamp, body),
          [EVENT_ID_HEADER.toLowerCase()]: request.event.id,
          [EVENT_TYPE_HEADER.toLowerCase()]: request.event.type,
          [DELIVERY_ID_HEADER.toLowerCase()]: request.deliveryId,
          [DELIVERY_ATTEMPT_HEADER.toLowerCase()]: String(request.attempt),
        },
        body,
        signal,
      });
      // Read what the receiver says (bounded) so the connection can be reused; its content is not kept.
      await response.body.dump({ limit: MAX_RESPONSE_BYTES }).catch(() => undefined);
      const status = response.statusCode;
      if (status >= 200 && status < 300) return { outcome: 'delivered', status, durationMs: elapsed() };
      const detail = status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
      return failed('http', detail, status);
    } catch (err) {
      return classifyError(err, timeoutMs, failed);
    }
  }

  return {
    deliver,
    async close() {
      await agent.close();
    },
  };
}

function errorChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = err;
  while (current !== undefined && current !== null && chain.length < 5) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

function classifyError(
  err: unknown,
  timeoutMs: number,
  failed: (reason: WebhookFailureReason, detail: string) => WebhookDeliveryOutcome,
): WebhookDeliveryOutcome {
  const chain = errorChain(err);
  const forbidden = chain.find((e): e is TargetForbiddenError => e instanceof TargetForbiddenError);
  if (forbidden) return failed('forbidden', forbidden.message);
  const timedOut = chain.some((e) => {
    const name = (e as { name?: unknown }).name;
    const code = (e as { code?: unknown }).code;
    return name === 'TimeoutError' || name === 'AbortError' || (typeof code === 'string' && TIMEOUT_CODES.has(code));
  });
  if (timedOut) return failed('timeout', `no complete answer within ${timeoutMs} ms`);
  const coded = chain.find((e) => typeof (e as { code?: unknown }).code === 'string') as
    { code: string; message?: string } | undefined;
  const first = chain[0] as { message?: unknown } | undefined;
  const message = typeof first?.message === 'string' ? first.message : String(err);
  return failed('network', coded ? `${coded.code}: ${coded.message ?? message}` : message);
}
