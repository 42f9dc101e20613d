import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countryOfPhone } from '../contacts/phone-country.ts';
import {
  DEFAULT_MARKET_RATES,
  DEFAULT_RATE_CARD,
  DEFAULT_REGION_COUNTRIES,
  MESSAGE_CATEGORIES,
  PMP_START_MS,
  billingMonth,
  billingMonthRange,
  categoryOfMetaPricing,
  maxConversations,
  overageUnitPriceMicros,
  priceMessage,
  quotaDecision,
  rateCardAt,
  thresholdCount,
  validatePlanQuota,
  validateRateCard,
  validateRateCards,
  type MessageCategory,
  type PlanQuota,
  type PriceInput,
  type RateCard,
} from './rate-card.ts';

const card = DEFAULT_RATE_CARD;
const base: Omit<PriceInput, 'category'> = {
  recipientCountry: 'DE',
  insideServiceWindow: false,
  insideFreeEntryPoint: false,
  rateCard: card,
};
const price = (category: MessageCategory, extra: Partial<PriceInput> = {}) =>
  priceMessage({ ...base, category, ...extra });

describe('priceMessage: the rules', () => {
  it('marketing is always billable at the country rate, inside the service window too', () => {
    expect(price('marketing')).toEqual({
      billable: true,
      amountMicros: 113_100,
      currency: 'EUR',
      rule: 'marketing',
      rateCardVersion: 1,
      ratesKey: 'DE',
    });
    expect(price('marketing', { insideServiceWindow: true }).amountMicros).toBe(113_100);
  });

  it('utility is free inside an open service window, billable outside', () => {
    expect(price('utility', { insideServiceWindow: true })).toMatchObject({
      billable: false,
      amountMicros: 0,
      rule: 'utilityInServiceWindow',
    });
    expect(price('utility')).toMatchObject({ billable: true, amountMicros: 45_600, rule: 'utility' });
  });

  it('authentication is billable inside and outside the window', () => {
    expect(price('authentication', { insideServiceWindow: true })).toMatchObject({
      billable: true,
      amountMicros: 45_600,
      rule: 'authentication',
    });
  });

  it('service (free-form) messages are free', () => {
    for (const insideServiceWindow of [true, false])
      expect(price('service', { insideServiceWindow })).toMatchObject({ billable: false, rule: 'serviceFree' });
  });

  it('everything is free inside a free entry point window', () => {
    for (const category of MESSAGE_CATEGORIES)
      expect(price(category, { insideFreeEntryPoint: true })).toMatchObject({
        billable: false,
        amountMicros: 0,
        rule: 'freeEntryPoint',
      });
  });

  it('authentication-international applies to a business based in another country, where the card has it', () => {
    expect(price('authentication', { recipientCountry: 'IN', businessCountry: 'DE' })).toMatchObject({
      amountMicros: 23_200,
      rule: 'authenticationInternational',
    });
    expect(price('authentication', { recipientCountry: 'IN', businessCountry: 'IN' })).toMatchObject({
      amountMicros: 1_200,
      rule: 'authentication',
    });
    expect(price('authentication', { recipientCountry: 'IN' }).rule).toBe('authentication'); // business unknown
    expect(price('authentication', { recipientCountry: 'FR', businessCountry: 'DE' }).rule).toBe('authentication');
    expect(price('authentication_international', { recipientCountry: 'ID' }).amountMicros).toBe(112_700);
    // Classified international by Meta, but the card has no such rate there: the plain rate.
    expect(price('authentication_international', { recipientCountry: 'DE' }).rule).toBe('authentication');
  });

  it('uses the other row for countries the card does not list', () => {
    expect(price('marketing', { recipientCountry: 'other' })).toMatchObject({
      ratesKey: 'other',
      amountMicros: 50_000,
    });
    expect(price('marketing', { recipientCountry: 'KZ' }).ratesKey).toBe('other');
    expect(price('marketing', { recipientCountry: 'constructor' }).ratesKey).toBe('other');
  });

  it('follows the card policy: a card with paid service and paid in-window utility (announced for Oct 2026)', () => {
    const paidService: RateCard = {
      ...card,
      version: 2,
      policy: { freeEntryPointFree: true, serviceFree: false, utilityFreeInServiceWindow: false },
      rates: { ...card.rates, DE: { ...card.rates['DE']!, service: 45_600 } },
    };
    expect(priceMessage({ ...base, rateCard: paidService, category: 'service', insideServiceWindow: true })).toEqual({
      billable: true,
      amountMicros: 45_600,
      currency: 'EUR',
      rule: 'service',
      rateCardVersion: 2,
      ratesKey: 'DE',
    });
    expect(priceMessage({ ...base, rateCard: paidService, category: 'utility', insideServiceWindow: true }).rule).toBe(
      'utility',
    );
    // A zero service rate is not billable.
    expect(priceMessage({ ...base, rateCard: paidService, recipientCountry: 'FR', category: 'service' })).toMatchObject(
      { billable: false, amountMicros: 0, rule: 'service' },
    );
  });

  it('always returns integer, non-negative micros (property)', () => {
    const countries = [...Object.keys(card.rates), 'XX', 'other'];
    fc.assert(
      fc.property(
        fc.constantFrom(...MESSAGE_CATEGORIES),
        fc.constantFrom(...countries),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.constantFrom(...countries)),
        (category, recipientCountry, insideServiceWindow, insideFreeEntryPoint, businessCountry) => {
          const p = priceMessage({
            category,
            recipientCountry,
            insideServiceWindow,
            insideFreeEntryPoint,
            businessCountry,
            rateCard: card,
          });
          expect(Number.isSafeInteger(p.amountMicros)).toBe(true);
          expect(p.amountMicros).toBeGreaterThanOrEqual(0);
          expect(p.billable).toBe(p.amountMicros > 0);
          if (category === 'marketing' && !insideFreeEntryPoint) expect(p.billable).toBe(true);
          if (category === 'service') expect(p.billable).toBe(false);
        },
      ),
    );
  });

  it('maps Meta pricing categories', () => {
    expect(categoryOfMetaPricing('marketing_lite')).toBe('marketing');
    expect(categoryOfMetaPricing('authentication_international')).toBe('authentication_international');
    expect(categoryOfMetaPricing('utility')).toBe('utility');
    expect(categoryOfMetaPricing('referral_conversion')).toBeNull();
    expect(categoryOfMetaPricing('bogus')).toBeNull();
  });
});

describe('rate cards: versions and validation', () => {
  const v2: RateCard = { ...card, version: 2, effectiveFromMs: Date.UTC(2026, 0, 1) };
  const v3: RateCard = { ...card, version: 3, effectiveFromMs: Date.UTC(2026, 9, 1) };

  it('finds the card in force, to the millisecond', () => {
    const cards = [v3, card, v2];
    expect(rateCardAt(cards, PMP_START_MS - 1)).toBeNull();
    expect(rateCardAt(cards, PMP_START_MS)).toBe(card);
    expect(rateCardAt(cards, v2.effectiveFromMs - 1)).toBe(card);
    expect(rateCardAt(cards, v2.effectiveFromMs)).toBe(v2);
    expect(rateCardAt(cards, v3.effectiveFromMs + 1e9)).toBe(v3);
    expect(rateCardAt([], 0)).toBeNull();
    const sameStart: RateCard = { ...v2, version: 4 };
    expect(rateCardAt([sameStart, v2], v2.effectiveFromMs)).toBe(sameStart);
  });

  it('the default card is valid, covers the required countries, and gives US and CA the same rates', () => {
    expect(validateRateCard(card)).toEqual([]);
    const covered = ['US', 'CA', 'GB', 'CH', 'NO', 'IN', 'ID', 'BR', 'MX', 'TR', 'EG', 'NG', 'ZA', 'SA', 'AE', 'IL'];
    const eu = 'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE'.split(' ');
    const latam = 'AR CL CO PE VE EC BO PY UY CR PA GT SV HN NI DO'.split(' ');
    for (const country of [...covered, ...latam]) expect(card.rates[country], country).toBeDefined();
    // EU countries without a row of their own (CY, EE, LU, MT) are priced at `other`, like Meta's rate card.
    for (const country of eu) expect(price('marketing', { recipientCountry: country }).billable, country).toBe(true);
    expect(card.rates['US']).toEqual(card.rates['CA']);
    expect(card.rates['RU']).toBeDefined();
    // Every row is the row of its market.
    for (const [region, countries] of Object.entries(DEFAULT_REGION_COUNTRIES))
      for (const country of countries.split(' '))
        expect(card.rates[country]?.marketing, country).toBe(DEFAULT_MARKET_RATES[region]![0]);
  });

  it('prices a phone number end to end', () => {
    const recipientCountry = countryOfPhone('+393471234567');
    expect(priceMessage({ ...base, recipientCountry, category: 'marketing' }).amountMicros).toBe(57_300);
    expect(
      priceMessage({ ...base, recipientCountry: countryOfPhone('+14165550123'), category: 'utility' }),
    ).toMatchObject({
      ratesKey: 'CA',
      amountMicros: 3_300,
    });
  });

  it('reports invalid cards', () => {
    const broken = {
      version: 0,
      effectiveFromMs: 1.5,
      currency: 'USD',
      policy: card.policy,
      rates: { de: { marketing: 0.11, utility: -1, authentication: 1, authenticationInternational: null, service: 0 } },
    } as unknown as RateCard;
    expect(validateRateCard(broken)).toEqual([
      'version must be a positive integer',
      'effectiveFromMs must be an integer',
      'currency must be EUR',
      "rates must contain 'other'",
      "rates: 'de' is not an ISO country code",
      'rates.de.marketing must be a non-negative integer (micros)',
      'rates.de.utility must be a non-negative integer (micros)',
    ]);
    expect(validateRateCards([card, v2, v3])).toEqual([]);
    expect(validateRateCards([card, { ...v2, version: 1 }])).toEqual(['version 1 appears twice']);
    expect(validateRateCards([v2, { ...card, version: 3 }])).toEqual(['version 3 starts before version 2']);
  });

  it('prices with integer micros everywhere in the default card', () => {
    for (const rates of Object.values(card.rates))
      for (const value of Object.values(rates)) if (value !== null) expect(Number.isSafeInteger(value)).toBe(true);
  });
});

describe('plan quota', () => {
  const plan: PlanQuota = {
    includedConversations: 1000,
    monthlyFeeMicros: 49_000_000, // €49
    overageMarkupPercent: 25,
    maxUsagePercent: 300,
  };

  it('derives the overage price (+25 %), the cap (300 %) and the thresholds', () => {
    expect(overageUnitPriceMicros(plan)).toBe(61_250); // €0.049 × 1.25
    expect(maxConversations(plan)).toBe(3000);
    expect(thresholdCount(plan, 80)).toBe(800);
    expect(overageUnitPriceMicros({ ...plan, includedConversations: 3, monthlyFeeMicros: 10 })).toBe(5); // ⌈10 × 125 / 300⌉
    expect(overageUnitPriceMicros({ ...plan, includedConversations: 0 })).toBe(0);
  });

  it('walks a month: included, 80 % and 100 % events, overage, cap, blocked', () => {
    expect(quotaDecision(plan, 0, 'business')).toEqual({
      allowed: true,
      reason: 'included',
      chargeMicros: 0,
      usedAfter: 1,
      thresholdsCrossed: [],
    });
    expect(quotaDecision(plan, 798, 'business').thresholdsCrossed).toEqual([]);
    expect(quotaDecision(plan, 799, 'customer').thresholdsCrossed).toEqual([80]);
    expect(quotaDecision(plan, 999, 'business')).toEqual({
      allowed: true,
      reason: 'included',
      chargeMicros: 0,
      usedAfter: 1000,
      thresholdsCrossed: [100],
    });
    expect(quotaDecision(plan, 1000, 'business')).toMatchObject({
      allowed: true,
      reason: 'overage',
      chargeMicros: 61_250,
      thresholdsCrossed: [],
    });
    expect(quotaDecision(plan, 2999, 'business')).toMatchObject({ allowed: true, thresholdsCrossed: [300] });
    expect(quotaDecision(plan, 3000, 'business')).toEqual({
      allowed: false,
      reason: 'blocked',
      chargeMicros: 0,
      usedAfter: 3000,
      thresholdsCrossed: [],
    });
    // A customer's conversation is never refused; it is counted and charged at the overage price.
    expect(quotaDecision(plan, 3000, 'customer')).toMatchObject({
      allowed: true,
      reason: 'overage',
      chargeMicros: 61_250,
      usedAfter: 3001,
    });
  });

  it('fires each threshold exactly once over a month (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.integer({ min: 100, max: 400 }),
        fc.array(fc.constantFrom<'business' | 'customer'>('business', 'customer'), { maxLength: 2000 }),
        (included, maxUsagePercent, initiators) => {
          const p: PlanQuota = { ...plan, includedConversations: included, maxUsagePercent };
          let used = 0;
          const fired: number[] = [];
          for (const initiator of initiators) {
            const d = quotaDecision(p, used, initiator);
            if (d.allowed) expect(d.usedAfter).toBe(used + 1);
            if (!d.allowed) expect(initiator === 'business' && used >= maxConversations(p)).toBe(true);
            expect(d.chargeMicros).toBe(d.allowed && used + 1 > included ? overageUnitPriceMicros(p) : 0);
            fired.push(...d.thresholdsCrossed);
            used = d.usedAfter;
          }
          expect(new Set(fired).size).toBe(fired.length);
        },
      ),
    );
  });

  it('validates plans', () => {
    expect(validatePlanQuota(plan)).toEqual([]);
    expect(
      validatePlanQuota({
        includedConversations: -1,
        monthlyFeeMicros: 0.5,
        overageMarkupPercent: 25,
        maxUsagePercent: 50,
      }),
    ).toEqual([
      'includedConversations must be a non-negative integer',
      'monthlyFeeMicros must be a non-negative integer small enough for exact overage arithmetic',
      'maxUsagePercent must be an integer ≥ 100',
    ]);
  });
});

describe('billing months (UTC)', () => {
  it('names the month and its bounds, exact at the edges', () => {
    const start = Date.UTC(2026, 10, 1);
    expect(billingMonth(start)).toBe('2026-11');
    expect(billingMonth(start - 1)).toBe('2026-10');
    expect(billingMonthRange(start + 5)).toEqual({ startMs: start, endMs: Date.UTC(2026, 11, 1) });
    expect(billingMonthRange(Date.UTC(2026, 11, 31, 23, 59))).toEqual({
      startMs: Date.UTC(2026, 11, 1),
      endMs: Date.UTC(2027, 0, 1),
    });
  });
});
