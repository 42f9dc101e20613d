import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleApp } from './__fixtures__/sample-routes.ts';
import { DOCS_CONTENT_SECURITY_POLICY } from './docs-page.ts';

/** /docs is Swagger UI from node_modules: every asset is local, and the page's policy forbids anything else. */

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function start(): Promise<FastifyInstance> {
  app = sampleApp().app;
  await app.ready();
  return app;
}

const distDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** Every URL the page loads: src and href attributes. */
function referencedUrls(html: string): string[] {
  return [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1] ?? '');
}

describe('GET /docs', () => {
  it('serves an HTML page that references only local assets, under a same-origin-only policy', async () => {
    const server = await start();
    const res = await server.inject({ url: '/docs' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(DOCS_CONTENT_SECURITY_POLICY);
    expect(DOCS_CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(DOCS_CONTENT_SECURITY_POLICY).toContain("connect-src 'self'");
    expect(DOCS_CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(DOCS_CONTENT_SECURITY_POLICY).not.toMatch(/script-src[^;]*unsafe-inline/);

    const urls = referencedUrls(res.body);
    expect(urls).toEqual([
      '/docs/assets/swagger-ui.css',
      '/docs/assets/favicon-32x32.png',
      '/docs/assets/favicon-16x16.png',
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/assets/parlo-docs.js',
    ]);
    expect(res.body).not.toMatch(/https?:|\/\/[a-z]/i);
    // No inline script: the CSP would block it.
    expect(res.body).not.toMatch(/<script>|<script(?![^>]*\ssrc=)[^>]*>/);
  });

  it('serves every referenced asset with its content type, byte for byte from swagger-ui-dist', async () => {
    const server = await start();
    const html = (await server.inject({ url: '/docs' })).body;
    const expectedTypes: Record<string, string> = {
      'swagger-ui.css': 'text/css; charset=utf-8',
      'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
      'favicon-32x32.png': 'image/png',
      'favicon-16x16.png': 'image/png',
      'parlo-docs.js': 'text/javascript; charset=utf-8',
    };
    for (const url of referencedUrls(html)) {
      const name = url.replace('/docs/assets/', '');
      const res = await server.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toBe(expectedTypes[name]);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      if (name !== 'parlo-docs.js') expect(res.rawPayload.equals(readFileSync(join(distDir, name))), url).toBe(true);
    }
  });

  it('points Swagger UI at /openapi.json with the online validator off', async () => {
    const server = await start();
    const script = (await server.inject({ url: '/docs/assets/parlo-docs.js' })).body;
    expect(script).toContain('url: "/openapi.json"');
    expect(script).toContain('validatorUrl: null');
    expect(script).not.toMatch(/https?:/);
    expect((await server.inject({ url: '/openapi.json' })).statusCode).toBe(200);
  });

  it('serves nothing else from the package', async () => {
    const server = await start();
    for (const url of [
      '/docs/assets/index.html',
      '/docs/assets/package.json',
      '/docs/assets/..%2Fpackage.json',
      '/docs/assets/swagger-ui-bundle.js.map',
    ]) {
      const res = await server.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json<{ error: { code: string } }>().error.code).toBe('PARLO_ROUTE_NOT_FOUND');
    }
  });
});
