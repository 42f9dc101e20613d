import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ActorSystem, Logger, Metrics } from '../../core/index.ts';
import { registerOpsRoutes } from './routes/ops.routes.ts';
import { registerWhatsAppWebhookRoutes, type WhatsAppWebhookOptions } from './routes/whatsapp-webhook.routes.ts';

export interface HttpAppDeps {
  readonly system: ActorSystem;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Meta's webhook endpoint; absent in tests that only need the ops routes. */
  readonly whatsappWebhook?: WhatsAppWebhookOptions;
}

/** The HTTP frontend (fastify). Resource plugins register here as their issues land; ops routes are always on. */
export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const loggerInstance: FastifyBaseLogger = deps.logger.child({ component: 'http' });
  // Per-request log lines would dominate at thousands of requests per second; errors are still logged.
  const app = Fastify({ loggerInstance, logController: new LogController({ disableRequestLogging: true }) });
  void app.register(registerOpsRoutes, { system: deps.system, metrics: deps.metrics });
  // Encapsulated: its raw-body parser and error mapping apply to the webhook routes only.
  if (deps.whatsappWebhook) void app.register(registerWhatsAppWebhookRoutes, deps.whatsappWebhook);
  return app;
}
