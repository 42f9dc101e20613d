import { afterEach, describe, expect, it, vi } from 'vitest';
import { startRuntimeFixture, type RuntimeFixture } from '../../core/testing/runtime-fixture.ts';
import { bucketIndexSplit, emptyBucketIndex, upsertEntry, type EntryKind } from '../indexing/bucket-index.ts';
import { PAGE_SIZE, type Page } from '../indexing/page-index.ts';
import type { ContactSummary } from './contact-filter.ts';
import {
  CONTACT_INDEX_KIND,
  CONTACT_INDEX_STATE_VERSION,
  contactIndexActor,
  contactIndexAddress,
  type ContactIndexMsg,
  type ContactIndexReplies,
} from './contact-index.actor.ts';

/**
 * How an organisation's contact index is stored (state version 2, pages in arrival order), on the real runtime and
 * LMDB in a temp dir: an import of many new contacts writes each page about once, a change to one contact writes
 * its one page, and a version-1 index (hash buckets) is rewritten as pages on its first change.
 */

const ORG = 'org_index';
const INDEX = contactIndexAddress(ORG);

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

function summary(i: number, changedAtMs = 1): ContactSummary {
  return {
    key: `p346000${String(i).padStart(5, '0')}`,
    phone: `346000${String(i).padStart(5, '0')}`,
    userId: null,
    name: `Kunde ${i}`,
    profileName: null,
    language: null,
    timeZone: null,
    tags: [],
    fields: {},
    marketing: 'unknown',
    utility: 'unknown',
    lastSeenAtMs: null,
    createdAtMs: 1,
    changedAtMs,
  };
}

const changed = (s: ContactSummary): ContactIndexMsg => ({ type: 'contactChanged', summary: s });

describe('contact index storage', () => {
  it('writes the pages a bulk of new contacts filled (each about once), then one page per change', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [contactIndexActor] }));
    const bulkPuts = vi.spyOn(f.store, 'putItem');
    await Promise.all(Array.from({ length: 1_000 }, (_, i) => f.system.tell(INDEX, changed(summary(i)))));
    await f.store.durable();
    const pages = f.store.readItems(CONTACT_INDEX_KIND, ORG) as Page<ContactSummary>[];
    // Hash buckets would have written ~1,000 buckets (one per contact); pages are written about once each.
    expect(bulkPuts.mock.calls.length).toBeLessThanOrEqual(2 * pages.length);
    bulkPuts.mockRestore();
    expect(pages.map((p) => p.index)).toEqual(Array.from({ length: Math.ceil(1_000 / PAGE_SIZE) }, (_, i) => i));
    expect(pages.flatMap((p) => p.entries.map((e) => e.key))).toEqual(
      Array.from({ length: 1_000 }, (_, i) => summary(i).key),
    );

    await f.restart();
    const puts = vi.spyOn(f.store, 'putItem');
    await f.system.tell(INDEX, changed({ ...summary(500, 2), name: 'Renamed' }));
    expect(puts.mock.calls.map(([, , key]) => key)).toEqual([Math.floor(500 / PAGE_SIZE)]);
    expect(puts.mock.calls[0]![3]).toMatchObject({ entries: expect.arrayContaining([summary(501)]) });
    const found = await f.system.ask<ContactIndexReplies['lookupContacts']>(INDEX, {
      type: 'lookupContacts',
      keys: [summary(500).key],
    });
    expect(found.contacts.map((c) => c.name)).toEqual(['Renamed']);
  });

  it('rewrites a version-1 index (hash buckets) as pages on its first change, and drops the buckets', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [contactIndexActor] }));
    const kind: EntryKind<ContactSummary> = { idOf: (s) => s.key, isNewer: () => true };
    let v1 = emptyBucketIndex<ContactSummary>();
    for (let i = 0; i < 100; i++) v1 = upsertEntry(v1, summary(i), kind);
    const split = bucketIndexSplit<ContactSummary>();
    f.store.putState(CONTACT_INDEX_KIND, ORG, { v: 1, s: split.head(v1) });
    for (const bucket of split.items(v1)) f.store.putItem(CONTACT_INDEX_KIND, ORG, bucket.index, bucket);
    await f.store.durable();

    await f.system.tell(INDEX, changed(summary(100)));
    await f.store.durable();
    expect(f.store.readState(CONTACT_INDEX_KIND, ORG)).toEqual({
      v: CONTACT_INDEX_STATE_VERSION,
      s: { count: 101, pageCount: Math.ceil(101 / PAGE_SIZE) },
    });
    const pages = f.store.readItems(CONTACT_INDEX_KIND, ORG) as Page<ContactSummary>[];
    expect(pages.map((p) => p.index)).toEqual([0, 1, 2, 3]);
    expect(pages.flatMap((p) => p.entries.map((e) => e.key)).sort()).toEqual(
      Array.from({ length: 101 }, (_, i) => summary(i).key),
    );
    await f.restart();
    const search = await f.system.ask<ContactIndexReplies['searchContacts']>(INDEX, {
      type: 'searchContacts',
      filter: {},
      limit: 500,
    });
    expect(search.total).toBe(101);
  });
});
