import type { FastifyRequest } from 'fastify';
import type { ActorSystem } from '../../../core/index.ts';
import {
  IDEMPOTENCY_KIND,
  type IdempotencyMsg,
  type IdempotencyReply,
} from '../../../actors/idempotency/idempotency.messages.ts';
import type {
  ClaimOutcome,
  IdempotencyCaller,
  IdempotencyOptions,
  IdempotencyStore,
  StoredResponse,
} from '../api/idempotency.ts';
import { callerOf } from '../auth/caller.ts';

/** Issue #4: a first response is kept at least a day. */
export const MIN_IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
/**
 * How long a claim holds a key without an answer. A request that outlives it (a node that crashed mid-request) no
 * longer blocks its key: a retry then runs again. Well above the ask timeout (10 s) times the asks of a handler.
 */
export const DEFAULT_IDEMPOTENCY_LEASE_MS = 60_000;

export interface ActorIdempotencyStoreOptions {
  /** How long a response is replayed; at least `MIN_IDEMPOTENCY_RETENTION_MS`. */
  readonly retentionMs: number;
  readonly leaseMs?: number;
}

/**
 * The REST API's idempotency records in `idempotency` actors, one per record id (`<scope>.<key hash>`): durable in
 * LMDB, shared by every node through the actor runtime's routing, and deleted from LMDB when they expire.
 */
export function actorIdempotencyStore(system: ActorSystem, options: ActorIdempotencyStoreOptions): IdempotencyStore {
  if (!(Number.isInteger(options.retentionMs) && options.retentionMs >= MIN_IDEMPOTENCY_RETENTION_MS)) {
    throw new RangeError(`idempotency retention must be at least ${MIN_IDEMPOTENCY_RETENTION_MS} ms`);
  }
  const leaseMs = options.leaseMs ?? DEFAULT_IDEMPOTENCY_LEASE_MS;
  const ask = <T extends IdempotencyMsg['type']>(recordId: string, msg: Extract<IdempotencyMsg, { type: T }>) =>
    system.ask<IdempotencyReply<T>>({ kind: IDEMPOTENCY_KIND, id: recordId }, msg);
  return {
    async claim(recordId, fingerprint): Promise<ClaimOutcome> {
      const reply = await ask<'claim'>(recordId, { type: 'claim', fingerprint, leaseMs });
      switch (reply.outcome) {
        case 'new':
          return { outcome: 'new', claimId: reply.claimId };
        case 'inFlight':
          return { outcome: 'inFlight', retryAfterMs: reply.retryAfterMs };
        case 'replay':
          return { outcome: 'replay', response: reply.response };
        case 'mismatch':
          return { outcome: 'mismatch' };
      }
    },
    async complete(recordId, claimId, response: StoredResponse): Promise<void> {
      await ask<'complete'>(recordId, {
        type: 'complete',
        claimId,
        response: { status: response.status, body: response.body, headers: { ...response.headers } },
        retainMs: options.retentionMs,
      });
    },
    async release(recordId, claimId): Promise<void> {
      await ask<'release'>(recordId, { type: 'release', claimId });
    },
  };
}

/**
 * The scope of a guarded route's key is the caller's organisation; the principal (the user, or the API key) goes into
 * the fingerprint, so that one member's key never replays another member's response (it answers 422 instead).
 */
export function idempotencyCallerOf(request: FastifyRequest): IdempotencyCaller {
  const caller = callerOf(request);
  return {
    scope: caller.orgId,
    principal: caller.kind === 'user' ? `user:${caller.userId}` : `apiKey:${caller.keyId}`,
  };
}

/** What `registerApiRoutes` (via `buildHttpApp`) needs to honour Idempotency-Key, backed by the actor system. */
export function actorIdempotency(system: ActorSystem, options: ActorIdempotencyStoreOptions): IdempotencyOptions {
  return { store: actorIdempotencyStore(system, options), callerOf: idempotencyCallerOf };
}
