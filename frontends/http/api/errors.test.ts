import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ParloError } from '../../../core/index.ts';
import { ErrorBody, errorBody, mapError } from './errors.ts';

/** The mapping itself, without fastify: every origin of an error → status + the one body. */

const context = { requestId: 'req-7', bodyLimitBytes: 1024, contentType: 'text/csv' };

/** fastify's errors carry `code` and `statusCode`; these are the shapes @fastify/error gives them. */
function fastifyError(code: string, statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('mapError', () => {
  it('maps a ParloError to its registry status, keeping message and details', () => {
    const mapped = mapError(new ParloError('PARLO_MAILBOX_FULL', 'conversation:c1 is full', { depth: 1000 }), context);
    expect(mapped).toEqual({
      status: 503,
      body: { error: { code: 'PARLO_MAILBOX_FULL', message: 'conversation:c1 is full', details: { depth: 1000 } } },
      isBug: true,
    });
  });

  it('recognises a registered code on any object, not by instanceof (STYLE rule 5)', () => {
    const mapped = mapError({ code: 'PARLO_INVALID_ADDRESS', message: 'bad address' }, context);
    expect(mapped.status).toBe(400);
    expect(mapped.body).toEqual({ error: { code: 'PARLO_INVALID_ADDRESS', message: 'bad address' } });
    expect(mapped.isBug).toBe(false);
  });

  it.each([
    [
      'FST_ERR_CTP_BODY_TOO_LARGE',
      413,
      'PARLO_BODY_TOO_LARGE',
      'request body exceeds the limit of 1024 bytes',
      { limitBytes: 1024 },
    ],
    [
      'FST_ERR_CTP_INVALID_MEDIA_TYPE',
      415,
      'PARLO_UNSUPPORTED_MEDIA_TYPE',
      'content type "text/csv" is not accepted; send application/json',
      { contentType: 'text/csv', accepted: ['application/json'] },
    ],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 'PARLO_MALFORMED_JSON', 'request body is not valid JSON', undefined],
    [
      'FST_ERR_CTP_EMPTY_JSON_BODY',
      400,
      'PARLO_MALFORMED_JSON',
      'request body is empty but its content type is application/json',
      undefined,
    ],
    [
      'FST_ERR_CTP_INVALID_CONTENT_LENGTH',
      400,
      'PARLO_BAD_REQUEST',
      'Request body size did not match Content-Length',
      undefined,
    ],
  ] as const)('maps %s', (fstCode, fstStatus, code, message, details) => {
    const mapped = mapError(
      fastifyError(fstCode, fstStatus, 'Request body size did not match Content-Length'),
      context,
    );
    expect(mapped.status).toBe(ERROR_CODES[code].httpStatus);
    expect(mapped.body).toEqual(errorBody(code, message, details));
    expect(mapped.isBug).toBe(false);
  });

  it('does not repeat the message of a 4xx error that fastify did not raise', () => {
    const mapped = mapError(Object.assign(new Error('socket hang up at 10.0.0.3'), { statusCode: 400 }), context);
    expect(mapped.body).toEqual(errorBody('PARLO_BAD_REQUEST', 'the request could not be read'));
  });

  it.each([
    ['an Error', new Error('db password=hunter2')],
    ['a fastify 500', fastifyError('FST_ERR_CTP_INVALID_PARSE_TYPE', 500, 'internal detail')],
    ['an unregistered code', Object.assign(new Error('nope'), { code: 'PARLO_NOT_A_CODE' })],
    ['a string', 'thrown string'],
    ['null', null],
  ])('answers %s with 500 PARLO_INTERNAL_ERROR and only the request id', (_name, error) => {
    const mapped = mapError(error, context);
    expect(mapped).toEqual({
      status: 500,
      body: errorBody('PARLO_INTERNAL_ERROR', 'internal error; quote request id req-7 when reporting it', {
        requestId: 'req-7',
      }),
      isBug: true,
    });
  });

  it('always produces the one error body', () => {
    for (const error of [new ParloError('PARLO_ASK_TIMEOUT', 't'), new Error('x'), fastifyError('FST_X', 404, 'y')]) {
      expect(ErrorBody.strict().safeParse(mapError(error, context).body).success).toBe(true);
    }
  });
});

describe('errorBody', () => {
  it('omits details when there are none', () => {
    expect(errorBody('PARLO_ROUTE_NOT_FOUND', 'no route')).toEqual({
      error: { code: 'PARLO_ROUTE_NOT_FOUND', message: 'no route' },
    });
    expect(JSON.stringify(errorBody('PARLO_ROUTE_NOT_FOUND', 'no route'))).not.toContain('details');
  });
});
