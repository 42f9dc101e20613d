import { describe, expect, it } from 'vitest';
import {
  EMPTY_KEYWORD_SETTINGS,
  MAX_CONFIRMATION_LENGTH,
  MAX_CUSTOM_KEYWORDS,
  compileKeywordSettings,
  sameKeywordSettings,
  validateKeywordSettings,
  type KeywordSettings,
} from './keyword-settings.ts';
import { MAX_KEYWORD_LENGTH, detectOptKeyword } from './opt-out-keywords.ts';

const settings = (patch: Partial<KeywordSettings>): KeywordSettings => ({ ...EMPTY_KEYWORD_SETTINGS, ...patch });

describe('validateKeywordSettings', () => {
  it('accepts the empty settings and a typical document', () => {
    expect(validateKeywordSettings(EMPTY_KEYWORD_SETTINGS)).toEqual([]);
    expect(
      validateKeywordSettings({
        optOut: [
          { keyword: 'Basta ya', language: 'es' },
          { keyword: 'hou op', language: 'nl' },
          { keyword: 'hou op', language: 'af' }, // the same word in two languages
        ],
        optIn: [{ keyword: 'Volver', language: 'es' }],
        disabledDefaults: ['parar', 'ALTO'],
        confirmations: [{ language: 'es', optOut: 'Listo, no te escribiremos más.', optIn: null }],
      }),
    ).toEqual([]);
  });

  it.each<[string, Partial<KeywordSettings>, string, string]>([
    ['a word without letters', { optOut: [{ keyword: '🛑 !!', language: 'en' }] }, 'optOut[0].keyword', 'no letters'],
    [
      'a word too long once folded',
      { optIn: [{ keyword: 'ß'.repeat(MAX_KEYWORD_LENGTH - 10), language: 'de' }] },
      'optIn[0].keyword',
      `longer than ${MAX_KEYWORD_LENGTH}`,
    ],
    ['a bad language', { optOut: [{ keyword: 'halt', language: 'EN' }] }, 'optOut[0].language', 'ISO 639'],
    [
      'a repeated word',
      {
        optOut: [
          { keyword: 'halt', language: 'en' },
          { keyword: 'HALT!', language: 'en' },
        ],
      },
      'optOut[1].keyword',
      'repeats optOut[0]',
    ],
    [
      'too many words',
      { optOut: Array.from({ length: MAX_CUSTOM_KEYWORDS + 1 }, (_, i) => ({ keyword: `w${i}`, language: 'en' })) },
      'optOut',
      `at most ${MAX_CUSTOM_KEYWORDS}`,
    ],
    [
      'a disabled word that is no default',
      { disabledDefaults: ['stop', 'chega'] },
      'disabledDefaults[1]',
      'not a default',
    ],
    [
      'a disabled word twice',
      { disabledDefaults: ['Stop', 'STOP'] },
      'disabledDefaults[1]',
      'repeats disabledDefaults[0]',
    ],
    [
      'two confirmations of one language',
      {
        confirmations: [
          { language: 'es', optOut: 'Listo.', optIn: null },
          { language: 'es', optOut: null, optIn: 'Hola de nuevo.' },
        ],
      },
      'confirmations[1].language',
      'repeats confirmations[0]',
    ],
    [
      'a confirmation without text',
      { confirmations: [{ language: 'es', optOut: null, optIn: null }] },
      'confirmations[0]',
      'give optOut',
    ],
    [
      'a confirmation too long',
      { confirmations: [{ language: 'es', optOut: 'x'.repeat(MAX_CONFIRMATION_LENGTH + 1), optIn: null }] },
      'confirmations[0].optOut',
      'characters',
    ],
    [
      'a blank confirmation',
      { confirmations: [{ language: 'es', optOut: '   ', optIn: null }] },
      'confirmations[0].optOut',
      'characters',
    ],
  ])('refuses %s as PARLO_CONSENT_KEYWORD_INVALID, naming the field', (_, patch, field, words) => {
    const [problem, ...more] = validateKeywordSettings(settings(patch));
    expect(more).toEqual([]);
    expect(problem).toMatchObject({ code: 'PARLO_CONSENT_KEYWORD_INVALID', field });
    expect(problem!.message).toContain(words);
  });

  it('refuses a word that is both opt-out and opt-in, in the two lists or against an enabled default', () => {
    const both = validateKeywordSettings(
      settings({ optOut: [{ keyword: 'Basta', language: 'it' }], optIn: [{ keyword: 'BASTA!', language: 'es' }] }),
    );
    expect(both).toEqual([
      {
        code: 'PARLO_CONSENT_KEYWORD_CONFLICT',
        field: 'optIn[0].keyword',
        message: '"BASTA!" is also an opt-out keyword (optOut[0]); a word cannot be both',
      },
    ]);
    // "cancel" is a default opt-out word (en): an opt-in "Cancel" needs it disabled first.
    const clash = validateKeywordSettings(settings({ optIn: [{ keyword: 'Cancel', language: 'en' }] }));
    expect(clash).toEqual([
      {
        code: 'PARLO_CONSENT_KEYWORD_CONFLICT',
        field: 'optIn[0].keyword',
        message: '"Cancel" is a default opt-out keyword (en); add it to disabledDefaults to make it an opt-in keyword',
      },
    ]);
    // And the other way round, accent-insensitive: "Démarrer" is a default opt-in word (fr).
    expect(validateKeywordSettings(settings({ optOut: [{ keyword: 'DEMARRER', language: 'fr' }] }))).toMatchObject([
      { code: 'PARLO_CONSENT_KEYWORD_CONFLICT', field: 'optOut[0].keyword' },
    ]);
    expect(
      validateKeywordSettings(
        settings({ optIn: [{ keyword: 'Cancel', language: 'en' }], disabledDefaults: ['cancel'] }),
      ),
    ).toEqual([]);
  });

  it('lists every problem, in a stable order', () => {
    const problems = validateKeywordSettings({
      optOut: [{ keyword: '!!!', language: 'english' }],
      optIn: [{ keyword: 'stop', language: 'en' }],
      disabledDefaults: ['nope'],
      confirmations: [],
    });
    expect(problems.map((p) => p.field)).toEqual([
      'optOut[0].language',
      'optOut[0].keyword',
      'optIn[0].keyword',
      'disabledDefaults[0]',
    ]);
  });
});

describe('compileKeywordSettings', () => {
  it('matches the extra words of both kinds and drops the disabled defaults', () => {
    const keywords = compileKeywordSettings({
      optOut: [{ keyword: 'Silencio', language: 'es' }],
      optIn: [{ keyword: 'Volver', language: 'es' }],
      disabledDefaults: ['stop'],
      confirmations: [],
    });
    expect(detectOptKeyword('¡SILENCIO!', keywords)).toEqual({ kind: 'optOut', keyword: 'silencio', language: 'es' });
    expect(detectOptKeyword('volver', keywords)).toEqual({ kind: 'optIn', keyword: 'volver', language: 'es' });
    expect(detectOptKeyword('Stop', keywords)).toBeNull();
    expect(detectOptKeyword('baja', keywords)?.kind).toBe('optOut');
  });
});

describe('sameKeywordSettings', () => {
  it('compares the documents field by field, order included', () => {
    const a = settings({ optOut: [{ keyword: 'halt', language: 'en' }], disabledDefaults: ['stop'] });
    expect(sameKeywordSettings(a, settings({ ...a }))).toBe(true);
    expect(sameKeywordSettings(a, settings({ ...a, disabledDefaults: [] }))).toBe(false);
    expect(sameKeywordSettings(a, settings({ ...a, optOut: [{ keyword: 'halt', language: 'de' }] }))).toBe(false);
  });
});
