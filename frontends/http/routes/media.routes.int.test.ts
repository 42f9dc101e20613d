import Fastify, { type FastifyInstance } from 'fastify';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ParloError } from '../../../core/index.ts';
import { MemoryMediaStore } from '../../../core/testing/memory-media-store.ts';
import { applyMediaResult, pendingMedia, type MessageMedia } from '../../../actors/conversation/media.ts';
import { useApiErrorMapper } from '../api/errors.ts';
import { registerApiRoutes, type Authenticate } from '../api/register-routes.ts';
import { callerSatisfies, setCaller, type ApiCaller } from '../auth/caller.ts';
import { createMediaRefs, deriveMediaRefKeys } from '../media-refs.ts';
import { MediaView, mediaRoutes, mediaView } from './media.routes.ts';

/**
 * `GET /v1/media/{mediaRef}` over fastify `inject`, with a stand-in for the auth hook (the caller comes from test
 * headers; the real hook and the role matrix are in tenancy-rbac.int.test.ts) and the in-memory media store.
 */

const store = new MemoryMediaStore();
const refs = createMediaRefs(deriveMediaRefKeys([Buffer.alloc(32, 7)]));
let app: FastifyInstance;

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2_000, 1), Buffer.from([0xff, 0xd9])]);
const HTML = Buffer.from('<script>alert(1)</script>');
const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** `x-org` names the organisation; `x-scopes` (comma-separated) makes the caller an API key with those scopes. */
const authenticate: Authenticate = (request, requirement) => {
  const orgId = request.headers['x-org'];
  if (typeof orgId !== 'string') throw new ParloError('PARLO_SESSION_INVALID', 'no caller');
  const scopes = request.headers['x-scopes'];
  const caller: ApiCaller =
    typeof scopes === 'string'
      ? { kind: 'apiKey', keyId: 'k1', orgId, scopes: scopes.split(',') as never }
      : { kind: 'user', userId: 'u1', orgId, role: 'viewer', sessionId: 's1' };
  for (const scope of requirement.scopes) {
    if (!callerSatisfies(caller, scope)) throw new ParloError('PARLO_ACCESS_FORBIDDEN', `lacks ${scope}`);
  }
  setCaller(request, caller);
};

beforeAll(async () => {
  await store.put({ data: JPEG, mimeType: 'image/jpeg' });
  await store.put({ data: HTML, mimeType: 'text/html' });
  app = Fastify();
  useApiErrorMapper(app);
  registerApiRoutes(app, mediaRoutes({ store, refs }), { info: { title: 'test', version: '1' }, authenticate });
  await app.ready();
});
afterAll(async () => {
  await app?.close();
});

const get = (ref: string, headers: Record<string, string>) => app.inject({ url: `/v1/media/${ref}`, headers });
const codeOf = (res: { json<T>(): T }) => res.json<{ error: { code: string } }>().error.code;

describe('GET /v1/media/{mediaRef}', () => {
  it('streams the stored bytes with their type to the organisation the ref was issued to', async () => {
    const res = await get(refs.issue('org_a', sha(JPEG)), { 'x-org': 'org_a' });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.rawPayload.equals(JPEG)).toBe(true);
    expect(res.headers).toMatchObject({
      'content-type': 'image/jpeg',
      'content-length': String(JPEG.length),
      etag: `"${sha(JPEG)}"`,
      'cache-control': 'private, max-age=31536000, immutable',
      'content-disposition': 'inline',
      'x-content-type-options': 'nosniff',
    });
  });

  it('answers 404 PARLO_MEDIA_NOT_FOUND to another organisation, for an altered ref and for a missing file', async () => {
    const refA = refs.issue('org_a', sha(JPEG));
    const asB = await get(refA, { 'x-org': 'org_b' });
    expect(asB.statusCode).toBe(404);
    expect(codeOf(asB)).toBe('PARLO_MEDIA_NOT_FOUND');
    const [hash, tag] = refA.split('.') as [string, string];
    const altered = await get(`${hash}.${tag[0] === 'A' ? 'B' : 'A'}${tag.slice(1)}`, { 'x-org': 'org_a' });
    expect(altered.statusCode).toBe(404);
    const missing = await get(refs.issue('org_a', sha(Buffer.from('never stored'))), { 'x-org': 'org_a' });
    expect(missing.statusCode).toBe(404);
    expect(codeOf(missing)).toBe('PARLO_MEDIA_NOT_FOUND');
  });

  it('offers anything but media a browser can show safely as a sandboxed download', async () => {
    const res = await get(refs.issue('org_a', sha(HTML)), { 'x-org': 'org_a' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html');
    expect(res.headers['content-disposition']).toBe('attachment');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; sandbox");
  });

  it('refuses a malformed ref (400), a key without messages:read (403) and no credential (401)', async () => {
    const bad = await get('not-a-ref', { 'x-org': 'org_a' });
    expect(bad.statusCode).toBe(400);
    expect(codeOf(bad)).toBe('PARLO_VALIDATION_FAILED');
    const ref = refs.issue('org_a', sha(JPEG));
    const key = await get(ref, { 'x-org': 'org_a', 'x-scopes': 'contacts:read' });
    expect(key.statusCode).toBe(403);
    expect((await get(ref, { 'x-org': 'org_a', 'x-scopes': 'messages:read' })).statusCode).toBe(200);
    expect((await get(ref, {})).statusCode).toBe(401);
  });
});

describe('mediaView (a message’s media in the conversation view)', () => {
  const photo = {
    id: 'wamid.1',
    direction: 'in' as const,
    type: 'image',
    content: { id: '1003383421387256', mime_type: 'image/jpeg' },
  };

  it('shows a stored file with the organisation’s own ref, which the media route serves', async () => {
    const media: MessageMedia | null | undefined = applyMediaResult(
      { ...photo, media: pendingMedia(photo.type, photo.content) },
      { ok: true, ref: sha(JPEG), mimeType: 'image/jpeg', sha256: sha(JPEG), sizeBytes: JPEG.length },
    ).media;
    const view = mediaView(media, 'org_a', refs);
    expect(MediaView.parse(view)).toEqual({
      state: 'stored',
      ref: refs.issue('org_a', sha(JPEG)),
      mimeType: 'image/jpeg',
      sizeBytes: JPEG.length,
      fileName: null,
      error: null,
    });
    expect((await get(view!.ref!, { 'x-org': 'org_a' })).statusCode).toBe(200);
    expect(mediaView(media, 'org_b', refs)?.ref).not.toBe(view?.ref);
  });

  it('shows fetching and failed media without a ref, and nothing for messages without media', () => {
    expect(mediaView(pendingMedia(photo.type, photo.content), 'org_a', refs)).toMatchObject({
      state: 'fetching',
      ref: null,
      error: null,
    });
    const failed = applyMediaResult(photo, { ok: false, outcome: 'rejected', code: 100, detail: 'gone' }).media;
    expect(mediaView(failed, 'org_a', refs)).toMatchObject({
      state: 'failed',
      ref: null,
      error: { code: 100, detail: 'gone' },
    });
    expect(mediaView(null, 'org_a', refs)).toBeNull();
    expect(mediaView(undefined, 'org_a', refs)).toBeNull();
  });
});
