import { defineActor, unreachable, type TurnContext, type TurnResult } from '../../core/index.ts';
import {
  EXPIRY_TIMER,
  IDEMPOTENCY_KIND,
  type IdempotencyMsg,
  type IdempotencyReplies,
} from './idempotency.messages.ts';
import { initialIdempotencyState, liveRecord, type IdempotencyState } from './idempotency.state.ts';

/**
 * One Idempotency-Key (STYLE: pure; time from ctx.nowMs, ids from ctx.newId()). The key moves through
 *
 *   (empty) ──claim──► inFlight ──complete──► completed ──retention ends──► (empty)
 *                         │ release, or lease lapses (node died) ──► (empty)
 *
 * with one durable timer (`expiry`) that always points at the end of the current phase, so that a record never
 * outlives its lease or its retention even if nobody asks again. Empty states are deleted from LMDB (`isEmpty`).
 * A record whose time is up but whose timer has not fired yet already counts as absent (`liveRecord`).
 */
type Turn = TurnResult<IdempotencyState>;
type Msg<T extends IdempotencyMsg['type']> = Extract<IdempotencyMsg, { type: T }>;

const EMPTY: IdempotencyState = initialIdempotencyState();

export const idempotencyActor = defineActor<IdempotencyState, IdempotencyMsg>({
  kind: IDEMPOTENCY_KIND,
  stateVersion: 1,
  initialState: () => EMPTY,
  isEmpty: (state) => state.record === null,
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'claim':
        return onClaim(state, msg, ctx);
      case 'complete':
        return onComplete(state, msg, ctx);
      case 'release':
        return onRelease(state, msg);
      case 'leaseExpired':
        return onLeaseExpired(state, msg, ctx);
      case 'retentionEnded':
        return onRetentionEnded(state, ctx);
      default:
        return unreachable(msg);
    }
  },
});

function answer<T extends keyof IdempotencyReplies>(state: IdempotencyState, reply: IdempotencyReplies[T]): Turn {
  return { state, reply };
}

function onClaim(state: IdempotencyState, msg: Msg<'claim'>, ctx: TurnContext): Turn {
  const record = liveRecord(state, ctx.nowMs);
  if (record === null) {
    const claimId = ctx.newId();
    const leaseUntilMs = ctx.nowMs + msg.leaseMs;
    return {
      state: {
        record: { phase: 'inFlight', fingerprint: msg.fingerprint, claimId, claimedAtMs: ctx.nowMs, leaseUntilMs },
      },
      effects: [
        { type: 'setTimer', name: EXPIRY_TIMER, dueAtMs: leaseUntilMs, msg: { type: 'leaseExpired', claimId } },
      ],
      reply: { ok: true, outcome: 'new', claimId } satisfies IdempotencyReplies['claim'],
    };
  }
  if (record.fingerprint !== msg.fingerprint) return answer<'claim'>(state, { ok: true, outcome: 'mismatch' });
  if (record.phase === 'inFlight') {
    return answer<'claim'>(state, { ok: true, outcome: 'inFlight', retryAfterMs: record.leaseUntilMs - ctx.nowMs });
  }
  return answer<'claim'>(state, {
    ok: true,
    outcome: 'replay',
    response: record.response,
    completedAtMs: record.completedAtMs,
  });
}

function onComplete(state: IdempotencyState, msg: Msg<'complete'>, ctx: TurnContext): Turn {
  const { record } = state;
  // Still ours even past the lease, as long as nobody took the key over: a slow request's answer is kept.
  if (record === null || record.phase !== 'inFlight' || record.claimId !== msg.claimId) {
    return answer<'complete'>(state, { ok: true, stored: false });
  }
  const expiresAtMs = ctx.nowMs + msg.retainMs;
  return {
    state: {
      record: {
        phase: 'completed',
        fingerprint: record.fingerprint,
        response: msg.response,
        completedAtMs: ctx.nowMs,
        expiresAtMs,
      },
    },
    effects: [{ type: 'setTimer', name: EXPIRY_TIMER, dueAtMs: expiresAtMs, msg: { type: 'retentionEnded' } }],
    reply: { ok: true, stored: true } satisfies IdempotencyReplies['complete'],
  };
}

function onRelease(state: IdempotencyState, msg: Msg<'release'>): Turn {
  const { record } = state;
  if (record === null || record.phase !== 'inFlight' || record.claimId !== msg.claimId) {
    return answer<'release'>(state, { ok: true, released: false });
  }
  return {
    state: EMPTY,
    effects: [{ type: 'cancelTimer', name: EXPIRY_TIMER }],
    reply: { ok: true, released: true } satisfies IdempotencyReplies['release'],
  };
}

function onLeaseExpired(state: IdempotencyState, msg: Msg<'leaseExpired'>, ctx: TurnContext): Turn {
  const { record } = state;
  const lapsed =
    record !== null &&
    record.phase === 'inFlight' &&
    record.claimId === msg.claimId &&
    ctx.nowMs >= record.leaseUntilMs;
  return lapsed
    ? { state: EMPTY, reply: { ok: true, expired: true } }
    : answer<'leaseExpired'>(state, { ok: true, expired: false });
}

function onRetentionEnded(state: IdempotencyState, ctx: TurnContext): Turn {
  const { record } = state;
  const ended = record !== null && record.phase === 'completed' && ctx.nowMs >= record.expiresAtMs;
  return ended
    ? { state: EMPTY, reply: { ok: true, expired: true } }
    : answer<'retentionEnded'>(state, { ok: true, expired: false });
}
