import { describe, expect, it } from 'vitest';
import type { TurnContext } from '../../core/index.ts';
import { bucketIndexSplit, bucketOf, emptyBucketIndex, upsertEntry, type EntryKind } from '../indexing/bucket-index.ts';
import { PAGE_SIZE } from '../indexing/page-index.ts';
import {
  CONTACT_INDEX_STATE_VERSION,
  contactIndexActor,
  contactIndexAddress,
  upgradeContactIndex,
  type ContactIndexMsg,
  type ContactIndexReplies,
  type ContactIndexState,
} from './contact-index.actor.ts';
import type { ContactSummary } from './contact-filter.ts';

const ORG = '0123456789abcdef';
const ctx: TurnContext = { self: contactIndexAddress(ORG), nowMs: 0, msgId: undefined, newId: () => 'unused' };

function summary(i: number, changedAtMs = 1): ContactSummary {
  return {
    key: `p346000${String(i).padStart(5, '0')}`,
    phone: `346000${String(i).padStart(5, '0')}`,
    userId: null,
    name: `Kunde ${i}`,
    profileName: null,
    language: null,
    timeZone: null,
    tags: i % 3 === 0 ? ['fair'] : [],
    fields: {},
    marketing: 'unknown',
    utility: 'unknown',
    lastSeenAtMs: null,
    createdAtMs: 1,
    changedAtMs,
  };
}

function run(state: ContactIndexState, msg: ContactIndexMsg) {
  return contactIndexActor.handle(state, msg, ctx);
}

function withContacts(n: number): ContactIndexState {
  let state = contactIndexActor.initialState(ORG);
  for (let i = 0; i < n; i++) state = run(state, { type: 'contactChanged', summary: summary(i) }).state;
  return state;
}

describe('contact index', () => {
  it('pages a campaign audience: every matching contact exactly once, in the order they arrived', () => {
    const state = withContacts(500);
    const seen: string[] = [];
    let from: number | null = 0;
    let answers = 0;
    while (from !== null) {
      const page = run(state, {
        type: 'audiencePage',
        filter: { tags: { any: ['fair'] } },
        fromBucket: from,
        maxEntries: 20,
      }).reply as ContactIndexReplies['audiencePage'];
      seen.push(...page.contacts.map((c) => c.key));
      from = page.nextBucket;
      answers++;
    }
    const fair = Array.from({ length: 500 }, (_, i) => i).filter((i) => i % 3 === 0);
    expect(seen).toEqual(fair.map((i) => summary(i).key));
    expect(answers).toBeGreaterThan(5);
  });

  it('keeps the newest summary of a contact, and forgets an erased one', () => {
    let state = withContacts(50);
    state = run(state, { type: 'contactChanged', summary: { ...summary(7, 5), name: 'Renamed' } }).state;
    const stale = run(state, { type: 'contactChanged', summary: { ...summary(7, 2), name: 'Stale' } });
    expect(stale.state).toBe(state); // an older update changes nothing (nothing written)
    state = run(state, { type: 'contactRemoved', key: summary(8).key }).state;
    const found = run(state, { type: 'lookupContacts', keys: [summary(7).key, summary(8).key] })
      .reply as ContactIndexReplies['lookupContacts'];
    expect(found.contacts.map((c) => c.name)).toEqual(['Renamed']);
    const search = run(state, { type: 'searchContacts', filter: {}, limit: 500 })
      .reply as ContactIndexReplies['searchContacts'];
    expect(search.total).toBe(49);
  });

  it('upgrades a version-1 index (hash buckets) into pages holding the same summaries', () => {
    const kind: EntryKind<ContactSummary> = { idOf: (s) => s.key, isNewer: () => true };
    let v1 = emptyBucketIndex<ContactSummary>();
    for (let i = 0; i < 300; i++) v1 = upsertEntry(v1, summary(i), kind);
    const split = bucketIndexSplit<ContactSummary>();
    const upgraded = upgradeContactIndex(split.head(v1), 1, split.items(v1));
    expect(CONTACT_INDEX_STATE_VERSION).toBe(2);
    expect(upgraded).toMatchObject({ count: 300, pageCount: Math.ceil(300 / PAGE_SIZE) });
    const search = run(upgraded, { type: 'searchContacts', filter: {}, limit: 500 })
      .reply as ContactIndexReplies['searchContacts'];
    expect(search.contacts.map((c) => c.key)).toEqual(Array.from({ length: 300 }, (_, i) => summary(i).key));
  });

  it('goes on with a snapshot begun before the upgrade: a version-1 cursor (a bucket) is answered bucket by bucket', () => {
    const kind: EntryKind<ContactSummary> = { idOf: (s) => s.key, isNewer: () => true };
    let v1 = emptyBucketIndex<ContactSummary>();
    for (let i = 0; i < 2_000; i++) v1 = upsertEntry(v1, summary(i), kind);
    const split = bucketIndexSplit<ContactSummary>();
    const upgraded = upgradeContactIndex(split.head(v1), 1, split.items(v1));
    const filter = { tags: { any: ['fair'] } };
    // What version 1 had not answered yet at cursor 1,000: the matching contacts of buckets 1,000 and up.
    const expected = v1.buckets
      .filter((b) => b.index >= 1_000)
      .flatMap((b) => b.entries.filter((c) => c.tags.includes('fair')).map((c) => c.key));
    const seen: string[] = [];
    let from: number | null = 1_000;
    while (from !== null) {
      const page = run(upgraded, { type: 'audiencePage', filter, fromBucket: from, maxEntries: 50 })
        .reply as ContactIndexReplies['audiencePage'];
      // Each answer is whole buckets, in bucket order, and the next cursor is a bucket after them.
      const buckets = page.contacts.map((c) => bucketOf(c.key));
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
      if (page.nextBucket !== null) expect(Math.max(...buckets)).toBeLessThan(page.nextBucket);
      seen.push(...page.contacts.map((c) => c.key));
      from = page.nextBucket;
    }
    expect(seen.sort()).toEqual(expected.sort());
  });
});
