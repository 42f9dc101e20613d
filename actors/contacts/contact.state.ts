import { EMPTY_CONSENT, type ContactConsent } from './consent.ts';
import { EMPTY_PROFILE, type ContactProfile } from './contact-profile.ts';
import { contactIdParts } from './contact.messages.ts';
import type { OptKeywordMatch } from './opt-out-keywords.ts';

/** Messages waiting for their classification at once; beyond, the oldest is classified with the defaults. */
export const MAX_PENDING_KEYWORDS = 20;

/** A customer message that could be a consent keyword, waiting for the organisation's classification. */
export interface PendingKeyword {
  /** WhatsApp's message id (the ask's callId). */
  readonly messageId: string;
  readonly atMs: number;
  readonly phoneNumberId: string;
  /** The message in matching form (`keywordCandidate`), for the default classification if the settings fail. */
  readonly normalisedText: string;
  readonly languageHint: string | null;
  /** The classification, once it arrived while an older message still waits: applied in message order. */
  readonly result: KeywordClassification | null;
}

export interface KeywordClassification {
  readonly match: OptKeywordMatch | null;
  readonly confirmation: string | null;
}

/**
 * One customer of one organisation (plain data, msgpack in LMDB). `createdAtMs === null` means the contact does not
 * exist yet: a fresh activation, which the runtime does not store (`isEmpty`). A contact comes to exist with its
 * first inbound message or its first consent entry.
 *
 * The identifier in the key is fixed (the phone of a `p…` contact, the BSUID of a `u…` one); the other one is
 * learned from messages and from the customer's other record.
 */
export interface ContactState {
  readonly createdAtMs: number | null;
  readonly updatedAtMs: number | null;
  /** E.164 digits (WhatsApp's `wa_id`), or null while unknown. */
  readonly phone: string | null;
  /** Business-scoped user id, or null while unknown. */
  readonly userId: string | null;
  /** WhatsApp profile name of the last message that carried one. */
  readonly profileName: string | null;
  /** First and last inbound message (the message's WhatsApp timestamp). */
  readonly firstSeenAtMs: number | null;
  readonly lastSeenAtMs: number | null;
  /** The business number the customer last wrote to. */
  readonly lastPhoneNumberId: string | null;
  readonly consent: ContactConsent;
  /**
   * Customer messages short enough to be keywords, asked about to the organisation's `consent-keywords` actor and
   * not applied yet, oldest first (at most `MAX_PENDING_KEYWORDS`). While any waits, marketing is not allowed.
   */
  readonly pendingKeywords: readonly PendingKeyword[];
  /** Name, language, time zone, tags, custom fields, notes (contact-profile.ts). */
  readonly profile: ContactProfile;
}

export function initialContactState(id: string): ContactState {
  const parts = contactIdParts(id);
  const phone = parts?.key.startsWith('p') ? parts.key.slice(1) : null;
  const userId = parts?.key.startsWith('u') ? parts.key.slice(1) : null;
  return {
    createdAtMs: null,
    updatedAtMs: null,
    phone,
    userId,
    profileName: null,
    firstSeenAtMs: null,
    lastSeenAtMs: null,
    lastPhoneNumberId: null,
    consent: EMPTY_CONSENT,
    pendingKeywords: [],
    profile: EMPTY_PROFILE,
  };
}

export function contactExists(state: ContactState): boolean {
  return state.createdAtMs !== null;
}
