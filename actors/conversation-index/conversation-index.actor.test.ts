import { describe, expect, it } from 'vitest';
import type { TurnContext } from '../../core/index.ts';
import { conversationIndexActor } from './conversation-index.actor.ts';
import type {
  ConversationFilter,
  ConversationIndexMsg,
  ConversationIndexReplies,
  ConversationSummary,
  ListPosition,
} from './conversation-index.messages.ts';
import {
  INDEX_BUCKET_COUNT,
  bucketOf,
  initialConversationIndexState,
  recordSummary,
  summaryIn,
  type ConversationIndexState,
} from './conversation-index.state.ts';
import { conversationIndexSplit } from './conversation-index.storage.ts';
import { compileFilter, listPage, mergePages, positionOf, precedes } from './query.ts';

const T0 = 1_767_225_600_000;
const HOUR = 3_600_000;
const NUMBER = '1001';

const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'conversation-index', id: NUMBER },
  nowMs,
  msgId: undefined,
  newId: () => 'id',
});

function summary(n: number, over: Partial<ConversationSummary> = {}): ConversationSummary {
  const phone = `1555${String(n).padStart(7, '0')}`;
  return {
    conversationId: `${NUMBER}.p${phone}`,
    orgId: 'org1',
    customer: { phone, userId: null, profileName: `Customer ${n}` },
    lastActivityAtMs: T0 + n,
    lastMessage: { direction: 'in', type: 'text', preview: 'Hi', failed: false },
    lastInboundAtMs: T0 + n,
    assignee: null,
    unreadCount: 1,
    seq: 2,
    changedAtMs: T0 + n,
    ...over,
  };
}

function indexOf(summaries: readonly ConversationSummary[]): ConversationIndexState {
  return summaries.reduce(recordSummary, initialConversationIndexState());
}

function list(
  state: ConversationIndexState,
  filter: ConversationFilter = {},
  options: { after?: ListPosition; limit?: number; nowMs?: number; orgId?: string } = {},
): ConversationIndexReplies['listConversations'] {
  const msg: ConversationIndexMsg = {
    type: 'listConversations',
    orgId: options.orgId ?? 'org1',
    filter,
    limit: options.limit ?? 100,
    ...(options.after === undefined ? {} : { after: options.after }),
  };
  const turn = conversationIndexActor.handle(state, msg, ctx(options.nowMs ?? T0 + HOUR));
  expect(turn.state).toBe(state);
  return turn.reply as ConversationIndexReplies['listConversations'];
}

const ids = (reply: { conversations: readonly ConversationSummary[] }) =>
  reply.conversations.map((c) => c.conversationId);

describe('conversation index: buckets', () => {
  it('records a summary in its bucket and copies only that bucket; the others keep their identity', () => {
    const state = indexOf(Array.from({ length: 2_000 }, (_, i) => summary(i)));
    expect(state.count).toBe(2_000);
    const indexes = state.buckets.map((b) => b.index);
    expect(indexes).toEqual([...indexes].sort((a, b) => a - b));
    expect(new Set(indexes).size).toBe(indexes.length);
    for (const bucket of state.buckets) {
      expect(bucket.index).toBeGreaterThanOrEqual(0);
      expect(bucket.index).toBeLessThan(INDEX_BUCKET_COUNT);
      for (const entry of bucket.entries) expect(bucketOf(entry.conversationId)).toBe(bucket.index);
    }

    const changed = summary(7, { seq: 3, changedAtMs: T0 + HOUR, unreadCount: 0 });
    const next = recordSummary(state, changed);
    expect(next.count).toBe(2_000);
    const touched = next.buckets.filter((b, i) => b !== state.buckets[i]);
    expect(touched.map((b) => b.index)).toEqual([bucketOf(changed.conversationId)]);
    expect(touched[0]!.entries).toHaveLength(state.buckets.find((b) => b.index === touched[0]!.index)!.entries.length);
    expect(summaryIn(next, changed.conversationId)).toBe(changed);
    // The previous state is unchanged (states are immutable).
    expect(summaryIn(state, changed.conversationId)?.seq).toBe(2);
  });

  it('drops an update that is not newer than the one held: same state, nothing to write', () => {
    const newer = summary(1, { seq: 5, changedAtMs: T0 + 50, unreadCount: 3 });
    const state = indexOf([newer]);
    expect(recordSummary(state, summary(1, { seq: 4, changedAtMs: T0 + 99 }))).toBe(state);
    expect(recordSummary(state, summary(1, { seq: 5, changedAtMs: T0 + 49 }))).toBe(state);
    expect(recordSummary(state, newer)).toBe(state); // a repeated tell
    // Same seq, later turn (an assignment, a failure of the newest message): applied.
    const assigned = summary(1, { seq: 5, changedAtMs: T0 + 51, assignee: 'usr1' });
    expect(summaryIn(recordSummary(state, assigned), assigned.conversationId)).toBe(assigned);
    // Through the actor: a reordered tell changes nothing.
    const turn = conversationIndexActor.handle(
      state,
      { type: 'summaryChanged', summary: summary(1, { seq: 3 }) },
      ctx(T0),
    );
    expect(turn.state).toBe(state);
  });

  it('is stored as one record per bucket and joins back to the same index', () => {
    const state = indexOf(Array.from({ length: 300 }, (_, i) => summary(i)));
    const head = conversationIndexSplit.head(state);
    const items = conversationIndexSplit.items(state);
    expect(items).toBe(state.buckets);
    expect(items.map((b, i) => conversationIndexSplit.itemKey(b, i))).toEqual(state.buckets.map((b) => b.index));
    expect(conversationIndexSplit.join(structuredClone(head), structuredClone(items))).toEqual(state);
    // Items in another order (never expected from the store) are put back in bucket order.
    const joined = conversationIndexSplit.join(head, [...items].reverse());
    expect(joined.buckets.map((b) => b.index)).toEqual(state.buckets.map((b) => b.index));
  });
});

describe('conversation index: listing', () => {
  const state = indexOf([
    summary(1, { lastInboundAtMs: T0 - 25 * HOUR, lastActivityAtMs: T0 + 1, unreadCount: 0, assignee: 'usr1' }),
    summary(2, { customer: { phone: '4915123456789', userId: null, profileName: 'José Müller' } }),
    summary(3, { customer: { phone: null, userId: 'US.123', profileName: null }, lastInboundAtMs: null }),
    summary(4, { assignee: 'usr2', unreadCount: 0, status: 'resolved' }),
    summary(5, { orgId: 'org2' }),
    summary(6, { lastActivityAtMs: T0 + 10 * HOUR }),
  ]);
  const cases: readonly { what: string; filter: ConversationFilter; expected: readonly number[] }[] = [
    { what: 'no filter: the organisation’s, newest first', filter: {}, expected: [6, 4, 3, 2, 1] },
    { what: 'window open at now', filter: { window: 'open' }, expected: [6, 4, 2] },
    { what: 'window closed (expired or never opened)', filter: { window: 'closed' }, expected: [3, 1] },
    { what: 'unassigned', filter: { assignee: null }, expected: [6, 3, 2] },
    { what: 'assigned to one user', filter: { assignee: 'usr2' }, expected: [4] },
    { what: 'resolved', filter: { status: ['resolved'] }, expected: [4] },
    {
      what: 'open or pending (a summary without status is open)',
      filter: { status: ['open', 'pending'] },
      expected: [6, 3, 2, 1],
    },
    { what: 'with unread messages', filter: { hasUnread: true }, expected: [6, 3, 2] },
    { what: 'without unread messages', filter: { hasUnread: false }, expected: [4, 1] },
    { what: 'active from (inclusive)', filter: { activeFromMs: T0 + 3 }, expected: [6, 4, 3] },
    { what: 'active before (exclusive)', filter: { activeBeforeMs: T0 + 3 }, expected: [2, 1] },
    { what: 'phone prefix, + ignored', filter: { phonePrefix: '+49' }, expected: [2] },
    { what: 'phone prefix of every 1555 number', filter: { phonePrefix: '1555' }, expected: [6, 4, 1] },
    { what: 'name contains, case and accents ignored', filter: { nameContains: 'jose mü' }, expected: [2] },
    { what: 'name contains: no match on absent names', filter: { nameContains: 'customer' }, expected: [6, 4, 1] },
    {
      what: 'search: a name containing the text',
      filter: { search: { text: 'MULLER', conversationIds: [] } },
      expected: [2],
    },
    {
      what: 'search: phone digits anywhere in the number, spaces and + ignored',
      filter: { search: { text: '+49 151', conversationIds: [] } },
      expected: [2],
    },
    {
      what: 'search: conversations whose messages held the words, or a name (either matches)',
      filter: { search: { text: 'customer', conversationIds: [summary(3).conversationId, summary(5).conversationId] } },
      expected: [6, 4, 3, 1],
    },
    {
      what: 'search: fewer than three digits are no phone search',
      filter: { search: { text: '15', conversationIds: [] } },
      expected: [],
    },
    {
      what: 'filters combine',
      filter: { window: 'open', hasUnread: true, phonePrefix: '1555' },
      expected: [6],
    },
  ];
  for (const { what, filter, expected } of cases) {
    it(what, () => {
      expect(ids(list(state, filter))).toEqual(expected.map((n) => summary(n).conversationId));
    });
  }

  it('evaluates the window at the turn’s time and answers that time', () => {
    const later = list(state, { window: 'open' }, { nowMs: T0 + 2 + 24 * HOUR });
    expect(later.nowMs).toBe(T0 + 2 + 24 * HOUR);
    expect(ids(later)).toEqual([summary(6).conversationId, summary(4).conversationId]);
  });

  it('pages by cursor over many conversations: each exactly once, in order, whatever the page size', () => {
    // 3,000 conversations, many sharing an activity time (ties are ordered by id).
    const all = Array.from({ length: 3_000 }, (_, i) => summary(i, { lastActivityAtMs: T0 + (i % 37) }));
    const big = indexOf(all);
    const expected = [...all].sort((a, b) => (precedes(a, b) ? -1 : 1)).map((s) => s.conversationId);
    for (const limit of [7, 100, 500]) {
      const seen: string[] = [];
      let after: ListPosition | undefined;
      for (let pages = 0; pages < 3_000; pages++) {
        const page = list(big, {}, { limit, ...(after === undefined ? {} : { after }) }).conversations;
        seen.push(...page.map((c) => c.conversationId));
        if (page.length < limit) break;
        after = positionOf(page[page.length - 1]!);
      }
      expect(seen).toEqual(expected);
    }
  });

  it('pages with a filter and merges several numbers’ pages into one order (k-way)', () => {
    const numbers = ['1001', '1002', '1003'];
    const indexes = numbers.map((number, k) =>
      indexOf(
        Array.from({ length: 400 }, (_, i) =>
          summary(i, {
            conversationId: `${number}.p1555${String(i).padStart(7, '0')}`,
            lastActivityAtMs: T0 + ((i * 7 + k) % 101),
            unreadCount: i % 3 === 0 ? 0 : 2,
          }),
        ),
      ),
    );
    const filter: ConversationFilter = { hasUnread: true };
    const expected = indexes
      .flatMap((s) => list(s, filter, { limit: 500 }).conversations)
      .sort((a, b) => (precedes(a, b) ? -1 : 1))
      .map((c) => c.conversationId);
    expect(expected.length).toBe(3 * 400 - 3 * 134);
    const limit = 25;
    const seen: string[] = [];
    let after: ListPosition | undefined;
    for (;;) {
      const pages = indexes.map(
        (s) => listPage(s, compileFilter('org1', filter, T0), after, limit + 1) as readonly ConversationSummary[],
      );
      const merged = mergePages(pages, limit + 1, (c) => c);
      const page = merged.slice(0, limit);
      seen.push(...page.map((c) => c.conversationId));
      if (merged.length <= limit) break;
      after = positionOf(page[page.length - 1]!);
    }
    expect(seen).toEqual(expected);
  });

  it('answers nothing for another organisation and clamps the limit', () => {
    expect(ids(list(state, {}, { orgId: 'org3' }))).toEqual([]);
    expect(ids(list(state, {}, { orgId: 'org2' }))).toEqual([summary(5).conversationId]);
    expect(list(state, {}, { limit: 0 }).conversations).toHaveLength(1);
    expect(list(initialConversationIndexState(), {}).conversations).toEqual([]);
  });
});
