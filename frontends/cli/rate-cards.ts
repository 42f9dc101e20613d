import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, type ParloConfig } from '../../config/index.ts';
import { CURRENCY, DEFAULT_RATE_CARD, validateRateCards, type RateCard } from '../../actors/billing/rate-card.ts';

const Micros = z.number().int().min(0).max(1_000_000_000);
const CountryRatesSchema = z
  .object({
    marketing: Micros,
    utility: Micros,
    authentication: Micros,
    authenticationInternational: Micros.nullable(),
    service: Micros,
  })
  .strict();
const RateCardSchema = z
  .object({
    version: z.number().int().min(1),
    effectiveFrom: z.iso.datetime({ offset: true }),
    currency: z.literal(CURRENCY),
    policy: z
      .object({ freeEntryPointFree: z.boolean(), serviceFree: z.boolean(), utilityFreeInServiceWindow: z.boolean() })
      .strict(),
    rates: z.record(
      z.string().regex(/^([A-Z]{2}|other)$/, 'an ISO country code (e.g. IT) or "other"'),
      CountryRatesSchema,
    ),
  })
  .strict();
const RateCardsFileSchema = z.object({ cards: z.array(RateCardSchema).min(1) }).strict();

const SETTING = 'billing.rateCardsFile';

/**
 * The rate cards messages are priced with. Without `billing.rateCardsFile`: the built-in card (DEFAULT_RATE_CARD,
 * docs/pricing.md). With it: the cards of that JSON file, `{ "cards": [ { version, effectiveFrom, currency,
 * policy, rates } ] }`, in force from their `effectiveFrom` (ISO 8601), versions unique and increasing with time.
 * Keep the older cards in the file: a message reserved under a version is settled with it. A bad file stops the
 * start with a message naming the file and the field.
 */
export function rateCardsOf(config: ParloConfig): readonly [RateCard, ...RateCard[]] {
  const file = config.billing.rateCardsFile;
  if (file === '') return [DEFAULT_RATE_CARD];
  return loadRateCards(file);
}

export function loadRateCards(file: string): readonly [RateCard, ...RateCard[]] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([
      { path: SETTING, source: file, message: `cannot read the rate cards: ${(err as Error).message}` },
    ]);
  }
  const parsed = RateCardsFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => ({
        path: SETTING,
        source: file,
        message: `${issue.path.join('.') || '(root)'}: ${issue.message}`,
      })),
    );
  }
  const cards = parsed.data.cards.map((card): RateCard => ({
    version: card.version,
    effectiveFromMs: Date.parse(card.effectiveFrom),
    currency: card.currency,
    policy: card.policy,
    rates: card.rates,
  }));
  const problems = validateRateCards(cards);
  if (problems.length > 0) {
    throw new ConfigError(problems.map((message) => ({ path: SETTING, source: file, message })));
  }
  const [first, ...rest] = [...cards].sort((a, b) => a.effectiveFromMs - b.effectiveFromMs);
  return [first!, ...rest];
}
