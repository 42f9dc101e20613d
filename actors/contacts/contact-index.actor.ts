import { defineActor, unreachable, type Address } from '../../core/index.ts';
import { INDEX_BUCKET_COUNT, bucketOf, type Bucket, type EntryKind } from '../indexing/bucket-index.ts';
import {
  emptyPageIndex,
  findEntry,
  pageAt,
  pageIndexSplit,
  removeEntry,
  upsertEntries,
  upsertEntry,
  type Page,
  type PageIndex,
} from '../indexing/page-index.ts';
import { matchesFilter, type ContactFilter, type ContactSummary } from './contact-filter.ts';

/**
 * The contacts of one organisation as summaries (id = org id), for listings, segments and campaign audiences.
 * Contacts tell it whenever their summary changes (`withContactIndexUpdates` in contact-summary.ts); a stale or
 * repeated update is dropped by its version. Paged (indexing/page-index.ts): new contacts fill pages in the order
 * they arrive, so an import of a million writes each summary about once, and a change rewrites one page of at most
 * 32 summaries whatever the number of contacts. A search scans every summary once (O(n): ~100,000 summaries in tens
 * of ms) and answers one page in key order with the total that matched.
 */
export const CONTACT_INDEX_KIND = 'contact-index';
export const MAX_SEARCH_PAGE = 500;

export function contactIndexAddress(orgId: string): Address {
  return { kind: CONTACT_INDEX_KIND, id: orgId };
}

export type ContactIndexState = PageIndex<ContactSummary>;

export type ContactIndexMsg =
  | { readonly type: 'contactChanged'; readonly summary: ContactSummary }
  /** The contact was erased (GDPR): its summary goes. */
  | { readonly type: 'contactRemoved'; readonly key: string }
  | {
      readonly type: 'searchContacts';
      readonly filter: ContactFilter;
      readonly limit: number;
      /** The last key of the previous page. */
      readonly after?: string;
    }
  /**
   * A campaign's audience, in the index's page order (cheap: an answer scans only its pages, and a contact is in one
   * page for good, so paging neither repeats nor skips one that stays): the matching summaries from the cursor
   * `fromBucket` on, until at least `maxEntries` were taken; `nextBucket` is the cursor of the next answer, null at
   * the end. A cursor is opaque: 0 is the start, the index's own are `AUDIENCE_PAGE_CURSOR + page` (the field
   * names are the protocol's). A cursor below AUDIENCE_PAGE_CURSOR is one of state version 1, a hash bucket
   * (bucket-index.ts), held by a snapshot that began before the upgrade: it is answered as version 1 did, bucket by
   * bucket, so that snapshot neither repeats nor loses a contact.
   */
  | {
      readonly type: 'audiencePage';
      readonly filter: ContactFilter;
      readonly fromBucket: number;
      readonly maxEntries: number;
    }
  /** The summaries of these keys, where the index has them. */
  | { readonly type: 'lookupContacts'; readonly keys: readonly string[] };

export interface ContactIndexReplies {
  searchContacts: { ok: true; contacts: ContactSummary[]; total: number; nextAfter: string | null };
  audiencePage: { ok: true; contacts: ContactSummary[]; nextBucket: number | null };
  lookupContacts: { ok: true; contacts: ContactSummary[] };
}

/** The most summaries one audience page or lookup answers (a reply stays well under NATS's 1 MB payload). */
export const MAX_AUDIENCE_PAGE = 2_000;

/** Audience cursors from this value on are pages (`AUDIENCE_PAGE_CURSOR + page`); below, version-1 buckets. */
export const AUDIENCE_PAGE_CURSOR = INDEX_BUCKET_COUNT;

const SUMMARIES: EntryKind<ContactSummary> = {
  idOf: (s) => s.key,
  // A contact's tells arrive in order; two in one ms: the later one wins.
  isNewer: (update, held) => update.changedAtMs >= held.changedAtMs,
};

/**
 * Version 1 kept the summaries in 4,096 hash buckets (indexing/bucket-index.ts), a bucket rewritten whole on every
 * change: ~244 summaries per change at a million contacts. Its buckets become pages, in bucket order.
 */
export function upgradeContactIndex(
  _stored: unknown,
  storedVersion: number,
  items?: readonly unknown[],
): ContactIndexState {
  if (storedVersion !== 1) throw new Error(`contact-index: no upgrade from state version ${storedVersion}`);
  const summaries: ContactSummary[] = [];
  for (const bucket of (items ?? []) as readonly Bucket<ContactSummary>[]) summaries.push(...bucket.entries);
  return upsertEntries(emptyPageIndex<ContactSummary>(), summaries, SUMMARIES);
}

/** 2: pages in arrival order (page-index.ts) instead of hash buckets. */
export const CONTACT_INDEX_STATE_VERSION = 2;

export const contactIndexActor = defineActor<ContactIndexState, ContactIndexMsg, Page<ContactSummary>>({
  kind: CONTACT_INDEX_KIND,
  stateVersion: CONTACT_INDEX_STATE_VERSION,
  initialState: () => emptyPageIndex(),
  split: pageIndexSplit(),
  upgrade: upgradeContactIndex,
  handle(state, msg) {
    switch (msg.type) {
      case 'contactChanged':
        return { state: upsertEntry(state, msg.summary, SUMMARIES) };
      case 'contactRemoved':
        return { state: removeEntry(state, msg.key, SUMMARIES) };
      case 'searchContacts':
        return { state, reply: search(state, msg) };
      case 'audiencePage':
        return { state, reply: audiencePage(state, msg) };
      case 'lookupContacts': {
        const contacts: ContactSummary[] = [];
        for (const key of msg.keys.slice(0, MAX_AUDIENCE_PAGE)) {
          const found = findEntry(state, key, SUMMARIES);
          if (found !== undefined) contacts.push(found);
        }
        return { state, reply: { ok: true, contacts } satisfies ContactIndexReplies['lookupContacts'] };
      }
      default:
        return unreachable(msg);
    }
  },
});

function search(
  state: ContactIndexState,
  msg: Extract<ContactIndexMsg, { type: 'searchContacts' }>,
): ContactIndexReplies['searchContacts'] {
  const limit = Math.min(Math.max(Math.trunc(msg.limit), 1), MAX_SEARCH_PAGE);
  const after = msg.after;
  let total = 0;
  let eligible = 0;
  // The page: the `limit` smallest keys after the cursor, kept sorted (a page is small; inserting is cheap).
  const page: ContactSummary[] = [];
  for (const chunk of state.chunks) {
    for (const { entries } of chunk) {
      for (const contact of entries) {
        if (!matchesFilter(contact, msg.filter)) continue;
        total++;
        if (after !== undefined && contact.key <= after) continue;
        eligible++;
        if (page.length === limit && contact.key >= page[limit - 1]!.key) continue;
        let at = page.length;
        while (at > 0 && page[at - 1]!.key > contact.key) at--;
        page.splice(at, 0, contact);
        if (page.length > limit) page.pop();
      }
    }
  }
  const last = page.at(-1);
  return { ok: true, contacts: page, total, nextAfter: eligible > page.length && last ? last.key : null };
}

function audiencePage(
  state: ContactIndexState,
  msg: Extract<ContactIndexMsg, { type: 'audiencePage' }>,
): ContactIndexReplies['audiencePage'] {
  const max = Math.min(Math.max(Math.trunc(msg.maxEntries), 1), MAX_AUDIENCE_PAGE);
  const cursor = Math.max(0, Math.trunc(msg.fromBucket));
  if (cursor > 0 && cursor < AUDIENCE_PAGE_CURSOR) return bucketAudiencePage(state, msg.filter, cursor, max);
  const contacts: ContactSummary[] = [];
  for (let at = cursor === 0 ? 0 : cursor - AUDIENCE_PAGE_CURSOR; at < state.pageCount; at++) {
    // A page is taken whole (at most 32 entries), so an answer may pass `max` by one page's matches.
    if (contacts.length >= max) return { ok: true, contacts, nextBucket: AUDIENCE_PAGE_CURSOR + at };
    for (const contact of pageAt(state, at)!.entries) if (matchesFilter(contact, msg.filter)) contacts.push(contact);
  }
  return { ok: true, contacts, nextBucket: null };
}

/**
 * An audience page for a cursor of state version 1 (a hash bucket): the matching contacts of buckets `from`… in
 * bucket order, each bucket taken whole, until at least `max` were taken, the next cursor being a bucket again.
 * Scans every summary (O(n)); only a snapshot that was under way when the index was upgraded asks this.
 */
function bucketAudiencePage(
  state: ContactIndexState,
  filter: ContactFilter,
  from: number,
  max: number,
): ContactIndexReplies['audiencePage'] {
  const byBucket = new Map<number, ContactSummary[]>();
  for (const chunk of state.chunks) {
    for (const { entries } of chunk) {
      for (const contact of entries) {
        const bucket = bucketOf(contact.key);
        if (bucket < from || !matchesFilter(contact, filter)) continue;
        let list = byBucket.get(bucket);
        if (list === undefined) byBucket.set(bucket, (list = []));
        list.push(contact);
      }
    }
  }
  const contacts: ContactSummary[] = [];
  for (const bucket of [...byBucket.keys()].sort((a, b) => a - b)) {
    if (contacts.length >= max) return { ok: true, contacts, nextBucket: bucket };
    contacts.push(...byBucket.get(bucket)!);
  }
  return { ok: true, contacts, nextBucket: null };
}
