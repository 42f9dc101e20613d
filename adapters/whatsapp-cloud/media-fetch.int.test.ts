import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MediaStorePort } from '../../core/index.ts';
import { MemoryMediaStore } from '../../core/testing/memory-media-store.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { openFsMediaStore } from '../media-fs/media-fs.adapter.ts';
import { LOCAL_ERROR_CODES } from './classify.ts';
import { MEDIA_MAX_BYTES, createMediaFetcher, fileNameOf, mediaLimitBytes, sha256Hex } from './media-fetch.ts';
import { startSimulatorServer, type SimulatorServer } from './simulator/server.ts';

const hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

// ---------------------------------------------------------------------------------------------------------------
// Against the simulator over HTTP: the path a real inbound photo takes.

describe('fetchMedia against the simulator', () => {
  const TOKEN = 'EAAGmediafetchtoken';
  const OTHER_TOKEN = 'EAAGotheraccounttoken';
  const WABA = '419561257915477';
  const NUMBER = '106540352242922';
  const OTHER_WABA = '419561257915478';
  const OTHER_NUMBER = '106540352242933';
  const CUSTOMER = '16505551234';
  let sim: SimulatorServer;
  let temp: ReturnType<typeof makeTempDir>;
  let store: MediaStorePort;
  const tokens = new Map<string, string>([
    [NUMBER, TOKEN],
    [OTHER_NUMBER, OTHER_TOKEN],
  ]);
  let fetcher: ReturnType<typeof createMediaFetcher>;

  /** A customer message through the control API, as a test or an operator would inject it. */
  async function inject(message: Record<string, unknown>, phoneNumberId = NUMBER): Promise<string> {
    const res = await request(`${sim.url}/_sim/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ phoneNumberId, message: { from: CUSTOMER, ...message } }),
    });
    const body = (await res.body.json()) as { wamid: string; mediaId?: string };
    expect(res.statusCode, JSON.stringify(body)).toBe(200);
    expect(body.mediaId).toBeDefined();
    return body.mediaId!;
  }

  beforeAll(async () => {
    sim = await startSimulatorServer();
    sim.simulator.registerWaba({ wabaId: WABA, appSecret: 's1', accessToken: TOKEN });
    sim.simulator.registerNumber({ phoneNumberId: NUMBER, wabaId: WABA, displayPhoneNumber: '15550783881' });
    sim.simulator.registerWaba({ wabaId: OTHER_WABA, appSecret: 's2', accessToken: OTHER_TOKEN });
    sim.simulator.registerNumber({
      phoneNumberId: OTHER_NUMBER,
      wabaId: OTHER_WABA,
      displayPhoneNumber: '15550783882',
    });
    temp = makeTempDir('parlo-media-fetch-');
    store = await openFsMediaStore({ dir: join(temp.path, 'media') });
    fetcher = createMediaFetcher({
      baseUrl: sim.url,
      accessToken: (accountId) => {
        if (accountId === '100000000000666') throw new Error('token store timed out');
        return tokens.get(accountId);
      },
      store,
    });
  });
  afterAll(async () => {
    await fetcher?.close();
    await sim?.close();
    temp?.remove();
  });

  it('stores an injected photo under its SHA-256, exactly the bytes Meta serves', async () => {
    const mediaId = await inject({ type: 'image', mimeType: 'image/jpeg', caption: 'look' });
    const result = await fetcher.fetchMedia({ accountId: NUMBER, mediaId, mediaType: 'image' });
    if (!result.ok) throw new Error(JSON.stringify(result));
    // What the simulator serves, fetched by hand with the bearer Meta requires.
    const info = (await (
      await request(`${sim.url}/v23.0/${mediaId}`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).body.json()) as { url: string; sha256: string };
    const served = await readAll((await request(info.url, { headers: { authorization: `Bearer ${TOKEN}` } })).body);
    expect(result).toEqual({
      ok: true,
      ref: hex(served),
      mimeType: 'image/jpeg',
      sha256: hex(served),
      sizeBytes: served.length,
    });
    expect(info.sha256).toBe(hex(served));
    const stored = await store.get(result.ref);
    expect(stored?.mimeType).toBe('image/jpeg');
    expect((await readAll(stored!.open())).equals(served)).toBe(true);
  });

  it('stores the bytes a document was injected with, once however often it is fetched', async () => {
    const pdf = Buffer.from('%PDF-1.7\n% the customer’s invoice\n%%EOF\n');
    const mediaId = await inject({
      type: 'document',
      mimeType: 'application/pdf',
      filename: 'invoice.pdf',
      data: pdf.toString('base64'),
    });
    const first = await fetcher.fetchMedia({ accountId: NUMBER, mediaId, mediaType: 'document' });
    const second = await fetcher.fetchMedia({ accountId: NUMBER, mediaId, mediaType: 'document' });
    expect(first).toMatchObject({ ok: true, ref: hex(pdf), sizeBytes: pdf.length, mimeType: 'application/pdf' });
    expect(second).toEqual(first);
  });

  it('keeps a voice note with its codec parameter', async () => {
    const mediaId = await inject({ type: 'audio', mimeType: 'audio/ogg; codecs=opus', voice: true });
    const result = await fetcher.fetchMedia({ accountId: NUMBER, mediaId, mediaType: 'audio' });
    expect(result).toMatchObject({ ok: true, mimeType: 'audio/ogg; codecs=opus' });
  });

  it('refuses a file over Meta’s limit for its type without storing it', async () => {
    const big = Buffer.alloc(MEDIA_MAX_BYTES.sticker + 1, 1);
    const mediaId = await inject({ type: 'sticker', mimeType: 'image/webp', data: big.toString('base64') });
    const result = await fetcher.fetchMedia({ accountId: NUMBER, mediaId, mediaType: 'sticker' });
    expect(result).toMatchObject({ ok: false, outcome: 'rejected', code: 'PARLO_MEDIA_TOO_LARGE' });
    expect(await store.get(hex(big))).toBeUndefined();
  });

  it('is rejected with Meta’s code for an unknown (or expired) media id', async () => {
    const result = await fetcher.fetchMedia({ accountId: NUMBER, mediaId: '1234567890123456', mediaType: 'image' });
    expect(result).toMatchObject({ ok: false, outcome: 'rejected', code: 100 });
  });

  it('cannot fetch another account’s media with its own token', async () => {
    const mediaId = await inject({ type: 'image', mimeType: 'image/png' }, OTHER_NUMBER);
    const result = await fetcher.fetchMedia({ accountId: NUMBER, mediaId, mediaType: 'image' });
    expect(result).toMatchObject({ ok: false, outcome: 'rejected', code: 100 });
    expect(await fetcher.fetchMedia({ accountId: OTHER_NUMBER, mediaId })).toMatchObject({ ok: true });
  });

  it('reports a number without a token as rejected, a failed lookup as retry, and bad ids as rejected', async () => {
    expect(await fetcher.fetchMedia({ accountId: '100000000000999', mediaId: '1' })).toMatchObject({
      ok: false,
      outcome: 'rejected',
      code: LOCAL_ERROR_CODES.noCredentials,
    });
    expect(await fetcher.fetchMedia({ accountId: '100000000000666', mediaId: '1' })).toMatchObject({
      ok: false,
      outcome: 'retry',
      code: LOCAL_ERROR_CODES.credentialsUnavailable,
    });
    expect(await fetcher.fetchMedia({ accountId: NUMBER, mediaId: '../../_sim/stats' })).toMatchObject({
      ok: false,
      outcome: 'rejected',
      code: 'PARLO_VALIDATION_FAILED',
    });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Against a scripted stand-in for Graph + the download host: the answers the simulator does not give.

interface Recorded {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
}

describe('fetchMedia against a scripted Graph API', () => {
  const TOKEN = 'EAAGscriptedtoken';
  const BYTES = Buffer.from('\x89PNG\r\n\x1a\n scripted image bytes');
  const recorded: Recorded[] = [];
  let server: Server;
  let url: string;
  /** media id → how `GET /v23.0/{id}` and its download answer. */
  const scripts = new Map<string, (res: ServerResponse, path: string) => void>();

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };
  /** A media whose metadata says `info` and whose download answers with `download`. */
  const media = (
    id: string,
    info: Record<string, unknown>,
    download: (res: ServerResponse) => void = (res) => res.writeHead(200, { 'content-type': 'image/png' }).end(BYTES),
  ): void => {
    scripts.set(id, (res, path) =>
      path === `/v23.0/${id}`
        ? json(res, 200, { messaging_product: 'whatsapp', url: `${url}/dl/${id}`, id, ...info })
        : download(res),
    );
  };

  beforeAll(async () => {
    server = createServer((req, res) => {
      recorded.push({ url: req.url ?? '', headers: req.headers });
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const id = path.split('/').pop() ?? '';
      const script = scripts.get(id);
      if (!script) return json(res, 404, { error: { code: 100, message: 'unknown', error_subcode: 33 } });
      script(res, path);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    media('hexsha', { mime_type: 'image/png', sha256: hex(BYTES), file_size: BYTES.length });
    media('base64sha', {
      mime_type: 'image/png',
      sha256: createHash('sha256').update(BYTES).digest('base64'),
      file_size: String(BYTES.length), // a string, as in Meta's OpenAPI example
    });
    media('mismatch', { mime_type: 'image/png', sha256: hex(Buffer.from('other')), file_size: BYTES.length });
    media('lying-size', { mime_type: 'image/png', sha256: hex(BYTES), file_size: 10 }, (res) =>
      res.writeHead(200, { 'content-length': String(6 * 1024 * 1024) }).end(),
    );
    media('expired', { mime_type: 'image/png', sha256: hex(BYTES) }, (res) => res.writeHead(404).end());
    media('redirect', { mime_type: 'image/png', sha256: hex(BYTES) }, (res) =>
      res.writeHead(302, { location: 'http://169.254.169.254/latest' }).end(),
    );
    media('download-5xx', { mime_type: 'image/png', sha256: hex(BYTES) }, (res) => res.writeHead(503).end('busy'));
    media('named', { mime_type: 'application/pdf', sha256: hex(BYTES) }, (res) =>
      res.writeHead(200, { 'content-disposition': 'attachment; filename="../secret/report 2026.pdf"' }).end(BYTES),
    );
    const other = Buffer.from('other bytes');
    media('weird-type', { mime_type: 'text/html\r\nx: y', sha256: hex(other) }, (res) => res.writeHead(200).end(other));
    media('no-sha', { mime_type: 'image/png' });
    scripts.set('graph-5xx', (res) =>
      json(res, 500, { error: { code: 2, message: 'Service temporarily unavailable' } }),
    );
    scripts.set('throttled', (res) => json(res, 400, { error: { code: 4, message: 'Application request limit' } }));
    scripts.set('bad-token', (res) => json(res, 401, { error: { code: 190, message: 'Invalid OAuth access token' } }));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const fetcherWith = (store: MediaStorePort = new MemoryMediaStore()) =>
    createMediaFetcher({ baseUrl: url, accessToken: () => TOKEN, store, timeoutMs: 2_000 });

  it('sends the bearer token on both the Graph call and the download', async () => {
    recorded.length = 0;
    const fetcher = fetcherWith();
    expect(await fetcher.fetchMedia({ accountId: '106540352242922', mediaId: 'hexsha' })).toMatchObject({
      ok: true,
      sha256: hex(BYTES),
    });
    expect(recorded.map((r) => [r.url, r.headers.authorization])).toEqual([
      ['/v23.0/hexsha', `Bearer ${TOKEN}`],
      ['/dl/hexsha', `Bearer ${TOKEN}`],
    ]);
    await fetcher.close();
  });

  it('reads a base64 sha256 and a string file_size', async () => {
    const fetcher = fetcherWith();
    expect(await fetcher.fetchMedia({ accountId: '1', mediaId: 'base64sha' })).toMatchObject({
      ok: true,
      ref: hex(BYTES),
      sizeBytes: BYTES.length,
    });
    await fetcher.close();
  });

  it('stores nothing and retries when the bytes do not match Meta’s hash', async () => {
    const store = new MemoryMediaStore();
    const fetcher = fetcherWith(store);
    expect(await fetcher.fetchMedia({ accountId: '1', mediaId: 'mismatch' })).toMatchObject({
      ok: false,
      outcome: 'retry',
      code: 'PARLO_MEDIA_INTEGRITY_FAILED',
    });
    expect(store.objects.size).toBe(0);
    await fetcher.close();
  });

  it('refuses a download whose Content-Length is over the limit before reading it', async () => {
    const fetcher = fetcherWith();
    expect(await fetcher.fetchMedia({ accountId: '1', mediaId: 'lying-size', mediaType: 'image' })).toMatchObject({
      ok: false,
      outcome: 'rejected',
      code: 'PARLO_MEDIA_TOO_LARGE',
    });
    await fetcher.close();
  });

  it('retries an expired URL, a 5xx download, Graph 5xx and throttling; rejects a refused token', async () => {
    const fetcher = fetcherWith();
    const outcome = async (mediaId: string) => fetcher.fetchMedia({ accountId: '1', mediaId });
    expect(await outcome('expired')).toMatchObject({ ok: false, outcome: 'retry', code: 404 });
    expect(await outcome('download-5xx')).toMatchObject({ ok: false, outcome: 'retry', code: 503 });
    expect(await outcome('graph-5xx')).toMatchObject({ ok: false, outcome: 'retry', code: 2 });
    expect(await outcome('throttled')).toMatchObject({ ok: false, outcome: 'retry', code: 4 });
    expect(await outcome('bad-token')).toMatchObject({ ok: false, outcome: 'rejected', code: 190 });
    expect(await outcome('no-sha')).toMatchObject({
      ok: false,
      outcome: 'retry',
      code: LOCAL_ERROR_CODES.malformedResponse,
    });
    await fetcher.close();
  });

  it('does not follow a redirect (the bearer token never goes elsewhere)', async () => {
    recorded.length = 0;
    const fetcher = fetcherWith();
    expect(await fetcher.fetchMedia({ accountId: '1', mediaId: 'redirect' })).toMatchObject({
      ok: false,
      outcome: 'rejected',
      code: 302,
    });
    expect(recorded.map((r) => r.url)).toEqual(['/v23.0/redirect', '/dl/redirect']);
    await fetcher.close();
  });

  it('keeps the bare file name of the download and serves an unusable type as bytes', async () => {
    const fetcher = fetcherWith();
    expect(await fetcher.fetchMedia({ accountId: '1', mediaId: 'named' })).toMatchObject({
      ok: true,
      mimeType: 'application/pdf',
      fileName: 'report 2026.pdf',
    });
    expect(await fetcher.fetchMedia({ accountId: '1', mediaId: 'weird-type' })).toMatchObject({
      ok: true,
      mimeType: 'application/octet-stream',
    });
    await fetcher.close();
  });

  it('answers retry once closed', async () => {
    const fetcher = fetcherWith();
    await fetcher.close();
    expect(await fetcher.fetchMedia({ accountId: '1', mediaId: 'hexsha' })).toMatchObject({
      ok: false,
      outcome: 'retry',
      code: LOCAL_ERROR_CODES.clientClosed,
    });
  });
});

describe('media helpers', () => {
  it('limits by message type, else by MIME family', () => {
    expect(mediaLimitBytes('sticker', 'image/webp')).toBe(500 * 1024);
    expect(mediaLimitBytes('document', 'image/webp')).toBe(100 * 1024 * 1024);
    expect(mediaLimitBytes(undefined, 'image/jpeg')).toBe(5 * 1024 * 1024);
    expect(mediaLimitBytes(undefined, 'video/mp4')).toBe(16 * 1024 * 1024);
    expect(mediaLimitBytes(undefined, 'audio/ogg; codecs=opus')).toBe(16 * 1024 * 1024);
    expect(mediaLimitBytes(undefined, 'application/zip')).toBe(100 * 1024 * 1024);
  });

  it('reads Meta’s SHA-256 as hex or base64', () => {
    const digest = createHash('sha256').update('x').digest();
    expect(sha256Hex(digest.toString('hex').toUpperCase())).toBe(digest.toString('hex'));
    expect(sha256Hex(digest.toString('base64'))).toBe(digest.toString('hex'));
    expect(sha256Hex(digest.toString('base64url'))).toBe(digest.toString('hex'));
    expect(sha256Hex('<HASH>')).toBeUndefined();
  });

  it('takes the bare file name from Content-Disposition', () => {
    expect(fileNameOf('attachment; filename="a.pdf"')).toBe('a.pdf');
    expect(fileNameOf('attachment; filename*=UTF-8\'\'r%C3%A9sum%C3%A9.pdf; filename="resume.pdf"')).toBe('résumé.pdf');
    expect(fileNameOf('attachment; filename=C:\\temp\\x.doc')).toBe('x.doc');
    expect(fileNameOf('inline')).toBeUndefined();
    expect(fileNameOf(undefined)).toBeUndefined();
  });
});
