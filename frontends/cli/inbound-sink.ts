import type { ActorSystem, InboundSink } from '../../core/index.ts';
import { INBOUND_FEED_KIND, inboundFeedId, type InboundFeedMsg } from '../../actors/inbound-feed/inbound-feed.actor.ts';
import type { WebhookEventType } from '../../actors/webhooks/webhook-events.ts';
import { conversationDeliveryOf } from '../../actors/conversation/inbound-routing.ts';

/**
 * Records inbound channel events durably, once each (the dedupe key is the message id, so a webhook delivered
 * twice is recorded once; statuses, which merge idempotently, go without it), and resolves when every event's
 * turn is durable.
 *
 * Events an organisation's webhook received (`orgId` set) that belong to a conversation — customer messages and
 * statuses — go straight to their conversation actor, which records them and emits the organisation's customer
 * webhooks of the types `webhookTypes` names: one turn per event, not two. Everything else (and everything of the
 * installation's own endpoint) is recorded in its account's `inbound-feed` actor, which routes it on.
 */
export function actorInboundSink(
  system: ActorSystem,
  orgId?: string,
  webhookTypes?: readonly WebhookEventType[],
): InboundSink {
  return {
    async record(events) {
      await Promise.all(
        events.map(({ event, dedupeKey }) => {
          const direct = orgId === undefined ? null : conversationDeliveryOf(event, orgId, webhookTypes ?? []);
          // Statuses merge idempotently (a repeated one changes nothing), so they need no dedupe record.
          if (direct !== null) return system.tell(direct.to, direct.msg, direct.idempotent ? {} : { msgId: dedupeKey });
          const msg: InboundFeedMsg =
            orgId === undefined
              ? { type: 'recordEvent', event }
              : webhookTypes === undefined
                ? { type: 'recordEvent', event, orgId }
                : { type: 'recordEvent', event, orgId, webhookTypes };
          return system.tell({ kind: INBOUND_FEED_KIND, id: inboundFeedId(event) }, msg, { msgId: dedupeKey });
        }),
      );
    },
  };
}
