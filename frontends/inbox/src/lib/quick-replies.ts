import { ApiError } from './api.ts';
import type { QuickReply } from './wire.ts';

/**
 * The composer's quick-reply picker and the quick-replies screen, the parts that are plain functions: which replies
 * a `/query` offers, and which form field an API refusal is about. The rules (shortcut syntax, variables, who may
 * create a shared one) are the API's; the screens show its refusals next to the field they name.
 */

/** The longest text after `/` still read as a picker query (a longer line starting with `/` is just a message). */
const MAX_QUERY_LENGTH = 40;
const SLASH_QUERY = new RegExp(`^/([^\\n]{0,${MAX_QUERY_LENGTH}})$`);

/** The picker's query when the composer holds `/…` (one line, at the start), else null. */
export function slashQueryOf(text: string): string | null {
  return SLASH_QUERY.exec(text)?.[1] ?? null;
}

/**
 * The replies a query offers, in order: those whose shortcut starts with it, then those whose title contains it
 * (each in the API's order, by shortcut). Shared replies hidden by one's own with the same shortcut are left out.
 */
export function matchQuickReplies(items: readonly QuickReply[], query: string): QuickReply[] {
  const usable = items.filter((item) => !item.shadowed);
  const q = query.trim().toLowerCase();
  if (q === '') return usable;
  const byShortcut = usable.filter((item) => item.shortcut.startsWith(q));
  const byTitle = usable.filter((item) => !item.shortcut.startsWith(q) && item.title.toLowerCase().includes(q));
  return [...byShortcut, ...byTitle];
}

export const QUICK_REPLY_FIELDS = ['scope', 'shortcut', 'title', 'text'] as const;
export type QuickReplyField = (typeof QUICK_REPLY_FIELDS)[number];

function isField(value: unknown): value is QuickReplyField {
  return typeof value === 'string' && (QUICK_REPLY_FIELDS as readonly string[]).includes(value);
}

/** The last segment of a validation detail's path (`'body.shortcut'`, `'/text'`, `['body', 'title']`). */
function fieldOfPath(path: unknown): QuickReplyField | null {
  const segments = Array.isArray(path) ? path : typeof path === 'string' ? path.split(/[./]/) : [];
  const last: unknown = segments.filter((s) => s !== '').at(-1);
  return isField(last) ? last : null;
}

/**
 * The form field an API refusal names, or null for a refusal of the whole form: a taken shortcut is the shortcut's;
 * a validation error names its field in `details` (`[{ path }]` or `{ field }`) or, failing that, in its message.
 */
export function fieldOfError(err: unknown): QuickReplyField | null {
  if (!(err instanceof ApiError)) return null;
  if (err.code === 'PARLO_QUICK_REPLY_SHORTCUT_TAKEN') return 'shortcut';
  if (err.status !== 400 && err.status !== 409 && err.status !== 422) return null;
  const details: unknown = err.details;
  const entries: unknown[] = Array.isArray(details) ? details : details === undefined ? [] : [details];
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { field, path } = entry as { field?: unknown; path?: unknown };
    if (isField(field)) return field;
    const fromPath = fieldOfPath(path);
    if (fromPath) return fromPath;
  }
  // The earliest field name the message mentions as a word ("text: unknown variable {{contact.foo}}").
  let found: { field: QuickReplyField; at: number } | null = null;
  for (const field of QUICK_REPLY_FIELDS) {
    const at = err.message.search(new RegExp(`\\b${field}\\b`, 'i'));
    if (at !== -1 && (found === null || at < found.at)) found = { field, at };
  }
  return found?.field ?? null;
}
