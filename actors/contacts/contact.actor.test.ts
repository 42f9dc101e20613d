import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext, TurnResult } from '../../core/index.ts';
import { CONVERSATION_KIND, type ConversationMsg } from '../conversation/conversation.messages.ts';
import { webhookEndpointsAddress, type AnyWebhookEvent } from '../webhooks/webhook-events.ts';
import { MAX_EVIDENCE_PER_SCOPE } from './consent.ts';
import { consentKeywordsActor } from './consent-keywords.actor.ts';
import { consentKeywordsAddress, type ConsentKeywordsMsg } from './consent-keywords.messages.ts';
import type { ConsentKeywordsState } from './consent-keywords.state.ts';
import { contactActor } from './contact.actor.ts';
import { CONTACT_KIND, contactAddress, type ContactMsg, type ContactReplies } from './contact.messages.ts';
import { MAX_PENDING_KEYWORDS, type ContactState } from './contact.state.ts';
import { EMPTY_KEYWORD_SETTINGS, type KeywordSettings } from './keyword-settings.ts';
import { OPT_CONFIRMATION_TEXTS } from './opt-out-keywords.ts';

const ORG = '0123456789abcdef';
const PHONE = '15551234567';
const KEY = `p${PHONE}`;
const BSUID = 'US.13491208655302741918';
const U_KEY = `u${BSUID}`;
const NUMBER = '106540352242922';
const T0 = Date.UTC(2026, 0, 1);
const ADMIN = { kind: 'user', id: 'usr-admin' } as const;

let ids = 0;
function ctxAt(nowMs: number, key = KEY): TurnContext {
  return { self: contactAddress(ORG, key), nowMs, msgId: `m-${ids}`, newId: () => `id-${++ids}` };
}

function fresh(key = KEY): ContactState {
  return contactActor.initialState(contactAddress(ORG, key).id);
}

function run(state: ContactState, msg: ContactMsg, nowMs = T0, key = KEY): TurnResult<ContactState> {
  return contactActor.handle(state, msg, ctxAt(nowMs, key));
}

function replyOf<T extends keyof ContactReplies>(result: TurnResult<ContactState>): ContactReplies[T] {
  return result.reply as ContactReplies[T];
}

/** The organisation's `consent-keywords` actor with these settings (the real one: its handler answers). */
function orgKeywords(settings: KeywordSettings = EMPTY_KEYWORD_SETTINGS): ConsentKeywordsState {
  const result = consentKeywordsActor.handle(
    consentKeywordsActor.initialState(ORG),
    { type: 'updateKeywordSettings', settings, by: ADMIN },
    { self: consentKeywordsAddress(ORG), nowMs: T0, msgId: 'settings', newId: () => 'settings' },
  );
  expect(result.reply).toMatchObject({ ok: true });
  return result.state;
}
const DEFAULTS_ONLY = orgKeywords();

type Tell = Extract<Effect, { type: 'tell' }>;

/** The contact's question to its organisation's `consent-keywords` actor (told, with `answerTo`). */
function classifyRequest(effects: readonly Effect[] | undefined): Tell | undefined {
  return (effects ?? []).find(
    (e): e is Tell => e.type === 'tell' && (e.msg as { type?: string }).type === 'classifyKeyword',
  );
}

/** The organisation's answer, as its actor tells it back to the contact. */
function answer(request: Tell, keywords: ConsentKeywordsState): Extract<ContactMsg, { type: 'keywordClassified' }> {
  const msg = request.msg as Extract<ConsentKeywordsMsg, { type: 'classifyKeyword' }>;
  expect(request.to).toEqual(consentKeywordsAddress(ORG));
  const turn = consentKeywordsActor.handle(keywords, msg, {
    self: consentKeywordsAddress(ORG),
    nowMs: T0,
    msgId: `${msg.answerTo?.callId}:classify`,
    newId: () => 'unused',
  });
  const [back] = turn.effects ?? [];
  expect(back).toMatchObject({ type: 'tell', to: { kind: CONTACT_KIND, id: msg.answerTo!.contactId } });
  return (back as Tell).msg as Extract<ContactMsg, { type: 'keywordClassified' }>;
}

function toConversation(effects: readonly Effect[] | undefined): ConversationMsg[] {
  return (effects ?? []).flatMap((e) =>
    e.type === 'tell' && e.to.kind === CONVERSATION_KIND ? [e.msg as ConversationMsg] : [],
  );
}

/**
 * A customer message end to end: the contact's turn; if it asked, the organisation's classification and the
 * contact's turn that applies it. `reply` is what the conversation learns: the confirmation told to it when a
 * keyword was applied, else the contact's reply to the ask. `effects` are both turns' (the ask and the tell to
 * the conversation left out: the tests below look at those on their own).
 */
function observe(
  state: ContactState,
  msg: ContactMsg,
  nowMs = T0,
  key = KEY,
  keywords = DEFAULTS_ONLY,
): TurnResult<ContactState> {
  const first = run(state, msg, nowMs, key);
  const request = classifyRequest(first.effects);
  if (request === undefined) return first;
  const second = run(first.state, answer(request, keywords), nowMs, key);
  const [told] = toConversation(second.effects);
  const observed = told?.type === 'inboundObserved' ? (told.reply as { value: unknown }).value : undefined;
  return {
    state: second.state,
    effects: [
      ...(first.effects ?? []).filter((e) => e !== request),
      ...(second.effects ?? []).filter((e) => e.type !== 'tell' || e.to.kind !== CONVERSATION_KIND),
    ],
    reply: observed ?? { ...(first.reply as object), isKeywordPending: false },
  };
}

let wamids = 0;
function inbound(text: string | undefined, extra: Partial<Extract<ContactMsg, { type: 'observeInbound' }>> = {}) {
  return {
    type: 'observeInbound',
    atMs: T0,
    phoneNumberId: NUMBER,
    messageId: `wamid.${++wamids}`,
    phone: PHONE,
    ...(text === undefined ? {} : { text }),
    ...extra,
  } satisfies ContactMsg;
}

function check(state: ContactState, scope: 'marketing' | 'utility') {
  return replyOf<'checkConsent'>(run(state, { type: 'checkConsent', scope }));
}

function optOutEvents(effects: readonly Effect[] | undefined): AnyWebhookEvent[] {
  return (effects ?? []).flatMap((e) =>
    e.type === 'tell' && e.to.kind === webhookEndpointsAddress(ORG).kind
      ? [(e.msg as { event: AnyWebhookEvent }).event]
      : [],
  );
}

function tellsTo(
  effects: readonly Effect[] | undefined,
  key: string,
): Extract<ContactMsg, { type: 'evidenceShared' }>[] {
  const to = contactAddress(ORG, key);
  return (effects ?? []).flatMap((e) =>
    e.type === 'tell' && e.to.kind === to.kind && e.to.id === to.id
      ? [e.msg as Extract<ContactMsg, { type: 'evidenceShared' }>]
      : [],
  );
}

function optIn(state: ContactState, scope: 'marketing' | 'utility' | 'all' = 'marketing', nowMs = T0): ContactState {
  const result = run(
    state,
    {
      type: 'recordConsent',
      scope,
      action: 'optIn',
      method: 'form',
      source: 'https://shop.example/signup',
      wording: 'Yes, send me offers on WhatsApp',
      by: ADMIN,
    },
    nowMs,
  );
  expect(result.reply).toMatchObject({ ok: true, recorded: true });
  return result.state;
}

describe('contact actor: opt-out keywords', () => {
  const cases: readonly [string, string, string][] = [
    ['STOP', 'stop', 'en'],
    ['  stop!! ', 'stop', 'en'],
    ['BAJA', 'baja', 'es'],
    ['¡Baja!', 'baja', 'es'],
    ['ARRÊT', 'arret', 'fr'],
    ['arret', 'arret', 'fr'],
    ['DISISCRIVIMI', 'disiscrivimi', 'it'],
    ['Stopp', 'stopp', 'de'],
    ['Afmelden', 'afmelden', 'nl'],
    ['PARE', 'pare', 'pt'],
  ];
  it.each(cases)('%j opts out of marketing in the same turn, confirmed in %s', (text, keyword, language) => {
    const before = optIn(fresh());
    expect(check(before, 'marketing').allowed).toBe(true);
    const result = observe(before, inbound(text), T0 + 1_000);
    expect(result.reply).toEqual({
      ok: true,
      keyword: { kind: 'optOut', keyword, language },
      confirmation: OPT_CONFIRMATION_TEXTS[language as 'en'].optOut,
      isKeywordPending: false,
    });
    expect(check(result.state, 'marketing')).toMatchObject({ allowed: false, status: 'optedOut', sinceMs: T0 });
    // Utility is not what STOP withdraws.
    expect(check(result.state, 'utility').allowed).toBe(true);
  });

  it.each(['please stop sending me these', 'stop it', "don't stop", 'Baja la música', 'where is my order?'])(
    'treats %j as an ordinary message',
    (text) => {
      const before = optIn(fresh());
      const result = observe(before, inbound(text), T0 + 1_000);
      expect(result.reply).toEqual({ ok: true, keyword: null, confirmation: null, isKeywordPending: false });
      expect(check(result.state, 'marketing').allowed).toBe(true);
      expect(result.state.consent).toBe(before.consent);
      expect(optOutEvents(result.effects)).toEqual([]);
    },
  );

  it('records the evidence of a keyword: time, method, source, wording, who, keyword, language, message', () => {
    const result = observe(fresh(), inbound('BAJA', { messageId: 'wamid.BAJA', atMs: T0 - 2_000 }), T0);
    const view = replyOf<'getContact'>(run(result.state, { type: 'getContact' }));
    expect(view.ok).toBe(true);
    if (!view.ok) return;
    expect(view.contact.consent.marketing.history).toEqual([
      {
        id: expect.any(String),
        atMs: T0 - 2_000,
        recordedAtMs: T0,
        action: 'optOut',
        method: 'keyword',
        source: `whatsapp:${NUMBER}`,
        wording: OPT_CONFIRMATION_TEXTS.es.optOut,
        by: 'customer',
        keyword: 'baja',
        language: 'es',
        messageId: 'wamid.BAJA',
        phoneNumberId: NUMBER,
      },
    ]);
    expect(view.contact).toMatchObject({
      key: KEY,
      phone: PHONE,
      firstSeenAtMs: T0 - 2_000,
      lastSeenAtMs: T0 - 2_000,
      lastPhoneNumberId: NUMBER,
      createdAtMs: T0,
    });
  });

  it('emits contact.opted_out once per opt-out, with an id derived from the message', () => {
    let state = optIn(fresh());
    const first = observe(state, inbound('STOP', { messageId: 'wamid.STOP1' }), T0 + 1);
    expect(optOutEvents(first.effects)).toEqual([
      {
        id: 'optout.wamid.STOP1',
        type: 'contact.opted_out',
        orgId: ORG,
        occurredAtMs: T0,
        data: {
          contactId: KEY,
          waId: PHONE,
          userId: null,
          phoneNumberId: NUMBER,
          source: 'keyword',
          keyword: 'stop',
          scope: 'marketing',
        },
      },
    ]);
    state = first.state;

    // The same message observed again: the same answer, nothing changes, no event (only told to the conversation).
    const again = observe(state, inbound('STOP', { messageId: 'wamid.STOP1' }), T0 + 2);
    expect(again.state).toBe(state);
    expect(optOutEvents(again.effects)).toEqual([]);
    expect((again.effects ?? []).map((e) => e.type)).toEqual(['tell']);
    expect(again.reply).toEqual(first.reply);

    // Another STOP while opted out: recorded and confirmed again, but no new opt-out event.
    const second = observe(state, inbound('stop', { messageId: 'wamid.STOP2', atMs: T0 + 5 }), T0 + 5);
    expect(replyOf<'observeInbound'>(second).confirmation).toBe(OPT_CONFIRMATION_TEXTS.en.optOut);
    expect(second.state.consent.marketing.history).toHaveLength(3);
    expect(optOutEvents(second.effects)).toEqual([]);
    state = second.state;

    // START, then STOP again: a new opt-out, a new event.
    state = observe(state, inbound('START', { atMs: T0 + 10 }), T0 + 10).state;
    const third = observe(state, inbound('STOP', { messageId: 'wamid.STOP3', atMs: T0 + 20 }), T0 + 20);
    expect(optOutEvents(third.effects).map((e) => e.id)).toEqual(['optout.wamid.STOP3']);
  });

  it('START re-subscribes a customer who opted out, in the language of the keyword', () => {
    const out = observe(optIn(fresh()), inbound('STOPP'), T0 + 1).state;
    const result = observe(out, inbound('Starten', { atMs: T0 + 60_000 }), T0 + 60_000);
    expect(result.reply).toEqual({
      ok: true,
      keyword: { kind: 'optIn', keyword: 'starten', language: 'de' },
      confirmation: OPT_CONFIRMATION_TEXTS.de.optIn,
      isKeywordPending: false,
    });
    expect(check(result.state, 'marketing')).toMatchObject({ allowed: true, status: 'optedIn', sinceMs: T0 + 60_000 });
    expect(optOutEvents(result.effects)).toEqual([]);
  });

  it('does not take START from a customer who never opted out as a marketing opt-in', () => {
    const result = observe(fresh(), inbound('START'), T0);
    expect(result.reply).toEqual({ ok: true, keyword: null, confirmation: null, isKeywordPending: false });
    expect(check(result.state, 'marketing')).toMatchObject({ allowed: false, status: 'unknown', sinceMs: null });
  });

  it('prefers the language hint for a word of several languages', () => {
    // "stop" is Dutch too: the contact's language decides the confirmation.
    const dutch = observe(fresh(), inbound('stop', { languageHint: 'nl' }), T0);
    expect(replyOf<'observeInbound'>(dutch).confirmation).toBe(OPT_CONFIRMATION_TEXTS.nl.optOut);
  });

  it('keeps the evidence bounded: the newest entries, the dropped ones counted', () => {
    let state = fresh();
    const total = MAX_EVIDENCE_PER_SCOPE + 5;
    for (let i = 0; i < total; i++) {
      state = observe(state, inbound(i % 2 === 0 ? 'STOP' : 'START', { atMs: T0 + i * 1_000 }), T0 + i * 1_000).state;
    }
    expect(state.consent.marketing.history).toHaveLength(MAX_EVIDENCE_PER_SCOPE);
    expect(state.consent.marketing.droppedCount).toBe(5);
    expect(state.consent.marketing.history.at(-1)!.atMs).toBe(T0 + (total - 1) * 1_000);
    const view = replyOf<'getContact'>(run(state, { type: 'getContact' }));
    if (!view.ok) throw new Error('contact expected');
    // The API shows the newest first.
    expect(view.contact.consent.marketing.history[0]!.atMs).toBe(T0 + (total - 1) * 1_000);
    expect(view.contact.consent.marketing.droppedCount).toBe(5);
  });

  it('updates identifiers and first/last seen from every message, in message time', () => {
    let state = observe(fresh(), inbound('hi', { atMs: T0 + 10, profileName: 'Ana' }), T0 + 10).state;
    state = observe(state, inbound('late', { atMs: T0 + 5, profileName: 'Old', phoneNumberId: '2' }), T0 + 11).state;
    state = observe(state, inbound('new', { atMs: T0 + 20, userId: BSUID }), T0 + 20).state;
    expect(state).toMatchObject({
      phone: PHONE,
      userId: BSUID,
      profileName: 'Ana',
      firstSeenAtMs: T0 + 5,
      lastSeenAtMs: T0 + 20,
      lastPhoneNumberId: NUMBER,
      createdAtMs: T0 + 10,
    });
  });
});

describe("contact actor: the organisation's keyword settings", () => {
  const SETTINGS: KeywordSettings = {
    optOut: [
      { keyword: 'Silencio', language: 'es' },
      { keyword: 'Chega', language: 'pt' },
    ],
    optIn: [{ keyword: 'Volver', language: 'es' }],
    disabledDefaults: ['stop'],
    confirmations: [{ language: 'es', optOut: 'Vale, no más ofertas.', optIn: null }],
  };
  const org = orgKeywords(SETTINGS);

  it('asks the organisation about a short message and holds marketing until the answer is applied', () => {
    const before = optIn(fresh());
    const first = run(before, inbound('¡SILENCIO!', { messageId: 'wamid.S1', languageHint: 'es' }), T0 + 1);
    expect(first.reply).toEqual({ ok: true, keyword: null, confirmation: null, isKeywordPending: true });
    expect(first.effects).toContainEqual({
      type: 'tell',
      to: consentKeywordsAddress(ORG),
      msg: {
        type: 'classifyKeyword',
        normalisedText: 'silencio',
        languageHint: 'es',
        answerTo: { contactId: `${ORG}.${KEY}`, callId: 'wamid.S1' },
      },
    });
    // A marketing send checked now does not pass, whatever the status; utility is not what keywords withdraw.
    expect(check(first.state, 'marketing')).toMatchObject({
      allowed: false,
      status: 'optedIn',
      isKeywordPending: true,
    });
    expect(check(first.state, 'utility')).toMatchObject({ allowed: true, isKeywordPending: false });
    const view = replyOf<'getContact'>(run(first.state, { type: 'getContact' }));
    expect(view.ok && view.contact.consent.marketing.allowed).toBe(false);
    // The same message observed again meanwhile asks nothing more.
    const again = run(first.state, inbound('¡SILENCIO!', { messageId: 'wamid.S1' }), T0 + 2);
    expect(again.state).toBe(first.state);
    expect(again.effects ?? []).toEqual([]);
    expect(again.reply).toMatchObject({ isKeywordPending: true });

    const applied = run(first.state, answer(classifyRequest(first.effects)!, org), T0 + 3);
    expect(applied.reply).toEqual({ ok: true });
    expect(check(applied.state, 'marketing')).toMatchObject({ allowed: false, status: 'optedOut', sinceMs: T0 });
    expect(applied.state.pendingKeywords).toEqual([]);
    expect(applied.state.consent.marketing.history.at(-1)).toMatchObject({
      action: 'optOut',
      method: 'keyword',
      keyword: 'silencio',
      language: 'es',
      wording: 'Vale, no más ofertas.',
      messageId: 'wamid.S1',
      recordedAtMs: T0 + 3,
    });
    expect(optOutEvents(applied.effects).map((e) => e.id)).toEqual(['optout.wamid.S1']);
    // The conversation the message came from learns it as the answer to its observeInbound, and confirms.
    expect(applied.effects).toContainEqual({
      type: 'tell',
      to: { kind: CONVERSATION_KIND, id: `${NUMBER}.${KEY}` },
      msg: {
        type: 'inboundObserved',
        callId: 'wamid.S1',
        reply: {
          ok: true,
          value: {
            ok: true,
            keyword: { kind: 'optOut', keyword: 'silencio', language: 'es' },
            confirmation: 'Vale, no más ofertas.',
            isKeywordPending: false,
          },
        },
      },
    });
    // Observed once more after it was applied: the same answer at once, told to the conversation again (which
    // confirms once), nothing asked and nothing recorded.
    const late = run(applied.state, inbound('¡SILENCIO!', { messageId: 'wamid.S1' }), T0 + 4);
    expect(late.reply).toMatchObject({ keyword: { keyword: 'silencio' }, isKeywordPending: false });
    expect(late.state).toBe(applied.state);
    expect(late.effects).toEqual([
      {
        type: 'tell',
        to: { kind: CONVERSATION_KIND, id: `${NUMBER}.${KEY}` },
        msg: { type: 'inboundObserved', callId: 'wamid.S1', reply: { ok: true, value: late.reply } },
      },
    ]);
  });

  it('makes a disabled default an ordinary message, and re-subscribes with an own opt-in word', () => {
    const before = optIn(fresh());
    const stop = observe(before, inbound('STOP'), T0 + 1, KEY, org);
    expect(stop.reply).toEqual({ ok: true, keyword: null, confirmation: null, isKeywordPending: false });
    expect(check(stop.state, 'marketing')).toMatchObject({ allowed: true, status: 'optedIn' });
    expect(stop.state.consent).toBe(before.consent);

    const chega = observe(stop.state, inbound('Chega!', { atMs: T0 + 10 }), T0 + 10, KEY, org);
    expect(chega.reply).toMatchObject({
      keyword: { kind: 'optOut', keyword: 'chega', language: 'pt' },
      confirmation: OPT_CONFIRMATION_TEXTS.pt.optOut,
    });
    const volver = observe(chega.state, inbound('volver', { atMs: T0 + 20 }), T0 + 20, KEY, org);
    expect(volver.reply).toMatchObject({ keyword: { kind: 'optIn', keyword: 'volver' } });
    expect(check(volver.state, 'marketing')).toMatchObject({ allowed: true, status: 'optedIn', sinceMs: T0 + 20 });
  });

  it('asks nothing about a message longer than any keyword', () => {
    const result = run(optIn(fresh()), inbound('Hola, quería saber si mi pedido ya salió del almacén'), T0 + 1);
    expect(classifyRequest(result.effects)).toBeUndefined();
    expect(result.reply).toEqual({ ok: true, keyword: null, confirmation: null, isKeywordPending: false });
    expect(result.state.pendingKeywords).toEqual([]);
    expect(check(result.state, 'marketing').allowed).toBe(true);
    // Media and other messages without text neither.
    expect(classifyRequest(run(fresh(), inbound(undefined), T0).effects)).toBeUndefined();
  });

  it('falls back to the defaults when the organisation does not answer', () => {
    const first = run(optIn(fresh()), inbound('BAJA', { messageId: 'wamid.B1' }), T0 + 1);
    const failed = run(
      first.state,
      {
        type: 'keywordClassified',
        callId: 'wamid.B1',
        reply: { ok: false, code: 'PARLO_UNKNOWN_ACTOR_KIND', message: 'no actor kind "consent-keywords"' },
      },
      T0 + 2,
    );
    expect(check(failed.state, 'marketing')).toMatchObject({ allowed: false, status: 'optedOut' });
    expect(toConversation(failed.effects)).toHaveLength(1);
    // A malformed answer likewise.
    const odd = run(
      first.state,
      { type: 'keywordClassified', callId: 'wamid.B1', reply: { ok: true, value: { ok: true, match: 'stop' } } },
      T0 + 2,
    );
    expect(check(odd.state, 'marketing')).toMatchObject({ status: 'optedOut' });
  });

  it('applies the answers in message order, whatever order they arrive in', () => {
    let state = optIn(fresh());
    const stop = run(state, inbound('BAJA', { messageId: 'wamid.1', atMs: T0 + 1 }), T0 + 1);
    const start = run(stop.state, inbound('ALTA', { messageId: 'wamid.2', atMs: T0 + 2 }), T0 + 2);
    state = start.state;
    expect(state.pendingKeywords.map((p) => p.messageId)).toEqual(['wamid.1', 'wamid.2']);
    // The answer about ALTA first: kept until BAJA's comes (START only re-subscribes someone who stopped).
    const held = run(state, answer(classifyRequest(start.effects)!, DEFAULTS_ONLY), T0 + 3);
    expect(held.effects ?? []).toEqual([]);
    expect(check(held.state, 'marketing')).toMatchObject({ allowed: false, status: 'optedIn', isKeywordPending: true });
    const both = run(held.state, answer(classifyRequest(stop.effects)!, DEFAULTS_ONLY), T0 + 4);
    expect(both.state.consent.marketing.history.map((e) => e.action)).toEqual(['optIn', 'optOut', 'optIn']);
    expect(check(both.state, 'marketing')).toMatchObject({ allowed: true, status: 'optedIn' });
    expect(toConversation(both.effects).map((m) => (m as { callId: string }).callId)).toEqual(['wamid.1', 'wamid.2']);
    // A late answer for a message no longer waiting changes nothing.
    const late = run(both.state, answer(classifyRequest(stop.effects)!, DEFAULTS_ONLY), T0 + 5);
    expect(late.state).toBe(both.state);
  });

  it('waits for at most MAX_PENDING_KEYWORDS answers: beyond, the oldest is classified with the defaults', () => {
    let state = optIn(fresh());
    for (let i = 0; i < MAX_PENDING_KEYWORDS; i++) {
      state = run(state, inbound(i === 0 ? 'STOP' : `hi ${i}`, { messageId: `wamid.${i}` }), T0 + i).state;
    }
    expect(state.pendingKeywords).toHaveLength(MAX_PENDING_KEYWORDS);
    const over = run(state, inbound('hi again', { messageId: 'wamid.over' }), T0 + 100);
    expect(over.state.pendingKeywords).toHaveLength(MAX_PENDING_KEYWORDS);
    expect(over.state.pendingKeywords[0]!.messageId).toBe('wamid.1');
    expect(check(over.state, 'marketing')).toMatchObject({ status: 'optedOut' });
    expect(toConversation(over.effects)).toHaveLength(1);
    expect((classifyRequest(over.effects)?.msg as { answerTo?: { callId: string } }).answerTo?.callId).toBe(
      'wamid.over',
    );
  });

  it('upgrades a stored version-1 contact (no pending keywords)', () => {
    const { pendingKeywords: _, ...v1 } = optIn(fresh());
    const upgraded = contactActor.upgrade!(v1, 1);
    expect(upgraded.pendingKeywords).toEqual([]);
    expect(check(upgraded, 'marketing').allowed).toBe(true);
  });
});

describe('contact actor: consent through the API', () => {
  it('needs an explicit opt-in for marketing; utility is allowed unless opted out', () => {
    let state = fresh();
    expect(check(state, 'marketing')).toEqual({
      ok: true,
      allowed: false,
      status: 'unknown',
      sinceMs: null,
      known: false,
      isKeywordPending: false,
    });
    expect(check(state, 'utility')).toMatchObject({ allowed: true, status: 'unknown', known: false });
    state = optIn(state, 'marketing', T0);
    expect(check(state, 'marketing')).toEqual({
      ok: true,
      allowed: true,
      status: 'optedIn',
      sinceMs: T0,
      known: true,
      isKeywordPending: false,
    });
    const out = run(
      state,
      { type: 'recordConsent', scope: 'utility', action: 'optOut', method: 'api', source: 'call centre', by: ADMIN },
      T0 + 1,
    );
    expect(check(out.state, 'utility')).toMatchObject({ allowed: false, status: 'optedOut', sinceMs: T0 + 1 });
    expect(check(out.state, 'marketing').allowed).toBe(true);
    expect(optOutEvents(out.effects).map((e) => e.data)).toEqual([
      expect.objectContaining({ source: 'api', scope: 'utility', keyword: null, phoneNumberId: null }),
    ]);
  });

  it('records an opt-out of everything in both scopes, one event each', () => {
    const state = optIn(fresh(), 'all');
    const result = run(
      state,
      { type: 'recordConsent', scope: 'all', action: 'optOut', method: 'api', source: 'GDPR request', by: ADMIN },
      T0 + 1,
    );
    expect(check(result.state, 'marketing').allowed).toBe(false);
    expect(check(result.state, 'utility').allowed).toBe(false);
    const events = optOutEvents(result.effects);
    expect(events.map((e) => (e.data as { scope?: string }).scope)).toEqual(['marketing', 'utility']);
    expect(new Set(events.map((e) => e.id)).size).toBe(2);
  });

  it('records the evidence given: method, source, wording, date, who', () => {
    const result = run(
      fresh(),
      {
        type: 'recordConsent',
        scope: 'marketing',
        action: 'optIn',
        method: 'import',
        source: 'crm-export-2025.csv',
        wording: 'I agree to receive offers',
        atMs: T0 - 86_400_000,
        by: { kind: 'apiKey', id: `${ORG}.key1` },
      },
      T0,
    );
    const reply = replyOf<'recordConsent'>(result);
    if (!reply.ok) throw new Error('recorded expected');
    expect(reply.contact.consent.marketing).toMatchObject({
      status: 'optedIn',
      sinceMs: T0 - 86_400_000,
      allowed: true,
      history: [
        {
          atMs: T0 - 86_400_000,
          recordedAtMs: T0,
          action: 'optIn',
          method: 'import',
          source: 'crm-export-2025.csv',
          wording: 'I agree to receive offers',
          by: { kind: 'apiKey', id: `${ORG}.key1` },
          keyword: null,
        },
      ],
    });
    expect(reply.contact).toMatchObject({ key: KEY, phone: PHONE, firstSeenAtMs: null, createdAtMs: T0 });
  });

  it('does not let a back-dated opt-in undo a later STOP', () => {
    const stopped = observe(fresh(), inbound('STOP', { atMs: T0 }), T0).state;
    const imported = run(
      stopped,
      {
        type: 'recordConsent',
        scope: 'marketing',
        action: 'optIn',
        method: 'import',
        source: 'old list',
        atMs: T0 - 1_000,
        by: ADMIN,
      },
      T0 + 1_000,
    );
    expect(imported.reply).toMatchObject({ ok: true, recorded: true });
    expect(check(imported.state, 'marketing')).toMatchObject({ allowed: false, status: 'optedOut', sinceMs: T0 });
  });

  it('treats the same consent again as no new fact (PUT), and the same import line as one', () => {
    const state = optIn(fresh());
    const again = run(
      state,
      {
        type: 'recordConsent',
        scope: 'marketing',
        action: 'optIn',
        method: 'form',
        source: 'https://shop.example/signup',
        wording: 'Yes, send me offers on WhatsApp',
        by: ADMIN,
      },
      T0 + 1_000,
    );
    expect(again.reply).toMatchObject({ ok: true, recorded: false });
    expect(again.state).toBe(state);
    const line = {
      type: 'recordConsent',
      scope: 'marketing',
      action: 'optIn',
      method: 'import',
      source: 'list.csv',
      atMs: T0 - 5,
      by: ADMIN,
    } as const;
    const once = run(state, line, T0 + 2_000).state;
    const twice = run(once, line, T0 + 3_000);
    expect(twice.reply).toMatchObject({ recorded: false });
    expect(twice.state.consent.marketing.history).toHaveLength(2);
  });

  it('refuses a consent dated in the future', () => {
    const result = run(
      fresh(),
      {
        type: 'recordConsent',
        scope: 'marketing',
        action: 'optIn',
        method: 'api',
        source: 'x',
        atMs: T0 + 3_600_000,
        by: ADMIN,
      },
      T0,
    );
    expect(result.reply).toMatchObject({ ok: false, code: 'PARLO_VALIDATION_FAILED' });
  });

  it('answers PARLO_CONTACT_NOT_FOUND for a contact that never existed, and stores nothing for reads', () => {
    const state = fresh();
    const got = run(state, { type: 'getContact' });
    expect(got.reply).toEqual({
      ok: false,
      code: 'PARLO_CONTACT_NOT_FOUND',
      message: `no contact ${KEY} in this organisation`,
    });
    expect(got.state).toBe(state);
    expect(run(state, { type: 'checkConsent', scope: 'marketing' }).state).toBe(state);
    expect(contactActor.isEmpty?.(state)).toBe(true);
  });
});

describe("contact actor: WhatsApp's marketing stop and resume (user_preferences)", () => {
  const pref = (value: 'stop' | 'resume', atMs: number) =>
    ({ type: 'marketingPreferenceChanged', value, atMs, phoneNumberId: NUMBER }) as const;

  it('stop opts out of marketing with method whatsapp and one event; a redelivery changes nothing', () => {
    const state = optIn(fresh());
    const stopped = run(state, pref('stop', T0 + 1_000), T0 + 2_000);
    expect(stopped.reply).toEqual({ ok: true, status: 'optedOut' });
    expect(stopped.state.consent.marketing.history.at(-1)).toMatchObject({
      action: 'optOut',
      method: 'whatsapp',
      source: 'user_preferences',
      by: 'customer',
      phoneNumberId: NUMBER,
    });
    expect(optOutEvents(stopped.effects).map((e) => e.data)).toEqual([
      expect.objectContaining({ source: 'whatsapp', scope: 'marketing', waId: PHONE }),
    ]);
    const again = run(stopped.state, pref('stop', T0 + 1_000), T0 + 3_000);
    expect(again.state).toBe(stopped.state);
    expect(again.effects ?? []).toEqual([]);

    const resumed = run(stopped.state, pref('resume', T0 + 5_000), T0 + 5_000);
    expect(resumed.reply).toEqual({ ok: true, status: 'optedIn' });
  });

  it('resume opts in nobody who had not stopped', () => {
    const state = fresh();
    const result = run(state, pref('resume', T0), T0);
    expect(result.reply).toEqual({ ok: true, status: 'unknown' });
    expect(result.state).toBe(state);
  });
});

describe('contact actor: the phone record and the BSUID record of one customer', () => {
  it('shares the evidence when the phone record learns the BSUID, and asks for the other one', () => {
    const stopped = observe(fresh(), inbound('STOP', { atMs: T0 }), T0).state;
    const linked = observe(stopped, inbound('hello', { atMs: T0 + 10, userId: BSUID }), T0 + 10);
    const [shared, ...more] = tellsTo(linked.effects, U_KEY);
    expect(more).toEqual([]);
    expect(shared).toMatchObject({ type: 'evidenceShared', phone: PHONE, userId: BSUID, wantsOwn: true });
    expect(shared!.marketing).toEqual(stopped.consent.marketing.history);
    // Learned once: the next message with the same BSUID sends nothing.
    const next = observe(linked.state, inbound('again', { atMs: T0 + 20, userId: BSUID }), T0 + 20);
    expect(tellsTo(next.effects, U_KEY)).toEqual([]);

    // The BSUID record merges it without emitting, and answers with its own entries.
    let u = observe(fresh(U_KEY), inbound('hi', { phone: undefined, atMs: T0 - 100 }), T0 - 100, U_KEY).state;
    u = run(
      u,
      { type: 'recordConsent', scope: 'utility', action: 'optOut', method: 'api', source: 'desk', by: ADMIN },
      T0 - 50,
      U_KEY,
    ).state;
    const merged = run(u, shared!, T0 + 11, U_KEY);
    expect(merged.reply).toEqual({ ok: true, added: 1 });
    expect(optOutEvents(merged.effects)).toEqual([]);
    expect(check(merged.state, 'marketing')).toMatchObject({ status: 'optedOut' });
    expect(merged.state.phone).toBe(PHONE);
    const [answer] = tellsTo(merged.effects, KEY);
    expect(answer).toMatchObject({
      wantsOwn: false,
      marketing: [],
      utility: [expect.objectContaining({ source: 'desk' })],
    });

    // Back on the phone record: merged, not sent back (only the contact index learns the new consent).
    const back = run(linked.state, answer!, T0 + 12);
    expect(back.reply).toEqual({ ok: true, added: 1 });
    expect((back.effects ?? []).map((e) => (e.type === 'tell' ? e.to.kind : e.type))).toEqual(['contact-index']);
    expect(check(back.state, 'utility')).toMatchObject({ allowed: false, status: 'optedOut' });
  });

  it('keeps a link-only BSUID record, invisible to the API, that forwards a later STOP to the phone record', () => {
    const linkOnly = run(
      fresh(U_KEY),
      { type: 'evidenceShared', phone: PHONE, userId: BSUID, marketing: [], utility: [], wantsOwn: true },
      T0,
      U_KEY,
    );
    expect(linkOnly.reply).toEqual({ ok: true, added: 0 });
    expect(linkOnly.effects ?? []).toEqual([]);
    expect(contactActor.isEmpty?.(linkOnly.state)).toBe(false);
    expect(run(linkOnly.state, { type: 'getContact' }, T0, U_KEY).reply).toMatchObject({
      ok: false,
      code: 'PARLO_CONTACT_NOT_FOUND',
    });

    // The customer writes STOP without their phone: recorded here, sent on to the phone record.
    const stop = observe(linkOnly.state, inbound('STOP', { phone: undefined }), T0 + 1, U_KEY);
    expect(replyOf<'observeInbound'>(stop).keyword).toMatchObject({ kind: 'optOut' });
    const [forwarded] = tellsTo(stop.effects, KEY);
    expect(forwarded).toMatchObject({ wantsOwn: false, utility: [] });
    expect(forwarded!.marketing).toHaveLength(1);
    expect(optOutEvents(stop.effects).map((e) => e.data)).toEqual([
      expect.objectContaining({ contactId: U_KEY, waId: PHONE, userId: BSUID }),
    ]);

    const phoneRecord = run(optIn(fresh()), forwarded!, T0 + 2);
    expect(check(phoneRecord.state, 'marketing')).toMatchObject({ allowed: false, status: 'optedOut' });
    expect(phoneRecord.state.userId).toBe(BSUID);
  });

  it('stores nothing for an empty share to a record that does not exist and cannot link', () => {
    const state = fresh(U_KEY);
    const result = run(
      state,
      { type: 'evidenceShared', phone: null, userId: BSUID, marketing: [], utility: [], wantsOwn: true },
      T0,
      U_KEY,
    );
    expect(result.state).toBe(state);
  });
});
