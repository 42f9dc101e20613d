import { defineActor, unreachable, type TurnContext, type TurnResult } from '../../core/index.ts';
import {
  CONSENT_KEYWORDS_KIND,
  type ConsentKeywordsMsg,
  type ConsentKeywordsReplies,
  type KeywordSettingsView,
} from './consent-keywords.messages.ts';
import { initialConsentKeywordsState, type ConsentKeywordsState } from './consent-keywords.state.ts';
import { compileKeywordSettings, sameKeywordSettings, validateKeywordSettings } from './keyword-settings.ts';
import { confirmationText, matchOptKeyword } from './opt-out-keywords.ts';
import { ORG_KIND, type OrgMsg } from '../org/org.messages.ts';
import { CONTACT_KIND } from './contact.messages.ts';

type Turn = TurnResult<ConsentKeywordsState>;
type Msg<T extends ConsentKeywordsMsg['type']> = Extract<ConsentKeywordsMsg, { type: T }>;

/**
 * One organisation's consent keyword settings (id = org id; protocol and the reasons in
 * consent-keywords.messages.ts, rules in keyword-settings.ts). Contacts ask it to classify the customer messages
 * that could be keywords; the HTTP API reads and replaces the settings.
 */
export const consentKeywordsActor = defineActor<ConsentKeywordsState, ConsentKeywordsMsg>({
  kind: CONSENT_KEYWORDS_KIND,
  stateVersion: 1,
  initialState: initialConsentKeywordsState,
  // An organisation that never changed its settings stores nothing: classifications leave the state as it is.
  isEmpty: (state) => state.updatedAtMs === null,
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'classifyKeyword':
        return onClassify(state, msg);
      case 'getKeywordSettings':
        return {
          state,
          reply: { ok: true, settings: view(state) } satisfies ConsentKeywordsReplies['getKeywordSettings'],
        };
      case 'updateKeywordSettings':
        return onUpdate(state, msg, ctx);
      default:
        return unreachable(msg);
    }
  },
});

function onClassify(state: ConsentKeywordsState, msg: Msg<'classifyKeyword'>): Turn {
  const hint = msg.languageHint === undefined ? {} : { languageHint: msg.languageHint };
  const match = matchOptKeyword(msg.normalisedText, state.compiled, hint);
  const reply: ConsentKeywordsReplies['classifyKeyword'] = {
    ok: true,
    match,
    confirmation: match === null ? null : confirmationText(match.kind, match.language, state.settings.confirmations),
  };
  if (msg.answerTo === undefined) return { state, reply };
  // Told back in the shape of the runtime's answer to an ask (contact.actor.ts reads either).
  const answer = { type: 'keywordClassified', callId: msg.answerTo.callId, reply: { ok: true, value: reply } };
  return {
    state,
    reply,
    effects: [{ type: 'tell', to: { kind: CONTACT_KIND, id: msg.answerTo.contactId }, msg: answer }],
  };
}

function onUpdate(state: ConsentKeywordsState, msg: Msg<'updateKeywordSettings'>, ctx: TurnContext): Turn {
  const [problem] = validateKeywordSettings(msg.settings);
  if (problem !== undefined) {
    return {
      state,
      reply: { ok: false, code: problem.code, message: `${problem.field}: ${problem.message}`, field: problem.field },
    };
  }
  if (state.updatedAtMs !== null && sameKeywordSettings(state.settings, msg.settings)) {
    return { state, reply: { ok: true, changed: false, settings: view(state) } };
  }
  const next: ConsentKeywordsState = {
    settings: msg.settings,
    compiled: compileKeywordSettings(msg.settings),
    updatedAtMs: ctx.nowMs,
    updatedBy: msg.by,
  };
  const reply: ConsentKeywordsReplies['updateKeywordSettings'] = { ok: true, changed: true, settings: view(next) };
  // Which words end a customer's subscription is the organisation's compliance record: audited.
  const audit: OrgMsg = {
    type: 'recordAudit',
    event: 'consentKeywordsChanged',
    actor: msg.by,
    detail: {
      optOutWords: msg.settings.optOut.length,
      optInWords: msg.settings.optIn.length,
      disabledDefaults: msg.settings.disabledDefaults.length,
      confirmations: msg.settings.confirmations.length,
    },
  };
  return { state: next, reply, effects: [{ type: 'tell', to: { kind: ORG_KIND, id: ctx.self.id }, msg: audit }] };
}

function view(state: ConsentKeywordsState): KeywordSettingsView {
  return { ...state.settings, updatedAtMs: state.updatedAtMs, updatedBy: state.updatedBy };
}
