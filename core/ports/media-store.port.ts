/**
 * The media store port: where media bytes (a customer's photo, voice note or document) live once the channel
 * adapter has fetched them. Types and constants only; adapters implement it (`adapters/media-fs/`), and
 * `media-store.contract.ts` proves every implementation and double (STYLE rule 6).
 *
 * The store is **content-addressed**: a ref is the lowercase hex SHA-256 of the bytes. The same file stored twice
 * is kept once, a ref always names the same bytes (they cannot change under it), and a ref can be checked against
 * the hash a provider announces (Meta gives one with every media object). Refs are not secrets and carry no
 * tenancy: whoever may read a ref is decided by the caller (the HTTP API hands out organisation-scoped refs,
 * `frontends/http/routes/media.routes.ts`).
 *
 * Because objects are content-addressed, an object is **shared by every holder of its ref**: two customers (or two
 * organisations) who sent the same file hold the same ref to the one stored copy, and `delete` (a GDPR erasure)
 * erases it for all of them. A caller that erases on behalf of one holder decides first whether others still hold
 * the ref; the store does not count holders.
 *
 * Outcomes, not exceptions (STYLE rule 4): a file over the limit, bytes that do not match the expected hash or a
 * failing disk come back as `{ ok: false, reason }`. Only an error thrown by the caller's own byte source (a
 * download that broke) is rethrown, after everything written for it is removed.
 */

/** A ref: 64 lowercase hex characters, the SHA-256 of the stored bytes. */
export const MEDIA_REF_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The most bytes a store keeps in one object unless configured otherwise: 100 MB, Meta's largest media limit
 * (documents, WHATSAPP.md §2.2).
 */
export const DEFAULT_MEDIA_MAX_BYTES = 100 * 1024 * 1024;

/** The bytes to store: all at once, or as a stream of chunks (a download), which is never held whole in memory. */
export type MediaBytes = Uint8Array | AsyncIterable<Uint8Array>;

export interface MediaPutRequest {
  readonly data: MediaBytes;
  /** The MIME type to serve the bytes with (`image/jpeg`, `audio/ogg; codecs=opus`, …). */
  readonly mimeType: string;
  /** Refuse with `tooLarge` beyond this many bytes; the store's own `maxBytes` applies in any case. */
  readonly maxBytes?: number;
  /** Refuse with `hashMismatch`, storing nothing, unless the bytes hash to this (lowercase hex SHA-256). */
  readonly expectedSha256?: string;
}

/** What a store knows of an object. */
export interface StoredMediaInfo {
  /** The object's ref (today its SHA-256 in hex; treat it as opaque outside the store). */
  readonly ref: string;
  /** Lowercase hex SHA-256 of the bytes. */
  readonly sha256: string;
  /** The MIME type given when the bytes were first stored (a later put of the same bytes does not change it). */
  readonly mimeType: string;
  readonly sizeBytes: number;
}

/**
 * Why a put stored nothing: `tooLarge` (over `maxBytes` or the store's limit), `hashMismatch` (not the expected
 * SHA-256), `invalid` (an empty object or an unusable MIME type), `storeFailed` (the disk or backend failed).
 */
export const MEDIA_PUT_FAILURES = ['tooLarge', 'hashMismatch', 'invalid', 'storeFailed'] as const;
export type MediaPutFailure = (typeof MEDIA_PUT_FAILURES)[number];

export type MediaPutOutcome =
  | (StoredMediaInfo & {
      readonly ok: true;
      /** The bytes were already stored (by this put's twin or an earlier one): nothing new was written. */
      readonly deduplicated: boolean;
    })
  | { readonly ok: false; readonly reason: MediaPutFailure; readonly detail: string };

/** A stored object, ready to be read. */
export interface StoredMedia extends StoredMediaInfo {
  /** The bytes, as a stream of chunks (read it once; call again for another pass). */
  open(): AsyncIterable<Uint8Array>;
}

export interface MediaStorePort {
  /** The most bytes one object may have in this store. */
  readonly maxBytes: number;
  /**
   * Stores bytes and answers their ref. Idempotent: the same bytes give the same ref and are kept once. The object
   * is readable (`get`) once the promise resolves, and never partially: a crash mid-put leaves no object.
   */
  put(request: MediaPutRequest): Promise<MediaPutOutcome>;
  /** The object, or `undefined` for a ref that is unknown or malformed. */
  get(ref: string): Promise<StoredMedia | undefined>;
  /**
   * Erases the object (its bytes and whatever the store keeps about it, such as its MIME type), so that `get(ref)`
   * answers `undefined` afterwards. For a GDPR erasure.
   *
   * - **Shared**: objects are content-addressed and identical bytes are stored once, so this erases the object for
   *   every holder of the ref, not only for the caller (see the module comment).
   * - Answers `true` when an object was removed, `false` when there was none: an unknown ref, one already deleted,
   *   or a malformed ref (never an exception for those).
   * - Durable once the promise resolves: a crash afterwards does not bring the object back.
   * - A `put` of the same bytes racing the delete leaves a whole object (bytes and type) or none, never a part of
   *   one. A `put` made after the delete resolved stores the object anew (`deduplicated: false`, its own type).
   * - A `StoredMedia` obtained from `get` before the delete may fail to `open()` afterwards (a stream already open
   *   may still finish).
   * - Rejects only when the backend fails (a disk error): the erasure is then not known to be complete, and the
   *   caller retries.
   */
  delete(ref: string): Promise<boolean>;
}

/**
 * A MIME type a store accepts and may later serve in a `Content-Type` header: `type/subtype` of token characters,
 * optionally with `; name=value` parameters (`audio/ogg; codecs=opus`), no control characters, at most 255
 * characters. Used by stores and by whoever serves the bytes.
 */
export function isServableMimeType(mimeType: string): boolean {
  return mimeType.length <= 255 && SERVABLE_MIME.test(mimeType);
}

const TOKEN = '[A-Za-z0-9!#$&^_.+-]+';
const PARAM_VALUE = '(?:[A-Za-z0-9!#$&^_.+-]+|"[^"\\\\\\x00-\\x1f\\x7f]*")';
const SERVABLE_MIME = new RegExp(`^${TOKEN}/${TOKEN}(?:\\s*;\\s*${TOKEN}=${PARAM_VALUE})*$`);
