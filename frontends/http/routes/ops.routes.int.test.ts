import { afterEach, describe, expect, it } from 'vitest';
import { counterActor } from '../../../core/testing/actors/counter.actor.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { z } from 'zod';
import { buildHttpApp } from '../app.ts';
import { defineRoute } from '../api/define-route.ts';
import { silentLogger } from '../../../core/index.ts';

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

describe('ops routes', () => {
  it('answers liveness, readiness and Prometheus metrics while the node runs', async () => {
    fixture = await startRuntimeFixture({ definitions: [counterActor] });
    await fixture.system.ask({ kind: 'counter', id: 'm' }, { type: 'increment', by: 1 });
    const app = buildHttpApp({ system: fixture.system, metrics: fixture.metrics, logger: silentLogger() });
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready', node: 'test-node' });
    const metrics = await app.inject({ url: '/metrics' });
    expect(metrics.headers['content-type']).toContain('text/plain; version=0.0.4');
    expect(metrics.body).toContain('parlo_runtime_turns_total 1');
    expect(metrics.body).toContain('# TYPE parlo_runtime_commit_latency_ms summary');
    await app.close();
  });

  it('reports not ready with a code once the node stops', async () => {
    fixture = await startRuntimeFixture({ definitions: [counterActor] });
    const app = buildHttpApp({ system: fixture.system, metrics: fixture.metrics, logger: silentLogger() });
    await fixture.system.stop();
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: { code: 'PARLO_RUNTIME_STOPPED', message: 'node test-node is stopped, not accepting messages' },
    });
    await app.close();
  });

  it('counts requests and their latency per method, route pattern and status', async () => {
    fixture = await startRuntimeFixture({ definitions: [counterActor] });
    const getThing = defineRoute({
      method: 'GET',
      url: '/things/:thingId',
      operationId: 'getThing',
      summary: 'A thing',
      tags: ['things'],
      auth: 'public',
      params: z.object({ thingId: z.string().regex(/^t[0-9]+$/) }),
      responses: { 200: z.object({ id: z.string() }) },
      handler: ({ params }) => ({ status: 200, body: { id: params.thingId } }),
    });
    const app = buildHttpApp({
      system: fixture.system,
      metrics: fixture.metrics,
      logger: silentLogger(),
      api: { routes: [getThing] },
    });
    for (const id of ['t1', 't2', 't3']) expect((await app.inject({ url: `/v1/things/${id}` })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/things/nope' })).statusCode).toBe(400);
    expect((await app.inject({ url: '/no/such/path/1' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/no/such/path/2' })).statusCode).toBe(404);
    const body = (await app.inject({ url: '/metrics' })).body;
    const lines = body.split('\n');
    expect(lines.filter((l) => l.startsWith('# TYPE parlo_http_'))).toEqual([
      '# TYPE parlo_http_requests_total counter',
      '# TYPE parlo_http_request_duration_ms summary',
    ]);
    expect(lines).toContain('parlo_http_requests_total{method="GET",route="/v1/things/:thingId",status="200"} 3');
    expect(lines).toContain('parlo_http_requests_total{method="GET",route="/v1/things/:thingId",status="400"} 1');
    expect(lines).toContain('parlo_http_requests_total{method="GET",route="(unmatched)",status="404"} 2');
    expect(lines).toContain(
      'parlo_http_request_duration_ms_count{method="GET",route="/v1/things/:thingId",status="200"} 3',
    );
    expect(
      lines.some((l) =>
        /^parlo_http_request_duration_ms\{method="GET",route="\/v1\/things\/:thingId",status="200",quantile="0.99"\} [0-9.]+$/.test(
          l,
        ),
      ),
    ).toBe(true);
    // Raw URLs never become labels.
    expect(body).not.toContain('/v1/things/t1');
    expect(body).not.toContain('/no/such/path');
    // The /metrics request itself is counted once it has been answered.
    expect((await app.inject({ url: '/metrics' })).body).toContain(
      'parlo_http_requests_total{method="GET",route="/metrics",status="200"} 1',
    );
    await app.close();
  });
});
