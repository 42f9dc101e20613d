import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { labelled, type ActorSystem, type Logger, type Metrics } from '../../core/index.ts';
import type { ApiRoute } from './api/define-route.ts';
import { registerApiDocs } from './api/docs-page.ts';
import { apiFrameworkErrorHandler, apiNotFoundHandler, useApiErrorMapper } from './api/errors.ts';
import type { IdempotencyOptions } from './api/idempotency.ts';
import { registerApiRoutes, type Authenticate, type GuardPublic } from './api/register-routes.ts';
import { registerClickRedirectRoutes, type ClickRedirectOptions } from './routes/click-redirect.routes.ts';
import { inboxNotFoundHandler, registerInboxApp, type InboxAppOptions } from './routes/inbox-app.routes.ts';
import { registerOpsRoutes } from './routes/ops.routes.ts';
import { registerWhatsAppWebhookRoutes, type WhatsAppWebhookOptions } from './routes/whatsapp-webhook.routes.ts';

export interface HttpAppDeps {
  readonly system: ActorSystem;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Meta's webhook endpoint; absent in tests that only need the ops routes. */
  readonly whatsappWebhook?: WhatsAppWebhookOptions;
  /** REST API under /v1 (resource routes export ApiRoute[]); OpenAPI at /openapi.json, docs at /docs. */
  readonly api?: {
    readonly routes: readonly ApiRoute[];
    readonly authenticate?: Authenticate;
    /** Honours Idempotency-Key on POST routes. */
    readonly idempotency?: IdempotencyOptions;
    /** Admits requests to public routes (per-address rate limit). */
    readonly guardPublic?: GuardPublic;
  };
  /** The click redirect of tracked campaign buttons at `/r/<token>`; absent: none. */
  readonly clickRedirect?: ClickRedirectOptions;
  /** The inbox web app at `/` (its built files); absent in tests that only need the API. */
  readonly inbox?: InboxAppOptions;
}

/** What every HTTP request records, labelled by method, route pattern (never the raw URL) and status code. */
export const HTTP_METRICS = {
  requests: 'parlo_http_requests_total',
  durationMs: 'parlo_http_request_duration_ms',
} as const;

/** The route label of a request that matched no route (404 / 405): one series, whatever the URL was. */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * The HTTP frontend (fastify): ops routes, the REST API with its OpenAPI document and docs, Meta's webhook, and the
 * inbox web app at `/`.
 */
export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ component: 'http' });
  const app = Fastify({
    loggerInstance,
    // Per-request log lines would dominate at thousands of requests per second; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    // Bad URL encoding and the like answer with the one error body too.
    frameworkErrors: apiFrameworkErrorHandler,
  });
  recordRequestMetrics(app, deps.metrics);
  useApiErrorMapper(app, deps.inbox ? inboxNotFoundHandler(deps.inbox, apiNotFoundHandler) : apiNotFoundHandler);
  void app.register(registerOpsRoutes, { system: deps.system, metrics: deps.metrics });
  // Encapsulated: its raw-body parser and error mapping apply to the webhook routes only.
  if (deps.whatsappWebhook) void app.register(registerWhatsAppWebhookRoutes, deps.whatsappWebhook);
  if (deps.clickRedirect) void app.register(registerClickRedirectRoutes, deps.clickRedirect);
  registerApiRoutes(app, deps.api?.routes ?? [], {
    info: { title: 'Parlo API', version: '0.1.0' },
    ...(deps.api?.authenticate ? { authenticate: deps.api.authenticate } : {}),
    ...(deps.api?.idempotency ? { idempotency: deps.api.idempotency } : {}),
    ...(deps.api?.guardPublic ? { guardPublic: deps.api.guardPublic } : {}),
  });
  registerApiDocs(app);
  if (deps.inbox) registerInboxApp(app, deps.inbox);
  return app;
}

/**
 * A counter and a latency histogram per (method, route, status). The route is fastify's pattern
 * (`/v1/members/:userId`), so the number of series stays bounded whatever clients send.
 */
function recordRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  // The labelled names of each series, built once: the hook runs on every request.
  const names = new Map<string, { readonly requests: string; readonly durationMs: string }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const status = reply.statusCode;
    const key = `${request.method} ${status} ${route}`;
    let series = names.get(key);
    if (!series) {
      const labels = { method: request.method, route, status: String(status) };
      series = {
        requests: labelled(HTTP_METRICS.requests, labels),
        durationMs: labelled(HTTP_METRICS.durationMs, labels),
      };
      names.set(key, series);
    }
    metrics.count(series.requests);
    metrics.observe(series.durationMs, reply.elapsedTime);
    done();
  });
}
