import { priceMessage, type RateCard } from '../billing/rate-card.ts';
import type { MessagingLimit } from '../number/tier.ts';
import type { SnapshotRecipient } from './audience.ts';
import type { SkipReason } from './recipient-outcome.ts';

/**
 * The pre-flight of a campaign (issue #6, 3), pure: from the screened audience (audience.ts `snapshotRecipient`,
 * as a run would take it now) and the facts of the organisation — rate card, the number's pace, the portfolio's
 * messaging limit, the wallet — what the launch would do: who is excluded and why, what it costs by country, how
 * long it takes, how much of the day's messaging limit it uses, and whether the wallet covers it. `problems` are
 * what refuses a launch; `warnings` are worth reading but do not.
 */

/** Excluded recipients listed one by one, at most (their counts by reason are always whole). */
export const MAX_LISTED_EXCLUSIONS = 10_000;

export interface PreflightFacts {
  readonly nowMs: number;
  readonly category: 'marketing' | 'utility';
  readonly rateCard: RateCard;
  /** The number's sending pace (messages per second). */
  readonly ratePerSec: number;
  /** The portfolio's business-initiated limit (unique customers in a moving 24 h; null: unlimited) and use. */
  readonly tier: { readonly limit: MessagingLimit; readonly count: number };
  /** What the wallet can still hold (balance − reserved), or null when the caller may not see the wallet. */
  readonly availableMicros: number | null;
  /** Templates that cannot be sent, by variant: `"A: promo (it) is PENDING"`. */
  readonly templateProblems: readonly string[];
}

export interface CountryCost {
  readonly country: string;
  readonly recipients: number;
  readonly unitMicros: number;
  readonly totalMicros: number;
}

export interface PreflightProblem {
  readonly code: 'no_eligible_recipient' | 'template_not_sendable' | 'insufficient_credit';
  readonly message: string;
}

export interface Preflight {
  readonly audience: number;
  readonly eligible: number;
  readonly excludedByReason: Readonly<Partial<Record<SkipReason, number>>>;
  /** In audience order, at most MAX_LISTED_EXCLUSIONS. */
  readonly excluded: readonly { readonly key: string; readonly reason: SkipReason }[];
  readonly excludedListComplete: boolean;
  readonly cost: { readonly totalMicros: number; readonly byCountry: readonly CountryCost[] };
  /** At the number's pace, without time zones or quiet hours. */
  readonly durationSec: number;
  readonly tier: {
    readonly limit: MessagingLimit;
    readonly usedLast24h: number;
    /** Share of the limit the campaign needs on top (0–∞; null when unlimited). */
    readonly campaignShare: number | null;
    readonly fitsToday: boolean;
  };
  readonly wallet: { readonly availableMicros: number | null; readonly sufficient: boolean | null };
  readonly problems: readonly PreflightProblem[];
  readonly warnings: readonly string[];
}

export function preflight(recipients: readonly SnapshotRecipient[], facts: PreflightFacts): Preflight {
  const excludedByReason: Partial<Record<SkipReason, number>> = {};
  const excluded: { key: string; reason: SkipReason }[] = [];
  const byCountry = new Map<string, number>();
  let eligible = 0;
  for (const recipient of recipients) {
    if (recipient.skip !== null) {
      excludedByReason[recipient.skip] = (excludedByReason[recipient.skip] ?? 0) + 1;
      if (excluded.length < MAX_LISTED_EXCLUSIONS) excluded.push({ key: recipient.key, reason: recipient.skip });
      continue;
    }
    eligible++;
    byCountry.set(recipient.country, (byCountry.get(recipient.country) ?? 0) + 1);
  }
  const costs: CountryCost[] = [...byCountry.entries()]
    .map(([country, count]) => {
      // Priced as business-initiated (outside any service window): what a campaign mostly is; an estimate above
      // the actual cost for customers who wrote within 24 h.
      const unitMicros = priceMessage({
        category: facts.category,
        recipientCountry: country,
        insideServiceWindow: false,
        insideFreeEntryPoint: false,
        rateCard: facts.rateCard,
      }).amountMicros;
      return { country, recipients: count, unitMicros, totalMicros: unitMicros * count };
    })
    .sort((a, b) => b.totalMicros - a.totalMicros || (a.country < b.country ? -1 : 1));
  const totalMicros = costs.reduce((sum, c) => sum + c.totalMicros, 0);
  const limit = facts.tier.limit;
  const fitsToday = limit === null || facts.tier.count + eligible <= limit;
  const sufficient = facts.availableMicros === null ? null : facts.availableMicros >= totalMicros;

  const problems: PreflightProblem[] = [];
  if (eligible === 0) {
    problems.push({ code: 'no_eligible_recipient', message: 'no recipient of the audience can be sent the campaign' });
  }
  for (const problem of facts.templateProblems) problems.push({ code: 'template_not_sendable', message: problem });
  if (sufficient === false) {
    problems.push({
      code: 'insufficient_credit',
      message: `the campaign costs about €${euros(totalMicros)} and the wallet can hold €${euros(facts.availableMicros!)}: top up first`,
    });
  }
  const warnings: string[] = [];
  if (!fitsToday) {
    warnings.push(
      `the portfolio may reach ${limit} business-initiated customers in 24 h (${facts.tier.count} used): ` +
        `${facts.tier.count + eligible - limit} recipients will wait until customers drop out of the moving 24 h`,
    );
  }
  return {
    audience: recipients.length,
    eligible,
    excludedByReason,
    excluded,
    excludedListComplete: excluded.length === recipients.length - eligible,
    cost: { totalMicros, byCountry: costs },
    durationSec: facts.ratePerSec > 0 ? Math.ceil(eligible / facts.ratePerSec) : 0,
    tier: {
      limit,
      usedLast24h: facts.tier.count,
      campaignShare: limit === null ? null : eligible / limit,
      fitsToday,
    },
    wallet: { availableMicros: facts.availableMicros, sufficient },
    problems,
    warnings,
  };
}

function euros(micros: number): string {
  return (micros / 1_000_000).toFixed(2);
}
