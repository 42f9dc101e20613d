import type { StoredResponse } from './idempotency.messages.ts';

/** A request that holds the key and is running (or whose node died while it ran: the lease bounds that). */
export interface InFlightRecord {
  readonly phase: 'inFlight';
  readonly fingerprint: string;
  readonly claimId: string;
  readonly claimedAtMs: number;
  readonly leaseUntilMs: number;
}

/** A request that finished: its response is replayed until `expiresAtMs`. */
export interface CompletedRecord {
  readonly phase: 'completed';
  readonly fingerprint: string;
  readonly response: StoredResponse;
  readonly completedAtMs: number;
  readonly expiresAtMs: number;
}

export type IdempotencyRecord = InFlightRecord | CompletedRecord;

/**
 * One Idempotency-Key of one scope. `record === null` is the initial, empty state: the actor declares it empty
 * (`isEmpty`), so the runtime deletes the stored entry when a record expires or is released.
 */
export interface IdempotencyState {
  readonly record: IdempotencyRecord | null;
}

export function initialIdempotencyState(): IdempotencyState {
  return { record: null };
}

/** The record if it still counts at `nowMs`: a lapsed lease or an ended retention count as no record at all. */
export function liveRecord(state: IdempotencyState, nowMs: number): IdempotencyRecord | null {
  const { record } = state;
  if (record === null) return null;
  if (record.phase === 'inFlight' && nowMs >= record.leaseUntilMs) return null;
  if (record.phase === 'completed' && nowMs >= record.expiresAtMs) return null;
  return record;
}
