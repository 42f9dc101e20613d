import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext, TurnResult } from '../../core/index.ts';
import { numberActor } from './number.actor.ts';
import { MAX_QUEUED_SENDS, type NumberMsg, type SendPriority } from './number.messages.ts';
import { initialNumberState, type NumberState } from './number.state.ts';

const T0 = 1_767_225_600_000;
const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'number', id: '1001' },
  nowMs,
  msgId: undefined,
  newId: () => 'id',
});
const run = (state: NumberState, msg: NumberMsg, nowMs = T0): TurnResult<NumberState> =>
  numberActor.handle(state, msg, ctx(nowMs));

const request = (messageId: string, priority: SendPriority = 'marketing'): NumberMsg => ({
  type: 'requestSlot',
  requester: { kind: 'conversation', id: `1001.p1555${messageId}` },
  messageId,
  priority,
});

const grantsOf = (effects: readonly Effect[] | undefined): string[] =>
  (effects ?? []).flatMap((e) => (e.type === 'tell' ? [(e.msg as { messageId: string }).messageId] : []));
const timerOf = (effects: readonly Effect[] | undefined) => (effects ?? []).find((e) => e.type === 'setTimer');

describe('number actor', () => {
  it('grants at once while pacing allows (80 msg/s: one slot plus a burst of one), then arms the pacing timer', () => {
    let state = initialNumberState();
    const granted: string[] = [];
    let timer: Effect | undefined;
    for (let i = 1; i <= 5; i++) {
      const result = run(state, request(`m${i}`));
      state = result.state;
      granted.push(...grantsOf(result.effects));
      timer = timerOf(result.effects) ?? timer;
      expect(result.reply).toMatchObject({ ok: true });
    }
    expect(granted).toEqual(['m1', 'm2']);
    // Armed once, for the next slot 12.5 ms on (whole ms, rounded up).
    expect(timer).toEqual({ type: 'setTimer', name: 'pace', dueAtMs: T0 + 13, msg: { type: 'paceTick' } });
    const tick = run(state, { type: 'paceTick' }, T0 + 13);
    expect(grantsOf(tick.effects)).toEqual(['m3']);
    expect(timerOf(tick.effects)).toMatchObject({ dueAtMs: T0 + 25 });
  });

  it('serves replies before authentication, utility and marketing, first come first served within each', () => {
    // Take the two immediate slots with fillers so that everything below waits in the queue.
    let state = run(run(initialNumberState(), request('f1')).state, request('f2')).state;
    for (const [id, priority] of [
      ['mk1', 'marketing'],
      ['ut1', 'utility'],
      ['re1', 'reply'],
      ['mk2', 'marketing'],
      ['au1', 'authentication'],
      ['re2', 'reply'],
    ] as const) {
      state = run(state, request(id, priority)).state;
    }
    const order: string[] = [];
    let nowMs = T0;
    for (let i = 0; i < 20 && order.length < 6; i++) {
      nowMs += 13;
      const tick = run(state, { type: 'paceTick' }, nowMs);
      state = tick.state;
      order.push(...grantsOf(tick.effects));
    }
    expect(order).toEqual(['re1', 're2', 'au1', 'ut1', 'mk1', 'mk2']);
  });

  it('slows down after 130429 and puts the throttled send back at the front of its priority', () => {
    let state = run(run(initialNumberState(), request('a')).state, request('b')).state;
    state = run(state, request('c')).state;
    const throttled = run(
      state,
      {
        type: 'throttled',
        code: 130429,
        requester: { kind: 'conversation', id: '1001.p1555a' },
        messageId: 'a',
        priority: 'marketing',
      },
      T0 + 5,
    );
    expect(throttled.state.throttledCount).toBe(1);
    expect(throttled.state.queues.marketing.map((r) => r.messageId)).toEqual(['a', 'c']);
    const view = run(throttled.state, { type: 'getNumberState' }, T0 + 5).reply as {
      state: { effectiveRatePerSec: number; ratePerSec: number };
    };
    expect(view.state).toMatchObject({ ratePerSec: 80, effectiveRatePerSec: 40 });
    // Nothing is granted during the 1 s pause.
    expect(grantsOf(run(throttled.state, { type: 'paceTick' }, T0 + 500).effects)).toEqual([]);
  });

  it(`refuses requests beyond ${MAX_QUEUED_SENDS} queued with PARLO_NUMBER_BUSY`, () => {
    const full = initialNumberState();
    const queue = Array.from({ length: MAX_QUEUED_SENDS }, (_, i) => ({
      requester: { kind: 'conversation', id: 'c' },
      messageId: `q${i}`,
      priority: 'marketing' as const,
      seq: i,
      enqueuedAtMs: T0,
    }));
    const state: NumberState = { ...full, queues: { ...full.queues, marketing: queue } };
    const refused = run(state, request('one-too-many'));
    expect(refused.reply).toMatchObject({ ok: false, code: 'PARLO_NUMBER_BUSY' });
    expect(refused.state).toBe(state);
  });

  it('counts inbound messages against the throughput and follows throughput upgrades', () => {
    const flooded = run(initialNumberState(), { type: 'inboundCounted', count: 80 }).state;
    expect(grantsOf(run(flooded, request('x')).effects)).toEqual([]);
    const upgraded = run(initialNumberState(), { type: 'setThroughput', ratePerSec: 1000 }).state;
    let state = upgraded;
    let grants = 0;
    for (let i = 0; i < 30; i++) {
      const result = run(state, request(`u${i}`));
      state = result.state;
      grants += grantsOf(result.effects).length;
    }
    // 1,000 msg/s: one slot plus a burst of 20 at one instant.
    expect(grants).toBe(21);
  });

  it('pauses marketing while the number is flagged RED (other priorities go on), with an alert that says why', () => {
    let state = run(run(initialNumberState(), request('f1')).state, request('f2')).state;
    const flagged = run(state, { type: 'qualityChanged', event: 'FLAGGED', orgId: 'org1' }, T0 + 1);
    expect(flagged.state).toMatchObject({ quality: 'RED', marketingPause: { reason: 'qualityRed', sinceMs: T0 + 1 } });
    expect(flagged.effects).toEqual([
      {
        type: 'publish',
        topic: 'number.1001.alerts',
        event: { type: 'marketingPaused', phoneNumberId: '1001', reason: 'qualityRed', atMs: T0 + 1 },
      },
    ]);
    state = run(flagged.state, request('mk1', 'marketing'), T0 + 100).state;
    const reply = run(state, request('re1', 'reply'), T0 + 100);
    expect(grantsOf(reply.effects)).toEqual(['re1']);
    state = reply.state;
    expect(grantsOf(run(state, { type: 'paceTick' }, T0 + 200).effects)).toEqual([]);
    const unflagged = run(state, { type: 'qualityChanged', event: 'UNFLAGGED' }, T0 + 300);
    expect(unflagged.state.marketingPause).toBeNull();
    expect(grantsOf(unflagged.effects)).toEqual(['mk1']);
    expect(unflagged.effects).toContainEqual(
      expect.objectContaining({ type: 'publish', event: expect.objectContaining({ type: 'marketingResumed' }) }),
    );
  });

  it('raises the throughput to 1,000 msg/s on THROUGHPUT_UPGRADE', () => {
    const upgraded = run(initialNumberState(), { type: 'qualityChanged', event: 'THROUGHPUT_UPGRADE' });
    expect(upgraded.state.pacing.ratePerSec).toBe(1000);
    expect(run(initialNumberState(), { type: 'qualityChanged', event: 'ONBOARDING' }).state).toEqual(
      initialNumberState(),
    );
  });
});
