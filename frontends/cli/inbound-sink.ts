import type { ActorSystem, InboundSink } from '../../core/index.ts';
import { INBOUND_FEED_KIND, inboundFeedId } from '../../actors/inbound-feed/inbound-feed.actor.ts';

/**
 * Records inbound channel events in their account's `inbound-feed` actor. Resolves once every event's turn is
 * durable; the dedupe key is the message id, so a webhook delivered twice is recorded once. `orgId` is the
 * organisation whose webhook endpoint received the events (absent for the installation's own endpoint).
 */
export function actorInboundSink(system: ActorSystem, orgId?: string): InboundSink {
  return {
    async record(events) {
      await Promise.all(
        events.map(({ event, dedupeKey }) =>
          system.tell(
            { kind: INBOUND_FEED_KIND, id: inboundFeedId(event) },
            orgId === undefined ? { type: 'recordEvent', event } : { type: 'recordEvent', event, orgId },
            { msgId: dedupeKey },
          ),
        ),
      );
    },
  };
}
