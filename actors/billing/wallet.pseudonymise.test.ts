import { describe, expect, it } from 'vitest';
import { WalletWorld } from './__fixtures__/wallet-world.ts';
import { conversationKeyOf } from './metering.ts';
import { walletActor } from './wallet.actor.ts';
import {
  LEDGER_SEGMENT_SIZE,
  RESERVATION_TTL_MS,
  type BillingCaller,
  type ChargeDetails,
  type LedgerSegmentReplies,
  type WalletMsg,
  type WalletReplies,
} from './wallet.messages.ts';
import { initialWalletState, listReservations, type WalletState } from './wallet.state.ts';

/**
 * A data subject's erasure in the wallet (`pseudonymiseCustomer`) and its ledger segments (`pseudonymise`): the
 * customer's conversation ids become pseudonyms everywhere billing holds them, every amount stays.
 */

const ORG = 'org_gdpr';
const T0 = Date.UTC(2026, 0, 10, 12);
const EUR = 1_000_000;
const OWNER: BillingCaller = { kind: 'user', userId: 'u-owner', role: 'owner' };

const A = '1001.p34600000001';
const A_ON_2 = '1002.p34600000001';
const B = '1001.p3460000000'; // another customer whose id is a prefix of A's
const PSEUDONYMS = { [A]: '1001.x3f9a01', [A_ON_2]: '1002.x3f9a01' };
const ERASE: WalletMsg = { type: 'pseudonymiseCustomer', conversationIds: [A, A_ON_2], pseudonyms: PSEUDONYMS };

type Erased = WalletReplies['pseudonymiseCustomer'];

const charge = (conversationId: string): ChargeDetails => ({
  category: 'marketing',
  country: 'ES',
  phoneNumberId: conversationId.split('.')[0]!,
  conversationId,
  campaignId: null,
  rateCardVersion: 1,
  rule: 'marketing',
});

function world(): WalletWorld {
  const w = new WalletWorld(ORG, T0);
  w.send({ type: 'topUp', topUpId: 'initial', amountMicros: 100 * EUR, by: OWNER });
  return w;
}

function reserve(w: WalletWorld, key: string, amountMicros = 100_000) {
  return w.send<WalletReplies['reserve']>({ type: 'reserve', reservationId: key, amountMicros, atMs: w.nowMs });
}

function settle(w: WalletWorld, key: string, amountMicros = 90_000) {
  const conversationId = key.slice(0, key.indexOf('/'));
  return w.send<WalletReplies['settle']>({
    type: 'settle',
    reservationId: key,
    amountMicros,
    charge: charge(conversationId),
    atMs: w.nowMs,
  });
}

/** The erasure's second half: every sealed segment up to the wallet's answer. */
function eraseSegments(w: WalletWorld, sealedThroughSeq: number): number {
  let rewritten = 0;
  for (let n = 1; n <= sealedThroughSeq / LEDGER_SEGMENT_SIZE; n++)
    rewritten += w.sendToSegment<LedgerSegmentReplies['pseudonymise']>(n, {
      type: 'pseudonymise',
      pseudonyms: PSEUDONYMS,
    }).rewritten;
  return rewritten;
}

/** Whether the customer's ids still appear anywhere (exactly: `1001.p34600000001`, not a longer id). */
function namesCustomer(value: unknown): boolean {
  return /100[12]\.p34600000001(?=["/@])/.test(JSON.stringify(value));
}

/** balance = Σ credits − Σ debits over the whole ledger; reservations add up; seqs without gaps. */
function expectBooksBalance(w: WalletWorld): void {
  const s: WalletState = w.wallet;
  const entries = w.allEntries();
  expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
  expect(entries.reduce((sum, e) => sum + (e.kind === 'topUp' ? e.amountMicros : -e.amountMicros), 0)).toBe(
    s.balanceMicros,
  );
  expect(entries.at(-1)?.balanceAfterMicros).toBe(s.balanceMicros);
  expect(listReservations(s).reduce((sum, r) => sum + r.amountMicros, 0)).toBe(s.reservedMicros);
  expect(s.reservedMicros).toBeLessThanOrEqual(s.balanceMicros);
}

describe('wallet: pseudonymiseCustomer', () => {
  it('rewrites entries, open reservations, settled ids and counted conversations; the books still balance', () => {
    const w = world();
    reserve(w, `${A}/m1`);
    settle(w, `${A}/m1`);
    reserve(w, `${A_ON_2}/m2`); // still open
    reserve(w, `${B}/m3`); // another customer's, still open
    settle(w, `${B}/m4`, 50_000); // without a reservation
    w.send({ type: 'countConversation', conversationKey: conversationKeyOf(A, T0), openedBy: 'customer', atMs: T0 });
    const before = w.wallet;

    const reply = w.send<Erased>(ERASE);
    expect(reply).toEqual({ ok: true, rewritten: 4, sealedThroughSeq: 0 } satisfies Erased);
    const s = w.wallet;
    expect(namesCustomer(s)).toBe(false);
    expect(s.ledger.map((e) => [e.reference, e.conversationId])).toEqual([
      ['initial', null],
      ['1001.x3f9a01/m1', '1001.x3f9a01'],
      [`${B}/m4`, B],
    ]);
    expect(listReservations(s).map((r) => r.id)).toEqual([`${B}/m3`, '1002.x3f9a01/m2']); // same time: by id
    expect(s.recentSettled.map((m) => m.id)).toEqual(['1001.x3f9a01/m1', `${B}/m4`]);
    expect(s.recentConversations.map((c) => c.key)).toEqual([`1001.x3f9a01@${T0}`]);
    // Nothing else moved: mapped back, the state is the one before (the reservations as a sorted list: a renamed
    // reservation moves to its new id's bucket).
    const mappedBack = (state: WalletState, pseudonyms: Record<string, string>): string => {
      const back = (value: unknown): string => {
        let json = JSON.stringify(value);
        for (const [id, pseudonym] of Object.entries(pseudonyms)) json = json.split(pseudonym).join(id);
        return json;
      };
      return back({ ...state, reservations: null }) + listReservations(state).map(back).sort().join('\n');
    };
    expect(mappedBack(s, PSEUDONYMS)).toBe(mappedBack(before, {}));
    expectBooksBalance(w);
  });

  it('is idempotent: a second call answers 0 and leaves the very same state, with no effects', () => {
    const w = world();
    reserve(w, `${A}/m1`);
    settle(w, `${A}/m1`);
    w.send(ERASE);
    const state = w.wallet;
    const effects = w.effects.length;
    expect(w.send<Erased>(ERASE)).toEqual({ ok: true, rewritten: 0, sealedThroughSeq: 0 });
    expect(w.wallet).toBe(state);
    expect(w.effects).toHaveLength(effects);
  });

  it('a later settle of a different customer is booked as before; the erased reservation still expires', () => {
    const w = world();
    reserve(w, `${A}/m1`, 200_000);
    reserve(w, `${B}/m2`, 100_000);
    w.send(ERASE);
    const settled = settle(w, `${B}/m2`, 80_000);
    expect(settled).toMatchObject({ chargedMicros: 80_000, releasedMicros: 20_000, isDuplicate: false });
    expect(w.wallet.ledger.at(-1)).toMatchObject({ reference: `${B}/m2`, conversationId: B, amountMicros: 80_000 });
    expect(listReservations(w.wallet).map((r) => r.id)).toEqual(['1001.x3f9a01/m1']);
    expect(settle(w, `${B}/m2`, 80_000)).toMatchObject({ isDuplicate: true });
    expectBooksBalance(w);
    w.advanceTo(T0 + RESERVATION_TTL_MS);
    expect(w.wallet).toMatchObject({ reservations: { count: 0, buckets: [] }, reservedMicros: 0 });
    expect(w.wallet.balanceMicros).toBe(100 * EUR - 80_000);
    expectBooksBalance(w);
  });

  it('reports the sealed segments, which the caller then pseudonymises (once)', () => {
    const w = world();
    for (let i = 0; w.wallet.nextLedgerSeq <= 2 * LEDGER_SEGMENT_SIZE + 10; i++)
      settle(w, `${i % 3 === 0 ? A : i % 3 === 1 ? A_ON_2 : B}/m${i}`, 1_000);
    const customerRecords = (): number =>
      w.allEntries().filter((e) => e.conversationId === A || e.conversationId === A_ON_2).length +
      w.wallet.recentSettled.filter((m) => m.id.startsWith(`${A}/`) || m.id.startsWith(`${A_ON_2}/`)).length;
    const expected = customerRecords();
    const balance = w.wallet.balanceMicros;

    const reply = w.send<Erased>(ERASE);
    expect(reply.sealedThroughSeq).toBe(2 * LEDGER_SEGMENT_SIZE);
    const inSegments = eraseSegments(w, reply.sealedThroughSeq);
    expect(reply.rewritten + inSegments).toBe(expected);
    expect(namesCustomer(w.allEntries())).toBe(false);
    expect(namesCustomer(w.wallet)).toBe(false);
    expect(w.wallet.balanceMicros).toBe(balance);
    expectBooksBalance(w);

    expect(w.send<Erased>(ERASE).rewritten).toBe(0);
    expect(eraseSegments(w, reply.sealedThroughSeq)).toBe(0);
  });

  it('refuses a malformed map (a bug: the runtime dead-letters it) and changes nothing', () => {
    const w = world();
    reserve(w, `${A}/m1`);
    const state = w.wallet;
    const bad: WalletMsg = { type: 'pseudonymiseCustomer', conversationIds: [A, A_ON_2], pseudonyms: { [A]: 'x' } };
    expect(() => w.send(bad)).toThrow(/pseudonym of 1002\.p34600000001/);
    expect(w.wallet).toBe(state);
  });
});

describe('wallet: pseudonymiseCustomer while a segment store is in flight', () => {
  /** A wallet whose first segment (half of it the customer's) has been asked for and not acknowledged. */
  function filled(w: WalletWorld, entries = LEDGER_SEGMENT_SIZE + 3): void {
    for (let i = 0; w.wallet.nextLedgerSeq <= entries; i++) settle(w, `${i % 2 === 0 ? A : B}/m${i}`, 1_000);
  }

  it('stored, acknowledgement pending: the segment is told once its store is acknowledged', () => {
    const w = world();
    w.holdAcks = true;
    filled(w);
    expect(namesCustomer(w.segments.get(`${ORG}.1`))).toBe(true);
    const reply = w.send<Erased>(ERASE);
    expect(reply.sealedThroughSeq).toBe(0);
    expect(w.wallet.ledgerPseudonymsPending).toEqual([{ segment: 1, pairs: Object.entries(PSEUDONYMS) }]);
    w.releaseAcks();
    expect(w.wallet).toMatchObject({ ledgerSealedSeq: LEDGER_SEGMENT_SIZE, ledgerPseudonymsPending: [] });
    expect(namesCustomer(w.segments.get(`${ORG}.1`))).toBe(false);
    expect(namesCustomer(w.wallet)).toBe(false);
    expectBooksBalance(w);
  });

  it('not yet stored: a pseudonymise that overtakes the store finds nothing; the store is fixed after it', () => {
    const w = world();
    w.holdAsks = true;
    filled(w);
    const reply = w.send<Erased>(ERASE);
    expect(reply.sealedThroughSeq).toBe(0);
    // Even a caller that asked segment 1 too early would not create it.
    expect(w.sendToSegment(1, { type: 'pseudonymise', pseudonyms: PSEUDONYMS })).toEqual({ ok: true, rewritten: 0 });
    expect(w.segments.has(`${ORG}.1`)).toBe(false);
    // The store sent before the erasure carries the original ids; the tell after its acknowledgement rewrites them.
    w.releaseAsks();
    expect(w.segments.get(`${ORG}.1`)!.entries).toHaveLength(LEDGER_SEGMENT_SIZE);
    expect(namesCustomer(w.segments.get(`${ORG}.1`))).toBe(false);
    expect(w.wallet.ledgerPseudonymsPending).toEqual([]);
    expect(namesCustomer(w.allEntries())).toBe(false);
    expectBooksBalance(w);
  });

  it('a store that failed is asked again from the pseudonymised state, and the pending pseudonyms are told', () => {
    const w = world();
    w.holdAsks = true;
    filled(w);
    w.send(ERASE);
    w.failAsks = 1;
    w.releaseAsks();
    expect(w.segments.has(`${ORG}.1`)).toBe(false);
    expect(w.wallet.ledgerSealRequestedSeq).toBe(0);
    expect(w.wallet.ledgerPseudonymsPending).toHaveLength(1);
    settle(w, `${B}/next`, 1_000); // the next turn that changes the wallet asks again
    expect(w.wallet).toMatchObject({ ledgerSealedSeq: LEDGER_SEGMENT_SIZE, ledgerPseudonymsPending: [] });
    expect(namesCustomer(w.allEntries())).toBe(false);
    expectBooksBalance(w);
  });

  it('a segment acknowledged ahead of an older one is told at once; the older one on its acknowledgement', () => {
    const w = world();
    w.holdAcks = true;
    filled(w, 2 * LEDGER_SEGMENT_SIZE + 3);
    w.releaseAcks((ack) => ack.callId === '2');
    expect(w.wallet.ledgerAckedAhead).toEqual([2]);
    w.send(ERASE);
    expect(namesCustomer(w.segments.get(`${ORG}.2`))).toBe(false);
    expect(namesCustomer(w.segments.get(`${ORG}.1`))).toBe(true);
    expect(w.wallet.ledgerPseudonymsPending.map((p) => p.segment)).toEqual([1]);
    w.releaseAcks();
    expect(w.wallet.ledgerSealedSeq).toBe(2 * LEDGER_SEGMENT_SIZE);
    expect(namesCustomer(w.allEntries())).toBe(false);
    expect(namesCustomer(w.wallet)).toBe(false);
    expectBooksBalance(w);
  });
});

describe('wallet: stored versions', () => {
  const reservation = (id: string, atMs: number) => ({ id, amountMicros: 1_000, atMs });

  it('upgrades a version-1 state (no pending pseudonyms, reservations as one list)', () => {
    const { ledgerPseudonymsPending: _, reservations: __, ...rest } = initialWalletState();
    expect(walletActor.stateVersion).toBe(4);
    expect(walletActor.upgrade?.({ ...rest, reservations: [] }, 1)).toEqual(initialWalletState());
  });

  it('upgrades a version-2 state: its reservation list becomes buckets, every reservation kept', () => {
    const list = [reservation('c1/m1', 1), reservation('c2/m1', 2), reservation('c1/m2', 3)];
    const v2 = { ...initialWalletState(), reservations: list, reservedMicros: 3_000, balanceMicros: 5_000 };
    const upgraded = walletActor.upgrade!(v2, 2);
    expect(upgraded.reservations.count).toBe(3);
    expect(listReservations(upgraded)).toEqual(list);
    expect(upgraded).toMatchObject({ reservedMicros: 3_000, balanceMicros: 5_000 });
  });

  it('upgrades a version-3 head (ledger tail and recent lists inside it): counted conversations numbered in order', () => {
    const { reservations: _, ...head } = initialWalletState();
    const v3 = {
      ...head,
      reservationCount: 0,
      recentConversations: [
        { key: 'k1', reason: 'included', chargedMicros: 0, used: 1 },
        { key: 'k2', reason: 'overage', chargedMicros: 500, used: 2 },
      ],
    };
    const upgraded = walletActor.upgrade!(v3, 3, []);
    expect(upgraded.recentConversations).toEqual([
      { n: 0, key: 'k1', reason: 'included', chargedMicros: 0, used: 1 },
      { n: 1, key: 'k2', reason: 'overage', chargedMicros: 500, used: 2 },
    ]);
    expect(upgraded.reservations.count).toBe(0);
  });
});
