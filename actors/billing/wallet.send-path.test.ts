import { describe, expect, it } from 'vitest';
import { WalletWorld } from './__fixtures__/wallet-world.ts';
import { conversationOpening } from './metering.ts';
import type { PlanQuota } from './rate-card.ts';
import { createWalletActor } from './wallet.actor.ts';
import {
  STARTING_CREDIT_REFERENCE,
  type BillingCaller,
  type BillingEvent,
  type ConversationOpening,
  type WalletReplies,
} from './wallet.messages.ts';
import { listReservations } from './wallet.state.ts';

/**
 * The two things the send path added to the wallet: a `reserve` that also counts a business-initiated plan
 * conversation (all or nothing), and the starting credit of a new organisation.
 */

const ORG = 'org_send';
const T0 = Date.UTC(2026, 0, 10, 12);
const EUR = 1_000_000;
const OWNER: BillingCaller = { kind: 'user', userId: 'u-owner', role: 'owner' };
const PLAN: PlanQuota & { name: string } = {
  name: 'Tiny',
  includedConversations: 1,
  monthlyFeeMicros: 2 * EUR,
  overageMarkupPercent: 25,
  maxUsagePercent: 200,
};

const opening = (n: number): ConversationOpening => conversationOpening(`1065.p49${n}`, '1065', T0, 'business');

function funded(balanceMicros: number): WalletWorld {
  const w = new WalletWorld(ORG, T0);
  w.send({ type: 'topUp', topUpId: 'initial', amountMicros: balanceMicros, by: OWNER });
  return w;
}

function reserve(w: WalletWorld, id: string, amountMicros: number, conversation?: ConversationOpening) {
  return w.send<WalletReplies['reserve']>({
    type: 'reserve',
    reservationId: id,
    amountMicros,
    atMs: w.nowMs,
    ...(conversation === undefined ? {} : { conversation }),
  });
}

describe('wallet: a reserve that carries its plan conversation', () => {
  it('counts the conversation and holds the price in one turn; a second message of it counts nothing more', () => {
    const w = funded(EUR);
    w.send({ type: 'setPlan', plan: PLAN, by: OWNER });
    const first = reserve(w, 'c1/m1', 45_600, opening(1));
    expect(first).toEqual({
      ok: true,
      reservationId: 'c1/m1',
      reservedMicros: 45_600,
      availableMicros: EUR - 45_600,
      status: 'reserved',
      conversation: { ok: true, reason: 'included', chargedMicros: 0, used: 1, isDuplicate: false },
    });
    const second = reserve(w, 'c1/m2', 45_600, opening(1));
    expect(second).toMatchObject({ ok: true, conversation: { isDuplicate: true, used: 1 } });
    expect(w.wallet.quota.used).toBe(1);
    expect(w.wallet.reservedMicros).toBe(2 * 45_600);
    // A re-sent reserve (the same message) holds nothing more and counts nothing more.
    expect(reserve(w, 'c1/m1', 45_600, opening(1))).toMatchObject({ ok: true, reservedMicros: 45_600 });
    expect(w.wallet.reservedMicros).toBe(2 * 45_600);
  });

  it('refused by the quota: nothing is held, and the refusal is the quota’s', () => {
    const w = funded(10 * EUR);
    w.send({ type: 'setPlan', plan: PLAN, by: OWNER });
    expect(reserve(w, 'c1/m1', 45_600, opening(1))).toMatchObject({ ok: true });
    expect(reserve(w, 'c2/m1', 45_600, opening(2))).toMatchObject({ ok: true, conversation: { reason: 'overage' } });
    const refused = reserve(w, 'c3/m1', 45_600, opening(3));
    expect(refused).toEqual({ ok: false, code: 'PARLO_PLAN_QUOTA_EXCEEDED', message: expect.any(String) });
    expect(listReservations(w.wallet).map((r) => r.id)).toEqual(['c1/m1', 'c2/m1']);
    expect(w.published.map((p) => (p.event as BillingEvent).type)).toContain('quotaBlocked');
  });

  it('refused for credit after the count: the count is undone, its events are not published', () => {
    const w = funded(40_000);
    w.send({ type: 'setPlan', plan: { ...PLAN, includedConversations: 10 }, by: OWNER });
    const before = w.wallet;
    const published = w.published.length;
    const refused = reserve(w, 'c1/m1', 45_600, opening(1));
    expect(refused).toMatchObject({ ok: false, code: 'PARLO_INSUFFICIENT_CREDIT' });
    expect(w.wallet).toBe(before);
    expect(w.published).toHaveLength(published);
    // Topped up, the same message is admitted and its conversation counted then.
    w.send({ type: 'topUp', topUpId: 'more', amountMicros: EUR, by: OWNER });
    expect(reserve(w, 'c1/m1', 45_600, opening(1))).toMatchObject({ ok: true, conversation: { used: 1 } });
  });

  it('a free business-initiated message only counts its conversation (a reserve of 0 holds nothing)', () => {
    const w = new WalletWorld(ORG, T0);
    const reply = reserve(w, 'c1/m1', 0, opening(1));
    expect(reply).toMatchObject({ ok: true, reservedMicros: 0, conversation: { reason: 'noPlan', used: 1 } });
    expect(listReservations(w.wallet)).toEqual([]);
    expect(w.wallet.quota.used).toBe(1);
  });
});

describe('wallet: the starting credit of a new organisation', () => {
  it('is booked once, as a top-up, in the first turn, whatever that turn is', () => {
    const w = new WalletWorld(ORG, T0, createWalletActor({ startingCreditMicros: 10 * EUR }));
    const view = w.send<Extract<WalletReplies['getWallet'], { ok: true }>>({ type: 'getWallet', by: OWNER });
    expect(view.wallet).toMatchObject({ balanceMicros: 10 * EUR, availableMicros: 10 * EUR, ledgerEntries: 1 });
    expect(w.wallet.ledger).toEqual([
      expect.objectContaining({
        seq: 1,
        kind: 'topUp',
        amountMicros: 10 * EUR,
        balanceAfterMicros: 10 * EUR,
        reference: STARTING_CREDIT_REFERENCE,
        by: `system:${STARTING_CREDIT_REFERENCE}`,
      }),
    ]);
    // Spent to nothing, it is not granted again.
    expect(reserve(w, 'c1/m1', 10 * EUR)).toMatchObject({ ok: true });
    w.send({
      type: 'settle',
      reservationId: 'c1/m1',
      amountMicros: 10 * EUR,
      charge: {
        category: 'marketing',
        country: 'DE',
        phoneNumberId: '1065',
        conversationId: 'c1',
        campaignId: null,
        rateCardVersion: 1,
        rule: 'marketing',
      },
      atMs: T0,
    });
    expect(w.wallet.balanceMicros).toBe(0);
    expect(reserve(w, 'c1/m2', 1)).toMatchObject({ ok: false, code: 'PARLO_INSUFFICIENT_CREDIT' });
    expect(w.wallet.ledger.filter((e) => e.reference === STARTING_CREDIT_REFERENCE)).toHaveLength(1);
  });

  it('comes before the first message’s own effect, so a first reserve can use it', () => {
    const w = new WalletWorld(ORG, T0, createWalletActor({ startingCreditMicros: EUR }));
    expect(reserve(w, 'c1/m1', 113_100)).toMatchObject({ ok: true, availableMicros: EUR - 113_100 });
  });

  it('is never given to a wallet that already has ledger entries, and a top-up under its id is recognised', () => {
    const w = new WalletWorld(ORG, T0);
    w.send({ type: 'topUp', topUpId: 'before', amountMicros: EUR, by: OWNER });
    const later = new WalletWorld(ORG, T0, createWalletActor({ startingCreditMicros: 10 * EUR }));
    later.wallet = w.wallet;
    later.send({ type: 'getWallet', by: OWNER });
    expect(later.wallet.balanceMicros).toBe(EUR);

    const fresh = new WalletWorld(ORG, T0, createWalletActor({ startingCreditMicros: 10 * EUR }));
    const conflict = fresh.send({
      type: 'topUp',
      topUpId: STARTING_CREDIT_REFERENCE,
      amountMicros: EUR,
      by: OWNER,
    });
    expect(conflict).toMatchObject({ ok: false, code: 'PARLO_ID_CONFLICT' });
    expect(fresh.wallet.balanceMicros).toBe(10 * EUR);
  });

  it('a starting credit of 0 leaves a new wallet empty; an invalid one is refused at build time', () => {
    const w = new WalletWorld(ORG, T0, createWalletActor({ startingCreditMicros: 0 }));
    w.send({ type: 'getWallet', by: OWNER });
    expect(w.wallet.ledger).toEqual([]);
    expect(() => createWalletActor({ startingCreditMicros: -1 })).toThrow(/startingCreditMicros/);
    expect(() => createWalletActor({ startingCreditMicros: 0.5 })).toThrow(/startingCreditMicros/);
  });
});
