import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { OutboundMessage } from '../../core/ports/channel.port.ts';
import { LOCAL_ERROR_CODES, PAIR_RATE_RETRY_AFTER_MS, THROUGHPUT_RETRY_AFTER_MS } from './classify.ts';
import { createCloudApiClient, type CloudApiClient } from './client.ts';
import { WHATSAPP_CLOUD_CAPABILITIES, type CloudApiClientOptions } from './config.ts';
import { buildSendBody } from './request-builders.ts';
import { startSimulatorServer } from './simulator/server.ts';

/**
 * A tiny stand-in for graph.facebook.com: `POST [/meta]/v23.0/{phone-number-id}/messages`, where the phone-number
 * id picks the answer (WHATSAPP.md §1.3, §1.4, §2.8).
 */
interface Recorded {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const recorded: Recorded[] = [];
let connections = 0;
let inFlight = 0;
let maxInFlight = 0;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function graphError(code: number, message: string, details: string, extra: Record<string, unknown> = {}): unknown {
  return {
    error: {
      message,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details },
      fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam',
      ...extra,
    },
  };
}

const WAMID = 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJCOTY3NDc0NDFDRUI3NTA0Q0UA';

function answer(account: string, res: ServerResponse): void {
  switch (account) {
    case 'ok':
      return json(res, 200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: '+16505551234', wa_id: '16505551234' }],
        messages: [{ id: WAMID, message_status: 'accepted' }],
      });
    case 'ok-no-status':
      return json(res, 200, {
        messaging_product: 'whatsapp',
        contacts: [{ input: '5511987654321', wa_id: '551187654321' }],
        messages: [{ id: WAMID }],
      });
    case 'throttled':
      return json(
        res,
        429,
        graphError(130429, '(#130429) Rate limit hit', 'Cloud API message throughput has been reached.'),
      );
    case 'pair-rate':
      return json(
        res,
        400,
        graphError(
          131056,
          '(#131056) (Business Account, Consumer Account) pair rate limit hit',
          'Too many messages to the same user.',
        ),
      );
    case 'window':
      return json(
        res,
        400,
        graphError(
          131047,
          '(#131047) Re-engagement message',
          'More than 24 hours have passed since the customer last replied to this number.',
          { error_subcode: 2494055 },
        ),
      );
    case 'bad-param':
      return json(res, 400, graphError(100, '(#100) Invalid parameter', 'Parameter value is not valid'));
    case 'waba-throttled':
      return json(res, 429, graphError(80007, 'Business request limit reached', 'limit', { is_transient: true }), {
        'x-business-use-case-usage': JSON.stringify({
          '102290129340398': [
            { type: 'whatsapp', call_count: 100, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: 2 },
          ],
        }),
      });
    case 'server-error':
      res.writeHead(500, { 'content-type': 'text/html' });
      res.end('<html><body>Internal Server Error</body></html>');
      return;
    case 'server-error-graph':
      return json(
        res,
        500,
        graphError(131000, '(#131000) Something went wrong', 'Message failed to send due to an unknown error.'),
      );
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"messaging_product":"whatsapp","messages":[');
      return;
    case 'wrong-shape':
      return json(res, 200, { messaging_product: 'whatsapp', messages: [] });
    case 'slow':
      setTimeout(() => {
        if (!res.writableEnded && !res.destroyed)
          json(res, 200, { messaging_product: 'whatsapp', messages: [{ id: WAMID }] });
      }, 5_000).unref();
      return;
    case 'read':
      return json(res, 200, { success: true });
    case 'read-outgoing':
      return json(
        res,
        400,
        graphError(
          100,
          '(#100) Invalid parameter',
          'Message supplied to mark message as read API with message ID: wamid.X is outgoing. Please use an incoming message ID.',
        ),
      );
    case 'gated':
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight -= 1;
        json(res, 200, {
          messaging_product: 'whatsapp',
          contacts: [{ input: '1', wa_id: '1' }],
          messages: [{ id: WAMID }],
        });
      }, 40);
      return;
    default:
      return json(
        res,
        404,
        graphError(100, `Unsupported post request. Object with ID '${account}' does not exist`, ''),
      );
  }
}

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      recorded.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const match = /^(?:\/meta)?\/v23\.0\/([^/]+)\/messages$/.exec(req.url ?? '');
      if (req.method !== 'POST' || match?.[1] === undefined)
        return json(res, 404, { error: { code: 100, message: 'no route' } });
      answer(decodeURIComponent(match[1]), res);
    });
  });
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  recorded.length = 0;
});

function makeClient(
  overrides: Partial<
    Pick<CloudApiClientOptions, 'timeoutMs' | 'maxInFlightPerAccount' | 'baseUrl' | 'accessToken'>
  > = {},
): CloudApiClient {
  return createCloudApiClient({ baseUrl, accessToken: (accountId) => `EAAB-token-${accountId}`, ...overrides });
}

function textTo(accountId: string, extra: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    accountId,
    to: '+16505551234',
    messageKey: 'conv-9/msg-1',
    content: { type: 'text', text: { body: 'Does it come in another color?', preview_url: false } },
    ...extra,
  };
}

describe('createCloudApiClient against a local Graph stand-in', () => {
  let client: CloudApiClient;
  beforeAll(() => {
    client = makeClient();
  });
  afterAll(async () => {
    await client.close();
  });

  it('is the whatsapp-cloud channel with its capabilities', () => {
    expect(client.name).toBe('whatsapp-cloud');
    expect(client.capabilities).toStrictEqual(WHATSAPP_CLOUD_CAPABILITIES);
    expect(client.capabilities).toMatchObject({
      serviceWindowMs: 86_400_000,
      freeEntryPointWindowMs: 259_200_000,
      templateRequiredOutsideWindow: true,
      maxTextLength: 4096,
    });
  });

  it('accepted: wamid, normalised wa_id and message_status; sends the headers and the exact body', async () => {
    const message = textTo('ok', { replyToProviderMessageId: 'wamid.PREV' });
    await expect(client.send(message)).resolves.toStrictEqual({
      outcome: 'accepted',
      providerMessageId: WAMID,
      recipientId: '16505551234',
      providerStatus: 'accepted',
    });
    expect(recorded).toHaveLength(1);
    const [request] = recorded;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/v23.0/ok/messages');
    expect(request?.headers.authorization).toBe('Bearer EAAB-token-ok');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['content-length']).toBe(String(Buffer.byteLength(request?.body ?? '')));
    expect(JSON.parse(request?.body ?? '')).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+16505551234',
      type: 'text',
      context: { message_id: 'wamid.PREV' },
      text: { body: 'Does it come in another color?', preview_url: false },
      biz_opaque_callback_data: 'conv-9/msg-1',
    });
    expect(request?.body).toBe(JSON.stringify(buildSendBody(message)));
  });

  it('looks the token up asynchronously; no token → rejected −5, a failing lookup → retry −6, nothing sent', async () => {
    const lookedUp = makeClient({
      accessToken: (accountId) =>
        accountId === 'ok'
          ? Promise.resolve('EAAB-async-token')
          : accountId === 'gone'
            ? undefined
            : Promise.reject(new Error('store timed out')),
    });
    try {
      const before = recorded.length;
      await expect(lookedUp.send(textTo('ok'))).resolves.toMatchObject({ outcome: 'accepted' });
      expect(recorded[recorded.length - 1]?.headers.authorization).toBe('Bearer EAAB-async-token');
      await expect(lookedUp.send(textTo('gone'))).resolves.toMatchObject({ outcome: 'rejected', code: -5 });
      await expect(lookedUp.send(textTo('flaky'))).resolves.toMatchObject({
        outcome: 'retry',
        code: -6,
        detail: expect.stringContaining('store timed out'),
      });
      expect(recorded.length).toBe(before + 1);
    } finally {
      await lookedUp.close();
    }
  });

  it('accepted without message_status, with the wa_id Meta normalised', async () => {
    await expect(client.send(textTo('ok-no-status'))).resolves.toStrictEqual({
      outcome: 'accepted',
      providerMessageId: WAMID,
      recipientId: '551187654321',
    });
  });

  it('130429 → slowDown ~1 s', async () => {
    await expect(client.send(textTo('throttled'))).resolves.toStrictEqual({
      outcome: 'slowDown',
      code: 130429,
      detail: '(#130429) Rate limit hit: Cloud API message throughput has been reached.',
      afterMs: THROUGHPUT_RETRY_AFTER_MS,
    });
  });

  it('131056 → slowDown 6 s (pair rate)', async () => {
    await expect(client.send(textTo('pair-rate'))).resolves.toMatchObject({
      outcome: 'slowDown',
      code: 131056,
      afterMs: PAIR_RATE_RETRY_AFTER_MS,
    });
  });

  it('131047 in its synchronous form → windowClosed', async () => {
    await expect(client.send(textTo('window'))).resolves.toStrictEqual({
      outcome: 'windowClosed',
      code: 131047,
      detail:
        '(#131047) Re-engagement message: More than 24 hours have passed since the customer last replied to this number.',
    });
  });

  it('100 → rejected', async () => {
    await expect(client.send(textTo('bad-param'))).resolves.toMatchObject({ outcome: 'rejected', code: 100 });
  });

  it('takes the wait from X-Business-Use-Case-Usage (minutes) when Meta gives one', async () => {
    await expect(client.send(textTo('waba-throttled'))).resolves.toMatchObject({
      outcome: 'retry',
      code: 80007,
      afterMs: 120_000,
    });
  });

  it('HTTP 500 (HTML body) → retry with the HTTP status as code', async () => {
    await expect(client.send(textTo('server-error'))).resolves.toStrictEqual({
      outcome: 'retry',
      code: 500,
      detail: 'HTTP 500: <html><body>Internal Server Error</body></html>',
    });
  });

  it('HTTP 500 with a Graph error → retry with the Graph code', async () => {
    await expect(client.send(textTo('server-error-graph'))).resolves.toMatchObject({ outcome: 'retry', code: 131000 });
  });

  it('malformed JSON on a 200 → retry (malformedResponse)', async () => {
    await expect(client.send(textTo('malformed'))).resolves.toMatchObject({
      outcome: 'retry',
      code: LOCAL_ERROR_CODES.malformedResponse,
    });
  });

  it('a 200 without messages[] → retry (malformedResponse)', async () => {
    await expect(client.send(textTo('wrong-shape'))).resolves.toMatchObject({
      outcome: 'retry',
      code: LOCAL_ERROR_CODES.malformedResponse,
    });
  });

  it('markRead: {success: true} → accepted; sends the read receipt with the typing indicator', async () => {
    await expect(
      client.markRead({ accountId: 'read', providerMessageId: 'wamid.IN', showTyping: true }),
    ).resolves.toStrictEqual({ outcome: 'accepted' });
    expect(JSON.parse(recorded[0]?.body ?? '')).toStrictEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.IN',
      typing_indicator: { type: 'text' },
    });
    expect(recorded[0]?.headers.authorization).toBe('Bearer EAAB-token-read');
  });

  it('markRead of an outgoing wamid → rejected (code 100)', async () => {
    await expect(client.markRead({ accountId: 'read-outgoing', providerMessageId: 'wamid.X' })).resolves.toMatchObject({
      outcome: 'rejected',
      code: 100,
    });
  });

  it('markRead answered with a send body → retry (malformedResponse)', async () => {
    await expect(client.markRead({ accountId: 'ok', providerMessageId: 'wamid.X' })).resolves.toMatchObject({
      outcome: 'retry',
      code: LOCAL_ERROR_CODES.malformedResponse,
    });
  });

  it('reuses one keep-alive connection for sequential calls', async () => {
    const before = connections;
    for (let i = 0; i < 5; i += 1) await client.send(textTo('ok'));
    expect(connections - before).toBeLessThanOrEqual(1);
  });
});

describe('timeouts, network errors, concurrency and lifecycle', () => {
  it('a slow answer → retry with the timeout code', async () => {
    const client = makeClient({ timeoutMs: 200 });
    try {
      const started = performance.now();
      await expect(client.send(textTo('slow'))).resolves.toMatchObject({
        outcome: 'retry',
        code: LOCAL_ERROR_CODES.timeout,
      });
      expect(performance.now() - started).toBeLessThan(3_000);
      // The client is still usable after a timed-out call.
      await expect(client.send(textTo('ok'))).resolves.toMatchObject({ outcome: 'accepted' });
    } finally {
      await client.close();
    }
  });

  it('a refused connection → retry with the network code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = makeClient({ baseUrl: `http://127.0.0.1:${port}` });
    try {
      await expect(client.send(textTo('ok'))).resolves.toMatchObject({
        outcome: 'retry',
        code: LOCAL_ERROR_CODES.network,
      });
    } finally {
      await client.close();
    }
  });

  it('honours a base URL with a path prefix', async () => {
    const client = makeClient({ baseUrl: `${baseUrl}/meta/` });
    try {
      await expect(client.send(textTo('ok'))).resolves.toMatchObject({ outcome: 'accepted' });
      expect(recorded[0]?.url).toBe('/meta/v23.0/ok/messages');
    } finally {
      await client.close();
    }
  });

  it('keeps at most maxInFlightPerAccount calls in flight per account', async () => {
    const client = makeClient({ maxInFlightPerAccount: 2 });
    inFlight = 0;
    maxInFlight = 0;
    try {
      const outcomes = await Promise.all(Array.from({ length: 7 }, () => client.send(textTo('gated'))));
      expect(outcomes.every((outcome) => outcome.outcome === 'accepted')).toBe(true);
      expect(recorded).toHaveLength(7);
      expect(maxInFlight).toBe(2);
    } finally {
      await client.close();
    }
  });

  it('close(): calls in flight finish, queued calls come back as retry, later calls throw', async () => {
    const client = makeClient({ maxInFlightPerAccount: 1 });
    const first = client.send(textTo('gated'));
    const queued = client.send(textTo('gated'));
    await new Promise((resolve) => setTimeout(resolve, 10));
    await client.close();
    await expect(first).resolves.toMatchObject({ outcome: 'accepted' });
    await expect(queued).resolves.toMatchObject({ outcome: 'retry', code: LOCAL_ERROR_CODES.clientClosed });
    await expect(client.send(textTo('ok'))).rejects.toThrow(/closed/);
    await client.close(); // idempotent
  });

  it('refuses invalid options at construction', () => {
    expect(() => makeClient({ timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(() => createCloudApiClient({ apiVersion: '23', accessToken: () => 't' })).toThrow(/apiVersion/);
    expect(() => makeClient({ baseUrl: 'ftp://example.com' })).toThrow(/baseUrl/);
  });
});

/** The most of the sorted times `timesMs` in any window [a, a + 1000). */
function maxInOneSecond(timesMs: readonly number[]): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < timesMs.length; last++) {
    while (timesMs[first]! <= timesMs[last]! - 1000) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describe('wire pacing against the simulator (maxRatePerSec)', () => {
  it('300 concurrent sends at maxRatePerSec 100: the simulator never accepts more than 102 in a 1 s window', async () => {
    const server = await startSimulatorServer();
    const token = 'EAAGpacingtoken';
    const waba = server.simulator.registerWaba({ appSecret: 'pacing-app-secret', accessToken: token });
    // 1,000 msg/s at the simulator, so that what is measured is the client's spacing, not 130429.
    const number = server.simulator.registerNumber({
      wabaId: waba.wabaId,
      displayPhoneNumber: '15550783882',
      throughputMps: 1000,
    });
    const client = createCloudApiClient({ baseUrl: server.url, accessToken: () => token });
    try {
      // 20 customers with open windows: 15 messages each, well inside Meta's pair-rate burst.
      const customers = Array.from({ length: 20 }, (_, i) => `1650555${String(2000 + i)}`);
      for (const from of customers) {
        server.simulator.injectInbound(number.phoneNumberId, { type: 'text', from, body: 'Hi' });
      }
      const startedAtMs = Date.now();
      const outcomes = await Promise.all(
        Array.from({ length: 300 }, (_, i) =>
          client.send({
            accountId: number.phoneNumberId,
            to: customers[i % customers.length]!,
            messageKey: `paced-${i}`,
            content: { type: 'text', text: { body: `paced ${i}` } },
            maxRatePerSec: 100,
          }),
        ),
      );
      const elapsedMs = Date.now() - startedAtMs;
      expect(outcomes.filter((outcome) => outcome.outcome !== 'accepted')).toEqual([]);
      // 2 at once (⌊100 × 2 %⌋), then one per 10 ms: the 300th leaves ≈ 2.98 s after the first.
      expect(elapsedMs).toBeGreaterThanOrEqual(2_900);

      const response = await fetch(`${server.url}/_sim/sent?phoneNumberId=${number.phoneNumberId}`);
      const log = (await response.json()) as { records: { acceptedAtMs: number; bizOpaqueCallbackData?: string }[] };
      const times = log.records.map((record) => record.acceptedAtMs).sort((a, b) => a - b);
      expect(times).toHaveLength(300);
      expect(maxInOneSecond(times)).toBeLessThanOrEqual(102);
      // Without spacing all 300 would arrive within a few hundred ms: the window check would fail.
      expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(2_900);
    } finally {
      await client.close();
      await server.close();
    }
  }, 20_000);
});
