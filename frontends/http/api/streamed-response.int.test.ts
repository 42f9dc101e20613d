import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRoute, streamedResponse, type ApiRoute } from './define-route.ts';
import { useApiErrorMapper } from './errors.ts';
import type { OpenApiDocument } from './openapi.ts';
import { registerApiRoutes } from './register-routes.ts';

/** Streamed responses (`streamedResponse`): sent chunk by chunk, declared per media type in the OpenAPI document. */

let app: FastifyInstance | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function* numbers(count: number, format: 'csv' | 'json'): AsyncGenerator<string> {
  yield format === 'csv' ? 'n\n' : '[';
  for (let i = 1; i <= count; i++) {
    await Promise.resolve();
    yield format === 'csv' ? `${i}\n` : `${i > 1 ? ',' : ''}${i}`;
  }
  if (format === 'json') yield ']';
}

const exportRoute = defineRoute({
  method: 'GET',
  url: '/numbers/export',
  operationId: 'exportNumbers',
  summary: 'Numbers, streamed',
  tags: ['test'],
  auth: 'public',
  query: z.object({ format: z.enum(['csv', 'json']).default('json'), count: z.coerce.number().int().min(0) }),
  responses: { 200: streamedResponse({ 'application/json': 'A JSON array', 'text/csv': 'One number a line' }) },
  handler({ query }) {
    return {
      status: 200,
      stream: {
        mediaType: query.format === 'csv' ? 'text/csv' : 'application/json',
        chunks: numbers(query.count, query.format),
        fileName: `numbers.${query.format}`,
      },
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

describe('streamed responses', () => {
  it('sends the chunks in the chosen media type, as a download', async () => {
    const { server } = await start([exportRoute]);
    const json = await server.inject({ url: '/v1/numbers/export?count=1000' });
    expect(json.statusCode).toBe(200);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.headers['content-disposition']).toBe('attachment; filename="numbers.json"');
    expect(json.json()).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const csv = await server.inject({ url: '/v1/numbers/export?format=csv&count=3' });
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.body).toBe('n\n1\n2\n3\n');
  });

  it('still validates the query first', async () => {
    const { server } = await start([exportRoute]);
    const res = await server.inject({ url: '/v1/numbers/export?count=-1' });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ error: { code: string } }>().error.code).toBe('PARLO_VALIDATION_FAILED');
  });

  it('is declared per media type in the OpenAPI document', async () => {
    const { doc } = await start([exportRoute]);
    const response = doc.paths['/v1/numbers/export']?.get?.responses['200'];
    expect(response?.content).toEqual({
      'application/json': { schema: { type: 'string', description: 'A JSON array' } },
      'text/csv': { schema: { type: 'string', description: 'One number a line' } },
    });
  });

  it('is refused on anything but GET, and without JSON among its media types', () => {
    const define = (method: 'GET' | 'POST', mediaTypes: Record<string, string>) =>
      defineRoute({
        method,
        url: '/x',
        operationId: 'x',
        summary: 'x',
        tags: ['test'],
        auth: 'public',
        responses: { 200: { streamed: true, mediaTypes } as ReturnType<typeof streamedResponse> },
        handler: () => ({ status: 200, stream: { mediaType: 'text/csv', chunks: numbers(0, 'csv') } }),
      });
    expect(() => define('POST', { 'application/json': 'a' })).toThrow(/only a GET route may stream/);
    expect(() => define('GET', { 'text/csv': 'a' })).toThrow(/must offer application\/json/);
  });

  it('a handler that answers without a stream is a bug (500)', async () => {
    const broken = defineRoute({
      method: 'GET',
      url: '/broken',
      operationId: 'broken',
      summary: 'broken',
      tags: ['test'],
      auth: 'public',
      responses: { 200: streamedResponse({ 'application/json': 'x' }) },
      handler: () => ({ status: 200 }) as never,
    });
    const { server } = await start([broken]);
    const res = await server.inject({ url: '/v1/broken' });
    expect(res.statusCode).toBe(500);
  });
});
