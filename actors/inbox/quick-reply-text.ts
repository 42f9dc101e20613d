import type { FieldValue } from '../contacts/contact-fields.ts';

/**
 * The text of a quick reply (issue #7, 5): words an operator inserts into the composer, with variables filled from
 * the conversation's contact and from the operator inserting it. Pure (STYLE rule 3): parsing, the rules a saved
 * text must follow, and rendering.
 *
 * A variable is `{{namespace.key}}`, optionally with a fallback after a bar: `{{contact.first_name|there}}`. Spaces
 * around the name and the fallback are ignored. Single braces are plain text (a `{` in a JSON snippet stays).
 *
 * - `contact.name`: the name the business uses, else the customer's WhatsApp profile name (as campaigns read it,
 *   actors/campaigns/audience.ts); `contact.first_name`: its first word; `contact.profile_name`: the WhatsApp
 *   profile name; `contact.phone`: E.164 with `+`; `contact.<key>`: a custom contact field (contact-fields.ts). A
 *   custom field named like a built-in is shadowed by the built-in.
 * - `operator.name`, `operator.first_name`: the member inserting it. Members have an email only, so the name is
 *   read from it the way the inbox shows people (`ana.rossi@acme.test` → "Ana Rossi").
 *
 * A value that is missing (unknown, empty, or a field the contact has no value for) renders as its fallback; with
 * no fallback it renders as nothing and is reported in `missing`, so the composer can ask the operator to fill it.
 * `{{contact.name|}}` (an empty fallback) renders as nothing without being reported.
 */

export const VARIABLE_NAMESPACES = ['contact', 'operator'] as const;
export type VariableNamespace = (typeof VARIABLE_NAMESPACES)[number];

/** The contact's own values; any other `contact.<key>` names a custom field. */
export const CONTACT_BUILT_IN_KEYS = ['name', 'first_name', 'profile_name', 'phone'] as const;
/** The operator namespace is closed: these are all its keys. */
export const OPERATOR_KEYS = ['name', 'first_name'] as const;

export const VARIABLE_KEY_PATTERN = /^[a-z0-9_]+$/;

export interface TextVariable {
  /** `namespace.key`, e.g. `contact.first_name`. */
  readonly name: string;
  readonly namespace: VariableNamespace;
  readonly key: string;
  /** What stands in when the value is missing; null when none was written. */
  readonly fallback: string | null;
  /** Where its `{{` is in the text (UTF-16 code units from 0). */
  readonly index: number;
}

/** Plain text, or a variable to fill. */
export type TextPart = string | TextVariable;

export interface TextProblem {
  /** Where the problem starts in the text (UTF-16 code units from 0). */
  readonly index: number;
  /** The placeholder as written (`{{contact.nmae!}}`), or the stray braces. */
  readonly variable: string;
  /** Names the variable and its position (1-based character), e.g. `{{foo.bar}} at character 7: …`. */
  readonly message: string;
}

export interface ParsedText {
  /** Consecutive plain text is one part; malformed placeholders stay as plain text. */
  readonly parts: readonly TextPart[];
  /** In text order; empty when the text may be saved. */
  readonly problems: readonly TextProblem[];
}

/** The longest excerpt of an unclosed `{{` a problem quotes. */
const EXCERPT_CHARS = 40;

/** Splits the text into plain parts and variables, and lists every rule it breaks. */
export function parseQuickReplyText(text: string): ParsedText {
  const parts: TextPart[] = [];
  const problems: TextProblem[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf('{{', i);
    const stray = text.indexOf('}}', i);
    if (stray !== -1 && (open === -1 || stray < open)) {
      problems.push(problem(stray, '}}', 'closes no {{'));
      literal += text.slice(i, stray + 2);
      i = stray + 2;
      continue;
    }
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, open);
    const close = text.indexOf('}}', open + 2);
    const reopen = text.indexOf('{{', open + 2);
    if (close === -1 || (reopen !== -1 && reopen < close)) {
      const end = reopen === -1 ? text.length : reopen;
      const excerpt = text.slice(open, Math.min(end, open + EXCERPT_CHARS)).trimEnd();
      problems.push(problem(open, excerpt, 'is not closed with }}'));
      literal += text.slice(open, end);
      i = end;
      continue;
    }
    const raw = text.slice(open, close + 2);
    const read = readVariable(text.slice(open + 2, close), open);
    if ('message' in read) {
      problems.push(problem(open, raw, read.message));
      literal += raw;
    } else {
      if (literal !== '') parts.push(literal);
      literal = '';
      parts.push(read);
    }
    i = close + 2;
  }
  if (literal !== '') parts.push(literal);
  return { parts, problems };
}

/** Every problem of a text to save, in text order (empty: it may be saved). */
export function textProblems(text: string): readonly TextProblem[] {
  return parseQuickReplyText(text).problems;
}

/** The distinct variable names a text uses, in order of first use (`contact.name`, `operator.first_name`). */
export function variablesOf(text: string): string[] {
  const names = new Set<string>();
  for (const part of parseQuickReplyText(text).parts) if (typeof part !== 'string') names.add(part.name);
  return [...names];
}

/** The values variables are filled with, by namespace then key; null, undefined or '' is missing. */
export type VariableValues = Readonly<Record<VariableNamespace, Readonly<Record<string, string | null | undefined>>>>;

export interface RenderedText {
  readonly text: string;
  /** Distinct variable names that had no value and no fallback, in order of first use. */
  readonly missing: readonly string[];
}

/** The text with its variables filled (see the module header for missing values). */
export function renderQuickReplyText(text: string, values: VariableValues): RenderedText {
  let out = '';
  const missing = new Set<string>();
  for (const part of parseQuickReplyText(text).parts) {
    if (typeof part === 'string') {
      out += part;
      continue;
    }
    const held = values[part.namespace];
    // Own keys only: `{{contact.constructor}}` is a custom field key, not Object.prototype's.
    const value = Object.hasOwn(held, part.key) ? held[part.key] : undefined;
    if (value !== null && value !== undefined && value !== '') out += value;
    else if (part.fallback !== null) out += part.fallback;
    else missing.add(part.name);
  }
  return { text: out, missing: [...missing] };
}

/** What is known of the customer of a conversation, for `contact.*`. */
export interface ContactFacts {
  /** The name the business uses (the contact's profile). */
  readonly name: string | null;
  /** The customer's WhatsApp profile name. */
  readonly profileName: string | null;
  /** E.164, with or without `+`; null for a username customer whose number WhatsApp withholds. */
  readonly phone: string | null;
  /** Custom field values by key: only fields the organisation defines (a value of a dropped field is not shown). */
  readonly fields: Readonly<Record<string, FieldValue>>;
}

/** The `contact.*` values of a customer; built-ins win over custom fields of the same key. */
export function contactVariableValues(contact: ContactFacts): Record<string, string | null> {
  const values: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(contact.fields)) values[key] = String(value);
  const name = nonBlank(contact.name) ?? nonBlank(contact.profileName);
  const digits = contact.phone?.replace(/^\+/, '') ?? '';
  values['name'] = name;
  values['first_name'] = name === null ? null : firstWord(name);
  values['profile_name'] = nonBlank(contact.profileName);
  values['phone'] = digits === '' ? null : `+${digits}`;
  return values;
}

/** The `operator.*` values of the member inserting the reply; null email (not a member): all missing. */
export function operatorVariableValues(email: string | null): Record<string, string | null> {
  const name = email === null ? null : operatorNameOf(email);
  return { name, first_name: name === null ? null : firstWord(name) };
}

/**
 * How a member is named from their email (members have no other name): the words of the local part, capitalised.
 * The same rule as the inbox's `displayNameOf` (frontends/inbox/src/lib/people.ts), so the name a reply inserts is
 * the name the team sees.
 */
export function operatorNameOf(email: string): string {
  const local = email.split('@', 1)[0] ?? email;
  const words = local.split(/[._-]+/).filter((w) => w !== '');
  if (words.length === 0) return email;
  return words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

function readVariable(inner: string, index: number): TextVariable | { readonly message: string } {
  const bar = inner.indexOf('|');
  const expression = (bar === -1 ? inner : inner.slice(0, bar)).trim();
  const fallback = bar === -1 ? null : inner.slice(bar + 1).trim();
  const dot = expression.indexOf('.');
  if (dot === -1) {
    return { message: 'a variable is namespace.key, e.g. {{contact.name}} or {{operator.first_name}}' };
  }
  const namespace = expression.slice(0, dot);
  const key = expression.slice(dot + 1);
  if (!isNamespace(namespace)) {
    return { message: `unknown namespace "${namespace}": variables start with contact. or operator.` };
  }
  if (!VARIABLE_KEY_PATTERN.test(key)) {
    return { message: `key "${key}" must be lowercase letters, digits and _` };
  }
  if (namespace === 'operator' && !(OPERATOR_KEYS as readonly string[]).includes(key)) {
    return { message: `unknown operator variable; use ${OPERATOR_KEYS.map((k) => `operator.${k}`).join(' or ')}` };
  }
  return { name: `${namespace}.${key}`, namespace, key, fallback, index };
}

function isNamespace(value: string): value is VariableNamespace {
  return (VARIABLE_NAMESPACES as readonly string[]).includes(value);
}

function problem(index: number, variable: string, rule: string): TextProblem {
  return { index, variable, message: `${variable} at character ${index + 1}: ${rule}` };
}

function nonBlank(text: string | null): string | null {
  const trimmed = text?.trim() ?? '';
  return trimmed === '' ? null : trimmed;
}

function firstWord(text: string): string | null {
  return text.trim().split(/\s+/)[0] || null;
}
