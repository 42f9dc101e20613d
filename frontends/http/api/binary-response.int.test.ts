import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { binaryResponse, defineRoute, type ApiRoute } from './define-route.ts';
import { useApiErrorMapper } from './errors.ts';
import type { OpenApiDocument } from './openapi.ts';
import { registerApiRoutes } from './register-routes.ts';

/** Binary responses (`binaryResponse`): bytes in their own type, streamed, declared as `*∕*` in the document. */

let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(70_000, 0xab)]);

async function* chunksOf(bytes: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) {
    await Promise.resolve();
    yield bytes.subarray(at, at + size);
  }
}

const fileRoute = defineRoute({
  method: 'GET',
  url: '/files/:name',
  operationId: 'getFile',
  summary: 'A file',
  tags: ['test'],
  auth: 'public',
  params: z.object({ name: z.enum(['png', 'voice']) }),
  responses: { 200: binaryResponse('The file, in its own type') },
  handler({ params }) {
    return {
      status: 200,
      binary:
        params.name === 'png'
          ? {
              contentType: 'image/png',
              sizeBytes: PNG.length,
              data: chunksOf(PNG, 8_192),
              headers: { etag: '"abc"', 'cache-control': 'private, max-age=60' },
            }
          : { contentType: 'audio/ogg; codecs=opus', data: chunksOf(Buffer.from('OggS voice'), 3) },
    };
  },
});

async function start(routes: ApiRoute[]): Promise<{ server: FastifyInstance; doc: OpenApiDocument }> {
  app = Fastify();
  useApiErrorMapper(app);
  const doc = registerApiRoutes(app, routes, { info: { title: 'test', version: '1' } });
  await app.ready();
  return { server: app, doc };
}

describe('binary responses', () => {
  it('sends the bytes unchanged, with their type (no charset), length and headers', async () => {
    const { server } = await start([fileRoute]);
    const res = await server.inject({ url: '/v1/files/png' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-length']).toBe(String(PNG.length));
    expect(res.headers['etag']).toBe('"abc"');
    expect(res.headers['cache-control']).toBe('private, max-age=60');
    expect(res.rawPayload.equals(PNG)).toBe(true);
    const voice = await server.inject({ url: '/v1/files/voice' });
    expect(voice.headers['content-type']).toBe('audio/ogg; codecs=opus');
    expect(voice.body).toBe('OggS voice');
  });

  it('answers HEAD with the headers only', async () => {
    const { server } = await start([fileRoute]);
    const res = await server.inject({ method: 'HEAD', url: '/v1/files/png' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('image/png');
    expect(res.headers['content-length']).toBe(String(PNG.length));
    expect(res.rawPayload.length).toBe(0);
  });

  it('still validates the path first', async () => {
    const { server } = await start([fileRoute]);
    const res = await server.inject({ url: '/v1/files/gif' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('PARLO_VALIDATION_FAILED');
  });

  it('is declared as bytes of any type in the OpenAPI document', async () => {
    const { doc } = await start([fileRoute]);
    expect(doc.paths['/v1/files/{name}']?.get?.responses['200']).toEqual({
      description: 'OK',
      content: { '*/*': { schema: { type: 'string', format: 'binary', description: 'The file, in its own type' } } },
    });
  });

  it('is refused on anything but GET', () => {
    expect(() =>
      defineRoute({
        method: 'POST',
        url: '/x',
        operationId: 'x',
        summary: 'x',
        tags: ['test'],
        auth: 'public',
        responses: { 200: binaryResponse('x') },
        handler: () => ({ status: 200, binary: { contentType: 'image/png', data: chunksOf(PNG, 10) } }),
      }),
    ).toThrow(/only a GET route may answer with bytes/);
  });

  it('a handler that answers without bytes is a bug (500)', async () => {
    const broken = defineRoute({
      method: 'GET',
      url: '/broken',
      operationId: 'broken',
      summary: 'broken',
      tags: ['test'],
      auth: 'public',
      responses: { 200: binaryResponse('x') },
      handler: () => ({ status: 200 }) as never,
    });
    const { server } = await start([broken]);
    const res = await server.inject({ url: '/v1/broken' });
    expect(res.statusCode).toBe(500);
  });
});
