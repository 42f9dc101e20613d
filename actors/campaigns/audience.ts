import type { ContactSummary } from '../contacts/contact-filter.ts';
import { isValidE164, recipientCountry } from '../contacts/phone-country.ts';
import type { HeaderMedia } from '../templates/template-message.ts';
import {
  previewTemplate,
  valuesFromMapping,
  type ContactFields,
  type TemplateValues,
  type VariableMapping,
} from '../templates/template-preview.ts';
import type { TemplateDefinition } from '../templates/template.types.ts';
import type { SkipReason } from './recipient-outcome.ts';
import { linkValuesOf, withClickTokens, type TrackedButton } from './tracked-link.ts';

/**
 * Who of a campaign's audience is sent what (issue #6, 3), pure: the screening of each contact (consent, number,
 * duplicates, Meta's block of marketing to US numbers, unresolvable variables), the A/B variant (deterministic per
 * contact), and the template values from the contact's fields.
 */

export type CampaignCategory = 'marketing' | 'utility';

/** One A/B variant: a template (one language) and how its variables are filled. */
export interface CampaignVariant {
  /** `A`, `B`, … */
  readonly id: string;
  /** Share of the audience in percent; the variants' weights add up to 100. */
  readonly weight: number;
  readonly template: TemplateDefinition;
  readonly variables: VariableMapping;
  readonly headerMedia?: HeaderMedia;
  /** URL buttons whose clicks are counted, each with where it really leads (tracked-link.ts). */
  readonly trackedButtons?: readonly TrackedButton[];
}

/** A recipient as the run keeps it: whom, which variant, the values its message is filled with. */
export interface SnapshotRecipient {
  readonly key: string;
  /** The `to` of the send: E.164 digits, or the business-scoped user id. */
  readonly phone: string | null;
  readonly userId: string | null;
  readonly timeZone: string | null;
  readonly country: string;
  readonly variant: number;
  readonly values: TemplateValues | null;
  /** Set when the recipient is skipped at the snapshot. */
  readonly skip: SkipReason | null;
  /** The contact fields the variant's tracked destinations read (absent when they read none). */
  readonly linkValues?: Readonly<Record<string, string>>;
}

/**
 * Meta stopped delivering marketing templates to US (+1) WhatsApp users on 1 April 2025 (error 131049 at send
 * time); Parlo skips them before anything is charged or counted.
 */
export const US_MARKETING_BLOCKED_COUNTRY = 'US';

/** The contact's values a variable can read: custom fields, and the built-ins `name`, `first_name`, `phone`, `language`. */
export function contactFieldsOf(contact: ContactSummary): ContactFields {
  const name = contact.name ?? contact.profileName;
  return {
    ...contact.fields,
    name,
    first_name: name === null ? null : (name.trim().split(/\s+/)[0] ?? null),
    phone: contact.phone,
    language: contact.language,
  };
}

/**
 * The variant of a contact: FNV-1a of `<campaignId>:<key>` in basis points against the cumulative weights, so a
 * contact gets the same variant in every run and preview of the campaign, and shares follow the weights.
 */
export function variantOf(campaignId: string, key: string, weights: readonly number[]): number {
  let hash = 0x811c9dc5;
  const text = `${campaignId}:${key}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 15;
  hash = Math.imul(hash, 0x2c1b3c6d);
  hash ^= hash >>> 12;
  const point = (hash >>> 0) % 10_000;
  let upTo = 0;
  for (let i = 0; i < weights.length; i++) {
    upTo += Math.round(weights[i]! * 100);
    if (point < upTo) return i;
  }
  return weights.length - 1;
}

/**
 * Why the contact cannot be sent the campaign (checked in this order), or null. `seen` holds the keys and phone
 * numbers already taken into this snapshot and is updated for an eligible contact.
 */
export function screenContact(
  contact: ContactSummary,
  category: CampaignCategory,
  seen: Set<string>,
): SkipReason | null {
  const phone = contact.phone;
  if (phone !== null ? !isValidE164(phone) : contact.userId === null) return 'invalid_number';
  if (seen.has(contact.key) || (phone !== null && seen.has(`+${phone}`))) return 'duplicate';
  const consent = category === 'marketing' ? contact.marketing : contact.utility;
  if (consent === 'optedOut') return 'opted_out';
  if (category === 'marketing' && consent !== 'optedIn') return 'no_consent';
  if (category === 'marketing' && recipientCountry(contact) === US_MARKETING_BLOCKED_COUNTRY) {
    return 'us_marketing_block';
  }
  seen.add(contact.key);
  if (phone !== null) seen.add(`+${phone}`);
  return null;
}

/** The snapshot entry of one contact: screened, given its variant, its values resolved. */
export function snapshotRecipient(
  contact: ContactSummary,
  campaign: { readonly id: string; readonly category: CampaignCategory; readonly variants: readonly CampaignVariant[] },
  seen: Set<string>,
): SnapshotRecipient {
  const base = {
    key: contact.key,
    phone: contact.phone,
    userId: contact.userId,
    timeZone: contact.timeZone,
    country: recipientCountry(contact),
  };
  const variant = variantOf(
    campaign.id,
    contact.key,
    campaign.variants.map((v) => v.weight),
  );
  const skip = screenContact(contact, campaign.category, seen);
  if (skip !== null) return { ...base, variant, values: null, skip };
  const chosen = campaign.variants[variant]!;
  const fields = contactFieldsOf(contact);
  const values = valuesFromMapping(chosen.template, chosen.variables, fields);
  // A tracked button's variable is the click token, made when the message is dispatched.
  const tracked = chosen.trackedButtons ?? [];
  const complete = previewTemplate(
    chosen.template,
    withClickTokens(values, tracked, () => 'token'),
  ).ok;
  if (!complete) return { ...base, variant, values: null, skip: 'missing_variable' };
  const linkValues = linkValuesOf(tracked, fields);
  return { ...base, variant, values, skip: null, ...(linkValues === undefined ? {} : { linkValues }) };
}

/**
 * The summary screened for a key the contact index does not know (a list audience): no consent, no profile; a `p…`
 * key keeps its phone, a `u…` key its user id, anything else (an erased customer's pseudonym) neither, so it is
 * skipped as an invalid number.
 */
export function unknownContactSummary(key: string): ContactSummary {
  return {
    key,
    phone: key.startsWith('p') ? key.slice(1) : null,
    userId: key.startsWith('u') ? key.slice(1) : null,
    name: null,
    profileName: null,
    language: null,
    timeZone: null,
    tags: [],
    fields: {},
    marketing: 'unknown',
    utility: 'unknown',
    lastSeenAtMs: null,
    createdAtMs: 0,
    changedAtMs: 0,
  };
}
