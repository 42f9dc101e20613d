import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  describeIssues,
  fieldLabel,
  formatPath,
  MAX_VALIDATION_DETAILS,
  parseInput,
  validationFailed,
  type ValidationDetail,
} from './validation.ts';

/** zod issue → { path, rule, message }: one row per rule the API speaks about. */

function firstDetail(schema: z.ZodType, input: unknown): Omit<ValidationDetail, 'location'> {
  const problems: ValidationDetail[] = [];
  parseInput('body', schema, input, problems);
  const first = problems[0];
  if (!first) throw new Error('expected the input to fail');
  const { location: _location, ...rest } = first;
  return rest;
}

const f = (shape: z.ZodRawShape) => z.object(shape);

describe('describeIssues', () => {
  it.each<[string, z.ZodType, unknown, string, string, string]>([
    ['missing', f({ a: z.string() }), {}, 'a', 'required', 'is required'],
    ['wrong type', f({ a: z.string() }), { a: 1 }, 'a', 'type', 'expected a string, got a number'],
    ['null', f({ a: z.string() }), { a: null }, 'a', 'type', 'expected a string, got null'],
    ['integer', f({ a: z.number().int() }), { a: 1.5 }, 'a', 'type', 'expected an integer, got a number'],
    ['boolean', f({ a: z.boolean() }), { a: 'true' }, 'a', 'type', 'expected a boolean, got a string'],
    ['array', f({ a: z.array(z.string()) }), { a: {} }, 'a', 'type', 'expected an array, got an object'],
    [
      'max length',
      f({ a: z.string().max(3) }),
      { a: 'abcd' },
      'a',
      'maxLength',
      'expected a string of at most 3 characters',
    ],
    [
      'min length',
      f({ a: z.string().min(2) }),
      { a: 'a' },
      'a',
      'minLength',
      'expected a string of at least 2 characters',
    ],
    ['non-empty', f({ a: z.string().min(1) }), { a: '' }, 'a', 'minLength', 'expected a non-empty string'],
    [
      'exact length',
      f({ a: z.string().length(2) }),
      { a: 'abc' },
      'a',
      'maxLength',
      'expected a string of exactly 2 characters',
    ],
    [
      'singular',
      f({ a: z.string().max(1) }),
      { a: 'ab' },
      'a',
      'maxLength',
      'expected a string of at most 1 character',
    ],
    ['max items', f({ a: z.array(z.number()).max(1) }), { a: [1, 2] }, 'a', 'maxItems', 'expected at most 1 item'],
    ['min items', f({ a: z.array(z.number()).min(2) }), { a: [1] }, 'a', 'minItems', 'expected at least 2 items'],
    ['maximum', f({ a: z.number().max(10) }), { a: 11 }, 'a', 'maximum', 'expected a number of at most 10'],
    ['minimum', f({ a: z.number().min(1) }), { a: 0 }, 'a', 'minimum', 'expected a number of at least 1'],
    [
      'exclusive max',
      f({ a: z.number().lt(10) }),
      { a: 10 },
      'a',
      'exclusiveMaximum',
      'expected a number less than 10',
    ],
    [
      'exclusive min',
      f({ a: z.number().positive() }),
      { a: 0 },
      'a',
      'exclusiveMinimum',
      'expected a number greater than 0',
    ],
    ['multiple of', f({ a: z.number().multipleOf(5) }), { a: 7 }, 'a', 'multipleOf', 'expected a multiple of 5'],
    ['enum', f({ a: z.enum(['x', 'y']) }), { a: 'z' }, 'a', 'enum', 'expected one of "x", "y"'],
    ['literal', f({ a: z.literal('x') }), { a: 'y' }, 'a', 'const', 'expected "x"'],
    ['email', f({ a: z.email() }), { a: 'nope' }, 'a', 'format', 'expected an email address'],
    ['uuid', f({ a: z.uuid() }), { a: 'nope' }, 'a', 'format', 'expected a UUID'],
    [
      'datetime',
      f({ a: z.iso.datetime() }),
      { a: 'nope' },
      'a',
      'format',
      'expected an ISO 8601 date-time (2025-01-31T12:00:00Z)',
    ],
    ['regex', f({ a: z.string().regex(/^x+$/) }), { a: 'y' }, 'a', 'pattern', 'expected a string matching /^x+$/'],
    [
      'starts with',
      f({ a: z.string().startsWith('ct_') }),
      { a: 'x' },
      'a',
      'pattern',
      'expected a string starting with "ct_"',
    ],
    ['custom', f({ a: z.string().refine((v) => v === 'ok', 'must be ok') }), { a: 'no' }, 'a', 'custom', 'must be ok'],
    [
      'discriminator',
      f({ m: z.discriminatedUnion('type', [f({ type: z.literal('text') }), f({ type: z.literal('image') })]) }),
      { m: { type: 'audio' } },
      'm.type',
      'discriminator',
      'expected one of "text", "image"',
    ],
    [
      'union',
      f({ a: z.union([z.string(), z.number()]) }),
      { a: true },
      'a',
      'anyOf',
      'does not match any of the allowed shapes',
    ],
    [
      'record key',
      f({ a: z.record(z.string().startsWith('k_'), z.number()) }),
      { a: { y: 1 } },
      'a.y',
      'propertyNames',
      'is not an allowed key',
    ],
    [
      'nested path',
      f({ a: z.array(f({ b: z.string() })) }),
      { a: [{ b: 'x' }, {}] },
      'a[1].b',
      'required',
      'is required',
    ],
    ['root', f({ a: z.string() }), 'text', '', 'type', 'expected an object, got a string'],
  ])('%s', (_name, schema, input, path, rule, message) => {
    expect(firstDetail(schema, input)).toEqual({ path, rule, message });
  });

  it('reports each unknown key as its own detail', () => {
    const problems: ValidationDetail[] = [];
    parseInput('query', z.strictObject({ a: z.string().optional() }), { b: '1', c: '2' }, problems);
    expect(problems).toEqual([
      { location: 'query', path: 'b', rule: 'additionalProperties', message: 'is not a known query parameter' },
      { location: 'query', path: 'c', rule: 'additionalProperties', message: 'is not a known query parameter' },
    ]);
    const issues = z.strictObject({ n: z.strictObject({}) }).safeParse({ n: { x: 1 } }).error?.issues ?? [];
    expect(describeIssues('body', issues)).toEqual([
      { location: 'body', path: 'n.x', rule: 'additionalProperties', message: 'is not a known field' },
    ]);
  });

  it('returns the parsed value and adds nothing when the input is valid', () => {
    const problems: ValidationDetail[] = [];
    expect(parseInput('body', f({ a: z.string().default('d') }), {}, problems)).toEqual({ a: 'd' });
    expect(problems).toEqual([]);
  });
});

describe('formatPath and fieldLabel', () => {
  it.each<[PropertyKey[], string, string]>([
    [[], '', 'body'],
    [['name'], 'name', 'body.name'],
    [['items', 0, 'name'], 'items[0].name', 'body.items[0].name'],
    [[0, 'name'], '[0].name', 'body[0].name'],
    [['x-api-key'], '["x-api-key"]', 'body["x-api-key"]'],
    [['a', 'b c'], 'a["b c"]', 'body.a["b c"]'],
  ])('%j → %s', (path, formatted, label) => {
    expect(formatPath(path)).toBe(formatted);
    expect(fieldLabel({ location: 'body', path: formatted })).toBe(label);
  });
});

describe('validationFailed', () => {
  const detail = (path: string): ValidationDetail => ({
    location: 'body',
    path,
    rule: 'required',
    message: 'is required',
  });

  it('names the first field and rule, and counts the rest', () => {
    expect(validationFailed([detail('a')]).message).toBe('body.a: is required');
    const error = validationFailed([detail('a'), detail('b'), detail('c')]);
    expect(error.code).toBe('PARLO_VALIDATION_FAILED');
    expect(error.message).toBe('body.a: is required (and 2 more)');
    expect(error.details).toHaveLength(3);
  });

  it(`keeps at most ${MAX_VALIDATION_DETAILS} details`, () => {
    const many = Array.from({ length: MAX_VALIDATION_DETAILS + 10 }, (_, i) => detail(`f${i}`));
    const error = validationFailed(many);
    expect(error.details).toHaveLength(MAX_VALIDATION_DETAILS);
    expect(error.message).toBe(`body.f0: is required (and ${MAX_VALIDATION_DETAILS + 9} more)`);
  });

  it('refuses an empty list', () => {
    expect(() => validationFailed([])).toThrow(RangeError);
  });
});
