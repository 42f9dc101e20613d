import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The inbox web app (frontends/inbox, built by `npm run build:inbox` into frontends/inbox/dist) served by the HTTP
 * frontend: `/` is its index.html, `/assets/*` its content-hashed bundles (cached for good), and any other browser
 * navigation that matches no route (a client-side route such as `/conversations/<id>`) falls back to index.html.
 *
 * Nothing here can shadow an existing route: `/` and `/assets/*` are the only routes added, and the fallback runs
 * in the not-found handler, i.e. only for paths no route matched, never under the API's or the operations'
 * prefixes, and only for requests that ask for HTML (an API client still gets the JSON 404). Files are looked up
 * inside the dist folder only: `..`, dot files, NUL bytes and symbolic links leading outside are refused (404).
 * The folder is read on each request, so building the app while the node runs takes effect without a restart;
 * without a build, `/` answers a short page saying how to make one.
 */

export interface InboxAppOptions {
  /** The built app: `index.html` and `assets/`. */
  readonly distDir: string;
}

/** frontends/inbox/dist, from this file's place in the repository. */
export const DEFAULT_INBOX_DIST_DIR = fileURLToPath(new URL('../../inbox/dist', import.meta.url));

/** Paths the app never answers, even for a browser: the API, its docs, the operations endpoints, the webhooks. */
export const RESERVED_PATHS = ['/v1', '/docs', '/openapi.json', '/healthz', '/readyz', '/metrics', '/webhooks'];

/** Vite names bundles after their content, so a cached asset is never stale. */
export const ASSET_CACHE_CONTROL = 'public, max-age=31536000, immutable';
/** index.html names the current bundles: revalidated on every load. */
export const INDEX_CACHE_CONTROL = 'no-cache';
/** Other files at the root of the build (favicon): cached a little. */
const ROOT_FILE_CACHE_CONTROL = 'public, max-age=3600';

/**
 * The app's policy: everything from this origin, except the realtime gateway's WebSocket (another port), media
 * shown from blob: URLs (fetched with the bearer token) and Solid's style attributes.
 */
export const INBOX_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

export const MISSING_BUILD_PAGE = `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Parlo</title></head>
  <body>
    <h1>Parlo is running</h1>
    <p>The inbox web app is not built yet: run <code>npm run build:inbox</code> (or start with <code>npm start</code>, which builds it) and reload this page.</p>
    <p>The API is at <a href="/docs">/docs</a>.</p>
  </body>
</html>
`;

type NotFoundHandler = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | Promise<FastifyReply>;

/** Registers `/` and `/assets/*`. Pair it with `inboxNotFoundHandler` as the app's not-found handler. */
export function registerInboxApp(app: FastifyInstance, options: InboxAppOptions): void {
  const root = resolve(options.distDir);
  app.get('/', (_request, reply) => sendIndex(reply, root));
  app.get<{ Params: { '*': string } }>('/assets/*', async (request, reply) => {
    const file = await fileInside(resolve(root, 'assets'), request.params['*']);
    if (file === null) return reply.callNotFound();
    return sendFile(reply, file, ASSET_CACHE_CONTROL);
  });
}

/**
 * The not-found handler with the app's fallback: a path no route matched (outside RESERVED_PATHS) that names a
 * file at the root of the build gets it; a browser navigating (asking for HTML) to any other gets index.html; the
 * rest goes to `fallback` (the API's JSON 404 / 405).
 */
export function inboxNotFoundHandler(options: InboxAppOptions, fallback: NotFoundHandler): NotFoundHandler {
  const root = resolve(options.distDir);
  return async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return fallback(request, reply);
    const path = request.url.split('?', 1)[0] ?? '/';
    if (isReserved(path)) return fallback(request, reply);
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return fallback(request, reply);
    }
    // A file at the root of the build (favicon.svg)? Conversation ids hold dots too, so a miss is not yet a 404.
    if (decoded.slice(decoded.lastIndexOf('/') + 1).includes('.')) {
      const file = await fileInside(root, decoded.slice(1));
      if (file !== null) return sendFile(reply, file, ROOT_FILE_CACHE_CONTROL);
    }
    if (!acceptsHtml(request)) return fallback(request, reply);
    return sendIndex(reply, root);
  };
}

function isReserved(path: string): boolean {
  return RESERVED_PATHS.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

async function sendIndex(reply: FastifyReply, root: string): Promise<FastifyReply> {
  let html: Buffer;
  try {
    html = await readFile(resolve(root, 'index.html'));
  } catch {
    return reply
      .code(503)
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(MISSING_BUILD_PAGE);
  }
  return reply
    .type('text/html; charset=utf-8')
    .header('cache-control', INDEX_CACHE_CONTROL)
    .header('content-security-policy', INBOX_CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .send(html);
}

async function sendFile(reply: FastifyReply, file: string, cacheControl: string): Promise<FastifyReply> {
  const bytes = await readFile(file);
  return reply
    .type(CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream')
    .header('cache-control', cacheControl)
    .header('x-content-type-options', 'nosniff')
    .send(bytes);
}

/**
 * The regular file `relative` names inside `dir`, or null: no `..` or `.` segment, no dot file, no NUL, no
 * backslash, and (after symbolic links are followed) still inside `dir`.
 */
export async function fileInside(dir: string, relative: string): Promise<string | null> {
  if (relative === '' || relative.includes('\0') || relative.includes('\\')) return null;
  const segments = relative.split('/');
  if (segments.some((s) => s === '' || s.startsWith('.'))) return null;
  const candidate = resolve(dir, ...segments);
  if (!candidate.startsWith(dir + sep)) return null;
  try {
    const [real, realDir] = await Promise.all([realpath(candidate), realpath(dir)]);
    if (!real.startsWith(realDir + sep)) return null;
    return (await stat(real)).isFile() ? real : null;
  } catch {
    return null;
  }
}
