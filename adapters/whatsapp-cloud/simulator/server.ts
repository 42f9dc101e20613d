import { profileResponse, validateProfileUpdate } from './business-profile.ts';
import { z } from 'zod';
import { loadUws, type HttpRequest, type HttpResponse, type us_listen_socket } from '../../../core/net/uws.ts';
import { SystemClock, type Clock } from '../../../core/time/clock.ts';
import { graphError, objectDoesNotExistError } from './send/graph-error.ts';
import {
  CloudApiSimulator,
  SimInputError,
  type SimResponse,
  type SimulatorBehaviour,
  type SimulatorFaults,
} from './simulator.ts';
import { InboundMessageSpec } from './webhooks/payloads.ts';
import { WebhookDispatcher, undiciPoster } from './webhooks/dispatcher.ts';

export interface SimulatorServerOptions {
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
  readonly behaviour?: Partial<SimulatorBehaviour>;
  readonly templateReviewDelayMs?: number;
  readonly webhookRetryForMs?: number;
}

export interface SimulatorServer {
  readonly url: string;
  readonly port: number;
  readonly simulator: CloudApiSimulator;
  readonly webhooks: WebhookDispatcher;
  close(): Promise<void>;
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: '200 OK',
  201: '201 Created',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  413: '413 Payload Too Large',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
};

const MAX_BODY_BYTES = 110 * 1024 * 1024;

/** Control-API bodies (the simulator's own API under `/_sim`). */
const ControlSchemas = {
  waba: z.object({
    wabaId: z.string().regex(/^\d+$/).optional(),
    appSecret: z.string().min(1),
    accessToken: z.string().min(1),
    callbackUrl: z.url().optional(),
    messagingLimit: z
      .union([z.literal(250), z.literal(2000), z.literal(10000), z.literal(100000), z.null()])
      .optional(),
  }),
  number: z.object({
    phoneNumberId: z.string().regex(/^\d+$/).optional(),
    wabaId: z.string().min(1),
    displayPhoneNumber: z.string().regex(/^\+?\d{5,15}$/),
    throughputMps: z.union([z.literal(20), z.literal(80), z.literal(1000)]).optional(),
    quality: z.enum(['GREEN', 'YELLOW', 'RED']).optional(),
  }),
  inbound: z.object({ phoneNumberId: z.string().min(1), message: InboundMessageSpec }),
  user: z.object({ phoneNumberId: z.string().min(1), waId: z.string().min(1) }),
  marketing: z.object({ phoneNumberId: z.string().min(1), waId: z.string().min(1), value: z.enum(['stop', 'resume']) }),
  quality: z.object({ phoneNumberId: z.string().min(1), quality: z.enum(['GREEN', 'YELLOW', 'RED']) }),
  throughput: z.object({
    phoneNumberId: z.string().min(1),
    mps: z.union([z.literal(20), z.literal(80), z.literal(1000)]),
  }),
  templateStatus: z.object({
    templateId: z.string().min(1),
    status: z.enum(['APPROVED', 'PENDING', 'REJECTED', 'PAUSED', 'DISABLED']),
    reason: z.string().optional(),
  }),
  accountUpdate: z.object({
    wabaId: z.string().min(1),
    event: z.string().regex(/^[A-Z_]+$/),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
  webhooks: z
    .object({
      maxBatch: z.number().int().min(1).max(1000),
      batchDelayMs: z.number().min(0),
      retryInitialMs: z.number().min(1),
      retryMaxMs: z.number().min(1),
      retryForMs: z.number().min(0),
      duplicateProbability: z.number().min(0).max(1),
      reorderProbability: z.number().min(0).max(1),
      reorderDelayMs: z.number().min(0),
    })
    .partial(),
  faults: z
    .object({
      latencyMs: z.object({ min: z.number().min(0), max: z.number().min(0) }).nullable(),
      serverErrorRate: z.number().min(0).max(1),
      serverErrorCode: z.number().int(),
      timeoutRate: z.number().min(0).max(1),
      acceptThenTimeoutRate: z.number().min(0).max(1),
    })
    .partial(),
  behaviour: z
    .object({
      sentDelayMs: z.number().min(0),
      deliveredDelayMs: z.number().min(0),
      readDelayMs: z.number().min(0),
      deliveredProbability: z.number().min(0).max(1),
      readProbability: z.number().min(0).max(1),
      undeliverableProbability: z.number().min(0).max(1),
      messagingLimitErrorCode: z.number().int(),
      marketingPerUserPerDay: z.number().int().min(0).nullable(),
      pairRateBurst: z.number().min(1),
      pairRatePerSec: z.number().positive(),
      webhookApiVersion: z.number().int().min(17),
    })
    .partial(),
};

/**
 * The simulator over HTTP (uWebSockets.js): Meta's Graph API paths, plus the control API under `/_sim`.
 * Runs alone (`parlo simulator`) or inside the embedded platform.
 */
export async function startSimulatorServer(options: SimulatorServerOptions = {}): Promise<SimulatorServer> {
  const uws = loadUws();
  const clock = options.clock ?? new SystemClock();
  const poster = undiciPoster();
  const webhooks = new WebhookDispatcher({
    clock,
    post: poster,
    ...(options.random ? { random: options.random } : {}),
    options: options.webhookRetryForMs === undefined ? {} : { retryForMs: options.webhookRetryForMs },
  });
  const simulator = new CloudApiSimulator({
    clock,
    webhooks,
    ...(options.random ? { random: options.random } : {}),
    ...(options.behaviour ? { behaviour: options.behaviour } : {}),
    ...(options.templateReviewDelayMs === undefined ? {} : { templateReviewDelayMs: options.templateReviewDelayMs }),
  });
  const host = options.host ?? '127.0.0.1';
  let baseUrl = '';
  const app = uws.App();

  const graph = (handler: (req: ParsedRequest) => SimResponse) => (res: HttpResponse, req: HttpRequest) => {
    const parsed = snapshot(req);
    readBody(res, parsed, () =>
      respond(
        res,
        safely(() => handler(parsed)),
      ),
    );
  };

  app.post(
    '/:version/:id/messages',
    graph((r) => simulator.handleSend(r.params[0]!, r.params[1]!, r.headers['authorization'], r.json())),
  );

  app.post(
    '/:version/:id/media',
    graph((r) => {
      const headers = simulator.graphHeaders(r.params[0]!);
      const denied = simulator.authorize(r.params[1]!, r.headers['authorization'], 'post');
      if (denied) return simulator.errorResponse(denied, headers);
      const body = r.body.buffer.slice(r.body.byteOffset, r.body.byteOffset + r.body.byteLength) as ArrayBuffer;
      const parts = uws.getParts(body, r.headers['content-type'] ?? '') ?? [];
      const file = parts.find((p) => p.name === 'file');
      const product = parts.find((p) => p.name === 'messaging_product');
      if (!product || Buffer.from(product.data).toString() !== 'whatsapp') {
        return simulator.errorResponse(
          graphError(100, 'The parameter messaging_product is required and must be whatsapp'),
          headers,
        );
      }
      if (!file) return simulator.errorResponse(graphError(100, 'The parameter file is required'), headers);
      const declared = parts.find((p) => p.name === 'type');
      const mimeType = declared ? Buffer.from(declared.data).toString() : (file.type ?? 'application/octet-stream');
      const result = simulator.media.upload(r.params[1]!, { bytes: Buffer.from(file.data), mimeType });
      if (!result.ok) return simulator.errorResponse(result.error, headers);
      return { status: 200, headers, body: { id: result.id } };
    }),
  );

  app.get(
    '/:version/:id/message_templates',
    graph((r) => {
      const headers = simulator.graphHeaders(r.params[0]!);
      const denied = simulator.authorize(r.params[1]!, r.headers['authorization'], 'get');
      if (denied || !simulator.wabas.has(r.params[1]!))
        return simulator.errorResponse(denied ?? notFound(r.params[1]!, 'get'), headers);
      const limit = r.query.get('limit');
      return {
        status: 200,
        headers,
        body: simulator.templates.list(r.params[1]!, {
          ...(r.query.get('name') ? { name: r.query.get('name')! } : {}),
          ...(r.query.get('status') ? { status: r.query.get('status')! } : {}),
          ...(limit ? { limit: Number(limit) } : {}),
        }),
      };
    }),
  );
  app.get(
    '/:version/:id/whatsapp_business_profile',
    graph((r) => {
      const headers = simulator.graphHeaders(r.params[0]!);
      const id = r.params[1]!;
      const denied = simulator.authorize(id, r.headers['authorization'], 'get');
      if (denied || !simulator.numbers.has(id)) return simulator.errorResponse(denied ?? notFound(id, 'get'), headers);
      return { status: 200, headers, body: profileResponse(simulator.businessProfiles.get(id) ?? {}) };
    }),
  );
  app.post(
    '/:version/:id/whatsapp_business_profile',
    graph((r) => {
      const headers = simulator.graphHeaders(r.params[0]!);
      const id = r.params[1]!;
      const denied = simulator.authorize(id, r.headers['authorization'], 'post');
      if (denied || !simulator.numbers.has(id)) return simulator.errorResponse(denied ?? notFound(id, 'post'), headers);
      const validated = validateProfileUpdate(r.json());
      if (!validated.ok) return simulator.errorResponse(validated.error, headers);
      simulator.businessProfiles.set(id, { ...simulator.businessProfiles.get(id), ...validated.update });
      return { status: 200, headers, body: { success: true } };
    }),
  );
  app.post(
    '/:version/:id/message_templates',
    graph((r) => {
      const headers = simulator.graphHeaders(r.params[0]!);
      const denied = simulator.authorize(r.params[1]!, r.headers['authorization'], 'post');
      if (denied || !simulator.wabas.has(r.params[1]!))
        return simulator.errorResponse(denied ?? notFound(r.params[1]!, 'post'), headers);
      const created = simulator.templates.create(r.params[1]!, r.json());
      return created.ok
        ? { status: 200, headers, body: created.body }
        : simulator.errorResponse(created.error, headers);
    }),
  );
  app.del(
    '/:version/:id/message_templates',
    graph((r) => {
      const headers = simulator.graphHeaders(r.params[0]!);
      const denied = simulator.authorize(r.params[1]!, r.headers['authorization'], 'delete');
      if (denied || !simulator.wabas.has(r.params[1]!))
        return simulator.errorResponse(denied ?? notFound(r.params[1]!, 'delete'), headers);
      const name = r.query.get('name');
      if (!name) return simulator.errorResponse(graphError(100, 'The parameter name is required'), headers);
      const deleted = simulator.templates.delete(r.params[1]!, name, r.query.get('hsm_id') ?? undefined);
      if (!deleted) return simulator.errorResponse(graphError(100, `Message template "${name}" not found`), headers);
      return { status: 200, headers, body: { success: true } };
    }),
  );

  app.get(
    '/:version/:id',
    graph((r) => {
      const id = r.params[1]!;
      const headers = simulator.graphHeaders(r.params[0]!);
      const denied = simulator.authorize(id, r.headers['authorization'], 'get');
      if (denied) return simulator.errorResponse(denied, headers);
      const scope = r.query.get('phone_number_id') ?? undefined;
      const media = simulator.media.describe(id, baseUrl, scope);
      if (media) return { status: 200, headers, body: media };
      if (scope !== undefined && simulator.media.exists(id))
        return simulator.errorResponse(notFound(id, 'get'), headers);
      const number = simulator.numbers.get(id);
      if (number) {
        return {
          status: 200,
          headers,
          body: {
            id: number.phoneNumberId,
            display_phone_number: number.displayPhoneNumber,
            quality_rating: number.quality,
            throughput: {
              level: number.throughputMps >= 1000 ? 'HIGH' : number.throughputMps <= 20 ? 'LOW' : 'STANDARD',
            },
          },
        };
      }
      return simulator.errorResponse(notFound(id, 'get'), headers);
    }),
  );
  app.del(
    '/:version/:id',
    graph((r) => {
      const id = r.params[1]!;
      const headers = simulator.graphHeaders(r.params[0]!);
      const denied = simulator.authorize(id, r.headers['authorization'], 'delete');
      if (denied) return simulator.errorResponse(denied, headers);
      if (!simulator.media.delete(id)) return simulator.errorResponse(notFound(id, 'delete'), headers);
      return { status: 200, headers, body: { success: true } };
    }),
  );

  // The download URL of `GET /{media-id}`. Like Meta's, it answers only with an access token that may read the
  // media ("you must include an access token", WHATSAPP.md §2.2): 401 without a valid one, 404 for an unknown or
  // expired URL and for another account's token.
  app.get('/_sim/media/:id', (res, req) => {
    const id = req.getParameter(0) ?? '';
    const token = req.getQuery('token') ?? '';
    const expires = Number(req.getQuery('expires') ?? '0');
    const authorization = req.getHeader('authorization');
    const file = simulator.media.download(id, token, expires);
    const denied = file ? simulator.authorize(id, authorization === '' ? undefined : authorization, 'get') : undefined;
    res.cork(() => {
      if (denied?.httpStatus === 401) {
        res
          .writeStatus(STATUS_TEXT[401]!)
          .writeHeader('content-type', 'application/json; charset=UTF-8')
          .end(JSON.stringify(simulator.errorResponse(denied, {}).body));
        return;
      }
      if (!file || denied) {
        res.writeStatus('404 Not Found').end();
        return;
      }
      res.writeStatus('200 OK').writeHeader('content-type', file.mimeType).end(file.bytes);
    });
  });

  // ---- control API ----
  const control = <S extends z.ZodType>(schema: S, run: (input: z.infer<S>) => unknown) =>
    graph((r) => {
      const parsed = schema.safeParse(r.json());
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return controlError(400, `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
      }
      return { status: 200, body: run(parsed.data) ?? { ok: true } };
    });
  app.post(
    '/_sim/wabas',
    control(ControlSchemas.waba, (input) => ({
      wabaId: simulator.registerWaba(stripUndefined(input) as Parameters<CloudApiSimulator['registerWaba']>[0]).wabaId,
    })),
  );
  app.post(
    '/_sim/numbers',
    control(ControlSchemas.number, (input) => ({
      phoneNumberId: simulator.registerNumber(
        stripUndefined(input) as Parameters<CloudApiSimulator['registerNumber']>[0],
      ).phoneNumberId,
    })),
  );
  app.post(
    '/_sim/inbound',
    control(ControlSchemas.inbound, (input) => simulator.injectInbound(input.phoneNumberId, input.message)),
  );
  app.post(
    '/_sim/users/block',
    control(ControlSchemas.user, (input) => simulator.blockUser(input.phoneNumberId, input.waId)),
  );
  app.post(
    '/_sim/users/unblock',
    control(ControlSchemas.user, (input) => simulator.unblockUser(input.phoneNumberId, input.waId)),
  );
  app.post(
    '/_sim/users/report',
    control(ControlSchemas.user, (input) => simulator.reportSpam(input.phoneNumberId, input.waId)),
  );
  app.post(
    '/_sim/users/marketing',
    control(ControlSchemas.marketing, (input) =>
      simulator.setMarketingPreference(input.phoneNumberId, input.waId, input.value),
    ),
  );
  app.post(
    '/_sim/numbers/quality',
    control(ControlSchemas.quality, (input) => simulator.setQuality(input.phoneNumberId, input.quality)),
  );
  app.post(
    '/_sim/numbers/throughput',
    control(ControlSchemas.throughput, (input) => simulator.upgradeThroughput(input.phoneNumberId, input.mps)),
  );
  app.post(
    '/_sim/templates/status',
    control(ControlSchemas.templateStatus, (input) => {
      if (!simulator.templates.setStatus(input.templateId, input.status, input.reason))
        throw new SimInputError(`unknown templateId ${input.templateId}`);
    }),
  );
  app.post(
    '/_sim/account-update',
    control(ControlSchemas.accountUpdate, (input) =>
      simulator.emitAccountUpdate(input.wabaId, input.event, input.details ?? {}),
    ),
  );
  app.post(
    '/_sim/webhooks',
    control(ControlSchemas.webhooks, (input) => webhooks.configure(stripUndefined(input))),
  );
  app.post(
    '/_sim/faults',
    control(ControlSchemas.faults, (input) => {
      simulator.faults = { ...simulator.faults, ...(stripUndefined(input) as Partial<SimulatorFaults>) };
      return simulator.faults;
    }),
  );
  app.post(
    '/_sim/behaviour',
    control(ControlSchemas.behaviour, (input) => {
      simulator.behaviour = { ...simulator.behaviour, ...(stripUndefined(input) as Partial<SimulatorBehaviour>) };
      return simulator.behaviour;
    }),
  );
  app.get(
    '/_sim/sent',
    graph((r) => {
      const since = Number(r.query.get('since') ?? '0');
      const phoneNumberId = r.query.get('phoneNumberId');
      const records = simulator.sent.slice(since).filter((s) => !phoneNumberId || s.phoneNumberId === phoneNumberId);
      return { status: 200, body: { total: simulator.sent.length, records } };
    }),
  );
  app.get(
    '/_sim/stats',
    graph(() => ({ status: 200, body: simulator.stats() })),
  );
  app.any(
    '/*',
    graph((r) => controlError(404, `no route for ${r.method.toUpperCase()} ${r.url}`)),
  );

  const listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
    app.listen(host, options.port ?? 0, (socket) =>
      socket ? resolve(socket) : reject(new Error(`simulator could not listen on ${host}:${options.port ?? 0}`)),
    );
  });
  const port = uws.us_socket_local_port(listenSocket);
  baseUrl = `http://${host}:${port}`;
  return {
    url: baseUrl,
    port,
    simulator,
    webhooks,
    async close() {
      uws.us_listen_socket_close(listenSocket);
      simulator.close();
      await webhooks.close();
      await poster.close();
    },
  };
}

interface ParsedRequest {
  readonly method: string;
  readonly url: string;
  readonly params: readonly string[];
  /** The two headers the simulator reads (uWS lower-cases names). */
  readonly headers: { readonly authorization?: string; readonly 'content-type'?: string };
  readonly query: URLSearchParams;
  body: Buffer;
  json(): unknown;
}

/** uWS request objects die when the handler returns: copy what is needed first, and only that (hot path). */
function snapshot(req: HttpRequest): ParsedRequest {
  const authorization = req.getHeader('authorization');
  const contentType = req.getHeader('content-type');
  const rawQuery = req.getQuery() ?? '';
  let query: URLSearchParams | undefined;
  const parsed: ParsedRequest = {
    method: req.getMethod(),
    url: req.getUrl(),
    params: [req.getParameter(0) ?? '', req.getParameter(1) ?? ''],
    headers: {
      ...(authorization === '' ? {} : { authorization }),
      ...(contentType === '' ? {} : { 'content-type': contentType }),
    },
    get query() {
      return (query ??= new URLSearchParams(rawQuery));
    },
    body: EMPTY_BODY,
    json() {
      if (parsed.body.length === 0) return undefined;
      try {
        return JSON.parse(parsed.body.toString('utf8')) as unknown;
      } catch {
        return INVALID_JSON;
      }
    },
  };
  return parsed;
}

const EMPTY_BODY = Buffer.alloc(0);

export const INVALID_JSON = Symbol('invalid JSON');

function readBody(res: HttpResponse, parsed: ParsedRequest, done: () => void): void {
  const aborted = { value: false };
  (res as HttpResponse & { aborted?: boolean }).aborted = false;
  res.onAborted(() => {
    aborted.value = true;
    (res as HttpResponse & { aborted?: boolean }).aborted = true;
  });
  if (parsed.method === 'get' || parsed.method === 'delete') {
    done();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  res.onData((chunk, isLast) => {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) {
      if (!aborted.value) res.cork(() => res.writeStatus('413 Payload Too Large').end());
      aborted.value = true;
      return;
    }
    // uWS reuses the chunk's memory after this callback: copy it.
    chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (isLast && !aborted.value) {
      parsed.body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      done();
    }
  });
}

function respond(res: HttpResponse & { aborted?: boolean }, response: SimResponse): void {
  if (response.hang) return; // the client times out; uWS calls onAborted when it gives up
  const write = (): void => {
    if (res.aborted) return;
    res.cork(() => {
      res.writeStatus(STATUS_TEXT[response.status] ?? `${response.status} Status`);
      for (const [key, value] of Object.entries(response.headers ?? {})) res.writeHeader(key, value);
      res.writeHeader('content-type', 'application/json; charset=UTF-8');
      res.end(JSON.stringify(response.body));
    });
  };
  if (response.delayMs && response.delayMs > 0) setTimeout(write, response.delayMs);
  else write();
}

function safely(run: () => SimResponse): SimResponse {
  try {
    return run();
  } catch (err) {
    if (err instanceof SimInputError) return controlError(404, err.message);
    return controlError(500, `simulator bug: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function controlError(status: number, message: string): SimResponse {
  return {
    status,
    body: {
      error: {
        code: status === 404 ? 'SIM_NOT_FOUND' : status === 400 ? 'SIM_INVALID_INPUT' : 'SIM_INTERNAL',
        message,
      },
    },
  };
}

function notFound(id: string, verb: 'get' | 'post' | 'delete') {
  return objectDoesNotExistError(id, verb);
}

function stripUndefined<T extends Record<string, unknown>>(input: T): Partial<T> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<T>;
}
