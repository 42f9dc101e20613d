/**
 * `fetchMedia`: a customer's media from the WhatsApp Cloud API into the media store (WHATSAPP.md §2.2).
 *
 * 1. `GET /{version}/{media-id}` with the number's access token (the same lookup the client uses) answers
 *    `{ url, mime_type, sha256, file_size, id }`; the URL is valid for 5 minutes.
 * 2. The URL is downloaded **with the same bearer token** (Meta: "clicking this URL will not return the media;
 *    you must include an access token") — never forwarded elsewhere: no redirects are followed, and an `http:`
 *    URL is refused when the Graph API is reached over `https:`.
 * 3. The size is checked against Meta's limit for the type before and while downloading (`file_size`,
 *    `Content-Length`, then every byte), and the bytes are streamed into the store, which checks them against
 *    Meta's SHA-256 (hex from `GET /{media-id}`, base64 in webhooks: both are read) and keeps them only if they
 *    match.
 *
 * Outcomes, never exceptions (STYLE rule 4). `retry`: network failure, timeout, Graph 5xx / transient codes /
 * throttling, an expired or refused download URL (the next attempt asks for a fresh one), a transfer whose hash
 * did not match, a store that failed, a token lookup that failed. `rejected`: Graph refusals (the id expired after
 * Meta's 7 days, the token may not see it), no token for the number, a file over the limit.
 *
 * Downloads share one undici `Agent` (keep-alive per origin) and at most `maxConcurrent` run at once, so a burst of
 * inbound photos cannot open hundreds of sockets and files.
 */
import { Agent, request } from 'undici';
import { z } from 'zod';
import {
  isServableMimeType,
  type MediaFetchRequest,
  type MediaFetchResult,
  type MediaStorePort,
  type MediaType,
} from '../../core/index.ts';
import { LOCAL_ERROR_CODES, classifyGraphError, classifyTransportError, type SendRefusal } from './classify.ts';
import {
  DEFAULT_GRAPH_API_VERSION,
  DEFAULT_GRAPH_BASE_URL,
  DEFAULT_TIMEOUT_MS,
  type AccessTokenAnswer,
} from './config.ts';

const KB = 1024;
const MB = 1024 * KB;

/**
 * Meta's media limits by message type (WHATSAPP.md §2.2): image 5 MB, audio and video 16 MB, document 100 MB,
 * sticker 500 KB (animated; static ones are 100 KB). Meta states them for what businesses send; the same bounds
 * are applied to what customers send, so one customer cannot fill the disk.
 */
export const MEDIA_MAX_BYTES: Readonly<Record<MediaType, number>> = {
  image: 5 * MB,
  video: 16 * MB,
  audio: 16 * MB,
  document: 100 * MB,
  sticker: 500 * KB,
};

/** The whole download (headers and body) of one media file. */
export const DEFAULT_MEDIA_DOWNLOAD_TIMEOUT_MS = 120_000;
/** Media fetches in flight at once, over all numbers; the rest wait their turn. */
export const DEFAULT_MAX_CONCURRENT_MEDIA_FETCHES = 16;

/** The limit for a media file: by message type when known, else by the MIME family (documents: anything else). */
export function mediaLimitBytes(mediaType: MediaType | undefined, mimeType: string): number {
  if (mediaType !== undefined) return MEDIA_MAX_BYTES[mediaType];
  const family = mimeType.split('/')[0]?.trim().toLowerCase();
  if (family === 'image') return MEDIA_MAX_BYTES.image;
  if (family === 'video') return MEDIA_MAX_BYTES.video;
  if (family === 'audio') return MEDIA_MAX_BYTES.audio;
  return MEDIA_MAX_BYTES.document;
}

export interface MediaFetcherOptions {
  /** Graph API origin, optionally with a path prefix (the simulator's URL in simulator mode). */
  readonly baseUrl?: string;
  readonly apiVersion?: string;
  /** The access token of a business phone-number id (`undefined`: not connected); may answer asynchronously. */
  accessToken(accountId: string): AccessTokenAnswer;
  readonly store: MediaStorePort;
  /** Deadline of the Graph `GET /{media-id}` call. */
  readonly timeoutMs?: number;
  /** Deadline of the download. */
  readonly downloadTimeoutMs?: number;
  readonly maxConcurrent?: number;
}

export interface MediaFetcher {
  fetchMedia(input: MediaFetchRequest): Promise<MediaFetchResult>;
  /** Waits for nothing: fetches in flight fail with `retry` (their socket closes), queued ones too. */
  close(): Promise<void>;
}

/** `GET /{media-id}`: `file_size` is a string in Meta's OpenAPI example and a number elsewhere; both are read. */
const MediaInfo = z.object({
  url: z.url({ protocol: /^https?$/ }),
  mime_type: z.string().min(1),
  sha256: z.string().min(1),
  file_size: z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/).transform(Number)]).optional(),
});

/** Media ids are digits at Meta; anything path-safe is accepted (the simulator takes any id). */
const MEDIA_ID = /^[A-Za-z0-9_.-]{1,128}$/;
const ACCOUNT_ID = /^[A-Za-z0-9_.-]{1,64}$/;

export function createMediaFetcher(options: MediaFetcherOptions): MediaFetcher {
  const base = new URL(options.baseUrl ?? DEFAULT_GRAPH_BASE_URL);
  const prefix = base.pathname.replace(/\/+$/, '');
  const apiVersion = options.apiVersion ?? DEFAULT_GRAPH_API_VERSION;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const downloadTimeoutMs = options.downloadTimeoutMs ?? DEFAULT_MEDIA_DOWNLOAD_TIMEOUT_MS;
  const store = options.store;
  const agent = new Agent({ connections: 32, keepAliveTimeout: 30_000, connect: { timeout: timeoutMs } });
  const slots = new Slots(options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_MEDIA_FETCHES);
  let closed = false;

  async function token(accountId: string): Promise<string | MediaFetchResult> {
    try {
      const answer = options.accessToken(accountId);
      const value = typeof answer === 'string' || answer === undefined ? answer : await answer;
      if (value !== undefined) return value;
      return rejected(
        LOCAL_ERROR_CODES.noCredentials,
        `no access token for phone number ${accountId}: it is not connected`,
      );
    } catch (error) {
      return retry(
        LOCAL_ERROR_CODES.credentialsUnavailable,
        `the access token of ${accountId} could not be looked up: ${(error as Error).message}`,
      );
    }
  }

  async function fetchOne(input: MediaFetchRequest): Promise<MediaFetchResult> {
    if (!ACCOUNT_ID.test(input.accountId) || !MEDIA_ID.test(input.mediaId)) {
      return rejected('PARLO_VALIDATION_FAILED', 'accountId and mediaId must be ids (letters, digits, _ . -)');
    }
    const bearer = await token(input.accountId);
    if (typeof bearer !== 'string') return bearer;
    const authorization = `Bearer ${bearer}`;

    // 1. The media's metadata and a fresh download URL.
    let status: number;
    let text: string;
    try {
      const response = await request(`${base.origin}${prefix}/${apiVersion}/${encodeURIComponent(input.mediaId)}`, {
        method: 'GET',
        dispatcher: agent,
        headers: { authorization, accept: 'application/json' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      return fromRefusal(classifyTransportError(error));
    }
    const json = parseJson(text);
    if (status < 200 || status >= 300) return fromRefusal(classifyGraphError(status, json ?? text));
    const info = MediaInfo.safeParse(json);
    const expectedSha256 = info.success ? sha256Hex(info.data.sha256) : undefined;
    if (!info.success || expectedSha256 === undefined) {
      return retry(
        LOCAL_ERROR_CODES.malformedResponse,
        `GET /${input.mediaId} answered HTTP ${status} with an unexpected body: ${text.slice(0, 200)}`,
      );
    }
    const mimeType = isServableMimeType(info.data.mime_type.trim())
      ? info.data.mime_type.trim()
      : 'application/octet-stream';
    const limit = Math.min(store.maxBytes, mediaLimitBytes(input.mediaType, mimeType));
    if (info.data.file_size !== undefined && info.data.file_size > limit) return tooLarge(info.data.file_size, limit);
    const url = new URL(info.data.url);
    if (base.protocol === 'https:' && url.protocol !== 'https:') {
      // The bearer token goes with the download: never over plain HTTP.
      return rejected(LOCAL_ERROR_CODES.malformedResponse, `the download URL is not https: ${url.origin}`);
    }

    // 2. The bytes, streamed into the store (which checks the size and Meta's hash as they pass).
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        method: 'GET',
        dispatcher: agent,
        headers: { authorization, accept: '*/*' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(downloadTimeoutMs),
      });
    } catch (error) {
      return fromRefusal(classifyTransportError(error));
    }
    if (response.statusCode < 200 || response.statusCode >= 300) {
      const body = await readSmall(response.body);
      // An expired or unknown URL: the next attempt asks Meta for a fresh one.
      if (response.statusCode === 404 || response.statusCode === 410) {
        return retry(response.statusCode, `the download URL answered HTTP ${response.statusCode}`);
      }
      return fromRefusal(classifyGraphError(response.statusCode, parseJson(body) ?? body), 'download: ');
    }
    const announced = Number(headerOf(response.headers['content-length']));
    if (Number.isFinite(announced) && announced > limit) {
      response.body.destroy();
      return tooLarge(announced, limit);
    }
    let stored: Awaited<ReturnType<MediaStorePort['put']>>;
    try {
      stored = await store.put({ data: response.body, mimeType, maxBytes: limit, expectedSha256 });
    } catch (error) {
      return fromRefusal(classifyTransportError(error), 'download: ');
    } finally {
      // A refused put stops reading; drop whatever is left so the socket is not held.
      if (!response.body.destroyed) response.body.destroy();
    }
    if (!stored.ok) {
      switch (stored.reason) {
        case 'tooLarge':
          return rejected('PARLO_MEDIA_TOO_LARGE', `media ${input.mediaId}: ${stored.detail} (limit ${limit} bytes)`);
        case 'hashMismatch':
          return retry('PARLO_MEDIA_INTEGRITY_FAILED', `media ${input.mediaId}: ${stored.detail}`);
        case 'invalid':
          return rejected('PARLO_MEDIA_INTEGRITY_FAILED', `media ${input.mediaId}: ${stored.detail}`);
        case 'storeFailed':
          return retry('PARLO_MEDIA_STORE_FAILED', `media ${input.mediaId}: ${stored.detail}`);
        default:
          return retry('PARLO_MEDIA_STORE_FAILED', `media ${input.mediaId}: ${String(stored.reason)}`);
      }
    }
    const fileName = fileNameOf(headerOf(response.headers['content-disposition']));
    return {
      ok: true,
      ref: stored.ref,
      mimeType: stored.mimeType,
      sha256: stored.sha256,
      sizeBytes: stored.sizeBytes,
      ...(fileName === undefined ? {} : { fileName }),
    };
  }

  return {
    async fetchMedia(input) {
      if (closed) return retry(LOCAL_ERROR_CODES.clientClosed, 'the media fetcher is closed');
      const release = await slots.acquire();
      if (release === undefined) return retry(LOCAL_ERROR_CODES.clientClosed, 'the media fetcher closed first');
      try {
        return await fetchOne(input);
      } finally {
        release();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      slots.close();
      await agent.destroy();
    },
  };
}

function retry(code: number | string, detail: string): MediaFetchResult {
  return { ok: false, outcome: 'retry', code, detail };
}

function rejected(code: number | string, detail: string): MediaFetchResult {
  return { ok: false, outcome: 'rejected', code, detail };
}

function tooLarge(sizeBytes: number, limit: number): MediaFetchResult {
  return rejected('PARLO_MEDIA_TOO_LARGE', `the file has ${sizeBytes} bytes; the limit for its type is ${limit}`);
}

/** A classified Graph or transport refusal as a fetch result: throttling is a retry, a closed window cannot be. */
function fromRefusal(refusal: SendRefusal, prefix = ''): MediaFetchResult {
  const detail = `${prefix}${refusal.detail}`;
  switch (refusal.outcome) {
    case 'retry':
    case 'slowDown':
      return retry(refusal.code, detail);
    case 'windowClosed':
    case 'rejected':
      return rejected(refusal.code, detail);
    default:
      return rejected(LOCAL_ERROR_CODES.malformedResponse, detail);
  }
}

/** Meta's SHA-256 as lowercase hex: `GET /{media-id}` sends hex, webhooks base64; anything else is undefined. */
export function sha256Hex(value: string): string | undefined {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return text.toLowerCase();
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (bytes.length === 32) return bytes.toString('hex');
  }
  return undefined;
}

/** `attachment; filename="a.pdf"` or `filename*=UTF-8''a%20b.pdf` → the bare name (no folders), if any. */
export function fileNameOf(disposition: string | undefined): string | undefined {
  if (disposition === undefined) return undefined;
  let name: string | undefined;
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(disposition)?.[1];
  if (extended !== undefined) {
    try {
      name = decodeURIComponent(extended.trim());
    } catch {
      name = undefined;
    }
  }
  name ??= /filename\s*=\s*(?:"([^"]*)"|([^;\s]+))/
    .exec(disposition)
    ?.slice(1)
    .find((part) => part !== undefined);
  const base = name?.split(/[\\/]/).pop()?.trim();
  // eslint-disable-next-line no-control-regex
  return base === undefined || base === '' || /[\x00-\x1f\x7f]/.test(base) ? undefined : base.slice(0, 255);
}

function headerOf(value: string | string[] | undefined): string | undefined {
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

/** At most 64 KiB of an error answer (enough for a Graph error), the rest is dropped with the stream. */
async function readSmall(body: AsyncIterable<Uint8Array> & { destroy(): unknown }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(Buffer.from(chunk));
      size += chunk.byteLength;
      if (size >= 64 * 1024) break;
    }
  } catch {
    // An error body that breaks off is still an error answer.
  }
  body.destroy();
  return Buffer.concat(chunks).toString('utf8');
}

/** A counting semaphore: `acquire` resolves to a release function once a slot is free, or undefined if closed. */
class Slots {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: ((granted: boolean) => void)[] = [];
  #closed = false;

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit <= 0) throw new TypeError('whatsapp-cloud: maxConcurrent must be positive');
    this.#limit = limit;
  }

  acquire(): Promise<(() => void) | undefined> {
    if (this.#closed) return Promise.resolve(undefined);
    if (this.#active < this.#limit) {
      this.#active += 1;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve) => this.#waiting.push((granted) => resolve(granted ? this.#releaser() : undefined)));
  }

  close(): void {
    this.#closed = true;
    for (const wake of this.#waiting.splice(0)) wake(false);
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next !== undefined) next(true);
      else this.#active -= 1;
    };
  }
}
