/**
 * The outbound half of the WhatsApp Cloud API adapter: `ChannelPort` over Meta's Graph API.
 *
 * One undici `Pool` of keep-alive connections to the Graph host (global `fetch` sets up far more per call), JSON
 * bodies with `Authorization: Bearer`, a small semaphore per business phone number so one busy number cannot take
 * every connection, wire pacing of sends that carry `maxRatePerSec` (`wire-pacer.ts`: no 1 s window of actual
 * POSTs holds more than ⌊rate × 1.02⌋ of a number's sends), and a deadline per call. Remote refusals and transport failures come back as classified
 * outcomes (`classify.ts`), never as exceptions; an exception means a local bug (a call after `close()`). A number
 * without a token is `rejected` (code −5), a token lookup that fails is `retry` (code −6): nothing was sent.
 */
import { Pool } from 'undici';
import { z } from 'zod';
import type {
  ChannelPort,
  OutboundMessage,
  ReadReceipt,
  ReadReceiptOutcome,
  SendOutcome,
} from '../../core/ports/channel.port.ts';
import { SystemClock } from '../../core/time/clock.ts';
import { LOCAL_ERROR_CODES, classifyGraphError, classifyTransportError, type SendRefusal } from './classify.ts';
import {
  WHATSAPP_CLOUD_CAPABILITIES,
  WHATSAPP_CLOUD_CHANNEL_NAME,
  resolveClientOptions,
  type CloudApiClientOptions,
} from './config.ts';
import { buildReadReceiptBody, buildSendBody, messagesPath } from './request-builders.ts';
import { WirePacer } from './wire-pacer.ts';

/** The channel port plus the pool's lifecycle. */
export type CloudApiClient = ChannelPort & {
  /** Waits for calls in flight, refuses calls still queued (`retry`), then closes the connections. */
  close(): Promise<void>;
};

const PROVIDER_STATUSES = ['accepted', 'held_for_quality_assessment', 'paused'] as const;

/** `{messaging_product, contacts: [{input, wa_id}], messages: [{id, message_status?}]}` (WHATSAPP.md §1.3). */
const SendSuccess = z.object({
  contacts: z
    .array(z.object({ input: z.unknown().optional(), wa_id: z.string().optional(), user_id: z.string().optional() }))
    .optional(),
  messages: z.array(z.object({ id: z.string().min(1), message_status: z.string().optional() })).min(1),
});

/** Read receipt / typing indicator answer: `{"success": true}` (WHATSAPP.md §2.8). */
const ReadSuccess = z.object({ success: z.literal(true) });

export function createCloudApiClient(options: CloudApiClientOptions): CloudApiClient {
  const config = resolveClientOptions(options);
  const pool = new Pool(config.origin, {
    connections: config.connections,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // The per-call deadline below is the real limit; these stop a stalled socket even if it were missed.
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.timeoutMs,
    connect: { timeout: config.timeoutMs },
  });
  // In-flight limit and wire pacing per account, decided right before each POST (wire-pacer.ts).
  const pacer = new WirePacer({ clock: options.clock ?? new SystemClock(), maxInFlight: config.maxInFlightPerAccount });
  let closed = false;

  async function post<T extends SendOutcome | ReadReceiptOutcome>(
    accountId: string,
    body: object,
    readSuccess: (json: unknown) => T | undefined,
    maxRatePerSec?: number,
  ): Promise<T | SendRefusal> {
    if (closed) throw new Error('whatsapp-cloud: the client is closed');
    let token: string | undefined;
    try {
      const answer = config.accessToken(accountId);
      token = typeof answer === 'string' || answer === undefined ? answer : await answer;
    } catch (error) {
      return {
        outcome: 'retry',
        code: LOCAL_ERROR_CODES.credentialsUnavailable,
        detail: `the access token of ${accountId} could not be looked up: ${(error as Error).message}`,
      };
    }
    if (token === undefined) {
      return {
        outcome: 'rejected',
        code: LOCAL_ERROR_CODES.noCredentials,
        detail: `no access token for phone number ${accountId}: it is not connected`,
      };
    }
    // Last step before the POST: the call starts when the pacer says so (its start is what the pacer counts).
    const release = await pacer.acquire(accountId, maxRatePerSec);
    if (release === undefined) {
      return { outcome: 'retry', code: LOCAL_ERROR_CODES.clientClosed, detail: 'client closed before the call ran' };
    }
    // undici's own timers bound the wait for the answer's headers and for each gap in its body; a per-call
    // AbortController + setTimeout cost a quarter of the client's CPU at 10k sends/s.
    try {
      let statusCode: number;
      let headers: Record<string, string | string[] | undefined>;
      let text: string;
      try {
        const response = await pool.request({
          method: 'POST',
          path: messagesPath(config.apiVersion, accountId, config.pathPrefix),
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            accept: 'application/json',
          },
          body: JSON.stringify(body),
          headersTimeout: config.timeoutMs,
          bodyTimeout: config.timeoutMs,
        });
        statusCode = response.statusCode;
        headers = response.headers;
        // Always read the body to the end: an unread body keeps its connection out of the pool.
        text = await response.body.text();
      } catch (error) {
        return classifyTransportError(error);
      }
      const json = parseJson(text);
      if (statusCode >= 200 && statusCode < 300) {
        const success = readSuccess(json);
        if (success !== undefined) return success;
        // Meta may well have sent the message; the status webhook (keyed by biz_opaque_callback_data) settles it.
        return {
          outcome: 'retry',
          code: LOCAL_ERROR_CODES.malformedResponse,
          detail: `HTTP ${statusCode} with an unexpected body: ${text.slice(0, 200)}`,
        };
      }
      return withRetryHint(classifyGraphError(statusCode, json ?? text), headers);
    } finally {
      release();
    }
  }

  return {
    name: WHATSAPP_CLOUD_CHANNEL_NAME,
    capabilities: WHATSAPP_CLOUD_CAPABILITIES,

    send(message: OutboundMessage): Promise<SendOutcome> {
      return post(
        message.accountId,
        buildSendBody(message),
        (json): SendOutcome | undefined => {
          const parsed = SendSuccess.safeParse(json);
          if (!parsed.success) return undefined;
          const [sent] = parsed.data.messages;
          const contact = parsed.data.contacts?.[0];
          if (sent === undefined) return undefined;
          const status = PROVIDER_STATUSES.find((known) => known === sent.message_status);
          return {
            outcome: 'accepted',
            providerMessageId: sent.id,
            // Meta's normalised id (wa_id may differ from what we sent, e.g. BR/MX numbers); a BSUID recipient has
            // no wa_id, so fall back to the user id, then to our own `to`.
            recipientId: contact?.wa_id ?? contact?.user_id ?? message.to,
            ...(status === undefined ? {} : { providerStatus: status }),
          };
        },
        message.maxRatePerSec,
      );
    },

    markRead(receipt: ReadReceipt): Promise<ReadReceiptOutcome> {
      return post(receipt.accountId, buildReadReceiptBody(receipt), (json): ReadReceiptOutcome | undefined =>
        ReadSuccess.safeParse(json).success ? { outcome: 'accepted' } : undefined,
      );
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      pacer.close();
      await pool.close();
    },
  };
}

/**
 * Lengthens `afterMs` of a retry or slowDown when Meta says how long to wait: `Retry-After` (seconds) or the
 * `estimated_time_to_regain_access` (minutes) of `X-Business-Use-Case-Usage` (WHATSAPP.md §1.3).
 */
function withRetryHint(refusal: SendRefusal, headers: Record<string, string | string[] | undefined>): SendRefusal {
  if (refusal.outcome !== 'retry' && refusal.outcome !== 'slowDown') return refusal;
  const hintMs = retryHintMs(headers);
  if (hintMs === undefined || hintMs <= (refusal.afterMs ?? 0)) return refusal;
  return { ...refusal, afterMs: hintMs };
}

function retryHintMs(headers: Record<string, string | string[] | undefined>): number | undefined {
  let hintMs: number | undefined;
  const retryAfter = firstHeader(headers['retry-after']);
  if (retryAfter !== undefined && /^\d+$/.test(retryAfter.trim())) hintMs = Number(retryAfter.trim()) * 1000;
  const usage = parseJson(firstHeader(headers['x-business-use-case-usage']) ?? '');
  if (isRecord(usage)) {
    for (const entries of Object.values(usage)) {
      if (!Array.isArray(entries)) continue;
      for (const entry of entries as unknown[]) {
        const minutes = isRecord(entry) ? entry.estimated_time_to_regain_access : undefined;
        if (typeof minutes === 'number' && minutes > 0) hintMs = Math.max(hintMs ?? 0, minutes * 60_000);
      }
    }
  }
  return hintMs;
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
