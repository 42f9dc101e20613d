import type { AnyActorDefinition } from '../core/index.ts';
import { inboundFeedActor } from './inbound-feed/inbound-feed.actor.ts';

/**
 * Every actor kind the platform runs, wired by the composition root. Domain actors (number, conversation,
 * operator, campaign, …) register here as their issues land.
 */
export const ACTOR_DEFINITIONS: readonly AnyActorDefinition[] = [inboundFeedActor];
