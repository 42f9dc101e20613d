import type { InboundEvent } from '../../core/index.ts';
import type { AnyWebhookEvent } from '../webhooks/webhook-events.ts';

/**
 * The outbound-webhook events a WhatsApp inbound event gives the organisation that received it: a customer's
 * message → `message.received`, a status of one of its messages → `message.status`, Meta's template review →
 * `template.status_changed`. Other inbound events (quality, account updates, echoes) have no customer event yet.
 *
 * Event ids derive from the fact, so a webhook Meta re-sends gives the same id (customers de-duplicate on it):
 * the WhatsApp message id (plus the status), and for template reviews the inbound event's own dedupe key.
 */
export function webhookEventsOf(
  event: InboundEvent,
  orgId: string,
  dedupeKey: string | undefined,
  recordedAtMs: number,
): AnyWebhookEvent[] {
  switch (event.type) {
    case 'messageReceived':
      return [
        {
          id: eventId(`message.received.${event.providerMessageId}`),
          type: 'message.received',
          orgId,
          occurredAtMs: event.timestampMs,
          data: {
            phoneNumberId: event.accountId,
            messageId: event.providerMessageId,
            from: event.from ?? null,
            profileName: event.profileName ?? null,
            messageType: event.messageType,
            content: event.content,
            conversationId: null,
            timestamp: new Date(event.timestampMs).toISOString(),
          },
        },
      ];
    case 'statusUpdated':
      return [
        {
          id: eventId(`message.status.${event.providerMessageId}.${event.status}`),
          type: 'message.status',
          orgId,
          occurredAtMs: event.timestampMs,
          data: {
            phoneNumberId: event.accountId,
            messageId: event.providerMessageId,
            messageKey: event.messageKey ?? null,
            status: event.status,
            recipient: event.recipientId ?? event.recipientUserId ?? null,
            timestamp: new Date(event.timestampMs).toISOString(),
            errors: (event.errors ?? []).map((e) => ({
              code: e.code,
              title: e.title,
              ...(e.message === undefined ? {} : { message: e.message }),
            })),
          },
        },
      ];
    case 'templateStatusChanged': {
      return [
        {
          id: eventId(`template.status.${dedupeKey ?? `${event.templateId}.${event.event}`}`),
          type: 'template.status_changed',
          orgId,
          // Meta's template webhook carries no time of its own: the time Parlo recorded it.
          occurredAtMs: recordedAtMs,
          data: {
            businessAccountId: event.businessAccountId,
            templateId: event.templateId,
            templateName: event.templateName,
            language: event.language,
            status: event.event,
            reason: event.reason ?? null,
            category: event.category ?? null,
          },
        },
      ];
    }
    default:
      return [];
  }
}

/** Event ids travel in a header: printable ASCII without spaces, at most 200 characters. */
function eventId(raw: string): string {
  return raw.replace(/[^\x21-\x7e]/g, '_').slice(0, 200);
}
