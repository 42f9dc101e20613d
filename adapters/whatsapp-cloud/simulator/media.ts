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
export const DOWNLOAD_URL_TTL_MS = 5 * 60 * 1000;

interface StoredMedia {
  readonly id: string;
  readonly phoneNumberId: string;
  readonly mimeType: string;
  readonly bytes: Buffer;
  readonly sha256: string;
  readonly uploadedAtMs: number;
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
    const id = String(1_000_000_000_000_000 + Math.floor(Math.random() * 8_999_999_999_999_999));
    this.items.set(id, {
      id,
      phoneNumberId,
      mimeType,
      bytes: file.bytes,
      sha256: createHash('sha256').update(file.bytes).digest('hex'),
      uploadedAtMs: this.clock.now(),
      downloadToken: randomBytes(12).toString('base64url'),
    });
    return { ok: true, id };
  }

  exists(mediaId: string): boolean {
    return this.live(mediaId) !== undefined;
  }

  ownerWaba(mediaId: string, wabaOfNumber: (phoneNumberId: string) => string | undefined): string | undefined {
    const item = this.live(mediaId);
    return item ? wabaOfNumber(item.phoneNumberId) : undefined;
  }

  /** `GET /{media-id}`: metadata and a download URL valid for five minutes. */
  describe(mediaId: string, baseUrl: string): Record<string, unknown> | undefined {
    const item = this.live(mediaId);
    if (!item) return undefined;
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
    if (item && this.clock.now() - item.uploadedAtMs > UPLOAD_TTL_MS) {
      this.items.delete(mediaId);
      return undefined;
    }
    return item;
  }
}
