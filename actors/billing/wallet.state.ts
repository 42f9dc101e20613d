import type { StateSplit } from '../../core/index.ts';
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
import type { UsageDays } from './usage.ts';
import type { AutoRechargeSettings, BillingEvent, LedgerEntry, PendingAutoRecharge, Plan } from './wallet.messages.ts';

/**
 * One organisation's wallet. Invariants after every turn (checked by the unit tests):
 * - 0 ≤ reservedMicros ≤ balanceMicros ≤ MAX_BALANCE_MICROS (the balance never goes negative);
 * - reservedMicros = Σ reservations, and reservations.count is their number;
 * - balanceMicros = Σ credits − Σ debits over the whole ledger;
 * - `ledger` holds the entries with seq > ledgerSealedSeq, oldest first, without gaps.
 *
 * Bounds: open reservations (one per billable message between its send and its delivery, at most 7 days),
 * fewer than LEDGER_SEGMENT_SIZE ledger entries plus full segments whose store is not yet acknowledged,
 * USAGE_DAYS_IN_STATE days of usage, and the fixed-size "recent" lists (plus, between a customer's erasure and the
 * acknowledgement of a segment store in flight, that customer's pseudonyms for the segment).
 */
export interface Reservation {
  readonly id: string;
  readonly amountMicros: number;
  readonly atMs: number;
}

/** A settled reservation, remembered so that a re-sent settle answers the same and charges nothing. */
export interface SettledMark {
  readonly id: string;
  readonly seq: number;
  readonly chargedMicros: number;
  readonly shortfallMicros: number;
  readonly releasedMicros: number;
}

export interface TopUpMark {
  readonly id: string;
  readonly amountMicros: number;
  readonly seq: number;
  readonly recoveredMicros: number;
}

export interface CountedConversation {
  /** 0, 1, 2, … in the order counted: its storage key (`C<n>`), so the list joins back oldest first. */
  readonly n: number;
  readonly key: string;
  readonly reason: 'included' | 'overage' | 'noPlan';
  readonly chargedMicros: number;
  readonly used: number;
}

/**
 * Pseudonyms a ledger segment must still apply (GDPR erasure, pseudonymise.ts): its entries were pseudonymised in
 * the wallet while their store was in flight, so the store may write the original ids. Told to the segment when
 * its store is acknowledged, then dropped.
 */
export interface PendingSegmentPseudonyms {
  readonly segment: number;
  /** `[conversation id, pseudonym]`; a list, not a record keyed by ids (each key set a new msgpack structure). */
  readonly pairs: readonly (readonly [string, string])[];
}

export interface QuotaMonth {
  /** `2026-01` (UTC); a conversation of a later month starts a new one. */
  readonly month: string;
  readonly used: number;
  readonly overageConversations: number;
  readonly overageMicros: number;
  /** Business-initiated conversations refused this month. */
  readonly blockedCount: number;
}

export interface WalletState {
  readonly balanceMicros: number;
  readonly reservedMicros: number;
  /** Debits the credit could not cover (late deliveries, customer-opened overage); the next top-up pays them. */
  readonly owedMicros: number;
  /**
   * Open reservations, in buckets by a hash of their id (bucket-index.ts), each bucket stored as its own record
   * (`walletSplit`): a campaign holds tens of thousands open at once, and a reserve or settle then copies and
   * writes one small bucket, not every reservation. `listReservations` gives them oldest first.
   */
  readonly reservations: BucketIndex<Reservation>;
  /** When the expiry timer is due; null when none is armed. */
  readonly expiryTimerAtMs: number | null;
  /** Oldest first, at most SETTLED_IDS_KEPT. */
  readonly recentSettled: readonly SettledMark[];
  /** Oldest first, at most TOP_UP_IDS_KEPT. */
  readonly recentTopUps: readonly TopUpMark[];
  readonly autoRecharge: AutoRechargeSettings | null;
  readonly pendingAutoRecharge: PendingAutoRecharge | null;
  readonly plan: Plan | null;
  readonly planChangedAtMs: number | null;
  readonly quota: QuotaMonth;
  /** Oldest first, at most COUNTED_CONVERSATIONS_KEPT. */
  readonly recentConversations: readonly CountedConversation[];
  /** Oldest first, at most BILLING_EVENTS_KEPT. */
  readonly events: readonly BillingEvent[];

  /** Entries with seq > ledgerSealedSeq, oldest first. */
  readonly ledger: readonly LedgerEntry[];
  readonly nextLedgerSeq: number;
  /** Every entry with seq ≤ this is stored in its ledger-segment actor (a multiple of LEDGER_SEGMENT_SIZE). */
  readonly ledgerSealedSeq: number;
  /** Entries with seq ≤ this were sent to their segments (≥ ledgerSealedSeq). */
  readonly ledgerSealRequestedSeq: number;
  /** Segments acknowledged ahead of an older one still unacknowledged. */
  readonly ledgerAckedAhead: readonly number[];
  /** Month (`2026-01`) → the first segment whose first entry was recorded in that month. */
  readonly ledgerMonthStarts: Readonly<Record<string, number>>;
  /** Segments in flight when a customer was pseudonymised: told `pseudonymise` when their store is acknowledged. */
  readonly ledgerPseudonymsPending: readonly PendingSegmentPseudonyms[];

  /** The newest days of usage (and older ones until their archive acknowledged them). */
  readonly usage: UsageDays;
  /** Days sent to their month archive and not yet acknowledged. */
  readonly usageSealing: readonly string[];
  /** Sealing days that took a charge after their store was sent: stored again when it is acknowledged. */
  readonly usageChangedWhileSealing: readonly string[];
  /** Months with an archive, oldest first. */
  readonly usageMonths: readonly string[];
}

export function initialWalletState(): WalletState {
  return {
    balanceMicros: 0,
    reservedMicros: 0,
    owedMicros: 0,
    reservations: emptyBucketIndex(),
    expiryTimerAtMs: null,
    recentSettled: [],
    recentTopUps: [],
    autoRecharge: null,
    pendingAutoRecharge: null,
    plan: null,
    planChangedAtMs: null,
    quota: { month: '', used: 0, overageConversations: 0, overageMicros: 0, blockedCount: 0 },
    recentConversations: [],
    events: [],
    ledger: [],
    nextLedgerSeq: 1,
    ledgerSealedSeq: 0,
    ledgerSealRequestedSeq: 0,
    ledgerAckedAhead: [],
    ledgerMonthStarts: {},
    ledgerPseudonymsPending: [],
    usage: {},
    usageSealing: [],
    usageChangedWhileSealing: [],
    usageMonths: [],
  };
}

/** Credit that new reservations and debits may use. */
export function availableMicros(state: WalletState): number {
  return state.balanceMicros - state.reservedMicros;
}

const RESERVATION: EntryKind<Reservation> = {
  idOf: (r) => r.id,
  // A reservation is never replaced: a repeated reserve finds the one held and holds nothing more.
  isNewer: () => false,
};

/** The open reservation with this id. */
export function reservationOf(state: WalletState, id: string): Reservation | undefined {
  return findEntry(state.reservations, id, RESERVATION);
}

/** The reservations with `reservation` added (its id must not be held). */
export function withReservation(
  reservations: BucketIndex<Reservation>,
  reservation: Reservation,
): BucketIndex<Reservation> {
  return upsertEntry(reservations, reservation, RESERVATION);
}

/** The reservations without the one of `id` (the very same index when none is held). */
export function withoutReservation(reservations: BucketIndex<Reservation>, id: string): BucketIndex<Reservation> {
  return removeEntry(reservations, id, RESERVATION);
}

/** Every open reservation, oldest first (ties by id). A scan of every bucket: for timers, reports and tests. */
export function listReservations(state: Pick<WalletState, 'reservations'>): Reservation[] {
  const all = state.reservations.buckets.flatMap((bucket) => bucket.entries);
  return all.sort((a, b) => a.atMs - b.atMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The reservations rebuilt from a list (or the very same index when `rewrite` changed none): each one `rewrite`
 * returns as a new object moves to the bucket of its (possibly new) id. For the pseudonymisation of ids.
 */
export function rewriteReservations(
  reservations: BucketIndex<Reservation>,
  rewrite: (r: Reservation) => Reservation,
): { reservations: BucketIndex<Reservation>; rewritten: number } {
  let next = reservations;
  let rewritten = 0;
  for (const bucket of reservations.buckets) {
    for (const held of bucket.entries) {
      const changed = rewrite(held);
      if (changed === held) continue;
      next = upsertEntry(removeEntry(next, held.id, RESERVATION), changed, RESERVATION);
      rewritten++;
    }
  }
  return { reservations: next, rewritten };
}

/** What the wallet stores apart from its head, one record each (see `walletSplit`). */
export type WalletItem = Bucket<Reservation> | LedgerEntry | SettledMark | CountedConversation;

/** The wallet's stored head: every field but the reservations, the ledger tail and the two "recent" lists. */
type WalletHead = Omit<WalletState, 'reservations' | 'ledger' | 'recentSettled' | 'recentConversations'> & {
  readonly reservationCount: number;
};

const reservationBuckets = bucketIndexSplit<Reservation>();

/** Which collection a stored item belongs to (the four have distinct fields). */
function walletItemKind(item: WalletItem): 'bucket' | 'ledger' | 'settled' | 'counted' {
  if ('entries' in item) return 'bucket';
  if ('balanceAfterMicros' in item) return 'ledger';
  if ('releasedMicros' in item) return 'settled';
  return 'counted';
}

const pad = (n: number): string => String(n).padStart(15, '0');

/**
 * The wallet stored as a small head and one record per non-empty reservation bucket (numeric keys), per ledger
 * entry not yet sealed (`L<seq>`), per settled mark (`S<seq>`) and per counted conversation (`C<n>`). A reserve or
 * settle rewrites the head (balance, counters) and the records it added or changed, whatever the number of
 * reservations open or marks kept: the head alone was ~150 kB with the marks in it, written in every commit.
 */
export const walletSplit: StateSplit<WalletState, WalletItem> = {
  head: ({ reservations, ledger: _l, recentSettled: _s, recentConversations: _c, ...rest }): WalletHead => ({
    ...rest,
    reservationCount: reservations.count,
  }),
  items: (state) => [
    ...state.reservations.buckets,
    ...state.ledger,
    ...state.recentSettled,
    ...state.recentConversations,
  ],
  itemKey: (item) => {
    switch (walletItemKind(item)) {
      case 'bucket':
        return (item as Bucket<Reservation>).index;
      case 'ledger':
        return `L${pad((item as LedgerEntry).seq)}`;
      case 'settled':
        return `S${pad((item as SettledMark).seq)}`;
      case 'counted':
        return `C${pad((item as CountedConversation).n)}`;
    }
  },
  join: (head, items) => {
    const { reservationCount, ...rest } = head as WalletHead;
    const buckets: Bucket<Reservation>[] = [];
    const ledger: LedgerEntry[] = [];
    const recentSettled: SettledMark[] = [];
    const recentConversations: CountedConversation[] = [];
    // Items come in key order: each collection oldest first.
    for (const item of items) {
      switch (walletItemKind(item)) {
        case 'bucket':
          buckets.push(item as Bucket<Reservation>);
          break;
        case 'ledger':
          ledger.push(item as LedgerEntry);
          break;
        case 'settled':
          recentSettled.push(item as SettledMark);
          break;
        case 'counted':
          recentConversations.push(item as CountedConversation);
          break;
      }
    }
    return {
      ...rest,
      reservations: reservationBuckets.join({ count: reservationCount }, buckets),
      ledger,
      recentSettled,
      recentConversations,
    };
  },
};

/** The next counted conversation's `n`. */
export function nextCountedN(state: Pick<WalletState, 'recentConversations'>): number {
  const newest = state.recentConversations[state.recentConversations.length - 1];
  return newest === undefined ? 0 : newest.n + 1;
}

/**
 * A wallet stored by an older version: 1 had no `ledgerPseudonymsPending`; 1 and 2 stored the reservations as
 * one list inside the state; 3 kept the ledger tail and the recent lists in its head, counted conversations
 * without `n` (the runtime then writes every item of the upgraded state, one record each).
 */
export function upgradeWallet(stored: unknown, storedVersion: number, items: readonly unknown[] = []): WalletState {
  type V3 = Omit<WalletState, 'recentConversations'> & {
    readonly recentConversations: readonly Omit<CountedConversation, 'n'>[];
  };
  let v3: V3;
  if (storedVersion >= 3) {
    const { reservationCount, ...rest } = stored as Omit<V3, 'reservations'> & { readonly reservationCount: number };
    v3 = {
      ...rest,
      reservations: reservationBuckets.join({ count: reservationCount }, items as Bucket<Reservation>[]),
    };
  } else {
    const old = stored as Omit<WalletState, 'reservations'> & { readonly reservations: readonly Reservation[] };
    v3 = {
      ...old,
      ledgerPseudonymsPending: storedVersion < 2 ? [] : old.ledgerPseudonymsPending,
      reservations: reservationsFromList(old.reservations),
    };
  }
  return { ...v3, recentConversations: v3.recentConversations.map((c, n) => ({ ...c, n })) };
}

/** A stored reservation list (state version 2 and before) as buckets. */
function reservationsFromList(list: readonly Reservation[]): BucketIndex<Reservation> {
  // A repeated id keeps its first reservation (upsertEntry never replaces one).
  return list.reduce((index, reservation) => withReservation(index, reservation), emptyBucketIndex<Reservation>());
}

/** An own entry of a record keyed by outside ids, or undefined. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A copy without `key`. */
export function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

/** `list` with `item` appended, keeping the newest `max`. */
export function keepNewest<T>(list: readonly T[], item: T, max: number): T[] {
  const next = [...list, item];
  return next.length > max ? next.slice(next.length - max) : next;
}
