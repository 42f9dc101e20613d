/**
 * What a message costs, and the plan-quota arithmetic, pure (STYLE rule 3). WHATSAPP.md 4.6–4.7; issue #5, 4.
 *
 * **Per-message pricing (Meta's PMP, since 1 Jul 2025).** One function holds the rules, `priceMessage`; the rates
 * and the switchable parts of the rules are data (`RateCard`), so a Meta price change is a new card version, not a
 * code change. In order:
 *   1. inside an open free entry point window every message is free            → rule `freeEntryPoint`
 *   2. service (free-form, non-template) messages are free                     → rule `serviceFree`
 *   3. utility templates inside an open customer-service window are free       → rule `utilityInServiceWindow`
 *   4. authentication to a country with an authentication-international rate, from a business based elsewhere
 *      (or a message Meta already classified `authentication_international`)  → rule `authenticationInternational`
 *   5. otherwise the category's rate of the recipient's country (`other` when the card has no row for it) → rule
 *      `marketing` | `utility` | `authentication` | `service`. Marketing is always billable (no free rule
 *      applies to it except the free entry point).
 * Rules 1–3 can each be switched off by the card's `policy` (Meta announced paid service messages and paid
 * in-window utility for 1 Oct 2026, WHATSAPP.md 4.7: that is a card with `serviceFree: false`,
 * `utilityFreeInServiceWindow: false` and service rates). Volume tiers (cheaper utility/authentication at high
 * monthly volume) are not modelled: configure the card with the rate you actually pay.
 *
 * **When it is charged.** Meta bills a template on *delivery*: the caller prices the message when it is sent (to
 * check the wallet) and writes the charge when the status merge first proves delivery (`isDelivered`), once.
 *
 * **Money.** Integer micro-euros (1 EUR = 1,000,000), never floats. The default card below is **illustrative**:
 * Germany's EUR prices as Meta published them for July 2025 (marketing €0.1131, utility and authentication
 * €0.0456); the other rows are Meta's July 2025 USD list prices × 0.8286 (the EUR/USD ratio of those German
 * prices), rounded to €0.0001. They are defaults for development and demos, to be replaced by the operator's
 * configured card (from Meta's current EUR rate card or the BSP's invoice).
 *
 * **Plan quota.** A plan includes N conversations a month (a conversation = a 24 h window opened by a business or
 * customer message, `opensPlanConversation` in conversation/window.ts). Beyond N, conversations cost the plan's
 * per-conversation price + 25 % each, up to 300 % of N in total; beyond that, business-initiated conversations
 * are refused until the month ends or the plan changes. Customer-initiated ones are never refused (a customer's
 * message cannot be sent back): they are counted and charged at the overage price. Events fire when the usage
 * reaches 80 %, 100 % and the cap (300 %). Months are calendar months in UTC.
 *
 * Bounds and cost: `priceMessage` is O(1) (two record lookups); `rateCardAt` is O(number of cards); the quota
 * functions are O(1) integer arithmetic.
 */

export const MESSAGE_CATEGORIES = [
  'marketing',
  'utility',
  'authentication',
  'authentication_international',
  'service',
] as const;
export type MessageCategory = (typeof MESSAGE_CATEGORIES)[number];

export const CURRENCY = 'EUR';
export type Currency = typeof CURRENCY;
export const MICROS_PER_UNIT = 1_000_000;
/** The rates row used for countries the card does not list. */
export const OTHER_COUNTRY = 'other';

/** One country's prices per delivered message, in integer micro-euros. */
export interface CountryRates {
  readonly marketing: number;
  readonly utility: number;
  readonly authentication: number;
  /** Only in countries where Meta has an authentication-international rate; null elsewhere. */
  readonly authenticationInternational: number | null;
  /** What a service message costs when `policy.serviceFree` is off (0 today). */
  readonly service: number;
}

/** The free rules a card applies (Meta's rules as of July 2025 are all true). */
export interface RateCardPolicy {
  readonly freeEntryPointFree: boolean;
  readonly serviceFree: boolean;
  readonly utilityFreeInServiceWindow: boolean;
}

export interface RateCard {
  /** Increases with each new card; identifies the card a charge was priced with. */
  readonly version: number;
  /** In force from this instant (inclusive) until the next card's. */
  readonly effectiveFromMs: number;
  readonly currency: Currency;
  readonly policy: RateCardPolicy;
  /** ISO country (or `other`) → rates. Must contain `other`. */
  readonly rates: Readonly<Record<string, CountryRates>>;
}

export const PRICE_RULES = [
  'freeEntryPoint',
  'serviceFree',
  'utilityInServiceWindow',
  'marketing',
  'utility',
  'authentication',
  'authenticationInternational',
  'service',
] as const;
export type PriceRule = (typeof PRICE_RULES)[number];

export interface PriceInput {
  readonly category: MessageCategory;
  /** ISO country of the recipient's phone number (contacts/phone-country.ts), or `other`. */
  readonly recipientCountry: string;
  readonly insideServiceWindow: boolean;
  readonly insideFreeEntryPoint: boolean;
  readonly rateCard: RateCard;
  /** The business's primary country (for authentication-international); unknown = not international. */
  readonly businessCountry?: string | null;
}

export interface Price {
  readonly billable: boolean;
  readonly amountMicros: number;
  readonly currency: Currency;
  readonly rule: PriceRule;
  readonly rateCardVersion: number;
  /** The card row that was used (the country, or `other`). */
  readonly ratesKey: string;
}

/** The price of one message; the rules are listed in the module header. */
export function priceMessage(input: PriceInput): Price {
  const { rateCard: card, category } = input;
  const ratesKey = Object.hasOwn(card.rates, input.recipientCountry) ? input.recipientCountry : OTHER_COUNTRY;
  const rates = card.rates[ratesKey];
  if (rates === undefined) throw new Error(`rate card ${card.version} has no '${OTHER_COUNTRY}' rates`);
  const free = (rule: PriceRule): Price => ({
    billable: false,
    amountMicros: 0,
    currency: card.currency,
    rule,
    rateCardVersion: card.version,
    ratesKey,
  });
  const paid = (rule: PriceRule, amountMicros: number): Price => ({
    billable: amountMicros > 0,
    amountMicros,
    currency: card.currency,
    rule,
    rateCardVersion: card.version,
    ratesKey,
  });

  if (input.insideFreeEntryPoint && card.policy.freeEntryPointFree) return free('freeEntryPoint');
  switch (category) {
    case 'service':
      return card.policy.serviceFree ? free('serviceFree') : paid('service', rates.service);
    case 'utility':
      return input.insideServiceWindow && card.policy.utilityFreeInServiceWindow
        ? free('utilityInServiceWindow')
        : paid('utility', rates.utility);
    case 'marketing':
      return paid('marketing', rates.marketing);
    case 'authentication':
    case 'authentication_international': {
      const internationalRate = rates.authenticationInternational;
      const isInternational =
        category === 'authentication_international' ||
        (input.businessCountry != null && input.businessCountry !== input.recipientCountry);
      return internationalRate !== null && isInternational
        ? paid('authenticationInternational', internationalRate)
        : paid('authentication', rates.authentication);
    }
    default:
      return unknownCategory(category);
  }
}

function unknownCategory(category: never): never {
  throw new Error(`unknown message category ${String(category)}`);
}

/**
 * Our category for Meta's `pricing.category` of a status webhook: `marketing_lite` is priced as marketing;
 * `referral_conversion` (a free entry point) and unknown values give null (the caller treats the message as
 * free entry point or leaves it to its own category).
 */
export function categoryOfMetaPricing(metaCategory: string): MessageCategory | null {
  if (metaCategory === 'marketing_lite') return 'marketing';
  return (MESSAGE_CATEGORIES as readonly string[]).includes(metaCategory) ? (metaCategory as MessageCategory) : null;
}

/** The card in force at `atMs`: the latest `effectiveFromMs` ≤ atMs (the higher version on a tie); null if none. */
export function rateCardAt(cards: readonly RateCard[], atMs: number): RateCard | null {
  let best: RateCard | null = null;
  for (const card of cards) {
    if (card.effectiveFromMs > atMs) continue;
    if (
      best === null ||
      card.effectiveFromMs > best.effectiveFromMs ||
      (card.effectiveFromMs === best.effectiveFromMs && card.version > best.version)
    )
      best = card;
  }
  return best;
}

/** Problems with a card (empty when valid), for configuration loading. */
export function validateRateCard(card: RateCard): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(card.version) || card.version < 1) problems.push('version must be a positive integer');
  if (!Number.isSafeInteger(card.effectiveFromMs)) problems.push('effectiveFromMs must be an integer');
  if ((card.currency as string) !== CURRENCY) problems.push(`currency must be ${CURRENCY}`);
  if (!Object.hasOwn(card.rates, OTHER_COUNTRY)) problems.push(`rates must contain '${OTHER_COUNTRY}'`);
  for (const [country, rates] of Object.entries(card.rates)) {
    if (country !== OTHER_COUNTRY && !/^[A-Z]{2}$/.test(country))
      problems.push(`rates: '${country}' is not an ISO country code`);
    for (const [name, value] of Object.entries(rates) as [string, number | null][]) {
      if (value === null && name === 'authenticationInternational') continue;
      if (!isMicros(value)) problems.push(`rates.${country}.${name} must be a non-negative integer (micros)`);
    }
  }
  return problems;
}

/** Several cards: each valid, versions unique and increasing with their start times. */
export function validateRateCards(cards: readonly RateCard[]): string[] {
  const problems = cards.flatMap((card) => validateRateCard(card).map((p) => `version ${card.version}: ${p}`));
  const sorted = [...cards].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    const card = sorted[i]!;
    if (card.version === previous.version) problems.push(`version ${card.version} appears twice`);
    else if (card.effectiveFromMs < previous.effectiveFromMs)
      problems.push(`version ${card.version} starts before version ${previous.version}`);
  }
  return problems;
}

function isMicros(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

// ---- the default card (illustrative, see the header) ----

type Rates4 = readonly [marketing: number, utility: number, authentication: number, authInternational: number | null];

/** Meta's markets (July 2025) in micro-euros: [marketing, utility, authentication, authentication-international]. */
export const DEFAULT_MARKET_RATES: Readonly<Record<string, Rates4>> = {
  AR: [51_200, 21_500, 21_500, null],
  BR: [51_800, 5_600, 5_600, null],
  CL: [73_700, 16_600, 16_600, null],
  CO: [10_400, 700, 700, null],
  EG: [53_400, 3_000, 3_000, 53_900],
  FR: [71_200, 24_900, 24_900, null],
  DE: [113_100, 45_600, 45_600, null],
  IN: [8_900, 1_200, 1_200, 23_200],
  ID: [34_100, 20_700, 20_700, 112_700],
  IL: [29_200, 4_400, 4_400, null],
  IT: [57_300, 24_900, 24_900, null],
  MY: [71_300, 11_600, 11_600, 34_600],
  MX: [25_300, 7_000, 7_000, null],
  NL: [132_300, 41_400, 41_400, null],
  NG: [42_800, 5_600, 5_600, 62_100],
  PK: [39_200, 4_500, 4_500, 62_100],
  PE: [58_200, 16_600, 16_600, null],
  RU: [66_500, 33_100, 33_100, null],
  SA: [37_700, 9_500, 9_500, 49_500],
  ZA: [31_400, 6_300, 6_300, 16_600],
  ES: [51_000, 16_600, 16_600, null],
  TR: [9_000, 4_400, 4_400, null],
  AE: [31_800, 13_000, 13_000, 14_700],
  GB: [43_800, 18_200, 18_200, null],
  northAmerica: [20_700, 3_300, 3_300, null],
  restOfAfrica: [18_600, 3_300, 3_300, null],
  restOfAsiaPacific: [60_700, 9_400, 9_400, null],
  restOfCentralEasternEurope: [71_300, 17_600, 17_600, null],
  restOfLatinAmerica: [61_300, 9_400, 9_400, null],
  restOfMiddleEast: [28_300, 7_500, 7_500, null],
  restOfWesternEurope: [49_100, 14_200, 14_200, null],
  other: [50_000, 6_400, 6_400, null],
};

/** Countries of Meta's regional markets; countries in neither a market of their own nor a region use `other`. */
export const DEFAULT_REGION_COUNTRIES: Readonly<Record<string, string>> = {
  northAmerica: 'US CA',
  restOfWesternEurope: 'AT BE DK FI GR IE NO PT SE CH',
  restOfCentralEasternEurope: 'AL AM AZ BY BG HR CZ GE HU LV LT MD MK PL RO RS SK SI UA',
  restOfLatinAmerica: 'BO CR DO EC SV GT HT HN JM NI PA PY PR UY VE',
  restOfMiddleEast: 'BH IQ JO KW LB OM QA YE',
  restOfAsiaPacific: 'AF AU BD KH CN HK JP LA MN NP NZ PG PH SG LK TW TJ TM UZ VN',
  restOfAfrica:
    'DZ AO BJ BW BF BI CM TD CG ER ET GA GM GH GW CI KE LS LR LY MG MW ML MR MA MZ NA NE RW SN SL SO SS SD SZ TZ TG TN UG ZM ZW',
};

function ratesOf([marketing, utility, authentication, authenticationInternational]: Rates4): CountryRates {
  return { marketing, utility, authentication, authenticationInternational, service: 0 };
}

function buildDefaultRates(): Record<string, CountryRates> {
  const rates: Record<string, CountryRates> = {};
  for (const [region, countries] of Object.entries(DEFAULT_REGION_COUNTRIES))
    for (const country of countries.split(' ')) rates[country] = ratesOf(DEFAULT_MARKET_RATES[region]!);
  for (const [market, row] of Object.entries(DEFAULT_MARKET_RATES))
    if (!Object.hasOwn(DEFAULT_REGION_COUNTRIES, market)) rates[market] = ratesOf(row);
  return rates;
}

/** 1 Jul 2025 00:00 UTC: the start of per-message pricing. */
export const PMP_START_MS = Date.UTC(2025, 6, 1);

/** The default card: illustrative EUR prices (see the header); configure the real one. */
export const DEFAULT_RATE_CARD: RateCard = {
  version: 1,
  effectiveFromMs: PMP_START_MS,
  currency: CURRENCY,
  policy: { freeEntryPointFree: true, serviceFree: true, utilityFreeInServiceWindow: true },
  rates: buildDefaultRates(),
};

// ---- plan quota ----

export const DEFAULT_OVERAGE_MARKUP_PERCENT = 25;
export const DEFAULT_MAX_USAGE_PERCENT = 300;
export const QUOTA_WARNING_PERCENT = 80;

export interface PlanQuota {
  /** Conversations included per month (≥ 1 for overage to have a price; 0 = no business-initiated use). */
  readonly includedConversations: number;
  readonly monthlyFeeMicros: number;
  /** An extra conversation costs the included one's price plus this (25 %). */
  readonly overageMarkupPercent: number;
  /** Total usage allowed, in percent of the included conversations (300 %). */
  readonly maxUsagePercent: number;
}

export type ConversationInitiator = 'business' | 'customer';

export interface QuotaDecision {
  readonly allowed: boolean;
  /** `included`, `overage`, or `blocked` (business-initiated beyond the cap). */
  readonly reason: 'included' | 'overage' | 'blocked';
  readonly chargeMicros: number;
  /** The month's count after this conversation (unchanged when blocked). */
  readonly usedAfter: number;
  /** Usage levels reached by this conversation, among 80, 100 and `maxUsagePercent` (events to emit). */
  readonly thresholdsCrossed: readonly number[];
}

/** The price of one extra conversation: the included one's price (fee / included) + markup, rounded up. */
export function overageUnitPriceMicros(plan: PlanQuota): number {
  if (plan.includedConversations <= 0) return 0;
  return ceilDiv(plan.monthlyFeeMicros * (100 + plan.overageMarkupPercent), plan.includedConversations * 100);
}

/** ⌈n / d⌉ for non-negative safe integers, exact (a float quotient alone may round across an integer). */
function ceilDiv(n: number, d: number): number {
  let q = Math.floor(n / d);
  if (q * d < n) q += 1;
  if (q > 0 && (q - 1) * d >= n) q -= 1;
  return q;
}

/** The most conversations a month may hold with business-initiated ones allowed. */
export function maxConversations(plan: PlanQuota): number {
  return Math.floor((plan.includedConversations * plan.maxUsagePercent) / 100);
}

/** The usage count at which `percent` of the included conversations is reached (rounded up). */
export function thresholdCount(plan: PlanQuota, percent: number): number {
  return Math.ceil((plan.includedConversations * percent) / 100);
}

/** Whether one more conversation may start, what it costs, and which thresholds it reaches. */
export function quotaDecision(plan: PlanQuota, usedBefore: number, initiator: ConversationInitiator): QuotaDecision {
  const usedAfter = usedBefore + 1;
  if (usedAfter > maxConversations(plan) && initiator === 'business')
    return { allowed: false, reason: 'blocked', chargeMicros: 0, usedAfter: usedBefore, thresholdsCrossed: [] };
  const isOverage = usedAfter > plan.includedConversations;
  const thresholdsCrossed = [QUOTA_WARNING_PERCENT, 100, plan.maxUsagePercent].filter((percent, i, all) => {
    const at = thresholdCount(plan, percent);
    return all.indexOf(percent) === i && at >= 1 && usedBefore < at && usedAfter >= at;
  });
  return {
    allowed: true,
    reason: isOverage ? 'overage' : 'included',
    chargeMicros: isOverage ? overageUnitPriceMicros(plan) : 0,
    usedAfter,
    thresholdsCrossed,
  };
}

/** Problems with a plan (empty when valid). */
export function validatePlanQuota(plan: PlanQuota): string[] {
  const problems: string[] = [];
  if (!Number.isSafeInteger(plan.includedConversations) || plan.includedConversations < 0)
    problems.push('includedConversations must be a non-negative integer');
  if (!Number.isSafeInteger(plan.overageMarkupPercent) || plan.overageMarkupPercent < 0)
    problems.push('overageMarkupPercent must be a non-negative integer');
  else if (
    !isMicros(plan.monthlyFeeMicros) ||
    plan.monthlyFeeMicros * (100 + plan.overageMarkupPercent) > Number.MAX_SAFE_INTEGER
  )
    problems.push('monthlyFeeMicros must be a non-negative integer small enough for exact overage arithmetic');
  if (!Number.isSafeInteger(plan.maxUsagePercent) || plan.maxUsagePercent < 100)
    problems.push('maxUsagePercent must be an integer ≥ 100');
  return problems;
}

/** The billing month (UTC) of an instant: `2026-11`. */
export function billingMonth(atMs: number): string {
  const date = new Date(atMs);
  return `${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Start (inclusive) and end (exclusive) of the billing month of `atMs`, for a month-end timer. */
export function billingMonthRange(atMs: number): { readonly startMs: number; readonly endMs: number } {
  const date = new Date(atMs);
  return {
    startMs: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1),
    endMs: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1),
  };
}
