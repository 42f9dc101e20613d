import { customerKeyOf } from '../customer-key.ts';
import { checkFieldValue, type FieldDefinition, type FieldValue } from '../contact-fields.ts';
import { LANGUAGE_PATTERN, TAG_PATTERN, isTimeZone, normaliseTag, type ProfilePatch } from '../contact-profile.ts';
import { normalisePhone } from './phone-normalise.ts';

/**
 * How the columns of an imported CSV become contacts (issue #6, 2), pure (STYLE rule 3). The first record is the
 * header; a column is mapped by its header: the phone column (required), the optional profile columns named in
 * `columns`, and every column whose header is a custom field's key (contact-fields.ts). Each data row becomes a
 * customer key and a profile patch, or the list of what is wrong with it (column and rule), so that an import
 * reports every bad row with its line and still imports the good ones.
 *
 * Cells: an empty cell changes nothing. Tags are separated by `|`, `;` or `,` inside their cell. A number may use
 * a decimal comma (`12,5`); a boolean is true/false, yes/no, sí/no, 1/0; a date is `YYYY-MM-DD`. The opt-in
 * column (when mapped) says whether the row records a marketing opt-in (true-ish) — the import's source and
 * wording are the evidence.
 */
export interface ImportMapping {
  /** Header of the phone column. */
  readonly phoneColumn: string;
  /** ISO 3166-1 alpha-2 country of numbers written without their country code; null: every number has one. */
  readonly defaultCountry: string | null;
  readonly columns?: {
    readonly name?: string;
    readonly language?: string;
    readonly timeZone?: string;
    readonly tags?: string;
    readonly notes?: string;
    readonly optIn?: string;
  };
}

export interface ImportPlan {
  readonly phone: number;
  readonly defaultCountry: string | null;
  readonly name: number;
  readonly language: number;
  readonly timeZone: number;
  readonly tags: number;
  readonly notes: number;
  readonly optIn: number;
  /** Custom fields by column index. */
  readonly fields: readonly { readonly index: number; readonly field: FieldDefinition }[];
  /** Headers that map to nothing (reported, not an error: a spreadsheet often has extra columns). */
  readonly ignored: readonly string[];
}

export interface RowProblem {
  readonly column: string;
  readonly message: string;
}

export type MappedRow =
  | {
      readonly ok: true;
      readonly key: string;
      readonly phone: string;
      readonly patch: ProfilePatch;
      /** True: record a marketing opt-in; false: an opt-out; null: the row says nothing about consent. */
      readonly optIn: boolean | null;
    }
  | { readonly ok: false; readonly problems: readonly RowProblem[] };

/** The columns of `header` for `mapping`, or every problem (a mapped header missing, one used twice). */
export function planImport(
  header: readonly string[],
  mapping: ImportMapping,
  definitions: readonly FieldDefinition[],
): { readonly ok: true; readonly plan: ImportPlan } | { readonly ok: false; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const trimmed = header.map((h) => h.trim());
  const used = new Set<number>();
  const indexOf = (name: string | undefined, what: string, required: boolean): number => {
    if (name === undefined) return -1;
    const index = trimmed.indexOf(name.trim());
    if (index < 0) {
      if (required || name !== undefined) problems.push(`${what}: no column "${name}" in the header`);
      return -1;
    }
    used.add(index);
    return index;
  };
  const c = mapping.columns ?? {};
  const plan = {
    phone: indexOf(mapping.phoneColumn, 'phoneColumn', true),
    defaultCountry: mapping.defaultCountry,
    name: indexOf(c.name, 'columns.name', false),
    language: indexOf(c.language, 'columns.language', false),
    timeZone: indexOf(c.timeZone, 'columns.timeZone', false),
    tags: indexOf(c.tags, 'columns.tags', false),
    notes: indexOf(c.notes, 'columns.notes', false),
    optIn: indexOf(c.optIn, 'columns.optIn', false),
  };
  const fields: { index: number; field: FieldDefinition }[] = [];
  for (const field of definitions) {
    const index = trimmed.indexOf(field.key);
    if (index < 0) continue;
    if (used.has(index)) {
      problems.push(`column "${field.key}" is mapped twice (a custom field and ${mappedAs(plan, index)})`);
      continue;
    }
    used.add(index);
    fields.push({ index, field });
  }
  if (problems.length > 0) return { ok: false, problems };
  const ignored = trimmed.filter((h, i) => !used.has(i) && h !== '');
  return { ok: true, plan: { ...plan, fields, ignored } };
}

/** One data row as a customer key and profile patch, or everything wrong with it. */
export function mapRow(plan: ImportPlan, cells: readonly string[]): MappedRow {
  const problems: RowProblem[] = [];
  const cell = (index: number): string => (index < 0 ? '' : (cells[index] ?? '').trim());
  const phone = normalisePhone(cell(plan.phone), plan.defaultCountry);
  if (!phone.ok) problems.push({ column: 'phone', message: phone.message });
  const patch: {
    -readonly [K in keyof ProfilePatch]: ProfilePatch[K];
  } = {};
  const name = cell(plan.name);
  if (name !== '') patch.name = name.slice(0, 200);
  const language = cell(plan.language);
  if (language !== '') {
    if (LANGUAGE_PATTERN.test(language)) patch.language = language;
    else problems.push({ column: 'language', message: `"${language}" is not a language code (es, en_US, pt_BR)` });
  }
  const timeZone = cell(plan.timeZone);
  if (timeZone !== '') {
    if (isTimeZone(timeZone)) patch.timeZone = timeZone;
    else problems.push({ column: 'timeZone', message: `"${timeZone}" is not an IANA time zone (Europe/Madrid)` });
  }
  const tagsCell = cell(plan.tags);
  if (tagsCell !== '') {
    const tags = tagsCell
      .split(/[|;,]/)
      .map(normaliseTag)
      .filter((t) => t !== '');
    const bad = tags.filter((t) => !TAG_PATTERN.test(t) || t.length > 50);
    if (bad.length > 0) problems.push({ column: 'tags', message: `not tags: ${bad.map((t) => `"${t}"`).join(', ')}` });
    else patch.tags = { add: tags };
  }
  const notes = cell(plan.notes);
  if (notes !== '') patch.notes = notes.slice(0, 5_000);
  const values: Record<string, FieldValue> = {};
  for (const { index, field } of plan.fields) {
    const raw = cell(index);
    if (raw === '') continue;
    const parsed = parseCell(field, raw);
    if (parsed.ok) values[field.key] = parsed.value;
    else problems.push({ column: field.key, message: `"${raw}" is not ${parsed.message}` });
  }
  if (Object.keys(values).length > 0) patch.fields = values;
  let optIn: boolean | null = null;
  const consent = cell(plan.optIn);
  if (consent !== '') {
    const flag = parseBoolean(consent);
    if (flag === null) problems.push({ column: 'optIn', message: `"${consent}" is not yes or no` });
    else optIn = flag;
  }
  if (problems.length > 0 || !phone.ok) return { ok: false, problems };
  return { ok: true, key: customerKeyOf({ phone: phone.e164 }), phone: phone.e164, patch, optIn };
}

/** A cell as the value of its field: numbers and booleans are read from text first. */
function parseCell(
  field: FieldDefinition,
  raw: string,
): { ok: true; value: FieldValue } | { ok: false; message: string } {
  let value: unknown = raw;
  if (field.type === 'number') {
    const text = raw.includes(',') && !raw.includes('.') ? raw.replace(',', '.') : raw;
    value = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text) ? Number(text) : Number.NaN;
  } else if (field.type === 'boolean') {
    value = parseBoolean(raw) ?? raw;
  }
  const checked = checkFieldValue(field, value);
  return checked.ok ? checked : { ok: false, message: checked.message };
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', 'si', 'sí', '1', 'x']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0']);

function parseBoolean(raw: string): boolean | null {
  const word = raw.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  return null;
}

function mappedAs(plan: Omit<ImportPlan, 'fields' | 'ignored'>, index: number): string {
  for (const [what, at] of Object.entries(plan)) if (at === index) return what;
  return 'another column';
}
