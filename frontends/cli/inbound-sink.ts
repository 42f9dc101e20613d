import type { ActorSystem, InboundSink } from '../../core/index.ts';
import { INBOUND_FEED_KIND, inboundFeedId, type InboundFeedMsg } from '../../actors/inbound-feed/inbound-feed.actor.ts';
import type { WebhookEventType } from '../../actors/webhooks/webhook-events.ts';

/**
 * Records inbound channel events in their account's `inbound-feed` actor. Resolves once every event's turn is
 * durable; the dedupe key is the message id, so a webhook delivered twice is recorded once. `orgId` is the
 * organisation whose webhook endpoint received the events (absent for the installation's own endpoint).
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
