import type { ConsentStatus } from './consent.ts';
import type { FieldValue } from './contact-fields.ts';

/**
 * Which contacts a listing, a segment or a campaign audience means (issue #6, 2), pure (STYLE rule 3): tags
 * (any / all / none), custom field comparisons, consent per scope, last inbound activity, language, and text in
 * the name or phone. Every condition given must hold (AND); within `tags.any` and a field's `in`, one value is
 * enough. Evaluated over the contact index's summaries, cheapest conditions first.
 */

export interface ContactSummary {
  readonly key: string;
  readonly phone: string | null;
  readonly userId: string | null;
  readonly name: string | null;
  readonly profileName: string | null;
  readonly language: string | null;
  readonly timeZone: string | null;
  readonly tags: readonly string[];
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly marketing: ConsentStatus;
  readonly utility: ConsentStatus;
  readonly lastSeenAtMs: number | null;
  readonly createdAtMs: number;
  /** The contact's `updatedAtMs` when the summary was taken: the index keeps the newest. */
  readonly changedAtMs: number;
}

export const FIELD_OPERATORS = ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'exists', 'missing'] as const;
export type FieldOperator = (typeof FIELD_OPERATORS)[number];

export interface FieldCondition {
  readonly key: string;
  readonly op: FieldOperator;
  /** eq, ne, gt, gte, lt, lte. Dates compare as text (YYYY-MM-DD sorts as the calendar does). */
  readonly value?: FieldValue;
  /** in. */
  readonly values?: readonly FieldValue[];
}

export interface ContactFilter {
  readonly tags?: {
    readonly any?: readonly string[];
    readonly all?: readonly string[];
    readonly none?: readonly string[];
  };
  readonly fields?: readonly FieldCondition[];
  readonly marketing?: readonly ConsentStatus[];
  readonly utility?: readonly ConsentStatus[];
  /** Last inbound message at or after / before (epoch ms); a contact who never wrote has none. */
  readonly lastSeenAfterMs?: number;
  readonly lastSeenBeforeMs?: number;
  readonly neverSeen?: boolean;
  readonly languages?: readonly string[];
  /** In the name, the WhatsApp profile name or the phone digits (case and accents ignored). */
  readonly text?: string;
}

/** Whether the contact matches every condition of the filter. */
export function matchesFilter(contact: ContactSummary, filter: ContactFilter): boolean {
  if (filter.marketing !== undefined && !filter.marketing.includes(contact.marketing)) return false;
  if (filter.utility !== undefined && !filter.utility.includes(contact.utility)) return false;
  if (filter.languages !== undefined && (contact.language === null || !filter.languages.includes(contact.language))) {
    return false;
  }
  const seen = contact.lastSeenAtMs;
  if (filter.neverSeen === true && seen !== null) return false;
  if (filter.lastSeenAfterMs !== undefined && (seen === null || seen < filter.lastSeenAfterMs)) return false;
  if (filter.lastSeenBeforeMs !== undefined && (seen === null || seen >= filter.lastSeenBeforeMs)) return false;
  const tags = filter.tags;
  if (tags !== undefined) {
    if (tags.any !== undefined && tags.any.length > 0 && !tags.any.some((t) => contact.tags.includes(t))) return false;
    if (tags.all !== undefined && !tags.all.every((t) => contact.tags.includes(t))) return false;
    if (tags.none !== undefined && tags.none.some((t) => contact.tags.includes(t))) return false;
  }
  for (const condition of filter.fields ?? []) if (!fieldHolds(contact.fields[condition.key], condition)) return false;
  if (filter.text !== undefined && filter.text !== '') {
    const needle = fold(filter.text);
    const haystacks = [contact.name, contact.profileName, contact.phone];
    if (!haystacks.some((h) => h !== null && fold(h).includes(needle))) return false;
  }
  return true;
}

function fieldHolds(value: FieldValue | undefined, condition: FieldCondition): boolean {
  switch (condition.op) {
    case 'exists':
      return value !== undefined;
    case 'missing':
      return value === undefined;
    case 'in':
      return value !== undefined && (condition.values ?? []).includes(value);
    case 'eq':
      return value !== undefined && value === condition.value;
    case 'ne':
      return value !== condition.value;
    default: {
      if (value === undefined || condition.value === undefined || typeof value !== typeof condition.value) return false;
      const [a, b] = [value, condition.value] as [number | string, number | string];
      if (condition.op === 'gt') return a > b;
      if (condition.op === 'gte') return a >= b;
      if (condition.op === 'lt') return a < b;
      return a <= b;
    }
  }
}

/** Lower case without accents ("José" → "jose"). */
function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}
