import type { FastifyInstance } from 'fastify';
import { renderPrometheus, type ActorSystem, type Metrics } from '../../../core/index.ts';

export interface OpsRoutesOptions {
  readonly system: ActorSystem;
  readonly metrics: Metrics;
}

/**
 * Operations endpoints: liveness (`/healthz`: the process answers), readiness (`/readyz`: the actor system
 * accepts messages) and `/metrics` in the Prometheus text format.
 */
export function registerOpsRoutes(app: FastifyInstance, options: OpsRoutesOptions): Promise<void> {
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', (_request, reply) => {
    const status = options.system.status;
    if (status === 'running') return { status: 'ready', node: options.system.nodeId };
    return reply.code(503).send({
      error: {
        code: 'PARLO_RUNTIME_STOPPED',
        message: `node ${options.system.nodeId} is ${status}, not accepting messages`,
      },
    });
  });
  app.get('/metrics', (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderPrometheus(options.metrics.snapshot())),
  );
  return Promise.resolve();
}
