import { EMPTY_CONSENT, type ContactConsent } from './consent.ts';
import { contactIdParts } from './contact.messages.ts';

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
  };
}

export function contactExists(state: ContactState): boolean {
  return state.createdAtMs !== null;
}
