import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_CARD } from '../../actors/billing/rate-card.ts';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { startParlo, type RunningParlo } from './start.ts';
import { eventually } from '../../core/testing/eventually.ts';

/**
 * Metering end to end on the real composition root (LMDB in a temp dir, the real runtime, the bundled simulator
 * over HTTP, its signed webhooks): a new organisation starts with the configured credit; a utility template to a
 * German customer who never wrote is reserved at the rate card's price before it leaves, and Meta's `delivered`
 * webhook turns the reservation into exactly one ledger charge; the next template the credit cannot cover fails
 * with PARLO_INSUFFICIENT_CREDIT and never reaches Meta; a free reply changes nothing.
 */

const temp = makeTempDir('parlo-metering-');
let node: RunningParlo;
const PASSWORD = 'correct horse battery staple';
const CUSTOMER = '4915112345678';
const UTILITY_DE = DEFAULT_RATE_CARD.rates['DE']!.utility; // €0.0456
const STARTING_CREDIT = 50_000; // €0.05: one German utility template, not two

interface WalletBody {
  balanceMicros: number;
  reservedMicros: number;
  availableMicros: number;
  openReservations: number;
  quota: { used: number };
}
interface LedgerRow {
  seq: number;
  kind: string;
  reference: string;
  amountMicros: number;
  balanceAfterMicros: number;
  category: string | null;
  country: string | null;
  rule: string | null;
  conversationId: string | null;
}
interface MessageView {
  id: string;
  state: string | null;
  status: string | null;
  error: { code: number | string; detail: string } | null;
}

let token: string;
let phoneNumberId: string;

async function api<T>(
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T; text: string }> {
  const response = await request(`${node.httpUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: JSON.parse(text) as T, text };
}

const wallet = async () => (await api<WalletBody>('GET', '/v1/billing/wallet')).json;
const ledger = async () => (await api<{ data: LedgerRow[] }>('GET', '/v1/billing/ledger?limit=100')).json.data;
const conversation = async () =>
  (await api<{ messages: MessageView[] }>('GET', `/v1/conversations/${phoneNumberId}.p${CUSTOMER}`)).json.messages;
const sendUtility = () =>
  api<{ messageId: string; conversationId: string; state: string }>('POST', '/v1/messages', {
    from: phoneNumberId,
    to: `+${CUSTOMER}`,
    category: 'utility',
    content: { type: 'template', template: { name: 'order_shipped', language: { code: 'en' } } },
  });

beforeAll(async () => {
  node = await startParlo(
    loadConfig({
      env: {},
      overrides: {
        dataDir: temp.path,
        http: { port: 0 },
        realtime: { port: 0 },
        billing: { startingCreditMicros: STARTING_CREDIT },
      },
    }),
    { logger: silentLogger() },
  );
  const signup = await request(`${node.httpUrl}/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orgName: 'Metered', email: 'owner@metering.test', password: PASSWORD }),
  });
  token = ((await signup.body.json()) as { tokens: { accessToken: string } }).tokens.accessToken;
  const connected = await api<{ number: { phoneNumberId: string; wabaId: string } }>('POST', '/v1/numbers', {
    mode: 'simulator',
  });
  expect(connected.status, connected.text).toBe(201);
  phoneNumberId = connected.json.number.phoneNumberId;
  const simulator = node.whatsapp.simulator!.simulator;
  const created = simulator.templates.create(connected.json.number.wabaId, {
    name: 'order_shipped',
    language: 'en',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Your order has shipped.' }],
  });
  if (!created.ok) throw new Error(created.error.message);
  simulator.templates.setStatus(created.body.id, 'APPROVED');
  // Delivery a little later than usual, so that the reservation can be seen while the message is on its way.
  simulator.behaviour = { ...simulator.behaviour, deliveredDelayMs: 1_500, readProbability: 0 };
}, 30_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('metering on the send path', () => {
  it('starts a new organisation with the configured credit, booked once as a top-up', async () => {
    expect(await wallet()).toMatchObject({ balanceMicros: STARTING_CREDIT, reservedMicros: 0 });
    expect(await ledger()).toEqual([
      expect.objectContaining({ seq: 1, kind: 'topUp', reference: 'starting-credit', amountMicros: STARTING_CREDIT }),
    ]);
  });

  it('reserves a template outside the window, and charges it exactly once when Meta reports it delivered', async () => {
    const queued = await sendUtility();
    expect(queued.status, queued.text).toBe(202);
    expect(queued.json.state).toBe('reserving');
    const { messageId, conversationId } = queued.json;

    // On its way: the price is held, nothing is charged yet.
    const holding = await eventually(wallet, (w) => w.openReservations === 1, 'the reservation');
    expect(holding).toMatchObject({
      balanceMicros: STARTING_CREDIT,
      reservedMicros: UTILITY_DE,
      availableMicros: STARTING_CREDIT - UTILITY_DE,
    });
    // Business-initiated: its plan conversation was counted with the reservation.
    expect(holding.quota.used).toBe(1);

    await eventually(
      conversation,
      (messages) => messages.some((m) => m.id === messageId && m.status === 'delivered'),
      'the delivered webhook',
    );
    const settled = await eventually(wallet, (w) => w.openReservations === 0, 'the settle');
    expect(settled).toMatchObject({ balanceMicros: STARTING_CREDIT - UTILITY_DE, reservedMicros: 0 });
    const charges = (await ledger()).filter((e) => e.kind === 'charge');
    expect(charges).toEqual([
      expect.objectContaining({
        reference: `${conversationId}/${messageId}`,
        amountMicros: UTILITY_DE,
        balanceAfterMicros: STARTING_CREDIT - UTILITY_DE,
        category: 'utility',
        country: 'DE',
        rule: 'utility',
        conversationId,
      }),
    ]);
    expect(node.whatsapp.simulator!.simulator.sent.filter((s) => s.to === CUSTOMER)).toHaveLength(1);
  });

  it('fails the next template with PARLO_INSUFFICIENT_CREDIT before it reaches Meta', async () => {
    const queued = await sendUtility();
    expect(queued.status, queued.text).toBe(202);
    const failed = await eventually(
      conversation,
      (messages) => messages.some((m) => m.id === queued.json.messageId && m.state === 'failed'),
      'the refusal',
    );
    expect(failed.find((m) => m.id === queued.json.messageId)?.error).toMatchObject({
      code: 'PARLO_INSUFFICIENT_CREDIT',
    });
    expect(await wallet()).toMatchObject({ balanceMicros: STARTING_CREDIT - UTILITY_DE, openReservations: 0 });
    expect(node.whatsapp.simulator!.simulator.sent.filter((s) => s.to === CUSTOMER)).toHaveLength(1);
  });

  it('lets the customer’s conversation and a free reply through without touching the credit', async () => {
    node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, { type: 'text', from: CUSTOMER, body: 'Thanks!' });
    await eventually(conversation, (messages) => messages.some((m) => m.state === null), 'the customer message');
    const reply = await api<{ messageId: string }>('POST', '/v1/messages', {
      from: phoneNumberId,
      to: CUSTOMER,
      content: { type: 'text', text: { body: 'You are welcome.' } },
    });
    expect(reply.status, reply.text).toBe(202);
    await eventually(
      conversation,
      (messages) => messages.some((m) => m.id === reply.json.messageId && m.status === 'delivered'),
      'the reply to be delivered',
    );
    const after = await wallet();
    expect(after).toMatchObject({ balanceMicros: STARTING_CREDIT - UTILITY_DE, reservedMicros: 0 });
    expect((await ledger()).filter((e) => e.kind === 'charge')).toHaveLength(1);
  });
});
