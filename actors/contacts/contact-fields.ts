/**
 * An organisation's custom contact fields (issue #6, 2): typed fields every contact may carry (a loyalty tier, a
 * birthday, the last order's amount), which segments filter on and templates fill variables from. Pure rules
 * (STYLE rule 3): which definitions are valid, and which value a field of a type accepts.
 *
 * Types: `text` (at most MAX_TEXT_VALUE characters), `number` (finite), `date` (a calendar date `YYYY-MM-DD`, no
 * time zone: a birthday is the same day everywhere), `boolean`, `enum` (one of the field's options).
 */

export const FIELD_TYPES = ['text', 'number', 'date', 'boolean', 'enum'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** A stored field value: text, date and enum are strings, number a number, boolean a boolean. */
export type FieldValue = string | number | boolean;

export interface FieldDefinition {
  /** `lower_snake_case`, the name in the API, in segments and in template variable mappings. */
  readonly key: string;
  readonly label: string;
  readonly type: FieldType;
  /** `enum` only: the allowed values, in display order. */
  readonly options?: readonly string[];
}

export const MAX_FIELDS = 100;
export const MAX_FIELD_KEY_LENGTH = 40;
export const MAX_FIELD_LABEL_LENGTH = 100;
export const MAX_ENUM_OPTIONS = 50;
export const MAX_ENUM_OPTION_LENGTH = 100;
export const MAX_TEXT_VALUE = 1_000;

export const FIELD_KEY_PATTERN = /^[a-z][a-z0-9_]*$/;

/** Names of the contact's own properties: a custom field may not take one (segments and mappings use both). */
export const RESERVED_FIELD_KEYS: ReadonlySet<string> = new Set([
  'name',
  'phone',
  'user_id',
  'language',
  'time_zone',
  'tags',
  'notes',
  'profile_name',
  'created_at',
  'updated_at',
  'last_seen_at',
  'consent',
]);

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/** Every problem of a set of definitions, each naming its field (`fields[2].options`); empty when valid. */
export function definitionProblems(fields: readonly FieldDefinition[]): string[] {
  const problems: string[] = [];
  if (fields.length > MAX_FIELDS) problems.push(`fields: at most ${MAX_FIELDS} custom fields, not ${fields.length}`);
  const seen = new Set<string>();
  fields.forEach((field, i) => {
    const at = `fields[${i}]`;
    if (field.key.length > MAX_FIELD_KEY_LENGTH || !FIELD_KEY_PATTERN.test(field.key)) {
      problems.push(
        `${at}.key: "${field.key}" must be lower_snake_case (a letter, then letters, digits, _), at most ${MAX_FIELD_KEY_LENGTH} characters`,
      );
    }
    if (RESERVED_FIELD_KEYS.has(field.key)) {
      problems.push(`${at}.key: "${field.key}" is a property every contact has; choose another name`);
    }
    if (seen.has(field.key)) problems.push(`${at}.key: "${field.key}" is defined twice`);
    seen.add(field.key);
    if (field.label.trim().length === 0 || field.label.length > MAX_FIELD_LABEL_LENGTH) {
      problems.push(`${at}.label: 1 to ${MAX_FIELD_LABEL_LENGTH} characters`);
    }
    if (field.type === 'enum') {
      const options = field.options ?? [];
      if (options.length === 0 || options.length > MAX_ENUM_OPTIONS) {
        problems.push(`${at}.options: an enum field needs 1 to ${MAX_ENUM_OPTIONS} options`);
      }
      if (new Set(options).size !== options.length) problems.push(`${at}.options: an option is listed twice`);
      if (options.some((o) => o.trim().length === 0 || o.length > MAX_ENUM_OPTION_LENGTH)) {
        problems.push(`${at}.options: each option is 1 to ${MAX_ENUM_OPTION_LENGTH} characters`);
      }
    } else if (field.options !== undefined) {
      problems.push(`${at}.options: only enum fields have options`);
    }
  });
  return problems;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The value as the field stores it, or why not (the message names the field's type and rule). */
export function checkFieldValue(field: FieldDefinition, value: unknown): Checked<FieldValue> {
  switch (field.type) {
    case 'text':
      return typeof value === 'string' && value.length <= MAX_TEXT_VALUE
        ? { ok: true, value }
        : { ok: false, message: `a text of at most ${MAX_TEXT_VALUE} characters` };
    case 'number':
      return typeof value === 'number' && Number.isFinite(value)
        ? { ok: true, value }
        : { ok: false, message: 'a finite number' };
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false, message: 'true or false' };
    case 'date':
      return typeof value === 'string' && isCalendarDate(value)
        ? { ok: true, value }
        : { ok: false, message: 'a calendar date YYYY-MM-DD' };
    case 'enum': {
      const options = field.options ?? [];
      return typeof value === 'string' && options.includes(value)
        ? { ok: true, value }
        : { ok: false, message: `one of ${options.map((o) => JSON.stringify(o)).join(', ')}` };
    }
  }
}

/** `YYYY-MM-DD` naming a day that exists (no 2026-02-30). */
export function isCalendarDate(text: string): boolean {
  const match = DATE.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}
