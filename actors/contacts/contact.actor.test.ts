import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext, TurnResult } from '../../core/index.ts';
import { webhookEndpointsAddress, type AnyWebhookEvent } from '../webhooks/webhook-events.ts';
import { MAX_EVIDENCE_PER_SCOPE } from './consent.ts';
import { contactActor } from './contact.actor.ts';
import { contactAddress, type ContactMsg, type ContactReplies } from './contact.messages.ts';
import type { ContactState } from './contact.state.ts';
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
    const result = run(before, inbound(text), T0 + 1_000);
    expect(result.reply).toEqual({
      ok: true,
      keyword: { kind: 'optOut', keyword, language },
      confirmation: OPT_CONFIRMATION_TEXTS[language as 'en'].optOut,
    });
    expect(check(result.state, 'marketing')).toMatchObject({ allowed: false, status: 'optedOut', sinceMs: T0 });
    // Utility is not what STOP withdraws.
    expect(check(result.state, 'utility').allowed).toBe(true);
  });

  it.each(['please stop sending me these', 'stop it', "don't stop", 'Baja la música', 'where is my order?'])(
    'treats %j as an ordinary message',
    (text) => {
      const before = optIn(fresh());
      const result = run(before, inbound(text), T0 + 1_000);
      expect(result.reply).toEqual({ ok: true, keyword: null, confirmation: null });
      expect(check(result.state, 'marketing').allowed).toBe(true);
      expect(result.state.consent).toBe(before.consent);
      expect(optOutEvents(result.effects)).toEqual([]);
    },
  );

  it('records the evidence of a keyword: time, method, source, wording, who, keyword, language, message', () => {
    const result = run(fresh(), inbound('BAJA', { messageId: 'wamid.BAJA', atMs: T0 - 2_000 }), T0);
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
    const first = run(state, inbound('STOP', { messageId: 'wamid.STOP1' }), T0 + 1);
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

    // The same message observed again: the same answer, nothing changes, nothing is emitted.
    const again = run(state, inbound('STOP', { messageId: 'wamid.STOP1' }), T0 + 2);
    expect(again.state).toBe(state);
    expect(again.effects ?? []).toEqual([]);
    expect(again.reply).toEqual(first.reply);

    // Another STOP while opted out: recorded and confirmed again, but no new opt-out event.
    const second = run(state, inbound('stop', { messageId: 'wamid.STOP2', atMs: T0 + 5 }), T0 + 5);
    expect(replyOf<'observeInbound'>(second).confirmation).toBe(OPT_CONFIRMATION_TEXTS.en.optOut);
    expect(second.state.consent.marketing.history).toHaveLength(3);
    expect(optOutEvents(second.effects)).toEqual([]);
    state = second.state;

    // START, then STOP again: a new opt-out, a new event.
    state = run(state, inbound('START', { atMs: T0 + 10 }), T0 + 10).state;
    const third = run(state, inbound('STOP', { messageId: 'wamid.STOP3', atMs: T0 + 20 }), T0 + 20);
    expect(optOutEvents(third.effects).map((e) => e.id)).toEqual(['optout.wamid.STOP3']);
  });

  it('START re-subscribes a customer who opted out, in the language of the keyword', () => {
    const out = run(optIn(fresh()), inbound('STOPP'), T0 + 1).state;
    const result = run(out, inbound('Starten', { atMs: T0 + 60_000 }), T0 + 60_000);
    expect(result.reply).toEqual({
      ok: true,
      keyword: { kind: 'optIn', keyword: 'starten', language: 'de' },
      confirmation: OPT_CONFIRMATION_TEXTS.de.optIn,
    });
    expect(check(result.state, 'marketing')).toMatchObject({ allowed: true, status: 'optedIn', sinceMs: T0 + 60_000 });
    expect(optOutEvents(result.effects)).toEqual([]);
  });

  it('does not take START from a customer who never opted out as a marketing opt-in', () => {
    const result = run(fresh(), inbound('START'), T0);
    expect(result.reply).toEqual({ ok: true, keyword: null, confirmation: null });
    expect(check(result.state, 'marketing')).toMatchObject({ allowed: false, status: 'unknown', sinceMs: null });
  });

  it("honours the organisation's keyword configuration and the language hint", () => {
    const keywordConfig = { add: [{ keyword: 'halt', kind: 'optOut' as const, language: 'en' }], remove: ['stop'] };
    const halted = run(fresh(), inbound('HALT', { keywordConfig }), T0);
    expect(replyOf<'observeInbound'>(halted).keyword).toEqual({ kind: 'optOut', keyword: 'halt', language: 'en' });
    const notStop = run(fresh(), inbound('STOP', { keywordConfig }), T0);
    expect(replyOf<'observeInbound'>(notStop).keyword).toBeNull();
    // "stop" is Dutch too: the contact's language decides the confirmation.
    const dutch = run(fresh(), inbound('stop', { languageHint: 'nl' }), T0);
    expect(replyOf<'observeInbound'>(dutch).confirmation).toBe(OPT_CONFIRMATION_TEXTS.nl.optOut);
  });

  it('keeps the evidence bounded: the newest entries, the dropped ones counted', () => {
    let state = fresh();
    const total = MAX_EVIDENCE_PER_SCOPE + 5;
    for (let i = 0; i < total; i++) {
      state = run(state, inbound(i % 2 === 0 ? 'STOP' : 'START', { atMs: T0 + i * 1_000 }), T0 + i * 1_000).state;
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
    let state = run(fresh(), inbound('hi', { atMs: T0 + 10, profileName: 'Ana' }), T0 + 10).state;
    state = run(state, inbound('late', { atMs: T0 + 5, profileName: 'Old', phoneNumberId: '2' }), T0 + 11).state;
    state = run(state, inbound('new', { atMs: T0 + 20, userId: BSUID }), T0 + 20).state;
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

describe('contact actor: consent through the API', () => {
  it('needs an explicit opt-in for marketing; utility is allowed unless opted out', () => {
    let state = fresh();
    expect(check(state, 'marketing')).toEqual({
      ok: true,
      allowed: false,
      status: 'unknown',
      sinceMs: null,
      known: false,
    });
    expect(check(state, 'utility')).toMatchObject({ allowed: true, status: 'unknown', known: false });
    state = optIn(state, 'marketing', T0);
    expect(check(state, 'marketing')).toEqual({ ok: true, allowed: true, status: 'optedIn', sinceMs: T0, known: true });
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
    const stopped = run(fresh(), inbound('STOP', { atMs: T0 }), T0).state;
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
    const stopped = run(fresh(), inbound('STOP', { atMs: T0 }), T0).state;
    const linked = run(stopped, inbound('hello', { atMs: T0 + 10, userId: BSUID }), T0 + 10);
    const [shared, ...more] = tellsTo(linked.effects, U_KEY);
    expect(more).toEqual([]);
    expect(shared).toMatchObject({ type: 'evidenceShared', phone: PHONE, userId: BSUID, wantsOwn: true });
    expect(shared!.marketing).toEqual(stopped.consent.marketing.history);
    // Learned once: the next message with the same BSUID sends nothing.
    const next = run(linked.state, inbound('again', { atMs: T0 + 20, userId: BSUID }), T0 + 20);
    expect(tellsTo(next.effects, U_KEY)).toEqual([]);

    // The BSUID record merges it without emitting, and answers with its own entries.
    let u = run(fresh(U_KEY), inbound('hi', { phone: undefined, atMs: T0 - 100 }), T0 - 100, U_KEY).state;
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

    // Back on the phone record: merged, not sent back.
    const back = run(linked.state, answer!, T0 + 12);
    expect(back.reply).toEqual({ ok: true, added: 1 });
    expect(back.effects ?? []).toEqual([]);
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
    const stop = run(linkOnly.state, inbound('STOP', { phone: undefined }), T0 + 1, U_KEY);
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
