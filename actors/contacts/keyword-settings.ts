import { MAX_CONSENT_WORDING_LENGTH } from './consent.ts';
import {
  MAX_KEYWORD_LENGTH,
  OPT_KINDS,
  compileOptKeywords,
  defaultKeywordEntries,
  normaliseKeywordText,
  type CompiledOptKeywords,
  type ConfirmationOverride,
  type OptKind,
} from './opt-out-keywords.ts';

/**
 * An organisation's consent keyword settings and their rules, pure (STYLE rule 3). Issue #5, 3: opt-out keywords
 * "configurable per organisation".
 *
 * The settings are a whole document, replaced as a whole (`PUT /v1/consent/keywords`):
 * - `optOut`, `optIn`: extra words, each with the language of its confirmation (ISO 639 code, any language);
 * - `disabledDefaults`: default words (opt-out-keywords.ts) that are ordinary messages for this organisation;
 * - `confirmations`: the organisation's own confirmation texts, per language and kind (the defaults otherwise).
 *
 * **Rules** (`validateKeywordSettings`; the first problem refuses the whole document, naming its field):
 * - a word has letters or digits, and at most `MAX_KEYWORD_LENGTH` characters once accents, case and punctuation
 *   are folded (the bound the contact's hot-path filter relies on); a list holds at most `MAX_CUSTOM_KEYWORDS`;
 * - no word is both an opt-out and an opt-in word: not in both lists, and not in one list while it is an enabled
 *   default of the other kind (disable the default first — an accidental opt-in is worse than a missed one, and a
 *   word with two meanings is a trap for customers); a word appears once per list and language;
 * - a disabled default is a default word, named once;
 * - a confirmation names a language once, gives at least one text, each of 1 to `MAX_CONFIRMATION_LENGTH`
 *   characters (it is kept as the evidence's wording, so ≤ the wording limit).
 * Refusals: `PARLO_CONSENT_KEYWORD_CONFLICT` for the two-meanings rule, `PARLO_CONSENT_KEYWORD_INVALID` for the rest.
 */

export interface CustomKeyword {
  /** As the organisation wrote it (matched accent- and case-insensitively). */
  readonly keyword: string;
  /** ISO 639 code: the language of the confirmation sent back. */
  readonly language: string;
}

export interface KeywordSettings {
  readonly optOut: readonly CustomKeyword[];
  readonly optIn: readonly CustomKeyword[];
  readonly disabledDefaults: readonly string[];
  readonly confirmations: readonly ConfirmationOverride[];
}

export const EMPTY_KEYWORD_SETTINGS: KeywordSettings = {
  optOut: [],
  optIn: [],
  disabledDefaults: [],
  confirmations: [],
};

/** Extra words per kind. */
export const MAX_CUSTOM_KEYWORDS = 100;
/** Disabled default words (there are about 130 distinct defaults). */
export const MAX_DISABLED_DEFAULTS = 200;
/** Languages with the organisation's own confirmation texts. */
export const MAX_CONFIRMATION_LANGUAGES = 30;
export const MAX_CONFIRMATION_LENGTH = MAX_CONSENT_WORDING_LENGTH;
/** ISO 639-1 or 639-2/3 code, lower case. */
export const LANGUAGE_CODE_PATTERN = /^[a-z]{2,3}$/;

export const KEYWORD_SETTINGS_ERROR_CODES = [
  'PARLO_CONSENT_KEYWORD_INVALID',
  'PARLO_CONSENT_KEYWORD_CONFLICT',
] as const;
export type KeywordSettingsErrorCode = (typeof KEYWORD_SETTINGS_ERROR_CODES)[number];

export interface KeywordSettingsProblem {
  readonly code: KeywordSettingsErrorCode;
  /** Where, in the settings document: `optIn[2].keyword`, `disabledDefaults[0]`, `confirmations[1].optOut`. */
  readonly field: string;
  readonly message: string;
}

const KIND_NAMES: Readonly<Record<OptKind, string>> = { optOut: 'opt-out', optIn: 'opt-in' };

/**
 * Every problem of the settings (empty when they are valid), in a stable order: the entries of `optOut` and
 * `optIn`, the words with two meanings, `disabledDefaults`, `confirmations`.
 */
export function validateKeywordSettings(settings: KeywordSettings): KeywordSettingsProblem[] {
  const problems: KeywordSettingsProblem[] = [];
  const invalid = (field: string, message: string) =>
    problems.push({ code: 'PARLO_CONSENT_KEYWORD_INVALID', field, message });
  const disabled = new Set(settings.disabledDefaults.map(normaliseKeywordText));

  const seen: Record<OptKind, Map<string, number>> = { optOut: new Map(), optIn: new Map() };
  for (const kind of OPT_KINDS) {
    const list = settings[kind];
    if (list.length > MAX_CUSTOM_KEYWORDS) invalid(kind, `at most ${MAX_CUSTOM_KEYWORDS} keywords`);
    list.forEach((entry, i) => {
      const field = `${kind}[${i}]`;
      const normalised = normaliseKeywordText(entry.keyword);
      if (!LANGUAGE_CODE_PATTERN.test(entry.language)) {
        invalid(`${field}.language`, 'must be an ISO 639 language code in lower case (en, es, pt, …)');
      }
      if (normalised.length === 0) {
        invalid(`${field}.keyword`, 'has no letters or digits');
        return;
      }
      if (normalised.length > MAX_KEYWORD_LENGTH) {
        invalid(
          `${field}.keyword`,
          `is longer than ${MAX_KEYWORD_LENGTH} characters once accents, case and punctuation are folded`,
        );
        return;
      }
      const repeated = list.findIndex(
        (other, j) => j < i && other.language === entry.language && normaliseKeywordText(other.keyword) === normalised,
      );
      if (repeated >= 0) invalid(`${field}.keyword`, `repeats ${kind}[${repeated}] (same word and language)`);
      if (!seen[kind].has(normalised)) seen[kind].set(normalised, i);
    });
  }

  for (const kind of OPT_KINDS) {
    const other: OptKind = kind === 'optOut' ? 'optIn' : 'optOut';
    settings[kind].forEach((entry, i) => {
      const normalised = normaliseKeywordText(entry.keyword);
      if (normalised.length === 0 || normalised.length > MAX_KEYWORD_LENGTH) return;
      const field = `${kind}[${i}].keyword`;
      // Reported once, on the opt-in side, when both lists hold the word.
      const inOther = seen[other].get(normalised);
      if (kind === 'optIn' && inOther !== undefined) {
        problems.push({
          code: 'PARLO_CONSENT_KEYWORD_CONFLICT',
          field,
          message: `"${entry.keyword}" is also an opt-out keyword (optOut[${inOther}]); a word cannot be both`,
        });
        return;
      }
      const clash = disabled.has(normalised)
        ? undefined
        : defaultKeywordEntries(normalised).find((d) => d.kind === other);
      if (clash !== undefined) {
        problems.push({
          code: 'PARLO_CONSENT_KEYWORD_CONFLICT',
          field,
          message: `"${entry.keyword}" is a default ${KIND_NAMES[other]} keyword (${clash.language}); add it to disabledDefaults to make it an ${KIND_NAMES[kind]} keyword`,
        });
      }
    });
  }

  settings.disabledDefaults.forEach((word, i) => {
    const normalised = normaliseKeywordText(word);
    const first = settings.disabledDefaults.findIndex((w) => normaliseKeywordText(w) === normalised);
    if (defaultKeywordEntries(word).length === 0)
      invalid(`disabledDefaults[${i}]`, `"${word}" is not a default keyword`);
    else if (first < i) invalid(`disabledDefaults[${i}]`, `repeats disabledDefaults[${first}]`);
  });
  if (settings.disabledDefaults.length > MAX_DISABLED_DEFAULTS) {
    invalid('disabledDefaults', `at most ${MAX_DISABLED_DEFAULTS} words`);
  }

  if (settings.confirmations.length > MAX_CONFIRMATION_LANGUAGES) {
    invalid('confirmations', `at most ${MAX_CONFIRMATION_LANGUAGES} languages`);
  }
  settings.confirmations.forEach((c, i) => {
    const field = `confirmations[${i}]`;
    if (!LANGUAGE_CODE_PATTERN.test(c.language)) {
      invalid(`${field}.language`, 'must be an ISO 639 language code in lower case (en, es, pt, …)');
    }
    const first = settings.confirmations.findIndex((o) => o.language === c.language);
    if (first < i) invalid(`${field}.language`, `repeats confirmations[${first}]`);
    if (c.optOut === null && c.optIn === null) invalid(field, 'give optOut, optIn or both');
    for (const kind of OPT_KINDS) {
      const text = c[kind];
      if (text !== null && (text.trim().length === 0 || text.length > MAX_CONFIRMATION_LENGTH)) {
        invalid(`${field}.${kind}`, `must have 1 to ${MAX_CONFIRMATION_LENGTH} characters`);
      }
    }
  });
  return problems;
}

/** The settings in matching form (done once per change, kept in the actor's state). */
export function compileKeywordSettings(settings: KeywordSettings): CompiledOptKeywords {
  return compileOptKeywords({
    add: OPT_KINDS.flatMap((kind) => settings[kind].map((e) => ({ keyword: e.keyword, kind, language: e.language }))),
    remove: settings.disabledDefaults,
  });
}

/** Whether two settings documents say the same (a PUT of the current settings changes nothing). */
export function sameKeywordSettings(a: KeywordSettings, b: KeywordSettings): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

function canonical(s: KeywordSettings): unknown {
  return [
    s.optOut.map((e) => [e.keyword, e.language]),
    s.optIn.map((e) => [e.keyword, e.language]),
    s.disabledDefaults,
    s.confirmations.map((c) => [c.language, c.optOut, c.optIn]),
  ];
}
