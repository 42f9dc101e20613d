import { describe, expect, it } from 'vitest';
import type { InboundEvent } from '../../core/index.ts';
import { webhookEventProblem } from '../webhooks/webhook-events.ts';
import { webhookEventsOf } from './webhook-translation.ts';

const T = 1_767_225_600_000;

const received: InboundEvent = {
  type: 'messageReceived',
  accountId: '1001',
  businessAccountId: '2001',
  providerMessageId: 'wamid.ABC=',
  timestampMs: T,
  from: '15551234567',
  profileName: 'Ada',
  messageType: 'text',
  content: { body: 'Hi' },
};

describe('webhookEventsOf', () => {
  it('gives message.received with an id stable across re-deliveries', () => {
    const [event] = webhookEventsOf(received, 'org1', 'k1', T + 5);
    expect(event).toEqual({
      id: 'message.received.wamid.ABC=',
      type: 'message.received',
      orgId: 'org1',
      occurredAtMs: T,
      data: {
        phoneNumberId: '1001',
        messageId: 'wamid.ABC=',
        from: '15551234567',
        profileName: 'Ada',
        messageType: 'text',
        content: { body: 'Hi' },
        conversationId: null,
        timestamp: '2026-01-01T00:00:00.000Z',
      },
    });
    expect(webhookEventsOf(received, 'org1', 'another key', T + 9)[0]?.id).toBe(event?.id);
    expect(webhookEventProblem(event, 'org1')).toBeNull();
  });

  it('gives message.status per status, with our message key and errors', () => {
    const [failed] = webhookEventsOf(
      {
        type: 'statusUpdated',
        accountId: '1001',
        businessAccountId: '2001',
        providerMessageId: 'wamid.OUT',
        status: 'failed',
        timestampMs: T,
        recipientId: '15551234567',
        messageKey: 'conv-1/msg-9',
        errors: [{ code: 131047, title: 'Re-engagement message', details: 'more than 24 hours' }],
      },
      'org1',
      undefined,
      T,
    );
    expect(failed).toMatchObject({
      id: 'message.status.wamid.OUT.failed',
      type: 'message.status',
      data: {
        messageKey: 'conv-1/msg-9',
        status: 'failed',
        errors: [{ code: 131047, title: 'Re-engagement message' }],
      },
    });
    expect(webhookEventProblem(failed, 'org1')).toBeNull();
  });

  it('gives template.status_changed keyed by the inbound dedupe key, header-safe', () => {
    const [event] = webhookEventsOf(
      {
        type: 'templateStatusChanged',
        businessAccountId: '2001',
        templateId: '77',
        templateName: 'order_update',
        language: 'it',
        event: 'REJECTED',
        reason: 'INVALID_FORMAT',
      },
      'org1',
      'tpl key with spaces',
      T + 1,
    );
    expect(event).toMatchObject({
      id: 'template.status.tpl_key_with_spaces',
      occurredAtMs: T + 1,
      data: { templateName: 'order_update', status: 'REJECTED', reason: 'INVALID_FORMAT', category: null },
    });
    expect(webhookEventProblem(event, 'org1')).toBeNull();
  });

  it('gives nothing for events without a customer webhook', () => {
    expect(
      webhookEventsOf(
        { type: 'accountUpdated', businessAccountId: '2001', event: 'ACCOUNT_VIOLATION', detail: {} },
        'org1',
        'k',
        T,
      ),
    ).toEqual([]);
  });
});
