import type { StateSplit } from '../../core/index.ts';
import type { EntryKind } from './bucket-index.ts';

/**
 * A keyed collection of small records (summaries) that grows large — an organisation's contacts, a million after an
 * import — stored so that the cost of a change does not grow with the collection.
 *
 * Why not buckets (bucket-index.ts): there the number of buckets is fixed, so a bucket holds `count / 4,096`
 * entries and a change rewrites a whole bucket (~244 summaries at a million contacts, each re-encoded), and every
 * change copies the array of all buckets. Here entries sit in **pages in the order they arrived**: a new entry
 * goes into the last page (a new one when it is full), a changed entry stays in its page for good. A bulk of new
 * entries therefore fills whole pages, and each page is written once (about one entry written per entry added,
 * at any size); a change rewrites one page of at most `PAGE_SIZE` entries. Pages are held in chunks of
 * `CHUNK_SIZE`, so a change copies one page, one chunk and the short array of chunks (~250 chunks at a million
 * entries), never an array of every page.
 *
 * Pages are dense (`0 … pageCount - 1`); a page emptied by removals stays, empty, so a page's index is its
 * position and a cursor over pages (a campaign's audience, page by page) neither repeats nor skips an entry
 * that stays.
 *
 * Finding an entry by id uses a map id → page built from the pages (never stored), see `locatorOf`.
 */
export interface PageIndex<T> {
  /** How many entries the index holds. */
  readonly count: number;
  /** How many pages there are (the last one takes new entries while it has room). */
  readonly pageCount: number;
  /** Page `i` is `chunks[i >> CHUNK_BITS][i & (CHUNK_SIZE - 1)]`. */
  readonly chunks: readonly (readonly Page<T>[])[];
}

export interface Page<T> {
  /** Its position; stable: the page's storage key. */
  readonly index: number;
  /** In the order they arrived. */
  readonly entries: readonly T[];
}

/**
 * Entries per page. Part of the stored layout only in that pages hold at most this many; changing it needs no
 * migration (older pages keep their size, new pages use the new one).
 */
export const PAGE_SIZE = 32;
const CHUNK_BITS = 7;
/** Pages per chunk. */
export const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;

/** An index holding nothing (no page yet). */
export function emptyPageIndex<T>(): PageIndex<T> {
  return { count: 0, pageCount: 0, chunks: [] };
}

/** The page at `position` (undefined past the last one). */
export function pageAt<T>(index: PageIndex<T>, position: number): Page<T> | undefined {
  return index.chunks[position >> CHUNK_BITS]?.[position & CHUNK_MASK];
}

/** Every page, in order (a new array). */
export function pagesOf<T>(index: PageIndex<T>): Page<T>[] {
  const pages: Page<T>[] = [];
  for (const chunk of index.chunks) for (const page of chunk) pages.push(page);
  return pages;
}

// ---------------------------------------------------------------- finding an entry by id

/**
 * The map id → page of each index, derived from its pages and cached here by the index object's identity (a
 * WeakMap: it goes with the index). A change hands the map on to the new index (the old one loses it), so a run of
 * changes keeps one map up to date in O(1) each instead of rebuilding it; an index whose map was handed on (a
 * handler run twice on one state, in tests) builds its own again. The map is a cache, not state: a lookup is
 * always checked against the page it names, and it is changed only after the new index is complete, so the
 * answers are those of a pure function of the index.
 */
const locators = new WeakMap<PageIndex<unknown>, Map<string, number>>();

function locatorOf<T>(index: PageIndex<T>, kind: Pick<EntryKind<T>, 'idOf'>): Map<string, number> {
  const known = locators.get(index);
  if (known !== undefined) return known;
  const built = new Map<string, number>();
  for (const chunk of index.chunks) {
    for (const page of chunk) for (const entry of page.entries) built.set(kind.idOf(entry), page.index);
  }
  locators.set(index, built);
  return built;
}

/** Hands `from`'s map on to `to`, with the entry placed (id, page) or removed (id), if any. */
function handOn<T>(
  from: PageIndex<T>,
  to: PageIndex<T>,
  locator: Map<string, number>,
  placed: readonly [string, number] | null,
  removed: string | null,
): void {
  locators.delete(from);
  if (placed !== null) locator.set(placed[0], placed[1]);
  if (removed !== null) locator.delete(removed);
  locators.set(to, locator);
}

function slotIn<T>(entries: readonly T[], id: string, kind: Pick<EntryKind<T>, 'idOf'>): number {
  for (let slot = 0; slot < entries.length; slot++) if (kind.idOf(entries[slot]!) === id) return slot;
  return -1;
}

/** The entry held for `id`, if any. */
export function findEntry<T>(index: PageIndex<T>, id: string, kind: Pick<EntryKind<T>, 'idOf'>): T | undefined {
  const position = locatorOf(index, kind).get(id);
  if (position === undefined) return undefined;
  const entries = pageAt(index, position)?.entries ?? [];
  const slot = slotIn(entries, id, kind);
  return slot < 0 ? undefined : entries[slot];
}

// ---------------------------------------------------------------- changes

/**
 * The index with `entry` recorded: added to the last page (a new page when it is full), or replacing the older
 * version of its id in its page. An entry that is not newer than the one held returns the very same index, so the
 * turn writes nothing. Cost: a map lookup, a scan and a copy of one page, a copy of one chunk and of the array of
 * chunks — the same at a hundred entries as at a million.
 */
export function upsertEntry<T>(index: PageIndex<T>, entry: T, kind: EntryKind<T>): PageIndex<T> {
  const locator = locatorOf(index, kind);
  const id = kind.idOf(entry);
  const position = locator.get(id);
  const held = position === undefined ? undefined : pageAt(index, position);
  const slot = held === undefined ? -1 : slotIn(held.entries, id, kind);
  if (held !== undefined && slot >= 0) {
    if (!kind.isNewer(entry, held.entries[slot]!)) return index;
    const entries = held.entries.slice();
    entries[slot] = entry;
    const next: PageIndex<T> = {
      count: index.count,
      pageCount: index.pageCount,
      chunks: withPage(index.chunks, held.index, entries),
    };
    handOn(index, next, locator, null, null);
    return next;
  }
  const last = index.pageCount === 0 ? undefined : pageAt(index, index.pageCount - 1);
  const opensPage = last === undefined || last.entries.length >= PAGE_SIZE;
  const target = opensPage ? index.pageCount : last.index;
  const entries = opensPage ? [entry] : [...last.entries, entry];
  const next: PageIndex<T> = {
    count: index.count + 1,
    pageCount: opensPage ? index.pageCount + 1 : index.pageCount,
    chunks: withPage(index.chunks, target, entries),
  };
  handOn(index, next, locator, [id, target], null);
  return next;
}

/** The index with `entries` recorded, in order, each as `upsertEntry` records it (an upgrade, tests). */
export function upsertEntries<T>(index: PageIndex<T>, entries: readonly T[], kind: EntryKind<T>): PageIndex<T> {
  let next = index;
  for (const entry of entries) next = upsertEntry(next, entry, kind);
  return next;
}

/** The index without the entry of `id` (the very same index when it holds none). Its page stays, if emptied. */
export function removeEntry<T>(index: PageIndex<T>, id: string, kind: Pick<EntryKind<T>, 'idOf'>): PageIndex<T> {
  const locator = locatorOf(index, kind);
  const position = locator.get(id);
  if (position === undefined) return index;
  const entries = pageAt(index, position)?.entries ?? [];
  const slot = slotIn(entries, id, kind);
  if (slot < 0) return index;
  const next: PageIndex<T> = {
    count: index.count - 1,
    pageCount: index.pageCount,
    chunks: withPage(
      index.chunks,
      position,
      entries.filter((_, i) => i !== slot),
    ),
  };
  handOn(index, next, locator, null, id);
  return next;
}

/** The chunks with the page at `position` replaced or added (one chunk copied, and the array of chunks). */
function withPage<T>(
  chunks: readonly (readonly Page<T>[])[],
  position: number,
  entries: readonly T[],
): readonly (readonly Page<T>[])[] {
  const c = position >> CHUNK_BITS;
  const chunk = (chunks[c] ?? []).slice();
  chunk[position & CHUNK_MASK] = { index: position, entries };
  const next = chunks.slice();
  next[c] = chunk;
  return next;
}

// ---------------------------------------------------------------- storage

/**
 * Stored as its head (the counts) and one record per page, keyed by the page's index: a change rewrites the pages
 * it touched, never the whole index.
 */
export function pageIndexSplit<T>(): StateSplit<PageIndex<T>, Page<T>> {
  return {
    head: (state) => ({ count: state.count, pageCount: state.pageCount }),
    items: (state) => pagesOf(state),
    itemKey: (page) => page.index,
    join: (head, pages) => {
      const { count, pageCount } = head as { count: number; pageCount: number };
      return fromPages(count, pageCount, pages);
    },
  };
}

/** An index from its stored pages (in key order; a missing page, which a write never leaves, is an empty one). */
function fromPages<T>(count: number, pageCount: number, pages: readonly Page<T>[]): PageIndex<T> {
  const chunks: Page<T>[][] = [];
  let at = 0;
  for (let position = 0; position < pageCount; position++) {
    let page = pages[at];
    if (page !== undefined && page.index === position) at++;
    else page = { index: position, entries: [] };
    const c = position >> CHUNK_BITS;
    (chunks[c] ??= []).push(page);
  }
  return { count, pageCount, chunks };
}
