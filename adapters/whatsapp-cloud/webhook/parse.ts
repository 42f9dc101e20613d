/**
 * Meta webhook POST bodies → the typed inbound events of `core/ports/channel-events.ts`.
 *
 * Every `entry[]`, every `changes[]` and every item of `messages[]`, `statuses[]`, `message_echoes[]`, `errors[]`
 * and `user_preferences[]` becomes an event (STYLE 2.4; Chatwoot's `entry.first[:changes].first` is the
 * counterexample). Nothing is dropped silently: a field this parser does not model, a change that yields no event,
 * and an item that does not match its schema each become an `unsupportedChange` holding the raw JSON. Unknown
 * extra keys are ignored by the schemas, and provider objects that the domain passes through (`content`,
 * `context`, `referral`, account `detail`) are taken from the raw JSON as received.
 *
 * Shapes: WHATSAPP.md §3.4–§3.8 and Meta's examples in `shared/meta-cloud-api/examples/webhooks/`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import {
  DELIVERY_STATUSES,
  type AccountUpdated,
  type BusinessCapabilityChanged,
  type ChannelError,
  type ChannelErrorReported,
  type InboundEvent,
  type MessageEchoed,
  type MessageReceived,
  type PhoneNumberQualityChanged,
  type StatusUpdated,
  type TemplateCategoryChanged,
  type TemplateQualityChanged,
  type TemplateStatusChanged,
  type UnsupportedChange,
  type UserPreferenceChanged,
} from '../../../core/ports/channel-events.ts';

/** An event and the key the inbound sink dedupes it by (Meta retries and duplicates webhooks, WHATSAPP.md §3.3). */
export interface KeyedInboundEvent {
  readonly event: InboundEvent;
  readonly dedupeKey: string;
}

export type WebhookParseResult =
  { readonly ok: true; readonly events: KeyedInboundEvent[] } | { readonly ok: false; readonly reason: string };

/** `field` of the `unsupportedChange` for an `entry[]` item that is not `{id, changes: []}`. */
export const MALFORMED_ENTRY_FIELD = '(entry)';
/** `field` of the `unsupportedChange` for a `changes[]` item without a string `field`. */
export const MALFORMED_CHANGE_FIELD = '(change)';

/** Inbound message types Meta documents (WHATSAPP.md §3.5); their content is the object under the type key. */
const KNOWN_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'interactive',
  'button',
  'reaction',
  'order',
  'system',
  'unsupported',
  'unknown',
  'edit',
  'revoke',
]);

// ---- schemas: only what the events need; extra keys are stripped from the parsed copy, never refused ----

/** Unix seconds, as Meta's string (`"1749416383"`) or, in some fields, a number → epoch milliseconds. */
const UnixSecondsAsMs = z
  .union([z.string().regex(/^\d+$/), z.number().int().nonnegative()])
  .transform((value) => Number(value) * 1000);

/** Graph ids: strings, except where Meta sends integers (`message_template_id`). */
const GraphId = z.union([z.string().min(1), z.number().int()]).transform(String);

const ErrorCode = z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]);

const WebhookError = z
  .object({
    code: ErrorCode,
    title: z.string().optional(),
    message: z.string().optional(),
    error_data: z.object({ details: z.string().optional() }).optional(),
    href: z.string().optional(),
  })
  .transform((error): ChannelError =>
    compact({
      code: error.code,
      title: error.title ?? error.message ?? '',
      message: error.message,
      details: error.error_data?.details,
      href: error.href,
    }),
  );

const Envelope = z.object({ object: z.literal('whatsapp_business_account'), entry: z.array(z.unknown()) });

const Entry = z.object({
  id: GraphId,
  time: z.union([z.number(), z.string()]).optional(),
  changes: z.array(z.unknown()),
});

const Change = z.object({ field: z.string().min(1), value: z.unknown() });

const Metadata = z.object({ display_phone_number: z.string().optional(), phone_number_id: GraphId });

/** Value of fields that belong to one business phone number (`messages`, `smb_message_echoes`, …). */
const NumberValue = z.object({ metadata: Metadata });

const Contact = z.object({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  profile: z.object({ name: z.string().optional(), username: z.string().optional() }).optional(),
});
type Contact = z.infer<typeof Contact>;

const MessagesValue = z.object({
  metadata: Metadata,
  contacts: z.array(z.unknown()).optional(),
  messages: z.array(z.unknown()).optional(),
  statuses: z.array(z.unknown()).optional(),
  errors: z.array(z.unknown()).optional(),
});

const InboundMessage = z.object({
  id: z.string().min(1),
  from: z.string().optional(),
  from_user_id: z.string().optional(),
  timestamp: UnixSecondsAsMs,
  type: z.string().min(1),
  errors: z.array(WebhookError).optional(),
});

const Status = z.object({
  id: z.string().min(1),
  status: z.enum(DELIVERY_STATUSES),
  timestamp: UnixSecondsAsMs,
  recipient_id: z.string().optional(),
  recipient_user_id: z.string().optional(),
  recipient_participant_id: z.string().optional(),
  biz_opaque_callback_data: z.string().optional(),
  conversation: z
    .object({
      id: z.string(),
      expiration_timestamp: UnixSecondsAsMs.optional(),
      origin: z.object({ type: z.string() }).optional(),
    })
    .optional(),
  pricing: z
    .object({ billable: z.boolean(), pricing_model: z.string(), type: z.string().optional(), category: z.string() })
    .optional(),
  errors: z.array(WebhookError).optional(),
});

const EchoesValue = z.object({ metadata: Metadata, message_echoes: z.array(z.unknown()) });

const Echo = z
  .object({
    id: z.string().min(1),
    to: z.string().optional(),
    to_user_id: z.string().optional(),
    timestamp: UnixSecondsAsMs,
    type: z.string().min(1),
  })
  .refine((echo) => echo.to !== undefined || echo.to_user_id !== undefined, 'to or to_user_id is required');

const TemplateFields = {
  message_template_id: GraphId,
  message_template_name: z.string(),
  message_template_language: z.string(),
};

const TemplateStatusValue = z.object({
  ...TemplateFields,
  event: z.string().min(1),
  reason: z.string().nullable().optional(),
  message_template_category: z.string().optional(),
});

const TemplateQualityValue = z.object({
  ...TemplateFields,
  previous_quality_score: z.string(),
  new_quality_score: z.string(),
});

const TemplateCategoryValue = z.object({
  ...TemplateFields,
  previous_category: z.string().optional(),
  new_category: z.string(),
  correct_category: z.string().optional(),
});

const PhoneNumberQualityValue = z.object({
  display_phone_number: GraphId,
  event: z.string().min(1),
  current_limit: z.string().optional(),
  old_limit: z.string().optional(),
  max_daily_conversations_per_business: z.string().optional(),
});

const AccountUpdateValue = z.object({ event: z.string().min(1) });

const BusinessCapabilityValue = z.object({
  max_daily_conversations_per_business: z.string().optional(),
  max_daily_conversation_per_phone: z.number().int().optional(),
  max_phone_numbers_per_business: z.number().int().optional(),
});

const UserPreferencesValue = z.object({ user_preferences: z.array(z.unknown()) });

const UserPreference = z.object({
  wa_id: z.string().optional(),
  user_id: z.string().optional(),
  category: z.string(),
  value: z.string(),
  timestamp: UnixSecondsAsMs,
});

// ---- entry point ----

/**
 * Parses a webhook POST body (the raw bytes the signature was checked over). `ok: false` only when the body is
 * not JSON, or not `{object: 'whatsapp_business_account', entry: [...]}`; within a valid envelope every part
 * yields at least one event.
 */
export function parseWebhook(rawBody: Buffer): WebhookParseResult {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: `body is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  if (!isRecord(json)) return { ok: false, reason: 'body is not a JSON object' };
  const envelope = Envelope.safeParse(json);
  if (!envelope.success) {
    return {
      ok: false,
      reason:
        json.object === 'whatsapp_business_account'
          ? 'entry must be an array'
          : `object must be "whatsapp_business_account", got ${JSON.stringify(json.object) ?? 'nothing'}`,
    };
  }
  const events: KeyedInboundEvent[] = [];
  for (const rawEntry of envelope.data.entry) parseEntry(rawEntry, events);
  return { ok: true, events };
}

// ---- entries and changes ----

/** What a field handler knows about the change it reads. */
interface ChangeContext {
  readonly businessAccountId: string;
  /** `entry[].time` (unix seconds), when Meta sends it. */
  readonly entryTime?: number | string;
  readonly field: string;
  readonly value: unknown;
}

type FieldHandler = (change: ChangeContext) => KeyedInboundEvent[];

const FIELD_HANDLERS: Readonly<Record<string, FieldHandler>> = {
  messages: parseMessagesChange,
  smb_message_echoes: parseEchoesChange,
  user_preferences: parseUserPreferencesChange,
  message_template_status_update: parseTemplateStatusChange,
  message_template_quality_update: parseTemplateQualityChange,
  template_category_update: parseTemplateCategoryChange,
  phone_number_quality_update: parsePhoneNumberQualityChange,
  account_update: parseAccountUpdateChange,
  business_capability_update: parseBusinessCapabilityChange,
};

function parseEntry(rawEntry: unknown, out: KeyedInboundEvent[]): void {
  const entry = Entry.safeParse(rawEntry);
  if (!entry.success) {
    const id = isRecord(rawEntry) ? GraphId.safeParse(rawEntry.id) : undefined;
    const businessAccountId = id?.success === true ? id.data : '';
    out.push(unsupported({ businessAccountId, field: MALFORMED_ENTRY_FIELD, value: rawEntry }));
    return;
  }
  const { id: businessAccountId, time: entryTime } = entry.data;
  for (const rawChange of entry.data.changes) {
    const change = Change.safeParse(rawChange);
    if (!change.success) {
      out.push(
        unsupported(withTime({ businessAccountId, field: MALFORMED_CHANGE_FIELD, value: rawChange }, entryTime)),
      );
      continue;
    }
    const context = withTime({ businessAccountId, field: change.data.field, value: change.data.value }, entryTime);
    const handler = Object.hasOwn(FIELD_HANDLERS, context.field) ? FIELD_HANDLERS[context.field] : undefined;
    const events = handler?.(context) ?? [];
    // A change that yields nothing (an unknown field, a value that does not match its schema, empty arrays)
    // is kept whole rather than dropped.
    if (events.length === 0) out.push(unsupported(context));
    else out.push(...events);
  }
}

// ---- field: messages ----

function parseMessagesChange(change: ChangeContext): KeyedInboundEvent[] {
  const parsed = MessagesValue.safeParse(change.value);
  if (!parsed.success) return [];
  const { metadata } = parsed.data;
  const base = { accountId: metadata.phone_number_id, businessAccountId: change.businessAccountId };
  const contacts = (parsed.data.contacts ?? []).flatMap((raw) => {
    const contact = Contact.safeParse(raw);
    return contact.success ? [contact.data] : [];
  });
  const events: KeyedInboundEvent[] = [];
  // An item that does not match its schema is kept as an unsupportedChange shaped like a one-item change value.
  const unsupportedItem = (key: string, raw: unknown): KeyedInboundEvent =>
    unsupported({ ...change, value: { metadata: rawMetadata(change.value), [key]: [raw] } }, base.accountId);

  for (const raw of parsed.data.messages ?? []) {
    const message = InboundMessage.safeParse(raw);
    if (!message.success || !isRecord(raw)) {
      events.push(unsupportedItem('messages', raw));
      continue;
    }
    const m = message.data;
    const contact = findContact(contacts, m.from, m.from_user_id);
    const event: MessageReceived = compact({
      type: 'messageReceived',
      ...base,
      providerMessageId: m.id,
      timestampMs: m.timestamp,
      from: m.from ?? contact?.wa_id,
      fromUserId: m.from_user_id ?? contact?.user_id,
      profileName: contact?.profile?.name,
      username: contact?.profile?.username,
      messageType: m.type,
      content: messageContent(raw, m.type),
      context: isRecord(raw.context) ? raw.context : undefined,
      referral: isRecord(raw.referral) ? raw.referral : undefined,
      errors: m.errors,
    });
    events.push({ event, dedupeKey: `msg:${m.id}` });
  }

  for (const raw of parsed.data.statuses ?? []) {
    const status = Status.safeParse(raw);
    if (!status.success) {
      events.push(unsupportedItem('statuses', raw));
      continue;
    }
    const s = status.data;
    const event: StatusUpdated = compact({
      type: 'statusUpdated',
      ...base,
      providerMessageId: s.id,
      status: s.status,
      timestampMs: s.timestamp,
      recipientId: s.recipient_id,
      recipientUserId: s.recipient_user_id,
      messageKey: s.biz_opaque_callback_data,
      pricing:
        s.pricing &&
        compact({
          billable: s.pricing.billable,
          pricingModel: s.pricing.pricing_model,
          pricingType: s.pricing.type,
          category: s.pricing.category,
        }),
      conversation:
        s.conversation &&
        compact({
          id: s.conversation.id,
          originType: s.conversation.origin?.type,
          expiresAtMs: s.conversation.expiration_timestamp,
        }),
      errors: s.errors,
    });
    // A group send reports each participant under the same wamid (WHATSAPP.md §3.6); individual sends have no
    // participant, so their key is exactly `status:<wamid>:<status>`.
    const participant = s.recipient_participant_id === undefined ? '' : `:${s.recipient_participant_id}`;
    events.push({ event, dedupeKey: `status:${s.id}:${s.status}${participant}` });
  }

  const rawErrors = parsed.data.errors ?? [];
  if (rawErrors.length > 0) {
    const errors = z.array(WebhookError).safeParse(rawErrors);
    const value = { metadata: rawMetadata(change.value), errors: rawErrors };
    if (errors.success) {
      const event: ChannelErrorReported = { type: 'channelErrorReported', ...base, errors: errors.data };
      events.push({ event, dedupeKey: contentKey('errors', value, change.entryTime) });
    } else {
      events.push(unsupported({ ...change, value }, base.accountId));
    }
  }
  return events;
}

/**
 * The sender's entry in `contacts[]`: by phone number, else by business-scoped user id; a message that names
 * neither takes the only contact, if there is exactly one.
 */
function findContact(contacts: readonly Contact[], from?: string, fromUserId?: string): Contact | undefined {
  if (from !== undefined) {
    const byNumber = contacts.find((contact) => contact.wa_id === from);
    if (byNumber) return byNumber;
  }
  if (fromUserId !== undefined) {
    const byUserId = contacts.find((contact) => contact.user_id === fromUserId);
    if (byUserId) return byUserId;
  }
  return from === undefined && fromUserId === undefined && contacts.length === 1 ? contacts[0] : undefined;
}

/**
 * Known types: the object under the type key as received (`null` when Meta sent none, e.g. `unsupported`
 * without an `unsupported` object). A type this parser does not know yet: the whole raw message, since where its
 * content lives is not known.
 */
function messageContent(raw: Record<string, unknown>, type: string): unknown {
  if (!KNOWN_MESSAGE_TYPES.has(type)) return raw;
  return Object.hasOwn(raw, type) ? raw[type] : null;
}

// ---- field: smb_message_echoes ----

function parseEchoesChange(change: ChangeContext): KeyedInboundEvent[] {
  const parsed = EchoesValue.safeParse(change.value);
  if (!parsed.success) return [];
  const accountId = parsed.data.metadata.phone_number_id;
  return parsed.data.message_echoes.map((raw) => {
    const echo = Echo.safeParse(raw);
    if (!echo.success || !isRecord(raw)) {
      return unsupported(
        { ...change, value: { metadata: rawMetadata(change.value), message_echoes: [raw] } },
        accountId,
      );
    }
    const e = echo.data;
    const event: MessageEchoed = {
      type: 'messageEchoed',
      accountId,
      businessAccountId: change.businessAccountId,
      providerMessageId: e.id,
      timestampMs: e.timestamp,
      to: e.to ?? e.to_user_id ?? '',
      messageType: e.type,
      content: messageContent(raw, e.type),
    };
    return { event, dedupeKey: `echo:${e.id}` };
  });
}

// ---- field: user_preferences ----

function parseUserPreferencesChange(change: ChangeContext): KeyedInboundEvent[] {
  const parsed = UserPreferencesValue.safeParse(change.value);
  if (!parsed.success) return [];
  const accountId = accountIdOf(change.value);
  return parsed.data.user_preferences.map((raw) => {
    const preference = UserPreference.safeParse(raw);
    const value = { metadata: rawMetadata(change.value), user_preferences: [raw] };
    if (!preference.success) return unsupported({ ...change, value }, accountId);
    const p = preference.data;
    const event: UserPreferenceChanged = compact({
      type: 'userPreferenceChanged',
      accountId,
      businessAccountId: change.businessAccountId,
      waId: p.wa_id,
      userId: p.user_id,
      category: p.category,
      value: p.value,
      timestampMs: p.timestamp,
    });
    // The item carries its own timestamp, so the entry time is not needed to tell repeats apart.
    return { event, dedupeKey: contentKey(change.field, value) };
  });
}

// ---- account-level fields: one event per change ----

function parseTemplateStatusChange(change: ChangeContext): KeyedInboundEvent[] {
  const parsed = TemplateStatusValue.safeParse(change.value);
  if (!parsed.success) return [];
  const v = parsed.data;
  return keyedByContent<TemplateStatusChanged>(
    change,
    compact({
      type: 'templateStatusChanged',
      accountId: accountIdOf(change.value),
      businessAccountId: change.businessAccountId,
      templateId: v.message_template_id,
      templateName: v.message_template_name,
      language: v.message_template_language,
      event: v.event,
      reason: v.reason,
      category: v.message_template_category,
    }),
  );
}

function parseTemplateQualityChange(change: ChangeContext): KeyedInboundEvent[] {
  const parsed = TemplateQualityValue.safeParse(change.value);
  if (!parsed.success) return [];
  const v = parsed.data;
  return keyedByContent<TemplateQualityChanged>(
    change,
    compact({
      type: 'templateQualityChanged',
      accountId: accountIdOf(change.value),
      businessAccountId: change.businessAccountId,
      templateId: v.message_template_id,
      templateName: v.message_template_name,
      language: v.message_template_language,
      previousScore: v.previous_quality_score,
      newScore: v.new_quality_score,
    }),
  );
}

function parseTemplateCategoryChange(change: ChangeContext): KeyedInboundEvent[] {
  const parsed = TemplateCategoryValue.safeParse(change.value);
  if (!parsed.success) return [];
  const v = parsed.data;
  return keyedByContent<TemplateCategoryChanged>(
    change,
    compact({
      type: 'templateCategoryChanged',
      accountId: accountIdOf(change.value),
      businessAccountId: change.businessAccountId,
      templateId: v.message_template_id,
      templateName: v.message_template_name,
      language: v.message_template_language,
      previousCategory: v.previous_category,
      newCategory: v.new_category,
      correctCategory: v.correct_category,
    }),
  );
}

function parsePhoneNumberQualityChange(change: ChangeContext): KeyedInboundEvent[] {
  const parsed = PhoneNumberQualityValue.safeParse(change.value);
  if (!parsed.success) return [];
  const v = parsed.data;
  return keyedByContent<PhoneNumberQualityChanged>(
    change,
    compact({
      type: 'phoneNumberQualityChanged',
      accountId: accountIdOf(change.value),
      businessAccountId: change.businessAccountId,
      displayPhoneNumber: v.display_phone_number,
      event: v.event,
      // `current_limit`/`old_limit` are being replaced by `max_daily_conversations_per_business` (WHATSAPP.md §3.8).
      messagingLimit: v.max_daily_conversations_per_business ?? v.current_limit,
      previousLimit: v.old_limit,
    }),
  );
}

function parseAccountUpdateChange(change: ChangeContext): KeyedInboundEvent[] {
  const parsed = AccountUpdateValue.safeParse(change.value);
  if (!parsed.success || !isRecord(change.value)) return [];
  return keyedByContent<AccountUpdated>(
    change,
    compact({
      type: 'accountUpdated',
      accountId: accountIdOf(change.value),
      businessAccountId: change.businessAccountId,
      event: parsed.data.event,
      detail: change.value,
    }),
  );
}

/** The pre-2026 per-phone limit as a number (`250`, …, `-1` = unlimited) → the tier name used since. */
const LIMIT_TIERS: ReadonlyMap<number, string> = new Map([
  [50, 'TIER_50'],
  [250, 'TIER_250'],
  [1000, 'TIER_1K'],
  [2000, 'TIER_2K'],
  [10000, 'TIER_10K'],
  [100000, 'TIER_100K'],
  [-1, 'TIER_UNLIMITED'],
]);

function parseBusinessCapabilityChange(change: ChangeContext): KeyedInboundEvent[] {
  const parsed = BusinessCapabilityValue.safeParse(change.value);
  if (!parsed.success) return [];
  const v = parsed.data;
  const perPhone = v.max_daily_conversation_per_phone;
  const legacyLimit = perPhone === undefined ? undefined : (LIMIT_TIERS.get(perPhone) ?? String(perPhone));
  return keyedByContent<BusinessCapabilityChanged>(
    change,
    compact({
      type: 'businessCapabilityChanged',
      accountId: accountIdOf(change.value),
      businessAccountId: change.businessAccountId,
      messagingLimit: v.max_daily_conversations_per_business ?? legacyLimit,
      maxPhoneNumbersPerBusiness: v.max_phone_numbers_per_business,
    }),
  );
}

// ---- helpers ----

/**
 * An event keyed by its content: `<field>:<sha256 of field + canonical JSON of value + entry time>`. The entry
 * time is part of the key because these values carry no timestamp of their own, so a real repeat (FLAGGED,
 * UNFLAGGED, FLAGGED again) would otherwise be swallowed as a duplicate; a retried delivery repeats the entry
 * as it was.
 */
function keyedByContent<E extends InboundEvent>(change: ChangeContext, event: E): KeyedInboundEvent[] {
  return [{ event, dedupeKey: contentKey(change.field, change.value, change.entryTime) }];
}

function unsupported(change: ChangeContext, accountId = accountIdOf(change.value)): KeyedInboundEvent {
  const event: UnsupportedChange = compact({
    type: 'unsupportedChange',
    accountId,
    businessAccountId: change.businessAccountId,
    field: change.field,
    value: change.value,
  });
  return { event, dedupeKey: contentKey(change.field, change.value, change.entryTime) };
}

function withTime(
  change: { businessAccountId: string; field: string; value: unknown },
  entryTime: number | string | undefined,
): ChangeContext {
  return entryTime === undefined ? change : { ...change, entryTime };
}

function contentKey(field: string, value: unknown, entryTime?: number | string): string {
  const hash = createHash('sha256').update(field).update('\n').update(canonicalJson(value));
  if (entryTime !== undefined) hash.update('\n').update(String(entryTime));
  return `${field}:${hash.digest('hex')}`;
}

/** JSON with object keys sorted at every level, so equal values always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (isRecord(value)) {
    const members = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function accountIdOf(value: unknown): string | undefined {
  const parsed = NumberValue.safeParse(value);
  return parsed.success ? parsed.data.metadata.phone_number_id : undefined;
}

function rawMetadata(value: unknown): unknown {
  return isRecord(value) ? value.metadata : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drops keys whose value is `undefined`, so events carry only what Meta sent (and msgpack stays small). */
function compact<T extends object>(value: T): T {
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) if (item !== undefined) result[key] = item;
  return result as T;
}
