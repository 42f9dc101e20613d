import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_COMPILED_KEYWORDS,
  DEFAULT_OPT_KEYWORDS,
  KEYWORD_LANGUAGES,
  MAX_KEYWORD_LENGTH,
  MAX_KEYWORD_MESSAGE_LENGTH,
  OPT_CONFIRMATION_TEXTS,
  OPT_KINDS,
  compileOptKeywords,
  confirmationText,
  defaultKeywordEntries,
  detectOptKeyword,
  isKeywordLanguage,
  keywordCandidate,
  matchOptKeyword,
  normaliseKeywordText,
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

  it('keeps every default within MAX_KEYWORD_LENGTH, the bound of the hot-path filter', () => {
    for (const language of KEYWORD_LANGUAGES)
      for (const kind of OPT_KINDS)
        for (const word of DEFAULT_OPT_KEYWORDS[language][kind])
          expect(normaliseKeywordText(word).length, word).toBeLessThanOrEqual(MAX_KEYWORD_LENGTH);
    // The longest default is what the defaults alone match up to.
    expect(DEFAULT_COMPILED_KEYWORDS.maxLength).toBe('cancelar suscripcion'.length);
  });

  it('prefers the contact language when a keyword is shared', () => {
    expect(detectOptKeyword('stop', DEFAULT_COMPILED_KEYWORDS, { languageHint: 'de' })?.language).toBe('de');
    expect(detectOptKeyword('stop', DEFAULT_COMPILED_KEYWORDS, { languageHint: 'fr' })?.language).toBe('fr');
    expect(detectOptKeyword('parar', DEFAULT_COMPILED_KEYWORDS, { languageHint: 'pt' })?.language).toBe('pt');
    expect(detectOptKeyword('parar', DEFAULT_COMPILED_KEYWORDS, { languageHint: 'ja' })?.language).toBe('es');
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

describe('keywordCandidate: the filter before asking the organisation', () => {
  it.each([
    ['STOP', 'stop'],
    ['  ¡¡Basta YA!! 🙏', 'basta ya'],
    ['Hola, ¿a qué hora abren?', 'hola a que hora abren'],
    ['x'.repeat(MAX_KEYWORD_LENGTH), 'x'.repeat(MAX_KEYWORD_LENGTH)],
  ])('%j could be a keyword (%j)', (text, normalised) => {
    expect(keywordCandidate(text)).toBe(normalised);
  });

  it.each([
    ['', 'empty'],
    ['🙂👍', 'no letters or digits'],
    ['x'.repeat(MAX_KEYWORD_LENGTH + 1), 'longer than any keyword once normalised'],
    [`stop ${'!'.repeat(MAX_KEYWORD_MESSAGE_LENGTH)}`, 'longer than a keyword message as written'],
    ['Hello, I would like to know where my order is', 'an ordinary sentence'],
  ])('%j is none (%s)', (text) => {
    expect(keywordCandidate(text)).toBeNull();
  });
});

describe('detectOptKeyword: per-organisation configuration', () => {
  const config: OptKeywordConfig = {
    add: [
      { keyword: 'Basta ya', kind: 'optOut', language: 'es' },
      { keyword: 'SÍ QUIERO', kind: 'optIn', language: 'es' },
      { keyword: 'cancel', kind: 'optIn', language: 'en' }, // re-classifies a default (validation asks to disable it)
      { keyword: 'hou op', kind: 'optOut', language: 'nl' },
      { keyword: 'hou op', kind: 'optOut', language: 'af' },
      { keyword: 'Chega', kind: 'optOut', language: 'pt' },
      { keyword: 'Ça suffit', kind: 'optOut', language: 'fr' },
      { keyword: 'Schluss jetzt', kind: 'optOut', language: 'de' },
      { keyword: 'Non più', kind: 'optOut', language: 'it' },
      { keyword: 'Volver a empezar', kind: 'optIn', language: 'es' },
    ],
    remove: ['CANCELAR', 'Stop'],
  };
  const keywords = compileOptKeywords(config);

  it('adds keywords in any language, accent- and case-insensitive', () => {
    expect(detectOptKeyword('basta YA!', keywords)).toEqual({ kind: 'optOut', keyword: 'basta ya', language: 'es' });
    expect(detectOptKeyword('si quiero', keywords)).toEqual({ kind: 'optIn', keyword: 'si quiero', language: 'es' });
    expect(detectOptKeyword('CHEGA!!', keywords)).toEqual({ kind: 'optOut', keyword: 'chega', language: 'pt' });
    expect(detectOptKeyword('ca suffit', keywords)).toEqual({ kind: 'optOut', keyword: 'ca suffit', language: 'fr' });
    expect(detectOptKeyword('SCHLUSS JETZT.', keywords)?.language).toBe('de');
    expect(detectOptKeyword('non piu', keywords)).toEqual({ kind: 'optOut', keyword: 'non piu', language: 'it' });
    expect(detectOptKeyword('¡Volver a EMPEZAR!', keywords)?.kind).toBe('optIn');
    expect(detectOptKeyword('hou op', keywords, { languageHint: 'af' })?.language).toBe('af');
    expect(detectOptKeyword('hou op', keywords)?.language).toBe('nl');
    // Not an organisation's word anywhere else: the defaults of another organisation know nothing of them.
    expect(detectOptKeyword('chega')).toBeNull();
  });

  it('additions win over defaults', () => {
    expect(detectOptKeyword('Cancel', keywords)?.kind).toBe('optIn');
  });

  it('removes defaults in every language, whatever their case or accents', () => {
    expect(detectOptKeyword('cancelar', keywords)).toBeNull();
    expect(detectOptKeyword('STOP', keywords)).toBeNull();
    expect(detectOptKeyword('stop', keywords, { languageHint: 'de' })).toBeNull();
    expect(detectOptKeyword('stopp', keywords)?.kind).toBe('optOut');
    const arret = compileOptKeywords({ add: [], remove: ['arret'] });
    expect(detectOptKeyword('ARRÊT', arret)).toBeNull();
  });

  it('bounds the match by the longest keyword of the configuration', () => {
    const long = 'no quiero recibir mas mensajes';
    expect(long.length).toBeGreaterThan(DEFAULT_COMPILED_KEYWORDS.maxLength);
    const withLong = compileOptKeywords({ add: [{ keyword: long, kind: 'optOut', language: 'es' }], remove: [] });
    expect(withLong.maxLength).toBe(long.length);
    expect(matchOptKeyword(long, withLong)?.kind).toBe('optOut');
    expect(matchOptKeyword(long, DEFAULT_COMPILED_KEYWORDS)).toBeNull();
    // Removing the longest defaults lowers the bound.
    const shorter = compileOptKeywords({ add: [], remove: ['cancelar suscripcion', 'cancella iscrizione'] });
    expect(shorter.maxLength).toBeLessThan(DEFAULT_COMPILED_KEYWORDS.maxLength);
  });

  it('tells which words are defaults', () => {
    expect(defaultKeywordEntries('ARRÊT')).toEqual([{ kind: 'optOut', keyword: 'arret', language: 'fr' }]);
    expect(defaultKeywordEntries('Start').map((e) => e.language)).toEqual(['en', 'de', 'nl']);
    expect(defaultKeywordEntries('chega')).toEqual([]);
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
      expect(detectOptKeyword(optInWord, DEFAULT_COMPILED_KEYWORDS, { languageHint: language })?.kind, language).toBe(
        'optIn',
      );
      expect(detectOptKeyword(optOutWord, DEFAULT_COMPILED_KEYWORDS, { languageHint: language })?.kind, language).toBe(
        'optOut',
      );
    }
  });

  it('falls back to English and honours overrides', () => {
    expect(confirmationText('optOut', 'ja')).toBe(OPT_CONFIRMATION_TEXTS.en.optOut);
    expect(confirmationText('optIn', 'es')).toBe(OPT_CONFIRMATION_TEXTS.es.optIn);
    const own = [{ language: 'es', optOut: 'Listo, no más.', optIn: null }];
    expect(confirmationText('optOut', 'es', own)).toBe('Listo, no más.');
    expect(confirmationText('optIn', 'es', own)).toBe(OPT_CONFIRMATION_TEXTS.es.optIn);
    expect(confirmationText('optOut', 'af', [{ language: 'af', optOut: 'Klaar.', optIn: null }])).toBe('Klaar.');
    expect(confirmationText('optOut', 'constructor')).toBe(OPT_CONFIRMATION_TEXTS.en.optOut);
    expect(isKeywordLanguage('pt')).toBe(true);
    expect(isKeywordLanguage('xx')).toBe(false);
  });
});
