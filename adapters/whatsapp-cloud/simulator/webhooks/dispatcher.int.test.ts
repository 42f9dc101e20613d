import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SystemClock } from '../../../../core/time/clock.ts';
import { WebhookDispatcher, undiciPoster } from './dispatcher.ts';
import { InboundMessageSpec, buildInboundMessageValue, buildStatusValue, type WebhookEnvelope } from './payloads.ts';

const APP_SECRET = 'int-test-app-secret';
const NUMBER = { wabaId: '419561257915477', phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881' };

interface Received {
  readonly raw: Buffer;
  readonly headers: IncomingMessage['headers'];
  readonly status: number;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A free TCP port on 127.0.0.1 (listen on 0, then close). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A webhook receiver that answers each POST with `statusFor(index)` and keeps the raw bytes. */
async function startReceiver(port: number, statusFor: (index: number) => number) {
  const received: Received[] = [];
  let connections = 0;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const status = statusFor(received.length);
      received.push({ raw: Buffer.concat(chunks), headers: req.headers, status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'EVENT_RECEIVED' : 'busy');
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { received, connectionCount: () => connections };
}

/** Meta's documented check: HMAC-SHA256 of the raw body with the app secret, compared after `sha256=`. */
function verifiesLikeAReceiver(raw: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', APP_SECRET).update(raw).digest();
  const actual = Buffer.from(header.slice('sha256='.length), 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

async function eventually(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('WebhookDispatcher over real HTTP (undici → node:http)', () => {
  it('retries through connection refusals and 503s until the receiver answers 200; the signature covers the raw bytes', async () => {
    const port = await freePort();
    const poster = undiciPoster({ timeoutMs: 5_000 });
    const dispatcher = new WebhookDispatcher({
      clock: new SystemClock(),
      post: poster,
      options: { batchDelayMs: 2, retryInitialMs: 20, retryMaxMs: 80, retryJitter: 0, retryForMs: 30_000 },
    });
    cleanups.push(async () => {
      await dispatcher.close();
      await poster.close();
    });

    const spec = InboundMessageSpec.parse({
      type: 'text',
      from: '16505551234',
      profileName: 'Lucía 😮',
      body: 'Olá — does it come in another colour? 👍',
    });
    const url = `http://127.0.0.1:${port}/webhooks/whatsapp`;
    const target = { url, appSecret: APP_SECRET };
    dispatcher.enqueue(target, {
      wabaId: NUMBER.wabaId,
      field: 'messages',
      value: buildInboundMessageValue(spec, NUMBER, 'wamid.IN1', Date.now()),
    });
    dispatcher.enqueue(target, {
      wabaId: NUMBER.wabaId,
      field: 'messages',
      value: buildStatusValue(
        NUMBER,
        { wamid: 'wamid.OUT1', status: 'sent', recipientId: '16505551234', timestampMs: Date.now() },
        24,
      ),
    });

    // Nobody listens yet: connection refused, retried.
    await eventually(() => dispatcher.stats().failedAttempts >= 2, 'two refused attempts');
    const receiver = await startReceiver(port, (i) => (i < 2 ? 503 : 200));

    await dispatcher.whenIdle();

    const { received } = receiver;
    expect(received.map((r) => r.status)).toEqual([503, 503, 200]);
    expect(new Set(received.map((r) => r.raw.toString('latin1'))).size).toBe(1); // retries resend the same bytes
    const last = received[2]!;
    expect(last.headers['content-type']).toBe('application/json');
    expect(verifiesLikeAReceiver(last.raw, last.headers['x-hub-signature-256'])).toBe(true);
    // Non-ASCII travels as \uXXXX escapes: re-serialising the parsed JSON would not verify.
    expect(last.raw.toString('utf8')).toContain('\\ud83d\\udc4d');
    const parsed = JSON.parse(last.raw.toString('utf8')) as WebhookEnvelope;
    expect(verifiesLikeAReceiver(Buffer.from(JSON.stringify(parsed)), last.headers['x-hub-signature-256'])).toBe(false);
    expect(parsed.entry[0]!.changes.map((c) => Object.keys(c.value as object))).toEqual([
      ['messaging_product', 'metadata', 'contacts', 'messages'],
      ['messaging_product', 'metadata', 'statuses'],
    ]);
    expect(JSON.stringify(parsed)).toContain('Olá — does it come in another colour? 👍');

    expect(dispatcher.stats()).toMatchObject({ delivered: 2, dropped: 0, pending: 0 });
    expect(dispatcher.stats().failedAttempts).toBeGreaterThanOrEqual(4);
    // keep-alive: the 503s and the 200 share one connection
    expect(receiver.connectionCount()).toBe(1);
  });
});
