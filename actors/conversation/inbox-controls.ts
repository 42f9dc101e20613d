import { refusal, type Effect } from '../../core/index.ts';
import type { AssignmentMsg } from '../operators/assignment.messages.ts';
import { assignmentAddress } from '../operators/operator.messages.ts';
import type { AuditActor } from '../org/org.messages.ts';
import type { ConversationLock, ConversationStatus, InboxControlsReply } from './conversation.messages.ts';
import type { ConversationState } from './conversation.state.ts';
import { withAssigneeMentioned } from './inbox-notes.ts';

export type { InboxControlsReply } from './conversation.messages.ts';

/**
 * The inbox's hold on a conversation (pure, STYLE rule 3): who it is assigned to, who holds its lock (the one
 * operator who replies), and its status (open, pending, snoozed until a time, resolved). The conversation enforces
 * them itself, so a second operator's reply is refused here whatever the client (`lockRefusal`).
 *
 * - The assignee holds the lock; whoever claims an unassigned conversation, or replies to one nobody holds,
 *   becomes its assignee and holder. Another operator's claim or reply is refused with PARLO_CONVERSATION_LOCKED
 *   naming the holder, unless a manager takes over (`takeOver`, permission `conversations:takeover`).
 * - The lock is released when its holder releases it, on resolve, on a transfer (it moves to the new assignee) and
 *   after `lockTimeoutMs` without the holder replying (a durable timer): the assignment stays.
 * - A transfer to a team unassigns the conversation (the lock goes) and leaves it waiting for a free member of the
 *   team: the organisation's assignment actor is told so with the turn (operators/conversation-assignment.ts), and
 *   its `autoAssign` names the transfer's note, of which the member given the conversation is notified.
 * - Snoozed conversations open again at their time (a durable timer), and a customer message opens a snoozed or
 *   resolved one again.
 * API keys and the platform itself (campaigns, automations) are not operators: the lock does not hold them back.
 */

export const LOCK_TIMER = 'lockExpired';
export const SNOOZE_TIMER = 'snoozeEnded';
/** A lock whose holder has not replied for this long is released (`createConversationActor`'s `lockTimeoutMs`). */
export const DEFAULT_LOCK_TIMEOUT_MS = 15 * 60 * 1000;

type Turn = { state: ConversationState; effects?: Effect[]; reply?: unknown };

export function controlsReply(state: ConversationState): InboxControlsReply {
  return {
    ok: true,
    assignee: state.assignee,
    lock: state.lock,
    status: state.status,
    snoozedUntilMs: state.snoozedUntilMs,
  };
}

/** The refusal of a user's reply or claim while another user holds the lock, else null. */
export function lockRefusal(state: ConversationState, userId: string, nowMs: number) {
  const lock = heldLock(state, nowMs);
  if (lock === null || lock.holder === userId) return null;
  return refusal(
    'PARLO_CONVERSATION_LOCKED',
    `${lock.holder} holds this conversation since ${new Date(lock.sinceMs).toISOString()}; they reply until they release it, it is transferred or resolved, or a manager takes over`,
  );
}

/** The lock, unless its holder has been inactive past the timeout (its timer may not have fired yet). */
function heldLock(state: ConversationState, nowMs: number): ConversationLock | null {
  const lock = state.lock;
  return lock !== null && nowMs < lock.expiresAtMs ? lock : null;
}

/** `userId` holds the lock from now (refreshing it when they already do), and is the assignee if there was none. */
export function lockedBy(
  state: ConversationState,
  userId: string,
  nowMs: number,
  lockTimeoutMs: number,
  effects: Effect[],
): ConversationState {
  const held = heldLock(state, nowMs);
  const sinceMs = held !== null && held.holder === userId ? held.sinceMs : nowMs;
  const expiresAtMs = nowMs + lockTimeoutMs;
  effects.push({ type: 'setTimer', name: LOCK_TIMER, dueAtMs: expiresAtMs, msg: { type: LOCK_TIMER } });
  return { ...state, assignee: state.assignee ?? userId, lock: { holder: userId, sinceMs, expiresAtMs } };
}

/** A user's reply went out: they hold the lock (it was free or theirs: `lockRefusal` said so). */
export function afterUserReply(
  state: ConversationState,
  by: AuditActor,
  nowMs: number,
  lockTimeoutMs: number,
  effects: Effect[],
): ConversationState {
  return by.kind === 'user' ? lockedBy(state, by.id, nowMs, lockTimeoutMs, effects) : state;
}

function withoutLock(state: ConversationState, effects: Effect[]): ConversationState {
  if (state.lock === null) return state;
  effects.push({ type: 'cancelTimer', name: LOCK_TIMER });
  return { ...state, lock: null };
}

function notFound(conversationId: string) {
  return refusal('PARLO_CONVERSATION_NOT_FOUND', `no conversation ${conversationId}`);
}

/**
 * Assigns (or unassigns, `assignee: null`) the conversation: the lock moves to the new assignee. A transfer to a
 * `team` unassigns it, opens it again if it was resolved (a resolved conversation is not assigned automatically),
 * and answers the team it waits for.
 */
export function onAssign(
  state: ConversationState,
  target: { readonly assignee: string | null; readonly team?: string },
  conversationId: string,
  nowMs: number,
  lockTimeoutMs: number,
): Turn {
  if (state.orgId === null) return { state, reply: notFound(conversationId) };
  const { assignee, team } = target;
  const effects: Effect[] = [];
  if (team !== undefined) {
    if (assignee !== null) {
      return { state, reply: refusal('PARLO_BAD_REQUEST', 'assign to a member or to a team, not both') };
    }
    const unassigned = withoutLock({ ...state, assignee: null }, effects);
    const next = unassigned.status === 'resolved' ? { ...unassigned, status: 'open' as const } : unassigned;
    const reply: InboxControlsReply = { ...controlsReply(next), waitingForTeam: team };
    return { state: next, effects, reply };
  }
  if (assignee === null) {
    const next = withoutLock({ ...state, assignee: null }, effects);
    return { state: next, effects, reply: controlsReply(next) };
  }
  const reassigned = state.assignee === assignee ? state : { ...state, assignee };
  const next = lockedBy(withoutLock(reassigned, effects), assignee, nowMs, lockTimeoutMs, effects);
  return { state: next, effects, reply: controlsReply(next) };
}

/**
 * The assignment actor picked `assignee`: assigned (holding the lock) unless the conversation has an assignee or is
 * resolved by now, in which case it declines, so that the assignment actor stops counting it on that operator.
 * Picked for a transfer to a team with a note (`transferNoteId`): the note mentions the assignee, who is notified.
 */
export function onAutoAssign(
  state: ConversationState,
  pick: { readonly assignee: string; readonly transferNoteId?: string },
  conversationId: string,
  nowMs: number,
  lockTimeoutMs: number,
): Turn {
  const { assignee, transferNoteId } = pick;
  if (state.orgId === null || state.assignee !== null || state.status === 'resolved') {
    if (state.orgId === null) return { state };
    const declined: AssignmentMsg = { type: 'autoAssignDeclined', conversationId, userId: assignee };
    return { state, effects: [{ type: 'tell', to: assignmentAddress(state.orgId), msg: declined }] };
  }
  const effects: Effect[] = [];
  const assigned = lockedBy({ ...state, assignee }, assignee, nowMs, lockTimeoutMs, effects);
  if (transferNoteId === undefined) return { state: assigned, effects };
  return {
    state: withAssigneeMentioned(assigned, transferNoteId, assignee, conversationId, nowMs, effects),
    effects,
  };
}

/** `userId` went offline (assignment rules): the conversation is unassigned if it is still theirs. */
export function onAutoUnassign(state: ConversationState, userId: string): Turn {
  if (state.assignee !== userId) return { state };
  const effects: Effect[] = [];
  return { state: withoutLock({ ...state, assignee: null }, effects), effects };
}

/** An operator takes the conversation: refused while another holds its lock. */
export function onClaim(
  state: ConversationState,
  userId: string,
  conversationId: string,
  nowMs: number,
  lockTimeoutMs: number,
): Turn {
  if (state.orgId === null) return { state, reply: notFound(conversationId) };
  const refused = lockRefusal(state, userId, nowMs);
  if (refused !== null) return { state, reply: refused };
  const effects: Effect[] = [];
  const next = lockedBy({ ...state, assignee: userId }, userId, nowMs, lockTimeoutMs, effects);
  return { state: next, effects, reply: controlsReply(next) };
}

/** A manager takes the conversation whoever holds it (the HTTP layer checked the permission). */
export function onTakeOver(
  state: ConversationState,
  userId: string,
  conversationId: string,
  nowMs: number,
  lockTimeoutMs: number,
): Turn {
  if (state.orgId === null) return { state, reply: notFound(conversationId) };
  const effects: Effect[] = [];
  const next = lockedBy(withoutLock({ ...state, assignee: userId }, effects), userId, nowMs, lockTimeoutMs, effects);
  return { state: next, effects, reply: controlsReply(next) };
}

/** The holder lets go of the lock (the assignment stays); anyone else's release changes nothing. */
export function onReleaseLock(state: ConversationState, userId: string, conversationId: string): Turn {
  if (state.orgId === null) return { state, reply: notFound(conversationId) };
  if (state.lock === null || state.lock.holder !== userId) return { state, reply: controlsReply(state) };
  const effects: Effect[] = [];
  const next = withoutLock(state, effects);
  return { state: next, effects, reply: controlsReply(next) };
}

/** The lock timer: released when its holder stayed inactive until the lock's expiry (a newer reply re-armed it). */
export function onLockExpired(state: ConversationState, nowMs: number): Turn {
  if (state.lock === null || nowMs < state.lock.expiresAtMs) return { state };
  return { state: { ...state, lock: null } };
}

/**
 * Sets the status. `snoozed` needs a time after now, and opens again then; `resolved` releases the lock. A
 * status other than snoozed drops the snooze.
 */
export function onSetStatus(
  state: ConversationState,
  status: ConversationStatus,
  snoozeUntilMs: number | undefined,
  conversationId: string,
  nowMs: number,
): Turn {
  if (state.orgId === null) return { state, reply: notFound(conversationId) };
  const effects: Effect[] = [];
  let next: ConversationState;
  if (status === 'snoozed') {
    if (snoozeUntilMs === undefined || !Number.isSafeInteger(snoozeUntilMs) || snoozeUntilMs <= nowMs) {
      return {
        state,
        reply: refusal('PARLO_BAD_REQUEST', 'snoozeUntil must be a time after now to snooze a conversation'),
      };
    }
    effects.push({ type: 'setTimer', name: SNOOZE_TIMER, dueAtMs: snoozeUntilMs, msg: { type: SNOOZE_TIMER } });
    next = { ...state, status, snoozedUntilMs: snoozeUntilMs };
  } else {
    if (state.snoozedUntilMs !== null) effects.push({ type: 'cancelTimer', name: SNOOZE_TIMER });
    next =
      state.status === status && state.snoozedUntilMs === null ? state : { ...state, status, snoozedUntilMs: null };
    if (status === 'resolved') next = withoutLock(next, effects);
  }
  return { state: next, effects, reply: controlsReply(next) };
}

/** The snooze timer: open again (unless the status changed since). */
export function onSnoozeEnded(state: ConversationState, nowMs: number): Turn {
  if (state.status !== 'snoozed' || state.snoozedUntilMs === null || nowMs < state.snoozedUntilMs) return { state };
  return { state: { ...state, status: 'open', snoozedUntilMs: null } };
}

/** A customer wrote: a snoozed or resolved conversation is open again. */
export function reopenedByCustomer(state: ConversationState, effects: Effect[]): ConversationState {
  if (state.status === 'open' || state.status === 'pending') return state;
  if (state.snoozedUntilMs !== null) effects.push({ type: 'cancelTimer', name: SNOOZE_TIMER });
  return { ...state, status: 'open', snoozedUntilMs: null };
}
