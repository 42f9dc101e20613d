import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorCodeOf } from '../../../core/index.ts';
import {
  decodeCursor,
  DEFAULT_PAGE_LIMIT,
  encodeCursor,
  MAX_CURSOR_LENGTH,
  MAX_PAGE_LIMIT,
  page,
  PageQuery,
  pageSchema,
} from './pagination.ts';

const Cursor = z.object({ after: z.string(), at: z.number().int() });

describe('PageQuery', () => {
  it('defaults limit to 20 and coerces query strings', () => {
    expect(PageQuery.parse({})).toEqual({ limit: DEFAULT_PAGE_LIMIT });
    expect(PageQuery.parse({ limit: '100', cursor: 'abc' })).toEqual({ limit: 100, cursor: 'abc' });
  });

  it.each([['0'], ['101'], ['1.5'], ['x']])('refuses limit=%s', (limit) => {
    expect(PageQuery.safeParse({ limit }).success).toBe(false);
  });

  it('refuses an empty or oversized cursor', () => {
    expect(PageQuery.safeParse({ cursor: '' }).success).toBe(false);
    expect(PageQuery.safeParse({ cursor: 'a'.repeat(MAX_CURSOR_LENGTH + 1) }).success).toBe(false);
  });

  it('bounds the limit at MAX_PAGE_LIMIT', () => {
    expect(MAX_PAGE_LIMIT).toBe(100);
  });
});

describe('cursors', () => {
  it('round-trips a position through an opaque base64url string', () => {
    const position = { after: 'ct_0042', at: 1_700_000_000_000 };
    const cursor = encodeCursor(position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, Cursor)).toEqual(position);
  });

  it('reads no cursor as the first page', () => {
    expect(decodeCursor(undefined, Cursor)).toBeUndefined();
  });

  it.each([
    ['characters outside base64url', 'abc$def', 'is not a cursor issued by this endpoint'],
    [
      'base64url that is not JSON',
      Buffer.from('not json').toString('base64url'),
      'is not a cursor issued by this endpoint',
    ],
    ['JSON of another shape', encodeCursor({ page: 2 }), 'does not belong to this list'],
    ['an edited position', encodeCursor({ after: 'ct_1', at: 'yesterday' }), 'does not belong to this list'],
  ])('refuses %s with PARLO_INVALID_CURSOR', (_name, cursor, why) => {
    let thrown: unknown;
    try {
      decodeCursor(cursor, Cursor);
    } catch (err) {
      thrown = err;
    }
    expect(errorCodeOf(thrown)).toBe('PARLO_INVALID_CURSOR');
    expect((thrown as Error).message).toBe(`query.cursor: ${why}; request the first page again without a cursor`);
    expect((thrown as { details: unknown }).details).toEqual([
      { location: 'query', path: 'cursor', rule: 'cursor', message: why },
    ]);
  });
});

describe('page', () => {
  const rows = ['a', 'b', 'c'].map((id) => ({ id }));
  const after = (last: { id: string }) => ({ after: last.id });

  it('keeps limit rows and makes a cursor from the last one when an extra row proves there is more', () => {
    const result = page(rows, 2, after);
    expect(result.data).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(decodeCursor(result.nextCursor ?? undefined, z.object({ after: z.string() }))).toEqual({ after: 'b' });
  });

  it('ends with a null cursor', () => {
    expect(page(rows, 3, after)).toEqual({ data: rows, nextCursor: null });
    expect(page([], 3, after)).toEqual({ data: [], nextCursor: null });
  });

  it('has a schema of data and a nullable nextCursor', () => {
    const schema = pageSchema(z.object({ id: z.string() }));
    expect(schema.parse({ data: [{ id: 'a', secret: 1 }], nextCursor: null })).toEqual({
      data: [{ id: 'a' }],
      nextCursor: null,
    });
    expect(schema.safeParse({ data: [] }).success).toBe(false);
  });
});
