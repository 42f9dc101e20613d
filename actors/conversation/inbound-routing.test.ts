import { describe, expect, it } from 'vitest';
import type { MessageReceived, StatusUpdated } from '../../core/index.ts';
import { conversationDeliveryOf } from './inbound-routing.ts';

const received: MessageReceived = {
  type: 'messageReceived',
  accountId: '1001',
  businessAccountId: '2001',
  providerMessageId: 'wamid.IN1',
  timestampMs: 1_000,
  from: '15551234567',
  messageType: 'text',
  content: { body: 'Hi' },
};
const status: StatusUpdated = {
  type: 'statusUpdated',
  accountId: '1001',
  businessAccountId: '2001',
  providerMessageId: 'wamid.OUT1',
  status: 'delivered',
  timestampMs: 2_000,
  recipientId: '15557654321',
};

describe('conversationDeliveryOf', () => {
  it("routes a customer's message to the conversation of its sender, with the organisation's webhook types", () => {
    expect(conversationDeliveryOf(received, 'org1', ['message.received'])).toEqual({
      to: { kind: 'conversation', id: '1001.p15551234567' },
      msg: { type: 'inbound', event: received, orgId: 'org1', webhookTypes: ['message.received'] },
      idempotent: false,
    });
    expect(conversationDeliveryOf(received, undefined)?.msg).toEqual({ type: 'inbound', event: received });
  });

  it('routes a status by our message key, else by its recipient', () => {
    const keyed = { ...status, messageKey: '1001.p15550000001/msg_1' };
    expect(conversationDeliveryOf(keyed, 'org1')?.to).toEqual({ kind: 'conversation', id: '1001.p15550000001' });
    expect(conversationDeliveryOf(status, 'org1', [])).toEqual({
      to: { kind: 'conversation', id: '1001.p15557654321' },
      msg: { type: 'status', event: status, orgId: 'org1', webhookTypes: [] },
      idempotent: true, // merged by rank: a repeated status changes nothing, so it needs no dedupe id
    });
    expect(conversationDeliveryOf(status, 'org1')?.msg).toEqual({ type: 'status', event: status });
  });

  it('has no conversation for an event without a customer', () => {
    const { recipientId: _recipient, ...anonymous } = status;
    expect(conversationDeliveryOf(anonymous, 'org1')).toBeNull();
    expect(
      conversationDeliveryOf(
        { type: 'accountUpdated', businessAccountId: '2001', event: 'ACCOUNT_VIOLATION', detail: {} },
        'org1',
      ),
    ).toBeNull();
  });
});
