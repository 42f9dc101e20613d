import type { Address, Effect } from '../../core/index.ts';

/**
 * The outbound-webhook event catalogue: what an organisation's endpoints can subscribe to, and the `data` each
 * event carries. Field names are camelCase like the rest of the API; times inside `data` are ISO 8601 strings.
 *
 * An event is emitted once, by the actor that owns the fact (a conversation is resolved by the conversation actor),
 * by telling the organisation's `webhook-endpoints` actor `{ type: 'publishEvent', event }` (`emitWebhookEvent`
 * builds that effect). The endpoints actor starts one delivery per enabled endpoint whose filter matches. The
 * event id is the customer's de-duplication key (`Parlo-Event-Id`): it must be unique within the organisation and
 * stable when the same fact is emitted again (derive it from the fact: a WhatsApp message id, a campaign id).
 */
export const WEBHOOK_EVENT_TYPES = [
  'message.received',
  'message.status',
  'conversation.assigned',
  'conversation.resolved',
  'contact.opted_out',
  'campaign.finished',
  'template.status_changed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** Sent only by "send a test event" (`POST /v1/webhook-endpoints/:endpointId/test`), whatever the filter says. */
export const WEBHOOK_TEST_EVENT_TYPE = 'webhook.test';
export type WebhookTestEventType = typeof WEBHOOK_TEST_EVENT_TYPE;

/** What each event type carries in `data`. */
export interface WebhookEventData {
  /** A customer's message arrived on one of the organisation's numbers. */
  'message.received': {
    readonly phoneNumberId: string;
    /** WhatsApp's message id (`wamid…`). */
    readonly messageId: string;
    /** The customer's WhatsApp id (phone digits); null for username users who withhold it. */
    readonly from: string | null;
    readonly profileName: string | null;
    /** WhatsApp's message type: `text`, `image`, `interactive`, … */
    readonly messageType: string;
    /** WhatsApp's object under the type key, as received (e.g. `{ "body": "Hi" }` for text). */
    readonly content: unknown;
    readonly conversationId: string | null;
    readonly timestamp: string;
  };
  /** An outgoing message changed status (sent, delivered, read, failed, …). */
  'message.status': {
    readonly phoneNumberId: string;
    readonly messageId: string;
    /** The key Parlo sent the message under (`biz_opaque_callback_data`), when it was sent through Parlo. */
    readonly messageKey: string | null;
    readonly status: string;
    readonly recipient: string | null;
    readonly timestamp: string;
    readonly errors: readonly { readonly code: number; readonly title: string; readonly message?: string }[];
  };
  'conversation.assigned': {
    readonly conversationId: string;
    readonly phoneNumberId: string;
    readonly contactWaId: string;
    /** Null when the conversation was unassigned. */
    readonly assigneeUserId: string | null;
    readonly previousAssigneeUserId: string | null;
    /** The user who assigned it; null for automation. */
    readonly assignedBy: string | null;
  };
  'conversation.resolved': {
    readonly conversationId: string;
    readonly phoneNumberId: string;
    readonly contactWaId: string;
    readonly resolvedBy: string | null;
  };
  /** A contact withdrew consent (a STOP keyword, WhatsApp's marketing opt-out, or through the API). */
  'contact.opted_out': {
    /** The contact's key in the API (`p15551234567`, `uUS.1349…`: `/v1/contacts/{contactKey}`). */
    readonly contactId: string | null;
    /** The customer's phone digits; null for username customers whose number WhatsApp withholds. */
    readonly waId: string | null;
    /** The customer's business-scoped user id, when known. */
    readonly userId?: string | null;
    readonly phoneNumberId: string | null;
    /** How: `keyword`, `whatsapp` (WhatsApp's stop button), `api`, `import`, `form`. */
    readonly source: string;
    readonly keyword: string | null;
    /** What the customer opted out of: `marketing` or `utility`. */
    readonly scope?: string;
  };
  'campaign.finished': {
    readonly campaignId: string;
    readonly name: string;
    /** `completed`, `cancelled` or `failed`. */
    readonly outcome: string;
    readonly counts: {
      readonly recipients: number;
      readonly sent: number;
      readonly delivered: number;
      readonly read: number;
      readonly failed: number;
    };
  };
  /** Meta reviewed a message template (APPROVED, REJECTED, PAUSED, DISABLED, …). */
  'template.status_changed': {
    readonly businessAccountId: string;
    readonly templateId: string;
    readonly templateName: string;
    readonly language: string;
    readonly status: string;
    readonly reason: string | null;
    readonly category: string | null;
  };
  'webhook.test': {
    readonly endpointId: string;
    readonly message: string;
  };
}

export type AnyWebhookEventType = WebhookEventType | WebhookTestEventType;

export interface WebhookEvent<T extends AnyWebhookEventType = AnyWebhookEventType> {
  /** Unique within the organisation; the customer's de-duplication key. Printable ASCII, no spaces, ≤ 200. */
  readonly id: string;
  readonly type: T;
  readonly orgId: string;
  readonly occurredAtMs: number;
  readonly data: WebhookEventData[T];
}

/** An event of any catalogue type, discriminated by `type` (so `data` narrows). */
export type AnyWebhookEvent = { [T in AnyWebhookEventType]: WebhookEvent<T> }[AnyWebhookEventType];

export const WEBHOOK_ENDPOINTS_KIND = 'webhook-endpoints';

/** Event ids travel in an HTTP header: printable ASCII without spaces. */
export const WEBHOOK_EVENT_ID_PATTERN = /^[\x21-\x7e]{1,200}$/;

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return typeof value === 'string' && (WEBHOOK_EVENT_TYPES as readonly string[]).includes(value);
}

/** The organisation's endpoints actor: where events are published. */
export function webhookEndpointsAddress(orgId: string): Address {
  return { kind: WEBHOOK_ENDPOINTS_KIND, id: orgId };
}

/** The message that publishes an event to its organisation's endpoints. */
export function webhookEventMessage(event: AnyWebhookEvent): {
  readonly type: 'publishEvent';
  readonly event: AnyWebhookEvent;
} {
  return { type: 'publishEvent', event };
}

/**
 * The message id to tell `webhookEventMessage(event)` with from outside an actor
 * (`system.tell(webhookEndpointsAddress(orgId), webhookEventMessage(event), { msgId: webhookEventMsgId(event) })`),
 * so a re-sent emit is consumed once. Actors need none: their tells leave through the outbox, exactly once.
 */
export function webhookEventMsgId(event: Pick<WebhookEvent, 'id'>): string {
  return `webhook-event:${event.id}`;
}

/** The effect an actor returns to emit an event. */
export function emitWebhookEvent(event: AnyWebhookEvent): Effect {
  return { type: 'tell', to: webhookEndpointsAddress(event.orgId), msg: webhookEventMessage(event) };
}

/** Why an event is malformed, or null. Events come from Parlo's own actors: a malformed one is a bug. */
export function webhookEventProblem(event: unknown, orgId: string): string | null {
  if (typeof event !== 'object' || event === null) return 'the event is not an object';
  const e = event as Partial<Record<keyof WebhookEvent, unknown>>;
  if (typeof e.id !== 'string' || !WEBHOOK_EVENT_ID_PATTERN.test(e.id)) {
    return 'event.id must be 1 to 200 printable ASCII characters without spaces';
  }
  if (!isWebhookEventType(e.type)) return `event.type ${String(e.type)} is not in the webhook event catalogue`;
  if (e.orgId !== orgId) return `event.orgId ${String(e.orgId)} is not this organisation (${orgId})`;
  if (typeof e.occurredAtMs !== 'number' || !Number.isSafeInteger(e.occurredAtMs)) {
    return 'event.occurredAtMs must be an integer (ms since the epoch)';
  }
  if (typeof e.data !== 'object' || e.data === null) return 'event.data must be an object';
  return null;
}
