import { describe, expect, it } from 'vitest';
import type { TurnContext } from '../../core/index.ts';
import { ledgerSegmentActor, type LedgerSegmentState } from './ledger-segment.actor.ts';
import { LEDGER_SEGMENT_KIND, type LedgerEntry, type LedgerSegmentReplies } from './wallet.messages.ts';

const ID = 'org_seg.1';
const CTX: TurnContext = { self: { kind: LEDGER_SEGMENT_KIND, id: ID }, nowMs: 0, msgId: 'm1', newId: () => 'id1' };
const A = '1001.p34600000001';
const PSEUDONYMS = { [A]: '1001.x3f9a01' };

function entries(): LedgerEntry[] {
  return Array.from({ length: 4 }, (_, i) => ({
    seq: i + 1,
    id: `e${i + 1}`,
    kind: i === 0 ? 'topUp' : i === 3 ? 'overage' : 'charge',
    recordedAtMs: 1_000 + i,
    occurredAtMs: 1_000 + i,
    amountMicros: i === 0 ? 1_000_000 : 10_000,
    balanceAfterMicros: 1_000_000 - i * 10_000,
    shortfallMicros: 0,
    reference: i === 0 ? 'initial' : i === 3 ? `${A}@1003` : `${i === 1 ? A : '1001.p3460000000'}/m${i}`,
    category: i === 0 ? null : 'marketing',
    country: i === 0 ? null : 'ES',
    phoneNumberId: i === 0 ? null : '1001',
    conversationId: i === 0 ? null : i === 2 ? '1001.p3460000000' : A,
    campaignId: null,
    rateCardVersion: i === 0 ? null : 1,
    rule: i === 0 ? null : 'marketing',
    by: i === 0 ? 'user:u1' : null,
    note: null,
  }));
}

function run(state: LedgerSegmentState, msg: Parameters<typeof ledgerSegmentActor.handle>[1]) {
  return ledgerSegmentActor.handle(state, msg, CTX);
}

describe('ledger-segment: pseudonymise', () => {
  it("rewrites the customer's entries and nothing else; a second call changes nothing", () => {
    const stored = run(ledgerSegmentActor.initialState(ID), { type: 'store', entries: entries() }).state;
    const once = run(stored, { type: 'pseudonymise', pseudonyms: PSEUDONYMS });
    expect(once.reply).toEqual({ ok: true, rewritten: 2 } satisfies LedgerSegmentReplies['pseudonymise']);
    const [topUp, charge, other, overage] = once.state.entries;
    expect(topUp).toBe(stored.entries[0]);
    expect(charge).toEqual({ ...stored.entries[1], conversationId: '1001.x3f9a01', reference: '1001.x3f9a01/m1' });
    expect(other).toBe(stored.entries[2]);
    expect(overage).toEqual({ ...stored.entries[3], conversationId: '1001.x3f9a01', reference: '1001.x3f9a01@1003' });
    expect(JSON.stringify(once.state).split('1001.x3f9a01').join(A)).toBe(JSON.stringify(stored));

    const twice = run(once.state, { type: 'pseudonymise', pseudonyms: PSEUDONYMS });
    expect(twice.reply).toEqual({ ok: true, rewritten: 0 });
    expect(twice.state).toBe(once.state);
    expect(run(twice.state, { type: 'read' }).reply).toEqual({ ok: true, entries: once.state.entries });
  });

  it('a segment never stored answers 0 and stays empty (not written); a later store still writes', () => {
    const empty = ledgerSegmentActor.initialState(ID);
    const result = run(empty, { type: 'pseudonymise', pseudonyms: PSEUDONYMS });
    expect(result.reply).toEqual({ ok: true, rewritten: 0 });
    expect(result.state).toBe(empty);
    expect(ledgerSegmentActor.isEmpty?.(result.state)).toBe(true);
    expect(run(result.state, { type: 'store', entries: entries() }).reply).toEqual({ ok: true, stored: 4 });
  });

  it('a stored segment stays written once: a re-sent store after the rewrite keeps the pseudonyms', () => {
    const stored = run(ledgerSegmentActor.initialState(ID), { type: 'store', entries: entries() }).state;
    const rewritten = run(stored, { type: 'pseudonymise', pseudonyms: PSEUDONYMS }).state;
    const again = run(rewritten, { type: 'store', entries: entries() });
    expect(again.state).toBe(rewritten);
  });

  it('refuses a malformed map (a bug: dead-lettered)', () => {
    const stored = run(ledgerSegmentActor.initialState(ID), { type: 'store', entries: entries() }).state;
    expect(() => run(stored, { type: 'pseudonymise', pseudonyms: { [A]: `${A}/x` } })).toThrow(/contains/);
  });
});
