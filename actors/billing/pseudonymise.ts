import type { Effect } from '../../core/index.ts';
import {
  LEDGER_SEGMENT_KIND,
  LEDGER_SEGMENT_SIZE,
  ledgerSegmentId,
  type LedgerEntry,
  type LedgerSegmentMsg,
} from './wallet.messages.ts';
import { rewriteReservations, type PendingSegmentPseudonyms, type WalletState } from './wallet.state.ts';

/**
 * GDPR erasure in billing (issue #6, 2), pure: a customer's conversation ids (`<phoneNumberId>.<customerKey>`, the
 * customer key being `p<E.164 digits>` or `u<user id>`, personal data) are replaced by pseudonyms wherever billing
 * holds them, and nothing else changes: amounts, balances, seqs, order and every other field stay as they were, so
 * the ledger stays an exact financial record (`balance = Σ credits − Σ debits` still holds).
 *
 * Where billing holds a conversation id:
 * - `LedgerEntry.conversationId` (charges; overages that carried it): the id itself;
 * - `LedgerEntry.reference` of a `charge` (the message key `<conversationId>/<messageId>`, messageKeyOf) and of an
 *   `overage` (the conversation key `<conversationId>@<window start ms>`, conversationKeyOf in metering.ts). The
 *   reference of a `topUp` / `recovery` is a top-up id chosen by whoever paid, never rewritten;
 * - the wallet's open reservations and recent settled ids (message keys) and its counted conversations
 *   (conversation keys);
 * - the entries of ledger segments: sealed ones (the `pseudonymise` message of the segment actor), and those the
 *   wallet still holds while their store is in flight (rewritten here, see `pseudonymiseWallet`).
 * Not in billing's records: usage aggregates (cells keyed by category, country, business number and campaign,
 * usage.ts), billing events, top-up marks, auto-recharge requests and the quota month hold no conversation id.
 *
 * Matching is exact at a boundary: a key is rewritten when the part before its first `/` or `@` (or the whole key)
 * is a listed conversation id; conversation ids never contain either character (customer-key.ts), so
 * `1001.p3460000000` does not match `1001.p34600000001/m1`. A pseudonym is never itself a listed id, so a second
 * pass finds nothing to rewrite (idempotent). Unchanged records keep their identity (the same object), so an
 * unchanged state is the same state and the runtime writes nothing.
 */

/** Conversation id → pseudonym, checked by `pseudonymsOf`. */
export type Pseudonyms = ReadonlyMap<string, string>;

const BOUNDARY = /[/@]/;

/**
 * The pseudonyms of `conversationIds` (default: every key of `pseudonyms`). They come from our own erasure code: a
 * malformed map is a bug, thrown (dead-lettered) rather than half applied. Refused: an id without a pseudonym, an
 * empty id or pseudonym, one containing `/` or `@` (it would not be a conversation id), an id mapped to itself, and
 * a pseudonym that is itself a listed id (a → b, b → c would not be idempotent).
 */
export function pseudonymsOf(
  pseudonyms: Readonly<Record<string, string>>,
  conversationIds?: readonly string[],
): Pseudonyms {
  if (typeof pseudonyms !== 'object' || pseudonyms === null) throw new Error('pseudonyms must be a record');
  const ids = conversationIds ?? Object.keys(pseudonyms);
  if (!Array.isArray(ids)) throw new Error('conversationIds must be a list');
  const map = new Map<string, string>();
  for (const id of ids) {
    if (!isIdLike(id)) throw new Error(`conversation id ${JSON.stringify(id)} is empty or contains / or @`);
    const pseudonym = Object.hasOwn(pseudonyms, id) ? pseudonyms[id] : undefined;
    if (!isIdLike(pseudonym))
      throw new Error(`the pseudonym of ${id} is ${JSON.stringify(pseudonym)}: missing, empty or contains / or @`);
    if (pseudonym === id) throw new Error(`conversation id ${id} is mapped to itself`);
    map.set(id, pseudonym);
  }
  for (const [id, pseudonym] of map)
    if (map.has(pseudonym)) throw new Error(`the pseudonym of ${id}, ${pseudonym}, is itself a listed conversation id`);
  return map;
}

function isIdLike(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && !BOUNDARY.test(value);
}

/**
 * A conversation id, message key (`<conversationId>/<messageId>`) or conversation key (`<conversationId>@<ms>`)
 * with its conversation id replaced when it is listed; otherwise `key` itself.
 */
export function pseudonymiseKey(key: string, pseudonyms: Pseudonyms): string {
  const cut = key.search(BOUNDARY);
  const id = cut < 0 ? key : key.slice(0, cut);
  const pseudonym = pseudonyms.get(id);
  return pseudonym === undefined ? key : pseudonym + key.slice(id.length);
}

/** The entry with its conversation id and (send-path) reference pseudonymised; the same object when unchanged. */
export function pseudonymiseEntry(entry: LedgerEntry, pseudonyms: Pseudonyms): LedgerEntry {
  const conversationId =
    entry.conversationId === null ? null : (pseudonyms.get(entry.conversationId) ?? entry.conversationId);
  const reference =
    entry.kind === 'charge' || entry.kind === 'overage'
      ? pseudonymiseKey(entry.reference, pseudonyms)
      : entry.reference;
  if (conversationId === entry.conversationId && reference === entry.reference) return entry;
  // Spread over existing keys keeps their order (one msgpack record shape for every entry).
  return { ...entry, reference, conversationId };
}

export interface Rewritten<T> {
  /** The same list when nothing changed. */
  readonly list: readonly T[];
  /** How many items changed. */
  readonly rewritten: number;
}

/** `rewrite` applied to each item (which returns the item itself when unchanged); order and length kept. */
export function rewriteList<T>(list: readonly T[], rewrite: (item: T) => T): Rewritten<T> {
  let next: T[] | null = null;
  let rewritten = 0;
  for (let i = 0; i < list.length; i++) {
    const item = list[i]!;
    const changed = rewrite(item);
    if (changed === item) continue;
    next ??= list.slice();
    next[i] = changed;
    rewritten++;
  }
  return { list: next ?? list, rewritten };
}

export function pseudonymiseEntries(entries: readonly LedgerEntry[], pseudonyms: Pseudonyms): Rewritten<LedgerEntry> {
  return rewriteList(entries, (entry) => pseudonymiseEntry(entry, pseudonyms));
}

function withKey<T extends { readonly [K in F]: string }, F extends string>(
  item: T,
  field: F,
  pseudonyms: Pseudonyms,
): T {
  const key = pseudonymiseKey(item[field], pseudonyms);
  return key === item[field] ? item : { ...item, [field]: key };
}

export interface PseudonymisedWallet {
  /** The same state object when nothing changed. */
  readonly state: WalletState;
  /** Ledger entries, reservations, settled marks and counted conversations changed. */
  readonly rewritten: number;
  /** `pseudonymise` tells to segments already stored but not yet sealed in the wallet's order (acked ahead). */
  readonly effects: readonly Effect[];
}

/**
 * Pseudonymises one customer in a wallet state: its ledger entries (including full segments whose store is in
 * flight), open reservations, settled ids and counted conversation keys. Nothing else changes.
 *
 * Segments beyond `ledgerSealedSeq` whose entries changed are copies of what the wallet already sent (or will
 * send) to a segment actor, and the store of a segment is written once:
 * - a segment already stored (acknowledged ahead of an older one) is told `pseudonymise` now;
 * - a segment whose store is in flight gets its pseudonyms recorded (`ledgerPseudonymsPending`) and told once its
 *   store is acknowledged (`takeSegmentPseudonyms`): told now, it could arrive before the store, find nothing, and
 *   the store would then write the original ids;
 * - a segment not yet asked for is stored from the state, already pseudonymised.
 * Segments up to `ledgerSealedSeq` are the caller's: it asks each to `pseudonymise`.
 */
export function pseudonymiseWallet(state: WalletState, pseudonyms: Pseudonyms, orgId: string): PseudonymisedWallet {
  const ledger = pseudonymiseEntries(state.ledger, pseudonyms);
  const reservations = rewriteReservations(state.reservations, (r) => withKey(r, 'id', pseudonyms));
  const settled = rewriteList(state.recentSettled, (mark) => withKey(mark, 'id', pseudonyms));
  const conversations = rewriteList(state.recentConversations, (c) => withKey(c, 'key', pseudonyms));
  const rewritten = ledger.rewritten + reservations.rewritten + settled.rewritten + conversations.rewritten;
  if (rewritten === 0) return { state, rewritten: 0, effects: [] };

  const effects: Effect[] = [];
  let pending = state.ledgerPseudonymsPending;
  const pairs = [...pseudonyms.entries()];
  const firstSegment = state.ledgerSealedSeq / LEDGER_SEGMENT_SIZE + 1;
  const lastFullSegment = Math.floor((state.nextLedgerSeq - 1) / LEDGER_SEGMENT_SIZE);
  for (let segment = firstSegment; segment <= lastFullSegment; segment++) {
    const from = (segment - 1) * LEDGER_SEGMENT_SIZE - state.ledgerSealedSeq;
    let changed = false;
    for (let i = from; i < from + LEDGER_SEGMENT_SIZE && !changed; i++) changed = ledger.list[i] !== state.ledger[i];
    if (!changed) continue;
    if (state.ledgerAckedAhead.includes(segment)) effects.push(segmentPseudonymise(orgId, segment, pairs));
    else if (segment * LEDGER_SEGMENT_SIZE <= state.ledgerSealRequestedSeq)
      pending = withPending(pending, segment, pairs);
  }
  return {
    state: {
      ...state,
      ledger: ledger.list,
      reservations: reservations.reservations,
      recentSettled: settled.list,
      recentConversations: conversations.list,
      ledgerPseudonymsPending: pending,
    },
    rewritten,
    effects,
  };
}

function withPending(
  pending: readonly PendingSegmentPseudonyms[],
  segment: number,
  pairs: readonly (readonly [string, string])[],
): readonly PendingSegmentPseudonyms[] {
  const existing = pending.find((p) => p.segment === segment);
  if (!existing) return [...pending, { segment, pairs }];
  const added = pairs.filter(([id]) => !existing.pairs.some(([known]) => known === id));
  return pending.map((p) => (p === existing ? { segment, pairs: [...existing.pairs, ...added] } : p));
}

/**
 * On the acknowledgement of a segment's store: the pseudonyms recorded while it was in flight, as a `pseudonymise`
 * tell to that segment (now stored, so the tell cannot overtake the store), and the state without them.
 */
export function takeSegmentPseudonyms(
  state: WalletState,
  segment: number,
  orgId: string,
): { state: WalletState; effects: readonly Effect[] } {
  const pending = state.ledgerPseudonymsPending.find((p) => p.segment === segment);
  if (!pending) return { state, effects: [] };
  return {
    state: { ...state, ledgerPseudonymsPending: state.ledgerPseudonymsPending.filter((p) => p !== pending) },
    effects: [segmentPseudonymise(orgId, segment, pending.pairs)],
  };
}

function segmentPseudonymise(orgId: string, segment: number, pairs: readonly (readonly [string, string])[]): Effect {
  return {
    type: 'tell',
    to: { kind: LEDGER_SEGMENT_KIND, id: ledgerSegmentId(orgId, segment) },
    msg: { type: 'pseudonymise', pseudonyms: Object.fromEntries(pairs) } satisfies LedgerSegmentMsg,
  };
}
