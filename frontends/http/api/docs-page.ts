import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { DEFAULT_OPENAPI_PATH } from './register-routes.ts';

/**
 * `GET /docs`: Swagger UI over `/openapi.json`, served entirely from the `swagger-ui-dist` package. Nothing is
 * fetched from a CDN, and the page's Content-Security-Policy forbids it: scripts, styles, images and requests may
 * only come from this origin. The page's own script is a served file, not an inline `<script>`, so the policy
 * needs no `unsafe-inline` for scripts. Swagger UI's online validator badge is turned off (`validatorUrl: null`):
 * it would send the document to validator.swagger.io.
 */

export interface ApiDocsOptions {
  /** Default `/docs`; assets are served under `<path>/assets/`. */
  readonly path?: string;
  /** The document to show; default `/openapi.json`. */
  readonly openApiUrl?: string;
  readonly title?: string;
}

export const DEFAULT_DOCS_PATH = '/docs';

/** The swagger-ui-dist files the page uses, with their content types. Only these are served. */
const DIST_ASSETS = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
} as const;

const INITIALIZER = 'parlo-docs.js';

/**
 * Swagger UI sets inline `style` attributes, hence `'unsafe-inline'` for styles only. `data:` images are its SVG
 * icons. `connect-src 'self'` is what stops "Try it out" and the document fetch from reaching any other host.
 */
export const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  readonly contentType: string;
  readonly bytes: Buffer;
}

/** Registers the page and its assets. The files are read once, here, so a missing package fails at start-up. */
export function registerApiDocs(app: FastifyInstance, options: ApiDocsOptions = {}): void {
  const path = options.path ?? DEFAULT_DOCS_PATH;
  const assetsPath = `${path}/assets`;
  const openApiUrl = options.openApiUrl ?? DEFAULT_OPENAPI_PATH;
  const title = options.title ?? 'Parlo API';

  const distDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const assets = new Map<string, Asset>(
    Object.entries(DIST_ASSETS).map(([name, contentType]) => [
      name,
      { contentType, bytes: readFileSync(join(distDir, name)) },
    ]),
  );
  assets.set(INITIALIZER, {
    contentType: 'text/javascript; charset=utf-8',
    bytes: Buffer.from(initializerScript(openApiUrl)),
  });
  const html = page(title, assetsPath);

  app.get(path, (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', DOCS_CONTENT_SECURITY_POLICY)
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .header('cache-control', 'no-cache')
      .send(html),
  );
  app.get<{ Params: { name: string } }>(`${assetsPath}/:name`, (request, reply) => {
    const asset = assets.get(request.params.name);
    // Not found goes to the app's not-found handler, so it answers with the API's error body.
    if (!asset) return reply.callNotFound();
    return reply
      .type(asset.contentType)
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'public, max-age=86400')
      .send(asset.bytes);
  });
}

function page(title: string, assetsPath: string): string {
  const text = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>${text}</title>
    <link rel="stylesheet" href="${assetsPath}/swagger-ui.css">
    <link rel="icon" type="image/png" sizes="32x32" href="${assetsPath}/favicon-32x32.png">
    <link rel="icon" type="image/png" sizes="16x16" href="${assetsPath}/favicon-16x16.png">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="${assetsPath}/swagger-ui-bundle.js"></script>
    <script src="${assetsPath}/${INITIALIZER}"></script>
  </body>
</html>
`;
}

/** BaseLayout: no top bar, so no box inviting the reader to load a document from elsewhere. */
function initializerScript(openApiUrl: string): string {
  return `'use strict';
window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(openApiUrl)},
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
