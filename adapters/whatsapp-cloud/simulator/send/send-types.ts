/**
 * Public types and limits of the send validator ({@link ./validate-send.ts}), shared by the per-type validators.
 */

import type { GraphError } from './graph-error.ts';

export type TemplateStatus = 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED';
export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
export type TemplateHeaderFormat = 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION';
export type TemplateButtonSubType = 'quick_reply' | 'url' | 'copy_code' | 'flow' | 'catalog' | 'phone_number';

/** A button of an approved template: its position, kind, and how many variables it takes at send time. */
export interface TemplateButtonInfo {
  index: number;
  subType: TemplateButtonSubType;
  /**
   * Parameters a send must supply for this button when it sends a component for it (url with `{{1}}`: 1,
   * copy_code: 1, quick_reply: 1 payload, flow/catalog: 1 action, phone_number: 0). A component is required only
   * for `url` and `copy_code` buttons with parameters; the others may be left out (Meta then uses defaults).
   */
  paramCount: number;
}

/** What the simulator knows about one template in one language, as the server's template store answers it. */
export interface TemplateInfo {
  status: TemplateStatus;
  category: TemplateCategory;
  parameterFormat: 'positional' | 'named';
  headerFormat?: TemplateHeaderFormat;
  /** Variables in a TEXT header (0 or 1 at Meta); media and location headers always take exactly one parameter. */
  headerParamCount: number;
  /** Named templates: the body's `{{name}}` variables, in any order. Empty for positional templates. */
  bodyParamNames: readonly string[];
  bodyParamCount: number;
  buttons: readonly TemplateButtonInfo[];
}

/** Read-only views into simulator state that validation needs. */
export interface SendLookups {
  template(name: string, languageCode: string): TemplateInfo | undefined;
  mediaExists(mediaId: string): boolean;
}

/** Message types a business can send (the object sits under the key of the same name). */
export const SEND_MESSAGE_TYPES = [
  'audio',
  'contacts',
  'document',
  'image',
  'interactive',
  'location',
  'reaction',
  'sticker',
  'template',
  'text',
  'video',
] as const;
export type SendMessageType = (typeof SEND_MESSAGE_TYPES)[number];

/** Types Meta knows from webhooks but a business cannot send: 131051 rather than 100. */
export const INBOUND_ONLY_MESSAGE_TYPES = ['button', 'order', 'system', 'unsupported'] as const;

export const INTERACTIVE_TYPES = [
  'button',
  'list',
  'cta_url',
  'product',
  'product_list',
  'catalog_message',
  'flow',
  'location_request_message',
  'address_message',
  'order_details',
  'order_status',
  'call_permission_request',
] as const;
export type InteractiveType = (typeof INTERACTIVE_TYPES)[number];

export type RecipientType = 'individual' | 'group';

/** How `to` was read: a phone number, a business-scoped user id (BSUID, since 2026), or a group id. */
export type RecipientKind = 'phone' | 'bsuid' | 'group';

/** Meta's documented limits (WHATSAPP.md §2), in code points. */
export const SEND_LIMITS = {
  textBodyMaxChars: 4096,
  mediaCaptionMaxChars: 1024,
  bizOpaqueCallbackDataMaxChars: 512,
  interactiveBodyMaxChars: 1024,
  interactiveFooterMaxChars: 60,
  interactiveHeaderTextMaxChars: 60,
  replyButtonsMax: 3,
  replyButtonIdMaxChars: 256,
  replyButtonTitleMaxChars: 20,
  listBodyMaxChars: 4096,
  listButtonMaxChars: 20,
  listSectionsMax: 10,
  listRowsMax: 10,
  listSectionTitleMaxChars: 24,
  listRowIdMaxChars: 200,
  listRowTitleMaxChars: 24,
  listRowDescriptionMaxChars: 72,
  ctaDisplayTextMaxChars: 20,
  productListSectionsMax: 10,
  templateTextParamMaxChars: 32768,
} as const;

/** The request body after validation, with Meta's defaults filled in and enum spellings lower-cased. */
export interface NormalizedSendBody {
  messaging_product: 'whatsapp';
  recipient_type: RecipientType;
  /** As sent (a numeric `to` becomes its decimal string, as Meta echoes it in `contacts[].input`). */
  to: string;
  type: SendMessageType;
  context?: { message_id: string };
  biz_opaque_callback_data?: string;
  [key: string]: unknown;
}

export interface ValidatedMessage {
  ok: true;
  kind: 'message';
  /** `to` as sent (string form), for `contacts[].input`. */
  to: string;
  recipientKind: RecipientKind;
  recipientType: RecipientType;
  messageType: SendMessageType;
  interactiveType?: InteractiveType;
  isTemplate: boolean;
  templateName?: string;
  templateLanguage?: string;
  templateCategory?: TemplateCategory;
  contextMessageId?: string;
  bizOpaqueCallbackData?: string;
  body: NormalizedSendBody;
}

/** A read receipt, optionally with a typing indicator (`{"status":"read","message_id",...}` → `{"success":true}`). */
export interface ValidatedMarkRead {
  ok: true;
  kind: 'markRead';
  messageId: string;
  typing: boolean;
}

export type ValidatedSend = ValidatedMessage | ValidatedMarkRead;

export interface SendRejected {
  ok: false;
  error: GraphError;
}
