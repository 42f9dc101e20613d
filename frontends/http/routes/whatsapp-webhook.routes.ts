import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCode, InboundSink } from '../../../core/index.ts';
import { ERROR_CODES } from '../../../core/index.ts';
import { parseWebhook } from '../../../adapters/whatsapp-cloud/webhook/parse.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../../adapters/whatsapp-cloud/webhook/signature.ts';
import { verifySubscription } from '../../../adapters/whatsapp-cloud/webhook/verify.ts';

/** Meta sends at most 3 MB per webhook POST (WHATSAPP.md §3.3). */
export const WEBHOOK_BODY_LIMIT_BYTES = 3 * 1024 * 1024;

export interface WhatsAppWebhookOptions {
  /** Path Meta calls, e.g. `/webhooks/whatsapp`. */
  readonly path: string;
  readonly verifyToken: () => string;
  /** Active app secrets (two during a rotation). */
  readonly appSecrets: () => readonly string[];
  readonly sink: InboundSink;
  /**
   * Per-organisation endpoints at `<path>/<orgId>`: each organisation's own Meta app posts there, verified with the
   * organisation's verify token and the app secrets of the accounts it connected.
   */
  readonly organisations?: OrganisationWebhooks;
}

export interface OrganisationWebhooks {
  /** The organisation's verify token and app secrets; null for an id that is no organisation's. */
  settings(
    orgId: string,
  ): Promise<{ readonly verifyToken: string | null; readonly appSecrets: readonly string[] } | null>;
  sink(orgId: string): InboundSink;
}

/** Organisation ids are 16 hex characters; anything else is not looked up. */
const ORG_ID_SEGMENT = /^[0-9a-f]{16}$/;

function fail(reply: FastifyReply, code: ErrorCode, message: string): FastifyReply {
  return reply.code(ERROR_CODES[code].httpStatus).send({ error: { code, message } });
}

/**
 * Meta's webhook endpoint: the GET verification handshake, and POSTs verified over the raw bytes (constant-time)
 * before anything is parsed. Every entry, change, message and status becomes a typed event; the 200 goes out only
 * after the sink recorded all of them durably, so a crash before it makes Meta retry, and the dedupe keys make the
 * retry harmless.
 */
export function registerWhatsAppWebhookRoutes(app: FastifyInstance, options: WhatsAppWebhookOptions): Promise<void> {
  // Raw bytes: the signature is over the body exactly as sent.
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT_BYTES }, (_request, body, done) =>
    done(null, body),
  );
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'buffer', bodyLimit: WEBHOOK_BODY_LIMIT_BYTES },
    (_request, body, done) => done(null, body),
  );

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error.statusCode === 413) {
      return fail(reply, 'PARLO_WEBHOOK_TOO_LARGE', `webhook body exceeds ${WEBHOOK_BODY_LIMIT_BYTES} bytes`);
    }
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      return fail(reply, 'PARLO_WEBHOOK_MALFORMED', error.message);
    }
    reply.log.error({ err: error }, 'webhook handler failed');
    return fail(reply, 'PARLO_WEBHOOK_NOT_RECORDED', 'the webhook could not be recorded; retry later');
  });

  app.get(options.path, (request, reply) => answerVerification(request, reply, options.verifyToken()));
  app.post(options.path, (request, reply) => record(request, reply, options.appSecrets(), options.sink));

  const { organisations } = options;
  if (organisations) {
    const settingsOf = async (orgId: string) => (ORG_ID_SEGMENT.test(orgId) ? organisations.settings(orgId) : null);
    app.get<{ Params: { orgId: string } }>(`${options.path}/:orgId`, async (request, reply) => {
      const settings = await settingsOf(request.params.orgId);
      if (!settings?.verifyToken) {
        return fail(reply, 'PARLO_WEBHOOK_VERIFY_FAILED', 'this organisation has no webhook verify token yet');
      }
      return answerVerification(request, reply, settings.verifyToken);
    });
    app.post<{ Params: { orgId: string } }>(`${options.path}/:orgId`, async (request, reply) => {
      const settings = await settingsOf(request.params.orgId);
      // No settings and no secrets look the same from outside: the signature cannot match either way.
      return record(request, reply, settings?.appSecrets ?? [], organisations.sink(request.params.orgId));
    });
  }
  return Promise.resolve();
}

function answerVerification(request: FastifyRequest, reply: FastifyReply, verifyToken: string): FastifyReply {
  const verdict = verifySubscription(request.query as Record<string, unknown>, verifyToken);
  if (!verdict.ok) return fail(reply, 'PARLO_WEBHOOK_VERIFY_FAILED', verdict.reason);
  return reply.code(200).type('text/plain').send(verdict.challenge);
}

async function record(
  request: FastifyRequest,
  reply: FastifyReply,
  appSecrets: readonly string[],
  sink: InboundSink,
): Promise<FastifyReply> {
  const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
  const header = request.headers[SIGNATURE_HEADER];
  if (appSecrets.length === 0 || !verifySignature(raw, typeof header === 'string' ? header : undefined, appSecrets)) {
    return fail(reply, 'PARLO_WEBHOOK_SIGNATURE_INVALID', `missing or wrong ${SIGNATURE_HEADER} for this body`);
  }
  const parsed = parseWebhook(raw);
  if (!parsed.ok) return fail(reply, 'PARLO_WEBHOOK_MALFORMED', parsed.reason);
  try {
    await sink.record(parsed.events);
  } catch (err) {
    request.log.error({ err, events: parsed.events.length }, 'webhook events not recorded');
    return fail(reply, 'PARLO_WEBHOOK_NOT_RECORDED', 'the webhook could not be recorded durably; retry later');
  }
  return reply.code(200).type('text/plain').send('EVENT_RECEIVED');
}
