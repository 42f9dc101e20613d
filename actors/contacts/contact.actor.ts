import { defineActor, refusal, unreachable, type Effect, type TurnContext, type TurnResult } from '../../core/index.ts';
import { CONVERSATION_KIND, conversationId, type ConversationMsg } from '../conversation/conversation.messages.ts';
import { WEBHOOK_EVENT_ID_PATTERN, emitWebhookEvent } from '../webhooks/webhook-events.ts';
import {
  CONSENT_CLOCK_SKEW_MS,
  CONSENT_SCOPES,
  addEvidence,
  currentEvidence,
  isAllowed,
  mergeEvidence,
  sinceOf,
  statusOf,
  type ConsentEvidence,
  type ConsentScope,
  type ContactConsent,
  type ScopeConsent,
} from './consent.ts';
import {
  CONTACT_KIND,
  contactAddress,
  contactIdParts,
  isKeyableUserId,
  type ContactErrorCode,
  type ContactMsg,
  type ContactReplies,
  type ContactView,
  type KeywordMatchView,
  type Refused,
  type ScopeConsentView,
} from './contact.messages.ts';
import { consentKeywordsAddress, type ConsentKeywordsMsg } from './consent-keywords.messages.ts';
import {
  MAX_PENDING_KEYWORDS,
  contactExists,
  initialContactState,
  type ContactState,
  type KeywordClassification,
  type PendingKeyword,
} from './contact.state.ts';
import {
  DEFAULT_COMPILED_KEYWORDS,
  OPT_KINDS,
  confirmationText,
  keywordCandidate,
  matchOptKeyword,
  type OptKeywordMatch,
} from './opt-out-keywords.ts';
import { normaliseE164 } from './phone-country.ts';
import { EMPTY_PROFILE, applyProfilePatch } from './contact-profile.ts';
import { withContactIndexUpdates } from './contact-summary.ts';
import { contactIndexAddress, type ContactIndexMsg } from './contact-index.actor.ts';

type Turn = TurnResult<ContactState>;
type Msg<T extends ContactMsg['type']> = Extract<ContactMsg, { type: T }>;

/** Who this actor is: its organisation and customer key (from the actor id). */
interface Self {
  readonly orgId: string;
  readonly key: string;
}

/**
 * One customer of one organisation (id `<orgId>.<customerKey>`, see contact.messages.ts): identifiers, first and
 * last seen, and consent per scope with its evidence (rules in consent.ts).
 *
 * **Keywords.** A customer message short enough to be a keyword is told to the organisation's `consent-keywords`
 * actor, which holds its settings (the contact holds none: a change of settings touches no contact) and tells the
 * answer back (`keywordClassified`; both turns usually commit with the message's own). From the turn that observes
 * the message until the turn that applies the answer, marketing is not allowed (`checkConsent`), so a marketing
 * send checked after the customer's message never passes before an opt-out in it is recorded. Answers are applied
 * in message order; an answer that is not a good one falls back to the default keywords, and so does the oldest
 * message still waiting when MAX_PENDING_KEYWORDS more wait: a STOP is never ignored for want of settings. The confirmation goes to the
 * conversation as the fact `inboundObserved`, which the conversation sends back to the customer.
 */
export const contactActor = withContactIndexUpdates(
  defineActor<ContactState, ContactMsg>({
    kind: CONTACT_KIND,
    // 2: pendingKeywords (messages being classified against the organisation's keyword settings). 3: profile.
    stateVersion: 3,
    initialState: initialContactState,
    upgrade(stored, storedVersion) {
      const state = stored as ContactState;
      const withKeywords = storedVersion < 2 ? { ...state, pendingKeywords: [] } : state;
      return storedVersion < 3 ? { ...withKeywords, profile: EMPTY_PROFILE } : withKeywords;
    },
    // A contact that never existed is not stored; a BSUID record that only knows its phone (a link) is.
    isEmpty: (state) => state.createdAtMs === null && (state.phone === null || state.userId === null),
    handle(state, msg, ctx) {
      const parts = contactIdParts(ctx.self.id);
      // Addresses are built by contactAddress from validated keys: anything else is a bug (dead-lettered).
      if (parts === null) throw new Error(`contact id ${ctx.self.id} is not <orgId>.<customer key>`);
      switch (msg.type) {
        case 'observeInbound':
          return onObserveInbound(state, msg, ctx, parts);
        case 'recordConsent':
          return onRecordConsent(state, msg, ctx, parts);
        case 'checkConsent': {
          const isKeywordPending = msg.scope === 'marketing' && state.pendingKeywords.length > 0;
          return reply<'checkConsent'>(state, {
            ok: true,
            allowed: !isKeywordPending && isAllowed(msg.scope, state.consent),
            status: statusOf(state.consent[msg.scope]),
            sinceMs: sinceOf(state.consent[msg.scope]),
            known: contactExists(state),
            isKeywordPending,
          });
        }
        case 'eraseContact': {
          const linkedKey = peerKey(state, parts);
          const erased = contactExists(state) || linkedKey !== null;
          const removed: ContactIndexMsg = { type: 'contactRemoved', key: parts.key };
          return {
            state: initialContactState(ctx.self.id),
            effects: [{ type: 'tell', to: contactIndexAddress(parts.orgId), msg: removed }],
            reply: { ok: true, erased, linkedKey } satisfies ContactReplies['eraseContact'],
          };
        }
        case 'getContact':
          if (!contactExists(state)) return notFound(state, parts);
          return reply<'getContact'>(state, { ok: true, contact: contactView(state, parts) });
        case 'updateProfile':
          return onUpdateProfile(state, msg, ctx, parts);
        case 'importContact':
          return onImportContact(state, msg, ctx, parts);
        case 'marketingPreferenceChanged':
          return onMarketingPreference(state, msg, ctx, parts);
        case 'evidenceShared':
          return onEvidenceShared(state, msg, ctx, parts);
        case 'keywordClassified':
          return onKeywordClassified(state, msg, ctx, parts);
        default:
          return unreachable(msg);
      }
    },
  }),
);

// ---------------------------------------------------------------- handlers

function onUpdateProfile(state: ContactState, msg: Msg<'updateProfile'>, ctx: TurnContext, self: Self): Turn {
  const profiled = withProfile(state, msg.patch, ctx.nowMs);
  if (profiled.problems.length > 0) {
    return reply<'updateProfile'>(state, refusal('PARLO_VALIDATION_FAILED', profiled.problems.join('; ')) as Refused);
  }
  const next = profiled.state;
  const created = !contactExists(state);
  return reply<'updateProfile'>(next, {
    ok: true,
    changed: next !== state,
    created,
    contact: contactView(next, self),
  });
}

/**
 * The state with the profile patch applied; a contact that does not exist yet is created by it (even by an empty
 * patch). The very same state when it exists and nothing changed.
 */
function withProfile(
  state: ContactState,
  patch: Msg<'updateProfile'>['patch'],
  nowMs: number,
): { state: ContactState; problems: readonly string[] } {
  const applied = applyProfilePatch(state.profile, patch);
  if (applied.problems.length > 0) return { state, problems: applied.problems };
  if (applied.profile === state.profile && contactExists(state)) return { state, problems: [] };
  const next: ContactState = {
    ...state,
    profile: applied.profile,
    createdAtMs: state.createdAtMs ?? nowMs,
    updatedAtMs: nowMs,
  };
  return { state: next, problems: [] };
}

/** One row of a bulk write: profile, then the row's marketing consent, in one turn; all or nothing. */
function onImportContact(state: ContactState, msg: Msg<'importContact'>, ctx: TurnContext, self: Self): Turn {
  const profiled = withProfile(state, msg.patch, ctx.nowMs);
  if (profiled.problems.length > 0) {
    return reply<'importContact'>(state, refusal('PARLO_VALIDATION_FAILED', profiled.problems.join('; ')) as Refused);
  }
  let next = profiled.state;
  let effects: Effect[] = [];
  if (msg.consent !== undefined) {
    const consented = withConsent(
      next,
      {
        scope: 'marketing',
        action: msg.consent.action,
        method: 'import',
        source: msg.consent.source,
        wording: msg.consent.wording ?? null,
        by: msg.by,
      },
      ctx,
      self,
    );
    if (!consented.ok) {
      return reply<'importContact'>(state, refusal(consented.code, `optIn: ${consented.message}`) as Refused);
    }
    next = consented.state;
    effects = consented.effects;
  }
  const answer: ContactReplies['importContact'] = {
    ok: true,
    created: !contactExists(state),
    changed: next !== state,
  };
  return { state: next, effects, reply: answer };
}

function onObserveInbound(state: ContactState, msg: Msg<'observeInbound'>, ctx: TurnContext, self: Self): Turn {
  // The same message observed again (a redelivery under another id): answer as the first time, change nothing.
  const seen = state.consent.marketing.history.find((e) => e.messageId === msg.messageId && e.method === 'keyword');
  if (seen) {
    const answer: ContactReplies['observeInbound'] = {
      ok: true,
      keyword: { kind: seen.action, keyword: seen.keyword ?? '', language: seen.language ?? 'en' },
      confirmation: seen.wording,
      isKeywordPending: false,
    };
    // Told again to the conversation, which confirms it once (the confirmation is logged under the message id).
    const effects: Effect[] =
      seen.phoneNumberId === undefined || seen.phoneNumberId === null
        ? []
        : [inboundObservedTell(seen.phoneNumberId, self, msg.messageId, answer)];
    return { state, effects, reply: answer };
  }
  if (state.pendingKeywords.some((p) => p.messageId === msg.messageId)) {
    return reply<'observeInbound'>(state, { ok: true, keyword: null, confirmation: null, isKeywordPending: true });
  }

  const learned = withIdentifiers(state, self, { phone: msg.phone, userId: msg.userId });
  const isLatest = state.lastSeenAtMs === null || msg.atMs >= state.lastSeenAtMs;
  let next: ContactState = {
    ...touched(learned.state, ctx.nowMs),
    profileName: isLatest ? (msg.profileName ?? state.profileName) : (state.profileName ?? msg.profileName ?? null),
    firstSeenAtMs: Math.min(state.firstSeenAtMs ?? msg.atMs, msg.atMs),
    lastSeenAtMs: Math.max(state.lastSeenAtMs ?? msg.atMs, msg.atMs),
    lastPhoneNumberId: isLatest ? msg.phoneNumberId : state.lastPhoneNumberId,
  };

  // Most messages are longer than any keyword can be: they are ordinary at once, without asking anyone.
  const candidate = msg.text === undefined ? null : keywordCandidate(msg.text);
  if (candidate === null) {
    return { state: next, effects: linkEffects(next, self, learned.peerChanged, []), reply: noKeyword() };
  }

  const entry: PendingKeyword = {
    messageId: msg.messageId,
    atMs: msg.atMs,
    phoneNumberId: msg.phoneNumberId,
    normalisedText: candidate,
    languageHint: msg.languageHint ?? null,
    result: null,
  };
  next = { ...next, pendingKeywords: [...next.pendingKeywords, entry] };
  const effects: Effect[] = linkEffects(next, self, learned.peerChanged, []);
  if (next.pendingKeywords.length > MAX_PENDING_KEYWORDS) {
    // The settings are slow to answer and the customer keeps writing: the oldest waits no longer (defaults).
    const [oldest, ...rest] = next.pendingKeywords;
    const resolved = { ...oldest!, result: oldest!.result ?? defaultClassification(oldest!) };
    const drained = applyResolved({ ...next, pendingKeywords: [resolved, ...rest] }, self, ctx);
    next = drained.state;
    effects.push(...drained.effects);
  }
  const classify: ConsentKeywordsMsg = {
    type: 'classifyKeyword',
    normalisedText: candidate,
    ...(msg.languageHint === undefined ? {} : { languageHint: msg.languageHint }),
    answerTo: { contactId: ctx.self.id, callId: msg.messageId },
  };
  effects.push({ type: 'tell', to: consentKeywordsAddress(self.orgId), msg: classify });
  return {
    state: next,
    effects,
    reply: {
      ok: true,
      keyword: null,
      confirmation: null,
      isKeywordPending: true,
    } satisfies ContactReplies['observeInbound'],
  };
}

/** The organisation's answer about a message: recorded (in message order) if it is a keyword that applies. */
function onKeywordClassified(state: ContactState, msg: Msg<'keywordClassified'>, ctx: TurnContext, self: Self): Turn {
  const index = state.pendingKeywords.findIndex((p) => p.messageId === msg.callId);
  const entry = state.pendingKeywords[index];
  // A late answer for a message already classified with the defaults (the list overflowed): nothing to do.
  if (entry === undefined || entry.result !== null) return reply<'keywordClassified'>(state, { ok: true });
  const result = classificationOf(msg.reply) ?? defaultClassification(entry);
  const pending = state.pendingKeywords.map((p, i) => (i === index ? { ...p, result } : p));
  const drained = applyResolved({ ...state, pendingKeywords: pending }, self, ctx);
  return {
    state: drained.state,
    effects: drained.effects,
    reply: { ok: true } satisfies ContactReplies['keywordClassified'],
  };
}

/** Applies the classified messages at the head of the pending list, oldest first, up to the first still waiting. */
function applyResolved(state: ContactState, self: Self, ctx: TurnContext): { state: ContactState; effects: Effect[] } {
  let next = state;
  const effects: Effect[] = [];
  for (;;) {
    const [head, ...rest] = next.pendingKeywords;
    if (head === undefined || head.result === null) return { state: next, effects };
    const applied = applyKeyword({ ...next, pendingKeywords: rest }, head, head.result, self, ctx);
    next = applied.state;
    effects.push(...applied.effects);
  }
}

/**
 * Records the keyword of one customer message, if it applies: an opt-out always, an opt-in only for a customer who
 * opted out (START and friends restore a subscription, they never create one). Confirmed to the conversation.
 */
function applyKeyword(
  state: ContactState,
  entry: PendingKeyword,
  result: KeywordClassification,
  self: Self,
  ctx: TurnContext,
): { state: ContactState; effects: Effect[] } {
  const match = result.match;
  const applies = match !== null && (match.kind === 'optOut' || statusOf(state.consent.marketing) === 'optedOut');
  if (!applies) return { state, effects: [] };
  const confirmation = result.confirmation ?? confirmationText(match.kind, match.language);
  const evidence: ConsentEvidence = {
    id: ctx.newId(),
    atMs: entry.atMs,
    recordedAtMs: ctx.nowMs,
    action: match.kind,
    method: 'keyword',
    source: `whatsapp:${entry.phoneNumberId}`,
    wording: confirmation,
    by: 'customer',
    keyword: match.keyword,
    language: match.language,
    messageId: entry.messageId,
    phoneNumberId: entry.phoneNumberId,
  };
  const recorded: [ConsentScope, ConsentEvidence][] = [['marketing', evidence]];
  const next: ContactState = {
    ...touched(state, ctx.nowMs),
    consent: withScope(state.consent, 'marketing', addEvidence(state.consent.marketing, evidence)),
  };
  const keyword: KeywordMatchView = { kind: match.kind, keyword: match.keyword, language: match.language };
  const answer: ContactReplies['observeInbound'] = { ok: true, keyword, confirmation, isKeywordPending: false };
  return {
    state: next,
    effects: [
      ...linkEffects(next, self, false, recorded),
      ...optOutEvents(state.consent, next, self, recorded, `optout.${entry.messageId}`),
      inboundObservedTell(entry.phoneNumberId, self, entry.messageId, answer),
    ],
  };
}

/**
 * Tells the conversation of a customer message that a keyword applied. It addresses its contact by the same customer
 * key (customer-key.ts); the message has the shape of a runtime answer to an `observeInbound` ask.
 */
function inboundObservedTell(
  phoneNumberId: string,
  self: Self,
  messageId: string,
  answer: ContactReplies['observeInbound'],
): Effect {
  const observed: ConversationMsg = { type: 'inboundObserved', callId: messageId, reply: { ok: true, value: answer } };
  return { type: 'tell', to: { kind: CONVERSATION_KIND, id: conversationId(phoneNumberId, self.key) }, msg: observed };
}

/** The classification by the defaults alone (when the organisation's settings did not answer). */
function defaultClassification(entry: PendingKeyword): KeywordClassification {
  const hint = entry.languageHint === null ? {} : { languageHint: entry.languageHint };
  const match = matchOptKeyword(entry.normalisedText, DEFAULT_COMPILED_KEYWORDS, hint);
  return { match, confirmation: match === null ? null : confirmationText(match.kind, match.language) };
}

/** The `consent-keywords` actor's answer as the runtime delivers it, or null if it is not a good one. */
function classificationOf(answer: unknown): KeywordClassification | null {
  if (!isRecord(answer) || answer['ok'] !== true || !isRecord(answer['value'])) return null;
  const value = answer['value'];
  const match = value['match'];
  const confirmation = value['confirmation'];
  if (value['ok'] !== true || (confirmation !== null && typeof confirmation !== 'string')) return null;
  if (match === null) return { match: null, confirmation: null };
  if (!isKeywordMatch(match)) return null;
  return { match, confirmation };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isKeywordMatch(value: unknown): value is OptKeywordMatch {
  return (
    isRecord(value) &&
    (OPT_KINDS as readonly unknown[]).includes(value['kind']) &&
    typeof value['keyword'] === 'string' &&
    typeof value['language'] === 'string'
  );
}

function onRecordConsent(state: ContactState, msg: Msg<'recordConsent'>, ctx: TurnContext, self: Self): Turn {
  const consented = withConsent(state, msg, ctx, self);
  if (!consented.ok) return refuse(state, consented.code, consented.message);
  if (consented.state === state) {
    return reply<'recordConsent'>(state, { ok: true, recorded: false, contact: contactView(state, self) });
  }
  return {
    state: consented.state,
    effects: consented.effects,
    reply: {
      ok: true,
      recorded: true,
      contact: contactView(consented.state, self),
    } satisfies ContactReplies['recordConsent'],
  };
}

/**
 * The state with an opt-in or opt-out recorded from the API or an import (one entry per scope), with the effects
 * that go with it (the customer's other record, `contact.opted_out`). The very same state when it changes nothing
 * (the same consent again).
 */
function withConsent(
  state: ContactState,
  msg: Omit<Msg<'recordConsent'>, 'type'>,
  ctx: TurnContext,
  self: Self,
): { ok: true; state: ContactState; effects: Effect[] } | { ok: false; code: ContactErrorCode; message: string } {
  const atMs = msg.atMs ?? ctx.nowMs;
  if (atMs > ctx.nowMs + CONSENT_CLOCK_SKEW_MS) {
    return { ok: false, code: 'PARLO_VALIDATION_FAILED', message: 'consent cannot be dated in the future' };
  }
  const wording = msg.wording ?? null;
  const scopes: readonly ConsentScope[] = msg.scope === 'all' ? CONSENT_SCOPES : [msg.scope];
  const recorded: [ConsentScope, ConsentEvidence][] = [];
  let consent = state.consent;
  for (const scope of scopes) {
    const same = (e: ConsentEvidence): boolean =>
      e.action === msg.action && e.method === msg.method && e.source === msg.source && e.wording === wording;
    // PUT semantics: the same consent again is no new fact. Without a date it must be the current entry; with
    // one (an import run twice) any entry of that date.
    const repeated =
      msg.atMs === undefined
        ? (() => {
            const current = currentEvidence(consent[scope]);
            return current !== null && same(current);
          })()
        : consent[scope].history.some((e) => e.atMs === atMs && same(e));
    if (repeated) continue;
    const evidence: ConsentEvidence = {
      id: ctx.newId(),
      atMs,
      recordedAtMs: ctx.nowMs,
      action: msg.action,
      method: msg.method,
      source: msg.source,
      wording,
      by: msg.by,
      keyword: null,
      language: null,
      messageId: null,
      phoneNumberId: null,
    };
    consent = withScope(consent, scope, addEvidence(consent[scope], evidence));
    recorded.push([scope, evidence]);
  }
  if (recorded.length === 0) return { ok: true, state, effects: [] };
  const next: ContactState = { ...touched(state, ctx.nowMs), consent };
  const effects = [...linkEffects(next, self, false, recorded), ...optOutEvents(state.consent, next, self, recorded)];
  return { ok: true, state: next, effects };
}

function onMarketingPreference(
  state: ContactState,
  msg: Msg<'marketingPreferenceChanged'>,
  ctx: TurnContext,
  self: Self,
): Turn {
  const action = msg.value === 'stop' ? 'optOut' : 'optIn';
  const marketing = state.consent.marketing;
  const duplicate = marketing.history.some(
    (e) => e.method === 'whatsapp' && e.action === action && e.atMs === msg.atMs,
  );
  // Resume restores a subscription the customer stopped, like START (and never opts in anyone else).
  const applies = !duplicate && (action === 'optOut' || statusOf(marketing) === 'optedOut');
  const learned = withIdentifiers(state, self, { userId: msg.userId });
  if (!applies) {
    if (!learned.peerChanged || !contactExists(state)) {
      return reply<'marketingPreferenceChanged'>(state, { ok: true, status: statusOf(marketing) });
    }
    const next = touched(learned.state, ctx.nowMs);
    return {
      state: next,
      effects: linkEffects(next, self, true, []),
      reply: { ok: true, status: statusOf(marketing) } satisfies ContactReplies['marketingPreferenceChanged'],
    };
  }
  const evidence: ConsentEvidence = {
    id: ctx.newId(),
    atMs: msg.atMs,
    recordedAtMs: ctx.nowMs,
    action,
    method: 'whatsapp',
    source: 'user_preferences',
    wording: null,
    by: 'customer',
    keyword: null,
    language: null,
    messageId: null,
    phoneNumberId: msg.phoneNumberId ?? null,
  };
  const consent = withScope(state.consent, 'marketing', addEvidence(marketing, evidence));
  const next: ContactState = { ...touched(learned.state, ctx.nowMs), consent };
  const recorded: [ConsentScope, ConsentEvidence][] = [['marketing', evidence]];
  return {
    state: next,
    effects: [
      ...linkEffects(next, self, learned.peerChanged, recorded),
      ...optOutEvents(state.consent, next, self, recorded),
    ],
    reply: { ok: true, status: statusOf(consent.marketing) } satisfies ContactReplies['marketingPreferenceChanged'],
  };
}

function onEvidenceShared(state: ContactState, msg: Msg<'evidenceShared'>, ctx: TurnContext, self: Self): Turn {
  const learned = withIdentifiers(state, self, { phone: msg.phone ?? undefined, userId: msg.userId ?? undefined });
  const marketing = mergeEvidence(state.consent.marketing, msg.marketing);
  const utility = mergeEvidence(state.consent.utility, msg.utility);
  const added = marketing.added.length + utility.added.length;
  const sender = peerKey(learned.state, self);
  // Our own entries for a sender that just learned about us (those it sent are no news to it).
  const own = (scope: ConsentScope, from: readonly ConsentEvidence[]): ConsentEvidence[] =>
    state.consent[scope].history.filter((e) => !from.some((m) => m.id === e.id));
  const ownMarketing = own('marketing', msg.marketing);
  const ownUtility = own('utility', msg.utility);
  const answer: Effect[] =
    msg.wantsOwn && sender !== null && ownMarketing.length + ownUtility.length > 0
      ? [share(self.orgId, sender, learned.state, ownMarketing, ownUtility, false)]
      : [];
  if (added === 0 && !learned.changed) return { state, effects: answer, reply: { ok: true, added: 0 } };
  // Entries make a contact (consent was recorded for this customer); a learned identifier alone is only a link.
  const base = added > 0 ? touched(learned.state, ctx.nowMs) : learned.state;
  const next: ContactState = {
    ...base,
    consent: { marketing: marketing.scope, utility: utility.scope },
  };
  return { state: next, effects: answer, reply: { ok: true, added } satisfies ContactReplies['evidenceShared'] };
}

// ---------------------------------------------------------------- helpers

function reply<T extends keyof ContactReplies>(state: ContactState, value: ContactReplies[T]): Turn {
  return { state, reply: value };
}

function refuse(state: ContactState, code: ContactErrorCode, message: string): Turn {
  return { state, reply: refusal(code, message) };
}

function notFound(state: ContactState, self: Self): Turn {
  return refuse(state, 'PARLO_CONTACT_NOT_FOUND', `no contact ${self.key} in this organisation`);
}

function noKeyword(): ContactReplies['observeInbound'] {
  return { ok: true, keyword: null, confirmation: null, isKeywordPending: false };
}

function touched(state: ContactState, nowMs: number): ContactState {
  return { ...state, createdAtMs: state.createdAtMs ?? nowMs, updatedAtMs: nowMs };
}

function withScope(consent: ContactConsent, scope: ConsentScope, value: ScopeConsent): ContactConsent {
  return { ...consent, [scope]: value };
}

/**
 * The state with the identifier this contact's key does not fix learned from a message (a BSUID on a phone-keyed
 * contact, a phone on a BSUID-keyed one). `peerChanged`: the customer's other record is now a different one.
 */
function withIdentifiers(
  state: ContactState,
  self: Self,
  seen: { readonly phone?: string | undefined; readonly userId?: string | undefined },
): { state: ContactState; changed: boolean; peerChanged: boolean } {
  let next = state;
  if (self.key.startsWith('p') && seen.userId !== undefined && isKeyableUserId(seen.userId)) {
    if (seen.userId !== state.userId) next = { ...next, userId: seen.userId };
  }
  if (self.key.startsWith('u') && seen.phone !== undefined) {
    const digits = normaliseE164(seen.phone);
    if (digits !== null && digits !== state.phone) next = { ...next, phone: digits };
  }
  const changed = next !== state;
  return { state: next, changed, peerChanged: changed && peerKey(next, self) !== peerKey(state, self) };
}

/** The key of the customer's other record, if this one knows it. */
function peerKey(state: ContactState, self: Self): string | null {
  if (self.key.startsWith('p')) return state.userId === null ? null : `u${state.userId}`;
  return state.phone === null ? null : `p${state.phone}`;
}

function share(
  orgId: string,
  to: string,
  state: ContactState,
  marketing: readonly ConsentEvidence[],
  utility: readonly ConsentEvidence[],
  wantsOwn: boolean,
): Effect {
  const msg: Msg<'evidenceShared'> = {
    type: 'evidenceShared',
    phone: state.phone,
    userId: state.userId,
    marketing: [...marketing],
    utility: [...utility],
    wantsOwn,
  };
  return { type: 'tell', to: contactAddress(orgId, to), msg };
}

/**
 * Keeps the customer's other record in step: all our entries (and a request for its own) when it just became
 * known, else the entries recorded in this turn.
 */
function linkEffects(
  state: ContactState,
  self: Self,
  peerChanged: boolean,
  recorded: readonly (readonly [ConsentScope, ConsentEvidence])[],
): Effect[] {
  const peer = peerKey(state, self);
  if (peer === null) return [];
  if (peerChanged) {
    return [share(self.orgId, peer, state, state.consent.marketing.history, state.consent.utility.history, true)];
  }
  if (recorded.length === 0) return [];
  const of = (scope: ConsentScope) => recorded.filter(([s]) => s === scope).map(([, e]) => e);
  return [share(self.orgId, peer, state, of('marketing'), of('utility'), false)];
}

/**
 * One `contact.opted_out` event per scope that this turn moved to `optedOut` (a repeated STOP is recorded as
 * evidence but is no new opt-out). The event id derives from the fact: the WhatsApp message for keywords, the
 * evidence entry otherwise; tells leave through the outbox, so each is emitted once.
 */
function optOutEvents(
  before: ContactConsent,
  after: ContactState,
  self: Self,
  recorded: readonly (readonly [ConsentScope, ConsentEvidence])[],
  preferredId?: string,
): Effect[] {
  const effects: Effect[] = [];
  for (const [scope, evidence] of recorded) {
    if (evidence.action !== 'optOut') continue;
    if (statusOf(before[scope]) === 'optedOut' || statusOf(after.consent[scope]) !== 'optedOut') continue;
    const candidate = preferredId !== undefined && recorded.length === 1 ? preferredId : `optout.${evidence.id}`;
    const id = WEBHOOK_EVENT_ID_PATTERN.test(candidate) ? candidate : `optout.${evidence.id}`;
    effects.push(
      emitWebhookEvent({
        id,
        type: 'contact.opted_out',
        orgId: self.orgId,
        occurredAtMs: evidence.atMs,
        data: {
          contactId: self.key,
          waId: after.phone,
          userId: after.userId,
          phoneNumberId: evidence.phoneNumberId,
          source: evidence.method,
          keyword: evidence.keyword,
          scope,
        },
      }),
    );
  }
  return effects;
}

function scopeView(scope: ConsentScope, state: ContactState): ScopeConsentView {
  const consent = state.consent;
  const value = consent[scope];
  // As checkConsent answers: no marketing while a message that could be an opt-out waits for its classification.
  const isKeywordPending = scope === 'marketing' && state.pendingKeywords.length > 0;
  return {
    status: statusOf(value),
    sinceMs: sinceOf(value),
    allowed: !isKeywordPending && isAllowed(scope, consent),
    history: [...value.history].reverse(),
    droppedCount: value.droppedCount,
  };
}

function contactView(state: ContactState, self: Self): ContactView {
  return {
    orgId: self.orgId,
    key: self.key,
    phone: state.phone,
    userId: state.userId,
    profileName: state.profileName,
    firstSeenAtMs: state.firstSeenAtMs,
    lastSeenAtMs: state.lastSeenAtMs,
    lastPhoneNumberId: state.lastPhoneNumberId,
    linkedKey: peerKey(state, self),
    createdAtMs: state.createdAtMs ?? 0,
    updatedAtMs: state.updatedAtMs ?? state.createdAtMs ?? 0,
    consent: { marketing: scopeView('marketing', state), utility: scopeView('utility', state) },
    profile: state.profile,
  };
}
