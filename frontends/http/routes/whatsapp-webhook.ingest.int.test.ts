import { createHmac } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inboundFeedActor, type InboundFeedView } from '../../../actors/inbound-feed/inbound-feed.actor.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { actorInboundSink } from '../../cli/inbound-sink.ts';
import { registerWhatsAppWebhookRoutes } from './whatsapp-webhook.routes.ts';

const SECRET = 'current-secret';
const OLD_SECRET = 'previous-secret';
const PATH = '/webhooks/whatsapp';

const sign = (body: string | Buffer, secret = SECRET): string =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function statusesBody(ids: string[], phoneNumberId = '1002'): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: '1001',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550001111', phone_number_id: phoneNumberId },
              statuses: ids.map((id) => ({
                id,
                status: 'delivered',
                timestamp: '1795624920',
                recipient_id: '15551234567',
              })),
            },
          },
        ],
      },
    ],
  });
}

let fixture: RuntimeFixture;
let app: FastifyInstance;

beforeEach(async () => {
  fixture = await startRuntimeFixture({ definitions: [inboundFeedActor] });
  app = Fastify();
  await app.register(registerWhatsAppWebhookRoutes, {
    path: PATH,
    verifyToken: () => 'verify-token',
    appSecrets: () => [SECRET, OLD_SECRET],
    sink: actorInboundSink(fixture.system),
  });
});

afterEach(async () => {
  await app.close();
  await fixture.dispose();
});

const feed = (id = '1002') => fixture.system.ask<InboundFeedView>({ kind: 'inbound-feed', id }, { type: 'getFeed' });
const post = (body: string | Buffer, headers: Record<string, string>) =>
  app.inject({ method: 'POST', url: PATH, payload: body, headers: { 'content-type': 'application/json', ...headers } });

describe('WhatsApp webhook endpoint', () => {
  it('answers the verification handshake with the challenge, and refuses a wrong token or mode', async () => {
    const ok = await app.inject({
      url: `${PATH}?hub.mode=subscribe&hub.verify_token=verify-token&hub.challenge=1158201444`,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toBe('1158201444');
    for (const query of [
      'hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1',
      'hub.mode=unsubscribe&hub.verify_token=verify-token&hub.challenge=1',
      '',
    ]) {
      const refused = await app.inject({ url: `${PATH}?${query}` });
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ error: { code: 'PARLO_WEBHOOK_VERIFY_FAILED' } });
    }
  });

  it('records every status of a signed POST durably before answering 200, once even when Meta re-sends it', async () => {
    const body = statusesBody(['wamid.A', 'wamid.B', 'wamid.C']);
    const first = await post(body, { 'x-hub-signature-256': sign(body) });
    expect(first.statusCode).toBe(200);
    expect((await feed()).counts).toEqual({ statusUpdated: 3 });
    const again = await post(body, { 'x-hub-signature-256': sign(body) });
    expect(again.statusCode).toBe(200);
    expect((await feed()).counts).toEqual({ statusUpdated: 3 });
    await fixture.restart([inboundFeedActor]);
    expect((await feed()).recent.map((e) => (e.type === 'statusUpdated' ? e.providerMessageId : ''))).toEqual([
      'wamid.A',
      'wamid.B',
      'wamid.C',
    ]);
  });

  it('accepts the previous secret during a rotation', async () => {
    const body = statusesBody(['wamid.R']);
    expect((await post(body, { 'x-hub-signature-256': sign(body, OLD_SECRET) })).statusCode).toBe(200);
  });

  it.each([
    ['no signature', {}],
    ['a signature by another secret', { 'x-hub-signature-256': sign(statusesBody(['wamid.X']), 'attacker') }],
    ['a malformed signature header', { 'x-hub-signature-256': 'sha1=abc' }],
  ])('refuses a POST with %s (401) and records nothing', async (_name, headers) => {
    const response = await post(statusesBody(['wamid.X']), headers);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ error: { code: 'PARLO_WEBHOOK_SIGNATURE_INVALID' } });
    expect((await feed()).counts).toEqual({});
  });

  it('refuses a signed body that is not JSON, or not a WhatsApp notification (400), and records nothing', async () => {
    for (const body of ['{not json', JSON.stringify({ object: 'page', entry: [] }), '[]']) {
      const response = await post(body, { 'x-hub-signature-256': sign(body) });
      expect(response.statusCode).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'PARLO_WEBHOOK_MALFORMED' } });
    }
    expect((await feed()).counts).toEqual({});
  });

  it('refuses a body over 3 MB (413) and records nothing', async () => {
    const ids = Array.from({ length: 40_000 }, (_, i) => `wamid.big${i}`);
    const body = statusesBody(ids);
    expect(body.length).toBeGreaterThan(3 * 1024 * 1024);
    const response = await post(body, { 'x-hub-signature-256': sign(body) });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ error: { code: 'PARLO_WEBHOOK_TOO_LARGE' } });
    expect((await feed()).counts).toEqual({});
  });

  it('answers 503 when the events cannot be recorded, so Meta retries', async () => {
    await fixture.system.stop();
    const body = statusesBody(['wamid.S']);
    const response = await post(body, { 'x-hub-signature-256': sign(body) });
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ error: { code: 'PARLO_WEBHOOK_NOT_RECORDED' } });
  });
});
