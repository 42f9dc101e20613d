import type { ActorDefinition, Effect } from '../../core/index.ts';
import type { ConversationMsg, LoggedMessage, SendState } from '../conversation/conversation.messages.ts';
import type { ConversationState } from '../conversation/conversation.state.ts';
import {
  inboxStreamAddress,
  type InboxConversationRef,
  type InboxEvent,
  type InboxStreamMsg,
} from './inbox-stream.messages.ts';

/**
 * What a conversation's turn changed that an inbox shows (pure, STYLE rule 3), told to the organisation's
 * `inbox-stream` in the commit that made the change: messages logged, messages whose visible state changed, the
 * assignee or lock, and the status. A message's send steps that all look the same on screen (checking consent, reserving
 * credit, checking the tier, queued, sending: "pending") are not events; reaching accepted, deferred or failed,
 * each Meta status, an error and fetched media are.
 *
 * Cost: a turn that left the log, assignee and lock untouched is told apart by three identity comparisons; other
 * turns compare the log's message objects by identity (messages are immutable; a status may concern any of them),
 * at most MESSAGES_KEPT: a few microseconds.
 */
export function inboxEventsOf(
  before: ConversationState,
  after: ConversationState,
  conversationId: string,
): InboxEvent[] {
  if (before === after || after.orgId === null || after.phoneNumberId === null) return [];
  const ref: InboxConversationRef = { conversationId, phoneNumberId: after.phoneNumberId, customer: after.customer };
  const events: InboxEvent[] = [];
  if (before.log !== after.log) {
    const firstSeqBefore = before.log[0]?.seq ?? before.nextSeq;
    for (const message of after.log) {
      if (message.seq >= before.nextSeq) {
        events.push({ type: 'message', message, ...ref });
        continue;
      }
      const old = before.log[message.seq - firstSeqBefore];
      if (old === undefined || old === message || old.seq !== message.seq) continue;
      if (visiblyChanged(old, message)) events.push({ type: 'messageUpdated', message, ...ref });
    }
  }
  if (before.assignee !== after.assignee || before.lock !== after.lock) {
    events.push({ type: 'assignment', assignee: after.assignee, lock: after.lock, ...ref });
  }
  if (before.notes !== after.notes) {
    const known = new Set(before.notes.map((n) => n.id));
    for (const note of after.notes) if (!known.has(note.id)) events.push({ type: 'noteAdded', note, ...ref });
  }
  if (before.tags !== after.tags) events.push({ type: 'tagsChanged', tags: after.tags, ...ref });
  if (before.status !== after.status || before.snoozedUntilMs !== after.snoozedUntilMs) {
    events.push({ type: 'conversationStatus', status: after.status, snoozedUntilMs: after.snoozedUntilMs, ...ref });
  }
  return events;
}

/** Whether an inbox shows `after` differently from `before` (the same logged message, one turn apart). */
export function visiblyChanged(before: LoggedMessage, after: LoggedMessage): boolean {
  return (
    before.status !== after.status ||
    before.error !== after.error ||
    before.media !== after.media ||
    before.content !== after.content ||
    phaseOf(before.sendState) !== phaseOf(after.sendState)
  );
}

/** The send state as an inbox shows it: every step before Meta's answer is "pending". */
function phaseOf(state: SendState | null): string | null {
  switch (state) {
    case 'checkingConsent':
    case 'reserving':
    case 'checkingTier':
    case 'queued':
    case 'sending':
    case 'reconciling':
      return 'pending';
    default:
      return state;
  }
}

/**
 * The conversation actor with its inbox events: each turn that changed what an inbox shows gets one `append` tell
 * to its organisation's inbox-stream. The handler itself is untouched (it knows nothing of the inbox stream).
 */
export function withInboxEvents<I>(
  definition: ActorDefinition<ConversationState, ConversationMsg, I>,
): ActorDefinition<ConversationState, ConversationMsg, I> {
  return {
    ...definition,
    handle(state, msg, ctx) {
      const turn = definition.handle(state, msg, ctx);
      const events = inboxEventsOf(state, turn.state, ctx.self.id);
      if (events.length === 0) return turn;
      const append: Effect = {
        type: 'tell',
        to: inboxStreamAddress(turn.state.orgId!),
        msg: { type: 'append', events } satisfies InboxStreamMsg,
      };
      return { ...turn, effects: [...(turn.effects ?? []), append] };
    },
  };
}
