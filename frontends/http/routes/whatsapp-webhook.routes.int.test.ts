import Fastify, { type FastifyInstance } from 'fastify';
import { FormData, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InboundEvent, InboundSink, StatusUpdated } from '../../../core/ports/channel-events.ts';
import { registerWhatsAppWebhookRoutes } from './whatsapp-webhook.routes.ts';
import { createCloudApiClient, type CloudApiClient } from '../../../adapters/whatsapp-cloud/client.ts';
import { startSimulatorServer, type SimulatorServer } from '../../../adapters/whatsapp-cloud/simulator/server.ts';

const TOKEN = 'EAAtest-token';
const SECRET = 'app-secret-for-tests';
const WABA = '900000000000001';
const NUMBER = '900000000000002';
const SLOW_NUMBER = '900000000000003';
const CUSTOMER = '15551234567';

/** Collects recorded events; `waitFor` resolves when one matching arrives (the webhook path is asynchronous). */
class RecordingSink implements InboundSink {
  readonly events: InboundEvent[] = [];
  private readonly keys = new Set<string>();
  private waiters: { match: (e: InboundEvent) => boolean; resolve: (e: InboundEvent) => void }[] = [];

  record(events: readonly { event: InboundEvent; dedupeKey: string }[]): Promise<void> {
    for (const { event, dedupeKey } of events) {
      if (this.keys.has(dedupeKey)) continue;
      this.keys.add(dedupeKey);
      this.events.push(event);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(event)) return true;
        w.resolve(event);
        return false;
      });
    }
    return Promise.resolve();
  }

  waitFor<T extends InboundEvent>(match: (e: InboundEvent) => boolean, what: string, timeoutMs = 5_000): Promise<T> {
    const found = this.events.find(match);
    if (found) return Promise.resolve(found as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.type))}`)),
        timeoutMs,
      );
      this.waiters.push({
        match,
        resolve: (e) => {
          clearTimeout(timer);
          resolve(e as T);
        },
      });
    });
  }
}

const statusOf = (wamid: string, status: string) => (e: InboundEvent) =>
  e.type === 'statusUpdated' && e.providerMessageId === wamid && e.status === status;

let sim: SimulatorServer;
let receiver: FastifyInstance;
let sink: RecordingSink;
let client: CloudApiClient;

beforeAll(async () => {
  sink = new RecordingSink();
  receiver = Fastify();
  await receiver.register(registerWhatsAppWebhookRoutes, {
    path: '/webhook',
    verifyToken: () => 'verify-me',
    appSecrets: () => [SECRET],
    sink,
  });
  const receiverUrl = await receiver.listen({ host: '127.0.0.1', port: 0 });
  sim = await startSimulatorServer({
    behaviour: { sentDelayMs: 5, deliveredDelayMs: 10, readDelayMs: 15, readProbability: 1 },
    templateReviewDelayMs: 20,
  });
  sim.simulator.registerWaba({
    wabaId: WABA,
    appSecret: SECRET,
    accessToken: TOKEN,
    callbackUrl: `${receiverUrl}/webhook`,
  });
  sim.simulator.registerNumber({ wabaId: WABA, phoneNumberId: NUMBER, displayPhoneNumber: '15550001111' });
  sim.simulator.registerNumber({
    wabaId: WABA,
    phoneNumberId: SLOW_NUMBER,
    displayPhoneNumber: '15550002222',
    throughputMps: 20,
  });
  client = createCloudApiClient({ baseUrl: sim.url, accessToken: () => TOKEN });
});

afterAll(async () => {
  await client?.close();
  await sim?.close();
  await receiver?.close();
});

async function openWindow(from: string): Promise<string> {
  const { wamid } = sim.simulator.injectInbound(NUMBER, { type: 'text', from, body: 'hello' });
  await sink.waitFor((e) => e.type === 'messageReceived' && e.providerMessageId === wamid, 'inbound message');
  return wamid;
}

describe('simulator ⇄ Cloud API adapter ⇄ webhook endpoint', () => {
  it('delivers an injected customer message to the webhook endpoint as a typed event', async () => {
    const wamid = await openWindow(CUSTOMER);
    const event = sink.events.find((e) => e.type === 'messageReceived' && e.providerMessageId === wamid);
    expect(event).toMatchObject({
      type: 'messageReceived',
      accountId: NUMBER,
      businessAccountId: WABA,
      from: CUSTOMER,
      messageType: 'text',
    });
  });

  it('accepts a reply inside the window and reports sent → delivered → read with our message key and free service pricing', async () => {
    await openWindow('15551230001');
    const outcome = await client.send({
      accountId: NUMBER,
      to: '+15551230001',
      messageKey: 'key-1',
      content: { type: 'text', text: { body: 'Hi!' } },
    });
    expect(outcome).toMatchObject({ outcome: 'accepted', recipientId: '15551230001' });
    if (outcome.outcome !== 'accepted') return;
    const sent = await sink.waitFor<StatusUpdated>(statusOf(outcome.providerMessageId, 'sent'), 'sent status');
    expect(sent).toMatchObject({
      messageKey: 'key-1',
      pricing: { billable: false, category: 'service', pricingType: 'free_customer_service' },
    });
    await sink.waitFor(statusOf(outcome.providerMessageId, 'delivered'), 'delivered status');
    await sink.waitFor(statusOf(outcome.providerMessageId, 'read'), 'read status');
  });

  it('accepts free-form outside the window, then fails it with 131047 in a status webhook, as Meta does', async () => {
    const outcome = await client.send({
      accountId: NUMBER,
      to: '15559990000',
      messageKey: 'key-2',
      content: { type: 'text', text: { body: 'Hello?' } },
    });
    expect(outcome.outcome).toBe('accepted');
    if (outcome.outcome !== 'accepted') return;
    const failed = await sink.waitFor<StatusUpdated>(statusOf(outcome.providerMessageId, 'failed'), 'failed status');
    expect(failed.errors?.[0]?.code).toBe(131047);
  });

  it('creates a template, approves it after review, and sends it with message_status accepted', async () => {
    const created = await request(`${sim.url}/v23.0/${WABA}/message_templates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'order_update',
        language: 'en_US',
        category: 'UTILITY',
        components: [{ type: 'BODY', text: 'Order {{1}} is on its way' }],
      }),
    });
    expect(created.statusCode).toBe(200);
    expect(await created.body.json()).toMatchObject({ status: 'PENDING', category: 'UTILITY' });
    await sink.waitFor(
      (e) => e.type === 'templateStatusChanged' && e.templateName === 'order_update' && e.event === 'APPROVED',
      'approval webhook',
    );
    const template = { name: 'order_update', language: { code: 'en_US' } };
    const wrongCount = await client.send({
      accountId: NUMBER,
      to: CUSTOMER,
      messageKey: 'k3',
      content: { type: 'template', template },
    });
    expect(wrongCount).toMatchObject({ outcome: 'rejected', code: 132000 });
    const outcome = await client.send({
      accountId: NUMBER,
      to: '15557770000',
      messageKey: 'k4',
      content: {
        type: 'template',
        template: { ...template, components: [{ type: 'body', parameters: [{ type: 'text', text: 'A-17' }] }] },
      },
    });
    expect(outcome).toMatchObject({ outcome: 'accepted', providerStatus: 'accepted' });
    if (outcome.outcome !== 'accepted') return;
    const sent = await sink.waitFor<StatusUpdated>(statusOf(outcome.providerMessageId, 'sent'), 'sent status');
    expect(sent.pricing).toMatchObject({ billable: true, category: 'utility', pricingType: 'regular' });
    const unknown = await client.send({
      accountId: NUMBER,
      to: CUSTOMER,
      messageKey: 'k5',
      content: { type: 'template', template: { name: 'nope', language: { code: 'en_US' } } },
    });
    expect(unknown).toMatchObject({ outcome: 'rejected', code: 132001 });
  });

  it('slows a number down with 130429 beyond its throughput', async () => {
    const startedAt = performance.now();
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        client.send({
          accountId: SLOW_NUMBER,
          to: `1555000${String(i).padStart(4, '0')}`,
          messageKey: `t${i}`,
          content: { type: 'text', text: { body: 'x' } },
        }),
      ),
    );
    const slowed = outcomes.filter((o) => o.outcome === 'slowDown');
    expect(slowed.length).toBeGreaterThan(0);
    expect(slowed[0]).toMatchObject({ code: 130429 });
    // 20 msg/s with a burst of 20: at most the burst plus what refilled while the sends were answered (a loaded
    // machine spreads 60 concurrent sends over more than a second).
    const elapsedSeconds = (performance.now() - startedAt) / 1000;
    expect(outcomes.filter((o) => o.outcome === 'accepted').length).toBeLessThanOrEqual(
      21 + Math.ceil(20 * elapsedSeconds),
    );
  });

  it('refuses a wrong token (190) and an unknown phone-number id (100)', async () => {
    const wrongToken = createCloudApiClient({ baseUrl: sim.url, accessToken: () => 'nope' });
    try {
      expect(
        await wrongToken.send({
          accountId: NUMBER,
          to: CUSTOMER,
          messageKey: 'x',
          content: { type: 'text', text: { body: 'x' } },
        }),
      ).toMatchObject({
        outcome: 'rejected',
        code: 190,
      });
    } finally {
      await wrongToken.close();
    }
    expect(
      await client.send({
        accountId: '123',
        to: CUSTOMER,
        messageKey: 'y',
        content: { type: 'text', text: { body: 'x' } },
      }),
    ).toMatchObject({
      outcome: 'rejected',
      code: 100,
    });
  });

  it('marks an inbound message as read, and refuses an id that is not inbound', async () => {
    const wamid = await openWindow('15551230002');
    expect(await client.markRead({ accountId: NUMBER, providerMessageId: wamid, showTyping: true })).toEqual({
      outcome: 'accepted',
    });
    expect(await client.markRead({ accountId: NUMBER, providerMessageId: 'wamid.unknown' })).toMatchObject({
      outcome: 'rejected',
      code: 100,
    });
  });

  it('stops marketing to a user who opted out (131050) and logs every accepted send', async () => {
    sim.simulator.setMarketingPreference(NUMBER, '15554440000', 'stop');
    await sink.waitFor((e) => e.type === 'userPreferenceChanged' && e.value === 'stop', 'user preference webhook');
    const created = await request(`${sim.url}/v23.0/${WABA}/message_templates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'promo',
        language: 'en_US',
        category: 'MARKETING',
        components: [{ type: 'BODY', text: 'Sale!' }],
      }),
    });
    expect(created.statusCode).toBe(200);
    await sink.waitFor(
      (e) => e.type === 'templateStatusChanged' && e.templateName === 'promo' && e.event === 'APPROVED',
      'approval',
    );
    const outcome = await client.send({
      accountId: NUMBER,
      to: '15554440000',
      messageKey: 'm1',
      content: { type: 'template', template: { name: 'promo', language: { code: 'en_US' } } },
    });
    if (outcome.outcome !== 'accepted') throw new Error(JSON.stringify(outcome));
    const failed = await sink.waitFor<StatusUpdated>(statusOf(outcome.providerMessageId, 'failed'), 'failed status');
    expect(failed.errors?.[0]?.code).toBe(131050);
    const log = await request(`${sim.url}/_sim/sent?phoneNumberId=${NUMBER}`);
    const body = (await log.body.json()) as { records: { wamid: string; outcome: string }[] };
    expect(body.records.find((r) => r.wamid === outcome.providerMessageId)?.outcome).toBe('failed:131050');
  });

  it('uploads, describes, downloads and deletes media with Meta’s type rules', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 1)]);
    const form = new FormData();
    form.append('messaging_product', 'whatsapp');
    form.append('type', 'image/png');
    form.append('file', new Blob([png], { type: 'image/png' }), 'a.png');
    const uploaded = await request(`${sim.url}/v23.0/${NUMBER}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: form,
    });
    expect(uploaded.statusCode).toBe(200);
    const { id } = (await uploaded.body.json()) as { id: string };
    const described = await request(`${sim.url}/v23.0/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const meta = (await described.body.json()) as { url: string; mime_type: string; file_size: number };
    expect(meta).toMatchObject({ mime_type: 'image/png', file_size: png.length });
    const downloaded = await request(meta.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(Buffer.from(await downloaded.body.arrayBuffer()).equals(png)).toBe(true);

    const fake = new FormData();
    fake.append('messaging_product', 'whatsapp');
    fake.append('type', 'image/png');
    fake.append('file', new Blob([Buffer.from('not a png')], { type: 'image/png' }), 'b.png');
    const mismatch = await request(`${sim.url}/v23.0/${NUMBER}/media`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: fake,
    });
    expect(mismatch.statusCode).toBe(400);
    expect(((await mismatch.body.json()) as { error: { code: number } }).error.code).toBe(131053);

    const deleted = await request(`${sim.url}/v23.0/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(await deleted.body.json()).toEqual({ success: true });
    const gone = await request(`${sim.url}/v23.0/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(gone.statusCode).toBe(400);
    await gone.body.dump();
  });
});
