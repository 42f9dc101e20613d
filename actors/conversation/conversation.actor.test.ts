import { describe, expect, it } from 'vitest';
import { customerWrites } from './__fixtures__/customer-message.ts';
import { DEFAULT_RATE_CARD, type RateCard } from '../billing/rate-card.ts';
import type { WebhookEventType } from '../webhooks/webhook-events.ts';
import type { Effect, StatusUpdated, TurnContext, TurnResult } from '../../core/index.ts';
import { conversationActor, createConversationActor } from './conversation.actor.ts';
import {
  MAX_SEND_ATTEMPTS,
  MESSAGES_KEPT,
  type ConversationMsg,
  type ConversationReplies,
} from './conversation.messages.ts';
import { findByProviderId, initialConversationState, type ConversationState } from './conversation.state.ts';

const T0 = 1_767_225_600_000;
const HOUR = 3_600_000;
const ID = '1001.p15551234567';
const BY = { kind: 'user', id: 'usr1' } as const;

const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'conversation', id: ID },
  nowMs,
  msgId: undefined,
  newId: () => 'id',
});
const run = (state: ConversationState, msg: ConversationMsg, nowMs = T0): TurnResult<ConversationState> =>
  conversationActor.handle(state, msg, ctx(nowMs));

const inbound = customerWrites;

const sendText = (messageId: string): ConversationMsg => ({
  type: 'send',
  orgId: 'org1',
  phoneNumberId: '1001',
  customer: { phone: '15551234567' },
  messageId,
  content: { type: 'text', text: { body: 'Hello' } },
  category: 'service',
  by: BY,
});

const sendTemplate = (messageId: string): ConversationMsg => ({
  type: 'send',
  orgId: 'org1',
  phoneNumberId: '1001',
  customer: { phone: '15551234567' },
  messageId,
  content: { type: 'template', template: { name: 'order_update', language: { code: 'en' } } },
  category: 'utility',
  by: BY,
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
    recipientId: '15551234567',
    ...(messageKey === undefined ? {} : { messageKey }),
  },
});

/** The wallet's answer to a `reserve`: the price is held. */
const walletHeld = (messageId: string, reservedMicros: number): ConversationMsg => ({
  type: 'creditReserved',
  callId: messageId,
  reply: {
    ok: true,
    value: {
      ok: true,
      reservationId: `${ID}/${messageId}`,
      reservedMicros,
      availableMicros: 1_000_000,
      status: 'reserved',
      conversation: null,
    },
  },
});

const ofType = <T extends Effect['type']>(effects: readonly Effect[] | undefined, type: T) =>
  (effects ?? []).filter((e): e is Extract<Effect, { type: T }> => e.type === type);

/** Customer wrote at T0; a free-form reply `m1` was queued and granted (the call is in flight). */
function sending(): ConversationState {
  let state = run(initialConversationState(), inbound('wamid.IN1', T0)).state;
  state = run(state, sendText('m1'), T0 + 1).state;
  return run(state, { type: 'slotGranted', messageId: 'm1' }, T0 + 2).state;
}

describe('conversation actor', () => {
  it('refuses a free-form message outside the window with PARLO_WINDOW_CLOSED and logs nothing', () => {
    const never = run(initialConversationState(), sendText('m1'));
    expect(never.reply).toMatchObject({ ok: false, code: 'PARLO_WINDOW_CLOSED' });
    expect(never.state.log).toEqual([]);
    const opened = run(initialConversationState(), inbound('wamid.IN1', T0)).state;
    expect(run(opened, sendText('m1'), T0 + 24 * HOUR - 1).reply).toMatchObject({ ok: true, sendState: 'queued' });
    const closed = run(opened, sendText('m1'), T0 + 24 * HOUR);
    expect(closed.reply).toMatchObject({ ok: false, code: 'PARLO_WINDOW_CLOSED' });
    expect((closed.reply as { message: string }).message).toContain('2026-01-02T00:00:00.000Z');
  });

  it('checks a template outside the window against the portfolio limit, then asks the number at its priority', () => {
    // A utility template outside the window is billable (US rate, €0.0033) and opens a plan conversation: the
    // wallet holds its price first (conversation.metering.test.ts), then the portfolio counts the customer.
    const reserving = run(initialConversationState(), sendTemplate('t1'));
    expect(reserving.reply).toEqual({ ok: true, messageId: 't1', conversationId: ID, sendState: 'reserving' });
    expect(ofType(reserving.effects, 'ask')).toEqual([
      expect.objectContaining({ to: { kind: 'wallet', id: 'org1' }, replyType: 'creditReserved', callId: 't1' }),
    ]);
    const result = run(reserving.state, walletHeld('t1', 3_300));
    expect(result.state.log.find((m) => m.id === 't1')?.sendState).toBe('checkingTier');
    expect(ofType(result.effects, 'ask')).toEqual([
      {
        type: 'ask',
        to: { kind: 'portfolio', id: 'org1' },
        msg: { type: 'admit', customerKey: 'p15551234567' },
        replyType: 'tierChecked',
        callId: 't1',
      },
    ]);
    // A repeated send of the same message id changes nothing.
    const again = run(result.state, sendTemplate('t1'));
    expect(again.state).toBe(result.state);
    expect(again.effects).toBeUndefined();
    const admitted = run(result.state, {
      type: 'tierChecked',
      callId: 't1',
      reply: { ok: true, value: { ok: true, admitted: true, alreadyCounted: false } },
    });
    // A tell: the grant is the answer (a refusal comes back as slotRequested).
    expect(ofType(admitted.effects, 'tell').filter((e) => e.to.kind === 'number')).toEqual([
      {
        type: 'tell',
        to: { kind: 'number', id: '1001' },
        msg: {
          type: 'requestSlot',
          requester: { kind: 'conversation', id: ID },
          messageId: 't1',
          priority: 'utility',
          recipient: 'p15551234567',
        },
      },
    ]);
    expect(ofType(admitted.effects, 'ask')).toEqual([]);
  });

  it('defers a template past the portfolio limit with PARLO_TIER_LIMIT and asks again when a customer drops out', () => {
    const checking = run(run(initialConversationState(), sendTemplate('t1')).state, walletHeld('t1', 3_300)).state;
    const deferred = run(checking, {
      type: 'tierChecked',
      callId: 't1',
      reply: { ok: true, value: { ok: true, admitted: false, nextFreeAtMs: T0 + HOUR, limit: 250, count: 250 } },
    });
    expect(deferred.state.log.find((m) => m.id === 't1')).toMatchObject({
      sendState: 'deferred',
      error: { code: 'PARLO_TIER_LIMIT' },
    });
    expect(ofType(deferred.effects, 'setTimer')).toEqual([
      { type: 'setTimer', name: 'tier:t1', dueAtMs: T0 + HOUR, msg: { type: 'retrySend', messageId: 't1' } },
    ]);
    const retried = run(deferred.state, { type: 'retrySend', messageId: 't1' }, T0 + HOUR);
    expect(ofType(retried.effects, 'ask')[0]).toMatchObject({ to: { kind: 'portfolio' }, msg: { type: 'admit' } });
    // Inside the window a template is no business-initiated message: no tier check.
    const opened = run(initialConversationState(), inbound('wamid.IN1', T0)).state;
    expect(ofType(run(opened, sendTemplate('t2'), T0 + 1).effects, 'tell')).toContainEqual(
      expect.objectContaining({ to: { kind: 'number', id: '1001' } }),
    );
  });

  it('calls the channel port when the slot comes, with our message key, and records the accepted id', () => {
    let state = run(initialConversationState(), inbound('wamid.IN1', T0)).state;
    state = run(state, sendText('m1'), T0 + 1).state;
    const granted = run(state, { type: 'slotGranted', messageId: 'm1', ratePerSec: 80 }, T0 + 2);
    expect(ofType(granted.effects, 'callPort')).toEqual([
      {
        type: 'callPort',
        port: 'whatsapp-cloud',
        operation: 'send',
        input: {
          accountId: '1001',
          to: '15551234567',
          messageKey: `${ID}/m1`,
          content: { type: 'text', text: { body: 'Hello' } },
          // The number's pace at the grant: the adapter keeps it on the wire.
          maxRatePerSec: 80,
        },
        resultType: 'sendResult',
        callId: 'm1',
        onReplay: 'interrupt',
      },
    ]);
    const accepted = run(
      granted.state,
      {
        type: 'sendResult',
        callId: 'm1',
        result: { outcome: 'accepted', providerMessageId: 'wamid.OUT1', recipientId: '15551234567' },
      },
      T0 + 3,
    );
    const message = accepted.state.log.find((m) => m.id === 'm1');
    expect(message).toMatchObject({ sendState: 'accepted', providerMessageId: 'wamid.OUT1', attempts: 1 });
    expect(findByProviderId(accepted.state, 'wamid.OUT1')?.message.id).toBe('m1');
  });

  it('takes a repeated status as a no-op: the very same state, no effects, no customer webhook again', () => {
    let state = run(initialConversationState(), inbound('wamid.IN1', T0)).state;
    state = run(state, sendText('m1'), T0 + 1).state;
    state = run(state, { type: 'slotGranted', messageId: 'm1' }, T0 + 2).state;
    state = run(
      state,
      {
        type: 'sendResult',
        callId: 'm1',
        result: { outcome: 'accepted', providerMessageId: 'wamid.OUT1', recipientId: '15551234567' },
      },
      T0 + 3,
    ).state;
    const delivered = {
      ...(status('wamid.OUT1', 'delivered', T0 + 5, `${ID}/m1`) as Extract<ConversationMsg, { type: 'status' }>),
      orgId: 'org1',
      webhookTypes: ['message.status'] as const,
    };
    const first = run(state, delivered, T0 + 6);
    expect(first.state).not.toBe(state);
    expect(ofType(first.effects, 'tell').filter((e) => e.to.kind === 'webhook-endpoints')).toHaveLength(1);
    const again = run(first.state, delivered, T0 + 7);
    expect(again.state).toBe(first.state);
    expect(again.effects ?? []).toEqual([]);
  });

  it('fails a queued free-form message whose window closed before its slot came', () => {
    let state = run(initialConversationState(), inbound('wamid.IN1', T0)).state;
    state = run(state, sendText('m1'), T0 + 24 * HOUR - 10).state;
    const late = run(state, { type: 'slotGranted', messageId: 'm1' }, T0 + 24 * HOUR);
    expect(ofType(late.effects, 'callPort')).toEqual([]);
    expect(late.state.log.find((m) => m.id === 'm1')).toMatchObject({
      sendState: 'failed',
      error: { code: 'PARLO_WINDOW_CLOSED' },
    });
  });

  it('retries transient failures with backoff, then gives up', () => {
    let state = sending();
    for (let attempt = 1; attempt <= MAX_SEND_ATTEMPTS; attempt++) {
      const result = run(
        state,
        { type: 'sendResult', callId: 'm1', result: { outcome: 'retry', code: -2, detail: 'timeout' } },
        T0 + 10,
      );
      state = result.state;
      const message = state.log.find((m) => m.id === 'm1')!;
      if (attempt < MAX_SEND_ATTEMPTS) {
        expect(message.sendState).toBe('queued');
        expect(ofType(result.effects, 'setTimer')[0]).toMatchObject({
          name: 'retry:m1',
          dueAtMs: T0 + 10 + Math.min(60_000, 1000 * 2 ** (attempt - 1)),
        });
        state = run(state, { type: 'retrySend', messageId: 'm1' }, T0 + 20).state;
        state = run(state, { type: 'slotGranted', messageId: 'm1' }, T0 + 30).state;
      } else {
        expect(message).toMatchObject({ sendState: 'failed', attempts: MAX_SEND_ATTEMPTS });
        expect(message.error?.detail).toContain('gave up');
      }
    }
  });

  it('hands a 130429 back to the number (it slows down) and waits on its own after a pair-rate 131056', () => {
    const throttled = run(sending(), {
      type: 'sendResult',
      callId: 'm1',
      result: { outcome: 'slowDown', code: 130429, detail: 'x' },
    });
    expect(ofType(throttled.effects, 'tell')).toEqual([
      {
        type: 'tell',
        to: { kind: 'number', id: '1001' },
        msg: {
          type: 'throttled',
          code: 130429,
          requester: { kind: 'conversation', id: ID },
          messageId: 'm1',
          priority: 'reply',
        },
      },
    ]);
    expect(throttled.state.log.find((m) => m.id === 'm1')?.sendState).toBe('queued');
    const pair = run(sending(), {
      type: 'sendResult',
      callId: 'm1',
      result: { outcome: 'slowDown', code: 131056, detail: 'x', afterMs: 6000 },
    });
    // The pair rate: the number backs this recipient off and grants the message again later.
    expect(pair.state.log.find((m) => m.id === 'm1')?.sendState).toBe('queued');
    expect(ofType(pair.effects, 'tell')).toEqual([
      {
        type: 'tell',
        to: { kind: 'number', id: '1001' },
        msg: {
          type: 'pairThrottled',
          code: 131056,
          requester: { kind: 'conversation', id: ID },
          messageId: 'm1',
          priority: 'reply',
          recipient: 'p15551234567',
        },
      },
    ]);
    expect(ofType(pair.effects, 'setTimer')).toEqual([]);
  });

  it('reports a marketing message refused as blocked or spam to the number once, as negative feedback', () => {
    const marketing = (code: number) =>
      run(sending(), {
        type: 'sendResult',
        callId: 'm1',
        result: { outcome: 'rejected', code, detail: 'x' },
      });
    // m1 of sending() is a free-form reply: not marketing, so nothing is reported.
    expect(ofType(marketing(131026).effects, 'tell').filter((e) => e.to.kind === 'number')).toEqual([]);
    // The same message as marketing: blocked (131026) and spam-limited (131048) are reported, others are not.
    const base = sending();
    const asMarketing: ConversationState = {
      ...base,
      log: base.log.map((m) => (m.id === 'm1' ? { ...m, category: 'marketing' as const } : m)),
    };
    const refusedWith = (code: number) =>
      ofType(
        run(asMarketing, { type: 'sendResult', callId: 'm1', result: { outcome: 'rejected', code, detail: 'x' } })
          .effects,
        'tell',
      ).filter((e) => e.to.kind === 'number');
    expect(refusedWith(131026)).toEqual([
      {
        type: 'tell',
        to: { kind: 'number', id: '1001' },
        msg: { type: 'negativeFeedbackObserved', signal: 'blocked', code: 131026 },
      },
    ]);
    expect(refusedWith(131048)[0]?.msg).toMatchObject({ signal: 'spamLimited' });
    expect(refusedWith(100)).toEqual([]);
  });

  it('records a refusal with Meta’s code', () => {
    const refused = run(sending(), {
      type: 'sendResult',
      callId: 'm1',
      result: { outcome: 'rejected', code: 131026, detail: 'undeliverable' },
    });
    expect(refused.state.log.find((m) => m.id === 'm1')).toMatchObject({
      sendState: 'failed',
      error: { code: 131026, detail: 'undeliverable' },
    });
  });

  it('merges statuses in any order and repetition to the same state, and reconciles a lost send answer', () => {
    const base = sending();
    const statuses = [
      status('wamid.OUT1', 'sent', T0 + 5, `${ID}/m1`),
      status('wamid.OUT1', 'delivered', T0 + 6, `${ID}/m1`),
      status('wamid.OUT1', 'read', T0 + 7, `${ID}/m1`),
    ];
    const apply = (order: ConversationMsg[]) => order.reduce((s, msg) => run(s, msg).state, base);
    const inOrder = apply(statuses);
    const shuffled = apply([statuses[2]!, statuses[0]!, statuses[2]!, statuses[1]!, statuses[0]!]);
    expect(shuffled.log).toEqual(inOrder.log);
    // The send's own answer never came (timeout after Meta accepted): the status settled it.
    expect(inOrder.log.find((m) => m.id === 'm1')).toMatchObject({
      sendState: 'accepted',
      providerMessageId: 'wamid.OUT1',
      status: { current: 'read' },
    });
    expect(findByProviderId(inOrder, 'wamid.OUT1')?.message.id).toBe('m1');
    const unknown = run(inOrder, status('wamid.ELSEWHERE', 'sent', T0));
    expect(unknown.state.unknownStatuses).toBe(1);
  });

  it('records each inbound message once, counts it against the number, and keeps the newest messages', () => {
    const first = run(initialConversationState(), inbound('wamid.IN1', T0));
    expect(ofType(first.effects, 'tell')).toEqual([
      { type: 'tell', to: { kind: 'number', id: '1001' }, msg: { type: 'inboundCounted', count: 1 } },
      // The customer opened a plan conversation: the wallet counts it (conversation.metering.test.ts).
      expect.objectContaining({
        to: { kind: 'wallet', id: 'org1' },
        msg: expect.objectContaining({ openedBy: 'customer' }),
      }),
      // Its contact observes it: identifiers, last seen, opt-out keywords (contact.actor.ts).
      expect.objectContaining({ to: { kind: 'contact', id: 'org1.p15551234567' } }),
      // The number's conversation list learns of it (summary.ts).
      expect.objectContaining({ to: { kind: 'conversation-index', id: '1001' } }),
      // Its text can be searched for (search-feed.ts).
      expect.objectContaining({
        to: { kind: 'message-search', id: '1001' },
        msg: expect.objectContaining({ type: 'indexTexts' }),
      }),
      // So does the organisation's inbox (inbox/inbox-events.ts).
      expect.objectContaining({
        to: { kind: 'inbox-stream', id: 'org1' },
        msg: { type: 'append', events: [expect.objectContaining({ type: 'message' })] },
      }),
      // Nobody is assigned: the organisation's assignment actor hears of it (operators/conversation-assignment.ts).
      {
        type: 'tell',
        to: { kind: 'assignment', id: 'org1' },
        msg: { type: 'needsOperator', conversationId: ID, phoneNumberId: '1001' },
      },
    ]);
    expect(first.state).toMatchObject({
      orgId: 'org1',
      phoneNumberId: '1001',
      customer: { phone: '15551234567', profileName: 'Ada' },
    });
    expect(run(first.state, inbound('wamid.IN1', T0)).state).toBe(first.state);
    let state = first.state;
    for (let i = 2; i <= MESSAGES_KEPT + 5; i++) state = run(state, inbound(`wamid.IN${i}`, T0 + i)).state;
    expect(state.log).toHaveLength(MESSAGES_KEPT);
    expect(state.log[0]?.id).toBe('wamid.IN6');
    expect(findByProviderId(state, 'wamid.IN5')).toBeUndefined();
    expect(findByProviderId(state, 'wamid.IN6')?.index).toBe(0);
  });

  it('pages the log newest first with a before cursor, with the window state', () => {
    let state = initialConversationState();
    for (let i = 1; i <= 5; i++) state = run(state, inbound(`wamid.IN${i}`, T0 + i)).state;
    const page = run(state, { type: 'getConversation', limit: 2 }, T0 + 10)
      .reply as ConversationReplies['getConversation'];
    expect(page.conversation.messages.map((m) => m.id)).toEqual(['wamid.IN5', 'wamid.IN4']);
    expect(page.conversation.window).toMatchObject({
      canSendFreeForm: true,
      service: { isOpen: true, expiresAtMs: T0 + 5 + 24 * HOUR },
    });
    const next = run(state, { type: 'getConversation', limit: 2, before: page.conversation.nextBefore! })
      .reply as ConversationReplies['getConversation'];
    expect(next.conversation.messages.map((m) => m.id)).toEqual(['wamid.IN3', 'wamid.IN2']);
  });

  const sendMarketing = (messageId: string): ConversationMsg => ({
    ...(sendTemplate(messageId) as Extract<ConversationMsg, { type: 'send' }>),
    category: 'marketing',
  });

  it('asks the contact for marketing consent before asking for a slot, and fails the message without it', () => {
    const queued = run(initialConversationState(), sendMarketing('mk1'));
    expect(queued.reply).toMatchObject({ ok: true, sendState: 'checkingConsent' });
    expect(ofType(queued.effects, 'ask')).toEqual([
      {
        type: 'ask',
        to: { kind: 'contact', id: 'org1.p15551234567' },
        msg: { type: 'checkConsent', scope: 'marketing' },
        replyType: 'consentChecked',
        callId: 'mk1',
      },
    ]);
    const allowed = run(queued.state, {
      type: 'consentChecked',
      callId: 'mk1',
      reply: { ok: true, value: { ok: true, allowed: true, status: 'optedIn', sinceMs: T0, known: true } },
    });
    // With consent, the wallet holds the price (US marketing, €0.0207), then the portfolio counts the customer.
    expect(allowed.state.log.find((m) => m.id === 'mk1')?.sendState).toBe('reserving');
    expect(ofType(allowed.effects, 'ask')[0]).toMatchObject({ msg: { type: 'reserve', amountMicros: 20_700 } });
    const held = run(allowed.state, walletHeld('mk1', 20_700));
    expect(held.state.log.find((m) => m.id === 'mk1')?.sendState).toBe('checkingTier');
    expect(ofType(held.effects, 'ask')[0]).toMatchObject({ msg: { type: 'admit' } });
    const denied = run(queued.state, {
      type: 'consentChecked',
      callId: 'mk1',
      reply: { ok: true, value: { ok: true, allowed: false, status: 'optedOut', sinceMs: T0, known: true } },
    });
    expect(denied.state.log.find((m) => m.id === 'mk1')).toMatchObject({
      sendState: 'failed',
      error: { code: 'PARLO_NO_CONSENT' },
    });
    // Nothing more is sent; only the conversation list (summary.ts) and the inbox (inbox-events.ts) learn that the
    // newest message failed.
    expect(denied.effects?.map((e) => (e.type === 'tell' ? e.to.kind : e.type))).toEqual([
      'conversation-index',
      'inbox-stream',
    ]);
  });

  it("emits the organisation's subscribed customer webhooks for an event that came straight from its webhook", () => {
    const told = (webhookTypes: readonly WebhookEventType[] | undefined) =>
      ofType(
        run(initialConversationState(), {
          ...(inbound('wamid.IN1', T0) as Extract<ConversationMsg, { type: 'inbound' }>),
          ...(webhookTypes === undefined ? {} : { webhookTypes }),
        }).effects,
        'tell',
      ).filter((e) => e.to.kind === 'webhook-endpoints');
    // Through the inbound feed (no webhookTypes): the feed emitted them already.
    expect(told(undefined)).toEqual([]);
    expect(told([])).toEqual([]);
    expect(told(['message.status'])).toEqual([]);
    expect(told(['message.received'])).toEqual([
      {
        type: 'tell',
        to: { kind: 'webhook-endpoints', id: 'org1' },
        msg: {
          type: 'publishEvent',
          event: expect.objectContaining({
            type: 'message.received',
            data: expect.objectContaining({ messageId: 'wamid.IN1' }),
          }),
        },
      },
    ]);
  });

  it('prices with the rate cards it was created with (billing.rateCardsFile), newest card in force first', () => {
    const rates = {
      marketing: 12_345,
      utility: 1_000,
      authentication: 900,
      authenticationInternational: null,
      service: 0,
    };
    const card2: RateCard = { ...DEFAULT_RATE_CARD, version: 2, effectiveFromMs: T0 - HOUR, rates: { other: rates } };
    const actor = createConversationActor({ rateCards: [DEFAULT_RATE_CARD, card2] });
    const queued = actor.handle(initialConversationState(), sendMarketing('mk1'), ctx(T0)).state;
    const allowed = actor.handle(
      queued,
      {
        type: 'consentChecked',
        callId: 'mk1',
        reply: { ok: true, value: { ok: true, allowed: true, status: 'optedIn', sinceMs: T0, known: true } },
      },
      ctx(T0),
    );
    // The US has no row in card 2: its `other` row prices the message (the built-in card says 20,700).
    expect(ofType(allowed.effects, 'ask')[0]).toMatchObject({ msg: { type: 'reserve', amountMicros: 12_345 } });
    expect(allowed.state.log.find((m) => m.id === 'mk1')?.billing).toMatchObject({ rateCardVersion: 2 });
  });

  it('asks the contact again while a short customer message is still being matched against keywords', () => {
    const queued = run(initialConversationState(), sendMarketing('mk1'));
    const pending = run(
      queued.state,
      {
        type: 'consentChecked',
        callId: 'mk1',
        reply: {
          ok: true,
          value: { ok: true, allowed: false, status: 'optedIn', sinceMs: T0, known: true, isKeywordPending: true },
        },
      },
      T0 + 10,
    );
    expect(pending.state.log.find((m) => m.id === 'mk1')?.sendState).toBe('checkingConsent');
    expect(ofType(pending.effects, 'setTimer')).toEqual([
      { type: 'setTimer', name: 'consent:mk1', dueAtMs: T0 + 260, msg: { type: 'retrySend', messageId: 'mk1' } },
    ]);
    const again = run(pending.state, { type: 'retrySend', messageId: 'mk1' }, T0 + 260);
    expect(ofType(again.effects, 'ask')[0]).toMatchObject({ msg: { type: 'checkConsent', scope: 'marketing' } });
    const allowed = run(again.state, {
      type: 'consentChecked',
      callId: 'mk1',
      reply: { ok: true, value: { ok: true, allowed: true, status: 'optedIn', sinceMs: T0, known: true } },
    });
    expect(allowed.state.log.find((m) => m.id === 'mk1')?.sendState).toBe('reserving');
  });

  it('has the contact observe each customer message, and on an opt-out fails waiting marketing and confirms', () => {
    const wrote = run(initialConversationState(), inbound('wamid.IN1', T0));
    expect(ofType(wrote.effects, 'tell').find((e) => e.to.kind === 'contact')).toMatchObject({
      to: { kind: 'contact', id: 'org1.p15551234567' },
      msg: { type: 'observeInbound', atMs: T0 + 999, messageId: 'wamid.IN1', phone: '15551234567', text: 'Hi' },
    });
    expect(ofType(wrote.effects, 'ask')).toEqual([]);
    let state = run(wrote.state, sendMarketing('mk1'), T0 + 1).state;
    state = run(state, {
      type: 'consentChecked',
      callId: 'mk1',
      reply: { ok: true, value: { ok: true, allowed: true, status: 'optedIn', sinceMs: T0, known: true } },
    }).state;
    const stop = run(
      state,
      {
        type: 'inboundObserved',
        callId: 'wamid.IN2',
        reply: {
          ok: true,
          value: {
            ok: true,
            keyword: { kind: 'optOut', keyword: 'stop', language: 'en' },
            confirmation: 'You are unsubscribed.',
          },
        },
      },
      T0 + 5,
    );
    expect(stop.state.log.find((m) => m.id === 'mk1')).toMatchObject({
      sendState: 'failed',
      error: { code: 'PARLO_NO_CONSENT' },
    });
    expect(stop.state.log.find((m) => m.id === 'confirm_wamid.IN2')).toMatchObject({
      direction: 'out',
      category: 'service',
      sendState: 'queued',
      content: { type: 'text', text: { body: 'You are unsubscribed.' } },
    });
    expect(ofType(stop.effects, 'tell')).toContainEqual(
      expect.objectContaining({
        msg: expect.objectContaining({ type: 'requestSlot', messageId: 'confirm_wamid.IN2', priority: 'reply' }),
      }),
    );
    // A re-delivered answer queues no second confirmation.
    const again = run(stop.state, {
      type: 'inboundObserved',
      callId: 'wamid.IN2',
      reply: {
        ok: true,
        value: {
          ok: true,
          keyword: { kind: 'optOut', keyword: 'stop', language: 'en' },
          confirmation: 'You are unsubscribed.',
        },
      },
    });
    expect(again.state.log.filter((m) => m.id === 'confirm_wamid.IN2')).toHaveLength(1);
  });
});
