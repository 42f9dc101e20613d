import type { ChannelError, DeliveryStatus, StatusUpdated } from '../../core/index.ts';

/**
 * Delivery statuses of one outbound message, merged as a join-semilattice (WHATSAPP.md 3.3, 3.6, 8.1): Meta
 * re-delivers, duplicates, delays and reorders status webhooks, so whatever order, repetition or delay they arrive
 * in, folding them with `mergeStatus` gives the deep-equal state. `joinStatuses(a, b)` is the lattice join
 * (commutative, associative, idempotent; property-tested), and `mergeStatus(s, x)` = join(s, {x}).
 *
 * The state is the set of distinct statuses seen, each once, with one timestamp, error list and pricing:
 * - duplicates of a status are joined field by field: the earliest timestamp; of differing error lists or
 *   pricing objects the canonically smallest non-null one (a total order on their JSON), so the result does not
 *   depend on arrival order. (Meta's duplicates are identical; this only fixes a winner when they are not.)
 * - `current` is a function of the set: the highest-ranked status present.
 *
 * Decided ranks and rules:
 *   pending (nothing yet) < sent < failed < delivered < read < played
 * - **failed after sent is terminal** over sent: Meta accepted the message, then could not deliver it
 *   (131047 window, 131026 undeliverable, 131049 ecosystem, 131050 user opted out …).
 * - **a delivery proof outranks failed**: delivered, read and played prove the message reached the phone (and
 *   `read` without `delivered` implies delivery, WHATSAPP.md 3.3); if both arrive, `current` is the proof, the
 *   failure stays in `history` and `failure()` returns null. Metering follows delivery, so such a message bills.
 * - **played** (a voice message was played) ranks above read: playing implies delivery and reading.
 * - **deleted** (Meta's message-history `deleted`) is not a delivery step: it sets `isDeleted` and keeps the
 *   delivery rank; it is kept in history like the others.
 * - There is no `warning` status in Meta's Cloud API status enum (WHATSAPP.md 3.6 lists sent, delivered, read,
 *   failed, played, deleted), so none is modelled; a status outside `DELIVERY_STATUSES` is ignored (state
 *   returned unchanged), never thrown on.
 *
 * Pricing: Meta puts `pricing {billable, pricing_model, type, category}` on `sent` and on one of delivered/read.
 * Metering needs `billable`, `category` (marketing/utility/authentication/authentication_international/service/
 * referral_conversion/marketing_lite) and `type` (regular/free_customer_service/free_entry_point). `pricing()`
 * returns the pricing of the highest-ranked status that carries one (a delivery-time pricing over the
 * send-time one). The charge is due when `isDelivered` first becomes true (PMP bills on delivery): the caller
 * charges in that turn and remembers that it did (exactly once); `deliveredAtMs` is the earliest proof's time.
 * The `conversation` object (only for free entry points on v24+) is not kept: `pricing.type` carries the same
 * fact (`free_entry_point`).
 *
 * Bounds and cost: at most 6 history entries (one per status); `mergeStatus` is O(6) plus, only when a duplicate
 * carries errors or pricing different from the stored ones, one short JSON comparison. An observation that adds
 * nothing returns the same state object (===).
 */

/** The delivery progress of a message; `pending` = no status webhook yet (Meta only accepted it). */
export const CURRENT_STATUSES = ['pending', 'sent', 'failed', 'delivered', 'read', 'played'] as const;
export type CurrentStatus = (typeof CURRENT_STATUSES)[number];

/** Rank of each status; `deleted` is 0: it does not take part in the delivery order. */
export const STATUS_RANK: Readonly<Record<DeliveryStatus, number>> = {
  deleted: 0,
  sent: 1,
  failed: 2,
  delivered: 3,
  read: 4,
  played: 5,
};

/** History order: delivery order, then `deleted`. */
const HISTORY_ORDER: Readonly<Record<DeliveryStatus, number>> = {
  sent: 0,
  failed: 1,
  delivered: 2,
  read: 3,
  played: 4,
  deleted: 5,
};

/** A provider error as kept in the history (fixed keys, so states compare and encode alike). */
export interface StatusError {
  readonly code: number;
  readonly title: string;
  readonly message: string | null;
  readonly details: string | null;
}

/** Meta's `pricing` object of a status webhook, with fixed keys. */
export interface StatusPricing {
  readonly billable: boolean;
  /** `PMP` (per message, since 1 Jul 2025) or `CBP` (conversation-based, before). */
  readonly pricingModel: string;
  /** PMP only: `regular`, `free_customer_service` or `free_entry_point`. */
  readonly type: string | null;
  readonly category: string;
}

export interface StatusEntry {
  readonly status: DeliveryStatus;
  readonly atMs: number;
  /** Only for `failed` (Meta's `errors[]`); null otherwise. */
  readonly errors: readonly StatusError[] | null;
  readonly pricing: StatusPricing | null;
}

export interface MessageStatus {
  readonly current: CurrentStatus;
  readonly isDeleted: boolean;
  /** Each distinct status seen once, in delivery order (sent, failed, delivered, read, played, deleted). */
  readonly history: readonly StatusEntry[];
}

/** A status webhook as the channel adapter delivers it (a `StatusUpdated` event fits). */
export type StatusObservation = Pick<StatusUpdated, 'status' | 'timestampMs' | 'errors' | 'pricing'>;

export const EMPTY_MESSAGE_STATUS: MessageStatus = { current: 'pending', isDeleted: false, history: [] };

/** Adds one status webhook. Returns `state` itself when it adds nothing (a duplicate). */
export function mergeStatus(state: MessageStatus, observation: StatusObservation): MessageStatus {
  if (!Object.hasOwn(STATUS_RANK, observation.status)) return state;
  return mergeEntry(state, toEntry(observation));
}

/** The lattice join of two states of the same message. */
export function joinStatuses(a: MessageStatus, b: MessageStatus): MessageStatus {
  let merged = a;
  for (const entry of b.history) merged = mergeEntry(merged, entry);
  return merged;
}

/** The rank of the current status (pending = 0). Never decreases under merging. */
export function currentRank(state: MessageStatus): number {
  return state.current === 'pending' ? 0 : STATUS_RANK[state.current];
}

/** The entry of one status, if seen. */
export function entryOf(state: MessageStatus, status: DeliveryStatus): StatusEntry | undefined {
  return state.history.find((e) => e.status === status);
}

/** Whether delivery is proven (delivered, read or played seen). */
export function isDelivered(state: MessageStatus): boolean {
  return state.current === 'delivered' || state.current === 'read' || state.current === 'played';
}

/** The earliest delivery proof's time (delivered, read or played), or null. */
export function deliveredAtMs(state: MessageStatus): number | null {
  let earliest: number | null = null;
  for (const e of state.history)
    if (STATUS_RANK[e.status] >= STATUS_RANK.delivered && (earliest === null || e.atMs < earliest)) earliest = e.atMs;
  return earliest;
}

/** The errors of a failure that stands (current = failed), or null. */
export function failure(state: MessageStatus): readonly StatusError[] | null {
  return state.current === 'failed' ? (entryOf(state, 'failed')?.errors ?? []) : null;
}

/** The pricing of the highest-ranked status carrying one (delivery-time pricing over send-time), or null. */
export function pricing(state: MessageStatus): StatusPricing | null {
  let best: StatusEntry | null = null;
  for (const e of state.history)
    if (e.pricing !== null && (best === null || STATUS_RANK[e.status] > STATUS_RANK[best.status])) best = e;
  return best?.pricing ?? null;
}

/** What metering reads: charge once, when `isDelivered` first becomes true. */
export interface BillingFacts {
  readonly isDelivered: boolean;
  readonly deliveredAtMs: number | null;
  readonly pricing: StatusPricing | null;
}

export function billingFacts(state: MessageStatus): BillingFacts {
  return { isDelivered: isDelivered(state), deliveredAtMs: deliveredAtMs(state), pricing: pricing(state) };
}

function toEntry(observation: StatusObservation): StatusEntry {
  const errors =
    observation.errors && observation.errors.length > 0 ? observation.errors.map((e) => toStatusError(e)) : null;
  const p = observation.pricing;
  return {
    status: observation.status,
    atMs: observation.timestampMs,
    errors,
    pricing: p
      ? { billable: p.billable, pricingModel: p.pricingModel, type: p.pricingType ?? null, category: p.category }
      : null,
  };
}

function toStatusError(error: ChannelError): StatusError {
  return { code: error.code, title: error.title, message: error.message ?? null, details: error.details ?? null };
}

function mergeEntry(state: MessageStatus, entry: StatusEntry): MessageStatus {
  const index = state.history.findIndex((e) => e.status === entry.status);
  if (index >= 0) {
    const existing = state.history[index]!;
    const joined = joinEntry(existing, entry);
    if (joined === existing) return state;
    const history = state.history.slice();
    history[index] = joined;
    return { ...state, history };
  }
  const history = [...state.history, entry].sort((x, y) => HISTORY_ORDER[x.status] - HISTORY_ORDER[y.status]);
  const isDeleted = state.isDeleted || entry.status === 'deleted';
  const current =
    entry.status !== 'deleted' && STATUS_RANK[entry.status] > currentRank(state)
      ? (entry.status as CurrentStatus)
      : state.current;
  return { current, isDeleted, history };
}

/** Field-wise join of two entries of the same status; returns `a` itself when `b` adds nothing. */
function joinEntry(a: StatusEntry, b: StatusEntry): StatusEntry {
  const atMs = Math.min(a.atMs, b.atMs);
  const errors = smallest(a.errors, b.errors);
  const pricingJoined = smallest(a.pricing, b.pricing);
  if (atMs === a.atMs && errors === a.errors && pricingJoined === a.pricing) return a;
  return { status: a.status, atMs, errors, pricing: pricingJoined };
}

/** Of two values, the non-null one, or the canonically smaller (by JSON); `a` when they are equal. */
function smallest<T>(a: T | null, b: T | null): T | null {
  if (b === null || a === b) return a;
  if (a === null) return b;
  const ka = JSON.stringify(a);
  const kb = JSON.stringify(b);
  return kb < ka ? b : a;
}
