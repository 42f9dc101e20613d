import type { ActorDefinition, Effect, TurnContext } from '../../core/index.ts';
import {
  campaignRunAddress,
  type CampaignTag,
  type RecipientProgressed,
  type ReportedOutcome,
} from '../campaigns/recipient-outcome.ts';
import type { ConversationMsg, LoggedMessage } from './conversation.messages.ts';
import type { ConversationState } from './conversation.state.ts';
import { failure } from './status-merge.ts';

/**
 * How a conversation tells campaign runs about their messages (issue #6, 3), pure. The conversation actor's
 * handler is wrapped (`withCampaignReports`): after each turn, every campaign message (one carrying a
 * `CampaignTag`) whose outcome changed is reported to its run with one `recipientProgressed` tell, in the commit
 * that records the change, so a crash neither loses nor repeats a report. A customer message received within
 * REPLY_ATTRIBUTION_MS of a campaign message marks the newest such message replied, once.
 *
 * Cost: a turn that changed no message costs two identity comparisons; otherwise one pass over the log comparing
 * object identities (≤ 500), and the outcome of the messages that changed.
 */

/** A customer's message this soon after a campaign message counts as a reply to it. */
export const REPLY_ATTRIBUTION_MS = 72 * 60 * 60 * 1000;

/** Error codes that mean the campaign skipped the recipient (nothing left), with the reason reported. */
const SKIP_CODES: Readonly<Record<string, string>> = {
  PARLO_NO_CONSENT: 'no_consent',
  PARLO_FREQUENCY_CAP: 'frequency_cap',
  PARLO_CAMPAIGN_CANCELLED: 'cancelled',
};

/** A campaign message's outcome as its run counts it, or null while it has not left Parlo. */
export function outcomeOf(message: LoggedMessage): { outcome: ReportedOutcome; code: number | string | null } | null {
  if (message.sendState === 'failed') {
    const code = message.error?.code ?? null;
    const skip = typeof code === 'string' ? SKIP_CODES[code] : undefined;
    return skip === undefined ? { outcome: 'failed', code } : { outcome: 'skipped', code: skip };
  }
  const status = message.status;
  if (status !== null) {
    switch (status.current) {
      case 'read':
      case 'played':
        return { outcome: message.campaign?.replied === true ? 'replied' : 'read', code: null };
      case 'delivered':
        return { outcome: message.campaign?.replied === true ? 'replied' : 'delivered', code: null };
      case 'failed':
        return { outcome: 'failed', code: failure(status)?.[0]?.code ?? null };
      default:
        break;
    }
  }
  if (message.campaign?.replied === true) return { outcome: 'replied', code: null };
  return message.sendState === 'accepted' ? { outcome: 'sent', code: null } : null;
}

function report(tag: CampaignTag, outcome: ReportedOutcome, code: number | string | null, atMs: number): Effect {
  const msg: RecipientProgressed = { type: 'recipientProgressed', recipient: tag.recipient, outcome, code, atMs };
  return { type: 'tell', to: campaignRunAddress(tag.run), msg };
}

/** The reports for every campaign message the turn from `before` to `after` changed the outcome of. */
export function campaignReportEffects(before: ConversationState, after: ConversationState, nowMs: number): Effect[] {
  const a = before.log;
  const b = after.log;
  if (before === after || a === b) return [];
  // The log only grows at its end and drops its oldest: find how far `after` is shifted against `before`.
  const shift = a.length === 0 || b[0] === a[0] ? 0 : b[0] === a[1] ? 1 : -1;
  const effects: Effect[] = [];
  for (let i = 0; i < b.length; i++) {
    const message = b[i]!;
    const tag = message.campaign;
    if (tag === undefined) continue;
    const previous = shift >= 0 ? a[i + shift] : a.find((m) => m.id === message.id);
    if (previous === message) continue;
    const now = outcomeOf(message);
    if (now === null) continue;
    const was = previous === undefined || previous.id !== message.id ? null : outcomeOf(previous);
    if (was !== null && was.outcome === now.outcome) continue;
    effects.push(report(tag, now.outcome, now.code, nowMs));
  }
  return effects;
}

/**
 * Marks the newest campaign message sent within REPLY_ATTRIBUTION_MS before the turn's new customer message as
 * replied (once per campaign message); the report follows from the outcome change.
 */
export function withReplyAttributed(before: ConversationState, after: ConversationState): ConversationState {
  if (after.nextSeq === before.nextSeq) return after;
  const newest = after.log[after.log.length - 1];
  if (newest === undefined || newest.direction !== 'in') return after;
  for (let i = after.log.length - 2; i >= 0; i--) {
    const message = after.log[i]!;
    if (message.atMs < newest.atMs - REPLY_ATTRIBUTION_MS) return after;
    const tag = message.campaign;
    if (tag === undefined || message.direction !== 'out') continue;
    if (tag.replied === true) return after;
    const outcome = outcomeOf(message)?.outcome;
    if (outcome === undefined || outcome === 'failed' || outcome === 'skipped') continue;
    const log = after.log.slice();
    log[i] = { ...message, campaign: { ...tag, replied: true } };
    return { ...after, log };
  }
  return after;
}

/** The conversation actor with its campaign messages reported to their runs. */
export function withCampaignReports<I>(
  definition: ActorDefinition<ConversationState, ConversationMsg, I>,
): ActorDefinition<ConversationState, ConversationMsg, I> {
  return {
    ...definition,
    handle(state, msg, ctx: TurnContext) {
      const turn = definition.handle(state, msg, ctx);
      if (turn.state === state) return turn;
      const next = msg.type === 'inbound' ? withReplyAttributed(state, turn.state) : turn.state;
      const effects = campaignReportEffects(state, next, ctx.nowMs);
      if (next === turn.state && effects.length === 0) return turn;
      return { ...turn, state: next, effects: [...(turn.effects ?? []), ...effects] };
    },
  };
}
