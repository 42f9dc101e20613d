/**
 * Media of inbound messages, as the conversation actor handles it (pure: no I/O, no clock; STYLE rule 3).
 *
 * A customer's photo, voice note, video, document or sticker arrives as Meta's media object (`{ id, mime_type,
 * sha256, … }`); the bytes must be fetched within Meta's 7 days. The actor:
 * 1. logs the message with `media: pendingMedia(type, content)` (state `fetching`, 0 attempts) and emits
 *    `mediaFetchEffect(message, phoneNumberId)`: a `callPort` to `whatsapp-cloud`/`fetchMedia` whose result
 *    comes back as `{ type: 'mediaFetched', callId: <message id>, result }`;
 * 2. on `mediaFetched`, records the outcome with `applyMediaResult` (`stored` with the store ref, or `failed`
 *    with the code), and, while it is still `fetching` after a transient failure, sets the timer that
 *    `mediaRetryTimer` gives; when it fires (`retryMediaFetch`), it emits `mediaFetchEffect` again.
 *
 * Retry rule: at most MAX_MEDIA_FETCH_ATTEMPTS (7) attempts. A `retry` outcome (network, timeout, Meta 5xx or
 * throttling, an expired download URL, a hash mismatch, a failing store) or a runtime refusal (PARLO_PORT_FAILED,
 * PARLO_UNKNOWN_PORT) waits 5 s, 30 s, 2 min, 10 min, 1 h, then 6 h before the next attempt: about 7.2 h in all,
 * well inside the 7 days Meta keeps a received media id. A `rejected` outcome (unknown or expired id, number not
 * connected, file over the limit) fails at once. A result for media already `stored` or `failed` changes nothing
 * (port calls are at least once).
 *
 * This module imports nothing of the actor's protocol (conversation.messages.ts imports its types), so the
 * functions take any message with the fields they read; `LoggedMessage` has them.
 */
import type { Effect, MediaFetchRequest, MediaFetchResult, MediaType } from '../../core/index.ts';

/** The port and operation that fetch media (adapters/whatsapp-cloud/media-fetch.ts via frontends/cli/whatsapp-edge.ts). */
export const MEDIA_FETCH_PORT = 'whatsapp-cloud';
export const MEDIA_FETCH_OPERATION = 'fetchMedia';
/** The result message of a fetch: `{ type: 'mediaFetched', callId: <inbound message id>, result }`. */
export const MEDIA_FETCHED = 'mediaFetched';
/** The retry timer's message: `{ type: 'retryMediaFetch', messageId }`. */
export const RETRY_MEDIA_FETCH = 'retryMediaFetch';

/** Inbound message types whose content is a Meta media object (WHATSAPP.md §3.5). */
export const MEDIA_MESSAGE_TYPES: readonly MediaType[] = ['image', 'video', 'audio', 'document', 'sticker'];

/** Attempts in all (the first and six retries). */
export const MAX_MEDIA_FETCH_ATTEMPTS = 7;
/** Wait after the n-th failed attempt (index n − 1). */
export const MEDIA_RETRY_DELAYS_MS: readonly number[] = [5_000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000];

export interface MediaError {
  /** Meta's code, a negative local one (adapter), or a PARLO_ code. */
  readonly code: number | string;
  readonly detail: string;
}

/**
 * What a logged inbound message records about its media (the `media` field proposed for `LoggedMessage`; null or
 * absent for messages without media). `attempts` counts finished fetch attempts.
 * - `fetching`: a fetch is running or waits for its retry timer; `error` is the last transient failure.
 * - `stored`: the bytes are in the media store under `ref` (their SHA-256); served by `GET /v1/media/{ref}` with an
 *   organisation-scoped ref.
 * - `failed`: given up; `error` says why.
 */
export type MessageMedia =
  | {
      readonly state: 'fetching';
      readonly mediaId: string;
      readonly attempts: number;
      readonly error: MediaError | null;
    }
  | {
      readonly state: 'stored';
      readonly mediaId: string;
      readonly attempts: number;
      readonly ref: string;
      readonly mimeType: string;
      readonly sizeBytes: number;
      /** The download's file name, if Meta gave one (documents also keep `filename` in `content`). */
      readonly fileName: string | null;
    }
  | {
      readonly state: 'failed';
      readonly mediaId: string;
      readonly attempts: number;
      readonly error: MediaError;
    };

/** What a port call answers: the adapter's result, or the runtime's refusal when it threw or is not wired. */
export type MediaFetchOutcome =
  | MediaFetchResult
  | { readonly ok: false; readonly code: string; readonly message: string; readonly outcome?: undefined };

/** The fields of a logged message this module reads and writes; `LoggedMessage` has them all. */
export interface MediaMessageFields {
  readonly id: string;
  readonly direction: 'in' | 'out';
  readonly type: string;
  readonly content: unknown;
  readonly media?: MessageMedia | null;
}

function isMediaType(type: string): type is MediaType {
  return (MEDIA_MESSAGE_TYPES as readonly string[]).includes(type);
}

/** Meta's media id in an inbound message's content (`{ id, mime_type, … }`), if it is a media message. */
export function mediaIdOf(type: string, content: unknown): string | null {
  if (!isMediaType(type) || typeof content !== 'object' || content === null) return null;
  const id = (content as { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** The `media` of a newly logged inbound message: `fetching` with no attempt yet, or null without media. */
export function pendingMedia(type: string, content: unknown): MessageMedia | null {
  const mediaId = mediaIdOf(type, content);
  return mediaId === null ? null : { state: 'fetching', mediaId, attempts: 0, error: null };
}

/**
 * The `callPort` that fetches an inbound message's media, or null when there is nothing to fetch: an outbound
 * message, a type without media, content without an id, or media already `stored` or `failed`.
 */
export function mediaFetchEffect(message: MediaMessageFields, phoneNumberId: string): Effect | null {
  if (message.direction !== 'in') return null;
  const state = message.media?.state;
  if (state === 'stored' || state === 'failed') return null;
  const mediaId = mediaIdOf(message.type, message.content);
  if (mediaId === null || !isMediaType(message.type)) return null;
  const input: MediaFetchRequest = { accountId: phoneNumberId, mediaId, mediaType: message.type };
  return {
    type: 'callPort',
    port: MEDIA_FETCH_PORT,
    operation: MEDIA_FETCH_OPERATION,
    input,
    resultType: MEDIA_FETCHED,
    callId: message.id,
  };
}

/**
 * The message with a fetch's outcome recorded: `stored` on success, `failed` on a rejection or when this was the
 * last attempt, else still `fetching` with the error (set `mediaRetryTimer`). Returns the very same object when
 * nothing changes (not a media message, or media already settled), so the caller can skip the write.
 */
export function applyMediaResult<M extends MediaMessageFields>(
  message: M,
  result: MediaFetchOutcome,
): M & { readonly media?: MessageMedia | null } {
  const mediaId = mediaIdOf(message.type, message.content);
  if (message.direction !== 'in' || mediaId === null) return message;
  const current: MessageMedia = message.media ?? { state: 'fetching', mediaId, attempts: 0, error: null };
  if (current.state !== 'fetching') return message;
  const attempts = current.attempts + 1;
  let media: MessageMedia;
  if (result.ok) {
    media = {
      state: 'stored',
      mediaId: current.mediaId,
      attempts,
      ref: result.ref,
      mimeType: result.mimeType,
      sizeBytes: result.sizeBytes,
      fileName: result.fileName ?? null,
    };
  } else {
    // A runtime refusal (the port threw or is not wired) has no outcome: it may work later.
    const error: MediaError =
      result.outcome === undefined
        ? { code: result.code, detail: result.message }
        : { code: result.code, detail: result.detail };
    if (result.outcome === 'rejected') {
      media = { state: 'failed', mediaId: current.mediaId, attempts, error };
    } else if (attempts >= MAX_MEDIA_FETCH_ATTEMPTS) {
      media = {
        state: 'failed',
        mediaId: current.mediaId,
        attempts,
        error: { code: error.code, detail: `gave up after ${attempts} attempts: ${error.detail}` },
      };
    } else {
      media = { state: 'fetching', mediaId: current.mediaId, attempts, error };
    }
  }
  return { ...message, media };
}

/** How long to wait after the n-th failed attempt (1-based). */
export function mediaRetryDelayMs(attempts: number): number {
  const index = Math.min(Math.max(attempts, 1), MEDIA_RETRY_DELAYS_MS.length) - 1;
  return MEDIA_RETRY_DELAYS_MS[index]!;
}

/**
 * The durable timer that retries a fetch, for a message left `fetching` after a transient failure; null
 * otherwise. Named per message (`media:<id>`), so a repeated result replaces rather than doubles it.
 */
export function mediaRetryTimer(message: MediaMessageFields, nowMs: number): Effect | null {
  const media = message.media;
  if (media?.state !== 'fetching' || media.attempts === 0) return null;
  return {
    type: 'setTimer',
    name: `media:${message.id}`,
    dueAtMs: nowMs + mediaRetryDelayMs(media.attempts),
    msg: { type: RETRY_MEDIA_FETCH, messageId: message.id },
  };
}
