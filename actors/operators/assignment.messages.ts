import type { OperatorSnapshot } from './operator.messages.ts';

/**
 * The protocol of the `assignment` actor (id = org id): automatic assignment of the organisation's conversations.
 * It keeps a copy of every operator (told by the operator actors on each change), the organisation's rules, and
 * the conversations waiting for an operator, oldest first. A conversation that a customer writes to while nobody
 * is assigned asks for an operator (`needsOperator`); the actor picks one who is online, on shift, under capacity
 * and in the conversation's team with its skills, by the rules' mode, and tells the conversation (`autoAssign`,
 * which a conversation taken meanwhile declines). Nobody free: the conversation waits, and is served first when
 * someone frees up. An operator who goes offline may have their conversations unassigned and queued again.
 *
 * A conversation transferred to a team (`needsOperator` with `team`) waits for a member of that team: the team
 * replaces the rules' route for it (no skills asked), and it is served in every mode, `manual` included — a person
 * asked for it, so it is not left for anyone to claim. The least busy free member takes it in `manual` mode.
 */

export const ASSIGNMENT_MODES = ['manual', 'roundRobin', 'leastBusy'] as const;
export type AssignmentMode = (typeof ASSIGNMENT_MODES)[number];

/** Conversations of a number (or of every number: `phoneNumberId` null) go to a team, needing some skills. */
export interface AssignmentRoute {
  readonly phoneNumberId: string | null;
  readonly team: string | null;
  readonly skills: readonly string[];
}

export interface AssignmentRules {
  readonly mode: AssignmentMode;
  /** The first route whose number matches applies; none: any operator. */
  readonly routes: readonly AssignmentRoute[];
  /** An operator going offline has their open conversations unassigned and queued again. */
  readonly unassignWhenOffline: boolean;
}

export const DEFAULT_ASSIGNMENT_RULES: AssignmentRules = { mode: 'manual', routes: [], unassignWhenOffline: false };
export const MAX_ROUTES = 100;
/**
 * The most conversations that wait at once; beyond it a conversation is not queued (it stays unassigned and in
 * the inbox's unassigned list, where an operator can claim it).
 */
export const MAX_WAITING = 10_000;
/**
 * A transfer to a team is queued even when MAX_WAITING wait (a person asked for it, and in `manual` mode the queue
 * fills with conversations nobody claimed), up to this many in all.
 */
export const MAX_WAITING_WITH_TRANSFERS = MAX_WAITING + 1_000;
/** The most waiting conversations a view lists (the oldest); `waitingCount` says how many wait in all. */
export const MAX_WAITING_SHOWN = 500;

export interface WaitingConversation {
  readonly conversationId: string;
  readonly phoneNumberId: string;
  readonly sinceMs: number;
  /** Transferred to this team: only its members take it (the rules' route does not apply); null: by the rules. */
  readonly team: string | null;
  /** The transfer's internal note: the member who takes it is notified of it; null: none. */
  readonly noteId: string | null;
}

export type AssignmentMsg =
  | { readonly type: 'operatorChanged'; readonly operator: OperatorSnapshot }
  /**
   * A customer wrote to a conversation nobody is assigned to, or (`team`) a member transferred it to a team, with
   * the transfer's note (`noteId`). A conversation waiting already keeps its place; a transfer sets its team.
   */
  | {
      readonly type: 'needsOperator';
      readonly conversationId: string;
      readonly phoneNumberId: string;
      readonly team?: string;
      readonly noteId?: string;
    }
  /** The conversation was assigned (by anyone) or resolved: it waits no more. */
  | { readonly type: 'conversationTaken'; readonly conversationId: string }
  /** The conversation declined an `autoAssign` (taken meanwhile): the operator's load is not what was counted. */
  | { readonly type: 'autoAssignDeclined'; readonly conversationId: string; readonly userId: string }
  | { readonly type: 'setRules'; readonly rules: AssignmentRules }
  | { readonly type: 'getAssignment' }
  /** The operators in a team (whatever their presence), ascending by user id. */
  | { readonly type: 'getTeam'; readonly team: string };

export interface AssignmentView {
  readonly rules: AssignmentRules;
  readonly operators: readonly OperatorSnapshot[];
  /** Oldest first, at most MAX_WAITING_SHOWN. */
  readonly waiting: readonly WaitingConversation[];
  readonly waitingCount: number;
}

export interface AssignmentReplies {
  setRules: { ok: true; view: AssignmentView } | { ok: false; code: 'PARLO_BAD_REQUEST'; message: string };
  getAssignment: { ok: true; view: AssignmentView };
  getTeam: { ok: true; userIds: readonly string[] };
}
