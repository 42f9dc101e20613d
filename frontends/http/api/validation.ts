import type { z } from 'zod';
import { ParloError } from '../../../core/index.ts';

/**
 * zod issues → the API's validation error. Every issue becomes one `ValidationDetail` naming where the value was
 * (`location` + `path`), which rule it broke (`rule`, a JSON Schema keyword, so a client can find the constraint in
 * `/openapi.json`) and a sentence for people. The error's `message` is the first detail, prefixed with its field:
 * `body.name: expected a string of at most 100 characters`.
 *
 * The sentences are ours, not zod's defaults, so that the API speaks one style whatever the schema; a `refine()`
 * message (rule `custom`) is the one place the route author's own words come through. Input values are never
 * echoed: they may be secrets or megabytes.
 */

export const INPUT_LOCATIONS = ['params', 'query', 'body', 'headers'] as const;
export type InputLocation = (typeof INPUT_LOCATIONS)[number];

export interface ValidationDetail {
  readonly location: InputLocation;
  /** `a.b[0]`; empty for the location itself (a missing body). */
  readonly path: string;
  /** The JSON Schema keyword that failed: `required`, `type`, `maxLength`, `enum`, … or `custom`. */
  readonly rule: string;
  readonly message: string;
}

/** A large array of bad items would make a large error; the first ones are enough to fix the request. */
export const MAX_VALIDATION_DETAILS = 50;

type Issue = z.core.$ZodIssue;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['items', 0, 'name']` → `items[0].name`; keys that are not identifiers are quoted: `headers["x-api-key"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && IDENTIFIER.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

/** How a detail is named in a message: `body.name`, `body[0]`, `query.limit`, or just `body`. */
export function fieldLabel(detail: Pick<ValidationDetail, 'location' | 'path'>): string {
  if (detail.path === '') return detail.location;
  return detail.path.startsWith('[') ? `${detail.location}${detail.path}` : `${detail.location}.${detail.path}`;
}

/** One detail per issue (one per key for unknown keys), in zod's order. */
export function describeIssues(location: InputLocation, issues: readonly Issue[]): ValidationDetail[] {
  return issues.flatMap((issue): ValidationDetail[] => {
    if (issue.code === 'unrecognized_keys') {
      const noun = location === 'query' ? 'query parameter' : 'field';
      return issue.keys.map((key) => ({
        location,
        path: formatPath([...issue.path, key]),
        rule: 'additionalProperties',
        message: `is not a known ${noun}`,
      }));
    }
    const { rule, message } = describeIssue(issue);
    return [{ location, path: formatPath(issue.path), rule, message }];
  });
}

/** The 400 for a request whose inputs broke their schemas. `details` must not be empty. */
export function validationFailed(details: readonly ValidationDetail[]): ParloError {
  const first = details[0];
  if (first === undefined) throw new RangeError('validationFailed needs at least one detail');
  const more = details.length > 1 ? ` (and ${details.length - 1} more)` : '';
  return new ParloError(
    'PARLO_VALIDATION_FAILED',
    `${fieldLabel(first)}: ${first.message}${more}`,
    details.slice(0, MAX_VALIDATION_DETAILS),
  );
}

/**
 * Parses one input location and appends its problems to `problems`. Collecting instead of throwing lets the 400 list
 * every broken field of params, query and body at once.
 */
export function parseInput<T extends z.ZodType>(
  location: InputLocation,
  schema: T,
  value: unknown,
  problems: ValidationDetail[],
): z.output<T> | undefined {
  // reportInput: a missing field is then told apart from a present one of the wrong type (input is never echoed).
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) return result.data;
  problems.push(...describeIssues(location, result.error.issues));
  return undefined;
}

interface Described {
  readonly rule: string;
  readonly message: string;
}

function describeIssue(issue: Issue): Described {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return { rule: 'required', message: 'is required' };
      if (issue.expected === 'number' && typeof issue.input === 'number' && Number.isNaN(issue.input)) {
        return { rule: 'type', message: 'expected a number' };
      }
      return { rule: 'type', message: `expected ${typeName(issue.expected)}, got ${valueKind(issue.input)}` };
    case 'too_big':
      return (
        bound(issue.origin, 'max', issue.maximum, issue.inclusive ?? true, issue.exact === true) ?? fallback(issue)
      );
    case 'too_small':
      return (
        bound(issue.origin, 'min', issue.minimum, issue.inclusive ?? true, issue.exact === true) ?? fallback(issue)
      );
    case 'invalid_format':
      return describeFormat(issue);
    case 'not_multiple_of':
      return { rule: 'multipleOf', message: `expected a multiple of ${String(issue.divisor)}` };
    case 'invalid_value':
      return issue.values.length === 1
        ? { rule: 'const', message: `expected ${literal(issue.values[0])}` }
        : { rule: 'enum', message: `expected one of ${issue.values.map(literal).join(', ')}` };
    case 'invalid_union':
      if ('matches' in issue) return { rule: 'oneOf', message: 'matches more than one of the allowed shapes' };
      if (issue.discriminator !== undefined && issue.options !== undefined) {
        return { rule: 'discriminator', message: `expected one of ${issue.options.map(literal).join(', ')}` };
      }
      return { rule: 'anyOf', message: 'does not match any of the allowed shapes' };
    case 'invalid_key':
      return { rule: 'propertyNames', message: 'is not an allowed key' };
    case 'invalid_element':
      return { rule: 'items', message: 'has an element that is not allowed' };
    case 'custom':
      return { rule: 'custom', message: issue.message };
    case 'unrecognized_keys':
      return { rule: 'additionalProperties', message: `has unknown keys ${issue.keys.map(literal).join(', ')}` };
    default:
      return fallback(issue);
  }
}

function fallback(issue: Issue): Described {
  return { rule: issue.code, message: issue.message };
}

/** A length or size bound; `exact` is zod's `.length(n)`, which reports whichever side was broken. */
function bound(
  origin: string,
  side: 'max' | 'min',
  limit: number | bigint,
  inclusive: boolean,
  exact: boolean,
): Described | undefined {
  const n = Number(limit);
  const amount = exact ? 'exactly' : side === 'max' ? 'at most' : 'at least';
  switch (origin) {
    case 'string':
      if (side === 'min' && n === 1 && !exact) return { rule: 'minLength', message: 'expected a non-empty string' };
      return {
        rule: side === 'max' ? 'maxLength' : 'minLength',
        message: `expected a string of ${amount} ${plural(n, 'character')}`,
      };
    case 'array':
    case 'set':
      return { rule: side === 'max' ? 'maxItems' : 'minItems', message: `expected ${amount} ${plural(n, 'item')}` };
    case 'number':
    case 'int':
    case 'bigint':
      if (side === 'max') {
        return inclusive
          ? { rule: 'maximum', message: `expected a number of at most ${String(limit)}` }
          : { rule: 'exclusiveMaximum', message: `expected a number less than ${String(limit)}` };
      }
      return inclusive
        ? { rule: 'minimum', message: `expected a number of at least ${String(limit)}` }
        : { rule: 'exclusiveMinimum', message: `expected a number greater than ${String(limit)}` };
    default:
      return undefined;
  }
}

/** Friendly names for zod's string formats; the rest read as their zod name. */
const FORMAT_NAMES: Readonly<Record<string, string>> = {
  email: 'an email address',
  url: 'a URL',
  uuid: 'a UUID',
  guid: 'a GUID',
  e164: 'an E.164 phone number (+ and digits)',
  datetime: 'an ISO 8601 date-time (2025-01-31T12:00:00Z)',
  date: 'an ISO 8601 date (2025-01-31)',
  time: 'an ISO 8601 time (12:00:00)',
  duration: 'an ISO 8601 duration',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  base64: 'a base64 string',
  base64url: 'a base64url string',
  jwt: 'a JWT',
  ulid: 'a ULID',
  cuid: 'a CUID',
  cuid2: 'a CUID2',
  nanoid: 'a nanoid',
  emoji: 'an emoji',
  lowercase: 'a lowercase string',
  uppercase: 'an uppercase string',
};

function describeFormat(issue: z.core.$ZodIssueInvalidStringFormat): Described {
  const details = issue as { prefix?: string; suffix?: string; includes?: string; pattern?: string };
  switch (issue.format) {
    case 'regex':
      return { rule: 'pattern', message: `expected a string matching ${issue.pattern ?? 'its pattern'}` };
    case 'starts_with':
      return { rule: 'pattern', message: `expected a string starting with ${literal(details.prefix)}` };
    case 'ends_with':
      return { rule: 'pattern', message: `expected a string ending with ${literal(details.suffix)}` };
    case 'includes':
      return { rule: 'pattern', message: `expected a string containing ${literal(details.includes)}` };
    default:
      return { rule: 'format', message: `expected ${FORMAT_NAMES[issue.format] ?? `a valid ${issue.format}`}` };
  }
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  bigint: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  record: 'an object',
  array: 'an array',
  tuple: 'an array',
  set: 'an array',
  null: 'null',
  date: 'a date',
  literal: 'a literal value',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? `a value of type ${expected}`;
}

/** The kind of a received value, never the value itself. */
function valueKind(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  switch (typeof input) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return `a ${typeof input}`;
  }
}

function literal(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  return JSON.stringify(value) ?? String(value);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
