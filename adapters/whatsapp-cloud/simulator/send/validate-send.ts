/**
 * Request validation of the simulator's `POST /{version}/{phone-number-id}/messages` (WHATSAPP.md §2), pure: no
 * I/O, no state. The server parses the JSON, calls {@link validateSendRequest} with lookups into its own state
 * (templates, uploaded media) and turns a rejection into Meta's envelope with `graphErrorBody`.
 *
 * Which code for which fault (Meta documents the codes, not the rule; this is the rule the simulator follows,
 * calibrated on responses captured from graph.facebook.com):
 * - **100 Invalid parameter** — the Graph layer: body not an object, `messaging_product` missing or wrong, a value
 *   of the wrong JSON type, an unknown enum value (`type`, `interactive.type`, ...), an unexpected key inside a
 *   structured param. Graph words these itself, so `message` is Graph's sentence, e.g.
 *   `(#100) The parameter messaging_product is required.`, `(#100) Param type must be one of {...} - got "foo".`,
 *   `(#100) Unexpected key "caption" on param "audio".` (all three observed on the wire).
 * - **131008 Required parameter is missing** — a field the message type needs is absent (or an empty string).
 * - **131009 Parameter value is not valid** — present and well-typed, but outside Meta's limits (lengths, counts,
 *   uniqueness, ranges, URL and phone formats); e.g. Meta's `Invalid buttons count. Min allowed buttons: 1, Max
 *   allowed buttons: 3`.
 * - **131051 Unsupported message type** — a type Meta knows but a business cannot send (`button`, `order`,
 *   `system`, `unsupported`: inbound-only). Unknown type strings are 100, as Graph's enum check answers first.
 * - **131053 Media upload error** — a media `id` that does not exist (see `SendLookups.mediaExists`).
 * - **132000 / 132001 / 132012 / 132015 / 132016** — template checks against the approved template, with Meta's
 *   wire wording in `details` (`body: number of localizable_params (0) does not match the expected number of
 *   params (1)`, `template.name: template name (x) does not exist in en_US`, `header: Format mismatch, expected IMAGE, received
 *   UNKNOWN`, `buttons: Button at index 0 of type Url requires a parameter` (131008)).
 *
 * Every `details` starts with the offending field path (`interactive.action.buttons[3]: ...`), the way Meta
 * prefixes template errors with the component (`body: ...`). Lengths are counted in Unicode code points.
 *
 * Hand-written rather than zod: each rule maps to its own Meta code and its own wording, which is the whole point
 * of a faithful simulator; a schema library would need a second table to translate its issues back.
 */
import { graphError, type GraphError } from './graph-error.ts';
import {
  charCount,
  checkKeys,
  checkLocation,
  checkMedia,
  describe,
  invalid,
  isAbsent,
  isObject,
  isScalar,
  MESSAGE_MEDIA_KEYS,
  missing,
  notAnObject,
  notOneOf,
  optionalBoolean,
  optionalString,
  reject,
  requiredString,
  truncate,
  unreachable,
  wrongType,
  graphParamRequired,
  type Check,
  type Facts,
  type Json,
} from './send-checks.ts';
import {
  INBOUND_ONLY_MESSAGE_TYPES,
  SEND_LIMITS,
  SEND_MESSAGE_TYPES,
  type NormalizedSendBody,
  type RecipientKind,
  type RecipientType,
  type SendLookups,
  type SendMessageType,
  type SendRejected,
  type ValidatedMarkRead,
  type ValidatedMessage,
  type ValidatedSend,
} from './send-types.ts';
import { checkInteractive } from './validate-interactive.ts';
import { checkTemplate } from './validate-template.ts';

export * from './send-types.ts';
export { charCount } from './send-checks.ts';
export { TEMPLATE_PARAMETER_TYPES } from './validate-template.ts';

// ---------------------------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------------------------

/** Validate a send body the way Meta's Cloud API does before it accepts a message (or a read receipt). */
export function validateSendRequest(body: unknown, lookups: SendLookups): ValidatedSend | SendRejected {
  if (!isObject(body)) return reject(graphError(100, `request: the body must be a JSON object, got ${describe(body)}`));

  const product = body.messaging_product;
  if (isAbsent(product)) return reject(graphParamRequired('messaging_product'));
  if (product !== 'whatsapp') {
    return reject(graphError(100, `messaging_product: must be "whatsapp", got ${describe(product)}`));
  }

  if (body.status !== undefined) return validateMarkRead(body);
  return validateMessage(body, lookups);
}

// ---------------------------------------------------------------------------------------------------------------
// Read receipt / typing indicator (WHATSAPP.md §2.8)
// ---------------------------------------------------------------------------------------------------------------

function validateMarkRead(body: Json): ValidatedMarkRead | SendRejected {
  if (body.status !== 'read') return reject(notOneOf('status', ['read'], body.status));
  const error = requiredString(body, '', 'message_id') ?? checkTypingIndicator(body.typing_indicator);
  if (error) return reject(error);
  return { ok: true, kind: 'markRead', messageId: body.message_id as string, typing: !isAbsent(body.typing_indicator) };
}

function checkTypingIndicator(v: unknown): Check {
  const path = 'typing_indicator';
  if (isAbsent(v)) return undefined;
  if (!isObject(v)) return notAnObject(path, v);
  if (isAbsent(v.type) || v.type === '') return missing(`${path}.type`);
  if (v.type !== 'text') return notOneOf(`${path}.type`, ['text'], v.type);
  return checkKeys(v, path, ['type']);
}

// ---------------------------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------------------------

function validateMessage(body: Json, lookups: SendLookups): ValidatedMessage | SendRejected {
  // recipient_type
  const rawRecipientType = body.recipient_type ?? 'individual';
  if (rawRecipientType !== 'individual' && rawRecipientType !== 'group') {
    return reject(notOneOf('recipient_type', ['individual', 'group'], rawRecipientType));
  }
  const recipientType: RecipientType = rawRecipientType;

  // to
  const recipient = readRecipient(body.to, recipientType);
  if ('error' in recipient) return reject(recipient.error);

  const rawType = body.type ?? impliedType(body);
  if (typeof rawType !== 'string') return reject(wrongType('type', 'a string', rawType));
  const lowered = rawType.toLowerCase();
  if ((INBOUND_ONLY_MESSAGE_TYPES as readonly string[]).includes(lowered)) {
    return reject(graphError(131051, `type: messages of type "${rawType}" cannot be sent by a business`));
  }
  if (!isSendMessageType(lowered)) return reject(notOneOf('type', SEND_MESSAGE_TYPES, rawType));
  const messageType = lowered;

  // context
  const contextError = checkContext(body.context, messageType);
  if (contextError) return reject(contextError);

  // biz_opaque_callback_data
  const opaqueError = optionalString(body, '', 'biz_opaque_callback_data');
  if (opaqueError) return reject(opaqueError);
  const opaque = body.biz_opaque_callback_data;
  if (typeof opaque === 'string' && charCount(opaque) > SEND_LIMITS.bizOpaqueCallbackDataMaxChars) {
    return reject(
      graphError(
        100,
        `biz_opaque_callback_data: must be at most ${SEND_LIMITS.bizOpaqueCallbackDataMaxChars} characters long (got ${charCount(opaque)})`,
      ),
    );
  }

  // the object under the type key
  const facts: Facts = {};
  const typeError = checkTypeObject(messageType, body[messageType], lookups, facts);
  if (typeError) return reject(typeError);

  const contextMessageId = isObject(body.context) ? (body.context.message_id as string) : undefined;
  const result: ValidatedMessage = {
    ok: true,
    kind: 'message',
    to: recipient.to,
    recipientKind: recipient.kind,
    recipientType,
    messageType,
    isTemplate: messageType === 'template',
    body: normalizeBody(body, messageType, recipient.to, recipientType),
  };
  if (facts.interactiveType !== undefined) result.interactiveType = facts.interactiveType;
  if (facts.template !== undefined) {
    result.templateName = facts.template.name;
    result.templateLanguage = facts.template.languageCode;
    result.templateCategory = facts.template.info.category;
  }
  if (contextMessageId !== undefined) result.contextMessageId = contextMessageId;
  if (typeof opaque === 'string') result.bizOpaqueCallbackData = opaque;
  return result;
}

/**
 * `type` when the body has none. Meta's own "Send Text Message with Preview URL" example omits it for a text, and
 * its "Send Reply to List Message" example omits it next to an `interactive` object; so the type is read from the
 * one message object present, and is `text` otherwise (then `text` is required).
 */
function impliedType(body: Json): string {
  const present = SEND_MESSAGE_TYPES.filter((t) => !isAbsent(body[t]));
  return present.length === 1 && present[0] !== undefined ? present[0] : 'text';
}

const PHONE_RE = /^\+?[0-9]{5,15}$/;
/** Business-scoped user id (WHATSAPP.md §0.7): country code, a dot, then an opaque id. */
const BSUID_RE = /^[A-Z]{2}\.[A-Za-z0-9]{1,128}$/;
/** Groups API ids are opaque base64-like tokens; the simulator only asks for a non-blank token. */
const GROUP_ID_RE = /^\S{1,256}$/;

function readRecipient(
  raw: unknown,
  recipientType: RecipientType,
): { to: string; kind: RecipientKind } | { error: GraphError } {
  if (isAbsent(raw) || raw === '') return { error: missing('to') };
  // Graph coerces scalars: a numeric `to` is accepted and echoed as a string (recorded real call, WHATSAPP.md §1.3).
  if (typeof raw !== 'string' && typeof raw !== 'number') return { error: wrongType('to', 'a string', raw) };
  const to = String(raw);
  if (recipientType === 'group') {
    return GROUP_ID_RE.test(to) ? { to, kind: 'group' } : { error: invalid('to', `"${to}" is not a valid group id`) };
  }
  if (PHONE_RE.test(to)) return { to, kind: 'phone' };
  if (BSUID_RE.test(to)) return { to, kind: 'bsuid' };
  return {
    error: invalid(
      'to',
      `"${truncate(to)}" is not a valid recipient: expected a phone number of 5-15 digits with an optional ` +
        `leading "+", or a business-scoped user id such as "US.13491208655302741918"`,
    ),
  };
}

function checkContext(v: unknown, messageType: SendMessageType): Check {
  if (isAbsent(v)) return undefined;
  if (messageType === 'reaction') {
    // "You cannot send a reaction message as a contextual reply" (Meta, contextual replies guide).
    return invalid('context', 'a reaction cannot be sent as a contextual reply');
  }
  if (!isObject(v)) return notAnObject('context', v);
  return checkKeys(v, 'context', ['message_id']) ?? requiredString(v, 'context', 'message_id');
}

function checkTypeObject(type: SendMessageType, v: unknown, lookups: SendLookups, facts: Facts): Check {
  if (isAbsent(v)) return missing(type);
  switch (type) {
    case 'text':
      return checkText(v);
    case 'image':
    case 'video':
    case 'document':
    case 'audio':
    case 'sticker':
      return checkMedia(type, v, type, MESSAGE_MEDIA_KEYS[type], lookups);
    case 'location':
      return checkLocation(v, 'location');
    case 'contacts':
      return checkContacts(v);
    case 'reaction':
      return checkReaction(v);
    case 'interactive':
      return checkInteractive(v, lookups, facts);
    case 'template':
      return checkTemplate(v, lookups, facts);
    default:
      return unreachable(type);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Text, media, location, contacts, reaction (WHATSAPP.md §2.1–2.4)
// ---------------------------------------------------------------------------------------------------------------

function checkText(v: unknown): Check {
  if (!isObject(v)) return notAnObject('text', v);
  return (
    checkKeys(v, 'text', ['body', 'preview_url']) ??
    requiredString(v, 'text', 'body', SEND_LIMITS.textBodyMaxChars) ??
    optionalBoolean(v, 'text', 'preview_url')
  );
}

const CONTACT_ARRAY_FIELDS = ['addresses', 'emails', 'phones', 'urls'] as const;
const BIRTHDAY_RE = /^\d{4}-\d{2}-\d{2}$/;

function checkContacts(v: unknown): Check {
  if (!Array.isArray(v)) return wrongType('contacts', 'an array', v);
  if (v.length === 0) return invalid('contacts', 'must contain at least one contact');
  for (const [k, contact] of v.entries()) {
    const p = `contacts[${k}]`;
    if (!isObject(contact)) return notAnObject(p, contact);
    const name = contact.name;
    if (isAbsent(name)) return missing(`${p}.name`);
    if (!isObject(name)) return notAnObject(`${p}.name`, name);
    const error = requiredString(name, `${p}.name`, 'formatted_name');
    if (error) return error;
    for (const field of CONTACT_ARRAY_FIELDS) {
      const list = contact[field];
      if (!isAbsent(list) && !Array.isArray(list)) return wrongType(`${p}.${field}`, 'an array', list);
    }
    if (!isAbsent(contact.org) && !isObject(contact.org)) return notAnObject(`${p}.org`, contact.org);
    const birthday = contact.birthday;
    if (!isAbsent(birthday)) {
      if (typeof birthday !== 'string') return wrongType(`${p}.birthday`, 'a string', birthday);
      if (!BIRTHDAY_RE.test(birthday))
        return invalid(`${p}.birthday`, `must be YYYY-MM-DD, got "${truncate(birthday)}"`);
    }
  }
  return undefined;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

function checkReaction(v: unknown): Check {
  if (!isObject(v)) return notAnObject('reaction', v);
  const error = checkKeys(v, 'reaction', ['message_id', 'emoji']) ?? requiredString(v, 'reaction', 'message_id');
  if (error) return error;
  // An empty (or absent) emoji removes the reaction (WHATSAPP.md §2.4).
  const emoji = v.emoji;
  if (isAbsent(emoji)) return undefined;
  if (typeof emoji !== 'string') return wrongType('reaction.emoji', 'a string', emoji);
  if ([...graphemes.segment(emoji)].length > 1) {
    return invalid('reaction.emoji', 'must be a single emoji, or "" to remove the reaction');
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Normalization
// ---------------------------------------------------------------------------------------------------------------

function normalizeBody(
  body: Json,
  type: SendMessageType,
  to: string,
  recipientType: RecipientType,
): NormalizedSendBody {
  const out = structuredClone(body);
  out.recipient_type = recipientType;
  out.to = to;
  out.type = type;
  if (type === 'interactive' && isObject(out.interactive) && typeof out.interactive.type === 'string') {
    out.interactive.type = out.interactive.type.toLowerCase();
  }
  if (type === 'template' && isObject(out.template) && Array.isArray(out.template.components)) {
    out.template.components = out.template.components.map(normalizeComponent);
  }
  return out as NormalizedSendBody;
}

function normalizeComponent(c: unknown): unknown {
  if (!isObject(c)) return c;
  const out: Json = { ...c };
  if (typeof out.type === 'string') out.type = out.type.toLowerCase();
  if (typeof out.sub_type === 'string') out.sub_type = out.sub_type.toLowerCase();
  if (typeof out.index === 'number') out.index = String(out.index);
  if (Array.isArray(out.parameters)) out.parameters = out.parameters.map(normalizeParameter);
  return out;
}

function normalizeParameter(p: unknown): unknown {
  if (!isObject(p) || typeof p.type !== 'string') return p;
  const type = p.type.toLowerCase();
  const out: Json = { ...p, type };
  const value = out[type];
  if ((type === 'text' || type === 'payload' || type === 'coupon_code') && isScalar(value)) out[type] = String(value);
  return out;
}

function isSendMessageType(s: string): s is SendMessageType {
  return (SEND_MESSAGE_TYPES as readonly string[]).includes(s);
}
