import { describe, expect, it } from 'vitest';
import {
  WEBHOOK_EVENT_TYPES,
  emitWebhookEvent,
  isWebhookEventType,
  webhookEndpointsAddress,
  webhookEventMessage,
  webhookEventMsgId,
  webhookEventProblem,
  type AnyWebhookEvent,
} from './webhook-events.ts';

const ORG = '0123456789abcdef';
const EVENT: AnyWebhookEvent = {
  id: 'wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQTdE',
  type: 'message.status',
  orgId: ORG,
  occurredAtMs: Date.UTC(2026, 0, 1),
  data: {
    phoneNumberId: '100000000000002',
    messageId: 'wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQTdE',
    messageKey: 'k1',
    status: 'delivered',
    recipient: '15551234567',
    timestamp: '2026-01-01T00:00:00.000Z',
    errors: [],
  },
};

describe('webhook event catalogue', () => {
  it('has the seven event types of the issue, and not the test event', () => {
    expect(WEBHOOK_EVENT_TYPES).toEqual([
      'message.received',
      'message.status',
      'conversation.assigned',
      'conversation.resolved',
      'contact.opted_out',
      'campaign.finished',
      'template.status_changed',
    ]);
    expect(isWebhookEventType('webhook.test')).toBe(false);
    expect(isWebhookEventType('toString')).toBe(false);
  });

  it('gives emitters the address, the message, its id and the effect', () => {
    expect(webhookEndpointsAddress(ORG)).toEqual({ kind: 'webhook-endpoints', id: ORG });
    expect(webhookEventMessage(EVENT)).toEqual({ type: 'publishEvent', event: EVENT });
    expect(webhookEventMsgId(EVENT)).toBe(`webhook-event:${EVENT.id}`);
    expect(emitWebhookEvent(EVENT)).toEqual({
      type: 'tell',
      to: { kind: 'webhook-endpoints', id: ORG },
      msg: { type: 'publishEvent', event: EVENT },
    });
  });

  it.each<[string, unknown, RegExp | null]>([
    ['a good event', EVENT, null],
    ['not an object', 'x', /not an object/],
    ['an empty id', { ...EVENT, id: '' }, /event\.id/],
    ['an id with a space', { ...EVENT, id: 'a b' }, /event\.id/],
    ['an id with a newline (header injection)', { ...EVENT, id: 'a\r\nX-Evil: 1' }, /event\.id/],
    ['a 201-character id', { ...EVENT, id: 'a'.repeat(201) }, /event\.id/],
    ['an unknown type', { ...EVENT, type: 'message.deleted' }, /catalogue/],
    ['another organisation', { ...EVENT, orgId: 'fedcba9876543210' }, /not this organisation/],
    ['a fractional time', { ...EVENT, occurredAtMs: 1.5 }, /occurredAtMs/],
    ['no data', { ...EVENT, data: null }, /event\.data/],
  ])('checks %s', (_, event, problem) => {
    const found = webhookEventProblem(event, ORG);
    if (problem === null) expect(found).toBeNull();
    else expect(found).toMatch(problem);
  });
});
