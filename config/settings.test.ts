import { describe, expect, it } from 'vitest';
import { isNatsUrlList } from './schema.ts';
import {
  SECTIONS,
  closest,
  coerceText,
  editDistance,
  expectedOf,
  kebabToCamel,
  screamingSnake,
  settingByPath,
  type Setting,
} from './settings.ts';

function setting(path: string): Setting {
  const found = settingByPath(path);
  if (found === undefined) throw new Error(`no setting ${path}`);
  return found;
}

describe('names derived from the schema', () => {
  it.each([
    ['mailboxCapacity', 'MAILBOX_CAPACITY'],
    ['natsUrl', 'NATS_URL'],
    ['askTimeoutMs', 'ASK_TIMEOUT_MS'],
    ['level', 'LEVEL'],
    ['http2Port', 'HTTP2_PORT'],
  ])('screamingSnake(%s) = %s', (name, expected) => {
    expect(screamingSnake(name)).toBe(expected);
  });

  it.each([
    ['max-turns-per-commit', 'maxTurnsPerCommit'],
    ['dataDir', 'dataDir'],
    ['data-dir', 'dataDir'],
  ])('kebabToCamel(%s) = %s', (name, expected) => {
    expect(kebabToCamel(name)).toBe(expected);
  });

  it('sections are the object-valued top-level keys', () => {
    expect(SECTIONS).toEqual([
      'log',
      'transport',
      'runtime',
      'http',
      'realtime',
      'inbox',
      'api',
      'metrics',
      'secrets',
      'whatsapp',
      'webhooks',
      'billing',
      'sending',
    ]);
  });

  it.each([
    ['nodeId', 'PARLO_NODE_ID', 'string'],
    ['dataDir', 'PARLO_DATA_DIR', 'string'],
    ['log.level', 'PARLO_LOG__LEVEL', 'enum'],
    ['log.pretty', 'PARLO_LOG__PRETTY', 'boolean'],
    ['transport.natsUrl', 'PARLO_TRANSPORT__NATS_URL', 'string'],
    ['runtime.dedupeRetentionMs', 'PARLO_RUNTIME__DEDUPE_RETENTION_MS', 'integer'],
  ])('%s ⇄ %s (%s)', (path, env, kind) => {
    expect(setting(path)).toMatchObject({ env, kind });
  });
});

describe('text coercion by leaf kind', () => {
  it.each<[string, string, unknown]>([
    ['runtime.mailboxCapacity', '500', 500],
    ['runtime.mailboxCapacity', '-3', -3], // parsed; the schema's minimum rejects it with the same message
    ['runtime.mailboxCapacity', '007', 7],
    ['runtime.mailboxCapacity', '', undefined],
    ['runtime.mailboxCapacity', '5.0', undefined],
    ['runtime.mailboxCapacity', '0x10', undefined],
    ['runtime.mailboxCapacity', '10_000', undefined],
    ['runtime.mailboxCapacity', '500\n', undefined],
    ['log.pretty', 'True', true],
    ['log.pretty', '0', false],
    ['log.pretty', 'yes', undefined],
    ['log.pretty', '', undefined],
    ['log.level', 'DEBUG', 'DEBUG'], // enums are case-sensitive: the schema rejects it
    ['http.host', ' spaced ', ' spaced '],
  ])('%s from %j → %j', (path, text, expected) => {
    expect(coerceText(setting(path), text)).toBe(expected);
  });
});

describe('expected-value wording', () => {
  it.each<[string, boolean, string]>([
    ['runtime.mailboxCapacity', true, 'an integer ≥ 1'],
    ['runtime.partitionCount', true, 'an integer between 1 and 4096'],
    ['http.port', false, 'an integer between 0 and 65535'],
    ['log.pretty', true, 'true, false, 1 or 0'],
    ['log.pretty', false, 'true or false'],
    ['transport.kind', true, 'one of in-process, nats'],
    ['dataDir', true, 'a non-empty path'],
  ])('%s (text: %s) expects %s', (path, fromText, expected) => {
    expect(expectedOf(setting(path), fromText)).toBe(expected);
  });
});

describe('NATS URL lists', () => {
  it.each<[string, boolean]>([
    ['nats://127.0.0.1:4222', true],
    ['nats://nats', true],
    ['tls://nats.example.com:4443', true],
    ['nats://user:pass@n1:4222', true],
    ['nats://a:4222,nats://b:4222', true],
    ['nats://a:4222, nats://b:4222', true],
    ['', false],
    ['127.0.0.1:4222', false],
    ['http://a:4222', false],
    ['ws://a:4222', false],
    ['nats://a:4222,', false],
    ['nats://a:4222/path', false],
    ['nats://', false],
  ])('%j → %s', (url, ok) => {
    expect(isNatsUrlList(url)).toBe(ok);
  });
});

describe('did-you-mean', () => {
  it.each<[string, string, number]>([
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
    ['same', 'same', 0],
  ])('editDistance(%s, %s) = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });

  it.each<[string, string[], number, string | undefined]>([
    ['PARLO_DATADIR', ['PARLO_DATA_DIR', 'PARLO_NODE_ID'], 0, 'PARLO_DATA_DIR'], // only `_` differs
    ['PARLO_HTTP_HOST', ['PARLO_HTTP__HOST', 'PARLO_HTTP__PORT'], 1, 'PARLO_HTTP__HOST'],
    ['PARLO_CACHE__SIZE', ['PARLO_HTTP__HOST', 'PARLO_LOG__LEVEL'], 3, undefined],
  ])('closest(%s)', (name, candidates, max, expected) => {
    expect(closest(name, candidates, max)).toBe(expected);
  });
});
