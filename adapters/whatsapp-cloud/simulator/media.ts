import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../../core/time/clock.ts';
import { graphError, type GraphError } from './send/graph-error.ts';

const MB = 1024 * 1024;

/** Meta's accepted media types and size limits (WHATSAPP.md §2.2). */
export const MEDIA_LIMITS: Readonly<Record<string, { kind: string; maxBytes: number }>> = {
  'audio/aac': { kind: 'audio', maxBytes: 16 * MB },
  'audio/amr': { kind: 'audio', maxBytes: 16 * MB },
  'audio/mpeg': { kind: 'audio', maxBytes: 16 * MB },
  'audio/mp4': { kind: 'audio', maxBytes: 16 * MB },
  'audio/ogg': { kind: 'audio', maxBytes: 16 * MB },
  'text/plain': { kind: 'document', maxBytes: 100 * MB },
  'application/pdf': { kind: 'document', maxBytes: 100 * MB },
  'application/vnd.ms-excel': { kind: 'document', maxBytes: 100 * MB },
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': { kind: 'document', maxBytes: 100 * MB },
  'application/msword': { kind: 'document', maxBytes: 100 * MB },
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': { kind: 'document', maxBytes: 100 * MB },
  'application/vnd.ms-powerpoint': { kind: 'document', maxBytes: 100 * MB },
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': { kind: 'document', maxBytes: 100 * MB },
  'image/jpeg': { kind: 'image', maxBytes: 5 * MB },
  'image/png': { kind: 'image', maxBytes: 5 * MB },
  'image/webp': { kind: 'sticker', maxBytes: 500 * 1024 },
  'video/mp4': { kind: 'video', maxBytes: 16 * MB },
  'video/3gpp': { kind: 'video', maxBytes: 16 * MB },
};

/** Magic numbers for the types whose content we can check cheaply: a declared type the bytes contradict is 131053. */
const SIGNATURES: Readonly<Record<string, (bytes: Buffer) => boolean>> = {
  'image/jpeg': (b) => b[0] === 0xff && b[1] === 0xd8,
  'image/png': (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  'application/pdf': (b) => b.subarray(0, 4).toString('latin1') === '%PDF',
  'image/webp': (b) =>
    b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
};

const UPLOAD_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Media ids that arrive in webhooks (a customer's media) live 7 days, uploads 30 (WHATSAPP.md §2.2). */
const RECEIVED_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const DOWNLOAD_URL_TTL_MS = 5 * 60 * 1000;
/** The largest file a customer message may carry into the simulator (Meta's largest media limit). */
export const MAX_RECEIVED_BYTES = 100 * MB;

interface StoredMedia {
  readonly id: string;
  readonly phoneNumberId: string;
  readonly mimeType: string;
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly uploadedAtMs: number;
  /** How long the id lives after `uploadedAtMs`: 30 days for uploads, 7 for media received in webhooks. */
  readonly ttlMs: number;
  readonly downloadToken: string;
}

/** Uploaded media: bytes kept in memory with Meta's MIME and size rules, 30-day ids and 5-minute download URLs. */
export class SimulatorMedia {
  private readonly items = new Map<string, StoredMedia>();
  private readonly clock: Clock;

  constructor(deps: { clock: Clock }) {
    this.clock = deps.clock;
  }

  upload(
    phoneNumberId: string,
    file: { bytes: Buffer; mimeType: string },
  ): { ok: true; id: string } | { ok: false; error: GraphError } {
    const mimeType = file.mimeType.split(';')[0]!.trim().toLowerCase();
    const limit = MEDIA_LIMITS[mimeType];
    if (!limit) return { ok: false, error: graphError(131053, `Unsupported media type ${file.mimeType}`) };
    if (file.bytes.length === 0) return { ok: false, error: graphError(131053, 'The uploaded file is empty') };
    if (file.bytes.length > limit.maxBytes) {
      return {
        ok: false,
        error: graphError(
          131053,
          `File of ${file.bytes.length} bytes exceeds the ${limit.maxBytes}-byte limit for ${mimeType}`,
        ),
      };
    }
    const matches = SIGNATURES[mimeType];
    if (matches && !matches(file.bytes)) {
      return {
        ok: false,
        error: graphError(
          131053,
          `Param file must be a file with one of the following types: ${mimeType}. Received file of type 'application/octet-stream'.`,
        ),
      };
    }
    const id = newMediaId();
    this.items.set(id, {
      id,
      phoneNumberId,
      mimeType,
      bytes: file.bytes,
      sha256: createHash('sha256').update(file.bytes).digest('hex'),
      uploadedAtMs: this.clock.now(),
      ttlMs: UPLOAD_TTL_MS,
      downloadToken: randomBytes(12).toString('base64url'),
    });
    return { ok: true, id };
  }

  /**
   * The media of an injected customer message, so that its id can be fetched like Meta's: an id already live
   * (uploaded earlier) is used as it is; otherwise the given bytes, or a small sample file of the declared type
   * (with the type's magic number, unique per id), are kept under `id` (or a new id) for 7 days. Customers may
   * send any document type, so the type is not checked against the upload rules; the size is capped at 100 MB.
   * Answers the id and the base64 SHA-256 that Meta puts in the webhook, or why the bytes were refused.
   */
  receive(
    phoneNumberId: string,
    media: { id?: string | undefined; bytes?: Buffer | undefined; mimeType: string },
  ): { ok: true; id: string; sha256Base64: string } | { ok: false; message: string } {
    const known = media.id === undefined ? undefined : this.live(media.id);
    if (known && media.bytes === undefined) {
      return { ok: true, id: known.id, sha256Base64: Buffer.from(known.sha256, 'hex').toString('base64') };
    }
    const id = media.id ?? newMediaId();
    const bytes = media.bytes ?? sampleMedia(media.mimeType, id);
    if (bytes.length === 0) return { ok: false, message: 'the media file is empty' };
    if (bytes.length > MAX_RECEIVED_BYTES) {
      return { ok: false, message: `${bytes.length} bytes is more than the ${MAX_RECEIVED_BYTES} allowed` };
    }
    const sha256 = createHash('sha256').update(bytes).digest();
    this.items.set(id, {
      id,
      phoneNumberId,
      mimeType: media.mimeType,
      bytes,
      sha256: sha256.toString('hex'),
      uploadedAtMs: this.clock.now(),
      ttlMs: RECEIVED_TTL_MS,
      downloadToken: randomBytes(12).toString('base64url'),
    });
    return { ok: true, id, sha256Base64: sha256.toString('base64') };
  }

  exists(mediaId: string): boolean {
    return this.live(mediaId) !== undefined;
  }

  ownerWaba(mediaId: string, wabaOfNumber: (phoneNumberId: string) => string | undefined): string | undefined {
    const item = this.live(mediaId);
    return item ? wabaOfNumber(item.phoneNumberId) : undefined;
  }

  /**
   * `GET /{media-id}`: metadata and a download URL valid for five minutes. With `phoneNumberId` (Meta's optional
   * `?phone_number_id=`), only media of that number is described.
   */
  describe(mediaId: string, baseUrl: string, phoneNumberId?: string): Record<string, unknown> | undefined {
    const item = this.live(mediaId);
    if (!item) return undefined;
    if (phoneNumberId !== undefined && item.phoneNumberId !== phoneNumberId) return undefined;
    const expires = this.clock.now() + DOWNLOAD_URL_TTL_MS;
    return {
      messaging_product: 'whatsapp',
      url: `${baseUrl}/_sim/media/${item.id}?token=${item.downloadToken}&expires=${expires}`,
      mime_type: item.mimeType,
      sha256: item.sha256,
      file_size: item.bytes.length,
      id: item.id,
    };
  }

  download(mediaId: string, token: string, expiresAtMs: number): { bytes: Buffer; mimeType: string } | undefined {
    const item = this.live(mediaId);
    if (!item || token !== item.downloadToken || this.clock.now() > expiresAtMs) return undefined;
    return { bytes: item.bytes, mimeType: item.mimeType };
  }

  delete(mediaId: string): boolean {
    return this.items.delete(mediaId);
  }

  private live(mediaId: string): StoredMedia | undefined {
    const item = this.items.get(mediaId);
    if (item && this.clock.now() - item.uploadedAtMs > item.ttlMs) {
      this.items.delete(mediaId);
      return undefined;
    }
    return item;
  }
}

function newMediaId(): string {
  return String(1_000_000_000_000_000 + Math.floor(Math.random() * 8_999_999_999_999_999));
}

/** A 1×1 transparent PNG: a sample image that every viewer can show. */
const SAMPLE_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * A small file of the declared type for an injected message that brings no bytes: the type's magic number (so the
 * simulator's own checks and a viewer's sniffing agree with the type) followed by text naming the media id, so
 * two messages never share one file by accident.
 */
export function sampleMedia(mimeType: string, id: string): Buffer {
  const type = mimeType.split(';')[0]!.trim().toLowerCase();
  const tag = Buffer.from(`\nParlo simulator sample ${type} for media ${id}\n`, 'latin1');
  switch (type) {
    case 'image/png':
      return Buffer.concat([SAMPLE_PNG, tag]);
    case 'image/jpeg':
      return Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), tag, Buffer.from([0xff, 0xd9])]);
    case 'image/webp': {
      const body = Buffer.concat([Buffer.from('WEBPVP8 ', 'latin1'), tag]);
      const size = Buffer.alloc(4);
      size.writeUInt32LE(body.length);
      return Buffer.concat([Buffer.from('RIFF', 'latin1'), size, body]);
    }
    case 'application/pdf':
      return Buffer.concat([Buffer.from('%PDF-1.4\n%', 'latin1'), tag, Buffer.from('%%EOF\n', 'latin1')]);
    case 'audio/ogg':
      return Buffer.concat([Buffer.from('OggS', 'latin1'), Buffer.alloc(24), tag]);
    case 'video/mp4':
    case 'audio/mp4':
      return Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom', 'latin1'), Buffer.alloc(12), tag]);
    default:
      return tag;
  }
}
