/**
 * An in-memory `MediaStorePort` double for tests: objects in a Map keyed by SHA-256, the same rules as the
 * filesystem adapter (limits, expected hash, MIME check, deduplication, erasure), and it passes the port's contract
 * suite (`core/ports/media-store.contract.ts`, STYLE rule 6). Not modelled: durability and disk failures.
 */
import { createHash } from 'node:crypto';
import {
  DEFAULT_MEDIA_MAX_BYTES,
  MEDIA_REF_PATTERN,
  isServableMimeType,
  type MediaPutOutcome,
  type MediaPutRequest,
  type MediaStorePort,
  type StoredMedia,
} from '../ports/media-store.port.ts';

export class MemoryMediaStore implements MediaStorePort {
  readonly maxBytes: number;
  readonly objects = new Map<string, { readonly bytes: Buffer; readonly mimeType: string }>();

  constructor(options: { readonly maxBytes?: number } = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES;
  }

  async put(request: MediaPutRequest): Promise<MediaPutOutcome> {
    const mimeType = request.mimeType.trim();
    if (!isServableMimeType(mimeType)) {
      return { ok: false, reason: 'invalid', detail: `unusable MIME type ${JSON.stringify(request.mimeType)}` };
    }
    const limit = Math.min(this.maxBytes, request.maxBytes ?? this.maxBytes);
    const hash = createHash('sha256');
    const chunks: Buffer[] = [];
    let size = 0;
    const source = request.data instanceof Uint8Array ? [request.data] : request.data;
    for await (const chunk of source) {
      size += chunk.byteLength;
      if (size > limit) return { ok: false, reason: 'tooLarge', detail: `more than ${limit} bytes` };
      hash.update(chunk);
      chunks.push(Buffer.from(chunk));
    }
    if (size === 0) return { ok: false, reason: 'invalid', detail: 'the object is empty' };
    const sha256 = hash.digest('hex');
    const expected = request.expectedSha256?.toLowerCase();
    if (expected !== undefined && expected !== sha256) {
      return { ok: false, reason: 'hashMismatch', detail: `SHA-256 ${sha256}, expected ${expected}` };
    }
    const existing = this.objects.get(sha256);
    if (existing) {
      return { ok: true, ref: sha256, sha256, mimeType: existing.mimeType, sizeBytes: size, deduplicated: true };
    }
    this.objects.set(sha256, { bytes: Buffer.concat(chunks), mimeType });
    return { ok: true, ref: sha256, sha256, mimeType, sizeBytes: size, deduplicated: false };
  }

  get(ref: string): Promise<StoredMedia | undefined> {
    const object = MEDIA_REF_PATTERN.test(ref) ? this.objects.get(ref) : undefined;
    if (!object) return Promise.resolve(undefined);
    const bytes = object.bytes;
    return Promise.resolve({
      ref,
      sha256: ref,
      mimeType: object.mimeType,
      sizeBytes: bytes.length,
      open: async function* () {
        await Promise.resolve();
        yield bytes;
      },
    });
  }

  delete(ref: string): Promise<boolean> {
    return Promise.resolve(MEDIA_REF_PATTERN.test(ref) && this.objects.delete(ref));
  }
}
