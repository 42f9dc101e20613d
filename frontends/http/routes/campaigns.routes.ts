import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import type { RateCard } from '../../../actors/billing/rate-card.ts';
import {
  campaignAddress,
  CAMPAIGN_STATUSES,
  type CampaignMsg,
  type CampaignReplies,
  type CampaignView as CampaignState,
} from '../../../actors/campaigns/campaign.messages.ts';
import type { CampaignRunReplies, RunCounters, RunView } from '../../../actors/campaigns/campaign-run.messages.ts';
import {
  campaignsDirectoryAddress,
  MAX_CAMPAIGN_PAGE,
  type CampaignsDirectoryReplies,
} from '../../../actors/campaigns/campaigns-directory.actor.ts';
import {
  campaignRunAddress,
  campaignRunId,
  RECIPIENT_OUTCOMES,
  SKIP_REASONS,
} from '../../../actors/campaigns/recipient-outcome.ts';
import type { Preflight } from '../../../actors/campaigns/preflight.ts';
import { addDays, dayOf, groupUsage } from '../../../actors/billing/usage.ts';
import { USAGE_RETENTION_DAYS } from '../../../actors/billing/wallet.messages.ts';
import { ORG_NUMBERS_KIND, type OrgNumbersReply } from '../../../actors/numbers/numbers.messages.ts';
import { defineRoute, streamedResponse, type ApiRoute } from '../api/define-route.ts';
import { callerOf, okOrThrow } from '../auth/caller.ts';
import { CampaignDefinitionView, CampaignInput, definitionOf, definitionView } from './campaign-input.ts';
import { assertTrackableButtons, creditWindowOf, runPreflight } from './campaign-launch.ts';
import { csvLine } from './contacts-search.routes.ts';
import { iso } from './identity.routes.ts';
import { readUsageDays } from './usage-reader.ts';
import { auditActorOf } from './numbers.routes.ts';

/**
 * Campaigns (issue #6, 3–5): create a draft, edit it, pre-flight it (who is excluded and why, cost, duration, tier
 * share, wallet), launch it (refused with every blocking problem when it cannot complete), pause, resume, cancel,
 * and read each run's funnel per variant, its recipients' outcomes and its per-minute series (also as CSV).
 * Reading needs `campaigns:read`, everything else `campaigns:manage`. Clicks on tracked URL buttons (issue #6, 4)
 * are counted by the redirect (click-redirect.routes.ts) and show in every view of a run.
 */

export interface CampaignsRoutesDeps {
  readonly system: ActorSystem;
  readonly rateCards: readonly RateCard[];
  readonly now?: () => number;
  /**
   * This node's public URL, under which the click redirect answers (`<it>/r/<token>`); tracked buttons must open
   * it. Absent: campaigns cannot track clicks (refused with PARLO_CAMPAIGN_LINK_UNTRACKABLE).
   */
  readonly clickBaseUrl?: () => string;
}

const FUNNEL_COLUMNS = [
  'audience',
  'dispatched',
  'sent',
  'delivered',
  'read',
  'replied',
  'clicks',
  'uniqueClicks',
] as const;

const CampaignId = z.string().regex(/^cmp_[A-Za-z0-9_-]{1,40}$/);
const RunNumber = z.coerce.number().int().min(1).max(100_000);

const Counters = z
  .object({
    audience: z.number().int(),
    skipped: z.record(z.string(), z.number().int()).describe('By reason'),
    dispatched: z.number().int(),
    sent: z.number().int(),
    delivered: z.number().int(),
    read: z.number().int(),
    replied: z.number().int(),
    failed: z.record(z.string(), z.number().int()).describe("By Meta's code or a PARLO_ code"),
    clicks: z.number().int().describe('Clicks on tracked URL buttons, every one'),
    uniqueClicks: z.number().int().describe('Recipients who clicked a tracked button, each once'),
  })
  .meta({ id: 'CampaignCounters' });

const RunSummaryView = z.object({
  run: z.number().int(),
  startedAt: z.string(),
  status: z.string(),
  pausedReason: z.string().nullable(),
  total: Counters.nullable(),
});

const CampaignView = z
  .object({
    id: z.string(),
    status: z.enum(CAMPAIGN_STATUSES),
    pausedReason: z.string().nullable(),
    definition: CampaignDefinitionView,
    createdAt: z.string(),
    updatedAt: z.string(),
    launchedAt: z.string().nullable(),
    nextRunAt: z.string().nullable(),
    runs: z.array(RunSummaryView),
  })
  .meta({ id: 'Campaign' });

const RunViewSchema = z
  .object({
    runId: z.string(),
    run: z.number().int(),
    status: z.string(),
    pausedReason: z.string().nullable(),
    runAt: z.string(),
    snapshotAt: z.string().nullable(),
    firstSendAt: z.string().nullable(),
    dispatchFinishedAt: z.string().nullable(),
    nextReleaseAt: z.string().nullable(),
    inFlight: z.number().int(),
    total: Counters,
    variants: z.array(Counters.extend({ id: z.string() })),
  })
  .meta({ id: 'CampaignRun' });

const PreflightView = z
  .object({
    audience: z.number().int(),
    eligible: z.number().int(),
    excludedByReason: z.record(z.string(), z.number().int()),
    excluded: z.array(z.object({ key: z.string(), reason: z.string() })),
    excludedListComplete: z.boolean(),
    cost: z.object({
      totalMicros: z.number().int(),
      currency: z.string(),
      byCountry: z.array(
        z.object({
          country: z.string(),
          recipients: z.number().int(),
          unitMicros: z.number().int(),
          totalMicros: z.number().int(),
        }),
      ),
    }),
    durationSec: z.number().int().describe("At the number's current pace, before time zones and quiet hours"),
    ratePerSec: z.number(),
    tier: z.object({
      limit: z.number().int().nullable(),
      usedLast24h: z.number().int(),
      campaignShare: z.number().nullable(),
      fitsToday: z.boolean(),
    }),
    wallet: z.object({ availableMicros: z.number().int().nullable(), sufficient: z.boolean().nullable() }),
    problems: z.array(z.object({ code: z.string(), message: z.string() })),
    warnings: z.array(z.string()),
    launchable: z.boolean(),
  })
  .meta({ id: 'CampaignPreflight' });

function campaignView(campaign: CampaignState): z.input<typeof CampaignView> {
  return {
    id: campaign.id,
    status: campaign.status,
    pausedReason: campaign.pausedReason,
    definition: definitionView(campaign.definition),
    createdAt: iso(campaign.createdAtMs),
    updatedAt: iso(campaign.updatedAtMs),
    launchedAt: campaign.launchedAtMs === null ? null : iso(campaign.launchedAtMs),
    nextRunAt: campaign.nextRunAtMs === null ? null : iso(campaign.nextRunAtMs),
    runs: campaign.runs.map((r) => ({
      run: r.run,
      startedAt: iso(r.startedAtMs),
      status: r.status,
      pausedReason: r.pausedReason,
      total: r.total === null ? null : countersView(r.total),
    })),
  };
}

function countersView(c: RunCounters): z.input<typeof Counters> {
  // A run summary a campaign stored before clicks were counted has none.
  return {
    ...c,
    skipped: { ...c.skipped },
    failed: { ...c.failed },
    clicks: c.clicks ?? 0,
    uniqueClicks: c.uniqueClicks ?? 0,
  };
}

function runView(run: RunView): z.input<typeof RunViewSchema> {
  const at = (ms: number | null) => (ms === null ? null : iso(ms));
  return {
    runId: run.runId,
    run: run.run,
    status: run.status,
    pausedReason: run.pausedReason,
    runAt: iso(run.runAtMs),
    snapshotAt: at(run.snapshotAtMs),
    firstSendAt: at(run.firstSendAtMs),
    dispatchFinishedAt: at(run.dispatchFinishedAtMs),
    nextReleaseAt: at(run.nextReleaseAtMs),
    inFlight: run.inFlight,
    total: countersView(run.total),
    variants: run.variants.map((v) => ({ ...countersView(v), id: v.id })),
  };
}

function preflightView(p: Preflight, ratePerSec: number, currency: string): z.input<typeof PreflightView> {
  return {
    ...p,
    excludedByReason: { ...p.excludedByReason },
    excluded: [...p.excluded],
    cost: { totalMicros: p.cost.totalMicros, currency, byCountry: [...p.cost.byCountry] },
    ratePerSec,
    tier: { ...p.tier },
    wallet: { ...p.wallet },
    problems: [...p.problems],
    warnings: [...p.warnings],
    launchable: p.problems.length === 0,
  };
}

export function campaignRoutes(deps: CampaignsRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const now = deps.now ?? Date.now;
  const clickBaseUrl = deps.clickBaseUrl ?? null;
  const campaign = <T extends CampaignMsg['type'] & keyof CampaignReplies>(
    orgId: string,
    campaignId: string,
    msg: Extract<CampaignMsg, { type: T }>,
  ) => system.ask<CampaignReplies[T]>(campaignAddress(orgId, campaignId), msg);
  const existing = async (orgId: string, campaignId: string): Promise<CampaignState> =>
    okOrThrow(await campaign<'getCampaign'>(orgId, campaignId, { type: 'getCampaign' })).campaign;
  const wabaOf = async (orgId: string, phoneNumberId: string): Promise<string> => {
    const found = await system.ask<OrgNumbersReply<'getNumber'>>(
      { kind: ORG_NUMBERS_KIND, id: orgId },
      { type: 'getNumber', phoneNumberId },
    );
    if (!found.ok) throw new ParloError('PARLO_NUMBER_NOT_FOUND', `phoneNumberId: ${found.message}`);
    return found.number.wabaId;
  };
  const run = async (orgId: string, campaignId: string, runNo: number): Promise<RunView> => {
    const view = await existing(orgId, campaignId);
    if (!view.runs.some((r) => r.run === runNo)) {
      throw new ParloError('PARLO_CAMPAIGN_RUN_NOT_FOUND', `campaign ${campaignId} has no run ${runNo}`);
    }
    return okOrThrow(
      await system.ask<CampaignRunReplies['getRun']>(campaignRunAddress(campaignRunId(orgId, campaignId, runNo)), {
        type: 'getRun',
      }),
    ).run;
  };

  const create = defineRoute({
    method: 'POST',
    url: '/campaigns',
    operationId: 'createCampaign',
    summary: 'Create a campaign (a draft until launched)',
    description:
      'Variants name approved templates by name and language and map their variables to contact fields (with fallbacks) or fixed values; the audience is a segment, a contact filter, or up to 10,000 phone numbers or contact keys, snapshotted when a run starts. The schedule: now, at an instant, at a local time in each recipient’s time zone, or recurring. Quiet hours (21:00–09:00 by default) and weekdays hold in recipient time; marketing campaigns skip contacts sent marketing within `frequencyCapHours` (24 by default).',
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:manage'],
    body: CampaignInput,
    responses: { 201: CampaignView },
    async handler({ body, request }) {
      const caller = callerOf(request);
      const definition = definitionOf(body, await wabaOf(caller.orgId, body.phoneNumberId), now());
      await assertTrackableButtons(system, caller.orgId, definition, clickBaseUrl);
      const campaignId = `cmp_${randomBytes(12).toString('base64url')}`;
      const created = okOrThrow(
        await campaign<'createCampaign'>(caller.orgId, campaignId, {
          type: 'createCampaign',
          orgId: caller.orgId,
          campaignId,
          definition,
          by: auditActorOf(caller),
        }),
      );
      return { status: 201, body: campaignView(created.campaign) };
    },
  });

  const list = defineRoute({
    method: 'GET',
    url: '/campaigns',
    operationId: 'listCampaigns',
    summary: "The organisation's campaigns, newest first",
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:read'],
    query: z.object({
      status: z.enum(CAMPAIGN_STATUSES).optional(),
      limit: z.coerce.number().int().min(1).max(MAX_CAMPAIGN_PAGE).default(50),
      cursor: z.string().max(100).optional(),
    }),
    responses: {
      200: z.object({
        campaigns: z.array(
          z.object({
            id: z.string(),
            name: z.string(),
            status: z.string(),
            category: z.string(),
            phoneNumberId: z.string(),
            createdAt: z.string(),
            updatedAt: z.string(),
            nextRunAt: z.string().nullable(),
            runs: z.number().int(),
          }),
        ),
        total: z.number().int(),
        nextCursor: z.string().nullable(),
      }),
    },
    async handler({ query, request }) {
      const { orgId } = callerOf(request);
      const page = await system.ask<CampaignsDirectoryReplies['listCampaigns']>(campaignsDirectoryAddress(orgId), {
        type: 'listCampaigns',
        limit: query.limit,
        ...(query.status === undefined ? {} : { status: query.status }),
        ...(query.cursor === undefined ? {} : { before: query.cursor }),
      });
      return {
        status: 200,
        body: {
          campaigns: page.campaigns.map((c) => ({
            id: c.id,
            name: c.name,
            status: c.status,
            category: c.category,
            phoneNumberId: c.phoneNumberId,
            createdAt: iso(c.createdAtMs),
            updatedAt: iso(c.updatedAtMs),
            nextRunAt: c.nextRunAtMs === null ? null : iso(c.nextRunAtMs),
            runs: c.runs,
          })),
          total: page.total,
          nextCursor: page.nextBefore,
        },
      };
    },
  });

  const get = defineRoute({
    method: 'GET',
    url: '/campaigns/:campaignId',
    operationId: 'getCampaign',
    summary: 'A campaign: its definition, status and runs with their funnel',
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:read'],
    params: z.object({ campaignId: CampaignId }),
    responses: { 200: CampaignView },
    async handler({ params, request }) {
      return { status: 200, body: campaignView(await existing(callerOf(request).orgId, params.campaignId)) };
    },
  });

  const update = defineRoute({
    method: 'PUT',
    url: '/campaigns/:campaignId',
    operationId: 'updateCampaign',
    summary: 'Replace the definition of a draft campaign',
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:manage'],
    params: z.object({ campaignId: CampaignId }),
    body: CampaignInput,
    responses: { 200: CampaignView },
    async handler({ params, body, request }) {
      const { orgId } = callerOf(request);
      await existing(orgId, params.campaignId);
      const definition = definitionOf(body, await wabaOf(orgId, body.phoneNumberId), now());
      await assertTrackableButtons(system, orgId, definition, clickBaseUrl);
      const updated = okOrThrow(
        await campaign<'updateCampaign'>(orgId, params.campaignId, { type: 'updateCampaign', definition }),
      );
      return { status: 200, body: campaignView(updated.campaign) };
    },
  });

  const remove = defineRoute({
    method: 'DELETE',
    url: '/campaigns/:campaignId',
    operationId: 'deleteCampaign',
    summary: 'Delete a draft campaign',
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:manage'],
    params: z.object({ campaignId: CampaignId }),
    responses: { 204: null },
    async handler({ params, request }) {
      okOrThrow(
        await campaign<'deleteCampaign'>(callerOf(request).orgId, params.campaignId, { type: 'deleteCampaign' }),
      );
      return { status: 204 as const };
    },
  });

  const preflightRoute = defineRoute({
    method: 'POST',
    url: '/campaigns/:campaignId/preflight',
    operationId: 'preflightCampaign',
    summary: 'What launching the campaign now would do',
    description:
      'The audience screened as a run would take it now: eligible recipients, every excluded one with its reason (no consent, opted out, invalid number, duplicate, US marketing block, missing variable; at most 10,000 listed, all counted), the estimated cost by country from the rate card, the duration at the number’s pace, the share of the portfolio’s 24 h messaging limit, and whether the wallet covers it. `problems` would refuse a launch.',
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:read'],
    params: z.object({ campaignId: CampaignId }),
    responses: { 200: PreflightView },
    async handler({ params, request }) {
      const { orgId } = callerOf(request);
      const view = await existing(orgId, params.campaignId);
      const result = await runPreflight({
        system,
        orgId,
        campaignId: params.campaignId,
        definition: view.definition,
        rateCards: deps.rateCards,
        nowMs: now(),
        clickBaseUrl,
      });
      const currency = deps.rateCards[0]?.currency ?? 'EUR';
      return { status: 200, body: preflightView(result.preflight, result.ratePerSec, currency) };
    },
  });

  const launch = defineRoute({
    method: 'POST',
    url: '/campaigns/:campaignId/launch',
    operationId: 'launchCampaign',
    summary: 'Launch a draft campaign on its schedule',
    description:
      'Runs the pre-flight first: a campaign that cannot complete (no eligible recipient, a template not approved or not mapped, not enough credit) is refused with `PARLO_CAMPAIGN_PREFLIGHT_FAILED` and every problem in `details.problems`. Templates are taken as they are now for every run.',
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:manage'],
    params: z.object({ campaignId: CampaignId }),
    responses: { 200: CampaignView },
    async handler({ params, request }) {
      const caller = callerOf(request);
      const view = await existing(caller.orgId, params.campaignId);
      if (view.status !== 'draft') {
        throw new ParloError('PARLO_CAMPAIGN_STATE', `cannot launch a campaign that is ${view.status}`);
      }
      const {
        preflight: checked,
        resolution,
        ratePerSec,
      } = await runPreflight({
        system,
        orgId: caller.orgId,
        campaignId: params.campaignId,
        definition: view.definition,
        rateCards: deps.rateCards,
        nowMs: now(),
        clickBaseUrl,
      });
      if (checked.problems.length > 0) {
        throw new ParloError(
          'PARLO_CAMPAIGN_PREFLIGHT_FAILED',
          `the campaign cannot be launched: ${checked.problems.map((p) => p.message).join('; ')}`,
          { problems: checked.problems, eligible: checked.eligible },
        );
      }
      const launched = okOrThrow(
        await campaign<'launchCampaign'>(caller.orgId, params.campaignId, {
          type: 'launchCampaign',
          plan: {
            variants: resolution.variants,
            audience: resolution.audience,
            creditWindow: creditWindowOf(ratePerSec),
            launchedBy: auditActorOf(caller),
          },
        }),
      );
      return { status: 200, body: campaignView(launched.campaign) };
    },
  });

  const lifecycle = (action: 'pause' | 'resume' | 'cancel', summary: string) =>
    defineRoute({
      method: 'POST',
      url: `/campaigns/:campaignId/${action}`,
      operationId: `${action}Campaign`,
      summary,
      tags: ['campaigns'],
      auth: 'any',
      scopes: ['campaigns:manage'],
      params: z.object({ campaignId: CampaignId }),
      body:
        action === 'pause'
          ? z.object({ reason: z.string().trim().min(1).max(200).optional() }).optional()
          : z.object({}).optional(),
      responses: { 200: CampaignView },
      async handler({ params, body, request }) {
        const caller = callerOf(request);
        await existing(caller.orgId, params.campaignId);
        const reason = (body as { reason?: string } | undefined)?.reason;
        const msg: CampaignMsg =
          action === 'pause'
            ? { type: 'pauseCampaign', reason: reason ?? `paused by ${auditActorOf(caller).id}` }
            : action === 'resume'
              ? { type: 'resumeCampaign' }
              : { type: 'cancelCampaign' };
        const answer = await system.ask<CampaignReplies['pauseCampaign']>(
          campaignAddress(caller.orgId, params.campaignId),
          msg,
        );
        return { status: 200, body: campaignView(okOrThrow(answer).campaign) };
      },
    });

  const getRun = defineRoute({
    method: 'GET',
    url: '/campaigns/:campaignId/runs/:run',
    operationId: 'getCampaignRun',
    summary: "A run's status and funnel, in total and per variant",
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:read'],
    params: z.object({ campaignId: CampaignId, run: RunNumber }),
    responses: { 200: RunViewSchema },
    async handler({ params, request }) {
      return { status: 200, body: runView(await run(callerOf(request).orgId, params.campaignId, params.run)) };
    },
  });

  const recipients = defineRoute({
    method: 'GET',
    url: '/campaigns/:campaignId/runs/:run/recipients',
    operationId: 'listCampaignRecipients',
    summary: "A run's recipients with their outcome, a page at a time",
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:read'],
    params: z.object({ campaignId: CampaignId, run: RunNumber }),
    query: z.object({
      outcome: z.enum(RECIPIENT_OUTCOMES).optional(),
      clicked: z.stringbool().optional().describe('Only those who clicked a tracked button (true) or did not (false)'),
      limit: z.coerce.number().int().min(1).max(1_000).default(100),
      cursor: z.coerce.number().int().min(0).optional(),
    }),
    responses: {
      200: z.object({
        recipients: z.array(
          z.object({
            index: z.number().int(),
            key: z.string(),
            variant: z.string(),
            outcome: z.string(),
            code: z.union([z.string(), z.number()]).nullable(),
            clicked: z.boolean(),
          }),
        ),
        nextCursor: z.number().int().nullable(),
      }),
    },
    async handler({ params, query, request }) {
      const { orgId } = callerOf(request);
      await run(orgId, params.campaignId, params.run);
      const page = await system.ask<CampaignRunReplies['listRecipients']>(
        campaignRunAddress(campaignRunId(orgId, params.campaignId, params.run)),
        {
          type: 'listRecipients',
          limit: query.limit,
          ...(query.outcome === undefined ? {} : { outcome: query.outcome }),
          ...(query.clicked === undefined ? {} : { clicked: query.clicked }),
          ...(query.cursor === undefined ? {} : { after: query.cursor }),
        },
      );
      return { status: 200, body: { recipients: page.recipients.map((r) => ({ ...r })), nextCursor: page.nextAfter } };
    },
  });

  const series = defineRoute({
    method: 'GET',
    url: '/campaigns/:campaignId/runs/:run/series',
    operationId: 'getCampaignSeries',
    summary: "A run's outcomes per minute (sent, delivered, read, replied, failed, clicks), as JSON or CSV",
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:read'],
    params: z.object({ campaignId: CampaignId, run: RunNumber }),
    query: z.object({ format: z.enum(['json', 'csv']).default('json') }),
    responses: {
      200: streamedResponse({
        'application/json': 'A JSON array of {minute, sent, delivered, read, replied, failed, clicks}, oldest first',
        'text/csv': 'RFC 4180 CSV: minute,sent,delivered,read,replied,failed,clicks',
      }),
    },
    async handler({ params, query, request }) {
      const { orgId } = callerOf(request);
      await run(orgId, params.campaignId, params.run);
      const { points } = await system.ask<CampaignRunReplies['getSeries']>(
        campaignRunAddress(campaignRunId(orgId, params.campaignId, params.run)),
        { type: 'getSeries' },
      );
      const rows = points.map((p) => ({
        minute: iso(p.minuteMs),
        sent: p.sent,
        delivered: p.delivered,
        read: p.read,
        replied: p.replied,
        failed: p.failed,
        clicks: p.clicks,
      }));
      async function* chunks(): AsyncGenerator<string> {
        if (query.format === 'json') {
          yield JSON.stringify(rows);
          return;
        }
        yield csvLine(['minute', 'sent', 'delivered', 'read', 'replied', 'failed', 'clicks']);
        for (const r of rows) yield csvLine([r.minute, r.sent, r.delivered, r.read, r.replied, r.failed, r.clicks]);
      }
      return {
        status: 200,
        stream: {
          mediaType: query.format === 'csv' ? 'text/csv' : 'application/json',
          chunks: chunks(),
          fileName: `${params.campaignId}-run${params.run}.${query.format}`,
        },
      };
    },
  });

  const analytics = defineRoute({
    method: 'GET',
    url: '/campaigns/:campaignId/analytics',
    operationId: 'getCampaignAnalytics',
    summary: 'The funnel of every run per variant, and what the campaign cost, as JSON or CSV',
    description:
      'Per run and variant: audience, skipped by reason, dispatched, sent, delivered, read, replied, clicks on tracked buttons (all, and recipients who clicked), failed by code. The cost is what the wallet charged for the campaign’s delivered messages (usage aggregates, delivery days since the launch). CSV: one row per run and variant and one total row per run.',
    tags: ['campaigns'],
    auth: 'any',
    scopes: ['campaigns:read'],
    params: z.object({ campaignId: CampaignId }),
    query: z.object({ format: z.enum(['json', 'csv']).default('json') }),
    responses: {
      200: streamedResponse({
        'application/json':
          'An object: campaignId, status, cost {totalMicros, messageCount, billableCount, currency}, runs [CampaignRun]',
        'text/csv':
          'RFC 4180 CSV: run,variant,audience,dispatched,sent,delivered,read,replied,clicks,uniqueClicks,failed,failedCodes,skipped_<reason>…',
      }),
    },
    async handler({ params, query, request }) {
      const { orgId } = callerOf(request);
      const view = await existing(orgId, params.campaignId);
      const runs = await Promise.all(view.runs.map((r) => run(orgId, params.campaignId, r.run)));
      const cost = await campaignCost(orgId, params.campaignId, view.launchedAtMs);
      const format = query.format;
      async function* chunks(): AsyncGenerator<string> {
        if (format === 'json') {
          yield JSON.stringify({ campaignId: view.id, status: view.status, cost, runs: runs.map(runView) });
          return;
        }
        yield csvLine([
          'run',
          'variant',
          ...FUNNEL_COLUMNS,
          'failed',
          'failedCodes',
          ...SKIP_REASONS.map((r) => `skipped_${r}`),
        ]);
        for (const r of runs) {
          for (const [variant, c] of [...r.variants.map((v) => [v.id, v] as const), ['total', r.total] as const]) {
            const failedCodes = Object.entries(c.failed).map(([code, n]) => `${code}=${n}`);
            yield csvLine([
              r.run,
              variant,
              ...FUNNEL_COLUMNS.map((k) => c[k]),
              Object.values(c.failed).reduce((a, b) => a + b, 0),
              failedCodes.join('|'),
              ...SKIP_REASONS.map((reason) => c.skipped[reason] ?? 0),
            ]);
          }
        }
      }
      return {
        status: 200,
        stream: {
          mediaType: format === 'csv' ? 'text/csv' : 'application/json',
          chunks: chunks(),
          fileName: `${params.campaignId}-analytics.${format}`,
        },
      };
    },
  });

  /** What the wallet charged for the campaign's messages, from the usage aggregates since its launch. */
  const campaignCost = async (orgId: string, campaignId: string, launchedAtMs: number | null) => {
    const currency = deps.rateCards[0]?.currency ?? 'EUR';
    if (launchedAtMs === null) return { totalMicros: 0, messageCount: 0, billableCount: 0, currency };
    const today = dayOf(now());
    const from = [dayOf(launchedAtMs), addDays(today, -USAGE_RETENTION_DAYS)].sort().at(-1)!;
    const days = await readUsageDays(system, orgId, { kind: 'system', id: 'campaign-analytics' }, from, today);
    const row = groupUsage(days, from, today, ['campaign']).rows.find((r) => r.campaignId === campaignId);
    return {
      totalMicros: row?.amountMicros ?? 0,
      messageCount: row?.messageCount ?? 0,
      billableCount: row?.billableCount ?? 0,
      currency,
    };
  };

  return [
    create,
    list,
    get,
    update,
    remove,
    preflightRoute,
    launch,
    lifecycle('pause', 'Pause a campaign: nothing more is handed to the number until it is resumed'),
    lifecycle('resume', 'Resume a paused campaign'),
    lifecycle('cancel', 'Cancel a campaign: recipients not reached yet are skipped, later runs dropped'),
    getRun,
    recipients,
    series,
    analytics,
  ];
}
