import { describe, expect, it } from 'vitest';
import type { BillingFacts, StatusPricing } from '../conversation/status-merge.ts';
import { EMPTY_WINDOW_FACTS, recordInbound, recordOutbound, type WindowFacts } from '../conversation/window.ts';
import {
  cardAt,
  chargeOfSend,
  conversationKeyOf,
  conversationOpening,
  countConversationMessage,
  deliveryCharge,
  isFreeServiceSend,
  releaseMessage,
  reserveMessage,
  settleMessage,
  type DeliveryChargeInput,
  type SendFacts,
} from './metering.ts';
import { DEFAULT_RATE_CARD, priceMessage, type RateCard } from './rate-card.ts';

const T = Date.UTC(2026, 0, 5);

function facts(pricing: Partial<StatusPricing> | null): BillingFacts {
  return {
    isDelivered: true,
    deliveredAtMs: T,
    pricing:
      pricing === null
        ? null
        : { billable: true, pricingModel: 'PMP', type: 'regular', category: 'marketing', ...pricing },
  };
}

const base: Omit<DeliveryChargeInput, 'facts'> = {
  category: 'marketing',
  recipientCountry: 'DE',
  insideServiceWindow: false,
  insideFreeEntryPoint: false,
  rateCard: DEFAULT_RATE_CARD,
};

describe('deliveryCharge', () => {
  it.each<[string, Partial<DeliveryChargeInput>, Partial<StatusPricing> | null, number, string, string]>([
    ['no pricing: our rules (marketing)', {}, null, 113_100, 'marketing', 'marketing'],
    [
      'no pricing: utility inside the window is free',
      { category: 'utility', insideServiceWindow: true },
      null,
      0,
      'utilityInServiceWindow',
      'utility',
    ],
    ['no pricing: free entry point', { insideFreeEntryPoint: true }, null, 0, 'freeEntryPoint', 'marketing'],
    ['Meta billable marketing', {}, {}, 113_100, 'marketing', 'marketing'],
    [
      'Meta says marketing_lite: priced as marketing',
      {},
      { category: 'marketing_lite' },
      113_100,
      'marketing',
      'marketing',
    ],
    [
      'Meta reclassified utility as marketing',
      { category: 'utility' },
      { category: 'marketing' },
      113_100,
      'marketing',
      'marketing',
    ],
    [
      'Meta billable utility although we thought the window open',
      { category: 'utility', insideServiceWindow: true },
      { category: 'utility' },
      45_600,
      'utility',
      'utility',
    ],
    [
      'Meta free customer service (utility)',
      { category: 'utility' },
      { billable: false, type: 'free_customer_service', category: 'utility' },
      0,
      'utilityInServiceWindow',
      'utility',
    ],
    [
      'Meta free customer service (service)',
      { category: 'service' },
      { billable: false, type: 'free_customer_service', category: 'service' },
      0,
      'serviceFree',
      'service',
    ],
    ['Meta free entry point', {}, { billable: false, type: 'free_entry_point' }, 0, 'freeEntryPoint', 'marketing'],
    [
      'Meta referral_conversion',
      {},
      { billable: true, category: 'referral_conversion' },
      0,
      'freeEntryPoint',
      'marketing',
    ],
    [
      'Meta authentication_international',
      { category: 'authentication', recipientCountry: 'IN' },
      { category: 'authentication_international' },
      23_200,
      'authenticationInternational',
      'authentication_international',
    ],
  ])('%s', (_name, input, pricing, amountMicros, rule, category) => {
    const charge = deliveryCharge({ ...base, ...input, facts: facts(pricing) });
    expect(charge).toMatchObject({ amountMicros, rule, category, billable: amountMicros > 0, rateCardVersion: 1 });
  });
});

describe('wallet messages for the conversation actor', () => {
  it('reserve, settle and release carry the message key as the reservation id', () => {
    const price = priceMessage({ ...base, category: 'marketing' });
    expect(reserveMessage('msg_1', price.amountMicros, T)).toEqual({
      type: 'reserve',
      reservationId: 'msg_1',
      amountMicros: 113_100,
      atMs: T,
    });
    expect(reserveMessage('msg_1', 0, T, conversationOpening('1065.p49', '1065', T - 5, 'business'))).toEqual({
      type: 'reserve',
      reservationId: 'msg_1',
      amountMicros: 0,
      atMs: T,
      conversation: {
        conversationKey: `1065.p49@${T - 5}`,
        openedBy: 'business',
        atMs: T - 5,
        phoneNumberId: '1065',
        conversationId: '1065.p49',
      },
    });
    const charge = deliveryCharge({ ...base, facts: facts({}) });
    expect(
      settleMessage('msg_1', charge, { phoneNumberId: '1065', conversationId: '1065.p49', country: 'DE' }, T + 5),
    ).toEqual({
      type: 'settle',
      reservationId: 'msg_1',
      amountMicros: 113_100,
      charge: {
        category: 'marketing',
        country: 'DE',
        phoneNumberId: '1065',
        conversationId: '1065.p49',
        campaignId: null,
        rateCardVersion: 1,
        rule: 'marketing',
      },
      atMs: T + 5,
    });
    expect(releaseMessage('msg_1')).toEqual({ type: 'release', reservationId: 'msg_1' });
  });

  it('counts a conversation under its window start', () => {
    expect(conversationKeyOf('1065.p49', T)).toBe(`1065.p49@${T}`);
    expect(countConversationMessage('1065.p49', '1065', T, 'customer')).toEqual({
      type: 'countConversation',
      conversationKey: `1065.p49@${T}`,
      openedBy: 'customer',
      atMs: T,
      phoneNumberId: '1065',
      conversationId: '1065.p49',
    });
  });
});

describe('chargeOfSend: a send as the wallet sees it', () => {
  const HOUR = 3_600_000;
  const CARDS: readonly [RateCard, ...RateCard[]] = [DEFAULT_RATE_CARD];
  const send = (over: Partial<SendFacts>): SendFacts => ({
    category: 'utility',
    isTemplate: true,
    customer: { phone: '4915112345678', userId: null },
    window: EMPTY_WINDOW_FACTS,
    nowMs: T,
    rateCards: CARDS,
    ...over,
  });
  const wrote = (atMs: number, referral = false): WindowFacts =>
    recordInbound(EMPTY_WINDOW_FACTS, { atMs, referral: referral ? { sourceType: 'ad' } : null });

  it.each<[string, Partial<SendFacts>, number, string, number | null]>([
    ['a utility template to a customer who never wrote opens a conversation', {}, 45_600, 'utility', T],
    ['marketing, by the German rate', { category: 'marketing' }, 113_100, 'marketing', T],
    [
      'the country comes from the phone prefix',
      { customer: { phone: '15551234567', userId: null } },
      3_300,
      'utility',
      T,
    ],
    [
      'or from a user id',
      { customer: { phone: null, userId: 'IN.12345' }, category: 'marketing' },
      8_900,
      'marketing',
      T,
    ],
    [
      'utility inside the service window is free and no business-initiated message',
      { window: wrote(T - HOUR) },
      0,
      'utilityInServiceWindow',
      null,
    ],
    [
      'marketing inside the service window is billable, and the customer’s conversation',
      { window: wrote(T - HOUR), category: 'marketing' },
      113_100,
      'marketing',
      null,
    ],
    [
      'after the window closed (30 h ago): billable, opening a new plan conversation',
      { window: wrote(T - 30 * HOUR), nowMs: T },
      45_600,
      'utility',
      T,
    ],
  ])('%s', (_name, over, amountMicros, rule, planStart) => {
    const charge = chargeOfSend(send(over));
    expect(charge.price).toMatchObject({ amountMicros, rule, rateCardVersion: 1 });
    expect(charge.planConversationStartMs).toBe(planStart);
  });

  it('a template outside the service window joins the plan conversation already started', () => {
    // The business opened a plan conversation an hour ago (a first template): the next template joins it.
    const window = { ...EMPTY_WINDOW_FACTS, planConversationStartedAtMs: T - HOUR };
    expect(chargeOfSend(send({ window })).planConversationStartMs).toBe(T - HOUR);
    expect(chargeOfSend(send({ window, nowMs: T - HOUR + 24 * HOUR })).planConversationStartMs).toBe(
      T - HOUR + 24 * HOUR,
    );
  });

  it('inside a free entry point every message is free, and the window facts are reported', () => {
    // The customer came from an ad 30 h ago, the business replied at once: the 72 h free entry point is open,
    // the 24 h service window is not.
    const window = recordOutbound(wrote(T - 30 * HOUR, true), { atMs: T - 30 * HOUR + 1 });
    const charge = chargeOfSend(send({ window, category: 'marketing' }));
    expect(charge).toMatchObject({
      price: { amountMicros: 0, rule: 'freeEntryPoint' },
      insideServiceWindow: false,
      insideFreeEntryPoint: true,
      country: 'DE',
    });
    // Free, but business-initiated: the plan conversation is still counted.
    expect(charge.planConversationStartMs).toBe(T);
  });

  it('a free-form message under a card with free service is not priced at all', () => {
    expect(isFreeServiceSend(false, CARDS, T)).toBe(true);
    expect(isFreeServiceSend(true, CARDS, T)).toBe(false);
    const paidService: RateCard = {
      ...DEFAULT_RATE_CARD,
      version: 2,
      effectiveFromMs: T,
      policy: { ...DEFAULT_RATE_CARD.policy, serviceFree: false },
    };
    expect(isFreeServiceSend(false, [DEFAULT_RATE_CARD, paidService], T - 1)).toBe(true);
    expect(isFreeServiceSend(false, [DEFAULT_RATE_CARD, paidService], T)).toBe(false);
  });

  it('an instant before every card is priced with the earliest card', () => {
    expect(cardAt(CARDS, 0)).toBe(DEFAULT_RATE_CARD);
  });
});
