import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import {
  consentKeywordsAddress,
  type ConsentKeywordsMsg,
  type ConsentKeywordsReply,
  type KeywordSettingsView,
} from '../../../actors/contacts/consent-keywords.messages.ts';
import {
  LANGUAGE_CODE_PATTERN,
  MAX_CONFIRMATION_LANGUAGES,
  MAX_CONFIRMATION_LENGTH,
  MAX_CUSTOM_KEYWORDS,
  MAX_DISABLED_DEFAULTS,
} from '../../../actors/contacts/keyword-settings.ts';
import {
  DEFAULT_OPT_KEYWORDS,
  KEYWORD_LANGUAGES,
  MAX_KEYWORD_LENGTH,
  OPT_CONFIRMATION_TEXTS,
} from '../../../actors/contacts/opt-out-keywords.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { callerOf } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';
import { auditActorOf } from './numbers.routes.ts';

/**
 * The organisation's consent keywords (issue #5, 3: opt-out keywords "configurable per organisation"): which words
 * besides the defaults opt a customer out of marketing or back in, which defaults are ordinary messages for this
 * organisation, and the confirmation texts sent back. Kept by the organisation's `consent-keywords` actor, which
 * classifies the customer messages that could be keywords (actors/contacts/keyword-settings.ts has the rules).
 * Reading needs `contacts:read`; replacing needs `org:manage` (admins and owners: the words decide whose consent
 * is withdrawn, so they are the organisation's settings, not a contact edit; no API key scope grants it).
 */

export interface ConsentKeywordsRoutesDeps {
  readonly system: ActorSystem;
}

// ---------------------------------------------------------------- schemas

const Language = z
  .string()
  .regex(LANGUAGE_CODE_PATTERN)
  .describe('ISO 639 language code in lower case (en, es, pt, it, fr, de, nl, or any other)');

const CustomKeyword = z
  .object({
    keyword: z
      .string()
      .trim()
      .min(1)
      .max(MAX_KEYWORD_LENGTH)
      .describe('The whole message to recognise; accents, case, punctuation and emoji around it are ignored'),
    language: Language.describe('The language of the confirmation sent back when a customer writes it'),
  })
  .meta({ id: 'ConsentKeyword' });

const Confirmation = z
  .object({
    language: Language,
    optOut: z
      .string()
      .trim()
      .min(1)
      .max(MAX_CONFIRMATION_LENGTH)
      .nullable()
      .describe('Sent after an opt-out keyword of this language; null: the default text'),
    optIn: z
      .string()
      .trim()
      .min(1)
      .max(MAX_CONFIRMATION_LENGTH)
      .nullable()
      .describe('Sent after an opt-in keyword of this language; null: the default text'),
  })
  .meta({ id: 'ConsentConfirmation' });

const KeywordSettingsInput = z
  .object({
    optOut: z
      .array(CustomKeyword)
      .max(MAX_CUSTOM_KEYWORDS)
      .default([])
      .describe(`Extra opt-out words (at most ${MAX_CUSTOM_KEYWORDS})`),
    optIn: z
      .array(CustomKeyword)
      .max(MAX_CUSTOM_KEYWORDS)
      .default([])
      .describe(`Extra opt-in words: they re-subscribe a customer who opted out (at most ${MAX_CUSTOM_KEYWORDS})`),
    disabledDefaults: z
      .array(z.string().trim().min(1).max(MAX_KEYWORD_LENGTH))
      .max(MAX_DISABLED_DEFAULTS)
      .default([])
      .describe('Default words that are ordinary messages for this organisation (every language and kind)'),
    confirmations: z
      .array(Confirmation)
      .max(MAX_CONFIRMATION_LANGUAGES)
      .default([])
      .describe('Own confirmation texts per language; the defaults (or English) otherwise'),
  })
  .meta({ id: 'ConsentKeywordSettingsInput' });

const DefaultKeywords = z
  .object({
    language: z.string(),
    optOut: z.array(z.string()),
    optIn: z.array(z.string()),
    confirmation: z.object({ optOut: z.string(), optIn: z.string() }),
  })
  .meta({ id: 'DefaultConsentKeywords' });

const KeywordSettings = z
  .object({
    optOut: z.array(CustomKeyword),
    optIn: z.array(CustomKeyword),
    disabledDefaults: z.array(z.string()),
    confirmations: z.array(Confirmation),
    updatedAt: z.string().nullable().describe('Null while the organisation uses the defaults unchanged'),
    updatedBy: z
      .object({ kind: z.enum(['user', 'apiKey', 'system']), id: z.string() })
      .nullable()
      .describe('Who last replaced the settings'),
    defaults: z
      .array(DefaultKeywords)
      .describe('The built-in words and confirmation texts per language, which disabledDefaults switches off'),
  })
  .meta({ id: 'ConsentKeywordSettings' });

// ---------------------------------------------------------------- mapping

const DEFAULTS_BODY: z.input<typeof DefaultKeywords>[] = KEYWORD_LANGUAGES.map((language) => ({
  language,
  optOut: [...DEFAULT_OPT_KEYWORDS[language].optOut],
  optIn: [...DEFAULT_OPT_KEYWORDS[language].optIn],
  confirmation: { ...OPT_CONFIRMATION_TEXTS[language] },
}));

function settingsBody(s: KeywordSettingsView): z.input<typeof KeywordSettings> {
  return {
    optOut: s.optOut.map((e) => ({ ...e })),
    optIn: s.optIn.map((e) => ({ ...e })),
    disabledDefaults: [...s.disabledDefaults],
    confirmations: s.confirmations.map((c) => ({ ...c })),
    updatedAt: s.updatedAtMs === null ? null : iso(s.updatedAtMs),
    updatedBy: s.updatedBy,
    defaults: DEFAULTS_BODY,
  };
}

// ---------------------------------------------------------------- routes

export function consentKeywordRoutes(deps: ConsentKeywordsRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const ask = <T extends ConsentKeywordsMsg['type']>(
    orgId: string,
    msg: Extract<ConsentKeywordsMsg, { type: T }>,
  ): Promise<ConsentKeywordsReply<T>> => system.ask<ConsentKeywordsReply<T>>(consentKeywordsAddress(orgId), msg);

  const getKeywords = defineRoute({
    method: 'GET',
    url: '/consent/keywords',
    operationId: 'getConsentKeywords',
    summary: "The organisation's opt-out and opt-in keywords, confirmation texts and the built-in defaults",
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:read'],
    responses: { 200: KeywordSettings },
    async handler({ request }) {
      const reply = await ask<'getKeywordSettings'>(callerOf(request).orgId, { type: 'getKeywordSettings' });
      return { status: 200, body: settingsBody(reply.settings) };
    },
  });

  const putKeywords = defineRoute({
    method: 'PUT',
    url: '/consent/keywords',
    operationId: 'updateConsentKeywords',
    summary: "Replace the organisation's opt-out and opt-in keywords and confirmation texts",
    description: [
      'Replaces the settings as a whole (an omitted list is empty; `{}` restores the defaults). A customer message that is, as a whole, one of the words (accents, case, punctuation and emoji ignored) opts the customer out of marketing, or back in after an opt-out, and is confirmed in the word’s language.',
      `Refused with 400 \`PARLO_CONSENT_KEYWORD_CONFLICT\` when a word would be both an opt-out and an opt-in word (in both lists, or in one while it is an enabled default of the other kind: disable the default first), and with 400 \`PARLO_CONSENT_KEYWORD_INVALID\` when a word has no letters or digits or is longer than ${MAX_KEYWORD_LENGTH} characters once folded, repeats, a disabled word is no default, or a language has two confirmation entries; the message names the field.`,
    ].join('\n\n'),
    tags: ['contacts'],
    auth: 'any',
    scopes: ['org:manage'],
    body: KeywordSettingsInput,
    responses: { 200: KeywordSettings },
    async handler({ body, request }) {
      const caller = callerOf(request);
      const reply = await ask<'updateKeywordSettings'>(caller.orgId, {
        type: 'updateKeywordSettings',
        settings: body,
        by: auditActorOf(caller),
      });
      // The actor names the field in the settings document; the API names it in the request.
      if (!reply.ok) {
        const rule = reply.message.slice(reply.field.length + 2);
        throw new ParloError(reply.code, `body.${reply.message}`, [
          { location: 'body', path: reply.field, rule: 'custom', message: rule },
        ]);
      }
      return { status: 200, body: settingsBody(reply.settings) };
    },
  });

  return [getKeywords, putKeywords];
}
