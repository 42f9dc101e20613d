import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ActorSystem, Logger, Metrics } from '../../core/index.ts';
import type { ApiRoute } from './api/define-route.ts';
import { registerApiDocs } from './api/docs-page.ts';
import { apiFrameworkErrorHandler, useApiErrorMapper } from './api/errors.ts';
import { registerApiRoutes, type Authenticate } from './api/register-routes.ts';
import { registerOpsRoutes } from './routes/ops.routes.ts';
import { registerWhatsAppWebhookRoutes, type WhatsAppWebhookOptions } from './routes/whatsapp-webhook.routes.ts';

export interface HttpAppDeps {
  readonly system: ActorSystem;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Meta's webhook endpoint; absent in tests that only need the ops routes. */
  readonly whatsappWebhook?: WhatsAppWebhookOptions;
  /** REST API under /v1 (resource routes export ApiRoute[]); OpenAPI at /openapi.json, docs at /docs. */
  readonly api?: { readonly routes: readonly ApiRoute[]; readonly authenticate?: Authenticate };
}

/** The HTTP frontend (fastify): ops routes, the REST API with its OpenAPI document and docs, Meta's webhook. */
export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance,
    // Per-request log lines would dominate at thousands of requests per second; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Bad URL encoding and the like answer with the one error body too.
    frameworkErrors: apiFrameworkErrorHandler,
  });
  useApiErrorMapper(app);
  void app.register(registerOpsRoutes, { system: deps.system, metrics: deps.metrics });
  // Encapsulated: its raw-body parser and error mapping apply to the webhook routes only.
  if (deps.whatsappWebhook) void app.register(registerWhatsAppWebhookRoutes, deps.whatsappWebhook);
  registerApiRoutes(app, deps.api?.routes ?? [], {
    info: { title: 'Parlo API', version: '0.1.0' },
    ...(deps.api?.authenticate ? { authenticate: deps.api.authenticate } : {}),
  });
  registerApiDocs(app);
  return app;
}
