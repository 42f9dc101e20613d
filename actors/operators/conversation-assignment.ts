import type { ActorDefinition, Effect } from '../../core/index.ts';
import type { ConversationMsg } from '../conversation/conversation.messages.ts';
import type { ConversationState } from '../conversation/conversation.state.ts';
import type { AssignmentMsg } from './assignment.messages.ts';
import { assignmentAddress, operatorAddress, type OperatorMsg } from './operator.messages.ts';

/**
 * What a conversation's turn tells about assignment (pure, STYLE rule 3), in the commit that made the change:
 * - its operators' load: the former assignee that it is no longer an open conversation of theirs, the new one
 *   that it is (open = not resolved);
 * - the organisation's assignment actor: that the conversation now waits for an operator (`needsOperator`: open,
 *   unassigned, and the customer wrote last — told when it starts waiting, not for every message of the customer),
 *   or that it waits no more (`conversationTaken`: assigned by anyone, or resolved unassigned);
 * - and, for a transfer to a team (`transfer`: the turn's accepted `assign` with a team), that it waits for a member
 *   of that team, whoever wrote last, with the transfer's note (instead of any of the two above).
 */
export function assignmentEffectsOf(
  before: ConversationState,
  after: ConversationState,
  conversationId: string,
  transfer: TeamTransfer | null = null,
): Effect[] {
  const orgId = after.orgId;
  if (before === after || orgId === null || after.phoneNumberId === null) return [];
  const effects: Effect[] = [];
  const openBefore = before.assignee !== null && before.status !== 'resolved';
  const openAfter = after.assignee !== null && after.status !== 'resolved';
  if (openBefore && (!openAfter || before.assignee !== after.assignee)) {
    const msg: OperatorMsg = { type: 'conversationLoad', conversationId, open: false };
    effects.push({ type: 'tell', to: operatorAddress(orgId, before.assignee), msg });
  }
  if (openAfter && (!openBefore || before.assignee !== after.assignee)) {
    const msg: OperatorMsg = { type: 'conversationLoad', conversationId, open: true };
    effects.push({ type: 'tell', to: operatorAddress(orgId, after.assignee), msg });
  }
  if (transfer !== null && after.assignee === null && after.status !== 'resolved') {
    const msg: AssignmentMsg = {
      type: 'needsOperator',
      conversationId,
      phoneNumberId: after.phoneNumberId,
      team: transfer.team,
      ...(transfer.noteId === null ? {} : { noteId: transfer.noteId }),
    };
    effects.push({ type: 'tell', to: assignmentAddress(orgId), msg });
  } else if (waitsForOperator(after) && !waitsForOperator(before)) {
    const msg: AssignmentMsg = { type: 'needsOperator', conversationId, phoneNumberId: after.phoneNumberId };
    effects.push({ type: 'tell', to: assignmentAddress(orgId), msg });
  } else if (
    (before.assignee === null && after.assignee !== null) ||
    (after.assignee === null && after.status === 'resolved' && before.status !== 'resolved')
  ) {
    const msg: AssignmentMsg = { type: 'conversationTaken', conversationId };
    effects.push({ type: 'tell', to: assignmentAddress(orgId), msg });
  }
  return effects;
}

/** A transfer to a team, and its note (kept by the conversation) if any. */
export interface TeamTransfer {
  readonly team: string;
  readonly noteId: string | null;
}

/** The team transfer a turn made: `msg` is an `assign` to a team, and the conversation accepted it. */
export function teamTransferOf(msg: ConversationMsg, reply: unknown): TeamTransfer | null {
  if (msg.type !== 'assign' || msg.team === undefined) return null;
  if ((reply as { ok?: unknown } | undefined)?.ok !== true) return null;
  return { team: msg.team, noteId: msg.note?.noteId ?? null };
}

/** Open, unassigned, and the customer wrote last: someone should take it. */
function waitsForOperator(state: ConversationState): boolean {
  return state.assignee === null && state.status !== 'resolved' && state.log[state.log.length - 1]?.direction === 'in';
}

/** The conversation actor with its assignment effects appended to each turn (the handler knows nothing of them). */
export function withAssignmentEffects<I>(
  definition: ActorDefinition<ConversationState, ConversationMsg, I>,
): ActorDefinition<ConversationState, ConversationMsg, I> {
  return {
    ...definition,
    handle(state, msg, ctx) {
      const turn = definition.handle(state, msg, ctx);
      const effects = assignmentEffectsOf(state, turn.state, ctx.self.id, teamTransferOf(msg, turn.reply));
      return effects.length === 0 ? turn : { ...turn, effects: [...(turn.effects ?? []), ...effects] };
    },
  };
}
