import type { ActorSystem, InboundSink } from '../../core/index.ts';
import { INBOUND_FEED_KIND, inboundFeedId } from '../../actors/inbound-feed/inbound-feed.actor.ts';

/**
 * Records inbound channel events in their account's `inbound-feed` actor. Resolves once every event's turn is
 * durable; the dedupe key is the message id, so a webhook delivered twice is recorded once.
 */
export function actorInboundSink(system: ActorSystem): InboundSink {
  return {
    async record(events) {
      await Promise.all(
        events.map(({ event, dedupeKey }) =>
          system.tell(
            { kind: INBOUND_FEED_KIND, id: inboundFeedId(event) },
            { type: 'recordEvent', event },
            { msgId: dedupeKey },
          ),
        ),
      );
    },
  };
}
