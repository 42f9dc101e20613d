/**
 * Opt-out and opt-in keywords in customer messages, pure (STYLE rule 3). Issue #5, 3: "opt-out keywords in many
 * languages … case- and accent-insensitive, configurable per organisation … START re-subscribes".
 *
 * **The matching rule: the whole message is the keyword.** Both the message and every keyword go through
 * `normaliseKeywordText`:
 *   1. Unicode NFD, then combining marks removed (ARRÊT → ARRET, DESCADASTRAR == DESCADASTRÁR);
 *   2. lower case, and ß → ss, æ → ae, œ → oe, ø → o (letters NFD does not decompose);
 *   3. every run of characters that are neither letters nor digits (spaces, punctuation, emoji, symbols, line
 *      breaks) becomes one space, and leading/trailing ones are dropped.
 * The message matches when what is left equals a keyword exactly. So "STOP", " stop!! ", "Stop 🛑", "¡BAJA!",
 * "stop-all" (→ "stop all") and "Arrêt." match; "please stop sending me these", "stop it" and "don't stop" do not
 * (a sentence that merely contains a keyword is not an opt-out: it is often about something else, and consent
 * must not be withdrawn or given by accident). Quick-reply buttons (`button.text` / `button.payload`, e.g.
 * "Stop promotions") are matched the same way when the caller passes their text.
 *
 * Words that are ordinary answers or bot commands are left out of the defaults on purpose: "fine" (Italian "end",
 * English "OK"), "end", "no", "yes"/"sí"/"sim"/"oui"/"ja" and generic opt-in candidates such as "resume" (also
 * "résumé"), "voltar" (a menu's "back"), "comenzar"/"empezar": an accidental opt-in is worse than a missed one,
 * because marketing consent must be explicit. An organisation adds them if it wants them.
 *
 * A keyword may belong to several languages ("stop"); the match reports the first language in table order,
 * unless the caller's `languageHint` (the contact's language) is one of them. Per-organisation configuration
 * (`OptKeywordConfig`, plain data, from the organisation's `consent-keywords` actor) adds keywords (checked first)
 * and removes defaults (by their normalised text, all kinds and languages); `compileOptKeywords` turns it into
 * matching form once, when the settings change.
 *
 * Bounds and cost: a message of more than `MAX_KEYWORD_MESSAGE_LENGTH` characters is no keyword, decided before
 * any work; else it is normalised (≤ 64 characters) and is no keyword if longer than `MAX_KEYWORD_LENGTH`, the
 * longest keyword any configuration may hold (`keywordCandidate`: the contact's filter, which spares most messages
 * the question to the organisation). Matching is then a scan of the organisation's additions and removals
 * (bounded by keyword-settings.ts) and one lookup in a map built once at module load.
 */

export const KEYWORD_LANGUAGES = ['en', 'es', 'pt', 'it', 'fr', 'de', 'nl'] as const;
export type KeywordLanguage = (typeof KEYWORD_LANGUAGES)[number];

export const OPT_KINDS = ['optOut', 'optIn'] as const;
export type OptKind = (typeof OPT_KINDS)[number];

export interface OptKeyword {
  readonly keyword: string;
  readonly kind: OptKind;
  /** ISO 639-1 code; configured keywords may use a language outside `KEYWORD_LANGUAGES`. */
  readonly language: string;
}

export interface OptKeywordMatch {
  readonly kind: OptKind;
  /** The keyword as normalised (what the message reduced to). */
  readonly keyword: string;
  readonly language: string;
}

/** Per-organisation changes to the default lists (plain data; `keyword-settings.ts` builds it from the settings). */
export interface OptKeywordConfig {
  /** Extra keywords, checked before the defaults. */
  readonly add: readonly OptKeyword[];
  /** Default keywords switched off, by their text (normalised before comparison). */
  readonly remove: readonly string[];
}

export const EMPTY_OPT_KEYWORD_CONFIG: OptKeywordConfig = { add: [], remove: [] };

/** A message longer than this is never a keyword (checked before normalising). */
export const MAX_KEYWORD_MESSAGE_LENGTH = 64;
/**
 * The longest keyword, once normalised, that any configuration may hold: the defaults are shorter (a test checks
 * it) and an organisation's words are validated against it (keyword-settings.ts). So a message that normalises to
 * more is no keyword of any organisation, and the contact does not ask the organisation's settings about it.
 */
export const MAX_KEYWORD_LENGTH = 32;

type Lists = Readonly<
  Record<KeywordLanguage, { readonly optOut: readonly string[]; readonly optIn: readonly string[] }>
>;

/**
 * The default lists. Sources: the US carrier (CTIA) standard words (STOP, STOPALL, UNSUBSCRIBE, CANCEL, QUIT,
 * REVOKE, OPTOUT; START, UNSTOP), the words the issue names, and the words BSPs and SMS gateways use per market
 * (BAJA/ALTO in Spain and Latin America, SAIR/PARAR in Brazil, STOP/ARRET in France, STOPP in Germany,
 * ANNULLA/DISISCRIVIMI in Italy, STOP/AFMELDEN in the Netherlands). Written in any accent or case: they are
 * normalised when the index is built.
 */
export const DEFAULT_OPT_KEYWORDS: Lists = {
  en: {
    optOut: [
      'stop',
      'stop all',
      'stopall',
      'unsubscribe',
      'unsub',
      'cancel',
      'quit',
      'revoke',
      'opt out',
      'optout',
      'stop promotions',
      'stop messages',
      'remove me',
    ],
    optIn: ['start', 'unstop', 'subscribe', 'resubscribe', 'opt in', 'optin', 'start promotions'],
  },
  es: {
    optOut: [
      'baja',
      'alto',
      'parar',
      'para',
      'cancelar',
      'detener',
      'basta',
      'darme de baja',
      'dar de baja',
      'desuscribir',
      'desuscribirme',
      'cancelar suscripcion',
      'no mas mensajes',
    ],
    optIn: ['alta', 'iniciar', 'suscribir', 'suscribirme', 'darme de alta', 'reanudar'],
  },
  pt: {
    optOut: [
      'parar',
      'pare',
      'sair',
      'cancelar',
      'descadastrar',
      'descadastre',
      'remover',
      'desinscrever',
      'cancelar inscricao',
      'nao quero mais',
    ],
    optIn: ['iniciar', 'assinar', 'inscrever', 'me inscrever', 'reativar'],
  },
  it: {
    optOut: [
      'stop',
      'annulla',
      'disiscrivimi',
      'disiscrivi',
      'cancellami',
      'cancella iscrizione',
      'rimuovimi',
      'basta',
      'disdici',
    ],
    optIn: ['iscrivimi', 'iscrivi', 'avvia', 'riattiva'],
  },
  fr: {
    optOut: [
      'stop',
      'arrêt',
      'arrêter',
      'stop sms',
      'stop pub',
      'désabonner',
      'me désabonner',
      'désinscrire',
      'désinscription',
      'annuler',
    ],
    optIn: ['commencer', 'démarrer', 'abonner', "s'abonner", 'réabonner', 'me réabonner'],
  },
  de: {
    optOut: ['stopp', 'stop', 'abmelden', 'abbestellen', 'austragen', 'beenden', 'kündigen', 'stop alle'],
    optIn: ['start', 'starten', 'anmelden', 'abonnieren', 'wieder anmelden'],
  },
  nl: {
    optOut: ['stop', 'stoppen', 'afmelden', 'uitschrijven', 'opzeggen', 'stop alles'],
    optIn: ['start', 'starten', 'aanmelden', 'inschrijven', 'hervatten'],
  },
};

/** What to send back after an opt-out or opt-in, per language (a service message: the window is open). */
export const OPT_CONFIRMATION_TEXTS: Readonly<Record<KeywordLanguage, Readonly<Record<OptKind, string>>>> = {
  en: {
    optOut:
      'You have been unsubscribed and will no longer receive marketing messages from us. Reply START to subscribe again.',
    optIn: 'You are subscribed again and will receive our messages. Reply STOP to unsubscribe at any time.',
  },
  es: {
    optOut: 'Te has dado de baja y ya no recibirás mensajes de marketing. Responde ALTA para volver a suscribirte.',
    optIn: 'Te has vuelto a suscribir y recibirás nuestros mensajes. Responde BAJA para darte de baja cuando quieras.',
  },
  pt: {
    optOut:
      'Você foi descadastrado e não receberá mais mensagens de marketing. Responda INICIAR para se inscrever novamente.',
    optIn: 'Você foi inscrito novamente e receberá nossas mensagens. Responda PARAR para cancelar a qualquer momento.',
  },
  it: {
    optOut:
      'Sei stato disiscritto e non riceverai più messaggi promozionali. Rispondi ISCRIVIMI per iscriverti di nuovo.',
    optIn: 'Sei di nuovo iscritto e riceverai i nostri messaggi. Rispondi STOP per disiscriverti in qualsiasi momento.',
  },
  fr: {
    optOut: 'Vous êtes désabonné et ne recevrez plus de messages marketing. Répondez COMMENCER pour vous réabonner.',
    optIn: 'Vous êtes de nouveau abonné et recevrez nos messages. Répondez STOP pour vous désabonner à tout moment.',
  },
  de: {
    optOut:
      'Sie wurden abgemeldet und erhalten keine Marketing-Nachrichten mehr. Antworten Sie START, um sich wieder anzumelden.',
    optIn:
      'Sie sind wieder angemeldet und erhalten unsere Nachrichten. Antworten Sie STOPP, um sich jederzeit abzumelden.',
  },
  nl: {
    optOut: 'Je bent afgemeld en ontvangt geen marketingberichten meer. Antwoord START om je opnieuw aan te melden.',
    optIn: 'Je bent weer aangemeld en ontvangt onze berichten. Antwoord STOP om je op elk moment af te melden.',
  },
};

const EXTRA_FOLDS: Readonly<Record<string, string>> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ł: 'l', ı: 'i' };
const EXTRA_FOLD_PATTERN = /[ßæœøđłı]/g;
const COMBINING_MARKS = /\p{M}+/gu;
const SEPARATORS = /[^\p{L}\p{N}]+/gu;

/** The matching form of a text: accents and case folded, non-letters collapsed to single spaces, trimmed. */
export function normaliseKeywordText(text: string): string {
  return text
    .normalize('NFD')
    .replace(COMBINING_MARKS, '')
    .toLowerCase()
    .replace(EXTRA_FOLD_PATTERN, (c) => EXTRA_FOLDS[c] ?? c)
    .replace(SEPARATORS, ' ')
    .trim();
}

/** normalised keyword → its entries (several when languages share a word), in table order. */
const DEFAULT_INDEX: ReadonlyMap<string, readonly OptKeywordMatch[]> = buildIndex();

function buildIndex(): Map<string, OptKeywordMatch[]> {
  const index = new Map<string, OptKeywordMatch[]>();
  for (const language of KEYWORD_LANGUAGES) {
    for (const kind of OPT_KINDS) {
      for (const word of DEFAULT_OPT_KEYWORDS[language][kind]) {
        const keyword = normaliseKeywordText(word);
        const entries = index.get(keyword) ?? [];
        if (!entries.some((e) => e.language === language && e.kind === kind)) entries.push({ kind, keyword, language });
        index.set(keyword, entries);
      }
    }
  }
  return index;
}

/** The default entries of a word (any case or accents): empty when it is no default keyword. */
export function defaultKeywordEntries(word: string): readonly OptKeywordMatch[] {
  return DEFAULT_INDEX.get(normaliseKeywordText(word)) ?? [];
}

/**
 * An organisation's keywords in matching form (plain data, kept in the `consent-keywords` actor's state and
 * rebuilt only when the settings change), so that classifying a message normalises the message and nothing else.
 */
export interface CompiledOptKeywords {
  /** The additions, keywords normalised, in the order given (checked before the defaults). */
  readonly add: readonly OptKeywordMatch[];
  /** The default keywords switched off, normalised. */
  readonly remove: readonly string[];
  /** The longest keyword this configuration matches: a message that normalises to more is none. */
  readonly maxLength: number;
}

export function compileOptKeywords(config: OptKeywordConfig): CompiledOptKeywords {
  const add = config.add.map((e) => ({ kind: e.kind, keyword: normaliseKeywordText(e.keyword), language: e.language }));
  const remove = [...new Set(config.remove.map(normaliseKeywordText))];
  let maxLength = 0;
  for (const entry of add) maxLength = Math.max(maxLength, entry.keyword.length);
  for (const keyword of DEFAULT_INDEX.keys()) {
    if (!remove.includes(keyword)) maxLength = Math.max(maxLength, keyword.length);
  }
  return { add, remove, maxLength };
}

/** The defaults alone (an organisation that configured nothing). */
export const DEFAULT_COMPILED_KEYWORDS: CompiledOptKeywords = compileOptKeywords(EMPTY_OPT_KEYWORD_CONFIG);

/**
 * The matching form of a message if it could be a keyword of some organisation, else null: at most
 * `MAX_KEYWORD_MESSAGE_LENGTH` characters as written (checked first, without work) and 1 to `MAX_KEYWORD_LENGTH`
 * once normalised. The contact's filter on the hot path: only such messages are classified.
 */
export function keywordCandidate(text: string): string | null {
  if (text.length === 0 || text.length > MAX_KEYWORD_MESSAGE_LENGTH) return null;
  const normalised = normaliseKeywordText(text);
  return normalised.length === 0 || normalised.length > MAX_KEYWORD_LENGTH ? null : normalised;
}

export interface DetectOptions {
  /** The contact's language, if known: preferred when a keyword exists in several languages. */
  readonly languageHint?: string | null;
}

/**
 * Whether a message already in matching form (`normaliseKeywordText`) is, as a whole, an opt-out or opt-in keyword
 * of `keywords`; null otherwise. Additions win over defaults; removed defaults match nothing.
 */
export function matchOptKeyword(
  normalised: string,
  keywords: CompiledOptKeywords = DEFAULT_COMPILED_KEYWORDS,
  options: DetectOptions = {},
): OptKeywordMatch | null {
  if (normalised.length === 0 || normalised.length > keywords.maxLength) return null;
  const hint = options.languageHint ?? null;

  let added: OptKeywordMatch | null = null;
  for (const entry of keywords.add) {
    if (entry.keyword !== normalised) continue;
    if (hint === null || entry.language === hint) return entry;
    added ??= entry;
  }
  if (added !== null) return added;

  const entries = DEFAULT_INDEX.get(normalised);
  if (entries === undefined || keywords.remove.includes(normalised)) return null;
  return (hint !== null ? entries.find((e) => e.language === hint) : undefined) ?? entries[0] ?? null;
}

/** Whether the whole message (as written) is an opt-out or opt-in keyword of `keywords`; null otherwise. */
export function detectOptKeyword(
  text: string,
  keywords: CompiledOptKeywords = DEFAULT_COMPILED_KEYWORDS,
  options: DetectOptions = {},
): OptKeywordMatch | null {
  const normalised = keywordCandidate(text);
  return normalised === null ? null : matchOptKeyword(normalised, keywords, options);
}

/** An organisation's own confirmation texts for one language (null: the default text). */
export interface ConfirmationOverride {
  readonly language: string;
  readonly optOut: string | null;
  readonly optIn: string | null;
}

/** The confirmation to send back: the organisation's text for the language if it has one, else the default of the
 * language, else English. */
export function confirmationText(
  kind: OptKind,
  language: string,
  overrides: readonly ConfirmationOverride[] = [],
): string {
  const own = overrides.find((o) => o.language === language)?.[kind] ?? null;
  if (own !== null) return own;
  const texts = isKeywordLanguage(language) ? OPT_CONFIRMATION_TEXTS[language] : OPT_CONFIRMATION_TEXTS.en;
  return texts[kind];
}

export function isKeywordLanguage(value: string): value is KeywordLanguage {
  return (KEYWORD_LANGUAGES as readonly string[]).includes(value);
}
