import { z } from 'zod';
import { ParloError } from '../../../core/index.ts';

/**
 * Cursor pagination for list endpoints. A list route takes `PageQuery` (or `PageQuery.extend({...})` for its
 * filters) and answers `pageSchema(Item)`:
 *
 * ```ts
 * const ContactCursor = z.object({ after: z.string() });
 * query: PageQuery,
 * responses: { 200: pageSchema(Contact) },
 * async handler({ query }) {
 *   const after = decodeCursor(query.cursor, ContactCursor)?.after;
 *   const rows = await contacts.list({ after, limit: query.limit + 1 }); // one extra: is there a next page?
 *   return { status: 200, body: page(rows, query.limit, (last) => ({ after: last.id })) };
 * }
 * ```
 *
 * A cursor is opaque to clients (base64url of JSON), but not secret and not signed: it only says where to resume,
 * so the route must authorise what it lists exactly as it does without a cursor.
 */

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;
/** Cursors we issue are a few dozen characters; a longer one was not issued by us. */
export const MAX_CURSOR_LENGTH = 512;

export const PageQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_LIMIT)
    .default(DEFAULT_PAGE_LIMIT)
    .describe(`How many items to return, 1 to ${MAX_PAGE_LIMIT}.`),
  cursor: z
    .string()
    .min(1)
    .max(MAX_CURSOR_LENGTH)
    .optional()
    .describe("The previous page's nextCursor; omit it for the first page."),
});
export type PageQuery = z.output<typeof PageQuery>;

/** `{ data: Item[], nextCursor: string | null }`; `nextCursor` is null on the last page. */
export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as ?cursor= to get the next page; null on the last page.'),
  });
}

export interface Page<T> {
  readonly data: T[];
  readonly nextCursor: string | null;
}

/**
 * Builds a page from up to `limit + 1` rows: the extra row, if present, only proves that a next page exists, and
 * the cursor is made from the last row kept.
 */
export function page<T>(rows: readonly T[], limit: number, cursorAfter: (last: T) => unknown): Page<T> {
  const data = rows.slice(0, limit);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorAfter(last)) : null };
}

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * The position inside `cursor`, checked against the route's own cursor schema; `undefined` when there is no cursor.
 * Anything else (not base64url, not JSON, another endpoint's cursor, an edited one) is `PARLO_INVALID_CURSOR`.
 */
export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, schema: T): z.output<T> | undefined {
  if (cursor === undefined) return undefined;
  const invalid = (why: string): ParloError =>
    new ParloError('PARLO_INVALID_CURSOR', `query.cursor: ${why}; request the first page again without a cursor`, [
      { location: 'query', path: 'cursor', rule: 'cursor', message: why },
    ]);
  if (!BASE64URL.test(cursor)) throw invalid('is not a cursor issued by this endpoint');
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('is not a cursor issued by this endpoint');
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw invalid('does not belong to this list');
  return parsed.data;
}
