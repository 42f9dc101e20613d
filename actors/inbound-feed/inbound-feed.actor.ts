import { campaignsDirectoryAddress, type CampaignsDirectoryMsg } from '../campaigns/campaigns-directory.actor.ts';
import { defineActor, unreachable, type Effect, type InboundEvent } from '../../core/index.ts';
import { contactAddress, type ContactMsg } from '../contacts/contact.messages.ts';
import { customerKeyOf } from '../contacts/customer-key.ts';
import { conversationDeliveryOf } from '../conversation/inbound-routing.ts';
import { endOfMetaSecond } from '../conversation/meta-time.ts';
import { NUMBER_KIND, type NumberMsg } from '../number/number.messages.ts';
import { parseMessagingLimit } from '../number/tier.ts';
import { PORTFOLIO_KIND, type PortfolioMsg } from '../portfolio/portfolio.actor.ts';
import { emitWebhookEvent, type WebhookEventType } from '../webhooks/webhook-events.ts';
import { webhookEventsOf } from './webhook-translation.ts';
import { TEMPLATES_KIND, templatesActorId, type TemplatesMsg } from '../templates/templates.messages.ts';

/**
 * The durable inbound feed of one channel account (a WhatsApp phone number, or `waba-<id>` for account-level
 * webhook fields). The webhook endpoint answers Meta's POST only after every event of it is recorded here, once
 * (the event's dedupe key is the message id, so Meta's retries and duplicates are consumed once). Domain actors
 * (number, conversation) subscribe to the `events` it publishes; it keeps per-type counts and the latest events.
 */
export const INBOUND_FEED_KIND = 'inbound-feed';
export const RECENT_EVENTS_KEPT = 200;

/** A recorded event and its position in the feed (its stored record's key). */
export interface FeedEntry {
  readonly seq: number;
  readonly event: InboundEvent;
}

export interface InboundFeedState {
  readonly counts: Readonly<Record<string, number>>;
  /** The latest RECENT_EVENTS_KEPT events, oldest first; stored one record each (split state). */
  readonly recent: readonly FeedEntry[];
  readonly nextSeq: number;
  readonly lastEventAtMs: number | null;
}

/** What `getFeed` answers: the counts and the latest events. */
export interface InboundFeedView {
  readonly counts: Readonly<Record<string, number>>;
  readonly recent: readonly InboundEvent[];
  readonly lastEventAtMs: number | null;
}

export type InboundFeedMsg =
  /**
   * `orgId`: the organisation whose webhook endpoint received the event (absent on the installation's own).
   * `webhookTypes`: the customer-webhook event types the organisation's endpoints subscribe to, as the ingestion
   * path last read them; only those are emitted (absent: every type, and the endpoints actor filters).
   */
  | {
      readonly type: 'recordEvent';
      readonly event: InboundEvent;
      readonly orgId?: string;
      readonly webhookTypes?: readonly WebhookEventType[];
    }
  | { readonly type: 'getFeed'; readonly limit?: number };

export function inboundFeedId(event: InboundEvent): string {
  return event.accountId ?? `waba-${event.businessAccountId}`;
}

/** Realtime topic the feed publishes each recorded event on. */
export function inboundFeedTopic(feedId: string): string {
  return `channel.${feedId.replace(/[^A-Za-z0-9_-]/g, '_')}.events`;
}

export const inboundFeedActor = defineActor<InboundFeedState, InboundFeedMsg, FeedEntry>({
  kind: INBOUND_FEED_KIND,
  stateVersion: 2,
  initialState: () => ({ counts: {}, recent: [], nextSeq: 1, lastEventAtMs: null }),
  // One record per recent event: recording an event writes it and the small head, not the 200 latest events.
  split: {
    head: ({ recent: _recent, ...head }) => head,
    items: (state) => state.recent,
    itemKey: (entry) => entry.seq,
    join: (head, recent) => ({ ...(head as Omit<InboundFeedState, 'recent'>), recent }),
  },
  // Version 1 kept the latest events inside the state.
  upgrade: (stored) => {
    const v1 = stored as { counts: Record<string, number>; recent: InboundEvent[]; lastEventAtMs: number | null };
    const recent = v1.recent.map((event, i) => ({ seq: i + 1, event }));
    return { counts: v1.counts, recent, nextSeq: recent.length + 1, lastEventAtMs: v1.lastEventAtMs };
  },
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'recordEvent': {
        const recent = [...state.recent, { seq: state.nextSeq, event: msg.event }];
        if (recent.length > RECENT_EVENTS_KEPT) recent.splice(0, recent.length - RECENT_EVENTS_KEPT);
        return {
          state: {
            counts: { ...state.counts, [msg.event.type]: (state.counts[msg.event.type] ?? 0) + 1 },
            recent,
            nextSeq: state.nextSeq + 1,
            lastEventAtMs: ctx.nowMs,
          },
          effects: [
            { type: 'publish', topic: inboundFeedTopic(ctx.self.id), event: msg.event },
            // The conversation the event belongs to (customer messages and statuses of our messages).
            ...conversationEffects(msg.event, msg.orgId),
            // The organisation's customer webhooks (none for the installation's own endpoint).
            ...(msg.orgId === undefined
              ? []
              : webhookEventsOf(msg.event, msg.orgId, ctx.msgId, ctx.nowMs)
                  .filter((event) => msg.webhookTypes === undefined || isSubscribed(msg.webhookTypes, event.type))
                  .map(emitWebhookEvent)),
          ],
        };
      }
      case 'getFeed': {
        const recent = state.recent.slice(-(msg.limit ?? RECENT_EVENTS_KEPT)).map((entry) => entry.event);
        const view: InboundFeedView = { counts: state.counts, recent, lastEventAtMs: state.lastEventAtMs };
        return { state, reply: view };
      }
      default:
        return unreachable(msg);
    }
  },
});

/**
 * Customer messages and statuses go on to their conversation actor, a number's quality changes to its number
 * actor (and Meta's messaging limit to the portfolio), WhatsApp's marketing stop/resume to the contact, a
 * template's review, quality and category to the account's templates actor (organisation webhooks only); other
 * events have no actor to inform yet.
 */
function conversationEffects(event: InboundEvent, orgId: string | undefined): Effect[] {
  const delivery = conversationDeliveryOf(event, orgId);
  if (delivery !== null) return [{ type: 'tell', to: delivery.to, msg: delivery.msg }];
  if (
    event.type === 'userPreferenceChanged' &&
    orgId !== undefined &&
    event.category === 'marketing_messages' &&
    (event.value === 'stop' || event.value === 'resume') &&
    (event.waId !== undefined || event.userId !== undefined)
  ) {
    // WhatsApp's own "stop promotions" button: the contact records it as consent evidence.
    const msg: ContactMsg = {
      type: 'marketingPreferenceChanged',
      value: event.value,
      atMs: endOfMetaSecond(event.timestampMs),
      ...(event.accountId === undefined ? {} : { phoneNumberId: event.accountId }),
      ...(event.userId === undefined ? {} : { userId: event.userId }),
    };
    const key = customerKeyOf({ phone: event.waId ?? null, userId: event.userId ?? null });
    const effects: Effect[] = [{ type: 'tell', to: contactAddress(orgId, key), msg }];
    if (event.value === 'stop' && event.accountId !== undefined) {
      // Stopping promotions is negative feedback on the number's marketing (its pause thresholds).
      const feedback: NumberMsg = { type: 'negativeFeedbackObserved', signal: 'optOut' };
      effects.push({ type: 'tell', to: { kind: NUMBER_KIND, id: event.accountId }, msg: feedback });
    }
    return effects;
  }
  if (event.type === 'phoneNumberQualityChanged' || event.type === 'businessCapabilityChanged') {
    const effects: Effect[] = [];
    if (event.type === 'phoneNumberQualityChanged' && event.accountId !== undefined) {
      const msg: NumberMsg =
        orgId === undefined
          ? { type: 'qualityChanged', event: event.event }
          : { type: 'qualityChanged', event: event.event, orgId };
      effects.push({ type: 'tell', to: { kind: NUMBER_KIND, id: event.accountId }, msg });
    }
    // A number flagged (quality RED) pauses the organisation's marketing campaigns on it, with the reason.
    if (orgId !== undefined) effects.push(...campaignPauseEffects(event, orgId));
    // Meta's messaging limit of the portfolio (TIER_2K, …, TIER_UNLIMITED), when the event names one.
    const limit = event.messagingLimit === undefined ? undefined : parseMessagingLimit(event.messagingLimit);
    if (orgId !== undefined && limit !== undefined) {
      const msg: PortfolioMsg = { type: 'setLimit', limit };
      effects.push({ type: 'tell', to: { kind: PORTFOLIO_KIND, id: orgId }, msg });
    }
    return effects;
  }
  if (orgId !== undefined) {
    const templates = templateEffect(event, orgId);
    if (templates !== null) return [templates, ...campaignPauseEffects(event, orgId)];
  }
  return [];
}

/**
 * What pauses campaigns by itself (issue #6, 3): a template Meta paused or disabled, and a number flagged (quality
 * RED). The organisation's campaigns directory finds the running and scheduled campaigns concerned.
 */
function campaignPauseEffects(event: InboundEvent, orgId: string): Effect[] {
  let msg: CampaignsDirectoryMsg;
  if (event.type === 'templateStatusChanged' && (event.event === 'PAUSED' || event.event === 'DISABLED')) {
    msg = {
      type: 'pauseCampaignsUsing',
      template: { name: event.templateName, language: event.language },
      reason: `template ${event.templateName} (${event.language}) was ${event.event} by Meta${event.reason ? ` (${event.reason})` : ''}`,
    };
  } else if (event.type === 'phoneNumberQualityChanged' && event.event === 'FLAGGED' && event.accountId !== undefined) {
    msg = {
      type: 'pauseCampaignsUsing',
      phoneNumberId: event.accountId,
      reason: `number ${event.accountId} was flagged by Meta (quality RED): its marketing is paused`,
    };
  } else {
    return [];
  }
  return [{ type: 'tell', to: campaignsDirectoryAddress(orgId), msg }];
}

/** Meta's review, quality and category webhooks of a template go to the account's `templates` actor. */
function templateEffect(event: InboundEvent, orgId: string): Effect | null {
  let msg: TemplatesMsg;
  switch (event.type) {
    case 'templateStatusChanged':
      msg = {
        type: 'statusChanged',
        templateId: event.templateId,
        name: event.templateName,
        language: event.language,
        event: event.event,
        reason: event.reason ?? null,
        category: event.category ?? null,
      };
      break;
    case 'templateQualityChanged':
      msg = { type: 'qualityChanged', templateId: event.templateId, quality: event.newScore };
      break;
    case 'templateCategoryChanged':
      msg = { type: 'categoryChanged', templateId: event.templateId, category: event.newCategory };
      break;
    default:
      return null;
  }
  return { type: 'tell', to: { kind: TEMPLATES_KIND, id: templatesActorId(orgId, event.businessAccountId) }, msg };
}

function isSubscribed(types: readonly WebhookEventType[], type: string): boolean {
  return (types as readonly string[]).includes(type);
}
