import { defineActor, refusal, unreachable, type Effect, type TurnResult } from '../../core/index.ts';
import { ORG_KIND, type AuditActor, type AuditDetail, type AuditEvent, type OrgMsg } from '../org/org.messages.ts';
import { own, withEntry, without } from '../org/org.state.ts';
import { NUMBER_KIND, type NumberMsg } from '../number/number.messages.ts';
import {
  MAX_NUMBERS_PER_ORG,
  ORG_NUMBERS_KIND,
  type NumberView,
  type OrgNumbersErrorCode,
  type OrgNumbersMsg,
  type OrgNumbersReplies,
} from './numbers.messages.ts';
import { initialOrgNumbersState, numbersOfWaba, type ConnectedNumber, type OrgNumbersState } from './numbers.state.ts';

type Turn = TurnResult<OrgNumbersState>;
type Msg<T extends OrgNumbersMsg['type']> = Extract<OrgNumbersMsg, { type: T }>;

/**
 * One organisation's WhatsApp business accounts and phone numbers (id = org id). Connecting, disconnecting and
 * credential changes are audited in the organisation's log. Secrets arrive sealed and leave sealed: only the
 * edges that hold the SecretBox (HTTP, channel edge) open them.
 */
export const orgNumbersActor = defineActor<OrgNumbersState, OrgNumbersMsg>({
  kind: ORG_NUMBERS_KIND,
  stateVersion: 1,
  initialState: () => initialOrgNumbersState(),
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'ensureWebhookToken': {
        if (state.webhookVerifyToken !== null) return ok(state, { ok: true, verifyToken: state.webhookVerifyToken });
        return ok({ ...state, webhookVerifyToken: msg.proposed }, { ok: true, verifyToken: msg.proposed });
      }
      case 'rotateWebhookToken':
        return ok({ ...state, webhookVerifyToken: msg.verifyToken }, { ok: true, verifyToken: msg.verifyToken }, [
          audit(ctx.self.id, 'webhookTokenRotated', msg.by, {}),
        ]);
      case 'connectNumber':
        return onConnect(state, msg, ctx.self.id, ctx.nowMs);
      case 'updateNumber':
        return onUpdateNumber(state, msg, ctx.nowMs);
      case 'disconnectNumber':
        return onDisconnect(state, msg, ctx.self.id);
      case 'updateCredentials':
        return onUpdateCredentials(state, msg, ctx.self.id, ctx.nowMs);
      case 'listNumbers': {
        const numbers = Object.values(state.numbers)
          .sort((a, b) => a.connectedAtMs - b.connectedAtMs || a.phoneNumberId.localeCompare(b.phoneNumberId))
          .map((n) => view(state, n));
        return ok(state, { ok: true, numbers });
      }
      case 'getNumber': {
        const number = own(state.numbers, msg.phoneNumberId);
        if (!number) return notFound(state, msg.phoneNumberId);
        return ok(state, { ok: true, number: view(state, number) });
      }
      case 'getWaba': {
        const waba = own(state.wabas, msg.wabaId);
        if (!waba) return refuse(state, 'PARLO_WABA_NOT_FOUND', `no WhatsApp business account ${msg.wabaId} here`);
        return ok(state, { ok: true, waba, phoneNumberIds: numbersOfWaba(state, msg.wabaId) });
      }
      case 'getWebhookSecrets':
        return ok(state, {
          ok: true,
          verifyToken: state.webhookVerifyToken,
          appSecrets: Object.values(state.wabas).map((w) => ({ wabaId: w.wabaId, sealed: w.appSecretSealed })),
          phoneNumberIds: Object.keys(state.numbers).sort(),
          displayNumbers: Object.fromEntries(
            Object.values(state.numbers).map((n) => [n.displayPhoneNumber.replace(/\D/g, ''), n.phoneNumberId]),
          ),
        });
      case 'getSendCredentials': {
        const number = own(state.numbers, msg.phoneNumberId);
        const waba = number ? own(state.wabas, number.wabaId) : undefined;
        if (!number || !waba) return notFound(state, msg.phoneNumberId);
        return ok(state, { ok: true, wabaId: waba.wabaId, mode: waba.mode, accessTokenSealed: waba.accessTokenSealed });
      }
      default:
        return unreachable(msg);
    }
  },
});

function ok<T extends keyof OrgNumbersReplies>(
  state: OrgNumbersState,
  reply: OrgNumbersReplies[T],
  effects: readonly Effect[] = [],
): Turn {
  return effects.length > 0 ? { state, reply, effects } : { state, reply };
}

function refuse(state: OrgNumbersState, code: OrgNumbersErrorCode, message: string): Turn {
  return { state, reply: refusal(code, message) };
}

function notFound(state: OrgNumbersState, phoneNumberId: string): Turn {
  return refuse(state, 'PARLO_NUMBER_NOT_FOUND', `no connected phone number ${phoneNumberId} in this organisation`);
}

function view(state: OrgNumbersState, n: ConnectedNumber): NumberView {
  const waba = own(state.wabas, n.wabaId);
  return {
    phoneNumberId: n.phoneNumberId,
    displayPhoneNumber: n.displayPhoneNumber,
    verifiedName: n.verifiedName,
    qualityRating: n.qualityRating,
    throughputLevel: n.throughputLevel,
    wabaId: n.wabaId,
    mode: waba?.mode ?? 'cloud',
    appId: waba?.appId ?? null,
    displayName: n.displayName,
    businessProfile: n.businessProfile,
    connectedAtMs: n.connectedAtMs,
    updatedAtMs: n.updatedAtMs,
  };
}

/** An entry in the organisation's audit log (the org actor keeps the log). */
function audit(orgId: string, event: AuditEvent, actor: AuditActor, detail: AuditDetail): Effect {
  const msg: OrgMsg = { type: 'recordAudit', event, actor, detail };
  return { type: 'tell', to: { kind: ORG_KIND, id: orgId }, msg };
}

function onConnect(state: OrgNumbersState, msg: Msg<'connectNumber'>, orgId: string, nowMs: number): Turn {
  const { waba, number } = msg;
  if (own(state.numbers, number.phoneNumberId)) {
    return refuse(
      state,
      'PARLO_NUMBER_ALREADY_CONNECTED',
      `phone number ${number.phoneNumberId} is already connected to this organisation`,
    );
  }
  if (Object.keys(state.numbers).length >= MAX_NUMBERS_PER_ORG) {
    return refuse(
      state,
      'PARLO_NUMBER_LIMIT_REACHED',
      `an organisation may connect at most ${MAX_NUMBERS_PER_ORG} numbers; disconnect one first`,
    );
  }
  const existing = own(state.wabas, waba.wabaId);
  if (existing && existing.mode !== waba.mode) {
    return refuse(
      state,
      'PARLO_WABA_MODE_MISMATCH',
      `WhatsApp business account ${waba.wabaId} is connected in ${existing.mode} mode, not ${waba.mode}`,
    );
  }
  // The latest credentials given for an account win: they were just checked against Meta by the HTTP layer.
  const wabas = withEntry(state.wabas, waba.wabaId, {
    ...waba,
    connectedAtMs: existing?.connectedAtMs ?? nowMs,
    updatedAtMs: nowMs,
  });
  const connected: ConnectedNumber = {
    ...number,
    wabaId: waba.wabaId,
    displayName: msg.displayName,
    businessProfile: msg.businessProfile,
    connectedAtMs: nowMs,
    updatedAtMs: nowMs,
  };
  const next: OrgNumbersState = { ...state, wabas, numbers: withEntry(state.numbers, number.phoneNumberId, connected) };
  return ok(next, { ok: true, number: view(next, connected) }, [
    audit(orgId, 'numberConnected', msg.by, {
      phoneNumberId: number.phoneNumberId,
      wabaId: waba.wabaId,
      displayPhoneNumber: number.displayPhoneNumber,
      mode: waba.mode,
    }),
    // The number actor paces at the throughput Meta reported (80, 1,000, or 20 for coexistence) from now on.
    configureNumber(number, nowMs),
  ]);
}

function configureNumber(number: Msg<'connectNumber'>['number'], nowMs: number): Effect {
  const msg: NumberMsg = {
    type: 'configure',
    throughputLevel: number.throughputLevel,
    qualityRating: number.qualityRating,
    observedAtMs: nowMs,
  };
  return { type: 'tell', to: { kind: NUMBER_KIND, id: number.phoneNumberId }, msg };
}

function onUpdateNumber(state: OrgNumbersState, msg: Msg<'updateNumber'>, nowMs: number): Turn {
  const number = own(state.numbers, msg.phoneNumberId);
  if (!number) return notFound(state, msg.phoneNumberId);
  const updated: ConnectedNumber = {
    ...number,
    ...(msg.displayName === undefined ? {} : { displayName: msg.displayName }),
    ...(msg.businessProfile === undefined ? {} : { businessProfile: msg.businessProfile }),
    updatedAtMs: nowMs,
  };
  const next = { ...state, numbers: withEntry(state.numbers, msg.phoneNumberId, updated) };
  return ok(next, { ok: true, number: view(next, updated) });
}

function onDisconnect(state: OrgNumbersState, msg: Msg<'disconnectNumber'>, orgId: string): Turn {
  const number = own(state.numbers, msg.phoneNumberId);
  if (!number) return notFound(state, msg.phoneNumberId);
  const numbers = without(state.numbers, msg.phoneNumberId);
  const wabaRemoved = !Object.values(numbers).some((n) => n.wabaId === number.wabaId);
  // The last number of an account takes the account's secrets with it: nothing is kept that is not needed.
  const wabas = wabaRemoved ? without(state.wabas, number.wabaId) : state.wabas;
  return ok(
    { ...state, numbers, wabas },
    { ok: true, phoneNumberId: msg.phoneNumberId, wabaId: number.wabaId, wabaRemoved },
    [
      audit(orgId, 'numberDisconnected', msg.by, {
        phoneNumberId: msg.phoneNumberId,
        wabaId: number.wabaId,
        displayPhoneNumber: number.displayPhoneNumber,
      }),
    ],
  );
}

function onUpdateCredentials(
  state: OrgNumbersState,
  msg: Msg<'updateCredentials'>,
  orgId: string,
  nowMs: number,
): Turn {
  const waba = own(state.wabas, msg.wabaId);
  if (!waba) return refuse(state, 'PARLO_WABA_NOT_FOUND', `no WhatsApp business account ${msg.wabaId} here`);
  const updated = {
    ...waba,
    ...(msg.appId === undefined ? {} : { appId: msg.appId }),
    ...(msg.appSecretSealed === undefined ? {} : { appSecretSealed: msg.appSecretSealed }),
    ...(msg.accessTokenSealed === undefined ? {} : { accessTokenSealed: msg.accessTokenSealed }),
    updatedAtMs: nowMs,
  };
  const changed = [
    ...(msg.appId === undefined ? [] : ['appId']),
    ...(msg.appSecretSealed === undefined ? [] : ['appSecret']),
    ...(msg.accessTokenSealed === undefined ? [] : ['accessToken']),
  ];
  return ok({ ...state, wabas: withEntry(state.wabas, msg.wabaId, updated) }, { ok: true, wabaId: msg.wabaId }, [
    audit(orgId, 'numberCredentialsChanged', msg.by, { wabaId: msg.wabaId, changed: changed.join(',') }),
  ]);
}
