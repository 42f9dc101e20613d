import { describe, expect, it } from 'vitest';
import type { Effect, MessageReceived, StatusUpdated, TurnContext, TurnResult } from '../../core/index.ts';
import { CAMPAIGN_RUN_KIND, type CampaignTag, type RecipientProgressed } from '../campaigns/recipient-outcome.ts';
import { REPLY_ATTRIBUTION_MS } from './campaign-reports.ts';
import { createConversationActor } from './conversation.actor.ts';
import type { ConversationMsg, LoggedMessage } from './conversation.messages.ts';
import { findMessage, initialConversationState, type ConversationState } from './conversation.state.ts';
import { DEFAULT_RATE_CARD } from '../billing/rate-card.ts';

const T0 = 1_767_225_600_000;
const HOUR = 3_600_000;
const ID = '1001.p393331234567';
const RUN = 'org1.cmp_a.1';
const RECONCILE_MS = 60_000;
const actor = createConversationActor({ rateCards: [DEFAULT_RATE_CARD], reconcileAfterMs: RECONCILE_MS });

const ctx = (nowMs: number, msgId?: string): TurnContext => ({
  self: { kind: 'conversation', id: ID },
  nowMs,
  msgId,
  newId: () => 'id',
});

/** Runs messages and keeps every effect, so the reports can be read back. */
class Conversation {
  state: ConversationState = initialConversationState();
  effects: Effect[] = [];
  run(msg: ConversationMsg, nowMs: number): TurnResult<ConversationState> {
    const turn = actor.handle(this.state, msg, ctx(nowMs));
    this.state = turn.state;
    this.effects.push(...(turn.effects ?? []));
    return turn;
  }
  message(id: string): LoggedMessage {
    return findMessage(this.state, id)!.message;
  }
  reports(): RecipientProgressed[] {
    return this.effects
      .filter((e): e is Extract<Effect, { type: 'tell' }> => e.type === 'tell' && e.to.kind === CAMPAIGN_RUN_KIND)
      .map((e) => e.msg as RecipientProgressed);
  }
}

const tag = (recipient: number, frequencyCapMs = 0): CampaignTag => ({ run: RUN, recipient, frequencyCapMs });

const campaignSend = (messageId: string, campaign: CampaignTag): ConversationMsg => ({
  type: 'send',
  orgId: 'org1',
  phoneNumberId: '1001',
  customer: { phone: '393331234567' },
  messageId,
  content: { type: 'template', template: { name: 'promo', language: { code: 'it' } } },
  category: 'marketing',
  by: { kind: 'system', id: 'campaign' },
  campaign,
});

const consentGiven = (messageId: string): ConversationMsg => ({
  type: 'consentChecked',
  callId: messageId,
  reply: { ok: true, value: { ok: true, allowed: true, status: 'optedIn', sinceMs: T0, known: true } },
});
const consentRefused = (messageId: string): ConversationMsg => ({
  type: 'consentChecked',
  callId: messageId,
  reply: { ok: true, value: { ok: true, allowed: false, status: 'optedOut', sinceMs: T0, known: true } },
});
const held = (messageId: string): ConversationMsg => ({
  type: 'creditReserved',
  callId: messageId,
  reply: {
    ok: true,
    value: {
      ok: true,
      reservationId: `${ID}/${messageId}`,
      reservedMicros: 50_000,
      availableMicros: 1_000_000,
      status: 'reserved',
      conversation: null,
    },
  },
});
const admitted = (messageId: string): ConversationMsg => ({
  type: 'tierChecked',
  callId: messageId,
  reply: { ok: true, value: { ok: true, admitted: true, alreadyCounted: false } },
});
const accepted = (messageId: string, wamid: string): ConversationMsg => ({
  type: 'sendResult',
  callId: messageId,
  result: { outcome: 'accepted', providerMessageId: wamid, recipientId: '393331234567' },
});
const status = (wamid: string, s: StatusUpdated['status'], atMs: number, messageKey?: string): ConversationMsg => ({
  type: 'status',
  event: {
    type: 'statusUpdated',
    accountId: '1001',
    businessAccountId: '2001',
    providerMessageId: wamid,
    status: s,
    timestampMs: atMs,
    recipientId: '393331234567',
    ...(messageKey === undefined ? {} : { messageKey }),
    ...(s === 'failed' ? { errors: [{ code: 131026, title: 'Message undeliverable' }] } : {}),
  },
});
const customerWrites = (wamid: string, atMs: number): ConversationMsg => ({
  type: 'inbound',
  orgId: 'org1',
  event: {
    type: 'messageReceived',
    accountId: '1001',
    businessAccountId: '2001',
    providerMessageId: wamid,
    timestampMs: atMs,
    from: '393331234567',
    messageType: 'text',
    content: { body: 'Tell me more' },
  } satisfies MessageReceived,
});

/** A campaign message driven through consent, wallet, tier and the slot to the Graph API call. */
function inFlight(c: Conversation, messageId: string, campaign: CampaignTag, atMs: number): void {
  c.run(campaignSend(messageId, campaign), atMs);
  c.run(consentGiven(messageId), atMs);
  c.run(held(messageId), atMs);
  c.run(admitted(messageId), atMs);
  c.run({ type: 'slotGranted', messageId }, atMs);
  expect(c.message(messageId).sendState).toBe('sending');
}

describe('campaign reports', () => {
  it('reports each step once: sent, delivered, read, then replied; repeated statuses report nothing', () => {
    const c = new Conversation();
    inFlight(c, 'c1', tag(7), T0);
    expect(c.reports()).toEqual([]);
    c.run(accepted('c1', 'wamid.1'), T0 + 1);
    c.run(status('wamid.1', 'sent', T0 + 2), T0 + 2);
    c.run(status('wamid.1', 'delivered', T0 + 3), T0 + 3);
    c.run(status('wamid.1', 'delivered', T0 + 3), T0 + 4);
    c.run(status('wamid.1', 'read', T0 + 5), T0 + 5);
    c.run(customerWrites('wamid.IN1', T0 + 6), T0 + 6);
    c.run(customerWrites('wamid.IN2', T0 + 7), T0 + 7);
    expect(c.reports().map((r) => [r.recipient, r.outcome])).toEqual([
      [7, 'sent'],
      [7, 'delivered'],
      [7, 'read'],
      [7, 'replied'],
    ]);
    expect(c.message('c1').campaign).toMatchObject({ run: RUN, recipient: 7, replied: true });
    // A late read after the reply changes nothing for the run.
    c.run(status('wamid.1', 'read', T0 + 5), T0 + 8);
    expect(c.reports()).toHaveLength(4);
  });

  it('a status that skips steps reports the step reached (read without delivered)', () => {
    const c = new Conversation();
    inFlight(c, 'c1', tag(1), T0);
    c.run(status('wamid.1', 'read', T0 + 5, `${ID}/c1`), T0 + 5);
    expect(c.reports().map((r) => r.outcome)).toEqual(['read']);
    expect(c.message('c1').sendState).toBe('accepted');
  });

  it('reports failed with Meta code, and skipped for a missing opt-in', () => {
    const c = new Conversation();
    inFlight(c, 'c1', tag(1), T0);
    c.run(accepted('c1', 'wamid.1'), T0 + 1);
    c.run(status('wamid.1', 'failed', T0 + 2), T0 + 2);
    c.run(campaignSend('c2', tag(2)), T0 + 3);
    c.run(consentRefused('c2'), T0 + 3);
    expect(c.reports().map((r) => [r.recipient, r.outcome, r.code])).toEqual([
      [1, 'sent', null],
      [1, 'failed', 131026],
      [2, 'skipped', 'no_consent'],
    ]);
  });

  it('a reply long after the campaign message is no reply to it', () => {
    const c = new Conversation();
    inFlight(c, 'c1', tag(1), T0);
    c.run(accepted('c1', 'wamid.1'), T0 + 1);
    c.run(customerWrites('wamid.IN1', T0 + REPLY_ATTRIBUTION_MS + 2), T0 + REPLY_ATTRIBUTION_MS + 2);
    expect(c.reports().map((r) => r.outcome)).toEqual(['sent']);
  });

  it('skips a marketing message inside the frequency cap, and not one after it', () => {
    const c = new Conversation();
    inFlight(c, 'c1', tag(1), T0);
    c.run(accepted('c1', 'wamid.1'), T0 + 1);
    const capped = c.run(campaignSend('c2', tag(2, 24 * HOUR)), T0 + 23 * HOUR);
    expect(capped.reply).toMatchObject({ ok: true, sendState: 'failed' });
    expect(c.message('c2').error).toMatchObject({ code: 'PARLO_FREQUENCY_CAP' });
    const later = c.run(campaignSend('c3', tag(3, 24 * HOUR)), T0 + 24 * HOUR + 2);
    expect(later.reply).toMatchObject({ ok: true, sendState: 'checkingConsent' });
    expect(c.reports().map((r) => [r.recipient, r.outcome, r.code])).toEqual([
      [1, 'sent', null],
      [2, 'skipped', 'frequency_cap'],
    ]);
  });

  it('settles a campaign message under its campaign id', () => {
    const c = new Conversation();
    inFlight(c, 'c1', tag(1), T0);
    c.run(accepted('c1', 'wamid.1'), T0 + 1);
    c.run(status('wamid.1', 'delivered', T0 + 2), T0 + 2);
    const settle = c.effects.find((e) => e.type === 'tell' && (e.msg as { type: string }).type === 'settle');
    expect(settle).toBeDefined();
    expect(JSON.stringify(settle)).toContain('"campaignId":"cmp_a"');
  });
});

describe('a send cut off by a stop (PARLO_PORT_CALL_INTERRUPTED)', () => {
  const interrupted = (messageId: string): ConversationMsg => ({
    type: 'sendResult',
    callId: messageId,
    result: { ok: false, code: 'PARLO_PORT_CALL_INTERRUPTED', message: 'in flight when the node stopped' },
  });

  it('asks the port not to repeat the call after a restart', () => {
    const c = new Conversation();
    inFlight(c, 'c1', tag(1), T0);
    const call = c.effects.find((e) => e.type === 'callPort');
    expect(call).toMatchObject({ operation: 'send', onReplay: 'interrupt' });
  });

  it('waits for the status webhook: a status with our key settles it, no second send', () => {
    const c = new Conversation();
    inFlight(c, 'c1', tag(1), T0);
    const turn = c.run(interrupted('c1'), T0 + 10);
    expect(c.message('c1').sendState).toBe('reconciling');
    expect(turn.effects).toEqual([
      expect.objectContaining({ type: 'setTimer', name: 'reconcile:c1', dueAtMs: T0 + 10 + RECONCILE_MS }),
    ]);
    c.run(status('wamid.1', 'sent', T0 + 20, `${ID}/c1`), T0 + 20);
    expect(c.message('c1')).toMatchObject({ sendState: 'accepted', providerMessageId: 'wamid.1' });
    const fired = c.run({ type: 'retrySend', messageId: 'c1' }, T0 + 10 + RECONCILE_MS);
    expect(fired.effects ?? []).toEqual([]);
    expect(c.reports().map((r) => r.outcome)).toEqual(['sent']);
  });

  it('sends again when no status came in time (Meta never had it)', () => {
    const c = new Conversation();
    inFlight(c, 'c1', tag(1), T0);
    c.run(interrupted('c1'), T0 + 10);
    const fired = c.run({ type: 'retrySend', messageId: 'c1' }, T0 + 10 + RECONCILE_MS);
    expect(c.message('c1').sendState).toBe('queued');
    expect(fired.effects).toEqual([
      expect.objectContaining({ type: 'tell', msg: expect.objectContaining({ type: 'requestSlot', messageId: 'c1' }) }),
    ]);
  });
});
