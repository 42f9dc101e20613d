/**
 * The channel port: how actors send to and hear from a messaging channel (WhatsApp Cloud API first; SMS and others
 * map to the same shapes). Types only; adapters implement it, `channel.contract.ts` proves them.
 *
 * Message content uses the WhatsApp Cloud API's own vocabulary (the object under `text`, `image`, `template`, …
 * is exactly what Meta's send endpoint takes), because Parlo is a WhatsApp platform first and a translation layer
 * would only lose fields. Envelope fields (`messaging_product`, `to`, `context`, `biz_opaque_callback_data`) are
 * the adapter's business.
 */

/** Meta's media object: by uploaded id or by public link. */
export interface MediaObject {
  readonly id?: string;
  readonly link?: string;
  readonly caption?: string;
  readonly filename?: string;
}

export type MediaType = 'image' | 'video' | 'audio' | 'document' | 'sticker';

export type OutboundContent =
  | { readonly type: 'text'; readonly text: { readonly body: string; readonly preview_url?: boolean } }
  | { readonly type: 'image'; readonly image: MediaObject }
  | { readonly type: 'video'; readonly video: MediaObject }
  | { readonly type: 'audio'; readonly audio: MediaObject }
  | { readonly type: 'document'; readonly document: MediaObject }
  | { readonly type: 'sticker'; readonly sticker: MediaObject }
  | {
      readonly type: 'location';
      readonly location: {
        readonly latitude: number;
        readonly longitude: number;
        readonly name?: string;
        readonly address?: string;
      };
    }
  | { readonly type: 'contacts'; readonly contacts: readonly Record<string, unknown>[] }
  | { readonly type: 'reaction'; readonly reaction: { readonly message_id: string; readonly emoji: string } }
  | { readonly type: 'interactive'; readonly interactive: Record<string, unknown> & { readonly type: string } }
  | {
      readonly type: 'template';
      readonly template: {
        readonly name: string;
        readonly language: { readonly code: string; readonly policy?: string };
        readonly components?: readonly Record<string, unknown>[];
      };
    };

export type OutboundContentType = OutboundContent['type'];

export interface OutboundMessage {
  /** The business's sending account: for WhatsApp, the phone-number id. */
  readonly accountId: string;
  /** Recipient: E.164 digits (with or without `+`) or a business-scoped user id. */
  readonly to: string;
  /**
   * Our own key for this message. It travels with the send (Meta: `biz_opaque_callback_data`) and comes back on
   * every status, so a send whose response was lost can be reconciled, and a re-sent request is recognisable.
   */
  readonly messageKey: string;
  /** Provider id of the message this one replies to (Meta: `context.message_id`). */
  readonly replyToProviderMessageId?: string;
  readonly content: OutboundContent;
  /**
   * The most sends per second of this account the adapter may put on the wire: the number's throughput when it
   * granted this send's slot (the number actor's `slotGranted.ratePerSec`, slow-downs after 130429 included). The
   * grant was paced, but the call happens a few commits later and their varying latency bunches calls, so the
   * adapter spaces its actual calls again: no 1 s window of actual calls for the account holds more than
   * ⌊maxRatePerSec × 1.02⌋ of them (the same 2 % tolerance as the number's pacing), the newest rate given
   * applying to the calls still waiting. Absent: no spacing. A channel that makes no network calls (a test double)
   * has nothing to space.
   */
  readonly maxRatePerSec?: number;
}

/**
 * A send's classified outcome. Remote refusals are outcomes, never exceptions (STYLE rule 4); `code` is the
 * provider's code (Meta's numeric error code) so the actor can record it.
 */
export type SendOutcome =
  | {
      readonly outcome: 'accepted';
      readonly providerMessageId: string;
      /** The recipient id as the provider normalised it (Meta: `contacts[0].wa_id`). */
      readonly recipientId: string;
      readonly providerStatus?: 'accepted' | 'held_for_quality_assessment' | 'paused';
    }
  /** Transient: try again after `afterMs` (or with backoff). */
  | { readonly outcome: 'retry'; readonly code: number; readonly detail: string; readonly afterMs?: number }
  /** Throughput exceeded (Meta 130429, 131056): slow this number down, then retry. */
  | { readonly outcome: 'slowDown'; readonly code: number; readonly detail: string; readonly afterMs?: number }
  /** Free-form outside the customer-service window (Meta 131047): a template is required. */
  | { readonly outcome: 'windowClosed'; readonly code: number; readonly detail: string }
  /** Permanent for this message: fix the request (bad parameter, unknown template, blocked, …). */
  | { readonly outcome: 'rejected'; readonly code: number; readonly detail: string };

/** Read receipt (and optional typing indicator) for an inbound message. */
export interface ReadReceipt {
  readonly accountId: string;
  readonly providerMessageId: string;
  readonly showTyping?: boolean;
}

export type ReadReceiptOutcome =
  { readonly outcome: 'accepted' } | Exclude<SendOutcome, { readonly outcome: 'accepted' }>;

/** What the conversation actor consults instead of asking which provider it has (no `switch (provider)`). */
export interface ChannelCapabilities {
  /** Customer-service window after the customer's last message; null when the channel has none. */
  readonly serviceWindowMs: number | null;
  /** Free-entry-point window after a click-to-WhatsApp ad or post referral; null when none. */
  readonly freeEntryPointWindowMs: number | null;
  /** Whether only templates may be sent outside the service window. */
  readonly templateRequiredOutsideWindow: boolean;
  readonly maxTextLength: number;
  readonly supportedContent: readonly OutboundContentType[];
}

export interface ChannelPort {
  readonly name: string;
  readonly capabilities: ChannelCapabilities;
  send(message: OutboundMessage): Promise<SendOutcome>;
  markRead(receipt: ReadReceipt): Promise<ReadReceiptOutcome>;
}
