/**
 * Organisation-scoped media refs: what the HTTP API hands out for a stored media file instead of the store's own
 * ref (its SHA-256), so that `GET /v1/media/{mediaRef}` serves a file only to an organisation that was given it.
 *
 * A media ref is `<sha256 hex>.<tag>`, where the tag is the first 128 bits (base64url) of
 * `HMAC-SHA256(key, "parlo-media-ref:v1:<orgId>:<sha256>")`. The API mints it for an organisation when it shows
 * that organisation a message of one of its conversations (the conversation's `orgId` is the tenancy check, as for
 * `GET /v1/conversations/{id}`), and the media route recomputes the tag for the caller's organisation: org B's ref
 * has a tag org A's cannot match, so it is a 404 for A, and no organisation can forge a tag without the key.
 *
 * Why a MAC and not a per-organisation index: it needs no state, no actor, no write on the hot path and no
 * migration, it survives the conversation's 500-message log trimming, and the same file received by two
 * organisations (one stored object: the store deduplicates by hash) still has one ref per organisation. The cost:
 * a ref once handed out stays valid while the key does (there is no per-ref revocation); a number moved to another
 * organisation does not take the old organisation's refs away. Rotating the key (below) revokes every ref.
 *
 * Keys: derived with HKDF-SHA256 from the installation's SecretBox keys (`secrets.encryptionKey`, or the key file
 * embedded mode generates), one per key, so they rotate with them: the first key mints, every key is accepted.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { MEDIA_REF_PATTERN } from '../../core/index.ts';

/** The shape of an organisation-scoped media ref (the route's path parameter). */
export const MEDIA_API_REF_PATTERN = /^[0-9a-f]{64}\.[A-Za-z0-9_-]{22}$/;

const TAG_BYTES = 16;
const HKDF_INFO = 'parlo media refs v1';

export interface MediaRefs {
  /** The ref organisation `orgId` may use for the stored object `sha256`. */
  issue(orgId: string, sha256: string): string;
  /** The stored object's SHA-256 if `ref` was issued to `orgId` (by any configured key), else undefined. */
  open(orgId: string, ref: string): string | undefined;
}

/** Derives the MAC keys from SecretBox keys (32 bytes each, sealing key first). */
export function deriveMediaRefKeys(secretBoxKeys: readonly Buffer[]): Buffer[] {
  return secretBoxKeys.map((key) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), HKDF_INFO, 32)));
}

export function createMediaRefs(keys: readonly Buffer[]): MediaRefs {
  if (keys.length === 0) throw new TypeError('media refs need at least one key');
  const tag = (key: Buffer, orgId: string, sha256: string): Buffer =>
    createHmac('sha256', key).update(`parlo-media-ref:v1:${orgId}:${sha256}`).digest().subarray(0, TAG_BYTES);
  return {
    issue(orgId, sha256) {
      if (!MEDIA_REF_PATTERN.test(sha256)) throw new TypeError(`not a media store ref: ${sha256}`);
      return `${sha256}.${tag(keys[0]!, orgId, sha256).toString('base64url')}`;
    },
    open(orgId, ref) {
      if (!MEDIA_API_REF_PATTERN.test(ref)) return undefined;
      const [sha256, given] = ref.split('.') as [string, string];
      const presented = Buffer.from(given, 'base64url');
      // One spelling per ref: base64url's last character has spare bits that decode the same.
      if (presented.length !== TAG_BYTES || presented.toString('base64url') !== given) return undefined;
      for (const key of keys) if (timingSafeEqual(tag(key, orgId, sha256), presented)) return sha256;
      return undefined;
    },
  };
}
