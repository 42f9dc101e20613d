/**
 * Fetching a customer's media through the channel adapter: an operation of the channel's port (for WhatsApp the
 * `whatsapp-cloud` port, operation `fetchMedia`), called by actors with a `callPort` effect. The adapter asks the
 * provider for the media, downloads it, checks it (size limit, the provider's hash) and keeps it in the media store
 * (`media-store.port.ts`); the actor records the ref. Types only.
 *
 * Like sends, a fetch never throws for a remote refusal (STYLE rule 4): `retry` means "the same call may work
 * later" (network, timeouts, 5xx, an expired download URL, a transfer whose hash did not match, a store that
 * failed), `rejected` means it will not (the media id expired — Meta keeps received media 7 days —, the number is
 * not connected, the file is over the limit).
 */
import type { MediaType } from './channel.port.ts';

/** The operation's name on the channel port. */
export const FETCH_MEDIA_OPERATION = 'fetchMedia';

export interface MediaFetchRequest {
  /** The business account the media was received on: for WhatsApp, the phone-number id (whose token is used). */
  readonly accountId: string;
  /** The provider's media id (Meta: `image.id`, `document.id`, … of the inbound message). */
  readonly mediaId: string;
  /** The message type the media came with; picks the size limit (a sticker's is not a document's). */
  readonly mediaType?: MediaType;
}

export type MediaFetchResult =
  | {
      readonly ok: true;
      /** The media store ref of the bytes. */
      readonly ref: string;
      readonly mimeType: string;
      /** Lowercase hex SHA-256 of the bytes (checked against the provider's). */
      readonly sha256: string;
      readonly sizeBytes: number;
      /** The file name the provider's download named, if any (documents also carry `filename` in the message). */
      readonly fileName?: string;
    }
  | {
      readonly ok: false;
      readonly outcome: 'retry' | 'rejected';
      /** The provider's code (Meta's numeric error code), a negative local one, or a PARLO_ code. */
      readonly code: number | string;
      readonly detail: string;
    };
