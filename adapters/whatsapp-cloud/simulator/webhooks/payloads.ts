/**
 * Pure builders for the JSON Meta's WhatsApp Cloud API POSTs to a webhook callback URL
 * (shared/design/WHATSAPP.md §3.4–3.8). Key names and key order follow Meta's own examples
 * (`shared/meta-cloud-api/examples/webhooks/*.json`, from Meta's OpenAPI file) and recorded payloads
 * (pywa, whatsapp-api-js v25 fixtures) wherever those agree; where they disagree the choice is noted inline.
 *
 * Conventions Meta uses and these builders keep:
 * - `timestamp` inside messages/statuses is a **string** of unix seconds; `entry[].time` and the `timestamp` of
 *   `user_preferences` are integers.
 * - `entry[].id` is the WABA id; `value.metadata` names the business phone number.
 * - optional fields are omitted, never `null` (except template `reason`, which Meta sends as `null`).
 */
import { createHash } from 'node:crypto';
import { pooledRandomBytes as randomBytes } from '../random-pool.ts';
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------------------------
// Shared shapes

/** The business phone number a webhook is about (`entry[].id` + `value.metadata`). */
export interface BusinessNumberRef {
  readonly wabaId: string;
  readonly phoneNumberId: string;
  readonly displayPhoneNumber: string;
}

/** One `entry[].changes[]` item before wrapping: which WABA, which subscribed field, and Meta's `value`. */
export interface WebhookChange {
  readonly wabaId: string;
  readonly field: string;
  readonly value: unknown;
}

export type WebhookMetadata = { display_phone_number: string; phone_number_id: string };

/** Meta's error object as it appears in webhooks (`statuses[].errors`, `messages[].errors`, `value.errors`). */
export type WebhookError = {
  code: number;
  title: string;
  message?: string;
  error_data?: { details: string };
  href?: string;
};

export type WebhookContact = {
  profile?: { name?: string; username?: string };
  wa_id?: string;
  user_id?: string;
  parent_user_id?: string;
};

/** `value` for field `messages` (inbound messages, statuses, or value-level errors). */
export type MessagesValue = {
  messaging_product: 'whatsapp';
  metadata: WebhookMetadata;
  contacts?: WebhookContact[];
  messages?: Record<string, unknown>[];
  statuses?: Record<string, unknown>[];
  errors?: WebhookError[];
};

export type WebhookEntry = { id: string; time?: number; changes: { value: unknown; field: string }[] };
export type WebhookEnvelope = { object: 'whatsapp_business_account'; entry: WebhookEntry[] };

/** Meta's documentation link used in the `href` of webhook errors [FX pywa message_status.json]. */
export const META_ERROR_CODES_HREF = 'https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/';

/** Builds a webhook error object in Meta's shape (`message` repeats `title`, as Meta does). */
export function webhookError(code: number, title: string, details?: string, href?: string): WebhookError {
  const error: WebhookError = { code, title, message: title };
  if (details !== undefined) error.error_data = { details };
  if (href !== undefined) error.href = href;
  return error;
}

/** The value-level 130429 error of WHATSAPP.md §3.7 (Meta's errors webhook reference). */
export const RATE_LIMIT_HIT_ERROR: WebhookError = webhookError(
  130429,
  'Rate limit hit',
  'Message failed to send because there were too many messages sent from this phone number in a short period of time',
  '/documentation/business-messaging/whatsapp/support/error-codes',
);

/** The error Meta attaches to `type: "unsupported"` inbound messages [OA schemas.UnsupportedMessage]. */
export const UNSUPPORTED_MESSAGE_ERROR: WebhookError = webhookError(
  131051,
  'Message type unknown',
  'Message type is currently not supported.',
);

function metadataOf(number: BusinessNumberRef): WebhookMetadata {
  return { display_phone_number: number.displayPhoneNumber, phone_number_id: number.phoneNumberId };
}

/** Unix seconds as Meta's string timestamps. */
export function unixSecondsString(ms: number): string {
  return String(Math.floor(ms / 1000));
}

function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

// ---------------------------------------------------------------------------------------------------------------
// wamid

/**
 * A realistic WhatsApp message id: `wamid.` + base64 of the Thrift-compact struct Meta encodes (decoded from real
 * ids such as `wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=`):
 * `{1: {1: "<user wa_id>", 2: 1}, 2: <fromBusiness>, 3: "<hex id>"}`. Inbound ids carry a 20-char id
 * (`3A…`), outbound ones an 18-char id; both uppercase hex.
 */
export function newWamid(options: { waId?: string; direction?: 'inbound' | 'outbound' } = {}): string {
  const waId = options.waId ?? randomDigits(11);
  const isOutbound = (options.direction ?? 'outbound') === 'outbound';
  const hexId = isOutbound
    ? randomBytes(9).toString('hex').toUpperCase()
    : `3A${randomBytes(9).toString('hex').toUpperCase()}`;
  const user = Buffer.from(waId, 'utf8');
  const id = Buffer.from(hexId, 'ascii');
  const bytes = Buffer.concat([
    Buffer.from([0x1c, 0x18]), // field 1: struct { field 1: binary
    varint(user.length),
    user,
    Buffer.from([0x15, 0x02, 0x00]), // field 2: i32 = 1 (zigzag), end of struct
    Buffer.from([isOutbound ? 0x11 : 0x12]), // field 2: bool (true = sent by the business)
    Buffer.from([0x18]), // field 3: binary
    varint(id.length),
    id,
    Buffer.from([0x00]), // end of struct
  ]);
  return `wamid.${bytes.toString('base64')}`;
}

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return Buffer.from(out);
}

function randomDigits(count: number): string {
  const bytes = randomBytes(count);
  let digits = '';
  for (const b of bytes) digits += String(b % 10);
  return `1${digits.slice(1)}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Inbound message spec (control API)

/** A WhatsApp user id (phone number digits, no `+`). */
const WaId = z.string().regex(/^\d{5,20}$/, 'wa_id: digits only');
/** Business-scoped user id: ISO country + `.` (+ `ENT.` for parent BSUIDs) + up to 128 alphanumerics. */
const Bsuid = z.string().regex(/^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$/, 'BSUID like US.13491208655302741918');

export const ReferralSpec = z.object({
  sourceUrl: z.string(),
  sourceId: z.string(),
  sourceType: z.enum(['ad', 'post']),
  headline: z.string().optional(),
  body: z.string().optional(),
  mediaType: z.enum(['image', 'video']).optional(),
  imageUrl: z.string().optional(),
  videoUrl: z.string().optional(),
  thumbnailUrl: z.string().optional(),
  ctwaClid: z.string().optional(),
  welcomeMessage: z.string().optional(),
});
export type ReferralSpec = z.infer<typeof ReferralSpec>;

export const ContactCardSpec = z.object({
  name: z.object({
    formattedName: z.string(),
    firstName: z.string().optional(),
    lastName: z.string().optional(),
    middleName: z.string().optional(),
    suffix: z.string().optional(),
    prefix: z.string().optional(),
  }),
  addresses: z
    .array(
      z.object({
        street: z.string().optional(),
        city: z.string().optional(),
        state: z.string().optional(),
        zip: z.string().optional(),
        country: z.string().optional(),
        countryCode: z.string().optional(),
        type: z.string().optional(),
      }),
    )
    .optional(),
  birthday: z.string().optional(),
  emails: z.array(z.object({ email: z.string(), type: z.string().optional() })).optional(),
  org: z
    .object({ company: z.string().optional(), department: z.string().optional(), title: z.string().optional() })
    .optional(),
  phones: z
    .array(z.object({ phone: z.string().optional(), waId: z.string().optional(), type: z.string().optional() }))
    .optional(),
  urls: z.array(z.object({ url: z.string(), type: z.string().optional() })).optional(),
});
export type ContactCardSpec = z.infer<typeof ContactCardSpec>;

/** Fields every injected customer message may carry. */
const common = {
  /** Sender's phone number (wa_id digits). Required unless `fromUserId` is given. */
  from: WaId.optional(),
  /** Sender's business-scoped user id (2026 BSUID rollout). */
  fromUserId: Bsuid.optional(),
  fromParentUserId: Bsuid.optional(),
  profileName: z.string().optional(),
  /** `@handle` of a user who adopted a WhatsApp username. */
  username: z.string().optional(),
  /** Omit the phone number (`wa_id`, `from`): a username user whose number Meta does not share. */
  withholdPhone: z.boolean().optional(),
  referral: ReferralSpec.optional(),
  /** The business message this one replies to (`context.id`). */
  contextMessageId: z.string().optional(),
  /** Product inquiry context (`context.referred_product`). */
  referredProduct: z.object({ catalogId: z.string(), productRetailerId: z.string() }).optional(),
  forwarded: z.boolean().optional(),
  frequentlyForwarded: z.boolean().optional(),
  /** The message id to use; generated when absent. */
  wamid: z.string().optional(),
  /** When the user sent it; the simulator clock's now when absent. */
  timestampMs: z.number().int().nonnegative().optional(),
};

const media = {
  /**
   * The media id in the webhook. Through the simulator's control API it is optional: the simulator keeps the
   * file (`data`, or a sample of `mimeType`) under this id or a new one, so that `GET /{media-id}` serves it.
   */
  mediaId: z.string().min(1).max(64).optional(),
  mimeType: z.string().min(1).max(255),
  /** The file's bytes, base64 (control API only; a sample file of `mimeType` when absent). */
  data: z.base64().optional(),
  /** base64 SHA-256 of the file; the simulator sets the real one, a direct build derives it from `mediaId`. */
  sha256: z.string().optional(),
  /** Download URL (field added by Meta in Nov 2025). */
  url: z.string().optional(),
};

/**
 * The simulator's control-API description of a customer message to inject, one variant per inbound type
 * (WHATSAPP.md §3.5). camelCase here; `buildInboundMessageValue` turns it into Meta's snake_case JSON.
 */
export const InboundMessageSpec = z
  .discriminatedUnion('type', [
    z.object({ ...common, type: z.literal('text'), body: z.string().min(1).max(4096) }),
    z.object({ ...common, ...media, type: z.literal('image'), caption: z.string().optional() }),
    z.object({ ...common, ...media, type: z.literal('video'), caption: z.string().optional() }),
    z.object({ ...common, ...media, type: z.literal('audio'), voice: z.boolean().optional() }),
    z.object({
      ...common,
      ...media,
      type: z.literal('document'),
      caption: z.string().optional(),
      filename: z.string().optional(),
    }),
    z.object({ ...common, ...media, type: z.literal('sticker'), animated: z.boolean().optional() }),
    z.object({
      ...common,
      type: z.literal('location'),
      latitude: z.number().min(-90).max(90),
      longitude: z.number().min(-180).max(180),
      name: z.string().optional(),
      address: z.string().optional(),
      url: z.string().optional(),
    }),
    z.object({ ...common, type: z.literal('contacts'), contacts: z.array(ContactCardSpec).min(1) }),
    z.object({
      ...common,
      type: z.literal('interactive_button_reply'),
      id: z.string(),
      title: z.string(),
      contextMessageId: z.string(),
    }),
    z.object({
      ...common,
      type: z.literal('interactive_list_reply'),
      id: z.string(),
      title: z.string(),
      description: z.string().optional(),
      contextMessageId: z.string(),
    }),
    z.object({
      ...common,
      type: z.literal('nfm_reply'),
      /** The Flow's response: a JSON string (as Meta sends it) or an object to serialise. */
      responseJson: z.union([z.string(), z.record(z.string(), z.unknown())]),
      body: z.string().optional(),
      name: z.string().optional(),
    }),
    z.object({ ...common, type: z.literal('button'), payload: z.string(), text: z.string() }),
    z.object({ ...common, type: z.literal('reaction'), messageId: z.string(), emoji: z.string() }),
    z.object({
      ...common,
      type: z.literal('order'),
      catalogId: z.string(),
      text: z.string().optional(),
      productItems: z
        .array(
          z.object({
            productRetailerId: z.string(),
            quantity: z.number().int().positive(),
            itemPrice: z.number().nonnegative(),
            currency: z.string().length(3),
          }),
        )
        .min(1),
    }),
    z.object({
      ...common,
      type: z.literal('system'),
      body: z.string(),
      newWaId: WaId,
      systemType: z.string().default('user_changed_number'),
    }),
    z.object({ ...common, type: z.literal('unsupported'), unsupportedType: z.string().optional() }),
  ])
  .superRefine((spec, ctx) => {
    if (spec.from === undefined && spec.fromUserId === undefined) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'give `from` (wa_id) or `fromUserId` (BSUID)' });
    }
    if (spec.withholdPhone === true && spec.fromUserId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['fromUserId'],
        message: '`withholdPhone` needs `fromUserId`: a user without a shared number is known by BSUID only',
      });
    }
  });
export type InboundMessageSpec = z.infer<typeof InboundMessageSpec>;

// ---------------------------------------------------------------------------------------------------------------
// Inbound messages (field `messages`)

/**
 * The `value` of a `messages` change carrying one customer message, in Meta's shape: `contacts` (absent for
 * `system` messages [OA IncomingMessageValueSystem]) and `messages[0]`, with the 2026 BSUID fields
 * (`contacts[].user_id`, `profile.username`, `messages[].from_user_id`) when the spec has them.
 */
export function buildInboundMessageValue(
  spec: InboundMessageSpec,
  number: BusinessNumberRef,
  wamid: string,
  nowMs: number,
): MessagesValue {
  const phone = spec.withholdPhone === true ? undefined : spec.from;
  const message: Record<string, unknown> = {};
  const context = buildContext(spec, number);
  if (context) message['context'] = context;
  if (spec.referral) message['referral'] = buildReferral(spec.referral);
  if (phone !== undefined) message['from'] = phone;
  message['id'] = wamid;
  message['timestamp'] = unixSecondsString(spec.timestampMs ?? nowMs);
  Object.assign(message, typedPart(spec));
  // whatsapp-api-js v25 payloads put the BSUID fields after the type-specific part.
  if (spec.fromUserId !== undefined) message['from_user_id'] = spec.fromUserId;
  if (spec.fromParentUserId !== undefined) message['from_parent_user_id'] = spec.fromParentUserId;

  const value: MessagesValue = { messaging_product: 'whatsapp', metadata: metadataOf(number) };
  if (spec.type !== 'system') {
    const contact: WebhookContact = {};
    const profile: { name?: string; username?: string } = {};
    if (spec.profileName !== undefined) profile.name = spec.profileName;
    if (spec.username !== undefined) profile.username = spec.username;
    if (profile.name !== undefined || profile.username !== undefined) contact.profile = profile;
    if (phone !== undefined) contact.wa_id = phone;
    if (spec.fromUserId !== undefined) contact.user_id = spec.fromUserId;
    if (spec.fromParentUserId !== undefined) contact.parent_user_id = spec.fromParentUserId;
    value.contacts = [contact];
  }
  value.messages = [message];
  return value;
}

function buildContext(spec: InboundMessageSpec, number: BusinessNumberRef): Record<string, unknown> | undefined {
  const context: Record<string, unknown> = {};
  if (spec.contextMessageId !== undefined) {
    // `context.from` is the business number the replied-to message came from [OA "Button Message"].
    context['from'] = number.displayPhoneNumber;
    context['id'] = spec.contextMessageId;
  }
  if (spec.forwarded === true) context['forwarded'] = true;
  if (spec.frequentlyForwarded === true) context['frequently_forwarded'] = true;
  if (spec.referredProduct) {
    context['referred_product'] = {
      catalog_id: spec.referredProduct.catalogId,
      product_retailer_id: spec.referredProduct.productRetailerId,
    };
  }
  return Object.keys(context).length > 0 ? context : undefined;
}

function buildReferral(r: ReferralSpec): Record<string, unknown> {
  // Order of Meta's "Text Message from Click to WhatsApp Ad" example; video fields where pywa puts them.
  const out: Record<string, unknown> = { source_url: r.sourceUrl, source_id: r.sourceId, source_type: r.sourceType };
  if (r.body !== undefined) out['body'] = r.body;
  if (r.headline !== undefined) out['headline'] = r.headline;
  if (r.mediaType !== undefined) out['media_type'] = r.mediaType;
  if (r.imageUrl !== undefined) out['image_url'] = r.imageUrl;
  if (r.videoUrl !== undefined) out['video_url'] = r.videoUrl;
  if (r.thumbnailUrl !== undefined) out['thumbnail_url'] = r.thumbnailUrl;
  if (r.ctwaClid !== undefined) out['ctwa_clid'] = r.ctwaClid;
  if (r.welcomeMessage !== undefined) out['welcome_message'] = { text: r.welcomeMessage };
  return out;
}

type MediaSpec = Extract<InboundMessageSpec, { mimeType: string }>;

function buildMedia(spec: MediaSpec): Record<string, unknown> {
  // Order of Meta's "Image Message" example and pywa's document/audio/sticker payloads.
  const out: Record<string, unknown> = {};
  if ((spec.type === 'image' || spec.type === 'video' || spec.type === 'document') && spec.caption !== undefined) {
    out['caption'] = spec.caption;
  }
  if (spec.type === 'document' && spec.filename !== undefined) out['filename'] = spec.filename;
  // The simulator always assigns an id (`CloudApiSimulator.injectInbound`); a direct build without one gets a
  // stable stand-in so the payload keeps Meta's shape.
  const id = spec.mediaId ?? 'media-id-not-assigned';
  out['mime_type'] = spec.mimeType;
  out['sha256'] = spec.sha256 ?? createHash('sha256').update(id).digest('base64');
  out['id'] = id;
  if (spec.url !== undefined) out['url'] = spec.url;
  if (spec.type === 'audio') out['voice'] = spec.voice ?? false;
  if (spec.type === 'sticker') out['animated'] = spec.animated ?? false;
  return out;
}

function buildContactCard(c: ContactCardSpec): Record<string, unknown> {
  // Meta lists contact fields alphabetically; `name` keeps the example's first/last/formatted order.
  const out: Record<string, unknown> = {};
  if (c.addresses) {
    out['addresses'] = c.addresses.map((a) =>
      compact({
        street: a.street,
        city: a.city,
        state: a.state,
        zip: a.zip,
        country: a.country,
        country_code: a.countryCode,
        type: a.type,
      }),
    );
  }
  if (c.birthday !== undefined) out['birthday'] = c.birthday;
  if (c.emails) out['emails'] = c.emails.map((e) => compact({ email: e.email, type: e.type }));
  out['name'] = compact({
    first_name: c.name.firstName,
    middle_name: c.name.middleName,
    last_name: c.name.lastName,
    suffix: c.name.suffix,
    prefix: c.name.prefix,
    formatted_name: c.name.formattedName,
  });
  if (c.org) out['org'] = compact({ company: c.org.company, department: c.org.department, title: c.org.title });
  if (c.phones) out['phones'] = c.phones.map((p) => compact({ phone: p.phone, wa_id: p.waId, type: p.type }));
  if (c.urls) out['urls'] = c.urls.map((u) => compact({ url: u.url, type: u.type }));
  return out;
}

/**
 * The type-specific keys of `messages[0]`, in Meta's order. Meta's examples disagree on whether `type` precedes
 * the payload: text/location/system/unsupported put the payload first in most recorded payloads, the other
 * types put `type` first.
 */
function typedPart(spec: InboundMessageSpec): Record<string, unknown> {
  switch (spec.type) {
    case 'text':
      return { text: { body: spec.body }, type: 'text' };
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return { type: spec.type, [spec.type]: buildMedia(spec) };
    case 'location':
      return {
        location: compact({
          address: spec.address,
          latitude: spec.latitude,
          longitude: spec.longitude,
          name: spec.name,
          url: spec.url,
        }),
        type: 'location',
      };
    case 'contacts':
      return { type: 'contacts', contacts: spec.contacts.map(buildContactCard) };
    case 'interactive_button_reply':
      return {
        type: 'interactive',
        interactive: { type: 'button_reply', button_reply: { id: spec.id, title: spec.title } },
      };
    case 'interactive_list_reply':
      return {
        type: 'interactive',
        interactive: {
          type: 'list_reply',
          list_reply: compact({ id: spec.id, title: spec.title, description: spec.description }),
        },
      };
    case 'nfm_reply':
      // Flow completion [FX pywa flow_completion.json]: response_json is a JSON *string*.
      return {
        type: 'interactive',
        interactive: {
          type: 'nfm_reply',
          nfm_reply: {
            response_json:
              typeof spec.responseJson === 'string' ? spec.responseJson : JSON.stringify(spec.responseJson),
            body: spec.body ?? 'Sent',
            name: spec.name ?? 'flow',
          },
        },
      };
    case 'button':
      return { type: 'button', button: { payload: spec.payload, text: spec.text } };
    case 'reaction':
      return { type: 'reaction', reaction: { message_id: spec.messageId, emoji: spec.emoji } };
    case 'order':
      return {
        type: 'order',
        order: {
          catalog_id: spec.catalogId,
          text: spec.text ?? '',
          product_items: spec.productItems.map((p) => ({
            product_retailer_id: p.productRetailerId,
            quantity: p.quantity,
            item_price: p.itemPrice,
            currency: p.currency,
          })),
        },
      };
    case 'system':
      return { system: { body: spec.body, wa_id: spec.newWaId, type: spec.systemType }, type: 'system' };
    case 'unsupported': {
      const part: Record<string, unknown> = { errors: [{ ...UNSUPPORTED_MESSAGE_ERROR }], type: 'unsupported' };
      if (spec.unsupportedType !== undefined) part['unsupported'] = { type: spec.unsupportedType };
      return part;
    }
    default: {
      const unknownSpec: never = spec;
      throw new Error(`unknown inbound message type: ${JSON.stringify(unknownSpec)}`);
    }
  }
}

/** Drops `undefined` members, keeping the order of the rest. */
function compact(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Statuses (field `messages`)

export type MessageStatus = 'sent' | 'delivered' | 'read' | 'failed' | 'played';
/** `pricing.type` under per-message pricing. */
export type PricingType = 'regular' | 'free_customer_service' | 'free_entry_point';

export interface StatusUpdate {
  readonly wamid: string;
  readonly status: MessageStatus;
  /** The user's phone number (or the BSUID when the message was sent to one). */
  readonly recipientId: string;
  readonly recipientUserId?: string;
  readonly recipientParentUserId?: string;
  /** For the `contacts` entry Meta adds to BSUID-era status webhooks. */
  readonly recipientProfileName?: string;
  /** Sent by Meta on delivered/read statuses only (BSUID docs). */
  readonly recipientUsername?: string;
  readonly timestampMs: number;
  readonly bizOpaqueCallbackData?: string;
  /**
   * PMP pricing. `category`: authentication | authentication_international | marketing | marketing_lite |
   * utility | service | referral_conversion.
   */
  readonly pricing?: { readonly billable: boolean; readonly category: string; readonly type: PricingType };
  /** `originType`: authentication | marketing | utility | service | referral_conversion. */
  readonly conversation?: { readonly id: string; readonly originType: string; readonly expirationTimestampMs?: number };
  readonly errors?: readonly object[];
}

/**
 * The `value` of a `messages` change carrying one status (WHATSAPP.md §3.6). Key order follows recorded payloads
 * (pywa message_status.json, whatsapp-api-js v25): id, status, timestamp, recipient_id, BSUID fields,
 * biz_opaque_callback_data, conversation, pricing, errors. `conversation` is omitted from Graph API v24.0 on
 * unless it belongs to a free entry point (Meta's PMP changelog; WHATSAPP.md §0.6).
 */
export function buildStatusValue(number: BusinessNumberRef, status: StatusUpdate, apiVersion: number): MessagesValue {
  const s: Record<string, unknown> = {
    id: status.wamid,
    status: status.status,
    timestamp: unixSecondsString(status.timestampMs),
    recipient_id: status.recipientId,
  };
  if (status.recipientUserId !== undefined) s['recipient_user_id'] = status.recipientUserId;
  if (status.recipientParentUserId !== undefined) s['parent_recipient_user_id'] = status.recipientParentUserId;
  if (status.bizOpaqueCallbackData !== undefined) s['biz_opaque_callback_data'] = status.bizOpaqueCallbackData;
  const conv = status.conversation;
  if (conv && keepsConversation(status, apiVersion)) {
    const conversation: Record<string, unknown> = { id: conv.id };
    if (conv.expirationTimestampMs !== undefined) {
      conversation['expiration_timestamp'] = unixSecondsString(conv.expirationTimestampMs);
    }
    conversation['origin'] = { type: conv.originType };
    s['conversation'] = conversation;
  }
  if (status.pricing) {
    s['pricing'] = {
      billable: status.pricing.billable,
      pricing_model: 'PMP',
      type: status.pricing.type,
      category: status.pricing.category,
    };
  }
  if (status.errors && status.errors.length > 0) s['errors'] = [...status.errors];

  const value: MessagesValue = { messaging_product: 'whatsapp', metadata: metadataOf(number), statuses: [s] };
  // BSUID era: status webhooks carry a `contacts` entry after `statuses`, except for failures
  // [FX whatsapp-api-js v25 sent/delivered/read.json; its ServerContacts notes].
  if (status.recipientUserId !== undefined && status.status !== 'failed') {
    const contact: WebhookContact = {};
    const profile: { name?: string; username?: string } = {};
    if (status.recipientProfileName !== undefined) profile.name = status.recipientProfileName;
    const showsUsername = status.status === 'delivered' || status.status === 'read';
    if (showsUsername && status.recipientUsername !== undefined) profile.username = status.recipientUsername;
    if (profile.name !== undefined || profile.username !== undefined) contact.profile = profile;
    if (/^\d+$/.test(status.recipientId)) contact.wa_id = status.recipientId;
    contact.user_id = status.recipientUserId;
    if (status.recipientParentUserId !== undefined) contact.parent_user_id = status.recipientParentUserId;
    value.contacts = [contact];
  }
  return value;
}

function keepsConversation(status: StatusUpdate, apiVersion: number): boolean {
  if (apiVersion < 24) return true;
  return status.pricing?.type === 'free_entry_point' || status.conversation?.originType === 'referral_conversion';
}

/** Value-level errors (`value.errors`, e.g. 130429 "Rate limit hit"; WHATSAPP.md §3.7 place 1). */
export function buildErrorsValue(number: BusinessNumberRef, errors: readonly WebhookError[]): MessagesValue {
  return { messaging_product: 'whatsapp', metadata: metadataOf(number), errors: errors.map((e) => ({ ...e })) };
}

// ---------------------------------------------------------------------------------------------------------------
// Other fields (WHATSAPP.md §3.8)

/** Meta sends template ids as JSON numbers; keep them numeric when that is lossless. */
function templateIdJson(id: string | number): string | number {
  if (typeof id === 'number') return id;
  const n = Number(id);
  return /^\d+$/.test(id) && Number.isSafeInteger(n) ? n : id;
}

export interface TemplateStatusUpdate {
  /** APPROVED, ARCHIVED, DELETED, DISABLED, FLAGGED, IN_APPEAL, LIMIT_EXCEEDED, LOCKED, PAUSED, PENDING, REINSTATED, PENDING_DELETION, REJECTED. */
  readonly event: string;
  readonly templateId: string | number;
  readonly templateName: string;
  readonly language: string;
  /** ABUSIVE_CONTENT, INCORRECT_CATEGORY, INVALID_FORMAT, NONE, PROMOTIONAL, SCAM, TAG_CONTENT_MISMATCH; null when scheduled for deletion. Default `NONE`. */
  readonly reason?: string | null;
  readonly category?: string;
  readonly disableDate?: string;
  /** Pausing: `title` ∈ FIRST_PAUSE, SECOND_PAUSE, RATE_LIMITING_PAUSE, UNPAUSE, DISABLED. */
  readonly otherInfo?: { readonly title: string; readonly description: string };
  readonly rejectionInfo?: { readonly reason: string; readonly recommendation: string };
}

/** Field `message_template_status_update`. */
export function buildTemplateStatusUpdateValue(u: TemplateStatusUpdate): Record<string, unknown> {
  const value: Record<string, unknown> = {
    event: u.event,
    message_template_id: templateIdJson(u.templateId),
    message_template_name: u.templateName,
    message_template_language: u.language,
    reason: u.reason === undefined ? 'NONE' : u.reason,
  };
  if (u.category !== undefined) value['message_template_category'] = u.category;
  if (u.disableDate !== undefined) value['disable_info'] = { disable_date: u.disableDate };
  if (u.otherInfo) value['other_info'] = { title: u.otherInfo.title, description: u.otherInfo.description };
  if (u.rejectionInfo) {
    value['rejection_info'] = { reason: u.rejectionInfo.reason, recommendation: u.rejectionInfo.recommendation };
  }
  return value;
}

export type TemplateQualityScore = 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';

/** Field `message_template_quality_update` [FX pywa template_quality_update.json]. */
export function buildTemplateQualityUpdateValue(u: {
  readonly templateId: string | number;
  readonly templateName: string;
  readonly language: string;
  readonly previousQualityScore: TemplateQualityScore;
  readonly newQualityScore: TemplateQualityScore;
}): Record<string, unknown> {
  return {
    previous_quality_score: u.previousQualityScore,
    new_quality_score: u.newQualityScore,
    message_template_id: templateIdJson(u.templateId),
    message_template_name: u.templateName,
    message_template_language: u.language,
  };
}

/**
 * Field `template_category_update`: an impending change carries `correct_category` and
 * `category_update_timestamp` (recategorised 24 h later); a completed one carries `previous_category`.
 */
export function buildTemplateCategoryUpdateValue(u: {
  readonly templateId: string | number;
  readonly templateName: string;
  readonly language: string;
  readonly newCategory: string;
  readonly previousCategory?: string;
  readonly correctCategory?: string;
  readonly categoryUpdateTimestampMs?: number;
}): Record<string, unknown> {
  const value: Record<string, unknown> = {
    message_template_id: templateIdJson(u.templateId),
    message_template_name: u.templateName,
    message_template_language: u.language,
  };
  if (u.previousCategory !== undefined) value['previous_category'] = u.previousCategory;
  if (u.correctCategory !== undefined) value['correct_category'] = u.correctCategory;
  value['new_category'] = u.newCategory;
  if (u.categoryUpdateTimestampMs !== undefined) {
    value['category_update_timestamp'] = unixSeconds(u.categoryUpdateTimestampMs);
  }
  return value;
}

/**
 * Field `phone_number_quality_update`. `event`: ONBOARDING, THROUGHPUT_UPGRADE (older: FLAGGED, UNFLAGGED,
 * UPGRADE, DOWNGRADE); limits `TIER_50 … TIER_UNLIMITED`.
 */
export function buildPhoneNumberQualityValue(u: {
  readonly displayPhoneNumber: string;
  readonly event: string;
  readonly currentLimit?: string;
  readonly oldLimit?: string;
  readonly maxDailyConversationsPerBusiness?: string;
}): Record<string, unknown> {
  const value: Record<string, unknown> = { display_phone_number: u.displayPhoneNumber, event: u.event };
  if (u.oldLimit !== undefined) value['old_limit'] = u.oldLimit;
  if (u.currentLimit !== undefined) value['current_limit'] = u.currentLimit;
  if (u.maxDailyConversationsPerBusiness !== undefined) {
    value['max_daily_conversations_per_business'] = u.maxDailyConversationsPerBusiness;
  }
  return value;
}

/**
 * Field `account_update`: `{ event, ...details }`, e.g. `ACCOUNT_RESTRICTION` with
 * `{ restriction_info: [{ restriction_type, expiration }] }`, `ACCOUNT_VIOLATION` with `{ violation_info }`,
 * `DISABLED_UPDATE` with `{ ban_info }`, `VOLUME_BASED_PRICING_TIER_UPDATE` with `{ volume_tier_info }`.
 * `details` are Meta-shaped (snake_case) and copied as given.
 */
export function buildAccountUpdateValue(event: string, details: Readonly<Record<string, unknown>> = {}) {
  return { event, ...details };
}

/** Field `business_capability_update` (per-phone limit fields are being removed by Meta since Feb 2026). */
export function buildBusinessCapabilityValue(u: {
  readonly maxDailyConversationPerPhone?: number;
  readonly maxDailyConversationsPerBusiness?: string;
  readonly maxPhoneNumbersPerBusiness?: number;
  readonly maxPhoneNumbersPerWaba?: number;
}): Record<string, unknown> {
  return compact({
    max_daily_conversation_per_phone: u.maxDailyConversationPerPhone,
    max_daily_conversations_per_business: u.maxDailyConversationsPerBusiness,
    max_phone_numbers_per_business: u.maxPhoneNumbersPerBusiness,
    max_phone_numbers_per_waba: u.maxPhoneNumbersPerWaba,
  });
}

export type MarketingPreference = 'stop' | 'resume' | 'signup';

const DEFAULT_PREFERENCE_DETAIL: Readonly<Record<MarketingPreference, string>> = {
  stop: 'User requested to stop marketing messages',
  resume: 'User requested to resume marketing messages',
  signup: 'User signed up for marketing messages',
};

/**
 * Field `user_preferences` [FX pywa user_marketing_preferences.json]: the value carries `messaging_product`,
 * `metadata`, `contacts[{wa_id}]` and `user_preferences[]`, whose `timestamp` is an integer (not a string).
 */
export function buildUserPreferencesValue(
  number: BusinessNumberRef,
  pref: {
    readonly waId: string;
    readonly userId?: string;
    readonly value: MarketingPreference;
    readonly timestampMs: number;
    readonly detail?: string;
    readonly category?: string;
    readonly signupId?: string;
  },
): Record<string, unknown> {
  const contact: WebhookContact = { wa_id: pref.waId };
  if (pref.userId !== undefined) contact.user_id = pref.userId;
  const item: Record<string, unknown> = {
    wa_id: pref.waId,
    detail: pref.detail ?? DEFAULT_PREFERENCE_DETAIL[pref.value],
    category: pref.category ?? 'marketing_messages',
    value: pref.value,
    timestamp: unixSeconds(pref.timestampMs),
  };
  if (pref.signupId !== undefined) item['signup_id'] = pref.signupId;
  return { messaging_product: 'whatsapp', metadata: metadataOf(number), contacts: [contact], user_preferences: [item] };
}

// ---------------------------------------------------------------------------------------------------------------
// Envelope, batching helpers, serialisation

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Phone-number-scoped values (`messaging_product` + `metadata`: messages, statuses, user_preferences, echoes)
 * come in entries without `time`; account-level fields (templates, quality, account_update …) carry
 * `entry[].time` [MIR phone_number_quality_update.md; FX pywa].
 */
function isNumberScoped(value: unknown): boolean {
  return isRecord(value) && value['messaging_product'] === 'whatsapp';
}

/**
 * Wraps changes into Meta's envelope: one `entry` per WABA (several `changes` each), in order of first
 * appearance. Number-scoped and account-level changes of one WABA go to separate entries because only the latter
 * carry `time`.
 */
export function wrapEnvelope(changes: readonly WebhookChange[], nowMs: number): WebhookEnvelope {
  const entries: WebhookEntry[] = [];
  const byKey = new Map<string, WebhookEntry>();
  for (const change of changes) {
    const timed = !isNumberScoped(change.value);
    const key = `${change.wabaId}\u0000${timed ? 't' : 'n'}`;
    let entry = byKey.get(key);
    if (!entry) {
      entry = timed ? { id: change.wabaId, time: unixSeconds(nowMs), changes: [] } : { id: change.wabaId, changes: [] };
      byKey.set(key, entry);
      entries.push(entry);
    }
    entry.changes.push({ value: change.value, field: change.field });
  }
  return { object: 'whatsapp_business_account', entry: entries };
}

/** Arrays whose items are individual updates, and that Meta batches inside one `value`. */
const UPDATE_ARRAYS = ['messages', 'statuses', 'message_echoes', 'user_preferences', 'errors'] as const;

/** How many updates a change holds (items of its update arrays; 1 for single-object values). */
export function countUpdates(change: WebhookChange): number {
  if (!isRecord(change.value)) return 1;
  let n = 0;
  for (const key of UPDATE_ARRAYS) {
    const items = change.value[key];
    if (Array.isArray(items)) n += items.length;
  }
  return Math.max(1, n);
}

function mergeKey(change: WebhookChange): string | undefined {
  const value = change.value;
  if (!isNumberScoped(value) || !isRecord(value)) return undefined;
  const metadata = value['metadata'];
  if (!isRecord(metadata)) return undefined;
  const kinds = UPDATE_ARRAYS.filter((k) => Array.isArray(value[k]));
  if (kinds.length === 0) return undefined;
  return JSON.stringify([change.wabaId, change.field, metadata['phone_number_id'], kinds]);
}

/**
 * Merges changes of the same WABA, field and phone number whose values hold the same kind of updates
 * (e.g. several `statuses`) into one `value`, concatenating the arrays and de-duplicating `contacts` — the way
 * Meta batches ("multiple messages[]/statuses[] items in one POST", WHATSAPP.md §3.3). Inputs are not mutated.
 */
export function coalesceChanges(changes: readonly WebhookChange[]): WebhookChange[] {
  const out: WebhookChange[] = [];
  const merged = new Map<string, Record<string, unknown>>();
  for (const change of changes) {
    const key = mergeKey(change);
    const target = key === undefined ? undefined : merged.get(key);
    if (key === undefined || !isRecord(change.value)) {
      out.push(change);
      continue;
    }
    if (!target) {
      const copy: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(change.value)) copy[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
      merged.set(key, copy);
      out.push({ wabaId: change.wabaId, field: change.field, value: copy });
      continue;
    }
    for (const [k, v] of Object.entries(change.value)) {
      if (!Array.isArray(v)) continue;
      const existing = target[k];
      const items: unknown[] = Array.isArray(existing) ? (existing as unknown[]) : [];
      if (k === 'contacts') {
        const seen = new Set(items.map((c) => JSON.stringify(c)));
        for (const c of v as unknown[]) {
          const id = JSON.stringify(c);
          if (!seen.has(id)) {
            seen.add(id);
            items.push(c);
          }
        }
      } else {
        items.push(...(v as unknown[]));
      }
      target[k] = items;
    }
  }
  return out;
}

/**
 * Serialises an envelope the way it goes on the wire. With `escapeNonAscii` every non-ASCII UTF-16 unit becomes
 * `\uXXXX` (emoji as surrogate pairs, e.g. `\ud83d\ude2e` as in recorded payloads), so a receiver that
 * re-serialises the parsed JSON instead of hashing the raw bytes fails signature checks, as it would with Meta.
 */
export function serializeEnvelope(envelope: WebhookEnvelope, options: { escapeNonAscii?: boolean } = {}): string {
  const json = JSON.stringify(envelope);
  if (options.escapeNonAscii === false) return json;
  return json.replace(/[\u0080-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
