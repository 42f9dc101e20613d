import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig, defaultNodeId } from './defaults.ts';
import { ConfigError, type ConfigIssue } from './errors.ts';
import { describeConfigSources, loadConfig, type LoadConfigOptions } from './load.ts';
import { ConfigSchema, DEFAULT_DEDUPE_RETENTION_MS, type ParloConfig } from './schema.ts';

const CWD = '/srv/parlo';
const dir = mkdtempSync(join(tmpdir(), 'parlo-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function writeFile(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Load with an empty environment unless the case gives one, so the developer's shell cannot leak in. */
function load(options: LoadConfigOptions = {}): ParloConfig {
  return loadConfig({ env: {}, cwd: CWD, ...options });
}

function issuesOf(options: LoadConfigOptions): { error: ConfigError; issues: readonly ConfigIssue[] } {
  try {
    load(options);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const error = err as ConfigError;
    expect(error.code).toBe('PARLO_CONFIG_INVALID');
    return { error, issues: error.issues };
  }
  throw new Error('expected loadConfig to throw PARLO_CONFIG_INVALID');
}

describe('defaults', () => {
  it('validate against the schema and run embedded', () => {
    const config = defaultConfig();
    expect(ConfigSchema.parse(config)).toEqual(config);
    expect(config.transport.kind).toBe('in-process');
    expect(config.runtime.dedupeRetentionMs).toBe(DEFAULT_DEDUPE_RETENTION_MS);
    expect(DEFAULT_DEDUPE_RETENTION_MS).toBe(604_800_000);
  });

  it('load with nothing set and resolve dataDir against cwd', () => {
    expect(load()).toEqual({ ...defaultConfig(), dataDir: '/srv/parlo/data' });
  });

  it.each([
    ['vm', 'node-vm'],
    ['web-1.example.com', 'node-web-1-example-com'],
    ['', 'node-local'],
  ])('nodeId from host name %j is token-safe: %s', (host, nodeId) => {
    expect(defaultNodeId(host)).toBe(nodeId);
    expect(ConfigSchema.shape.nodeId.safeParse(nodeId).success).toBe(true);
  });
});

describe('environment overrides', () => {
  it.each<[string, Record<string, string>, (c: ParloConfig) => unknown, unknown]>([
    ['integer', { PARLO_RUNTIME__MAILBOX_CAPACITY: '500' }, (c) => c.runtime.mailboxCapacity, 500],
    [
      'integer with minimum',
      { PARLO_RUNTIME__DEDUPE_RETENTION_MS: '60000' },
      (c) => c.runtime.dedupeRetentionMs,
      60_000,
    ],
    ['integer zero', { PARLO_HTTP__PORT: '0' }, (c) => c.http.port, 0],
    ['enum', { PARLO_LOG__LEVEL: 'debug' }, (c) => c.log.level, 'debug'],
    ['enum with dash', { PARLO_TRANSPORT__KIND: 'nats' }, (c) => c.transport.kind, 'nats'],
    ['boolean true', { PARLO_LOG__PRETTY: 'true' }, (c) => c.log.pretty, true],
    ['boolean 1', { PARLO_LOG__PRETTY: '1' }, (c) => c.log.pretty, true],
    ['boolean false', { PARLO_METRICS__ENABLED: 'false' }, (c) => c.metrics.enabled, false],
    ['boolean 0', { PARLO_METRICS__ENABLED: '0' }, (c) => c.metrics.enabled, false],
    ['boolean any case', { PARLO_METRICS__ENABLED: 'FALSE' }, (c) => c.metrics.enabled, false],
    ['string', { PARLO_HTTP__HOST: '0.0.0.0' }, (c) => c.http.host, '0.0.0.0'],
    ['top-level nodeId', { PARLO_NODE_ID: 'shard_7' }, (c) => c.nodeId, 'shard_7'],
    ['top-level dataDir, relative', { PARLO_DATA_DIR: 'var/lmdb' }, (c) => c.dataDir, '/srv/parlo/var/lmdb'],
    ['top-level dataDir, absolute', { PARLO_DATA_DIR: '/data' }, (c) => c.dataDir, '/data'],
    [
      'NATS URL list',
      { PARLO_TRANSPORT__NATS_URL: 'nats://a:4222, nats://b:4222' },
      (c) => c.transport.natsUrl,
      'nats://a:4222, nats://b:4222',
    ],
    ['alias PARLO_LOG_LEVEL', { PARLO_LOG_LEVEL: 'trace' }, (c) => c.log.level, 'trace'],
    ['alias PARLO_HTTP_PORT', { PARLO_HTTP_PORT: '3000' }, (c) => c.http.port, 3000],
    ['empty value counts as unset', { PARLO_HTTP__PORT: '' }, (c) => c.http.port, 8080],
    ['realtime: port', { PARLO_REALTIME__PORT: '0' }, (c) => c.realtime.port, 0],
    ['realtime: host', { PARLO_REALTIME__HOST: '0.0.0.0' }, (c) => c.realtime.host, '0.0.0.0'],
    [
      'realtime: public URL',
      { PARLO_REALTIME__PUBLIC_URL: 'wss://parlo.example.com/v1/realtime' },
      (c) => c.realtime.publicUrl,
      'wss://parlo.example.com/v1/realtime',
    ],
    ['realtime: retention', { PARLO_REALTIME__RETENTION_SEC: '60' }, (c) => c.realtime.retentionSec, 60],
    [
      'realtime: backpressure',
      { PARLO_REALTIME__MAX_BACKPRESSURE_BYTES: '65536' },
      (c) => c.realtime.maxBackpressureBytes,
      65_536,
    ],
    ['realtime: idle timeout', { PARLO_REALTIME__IDLE_TIMEOUT_SEC: '30' }, (c) => c.realtime.idleTimeoutSec, 30],
    [
      'inbox: searchable messages',
      { PARLO_INBOX__SEARCHABLE_MESSAGES_PER_NUMBER: '50000' },
      (c) => c.inbox.searchableMessagesPerNumber,
      50_000,
    ],
    ['webhooks: loopback allowed', { PARLO_WEBHOOKS__ALLOW_LOOPBACK: '1' }, (c) => c.webhooks.allowLoopback, true],
    ['webhooks: retry window', { PARLO_WEBHOOKS__RETRY_WINDOW_HOURS: '48' }, (c) => c.webhooks.retryWindowHours, 48],
    ['sending: pair burst', { PARLO_SENDING__PAIR_BURST: '30' }, (c) => c.sending.pairBurst, 30],
    ['sending: reconcile', { PARLO_SENDING__RECONCILE_AFTER_SEC: '5' }, (c) => c.sending.reconcileAfterSec, 5],
    [
      'sending: fractional percent',
      { PARLO_SENDING__OPT_OUT_PAUSE_PERCENT: '0.5' },
      (c) => c.sending.optOutPausePercent,
      0.5,
    ],
    [
      'billing: starting credit',
      { PARLO_BILLING__STARTING_CREDIT_MICROS: '0' },
      (c) => c.billing.startingCreditMicros,
      0,
    ],
    [
      'billing: rate cards file',
      { PARLO_BILLING__RATE_CARDS_FILE: '/etc/parlo/rate-cards.json' },
      (c) => c.billing.rateCardsFile,
      '/etc/parlo/rate-cards.json',
    ],
  ])('%s', (_, env, pick, expected) => {
    expect(pick(load({ env }))).toEqual(expected);
  });

  it('alias PARLO_NATS_URL sets the URL and switches the transport to nats', () => {
    const config = load({ env: { PARLO_NATS_URL: 'nats://nats-1:4222,nats://nats-2:4222' } });
    expect(config.transport).toMatchObject({ kind: 'nats', natsUrl: 'nats://nats-1:4222,nats://nats-2:4222' });
  });

  it('an explicit PARLO_TRANSPORT__KIND beats the kind implied by PARLO_NATS_URL', () => {
    const config = load({ env: { PARLO_NATS_URL: 'nats://n:4222', PARLO_TRANSPORT__KIND: 'in-process' } });
    expect(config.transport).toMatchObject({ kind: 'in-process', natsUrl: 'nats://n:4222' });
  });

  it('an alias and its canonical variable agreeing is fine, disagreeing is an error', () => {
    expect(load({ env: { PARLO_LOG_LEVEL: 'warn', PARLO_LOG__LEVEL: 'warn' } }).log.level).toBe('warn');
    const { issues } = issuesOf({ env: { PARLO_LOG_LEVEL: 'warn', PARLO_LOG__LEVEL: 'debug' } });
    expect(issues).toEqual([
      {
        path: 'log.level',
        source: 'PARLO_LOG__LEVEL',
        message: '"debug" conflicts with PARLO_LOG_LEVEL="warn"; set only one of them',
      },
    ]);
  });

  it.each([
    ['PARLO_CONFIG is the file, not a setting', {}],
    ['PARLO_API_KEY is the key of CLI clients, though it starts like the api section', { PARLO_API_KEY: 'parlo_x' }],
    ['PARLO_TEST_ is for test tooling', { PARLO_TEST_NATS_PORT: '1', PARLO_TEST_RUNTIME__X: 'y' }],
    ['PARLO_BENCH_ is for benchmarks', { PARLO_BENCH_SCENARIO: 'fanout' }],
    ['other PARLO_ names that do not look like settings', { PARLO_NATS_SERVER_BIN: '/usr/bin/nats-server' }],
    ['other prefixes', { HTTP__PORT: 'x', PARLOX_LOG__LEVEL: 'x' }],
  ])('ignores variables that are not settings: %s', (_, env) => {
    expect(load({ env })).toEqual(load());
  });
});

describe('invalid values name the field, the source and the reason', () => {
  it('webhooks: a timeout out of range names its bounds', () => {
    expect(issuesOf({ env: { PARLO_WEBHOOKS__REQUEST_TIMEOUT_MS: '50' } }).issues).toEqual([
      {
        path: 'webhooks.requestTimeoutMs',
        source: 'PARLO_WEBHOOKS__REQUEST_TIMEOUT_MS',
        message: 'expected an integer between 100 and 120000, got "50"',
      },
    ]);
  });

  it.each<[string, Record<string, string>, ConfigIssue]>([
    [
      'a realtime port out of range',
      { PARLO_REALTIME__PORT: '65536' },
      {
        path: 'realtime.port',
        source: 'PARLO_REALTIME__PORT',
        message: 'expected an integer between 0 and 65535, got "65536"',
      },
    ],
    [
      'a realtime public URL that is not a WebSocket URL',
      { PARLO_REALTIME__PUBLIC_URL: 'https://parlo.example.com/v1/realtime' },
      {
        path: 'realtime.publicUrl',
        source: 'PARLO_REALTIME__PUBLIC_URL',
        message: 'expected a ws(s) URL, or empty, got "https://parlo.example.com/v1/realtime"',
      },
    ],
    [
      'a realtime retention of 0',
      { PARLO_REALTIME__RETENTION_SEC: '0' },
      {
        path: 'realtime.retentionSec',
        source: 'PARLO_REALTIME__RETENTION_SEC',
        message: 'expected an integer between 1 and 86400, got "0"',
      },
    ],
    [
      'a realtime backpressure limit under 16 KiB',
      { PARLO_REALTIME__MAX_BACKPRESSURE_BYTES: '1000' },
      {
        path: 'realtime.maxBackpressureBytes',
        source: 'PARLO_REALTIME__MAX_BACKPRESSURE_BYTES',
        message: 'expected an integer between 16384 and 268435456, got "1000"',
      },
    ],
    [
      'a realtime idle timeout uWebSockets.js refuses',
      { PARLO_REALTIME__IDLE_TIMEOUT_SEC: '4' },
      {
        path: 'realtime.idleTimeoutSec',
        source: 'PARLO_REALTIME__IDLE_TIMEOUT_SEC',
        message: 'expected an integer between 8 and 960, got "4"',
      },
    ],
  ])('realtime: %s', (_, env, issue) => {
    expect(issuesOf({ env }).issues).toEqual([issue]);
  });

  it('bad number: exact message', () => {
    const { error, issues } = issuesOf({ env: { PARLO_RUNTIME__MAILBOX_CAPACITY: 'abc' } });
    const line = 'runtime.mailboxCapacity (from PARLO_RUNTIME__MAILBOX_CAPACITY): expected an integer ≥ 1, got "abc"';
    expect(error.message).toContain(line);
    expect(issues).toEqual([
      {
        path: 'runtime.mailboxCapacity',
        source: 'PARLO_RUNTIME__MAILBOX_CAPACITY',
        message: 'expected an integer ≥ 1, got "abc"',
      },
    ]);
  });

  it.each<[string, Record<string, string>, ConfigIssue]>([
    [
      'not a full integer',
      { PARLO_HTTP__PORT: '80x' },
      { path: 'http.port', source: 'PARLO_HTTP__PORT', message: 'expected an integer between 0 and 65535, got "80x"' },
    ],
    [
      'an idempotency retention under a day',
      { PARLO_API__IDEMPOTENCY_RETENTION_HOURS: '23' },
      {
        path: 'api.idempotencyRetentionHours',
        source: 'PARLO_API__IDEMPOTENCY_RETENTION_HOURS',
        message: 'expected an integer between 24 and 8784, got "23"',
      },
    ],
    [
      'a fraction',
      { PARLO_RUNTIME__ASK_TIMEOUT_MS: '1.5' },
      {
        path: 'runtime.askTimeoutMs',
        source: 'PARLO_RUNTIME__ASK_TIMEOUT_MS',
        message: 'expected an integer ≥ 1, got "1.5"',
      },
    ],
    [
      'exponent form',
      { PARLO_RUNTIME__ASK_TIMEOUT_MS: '1e3' },
      {
        path: 'runtime.askTimeoutMs',
        source: 'PARLO_RUNTIME__ASK_TIMEOUT_MS',
        message: 'expected an integer ≥ 1, got "1e3"',
      },
    ],
    [
      'padded',
      { PARLO_RUNTIME__ASK_TIMEOUT_MS: ' 5' },
      {
        path: 'runtime.askTimeoutMs',
        source: 'PARLO_RUNTIME__ASK_TIMEOUT_MS',
        message: 'expected an integer ≥ 1, got " 5"',
      },
    ],
    [
      'below minimum',
      { PARLO_RUNTIME__IDLE_PASSIVATE_MS: '999' },
      {
        path: 'runtime.idlePassivateMs',
        source: 'PARLO_RUNTIME__IDLE_PASSIVATE_MS',
        message: 'expected an integer ≥ 1000, got "999"',
      },
    ],
    [
      'above maximum',
      { PARLO_TRANSPORT__STREAM_REPLICAS: '7' },
      {
        path: 'transport.streamReplicas',
        source: 'PARLO_TRANSPORT__STREAM_REPLICAS',
        message: 'expected an integer between 1 and 5, got "7"',
      },
    ],
    [
      'beyond safe integers',
      { PARLO_RUNTIME__MAILBOX_CAPACITY: '99999999999999999999' },
      {
        path: 'runtime.mailboxCapacity',
        source: 'PARLO_RUNTIME__MAILBOX_CAPACITY',
        message: 'expected an integer ≥ 1, got "99999999999999999999"',
      },
    ],
    [
      'alias out of range',
      { PARLO_HTTP_PORT: '70000' },
      { path: 'http.port', source: 'PARLO_HTTP_PORT', message: 'expected an integer between 0 and 65535, got "70000"' },
    ],
    [
      'bad boolean',
      { PARLO_LOG__PRETTY: 'yes' },
      { path: 'log.pretty', source: 'PARLO_LOG__PRETTY', message: 'expected true, false, 1 or 0, got "yes"' },
    ],
    [
      'bad enum',
      { PARLO_LOG__LEVEL: 'verbose' },
      {
        path: 'log.level',
        source: 'PARLO_LOG__LEVEL',
        message: 'expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
      },
    ],
    [
      'node id not token-safe',
      { PARLO_NODE_ID: 'a.b' },
      {
        path: 'nodeId',
        source: 'PARLO_NODE_ID',
        message: 'expected a non-empty token of letters, digits, "_" or "-", got "a.b"',
      },
    ],
    [
      'NATS URL with another scheme',
      { PARLO_NATS_URL: 'http://x:4222' },
      {
        path: 'transport.natsUrl',
        source: 'PARLO_NATS_URL',
        message: 'expected a NATS URL like nats://host:4222 (several separated by commas), got "http://x:4222"',
      },
    ],
    [
      'NATS URL list with a hole',
      { PARLO_TRANSPORT__NATS_URL: 'nats://a:4222,,nats://b' },
      {
        path: 'transport.natsUrl',
        source: 'PARLO_TRANSPORT__NATS_URL',
        message:
          'expected a NATS URL like nats://host:4222 (several separated by commas), got "nats://a:4222,,nats://b"',
      },
    ],
  ])('%s', (_, env, issue) => {
    expect(issuesOf({ env }).issues).toEqual([issue]);
  });

  it('lists every problem at once', () => {
    const { error, issues } = issuesOf({
      env: { PARLO_HTTP__PORT: 'x', PARLO_LOG__LEVEL: 'loud', PARLO_RUNTIME__MAILBOX_CAPACITY: '0' },
    });
    expect(issues.map((i) => i.path).sort()).toEqual(['http.port', 'log.level', 'runtime.mailboxCapacity']);
    expect(error.message).toMatch(/^Invalid Parlo configuration \(3 problems\):\n {2}- /);
  });
});

describe('unknown PARLO_ variables are rejected', () => {
  it.each<[string, string, string]>([
    ['typo in a field', 'PARLO_RUNTIME__MAILBOX_CAPACTY', '; did you mean PARLO_RUNTIME__MAILBOX_CAPACITY?'],
    ['single underscore after a section', 'PARLO_HTTP_HOST', '; did you mean PARLO_HTTP__HOST?'],
    ['single underscore after a section (boolean)', 'PARLO_METRICS_ENABLED', '; did you mean PARLO_METRICS__ENABLED?'],
    ['unknown section', 'PARLO_CACHE__SIZE', ''],
    ['bare section name', 'PARLO_RUNTIME', ''],
    ['near miss of a top-level name', 'PARLO_DATADIR', '; did you mean PARLO_DATA_DIR?'],
    ['double underscore for a top-level name', 'PARLO_DATA__DIR', '; did you mean PARLO_DATA_DIR?'],
  ])('%s: %s', (_, name, hint) => {
    const { error, issues } = issuesOf({ env: { [name]: '1' } });
    expect(issues).toEqual([{ path: '', source: name, message: `unknown configuration variable${hint}` }]);
    expect(error.message).toContain(name);
  });
});

describe('config file', () => {
  it('file < environment < argv < overrides', () => {
    const file = writeFile(
      'layers.json',
      JSON.stringify({
        $schema: './parlo.schema.json',
        log: { level: 'warn' },
        runtime: { mailboxCapacity: 100, askTimeoutMs: 200 },
        http: { port: 9000, host: '0.0.0.0' },
      }),
    );
    const config = load({
      file,
      env: { PARLO_RUNTIME__MAILBOX_CAPACITY: '300', PARLO_HTTP__PORT: '9001' },
      argv: ['start', '--http.port=9002', '--log.pretty'],
      overrides: { log: { level: 'error' } },
    });
    expect(config.runtime).toMatchObject({ mailboxCapacity: 300, askTimeoutMs: 200, partitionCount: 64 });
    expect(config.http).toEqual({ host: '0.0.0.0', port: 9002, publicUrl: '' });
    expect(config.log).toEqual({ level: 'error', pretty: true });
  });

  it('is found through PARLO_CONFIG, relative to cwd', () => {
    writeFile('via-env.json', JSON.stringify({ nodeId: 'from-file', dataDir: 'lmdb' }));
    const config = load({ cwd: dir, env: { PARLO_CONFIG: 'via-env.json' } });
    expect(config.nodeId).toBe('from-file');
    expect(config.dataDir).toBe(join(dir, 'lmdb'));
  });

  it('options.file wins over --config, which wins over PARLO_CONFIG', () => {
    const a = writeFile('a.json', '{"nodeId":"a"}');
    const b = writeFile('b.json', '{"nodeId":"b"}');
    const c = writeFile('c.json', '{"nodeId":"c"}');
    expect(load({ file: a, argv: ['--config', b], env: { PARLO_CONFIG: c } }).nodeId).toBe('a');
    expect(load({ argv: ['--config', b], env: { PARLO_CONFIG: c } }).nodeId).toBe('b');
    expect(load({ env: { PARLO_CONFIG: c } }).nodeId).toBe('c');
  });

  it('a bad value names the file', () => {
    const file = writeFile('bad-value.json', '{"runtime":{"mailboxCapacity":0,"partitionCount":"64"}}');
    const { error, issues } = issuesOf({ file });
    expect(issues).toEqual([
      { path: 'runtime.partitionCount', source: file, message: 'expected an integer between 1 and 4096, got "64"' },
      { path: 'runtime.mailboxCapacity', source: file, message: 'expected an integer ≥ 1, got 0' },
    ]);
    expect(error.message).toContain(`runtime.mailboxCapacity (from ${file}): expected an integer ≥ 1, got 0`);
  });

  it.each<[string, string, ConfigIssue[]]>([
    [
      'unknown field',
      '{"transport":{"natsUrll":"nats://x"}}',
      [{ path: 'transport.natsUrll', source: '<file>', message: 'unknown setting; did you mean transport.natsUrl?' }],
    ],
    ['unknown section', '{"cache":{"size":1}}', [{ path: 'cache', source: '<file>', message: 'unknown setting' }]],
    [
      'unknown top-level field',
      '{"dataDri":"x"}',
      [{ path: 'dataDri', source: '<file>', message: 'unknown setting; did you mean dataDir?' }],
    ],
    ['prototype key', '{"__proto__":{"x":1}}', [{ path: '__proto__', source: '<file>', message: 'unknown setting' }]],
    [
      'section given as a scalar',
      '{"runtime":5}',
      [{ path: 'runtime', source: '<file>', message: 'expected an object of runtime settings, got 5' }],
    ],
    [
      'boolean from a file is JSON true/false only',
      '{"log":{"pretty":"true"}}',
      [{ path: 'log.pretty', source: '<file>', message: 'expected true or false, got "true"' }],
    ],
  ])('strict: %s', (name, content, expected) => {
    const file = writeFile(`strict-${name.replace(/\W+/g, '-')}.json`, content);
    expect(issuesOf({ file }).issues).toEqual(expected.map((i) => ({ ...i, source: file })));
  });

  it.each<[string, string | undefined, RegExp]>([
    ['invalid JSON', '{"log": {', /: invalid JSON: .+ \(config file named by options\.file\)$/],
    [
      'a JSON array',
      '[1]',
      /: expected a JSON object at the top level, got \[1\] \(config file named by options\.file\)$/,
    ],
    ['missing file', undefined, /: cannot read the config file: ENOENT.+ \(config file named by options\.file\)$/],
  ])('%s is PARLO_CONFIG_INVALID naming the file and the reason', (name, content, reason) => {
    const file =
      content === undefined ? join(dir, 'missing.json') : writeFile(`${name.replace(/\W+/g, '-')}.json`, content);
    const { error, issues } = issuesOf({ file });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path: '', source: file });
    expect(error.message).toContain(file);
    expect(error.message).toMatch(reason);
  });

  it('a bad file named by PARLO_CONFIG says so', () => {
    const file = writeFile('bad-env.json', 'nope');
    const { issues } = issuesOf({ env: { PARLO_CONFIG: file } });
    expect(issues[0]?.message).toMatch(/^invalid JSON: .+ \(config file named by PARLO_CONFIG\)$/);
  });
});

describe('argv', () => {
  it.each<[string, string[], (c: ParloConfig) => unknown, unknown]>([
    ['--path=value', ['--runtime.mailboxCapacity=7'], (c) => c.runtime.mailboxCapacity, 7],
    ['--path value', ['--http.port', '0'], (c) => c.http.port, 0],
    ['kebab-case', ['--runtime.max-turns-per-commit=9'], (c) => c.runtime.maxTurnsPerCommit, 9],
    ['top-level kebab-case', ['--data-dir', 'x'], (c) => c.dataDir, '/srv/parlo/x'],
    ['bare boolean', ['--metrics.enabled'], (c) => c.metrics.enabled, true],
    ['boolean =false', ['--metrics.enabled=false'], (c) => c.metrics.enabled, false],
    ['other arguments are left alone', ['start', '--verbose', 'x'], (c) => c, load()],
    ['stops at --', ['--', '--http.port=1'], (c) => c.http.port, 8080],
  ])('%s', (_, argv, pick, expected) => {
    expect(pick(load({ argv }))).toEqual(expected);
  });

  it.each<[string, string[], ConfigIssue]>([
    [
      'unknown dotted flag',
      ['--http.prot=1'],
      { path: '', source: '--http.prot', message: 'unknown setting; did you mean --http.port?' },
    ],
    [
      'missing value',
      ['--http.port'],
      { path: 'http.port', source: '--http.port', message: 'expected an integer between 0 and 65535, got nothing' },
    ],
    [
      'bad value',
      ['--http.port=x'],
      { path: 'http.port', source: '--http.port', message: 'expected an integer between 0 and 65535, got "x"' },
    ],
    ['--config without a path', ['--config'], { path: '', source: '--config', message: 'expected a file path' }],
  ])('%s', (_, argv, issue) => {
    expect(issuesOf({ argv }).issues).toEqual([issue]);
  });
});

describe('describeConfigSources', () => {
  it('lists every leaf of the schema with its env var and default', () => {
    const sources = describeConfigSources();
    expect(sources.map((s) => s.path)).toEqual([
      'nodeId',
      'dataDir',
      'log.level',
      'log.pretty',
      'transport.kind',
      'transport.natsUrl',
      'transport.streamName',
      'transport.streamReplicas',
      'runtime.partitionCount',
      'runtime.mailboxCapacity',
      'runtime.askTimeoutMs',
      'runtime.idlePassivateMs',
      'runtime.maxActivations',
      'runtime.dedupeRetentionMs',
      'runtime.maxTurnsPerCommit',
      'http.host',
      'http.port',
      'http.publicUrl',
      'realtime.host',
      'realtime.port',
      'realtime.publicUrl',
      'realtime.retentionSec',
      'realtime.maxBackpressureBytes',
      'realtime.idleTimeoutSec',
      'inbox.searchableMessagesPerNumber',
      'api.idempotencyRetentionHours',
      'api.ratePerKeyPerSec',
      'api.ratePerOrgPerSec',
      'api.ratePerAddressPerSec',
      'api.rateBurstSeconds',
      'metrics.enabled',
      'secrets.encryptionKey',
      'whatsapp.mode',
      'whatsapp.graphBaseUrl',
      'whatsapp.apiVersion',
      'whatsapp.accessToken',
      'whatsapp.appSecret',
      'whatsapp.verifyToken',
      'whatsapp.simulatorPort',
      'webhooks.allowLoopback',
      'webhooks.allowPrivateNetworks',
      'webhooks.allowLinkLocal',
      'webhooks.requestTimeoutMs',
      'webhooks.retryWindowHours',
      'billing.startingCreditMicros',
      'billing.rateCardsFile',
      'sending.pairBurst',
      'sending.pairIntervalMs',
      'sending.feedbackWindowHours',
      'sending.feedbackMinMarketingSends',
      'sending.optOutPausePercent',
      'sending.blockedPausePercent',
      'sending.spamLimitedPausePercent',
      'sending.reconcileAfterSec',
    ]);
    expect(sources.find((s) => s.path === 'runtime.mailboxCapacity')).toMatchObject({
      env: 'PARLO_RUNTIME__MAILBOX_CAPACITY',
      default: 10_000,
    });
    expect(sources.find((s) => s.path === 'dataDir')).toMatchObject({ env: 'PARLO_DATA_DIR', default: './data' });
    expect(sources.find((s) => s.path === 'transport.natsUrl')?.aliases).toEqual(['PARLO_NATS_URL']);
    for (const source of sources) expect(source.description).not.toBe('');
  });

  it('every listed env var actually sets its path', () => {
    for (const source of describeConfigSources()) {
      // Setting the default through the variable must round-trip to the same value.
      const text = String(source.default);
      const config = load({ env: { [source.env]: text } }) as unknown as Record<string, Record<string, unknown>>;
      const [section = '', field] = source.path.split('.');
      const value = field === undefined ? config[section] : config[section]?.[field];
      expect(String(value)).toBe(source.path === 'dataDir' ? '/srv/parlo/data' : text);
    }
  });
});
