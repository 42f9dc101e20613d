import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { z } from 'zod';
import { defaultConfig } from './defaults.ts';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { ConfigSchema, type ParloConfig } from './schema.ts';
import {
  CLI_API_KEY_ENV,
  CONFIG_FILE_ENV,
  ENV_ALIASES,
  ENV_PREFIX,
  IGNORED_ENV_PREFIXES,
  SECTIONS,
  SETTINGS,
  type Setting,
  closest,
  coerceText,
  expectedOf,
  kebabToCamel,
  settingByEnv,
  settingByPath,
} from './settings.ts';

/** A partial config for programmatic overrides: any subset of sections and fields. */
export type ConfigOverrides = {
  [K in keyof ParloConfig]?: ParloConfig[K] extends Record<string, unknown> ? Partial<ParloConfig[K]> : ParloConfig[K];
};

export interface LoadConfigOptions {
  /** Environment to read `PARLO_*` from; defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /**
   * Command-line overrides (not read from `process.argv` unless passed): `--config <file>`, and
   * `--<path>=<value>` / `--<path> <value>` for any setting (`--runtime.mailboxCapacity=500`,
   * `--http.port 0`, `--data-dir ./x`; a bare boolean flag means true). Other arguments are left to the
   * caller, except a flag containing a dot, which is a config path and must exist.
   */
  argv?: string[];
  /** JSON config file; wins over `--config` and `PARLO_CONFIG`. Relative paths resolve against `cwd`. */
  file?: string;
  /** Base for a relative `dataDir` and config file path; defaults to `process.cwd()`. */
  cwd?: string;
  /** Programmatic overrides, applied last (source `'override'`). */
  overrides?: ConfigOverrides;
}

/** Where a value came from, and the value as that source gave it (text for env/argv), for error messages. */
interface Origin {
  readonly source: string;
  readonly raw: unknown;
  /** From the environment or argv, where values are text and booleans may also be 1/0. */
  readonly isText: boolean;
}

type Tree = Record<string, unknown>;

const DEFAULT_SOURCE = 'default';
const OVERRIDE_SOURCE = 'override';
/** Editors use `$schema` in JSON files; it is not a setting. */
const IGNORED_FILE_KEYS = new Set(['$schema']);
/** Keys that would reach `Object.prototype` if assigned; reported as unknown instead. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Resolve the configuration: defaults < config file < environment < argv < `overrides`.
 *
 * - The file is `options.file`, else `--config`, else `$PARLO_CONFIG` (JSON, any subset of the settings).
 * - Every setting is `PARLO_<SECTION>__<FIELD>` (`PARLO_RUNTIME__MAILBOX_CAPACITY`) or `PARLO_<FIELD>` at the
 *   top level (`PARLO_DATA_DIR`); see `ENV_ALIASES` for the short names. An empty variable counts as unset.
 * - A `PARLO_` variable that looks like a setting but is none is an error, so a typo cannot pass silently.
 * - `dataDir` comes back absolute, resolved against `cwd`.
 *
 * @throws ConfigError (`code: 'PARLO_CONFIG_INVALID'`) listing every invalid value, its path and its source.
 */
export function loadConfig(options: LoadConfigOptions = {}): ParloConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const issues: ConfigIssue[] = [];
  const origins = new Map<string, Origin>();
  const config = defaultConfig() as unknown as Tree;

  const args = parseArgv(options.argv ?? [], issues);
  const file = pickConfigFile(options.file, args.configFile, env[CONFIG_FILE_ENV]);
  if (file !== undefined) {
    const path = resolve(cwd, file.path);
    const layer = readConfigFile(path, file.namedBy, issues);
    if (layer !== undefined) mergeTree(config, layer, [], path, origins, issues);
  }
  for (const assignment of readEnv(env, issues)) assign(config, assignment, origins, issues);
  for (const assignment of args.assignments) assign(config, assignment, origins, issues);
  if (options.overrides !== undefined) {
    mergeTree(config, options.overrides, [], OVERRIDE_SOURCE, origins, issues);
  }

  const result = ConfigSchema.safeParse(config);
  if (!result.success) issues.push(...schemaIssues(result.error.issues, config, origins));
  if (issues.length > 0) throw new ConfigError(dedupe(issues));

  const parsed = result.data as ParloConfig;
  return { ...parsed, dataDir: resolve(cwd, parsed.dataDir) };
}

/** One row per setting: the material of the table in `config/README.md`. */
export interface ConfigSource {
  path: string;
  env: string;
  default: unknown;
  /** Short env names that also set this field. */
  aliases: string[];
  description: string;
}

/** Every setting with its env var, default (embedded mode, `dataDir` unresolved) and meaning. */
export function describeConfigSources(): ConfigSource[] {
  const defaults = defaultConfig() as unknown as Tree;
  return SETTINGS.map((setting) => ({
    path: setting.path,
    env: setting.env,
    default: getIn(defaults, setting.keys),
    aliases: Object.entries(ENV_ALIASES)
      .filter(([, targets]) => targets.some((t) => t.path === setting.path && t.value === undefined))
      .map(([name]) => name),
    description: setting.description,
  }));
}

// ── sources ──────────────────────────────────────────────────────────────────────────────────────────────

/** A text value for one setting, from the environment or argv. */
interface Assignment {
  readonly setting: Setting;
  readonly text: string;
  readonly source: string;
}

function pickConfigFile(
  fromOptions: string | undefined,
  fromArgv: string | undefined,
  fromEnv: string | undefined,
): { path: string; namedBy: string } | undefined {
  if (fromOptions !== undefined) return { path: fromOptions, namedBy: 'options.file' };
  if (fromArgv !== undefined) return { path: fromArgv, namedBy: '--config' };
  if (fromEnv !== undefined && fromEnv !== '') return { path: fromEnv, namedBy: CONFIG_FILE_ENV };
  return undefined;
}

function readConfigFile(path: string, namedBy: string, issues: ConfigIssue[]): Tree | undefined {
  const fail = (message: string) => {
    issues.push({ path: '', source: path, message: `${message} (config file named by ${namedBy})` });
    return undefined;
  };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return fail(`cannot read the config file: ${err instanceof Error ? err.message : String(err)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return fail(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isPlainObject(value)) return fail(`expected a JSON object at the top level, got ${show(value)}`);
  return Object.fromEntries(Object.entries(value).filter(([key]) => !IGNORED_FILE_KEYS.has(key)));
}

/**
 * Aliases first, then canonical names, so `PARLO_TRANSPORT__KIND` beats the kind implied by `PARLO_NATS_URL`.
 * An alias and a canonical name giving one field two different values is an error: neither can be
 * assumed to be the one meant.
 */
function readEnv(env: NodeJS.ProcessEnv, issues: ConfigIssue[]): Assignment[] {
  const assignments = new Map<string, Assignment & { implied: boolean }>();

  for (const [name, targets] of Object.entries(ENV_ALIASES)) {
    const text = env[name];
    if (text === undefined || text === '') continue;
    for (const target of targets) {
      const setting = settingByPath(target.path);
      if (setting === undefined) throw new Error(`config/settings.ts: alias ${name} targets unknown ${target.path}`);
      const implied = target.value !== undefined;
      assignments.set(setting.path, { setting, text: target.value ?? text, source: name, implied });
    }
  }

  for (const setting of SETTINGS) {
    const text = env[setting.env];
    if (text === undefined || text === '') continue;
    const earlier = assignments.get(setting.path);
    if (earlier !== undefined && !earlier.implied && earlier.text !== text) {
      issues.push({
        path: setting.path,
        source: setting.env,
        message: `${show(text)} conflicts with ${earlier.source}=${show(earlier.text)}; set only one of them`,
      });
      continue;
    }
    assignments.set(setting.path, { setting, text, source: setting.env, implied: false });
  }

  for (const [name, text] of Object.entries(env)) {
    if (text === undefined || !isUnknownConfigVariable(name)) continue;
    const hint = closest(name, knownEnvNames(), 3);
    issues.push({
      path: '',
      source: name,
      message: `unknown configuration variable${hint === undefined ? '' : `; did you mean ${hint}?`}`,
    });
  }

  return [...assignments.values()];
}

function knownEnvNames(): string[] {
  return [...SETTINGS.map((s) => s.env), ...Object.keys(ENV_ALIASES), CONFIG_FILE_ENV];
}

/**
 * A `PARLO_` variable that is no setting but reads like one: it has `__`, names a section
 * (`PARLO_HTTP_HOST`), or is within two edits of a real name (`PARLO_DATA_DRI`). Other `PARLO_` variables
 * are left alone, as are the `PARLO_TEST_`/`PARLO_BENCH_` families and the CLI's `PARLO_API_KEY`.
 */
function isUnknownConfigVariable(name: string): boolean {
  if (!name.startsWith(ENV_PREFIX) || name === CONFIG_FILE_ENV || name === CLI_API_KEY_ENV) return false;
  if (IGNORED_ENV_PREFIXES.some((prefix) => name.startsWith(prefix))) return false;
  if (settingByEnv(name) !== undefined || name in ENV_ALIASES) return false;
  const rest = name.slice(ENV_PREFIX.length);
  if (rest.includes('__')) return true;
  const namesSection = SECTIONS.some((section) => {
    const upper = section.toUpperCase();
    return rest === upper || rest.startsWith(`${upper}_`);
  });
  return namesSection || closest(name, knownEnvNames(), 2) !== undefined;
}

function parseArgv(argv: readonly string[], issues: ConfigIssue[]): { configFile?: string; assignments: Assignment[] } {
  const assignments: Assignment[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') break;
    if (!arg.startsWith('--')) continue;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const name = flag.slice(2);
    let text: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    const takeNext = (): string | undefined => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) return undefined;
      i++;
      return next;
    };

    if (name === 'config') {
      text ??= takeNext();
      if (text === undefined || text === '') issues.push({ path: '', source: flag, message: 'expected a file path' });
      else configFile = text;
      continue;
    }

    const path = name.split('.').map(kebabToCamel).join('.');
    const setting = settingByPath(path);
    if (setting === undefined) {
      if (name.includes('.')) {
        const hint = closest(
          path,
          SETTINGS.map((s) => s.path),
          3,
        );
        const message = `unknown setting${hint === undefined ? '' : `; did you mean --${hint}?`}`;
        issues.push({ path: '', source: flag, message });
      }
      continue;
    }
    if (text === undefined) text = setting.kind === 'boolean' ? 'true' : takeNext();
    if (text === undefined) {
      issues.push({ path: setting.path, source: flag, message: `expected ${expectedOf(setting, true)}, got nothing` });
      continue;
    }
    assignments.push({ setting, text, source: flag });
  }
  return configFile === undefined ? { assignments } : { configFile, assignments };
}

// ── merging ──────────────────────────────────────────────────────────────────────────────────────────────

function assign(config: Tree, a: Assignment, origins: Map<string, Origin>, issues: ConfigIssue[]): void {
  const value = coerceText(a.setting, a.text);
  if (value === undefined) {
    const message = `expected ${expectedOf(a.setting, true)}, got ${show(a.text)}`;
    issues.push({ path: a.setting.path, source: a.source, message });
    return;
  }
  setIn(config, a.setting.keys, value);
  origins.set(a.setting.path, { source: a.source, raw: a.text, isText: true });
}

/** Deep-merge a partial tree (file or overrides) over `target`, remembering the source of every value set. */
function mergeTree(
  target: Tree,
  layer: Tree,
  parents: readonly string[],
  source: string,
  origins: Map<string, Origin>,
  issues: ConfigIssue[],
): void {
  for (const [key, value] of Object.entries(layer)) {
    const keys = [...parents, key];
    const path = keys.join('.');
    if (UNSAFE_KEYS.has(key)) {
      issues.push({ path, source, message: 'unknown setting' });
      continue;
    }
    if (value === undefined) continue; // only possible from `overrides`: treat as "not given"
    const current = Object.hasOwn(target, key) ? target[key] : undefined;
    if (isPlainObject(current) && isPlainObject(value)) {
      mergeTree(current, value, keys, source, origins, issues);
    } else if (isPlainObject(current)) {
      // Replacing a whole section with a scalar would hide every field in it behind one vague error.
      issues.push({ path, source, message: `expected an object of ${path} settings, got ${show(value)}` });
    } else {
      target[key] = value;
      origins.set(path, { source, raw: value, isText: false });
    }
  }
}

function schemaIssues(
  zodIssues: readonly z.core.$ZodIssue[],
  config: Tree,
  origins: Map<string, Origin>,
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of zodIssues) {
    const keys = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const path = [...keys, key].join('.');
        const prefix = keys.length === 0 ? '' : `${keys.join('.')}.`;
        const siblings = SETTINGS.filter((s) => s.keys.length === keys.length + 1 && s.path.startsWith(prefix));
        const candidates = [...siblings.map((s) => s.path), ...(keys.length === 0 ? SECTIONS : [])];
        const hint = closest(path, candidates, 3);
        const message = `unknown setting${hint === undefined ? '' : `; did you mean ${hint}?`}`;
        out.push({ path, source: sourceOf(keys.concat(key), origins), message });
      }
      continue;
    }
    const path = keys.join('.');
    const origin = origins.get(path);
    const raw = origin !== undefined ? origin.raw : getIn(config, keys);
    const setting = settingByPath(path);
    const source = sourceOf(keys, origins);
    if (setting !== undefined) {
      out.push({ path, source, message: `expected ${expectedOf(setting, origin?.isText ?? false)}, got ${show(raw)}` });
    } else if (SECTIONS.includes(path)) {
      out.push({ path, source, message: `expected an object of ${path} settings, got ${show(raw)}` });
    } else {
      out.push({ path, source, message: issue.message });
    }
  }
  return out;
}

/** The source of the nearest value at or above `keys`; untouched values are defaults. */
function sourceOf(keys: readonly string[], origins: Map<string, Origin>): string {
  for (let n = keys.length; n > 0; n--) {
    const origin = origins.get(keys.slice(0, n).join('.'));
    if (origin !== undefined) return origin.source;
  }
  return DEFAULT_SOURCE;
}

/** One issue per path and source: zod may report several checks (int, min) failing on one value. */
function dedupe(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.path}\u0000${issue.source}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ── small helpers ────────────────────────────────────────────────────────────────────────────────────────

function isPlainObject(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getIn(tree: Tree, keys: readonly string[]): unknown {
  let node: unknown = tree;
  for (const key of keys) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

function setIn(tree: Tree, keys: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    // Sections always exist: defaults create them and `mergeTree` never replaces one with a scalar.
    if (!isPlainObject(child)) throw new Error(`config: section ${key} is missing`);
    node = child;
  }
  const last = keys[keys.length - 1];
  if (last !== undefined) node[last] = value;
}

/** A value as it appears in an error: strings quoted, long values cut. */
function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.stringify gives undefined for functions and symbols (only reachable through `overrides`).
  const text = (JSON.stringify(value) as string | undefined) ?? `a ${typeof value}`;
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
