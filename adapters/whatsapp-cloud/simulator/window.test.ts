/**
 * The simulator's time-based rules, observed the way a receiver observes Meta: through status webhooks.
 * - The 24 h customer-service window (WHATSAPP.md §4.5): free-form is accepted (HTTP 200 + wamid) either way;
 *   outside the window it fails asynchronously with a `failed` status carrying 131047. Each customer message
 *   reopens and resets the window; templates are fine outside it and are billable.
 * - The 72 h free entry point after a click-to-WhatsApp referral (WHATSAPP.md §4.6): `pricing.type`
 *   `free_entry_point`, category `referral_conversion`.
 * - The messaging limit (WHATSAPP.md §4.3): unique users reached by templates outside the window in a moving 24 h.
 *
 * No HTTP: the simulator is driven through `handleSend`, time through a FakeClock that fires the status timers
 * and the dispatcher's batch delay, and the dispatcher's `post` records each webhook body.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../core/testing/fake-clock.ts';
import { CloudApiSimulator, type SimulatorBehaviour } from './simulator.ts';
import type { ReferralSpec } from './webhooks/payloads.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
/** Long enough for sent (20 ms), delivered (100 ms) and read (500 ms) statuses plus the batch delay. */
const SETTLE_MS = 1_000;

const TOKEN = 'EAAGwindowtesttoken';
const WABA_ID = '419561257915477';
const PHONE_NUMBER_ID = '106540352242922';
const CUSTOMER = '16505551234';
const MARKETING_TEMPLATE = 'spring_sale';
const UTILITY_TEMPLATE = 'order_shipped';
/** Meta has no dedicated "messaging limit reached" code (WHATSAPP.md §4.3); the test picks a non-default one. */
const LIMIT_ERROR_CODE = 131064;
const CTWA_REFERRAL: ReferralSpec = {
  sourceUrl: 'https://fb.me/3cr4Wqqkj',
  sourceId: '120212345678901234',
  sourceType: 'ad',
  headline: 'Spring sale',
  ctwaClid: 'ARAkLkA8rmlFeiCktEJQ',
};

interface WebhookStatus {
  readonly id: string;
  readonly status: string;
  readonly recipient_id: string;
  readonly pricing?: Record<string, unknown>;
  readonly conversation?: { readonly id: string; readonly origin: { readonly type: string } };
  readonly errors?: readonly { readonly code: number; readonly title: string }[];
}

interface Envelope {
  readonly entry: readonly { readonly changes: readonly { readonly value: { statuses?: WebhookStatus[] } }[] }[];
}

function setup(options: { behaviour?: Partial<SimulatorBehaviour>; messagingLimit?: number } = {}) {
  const clock = new FakeClock(T0);
  const bodies: string[] = [];
  const webhooks = new WebhookDispatcher({
    clock,
    post: async (_url, body) => {
      bodies.push(body);
      return 200;
    },
    random: () => 0.5,
  });
  const simulator = new CloudApiSimulator({
    clock,
    webhooks,
    random: () => 0.5,
    // readProbability 0: each delivered message gets exactly `sent` then `delivered`.
    behaviour: { readProbability: 0, ...options.behaviour },
  });
  simulator.registerWaba({
    wabaId: WABA_ID,
    appSecret: 'window-test-secret',
    accessToken: TOKEN,
    callbackUrl: 'http://hooks.test/whatsapp',
    messagingLimit: options.messagingLimit ?? 250,
  });
  // 1,000 msg/s so that hundreds of sends in the same millisecond stay under the throughput limit.
  simulator.registerNumber({
    phoneNumberId: PHONE_NUMBER_ID,
    wabaId: WABA_ID,
    displayPhoneNumber: '15550783881',
    throughputMps: 1000,
  });
  for (const [name, category] of [
    [MARKETING_TEMPLATE, 'MARKETING'],
    [UTILITY_TEMPLATE, 'UTILITY'],
  ] as const) {
    const created = simulator.templates.create(WABA_ID, {
      name,
      language: 'en_US',
      category,
      components: [{ type: 'BODY', text: 'Hello from Parlo' }],
    });
    if (!created.ok) throw new Error(`template ${name}: ${created.error.message}`);
    simulator.templates.setStatus(created.body.id, 'APPROVED');
  }

  /** POSTs a send; asserts Meta's synchronous answer is 200 (window and limit failures are asynchronous). */
  const send = (to: string, content: Record<string, unknown>): string => {
    const response = simulator.handleSend('v23.0', PHONE_NUMBER_ID, `Bearer ${TOKEN}`, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      ...content,
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const id = (response.body as { messages: { id: string }[] }).messages[0]?.id;
    if (id === undefined) throw new Error(`no wamid in ${JSON.stringify(response.body)}`);
    return id;
  };
  const allStatuses = (): WebhookStatus[] =>
    bodies.flatMap((body) =>
      (JSON.parse(body) as Envelope).entry.flatMap((entry) =>
        entry.changes.flatMap((change) => change.value.statuses ?? []),
      ),
    );

  return {
    clock,
    simulator,
    inbound: (from: string, referral?: ReferralSpec) =>
      simulator.injectInbound(PHONE_NUMBER_ID, {
        type: 'text',
        from,
        body: 'Hi!',
        ...(referral === undefined ? {} : { referral }),
      }).wamid,
    sendText: (to: string) => send(`+${to}`, { type: 'text', text: { body: 'Hello' } }),
    sendTemplate: (to: string, name = MARKETING_TEMPLATE) =>
      send(to, { type: 'template', template: { name, language: { code: 'en_US' } } }),
    allStatuses,
    /** The statuses webhooks carried for `wamid`, in delivery order. */
    statusesOf: (wamid: string): WebhookStatus[] => allStatuses().filter((s) => s.id === wamid),
  };
}

const FREE_SERVICE = { billable: false, pricing_model: 'PMP', type: 'free_customer_service', category: 'service' };
const BILLABLE_MARKETING = { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing' };
const FREE_ENTRY_POINT = {
  billable: false,
  pricing_model: 'PMP',
  type: 'free_entry_point',
  category: 'referral_conversion',
};

function expectDelivered(statuses: readonly WebhookStatus[], pricing: Record<string, unknown>): void {
  expect(statuses.map((s) => s.status)).toEqual(['sent', 'delivered']);
  for (const status of statuses) {
    expect(status.errors).toBeUndefined();
    expect(status.pricing).toEqual(pricing);
  }
}

function expectFailed(statuses: readonly WebhookStatus[], code: number): void {
  expect(statuses.map((s) => s.status)).toEqual(['failed']);
  expect(statuses[0]?.errors?.[0]?.code).toBe(code);
  expect(statuses[0]?.pricing).toBeUndefined();
}

describe('simulator: the 24 h customer-service window', () => {
  it('delivers free-form sent 24 h − 1 ms after the customer’s last message (free service message)', async () => {
    const t = setup();
    t.inbound(CUSTOMER);
    await t.clock.advanceTo(T0 + DAY_MS - 1);
    const wamid = t.sendText(CUSTOMER);
    await t.clock.advance(SETTLE_MS);
    expectDelivered(t.statusesOf(wamid), FREE_SERVICE);
    expect(t.statusesOf(wamid)[0]?.recipient_id).toBe(CUSTOMER);
  });

  it('accepts free-form sent exactly 24 h after, then fails it asynchronously with 131047', async () => {
    const t = setup();
    t.inbound(CUSTOMER);
    await t.clock.advanceTo(T0 + DAY_MS);
    const wamid = t.sendText(CUSTOMER); // HTTP 200 with a wamid: the refusal is not synchronous
    await t.clock.advance(SETTLE_MS);
    const statuses = t.statusesOf(wamid);
    expectFailed(statuses, 131047);
    expect(statuses[0]?.errors?.[0]?.title).toBe('Re-engagement message');
  });

  it('reopens the window with a new customer message, and each message resets the 24 h', async () => {
    const t = setup();
    t.inbound(CUSTOMER);
    await t.clock.advanceTo(T0 + DAY_MS);
    const closed = t.sendText(CUSTOMER);
    await t.clock.advance(HOUR_MS);
    t.inbound(CUSTOMER); // at T0 + 25 h
    const reopened = t.sendText(CUSTOMER);
    await t.clock.advanceTo(T0 + HOUR_MS + 2 * DAY_MS - 1);
    const stillOpen = t.sendText(CUSTOMER);
    await t.clock.advance(1);
    const expired = t.sendText(CUSTOMER);
    await t.clock.advance(SETTLE_MS);
    expectFailed(t.statusesOf(closed), 131047);
    expectDelivered(t.statusesOf(reopened), FREE_SERVICE);
    expectDelivered(t.statusesOf(stillOpen), FREE_SERVICE);
    expectFailed(t.statusesOf(expired), 131047);
  });

  it('delivers a template outside the window, billed as a regular marketing message', async () => {
    const t = setup();
    const neverWrote = t.sendTemplate(CUSTOMER);
    t.inbound('16505550001');
    await t.clock.advanceTo(T0 + DAY_MS);
    const windowExpired = t.sendTemplate('16505550001');
    await t.clock.advance(SETTLE_MS);
    expectDelivered(t.statusesOf(neverWrote), BILLABLE_MARKETING);
    expectDelivered(t.statusesOf(windowExpired), BILLABLE_MARKETING);
  });

  it('bills a utility template outside the window and not inside it', async () => {
    const t = setup();
    const outside = t.sendTemplate(CUSTOMER, UTILITY_TEMPLATE);
    t.inbound(CUSTOMER);
    const inside = t.sendTemplate(CUSTOMER, UTILITY_TEMPLATE);
    await t.clock.advance(SETTLE_MS);
    expectDelivered(t.statusesOf(outside), {
      billable: true,
      pricing_model: 'PMP',
      type: 'regular',
      category: 'utility',
    });
    expectDelivered(t.statusesOf(inside), {
      billable: false,
      pricing_model: 'PMP',
      type: 'free_customer_service',
      category: 'utility',
    });
  });
});

describe('simulator: the 72 h free entry point after a click-to-WhatsApp referral', () => {
  it('prices sends within 72 h as free_entry_point, then regular again', async () => {
    const t = setup();
    t.inbound(CUSTOMER, CTWA_REFERRAL);
    await t.clock.advanceTo(T0 + HOUR_MS);
    const reply = t.sendText(CUSTOMER);
    await t.clock.advanceTo(T0 + DAY_MS + HOUR_MS);
    // The free entry point makes messages free; it does not reopen the window for free-form.
    const freeFormAfterWindow = t.sendText(CUSTOMER);
    const templateDay2 = t.sendTemplate(CUSTOMER);
    // The 72 h run from the business's first reply (T0 + 1 h), not from the referral.
    await t.clock.advanceTo(T0 + HOUR_MS + 3 * DAY_MS - 1);
    const lastFree = t.sendTemplate(CUSTOMER);
    await t.clock.advance(1);
    const firstPaid = t.sendTemplate(CUSTOMER);
    await t.clock.advance(SETTLE_MS);

    expectDelivered(t.statusesOf(reply), FREE_ENTRY_POINT);
    expect(t.statusesOf(reply)[0]?.conversation?.origin.type).toBe('referral_conversion');
    expectFailed(t.statusesOf(freeFormAfterWindow), 131047);
    expectDelivered(t.statusesOf(templateDay2), FREE_ENTRY_POINT);
    expectDelivered(t.statusesOf(lastFree), FREE_ENTRY_POINT);
    expectDelivered(t.statusesOf(firstPaid), BILLABLE_MARKETING);
    expect(t.statusesOf(firstPaid)[0]?.conversation).toBeUndefined();
  });
});

describe('simulator: a free entry point needs a reply within 24 h of the referral', () => {
  it('prices a first reply 24 h after the referral as regular', async () => {
    const t = setup();
    t.inbound(CUSTOMER, CTWA_REFERRAL);
    await t.clock.advanceTo(T0 + DAY_MS);
    const late = t.sendTemplate(CUSTOMER);
    await t.clock.advance(SETTLE_MS);
    expectDelivered(t.statusesOf(late), BILLABLE_MARKETING);
  });
});

describe('simulator: the messaging limit (unique users outside the window per moving 24 h)', () => {
  const user = (i: number): string => `1650555${String(i).padStart(4, '0')}`;

  it('fails the 251st distinct user with the configured code and frees slots as the 24 h window moves', async () => {
    const t = setup({ behaviour: { messagingLimitErrorCode: LIMIT_ERROR_CODE }, messagingLimit: 250 });
    // Users 0..249 reached one minute apart: user i is counted until T0 + i min + 24 h.
    for (let i = 0; i < 250; i++) {
      await t.clock.advanceTo(T0 + i * MINUTE_MS);
      t.sendTemplate(user(i));
    }
    await t.clock.advanceTo(T0 + 250 * MINUTE_MS);
    const over = t.sendTemplate(user(250));
    const alreadyCounted = t.sendTemplate(user(249));
    t.inbound(user(300));
    const insideWindow = t.sendTemplate(user(300)); // in-window templates do not count
    await t.clock.advance(SETTLE_MS);
    expect(t.allStatuses().filter((s) => s.status === 'failed' && s.id !== over)).toEqual([]);
    expectFailed(t.statusesOf(over), LIMIT_ERROR_CODE);
    expectDelivered(t.statusesOf(alreadyCounted), BILLABLE_MARKETING);
    expect(t.statusesOf(insideWindow).map((s) => s.status)).toEqual(['sent', 'delivered']);

    await t.clock.advanceTo(T0 + DAY_MS - 1); // user 0 still counted
    const stillOver = t.sendTemplate(user(250));
    await t.clock.advanceTo(T0 + DAY_MS); // user 0's slot frees
    const freed = t.sendTemplate(user(250));
    const nextOver = t.sendTemplate(user(251)); // user 1 is counted for another minute
    await t.clock.advanceTo(T0 + DAY_MS + MINUTE_MS);
    const nextFreed = t.sendTemplate(user(251));
    await t.clock.advance(SETTLE_MS);
    expectFailed(t.statusesOf(stillOver), LIMIT_ERROR_CODE);
    expectDelivered(t.statusesOf(freed), BILLABLE_MARKETING);
    expectFailed(t.statusesOf(nextOver), LIMIT_ERROR_CODE);
    expectDelivered(t.statusesOf(nextFreed), BILLABLE_MARKETING);
  });
});
