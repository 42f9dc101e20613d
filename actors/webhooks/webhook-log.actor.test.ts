import { describe, expect, it } from 'vitest';
import type { TurnContext, TurnResult } from '../../core/index.ts';
import type { WebhookCaller } from './webhook-caller.ts';
import { webhookDeliveryAddress } from './webhook-delivery.messages.ts';
import { initialWebhookLogState, webhookLogActor, type WebhookLogState } from './webhook-log.actor.ts';
import {
  DEAD_LETTERS_KEPT,
  RECENT_ATTEMPTS_KEPT,
  webhookLogAddress,
  type AttemptLogEntry,
  type DeadLetterEntry,
  type WebhookLogMsg,
} from './webhook-log.messages.ts';

const ORG = '0123456789abcdef';
const ENDPOINT = 'we_0123456789abcdef';
const ADMIN: WebhookCaller = { kind: 'user', userId: 'usr-admin', role: 'admin' };
const VIEWER: WebhookCaller = { kind: 'user', userId: 'usr-viewer', role: 'viewer' };

function run(state: WebhookLogState, msg: WebhookLogMsg): TurnResult<WebhookLogState> {
  const ctx: TurnContext = { self: webhookLogAddress(ORG, ENDPOINT), nowMs: 0, msgId: undefined, newId: () => 'id' };
  return webhookLogActor.handle(state, msg, ctx);
}

function attempt(deliveryId: string, n: number): Omit<AttemptLogEntry, 'seq'> {
  return {
    deliveryId,
    eventId: `evt_${deliveryId}`,
    eventType: 'message.status',
    attempt: n,
    round: 1,
    atMs: n,
    outcome: 'failed',
    status: 503,
    reason: 'http',
    detail: 'HTTP 503',
    durationMs: 3,
    deliveryStatus: 'pending',
    nextAttemptAtMs: n + 10,
  };
}

function dead(deliveryId: string, round = 1): Omit<DeadLetterEntry, 'seq'> {
  return {
    deliveryId,
    eventId: `evt_${deliveryId}`,
    eventType: 'message.status',
    round,
    deadAtMs: 1000,
    attemptCount: 30,
    lastError: 'HTTP 503',
  };
}

describe('webhook-log actor', () => {
  it('keeps the newest attempts, newest first, and pages them with a cursor', () => {
    let state = initialWebhookLogState();
    for (let i = 1; i <= RECENT_ATTEMPTS_KEPT + 5; i++)
      state = run(state, { type: 'attemptRecorded', entry: attempt('d1', i) }).state;
    expect(state.recent).toHaveLength(RECENT_ATTEMPTS_KEPT);
    expect(state.recent[0]?.attempt).toBe(RECENT_ATTEMPTS_KEPT + 5);
    const first = run(state, { type: 'listAttempts', by: ADMIN, limit: 60 }).reply as {
      entries: AttemptLogEntry[];
      nextBefore: number | null;
    };
    expect(first.entries).toHaveLength(60);
    expect(first.nextBefore).toBe(first.entries[59]?.seq);
    const second = run(state, { type: 'listAttempts', by: ADMIN, limit: 60, before: first.nextBefore ?? 0 }).reply as {
      entries: AttemptLogEntry[];
      nextBefore: number | null;
    };
    expect(second.entries).toHaveLength(RECENT_ATTEMPTS_KEPT - 60);
    expect(second.nextBefore).toBeNull();
    expect(run(state, { type: 'listAttempts', by: VIEWER }).reply).toMatchObject({ code: 'PARLO_ACCESS_FORBIDDEN' });
  });

  it('lists dead letters once per delivery, clears them by round, and ignores stale reports', () => {
    let state = initialWebhookLogState();
    state = run(state, { type: 'deadLettered', entry: dead('d1') }).state;
    state = run(state, { type: 'deadLettered', entry: dead('d2') }).state;
    const list = () =>
      (run(state, { type: 'listDeadLetters', by: ADMIN }).reply as { entries: DeadLetterEntry[] }).entries.map(
        (e) => `${e.deliveryId}@${e.round}`,
      );
    expect(list()).toEqual(['d2@1', 'd1@1']);
    // d1 replayed (round 2 starts) and died again in round 2.
    state = run(state, { type: 'deadLetterCleared', deliveryId: 'd1', round: 2 }).state;
    expect(list()).toEqual(['d2@1']);
    state = run(state, { type: 'deadLettered', entry: dead('d1', 2) }).state;
    expect(list()).toEqual(['d1@2', 'd2@1']);
    // A late clear of round 2's start does not remove round 2's death; a stale round-1 report changes nothing.
    const unchanged = run(state, { type: 'deadLetterCleared', deliveryId: 'd1', round: 2 });
    expect(unchanged.reply).toEqual({ ok: true, removed: false });
    expect(run(state, { type: 'deadLettered', entry: dead('d1', 1) }).state).toBe(state);
  });

  it('bounds the dead-letter list', () => {
    let state = initialWebhookLogState();
    for (let i = 0; i < DEAD_LETTERS_KEPT + 3; i++)
      state = run(state, { type: 'deadLettered', entry: dead(`d${i}`) }).state;
    expect(state.dead).toHaveLength(DEAD_LETTERS_KEPT);
    expect(state.dead[0]?.deliveryId).toBe(`d${DEAD_LETTERS_KEPT + 2}`);
  });

  it('replays every dead letter by telling its delivery', () => {
    let state = initialWebhookLogState();
    state = run(state, { type: 'deadLettered', entry: dead('dlv_a') }).state;
    state = run(state, { type: 'deadLettered', entry: dead('dlv_b') }).state;
    const replayed = run(state, { type: 'replayDeadLetters', endpointId: ENDPOINT, by: ADMIN });
    expect(replayed.reply).toEqual({ ok: true, replayed: 2, deliveryIds: ['dlv_b', 'dlv_a'] });
    expect(replayed.effects).toEqual(
      ['dlv_b', 'dlv_a'].map((id) => ({
        type: 'tell',
        to: webhookDeliveryAddress(ORG, id),
        msg: { type: 'replayDelivery', endpointId: ENDPOINT, by: ADMIN },
      })),
    );
    expect(replayed.state).toBe(state);
    expect(run(state, { type: 'replayDeadLetters', endpointId: ENDPOINT, by: VIEWER }).reply).toMatchObject({
      code: 'PARLO_ACCESS_FORBIDDEN',
    });
  });

  it('is emptied when its endpoint is deleted', () => {
    let state = run(initialWebhookLogState(), { type: 'deadLettered', entry: dead('d1') }).state;
    state = run(state, { type: 'attemptRecorded', entry: attempt('d1', 1) }).state;
    const cleared = run(state, { type: 'endpointDeleted' }).state;
    expect(webhookLogActor.isEmpty?.(cleared)).toBe(true);
  });
});
