import { afterEach, describe, expect, it } from 'vitest';
import { counterActor } from '../../../core/testing/actors/counter.actor.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { buildHttpApp } from '../app.ts';
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
});
