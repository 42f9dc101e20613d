import { describe, expect, it } from 'vitest';
import {
  asyncErrorObject,
  ERROR_CODES_HREF,
  GRAPH_ERROR_CATALOG,
  graphError,
  graphErrorBody,
  objectDoesNotExistError,
} from './graph-error.ts';
import { readExample, readExamples } from './__fixtures__/meta-examples.ts';

/** WHATSAPP.md §5: code → HTTP status. */
const SECTION_5_STATUSES: Record<number, number> = {
  0: 401,
  1: 400,
  2: 503,
  3: 500,
  4: 429,
  10: 403,
  100: 400,
  190: 401,
  368: 403,
  80007: 429,
  130429: 429,
  130472: 400,
  130497: 403,
  131000: 500,
  131005: 403,
  131008: 400,
  131009: 400,
  131016: 503,
  131021: 400,
  131026: 400,
  131030: 400,
  131031: 403,
  131042: 400,
  131045: 400,
  131047: 400,
  131048: 429,
  131049: 400,
  131050: 400,
  131051: 400,
  131052: 400,
  131053: 400,
  131056: 429,
  131057: 500,
  131062: 400,
  131063: 400,
  131064: 429,
  132000: 400,
  132001: 404,
  132005: 400,
  132007: 400,
  132008: 400,
  132012: 400,
  132015: 400,
  132016: 400,
  133010: 400,
  135000: 400,
  137000: 400,
};

type ErrorExample = { error: Record<string, unknown> };

const errorExamples = readExamples('errors').map(({ file, json }) => ({ file, error: (json as ErrorExample).error }));

describe('GRAPH_ERROR_CATALOG', () => {
  it.each(Object.entries(SECTION_5_STATUSES))('code %s answers HTTP %s', (code, status) => {
    expect(GRAPH_ERROR_CATALOG[Number(code)]?.httpStatus).toBe(status);
  });

  it('formats message as Meta does: "(#<code>) <Title>"', () => {
    expect(graphError(131047, 'x').message).toBe('(#131047) Re-engagement message');
    expect(graphError(130429, 'x').message).toBe('(#130429) Rate limit hit');
    expect(graphError(132000, 'x').message).toBe(
      '(#132000) Number of parameters does not match the expected number of params',
    );
    for (const [code, row] of Object.entries(GRAPH_ERROR_CATALOG)) {
      if (row.unprefixed === true) continue;
      expect(graphError(Number(code), 'x').message).toBe(`(#${code}) ${row.title}`);
    }
  });

  it('leaves Graph OAuth token errors unprefixed, like every 190 example', () => {
    const examples190 = errorExamples.filter((e) => e.error.code === 190);
    expect(examples190.length).toBeGreaterThan(0);
    expect(graphError(190, 'x').message).toBe('Invalid OAuth access token');
    expect(examples190.map((e) => e.error.message)).toContain(graphError(190, 'x').message);
  });

  it('uses OAuthException, and marks only retryable codes transient', () => {
    expect(graphError(100, 'x').type).toBe('OAuthException');
    expect(graphError(131047, 'x').isTransient).toBeUndefined();
    for (const code of [2, 4, 80007, 130429, 131000, 131016, 131056, 131057]) {
      expect(graphError(code, 'x').isTransient).toBe(true);
    }
  });

  it('agrees with Meta examples on transience (codes 2, 4, 80007 carry is_transient: true)', () => {
    for (const example of errorExamples.filter((e) => e.error.is_transient === true)) {
      const code = example.error.code as number;
      if (code in GRAPH_ERROR_CATALOG) expect(graphError(code, 'x').isTransient, example.file).toBe(true);
    }
  });

  it('lets overrides win and falls back to a 400 for uncataloged codes', () => {
    expect(graphError(130429, 'x', { httpStatus: 400 }).httpStatus).toBe(400);
    expect(graphError(999999, 'x')).toEqual({
      httpStatus: 400,
      code: 999999,
      type: 'OAuthException',
      message: '(#999999) Unknown error',
      details: 'x',
    });
  });
});

describe('graphErrorBody', () => {
  const full = graphErrorBody({ ...graphError(130429, 'too fast'), subcode: 2494055 }, 'AbC123');
  const ourKeys = Object.keys(full.error);

  it('is exactly the WHATSAPP.md §1.4 envelope', () => {
    expect(JSON.stringify(graphErrorBody(graphError(131047, 'window closed'), 'Az8or2yhqkZfEZ-_4Qn_Bam'))).toBe(
      JSON.stringify({
        error: {
          message: '(#131047) Re-engagement message',
          type: 'OAuthException',
          code: 131047,
          error_data: { messaging_product: 'whatsapp', details: 'window closed' },
          fbtrace_id: 'Az8or2yhqkZfEZ-_4Qn_Bam',
        },
      }),
    );
    expect(ourKeys).toEqual(['message', 'type', 'code', 'error_data', 'error_subcode', 'fbtrace_id', 'is_transient']);
    expect(full.error.is_transient).toBe(true);
  });

  it.each(errorExamples)('has the keys and value types of Meta example $file', ({ error }) => {
    // Meta's examples never show error_user_* on WhatsApp send errors; we never emit them.
    const shared = Object.keys(error).filter((k) => k !== 'error_user_title' && k !== 'error_user_msg');
    for (const key of shared) {
      expect(ourKeys).toContain(key);
      expect(typeof (full.error as Record<string, unknown>)[key], key).toBe(typeof error[key]);
    }
    // Relative order of the keys both sides have (is_transient's place varies between examples: see below).
    const withoutTransient = shared.filter((k) => k !== 'is_transient');
    expect(ourKeys.filter((k) => withoutTransient.includes(k))).toEqual(withoutTransient);
  });

  it('puts is_transient where most examples and the GraphAPIError schema put it: after fbtrace_id', () => {
    const withBoth = errorExamples.filter((e) => 'is_transient' in e.error && 'fbtrace_id' in e.error);
    const after = withBoth.filter((e) => {
      const keys = Object.keys(e.error);
      return keys.indexOf('is_transient') > keys.indexOf('fbtrace_id');
    });
    expect(after.length * 2).toBeGreaterThan(withBoth.length);
    expect(ourKeys.indexOf('is_transient')).toBeGreaterThan(ourKeys.indexOf('fbtrace_id'));
  });

  it('omits optional keys rather than sending null', () => {
    const body = graphErrorBody({ httpStatus: 400, code: 100, type: 'OAuthException', message: 'm' }, 'T');
    expect(body).toEqual({ error: { message: 'm', type: 'OAuthException', code: 100, fbtrace_id: 'T' } });
  });

  it('renders the Graph "object does not exist" error as recorded (GraphMethodException, subcode 33)', () => {
    const err = objectDoesNotExistError('123123');
    expect(err.httpStatus).toBe(400);
    expect(graphErrorBody(err, 'T').error).toEqual({
      message: expect.stringMatching(/^Unsupported post request\. Object with ID '123123' does not exist/),
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
      fbtrace_id: 'T',
    });
  });
});

describe('asyncErrorObject', () => {
  it('matches the error objects of Meta webhook examples (keys, order, types) plus href', () => {
    const webhook = readExample('webhooks', 'unsupported-message.json') as {
      entry: { changes: { value: { messages: { errors: Record<string, unknown>[] }[] } }[] }[];
    };
    const example = webhook.entry[0]?.changes[0]?.value.messages[0]?.errors[0];
    expect(example).toBeDefined();
    const ours = asyncErrorObject(131051, 'Message type is currently not supported.');
    expect(Object.keys(ours)).toEqual([...Object.keys(example ?? {}), 'href']);
    for (const [key, value] of Object.entries(example ?? {})) {
      expect(typeof (ours as unknown as Record<string, unknown>)[key]).toBe(typeof value);
    }
  });

  it('repeats the title in message, without the (#code) prefix', () => {
    expect(asyncErrorObject(131047, 'more than 24 hours')).toEqual({
      code: 131047,
      title: 'Re-engagement message',
      message: 'Re-engagement message',
      error_data: { details: 'more than 24 hours' },
      href: ERROR_CODES_HREF,
    });
    expect(ERROR_CODES_HREF).toBe('https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/');
  });
});
