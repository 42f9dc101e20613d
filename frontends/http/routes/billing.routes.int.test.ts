import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/index.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { ledgerSegmentActor } from '../../../actors/billing/ledger-segment.actor.ts';
import { usageArchiveActor } from '../../../actors/billing/usage-archive.actor.ts';
import { walletActor } from '../../../actors/billing/wallet.actor.ts';
import {
  LEDGER_SEGMENT_SIZE,
  RESERVATION_TTL_MS,
  billingTopic,
  walletAddress,
  type BillingCaller,
  type BillingEvent,
  type ChargeDetails,
  type WalletMsg,
  type WalletReplies,
} from '../../../actors/billing/wallet.messages.ts';
import { loginActor } from '../../../actors/identity/login.actor.ts';
import { sessionActor } from '../../../actors/identity/session.actor.ts';
import { auditSegmentActor } from '../../../actors/org/audit-segment.actor.ts';
import { orgActor } from '../../../actors/org/org.actor.ts';
import { buildHttpApp } from '../app.ts';
import { createAuthenticate } from '../auth/authenticate.ts';
import { CSV_COLUMNS } from './billing-export.ts';
import { billingRoutes } from './billing.routes.ts';
import { identityRoutes } from './identity.routes.ts';

/**
 * Billing end to end: the REST API on fastify, the wallet, ledger-segment and usage-archive actors on a real
 * runtime (LMDB in a temp dir, fake clock). Money goes in through the API, out through the actor protocol the
 * conversation actor uses (reserve → settle / release, countConversation), and is read back through the API —
 * across a crash between the settles and the reads, after which every charge is still there exactly once.
 */

let fixture: RuntimeFixture;
let app: FastifyInstance;
let orgId: string;
let token: string;
const events: BillingEvent[] = [];

const EUR = 1_000_000;
const SYSTEM: BillingCaller = { kind: 'system', id: 'billing-int-test' };
const DAY = 86_400_000;

function buildApp(): FastifyInstance {
  return buildHttpApp({
    system: fixture.system,
    metrics: fixture.metrics,
    logger: silentLogger(),
    api: {
      routes: [
        ...identityRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
        ...billingRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
      ],
      authenticate: createAuthenticate(fixture.system),
    },
  });
}

async function call(method: string, url: string, body?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({
    method: method as 'GET',
    url: `/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as object }),
  });
}

function errorOf(res: LightMyRequestResponse): { code: string; message: string; details?: unknown } {
  return res.json<{ error: { code: string; message: string; details?: unknown } }>().error;
}

const wallet = <T extends keyof WalletReplies>(msg: WalletMsg, msgId?: string) =>
  fixture.system.ask<WalletReplies[T]>(walletAddress(orgId), msg, msgId === undefined ? {} : { msgId });

const CHARGE: ChargeDetails = {
  category: 'marketing',
  country: 'DE',
  phoneNumberId: '1065550001',
  conversationId: '1065550001.p4915112345678',
  campaignId: null,
  rateCardVersion: 1,
  rule: 'marketing',
};

interface LedgerRow {
  seq: number;
  kind: string;
  reference: string;
  amountMicros: number;
  balanceAfterMicros: number;
  direction: string;
}

async function wholeLedger(limit = 100): Promise<LedgerRow[]> {
  const rows: LedgerRow[] = [];
  let cursor: string | null = null;
  do {
    const res = await call('GET', `/billing/ledger?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const page = res.json<{ data: LedgerRow[]; nextCursor: string | null }>();
    rows.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return rows;
}

beforeAll(async () => {
  fixture = await startRuntimeFixture({
    definitions: [
      orgActor,
      auditSegmentActor,
      loginActor,
      sessionActor,
      walletActor,
      ledgerSegmentActor,
      usageArchiveActor,
    ],
  });
  app = buildApp();
  const res = await app.inject({
    method: 'POST',
    url: '/v1/signup',
    payload: { orgName: 'Billing Co', email: 'owner@billing.test', password: 'correct horse battery staple' },
  });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ org: { id: string }; tokens: { accessToken: string } }>();
  orgId = body.org.id;
  token = body.tokens.accessToken;
  fixture.system.subscribe(billingTopic(orgId), (_topic, event) => events.push(event as BillingEvent));
}, 30_000);

afterAll(async () => {
  await app?.close();
  await fixture?.dispose();
});

describe('billing API and wallet, end to end', () => {
  it('starts empty and credits a top-up once per topUpId', async () => {
    const empty = await call('GET', '/billing/wallet');
    expect(empty.statusCode, empty.body).toBe(200);
    expect(empty.json()).toMatchObject({
      currency: 'EUR',
      balanceMicros: 0,
      reservedMicros: 0,
      availableMicros: 0,
      autoRecharge: { enabled: false },
      plan: null,
      quota: { month: '2026-01', used: 0, included: null },
    });
    const first = await call('POST', '/billing/top-ups', {
      amountMicros: 5 * EUR,
      topUpId: 'tu-1',
      note: 'invoice 42',
    });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toEqual({
      topUpId: 'tu-1',
      amountMicros: 5 * EUR,
      recoveredMicros: 0,
      balanceMicros: 5 * EUR,
      availableMicros: 5 * EUR,
      ledgerSeq: 1,
    });
    const again = await call('POST', '/billing/top-ups', {
      amountMicros: 5 * EUR,
      topUpId: 'tu-1',
      note: 'invoice 42',
    });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ balanceMicros: 5 * EUR, ledgerSeq: 1 });
    const conflict = await call('POST', '/billing/top-ups', { amountMicros: 6 * EUR, topUpId: 'tu-1' });
    expect(conflict.statusCode).toBe(409);
    expect(errorOf(conflict).code).toBe('PARLO_ID_CONFLICT');
  });

  it('validates every input, naming the field', async () => {
    const cases: [string, string, unknown, string][] = [
      ['POST', '/billing/top-ups', { amountMicros: 1.5 }, 'amountMicros'],
      ['POST', '/billing/top-ups', { amountMicros: 0 }, 'amountMicros'],
      ['POST', '/billing/top-ups', { amountMicros: 10, topUpId: 'has space' }, 'topUpId'],
      ['POST', '/billing/top-ups', { amountMicros: 10, extra: 1 }, 'extra'],
      ['PUT', '/billing/auto-recharge', { enabled: true, thresholdMicros: 100 }, 'amountMicros'],
      ['PUT', '/billing/auto-recharge', { enabled: true, thresholdMicros: -1, amountMicros: 5 }, 'thresholdMicros'],
      [
        'PUT',
        '/billing/plan',
        { name: 'x', includedConversations: 10, monthlyFeeMicros: 1, maxUsagePercent: 50 },
        'maxUsagePercent',
      ],
      ['PUT', '/billing/plan', { name: '', includedConversations: 10, monthlyFeeMicros: 1 }, 'name'],
      ['GET', '/billing/usage?from=2026-02-30', undefined, 'from'],
      ['GET', '/billing/usage?from=2026-01-10&to=2026-01-01', undefined, 'from'],
      ['GET', '/billing/usage?groupBy=day,planet', undefined, 'groupBy'],
      ['GET', '/billing/ledger?limit=0', undefined, 'limit'],
      ['GET', '/billing/ledger?cursor=bm90LWEtY3Vyc29y', undefined, 'cursor'],
      ['GET', '/billing/ledger/export?format=xml', undefined, 'format'],
      ['GET', '/billing/ledger/export?from=yesterday', undefined, 'from'],
      ['GET', '/billing/ledger/export?from=2026-01-02&to=2026-01-01', undefined, 'from'],
    ];
    for (const [method, url, body, field] of cases) {
      const res = await call(method, url, body);
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(400);
      expect(errorOf(res).message, `${method} ${url}`).toContain(field);
    }
  });

  it('sets the plan and auto-recharge', async () => {
    const plan = await call('PUT', '/billing/plan', {
      name: 'Starter',
      includedConversations: 2,
      monthlyFeeMicros: 2 * EUR,
    });
    expect(plan.statusCode, plan.body).toBe(200);
    expect(plan.json()).toMatchObject({
      plan: {
        name: 'Starter',
        includedConversations: 2,
        monthlyFeeMicros: 2 * EUR,
        overageMarkupPercent: 25,
        maxUsagePercent: 300,
      },
      quota: { used: 0, included: 2, max: 6, overageUnitPriceMicros: 1_250_000, isBusinessBlocked: false },
    });
    const auto = await call('PUT', '/billing/auto-recharge', {
      enabled: true,
      thresholdMicros: 3_500_000,
      amountMicros: 10 * EUR,
    });
    expect(auto.statusCode, auto.body).toBe(200);
    expect(auto.json()).toEqual({
      autoRecharge: { enabled: true, thresholdMicros: 3_500_000, amountMicros: 10 * EUR },
      pendingAutoRecharge: null,
    });
  });

  it('reserves, settles and releases through the actor protocol; a crash before the reads loses and doubles nothing', async () => {
    const now = fixture.clock.now();
    // Conversations: two included, the third is overage (€1.25 charged), thresholds 80 % (2) and 100 % (2).
    for (const key of ['conv-a', 'conv-b', 'conv-c'])
      expect(
        await wallet<'countConversation'>({
          type: 'countConversation',
          conversationKey: key,
          openedBy: 'business',
          atMs: now,
        }),
      ).toMatchObject({ ok: true });
    const reserve = (id: string, amountMicros: number) =>
      wallet<'reserve'>({ type: 'reserve', reservationId: id, amountMicros, atMs: fixture.clock.now() });
    expect(await reserve('m1', 113_100)).toMatchObject({ ok: true, status: 'reserved' });
    expect(await reserve('m2', 16_600)).toMatchObject({ ok: true });
    expect(await reserve('m3', 113_100)).toMatchObject({ ok: true });
    expect(await reserve('m4', 113_100)).toMatchObject({ ok: true });
    expect(await reserve('m5', 45_600)).toMatchObject({ ok: true });
    const refused = await reserve('too-much', 100 * EUR);
    expect(refused).toMatchObject({ ok: false, code: 'PARLO_INSUFFICIENT_CREDIT' });
    expect((refused as { message: string }).message).toContain('€100.00');

    const settle = (id: string, amountMicros: number, charge: Partial<ChargeDetails>, atMs: number, msgId: string) =>
      wallet<'settle'>(
        { type: 'settle', reservationId: id, amountMicros, charge: { ...CHARGE, ...charge }, atMs },
        msgId,
      );
    await settle('m1', 113_100, {}, now, 'status:m1:delivered');
    await settle(
      'm2',
      0,
      { category: 'utility', country: 'ES', rule: 'utilityInServiceWindow' },
      now,
      'status:m2:delivered',
    );
    await settle('m3', 113_100, { campaignId: 'cmp_spring' }, now - DAY, 'status:m3:delivered');
    // Delivered 12 days ago, reported now, never reserved: its day is already in the month archive.
    await settle('m6', 51_000, { country: 'ES' }, now - 12 * DAY, 'status:m6:delivered');
    expect(await wallet<'release'>({ type: 'release', reservationId: 'm4' })).toMatchObject({
      releasedMicros: 113_100,
    });

    // The process dies here; everything above was acknowledged, so it is durable.
    await fixture.crashAndRestart();
    await app.close();
    app = buildApp();
    fixture.system.subscribe(billingTopic(orgId), (_topic, event) => events.push(event as BillingEvent));

    // The same delivery reported again: as a redelivered message (same id) and as a new one (another id).
    expect(await settle('m1', 113_100, {}, now, 'status:m1:delivered')).toMatchObject({ seq: expect.any(Number) });
    expect(await settle('m1', 113_100, {}, now, 'status:m1:read')).toMatchObject({ isDuplicate: true });
    expect(
      await wallet<'countConversation'>({
        type: 'countConversation',
        conversationKey: 'conv-c',
        openedBy: 'business',
        atMs: now,
      }),
    ).toMatchObject({ isDuplicate: true });

    const charged = 1_250_000 + 113_100 + 0 + 113_100 + 51_000;
    const view = await call('GET', '/billing/wallet');
    expect(view.statusCode, view.body).toBe(200);
    expect(view.json()).toMatchObject({
      balanceMicros: 5 * EUR - charged,
      reservedMicros: 45_600, // m5 is still in flight
      availableMicros: 5 * EUR - charged - 45_600,
      owedMicros: 0,
      openReservations: 1,
      quota: { used: 3, overageConversations: 1, overageMicros: 1_250_000 },
      ledgerEntries: 6,
    });
    // 5 € − 1.25 € overage left 3.75 € ≥ 3.50 €; the fourth reservation took it under: one request, pending.
    const pending = view.json<{ pendingAutoRecharge: { requestId: string; amountMicros: number } | null }>()
      .pendingAutoRecharge;
    expect(pending).toMatchObject({ amountMicros: 10 * EUR });
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['planChanged', 'quotaThresholdReached', 'autoRechargeRequested']),
    );

    const ledger = await wholeLedger(2);
    expect(ledger.map((e) => e.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(ledger.map((e) => [e.kind, e.reference, e.amountMicros])).toEqual([
      ['charge', 'm6', 51_000],
      ['charge', 'm3', 113_100],
      ['charge', 'm2', 0],
      ['charge', 'm1', 113_100],
      ['overage', 'conv-c', 1_250_000],
      ['topUp', 'tu-1', 5 * EUR],
    ]);
    expect(ledger[0]!.balanceAfterMicros).toBe(5 * EUR - charged);

    const usage = await call('GET', '/billing/usage?from=2025-12-01&to=2026-01-01&groupBy=day,category');
    expect(usage.statusCode, usage.body).toBe(200);
    expect(usage.json()).toEqual({
      from: '2025-12-01',
      to: '2026-01-01',
      groupBy: ['day', 'category'],
      currency: 'EUR',
      rows: [
        { day: '2025-12-20', category: 'marketing', messageCount: 1, billableCount: 1, amountMicros: 51_000 },
        { day: '2025-12-31', category: 'marketing', messageCount: 1, billableCount: 1, amountMicros: 113_100 },
        { day: '2026-01-01', category: 'marketing', messageCount: 1, billableCount: 1, amountMicros: 113_100 },
        { day: '2026-01-01', category: 'utility', messageCount: 1, billableCount: 0, amountMicros: 0 },
      ],
      total: { messageCount: 4, billableCount: 3, amountMicros: 277_200 },
    });
    const byCampaign = await call('GET', '/billing/usage?from=2025-12-01&groupBy=campaign,country');
    expect(byCampaign.json<{ rows: unknown[] }>().rows).toEqual([
      { campaignId: null, country: 'DE', messageCount: 1, billableCount: 1, amountMicros: 113_100 },
      { campaignId: null, country: 'ES', messageCount: 2, billableCount: 1, amountMicros: 51_000 },
      { campaignId: 'cmp_spring', country: 'DE', messageCount: 1, billableCount: 1, amountMicros: 113_100 },
    ]);
    // The default range is this month so far.
    const thisMonth = await call('GET', '/billing/usage');
    expect(thisMonth.json()).toMatchObject({ from: '2026-01-01', to: '2026-01-01', total: { messageCount: 2 } });

    const json = await call('GET', '/billing/ledger/export?format=json');
    expect(json.statusCode, json.body).toBe(200);
    expect(json.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(json.headers['content-disposition']).toMatch(/^attachment; filename="ledger-2026-01-01\.json"$/);
    const exported = json.json<LedgerRow[]>();
    expect(exported.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(exported).toEqual([...ledger].reverse());

    const csv = await call('GET', '/billing/ledger/export?format=csv&from=2026-01-01&to=2026-01-01');
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(7);
    expect(lines[1]).toMatch(
      /^1,2026-01-01T00:00:00.000Z,2026-01-01T00:00:00.000Z,topUp,credit,5000000,5.000000,EUR,5000000,0,tu-1,/,
    );
    expect(lines.filter((l) => l.includes(',charge,debit,'))).toHaveLength(4);
    const none = await call('GET', '/billing/ledger/export?format=csv&from=2026-01-02');
    expect(none.body).toBe(`${CSV_COLUMNS.join(',')}\r\n`);
  });

  it('seals full ledger segments across a crash: every entry once, in order, through list and export', async () => {
    const before = (await wholeLedger()).length;
    const count = 2 * LEDGER_SEGMENT_SIZE + 17;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        wallet<'topUp'>({ type: 'topUp', topUpId: `bulk-${i}`, amountMicros: 1, by: SYSTEM }),
      ),
    );
    // Segment stores may still be in the outbox: they are replayed after the restart.
    await fixture.crashAndRestart();
    await app.close();
    app = buildApp();
    await fixture.system.whenIdle();
    const ledger = await wholeLedger();
    expect(ledger).toHaveLength(before + count);
    expect(ledger.map((e) => e.seq)).toEqual(Array.from({ length: before + count }, (_, i) => before + count - i));
    expect(new Set(ledger.filter((e) => e.kind === 'topUp').map((e) => e.reference)).size).toBe(count + 1);
    const exported = (await call('GET', '/billing/ledger/export')).json<LedgerRow[]>();
    expect(exported.map((e) => e.seq)).toEqual(ledger.map((e) => e.seq).reverse());
    const view = (await call('GET', '/billing/wallet')).json<{ balanceMicros: number; ledgerEntries: number }>();
    expect(view.ledgerEntries).toBe(before + count);
    expect(view.balanceMicros).toBe(ledger[0]!.balanceAfterMicros);
  });

  it('releases an abandoned reservation by its durable timer, after a restart', async () => {
    const read = async () => {
      const reply = await wallet<'getWallet'>({ type: 'getWallet', by: SYSTEM });
      if (!reply.ok) throw new Error(reply.message);
      return reply.wallet;
    };
    expect((await read()).reservedMicros).toBe(45_600);
    await fixture.clock.advance(RESERVATION_TTL_MS);
    await fixture.system.whenIdle();
    const after = await read();
    expect(after.reservedMicros).toBe(0);
    expect(after.openReservations).toBe(0);
  });
});
