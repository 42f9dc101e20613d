import { META_EXAMPLES_DIR } from './__fixtures__/meta-examples-dir.ts';
import { readFileSync, readdirSync } from 'node:fs';
import { errors as undiciErrors } from 'undici';
import { describe, expect, it } from 'vitest';
import {
  LOCAL_ERROR_CODES,
  PAIR_RATE_RETRY_AFTER_MS,
  THROUGHPUT_RETRY_AFTER_MS,
  classifyGraphError,
  classifyTransportError,
} from './classify.ts';

/** Meta's Graph error examples (shared/meta-cloud-api/README.md); the HTTP status is in each file name. */
const ERRORS_DIR = new URL('errors/', META_EXAMPLES_DIR);

/** The examples that must classify as `retry`: transient codes (2, 4, 17, 613, 80007) and `is_transient`. */
const RETRY_EXAMPLES = new Set([
  'createwhatsappbusinesssolution-429-rate-limited.json',
  'createwhatsappbusinesssolution-500-server-error.json',
  'getphonenumberbyid-429-business-rate-limit.json',
  'getphonenumberbyid-429-rate-limit-exceeded.json',
  'getphonenumberbyid-429-user-rate-limit.json',
  'getphonenumberbyid-500-database-error.json',
  'getphonenumberbyid-500-internal-error.json',
  'getphonenumberbyid-500-service-unavailable.json',
  'graphwhatsappbusinessaccounttonumbercurrentstatusofficialbusinessaccountpost-429-application-limit.json',
  'graphwhatsappbusinessaccounttonumbercurrentstatusofficialbusinessaccountpost-429-rate-limit.json',
  'requestpreverifiedphonenumbercode-422-rate-limited.json',
  'sendencryptedmessage-429-rate-limit-exceeded.json',
  'sendencryptedmessage-500-internal-server-error.json',
]);

const examples = readdirSync(ERRORS_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => {
    const status = /-(\d{3})-/.exec(name)?.[1];
    if (status === undefined) throw new Error(`no HTTP status in ${name}`);
    const body = JSON.parse(readFileSync(new URL(name, ERRORS_DIR), 'utf8')) as {
      error: { code: number; message: string };
    };
    return { name, status: Number(status), body };
  });

describe("classifyGraphError over Meta's error examples", () => {
  it('covers all 110 examples', () => {
    expect(examples.length).toBe(110);
  });

  it.each(examples)('$name', ({ name, status, body }) => {
    const outcome = classifyGraphError(status, body);
    expect(outcome).toStrictEqual({
      outcome: RETRY_EXAMPLES.has(name) ? 'retry' : 'rejected',
      code: body.error.code,
      detail: body.error.message,
    });
    // The raw text classifies the same as the parsed body.
    expect(classifyGraphError(status, JSON.stringify(body))).toStrictEqual(outcome);
  });
});

function graphError(code: number, extra: Record<string, unknown> = {}): unknown {
  return {
    error: {
      message: `(#${code}) title`,
      type: 'OAuthException',
      code,
      error_data: { messaging_product: 'whatsapp', details: 'details' },
      fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam',
      ...extra,
    },
  };
}

describe('classifyGraphError: specific codes', () => {
  it.each([
    // [http, code, outcome, afterMs]
    [429, 130429, 'slowDown', THROUGHPUT_RETRY_AFTER_MS],
    [400, 130429, 'slowDown', THROUGHPUT_RETRY_AFTER_MS],
    [429, 131056, 'slowDown', PAIR_RATE_RETRY_AFTER_MS],
    [400, 131047, 'windowClosed', undefined],
    [400, 1, 'retry', undefined],
    [503, 2, 'retry', undefined],
    [429, 4, 'retry', undefined],
    [429, 80007, 'retry', undefined],
    [500, 131000, 'retry', undefined],
    [503, 131016, 'retry', undefined],
    [500, 131057, 'retry', undefined],
    [500, 3, 'retry', undefined], // any 5xx
    [400, 100, 'rejected', undefined],
    [401, 0, 'rejected', undefined],
    [401, 190, 'rejected', undefined],
    [403, 10, 'rejected', undefined],
    [403, 368, 'rejected', undefined],
    [400, 131008, 'rejected', undefined],
    [400, 131009, 'rejected', undefined],
    [400, 131026, 'rejected', undefined],
    [400, 131030, 'rejected', undefined],
    [429, 131048, 'rejected', undefined],
    [400, 131049, 'rejected', undefined],
    [400, 131051, 'rejected', undefined],
    [400, 131053, 'rejected', undefined],
    [400, 132000, 'rejected', undefined],
    [404, 132001, 'rejected', undefined],
    [400, 132012, 'rejected', undefined],
    [400, 132015, 'rejected', undefined],
    [400, 133010, 'rejected', undefined],
  ] as const)('HTTP %i, code %i → %s', (http, code, outcome, afterMs) => {
    expect(classifyGraphError(http, graphError(code))).toStrictEqual({
      outcome,
      code,
      detail: `(#${code}) title: details`,
      ...(afterMs === undefined ? {} : { afterMs }),
    });
  });

  it('retries an unknown code marked is_transient', () => {
    expect(classifyGraphError(400, graphError(999_999, { is_transient: true }))).toMatchObject({ outcome: 'retry' });
    expect(classifyGraphError(400, graphError(999_999, { is_transient: false }))).toMatchObject({
      outcome: 'rejected',
    });
  });

  it('reads a code sent as a numeric string', () => {
    expect(classifyGraphError(429, { error: { code: '130429', message: 'Rate limit hit' } })).toStrictEqual({
      outcome: 'slowDown',
      code: 130429,
      detail: 'Rate limit hit',
      afterMs: THROUGHPUT_RETRY_AFTER_MS,
    });
  });

  it('falls back to error_user_msg when there is no message', () => {
    expect(classifyGraphError(400, { error: { code: 100, error_user_msg: 'user message' } })).toStrictEqual({
      outcome: 'rejected',
      code: 100,
      detail: 'user message',
    });
  });
});

describe('classifyGraphError: bodies without a Graph error', () => {
  it.each([
    [502, '<html>Bad Gateway</html>', { outcome: 'retry', code: 502, detail: 'HTTP 502: <html>Bad Gateway</html>' }],
    [503, undefined, { outcome: 'retry', code: 503, detail: 'HTTP 503 without a Graph error body' }],
    [429, '', { outcome: 'retry', code: 429, detail: 'HTTP 429 without a Graph error body' }],
    [408, null, { outcome: 'retry', code: 408, detail: 'HTTP 408 without a Graph error body' }],
    [400, 'nope', { outcome: 'rejected', code: 400, detail: 'HTTP 400: nope' }],
    [404, { unexpected: true }, { outcome: 'rejected', code: 404, detail: 'HTTP 404 without a Graph error body' }],
    [400, { error: 'a string' }, { outcome: 'rejected', code: 400, detail: 'HTTP 400 without a Graph error body' }],
    [400, [1, 2], { outcome: 'rejected', code: 400, detail: 'HTTP 400 without a Graph error body' }],
    [400, 42, { outcome: 'rejected', code: 400, detail: 'HTTP 400 without a Graph error body' }],
    [400, { error: { message: 'no code' } }, { outcome: 'rejected', code: 400, detail: 'no code' }],
  ])('HTTP %i with %j', (http, body, expected) => {
    expect(classifyGraphError(http, body)).toStrictEqual(expected);
  });

  it('truncates long non-JSON bodies in the detail', () => {
    const outcome = classifyGraphError(500, 'x'.repeat(10_000));
    expect(outcome.detail.length).toBeLessThan(250);
  });
});

describe('classifyTransportError', () => {
  it('a deadline (AbortSignal timeout reason) → retry with the timeout code', () => {
    const outcome = classifyTransportError(new DOMException('no answer within 10 ms', 'TimeoutError'));
    expect(outcome).toMatchObject({ outcome: 'retry', code: LOCAL_ERROR_CODES.timeout });
  });

  it.each([
    new undiciErrors.HeadersTimeoutError(),
    new undiciErrors.BodyTimeoutError(),
    new undiciErrors.ConnectTimeoutError(),
    Object.assign(new Error('wrapped'), { cause: Object.assign(new Error('inner'), { code: 'ETIMEDOUT' }) }),
  ])('undici / socket timeouts → timeout code (%s)', (error) => {
    expect(classifyTransportError(error)).toMatchObject({ outcome: 'retry', code: LOCAL_ERROR_CODES.timeout });
  });

  it.each([
    Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
    new undiciErrors.SocketError('other side closed'),
    'a thrown string',
    undefined,
  ])('anything else → retry with the network code (%s)', (error) => {
    expect(classifyTransportError(error)).toMatchObject({ outcome: 'retry', code: LOCAL_ERROR_CODES.network });
  });
});
