import { ParloError, type ActorSystem } from '../../../core/index.ts';
import {
  snapshotRecipient,
  unknownContactSummary,
  type CampaignVariant,
  type SnapshotRecipient,
} from '../../../actors/campaigns/audience.ts';
import type { AudienceQuery } from '../../../actors/campaigns/campaign-run.messages.ts';
import type { CampaignDefinition } from '../../../actors/campaigns/campaign.messages.ts';
import { preflight, type Preflight } from '../../../actors/campaigns/preflight.ts';
import { trackedButtonProblem, withClickTokens } from '../../../actors/campaigns/tracked-link.ts';
import { rateCardAt, type RateCard } from '../../../actors/billing/rate-card.ts';
import { walletAddress, type WalletReplies } from '../../../actors/billing/wallet.messages.ts';
import type { ContactSummary } from '../../../actors/contacts/contact-filter.ts';
import {
  contactIndexAddress,
  MAX_AUDIENCE_PAGE,
  type ContactIndexReplies,
} from '../../../actors/contacts/contact-index.actor.ts';
import { segmentsAddress, type SegmentsReplies } from '../../../actors/contacts/segments.actor.ts';
import { MAX_QUEUED_SENDS, NUMBER_KIND, type NumberReplies } from '../../../actors/number/number.messages.ts';
import { PORTFOLIO_KIND, type PortfolioReplies } from '../../../actors/portfolio/portfolio.actor.ts';
import { hasMediaHeader } from '../../../actors/templates/template-message.ts';
import { previewTemplate, valuesFromMapping } from '../../../actors/templates/template-preview.ts';
import { TEMPLATES_KIND, templatesActorId, type TemplatesReply } from '../../../actors/templates/templates.messages.ts';
import type { TemplateDefinition } from '../../../actors/templates/template.types.ts';
import { indexFilterOf } from './campaign-input.ts';

/**
 * What launching a campaign needs from the rest of the platform, gathered by the HTTP layer (issue #6, 3): the
 * variants' templates (approved, of the campaign's category, their variables all mapped), the audience as a run
 * would take it now (screened page by page from the contact index, the same `snapshotRecipient` the run uses),
 * and the facts of the pre-flight: the number's pace, the portfolio's messaging limit, the wallet.
 */

export interface LaunchResolution {
  readonly variants: readonly CampaignVariant[];
  readonly audience: AudienceQuery;
  readonly templateProblems: readonly string[];
}

/**
 * Where this node's click redirect is (`<public URL>`, tracked buttons must open `<public URL>/r/{{1}}`), or null
 * when it has none: then no campaign may track clicks.
 */
export type ClickBaseUrl = (() => string) | null;

/**
 * Why a variant's tracked buttons cannot be tracked with `template` (each naming the field), or nothing. Without a
 * redirect on this node every tracked button is refused.
 */
export function trackedButtonTemplateProblems(
  template: TemplateDefinition,
  variant: CampaignDefinition['variants'][number],
  at: string,
  clickBaseUrl: ClickBaseUrl,
): string[] {
  if (clickBaseUrl === null) return noRedirectProblems(variant, at);
  return (variant.trackedButtons ?? []).flatMap(({ button }, j) => {
    const problem = trackedButtonProblem(template, button, clickBaseUrl());
    return problem === null ? [] : [`${at}.trackedButtons[${j}]: ${problem}`];
  });
}

function noRedirectProblems(variant: CampaignDefinition['variants'][number], at: string): string[] {
  return (variant.trackedButtons ?? []).map(
    (_, j) => `${at}.trackedButtons[${j}]: this node has no click redirect, so it cannot track clicks`,
  );
}

/**
 * Refuses a definition whose tracked buttons their templates cannot carry (PARLO_CAMPAIGN_LINK_UNTRACKABLE, every
 * problem named), at create and edit. A template that does not exist yet is checked by the launch's pre-flight.
 */
export async function assertTrackableButtons(
  system: ActorSystem,
  orgId: string,
  definition: CampaignDefinition,
  clickBaseUrl: ClickBaseUrl,
): Promise<void> {
  const problems: string[] = [];
  const templates = { kind: TEMPLATES_KIND, id: templatesActorId(orgId, definition.wabaId) };
  for (const [i, variant] of definition.variants.entries()) {
    if ((variant.trackedButtons ?? []).length === 0) continue;
    if (clickBaseUrl === null) {
      problems.push(...noRedirectProblems(variant, `variants[${i}]`));
      continue;
    }
    const found = await system.ask<TemplatesReply<'findTemplate'>>(templates, {
      type: 'findTemplate',
      name: variant.template.name,
      language: variant.template.language,
    });
    if (!found.ok || found.template.definition === null) continue;
    problems.push(...trackedButtonTemplateProblems(found.template.definition, variant, `variants[${i}]`, clickBaseUrl));
  }
  if (problems.length > 0) {
    throw new ParloError('PARLO_CAMPAIGN_LINK_UNTRACKABLE', problems.join('; '), { problems });
  }
}

/** The variants with their template definitions, and what keeps each from being sent. */
export async function resolveLaunch(
  system: ActorSystem,
  orgId: string,
  definition: CampaignDefinition,
  nowMs: number,
  clickBaseUrl: ClickBaseUrl = null,
): Promise<LaunchResolution> {
  const templates = { kind: TEMPLATES_KIND, id: templatesActorId(orgId, definition.wabaId) };
  const templateProblems: string[] = [];
  const variants: CampaignVariant[] = [];
  for (const [i, variant] of definition.variants.entries()) {
    const label = `variant ${variant.id}: template ${variant.template.name} (${variant.template.language})`;
    const found = await system.ask<TemplatesReply<'findTemplate'>>(templates, {
      type: 'findTemplate',
      name: variant.template.name,
      language: variant.template.language,
    });
    if (!found.ok) {
      templateProblems.push(`${label} does not exist on account ${definition.wabaId}`);
      continue;
    }
    const record = found.template;
    if (record.definition === null) {
      templateProblems.push(`${label} was made outside Parlo: submit it through Parlo to send it in campaigns`);
      continue;
    }
    if (record.status !== 'APPROVED') templateProblems.push(`${label} is ${record.status}, not APPROVED`);
    if (record.category.toLowerCase() !== definition.category) {
      templateProblems.push(`${label} is ${record.category}, and the campaign is ${definition.category}`);
    }
    if (hasMediaHeader(record.definition) && variant.headerMedia === undefined) {
      templateProblems.push(`${label} has a media header: give headerMedia`);
    }
    templateProblems.push(...trackedButtonTemplateProblems(record.definition, variant, `variants[${i}]`, clickBaseUrl));
    // Every variable mapped: a fixed value, or a field (a contact without it takes the fallback or is skipped); a
    // tracked button's is the click token.
    const probe = withClickTokens(
      valuesFromMapping(record.definition, variant.variables, new Proxy({}, { get: () => 'x' })),
      variant.trackedButtons ?? [],
      () => 'token',
    );
    const check = previewTemplate(record.definition, probe);
    if (!check.ok) {
      templateProblems.push(
        `${label}: no value or field for ${check.missing.map((m) => `${m.component} {{${m.variable}}}`).join(', ')}`,
      );
    }
    variants.push({
      id: variant.id,
      weight: variant.weight,
      template: record.definition,
      variables: variant.variables,
      ...(variant.headerMedia ? { headerMedia: variant.headerMedia } : {}),
      ...(variant.trackedButtons ? { trackedButtons: variant.trackedButtons } : {}),
    });
  }
  return { variants, audience: await audienceQueryOf(system, orgId, definition, nowMs), templateProblems };
}

async function audienceQueryOf(
  system: ActorSystem,
  orgId: string,
  definition: CampaignDefinition,
  nowMs: number,
): Promise<AudienceQuery> {
  const audience = definition.audience;
  switch (audience.kind) {
    case 'keys':
      return { kind: 'keys', keys: [...new Set(audience.keys)] };
    case 'filter':
      return { kind: 'filter', filter: indexFilterOf(audience.filter, nowMs) };
    case 'segment': {
      const found = await system.ask<SegmentsReplies['getSegment']>(segmentsAddress(orgId), {
        type: 'getSegment',
        id: audience.segmentId,
      });
      if (!found.ok) throw new ParloError('PARLO_SEGMENT_NOT_FOUND', `audience: ${found.message}`);
      return { kind: 'filter', filter: indexFilterOf(found.segment.filter, nowMs) };
    }
  }
}

/** The audience screened as a run would snapshot it now. */
export async function screenedAudience(
  system: ActorSystem,
  orgId: string,
  campaign: {
    readonly id: string;
    readonly category: 'marketing' | 'utility';
    readonly variants: readonly CampaignVariant[];
  },
  query: AudienceQuery,
): Promise<SnapshotRecipient[]> {
  const index = contactIndexAddress(orgId);
  const out: SnapshotRecipient[] = [];
  const seen = new Set<string>();
  if (query.kind === 'filter') {
    let from: number | null = 0;
    while (from !== null) {
      const page: ContactIndexReplies['audiencePage'] = await system.ask(index, {
        type: 'audiencePage',
        filter: query.filter,
        fromBucket: from,
        maxEntries: MAX_AUDIENCE_PAGE,
      });
      for (const contact of page.contacts) out.push(snapshotRecipient(contact, campaign, seen));
      from = page.nextBucket;
    }
    return out;
  }
  for (let at = 0; at < query.keys.length; at += MAX_AUDIENCE_PAGE) {
    const keys = query.keys.slice(at, at + MAX_AUDIENCE_PAGE);
    const found: ContactIndexReplies['lookupContacts'] = await system.ask(index, { type: 'lookupContacts', keys });
    const byKey = new Map<string, ContactSummary>(found.contacts.map((c) => [c.key, c]));
    for (const key of keys) out.push(snapshotRecipient(byKey.get(key) ?? unknownContactSummary(key), campaign, seen));
  }
  return out;
}

export interface PreflightContext {
  readonly system: ActorSystem;
  readonly orgId: string;
  readonly campaignId: string;
  readonly definition: CampaignDefinition;
  readonly rateCards: readonly RateCard[];
  readonly nowMs: number;
  readonly clickBaseUrl?: ClickBaseUrl;
}

/** The pre-flight of the campaign now, with the launch resolution it was computed from. */
export async function runPreflight(
  context: PreflightContext,
): Promise<{ preflight: Preflight; resolution: LaunchResolution; ratePerSec: number }> {
  const { system, orgId, definition, nowMs } = context;
  const resolution = await resolveLaunch(system, orgId, definition, nowMs, context.clickBaseUrl ?? null);
  const campaign = { id: context.campaignId, category: definition.category, variants: resolution.variants };
  const [recipients, number, tier, wallet] = await Promise.all([
    resolution.variants.length === definition.variants.length
      ? screenedAudience(system, orgId, campaign, resolution.audience)
      : Promise.resolve([]),
    system.ask<NumberReplies['getNumberState']>(
      { kind: NUMBER_KIND, id: definition.phoneNumberId },
      {
        type: 'getNumberState',
      },
    ),
    system.ask<PortfolioReplies['getTier']>({ kind: PORTFOLIO_KIND, id: orgId }, { type: 'getTier' }),
    system.ask<WalletReplies['getWallet']>(walletAddress(orgId), {
      type: 'getWallet',
      by: { kind: 'system', id: 'campaign-preflight' },
    }),
  ]);
  const rateCard = rateCardAt(context.rateCards, nowMs) ?? context.rateCards[0]!;
  const ratePerSec = number.state.effectiveRatePerSec;
  return {
    preflight: preflight(recipients, {
      nowMs,
      category: definition.category,
      rateCard,
      ratePerSec,
      tier: { limit: tier.limit, count: tier.count },
      availableMicros: wallet.ok ? wallet.wallet.availableMicros : null,
      templateProblems: resolution.templateProblems,
    }),
    resolution,
    ratePerSec,
  };
}

/**
 * How many messages a run keeps on their way: two seconds of the number's pace (so its queue never runs dry
 * between reports), at least 100, at most half of what a number queues.
 */
export function creditWindowOf(ratePerSec: number): number {
  return Math.min(MAX_QUEUED_SENDS / 2, Math.max(100, Math.ceil(ratePerSec * 2)));
}
