import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OPT_KEYWORDS,
  EMPTY_OPT_KEYWORD_CONFIG,
  KEYWORD_LANGUAGES,
  MAX_KEYWORD_MESSAGE_LENGTH,
  OPT_CONFIRMATION_TEXTS,
  OPT_KINDS,
  confirmationText,
  detectOptKeyword,
  isKeywordLanguage,
  normaliseKeywordText,
  validateOptKeywordConfig,
  type OptKeywordConfig,
} from './opt-out-keywords.ts';

describe('normaliseKeywordText', () => {
  it.each([
    ['STOP', 'stop'],
    ['  Stop!!! ', 'stop'],
    ['ARRÊT.', 'arret'],
    ['¡BAJA!', 'baja'],
    ['Stop 🛑', 'stop'],
    ['🛑🛑 stop-all 🛑', 'stop all'],
    ['KÜNDIGEN', 'kundigen'],
    ['Straße', 'strasse'],
    ["s'abonner", 's abonner'],
    ['DESCADASTRÁR\n', 'descadastrar'],
    ['não   quero\tmais', 'nao quero mais'],
    ['İPTAL', 'iptal'],
    ['🙂', ''],
  ])('%j → %j', (input, expected) => {
    expect(normaliseKeywordText(input)).toBe(expected);
  });

  it('is idempotent (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        const once = normaliseKeywordText(text);
        expect(normaliseKeywordText(once)).toBe(once);
      }),
    );
  });
});

describe('detectOptKeyword: defaults', () => {
  it.each([
    ['STOP', 'optOut', 'stop', 'en'],
    ['stop all', 'optOut', 'stop all', 'en'],
    ['Unsubscribe', 'optOut', 'unsubscribe', 'en'],
    ['BAJA', 'optOut', 'baja', 'es'],
    ['Alto', 'optOut', 'alto', 'es'],
    ['PARAR', 'optOut', 'parar', 'es'],
    ['Cancelar', 'optOut', 'cancelar', 'es'],
    ['sair', 'optOut', 'sair', 'pt'],
    ['Descadastrar', 'optOut', 'descadastrar', 'pt'],
    ['STOPP', 'optOut', 'stopp', 'de'],
    ['Abmelden', 'optOut', 'abmelden', 'de'],
    ['ARRÊT', 'optOut', 'arret', 'fr'],
    ['arret', 'optOut', 'arret', 'fr'],
    ['Désabonner', 'optOut', 'desabonner', 'fr'],
    ['ANNULLA', 'optOut', 'annulla', 'it'],
    ['Disiscrivimi', 'optOut', 'disiscrivimi', 'it'],
    ['afmelden', 'optOut', 'afmelden', 'nl'],
    ['START', 'optIn', 'start', 'en'],
    ['ALTA', 'optIn', 'alta', 'es'],
    ['Iniciar', 'optIn', 'iniciar', 'es'],
    ['Iscrivimi', 'optIn', 'iscrivimi', 'it'],
    ['Commencer', 'optIn', 'commencer', 'fr'],
    ['Anmelden', 'optIn', 'anmelden', 'de'],
    ['aanmelden', 'optIn', 'aanmelden', 'nl'],
  ] as const)('%j → %s %j (%s)', (text, kind, keyword, language) => {
    expect(detectOptKeyword(text)).toEqual({ kind, keyword, language });
  });

  it('tolerates surrounding whitespace, punctuation and emoji', () => {
    for (const text of ['  stop  ', 'STOP!', 'Stop.', '¡¡Baja!!', 'stop 🙏', '👋 STOP 👋', '"stop"', 'stop\n'])
      expect(detectOptKeyword(text)?.kind, text).toBe('optOut');
  });

  it('needs the whole message: a sentence that contains a keyword is not one', () => {
    for (const text of [
      'please stop sending me these',
      'stop it',
      "don't stop",
      'when does the bus stop?',
      'quiero darme de baja por favor',
      'start the engine',
      'stopper',
      'unstoppable',
    ])
      expect(detectOptKeyword(text), text).toBeNull();
  });

  it('leaves out ordinary answers that would give or withdraw consent by accident', () => {
    for (const text of ['yes', 'Sí', 'oui', 'ja', 'no', 'fine', 'end', 'ok', 'Résumé', 'voltar', ''])
      expect(detectOptKeyword(text), text).toBeNull();
  });

  it('ignores long messages without work', () => {
    expect(detectOptKeyword(`stop${' '.repeat(MAX_KEYWORD_MESSAGE_LENGTH)}`)).toBeNull();
    expect(detectOptKeyword(`${' '.repeat(MAX_KEYWORD_MESSAGE_LENGTH - 4)}stop`)?.kind).toBe('optOut');
  });

  it('prefers the contact language when a keyword is shared', () => {
    expect(detectOptKeyword('stop', EMPTY_OPT_KEYWORD_CONFIG, { languageHint: 'de' })?.language).toBe('de');
    expect(detectOptKeyword('stop', EMPTY_OPT_KEYWORD_CONFIG, { languageHint: 'fr' })?.language).toBe('fr');
    expect(detectOptKeyword('parar', EMPTY_OPT_KEYWORD_CONFIG, { languageHint: 'pt' })?.language).toBe('pt');
    expect(detectOptKeyword('parar', EMPTY_OPT_KEYWORD_CONFIG, { languageHint: 'ja' })?.language).toBe('es');
    expect(detectOptKeyword('stop')?.language).toBe('en');
  });

  it('never lists a word both as opt-out and as opt-in', () => {
    const optOut = new Set<string>();
    const optIn = new Set<string>();
    for (const language of KEYWORD_LANGUAGES) {
      for (const w of DEFAULT_OPT_KEYWORDS[language].optOut) optOut.add(normaliseKeywordText(w));
      for (const w of DEFAULT_OPT_KEYWORDS[language].optIn) optIn.add(normaliseKeywordText(w));
    }
    for (const word of optIn) expect(optOut.has(word), word).toBe(false);
  });

  it('finds every default keyword in upper case, with accents as written', () => {
    for (const language of KEYWORD_LANGUAGES)
      for (const kind of OPT_KINDS)
        for (const word of DEFAULT_OPT_KEYWORDS[language][kind])
          expect(detectOptKeyword(` ${word.toUpperCase()}! `)?.kind, word).toBe(kind);
  });
});

describe('detectOptKeyword: per-organisation configuration', () => {
  const config: OptKeywordConfig = {
    add: [
      { keyword: 'Basta ya', kind: 'optOut', language: 'es' },
      { keyword: 'SÍ QUIERO', kind: 'optIn', language: 'es' },
      { keyword: 'cancel', kind: 'optIn', language: 'en' }, // re-classifies a default
      { keyword: 'hou op', kind: 'optOut', language: 'nl' },
      { keyword: 'hou op', kind: 'optOut', language: 'af' },
    ],
    remove: ['CANCELAR', 'Stop'],
  };

  it('adds keywords, accent- and case-insensitive', () => {
    expect(detectOptKeyword('basta YA!', config)).toEqual({ kind: 'optOut', keyword: 'basta ya', language: 'es' });
    expect(detectOptKeyword('si quiero', config)).toEqual({ kind: 'optIn', keyword: 'si quiero', language: 'es' });
    expect(detectOptKeyword('hou op', config, { languageHint: 'af' })?.language).toBe('af');
    expect(detectOptKeyword('hou op', config)?.language).toBe('nl');
  });

  it('additions win over defaults', () => {
    expect(detectOptKeyword('Cancel', config)?.kind).toBe('optIn');
  });

  it('removes defaults in every language', () => {
    expect(detectOptKeyword('cancelar', config)).toBeNull();
    expect(detectOptKeyword('STOP', config)).toBeNull();
    expect(detectOptKeyword('stop', config, { languageHint: 'de' })).toBeNull();
    expect(detectOptKeyword('stopp', config)?.kind).toBe('optOut');
  });

  it('validates the configuration', () => {
    expect(validateOptKeywordConfig(config)).toEqual([]);
    expect(
      validateOptKeywordConfig({
        add: [
          { keyword: '🙂', kind: 'optOut', language: 'en' },
          { keyword: 'x', kind: 'maybe' as never, language: 'english' },
          { keyword: 'y'.repeat(MAX_KEYWORD_MESSAGE_LENGTH + 1), kind: 'optIn', language: 'en' },
        ],
        remove: Array<string>(201).fill('stop'),
      }),
    ).toEqual([
      'remove: at most 200 keywords',
      'add[0]: keyword has no letters or digits',
      'add[1]: kind must be optOut or optIn',
      'add[1]: language must be an ISO 639 code',
      'add[2]: keyword longer than 64 characters',
    ]);
  });
});

describe('confirmation texts', () => {
  it('exist for every language and kind, and name the keyword that undoes them', () => {
    for (const language of KEYWORD_LANGUAGES) {
      const texts = OPT_CONFIRMATION_TEXTS[language];
      for (const kind of OPT_KINDS) expect(texts[kind].length).toBeGreaterThan(20);
      // The word in capitals inside the opt-out text is an opt-in keyword of that language, and vice versa.
      const optInWord = /\b([A-ZÀ-Ü]{4,})\b/u.exec(texts.optOut)?.[1] ?? '';
      const optOutWord = /\b([A-ZÀ-Ü]{4,})\b/u.exec(texts.optIn)?.[1] ?? '';
      expect(detectOptKeyword(optInWord, EMPTY_OPT_KEYWORD_CONFIG, { languageHint: language })?.kind, language).toBe(
        'optIn',
      );
      expect(detectOptKeyword(optOutWord, EMPTY_OPT_KEYWORD_CONFIG, { languageHint: language })?.kind, language).toBe(
        'optOut',
      );
    }
  });

  it('falls back to English and honours overrides', () => {
    expect(confirmationText('optOut', 'ja')).toBe(OPT_CONFIRMATION_TEXTS.en.optOut);
    expect(confirmationText('optIn', 'es')).toBe(OPT_CONFIRMATION_TEXTS.es.optIn);
    expect(confirmationText('optOut', 'es', { es: { optOut: 'Listo, no más.' } })).toBe('Listo, no más.');
    expect(confirmationText('optIn', 'es', { es: { optOut: 'Listo, no más.' } })).toBe(OPT_CONFIRMATION_TEXTS.es.optIn);
    expect(confirmationText('optOut', 'constructor')).toBe(OPT_CONFIRMATION_TEXTS.en.optOut);
    expect(isKeywordLanguage('pt')).toBe(true);
    expect(isKeywordLanguage('xx')).toBe(false);
  });
});
