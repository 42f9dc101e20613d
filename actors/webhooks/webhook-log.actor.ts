import { defineActor, unreachable, type Effect, type TurnContext, type TurnResult } from '../../core/index.ts';
import { webhookAccessRefusal } from './webhook-caller.ts';
import { webhookDeliveryAddress, type WebhookDeliveryMsg } from './webhook-delivery.messages.ts';
import {
  DEAD_LETTERS_KEPT,
  DEFAULT_LOG_PAGE,
  MAX_LOG_PAGE,
  RECENT_ATTEMPTS_KEPT,
  WEBHOOK_LOG_KIND,
  type AttemptLogEntry,
  type DeadLetterEntry,
  type WebhookLogMsg,
  type WebhookLogReplies,
} from './webhook-log.messages.ts';

/**
 * One endpoint's delivery log (id `<orgId>:<endpointId>`): the newest RECENT_ATTEMPTS_KEPT attempts and the newest
 * DEAD_LETTERS_KEPT dead letters, newest first. A dead delivery pushed out of the list stays replayable by its id
 * until its own retention ends.
 */
export interface WebhookLogState {
  readonly recent: readonly AttemptLogEntry[];
  readonly dead: readonly DeadLetterEntry[];
  readonly nextSeq: number;
}

type Turn = TurnResult<WebhookLogState>;
type Msg<T extends WebhookLogMsg['type']> = Extract<WebhookLogMsg, { type: T }>;

export function initialWebhookLogState(): WebhookLogState {
  return { recent: [], dead: [], nextSeq: 1 };
}

export const webhookLogActor = defineActor<WebhookLogState, WebhookLogMsg>({
  kind: WEBHOOK_LOG_KIND,
  stateVersion: 1,
  initialState: () => initialWebhookLogState(),
  isEmpty: (state) => state.recent.length === 0 && state.dead.length === 0,
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'attemptRecorded':
        return onAttemptRecorded(state, msg);
      case 'deadLettered':
        return onDeadLettered(state, msg);
      case 'deadLetterCleared':
        return onDeadLetterCleared(state, msg);
      case 'listAttempts':
        return onList(state, msg, state.recent);
      case 'listDeadLetters':
        return onList(state, msg, state.dead);
      case 'replayDeadLetters':
        return onReplayDeadLetters(state, msg, ctx);
      case 'endpointDeleted':
        return ok<'endpointDeleted'>(initialWebhookLogState(), { ok: true });
      default:
        return unreachable(msg);
    }
  },
});

function ok<T extends keyof WebhookLogReplies>(
  state: WebhookLogState,
  reply: WebhookLogReplies[T],
  effects?: readonly Effect[],
): Turn {
  return effects && effects.length > 0 ? { state, effects, reply } : { state, reply };
}

/** Prepends, keeping the newest `kept`. */
function prepend<T>(list: readonly T[], entry: T, kept: number): T[] {
  return [entry, ...(list.length >= kept ? list.slice(0, kept - 1) : list)];
}

function onAttemptRecorded(state: WebhookLogState, msg: Msg<'attemptRecorded'>): Turn {
  const entry: AttemptLogEntry = { seq: state.nextSeq, ...msg.entry };
  return ok<'attemptRecorded'>(
    { ...state, recent: prepend(state.recent, entry, RECENT_ATTEMPTS_KEPT), nextSeq: state.nextSeq + 1 },
    { ok: true, seq: entry.seq },
  );
}

function onDeadLettered(state: WebhookLogState, msg: Msg<'deadLettered'>): Turn {
  const existing = state.dead.find((d) => d.deliveryId === msg.entry.deliveryId);
  // A report of an older round than the one listed is stale (messages of one delivery may cross a replay).
  if (existing && existing.round > msg.entry.round) return ok<'deadLettered'>(state, { ok: true, seq: existing.seq });
  const entry: DeadLetterEntry = { seq: state.nextSeq, ...msg.entry };
  const others = state.dead.filter((d) => d.deliveryId !== msg.entry.deliveryId);
  return ok<'deadLettered'>(
    { ...state, dead: prepend(others, entry, DEAD_LETTERS_KEPT), nextSeq: state.nextSeq + 1 },
    { ok: true, seq: entry.seq },
  );
}

function onDeadLetterCleared(state: WebhookLogState, msg: Msg<'deadLetterCleared'>): Turn {
  const dead = state.dead.filter((d) => !(d.deliveryId === msg.deliveryId && d.round < msg.round));
  if (dead.length === state.dead.length) return ok<'deadLetterCleared'>(state, { ok: true, removed: false });
  return ok<'deadLetterCleared'>({ ...state, dead }, { ok: true, removed: true });
}

/** A page of `list` (newest first) starting after the `before` cursor (a seq). */
function onList<E extends { readonly seq: number }>(
  state: WebhookLogState,
  msg: Msg<'listAttempts'> | Msg<'listDeadLetters'>,
  list: readonly E[],
): Turn {
  const denied = webhookAccessRefusal(msg.by);
  if (denied) return { state, reply: denied };
  const limit = Math.min(Math.max(msg.limit ?? DEFAULT_LOG_PAGE, 1), MAX_LOG_PAGE);
  const before = msg.before;
  const from = before === undefined ? 0 : list.findIndex((e) => e.seq < before);
  const start = from === -1 ? list.length : from;
  const entries = list.slice(start, start + limit);
  const last = entries.at(-1);
  const nextBefore = last !== undefined && start + limit < list.length ? last.seq : null;
  return { state, reply: { ok: true, entries, nextBefore } };
}

/** Tells every listed dead delivery to replay; each one clears its entry when it does. */
function onReplayDeadLetters(state: WebhookLogState, msg: Msg<'replayDeadLetters'>, ctx: TurnContext): Turn {
  const denied = webhookAccessRefusal(msg.by);
  if (denied) return { state, reply: denied };
  const orgId = ctx.self.id.slice(0, ctx.self.id.indexOf(':'));
  const replay: WebhookDeliveryMsg = { type: 'replayDelivery', endpointId: msg.endpointId, by: msg.by };
  const effects = state.dead.map((d): Effect => ({
    type: 'tell',
    to: webhookDeliveryAddress(orgId, d.deliveryId),
    msg: replay,
  }));
  const deliveryIds = state.dead.map((d) => d.deliveryId);
  return ok<'replayDeadLetters'>(state, { ok: true, replayed: deliveryIds.length, deliveryIds }, effects);
}
