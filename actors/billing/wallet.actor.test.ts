import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WalletWorld } from './__fixtures__/wallet-world.ts';
import { overageUnitPriceMicros, type PlanQuota } from './rate-card.ts';
import { EXPIRY_TIMER } from './wallet.actor.ts';
import {
  BILLING_EVENTS_KEPT,
  LEDGER_SEGMENT_SIZE,
  RESERVATION_TTL_MS,
  USAGE_DAYS_IN_STATE,
  billingTopic,
  formatMicros,
  type BillingCaller,
  type BillingEvent,
  type ChargeDetails,
  type LedgerEntry,
  type WalletReplies,
} from './wallet.messages.ts';
import { listReservations, type WalletState } from './wallet.state.ts';

const ORG = 'org_acme';
const T0 = Date.UTC(2026, 0, 10, 12); // 2026-01-10T12:00Z
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const EUR = 1_000_000;

const OWNER: BillingCaller = { kind: 'user', userId: 'u-owner', role: 'owner' };
const ADMIN: BillingCaller = { kind: 'user', userId: 'u-admin', role: 'admin' };
const MANAGER: BillingCaller = { kind: 'user', userId: 'u-manager', role: 'manager' };

const CHARGE: ChargeDetails = {
  category: 'marketing',
  country: 'DE',
  phoneNumberId: '1065550001',
  conversationId: '1065550001.p4915112345678',
  campaignId: null,
  rateCardVersion: 1,
  rule: 'marketing',
};

function world(balanceMicros = 0): WalletWorld {
  const w = new WalletWorld(ORG, T0);
  if (balanceMicros > 0) topUp(w, balanceMicros, 'initial');
  return w;
}

function topUp(w: WalletWorld, amountMicros: number, topUpId = `t${w.wallet.nextLedgerSeq}`) {
  return w.send<WalletReplies['topUp']>({ type: 'topUp', topUpId, amountMicros, by: OWNER });
}

function reserve(w: WalletWorld, id: string, amountMicros: number) {
  return w.send<WalletReplies['reserve']>({ type: 'reserve', reservationId: id, amountMicros, atMs: w.nowMs });
}

function settle(w: WalletWorld, id: string, amountMicros: number, charge: Partial<ChargeDetails> = {}, atMs = w.nowMs) {
  return w.send<WalletReplies['settle']>({
    type: 'settle',
    reservationId: id,
    amountMicros,
    charge: { ...CHARGE, ...charge },
    atMs,
  });
}

function count(w: WalletWorld, key: string, openedBy: 'business' | 'customer' = 'business') {
  return w.send<WalletReplies['countConversation']>({
    type: 'countConversation',
    conversationKey: key,
    openedBy,
    atMs: w.nowMs,
  });
}

const PLAN: PlanQuota & { name: string } = {
  name: 'Starter',
  includedConversations: 10,
  monthlyFeeMicros: 20 * EUR,
  overageMarkupPercent: 25,
  maxUsagePercent: 300,
};

/** The invariants of wallet.state.ts, over the whole ledger (sealed segments included). */
function expectInvariants(w: WalletWorld): void {
  const s: WalletState = w.wallet;
  expect(s.balanceMicros).toBeGreaterThanOrEqual(0);
  expect(s.reservedMicros).toBeGreaterThanOrEqual(0);
  expect(s.reservedMicros).toBeLessThanOrEqual(s.balanceMicros);
  expect(listReservations(s).reduce((sum, r) => sum + r.amountMicros, 0)).toBe(s.reservedMicros);
  const entries = w.allEntries();
  expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
  expect(entries.length).toBe(s.nextLedgerSeq - 1);
  const net = entries.reduce((sum, e) => sum + (e.kind === 'topUp' ? e.amountMicros : -e.amountMicros), 0);
  expect(net).toBe(s.balanceMicros);
  for (const e of entries) expect(e.amountMicros).toBeGreaterThanOrEqual(0);
  expect(entries.at(-1)?.balanceAfterMicros ?? 0).toBe(s.balanceMicros);
  expect(s.ledger.length).toBeLessThan(LEDGER_SEGMENT_SIZE * 2);
}

describe('wallet: reserve', () => {
  it('holds the amount, lowers the available credit and arms the expiry timer', () => {
    const w = world(1 * EUR);
    const reply = reserve(w, 'msg-1', 113_100);
    expect(reply).toEqual({
      ok: true,
      reservationId: 'msg-1',
      reservedMicros: 113_100,
      availableMicros: EUR - 113_100,
      status: 'reserved',
      conversation: null,
    });
    expect(w.wallet.reservedMicros).toBe(113_100);
    expect(w.wallet.balanceMicros).toBe(EUR);
    expect(w.timers.get(EXPIRY_TIMER)?.dueAtMs).toBe(T0 + RESERVATION_TTL_MS);
    expectInvariants(w);
  });

  it('refuses PARLO_INSUFFICIENT_CREDIT naming both amounts, and changes nothing', () => {
    const w = world(100_000);
    reserve(w, 'msg-1', 60_000);
    const before = w.wallet;
    const reply = reserve(w, 'msg-2', 50_000);
    expect(reply).toEqual({ ok: false, code: 'PARLO_INSUFFICIENT_CREDIT', message: expect.any(String) });
    const { message } = reply as { message: string };
    expect(message).toContain(formatMicros(40_000)); // available
    expect(message).toContain(formatMicros(50_000)); // asked
    expect(message).toContain(formatMicros(100_000)); // balance
    expect(w.wallet).toBe(before);
  });

  it('is idempotent by reservation id', () => {
    const w = world(EUR);
    reserve(w, 'msg-1', 100_000);
    const again = reserve(w, 'msg-1', 100_000);
    expect(again).toMatchObject({ ok: true, reservedMicros: 100_000, status: 'reserved' });
    expect(w.wallet.reservedMicros).toBe(100_000);
  });

  it('a zero reservation always succeeds, even on an empty wallet, and holds nothing', () => {
    const w = world();
    expect(reserve(w, 'msg-free', 0)).toMatchObject({ ok: true, reservedMicros: 0 });
    expect(listReservations(w.wallet)).toEqual([]);
    expect(w.timers.size).toBe(0);
  });
});

describe('wallet: settle', () => {
  it('writes one ledger entry with the charge details and frees the rest of the reservation', () => {
    const w = world(EUR);
    reserve(w, 'msg-1', 113_100);
    w.advanceTo(T0 + 5_000);
    const reply = settle(w, 'msg-1', 100_000, {}, T0 + 4_000);
    expect(reply).toEqual({
      ok: true,
      reservationId: 'msg-1',
      chargedMicros: 100_000,
      shortfallMicros: 0,
      releasedMicros: 13_100,
      balanceMicros: EUR - 100_000,
      seq: 2,
      isDuplicate: false,
    });
    expect(w.wallet.reservedMicros).toBe(0);
    expect(listReservations(w.wallet)).toEqual([]);
    const entry = w.wallet.ledger.at(-1)!;
    expect(entry).toEqual({
      seq: 2,
      id: expect.any(String),
      kind: 'charge',
      recordedAtMs: T0 + 5_000,
      occurredAtMs: T0 + 4_000,
      amountMicros: 100_000,
      balanceAfterMicros: EUR - 100_000,
      shortfallMicros: 0,
      reference: 'msg-1',
      ...CHARGE,
      by: null,
      note: null,
    } satisfies LedgerEntry);
    expectInvariants(w);
  });

  it('charges exactly once when the settle is sent again (redelivery under another message id)', () => {
    const w = world(EUR);
    reserve(w, 'msg-1', 113_100);
    const first = settle(w, 'msg-1', 113_100);
    const entries = w.allEntries().length;
    const before = w.wallet;
    const again = settle(w, 'msg-1', 113_100);
    expect(again).toEqual({ ...first, releasedMicros: 0, isDuplicate: true });
    expect(w.wallet).toBe(before);
    expect(w.allEntries()).toHaveLength(entries);
    // …and a reserve re-sent after the settle holds nothing.
    expect(reserve(w, 'msg-1', 113_100)).toMatchObject({ ok: true, reservedMicros: 0, status: 'settled' });
    expect(w.wallet.reservedMicros).toBe(0);
  });

  it('settles 0 for a message Meta did not bill: an entry of 0, the whole reservation freed', () => {
    const w = world(EUR);
    reserve(w, 'msg-1', 45_600);
    const reply = settle(w, 'msg-1', 0, { category: 'utility', rule: 'utilityInServiceWindow' });
    expect(reply).toMatchObject({ chargedMicros: 0, releasedMicros: 45_600, balanceMicros: EUR });
    expect(w.wallet.ledger.at(-1)).toMatchObject({ kind: 'charge', amountMicros: 0, rule: 'utilityInServiceWindow' });
    expect(w.wallet.reservedMicros).toBe(0);
  });

  it('without a reservation charges the available credit and owes the rest; the next top-up pays it back', () => {
    const w = world(100_000);
    reserve(w, 'held', 30_000);
    const reply = settle(w, 'late', 113_100);
    // 70,000 available (30,000 stay held for the other send); 43,100 owed.
    expect(reply).toMatchObject({ chargedMicros: 70_000, shortfallMicros: 43_100, releasedMicros: 0 });
    expect(w.wallet).toMatchObject({ balanceMicros: 30_000, reservedMicros: 30_000, owedMicros: 43_100 });
    expectInvariants(w);
    const topped = topUp(w, EUR, 'pay');
    expect(topped).toMatchObject({ ok: true, recoveredMicros: 43_100, balanceMicros: 30_000 + EUR - 43_100 });
    expect(w.wallet.owedMicros).toBe(0);
    expect(w.wallet.ledger.slice(-2).map((e) => [e.kind, e.amountMicros])).toEqual([
      ['topUp', EUR],
      ['recovery', 43_100],
    ]);
    expectInvariants(w);
  });
});

describe('wallet: release and expiry', () => {
  it('release gives the reservation back; an unknown one releases nothing', () => {
    const w = world(EUR);
    reserve(w, 'msg-1', 113_100);
    expect(w.send({ type: 'release', reservationId: 'msg-1' })).toEqual({
      ok: true,
      reservationId: 'msg-1',
      releasedMicros: 113_100,
    });
    expect(w.wallet.reservedMicros).toBe(0);
    expect(w.send({ type: 'release', reservationId: 'msg-1' })).toMatchObject({ releasedMicros: 0 });
    expect(w.allEntries()).toHaveLength(1); // only the top-up: a release books nothing
  });

  it('the durable timer releases reservations older than the bound, and re-arms for the next one', () => {
    const w = world(EUR);
    reserve(w, 'old', 100_000);
    w.advanceTo(T0 + 2 * DAY);
    reserve(w, 'newer', 200_000);
    w.advanceTo(T0 + RESERVATION_TTL_MS - 1);
    expect(w.wallet.reservedMicros).toBe(300_000);
    w.advanceTo(T0 + RESERVATION_TTL_MS);
    expect(listReservations(w.wallet).map((r) => r.id)).toEqual(['newer']);
    expect(w.wallet.reservedMicros).toBe(200_000);
    expect(w.timers.get(EXPIRY_TIMER)?.dueAtMs).toBe(T0 + 2 * DAY + RESERVATION_TTL_MS);
    w.advanceTo(T0 + 2 * DAY + RESERVATION_TTL_MS);
    expect(w.wallet.reservedMicros).toBe(0);
    expect(w.wallet.expiryTimerAtMs).toBeNull();
    expect(w.timers.has(EXPIRY_TIMER)).toBe(false);
    // A delivery reported after the expiry is still charged, from the available credit.
    expect(settle(w, 'old', 100_000)).toMatchObject({ chargedMicros: 100_000, shortfallMicros: 0 });
    expectInvariants(w);
  });

  it('a timer that fires after its reservation was settled releases nothing and re-arms for none', () => {
    const w = world(EUR);
    reserve(w, 'msg-1', 100_000);
    settle(w, 'msg-1', 100_000);
    w.advanceTo(T0 + RESERVATION_TTL_MS);
    expect(w.wallet.expiryTimerAtMs).toBeNull();
    expect(w.wallet.balanceMicros).toBe(EUR - 100_000);
  });
});

describe('wallet: the balance never goes negative (property)', () => {
  type Op =
    | { op: 'reserve'; id: number; amount: number }
    | { op: 'settle'; id: number; amount: number }
    | { op: 'release'; id: number }
    | { op: 'topUp'; amount: number }
    | { op: 'count'; key: number; business: boolean }
    | { op: 'advance'; ms: number };
  const amount = fc.integer({ min: 0, max: 300_000 });
  const id = fc.integer({ min: 1, max: 30 });
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ op: fc.constant('reserve' as const), id, amount }),
    fc.record({ op: fc.constant('settle' as const), id, amount }),
    fc.record({ op: fc.constant('release' as const), id }),
    fc.record({ op: fc.constant('topUp' as const), amount: fc.integer({ min: 1, max: 500_000 }) }),
    fc.record({ op: fc.constant('count' as const), key: fc.integer({ min: 1, max: 40 }), business: fc.boolean() }),
    fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3 * DAY }) }),
  );

  it('keeps every invariant after every message, whatever the order', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        const w = world(200_000);
        w.send({ type: 'setPlan', plan: { ...PLAN, includedConversations: 3 }, by: OWNER });
        w.send({ type: 'setAutoRecharge', settings: { thresholdMicros: 50_000, amountMicros: EUR }, by: OWNER });
        for (const o of ops) {
          if (o.op === 'reserve') reserve(w, `m${o.id}`, o.amount);
          else if (o.op === 'settle') {
            // A settle never asks more than its reservation (the caller's contract), or anything without one.
            const held = listReservations(w.wallet).find((r) => r.id === `m${o.id}`)?.amountMicros;
            settle(w, `m${o.id}`, held === undefined ? o.amount : Math.min(held, o.amount));
          } else if (o.op === 'release') w.send({ type: 'release', reservationId: `m${o.id}` });
          else if (o.op === 'topUp') topUp(w, o.amount);
          else if (o.op === 'count') count(w, `c${o.key}`, o.business ? 'business' : 'customer');
          else w.advanceTo(w.nowMs + o.ms);
          expectInvariants(w);
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('wallet: auto-recharge (a pending request, fulfilled by a top-up)', () => {
  it('requests once when a settle takes the available credit under the threshold, and publishes it', () => {
    const w = world(300_000);
    w.send({ type: 'setAutoRecharge', settings: { thresholdMicros: 200_000, amountMicros: 5 * EUR }, by: OWNER });
    expect(w.wallet.pendingAutoRecharge).toBeNull();
    reserve(w, 'msg-1', 113_100);
    // Reserving left 186,900 available: under the threshold already, so the request is made at once.
    const pending = w.wallet.pendingAutoRecharge!;
    expect(pending).toMatchObject({ amountMicros: 5 * EUR, requestedAtMs: T0 });
    expect(w.published).toContainEqual({
      topic: billingTopic(ORG),
      event: {
        type: 'autoRechargeRequested',
        atMs: T0,
        requestId: pending.requestId,
        amountMicros: 5 * EUR,
        availableMicros: 186_900,
        thresholdMicros: 200_000,
      } satisfies BillingEvent,
    });
    settle(w, 'msg-1', 113_100);
    reserve(w, 'msg-2', 113_100);
    expect(w.published.filter((p) => (p.event as BillingEvent).type === 'autoRechargeRequested')).toHaveLength(1);
    // Nothing is credited by itself: the balance only moves with the settle.
    expect(w.wallet.balanceMicros).toBe(300_000 - 113_100);
    // The payment side fulfils it with a top-up under the request id.
    expect(topUp(w, 5 * EUR, pending.requestId)).toMatchObject({ ok: true, isDuplicate: false });
    expect(w.wallet.pendingAutoRecharge).toBeNull();
  });

  it('triggers on a settle, and on a refused reserve', () => {
    const w = world(200_000);
    w.send({ type: 'setAutoRecharge', settings: { thresholdMicros: 100_000, amountMicros: EUR }, by: OWNER });
    reserve(w, 'msg-1', 50_000);
    expect(w.wallet.pendingAutoRecharge).toBeNull();
    settle(w, 'msg-1', 50_000, {}, T0);
    expect(w.wallet.pendingAutoRecharge).toBeNull(); // 150,000 ≥ 100,000
    settle(w, 'direct', 60_000, {}, T0);
    expect(w.wallet.pendingAutoRecharge).not.toBeNull(); // 90,000 < 100,000
    const w2 = world(10_000);
    w2.send({ type: 'setAutoRecharge', settings: { thresholdMicros: 1_000, amountMicros: EUR }, by: OWNER });
    expect(reserve(w2, 'big', 20_000)).toMatchObject({ ok: false, code: 'PARLO_INSUFFICIENT_CREDIT' });
    expect(w2.wallet.pendingAutoRecharge).toBeNull(); // 10,000 available ≥ 1,000: nothing to request
    settle(w2, 'direct', 9_500);
    expect(w2.wallet.pendingAutoRecharge).not.toBeNull();
  });

  it('is cleared by any top-up that lifts the credit to the threshold, and by turning it off', () => {
    const w = world(10_000);
    w.send({ type: 'setAutoRecharge', settings: { thresholdMicros: 50_000, amountMicros: EUR }, by: OWNER });
    expect(w.wallet.pendingAutoRecharge).not.toBeNull(); // set below the threshold: requested at once
    topUp(w, 20_000);
    expect(w.wallet.pendingAutoRecharge).not.toBeNull(); // 30,000 < 50,000
    topUp(w, 20_000);
    expect(w.wallet.pendingAutoRecharge).toBeNull();
    settle(w, 'x', 45_000);
    expect(w.wallet.pendingAutoRecharge).not.toBeNull();
    expect(w.send({ type: 'setAutoRecharge', settings: null, by: OWNER })).toEqual({
      ok: true,
      autoRecharge: null,
      pendingAutoRecharge: null,
    });
  });

  it('refuses invalid settings naming the field', () => {
    const w = world();
    const reply = w.send({
      type: 'setAutoRecharge',
      settings: { thresholdMicros: -1, amountMicros: 0 },
      by: OWNER,
    });
    expect(reply).toMatchObject({ ok: false, code: 'PARLO_VALIDATION_FAILED' });
    expect((reply as { message: string }).message).toMatch(/thresholdMicros.*amountMicros/);
  });
});

describe('wallet: top-ups', () => {
  it('credits once per top-up id; the same id with another amount is a conflict', () => {
    const w = world();
    const first = topUp(w, 5 * EUR, 'tu-1');
    expect(first).toMatchObject({ ok: true, amountMicros: 5 * EUR, balanceMicros: 5 * EUR, isDuplicate: false });
    expect(topUp(w, 5 * EUR, 'tu-1')).toMatchObject({ ok: true, balanceMicros: 5 * EUR, isDuplicate: true });
    expect(topUp(w, 6 * EUR, 'tu-1')).toMatchObject({ ok: false, code: 'PARLO_ID_CONFLICT' });
    expect(w.wallet.ledger).toHaveLength(1);
    expect(w.wallet.ledger[0]).toMatchObject({ kind: 'topUp', by: 'user:u-owner', reference: 'tu-1' });
  });

  it('only owners move money; admins read', () => {
    const w = world(EUR);
    expect(w.send({ type: 'topUp', topUpId: 'x', amountMicros: 1, by: ADMIN })).toMatchObject({
      ok: false,
      code: 'PARLO_ACCESS_FORBIDDEN',
    });
    expect(w.send({ type: 'setPlan', plan: PLAN, by: ADMIN })).toMatchObject({ code: 'PARLO_ACCESS_FORBIDDEN' });
    expect(w.send({ type: 'setAutoRecharge', settings: null, by: ADMIN })).toMatchObject({
      code: 'PARLO_ACCESS_FORBIDDEN',
    });
    expect(w.send({ type: 'getWallet', by: ADMIN })).toMatchObject({ ok: true });
    expect(w.send({ type: 'getWallet', by: MANAGER })).toMatchObject({ code: 'PARLO_ACCESS_FORBIDDEN' });
    expect(w.send({ type: 'listLedger', by: MANAGER })).toMatchObject({ code: 'PARLO_ACCESS_FORBIDDEN' });
    expect(
      w.send({ type: 'topUp', topUpId: 'sys', amountMicros: 1, by: { kind: 'system', id: 'payments' } }),
    ).toMatchObject({ ok: true });
  });

  it('refuses amounts out of range', () => {
    const w = world();
    for (const amountMicros of [0, -5, 1.5, 1_000_000_000_001]) {
      expect(topUp(w, amountMicros, `bad${amountMicros}`)).toMatchObject({ code: 'PARLO_VALIDATION_FAILED' });
    }
  });
});

describe('wallet: plan quota', () => {
  it('counts included conversations, fires 80 % and 100 %, then charges overage at +25 %', () => {
    const w = world(100 * EUR);
    w.send({ type: 'setPlan', plan: PLAN, by: OWNER });
    const replies = Array.from({ length: 11 }, (_, i) => count(w, `conv-${i + 1}`, i % 2 ? 'customer' : 'business'));
    expect(replies.slice(0, 10).every((r) => r.ok && r.reason === 'included' && r.chargedMicros === 0)).toBe(true);
    const unit = overageUnitPriceMicros(PLAN); // €2 × 1.25 = €2.50
    expect(unit).toBe(2_500_000);
    expect(replies[10]).toEqual({ ok: true, reason: 'overage', chargedMicros: unit, used: 11, isDuplicate: false });
    expect(w.wallet.ledger.at(-1)).toMatchObject({ kind: 'overage', amountMicros: unit, reference: 'conv-11' });
    const thresholds = w.published
      .map((p) => p.event as BillingEvent)
      .filter((e) => e.type === 'quotaThresholdReached')
      .map((e) => (e.type === 'quotaThresholdReached' ? [e.percent, e.used] : []));
    expect(thresholds).toEqual([
      [80, 8],
      [100, 10],
    ]);
    const view = w.send<Extract<WalletReplies['getWallet'], { ok: true }>>({ type: 'getWallet', by: OWNER }).wallet;
    expect(view.quota).toEqual({
      month: '2026-01',
      used: 11,
      included: 10,
      max: 30,
      overageConversations: 1,
      overageMicros: unit,
      overageUnitPriceMicros: unit,
      isBusinessBlocked: false,
    });
    expectInvariants(w);
  });

  it('counts a re-sent conversation once', () => {
    const w = world(EUR);
    w.send({ type: 'setPlan', plan: PLAN, by: OWNER });
    count(w, 'conv-1');
    const before = w.wallet;
    expect(count(w, 'conv-1')).toMatchObject({ ok: true, used: 1, isDuplicate: true });
    expect(w.wallet).toBe(before);
  });

  it('at the cap blocks business-initiated conversations (event once), never customer ones', () => {
    const w = world(1_000 * EUR);
    w.send({ type: 'setPlan', plan: PLAN, by: OWNER });
    for (let i = 1; i <= 30; i++) expect(count(w, `c${i}`)).toMatchObject({ ok: true });
    expect(
      w.published.map((p) => p.event as BillingEvent).filter((e) => e.type === 'quotaThresholdReached'),
    ).toHaveLength(3);
    const refused = count(w, 'c31', 'business');
    expect(refused).toEqual({ ok: false, code: 'PARLO_PLAN_QUOTA_EXCEEDED', message: expect.any(String) });
    expect((refused as { message: string }).message).toContain('30 of at most 30');
    expect(count(w, 'c32', 'business')).toMatchObject({ ok: false, code: 'PARLO_PLAN_QUOTA_EXCEEDED' });
    const blocked = w.published.map((p) => p.event as BillingEvent).filter((e) => e.type === 'quotaBlocked');
    expect(blocked).toEqual([{ type: 'quotaBlocked', atMs: T0, month: '2026-01', used: 30, max: 30 }]);
    // A customer's conversation is counted and charged, beyond the cap too.
    expect(count(w, 'c33', 'customer')).toMatchObject({ ok: true, reason: 'overage', used: 31 });
    // A bigger plan lifts the block at once.
    w.send({ type: 'setPlan', plan: { ...PLAN, includedConversations: 20 }, by: OWNER });
    expect(count(w, 'c34', 'business')).toMatchObject({ ok: true, reason: 'overage', used: 32 });
    expectInvariants(w);
  });

  it('starts again when the month ends', () => {
    const w = world(1_000 * EUR);
    w.send({ type: 'setPlan', plan: { ...PLAN, includedConversations: 1 }, by: OWNER });
    for (let i = 1; i <= 3; i++) count(w, `jan-${i}`);
    expect(count(w, 'jan-4')).toMatchObject({ code: 'PARLO_PLAN_QUOTA_EXCEEDED' });
    w.advanceTo(Date.UTC(2026, 1, 1));
    const view = w.send<Extract<WalletReplies['getWallet'], { ok: true }>>({ type: 'getWallet', by: OWNER }).wallet;
    expect(view.quota).toMatchObject({ month: '2026-02', used: 0 });
    expect(count(w, 'feb-1')).toMatchObject({ ok: true, reason: 'included', used: 1 });
  });

  it('refuses a business-initiated overage the wallet cannot pay; a customer one is owed', () => {
    const w = world(1_000_000);
    w.send({ type: 'setPlan', plan: { ...PLAN, includedConversations: 1 }, by: OWNER });
    count(w, 'c1');
    // Overage costs €25 (€20 fee / 1 × 1.25); €1 available.
    expect(count(w, 'c2', 'business')).toMatchObject({ ok: false, code: 'PARLO_INSUFFICIENT_CREDIT' });
    expect(count(w, 'c3', 'customer')).toMatchObject({ ok: true, reason: 'overage', chargedMicros: 1_000_000 });
    expect(w.wallet).toMatchObject({ balanceMicros: 0, owedMicros: 24_000_000 });
    expectInvariants(w);
  });

  it('without a plan counts and never refuses', () => {
    const w = world();
    expect(count(w, 'c1')).toEqual({ ok: true, reason: 'noPlan', chargedMicros: 0, used: 1, isDuplicate: false });
  });

  it('refuses an invalid plan naming the field', () => {
    const w = world();
    const reply = w.send({ type: 'setPlan', plan: { ...PLAN, maxUsagePercent: 50 }, by: OWNER });
    expect(reply).toMatchObject({ ok: false, code: 'PARLO_VALIDATION_FAILED' });
    expect((reply as { message: string }).message).toContain('maxUsagePercent');
  });

  it('keeps only the newest billing events', () => {
    const w = world();
    for (let i = 0; i < BILLING_EVENTS_KEPT + 5; i++)
      w.send({ type: 'setPlan', plan: { ...PLAN, name: `p${i}` }, by: OWNER });
    expect(w.wallet.events).toHaveLength(BILLING_EVENTS_KEPT);
  });
});

type Listed = Extract<WalletReplies['listLedger'], { ok: true }>;

describe('wallet: ledger segments', () => {
  it('seals every full segment into a ledger-segment actor; the state keeps fewer than a segment', () => {
    const w = world();
    const n = 2 * LEDGER_SEGMENT_SIZE + 37;
    for (let i = 0; i < n; i++) topUp(w, 1_000 + i, `tu-${i}`);
    expect(w.wallet.ledger).toHaveLength(37);
    expect(w.wallet.ledgerSealedSeq).toBe(2 * LEDGER_SEGMENT_SIZE);
    expect(w.segments.get(`${ORG}.1`)!.entries.map((e) => e.seq)).toEqual(
      Array.from({ length: LEDGER_SEGMENT_SIZE }, (_, i) => i + 1),
    );
    expect(w.segments.get(`${ORG}.2`)!.entries[0]!.seq).toBe(LEDGER_SEGMENT_SIZE + 1);
    expect(w.wallet.ledgerMonthStarts).toEqual({ '2026-01': 1 });
    expectInvariants(w);
  });

  it('keeps a sealed segment in the state until its actor acknowledged it', () => {
    const w = world();
    w.holdAcks = true;
    for (let i = 0; i < LEDGER_SEGMENT_SIZE + 3; i++) topUp(w, 1, `tu-${i}`);
    expect(w.wallet.ledgerSealRequestedSeq).toBe(LEDGER_SEGMENT_SIZE);
    expect(w.wallet.ledgerSealedSeq).toBe(0);
    expect(w.wallet.ledger).toHaveLength(LEDGER_SEGMENT_SIZE + 3);
    const listed = w.send<WalletReplies['listLedger']>({ type: 'listLedger', by: OWNER, limit: 200 });
    expect(listed).toMatchObject({ ok: true, sealedThroughSeq: 0 });
    w.releaseAcks();
    expect(w.wallet.ledgerSealedSeq).toBe(LEDGER_SEGMENT_SIZE);
    expect(w.wallet.ledger.map((e) => e.seq)).toEqual([1, 2, 3].map((n) => LEDGER_SEGMENT_SIZE + n));
  });

  it('a segment store that failed is asked again by the next turn that changes the wallet', () => {
    const w = world();
    for (let i = 0; i < LEDGER_SEGMENT_SIZE - 1; i++) topUp(w, 1, `tu-${i}`);
    w.failAsks = 1;
    topUp(w, 1, 'fills-the-segment');
    expect(w.segments.has(`${ORG}.1`)).toBe(false);
    expect(w.wallet).toMatchObject({ ledgerSealedSeq: 0, ledgerSealRequestedSeq: 0 });
    expect(w.wallet.ledger).toHaveLength(LEDGER_SEGMENT_SIZE);
    topUp(w, 1, 'next');
    expect(w.segments.get(`${ORG}.1`)!.entries).toHaveLength(LEDGER_SEGMENT_SIZE);
    expect(w.wallet.ledger.map((e) => e.seq)).toEqual([LEDGER_SEGMENT_SIZE + 1]);
    expectInvariants(w);
  });

  it('lists newest first from the state and says where the sealed entries start', () => {
    const w = world();
    for (let i = 0; i < LEDGER_SEGMENT_SIZE + 5; i++) topUp(w, 1, `tu-${i}`);
    const page = w.send<Listed>({ type: 'listLedger', by: ADMIN, limit: 3 });
    expect(page.entries.map((e) => e.seq)).toEqual([5, 4, 3].map((n) => LEDGER_SEGMENT_SIZE + n));
    const older = w.send<Listed>({ type: 'listLedger', by: ADMIN, before: LEDGER_SEGMENT_SIZE + 3, limit: 50 });
    expect(older.entries.map((e) => e.seq)).toEqual([2, 1].map((n) => LEDGER_SEGMENT_SIZE + n));
    expect(older.sealedThroughSeq).toBe(LEDGER_SEGMENT_SIZE);
  });

  it('locates the first segment of a time range by month', () => {
    const w = world();
    for (let i = 0; i < LEDGER_SEGMENT_SIZE * 2; i++) topUp(w, 1, `jan-${i}`);
    w.advanceTo(Date.UTC(2026, 2, 3)); // March
    for (let i = 0; i < LEDGER_SEGMENT_SIZE * 2; i++) topUp(w, 1, `mar-${i}`);
    expect(w.wallet.ledgerMonthStarts).toEqual({ '2026-01': 1, '2026-03': 3 });
    const locate = (fromMs?: number) =>
      w.send<WalletReplies['locateLedger']>({ type: 'locateLedger', by: OWNER, ...(fromMs ? { fromMs } : {}) });
    expect(locate()).toMatchObject({ startSegment: 1, sealedSegments: 4 });
    expect(locate(Date.UTC(2026, 2, 10))).toMatchObject({ startSegment: 2 });
    expect(locate(Date.UTC(2026, 1, 10))).toMatchObject({ startSegment: 1 });
    expect(locate(Date.UTC(2025, 11, 1))).toMatchObject({ startSegment: 1 });
  });
});

describe('wallet: usage aggregates', () => {
  const readUsage = (w: WalletWorld, fromDay: string, toDay: string) =>
    w.send<Extract<WalletReplies['readUsage'], { ok: true }>>({ type: 'readUsage', by: OWNER, fromDay, toDay });

  it('adds each settled charge to its delivery day × category × country × number × campaign', () => {
    const w = world(10 * EUR);
    settle(w, 'a', 113_100);
    settle(w, 'b', 113_100);
    settle(w, 'c', 0, { category: 'utility', rule: 'utilityInServiceWindow' });
    settle(w, 'd', 51_000, { country: 'ES', campaignId: 'cmp_1' }, T0 - DAY);
    expect(w.wallet.usage).toEqual({
      '2026-01-09': { 'marketing|ES|1065550001|cmp_1': [1, 1, 51_000] },
      '2026-01-10': {
        'marketing|DE|1065550001|': [2, 2, 226_200],
        'utility|DE|1065550001|': [1, 0, 0],
      },
    });
  });

  it(`keeps ${USAGE_DAYS_IN_STATE} days in the state and seals older ones into month archives`, () => {
    const w = world(100 * EUR);
    settle(w, 'dec', 10_000, {}, Date.UTC(2025, 11, 31, 23));
    settle(w, 'jan', 20_000, {}, T0);
    expect(Object.keys(w.wallet.usage)).toEqual(['2026-01-10']); // 31 Dec is 10 days back: straight to the archive
    expect(w.archives.get(`${ORG}.2025-12`)!.days).toEqual({
      '2025-12-31': { 'marketing|DE|1065550001|': [1, 1, 10_000] },
    });
    w.advanceTo(T0 + USAGE_DAYS_IN_STATE * DAY);
    settle(w, 'later', 30_000);
    expect(Object.keys(w.wallet.usage)).toEqual(['2026-01-20']);
    expect(w.archives.get(`${ORG}.2026-01`)!.days['2026-01-10']).toEqual({
      'marketing|DE|1065550001|': [1, 1, 20_000],
    });
    expect(w.wallet.usageMonths).toEqual(['2025-12', '2026-01']);
    const read = readUsage(w, '2025-12-01', '2026-01-31');
    expect(read.archivedMonths).toEqual(['2025-12', '2026-01']);
    expect(Object.keys(read.days)).toEqual(['2026-01-20']);
    // A charge for a day already archived goes to its archive.
    settle(w, 'very-late', 5_000, {}, T0);
    expect(w.archives.get(`${ORG}.2026-01`)!.days['2026-01-10']).toEqual({
      'marketing|DE|1065550001|': [2, 2, 25_000],
    });
  });

  it('a day that takes a charge while its seal is in flight is stored again, whole', () => {
    const w = world(100 * EUR);
    settle(w, 'a', 10_000);
    w.advanceTo(T0 + USAGE_DAYS_IN_STATE * DAY);
    w.holdAcks = true;
    settle(w, 'b', 1_000); // today: seals 2026-01-10
    expect(w.wallet.usageSealing).toEqual(['2026-01-10']);
    settle(w, 'c', 20_000, {}, T0); // late, for the day in flight
    expect(w.wallet.usage['2026-01-10']).toEqual({ 'marketing|DE|1065550001|': [2, 2, 30_000] });
    w.releaseAcks();
    expect(w.wallet.usage['2026-01-10']).toBeUndefined();
    expect(w.wallet.usageSealing).toEqual([]);
    expect(w.archives.get(`${ORG}.2026-01`)!.days['2026-01-10']).toEqual({
      'marketing|DE|1065550001|': [2, 2, 30_000],
    });
  });

  it('a day whose store failed stays in the state and is sealed again by the next turn', () => {
    const w = world(100 * EUR);
    settle(w, 'a', 10_000);
    w.advanceTo(T0 + USAGE_DAYS_IN_STATE * DAY);
    w.failAsks = 1;
    settle(w, 'b', 1_000);
    expect(w.wallet.usage['2026-01-10']).toBeDefined();
    expect(w.wallet.usageSealing).toEqual([]);
    expect(w.archives.has(`${ORG}.2026-01`)).toBe(false);
    settle(w, 'c', 1_000);
    expect(w.wallet.usage['2026-01-10']).toBeUndefined();
    expect(w.archives.get(`${ORG}.2026-01`)!.days['2026-01-10']).toEqual({
      'marketing|DE|1065550001|': [1, 1, 10_000],
    });
  });

  it('purges month archives beyond the retention', () => {
    const w = world(100 * EUR);
    settle(w, 'a', 10_000);
    w.advanceTo(T0 + 20 * DAY);
    settle(w, 'b', 10_000);
    expect(w.archives.has(`${ORG}.2026-01`)).toBe(true);
    w.advanceTo(Date.UTC(2027, 3, 1)); // 400 days back is in February 2026
    settle(w, 'c', 10_000);
    expect(w.wallet.usageMonths).not.toContain('2026-01');
    expect(w.archives.has(`${ORG}.2026-01`)).toBe(false);
  });
});

describe('formatMicros', () => {
  it.each([
    [0, '€0.00'],
    [1_500_000, '€1.50'],
    [113_100, '€0.1131'],
    [1, '€0.000001'],
    [12_345_678_900, '€12345.6789'],
  ])('%d → %s', (micros, text) => {
    expect(formatMicros(micros)).toBe(text);
  });
});
