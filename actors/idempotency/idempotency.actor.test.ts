import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext, TurnResult } from '../../core/index.ts';
import { idempotencyActor } from './idempotency.actor.ts';
import { EXPIRY_TIMER, IdempotencyMsg, type IdempotencyReplies, type StoredResponse } from './idempotency.messages.ts';
import { initialIdempotencyState, type IdempotencyState } from './idempotency.state.ts';

const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const LEASE = 60_000;
const DAY = 24 * 60 * 60 * 1000;
const FP_A = 'fingerprint-aaaaaaaaaaaa';
const FP_B = 'fingerprint-bbbbbbbbbbbb';
const CREATED: StoredResponse = {
  status: 201,
  body: '{"id":"ct_1000"}',
  headers: { location: '/v1/contacts/ct_1000' },
};

let ids = 0;
function run(state: IdempotencyState, msg: IdempotencyMsg, nowMs = T0): TurnResult<IdempotencyState> {
  const ctx: TurnContext = {
    self: { kind: 'idempotency', id: 'org1.key' },
    nowMs,
    msgId: undefined,
    newId: () => `claim-${++ids}`,
  };
  return idempotencyActor.handle(state, msg, ctx);
}

const claim = (fingerprint = FP_A) => ({ type: 'claim', fingerprint, leaseMs: LEASE }) as const;

function claimed(nowMs = T0): { state: IdempotencyState; claimId: string } {
  const result = run(initialIdempotencyState(), claim(), nowMs);
  const reply = result.reply as IdempotencyReplies['claim'];
  if (reply.outcome !== 'new') throw new Error('expected a new claim');
  return { state: result.state, claimId: reply.claimId };
}

function completed(nowMs = T0): IdempotencyState {
  const { state, claimId } = claimed(nowMs);
  return run(state, { type: 'complete', claimId, response: CREATED, retainMs: DAY }, nowMs + 5).state;
}

/** Delivers the timer the turn set (as the runtime would at its due time). */
function timerOf(effects: readonly Effect[] | undefined): { dueAtMs: number; msg: IdempotencyMsg } {
  const timer = effects?.find((e) => e.type === 'setTimer');
  if (timer?.type !== 'setTimer') throw new Error('no timer set');
  expect(timer.name).toBe(EXPIRY_TIMER);
  return { dueAtMs: timer.dueAtMs, msg: timer.msg as IdempotencyMsg };
}

describe('idempotency actor', () => {
  it('claims a new key, holding it for the lease with a durable timer', () => {
    const result = run(initialIdempotencyState(), claim());
    expect(result.reply).toEqual({ ok: true, outcome: 'new', claimId: expect.any(String) });
    expect(result.state.record).toMatchObject({ phase: 'inFlight', fingerprint: FP_A, leaseUntilMs: T0 + LEASE });
    expect(timerOf(result.effects)).toEqual({
      dueAtMs: T0 + LEASE,
      msg: { type: 'leaseExpired', claimId: (result.reply as { claimId: string }).claimId },
    });
    expect(idempotencyActor.isEmpty?.(result.state)).toBe(false);
  });

  it('answers inFlight with the time left to the same request, and mismatch to another one', () => {
    const { state } = claimed();
    const again = run(state, claim(), T0 + 20_000);
    expect(again.reply).toEqual({ ok: true, outcome: 'inFlight', retryAfterMs: 40_000 });
    expect(again.state).toBe(state);
    expect(run(state, claim(FP_B), T0 + 1).reply).toEqual({ ok: true, outcome: 'mismatch' });
  });

  it('completes the claim and replays the stored response until the retention ends', () => {
    const { state, claimId } = claimed();
    const done = run(state, { type: 'complete', claimId, response: CREATED, retainMs: DAY }, T0 + 5);
    expect(done.reply).toEqual({ ok: true, stored: true });
    expect(timerOf(done.effects)).toEqual({ dueAtMs: T0 + 5 + DAY, msg: { type: 'retentionEnded' } });
    const replay = run(done.state, claim(), T0 + DAY);
    expect(replay.reply).toEqual({ ok: true, outcome: 'replay', response: CREATED, completedAtMs: T0 + 5 });
    expect(replay.state).toBe(done.state);
    expect(replay.effects ?? []).toEqual([]);
    expect(run(done.state, claim(FP_B), T0 + DAY).reply).toEqual({ ok: true, outcome: 'mismatch' });
  });

  it('forgets the record when the retention timer fires, and then the key is new again', () => {
    const state = completed();
    const early = run(state, { type: 'retentionEnded' }, T0 + DAY);
    expect(early.reply).toEqual({ ok: true, expired: false });
    expect(early.state).toBe(state);
    const ended = run(state, { type: 'retentionEnded' }, T0 + 5 + DAY);
    expect(ended.reply).toEqual({ ok: true, expired: true });
    expect(ended.state.record).toBeNull();
    expect(idempotencyActor.isEmpty?.(ended.state)).toBe(true);
    expect(run(ended.state, claim(FP_B), T0 + 5 + DAY).reply).toMatchObject({ outcome: 'new' });
  });

  it('treats a record whose retention is over as absent even before its timer fires', () => {
    const state = completed();
    const result = run(state, claim(FP_B), T0 + 5 + DAY);
    expect(result.reply).toMatchObject({ ok: true, outcome: 'new' });
    expect(result.state.record).toMatchObject({ phase: 'inFlight', fingerprint: FP_B });
  });

  it('releases a claim (the handler failed) so that the same key may be retried', () => {
    const { state, claimId } = claimed();
    const released = run(state, { type: 'release', claimId }, T0 + 10);
    expect(released.reply).toEqual({ ok: true, released: true });
    expect(released.state.record).toBeNull();
    expect(released.effects).toEqual([{ type: 'cancelTimer', name: EXPIRY_TIMER }]);
    expect(run(released.state, claim(), T0 + 11).reply).toMatchObject({ outcome: 'new' });
    // Releasing what is not held changes nothing.
    expect(run(state, { type: 'release', claimId: 'someone-else' }).reply).toEqual({ ok: true, released: false });
    expect(run(completed(), { type: 'release', claimId }).reply).toEqual({ ok: true, released: false });
  });

  it('expires a claim left in flight (its node died) after the lease, so the key is not stuck', () => {
    const { state, claimId } = claimed();
    expect(run(state, { type: 'leaseExpired', claimId }, T0 + LEASE - 1).state).toBe(state);
    const lapsed = run(state, { type: 'leaseExpired', claimId }, T0 + LEASE);
    expect(lapsed.reply).toEqual({ ok: true, expired: true });
    expect(lapsed.state.record).toBeNull();
    // Even before the timer fires, a lapsed lease lets a retry take the key over.
    const retaken = run(state, claim(), T0 + LEASE);
    expect(retaken.reply).toMatchObject({ outcome: 'new' });
    // The first holder's late completion is then not stored over the new claim.
    expect(run(retaken.state, { type: 'complete', claimId, response: CREATED, retainMs: DAY }).reply).toEqual({
      ok: true,
      stored: false,
    });
  });

  it('still stores a late completion when nobody took the key over', () => {
    const { state, claimId } = claimed();
    const late = run(state, { type: 'complete', claimId, response: CREATED, retainMs: DAY }, T0 + 2 * LEASE);
    expect(late.reply).toEqual({ ok: true, stored: true });
    expect(late.state.record).toMatchObject({ phase: 'completed', expiresAtMs: T0 + 2 * LEASE + DAY });
  });

  it('ignores a stale lease timer after the claim completed', () => {
    const { state, claimId } = claimed();
    const done = run(state, { type: 'complete', claimId, response: CREATED, retainMs: DAY }, T0 + 1);
    expect(run(done.state, { type: 'leaseExpired', claimId }, T0 + LEASE).state).toBe(done.state);
  });

  it('keeps initial and empty states equal, so a deleted entry activates as it was', () => {
    expect(idempotencyActor.initialState('x')).toEqual({ record: null });
    expect(idempotencyActor.isEmpty?.(idempotencyActor.initialState('x'))).toBe(true);
  });

  it('validates its messages with the zod protocol', () => {
    expect(IdempotencyMsg.safeParse(claim()).success).toBe(true);
    expect(IdempotencyMsg.safeParse({ type: 'claim', fingerprint: 'short', leaseMs: 1 }).success).toBe(false);
    expect(
      IdempotencyMsg.safeParse({
        type: 'complete',
        claimId: 'c',
        response: { ...CREATED, status: 99 },
        retainMs: DAY,
      }).success,
    ).toBe(false);
  });
});
