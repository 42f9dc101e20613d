import type { ActorDefinition, Effect, TurnContext } from '../../core/index.ts';
import { statusOf } from './consent.ts';
import type { ContactSummary } from './contact-filter.ts';
import { contactIndexAddress, type ContactIndexMsg } from './contact-index.actor.ts';
import { contactIdParts, type ContactMsg } from './contact.messages.ts';
import type { ContactState } from './contact.state.ts';

/**
 * What the organisation's contact index holds of a contact, and when the contact tells it (pure, STYLE rule 3).
 * The contact actor's handler is wrapped (`withContactIndexUpdates`): after a turn that changed anything a listing
 * or a segment looks at — identifiers, profile, consent, last seen (to the minute) — one `contactChanged` tell is
 * appended. A
 * contact that does not exist (yet) is not listed.
 */
export function contactSummaryOf(state: ContactState, key: string, changedAtMs: number): ContactSummary | null {
  if (state.createdAtMs === null) return null;
  const profile = state.profile;
  return {
    key,
    phone: state.phone,
    userId: state.userId,
    name: profile.name,
    profileName: state.profileName,
    language: profile.language,
    timeZone: profile.timeZone,
    tags: profile.tags,
    fields: profile.fields,
    marketing: statusOf(state.consent.marketing),
    utility: statusOf(state.consent.utility),
    lastSeenAtMs: state.lastSeenAtMs,
    createdAtMs: state.createdAtMs,
    changedAtMs,
  };
}

/**
 * Listings and segments see when a contact was last seen to the minute: a customer writing several messages within
 * one minute updates the index once (with the first of them), not once per message.
 */
export const LAST_SEEN_RESOLUTION_MS = 60_000;

function lastSeenMoved(before: number | null, after: number | null): boolean {
  if (before === null || after === null) return before !== after;
  return Math.floor(before / LAST_SEEN_RESOLUTION_MS) !== Math.floor(after / LAST_SEEN_RESOLUTION_MS);
}

/** Whether the turn from `before` to `after` changed what the index shows (identity checks only). */
export function listingChanged(before: ContactState, after: ContactState): boolean {
  return (
    before !== after &&
    (before.profile !== after.profile ||
      before.consent !== after.consent ||
      lastSeenMoved(before.lastSeenAtMs, after.lastSeenAtMs) ||
      before.phone !== after.phone ||
      before.userId !== after.userId ||
      before.profileName !== after.profileName ||
      before.createdAtMs !== after.createdAtMs)
  );
}

export function contactIndexEffect(
  before: ContactState,
  after: ContactState,
  ctx: Pick<TurnContext, 'self' | 'nowMs'>,
): Effect | null {
  if (!listingChanged(before, after)) return null;
  const parts = contactIdParts(ctx.self.id);
  if (parts === null) return null;
  const summary = contactSummaryOf(after, parts.key, ctx.nowMs);
  if (summary === null) return null;
  const msg: ContactIndexMsg = { type: 'contactChanged', summary };
  return { type: 'tell', to: contactIndexAddress(parts.orgId), msg };
}

/** The contact actor with its index entry kept current (the handler itself knows nothing of listings). */
export function withContactIndexUpdates(
  definition: ActorDefinition<ContactState, ContactMsg>,
): ActorDefinition<ContactState, ContactMsg> {
  return {
    ...definition,
    handle(state, msg, ctx) {
      const turn = definition.handle(state, msg, ctx);
      const effect = contactIndexEffect(state, turn.state, ctx);
      return effect === null ? turn : { ...turn, effects: [...(turn.effects ?? []), effect] };
    },
  };
}
