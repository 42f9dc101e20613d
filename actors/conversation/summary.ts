import type { ActorDefinition, Effect, TurnContext } from '../../core/index.ts';
import {
  conversationIndexAddress,
  type ConversationIndexMsg,
  type ConversationSummary,
  type LastMessageSummary,
} from '../conversation-index/conversation-index.messages.ts';
import type { ConversationMsg, LoggedMessage } from './conversation.messages.ts';
import type { ConversationState } from './conversation.state.ts';
import { messageTextOf } from './message-text.ts';

/**
 * What a conversation shows in a conversation list, and when it tells its number's `conversation-index` about it
 * (pure, STYLE rule 3). The conversation actor's handler is wrapped (`withSummaryUpdates`): after any turn whose
 * listing-relevant facts changed, one `summaryChanged` tell is appended to the turn's effects.
 *
 * Cost on the hot path: most turns (statuses of older messages, send-state steps, reads) are told apart by a few
 * identity comparisons (`mayChangeSummary`); only the others build the summary before and after (a look at the
 * newest SUMMARY_TAIL messages and at the run of customer messages at the end of the log) and compare its fields.
 * A tell goes out only when a field really changed. Conversations without an organisation are not listed, so they
 * tell nothing.
 */

/** The longest preview, in characters (code points); a longer text is cut and ends with "…". */
export const PREVIEW_MAX_CHARS = 80;

/**
 * The newest message is searched among this many at the end of the log: a customer message whose webhook arrived
 * late is logged after newer ones, and its time must not move the conversation back in the listing.
 */
export const SUMMARY_TAIL = 16;

/** The summary of the conversation, or null while it has no organisation, number or message (not listed). */
export function summaryOf(
  state: ConversationState,
  conversationId: string,
  changedAtMs: number,
): ConversationSummary | null {
  if (state.orgId === null || state.phoneNumberId === null) return null;
  const newest = newestMessage(state.log);
  if (newest === undefined) return null;
  return {
    conversationId,
    orgId: state.orgId,
    customer: state.customer,
    lastActivityAtMs: newest.atMs,
    lastMessage: lastMessageOf(newest),
    lastInboundAtMs: state.window.lastInboundAtMs,
    assignee: state.assignee,
    status: state.status,
    unreadCount: unreadCount(state.log),
    seq: state.nextSeq,
    changedAtMs,
  };
}

/**
 * The tell to the number's index when the turn from `before` to `after` changed the conversation's summary, else
 * null. The summary's version is the log's next seq and the turn's time, so the index drops stale updates.
 */
export function summaryChangeEffect(
  before: ConversationState,
  after: ConversationState,
  ctx: Pick<TurnContext, 'self' | 'nowMs'>,
): Effect | null {
  if (!mayChangeSummary(before, after)) return null;
  const next = summaryOf(after, ctx.self.id, ctx.nowMs);
  if (next === null) return null;
  const previous = summaryOf(before, ctx.self.id, ctx.nowMs);
  if (previous !== null && sameListing(previous, next)) return null;
  const msg: ConversationIndexMsg = { type: 'summaryChanged', summary: next };
  return { type: 'tell', to: conversationIndexAddress(after.phoneNumberId!), msg };
}

/**
 * The conversation actor with its summary kept up to date: each turn's result gets the `summaryChanged` tell
 * appended when the summary changed. The handler itself is untouched (it knows nothing of listings).
 */
export function withSummaryUpdates<I>(
  definition: ActorDefinition<ConversationState, ConversationMsg, I>,
): ActorDefinition<ConversationState, ConversationMsg, I> {
  return {
    ...definition,
    handle(state, msg, ctx) {
      const turn = definition.handle(state, msg, ctx);
      const effect = summaryChangeEffect(state, turn.state, ctx);
      return effect === null ? turn : { ...turn, effects: [...(turn.effects ?? []), effect] };
    },
  };
}

/**
 * False when the turn cannot have changed the summary: same state, or the same organisation, customer, assignee,
 * window and log length, and the newest SUMMARY_TAIL messages are the very same objects or differ only in what no
 * listing shows (statuses, send steps other than failing). Directions never change in place, so the
 * unread count only changes when the log grows.
 */
function mayChangeSummary(before: ConversationState, after: ConversationState): boolean {
  if (before === after) return false;
  if (
    before.orgId !== after.orgId ||
    before.phoneNumberId !== after.phoneNumberId ||
    before.customer !== after.customer ||
    before.assignee !== after.assignee ||
    before.status !== after.status ||
    before.window.lastInboundAtMs !== after.window.lastInboundAtMs ||
    before.nextSeq !== after.nextSeq
  )
    return true;
  const a = before.log;
  const b = after.log;
  if (a === b) return false;
  if (a.length !== b.length) return true;
  for (let i = 1; i <= Math.min(SUMMARY_TAIL, a.length); i++) {
    const x = a[a.length - i]!;
    const y = b[b.length - i]!;
    if (x !== y && listedFieldsDiffer(x, y)) return true;
  }
  return false;
}

/** A message replaced in place (a status, a send step) changes the listing only through these fields. */
function listedFieldsDiffer(x: LoggedMessage, y: LoggedMessage): boolean {
  return (
    x.atMs !== y.atMs ||
    x.direction !== y.direction ||
    x.type !== y.type ||
    x.content !== y.content ||
    (x.sendState === 'failed') !== (y.sendState === 'failed')
  );
}

/** Equal as a listing shows them (the version fields aside). */
function sameListing(a: ConversationSummary, b: ConversationSummary): boolean {
  return (
    a.orgId === b.orgId &&
    a.lastActivityAtMs === b.lastActivityAtMs &&
    a.lastInboundAtMs === b.lastInboundAtMs &&
    a.assignee === b.assignee &&
    a.status === b.status &&
    a.unreadCount === b.unreadCount &&
    a.customer.phone === b.customer.phone &&
    a.customer.userId === b.customer.userId &&
    a.customer.profileName === b.customer.profileName &&
    a.lastMessage.direction === b.lastMessage.direction &&
    a.lastMessage.type === b.lastMessage.type &&
    a.lastMessage.preview === b.lastMessage.preview &&
    a.lastMessage.failed === b.lastMessage.failed
  );
}

/** The newest of the last SUMMARY_TAIL messages by time (the later logged on a tie). */
function newestMessage(log: readonly LoggedMessage[]): LoggedMessage | undefined {
  let newest: LoggedMessage | undefined;
  for (let i = log.length - 1; i >= Math.max(0, log.length - SUMMARY_TAIL); i--) {
    const message = log[i]!;
    if (newest === undefined || message.atMs > newest.atMs) newest = message;
  }
  return newest;
}

/** Customer messages logged after the business's last message. */
function unreadCount(log: readonly LoggedMessage[]): number {
  let count = 0;
  for (let i = log.length - 1; i >= 0 && log[i]!.direction === 'in'; i--) count++;
  return count;
}

function lastMessageOf(message: LoggedMessage): LastMessageSummary {
  return {
    direction: message.direction,
    type: message.type,
    preview: previewOf(message.type, message.content),
    failed: message.sendState === 'failed',
  };
}

/**
 * A short text for a message (message-text.ts says which text each type has): whitespace runs become one space; at
 * most PREVIEW_MAX_CHARS characters.
 */
export function previewOf(type: string, content: unknown): string | null {
  return shorten(messageTextOf(type, content));
}

function shorten(text: string | null): string | null {
  if (text === null) return null;
  // A preview never needs more than the start of a 4,096-character body: bound the work before normalising.
  const flat = text
    .slice(0, PREVIEW_MAX_CHARS * 4)
    .replace(/[\uD800-\uDBFF]$/, '') // half a character cut by the slice
    .replace(/\s+/g, ' ')
    .trim();
  if (flat === '') return null;
  const chars = Array.from(flat);
  return chars.length <= PREVIEW_MAX_CHARS ? flat : `${chars.slice(0, PREVIEW_MAX_CHARS - 1).join('')}…`;
}
