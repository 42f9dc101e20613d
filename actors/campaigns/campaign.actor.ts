import { defineActor, refusal, unreachable, type Effect, type TurnContext, type TurnResult } from '../../core/index.ts';
import { emitWebhookEvent } from '../webhooks/webhook-events.ts';
import type { AuditActor } from '../org/org.messages.ts';
import type { CampaignRunMsg, RunChanged, RunPlan, RunStatus } from './campaign-run.messages.ts';
import {
  CAMPAIGN_KIND,
  type CampaignDefinition,
  type CampaignListing,
  type CampaignMsg,
  type CampaignStatus,
  type CampaignView,
  type LaunchPlan,
  type RunSummary,
} from './campaign.messages.ts';
import { campaignsDirectoryAddress, type CampaignsDirectoryMsg } from './campaigns-directory.actor.ts';
import { campaignRunAddress, campaignRunId } from './recipient-outcome.ts';
import { firstRunAtMs, nextRunAtMs } from './schedule.ts';

/**
 * A campaign (id `<orgId>.<campaignId>`, issue #6, 3): its definition, editable while it is a draft; `launch`
 * fixes the plan (templates, audience query, credit window: resolved and checked by the caller) and schedules the
 * runs; each run is a `campaign-run` actor started by a tell (`startRun`) when its time comes (a durable timer
 * `run`), the next occurrence of a recurring campaign scheduled as the previous one starts. Pause, resume and
 * cancel go to the run in progress; cancel also drops the runs to come. Runs tell their changes back
 * (`runChanged`); the campaign's status follows its newest run. Every change of what the organisation's campaign
 * list shows is told to the `campaigns` directory.
 */

type Turn = TurnResult<CampaignState>;

export interface CampaignState {
  readonly orgId: string | null;
  readonly id: string | null;
  readonly definition: CampaignDefinition | null;
  readonly status: CampaignStatus;
  readonly pausedReason: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly createdBy: AuditActor | null;
  readonly plan: LaunchPlan | null;
  readonly nextRunAtMs: number | null;
  readonly runs: readonly RunSummary[];
  /** Set by a delete: the id is not used again. */
  readonly deleted: boolean;
}

const EMPTY: CampaignState = {
  orgId: null,
  id: null,
  definition: null,
  status: 'draft',
  pausedReason: null,
  createdAtMs: 0,
  updatedAtMs: 0,
  createdBy: null,
  plan: null,
  nextRunAtMs: null,
  runs: [],
  deleted: false,
};

const RUN_TIMER = 'run';

export const campaignActor = defineActor<CampaignState, CampaignMsg>({
  kind: CAMPAIGN_KIND,
  stateVersion: 1,
  initialState: () => EMPTY,
  handle(state, msg, ctx) {
    if (msg.type === 'createCampaign') return onCreate(state, msg, ctx);
    if (state.definition === null || state.deleted) {
      if (msg.type === 'runDue' || msg.type === 'runChanged') return { state };
      return { state, reply: refusal('PARLO_CAMPAIGN_NOT_FOUND', `no campaign ${ctx.self.id.split('.')[1] ?? ''}`) };
    }
    switch (msg.type) {
      case 'updateCampaign':
        if (state.status !== 'draft') return { state, reply: notEditable(state) };
        return listed(state, { ...state, definition: msg.definition, updatedAtMs: ctx.nowMs }, ctx);
      case 'deleteCampaign': {
        if (state.status !== 'draft') return { state, reply: notEditable(state) };
        const deleted: CampaignState = { ...state, deleted: true, updatedAtMs: ctx.nowMs };
        return { state: deleted, effects: [listingEffect(deleted, ctx)], reply: { ok: true } };
      }
      case 'launchCampaign':
        return onLaunch(state, msg.plan, ctx);
      case 'pauseCampaign':
        return onPause(state, msg.reason, ctx);
      case 'resumeCampaign':
        return onResume(state, ctx);
      case 'cancelCampaign':
        return onCancel(state, ctx);
      case 'getCampaign':
        return { state, reply: { ok: true, campaign: viewOf(state) } };
      case 'eraseAudienceKey':
        return onEraseAudienceKey(state, msg.key, msg.pseudonym);
      case 'runDue':
        return onRunDue(state, ctx);
      case 'runChanged':
        return onRunChanged(state, msg, ctx);
      default:
        return unreachable(msg);
    }
  },
});

function onCreate(state: CampaignState, msg: Extract<CampaignMsg, { type: 'createCampaign' }>, ctx: TurnContext): Turn {
  // A repeated create (a retried request) answers as the first did.
  if (state.definition !== null) {
    return state.deleted
      ? { state, reply: refusal('PARLO_CAMPAIGN_NOT_FOUND', `campaign ${msg.campaignId} was deleted`) }
      : { state, reply: { ok: true, campaign: viewOf(state) } };
  }
  const created: CampaignState = {
    ...EMPTY,
    orgId: msg.orgId,
    id: msg.campaignId,
    definition: msg.definition,
    createdAtMs: ctx.nowMs,
    updatedAtMs: ctx.nowMs,
    createdBy: msg.by,
  };
  return listed(state, created, ctx);
}

function notEditable(state: CampaignState) {
  return refusal(
    'PARLO_CAMPAIGN_NOT_EDITABLE',
    `the campaign is ${state.status}: only a draft can be edited or deleted (pause or cancel it instead)`,
  );
}

function wrongState(action: string, state: CampaignState) {
  return refusal('PARLO_CAMPAIGN_STATE', `cannot ${action} a campaign that is ${state.status}`);
}

function onLaunch(state: CampaignState, plan: Omit<LaunchPlan, 'launchedAtMs'>, ctx: TurnContext): Turn {
  if (state.status !== 'draft') return { state, reply: wrongState('launch', state) };
  const definition = state.definition!;
  const firstAtMs = firstRunAtMs(definition.schedule, ctx.nowMs);
  if (firstAtMs === null) {
    return {
      state,
      reply: refusal('PARLO_CAMPAIGN_INVALID', 'schedule: no run of this schedule lies in the future'),
    };
  }
  const launched: CampaignState = {
    ...state,
    status: 'scheduled',
    plan: { ...plan, launchedAtMs: ctx.nowMs },
    nextRunAtMs: firstAtMs,
    updatedAtMs: ctx.nowMs,
  };
  if (firstAtMs <= ctx.nowMs) return withListing(state, startRun(launched, firstAtMs, ctx), ctx);
  const timer: Effect = { type: 'setTimer', name: RUN_TIMER, dueAtMs: firstAtMs, msg: { type: 'runDue' } };
  return listed(state, launched, ctx, [timer]);
}

function onRunDue(state: CampaignState, ctx: TurnContext): Turn {
  if (state.nextRunAtMs === null || state.status === 'cancelled' || state.status === 'draft') return { state };
  return withListing(state, startRun(state, state.nextRunAtMs, ctx), ctx);
}

/**
 * Starts the next run at `runAtMs` (its schedule's occurrence) and schedules the one after, if the schedule has
 * one. A run that is paused when the next comes due… the next still starts: runs are independent sends.
 */
function startRun(state: CampaignState, runAtMs: number, ctx: TurnContext): Turn {
  const definition = state.definition!;
  const plan = state.plan!;
  const run = state.runs.length + 1;
  const runPlan: RunPlan = {
    orgId: state.orgId!,
    campaignId: state.id!,
    run,
    phoneNumberId: definition.phoneNumberId,
    category: definition.category,
    variants: plan.variants,
    audience: plan.audience,
    schedule: definition.schedule,
    runAtMs,
    sendingWindow: definition.sendingWindow,
    fallbackTimeZone: definition.fallbackTimeZone,
    frequencyCapMs: definition.frequencyCapHours * 3_600_000,
    creditWindow: plan.creditWindow,
    by: plan.launchedBy,
  };
  const start: CampaignRunMsg = { type: 'startRun', plan: runPlan };
  const following = nextRunAtMs(definition.schedule, runAtMs, run);
  const effects: Effect[] = [
    { type: 'tell', to: campaignRunAddress(campaignRunId(state.orgId!, state.id!, run)), msg: start },
  ];
  if (following !== null) {
    effects.push({ type: 'setTimer', name: RUN_TIMER, dueAtMs: following, msg: { type: 'runDue' } });
  }
  const summary: RunSummary = { run, startedAtMs: ctx.nowMs, status: 'snapshotting', pausedReason: null, total: null };
  return {
    state: {
      ...state,
      status: 'running',
      pausedReason: null,
      runs: [...state.runs, summary],
      nextRunAtMs: following,
      updatedAtMs: ctx.nowMs,
    },
    effects,
  };
}

/** The newest run, when it may still send. */
function liveRun(state: CampaignState): RunSummary | undefined {
  const run = state.runs.at(-1);
  return run !== undefined && run.status !== 'completed' && run.status !== 'cancelled' ? run : undefined;
}

function runTell(state: CampaignState, run: RunSummary, msg: CampaignRunMsg): Effect {
  return { type: 'tell', to: campaignRunAddress(campaignRunId(state.orgId!, state.id!, run.run)), msg };
}

function onPause(state: CampaignState, reason: string, ctx: TurnContext): Turn {
  if (state.status !== 'running' && state.status !== 'scheduled') return { state, reply: wrongState('pause', state) };
  const run = liveRun(state);
  const paused: CampaignState = { ...state, status: 'paused', pausedReason: reason, updatedAtMs: ctx.nowMs };
  // Between runs of a recurring campaign, the pause holds the next run back until resumed.
  const effects: Effect[] = run ? [runTell(state, run, { type: 'pauseRun', reason })] : [];
  if (!run && state.nextRunAtMs !== null) effects.push({ type: 'cancelTimer', name: RUN_TIMER });
  return listed(state, paused, ctx, effects);
}

function onResume(state: CampaignState, ctx: TurnContext): Turn {
  if (state.status !== 'paused') return { state, reply: wrongState('resume', state) };
  const run = liveRun(state);
  if (run) {
    const resumed: CampaignState = { ...state, status: 'running', pausedReason: null, updatedAtMs: ctx.nowMs };
    return listed(state, resumed, ctx, [runTell(state, run, { type: 'resumeRun' })]);
  }
  const waiting: CampaignState = { ...state, status: 'scheduled', pausedReason: null, updatedAtMs: ctx.nowMs };
  if (state.nextRunAtMs === null) return listed(state, { ...waiting, status: 'completed' }, ctx);
  if (state.nextRunAtMs <= ctx.nowMs) return withListing(state, startRun(waiting, state.nextRunAtMs, ctx), ctx);
  const timer: Effect = { type: 'setTimer', name: RUN_TIMER, dueAtMs: state.nextRunAtMs, msg: { type: 'runDue' } };
  return listed(state, waiting, ctx, [timer]);
}

function onCancel(state: CampaignState, ctx: TurnContext): Turn {
  if (state.status === 'completed' || state.status === 'cancelled' || state.status === 'draft') {
    return { state, reply: wrongState('cancel', state) };
  }
  const run = liveRun(state);
  const effects: Effect[] = [{ type: 'cancelTimer', name: RUN_TIMER }];
  if (run) effects.push(runTell(state, run, { type: 'cancelRun' }));
  const cancelled: CampaignState = {
    ...state,
    status: 'cancelled',
    pausedReason: null,
    nextRunAtMs: null,
    updatedAtMs: ctx.nowMs,
  };
  return listed(state, cancelled, ctx, effects);
}

function onRunChanged(state: CampaignState, msg: RunChanged, ctx: TurnContext): Turn {
  const at = state.runs.findIndex((r) => r.run === msg.run);
  if (at < 0) return { state };
  const runs = state.runs.slice();
  runs[at] = { ...runs[at]!, status: msg.status, pausedReason: msg.pausedReason, total: msg.total };
  let next: CampaignState = { ...state, runs, updatedAtMs: ctx.nowMs };
  const effects: Effect[] = [];
  if (at === state.runs.length - 1 && state.status !== 'cancelled') {
    next = { ...next, status: campaignStatusOf(msg.status, state), pausedReason: msg.pausedReason };
  }
  if (msg.status === 'completed' || msg.status === 'cancelled') {
    const c = msg.total;
    effects.push(
      emitWebhookEvent({
        id: `campaign.finished.${state.id}.${msg.run}`,
        type: 'campaign.finished',
        orgId: state.orgId!,
        occurredAtMs: ctx.nowMs,
        data: {
          campaignId: state.id!,
          name: state.definition!.name,
          outcome: msg.status,
          counts: {
            recipients: c.audience,
            sent: c.sent,
            delivered: c.delivered,
            read: c.read,
            failed: Object.values(c.failed).reduce((a, b) => a + b, 0),
          },
        },
      }),
    );
  }
  return listed(state, next, ctx, effects);
}

/** The campaign's status while its newest run is in `run`. */
function campaignStatusOf(run: RunStatus, state: CampaignState): CampaignStatus {
  switch (run) {
    case 'snapshotting':
    case 'waiting':
    case 'sending':
      return 'running';
    case 'paused':
      return 'paused';
    case 'cancelled':
      return 'cancelled';
    case 'completed':
      return state.nextRunAtMs === null ? 'completed' : state.status === 'paused' ? 'paused' : 'scheduled';
    default:
      return unreachable(run);
  }
}

// ---------------------------------------------------------------- views and the list

function viewOf(state: CampaignState): CampaignView {
  return {
    id: state.id!,
    orgId: state.orgId!,
    definition: state.definition!,
    status: state.status,
    pausedReason: state.pausedReason,
    createdAtMs: state.createdAtMs,
    updatedAtMs: state.updatedAtMs,
    createdBy: state.createdBy!,
    launchedAtMs: state.plan?.launchedAtMs ?? null,
    nextRunAtMs: state.nextRunAtMs,
    runs: state.runs,
  };
}

function listingOf(state: CampaignState): CampaignListing {
  return {
    id: state.id!,
    name: state.definition!.name,
    status: state.status,
    category: state.definition!.category,
    phoneNumberId: state.definition!.phoneNumberId,
    createdAtMs: state.createdAtMs,
    updatedAtMs: state.updatedAtMs,
    nextRunAtMs: state.nextRunAtMs,
    runs: state.runs.length,
    templates: state.definition!.variants.map((v) => `${v.template.name}.${v.template.language}`),
    deleted: state.deleted,
  };
}

function listingEffect(state: CampaignState, _ctx: TurnContext): Effect {
  const msg: CampaignsDirectoryMsg = { type: 'campaignListed', listing: listingOf(state) };
  return { type: 'tell', to: campaignsDirectoryAddress(state.orgId!), msg };
}

/** The turn to `next`, replying with its view and telling the list when what it shows changed. */
function listed(before: CampaignState, next: CampaignState, ctx: TurnContext, effects: readonly Effect[] = []): Turn {
  return withListing(before, { state: next, effects: [...effects] }, ctx);
}

function withListing(before: CampaignState, turn: Turn, ctx: TurnContext): Turn {
  const after = turn.state;
  const shown =
    before.definition !== after.definition ||
    before.status !== after.status ||
    before.definition?.name !== after.definition?.name ||
    before.nextRunAtMs !== after.nextRunAtMs ||
    before.runs.length !== after.runs.length;
  const effects = [...(turn.effects ?? []), ...(shown ? [listingEffect(after, ctx)] : [])];
  return { state: after, effects, reply: { ok: true, campaign: viewOf(after) } };
}

function onEraseAudienceKey(state: CampaignState, key: string, pseudonym: string): Turn {
  const swap = (keys: readonly string[]) => keys.map((k) => (k === key ? pseudonym : k));
  const definition = state.definition!;
  const inDefinition = definition.audience.kind === 'keys' && definition.audience.keys.includes(key);
  const inPlan = state.plan?.audience.kind === 'keys' && state.plan.audience.keys.includes(key);
  if (!inDefinition && !inPlan) return { state, reply: { ok: true, erased: false } };
  const next: CampaignState = {
    ...state,
    definition:
      definition.audience.kind === 'keys' && inDefinition
        ? { ...definition, audience: { kind: 'keys', keys: swap(definition.audience.keys) } }
        : definition,
    plan:
      state.plan !== null && state.plan.audience.kind === 'keys' && inPlan
        ? { ...state.plan, audience: { kind: 'keys', keys: swap(state.plan.audience.keys) } }
        : state.plan,
  };
  return { state: next, reply: { ok: true, erased: true } };
}
