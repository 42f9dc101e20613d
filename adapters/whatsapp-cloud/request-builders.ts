/**
 * Port shapes → Meta's exact Cloud API request bodies (WHATSAPP.md §2). The content object under the type key is
 * passed through untouched (the port already speaks Meta's vocabulary); this module adds the envelope only.
 */
import type { OutboundContent, OutboundMessage, ReadReceipt } from '../../core/ports/channel.port.ts';
import { unreachable } from '../../core/runtime/define-actor.ts';

/** `POST /{version}/{phone-number-id}/messages`: sends, read receipts and typing indicators (WHATSAPP.md §1.1). */
export function messagesPath(apiVersion: string, accountId: string, pathPrefix = ''): string {
  return `${pathPrefix}/${apiVersion}/${encodeURIComponent(accountId)}/messages`;
}

/** The body of a send: `{messaging_product, recipient_type, to, type, context?, <type>: {...}, biz_opaque_callback_data}`. */
export interface SendBody {
  readonly messaging_product: 'whatsapp';
  readonly recipient_type: 'individual';
  readonly to: string;
  readonly type: OutboundContent['type'];
  readonly context?: { readonly message_id: string };
  readonly biz_opaque_callback_data: string;
  readonly [contentKey: string]: unknown;
}

/**
 * Meta's send JSON for a message. `messageKey` travels as `biz_opaque_callback_data` so it comes back on every
 * status webhook (Meta caps it at 512 characters); `replyToProviderMessageId` becomes `context.message_id` (a contextual reply), except on a
 * reaction, which already names its target in `reaction.message_id` and which Meta does not accept as a contextual
 * reply (WHATSAPP.md §2.1).
 */
export function buildSendBody(message: OutboundMessage): SendBody {
  const { content } = message;
  const replyTo = content.type === 'reaction' ? undefined : message.replyToProviderMessageId;
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: message.to,
    type: content.type,
    ...(replyTo === undefined ? {} : { context: { message_id: replyTo } }),
    [content.type]: contentObject(content),
    biz_opaque_callback_data: message.messageKey,
  };
}

/** The object under the type key, as the port holds it (Meta's own shape). */
function contentObject(content: OutboundContent): unknown {
  switch (content.type) {
    case 'text':
      return content.text;
    case 'image':
      return content.image;
    case 'video':
      return content.video;
    case 'audio':
      return content.audio;
    case 'document':
      return content.document;
    case 'sticker':
      return content.sticker;
    case 'location':
      return content.location;
    case 'contacts':
      return content.contacts;
    case 'reaction':
      return content.reaction;
    case 'interactive':
      return content.interactive;
    case 'template':
      return content.template;
    default:
      return unreachable(content);
  }
}

export interface ReadReceiptBody {
  readonly messaging_product: 'whatsapp';
  readonly status: 'read';
  readonly message_id: string;
  readonly typing_indicator?: { readonly type: 'text' };
}

/** Marks an inbound message read, optionally showing the typing indicator (up to 25 s, WHATSAPP.md §2.8). */
export function buildReadReceiptBody(receipt: ReadReceipt): ReadReceiptBody {
  return {
    messaging_product: 'whatsapp',
    status: 'read',
    message_id: receipt.providerMessageId,
    ...(receipt.showTyping === true ? { typing_indicator: { type: 'text' } } : {}),
  };
}
