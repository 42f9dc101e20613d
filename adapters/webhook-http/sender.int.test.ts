import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox, type WebhookDeliveryRequest } from '../../core/index.ts';
import { describeWebhooksOutContract, type ReceivedWebhook } from '../../core/ports/webhooks-out.contract.ts';
import { createWebhookSender, type ResolveAll, type WebhookSender } from './sender.ts';
import { signingSecretContext, verifyParloSignature } from './signature.ts';
import { STRICT_TARGET_POLICY, type TargetPolicy } from './ssrf.ts';

/** A real receiver on 127.0.0.1: records requests, answers with a handler. */
interface Receiver {
  readonly server: Server;
  readonly port: number;
  readonly received: ReceivedWebhook[];
  handle: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: ReceivedWebhook[] = [];
  const receiver = {
    received,
    handle: (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200).end('ok');
    },
  } as Partial<Receiver> & Pick<Receiver, 'received' | 'handle'>;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      );
      received.push({ path: req.url ?? '', headers, body });
      receiver.handle(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const full: Receiver = Object.assign(receiver, {
    server,
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return full;
}

const box = SecretBox.fromText(SecretBox.generateKeyText());
const SECRET = 'whsec_sender-test-secret-0123456789';
const LOOPBACK: TargetPolicy = { ...STRICT_TARGET_POLICY, allowLoopback: true };

function makeRequest(url: string, secrets: readonly string[] = [SECRET]): WebhookDeliveryRequest {
  return {
    orgId: 'o1',
    endpointId: 'we_1',
    deliveryId: 'dlv_00000000000000aa',
    attempt: 3,
    url,
    secrets: secrets.map((s, i) => ({
      secretId: `ws_${i}`,
      sealed: box.seal(s, signingSecretContext('o1', 'we_1', `ws_${i}`)),
    })),
    event: { id: 'evt_42', type: 'conversation.resolved', orgId: 'o1', occurredAtMs: Date.now(), data: { x: 1 } },
  };
}

describeWebhooksOutContract('HTTP webhook sender (undici, real receiver on 127.0.0.1)', async () => {
  const receiver = await startReceiver();
  let status = 200;
  receiver.handle = (_req, res) => {
    res.writeHead(status, status >= 300 && status < 400 ? { location: 'http://127.0.0.1:1/elsewhere' } : {}).end();
  };
  const sender = createWebhookSender({ secretBox: box, policy: LOOPBACK, timeoutMs: 5_000 });
  return {
    sender,
    url: `http://127.0.0.1:${receiver.port}/hooks/parlo`,
    seal: (plaintext, orgId, endpointId, secretId) =>
      box.seal(plaintext, signingSecretContext(orgId, endpointId, secretId)),
    respondWith: (s) => {
      status = s;
    },
    received: async () => receiver.received,
    nowMs: Date.now,
    cleanup: async () => {
      await sender.close();
      await receiver.close();
    },
  };
});

describe('HTTP webhook sender', () => {
  let receiver: Receiver;
  let senders: WebhookSender[] = [];
  const sender = (options: { policy?: TargetPolicy; timeoutMs?: number; resolve?: ResolveAll } = {}) => {
    const created = createWebhookSender({
      secretBox: box,
      policy: options.policy ?? LOOPBACK,
      timeoutMs: options.timeoutMs ?? 5_000,
      ...(options.resolve ? { resolve: options.resolve } : {}),
    });
    senders.push(created);
    return created;
  };

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterEach(async () => {
    for (const s of senders) await s.close();
    senders = [];
    receiver.received.length = 0;
    receiver.handle = (_req, res) => {
      res.writeHead(200).end('ok');
    };
  });
  afterAll(async () => {
    await receiver.close();
  });

  it('sends headers that the published verifier accepts, with both secrets during a rotation', async () => {
    const outcome = await sender().deliver(
      makeRequest(`http://127.0.0.1:${receiver.port}/in?src=parlo`, [SECRET, 'whsec_old']),
    );
    expect(outcome).toMatchObject({ outcome: 'delivered', status: 200 });
    const [got] = receiver.received as [ReceivedWebhook];
    expect(got.path).toBe('/in?src=parlo');
    expect(got.headers['user-agent']).toBe('Parlo-Webhooks/1.0');
    expect(got.headers['parlo-delivery-attempt']).toBe('3');
    const now = Math.floor(Date.now() / 1000);
    expect(verifyParloSignature(got.headers['parlo-signature'], got.body, SECRET, now)).toMatchObject({ ok: true });
    expect(verifyParloSignature(got.headers['parlo-signature'], got.body, 'whsec_old', now)).toMatchObject({
      ok: true,
    });
    expect(verifyParloSignature(got.headers['parlo-signature'], got.body, 'whsec_other', now)).toMatchObject({
      ok: false,
    });
  });

  it('refuses loopback targets unless allowed: a literal address and a name that resolves to one', async () => {
    const strict = sender({ policy: STRICT_TARGET_POLICY });
    const literal = await strict.deliver(makeRequest(`http://127.0.0.1:${receiver.port}/x`));
    expect(literal).toMatchObject({ outcome: 'failed', reason: 'forbidden', status: null });
    expect(literal.outcome === 'failed' ? literal.detail : '').toContain('webhooks.allowLoopback');
    const mapped = await strict.deliver(makeRequest(`http://[::ffff:127.0.0.1]:${receiver.port}/x`));
    expect(mapped).toMatchObject({ outcome: 'failed', reason: 'forbidden' });
    const named = await strict.deliver(makeRequest(`http://localhost:${receiver.port}/x`));
    expect(named).toMatchObject({ outcome: 'failed', reason: 'forbidden' });
    expect(named.outcome === 'failed' ? named.detail : '').toMatch(/localhost resolves to .*loopback/);
    expect(receiver.received).toEqual([]);
  });

  it('checks every resolved address: one private address among public ones refuses the target', async () => {
    const resolve: ResolveAll = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    const outcome = await sender({ policy: STRICT_TARGET_POLICY, resolve }).deliver(makeRequest('http://mixed.test/x'));
    expect(outcome).toMatchObject({ outcome: 'failed', reason: 'forbidden' });
    expect(outcome.outcome === 'failed' ? outcome.detail : '').toContain('10.0.0.7');
    const metadata: ResolveAll = async () => [{ address: '169.254.169.254', family: 4 }];
    const meta = await sender({ policy: LOOPBACK, resolve: metadata }).deliver(makeRequest('http://metadata.test/'));
    expect(meta).toMatchObject({ outcome: 'failed', reason: 'forbidden' });
    expect(meta.outcome === 'failed' ? meta.detail : '').toContain('link-local');
  });

  it('pins the checked address: one resolution per connection, whatever DNS says next (no rebinding)', async () => {
    const answers = [[{ address: '127.0.0.1', family: 4 }], [{ address: '10.0.0.1', family: 4 }]];
    const asked: string[] = [];
    const resolve: ResolveAll = async (hostname) => {
      asked.push(hostname);
      return answers[Math.min(asked.length - 1, answers.length - 1)] ?? [];
    };
    const outcome = await sender({ resolve }).deliver(makeRequest(`http://hooks.pinned.test:${receiver.port}/pinned`));
    expect(outcome).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(asked).toEqual(['hooks.pinned.test']);
    // The request reached our receiver by the checked address, under the customer's host name.
    expect(receiver.received.map((r) => [r.path, r.headers.host])).toEqual([
      ['/pinned', `hooks.pinned.test:${receiver.port}`],
    ]);
  });

  it('does not follow redirects', async () => {
    receiver.handle = (req, res) => {
      res.writeHead(302, { location: `http://127.0.0.1:${receiver.port}/followed` }).end();
    };
    const outcome = await sender().deliver(makeRequest(`http://127.0.0.1:${receiver.port}/start`));
    expect(outcome).toMatchObject({ outcome: 'failed', reason: 'http', status: 302 });
    expect(outcome.outcome === 'failed' ? outcome.detail : '').toContain('not followed');
    expect(receiver.received.map((r) => r.path)).toEqual(['/start']);
  });

  it('gives up after the timeout when the receiver never answers', async () => {
    receiver.handle = () => undefined; // never answers
    const startedAt = Date.now();
    const outcome = await sender({ timeoutMs: 300 }).deliver(makeRequest(`http://127.0.0.1:${receiver.port}/slow`));
    expect(outcome).toMatchObject({ outcome: 'failed', reason: 'timeout', status: null });
    expect(Date.now() - startedAt).toBeLessThan(3_000);
    expect(outcome.durationMs).toBeGreaterThanOrEqual(250);
  });

  it('reports a refused connection as a network failure', async () => {
    const closed = await startReceiver();
    const port = closed.port;
    await closed.close();
    const outcome = await sender().deliver(makeRequest(`http://127.0.0.1:${port}/gone`));
    expect(outcome).toMatchObject({ outcome: 'failed', reason: 'network', status: null });
    expect(outcome.outcome === 'failed' ? outcome.detail : '').toContain('ECONNREFUSED');
  });

  it('reads at most 64 KiB of an answer and discards it; the next attempt works', async () => {
    receiver.handle = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(200_000));
    };
    const s = sender();
    expect(await s.deliver(makeRequest(`http://127.0.0.1:${receiver.port}/big`))).toMatchObject({
      outcome: 'delivered',
    });
    expect(await s.deliver(makeRequest(`http://127.0.0.1:${receiver.port}/big`))).toMatchObject({
      outcome: 'delivered',
    });
    expect(receiver.received).toHaveLength(2);
  });
});
