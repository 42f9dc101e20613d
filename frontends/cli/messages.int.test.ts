import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { startParlo, type RunningParlo } from './start.ts';
import { eventually } from '../../core/testing/eventually.ts';

/**
 * The send path end to end on the real composition root with the bundled simulator: the 24 h window refusing a
 * free-form message, a customer's message opening it, the reply paced by the number actor, sent through the
 * channel port, and Meta's statuses merged into the conversation; a refused template failing with Meta's code.
 */

const temp = makeTempDir('parlo-messages-');
let node: RunningParlo;
const PASSWORD = 'correct horse battery staple';

interface MessageView {
  id: string;
  media: { state: string; ref?: string | null; mimeType?: string } | null;
  direction: string;
  state: string | null;
  status: string | null;
  whatsappMessageId: string | null;
  statusHistory: { status: string }[];
  error: { code: number | string; detail: string } | null;
}
interface Bodies {
  signup: { tokens: { accessToken: string } };
  connected: { number: { phoneNumberId: string } };
  queued: { messageId: string; conversationId: string; state: string };
  conversation: {
    window: { service: { isOpen: boolean; expiresAt: string | null }; canSendFreeForm: boolean; reason: string };
    messages: MessageView[];
  };
  error: { error: { code: string; message: string } };
  consent: { allowed: boolean; status: string };
}

async function api<K extends keyof Bodies>(
  method: 'GET' | 'POST' | 'PUT',
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
  return { status: response.statusCode, json: JSON.parse(text) as Bodies[K], text };
}

let token: string;
let otherToken: string;
let phoneNumberId: string;
const CUSTOMER = '15557770001';

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    {
      logger: silentLogger(),
    },
  );
  token = (
    await api<'signup'>('POST', '/v1/signup', {
      body: { orgName: 'Sender', email: 'owner@messages.test', password: PASSWORD },
    })
  ).json.tokens.accessToken;
  otherToken = (
    await api<'signup'>('POST', '/v1/signup', {
      body: { orgName: 'Other', email: 'owner@other.test', password: PASSWORD },
    })
  ).json.tokens.accessToken;
  const connected = await api<'connected'>('POST', '/v1/numbers', { token, body: { mode: 'simulator' } });
  expect(connected.status, connected.text).toBe(201);
  phoneNumberId = connected.json.number.phoneNumberId;
}, 30_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

const conversationPath = () => `/v1/conversations/${phoneNumberId}.p${CUSTOMER}`;
const text = (body: string) => ({ type: 'text', text: { body } });

describe('sending messages', () => {
  it('refuses a free-form message to a customer who never wrote, before anything reaches Meta', async () => {
    const refused = await api<'error'>('POST', '/v1/messages', {
      token,
      body: { from: phoneNumberId, to: `+${CUSTOMER}`, content: text('Hello!') },
    });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('PARLO_WINDOW_CLOSED');
    expect(refused.json.error.message).toContain('never written');
    expect(node.whatsapp.simulator!.simulator.sent.filter((s) => s.to === CUSTOMER)).toHaveLength(0);
  });

  it('replies inside the window opened by the customer, and merges Meta’s statuses into the conversation', async () => {
    node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, { type: 'text', from: CUSTOMER, body: 'Hi there' });
    const opened = await eventually(
      () => api<'conversation'>('GET', conversationPath(), { token }),
      (r) => r.status === 200 && r.json.window.canSendFreeForm,
      'the window to open',
    );
    expect(opened.json.window.service.isOpen).toBe(true);
    expect(opened.json.messages[0]).toMatchObject({ direction: 'in', state: null });

    const queued = await api<'queued'>('POST', '/v1/messages', {
      token,
      body: { from: phoneNumberId, to: CUSTOMER, content: text('Hello! How can we help?') },
    });
    expect(queued.status, queued.text).toBe(202);
    expect(queued.json).toMatchObject({ conversationId: `${phoneNumberId}.p${CUSTOMER}`, state: 'queued' });

    const delivered = await eventually(
      () => api<'conversation'>('GET', conversationPath(), { token }),
      (r) =>
        r.json.messages.some(
          (m) => m.id === queued.json.messageId && (m.status === 'delivered' || m.status === 'read'),
        ),
      'the reply to be delivered',
    );
    const reply = delivered.json.messages.find((m) => m.id === queued.json.messageId)!;
    expect(reply).toMatchObject({ direction: 'out', state: 'accepted', error: null });
    expect(reply.whatsappMessageId).toMatch(/^wamid\./);
    expect(reply.statusHistory.map((h) => h.status)).toContain('sent');
    // Exactly one send reached the simulator for it.
    expect(node.whatsapp.simulator!.simulator.sent.filter((s) => s.to === CUSTOMER)).toHaveLength(1);
  });

  it('records Meta’s refusal of a template it does not know as a failed message with Meta’s code', async () => {
    const queued = await api<'queued'>('POST', '/v1/messages', {
      token,
      body: {
        from: phoneNumberId,
        to: CUSTOMER,
        category: 'utility',
        content: { type: 'template', template: { name: 'no_such_template', language: { code: 'en' } } },
      },
    });
    expect(queued.status, queued.text).toBe(202);
    const failed = await eventually(
      () => api<'conversation'>('GET', conversationPath(), { token }),
      (r) => r.json.messages.some((m) => m.id === queued.json.messageId && m.state === 'failed'),
      'the template to fail',
    );
    const message = failed.json.messages.find((m) => m.id === queued.json.messageId)!;
    expect(message.error?.code).toBe(132001);
  });

  it("pauses the number's marketing sends when Meta flags its quality RED, and resumes them when unflagged", async () => {
    const numberState = () =>
      node.system.ask<{ state: { quality: string; marketingPause: { reason: string } | null } }>(
        { kind: 'number', id: phoneNumberId },
        { type: 'getNumberState' },
      );
    node.whatsapp.simulator!.simulator.setQuality(phoneNumberId, 'RED');
    const paused = await eventually(numberState, (r) => r.state.marketingPause !== null, 'the marketing pause');
    expect(paused.state).toMatchObject({ quality: 'RED', marketingPause: { reason: 'qualityRed' } });
    node.whatsapp.simulator!.simulator.setQuality(phoneNumberId, 'GREEN');
    await eventually(numberState, (r) => r.state.marketingPause === null, 'the marketing resume');
  });

  it('sends marketing only with an opt-in, and honours STOP at once with a confirmation in the customer’s language', async () => {
    const marketing = {
      from: phoneNumberId,
      to: CUSTOMER,
      category: 'marketing',
      content: { type: 'template', template: { name: 'spring_sale', language: { code: 'es' } } },
    };
    const refused = await api<'error'>('POST', '/v1/messages', { token, body: marketing });
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('PARLO_NO_CONSENT');

    const optIn = await api<'consent'>('PUT', `/v1/contacts/p${CUSTOMER}/consent/marketing`, {
      token,
      body: { action: 'optIn', method: 'form', source: 'https://shop.test/signup', wording: 'Send me offers' },
    });
    expect(optIn.status, optIn.text).toBe(200);
    const queued = await api<'queued'>('POST', '/v1/messages', { token, body: marketing });
    expect(queued.status, queued.text).toBe(202);
    expect(queued.json.state).toBe('checkingConsent');

    const { wamid } = node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, {
      type: 'text',
      from: CUSTOMER,
      body: '  Baja!  ',
    });
    const confirmed = await eventually(
      () => api<'conversation'>('GET', conversationPath(), { token }),
      (r) => r.json.messages.some((m) => m.id === `confirm_${wamid}` && m.state === 'accepted'),
      'the opt-out confirmation to be sent',
    );
    expect(confirmed.json.messages.find((m) => m.id === `confirm_${wamid}`)?.direction).toBe('out');
    const check = await api<'consent'>('GET', `/v1/contacts/p${CUSTOMER}/consent/marketing`, { token });
    expect(check.json).toMatchObject({ allowed: false, status: 'optedOut' });
    const after = await api<'error'>('POST', '/v1/messages', { token, body: marketing });
    expect(after.json.error.code).toBe('PARLO_NO_CONSENT');
  });

  it("fetches a customer's photo into the media store and serves it to the organisation", async () => {
    const photo = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.from('a shoe'),
      Buffer.from([0xff, 0xd9]),
    ]);
    const { wamid } = node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, {
      type: 'image',
      from: CUSTOMER,
      mimeType: 'image/jpeg',
      data: photo.toString('base64'),
    });
    const stored = await eventually(
      () => api<'conversation'>('GET', conversationPath(), { token }),
      (r) => r.json.messages.some((m) => m.id === wamid && m.media?.state === 'stored'),
      'the photo to be stored',
    );
    const media = stored.json.messages.find((m) => m.id === wamid)!.media!;
    expect(media.mimeType).toBe('image/jpeg');
    const served = await request(`${node.httpUrl}/v1/media/${media.ref!}`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(served.statusCode).toBe(200);
    expect(Buffer.from(await served.body.arrayBuffer()).equals(photo)).toBe(true);
    const foreign = await request(`${node.httpUrl}/v1/media/${media.ref!}`, {
      headers: { authorization: `Bearer ${otherToken}` },
    });
    expect(foreign.statusCode).toBe(404);
    await foreign.body.text();
  });

  it('validates the body and keeps conversations to their organisation', async () => {
    const bad = await api<'error'>('POST', '/v1/messages', {
      token,
      body: {
        from: phoneNumberId,
        to: CUSTOMER,
        content: { type: 'template', template: { name: 'x', language: { code: 'en' } } },
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('category');
    const foreignNumber = await api<'error'>('POST', '/v1/messages', {
      token: otherToken,
      body: { from: phoneNumberId, to: CUSTOMER, content: text('hi') },
    });
    expect(foreignNumber.status).toBe(404);
    const foreign = await api<'error'>('GET', conversationPath(), { token: otherToken });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('PARLO_CONVERSATION_NOT_FOUND');
  });
});
