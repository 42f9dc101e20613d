import { describe, expect, it } from 'vitest';
import { createWireCodec, type TurnContext, type TurnResult } from '../../core/index.ts';
import { consentKeywordsActor } from './consent-keywords.actor.ts';
import {
  ConsentKeywordsMsg,
  consentKeywordsAddress,
  type ConsentKeywordsReplies,
} from './consent-keywords.messages.ts';
import type { ConsentKeywordsState } from './consent-keywords.state.ts';
import { EMPTY_KEYWORD_SETTINGS, type KeywordSettings } from './keyword-settings.ts';
import { OPT_CONFIRMATION_TEXTS, normaliseKeywordText } from './opt-out-keywords.ts';

const ORG = '0123456789abcdef';
const T0 = Date.UTC(2026, 0, 1);
const ADMIN = { kind: 'user', id: 'usr-admin' } as const;

let ids = 0;
function run(state: ConsentKeywordsState, msg: ConsentKeywordsMsg, nowMs = T0): TurnResult<ConsentKeywordsState> {
  const ctx: TurnContext = {
    self: consentKeywordsAddress(ORG),
    nowMs,
    msgId: `m-${ids}`,
    newId: () => `id-${++ids}`,
  };
  // Every message crosses processes as zod-checked data: prove the ones used here are valid.
  ConsentKeywordsMsg.parse(msg);
  return consentKeywordsActor.handle(state, msg, ctx);
}

const fresh = () => consentKeywordsActor.initialState(ORG);

function classify(state: ConsentKeywordsState, text: string, languageHint?: string) {
  const reply = run(state, {
    type: 'classifyKeyword',
    normalisedText: normaliseKeywordText(text),
    ...(languageHint === undefined ? {} : { languageHint }),
  }).reply;
  return reply as ConsentKeywordsReplies['classifyKeyword'];
}

function update(state: ConsentKeywordsState, settings: KeywordSettings, nowMs = T0) {
  const result = run(state, { type: 'updateKeywordSettings', settings, by: ADMIN }, nowMs);
  return { ...result, reply: result.reply as ConsentKeywordsReplies['updateKeywordSettings'] };
}

const SETTINGS: KeywordSettings = {
  optOut: [
    { keyword: 'Silencio', language: 'es' },
    { keyword: 'Chega', language: 'pt' },
  ],
  optIn: [{ keyword: 'Volver', language: 'es' }],
  disabledDefaults: ['stop', 'Parar'],
  confirmations: [{ language: 'es', optOut: 'Vale, no te escribiremos más ofertas.', optIn: null }],
};

describe('consent-keywords actor: classification', () => {
  it('told with answerTo, tells the answer back to that contact in the shape of an ask’s reply', () => {
    const state = fresh();
    const result = run(state, {
      type: 'classifyKeyword',
      normalisedText: 'baja',
      answerTo: { contactId: `${ORG}.p34600000001`, callId: 'wamid.B1' },
    });
    expect(result.state).toBe(state);
    expect(result.effects).toEqual([
      {
        type: 'tell',
        to: { kind: 'contact', id: `${ORG}.p34600000001` },
        msg: { type: 'keywordClassified', callId: 'wamid.B1', reply: { ok: true, value: result.reply } },
      },
    ]);
  });

  it('answers with the defaults for an organisation that configured nothing, and stores nothing', () => {
    const state = fresh();
    const result = run(state, { type: 'classifyKeyword', normalisedText: 'baja' });
    expect(result.state).toBe(state);
    expect(result.effects ?? []).toEqual([]);
    expect(result.reply).toEqual({
      ok: true,
      match: { kind: 'optOut', keyword: 'baja', language: 'es' },
      confirmation: OPT_CONFIRMATION_TEXTS.es.optOut,
    });
    expect(classify(state, 'hola')).toEqual({ ok: true, match: null, confirmation: null });
    expect(consentKeywordsActor.isEmpty?.(state)).toBe(true);
  });

  it("uses the organisation's words, disabled defaults and confirmation texts", () => {
    const { state } = update(fresh(), SETTINGS);
    expect(classify(state, 'SILENCIO')).toEqual({
      ok: true,
      match: { kind: 'optOut', keyword: 'silencio', language: 'es' },
      confirmation: 'Vale, no te escribiremos más ofertas.',
    });
    // Portuguese has no own text: the default of the language.
    expect(classify(state, 'chega')).toMatchObject({ confirmation: OPT_CONFIRMATION_TEXTS.pt.optOut });
    expect(classify(state, 'Volver')).toEqual({
      ok: true,
      match: { kind: 'optIn', keyword: 'volver', language: 'es' },
      confirmation: OPT_CONFIRMATION_TEXTS.es.optIn,
    });
    // Disabled in every language, whatever the hint.
    expect(classify(state, 'stop', 'de').match).toBeNull();
    expect(classify(state, 'PARAR').match).toBeNull();
    expect(classify(state, 'baja').match).toMatchObject({ kind: 'optOut', language: 'es' });
    expect(classify(state, 'arret').match).toMatchObject({ kind: 'optOut', language: 'fr' });
  });

  it('keeps the settings in matching form, bounded by the longest word', () => {
    const long = 'no quiero recibir mas mensajes';
    const { state } = update(fresh(), { ...EMPTY_KEYWORD_SETTINGS, optOut: [{ keyword: long, language: 'es' }] });
    expect(state.compiled.maxLength).toBe(long.length);
    expect(classify(state, long).match?.kind).toBe('optOut');
  });
});

describe('consent-keywords actor: settings', () => {
  it('replaces the settings, records when and by whom, and answers them', () => {
    const result = update(fresh(), SETTINGS, T0 + 5);
    expect(result.reply).toEqual({
      ok: true,
      changed: true,
      settings: { ...SETTINGS, updatedAtMs: T0 + 5, updatedBy: ADMIN },
    });
    expect(consentKeywordsActor.isEmpty?.(result.state)).toBe(false);
    // Audited in the organisation's log, with counts only (no words: they are the organisation's business).
    expect(result.effects).toEqual([
      {
        type: 'tell',
        to: { kind: 'org', id: expect.any(String) },
        msg: {
          type: 'recordAudit',
          event: 'consentKeywordsChanged',
          actor: ADMIN,
          detail: {
            optOutWords: SETTINGS.optOut.length,
            optInWords: SETTINGS.optIn.length,
            disabledDefaults: SETTINGS.disabledDefaults.length,
            confirmations: SETTINGS.confirmations.length,
          },
        },
      },
    ]);
    expect(run(result.state, { type: 'getKeywordSettings' }).reply).toEqual({
      ok: true,
      settings: { ...SETTINGS, updatedAtMs: T0 + 5, updatedBy: ADMIN },
    });
    // The same settings again: no new fact.
    const again = update(result.state, SETTINGS, T0 + 10);
    expect(again.state).toBe(result.state);
    expect(again.effects).toBeUndefined();
    expect(again.reply).toMatchObject({ ok: true, changed: false, settings: { updatedAtMs: T0 + 5 } });
    // Back to the defaults (kept: who changed them is worth knowing).
    const reset = update(result.state, EMPTY_KEYWORD_SETTINGS, T0 + 20);
    expect(reset.reply).toMatchObject({ ok: true, changed: true, settings: { optOut: [], updatedAtMs: T0 + 20 } });
    expect(classify(reset.state, 'stop').match).not.toBeNull();
  });

  it('answers the defaults for an organisation that configured nothing', () => {
    expect(run(fresh(), { type: 'getKeywordSettings' }).reply).toEqual({
      ok: true,
      settings: { ...EMPTY_KEYWORD_SETTINGS, updatedAtMs: null, updatedBy: null },
    });
  });

  it('refuses invalid settings with the first problem, naming the field, and keeps the old ones', () => {
    const { state } = update(fresh(), SETTINGS);
    const conflict = update(state, { ...SETTINGS, optIn: [{ keyword: 'silencio!', language: 'es' }] });
    expect(conflict.state).toBe(state);
    expect(conflict.reply).toEqual({
      ok: false,
      code: 'PARLO_CONSENT_KEYWORD_CONFLICT',
      field: 'optIn[0].keyword',
      message: 'optIn[0].keyword: "silencio!" is also an opt-out keyword (optOut[0]); a word cannot be both',
    });
    const invalid = update(state, { ...SETTINGS, disabledDefaults: ['chega'] });
    expect(invalid.reply).toMatchObject({
      ok: false,
      code: 'PARLO_CONSENT_KEYWORD_INVALID',
      field: 'disabledDefaults[0]',
    });
    expect(classify(conflict.state, 'volver').match?.kind).toBe('optIn');
  });

  it('keeps a state that survives the codec round trip and an equal classification after it', () => {
    const { state } = update(fresh(), SETTINGS);
    const codec = createWireCodec();
    const restored = codec.decode(codec.encode(state)) as ConsentKeywordsState;
    expect(restored).toEqual(state);
    expect(classify(restored, 'silencio')).toEqual(classify(state, 'silencio'));
  });
});
