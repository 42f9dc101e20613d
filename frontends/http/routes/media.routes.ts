import { z } from 'zod';
import { ParloError, isServableMimeType, type MediaStorePort } from '../../../core/index.ts';
import type { MessageMedia } from '../../../actors/conversation/media.ts';
import { binaryResponse, defineRoute, type ApiRoute } from '../api/define-route.ts';
import { callerOf } from '../auth/caller.ts';
import { MEDIA_API_REF_PATTERN, type MediaRefs } from '../media-refs.ts';

/**
 * Customers' media (photos, voice notes, videos, documents, stickers) as the conversation recorded them: the bytes
 * the WhatsApp adapter fetched and kept in the media store, served under an organisation-scoped ref
 * (`media-refs.ts`). The ref comes with the message (`media.ref` on a conversation's messages); another
 * organisation's ref, an altered one, or one whose file is gone is the same 404.
 */
export interface MediaRoutesDeps {
  readonly store: MediaStorePort;
  readonly refs: MediaRefs;
}

/**
 * Types a browser may show inline without running anything: images (except SVG, which can script), audio, video,
 * PDF (browsers render it in their own sandboxed viewer). Everything else is a download.
 */
function isInlineSafe(mimeType: string): boolean {
  const type = mimeType.split(';')[0]!.trim().toLowerCase();
  if (type === 'image/svg+xml') return false;
  return /^(image|audio|video)\//.test(type) || type === 'application/pdf';
}

export function mediaRoutes(deps: MediaRoutesDeps): ApiRoute[] {
  const { store, refs } = deps;

  const getMedia = defineRoute({
    method: 'GET',
    url: '/media/:mediaRef',
    operationId: 'getMedia',
    summary: 'The bytes of a media file received in one of the organisation’s conversations',
    description:
      'Streams the file with its own Content-Type (the type WhatsApp gave it). `mediaRef` is the `media.ref` of a message of a conversation (GET /v1/conversations/{conversationId}); it is valid for the organisation it was shown to only. Files never change under a ref, so the answer may be cached for good (ETag is the file’s SHA-256).',
    tags: ['messages'],
    auth: 'any',
    scopes: ['messages:read'],
    params: z.object({
      mediaRef: z
        .string()
        .regex(MEDIA_API_REF_PATTERN, 'must be a media ref: <sha256 hex>.<22 base64url characters>')
        .describe('The media ref of a message (its `media.ref`)'),
    }),
    responses: { 200: binaryResponse('The file, with its own Content-Type, Content-Length and ETag') },
    async handler({ params, request }) {
      const caller = callerOf(request);
      const sha256 = refs.open(caller.orgId, params.mediaRef);
      const stored = sha256 === undefined ? undefined : await store.get(sha256);
      if (stored === undefined) throw new ParloError('PARLO_MEDIA_NOT_FOUND', `no media ${params.mediaRef} here`);
      const contentType = isServableMimeType(stored.mimeType) ? stored.mimeType : 'application/octet-stream';
      return {
        status: 200,
        binary: {
          contentType,
          sizeBytes: stored.sizeBytes,
          data: stored.open(),
          headers: {
            etag: `"${stored.sha256}"`,
            // Content-addressed: the bytes of a ref never change. Private: it is one organisation's data.
            'cache-control': 'private, max-age=31536000, immutable',
            'content-disposition': isInlineSafe(contentType) ? 'inline' : 'attachment',
            // A customer's file must not run as a page of the API's origin, whatever its type says.
            'x-content-type-options': 'nosniff',
            'content-security-policy': "default-src 'none'; sandbox",
          },
        },
      };
    },
  });

  return [getMedia];
}

/**
 * A message's `media` as the API shows it to organisation `orgId`: the organisation-scoped ref for
 * `GET /v1/media/{mediaRef}` once stored, the failure once given up. For the conversation view
 * (`messages.routes.ts`), with the same `MediaRefs` as the media route.
 */
export const MediaView = z
  .object({
    state: z.enum(['fetching', 'stored', 'failed']),
    ref: z.string().nullable(),
    mimeType: z.string().nullable(),
    sizeBytes: z.number().nullable(),
    fileName: z.string().nullable(),
    error: z.object({ code: z.union([z.number(), z.string()]), detail: z.string() }).nullable(),
  })
  .meta({ id: 'MessageMedia' });

export function mediaView(
  media: MessageMedia | null | undefined,
  orgId: string,
  refs: MediaRefs,
): z.input<typeof MediaView> | null {
  if (media === null || media === undefined) return null;
  switch (media.state) {
    case 'stored':
      return {
        state: 'stored',
        ref: refs.issue(orgId, media.ref),
        mimeType: media.mimeType,
        sizeBytes: media.sizeBytes,
        fileName: media.fileName,
        error: null,
      };
    case 'fetching':
      return { state: 'fetching', ref: null, mimeType: null, sizeBytes: null, fileName: null, error: media.error };
    case 'failed':
      return { state: 'failed', ref: null, mimeType: null, sizeBytes: null, fileName: null, error: media.error };
    default:
      return null;
  }
}
