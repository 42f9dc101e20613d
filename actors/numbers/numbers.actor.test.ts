import { describe, expect, it } from 'vitest';
import type { TurnContext, TurnResult } from '../../core/index.ts';
import { orgNumbersActor } from './numbers.actor.ts';
import {
  MAX_NUMBERS_PER_ORG,
  type NumberFacts,
  type OrgNumbersMsg,
  type OrgNumbersReplies,
  type WabaConnection,
} from './numbers.messages.ts';
import { initialOrgNumbersState, type OrgNumbersState } from './numbers.state.ts';

const ORG_ID = '0123456789abcdef';
const T0 = 1_767_225_600_000;
const BY = { kind: 'user', id: 'usr0000000000000001' } as const;

function ctxAt(nowMs: number): TurnContext {
  let n = 0;
  return { self: { kind: 'org-numbers', id: ORG_ID }, nowMs, msgId: 'm-1', newId: () => `id-${++n}` };
}

function run(state: OrgNumbersState, msg: OrgNumbersMsg, nowMs = T0): TurnResult<OrgNumbersState> {
  return orgNumbersActor.handle(state, msg, ctxAt(nowMs));
}

function reply<T extends keyof OrgNumbersReplies>(result: TurnResult<OrgNumbersState>): OrgNumbersReplies[T] {
  return result.reply as OrgNumbersReplies[T];
}

const waba = (wabaId = '2001', mode: WabaConnection['mode'] = 'cloud'): WabaConnection => ({
  wabaId,
  mode,
  appId: '3001',
  appSecretSealed: `sealed-app-secret-${wabaId}`,
  accessTokenSealed: `sealed-token-${wabaId}`,
});

const facts = (phoneNumberId: string): NumberFacts => ({
  phoneNumberId,
  displayPhoneNumber: `1555${phoneNumberId}`,
  verifiedName: 'Acme',
  qualityRating: 'GREEN',
  throughputLevel: 'STANDARD',
});

function connect(state: OrgNumbersState, phoneNumberId: string, w = waba()): TurnResult<OrgNumbersState> {
  return run(state, {
    type: 'connectNumber',
    waba: w,
    number: facts(phoneNumberId),
    displayName: 'Acme support',
    businessProfile: { about: 'We answer', websites: ['https://acme.test'] },
    by: BY,
  });
}

describe('org-numbers actor', () => {
  it('connects a number, shows it without secrets and audits it in the org log', () => {
    const result = connect(initialOrgNumbersState(), '1001');
    const connected = reply<'connectNumber'>(result);
    expect(connected).toMatchObject({
      ok: true,
      number: { phoneNumberId: '1001', wabaId: '2001', mode: 'cloud', appId: '3001', displayName: 'Acme support' },
    });
    expect(JSON.stringify(connected)).not.toContain('sealed');
    expect(result.effects).toEqual([
      {
        type: 'tell',
        to: { kind: 'org', id: ORG_ID },
        msg: {
          type: 'recordAudit',
          event: 'numberConnected',
          actor: BY,
          detail: { phoneNumberId: '1001', wabaId: '2001', displayPhoneNumber: '15551001', mode: 'cloud' },
        },
      },
      {
        type: 'tell',
        to: { kind: 'number', id: '1001' },
        msg: { type: 'configure', throughputLevel: 'STANDARD', qualityRating: 'GREEN', observedAtMs: T0 },
      },
    ]);
    const listed = reply<'listNumbers'>(run(result.state, { type: 'listNumbers' }));
    expect(listed.numbers.map((n) => n.phoneNumberId)).toEqual(['1001']);
    expect(JSON.stringify(listed)).not.toContain('sealed');
  });

  it('refuses a number connected twice, past the limit, or under a WABA of the other mode', () => {
    const one = connect(initialOrgNumbersState(), '1001').state;
    expect(reply(connect(one, '1001'))).toMatchObject({ ok: false, code: 'PARLO_NUMBER_ALREADY_CONNECTED' });
    expect(reply(connect(one, '1002', waba('2001', 'simulator')))).toMatchObject({
      ok: false,
      code: 'PARLO_WABA_MODE_MISMATCH',
    });
    let full = initialOrgNumbersState();
    for (let i = 0; i < MAX_NUMBERS_PER_ORG; i++) full = connect(full, String(5000 + i)).state;
    const refused = connect(full, '9999');
    expect(reply(refused)).toMatchObject({ ok: false, code: 'PARLO_NUMBER_LIMIT_REACHED' });
    expect(refused.state).toBe(full);
  });

  it('keeps one WABA for several numbers and takes its secrets away with its last number', () => {
    let state = connect(initialOrgNumbersState(), '1001').state;
    state = connect(state, '1002').state;
    expect(reply<'getWaba'>(run(state, { type: 'getWaba', wabaId: '2001' }))).toMatchObject({
      ok: true,
      phoneNumberIds: ['1001', '1002'],
    });
    const first = run(state, { type: 'disconnectNumber', phoneNumberId: '1001', by: BY });
    expect(reply(first)).toEqual({ ok: true, phoneNumberId: '1001', wabaId: '2001', wabaRemoved: false });
    expect(first.effects?.[0]).toMatchObject({ msg: { type: 'recordAudit', event: 'numberDisconnected' } });
    const last = run(first.state, { type: 'disconnectNumber', phoneNumberId: '1002', by: BY });
    expect(reply(last)).toEqual({ ok: true, phoneNumberId: '1002', wabaId: '2001', wabaRemoved: true });
    expect(last.state.wabas).toEqual({});
    expect(reply(run(last.state, { type: 'getWebhookSecrets' }))).toEqual({
      ok: true,
      verifyToken: null,
      appSecrets: [],
      phoneNumberIds: [],
      displayNumbers: {},
    });
    expect(reply(run(last.state, { type: 'disconnectNumber', phoneNumberId: '1002', by: BY }))).toMatchObject({
      ok: false,
      code: 'PARLO_NUMBER_NOT_FOUND',
    });
  });

  it('updates display name and business profile, and credentials with an audit entry naming the fields', () => {
    const state = connect(initialOrgNumbersState(), '1001').state;
    const updated = run(state, { type: 'updateNumber', phoneNumberId: '1001', displayName: null }, T0 + 5);
    expect(reply(updated)).toMatchObject({
      ok: true,
      number: { displayName: null, businessProfile: { about: 'We answer' }, updatedAtMs: T0 + 5 },
    });
    const creds = run(updated.state, {
      type: 'updateCredentials',
      wabaId: '2001',
      accessTokenSealed: 'sealed-new-token',
      by: BY,
    });
    expect(reply(creds)).toEqual({ ok: true, wabaId: '2001' });
    expect(creds.effects?.[0]).toMatchObject({
      msg: { event: 'numberCredentialsChanged', detail: { wabaId: '2001', changed: 'accessToken' } },
    });
    expect(reply(run(creds.state, { type: 'getSendCredentials', phoneNumberId: '1001' }))).toEqual({
      ok: true,
      wabaId: '2001',
      mode: 'cloud',
      accessTokenSealed: 'sealed-new-token',
    });
    expect(reply(run(state, { type: 'updateCredentials', wabaId: 'nope', by: BY }))).toMatchObject({
      ok: false,
      code: 'PARLO_WABA_NOT_FOUND',
    });
  });

  it('keeps the first webhook verify token until it is rotated', () => {
    const first = run(initialOrgNumbersState(), { type: 'ensureWebhookToken', proposed: 'tok-1' });
    expect(reply(first)).toEqual({ ok: true, verifyToken: 'tok-1' });
    const again = run(first.state, { type: 'ensureWebhookToken', proposed: 'tok-2' });
    expect(reply(again)).toEqual({ ok: true, verifyToken: 'tok-1' });
    expect(again.state).toBe(first.state);
    const rotated = run(again.state, { type: 'rotateWebhookToken', verifyToken: 'tok-3', by: BY });
    expect(reply(rotated)).toEqual({ ok: true, verifyToken: 'tok-3' });
    expect(rotated.effects?.[0]).toMatchObject({ msg: { event: 'webhookTokenRotated' } });
  });

  it('reads ids from outside as own keys only', () => {
    const state = connect(initialOrgNumbersState(), '1001').state;
    expect(reply(run(state, { type: 'getNumber', phoneNumberId: 'constructor' }))).toMatchObject({
      ok: false,
      code: 'PARLO_NUMBER_NOT_FOUND',
    });
    expect(reply(run(state, { type: 'getWaba', wabaId: '__proto__' }))).toMatchObject({
      ok: false,
      code: 'PARLO_WABA_NOT_FOUND',
    });
  });
});
