import { z } from 'zod';
import type { Address } from '../../core/index.ts';
import { AuditActor } from '../org/org.messages.ts';
import {
  LANGUAGE_CODE_PATTERN,
  MAX_CONFIRMATION_LANGUAGES,
  MAX_CONFIRMATION_LENGTH,
  MAX_CUSTOM_KEYWORDS,
  MAX_DISABLED_DEFAULTS,
  type KeywordSettings,
  type KeywordSettingsErrorCode,
} from './keyword-settings.ts';
import { MAX_KEYWORD_LENGTH, type OptKeywordMatch } from './opt-out-keywords.ts';

/**
 * The protocol of the `consent-keywords` actor: one per organisation (id = org id), holding its consent keyword
 * settings (keyword-settings.ts) and classifying customer messages with them.
 *
 * **Why an actor of its own, asked by the contact.** The settings are per organisation and change rarely; the
 * classification is per customer message. Copying the settings into every contact would make a change touch every
 * contact of the organisation; instead a contact asks this actor about the few messages that could be keywords
 * (at most `MAX_KEYWORD_LENGTH` characters once normalised, `keywordCandidate`), and the settings are kept here in
 * matching form, so a classification is one normalised string compared with the organisation's words and one map
 * lookup, without state change (the turn writes nothing but the runtime's consumed id).
 */
export const CONSENT_KEYWORDS_KIND = 'consent-keywords';

export function consentKeywordsAddress(orgId: string): Address {
  return { kind: CONSENT_KEYWORDS_KIND, id: orgId };
}

const LanguageCode = z.string().regex(LANGUAGE_CODE_PATTERN);

/** The settings document (structure and bounds; the rules between fields are `validateKeywordSettings`). Read-only
 * arrays, as the settings are kept. */
export const KeywordSettingsSchema = z.object({
  optOut: z
    .array(z.object({ keyword: z.string().min(1).max(MAX_KEYWORD_LENGTH), language: LanguageCode }))
    .max(MAX_CUSTOM_KEYWORDS)
    .readonly(),
  optIn: z
    .array(z.object({ keyword: z.string().min(1).max(MAX_KEYWORD_LENGTH), language: LanguageCode }))
    .max(MAX_CUSTOM_KEYWORDS)
    .readonly(),
  disabledDefaults: z.array(z.string().min(1).max(MAX_KEYWORD_LENGTH)).max(MAX_DISABLED_DEFAULTS).readonly(),
  confirmations: z
    .array(
      z.object({
        language: LanguageCode,
        optOut: z.string().min(1).max(MAX_CONFIRMATION_LENGTH).nullable(),
        optIn: z.string().min(1).max(MAX_CONFIRMATION_LENGTH).nullable(),
      }),
    )
    .max(MAX_CONFIRMATION_LANGUAGES)
    .readonly(),
}) satisfies z.ZodType<KeywordSettings>;

export const ConsentKeywordsMsg = z.discriminatedUnion('type', [
  z.object({ type: z.literal('getKeywordSettings') }),
  /** Replaces the settings as a whole (PUT semantics: the same settings again change nothing). */
  z.object({ type: z.literal('updateKeywordSettings'), settings: KeywordSettingsSchema, by: AuditActor }),
  /**
   * From a contact, for a customer message that could be a keyword: is it one, for this organisation, and what is
   * the confirmation? `normalisedText` is the message in matching form (`keywordCandidate`). Asked, the reply says;
   * told with `answerTo`, the answer is told back to that contact as `keywordClassified` (so that both turns can
   * commit together with the message that caused them, without an outbox entry).
   */
  z.object({
    type: z.literal('classifyKeyword'),
    normalisedText: z.string().min(1).max(MAX_KEYWORD_LENGTH),
    /** The customer's language if known: preferred when a keyword exists in several languages. */
    languageHint: z.string().max(8).optional(),
    /** The contact actor to tell the answer to, and the id it is about (the WhatsApp message id). */
    answerTo: z.object({ contactId: z.string().min(1).max(300), callId: z.string().min(1).max(300) }).optional(),
  }),
]);
export type ConsentKeywordsMsg = z.infer<typeof ConsentKeywordsMsg>;

export interface ConsentKeywordsRefused {
  readonly ok: false;
  readonly code: KeywordSettingsErrorCode;
  /** `<field>: <what is wrong>`, the field as in the settings document (`optIn[0].keyword`). */
  readonly message: string;
  readonly field: string;
}

export interface KeywordSettingsView extends KeywordSettings {
  /** Null while the organisation never changed them (the defaults apply). */
  readonly updatedAtMs: number | null;
  readonly updatedBy: AuditActor | null;
}

export interface ConsentKeywordsReplies {
  getKeywordSettings: { ok: true; settings: KeywordSettingsView };
  /** `changed: false` when the settings were already these. */
  updateKeywordSettings: { ok: true; changed: boolean; settings: KeywordSettingsView } | ConsentKeywordsRefused;
  classifyKeyword: {
    ok: true;
    /** Null when the message is no keyword of this organisation. */
    match: OptKeywordMatch | null;
    /** The text to send back if the keyword is applied, in the keyword's language (the organisation's own if set). */
    confirmation: string | null;
  };
}

export type ConsentKeywordsReply<T extends ConsentKeywordsMsg['type']> = ConsentKeywordsReplies[T];
