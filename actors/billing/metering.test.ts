import { describe, expect, it } from 'vitest';
import type { BillingFacts, StatusPricing } from '../conversation/status-merge.ts';
import {
  conversationKeyOf,
  countConversationMessage,
  deliveryCharge,
  releaseMessage,
  reserveMessage,
  settleMessage,
  type DeliveryChargeInput,
} from './metering.ts';
import { DEFAULT_RATE_CARD, priceMessage } from './rate-card.ts';

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
  it('reserve, settle and release carry the message id as the reservation id', () => {
    const price = priceMessage({ ...base, category: 'marketing' });
    expect(reserveMessage('msg_1', price, T)).toEqual({
      type: 'reserve',
      reservationId: 'msg_1',
      amountMicros: 113_100,
      atMs: T,
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
