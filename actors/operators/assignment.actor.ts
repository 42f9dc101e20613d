import { defineActor, refusal, unreachable, type Effect, type StateSplit } from '../../core/index.ts';
import { CONVERSATION_KIND, type ConversationMsg } from '../conversation/conversation.messages.ts';
import {
  ASSIGNMENT_MODES,
  DEFAULT_ASSIGNMENT_RULES,
  MAX_ROUTES,
  MAX_WAITING,
  MAX_WAITING_SHOWN,
  MAX_WAITING_WITH_TRANSFERS,
  type AssignmentMsg,
  type AssignmentReplies,
  type AssignmentRoute,
  type AssignmentRules,
  type AssignmentView,
  type WaitingConversation,
} from './assignment.messages.ts';
import {
  bucketIndexSplit,
  emptyBucketIndex,
  findEntry,
  removeEntry,
  upsertEntry,
  type Bucket,
  type BucketIndex,
  type EntryKind,
} from '../indexing/bucket-index.ts';
import { isOnShift } from './operator.actor.ts';
import { ASSIGNMENT_KIND, type OperatorSnapshot } from './operator.messages.ts';

/** Protocol and rules in assignment.messages.ts. */
export interface AssignmentState {
  readonly rules: AssignmentRules;
  /** By user id, ascending. */
  readonly operators: readonly OperatorSnapshot[];
  /**
   * By conversation id, in buckets (bucket-index.ts): a customer writing to an unassigned conversation adds one
   * entry and writes one small bucket, however many wait. `waitingOldestFirst` orders them.
   */
  readonly waiting: BucketIndex<WaitingConversation>;
  /** The last operator round-robin picked. */
  readonly lastPicked: string | null;
}

export function initialAssignmentState(): AssignmentState {
  return { rules: DEFAULT_ASSIGNMENT_RULES, operators: [], waiting: emptyBucketIndex(), lastPicked: null };
}

const waitingKind: EntryKind<WaitingConversation> = {
  idOf: (w) => w.conversationId,
  // A conversation waits from the first time it asked: a repeated ask keeps its place (and its team).
  isNewer: () => false,
};
/** A transfer to a team replaces the entry held (`transferred` keeps its place). */
const transferKind: EntryKind<WaitingConversation> = { idOf: (w) => w.conversationId, isNewer: () => true };
const waitingBuckets = bucketIndexSplit<WaitingConversation>();

type AssignmentHead = Omit<AssignmentState, 'waiting'> & { readonly waitingCount: number };

/** Stored as the head (rules, operators) and one record per bucket of waiting conversations. */
export const assignmentSplit: StateSplit<AssignmentState, Bucket<WaitingConversation>> = {
  head: ({ waiting, ...rest }): AssignmentHead => ({ ...rest, waitingCount: waiting.count }),
  items: (state) => state.waiting.buckets,
  itemKey: (bucket) => bucket.index,
  join: (head, buckets) => {
    const { waitingCount, ...rest } = head as AssignmentHead;
    return { ...rest, waiting: waitingBuckets.join({ count: waitingCount }, buckets) };
  },
};

export const ASSIGNMENT_STATE_VERSION = 3;

/** A waiting conversation as versions 1 and 2 stored it: no team, no transfer note. */
type WaitingV2 = Omit<WaitingConversation, 'team' | 'noteId'>;

const byTheRules = (entry: WaitingV2): WaitingConversation => ({
  conversationId: entry.conversationId,
  phoneNumberId: entry.phoneNumberId,
  sinceMs: entry.sinceMs,
  team: null,
  noteId: null,
});

/**
 * Version 1 stored the waiting conversations as one list, oldest first, inside the state; version 2 in buckets
 * (the head and items of `assignmentSplit`), without a team or a transfer note: they all wait by the rules.
 */
export function upgradeAssignment(
  stored: unknown,
  storedVersion: number,
  items: readonly unknown[] = [],
): AssignmentState {
  if (storedVersion === 1) {
    const old = stored as Omit<AssignmentState, 'waiting'> & { readonly waiting: readonly WaitingV2[] };
    let waiting = emptyBucketIndex<WaitingConversation>();
    for (const entry of old.waiting) waiting = upsertEntry(waiting, byTheRules(entry), waitingKind);
    return { rules: old.rules, operators: old.operators, lastPicked: old.lastPicked, waiting };
  }
  if (storedVersion === 2) {
    const old = assignmentSplit.join(stored, items as readonly Bucket<WaitingConversation>[]);
    const buckets = old.waiting.buckets.map((b) => ({ index: b.index, entries: b.entries.map(byTheRules) }));
    return { ...old, waiting: { count: old.waiting.count, buckets } };
  }
  throw new Error(`assignment: no upgrade from stored state version ${storedVersion}`);
}

/**
 * The waiting conversations, oldest first (ties by conversation id); only those `which` keeps when given (it is
 * asked before the sort).
 */
export function waitingOldestFirst(
  waiting: BucketIndex<WaitingConversation>,
  which?: (entry: WaitingConversation) => boolean,
): WaitingConversation[] {
  const all: WaitingConversation[] = [];
  for (const bucket of waiting.buckets) {
    for (const entry of bucket.entries) if (which === undefined || which(entry)) all.push(entry);
  }
  return all.sort((a, b) =>
    a.sinceMs !== b.sinceMs
      ? a.sinceMs - b.sinceMs
      : a.conversationId < b.conversationId
        ? -1
        : a.conversationId > b.conversationId
          ? 1
          : 0,
  );
}

/** `waiting` with `entry` queued, unless it waits already or the queue is full (MAX_WAITING). */
function queued(
  waiting: BucketIndex<WaitingConversation>,
  entry: WaitingConversation,
): BucketIndex<WaitingConversation> {
  if (waiting.count >= MAX_WAITING) return waiting;
  return upsertEntry(waiting, entry, waitingKind);
}

/**
 * `waiting` with the conversation transferred to `team`: queued (up to MAX_WAITING_WITH_TRANSFERS), or, when it
 * waits already, in the same place with the team and note of this transfer.
 */
function transferred(
  waiting: BucketIndex<WaitingConversation>,
  transfer: { conversationId: string; phoneNumberId: string; team: string; noteId: string | null },
  nowMs: number,
): BucketIndex<WaitingConversation> {
  const held = findEntry(waiting, transfer.conversationId, waitingKind);
  if (held === undefined && waiting.count >= MAX_WAITING_WITH_TRANSFERS) return waiting;
  const { conversationId, phoneNumberId, team, noteId } = transfer;
  const sinceMs = held?.sinceMs ?? nowMs;
  // Keys in the order of every other entry: one stored record shape.
  return upsertEntry(waiting, { conversationId, phoneNumberId, sinceMs, team, noteId }, transferKind);
}

export const assignmentActor = defineActor<AssignmentState, AssignmentMsg, Bucket<WaitingConversation>>({
  kind: ASSIGNMENT_KIND,
  stateVersion: ASSIGNMENT_STATE_VERSION,
  initialState: () => initialAssignmentState(),
  split: assignmentSplit,
  upgrade: upgradeAssignment,
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'operatorChanged': {
        const effects: Effect[] = [];
        const before = state.operators.find((o) => o.userId === msg.operator.userId);
        let next: AssignmentState = { ...state, operators: withOperator(state.operators, msg.operator) };
        if (state.rules.unassignWhenOffline && msg.operator.presence === 'offline' && before?.presence !== 'offline') {
          next = unassignAll(next, msg.operator, ctx.nowMs, effects);
        }
        return { state: served(next, ctx.nowMs, effects), effects };
      }
      case 'needsOperator': {
        const { conversationId, phoneNumberId } = msg;
        const waiting =
          msg.team === undefined
            ? queued(state.waiting, { conversationId, phoneNumberId, sinceMs: ctx.nowMs, team: null, noteId: null })
            : transferred(
                state.waiting,
                { conversationId, phoneNumberId, team: msg.team, noteId: msg.noteId ?? null },
                ctx.nowMs,
              );
        if (waiting === state.waiting) return { state };
        const effects: Effect[] = [];
        return { state: served({ ...state, waiting }, ctx.nowMs, effects), effects };
      }
      case 'conversationTaken': {
        const waiting = removeEntry(state.waiting, msg.conversationId, waitingKind);
        return { state: waiting === state.waiting ? state : { ...state, waiting } };
      }
      case 'autoAssignDeclined': {
        const operator = state.operators.find((o) => o.userId === msg.userId);
        if (!operator || !operator.assigned.includes(msg.conversationId)) return { state };
        const assigned = operator.assigned.filter((id) => id !== msg.conversationId);
        const effects: Effect[] = [];
        const next = { ...state, operators: withOperator(state.operators, { ...operator, assigned }) };
        return { state: served(next, ctx.nowMs, effects), effects };
      }
      case 'setRules': {
        const problem = rulesProblem(msg.rules);
        if (problem !== null) return { state, reply: refusal('PARLO_BAD_REQUEST', problem) };
        const effects: Effect[] = [];
        const next = served({ ...state, rules: msg.rules }, ctx.nowMs, effects);
        const reply: AssignmentReplies['setRules'] = { ok: true, view: viewOf(next) };
        return { state: next, effects, reply };
      }
      case 'getAssignment': {
        const reply: AssignmentReplies['getAssignment'] = { ok: true, view: viewOf(state) };
        return { state, reply };
      }
      case 'getTeam': {
        const userIds = state.operators.filter((o) => o.settings.teams.includes(msg.team)).map((o) => o.userId);
        const reply: AssignmentReplies['getTeam'] = { ok: true, userIds };
        return { state, reply };
      }
      default:
        return unreachable(msg);
    }
  },
});

function viewOf(state: AssignmentState): AssignmentView {
  return {
    rules: state.rules,
    operators: state.operators,
    waiting: waitingOldestFirst(state.waiting).slice(0, MAX_WAITING_SHOWN),
    waitingCount: state.waiting.count,
  };
}

function withOperator(operators: readonly OperatorSnapshot[], operator: OperatorSnapshot): OperatorSnapshot[] {
  const others = operators.filter((o) => o.userId !== operator.userId);
  return [...others, operator].sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : 0));
}

/** The operator went offline: each of their open conversations is unassigned (if still theirs) and waits again. */
function unassignAll(state: AssignmentState, operator: OperatorSnapshot, nowMs: number, effects: Effect[]) {
  let waiting = state.waiting;
  for (const conversationId of operator.assigned) {
    const msg: ConversationMsg = { type: 'autoUnassign', userId: operator.userId };
    effects.push({ type: 'tell', to: { kind: CONVERSATION_KIND, id: conversationId }, msg });
    const phoneNumberId = conversationId.slice(0, conversationId.indexOf('.'));
    waiting = queued(waiting, { conversationId, phoneNumberId, sinceMs: nowMs, team: null, noteId: null });
  }
  const operators = withOperator(state.operators, { ...operator, assigned: [] });
  return { ...state, operators, waiting };
}

/**
 * Serves the waiting conversations, oldest first, while operators are free (in manual mode only those transferred
 * to a team). Each pick is told to its conversation (with the transfer's note, of which the conversation notifies
 * the assignee) and counted on the operator's copy at once, so one turn never overfills an operator.
 */
export function served(state: AssignmentState, nowMs: number, effects: Effect[]): AssignmentState {
  if (state.waiting.count === 0) return state;
  // The usual backlog: nobody can take anything, so the queue is not even ordered.
  if (!state.operators.some((o) => isFree(o, nowMs))) return state;
  const entries =
    state.rules.mode === 'manual'
      ? waitingOldestFirst(state.waiting, (entry) => entry.team !== null)
      : waitingOldestFirst(state.waiting);
  let operators = state.operators;
  let lastPicked = state.lastPicked;
  let waiting = state.waiting;
  for (const entry of entries) {
    const route = entry.team === null ? routeOf(state.rules, entry.phoneNumberId) : teamRoute(entry.team);
    const picked = pick(operators, state.rules, route, lastPicked, nowMs);
    if (picked === null) continue;
    const msg: ConversationMsg = {
      type: 'autoAssign',
      assignee: picked.userId,
      ...(entry.noteId === null ? {} : { transferNoteId: entry.noteId }),
    };
    effects.push({ type: 'tell', to: { kind: CONVERSATION_KIND, id: entry.conversationId }, msg });
    operators = withOperator(operators, { ...picked, assigned: [...picked.assigned, entry.conversationId] });
    lastPicked = picked.userId;
    waiting = removeEntry(waiting, entry.conversationId, waitingKind);
    if (!operators.some((o) => isFree(o, nowMs))) break;
  }
  if (waiting === state.waiting) return state;
  return { ...state, operators, waiting, lastPicked };
}

/** Online, on shift and under capacity: may take a conversation of a route that fits them. */
function isFree(operator: OperatorSnapshot, nowMs: number): boolean {
  return (
    operator.presence === 'online' &&
    operator.assigned.length < operator.settings.capacity &&
    isOnShift(operator.settings.shift, nowMs)
  );
}

function routeOf(rules: AssignmentRules, phoneNumberId: string): AssignmentRoute | null {
  return rules.routes.find((r) => r.phoneNumberId === null || r.phoneNumberId === phoneNumberId) ?? null;
}

/** A conversation transferred to a team: any member of it, whatever the rules' route asks. */
function teamRoute(team: string): AssignmentRoute {
  return { phoneNumberId: null, team, skills: [] };
}

/**
 * Who takes the next conversation: among the free, eligible operators, by the rules' mode (`manual`, which only
 * serves transfers to a team, picks the least busy).
 */
export function pick(
  operators: readonly OperatorSnapshot[],
  rules: AssignmentRules,
  route: AssignmentRoute | null,
  lastPicked: string | null,
  nowMs: number,
): OperatorSnapshot | null {
  const free = operators.filter(
    (o) =>
      isFree(o, nowMs) &&
      (route === null ||
        ((route.team === null || o.settings.teams.includes(route.team)) &&
          route.skills.every((s) => o.settings.skills.includes(s)))),
  );
  if (free.length === 0) return null;
  if (rules.mode === 'roundRobin') {
    // Ascending by user id: the first after the last picked, wrapping around.
    return free.find((o) => lastPicked === null || o.userId > lastPicked) ?? free[0]!;
  }
  // leastBusy: the fewest open conversations; ties to whoever has been available longest.
  return free.reduce((best, o) =>
    o.assigned.length < best.assigned.length ||
    (o.assigned.length === best.assigned.length && (o.availableSinceMs ?? 0) < (best.availableSinceMs ?? 0))
      ? o
      : best,
  );
}

/** What is wrong with the rules, naming the field; null when they are good. */
export function rulesProblem(rules: AssignmentRules): string | null {
  if (!(ASSIGNMENT_MODES as readonly string[]).includes(rules.mode))
    return `mode: one of ${ASSIGNMENT_MODES.join(', ')}`;
  if (rules.routes.length > MAX_ROUTES) return `routes: at most ${MAX_ROUTES}`;
  for (const [i, route] of rules.routes.entries()) {
    if (route.phoneNumberId !== null && !/^[0-9]{5,25}$/.test(route.phoneNumberId))
      return `routes[${i}].phoneNumberId: a phone-number id (digits) or null`;
    if (route.team !== null && (route.team.length === 0 || route.team.length > 64))
      return `routes[${i}].team: 1–64 characters or null`;
    if (route.skills.some((s) => s.length === 0 || s.length > 64)) return `routes[${i}].skills: each 1–64 characters`;
  }
  return null;
}
