import { SERVICE_WINDOW_MS } from '../conversation/window.ts';
import type { ConversationFilter, ConversationSummary, ListPosition } from './conversation-index.messages.ts';
import type { ConversationIndexState } from './conversation-index.state.ts';
import { foldText } from '../indexing/fold-text.ts';

/**
 * Listing conversations, pure (STYLE rule 3): filters, the order (last activity descending, then conversation id
 * ascending, a total order because ids are unique across numbers), the cursor position, the top `limit` of a
 * scan, and the merge of several numbers' pages.
 *
 * Cost: a listing scans every summary of the number once (O(n)) and keeps the best `limit` in a bounded heap
 * (O(n log limit)); nothing is sorted but the page itself. The filters are evaluated cheapest first.
 */

/** Whether `a` comes before `b` in a listing. */
export function precedes(a: ListPosition, b: ListPosition): boolean {
  return (
    a.lastActivityAtMs > b.lastActivityAtMs ||
    (a.lastActivityAtMs === b.lastActivityAtMs && a.conversationId < b.conversationId)
  );
}

/** The cursor position of a summary (the listing resumes strictly after it). */
export function positionOf(summary: ConversationSummary): ListPosition {
  return { lastActivityAtMs: summary.lastActivityAtMs, conversationId: summary.conversationId };
}

/** Whether the customer-service window of the conversation is open at `nowMs` (window.ts: 24 h, exact to the ms). */
export function isWindowOpen(summary: ConversationSummary, nowMs: number): boolean {
  return summary.lastInboundAtMs !== null && nowMs < summary.lastInboundAtMs + SERVICE_WINDOW_MS;
}

/** When the customer-service window closes (or closed); null if the customer never wrote. */
export function windowExpiresAtMs(summary: ConversationSummary): number | null {
  return summary.lastInboundAtMs === null ? null : summary.lastInboundAtMs + SERVICE_WINDOW_MS;
}

/** A filter compiled once per query: the folded name, the phone prefix without its `+`. */
export interface CompiledFilter {
  readonly orgId: string;
  readonly filter: ConversationFilter;
  readonly phonePrefix: string | undefined;
  readonly name: string | undefined;
  readonly search: CompiledSearch | undefined;
  readonly nowMs: number;
}

/** The search box's text compiled: folded for names, digits for phones, the ids its words were found in. */
export interface CompiledSearch {
  readonly name: string;
  readonly digits: string | undefined;
  readonly conversationIds: ReadonlySet<string>;
}

/** The digits of a text that looks like (part of) a phone number, with at least three of them; else undefined. */
export function phoneDigitsOf(text: string): string | undefined {
  if (!/^[0-9+\s()-]+$/.test(text)) return undefined;
  const digits = text.replace(/[^0-9]/g, '');
  return digits.length >= 3 ? digits : undefined;
}

export function compileFilter(orgId: string, filter: ConversationFilter, nowMs: number): CompiledFilter {
  return {
    orgId,
    filter,
    phonePrefix: filter.phonePrefix?.replace(/^\+/, ''),
    name: filter.nameContains === undefined ? undefined : foldText(filter.nameContains),
    search:
      filter.search === undefined
        ? undefined
        : {
            name: foldText(filter.search.text.trim()),
            digits: phoneDigitsOf(filter.search.text.trim()),
            conversationIds: new Set(filter.search.conversationIds),
          },
    nowMs,
  };
}

/** Whether a summary belongs to the organisation and passes every filter. */
export function matches(summary: ConversationSummary, compiled: CompiledFilter): boolean {
  const { filter } = compiled;
  if (summary.orgId !== compiled.orgId) return false;
  if (filter.activeFromMs !== undefined && summary.lastActivityAtMs < filter.activeFromMs) return false;
  if (filter.activeBeforeMs !== undefined && summary.lastActivityAtMs >= filter.activeBeforeMs) return false;
  if (filter.assignee !== undefined && summary.assignee !== filter.assignee) return false;
  if (filter.status !== undefined && !filter.status.includes(summary.status ?? 'open')) return false;
  if (filter.hasUnread !== undefined && summary.unreadCount > 0 !== filter.hasUnread) return false;
  if (filter.window !== undefined && isWindowOpen(summary, compiled.nowMs) !== (filter.window === 'open')) return false;
  if (compiled.phonePrefix !== undefined && !(summary.customer.phone ?? '').startsWith(compiled.phonePrefix))
    return false;
  if (compiled.name !== undefined) {
    const name = summary.customer.profileName;
    if (name === null || !foldText(name).includes(compiled.name)) return false;
  }
  if (compiled.search !== undefined && !searchMatches(summary, compiled.search)) return false;
  return true;
}

function searchMatches(summary: ConversationSummary, search: CompiledSearch): boolean {
  if (search.conversationIds.has(summary.conversationId)) return true;
  const { phone, profileName } = summary.customer;
  if (search.digits !== undefined && phone !== null && phone.includes(search.digits)) return true;
  return profileName !== null && search.name !== '' && foldText(profileName).includes(search.name);
}

/**
 * The first `limit` summaries of the index, in listing order, that match and come strictly after `after`.
 * One pass over the buckets with a max-heap of at most `limit` (its root is the last kept in listing order).
 */
export function listPage(
  state: ConversationIndexState,
  compiled: CompiledFilter,
  after: ListPosition | undefined,
  limit: number,
): ConversationSummary[] {
  if (limit <= 0) return [];
  const heap: ConversationSummary[] = [];
  for (const bucket of state.buckets) {
    for (const summary of bucket.entries) {
      if (after !== undefined && !precedes(after, summary)) continue;
      if (heap.length === limit && !precedes(summary, heap[0]!)) continue;
      if (!matches(summary, compiled)) continue;
      if (heap.length < limit) push(heap, summary);
      else replaceRoot(heap, summary);
    }
  }
  return heap.sort((a, b) => (precedes(a, b) ? -1 : 1));
}

/**
 * The first `limit` items of several lists, each already in listing order: a k-way merge (one page per number
 * when an organisation's numbers are listed together). `positionOf` reads the item's place.
 */
export function mergePages<T>(
  pages: readonly (readonly T[])[],
  limit: number,
  position: (item: T) => ListPosition,
): T[] {
  const heads = pages.map(() => 0);
  const merged: T[] = [];
  while (merged.length < limit) {
    let best = -1;
    for (let p = 0; p < pages.length; p++) {
      const candidate = pages[p]![heads[p]!];
      if (candidate === undefined) continue;
      if (best < 0 || precedes(position(candidate), position(pages[best]![heads[best]!]!))) best = p;
    }
    if (best < 0) break;
    merged.push(pages[best]![heads[best]!]!);
    heads[best] = heads[best]! + 1;
  }
  return merged;
}

// ---------------------------------------------------------------- the bounded heap (root = last in listing order)

function push(heap: ConversationSummary[], item: ConversationSummary): void {
  heap.push(item);
  let i = heap.length - 1;
  while (i > 0) {
    const parent = (i - 1) >>> 1;
    if (!precedes(heap[parent]!, heap[i]!)) break;
    [heap[parent], heap[i]] = [heap[i]!, heap[parent]!];
    i = parent;
  }
}

function replaceRoot(heap: ConversationSummary[], item: ConversationSummary): void {
  heap[0] = item;
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    const right = left + 1;
    let last = i;
    if (left < heap.length && precedes(heap[last]!, heap[left]!)) last = left;
    if (right < heap.length && precedes(heap[last]!, heap[right]!)) last = right;
    if (last === i) return;
    [heap[last], heap[i]] = [heap[i]!, heap[last]!];
    i = last;
  }
}
