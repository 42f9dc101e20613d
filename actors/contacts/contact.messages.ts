import { z } from 'zod';
import type { Address } from '../../core/index.ts';
import { AuditActor } from '../org/org.messages.ts';
import {
  API_CONSENT_METHODS,
  CONSENT_ACTIONS,
  CONSENT_METHODS,
  CONSENT_SCOPES,
  MAX_CONSENT_SOURCE_LENGTH,
  MAX_CONSENT_WORDING_LENGTH,
  MAX_EVIDENCE_PER_SCOPE,
  type ConsentEvidence,
  type ConsentScope,
  type ConsentStatus,
} from './consent.ts';
import { MAX_KEYWORD_MESSAGE_LENGTH, type OptKind } from './opt-out-keywords.ts';
import {
  LANGUAGE_PATTERN,
  MAX_NAME_LENGTH,
  MAX_NOTES_LENGTH,
  MAX_TAGS,
  MAX_TAG_LENGTH,
  type ContactProfile,
} from './contact-profile.ts';
import { customerKeyOf, isCustomerKey } from './customer-key.ts';

/**
 * The protocol of the `contact` actor: one customer of one organisation, id `<orgId>.<customerKey>`.
 *
 * **Keys.** `customerKey` is `p<E.164 digits>` when the customer's phone number is known (`p15551234567`), else
 * `u<business-scoped user id>` (`uUS.13491208655302741918`). Since 2026 WhatsApp identifies customers by a
 * business-scoped user id (BSUID) and withholds the phone number of customers who use a username
 * (WHATSAPP.md, identity change). The rule: **a customer seen with a phone number is always keyed by it; a
 * username-only customer is keyed by their BSUID** (`customerKeyOf` is the one place that decides, so every caller
 * addresses the same actor). A phone key is stable across the customer's BSUID changes (WhatsApp issues a new
 * BSUID when a user changes number, which is a new phone key anyway). The rule lives in customer-key.ts, which
 * conversations use too.
 *
 * **One customer, two records.** A username customer first seen without a phone and later with one has a `u…`
 * record and then a `p…` record. The two keep each other's consent evidence: when a phone-keyed record learns the
 * customer's BSUID it sends its evidence to the BSUID record and asks for that one's (`evidenceShared`), and from
 * then on each forwards the entries it records itself to the other (entries received from the other are never
 * sent back, so nothing loops). The BSUID record keeps the link (the phone number) even when it holds nothing
 * else, so that an opt-out it records later (a username customer writing STOP without their phone) still reaches
 * the phone record; a link-only record is not a contact for the API (404) until it sees a message or consent.
 * Callers should still address the contact with `customerKeyOf` over everything they know: the phone key when
 * the phone is known.
 *
 * **Tenancy** is structural: the org id is part of the actor id, taken from the authenticated caller by the HTTP
 * layer and from the number's organisation by the conversation actor.
 */
export const CONTACT_KIND = 'contact';

/** The longest customer key (`u` + 128 characters, customer-key.ts). */
export const MAX_CONTACT_KEY_LENGTH = 129;
/** The longest user id a key can carry. */
export const MAX_USER_ID_LENGTH = MAX_CONTACT_KEY_LENGTH - 1;

export const CUSTOMER_KEY_RULE =
  'p followed by an E.164 number without + (p15551234567), or u followed by a WhatsApp business-scoped user id (uUS.13491208655302741918)';

/** The one keying rule (customer-key.ts), shared with conversations so that both meet under one key. */
export { customerKeyOf };

/** Whether a business-scoped user id can key a contact (`u<userId>` is a customer key). */
export function isKeyableUserId(userId: string): boolean {
  return isCustomerKey(`u${userId}`);
}

export type ParsedContactKey =
  { readonly kind: 'phone'; readonly phone: string } | { readonly kind: 'userId'; readonly userId: string };

/** The identifier a customer key stands for, or null when the key is malformed. */
export function parseContactKey(key: string): ParsedContactKey | null {
  if (!isCustomerKey(key)) return null;
  return key.startsWith('p') ? { kind: 'phone', phone: key.slice(1) } : { kind: 'userId', userId: key.slice(1) };
}

export function isContactKey(key: string): boolean {
  return isCustomerKey(key);
}

/** The contact actor of one customer of one organisation. Org ids contain no `.`, customer keys may. */
export function contactAddress(orgId: string, customerKey: string): Address {
  return { kind: CONTACT_KIND, id: `${orgId}.${customerKey}` };
}

/** The organisation and customer key of a contact actor id (split at the first `.`), or null. */
export function contactIdParts(id: string): { readonly orgId: string; readonly key: string } | null {
  const dot = id.indexOf('.');
  if (dot <= 0) return null;
  const key = id.slice(dot + 1);
  return isContactKey(key) ? { orgId: id.slice(0, dot), key } : null;
}

// ---------------------------------------------------------------- protocol

const Id = z.string().min(1).max(256);
const EpochMs = z.number().int().min(0);

export const ConsentScopeSchema = z.enum(CONSENT_SCOPES);
/** `all` records one entry per scope in one turn (an opt-out of everything). */
export const ConsentScopeOrAllSchema = z.enum([...CONSENT_SCOPES, 'all']);
export type ConsentScopeOrAll = z.infer<typeof ConsentScopeOrAllSchema>;

const RecordedBySchema = z.union([AuditActor, z.literal('customer')]);

const EvidenceSchema = z.object({
  id: Id,
  atMs: EpochMs,
  recordedAtMs: EpochMs,
  action: z.enum(CONSENT_ACTIONS),
  method: z.enum(CONSENT_METHODS),
  source: z.string().max(MAX_CONSENT_SOURCE_LENGTH),
  wording: z.string().max(MAX_CONSENT_WORDING_LENGTH).nullable(),
  by: RecordedBySchema,
  keyword: z.string().max(MAX_KEYWORD_MESSAGE_LENGTH).nullable(),
  language: z.string().max(8).nullable(),
  messageId: Id.nullable(),
  phoneNumberId: Id.nullable(),
});

/** A profile change (`updateProfile`, `importContact`): custom field values already checked by the caller. */
const ProfilePatchSchema = z.object({
  name: z.string().max(MAX_NAME_LENGTH).nullable().optional(),
  language: z.string().regex(LANGUAGE_PATTERN).nullable().optional(),
  timeZone: z.string().max(64).nullable().optional(),
  tags: z
    .object({
      set: z.array(z.string().max(MAX_TAG_LENGTH)).max(MAX_TAGS).readonly().optional(),
      add: z.array(z.string().max(MAX_TAG_LENGTH)).max(MAX_TAGS).readonly().optional(),
      remove: z.array(z.string().max(MAX_TAG_LENGTH)).max(MAX_TAGS).readonly().optional(),
    })
    .optional(),
  fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).nullable()).optional(),
  notes: z.string().max(MAX_NOTES_LENGTH).nullable().optional(),
});

export const ContactMsg = z.discriminatedUnion('type', [
  /**
   * From the conversation actor, for every customer message (told). Updates identifiers and last seen. A message
   * that could be a keyword (short: `keywordCandidate`) is classified by the organisation's `consent-keywords`
   * actor (told by this one with `answerTo`; the answer comes back as `keywordClassified`); until it is applied,
   * marketing is not allowed (`checkConsent`), so no marketing send checked after this message passes before its keyword is recorded. An
   * opt-out keyword (STOP, BAJA, ARRÊT, or the organisation's own) then records an opt-out of marketing and emits
   * `contact.opted_out`; an opt-in keyword (START, …) re-subscribes a customer whose marketing status is
   * `optedOut` (anything else is an ordinary message: a customer who never opted in does not opt in by writing
   * "start" to a bot). The confirmation reaches the conversation as the fact `inboundObserved` (the shape of a
   * runtime answer to this message asked), told when the keyword is applied; asked, the reply says
   * `isKeywordPending`. A message observed again whose keyword was applied is told (and answered) again with that
   * keyword and confirmation.
   */
  z.object({
    type: z.literal('observeInbound'),
    atMs: EpochMs,
    phoneNumberId: Id,
    /** WhatsApp's message id: the event id of `contact.opted_out` and the de-duplication key of a keyword. */
    messageId: Id,
    phone: z.string().max(16).optional(),
    userId: z.string().max(MAX_USER_ID_LENGTH).optional(),
    profileName: z.string().max(256).optional(),
    /** The message text, or a quick-reply button's text; absent for media and other types. */
    text: z.string().max(4096).optional(),
    /** The customer's language if known: preferred when a keyword exists in several languages. */
    languageHint: z.string().max(8).optional(),
  }),
  /** From the API (a member or an integration): an opt-in or opt-out with its evidence. */
  z.object({
    type: z.literal('recordConsent'),
    scope: ConsentScopeOrAllSchema,
    action: z.enum(CONSENT_ACTIONS),
    method: z.enum(API_CONSENT_METHODS),
    source: z.string().min(1).max(MAX_CONSENT_SOURCE_LENGTH),
    wording: z.string().max(MAX_CONSENT_WORDING_LENGTH).nullable().optional(),
    /** When the customer gave or withdrew consent; default now. Not in the future. */
    atMs: EpochMs.optional(),
    by: AuditActor,
  }),
  /**
   * From the API (or an import): name, language, time zone, tags, custom field values (checked by the caller
   * against the organisation's definitions), notes. Creates the contact if it does not exist yet.
   */
  z.object({
    type: z.literal('updateProfile'),
    patch: ProfilePatchSchema,
    by: AuditActor,
  }),
  /**
   * From a bulk write (`POST /v1/contacts/batch`, what `parlo contacts import` sends): one row in one turn — the
   * profile change of `updateProfile` and, when the row has one, a marketing opt-in or opt-out recorded with the
   * import's evidence (method `import`, as `recordConsent` records it: the same consent again is no new entry).
   * All or nothing: a patch that cannot apply refuses the row and records no consent either. Answers the outcome
   * only (no view of the contact), so that a row costs one small reply.
   */
  z.object({
    type: z.literal('importContact'),
    patch: ProfilePatchSchema,
    consent: z
      .object({
        action: z.enum(CONSENT_ACTIONS),
        source: z.string().min(1).max(MAX_CONSENT_SOURCE_LENGTH),
        wording: z.string().max(MAX_CONSENT_WORDING_LENGTH).nullable().optional(),
      })
      .optional(),
    by: AuditActor,
  }),
  /** May a message of this scope be sent to the customer now? Answers for unknown contacts too (status unknown). */
  z.object({ type: z.literal('checkConsent'), scope: ConsentScopeSchema }),
  z.object({ type: z.literal('getContact') }),
  /**
   * GDPR erasure (art. 17): everything held about the customer goes — identifiers, profile, consent evidence,
   * pending keywords. The record is deleted; the contact index drops it. Answers the customer's other record (the
   * BSUID or phone one), which the caller erases too.
   */
  z.object({ type: z.literal('eraseContact') }),
  /** WhatsApp's marketing stop / resume button (`user_preferences` webhook, category `marketing_messages`). */
  z.object({
    type: z.literal('marketingPreferenceChanged'),
    value: z.enum(['stop', 'resume']),
    atMs: EpochMs,
    phoneNumberId: Id.optional(),
    userId: z.string().max(MAX_USER_ID_LENGTH).optional(),
  }),
  /** The `consent-keywords` actor's answer to `classifyKeyword` (callId = the WhatsApp message id). */
  z.object({ type: z.literal('keywordClassified'), callId: Id, reply: z.unknown() }),
  /** Internal, between the phone-keyed and the BSUID-keyed record of one customer (see the module header). */
  z.object({
    type: z.literal('evidenceShared'),
    /** The sender's identifiers: the receiver learns the one it lacks. */
    phone: z.string().max(16).nullable(),
    userId: z.string().max(MAX_USER_ID_LENGTH).nullable(),
    marketing: z.array(EvidenceSchema).max(MAX_EVIDENCE_PER_SCOPE),
    utility: z.array(EvidenceSchema).max(MAX_EVIDENCE_PER_SCOPE),
    /** Set when the sender just learned about the receiver: answer with your own entries. */
    wantsOwn: z.boolean(),
  }),
]);
export type ContactMsg = z.infer<typeof ContactMsg>;

// ---------------------------------------------------------------- replies

export type ContactErrorCode = 'PARLO_CONTACT_NOT_FOUND' | 'PARLO_VALIDATION_FAILED';

export interface Refused {
  readonly ok: false;
  readonly code: ContactErrorCode;
  readonly message: string;
}

export interface KeywordMatchView {
  readonly kind: OptKind;
  /** As normalised (`stop`, `arret`). */
  readonly keyword: string;
  readonly language: string;
}

export interface ScopeConsentView {
  readonly status: ConsentStatus;
  readonly sinceMs: number | null;
  readonly allowed: boolean;
  /** Newest first. */
  readonly history: readonly ConsentEvidence[];
  readonly droppedCount: number;
}

export interface ContactView {
  readonly orgId: string;
  readonly key: string;
  readonly phone: string | null;
  readonly userId: string | null;
  readonly profileName: string | null;
  readonly firstSeenAtMs: number | null;
  readonly lastSeenAtMs: number | null;
  readonly lastPhoneNumberId: string | null;
  /** The other record of the same customer (`u…` for a phone key that knows the BSUID, and vice versa). */
  readonly linkedKey: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly consent: Readonly<Record<ConsentScope, ScopeConsentView>>;
  readonly profile: ContactProfile;
}

export interface ContactReplies {
  observeInbound: {
    ok: true;
    /** Non-null when the message was a consent command that was applied (then `confirmation` is non-null too). */
    keyword: KeywordMatchView | null;
    /** The text to send back to the customer, in the keyword's language (a service message: the window is open). */
    confirmation: string | null;
    /**
     * True while the message is being classified against the organisation's keywords: a keyword found then is
     * told to the conversation as `inboundObserved` when it is applied.
     */
    isKeywordPending: boolean;
  };
  /** `recorded: false` when the same consent was already the newest entry (a repeated PUT changes nothing). */
  recordConsent: { ok: true; recorded: boolean; contact: ContactView } | Refused;
  checkConsent: {
    ok: true;
    allowed: boolean;
    status: ConsentStatus;
    sinceMs: number | null;
    /** False when no such contact exists (never wrote, no consent recorded): status is then `unknown`. */
    known: boolean;
    /**
     * Marketing only: a recent customer message is still being classified as a possible opt-out keyword, so
     * marketing is not allowed whatever the status (for the moment it takes the organisation's settings to answer).
     */
    isKeywordPending: boolean;
  };
  getContact: { ok: true; contact: ContactView } | Refused;
  eraseContact: { ok: true; erased: boolean; linkedKey: string | null };
  /** `changed: false` when the patch changed nothing; `created` when the contact did not exist before. */
  updateProfile: { ok: true; changed: boolean; created: boolean; contact: ContactView } | Refused;
  /** `created` when the contact did not exist before; else `changed: false` when the row changed nothing. */
  importContact: { ok: true; created: boolean; changed: boolean } | Refused;
  marketingPreferenceChanged: { ok: true; status: ConsentStatus };
  evidenceShared: { ok: true; added: number };
  keywordClassified: { ok: true };
}

export type ContactReply<T extends ContactMsg['type']> = ContactReplies[T];
