import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../../../core/index.ts';
import { counterActor } from '../../../core/testing/actors/counter.actor.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { defineRoute } from '../api/define-route.ts';
import { buildHttpApp } from '../app.ts';
import { ASSET_CACHE_CONTROL, INDEX_CACHE_CONTROL } from './inbox-app.routes.ts';

/** The inbox web app served by a real fastify on a real port, from a temporary build folder. */

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head></html>';
const SECRET = 'not for the web';

let fixture: RuntimeFixture | undefined;
let app: FastifyInstance | undefined;
let dir: string;
let baseUrl: string;

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A request with the path sent exactly as written (fetch would resolve `..` first). */
function get(path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Answer> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

async function start(distDir: string): Promise<void> {
  fixture = await startRuntimeFixture({ definitions: [counterActor] });
  const hello = defineRoute({
    method: 'GET',
    url: '/hello',
    operationId: 'hello',
    summary: 'A public API route',
    tags: ['test'],
    auth: 'public',
    responses: { 200: z.object({ hello: z.string() }) },
    handler: () => Promise.resolve({ status: 200 as const, body: { hello: 'api' } }),
  });
  app = buildHttpApp({
    system: fixture.system,
    metrics: fixture.metrics,
    logger: silentLogger(),
    api: { routes: [hello] },
    whatsappWebhook: {
      path: '/webhooks/whatsapp',
      verifyToken: () => 'verify-me',
      appSecrets: () => [],
      sink: { deliver: () => Promise.resolve() } as never,
    },
    inbox: { distDir },
  });
  baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parlo-inbox-'));
  await writeFile(join(dir, 'secret.txt'), SECRET);
  await mkdir(join(dir, 'dist', 'assets'), { recursive: true });
  await writeFile(join(dir, 'dist', 'index.html'), INDEX);
  await writeFile(join(dir, 'dist', 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(dir, 'dist', 'assets', 'index-abc123.js'), 'console.log("inbox");');
  await writeFile(join(dir, 'dist', 'assets', '.hidden'), SECRET);
  await symlink(join(dir, 'secret.txt'), join(dir, 'dist', 'assets', 'link.js'));
});

afterEach(async () => {
  await app?.close();
  await fixture?.dispose();
  app = undefined;
  fixture = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('the inbox web app on the HTTP frontend', () => {
  it('answers / with index.html, revalidated on every load and under a content security policy', async () => {
    await start(join(dir, 'dist'));
    const index = await get('/', HTML);
    expect(index.status).toBe(200);
    expect(index.body).toBe(INDEX);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['cache-control']).toBe(INDEX_CACHE_CONTROL);
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect((await get('/', {}, 'HEAD')).status).toBe(200);
  });

  it('serves the hashed assets with long cache headers, and root files with short ones', async () => {
    await start(join(dir, 'dist'));
    const asset = await get('/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.body).toBe('console.log("inbox");');
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toBe(ASSET_CACHE_CONTROL);
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    const icon = await get('/favicon.svg');
    expect(icon.status).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('public, max-age=3600');
    const missing = await get('/assets/index-gone.js');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ error: { code: 'PARLO_ROUTE_NOT_FOUND' } });
  });

  it('answers client-side routes with index.html when a browser navigates to them', async () => {
    await start(join(dir, 'dist'));
    const deep = await get('/conversations/100000000000002.p393331234567', HTML);
    expect(deep.status).toBe(200);
    expect(deep.body).toBe(INDEX);
    // An API client asking for an unknown path still gets the API's JSON 404.
    const json = await get('/conversations/x', { accept: 'application/json' });
    expect(json.status).toBe(404);
    expect(JSON.parse(json.body)).toMatchObject({ error: { code: 'PARLO_ROUTE_NOT_FOUND' } });
    const post = await get('/conversations/x', HTML, 'POST');
    expect(post.status).toBe(404);
  });

  it('never shadows the API, the docs, the OpenAPI document, the operations endpoints or the webhooks', async () => {
    await start(join(dir, 'dist'));
    expect(JSON.parse((await get('/v1/hello', HTML)).body)).toEqual({ hello: 'api' });
    const unknownApi = await get('/v1/nothing-here', HTML);
    expect(unknownApi.status).toBe(404);
    expect(JSON.parse(unknownApi.body)).toMatchObject({ error: { code: 'PARLO_ROUTE_NOT_FOUND' } });
    expect(JSON.parse((await get('/healthz', HTML)).body)).toEqual({ status: 'ok' });
    expect((await get('/metrics', HTML)).headers['content-type']).toContain('text/plain');
    expect(JSON.parse((await get('/openapi.json', HTML)).body)).toMatchObject({ openapi: expect.any(String) });
    const docs = await get('/docs', HTML);
    expect(docs.body).toContain('swagger-ui');
    expect(docs.body).not.toBe(INDEX);
    for (const path of ['/docs/nothing', '/healthz/x', '/metrics/x', '/webhooks/whatsapp/x/y', '/openapi.json/x']) {
      const answer = await get(path, HTML);
      expect(answer.body, path).not.toBe(INDEX);
      expect(answer.status, path).toBeGreaterThanOrEqual(400);
    }
    const handshake = await get(
      '/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token=verify-me&hub.challenge=42',
      HTML,
    );
    expect(handshake.body).toBe('42');
  });

  it('refuses paths that leave the build folder, dot files and symbolic links out of it', async () => {
    await start(join(dir, 'dist'));
    const attempts = [
      '/assets/../../secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/../secret.txt',
      '/assets/..\\..\\secret.txt',
      '/assets/.hidden',
      '/assets/link.js',
      '/assets/index-abc123.js%00.png',
    ];
    for (const path of attempts) {
      for (const headers of [{}, HTML]) {
        const answer = await get(path, headers);
        expect(answer.body, path).not.toContain(SECRET);
        if (answer.status === 200) expect(answer.body, path).toBe(INDEX);
        else expect(answer.status, path).toBeGreaterThanOrEqual(400);
      }
    }
  });

  it('answers / with a page saying how to build the app when it is not built', async () => {
    await start(join(dir, 'not-built'));
    const page = await get('/', HTML);
    expect(page.status).toBe(503);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('npm run build:inbox');
    expect((await get('/conversations/x', HTML)).body).toContain('npm run build:inbox');
    expect(JSON.parse((await get('/healthz')).body)).toEqual({ status: 'ok' });
  });
});
