import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { WalletWorld } from './__fixtures__/wallet-world.ts';
import { conversationKeyOf } from './metering.ts';
import {
  pseudonymiseEntries,
  pseudonymiseEntry,
  pseudonymiseKey,
  pseudonymiseWallet,
  pseudonymsOf,
  type Pseudonyms,
} from './pseudonymise.ts';
import { LEDGER_SEGMENT_SIZE, type BillingCaller, type ChargeDetails, type LedgerEntry } from './wallet.messages.ts';
import { listReservations, type WalletState } from './wallet.state.ts';

const ORG = 'org_gdpr';
const T0 = Date.UTC(2026, 0, 10, 12);
const OWNER: BillingCaller = { kind: 'user', userId: 'u-owner', role: 'owner' };

/** The customer being erased, on two numbers, and ids that must not be touched. */
const A1 = '1001.p34600000001';
const A2 = '1002.p34600000001';
const SHORTER = '1001.p3460000000'; // a prefix of A1
const LONGER = '1001.p346000000012'; // A1 is a prefix of it
const OTHER = '1001.uUS.13491208655302741918';
const PSEUDONYMS = { [A1]: '1001.x3f9a01', [A2]: '1002.x3f9a01' };
const MAP = pseudonymsOf(PSEUDONYMS, [A1, A2]);

function entry(fields: Partial<LedgerEntry>): LedgerEntry {
  return {
    seq: 1,
    id: 'e1',
    kind: 'charge',
    recordedAtMs: T0,
    occurredAtMs: T0,
    amountMicros: 113_100,
    balanceAfterMicros: 886_900,
    shortfallMicros: 0,
    reference: `${A1}/m1`,
    category: 'marketing',
    country: 'ES',
    phoneNumberId: '1001',
    conversationId: A1,
    campaignId: null,
    rateCardVersion: 1,
    rule: 'marketing',
    by: null,
    note: null,
    ...fields,
  };
}

/** The JSON of `value` with every pseudonym put back to the id it replaced. */
function mappedBack(value: unknown, pseudonyms: Pseudonyms): string {
  let json = JSON.stringify(value);
  for (const [id, pseudonym] of pseudonyms) json = json.split(pseudonym).join(id);
  return json;
}

/**
 * A wallet as JSON with the pseudonyms mapped back, its reservations as a sorted list: a renamed reservation
 * moves to its new id's bucket, so the bucket layout is not comparable, only what is held.
 */
function walletMappedBack(state: WalletState, pseudonyms: Pseudonyms): string {
  const reservations = listReservations(state).map((r) => mappedBack(r, pseudonyms));
  return mappedBack({ ...state, reservations: null }, pseudonyms) + reservations.sort().join('\n');
}

/** Whether `text` still names one of the ids exactly (followed by a boundary, not by more of a longer id). */
function names(text: string, ...ids: string[]): boolean {
  return ids.some((id) => new RegExp(`${id.replace(/\./g, '\\.')}(?=["/@])`).test(text));
}

describe('pseudonymiseKey: exact conversation ids at a boundary', () => {
  it.each([
    [A1, '1001.x3f9a01'],
    [`${A1}/m1`, '1001.x3f9a01/m1'],
    [`${A1}/m1/with/slashes`, '1001.x3f9a01/m1/with/slashes'],
    [conversationKeyOf(A1, T0), `1001.x3f9a01@${T0}`],
    [`${A2}/m9`, '1002.x3f9a01/m9'],
  ])('rewrites %s', (key, expected) => {
    expect(pseudonymiseKey(key, MAP)).toBe(expected);
  });

  it.each([
    SHORTER,
    `${SHORTER}/m1`,
    `${SHORTER}@${T0}`,
    LONGER,
    `${LONGER}/m1`,
    `${LONGER}@${T0}`,
    OTHER,
    `${OTHER}/m1`,
    `x${A1}/m1`,
    `1003.p34600000001/m1`,
    'starting-credit',
    '',
    `/${A1}`,
  ])('leaves %s alone', (key) => {
    expect(pseudonymiseKey(key, MAP)).toBe(key);
  });

  it('is idempotent and undone by the inverse map, for any key (property)', () => {
    const inverse = new Map([...MAP].map(([id, pseudonym]) => [pseudonym, id] as const));
    const head = fc.constantFrom(A1, A2, SHORTER, LONGER, OTHER, '1001.x3f9a01', '');
    const tail = fc.constantFrom('', '/m1', '/a/b', `@${T0}`, '@1/2', 'x', '2/m');
    fc.assert(
      fc.property(head, tail, (h, t) => {
        const key = h + t;
        const once = pseudonymiseKey(key, MAP);
        expect(pseudonymiseKey(once, MAP)).toBe(once);
        if (once !== key) expect(pseudonymiseKey(once, inverse)).toBe(key);
        expect(names(`"${once}"`, A1, A2)).toBe(false);
      }),
    );
  });
});

describe('pseudonymsOf: a malformed map is a bug', () => {
  it('takes the listed ids only (default: every key)', () => {
    expect([...pseudonymsOf({ ...PSEUDONYMS, [OTHER]: '1001.xother' }, [A1])]).toEqual([[A1, '1001.x3f9a01']]);
    expect(pseudonymsOf(PSEUDONYMS).size).toBe(2);
    expect(pseudonymsOf({}, []).size).toBe(0);
  });

  it.each([
    ['an id without a pseudonym', PSEUDONYMS, [A1, OTHER]],
    ['an inherited key', PSEUDONYMS, ['toString']],
    ['an empty id', { '': 'x' }, ['']],
    ['an id with a slash', { [`${A1}/m1`]: 'x' }, [`${A1}/m1`]],
    ['an empty pseudonym', { [A1]: '' }, [A1]],
    ['a pseudonym with @', { [A1]: '1001.x@1' }, [A1]],
    ['a pseudonym that is not a string', { [A1]: 42 }, [A1]],
    ['an id mapped to itself', { [A1]: A1 }, [A1]],
    ['a chain', { [A1]: A2, [A2]: '1002.x1' }, [A1, A2]],
  ])('refuses %s', (_, pseudonyms, ids) => {
    expect(() => pseudonymsOf(pseudonyms as Record<string, string>, ids)).toThrow();
  });
});

describe('pseudonymiseEntry', () => {
  it('rewrites the conversation id and the message key of a charge, nothing else', () => {
    const before = entry({});
    const after = pseudonymiseEntry(before, MAP);
    expect(after).toEqual({ ...before, conversationId: '1001.x3f9a01', reference: '1001.x3f9a01/m1' });
    expect(Object.keys(after)).toEqual(Object.keys(before));
  });

  it('rewrites the conversation key of an overage, with or without its conversation id', () => {
    const overage = entry({ kind: 'overage', reference: conversationKeyOf(A2, T0), conversationId: null });
    expect(pseudonymiseEntry(overage, MAP)).toEqual({ ...overage, reference: `1002.x3f9a01@${T0}` });
  });

  it('never rewrites a top-up reference (a payment id), nor another customer, and keeps unchanged entries', () => {
    const topUp = entry({ kind: 'topUp', reference: `${A1}/m1`, conversationId: null, category: null });
    const other = entry({ reference: `${LONGER}/m1`, conversationId: LONGER });
    const shorter = entry({ reference: `${SHORTER}/m1`, conversationId: SHORTER });
    for (const e of [topUp, other, shorter]) expect(pseudonymiseEntry(e, MAP)).toBe(e);
  });

  it('counts what changed, keeps order and identity, and a second pass finds nothing', () => {
    const entries = [
      entry({ seq: 1, reference: `${OTHER}/m1`, conversationId: OTHER }),
      entry({ seq: 2 }),
      entry({ seq: 3, kind: 'overage', reference: conversationKeyOf(A1, T0), conversationId: A1 }),
    ];
    const once = pseudonymiseEntries(entries, MAP);
    expect(once.rewritten).toBe(2);
    expect(once.list.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(once.list[0]).toBe(entries[0]);
    expect(mappedBack(once.list, MAP)).toBe(JSON.stringify(entries));
    const twice = pseudonymiseEntries(once.list, MAP);
    expect(twice).toEqual({ list: once.list, rewritten: 0 });
    expect(twice.list).toBe(once.list);
  });
});

describe('pseudonymiseWallet', () => {
  const CHARGE: ChargeDetails = {
    category: 'marketing',
    country: 'ES',
    phoneNumberId: '1001',
    conversationId: A1,
    campaignId: null,
    rateCardVersion: 1,
    rule: 'marketing',
  };

  /** A wallet that holds the customer everywhere: entries, reservations, settled ids, counted conversations. */
  function busyWallet(): WalletWorld {
    const w = new WalletWorld(ORG, T0);
    w.send({ type: 'topUp', topUpId: 'initial', amountMicros: 50_000_000, by: OWNER });
    w.send({
      type: 'setPlan',
      plan: {
        name: 'Tiny',
        includedConversations: 1,
        monthlyFeeMicros: 2_000_000,
        overageMarkupPercent: 25,
        maxUsagePercent: 500,
      },
      by: OWNER,
    });
    let n = 0;
    for (const id of [A1, SHORTER, A2, LONGER, OTHER]) {
      const key = `${id}/m${++n}`;
      w.send({ type: 'reserve', reservationId: key, amountMicros: 100_000, atMs: T0 });
      w.send({
        type: 'settle',
        reservationId: key,
        amountMicros: 90_000,
        charge: { ...CHARGE, phoneNumberId: id.split('.')[0]!, conversationId: id },
        atMs: T0,
      });
      w.send({ type: 'reserve', reservationId: `${id}/open${n}`, amountMicros: 50_000, atMs: T0 });
      w.send({
        type: 'countConversation',
        conversationKey: conversationKeyOf(id, T0 + n),
        openedBy: 'customer',
        atMs: T0 + n,
        conversationId: id,
        phoneNumberId: id.split('.')[0]!,
      });
    }
    return w;
  }

  it('rewrites every record of the customer and nothing else (JSON with ids mapped back is the same)', () => {
    const w = busyWallet();
    const before = w.wallet;
    expect(names(JSON.stringify(before), A1, A2)).toBe(true);
    const done = pseudonymiseWallet(before, MAP, ORG);
    // 2 charges + 1 overage (the first conversation, A1's, was included: no entry), 2 open reservations,
    // 2 settled ids, 2 counted conversations.
    expect(before.ledger.filter((e) => e.kind === 'overage')).toHaveLength(4);
    expect(done.rewritten).toBe(3 + 2 + 2 + 2);
    expect(done.effects).toEqual([]);
    expect(names(JSON.stringify(done.state), A1, A2)).toBe(false);
    expect(names(JSON.stringify(done.state), SHORTER, LONGER, OTHER)).toBe(true);
    expect(walletMappedBack(done.state, MAP)).toBe(walletMappedBack(before, new Map()));
    expect(done.state.ledger.find((e) => e.reference === '1001.x3f9a01/m1')).toMatchObject({
      kind: 'charge',
      conversationId: '1001.x3f9a01',
      amountMicros: 90_000,
    });
    expect(listReservations(done.state).map((r) => r.id)).toContain('1002.x3f9a01/open3');
    expect(done.state.recentSettled.map((m) => m.id)).toContain('1001.x3f9a01/m1');
    expect(done.state.recentConversations.map((c) => c.key)).toContain(`1002.x3f9a01@${T0 + 3}`);
  });

  it('is idempotent: the second pass returns the same state object and 0', () => {
    const once = pseudonymiseWallet(busyWallet().wallet, MAP, ORG);
    const twice = pseudonymiseWallet(once.state, MAP, ORG);
    expect(twice.rewritten).toBe(0);
    expect(twice.state).toBe(once.state);
  });

  it('leaves a wallet without the customer untouched (same object)', () => {
    const w = busyWallet();
    const state: WalletState = w.wallet;
    const done = pseudonymiseWallet(state, pseudonymsOf({ '1009.p1999': '1009.xzz' }), ORG);
    expect(done).toEqual({ state, rewritten: 0, effects: [] });
    expect(done.state).toBe(state);
  });

  it('records pseudonyms for a segment in flight, and tells a segment stored ahead at once', () => {
    const w = new WalletWorld(ORG, T0);
    w.holdAcks = true;
    w.send({ type: 'topUp', topUpId: 'initial', amountMicros: 50_000_000, by: OWNER });
    for (let i = 0; w.wallet.nextLedgerSeq <= 2 * LEDGER_SEGMENT_SIZE + 5; i++) {
      w.send({
        type: 'settle',
        reservationId: `${i % 2 === 0 ? A1 : OTHER}/m${i}`,
        amountMicros: 1,
        charge: { ...CHARGE, conversationId: i % 2 === 0 ? A1 : OTHER },
        atMs: T0,
      });
    }
    w.releaseAcks((ack) => ack.callId === '2');
    expect(w.wallet).toMatchObject({ ledgerSealedSeq: 0, ledgerSealRequestedSeq: 200, ledgerAckedAhead: [2] });
    const done = pseudonymiseWallet(w.wallet, MAP, ORG);
    expect(done.state.ledgerPseudonymsPending).toEqual([{ segment: 1, pairs: [...MAP] }]);
    expect(done.effects).toEqual([
      {
        type: 'tell',
        to: { kind: 'ledger-segment', id: `${ORG}.2` },
        msg: { type: 'pseudonymise', pseudonyms: PSEUDONYMS },
      },
    ]);
    // Amounts, balances and seqs: the same once mapped back.
    expect(mappedBack(done.state.ledger, MAP)).toBe(JSON.stringify(w.wallet.ledger));
  });
});
