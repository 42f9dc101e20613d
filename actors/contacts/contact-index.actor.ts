import { defineActor, unreachable, type Address } from '../../core/index.ts';
import {
  bucketIndexSplit,
  emptyBucketIndex,
  findEntry,
  removeEntry,
  upsertEntry,
  type Bucket,
  type BucketIndex,
  type EntryKind,
} from '../indexing/bucket-index.ts';
import { matchesFilter, type ContactFilter, type ContactSummary } from './contact-filter.ts';

/**
 * The contacts of one organisation as summaries (id = org id), for listings, segments and campaign audiences.
 * Contacts tell it whenever their summary changes (`withContactIndexUpdates` in contact-summary.ts); a stale or
 * repeated update is dropped by its version. Bucketed (indexing/bucket-index.ts): an update rewrites one small
 * bucket. A search scans every summary once (O(n): ~100,000 summaries in tens of ms) and answers one page in key
 * order with the total that matched.
 */
export const CONTACT_INDEX_KIND = 'contact-index';
export const MAX_SEARCH_PAGE = 500;

export function contactIndexAddress(orgId: string): Address {
  return { kind: CONTACT_INDEX_KIND, id: orgId };
}

export type ContactIndexState = BucketIndex<ContactSummary>;

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
   * A campaign's audience, page by page in bucket order (cheap: a page scans only its buckets, and a contact is in
   * one bucket for good, so paging neither repeats nor skips one that stays): the matching summaries of buckets
   * `fromBucket`… until at least `maxEntries` were taken; `nextBucket` null at the end.
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

const SUMMARIES: EntryKind<ContactSummary> = {
  idOf: (s) => s.key,
  // A contact's tells arrive in order; two in one ms: the later one wins.
  isNewer: (update, held) => update.changedAtMs >= held.changedAtMs,
};

export const contactIndexActor = defineActor<ContactIndexState, ContactIndexMsg, Bucket<ContactSummary>>({
  kind: CONTACT_INDEX_KIND,
  stateVersion: 1,
  initialState: () => emptyBucketIndex(),
  split: bucketIndexSplit(),
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
  for (const bucket of state.buckets) {
    for (const contact of bucket.entries) {
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
  const last = page.at(-1);
  return { ok: true, contacts: page, total, nextAfter: eligible > page.length && last ? last.key : null };
}

function audiencePage(
  state: ContactIndexState,
  msg: Extract<ContactIndexMsg, { type: 'audiencePage' }>,
): ContactIndexReplies['audiencePage'] {
  const max = Math.min(Math.max(Math.trunc(msg.maxEntries), 1), MAX_AUDIENCE_PAGE);
  const contacts: ContactSummary[] = [];
  const buckets = state.buckets;
  // Buckets are ascending by index: find the first at or after the cursor.
  let at = 0;
  while (at < buckets.length && buckets[at]!.index < msg.fromBucket) at++;
  for (; at < buckets.length; at++) {
    // A bucket is taken whole (~25 entries), so a page may pass `max` by one bucket's matches.
    if (contacts.length >= max) return { ok: true, contacts, nextBucket: buckets[at]!.index };
    for (const contact of buckets[at]!.entries) if (matchesFilter(contact, msg.filter)) contacts.push(contact);
  }
  return { ok: true, contacts, nextBucket: null };
}
