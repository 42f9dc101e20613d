import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import {
  CONVERSATION_KIND,
  conversationId,
  type ConversationReplies,
} from '../../actors/conversation/conversation.messages.ts';
import { verifyParloSignature } from '../../adapters/webhook-http/signature.ts';
import { startParlo, type RunningParlo } from './start.ts';
import { eventually } from '../../core/testing/eventually.ts';

/**
 * Connecting WhatsApp numbers end to end, on the real composition root: sign up, connect a simulator number and a
 * "cloud" number (the Graph API being the bundled simulator, which checks tokens like Meta), the per-organisation
 * webhook endpoint, secrets encrypted at rest, and simulated numbers registered again after a restart.
 */

const temp = makeTempDir('parlo-numbers-');
let node: RunningParlo;

const PASSWORD = 'correct horse battery staple';

function config() {
  // Loopback webhook targets are allowed here: the test's own receiver listens on 127.0.0.1.
  return loadConfig({
    env: {},
    overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 }, webhooks: { allowLoopback: true } },
  });
}

interface NumberBody {
  phoneNumberId: string;
  wabaId: string;
  displayName: string | null;
  displayPhoneNumber: string;
}
interface ErrorBody {
  error: { code: string; details: { path: string }[] };
}
/** Every shape this test reads; each call names the one it expects. */
interface Bodies {
  signup: { org: { id: string }; tokens: { accessToken: string } };
  connected: { number: NumberBody; webhook: { url: string; verifyToken: string } };
  webhook: { url: string; verifyToken: string };
  list: { data: NumberBody[] };
  number: NumberBody;
  error: ErrorBody;
  audit: { data: { event: string }[] };
  endpoint: { endpoint: { id: string }; secret: string };
  sending: {
    phoneNumberId: string;
    ratePerSec: number;
    quality: string;
    marketingPauses: { reason: string }[];
  };
  resumed: { ended: string[]; stillPausedBy: string[] };
  none: undefined;
}

async function api<K extends keyof Bodies = 'none'>(
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE',
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<{ status: number; json: Bodies[K]; text: string }> {
  const response = await request(`${node.httpUrl}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.body.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.statusCode, json: json as Bodies[K], text };
}

async function signUp(orgName: string, email: string): Promise<{ orgId: string; token: string }> {
  const res = await api<'signup'>('POST', '/v1/signup', { body: { orgName, email, password: PASSWORD } });
  expect(res.status, res.text).toBe(201);
  return { orgId: res.json.org.id, token: res.json.tokens.accessToken };
}

/** The WhatsApp message ids recorded in the conversation of a number with a customer (by phone digits). */
async function receivedIds(phoneNumberId: string, phone: string): Promise<(string | null)[]> {
  const reply = await node.system.ask<ConversationReplies['getConversation']>(
    { kind: CONVERSATION_KIND, id: conversationId(phoneNumberId, `p${phone}`) },
    { type: 'getConversation' },
  );
  return reply.conversation.messages.map((m) => m.providerMessageId);
}

let orgA: { orgId: string; token: string };
let orgB: { orgId: string; token: string };

beforeAll(async () => {
  node = await startParlo(config(), { logger: silentLogger() });
  orgA = await signUp('Numbers A', 'owner-a@numbers.test');
  orgB = await signUp('Numbers B', 'owner-b@numbers.test');
}, 30_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('connecting WhatsApp numbers', () => {
  let simulated: { phoneNumberId: string; wabaId: string };

  it("connects a simulator number whose customer messages reach the organisation's own webhook", async () => {
    const connected = await api<'connected'>('POST', '/v1/numbers', {
      token: orgA.token,
      body: {
        mode: 'simulator',
        displayPhoneNumber: '15550001111',
        displayName: 'Support',
        businessProfile: { about: 'Hi' },
      },
    });
    expect(connected.status, connected.text).toBe(201);
    expect(connected.json.number).toMatchObject({
      mode: 'simulator',
      displayPhoneNumber: '15550001111',
      displayName: 'Support',
      businessProfile: { about: 'Hi' },
      qualityRating: 'GREEN',
    });
    expect(connected.json.webhook.url).toBe(`${node.httpUrl}/webhooks/whatsapp/${orgA.orgId}`);
    expect(connected.json.webhook.verifyToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    simulated = { phoneNumberId: connected.json.number.phoneNumberId, wabaId: connected.json.number.wabaId };

    const { wamid } = node.whatsapp.simulator!.simulator.injectInbound(simulated.phoneNumberId, {
      type: 'text',
      from: '15557654321',
      body: 'Ciao!',
    });
    const ids = await eventually(
      () => receivedIds(simulated.phoneNumberId, '15557654321'),
      (recorded) => recorded.includes(wamid),
      'the inbound message in its conversation',
    );
    expect(ids).toEqual([wamid]);

    // Sending as the number uses its own account's token (the simulator checks it belongs to the number's WABA).
    const reply = await node.whatsapp.client.send({
      accountId: simulated.phoneNumberId,
      to: '15557654321',
      messageKey: 'numbers-int-1',
      content: { type: 'text', text: { body: 'Ciao! Come possiamo aiutarti?' } },
    });
    expect(reply.outcome).toBe('accepted');

    const listed = await api<'list'>('GET', '/v1/numbers', { token: orgA.token });
    expect(listed.json.data.map((n) => n.phoneNumberId)).toEqual([simulated.phoneNumberId]);
    expect((await api<'list'>('GET', '/v1/numbers', { token: orgB.token })).json.data).toEqual([]);
  });

  it("shows the number's send pacing and resumes marketing paused by a RED quality rating", async () => {
    const path = `/v1/numbers/${simulated.phoneNumberId}`;
    const sending = () => api<'sending'>('GET', `${path}/sending`, { token: orgA.token });
    const fresh = await sending();
    expect(fresh.status, fresh.text).toBe(200);
    expect(fresh.json).toMatchObject({ phoneNumberId: simulated.phoneNumberId, ratePerSec: 80, marketingPauses: [] });
    expect((await api('GET', `${path}/sending`, { token: orgB.token })).status).toBe(404);

    // Meta flags the number (RED): marketing pauses until it recovers, or until someone resumes it.
    node.whatsapp.simulator!.simulator.setQuality(simulated.phoneNumberId, 'RED');
    const paused = await eventually(
      sending,
      (r) => r.json.marketingPauses.some((p) => p.reason === 'qualityRed'),
      'the RED pause',
    );
    expect(paused.json.quality).toBe('RED');
    const badBody = await api<'error'>('POST', `${path}/marketing/resume`, {
      token: orgA.token,
      body: { reasons: ['tired'] },
    });
    expect(badBody.status).toBe(400);
    expect(badBody.json.error.details[0]?.path).toBe('reasons[0]');
    const resumed = await api<'resumed'>('POST', `${path}/marketing/resume`, { token: orgA.token, body: {} });
    expect(resumed.status, resumed.text).toBe(200);
    expect(resumed.json).toEqual({ ended: ['qualityRed'], stillPausedBy: [] });
    expect((await sending()).json.marketingPauses).toEqual([]);
  });

  it("turns the customer's message into the organisation's signed outbound webhook", async () => {
    const received: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    try {
      const port = (receiver.address() as AddressInfo).port;
      const created = await api<'endpoint'>('POST', '/v1/webhook-endpoints', {
        token: orgA.token,
        body: { url: `http://127.0.0.1:${port}/parlo`, events: ['message.received', 'message.status'] },
      });
      expect(created.status, created.text).toBe(201);
      const { wamid } = node.whatsapp.simulator!.simulator.injectInbound(simulated.phoneNumberId, {
        type: 'text',
        from: '15557654321',
        body: 'Is my order shipped?',
      });
      const delivered = await eventually(
        () => Promise.resolve(received),
        (all) => all.some((r) => r.body.includes(wamid)),
        'the message.received webhook',
      );
      const hit = delivered.find((r) => r.body.includes(wamid))!;
      const event = JSON.parse(hit.body) as { id: string; type: string; data: { from: string; content: unknown } };
      expect(event).toMatchObject({
        id: `message.received.${wamid}`,
        type: 'message.received',
        data: { from: '15557654321', content: { body: 'Is my order shipped?' } },
      });
      expect(hit.headers['parlo-event-id']).toBe(event.id);
      const verdict = verifyParloSignature(
        String(hit.headers['parlo-signature']),
        hit.body,
        [created.json.secret],
        Math.floor(Date.now() / 1000),
      );
      expect(verdict).toMatchObject({ ok: true });
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it('answers Meta’s verification handshake with the organisation’s token only', async () => {
    const settings = await api<'webhook'>('GET', '/v1/whatsapp/webhook', { token: orgA.token });
    expect(settings.status).toBe(200);
    const { verifyToken } = settings.json;
    const path = `/webhooks/whatsapp/${orgA.orgId}`;
    const ok = await api('GET', `${path}?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=42`);
    expect(ok).toMatchObject({ status: 200, text: '42' });
    const wrong = await api('GET', `${path}?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=42`);
    expect(wrong.status).toBe(403);
    // Org B's token does not open org A's endpoint.
    const tokenB = (await api<'webhook'>('GET', '/v1/whatsapp/webhook', { token: orgB.token })).json.verifyToken;
    const crossed = await api('GET', `${path}?hub.mode=subscribe&hub.verify_token=${tokenB}&hub.challenge=42`);
    expect(crossed.status).toBe(403);

    const rotated = await api<'webhook'>('POST', '/v1/whatsapp/webhook/rotate-verify-token', { token: orgA.token });
    expect(rotated.status).toBe(200);
    expect(rotated.json.verifyToken).not.toBe(verifyToken);
    const old = await api('GET', `${path}?hub.mode=subscribe&hub.verify_token=${verifyToken}&hub.challenge=42`);
    expect(old.status).toBe(403);
  });

  it("refuses a webhook POST not signed with the organisation's app secret, and drops events of numbers it does not own", async () => {
    const path = `/webhooks/whatsapp/${orgB.orgId}`;
    const body = JSON.stringify({ object: 'whatsapp_business_account', entry: [] });
    const unsigned = await request(`${node.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
      body,
    });
    expect(unsigned.statusCode).toBe(401);
    await unsigned.body.text();

    // Org B connects its own simulator number; then a payload signed with B's app secret names A's number.
    const b = await api<'connected'>('POST', '/v1/numbers', { token: orgB.token, body: { mode: 'simulator' } });
    expect(b.status, b.text).toBe(201);
    const wabaB = node.whatsapp.simulator!.simulator.wabas.get(b.json.number.wabaId)!;
    const forged = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: b.json.number.wabaId,
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: '15550001111', phone_number_id: simulated.phoneNumberId },
                contacts: [{ profile: { name: 'Mallory' }, wa_id: '15550000000' }],
                messages: [
                  {
                    from: '15550000000',
                    id: 'wamid.FORGED',
                    timestamp: '1767225600',
                    type: 'text',
                    text: { body: 'forged' },
                  },
                ],
              },
            },
          ],
        },
      ],
    });
    const signature = createHmac('sha256', wabaB.appSecret).update(forged).digest('hex');
    const posted = await request(`${node.httpUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${signature}` },
      body: forged,
    });
    expect(posted.statusCode).toBe(200);
    await posted.body.text();
    expect(await receivedIds(simulated.phoneNumberId, '15550000000')).toEqual([]);
  });

  it('connects a cloud number after checking its token with the Graph API, and keeps the secrets encrypted', async () => {
    const sim = node.whatsapp.simulator!.simulator;
    const token = 'EAAG-cloud-token-that-must-never-be-stored-in-clear';
    const appSecret = 'cloud-app-secret-never-in-clear';
    sim.registerWaba({ wabaId: '300000000000001', appSecret, accessToken: token });
    sim.registerNumber({
      wabaId: '300000000000001',
      phoneNumberId: '300000000000002',
      displayPhoneNumber: '15550003333',
    });
    const body = {
      mode: 'cloud',
      wabaId: '300000000000001',
      phoneNumberId: '300000000000002',
      appId: '400000000000001',
      appSecret,
      accessToken: token,
    };

    const badToken = await api<'error'>('POST', '/v1/numbers', {
      token: orgA.token,
      body: { ...body, accessToken: 'x'.repeat(30) },
    });
    expect(badToken.status).toBe(422);
    expect(badToken.json.error.code).toBe('PARLO_NUMBER_CREDENTIALS_REJECTED');
    const unknown = await api<'error'>('POST', '/v1/numbers', {
      token: orgA.token,
      body: { ...body, phoneNumberId: '399999999999999' },
    });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.code).toBe('PARLO_NUMBER_UNKNOWN_AT_META');

    const connected = await api<'connected'>('POST', '/v1/numbers', { token: orgA.token, body });
    expect(connected.status, connected.text).toBe(201);
    expect(connected.json.number).toMatchObject({
      mode: 'cloud',
      appId: '400000000000001',
      displayPhoneNumber: '15550003333',
      throughputLevel: 'STANDARD',
    });
    expect(connected.text).not.toContain(token);
    expect(connected.text).not.toContain(appSecret);

    // The same number cannot join another organisation, nor this one twice.
    const taken = await api<'error'>('POST', '/v1/numbers', { token: orgB.token, body });
    expect(taken.status).toBe(409);
    expect(taken.json.error.code).toBe('PARLO_NUMBER_TAKEN');
    const twice = await api<'error'>('POST', '/v1/numbers', { token: orgA.token, body });
    expect(twice.json.error.code).toBe('PARLO_NUMBER_ALREADY_CONNECTED');

    // Rotating the token at Meta, then in Parlo: the new one is checked first.
    const rejected = await api<'error'>('PUT', '/v1/whatsapp-accounts/300000000000001/credentials', {
      token: orgA.token,
      body: { accessToken: 'y'.repeat(30) },
    });
    expect(rejected.json.error.code).toBe('PARLO_NUMBER_CREDENTIALS_REJECTED');

    // Nothing on disk holds the plaintext.
    await node.store.durable();
    for (const file of readdirSync(node.runtimeDir)) {
      const bytes = readFileSync(join(node.runtimeDir, file));
      expect(bytes.includes(Buffer.from(token)), file).toBe(false);
      expect(bytes.includes(Buffer.from(appSecret)), file).toBe(false);
    }

    const audit = await api<'audit'>('GET', '/v1/audit', { token: orgA.token });
    expect(audit.json.data.map((e) => e.event)).toEqual(
      expect.arrayContaining(['numberConnected', 'webhookTokenRotated']),
    );
  });

  it('validates input field by field', async () => {
    const bad = await api<'error'>('POST', '/v1/numbers', {
      token: orgA.token,
      body: {
        mode: 'cloud',
        wabaId: 'abc',
        phoneNumberId: '1',
        appId: '400000000000001',
        appSecret: 'short',
        accessToken: 'x',
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('PARLO_VALIDATION_FAILED');
    const paths = bad.json.error.details.map((d) => d.path).sort();
    expect(paths).toEqual(['accessToken', 'appSecret', 'phoneNumberId', 'wabaId']);
    const mode = await api('POST', '/v1/numbers', { token: orgA.token, body: { mode: 'carrier-pigeon' } });
    expect(mode.status).toBe(400);
    const patch = await api('PATCH', `/v1/numbers/${simulated.phoneNumberId}`, { token: orgA.token, body: {} });
    expect(patch.status).toBe(400);
  });

  it('updates, disconnects, and registers simulated numbers with the simulator again after a restart', async () => {
    const patched = await api<'number'>('PATCH', `/v1/numbers/${simulated.phoneNumberId}`, {
      token: orgA.token,
      body: { displayName: 'Sales', businessProfile: { email: 'hi@numbers.test', websites: ['https://numbers.test'] } },
    });
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json).toMatchObject({ displayName: 'Sales', businessProfile: { email: 'hi@numbers.test' } });
    // The profile was set in the (simulated) Graph API first.
    expect(node.whatsapp.simulator!.simulator.businessProfiles.get(simulated.phoneNumberId)).toMatchObject({
      about: 'Hi',
      email: 'hi@numbers.test',
    });
    const badVertical = await api<'error'>('PATCH', `/v1/numbers/${simulated.phoneNumberId}`, {
      token: orgA.token,
      body: { businessProfile: { vertical: 'PIRACY' } },
    });
    expect(badVertical.status).toBe(400);
    expect(badVertical.json.error.details.map((d) => d.path)).toEqual(['businessProfile.vertical']);

    await node.stop();
    node = await startParlo(config(), { logger: silentLogger() });
    const after = await api<'number'>('GET', `/v1/numbers/${simulated.phoneNumberId}`, {
      token: (
        await api<'signup'>('POST', '/v1/sessions', { body: { email: 'owner-a@numbers.test', password: PASSWORD } })
      ).json.tokens.accessToken,
    });
    expect(after.status, after.text).toBe(200);
    expect(after.json.displayName).toBe('Sales');
    // The fresh simulator knows the number again, and its webhooks reach the organisation's endpoint.
    const { wamid } = node.whatsapp.simulator!.simulator.injectInbound(simulated.phoneNumberId, {
      type: 'text',
      from: '15557654321',
      body: 'After the restart',
    });
    await eventually(
      () => receivedIds(simulated.phoneNumberId, '15557654321'),
      (recorded) => recorded.includes(wamid),
      'the inbound message after the restart',
    );

    const token = (
      await api<'signup'>('POST', '/v1/sessions', { body: { email: 'owner-a@numbers.test', password: PASSWORD } })
    ).json.tokens.accessToken;
    const reply = { from: simulated.phoneNumberId, to: '15557654321', content: { type: 'text', text: { body: 'Hi' } } };
    const sent = await api('POST', '/v1/messages', { token, body: reply });
    expect(sent.status, sent.text).toBe(202);
    const gone = await api('DELETE', `/v1/numbers/${simulated.phoneNumberId}`, { token });
    expect(gone.status, gone.text).toBe(204);
    // The node forgets at once that the number was the organisation's: the next send is refused.
    const afterGone = await api<'error'>('POST', '/v1/messages', { token, body: reply });
    expect(afterGone.status).toBe(404);
    expect(afterGone.json.error.code).toBe('PARLO_NUMBER_NOT_FOUND');
    // Disconnected: no token of that account is used any more.
    const refused = await node.whatsapp.client.send({
      accountId: simulated.phoneNumberId,
      to: '15557654321',
      messageKey: 'numbers-int-2',
      content: { type: 'text', text: { body: 'Still there?' } },
    });
    expect(refused.outcome).toBe('rejected');
    expect((await api<'error'>('GET', `/v1/numbers/${simulated.phoneNumberId}`, { token })).json.error.code).toBe(
      'PARLO_NUMBER_NOT_FOUND',
    );
  });
});
