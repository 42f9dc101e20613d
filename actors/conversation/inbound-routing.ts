import type { Address, InboundEvent } from '../../core/index.ts';
import { customerKeyOf } from '../contacts/customer-key.ts';
import type { WebhookEventType } from '../webhooks/webhook-events.ts';
import { CONVERSATION_KIND, conversationId, parseMessageKey, type ConversationMsg } from './conversation.messages.ts';

/**
 * The conversation a channel event belongs to, and the message that tells it: a customer's message goes to the
 * conversation of its sender, a status to the conversation named by our message key (or, for a message sent
 * outside Parlo, of its recipient). Null for events of no conversation. `idempotent`: the conversation handles a
 * repeat of the message as a no-op (statuses merge by rank), so it may be told without a dedupe id.
 *
 * `webhookTypes` (only when the event comes straight from an organisation's webhook, not through an inbound feed):
 * the customer-webhook event types the organisation subscribes to; the conversation then emits those events itself.
 */
export function conversationDeliveryOf(
  event: InboundEvent,
  orgId: string | undefined,
  webhookTypes?: readonly WebhookEventType[],
): { readonly to: Address; readonly msg: ConversationMsg; readonly idempotent: boolean } | null {
  const customerWebhooks = webhookTypes === undefined ? {} : { webhookTypes };
  if (event.type === 'messageReceived') {
    if (event.from === undefined && event.fromUserId === undefined) return null;
    const key = customerKeyOf({ phone: event.from ?? null, userId: event.fromUserId ?? null });
    const msg: ConversationMsg =
      orgId === undefined ? { type: 'inbound', event } : { type: 'inbound', event, orgId, ...customerWebhooks };
    return { to: { kind: CONVERSATION_KIND, id: conversationId(event.accountId, key) }, msg, idempotent: false };
  }
  if (event.type === 'statusUpdated') {
    const ours = event.messageKey === undefined ? undefined : parseMessageKey(event.messageKey);
    let id = ours?.conversationId;
    if (id === undefined) {
      if (event.recipientId === undefined && event.recipientUserId === undefined) return null;
      id = conversationId(
        event.accountId,
        customerKeyOf({ phone: event.recipientId ?? null, userId: event.recipientUserId ?? null }),
      );
    }
    const msg: ConversationMsg =
      orgId === undefined || webhookTypes === undefined
        ? { type: 'status', event }
        : { type: 'status', event, orgId, webhookTypes };
    return { to: { kind: CONVERSATION_KIND, id }, msg, idempotent: true };
  }
  return null;
}
