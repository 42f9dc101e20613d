/**
 * Typed inbound events a channel adapter produces from provider webhooks. Every entry, change, message and status
 * of a webhook becomes one event; what the adapter does not understand becomes an `unsupportedChange` or an
 * inbound message of type `unsupported`, never silence. Field names are ours (camelCase); provider objects that
 * the domain passes through untouched (`content`, `referral`, `errors`) keep the provider's shape.
 */

/** Provider error detail as it appears in webhooks (Meta: `{code, title, message, error_data.details, href}`). */
export interface ChannelError {
  readonly code: number;
  readonly title: string;
  readonly message?: string;
  readonly details?: string;
  readonly href?: string;
}

interface EventBase {
  /** The business account that received the event: WhatsApp phone-number id (absent for account-level fields). */
  readonly accountId?: string;
  /** WhatsApp business account (WABA) id: `entry[].id`. */
  readonly businessAccountId: string;
}

export interface MessageReceived extends EventBase {
  readonly type: 'messageReceived';
  readonly accountId: string;
  readonly providerMessageId: string;
  readonly timestampMs: number;
  /** Sender's phone number (wa_id); absent for username users who withhold it. */
  readonly from?: string;
  /** Business-scoped user id (BSUID), when present. */
  readonly fromUserId?: string;
  readonly profileName?: string;
  readonly username?: string;
  /** Meta's message `type` (`text`, `image`, …, `unsupported`, or a type this adapter does not know yet). */
  readonly messageType: string;
  /** The provider's object under the type key (e.g. `{ body }` for text), as received. */
  readonly content: unknown;
  /** Reply/forward context: `{ from?, id?, forwarded?, frequently_forwarded?, referred_product? }`. */
  readonly context?: Record<string, unknown>;
  /** Click-to-WhatsApp referral (opens a free entry point window). */
  readonly referral?: Record<string, unknown>;
  readonly errors?: readonly ChannelError[];
}

export const DELIVERY_STATUSES = ['sent', 'delivered', 'read', 'played', 'failed', 'deleted'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface StatusUpdated extends EventBase {
  readonly type: 'statusUpdated';
  readonly accountId: string;
  readonly providerMessageId: string;
  readonly status: DeliveryStatus;
  readonly timestampMs: number;
  readonly recipientId?: string;
  readonly recipientUserId?: string;
  /** Our message key, echoed back (Meta: `biz_opaque_callback_data`). */
  readonly messageKey?: string;
  readonly pricing?: {
    readonly billable: boolean;
    readonly pricingModel: string;
    readonly pricingType?: string;
    readonly category: string;
  };
  readonly conversation?: { readonly id: string; readonly originType?: string; readonly expiresAtMs?: number };
  readonly errors?: readonly ChannelError[];
}

/** A business reply sent from the WhatsApp Business app on a coexistence number (`smb_message_echoes`). */
export interface MessageEchoed extends EventBase {
  readonly type: 'messageEchoed';
  readonly accountId: string;
  readonly providerMessageId: string;
  readonly timestampMs: number;
  readonly to: string;
  readonly messageType: string;
  readonly content: unknown;
}

export interface TemplateStatusChanged extends EventBase {
  readonly type: 'templateStatusChanged';
  readonly templateId: string;
  readonly templateName: string;
  readonly language: string;
  readonly event: string;
  readonly reason?: string | null;
  readonly category?: string;
}

export interface TemplateQualityChanged extends EventBase {
  readonly type: 'templateQualityChanged';
  readonly templateId: string;
  readonly templateName: string;
  readonly language: string;
  readonly previousScore: string;
  readonly newScore: string;
}

export interface TemplateCategoryChanged extends EventBase {
  readonly type: 'templateCategoryChanged';
  readonly templateId: string;
  readonly templateName: string;
  readonly language: string;
  readonly previousCategory?: string;
  readonly newCategory: string;
  readonly correctCategory?: string;
}

export interface PhoneNumberQualityChanged extends EventBase {
  readonly type: 'phoneNumberQualityChanged';
  readonly displayPhoneNumber: string;
  readonly event: string;
  /** Messaging limit tier, e.g. `TIER_2K`, `TIER_UNLIMITED`. */
  readonly messagingLimit?: string;
  readonly previousLimit?: string;
}

export interface AccountUpdated extends EventBase {
  readonly type: 'accountUpdated';
  readonly event: string;
  readonly detail: Record<string, unknown>;
}

export interface BusinessCapabilityChanged extends EventBase {
  readonly type: 'businessCapabilityChanged';
  readonly messagingLimit?: string;
  readonly maxPhoneNumbersPerBusiness?: number;
}

export interface UserPreferenceChanged extends EventBase {
  readonly type: 'userPreferenceChanged';
  readonly waId?: string;
  readonly userId?: string;
  readonly category: string;
  /** `stop`, `resume` or `signup`. */
  readonly value: string;
  readonly timestampMs: number;
}

/** Value-level errors (e.g. 130429 rate limit, or an unsupported payload). */
export interface ChannelErrorReported extends EventBase {
  readonly type: 'channelErrorReported';
  readonly errors: readonly ChannelError[];
}

/** A webhook field or shape this adapter does not model; kept whole so nothing is silently dropped. */
export interface UnsupportedChange extends EventBase {
  readonly type: 'unsupportedChange';
  readonly field: string;
  readonly value: unknown;
}

export type InboundEvent =
  | MessageReceived
  | StatusUpdated
  | MessageEchoed
  | TemplateStatusChanged
  | TemplateQualityChanged
  | TemplateCategoryChanged
  | PhoneNumberQualityChanged
  | AccountUpdated
  | BusinessCapabilityChanged
  | UserPreferenceChanged
  | ChannelErrorReported
  | UnsupportedChange;

/**
 * Where an adapter hands inbound events. `record` resolves only once every event is durably stored (so the
 * adapter may answer the provider's webhook with 200), and recognises duplicates by `dedupeKey`.
 */
export interface InboundSink {
  record(events: readonly { readonly event: InboundEvent; readonly dedupeKey: string }[]): Promise<void>;
}
