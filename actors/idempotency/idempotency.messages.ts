import { z } from 'zod';

/**
 * The protocol of the `idempotency` actor: one actor per (scope, Idempotency-Key) of the REST API, id
 * `<scope>.<sha256 of the key>` (the scope is the caller's organisation, or `public`). The HTTP layer claims the key
 * before running a handler, completes it with the response it sent, or releases it when the handler failed in a way
 * worth retrying. Keys and bodies never travel here in clear: only the key's hash (in the id) and a hash of the
 * request (the fingerprint).
 */
export const IDEMPOTENCY_KIND = 'idempotency';

/** The one durable timer of a record: the end of its lease while in flight, the end of its retention once done. */
export const EXPIRY_TIMER = 'expiry';

/**
 * A response as it was sent: status, body (null when there was none; the HTTP layer seals the text with a key
 * derived from the client's Idempotency-Key, so secrets in it are not readable at rest) and replayable headers.
 */
export const StoredResponse = z.object({
  status: z.number().int().min(200).max(599),
  body: z.string().nullable(),
  headers: z.record(z.string().max(64), z.string().max(2048)),
});
export type StoredResponse = z.infer<typeof StoredResponse>;

/** A hash of (method, route, caller, inputs) computed by the HTTP layer. */
export const Fingerprint = z.string().min(16).max(128);
const ClaimId = z.string().min(1).max(128);

export const IdempotencyMsg = z.discriminatedUnion('type', [
  /**
   * Starts a request under this key: `new` (go ahead, the key is held for `leaseMs`), `inFlight` (the same request
   * is running elsewhere), `replay` (it already ran: here is its response) or `mismatch` (the key was used for
   * another request).
   */
  z.object({ type: z.literal('claim'), fingerprint: Fingerprint, leaseMs: z.number().int().min(1) }),
  /** The claimed request finished: keep its response for `retainMs` and replay it to every retry. */
  z.object({
    type: z.literal('complete'),
    claimId: ClaimId,
    response: StoredResponse,
    retainMs: z.number().int().min(1),
  }),
  /** The claimed request failed in a way a retry may fix: forget the claim so that the key is new again. */
  z.object({ type: z.literal('release'), claimId: ClaimId }),
  /** Timer delivery: the holder of the claim did not complete or release it within its lease (it crashed). */
  z.object({ type: z.literal('leaseExpired'), claimId: ClaimId }),
  /** Timer delivery: the stored response reached the end of its retention. */
  z.object({ type: z.literal('retentionEnded') }),
]);
export type IdempotencyMsg = z.infer<typeof IdempotencyMsg>;

/** The reply of each message, by type. Every outcome of a claim is an answer, not a failure of the actor. */
export interface IdempotencyReplies {
  claim:
    | { readonly ok: true; readonly outcome: 'new'; readonly claimId: string }
    | { readonly ok: true; readonly outcome: 'inFlight'; readonly retryAfterMs: number }
    | {
        readonly ok: true;
        readonly outcome: 'replay';
        readonly response: StoredResponse;
        readonly completedAtMs: number;
      }
    | { readonly ok: true; readonly outcome: 'mismatch' };
  /** `stored` is false when the claim was no longer held (its lease ran out and the record was dropped or retaken). */
  complete: { readonly ok: true; readonly stored: boolean };
  release: { readonly ok: true; readonly released: boolean };
  leaseExpired: { readonly ok: true; readonly expired: boolean };
  retentionEnded: { readonly ok: true; readonly expired: boolean };
}
export type IdempotencyReply<T extends IdempotencyMsg['type']> = IdempotencyReplies[T];
