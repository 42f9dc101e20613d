import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import {
  API_CONSENT_METHODS,
  CONSENT_ACTIONS,
  CONSENT_CLOCK_SKEW_MS,
  CONSENT_METHODS,
  CONSENT_SCOPES,
  CONSENT_STATUSES,
  MAX_CONSENT_SOURCE_LENGTH,
  MAX_CONSENT_WORDING_LENGTH,
  type ConsentEvidence,
} from '../../../actors/contacts/consent.ts';
import {
  CUSTOMER_KEY_RULE,
  ConsentScopeOrAllSchema,
  ConsentScopeSchema,
  MAX_CONTACT_KEY_LENGTH,
  contactAddress,
  isContactKey,
  type ContactMsg,
  type ContactReply,
  type ContactView,
  type ScopeConsentView,
} from '../../../actors/contacts/contact.messages.ts';
import {
  contactFieldsAddress,
  type ContactFieldsReplies,
  type ContactFieldsState,
} from '../../../actors/contacts/contact-fields.actor.ts';
import {
  FIELD_TYPES,
  MAX_ENUM_OPTIONS,
  MAX_ENUM_OPTION_LENGTH,
  MAX_FIELDS,
  MAX_FIELD_KEY_LENGTH,
  MAX_FIELD_LABEL_LENGTH,
} from '../../../actors/contacts/contact-fields.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { validationFailed } from '../api/validation.ts';
import { callerOf, okOrThrow } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';
import { ProfileInput, profilePatchOf } from './contact-profile-input.ts';
import { contactsBatchRoutes } from './contacts-batch.routes.ts';
import { contactsSearchRoutes } from './contacts-search.routes.ts';
import { segmentRoutes } from './segments.routes.ts';
import { contactDataRoutes } from './contact-data.routes.ts';
import { consentKeywordRoutes } from './consent-keywords.routes.ts';
import { auditActorOf } from './numbers.routes.ts';

/**
 * Contacts and their consent (issue #5, 3). A contact is one customer of the caller's organisation, addressed by
 * its key: `p` + the E.164 number (`p15551234567`), or `u` + the WhatsApp business-scoped user id of a customer
 * whose number WhatsApp withholds. A contact comes to exist with its first inbound message or its first consent
 * record (the PUT below); reading one that does not exist answers 404 `PARLO_CONTACT_NOT_FOUND`.
 *
 * Consent rules (actors/contacts/consent.ts): marketing needs an explicit opt-in not followed by an opt-out;
 * utility is allowed unless the customer opted out of it. Every change keeps its evidence (time, method, source,
 * wording, who); opt-out keywords and WhatsApp's stop button are recorded by the platform as they arrive. The
 * organisation's own keywords: consent-keywords.routes.ts.
 */

export interface ContactsRoutesDeps {
  readonly system: ActorSystem;
  /** The clock for "not in the future" checks (the fake clock in tests). */
  readonly now?: () => number;
  /** GDPR erasure: the pseudonyms (keyed by an installation secret) and the media store's erase. */
  readonly pseudonymOf?: (orgId: string, key: string) => string;
  readonly eraseMedia?: (ref: string) => Promise<boolean>;
}

// ---------------------------------------------------------------- schemas

const ContactKey = z
  .string()
  .max(MAX_CONTACT_KEY_LENGTH)
  .refine(isContactKey, { message: `expected ${CUSTOMER_KEY_RULE}` })
  .describe(`The contact's key: ${CUSTOMER_KEY_RULE}`);

const RecordedBy = z
  .object({
    kind: z.enum(['user', 'apiKey', 'system', 'customer']),
    id: z.string().nullable().describe('The user or API key id; null for the customer'),
  })
  .meta({ id: 'ConsentRecordedBy' });

const Evidence = z
  .object({
    id: z.string(),
    at: z.string().describe('When consent was given or withdrawn'),
    recordedAt: z.string().describe('When Parlo recorded it'),
    action: z.enum(CONSENT_ACTIONS),
    method: z.enum(CONSENT_METHODS),
    source: z.string(),
    wording: z.string().nullable().describe('The text the customer saw (for keywords: the confirmation sent back)'),
    recordedBy: RecordedBy,
    keyword: z.string().nullable().describe('Keyword entries: the keyword as matched (accents and case folded)'),
    language: z.string().nullable(),
    messageId: z.string().nullable().describe("Keyword entries: the customer's WhatsApp message id"),
    phoneNumberId: z.string().nullable(),
  })
  .meta({ id: 'ConsentEvidence' });

const ScopeConsent = z
  .object({
    status: z.enum(CONSENT_STATUSES),
    since: z.string().nullable().describe('When the current status began; null while unknown'),
    allowed: z.boolean().describe('Whether a message of this scope may be sent now'),
    evidence: z.array(Evidence).describe('Newest first; the newest 50 per scope are kept'),
    evidenceDropped: z.number().int().describe('Older entries no longer kept'),
  })
  .meta({ id: 'ScopeConsent' });

const Contact = z
  .object({
    key: z.string(),
    phone: z.string().nullable().describe('E.164 digits, when known'),
    userId: z.string().nullable().describe('WhatsApp business-scoped user id, when known'),
    profileName: z.string().nullable(),
    firstSeenAt: z.string().nullable().describe('First inbound message'),
    lastSeenAt: z.string().nullable().describe('Last inbound message'),
    lastPhoneNumberId: z.string().nullable().describe('The business number the customer last wrote to'),
    linkedContactKey: z
      .string()
      .nullable()
      .describe("The customer's other record (phone ⇄ user id), whose consent evidence is kept in step"),
    createdAt: z.string(),
    updatedAt: z.string(),
    consent: z.object({ marketing: ScopeConsent, utility: ScopeConsent }),
    profile: z
      .object({
        name: z.string().nullable(),
        language: z.string().nullable().describe("Meta's language code (es, en_US, pt_BR)"),
        timeZone: z.string().nullable().describe('IANA time zone (Europe/Madrid)'),
        tags: z.array(z.string()),
        fields: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
          .describe('Values of the organisation’s custom fields (GET /v1/contacts/fields)'),
        notes: z.string().nullable(),
      })
      .meta({ id: 'ContactProfile' }),
  })
  .meta({ id: 'Contact' });

const ConsentRecorded = z
  .object({
    recorded: z.boolean().describe('False when the same consent was already the current one (nothing changed)'),
    contact: Contact,
  })
  .meta({ id: 'ConsentRecorded' });

const ConsentCheck = z
  .object({
    contactKey: z.string(),
    scope: z.enum(CONSENT_SCOPES),
    allowed: z.boolean(),
    status: z.enum(CONSENT_STATUSES),
    since: z.string().nullable(),
  })
  .meta({ id: 'ConsentCheck' });

const ConsentInput = z
  .object({
    action: z.enum(CONSENT_ACTIONS),
    method: z
      .enum(API_CONSENT_METHODS)
      .describe('api (recorded by a person or integration), import (from another system), form (a web form)'),
    source: z
      .string()
      .trim()
      .min(1)
      .max(MAX_CONSENT_SOURCE_LENGTH)
      .describe('Where consent was collected: a URL, a campaign, a file, a ticket'),
    wording: z
      .string()
      .trim()
      .min(1)
      .max(MAX_CONSENT_WORDING_LENGTH)
      .nullable()
      .optional()
      .describe('The text the customer agreed to'),
    at: z.iso
      .datetime({ offset: true })
      .optional()
      .describe('When the customer gave or withdrew consent (default: now); not in the future'),
  })
  .meta({ id: 'ConsentInput' });

// ---------------------------------------------------------------- mapping

function evidenceBody(e: ConsentEvidence): z.input<typeof Evidence> {
  return {
    id: e.id,
    at: iso(e.atMs),
    recordedAt: iso(e.recordedAtMs),
    action: e.action,
    method: e.method,
    source: e.source,
    wording: e.wording,
    recordedBy: e.by === 'customer' ? { kind: 'customer', id: null } : { kind: e.by.kind, id: e.by.id },
    keyword: e.keyword,
    language: e.language,
    messageId: e.messageId,
    phoneNumberId: e.phoneNumberId,
  };
}

function scopeBody(s: ScopeConsentView): z.input<typeof ScopeConsent> {
  return {
    status: s.status,
    since: s.sinceMs === null ? null : iso(s.sinceMs),
    allowed: s.allowed,
    evidence: s.history.map(evidenceBody),
    evidenceDropped: s.droppedCount,
  };
}

/** `defined`: the organisation's field keys; values of fields no longer defined are kept but not shown. */
export function contactBody(c: ContactView, defined: ReadonlySet<string>): z.input<typeof Contact> {
  const at = (ms: number | null) => (ms === null ? null : iso(ms));
  const fields = Object.fromEntries(Object.entries(c.profile.fields).filter(([key]) => defined.has(key)));
  return {
    key: c.key,
    phone: c.phone,
    userId: c.userId,
    profileName: c.profileName,
    firstSeenAt: at(c.firstSeenAtMs),
    lastSeenAt: at(c.lastSeenAtMs),
    lastPhoneNumberId: c.lastPhoneNumberId,
    linkedContactKey: c.linkedKey,
    createdAt: iso(c.createdAtMs),
    updatedAt: iso(c.updatedAtMs),
    consent: { marketing: scopeBody(c.consent.marketing), utility: scopeBody(c.consent.utility) },
    profile: { ...c.profile, tags: [...c.profile.tags], fields },
  };
}

const FieldDefinitionSchema = z
  .object({
    key: z.string().min(1).max(MAX_FIELD_KEY_LENGTH).describe('lower_snake_case: the name in the API and in segments'),
    label: z.string().min(1).max(MAX_FIELD_LABEL_LENGTH),
    type: z.enum(FIELD_TYPES),
    options: z
      .array(z.string().min(1).max(MAX_ENUM_OPTION_LENGTH))
      .max(MAX_ENUM_OPTIONS)
      .optional()
      .describe('enum fields: the allowed values'),
  })
  .meta({ id: 'ContactField' });

const FieldSet = z
  .object({
    fields: z.array(FieldDefinitionSchema),
    updatedAt: z.string().nullable(),
  })
  .meta({ id: 'ContactFields' });

function fieldSetBody(state: ContactFieldsState): z.input<typeof FieldSet> {
  return {
    fields: state.fields.map((f) => ({
      key: f.key,
      label: f.label,
      type: f.type,
      ...(f.options ? { options: [...f.options] } : {}),
    })),
    updatedAt: state.updatedAtMs === null ? null : iso(state.updatedAtMs),
  };
}

// ---------------------------------------------------------------- routes

export function contactRoutes(deps: ContactsRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const now = deps.now ?? (() => Date.now());
  const contact = <T extends ContactMsg['type']>(
    orgId: string,
    key: string,
    msg: Extract<ContactMsg, { type: T }>,
  ): Promise<ContactReply<T>> => system.ask<ContactReply<T>>(contactAddress(orgId, key), msg);
  const definedFields = async (orgId: string): Promise<ReadonlySet<string>> => {
    const defined = await system.ask<ContactFieldsReplies['getFields']>(contactFieldsAddress(orgId), {
      type: 'getFields',
    });
    return new Set(defined.fields.map((f) => f.key));
  };

  const recordConsent = defineRoute({
    method: 'PUT',
    url: '/contacts/:contactKey/consent/:scope',
    operationId: 'recordContactConsent',
    summary: "Record a contact's opt-in or opt-out of marketing or utility messages, with its evidence",
    description:
      'Appends an evidence entry (action, method, source, wording, time, who) and answers the contact. The newest entry by time decides the status, so a back-dated import does not undo a later opt-out. Scope `all` records the entry for both scopes (an opt-out of everything). Sending the same consent again changes nothing (`recorded: false`). Creates the contact if it does not exist yet. An opt-out emits the `contact.opted_out` webhook.',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:write'],
    params: z.object({ contactKey: ContactKey, scope: ConsentScopeOrAllSchema }),
    body: ConsentInput,
    responses: { 200: ConsentRecorded },
    async handler({ params, body, request }) {
      const caller = callerOf(request);
      let atMs: number | undefined;
      if (body.at !== undefined) {
        atMs = Date.parse(body.at);
        if (atMs > now() + CONSENT_CLOCK_SKEW_MS) {
          throw validationFailed([
            { location: 'body', path: 'at', rule: 'custom', message: 'must not be in the future' },
          ]);
        }
      }
      const reply = okOrThrow(
        await contact<'recordConsent'>(caller.orgId, params.contactKey, {
          type: 'recordConsent',
          scope: params.scope,
          action: body.action,
          method: body.method,
          source: body.source,
          ...(body.wording === undefined ? {} : { wording: body.wording }),
          ...(atMs === undefined ? {} : { atMs }),
          by: auditActorOf(caller),
        }),
      );
      const defined = await definedFields(caller.orgId);
      return { status: 200, body: { recorded: reply.recorded, contact: contactBody(reply.contact, defined) } };
    },
  });

  const getContact = defineRoute({
    method: 'GET',
    url: '/contacts/:contactKey',
    operationId: 'getContact',
    summary: 'A contact: identifiers, first and last seen, and consent per scope with its evidence',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:read'],
    params: z.object({ contactKey: ContactKey }),
    responses: { 200: Contact },
    async handler({ params, request }) {
      const { orgId } = callerOf(request);
      const { contact: view } = okOrThrow(
        await contact<'getContact'>(orgId, params.contactKey, { type: 'getContact' }),
      );
      return { status: 200, body: contactBody(view, await definedFields(orgId)) };
    },
  });

  const checkConsent = defineRoute({
    method: 'GET',
    url: '/contacts/:contactKey/consent/:scope',
    operationId: 'checkContactConsent',
    summary: 'May a message of this scope be sent to the contact now?',
    description:
      'Marketing: only after an explicit opt-in not followed by an opt-out (a marketing send without it is refused with PARLO_NO_CONSENT). Utility: unless the contact opted out of utility.',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:read'],
    params: z.object({ contactKey: ContactKey, scope: ConsentScopeSchema }),
    responses: { 200: ConsentCheck },
    async handler({ params, request }) {
      const check = await contact<'checkConsent'>(callerOf(request).orgId, params.contactKey, {
        type: 'checkConsent',
        scope: params.scope,
      });
      if (!check.known) {
        throw new ParloError('PARLO_CONTACT_NOT_FOUND', `no contact ${params.contactKey} in this organisation`);
      }
      return {
        status: 200,
        body: {
          contactKey: params.contactKey,
          scope: params.scope,
          allowed: check.allowed,
          status: check.status,
          since: check.sinceMs === null ? null : iso(check.sinceMs),
        },
      };
    },
  });

  // The organisation's consent keywords belong to the same resource (and are served wherever contacts are).
  const getFields = defineRoute({
    method: 'GET',
    url: '/contacts/fields',
    operationId: 'getContactFields',
    summary: "The organisation's custom contact fields",
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:read'],
    responses: { 200: FieldSet },
    async handler({ request }) {
      const state = await system.ask<ContactFieldsReplies['getFields']>(contactFieldsAddress(callerOf(request).orgId), {
        type: 'getFields',
      });
      return { status: 200, body: fieldSetBody(state) };
    },
  });

  const putFields = defineRoute({
    method: 'PUT',
    url: '/contacts/fields',
    operationId: 'replaceContactFields',
    summary: "Replace the organisation's custom contact fields",
    description: `The whole set (at most ${MAX_FIELDS}): each with a lower_snake_case key (not a property every contact has, such as name or tags), a label and a type — text, number, date (YYYY-MM-DD), boolean, or enum with its options. Values already stored for a field that is removed are kept, not shown, and show again if the field comes back. Refused with 400 \`PARLO_VALIDATION_FAILED\` naming each problem.`,
    tags: ['contacts'],
    auth: 'any',
    scopes: ['org:manage'],
    body: z.object({ fields: z.array(FieldDefinitionSchema).max(MAX_FIELDS) }),
    responses: { 200: FieldSet },
    async handler({ body, request }) {
      const caller = callerOf(request);
      const replaced = await system.ask<ContactFieldsReplies['replaceFields']>(contactFieldsAddress(caller.orgId), {
        type: 'replaceFields',
        fields: body.fields,
        by: auditActorOf(caller),
      });
      if (!replaced.ok) throw new ParloError('PARLO_VALIDATION_FAILED', replaced.message);
      return { status: 200, body: fieldSetBody(replaced) };
    },
  });

  const updateProfile = defineRoute({
    method: 'PATCH',
    url: '/contacts/:contactKey',
    operationId: 'updateContact',
    summary: "Change a contact's name, language, time zone, tags, custom field values or notes",
    description:
      'Only what the body names changes; `null` clears a property or a field value. Tags: `set` replaces them, `add` and `remove` change them (tags are kept lowercase). Each custom field value must fit its field (GET /v1/contacts/fields): a value of another type, an unknown field, an unknown time zone or language is refused with 400 `PARLO_VALIDATION_FAILED` naming the field, and nothing changes. Creates the contact if it does not exist yet.',
    tags: ['contacts'],
    auth: 'any',
    scopes: ['contacts:write'],
    params: z.object({ contactKey: ContactKey }),
    body: ProfileInput,
    responses: { 200: Contact },
    async handler({ params, body, request }) {
      const caller = callerOf(request);
      const definitions = await system.ask<ContactFieldsReplies['getFields']>(contactFieldsAddress(caller.orgId), {
        type: 'getFields',
      });
      const { patch, problems } = profilePatchOf(body, definitions.fields);
      if (problems.length > 0) throw validationFailed(problems);
      const updated = okOrThrow(
        await contact<'updateProfile'>(caller.orgId, params.contactKey, {
          type: 'updateProfile',
          patch,
          by: auditActorOf(caller),
        }),
      );
      const defined = new Set(definitions.fields.map((f) => f.key));
      return { status: 200, body: contactBody(updated.contact, defined) };
    },
  });

  return [
    recordConsent,
    getFields,
    putFields,
    getContact,
    updateProfile,
    checkConsent,
    ...contactsBatchRoutes({ system }),
    ...contactsSearchRoutes({ system, now }),
    ...segmentRoutes({ system, now }),
    ...contactDataRoutes({
      system,
      now,
      ...(deps.pseudonymOf ? { pseudonymOf: deps.pseudonymOf } : {}),
      ...(deps.eraseMedia ? { eraseMedia: deps.eraseMedia } : {}),
    }),
    ...consentKeywordRoutes({ system }),
  ];
}
