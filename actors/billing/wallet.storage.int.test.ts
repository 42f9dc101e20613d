import { afterEach, describe, expect, it, vi } from 'vitest';
import { startRuntimeFixture, type RuntimeFixture } from '../../core/testing/runtime-fixture.ts';
import { bucketOf } from '../indexing/bucket-index.ts';
import { createWalletActor } from './wallet.actor.ts';
import { WALLET_KIND, type BillingCaller, type WalletMsg, type WalletReplies } from './wallet.messages.ts';
import { initialWalletState, type Reservation } from './wallet.state.ts';

/**
 * How the wallet is stored (state version 4, walletSplit): a small head, one record per non-empty reservation
 * bucket, per unsealed ledger entry, per settled mark and per counted conversation, on the real runtime and LMDB in
 * a temp dir. A campaign holds tens of thousands of reservations open at once and settles hundreds a second; a
 * reserve or settle must write the head and the few records it changed, not all of them.
 */

const ORG = 'org_store';
const WALLET = { kind: WALLET_KIND, id: ORG };
const OWNER: BillingCaller = { kind: 'user', userId: 'u1', role: 'owner' };
const walletActor = createWalletActor({ startingCreditMicros: 0 });

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

async function walletWithReservations(count: number): Promise<RuntimeFixture> {
  const f = (fixture = await startRuntimeFixture({ definitions: [walletActor] }));
  await f.system.ask(WALLET, {
    type: 'topUp',
    topUpId: 't1',
    amountMicros: 1_000_000_000,
    by: OWNER,
  } satisfies WalletMsg);
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      f.system.ask(WALLET, {
        type: 'reserve',
        reservationId: `c${i}/m1`,
        amountMicros: 10_000,
        atMs: f.clock.now() + i,
      } satisfies WalletMsg),
    ),
  );
  await f.store.durable();
  return f;
}

async function view(f: RuntimeFixture) {
  const reply = await f.system.ask<WalletReplies['getWallet']>(WALLET, {
    type: 'getWallet',
    by: OWNER,
  } satisfies WalletMsg);
  if (!reply.ok) throw new Error(reply.message);
  return reply.wallet;
}

describe('wallet storage: head and reservation buckets', () => {
  it('stores the reservations one bucket per record, outside the head, and joins them after a restart', async () => {
    const f = await walletWithReservations(2_000);
    const stored = f.store.readState(WALLET_KIND, ORG) as { v: number; s: Record<string, unknown> };
    expect(stored.v).toBe(4);
    expect(stored.s).not.toHaveProperty('reservations');
    expect(stored.s).toMatchObject({ reservationCount: 2_000, reservedMicros: 20_000_000 });
    const buckets = (f.store.readItems(WALLET_KIND, ORG) as { index?: number; entries?: Reservation[] }[]).filter(
      (item): item is { index: number; entries: Reservation[] } => item.entries !== undefined,
    );
    expect(buckets.reduce((n, b) => n + b.entries.length, 0)).toBe(2_000);
    for (const bucket of buckets) for (const r of bucket.entries) expect(bucketOf(r.id)).toBe(bucket.index);

    await f.restart();
    expect(await view(f)).toMatchObject({ openReservations: 2_000, reservedMicros: 20_000_000 });
    // A repeated reserve after the restart finds its reservation (and holds nothing more).
    const again = await f.system.ask<WalletReplies['reserve']>(WALLET, {
      type: 'reserve',
      reservationId: 'c1234/m1',
      amountMicros: 10_000,
      atMs: f.clock.now() + 1234,
    } satisfies WalletMsg);
    expect(again).toMatchObject({ ok: true, status: 'reserved', reservedMicros: 10_000 });
    expect(await view(f)).toMatchObject({ openReservations: 2_000, reservedMicros: 20_000_000 });
  });

  it('a reserve writes one bucket; a settle its bucket, ledger entry and mark, whatever the number open', async () => {
    const f = await walletWithReservations(2_000);
    const puts = vi.spyOn(f.store, 'putItem');
    const deletes = vi.spyOn(f.store, 'deleteItem');
    await f.system.ask(WALLET, {
      type: 'reserve',
      reservationId: 'new/m1',
      amountMicros: 5_000,
      atMs: f.clock.now(),
    } satisfies WalletMsg);
    expect(puts).toHaveBeenCalledTimes(1);
    expect(puts.mock.calls[0]![2]).toBe(bucketOf('new/m1'));
    const settle = {
      type: 'settle',
      reservationId: 'c7/m1',
      amountMicros: 8_000,
      atMs: f.clock.now(),
      charge: {
        category: 'marketing',
        country: 'DE',
        phoneNumberId: '1065',
        conversationId: 'c7',
        campaignId: null,
        rateCardVersion: 1,
        rule: 'marketing',
      },
    } satisfies WalletMsg;
    const settled = await f.system.ask<WalletReplies['settle']>(WALLET, settle);
    // The bucket (rewritten or deleted), the charge's ledger entry and the settled mark; the head holds neither.
    expect(puts.mock.calls.length + deletes.mock.calls.length).toBe(4);
    expect(puts.mock.calls.slice(1).map((call) => String(call[2])[0])).toEqual(expect.arrayContaining(['L', 'S']));
    const head = f.store.readState(WALLET_KIND, ORG) as { s: Record<string, unknown> };
    expect(head.s).not.toHaveProperty('ledger');
    expect(head.s).not.toHaveProperty('recentSettled');
    await f.store.durable();
    await f.restart();
    expect(await view(f)).toMatchObject({ openReservations: 2_000, reservedMicros: 20_000_000 - 10_000 + 5_000 });
    // The settled mark and the ledger tail came back from their records: a repeated settle charges nothing.
    const again = await f.system.ask<WalletReplies['settle']>(WALLET, { ...settle, atMs: f.clock.now() });
    expect(again).toMatchObject({ ok: true, isDuplicate: true, chargedMicros: 8_000 });
    expect(settled).toMatchObject({ ok: true, isDuplicate: false, seq: (again as { seq: number }).seq });
    expect(await view(f)).toMatchObject({ reservedMicros: 20_000_000 - 10_000 + 5_000 });
  });

  it('upgrades a wallet stored whole with its reservation list (version 2) into head and buckets', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [walletActor] }));
    const list: Reservation[] = [
      { id: 'a/m1', amountMicros: 1_000, atMs: f.clock.now() },
      { id: 'b/m1', amountMicros: 2_000, atMs: f.clock.now() },
    ];
    const v2 = { ...initialWalletState(), balanceMicros: 10_000, reservedMicros: 3_000, reservations: list };
    f.store.putState(WALLET_KIND, ORG, { v: 2, s: v2 });
    await f.store.durable();
    expect(await view(f)).toMatchObject({ openReservations: 2, reservedMicros: 3_000 });
    await f.system.ask(WALLET, { type: 'release', reservationId: 'a/m1' } satisfies WalletMsg);
    await f.store.durable();
    expect(f.store.readState(WALLET_KIND, ORG)).toMatchObject({
      v: 4,
      s: { reservationCount: 1, reservedMicros: 2_000 },
    });
    expect(f.store.readItems(WALLET_KIND, ORG)).toEqual([{ index: bucketOf('b/m1'), entries: [list[1]] }]);
  });
});
