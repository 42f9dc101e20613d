import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Effect, MessageReceived, StatusUpdated, TurnContext } from '../../core/index.ts';
import type { WalletMsg, WalletReplies } from '../billing/wallet.messages.ts';
import { conversationActor } from './conversation.actor.ts';
import {
  MAX_SEND_ATTEMPTS,
  type ConversationMsg,
  type ConversationReplies,
  type LoggedMessage,
  type MessageCategory,
} from './conversation.messages.ts';
import { findMessage, initialConversationState, type ConversationState } from './conversation.state.ts';

/**
 * Metering on the send path (issue #5, 4): the conversation actor reserves a billable message's price in the
 * organisation's wallet before it asks for a slot, settles it once on the first delivery proof, releases it when
 * the send fails for good, and never bothers the wallet for free messages. Pure handler runs on a fake clock
 * (`ctx.nowMs`); wallet answers are fed back as the runtime would deliver them.
 */

const T0 = Date.UTC(2026, 0, 10, 12);
const HOUR = 3_600_000;
const PHONE = '4915112345678'; // Germany: utility €0.0456, marketing €0.1131 on the default card
const ID = `1001.p${PHONE}`;
const UTILITY_DE = 45_600;
const MARKETING_DE = 113_100;
const BY = { kind: 'user', id: 'usr1' } as const;
const WALLET = { kind: 'wallet', id: 'org1' };

/** One conversation run turn by turn; every effect it returns is kept. */
class Conversation {
  state: ConversationState = initialConversationState();
  readonly effects: Effect[] = [];
  nowMs = T0;

  run(msg: ConversationMsg, nowMs = this.nowMs): { effects: readonly Effect[]; reply: unknown } {
    this.nowMs = nowMs;
    const ctx: TurnContext = { self: { kind: 'conversation', id: ID }, nowMs, msgId: undefined, newId: () => 'id' };
    const result = conversationActor.handle(this.state, msg, ctx);
    this.state = result.state;
    this.effects.push(...(result.effects ?? []));
    return { effects: result.effects ?? [], reply: result.reply };
  }

  message(id: string): LoggedMessage {
    const found = findMessage(this.state, id);
    if (!found) throw new Error(`no message ${id}`);
    return found.message;
  }

  /** What was sent to the wallet (tells and asks), in order. */
  toWallet(): WalletMsg[] {
    return walletMsgs(this.effects);
  }
}

function walletMsgs(effects: readonly Effect[]): WalletMsg[] {
  return effects.flatMap((e) =>
    (e.type === 'tell' || e.type === 'ask') && e.to.kind === 'wallet' ? [e.msg as WalletMsg] : [],
  );
}

const ofType = <T extends Effect['type']>(effects: readonly Effect[], type: T) =>
  effects.filter((e): e is Extract<Effect, { type: T }> => e.type === type);

function template(messageId: string, category: Exclude<MessageCategory, 'service'> = 'utility'): ConversationMsg {
  return {
    type: 'send',
    orgId: 'org1',
    phoneNumberId: '1001',
    customer: { phone: PHONE },
    messageId,
    content: { type: 'template', template: { name: 'order_update', language: { code: 'en' } } },
    category,
    by: BY,
  };
}

function text(messageId: string): ConversationMsg {
  return {
    type: 'send',
    orgId: 'org1',
    phoneNumberId: '1001',
    customer: { phone: PHONE },
    messageId,
    content: { type: 'text', text: { body: 'Hello' } },
    category: 'service',
    by: BY,
  };
}

function inbound(wamid: string, atMs: number, referral = false): ConversationMsg {
  return {
    type: 'inbound',
    orgId: 'org1',
    event: {
      type: 'messageReceived',
      accountId: '1001',
      businessAccountId: '2001',
      providerMessageId: wamid,
      timestampMs: atMs,
      from: PHONE,
      messageType: 'text',
      content: { body: 'Hi' },
      ...(referral ? { referral: { source_type: 'ad', source_id: 'ad1' } } : {}),
    } satisfies MessageReceived,
  };
}

type Pricing = NonNullable<StatusUpdated['pricing']>;
const billed = (category: string): Pricing => ({
  billable: true,
  pricingModel: 'PMP',
  pricingType: 'regular',
  category,
});
const free = (category: string, pricingType = 'free_customer_service'): Pricing => ({
  billable: false,
  pricingModel: 'PMP',
  pricingType,
  category,
});

function status(
  messageId: string,
  s: StatusUpdated['status'],
  atMs: number,
  extra: Partial<Pick<StatusUpdated, 'pricing' | 'errors'>> = {},
): ConversationMsg {
  return {
    type: 'status',
    event: {
      type: 'statusUpdated',
      accountId: '1001',
      businessAccountId: '2001',
      providerMessageId: `wamid.${messageId}`,
      status: s,
      timestampMs: atMs,
      recipientId: PHONE,
      messageKey: `${ID}/${messageId}`,
      ...extra,
    },
  };
}

type ReserveReply = WalletReplies['reserve'];
const held = (messageId: string, reservedMicros: number): ConversationMsg => ({
  type: 'creditReserved',
  callId: messageId,
  reply: {
    ok: true,
    value: {
      ok: true,
      reservationId: `${ID}/${messageId}`,
      reservedMicros,
      availableMicros: 5_000_000,
      status: 'reserved',
      conversation: null,
    } satisfies ReserveReply,
  },
});
const refused = (messageId: string, code: 'PARLO_INSUFFICIENT_CREDIT' | 'PARLO_PLAN_QUOTA_EXCEEDED') =>
  ({
    type: 'creditReserved',
    callId: messageId,
    reply: { ok: true, value: { ok: false, code, message: `refused: ${code}` } satisfies ReserveReply },
  }) satisfies ConversationMsg;
const admitted = (messageId: string): ConversationMsg => ({
  type: 'tierChecked',
  callId: messageId,
  reply: { ok: true, value: { ok: true, admitted: true, alreadyCounted: false } },
});
const accepted = (messageId: string): ConversationMsg => ({
  type: 'sendResult',
  callId: messageId,
  result: { outcome: 'accepted', providerMessageId: `wamid.${messageId}`, recipientId: PHONE },
});

/** A utility template to a customer who never wrote: reserved, admitted, granted, accepted by Meta at T0 + 4. */
function sentTemplate(c: Conversation, messageId: string, category: 'utility' | 'marketing' = 'utility'): void {
  const price = category === 'utility' ? UTILITY_DE : MARKETING_DE;
  c.run(template(messageId, category), T0);
  if (category === 'marketing') {
    c.run(
      {
        type: 'consentChecked',
        callId: messageId,
        reply: { ok: true, value: { ok: true, allowed: true, status: 'optedIn', sinceMs: T0, known: true } },
      },
      T0,
    );
  }
  c.run(held(messageId, price), T0 + 1);
  c.run(admitted(messageId), T0 + 2);
  c.run({ type: 'slotGranted', messageId }, T0 + 3);
  c.run(accepted(messageId), T0 + 4);
}

describe('metering: reserve before the send', () => {
  it('holds the price of a template outside the window before any slot or tier count, under the message key', () => {
    const c = new Conversation();
    const sent = c.run(template('t1'));
    expect(sent.reply).toMatchObject({ ok: true, sendState: 'reserving' } satisfies Partial<
      ConversationReplies['send']
    >);
    // The wallet is the only one asked: no portfolio count, no slot yet.
    expect(ofType(sent.effects, 'ask')).toEqual([
      {
        type: 'ask',
        to: WALLET,
        msg: {
          type: 'reserve',
          reservationId: `${ID}/t1`,
          amountMicros: UTILITY_DE,
          atMs: T0,
          // Business-initiated: its plan conversation is counted in the same turn (all or nothing).
          conversation: {
            conversationKey: `${ID}@${T0}`,
            openedBy: 'business',
            atMs: T0,
            phoneNumberId: '1001',
            conversationId: ID,
          },
        },
        replyType: 'creditReserved',
        callId: 't1',
      },
    ]);
    expect(c.message('t1').billing).toMatchObject({ charge: 'pending', reservedMicros: UTILITY_DE, country: 'DE' });
    const next = c.run(held('t1', UTILITY_DE), T0 + 1);
    expect(c.message('t1')).toMatchObject({ sendState: 'checkingTier', billing: { charge: 'reserved' } });
    expect(ofType(next.effects, 'ask')[0]).toMatchObject({ to: { kind: 'portfolio' }, msg: { type: 'admit' } });
  });

  it('fails a message the wallet cannot pay with PARLO_INSUFFICIENT_CREDIT: no slot, no tier count, no call', () => {
    const c = new Conversation();
    c.run(template('t1'));
    const answer = c.run(refused('t1', 'PARLO_INSUFFICIENT_CREDIT'), T0 + 1);
    expect(c.message('t1')).toMatchObject({
      sendState: 'failed',
      error: { code: 'PARLO_INSUFFICIENT_CREDIT', detail: 'refused: PARLO_INSUFFICIENT_CREDIT' },
      billing: { charge: 'none', reservedMicros: 0 },
    });
    // Nothing was held, so nothing is released; no one else is asked.
    expect(ofType(answer.effects, 'ask')).toEqual([]);
    expect(walletMsgs(answer.effects)).toEqual([]);
    expect(ofType(c.effects, 'callPort')).toEqual([]);
    // A late slot (there was none) would change nothing either.
    expect(c.run({ type: 'slotGranted', messageId: 't1' }, T0 + 2).effects).toEqual([]);
  });

  it('refuses a business-initiated message beyond the plan quota with the wallet’s code', () => {
    const c = new Conversation();
    c.run(template('t1'));
    c.run(refused('t1', 'PARLO_PLAN_QUOTA_EXCEEDED'), T0 + 1);
    expect(c.message('t1')).toMatchObject({ sendState: 'failed', error: { code: 'PARLO_PLAN_QUOTA_EXCEEDED' } });
    expect(ofType(c.effects, 'callPort')).toEqual([]);
  });

  it('asks again with backoff when the wallet does not answer, never sends unpaid, and gives up in the end', () => {
    const c = new Conversation();
    c.run(template('t1'));
    const failure = {
      type: 'creditReserved',
      callId: 't1',
      reply: { ok: false, code: 'PARLO_HANDLER_FAILED', message: 'the wallet threw' },
    } satisfies ConversationMsg;
    let now = T0;
    for (let attempt = 1; attempt <= MAX_SEND_ATTEMPTS; attempt++) {
      const answer = c.run(failure, now);
      expect(ofType(answer.effects, 'setTimer')).toEqual([
        {
          type: 'setTimer',
          name: 'wallet:t1',
          dueAtMs: now + Math.min(60_000, 1000 * 2 ** (attempt - 1)),
          msg: { type: 'retrySend', messageId: 't1' },
        },
      ]);
      now += 60_000;
      const again = c.run({ type: 'retrySend', messageId: 't1' }, now);
      // The same reservation is asked for again (idempotent at the wallet), nothing else.
      expect(walletMsgs(again.effects)).toEqual([
        expect.objectContaining({ type: 'reserve', reservationId: `${ID}/t1`, amountMicros: UTILITY_DE }),
      ]);
      expect(c.message('t1').sendState).toBe('reserving');
    }
    c.run(failure, now);
    expect(c.message('t1')).toMatchObject({ sendState: 'failed', error: { code: 'PARLO_HANDLER_FAILED' } });
    expect(ofType(c.effects, 'callPort')).toEqual([]);
    expect(ofType(c.effects, 'ask').filter((e) => e.to.kind !== 'wallet')).toEqual([]);
  });

  it('re-prices at the slot: a free utility template whose window closed while it waited is reserved first', () => {
    const c = new Conversation();
    c.run(inbound('wamid.IN1', T0));
    const queued = c.run(template('u1'), T0 + 24 * HOUR - 10);
    // Inside the window utility is free: straight to the number, the wallet never hears of it.
    expect(walletMsgs(queued.effects)).toEqual([]);
    expect(c.message('u1').sendState).toBe('queued');
    const late = c.run({ type: 'slotGranted', messageId: 'u1' }, T0 + 24 * HOUR);
    expect(ofType(late.effects, 'callPort')).toEqual([]);
    expect(walletMsgs(late.effects)).toEqual([
      expect.objectContaining({ type: 'reserve', amountMicros: UTILITY_DE, conversation: expect.anything() }),
    ]);
    c.run(held('u1', UTILITY_DE), T0 + 24 * HOUR + 1);
    c.run(admitted('u1'), T0 + 24 * HOUR + 2);
    const sent = c.run({ type: 'slotGranted', messageId: 'u1' }, T0 + 24 * HOUR + 3);
    expect(ofType(sent.effects, 'callPort')).toHaveLength(1);
    expect(c.message('u1').billing).toMatchObject({
      charge: 'reserved',
      insideServiceWindow: false,
      insideFreeEntryPoint: false,
    });
  });
});

describe('metering: settle on the first delivery proof, exactly once', () => {
  it('settles with the charge details in the turn delivery is proven, and never again', () => {
    const c = new Conversation();
    sentTemplate(c, 't1');
    c.run(status('t1', 'sent', T0 + 10_000, { pricing: billed('utility') }), T0 + 11_000);
    expect(c.toWallet().filter((m) => m.type === 'settle')).toEqual([]);
    const delivered = c.run(status('t1', 'delivered', T0 + 12_000, { pricing: billed('utility') }), T0 + 13_000);
    expect(walletMsgs(delivered.effects)).toEqual([
      {
        type: 'settle',
        reservationId: `${ID}/t1`,
        amountMicros: UTILITY_DE,
        charge: {
          category: 'utility',
          country: 'DE',
          phoneNumberId: '1001',
          conversationId: ID,
          campaignId: null,
          rateCardVersion: 1,
          rule: 'utility',
        },
        atMs: T0 + 12_000,
      },
    ]);
    expect(c.message('t1').billing).toMatchObject({ charge: 'settled', chargedMicros: UTILITY_DE });
    for (const msg of [
      status('t1', 'delivered', T0 + 12_000, { pricing: billed('utility') }),
      status('t1', 'read', T0 + 20_000),
      status('t1', 'read', T0 + 20_000),
      status('t1', 'sent', T0 + 10_000, { pricing: billed('utility') }),
    ])
      expect(walletMsgs(c.run(msg, T0 + 30_000).effects)).toEqual([]);
    expect(c.toWallet().filter((m) => m.type === 'settle')).toHaveLength(1);
  });

  it('settles once whatever the order and repetition of the status webhooks (property)', () => {
    const webhooks: ConversationMsg[] = [
      status('t1', 'sent', T0 + 10_000, { pricing: billed('marketing') }),
      status('t1', 'delivered', T0 + 12_000, { pricing: billed('marketing') }),
      status('t1', 'read', T0 + 15_000),
    ];
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: webhooks.length - 1 }), { minLength: 1, maxLength: 12 }),
        (order) => {
          const c = new Conversation();
          sentTemplate(c, 't1', 'marketing');
          for (const i of order) c.run(webhooks[i]!, T0 + 20_000);
          const settles = c.toWallet().filter((m) => m.type === 'settle');
          const proven = order.some((i) => i > 0); // delivered or read seen
          expect(settles).toHaveLength(proven ? 1 : 0);
          if (proven) {
            // Priced by Meta's category at the German marketing rate, dated by the proof that came first (a
            // delivered arriving after a read changes nothing: the charge is booked).
            const firstProof = order.find((i) => i > 0)!;
            expect(settles[0]).toMatchObject({
              amountMicros: MARKETING_DE,
              charge: { category: 'marketing', rule: 'marketing' },
              atMs: firstProof === 1 ? T0 + 12_000 : T0 + 15_000,
            });
          }
          expect(c.toWallet().filter((m) => m.type === 'release')).toEqual([]);
        },
      ),
    );
  });

  it('settles at 0 when Meta did not bill a reserved message (the rest of the reservation is freed)', () => {
    const c = new Conversation();
    sentTemplate(c, 't1');
    c.run(status('t1', 'delivered', T0 + 12_000, { pricing: free('utility') }), T0 + 13_000);
    expect(c.toWallet().filter((m) => m.type === 'settle')).toEqual([
      expect.objectContaining({ amountMicros: 0, charge: expect.objectContaining({ rule: 'utilityInServiceWindow' }) }),
    ]);
  });

  it('charges a message it held nothing for when Meta says it billed it (utility we thought inside the window)', () => {
    const c = new Conversation();
    c.run(inbound('wamid.IN1', T0));
    c.run(template('u1'), T0 + 1);
    c.run({ type: 'slotGranted', messageId: 'u1' }, T0 + 2);
    c.run(accepted('u1'), T0 + 3);
    expect(c.message('u1').billing).toBeUndefined();
    c.run(status('u1', 'delivered', T0 + 5_000, { pricing: billed('utility') }), T0 + 6_000);
    expect(c.toWallet().filter((m) => m.type === 'settle')).toEqual([
      expect.objectContaining({ reservationId: `${ID}/u1`, amountMicros: UTILITY_DE }),
    ]);
    expect(c.message('u1').billing).toMatchObject({ charge: 'settled', reservedMicros: 0 });
  });
});

describe('metering: release when the send fails for good', () => {
  const releases = (c: Conversation) => c.toWallet().filter((m) => m.type === 'release');

  it('releases when Meta refuses the send', () => {
    const c = new Conversation();
    c.run(template('t1'));
    c.run(held('t1', UTILITY_DE), T0 + 1);
    c.run(admitted('t1'), T0 + 2);
    c.run({ type: 'slotGranted', messageId: 't1' }, T0 + 3);
    c.run(
      { type: 'sendResult', callId: 't1', result: { outcome: 'rejected', code: 132001, detail: 'no template' } },
      T0 + 4,
    );
    expect(releases(c)).toEqual([{ type: 'release', reservationId: `${ID}/t1` }]);
    expect(c.message('t1')).toMatchObject({ sendState: 'failed', billing: { charge: 'released' } });
  });

  it('releases when the transient retries are exhausted', () => {
    const c = new Conversation();
    c.run(template('t1'));
    c.run(held('t1', UTILITY_DE), T0 + 1);
    c.run(admitted('t1'), T0 + 2);
    for (let attempt = 1; attempt <= MAX_SEND_ATTEMPTS; attempt++) {
      c.run({ type: 'slotGranted', messageId: 't1' }, T0 + attempt * 100);
      c.run(
        { type: 'sendResult', callId: 't1', result: { outcome: 'retry', code: -2, detail: 'timeout' } },
        T0 + attempt * 100 + 1,
      );
    }
    expect(c.message('t1')).toMatchObject({ sendState: 'failed', billing: { charge: 'released' } });
    expect(releases(c)).toHaveLength(1);
  });

  it('releases on a failed status, once, and still charges a delivery Meta reports afterwards', () => {
    const c = new Conversation();
    sentTemplate(c, 't1');
    const undeliverable = status('t1', 'failed', T0 + 10_000, {
      errors: [{ code: 131026, title: 'Message undeliverable' }],
    });
    c.run(undeliverable, T0 + 11_000);
    c.run(undeliverable, T0 + 12_000);
    expect(releases(c)).toEqual([{ type: 'release', reservationId: `${ID}/t1` }]);
    // A delivery proof outranks the failure (status-merge.ts): Meta bills it, so do we (without a reservation).
    c.run(status('t1', 'delivered', T0 + 13_000, { pricing: billed('utility') }), T0 + 14_000);
    expect(c.toWallet().filter((m) => m.type === 'settle')).toEqual([
      expect.objectContaining({ amountMicros: UTILITY_DE, atMs: T0 + 13_000 }),
    ]);
  });

  it('releases waiting marketing when the customer opts out, including an answer that arrives afterwards', () => {
    const optOut = (wamid: string): ConversationMsg => ({
      type: 'inboundObserved',
      callId: wamid,
      reply: {
        ok: true,
        value: { ok: true, keyword: { kind: 'optOut', keyword: 'stop', language: 'en' }, confirmation: null },
      },
    });
    const c = new Conversation();
    sentTemplate(c, 'sent', 'marketing'); // already accepted: not affected
    c.run(template('queued', 'marketing'), T0 + 10);
    c.run(
      {
        type: 'consentChecked',
        callId: 'queued',
        reply: { ok: true, value: { ok: true, allowed: true, status: 'optedIn', sinceMs: T0, known: true } },
      },
      T0 + 11,
    );
    c.run(held('queued', MARKETING_DE), T0 + 12);
    c.run(template('reserving', 'marketing'), T0 + 13);
    c.run(
      {
        type: 'consentChecked',
        callId: 'reserving',
        reply: { ok: true, value: { ok: true, allowed: true, status: 'optedIn', sinceMs: T0, known: true } },
      },
      T0 + 14,
    );
    expect(c.message('reserving').sendState).toBe('reserving');
    c.run(optOut('wamid.STOP'), T0 + 20);
    expect(c.message('queued')).toMatchObject({ sendState: 'failed', error: { code: 'PARLO_NO_CONSENT' } });
    expect(c.message('reserving')).toMatchObject({ sendState: 'failed', billing: { charge: 'released' } });
    expect(c.message('sent').sendState).toBe('accepted');
    expect(releases(c).map((m) => m.type === 'release' && m.reservationId)).toEqual([
      `${ID}/queued`,
      `${ID}/reserving`,
    ]);
    // The wallet held the price after all (its answer crossed the release): it is released once more.
    c.run(held('reserving', MARKETING_DE), T0 + 21);
    expect(releases(c).filter((m) => m.type === 'release' && m.reservationId === `${ID}/reserving`)).toHaveLength(2);
    expect(ofType(c.effects, 'callPort')).toHaveLength(1); // only the message sent before the opt-out
  });
});

describe('metering: free messages never reach the wallet', () => {
  it('a service reply and a utility template inside the window: no reserve, no settle', () => {
    const c = new Conversation();
    c.run(inbound('wamid.IN1', T0));
    const afterInbound = c.toWallet().length;
    c.run(text('r1'), T0 + 1_000);
    c.run(template('u1'), T0 + 1_001);
    for (const id of ['r1', 'u1']) {
      c.run({ type: 'slotGranted', messageId: id }, T0 + 2_000);
      c.run(accepted(id), T0 + 2_001);
      c.run(status(id, 'sent', T0 + 3_000, { pricing: free(id === 'r1' ? 'service' : 'utility') }), T0 + 3_001);
      c.run(status(id, 'delivered', T0 + 4_000, { pricing: free(id === 'r1' ? 'service' : 'utility') }), T0 + 4_001);
      c.run(status(id, 'read', T0 + 5_000), T0 + 5_001);
      expect(c.message(id)).toMatchObject({ sendState: 'accepted', status: { current: 'read' } });
      expect(c.message(id).billing).toBeUndefined();
    }
    expect(c.toWallet().slice(afterInbound)).toEqual([]);
  });

  it('inside a free entry point a template holds nothing; the business-initiated conversation is still counted', () => {
    const c = new Conversation();
    c.run(inbound('wamid.AD1', T0, true)); // from a click-to-WhatsApp ad
    c.run(text('r1'), T0 + 1_000); // the reply opens the 72 h free entry point
    c.run({ type: 'slotGranted', messageId: 'r1' }, T0 + 1_001);
    c.run(accepted('r1'), T0 + 1_002);
    const later = T0 + 30 * HOUR; // the 24 h service window is closed, the free entry point open
    const sent = c.run(template('m1', 'marketing'), later);
    c.run(
      {
        type: 'consentChecked',
        callId: 'm1',
        reply: { ok: true, value: { ok: true, allowed: true, status: 'optedIn', sinceMs: T0, known: true } },
      },
      later,
    );
    expect(sent.reply).toMatchObject({ sendState: 'checkingConsent' });
    expect(c.toWallet().at(-1)).toEqual({
      type: 'reserve',
      reservationId: `${ID}/m1`,
      amountMicros: 0,
      atMs: later,
      conversation: expect.objectContaining({ conversationKey: `${ID}@${later}`, openedBy: 'business' }),
    });
    c.run(held('m1', 0), later + 1);
    expect(c.message('m1').billing).toMatchObject({ charge: 'none', reservedMicros: 0, insideFreeEntryPoint: true });
    c.run(admitted('m1'), later + 2);
    c.run({ type: 'slotGranted', messageId: 'm1' }, later + 3);
    c.run(accepted('m1'), later + 4);
    const walletBefore = c.toWallet().length;
    c.run(status('m1', 'delivered', later + 5_000, { pricing: free('referral_conversion', 'free_entry_point') }));
    expect(c.toWallet().slice(walletBefore)).toEqual([]);
  });
});

describe('metering: plan conversations', () => {
  const counts = (c: Conversation) => c.toWallet().filter((m) => m.type === 'countConversation');

  it('a customer message that opens one is counted (never refused); the next ones inside it are not', () => {
    const c = new Conversation();
    c.run(inbound('wamid.IN1', T0));
    c.run(inbound('wamid.IN2', T0 + HOUR));
    expect(counts(c)).toEqual([
      {
        type: 'countConversation',
        conversationKey: `${ID}@${T0}`,
        openedBy: 'customer',
        atMs: T0,
        phoneNumberId: '1001',
        conversationId: ID,
      },
    ]);
    c.run(inbound('wamid.IN3', T0 + 25 * HOUR));
    expect(counts(c).map((m) => m.type === 'countConversation' && m.conversationKey)).toEqual([
      `${ID}@${T0}`,
      `${ID}@${T0 + 25 * HOUR}`,
    ]);
  });

  it('templates sent before the wallet answers join the conversation the first one opened (one key)', () => {
    const c = new Conversation();
    c.run(template('t1'), T0);
    c.run(template('t2'), T0 + 500);
    const keys = c
      .toWallet()
      .flatMap((m) => (m.type === 'reserve' && m.conversation ? [m.conversation.conversationKey] : []));
    expect(keys).toEqual([`${ID}@${T0}`, `${ID}@${T0}`]);
  });

  it('a reply inside the window that opens a new plan conversation is counted as the customer’s when accepted', () => {
    const c = new Conversation();
    c.run(inbound('wamid.IN1', T0));
    c.run(inbound('wamid.IN2', T0 + 20 * HOUR)); // keeps the service window open until T0 + 44 h
    const at = T0 + 30 * HOUR; // the plan conversation of T0 ended at T0 + 24 h
    c.run(text('r1'), at);
    c.run({ type: 'slotGranted', messageId: 'r1' }, at + 1);
    const sent = c.run(accepted('r1'), at + 2);
    expect(walletMsgs(sent.effects)).toEqual([
      expect.objectContaining({ type: 'countConversation', conversationKey: `${ID}@${at + 2}`, openedBy: 'customer' }),
    ]);
    expect(counts(c)).toHaveLength(2);
  });
});

describe('metering: one turn is one commit', () => {
  it('the settle goes out in the very turn that records the message as settled (no window to lose or repeat it)', () => {
    const c = new Conversation();
    sentTemplate(c, 't1');
    const before = c.state;
    const turn = c.run(status('t1', 'delivered', T0 + 12_000), T0 + 13_000);
    expect(findMessage(before, 't1')?.message.billing?.charge).toBe('reserved');
    expect(c.message('t1').billing?.charge).toBe('settled');
    expect(walletMsgs(turn.effects).map((m) => m.type)).toEqual(['settle']);
    // Without Meta's pricing on the status, the card's rules decide from the facts at the send.
    expect(walletMsgs(turn.effects)[0]).toMatchObject({ amountMicros: UTILITY_DE, atMs: T0 + 12_000 });
  });
});
