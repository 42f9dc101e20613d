import { z } from 'zod';
import { ConfigSchema } from './schema.ts';

/**
 * The list of settings, derived from the shape of `ConfigSchema` so a field added to the schema is settable
 * from the environment, from argv and documented without another list to keep in step.
 */

/** How a text value (environment variable, argv flag) is turned into a leaf value. */
export type LeafKind = 'integer' | 'number' | 'boolean' | 'enum' | 'string';

export interface Setting {
  /** Dotted path, e.g. `runtime.mailboxCapacity`. */
  readonly path: string;
  readonly keys: readonly string[];
  /** `PARLO_<SECTION>__<FIELD>` for a field in a section, `PARLO_<FIELD>` for a top-level field. */
  readonly env: string;
  readonly kind: LeafKind;
  readonly description: string;
  readonly schema: z.ZodType;
}

export const ENV_PREFIX = 'PARLO_';
/** Names the JSON config file. */
export const CONFIG_FILE_ENV = 'PARLO_CONFIG';
/** The API key of Parlo's own CLI clients (`parlo contacts import`): not a setting of the node. */
export const CLI_API_KEY_ENV = 'PARLO_API_KEY';
/** Variables with these prefixes belong to test and bench tooling, not to the config. */
export const IGNORED_ENV_PREFIXES: readonly string[] = ['PARLO_TEST_', 'PARLO_BENCH_'];

/**
 * Friendly short names. A target with `value` sets that fixed value (given as text, coerced like any env
 * value) rather than the variable's own: `PARLO_NATS_URL` also switches the transport to NATS, because
 * giving a NATS URL and staying in-process is never what was meant. A canonical variable for the same
 * field takes precedence over such an implied value.
 */
export const ENV_ALIASES: Readonly<Record<string, readonly { path: string; value?: string }[]>> = {
  PARLO_NATS_URL: [{ path: 'transport.natsUrl' }, { path: 'transport.kind', value: 'nats' }],
  PARLO_LOG_LEVEL: [{ path: 'log.level' }],
  PARLO_HTTP_PORT: [{ path: 'http.port' }],
};

/** `mailboxCapacity` → `MAILBOX_CAPACITY` */
export function screamingSnake(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** `mailbox-capacity` → `mailboxCapacity`, so argv flags may be written either way. */
export function kebabToCamel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function leafKind(schema: z.ZodType): LeafKind {
  if (schema instanceof z.ZodNumber) return schema.isInt ? 'integer' : 'number';
  if (schema instanceof z.ZodBoolean) return 'boolean';
  if (schema instanceof z.ZodEnum) return 'enum';
  if (schema instanceof z.ZodString) return 'string';
  // A new leaf type needs a coercion rule; fail at import time rather than coerce wrongly at start-up.
  throw new Error(`config/settings.ts: no text coercion for the schema type "${schema.def.type}"`);
}

function describeLeaf(schema: z.ZodType): { description: string; expected?: string } {
  const meta = schema.meta() ?? {};
  const description = typeof meta.description === 'string' ? meta.description : '';
  return typeof meta.expected === 'string' ? { description, expected: meta.expected } : { description };
}

function collect(shape: Record<string, z.ZodType>, parents: readonly string[]): Setting[] {
  const out: Setting[] = [];
  for (const [key, schema] of Object.entries(shape)) {
    const keys = [...parents, key];
    if (schema instanceof z.ZodObject) {
      out.push(...collect(schema.shape, keys));
      continue;
    }
    out.push({
      path: keys.join('.'),
      keys,
      env: ENV_PREFIX + keys.map(screamingSnake).join('__'),
      kind: leafKind(schema),
      description: describeLeaf(schema).description,
      schema,
    });
  }
  return out;
}

/** Every leaf setting, in schema order. */
export const SETTINGS: readonly Setting[] = collect(ConfigSchema.shape, []);

/** Top-level keys whose value is an object: `log`, `transport`, … */
export const SECTIONS: readonly string[] = Object.entries(ConfigSchema.shape)
  .filter(([, schema]) => schema instanceof z.ZodObject)
  .map(([key]) => key);

const byPath = new Map(SETTINGS.map((s) => [s.path, s]));
const byEnv = new Map(SETTINGS.map((s) => [s.env, s]));

export function settingByPath(path: string): Setting | undefined {
  return byPath.get(path);
}

export function settingByEnv(name: string): Setting | undefined {
  return byEnv.get(name);
}

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * The phrase after "expected" in an error: `an integer ≥ 1`, `an integer between 1 and 4096`, `one of a, b`.
 * `fromText` is true when the value came from the environment or argv, where booleans may also be 1/0.
 */
export function expectedOf(setting: Setting, fromText: boolean): string {
  const { expected } = describeLeaf(setting.schema);
  if (expected !== undefined) return expected;
  const schema = setting.schema;
  if (schema instanceof z.ZodNumber) {
    const noun = schema.isInt ? 'an integer' : 'a number';
    const min = schema.minValue !== null && schema.minValue > -UNBOUNDED ? schema.minValue : undefined;
    const max = schema.maxValue !== null && schema.maxValue < UNBOUNDED ? schema.maxValue : undefined;
    if (min !== undefined && max !== undefined) return `${noun} between ${min} and ${max}`;
    if (min !== undefined) return `${noun} ≥ ${min}`;
    if (max !== undefined) return `${noun} ≤ ${max}`;
    return noun;
  }
  if (schema instanceof z.ZodBoolean) return fromText ? 'true, false, 1 or 0' : 'true or false';
  if (schema instanceof z.ZodEnum) return `one of ${schema.options.join(', ')}`;
  return 'a string';
}

const INTEGER_TEXT = /^-?\d+$/;
const NUMBER_TEXT = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/**
 * Text → leaf value by the leaf's kind, or `undefined` when the text cannot be that kind. Range and format are
 * left to the schema, so the same rules apply to every source.
 */
export function coerceText(setting: Setting, text: string): unknown {
  switch (setting.kind) {
    case 'integer':
      return INTEGER_TEXT.test(text) ? Number(text) : undefined;
    case 'number':
      return NUMBER_TEXT.test(text) ? Number(text) : undefined;
    case 'boolean': {
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
      return undefined;
    }
    case 'enum':
    case 'string':
      return text;
  }
}

/** Levenshtein distance, for "did you mean" hints. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** The closest candidate within `maxDistance` edits (ignoring case and `_`/`-`), if any. */
export function closest(name: string, candidates: Iterable<string>, maxDistance: number): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[_-]/g, '');
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = Math.min(editDistance(name, candidate), editDistance(norm(name), norm(candidate)));
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= maxDistance ? best : undefined;
}
