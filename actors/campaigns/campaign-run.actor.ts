import { defineActor, unreachable, type Effect, type TurnContext, type TurnResult } from '../../core/index.ts';
import type { ContactSummary } from '../contacts/contact-filter.ts';
import {
  contactIndexAddress,
  MAX_AUDIENCE_PAGE,
  type ContactIndexMsg,
  type ContactIndexReplies,
} from '../contacts/contact-index.actor.ts';
import { CONVERSATION_KIND, conversationId, type ConversationMsg } from '../conversation/conversation.messages.ts';
import { templateMessageContent } from '../templates/template-message.ts';
import { snapshotRecipient, unknownContactSummary, type SnapshotRecipient } from './audience.ts';
import { campaignAddress, type CampaignMsg } from './campaign.messages.ts';
import type {
  CampaignRunMsg,
  CampaignRunReplies,
  RecipientClicked,
  RecipientView,
  RunCounters,
  RunPlan,
  RunStatus,
  RunView,
} from './campaign-run.messages.ts';
import {
  addCounts,
  clickedAt,
  CLICKS_COLUMN,
  EMPTY_COUNTERS,
  initialRunState,
  outcomeAt,
  recipientAt,
  RUN_STATE_VERSION,
  runSplit,
  seriesPoints,
  totalCounters,
  upgradeRunState,
  withClicked,
  withOutcomes,
  withRecipients,
  withSeriesEvent,
  type Lane,
  type LaneOrder,
  type RunItem,
  type RunState,
} from './campaign-run.state.ts';
import {
  advanceOutcome,
  CAMPAIGN_RUN_KIND,
  PROGRESS_RANK,
  type RecipientOutcome,
  type RecipientProgressed,
  type SkipReason,
} from './recipient-outcome.ts';
import { isInsideSendingWindow, isValidTimeZone, nextAllowedAtMs, recipientReleaseAtMs } from './schedule.ts';
import { clickToken } from './click-token.ts';
import { isFixedDestination, resolveDestination, withClickTokens } from './tracked-link.ts';

/**
 * One run of a campaign (issue #6, 3). `startRun` snapshots the audience from the organisation's contact index,
 * page by page (each contact screened and given its variant and values, audience.ts), then groups the eligible
 * recipients into lanes by time zone, each released at the schedule's time in its zone and held by quiet hours
 * and weekdays in recipient time. Dispatch hands recipients to their conversations (a `send` tell each, with a
 * `CampaignTag`) while fewer than `creditWindow` are on their way; every report from a conversation (accepted,
 * failed, skipped) gives a credit back and dispatches the next. The number keeps the pacing and tier authority:
 * the conversations ask it for slots.
 *
 * Crash safety comes from the runtime: a dispatch turn's outcome changes and its tells commit together (the tells
 * through the outbox), so after a crash a recipient is either not dispatched or dispatched exactly once (a
 * conversation also ignores a `send` whose message id it logged); reports are tells written in the conversation's
 * commit. Message ids are `<campaignId>.<run>.<index>`.
 *
 * Tracked URL buttons (issue #6, 4; tracked-link.ts): each recipient's button carries a click token derived from
 * (run, recipient, button) under the installation's click key (click-token.ts), so dispatch writes nothing more and
 * a dispatch replayed after a crash sends the same token. The redirect tells `recipientClicked`; the run counts
 * every click and, with one bit per recipient in the outcome chunk, each clicking recipient once.
 */

type Turn = TurnResult<RunState>;
type Msg<T extends CampaignRunMsg['type']> = Extract<CampaignRunMsg, { type: T }>;

/** At most this many recipients are dispatched in one turn (a full credit window is handed over in a few turns). */
export const MAX_DISPATCH_PER_TURN = 500;
const DISPATCH_TIMER = 'dispatch';

export interface CampaignRunOptions {
  /**
   * The key click tokens are made with (from the composition root, derived from the installation's sealing key);
   * null: this node cannot send tracked buttons, and dispatching one is a bug (the HTTP layer refuses such
   * campaigns when it has no redirect).
   */
  readonly clickKey: Uint8Array | null;
}

/** The campaign-run actor with the installation's click key. */
export function createCampaignRunActor(options: CampaignRunOptions) {
  const tokens: ClickTokens = { key: options.clickKey };
  return defineActor<RunState, CampaignRunMsg, RunItem>({
    kind: CAMPAIGN_RUN_KIND,
    stateVersion: RUN_STATE_VERSION,
    initialState: () => initialRunState(),
    split: runSplit,
    upgrade: (stored, storedVersion, items) => upgradeRunState(stored, storedVersion, items),
    handle: (state, msg, ctx) => handle(state, msg, ctx, tokens),
  });
}

/** Without a click key: what tests and the registry use; the composition root swaps in one with the key. */
export const campaignRunActor = createCampaignRunActor({ clickKey: null });

interface ClickTokens {
  readonly key: Uint8Array | null;
}

function handle(state: RunState, msg: CampaignRunMsg, ctx: TurnContext, tokens: ClickTokens): Turn {
  switch (msg.type) {
    case 'startRun':
      return onStart(state, msg.plan);
    case 'audienceLoaded':
      return onAudienceLoaded(state, msg, ctx, tokens);
    case 'dispatchDue':
      return dispatch({ ...state, timerAtMs: null }, ctx, tokens);
    case 'recipientProgressed':
      return onProgress(state, msg, ctx, tokens);
    case 'recipientClicked':
      return onClicked(state, msg);
    case 'getClickTarget':
      return { state, reply: clickTarget(state, msg.recipient, msg.button) };
    case 'pauseRun':
      return onPause(state, msg.reason, ctx);
    case 'resumeRun':
      return onResume(state, ctx, tokens);
    case 'cancelRun':
      return onCancel(state, ctx);
    case 'getRun':
      return {
        state,
        reply:
          state.plan === null
            ? ({ ok: false, code: 'PARLO_CAMPAIGN_RUN_NOT_FOUND', message: `no run ${ctx.self.id}` } as const)
            : { ok: true, run: viewOf(state, ctx) },
      };
    case 'listRecipients':
      return { state, reply: listRecipients(state, msg) };
    case 'eraseRecipient':
      return onEraseRecipient(state, msg.key, msg.pseudonym);
    case 'getSeries':
      return { state, reply: { ok: true, points: seriesPoints(state) } satisfies CampaignRunReplies['getSeries'] };
    default:
      return unreachable(msg);
  }
}

// ---------------------------------------------------------------- snapshot

function onStart(state: RunState, plan: RunPlan): Turn {
  // A repeated start (the campaign's tell replayed) changes nothing.
  if (state.plan !== null) return { state, reply: { ok: true } };
  const started: RunState = {
    ...state,
    plan,
    status: 'snapshotting',
    snapshotCursor: 0,
    counters: plan.variants.map(() => EMPTY_COUNTERS),
  };
  return { state: started, effects: [audienceAsk(started)], reply: { ok: true } };
}

function audienceAsk(state: RunState): Effect {
  const plan = state.plan!;
  const cursor = state.snapshotCursor ?? 0;
  const msg: ContactIndexMsg =
    plan.audience.kind === 'filter'
      ? { type: 'audiencePage', filter: plan.audience.filter, fromBucket: cursor, maxEntries: MAX_AUDIENCE_PAGE }
      : { type: 'lookupContacts', keys: plan.audience.keys.slice(cursor, cursor + MAX_AUDIENCE_PAGE) };
  return {
    type: 'ask',
    to: contactIndexAddress(plan.orgId),
    msg,
    replyType: 'audienceLoaded',
    callId: String(cursor),
  };
}

function onAudienceLoaded(state: RunState, msg: Msg<'audienceLoaded'>, ctx: TurnContext, tokens: ClickTokens): Turn {
  const plan = state.plan;
  if (plan === null || state.status !== 'snapshotting' || String(state.snapshotCursor) !== msg.callId) {
    return { state };
  }
  const reply = msg.reply as
    | { ok: true; value: ContactIndexReplies['audiencePage'] | ContactIndexReplies['lookupContacts'] }
    | { ok: false; code: string; message: string };
  if (!reply.ok) {
    // The index did not answer (the runtime retried what was transient): ask again.
    return { state, effects: [audienceAsk(state)] };
  }
  const cursor = state.snapshotCursor ?? 0;
  let contacts: readonly ContactSummary[];
  let next: number | null;
  if (plan.audience.kind === 'filter') {
    const page = reply.value as ContactIndexReplies['audiencePage'];
    contacts = page.contacts;
    next = page.nextBucket;
  } else {
    const asked = plan.audience.keys.slice(cursor, cursor + MAX_AUDIENCE_PAGE);
    const found = new Map(reply.value.contacts.map((c) => [c.key, c]));
    // A key the index does not know is a contact without consent or profile: screened as such.
    contacts = asked.map((key) => found.get(key) ?? unknownContactSummary(key));
    next = cursor + asked.length < plan.audience.keys.length ? cursor + asked.length : null;
  }
  const seen = new Set<string>();
  const campaign = { id: plan.campaignId, category: plan.category, variants: plan.variants };
  const added = contacts.map((contact) => snapshotRecipient(contact, campaign, seen));
  let loaded = withRecipients({ ...state, snapshotCursor: next }, added);
  loaded = { ...loaded, counters: countSnapshot(loaded.counters, added) };
  if (next !== null) return { state: loaded, effects: [audienceAsk(loaded)] };
  const snapshotted = withLanes({ ...loaded, snapshotAtMs: ctx.nowMs, status: 'waiting' });
  if (snapshotted.pausedReason !== null) {
    // Paused while the snapshot was taken: it waits for a resume.
    const paused: RunState = { ...snapshotted, status: 'paused' };
    return { state: paused, effects: [runChanged(paused, ctx)] };
  }
  return dispatch(snapshotted, ctx, tokens);
}

function countSnapshot(counters: readonly RunCounters[], added: readonly SnapshotRecipient[]): RunCounters[] {
  const next = counters.slice();
  for (const recipient of added) {
    const c = next[recipient.variant] ?? EMPTY_COUNTERS;
    next[recipient.variant] =
      recipient.skip === null
        ? { ...c, audience: c.audience + 1 }
        : { ...c, audience: c.audience + 1, skipped: addCounts(c.skipped, recipient.skip, 1) };
  }
  return next;
}

/** The eligible recipients grouped by time zone, each lane released at the schedule's time in its zone. */
function withLanes(state: RunState): RunState {
  const plan = state.plan!;
  const byZone = new Map<string, number[]>();
  for (let index = 0; index < state.total; index++) {
    const recipient = recipientAt(state, index)!;
    if (recipient.skip !== null) continue;
    const zone =
      recipient.timeZone !== null && isValidTimeZone(recipient.timeZone) ? recipient.timeZone : plan.fallbackTimeZone;
    let list = byZone.get(zone);
    if (list === undefined) byZone.set(zone, (list = []));
    list.push(index);
  }
  const lanes = [...byZone.entries()]
    .map(([timeZone, indexes]) => ({
      timeZone,
      indexes,
      releaseAtMs: recipientReleaseAtMs(
        plan.schedule,
        plan.runAtMs,
        timeZone,
        plan.sendingWindow,
        plan.fallbackTimeZone,
      ),
    }))
    .sort((a, b) => a.releaseAtMs - b.releaseAtMs || (a.timeZone < b.timeZone ? -1 : 1));
  const order: LaneOrder[] = lanes.map((lane, i) => ({ kind: 'l', lane: i, indexes: lane.indexes }));
  return {
    ...state,
    lanes: lanes.map((lane): Lane => ({
      timeZone: lane.timeZone,
      releaseAtMs: lane.releaseAtMs,
      blockedUntilMs: 0,
      count: lane.indexes.length,
      cursor: 0,
    })),
    order,
  };
}

// ---------------------------------------------------------------- dispatch

/**
 * Hands due recipients to their conversations while credit lasts (at most MAX_DISPATCH_PER_TURN per turn), lane
 * by lane in release order; a lane inside its quiet hours is held until they end. Arms the dispatch timer for the
 * next due lane (or for now, when this turn's limit stopped it), and finishes the run when nothing is left.
 */
function dispatch(state: RunState, ctx: TurnContext, tokens: ClickTokens): Turn {
  const plan = state.plan;
  if (plan === null || (state.status !== 'waiting' && state.status !== 'sending')) return { state };
  let budget = Math.min(plan.creditWindow - state.inFlight, MAX_DISPATCH_PER_TURN);
  const lanes = state.lanes.slice();
  const effects: Effect[] = [];
  const changes: { index: number; outcome: RecipientOutcome; code: null }[] = [];
  const counters = state.counters.slice();
  let nextDueMs: number | null = null;
  let brokeForBudget = false;
  for (let i = 0; i < lanes.length; i++) {
    let lane = lanes[i]!;
    if (lane.cursor >= lane.count) continue;
    const dueMs = Math.max(lane.releaseAtMs, lane.blockedUntilMs);
    if (dueMs > ctx.nowMs) {
      nextDueMs = Math.min(nextDueMs ?? dueMs, dueMs);
      continue;
    }
    if (!isInsideSendingWindow(ctx.nowMs, lane.timeZone, plan.sendingWindow)) {
      const until = nextAllowedAtMs(ctx.nowMs, lane.timeZone, plan.sendingWindow);
      lanes[i] = { ...lane, blockedUntilMs: until };
      nextDueMs = Math.min(nextDueMs ?? until, until);
      continue;
    }
    if (budget <= 0) {
      brokeForBudget = true;
      break;
    }
    const indexes = state.order[i]!.indexes;
    const take = Math.min(budget, lane.count - lane.cursor);
    for (let k = lane.cursor; k < lane.cursor + take; k++) {
      const index = indexes[k]!;
      const recipient = recipientAt(state, index)!;
      effects.push(sendOf(plan, ctx.self.id, index, recipient, tokens));
      changes.push({ index, outcome: 'dispatched', code: null });
      const c = counters[recipient.variant]!;
      counters[recipient.variant] = { ...c, dispatched: c.dispatched + 1 };
    }
    lane = { ...lane, cursor: lane.cursor + take };
    lanes[i] = lane;
    budget -= take;
    if (budget <= 0 && lane.cursor < lane.count) {
      brokeForBudget = true;
      break;
    }
  }
  // The turn's limit, not the credit, stopped it: go on in the next turn. Out of credit: reports bring it back.
  const stoppedByLimit = brokeForBudget && state.inFlight + changes.length < plan.creditWindow;
  let next: RunState = withOutcomes({ ...state, lanes, counters, inFlight: state.inFlight + changes.length }, changes);
  const timeline: Effect[] = [];
  if (changes.length > 0 && next.status === 'waiting') {
    next = { ...next, status: 'sending', firstSendAtMs: next.firstSendAtMs ?? ctx.nowMs };
    timeline.push(runChanged(next, ctx));
  }
  const remaining = next.lanes.some((l) => l.cursor < l.count);
  if (!remaining && next.dispatchFinishedAtMs === null) next = { ...next, dispatchFinishedAtMs: ctx.nowMs };
  if (!remaining && next.inFlight === 0) {
    next = { ...next, status: 'completed' };
    timeline.push(runChanged(next, ctx));
  }
  const timerAtMs = stoppedByLimit ? ctx.nowMs : remaining ? nextDueMs : null;
  const timer = timerEffect(next, timerAtMs);
  next = { ...next, timerAtMs: timerAtMs ?? next.timerAtMs };
  return { state: next, effects: [...effects, ...timeline, ...(timer ? [timer] : [])] };
}

/** Sets the dispatch timer when it is not already set for that instant (or earlier). */
function timerEffect(state: RunState, atMs: number | null): Effect | null {
  if (atMs === null) return null;
  if (state.timerAtMs !== null && state.timerAtMs <= atMs) return null;
  return { type: 'setTimer', name: DISPATCH_TIMER, dueAtMs: atMs, msg: { type: 'dispatchDue' } };
}

function sendOf(
  plan: RunPlan,
  runId: string,
  index: number,
  recipient: SnapshotRecipient,
  tokens: ClickTokens,
): Effect {
  const variant = plan.variants[recipient.variant]!;
  const tracked = variant.trackedButtons ?? [];
  let values = recipient.values ?? {};
  if (tracked.length > 0) {
    const key = tokens.key;
    if (key === null) {
      throw new Error(`${runId}: variant ${variant.id} tracks clicks, but this node's campaign-run has no click key`);
    }
    values = withClickTokens(values, tracked, (button) =>
      clickToken(key, { runId, recipient: index, variant: recipient.variant, button }),
    );
  }
  const msg: ConversationMsg = {
    type: 'send',
    orgId: plan.orgId,
    phoneNumberId: plan.phoneNumberId,
    customer: {
      ...(recipient.phone === null ? {} : { phone: recipient.phone }),
      ...(recipient.userId === null ? {} : { userId: recipient.userId }),
    },
    messageId: `${plan.campaignId}.${plan.run}.${index}`,
    content: templateMessageContent(variant.template, values, variant.headerMedia),
    category: plan.category,
    by: plan.by,
    campaign: { run: runId, recipient: index, frequencyCapMs: plan.frequencyCapMs },
  };
  return { type: 'tell', to: { kind: CONVERSATION_KIND, id: conversationId(plan.phoneNumberId, recipient.key) }, msg };
}

// ---------------------------------------------------------------- outcomes

const SERIES_COLUMN: Partial<Record<RecipientOutcome, number>> = {
  sent: 0,
  delivered: 1,
  read: 2,
  replied: 3,
  failed: 4,
};

function onProgress(state: RunState, msg: RecipientProgressed, ctx: TurnContext, tokens: ClickTokens): Turn {
  const recipient = recipientAt(state, msg.recipient);
  if (recipient === undefined) return { state };
  const before = outcomeAt(state, msg.recipient);
  const after = advanceOutcome(before.outcome, msg.outcome);
  if (after === before.outcome) return { state };
  const code = after === 'failed' || after === 'skipped' ? msg.code : null;
  let next = withOutcomes(state, [{ index: msg.recipient, outcome: after, code }]);
  next = { ...next, counters: counted(next.counters, recipient.variant, before.outcome, after, code) };
  const column = SERIES_COLUMN[after];
  if (column !== undefined) next = withSeriesEvent(next, msg.atMs, column);
  if (before.outcome !== 'dispatched') return { state: next };
  // The message left the number's queue (or never entered it): its credit comes back.
  next = { ...next, inFlight: next.inFlight - 1 };
  if (next.status === 'paused' || next.status === 'cancelled') return { state: next };
  return dispatch(next, ctx, tokens);
}

// ---------------------------------------------------------------- clicks

/**
 * A recipient followed a tracked button: every click counts in `clicks` and the series, the recipient's first in
 * `uniqueClicks` (its bit in the outcome chunk). A recipient the run does not have, one never sent to, or a button
 * the recipient's variant does not track is ignored (a valid token names none of these; they are not worth a write).
 */
function onClicked(state: RunState, msg: RecipientClicked): Turn {
  const recipient = recipientAt(state, msg.recipient);
  if (recipient === undefined || state.plan === null) return { state };
  const { outcome } = outcomeAt(state, msg.recipient);
  if (outcome === 'pending' || outcome === 'skipped') return { state };
  const tracked = state.plan.variants[recipient.variant]?.trackedButtons ?? [];
  if (!tracked.some((t) => t.button === msg.button)) return { state };
  const isFirst = !clickedAt(state, msg.recipient);
  const counters = state.counters.slice();
  const c = counters[recipient.variant] ?? EMPTY_COUNTERS;
  counters[recipient.variant] = { ...c, clicks: c.clicks + 1, uniqueClicks: c.uniqueClicks + (isFirst ? 1 : 0) };
  const next = withSeriesEvent({ ...withClicked(state, msg.recipient), counters }, msg.atMs, CLICKS_COLUMN);
  return { state: next };
}

/** Where the recipient's tracked button leads (its contact values filled in), for the redirect. */
function clickTarget(state: RunState, index: number, button: number): CampaignRunReplies['getClickTarget'] {
  const recipient = recipientAt(state, index);
  const tracked =
    recipient && state.plan?.variants[recipient.variant]?.trackedButtons?.find((t) => t.button === button);
  if (recipient === undefined || tracked === undefined) return { ok: true, destination: null, isFixed: false };
  return {
    ok: true,
    destination: resolveDestination(tracked.destination, recipient.linkValues),
    isFixed: isFixedDestination(tracked.destination),
  };
}

/** The counters after one recipient moved from `before` to `after` (each step reached counts once). */
function counted(
  counters: readonly RunCounters[],
  variant: number,
  before: RecipientOutcome,
  after: RecipientOutcome,
  code: number | string | null,
): RunCounters[] {
  const next = counters.slice();
  const c = next[variant] ?? EMPTY_COUNTERS;
  const reached = (step: RecipientOutcome) =>
    after !== 'failed' &&
    after !== 'skipped' &&
    PROGRESS_RANK[after] >= PROGRESS_RANK[step] &&
    (before === 'failed' || before === 'skipped' || PROGRESS_RANK[before] < PROGRESS_RANK[step])
      ? 1
      : 0;
  next[variant] = {
    ...c,
    sent: c.sent + reached('sent'),
    delivered: c.delivered + reached('delivered'),
    read: c.read + reached('read'),
    replied: c.replied + reached('replied'),
    failed:
      after === 'failed'
        ? { ...c.failed, [String(code ?? 'unknown')]: (c.failed[String(code ?? 'unknown')] ?? 0) + 1 }
        : c.failed,
    skipped: after === 'skipped' ? addCounts(c.skipped, (code ?? 'cancelled') as SkipReason, 1) : c.skipped,
  };
  return next;
}

// ---------------------------------------------------------------- pause, resume, cancel

function onPause(state: RunState, reason: string, ctx: TurnContext): Turn {
  if (state.status !== 'waiting' && state.status !== 'sending' && state.status !== 'snapshotting') {
    return { state, reply: { ok: true, status: statusOf(state) } };
  }
  if (state.status === 'snapshotting') {
    // The snapshot finishes; dispatch waits.
    return { state: { ...state, pausedReason: reason }, reply: { ok: true, status: 'snapshotting' } };
  }
  const paused: RunState = { ...state, status: 'paused', pausedReason: reason };
  return { state: paused, effects: [runChanged(paused, ctx)], reply: { ok: true, status: 'paused' } };
}

function onResume(state: RunState, ctx: TurnContext, tokens: ClickTokens): Turn {
  if (state.status === 'snapshotting' && state.pausedReason !== null) {
    return { state: { ...state, pausedReason: null }, reply: { ok: true, status: 'snapshotting' } };
  }
  if (state.status !== 'paused') return { state, reply: { ok: true, status: statusOf(state) } };
  const resumed: RunState = {
    ...state,
    status: state.firstSendAtMs === null ? 'waiting' : 'sending',
    pausedReason: null,
  };
  const turn = dispatch(resumed, ctx, tokens);
  return {
    ...turn,
    effects: [runChanged(turn.state, ctx), ...(turn.effects ?? [])],
    reply: { ok: true, status: turn.state.status as RunStatus },
  };
}

/** Every recipient not dispatched yet is skipped (`cancelled`); those on their way finish as they will. */
function onCancel(state: RunState, ctx: TurnContext): Turn {
  if (state.plan === null || state.status === 'completed' || state.status === 'cancelled') {
    return { state, reply: { ok: true, status: statusOf(state) } };
  }
  const changes: { index: number; outcome: RecipientOutcome; code: string }[] = [];
  const counters = state.counters.slice();
  state.lanes.forEach((lane, i) => {
    const indexes = state.order[i]!.indexes;
    for (let k = lane.cursor; k < lane.count; k++) {
      const index = indexes[k]!;
      changes.push({ index, outcome: 'skipped', code: 'cancelled' });
      const variant = recipientAt(state, index)!.variant;
      counters[variant] = { ...counters[variant]!, skipped: addCounts(counters[variant]!.skipped, 'cancelled', 1) };
    }
  });
  const cancelled: RunState = withOutcomes(
    {
      ...state,
      status: 'cancelled',
      pausedReason: null,
      snapshotCursor: null,
      lanes: state.lanes.map((lane) => ({ ...lane, cursor: lane.count })),
      counters,
      dispatchFinishedAtMs: state.dispatchFinishedAtMs ?? ctx.nowMs,
    },
    changes,
  );
  const cancelTimer: Effect[] = state.timerAtMs === null ? [] : [{ type: 'cancelTimer', name: DISPATCH_TIMER }];
  return {
    state: { ...cancelled, timerAtMs: null },
    effects: [...cancelTimer, runChanged(cancelled, ctx)],
    reply: { ok: true, status: 'cancelled' },
  };
}

function statusOf(state: RunState): RunStatus {
  return state.status === 'idle' ? 'snapshotting' : state.status;
}

// ---------------------------------------------------------------- views

function runChanged(state: RunState, ctx: TurnContext): Effect {
  const plan = state.plan!;
  const msg: CampaignMsg = {
    type: 'runChanged',
    run: plan.run,
    status: statusOf(state),
    pausedReason: state.pausedReason,
    total: totalCounters(state.counters),
    atMs: ctx.nowMs,
  };
  return { type: 'tell', to: campaignAddress(plan.orgId, plan.campaignId), msg };
}

function viewOf(state: RunState, ctx: TurnContext): RunView {
  const plan = state.plan!;
  const waiting = state.lanes.filter((l) => l.cursor < l.count).map((l) => Math.max(l.releaseAtMs, l.blockedUntilMs));
  return {
    runId: ctx.self.id,
    campaignId: plan.campaignId,
    run: plan.run,
    status: statusOf(state),
    pausedReason: state.pausedReason,
    runAtMs: plan.runAtMs,
    snapshotAtMs: state.snapshotAtMs,
    firstSendAtMs: state.firstSendAtMs,
    dispatchFinishedAtMs: state.dispatchFinishedAtMs,
    inFlight: state.inFlight,
    total: totalCounters(state.counters),
    variants: state.counters.map((c, i) => ({ ...c, id: plan.variants[i]?.id ?? String(i) })),
    nextReleaseAtMs: waiting.length > 0 ? Math.min(...waiting) : null,
  };
}

function listRecipients(state: RunState, msg: Msg<'listRecipients'>): CampaignRunReplies['listRecipients'] {
  const limit = Math.min(Math.max(Math.trunc(msg.limit), 1), 1_000);
  const recipients: RecipientView[] = [];
  for (let index = (msg.after ?? -1) + 1; index < state.total; index++) {
    const { outcome, code } = outcomeAt(state, index);
    if (msg.outcome !== undefined && outcome !== msg.outcome) continue;
    const clicked = clickedAt(state, index);
    if (msg.clicked !== undefined && clicked !== msg.clicked) continue;
    if (recipients.length === limit) return { ok: true, recipients, nextAfter: recipients.at(-1)!.index };
    const recipient = recipientAt(state, index)!;
    recipients.push({
      index,
      key: recipient.key,
      variant: state.plan?.variants[recipient.variant]?.id ?? String(recipient.variant),
      outcome,
      code,
      clicked,
    });
  }
  return { ok: true, recipients, nextAfter: null };
}

function onEraseRecipient(state: RunState, key: string, pseudonym: string): Turn {
  let erased = 0;
  const recipients = state.recipients.map((chunk) => {
    if (!chunk.recipients.some((r) => r.key === key)) return chunk;
    return {
      ...chunk,
      recipients: chunk.recipients.map((r) => {
        if (r.key !== key) return r;
        erased++;
        const { linkValues: _personal, ...kept } = r;
        return { ...kept, key: pseudonym, phone: null, userId: null, timeZone: null, values: null };
      }),
    };
  });
  const reply: CampaignRunReplies['eraseRecipient'] = { ok: true, erased };
  return erased === 0 ? { state, reply } : { state: { ...state, recipients }, reply };
}
