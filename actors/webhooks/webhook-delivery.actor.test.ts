import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext, TurnResult, WebhookDeliveryRequest } from '../../core/index.ts';
import { DEFAULT_DELIVERY_POLICY, deliveryIdOf, retryDelayMs } from './retry.ts';
import type { WebhookCaller } from './webhook-caller.ts';
import { createWebhookDeliveryActor, webhookDeliveryActor } from './webhook-delivery.actor.ts';
import { webhookDeliveryAddress, type DeliveryView, type WebhookDeliveryMsg } from './webhook-delivery.messages.ts';
import { initialWebhookDeliveryState, type WebhookDeliveryState } from './webhook-delivery.state.ts';
import type { PreparedAttempt } from './webhook-endpoints.messages.ts';
import { webhookEndpointsAddress, type AnyWebhookEvent } from './webhook-events.ts';
import { webhookLogAddress } from './webhook-log.messages.ts';

const ORG = '0123456789abcdef';
const ENDPOINT = 'we_0123456789abcdef';
const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ADMIN: WebhookCaller = { kind: 'user', userId: 'usr-admin', role: 'admin' };
const EVENT: AnyWebhookEvent = {
  id: 'evt_1',
  type: 'conversation.assigned',
  orgId: ORG,
  occurredAtMs: T0,
  data: {
    conversationId: 'c1',
    phoneNumberId: 'p1',
    contactWaId: '15551234567',
    assigneeUserId: 'usr-op',
    previousAssigneeUserId: null,
    assignedBy: 'usr-admin',
  },
};
const DELIVERY_ID = deliveryIdOf(ENDPOINT, EVENT.id);
const PREPARED: PreparedAttempt = {
  ok: true,
  url: 'https://hooks.example.com/in',
  enabled: true,
  secrets: [{ secretId: 'ws_1', sealed: 'sealed-1' }],
};

function ctxAt(nowMs: number): TurnContext {
  let n = 0;
  return { self: webhookDeliveryAddress(ORG, DELIVERY_ID), nowMs, msgId: undefined, newId: () => `id-${++n}` };
}

/** A delivery driven message by message, with the clock. */
class Driver {
  state: WebhookDeliveryState = initialWebhookDeliveryState();
  last: TurnResult<WebhookDeliveryState> = { state: this.state };
  constructor(
    public nowMs = T0,
    private readonly actor = webhookDeliveryActor,
  ) {}

  send(msg: WebhookDeliveryMsg): TurnResult<WebhookDeliveryState> {
    this.last = this.actor.handle(this.state, msg, ctxAt(this.nowMs));
    this.state = this.last.state;
    return this.last;
  }

  effects(): readonly Effect[] {
    return this.last.effects ?? [];
  }

  effect<T extends Effect['type']>(type: T): Extract<Effect, { type: T }> {
    const found = this.effects().find((e) => e.type === type);
    if (!found) throw new Error(`no ${type} effect in ${JSON.stringify(this.effects())}`);
    return found as Extract<Effect, { type: T }>;
  }

  start(): void {
    this.send({ type: 'startDelivery', orgId: ORG, endpointId: ENDPOINT, deliveryId: DELIVERY_ID, event: EVENT });
  }

  /** Answers the pending prepareAttempt ask. */
  prepared(value: PreparedAttempt | { ok: false; code: string; message: string } = PREPARED): void {
    const ask = this.effect('ask');
    this.send({ type: 'attemptPrepared', callId: ask.callId, reply: { ok: true, value: value as PreparedAttempt } });
  }

  /** Answers the pending port call. */
  result(result: unknown): void {
    const call = this.effect('callPort');
    this.send({ type: 'attemptResult', callId: call.callId, result });
  }

  /** Fires the retry timer at its due time. */
  fireRetry(): void {
    const timer = this.effect('setTimer');
    expect(timer.name).toBe('retry');
    this.nowMs = timer.dueAtMs;
    this.send(timer.msg as WebhookDeliveryMsg);
  }

  view(): DeliveryView {
    const got = this.send({ type: 'getDelivery', endpointId: ENDPOINT, by: ADMIN });
    return (got.reply as { delivery: DeliveryView }).delivery;
  }
}

const failed500 = { outcome: 'failed', reason: 'http', status: 500, detail: 'HTTP 500', durationMs: 12 } as const;

function logTells(effects: readonly Effect[]): { type: string }[] {
  return effects.flatMap((e) => (e.type === 'tell' && e.to.kind === 'webhook-log' ? [e.msg as { type: string }] : []));
}

describe('webhook-delivery actor', () => {
  it('asks the endpoints actor, then sends through the port, then is delivered', () => {
    const d = new Driver();
    d.start();
    expect(d.last.reply).toEqual({ ok: true, started: true });
    expect(d.effects()).toEqual([
      {
        type: 'ask',
        to: webhookEndpointsAddress(ORG),
        msg: { type: 'prepareAttempt', endpointId: ENDPOINT, deliveryId: DELIVERY_ID },
        replyType: 'attemptPrepared',
        callId: '1.1',
      },
    ]);
    d.prepared();
    expect(d.effects()).toEqual([
      {
        type: 'callPort',
        port: 'webhooks-out',
        operation: 'deliver',
        input: {
          orgId: ORG,
          endpointId: ENDPOINT,
          deliveryId: DELIVERY_ID,
          attempt: 1,
          url: PREPARED.url,
          secrets: PREPARED.secrets,
          event: EVENT,
        } satisfies WebhookDeliveryRequest,
        resultType: 'attemptResult',
        callId: '1.1',
      },
    ]);
    d.nowMs += 40;
    d.result({ outcome: 'delivered', status: 204, durationMs: 35 });
    expect(d.state).toMatchObject({ status: 'delivered', settledAtMs: T0 + 40, attemptCount: 1, inFlight: null });
    expect(d.effects()).toEqual([
      {
        type: 'tell',
        to: webhookLogAddress(ORG, ENDPOINT),
        msg: {
          type: 'attemptRecorded',
          entry: {
            deliveryId: DELIVERY_ID,
            eventId: 'evt_1',
            eventType: 'conversation.assigned',
            attempt: 1,
            round: 1,
            atMs: T0 + 40,
            outcome: 'delivered',
            status: 204,
            reason: null,
            detail: null,
            durationMs: 35,
            deliveryStatus: 'delivered',
            nextAttemptAtMs: null,
          },
        },
      },
      {
        type: 'setTimer',
        name: 'expire',
        dueAtMs: T0 + 40 + DEFAULT_DELIVERY_POLICY.settledRetentionMs,
        msg: { type: 'deliveryExpired' },
      },
    ]);
  });

  it('starts once: the same event published again changes nothing', () => {
    const d = new Driver();
    d.start();
    const before = d.state;
    d.start();
    expect(d.last.reply).toEqual({ ok: true, started: false });
    expect(d.state).toBe(before);
    expect(d.effects()).toEqual([]);
  });

  it('retries with exponential backoff and ignores stale answers', () => {
    const d = new Driver();
    d.start();
    d.prepared();
    const firstCall = d.effect('callPort');
    d.result(failed500);
    const timer = d.effect('setTimer');
    expect(timer.dueAtMs).toBe(T0 + retryDelayMs(DEFAULT_DELIVERY_POLICY, DELIVERY_ID, 1, 1));
    expect(timer.msg).toEqual({ type: 'retryDue', callId: '1.2' });
    expect(d.state).toMatchObject({ status: 'pending', nextAttemptAtMs: timer.dueAtMs, roundAttempts: 1 });
    expect(logTells(d.effects())).toEqual([
      expect.objectContaining({
        type: 'attemptRecorded',
        entry: expect.objectContaining({ outcome: 'failed', status: 500, deliveryStatus: 'pending' }),
      }),
    ]);
    // A late duplicate of the first result is ignored.
    const before = d.state;
    d.send({
      type: 'attemptResult',
      callId: firstCall.callId,
      result: { outcome: 'delivered', status: 200, durationMs: 1 },
    });
    expect(d.state).toBe(before);
    // A stale timer message is ignored too.
    d.send({ type: 'retryDue', callId: '1.9' });
    expect(d.state).toBe(before);
    d.nowMs = timer.dueAtMs;
    d.send(timer.msg as WebhookDeliveryMsg);
    expect(d.effect('ask').callId).toBe('1.2');
    d.prepared();
    expect((d.effect('callPort').input as WebhookDeliveryRequest).attempt).toBe(2);
    d.result({ outcome: 'delivered', status: 200, durationMs: 3 });
    expect(d.view()).toMatchObject({ status: 'delivered', attemptCount: 2, round: 1 });
    expect(d.view().attempts.map((a) => [a.attempt, a.outcome, a.status])).toEqual([
      [1, 'failed', 500],
      [2, 'delivered', 200],
    ]);
  });

  it('dies when the next attempt would fall after 24 h, and says so to the log', () => {
    const d = new Driver();
    d.start();
    const due: number[] = [];
    for (;;) {
      d.prepared();
      d.result(failed500);
      if (d.state.status === 'dead') break;
      due.push(d.effect('setTimer').dueAtMs);
      d.fireRetry();
    }
    expect(due.every((t) => t <= T0 + DAY)).toBe(true);
    expect(d.state.settledAtMs).toBeLessThanOrEqual(T0 + DAY);
    expect(d.state.attemptCount).toBe(due.length + 1);
    expect(d.state.attemptCount).toBeGreaterThanOrEqual(27);
    expect(logTells(d.effects()).map((m) => m.type)).toEqual(['attemptRecorded', 'deadLettered']);
    expect(logTells(d.effects())[1]).toEqual({
      type: 'deadLettered',
      entry: {
        deliveryId: DELIVERY_ID,
        eventId: 'evt_1',
        eventType: 'conversation.assigned',
        round: 1,
        deadAtMs: d.nowMs,
        attemptCount: d.state.attemptCount,
        lastError: 'HTTP 500',
      },
    });
    expect(d.effect('setTimer')).toMatchObject({
      name: 'expire',
      dueAtMs: d.nowMs + DEFAULT_DELIVERY_POLICY.deadRetentionMs,
    });
  });

  it('replays a dead delivery with a fresh window and the same event', () => {
    const d = new Driver(T0, createWebhookDeliveryActor({ ...DEFAULT_DELIVERY_POLICY, retryWindowMs: 0 }));
    d.start();
    d.prepared();
    d.result(failed500);
    expect(d.state.status).toBe('dead');
    d.nowMs = T0 + 3 * DAY;
    expect(d.send({ type: 'replayDelivery', endpointId: 'we_other', by: ADMIN }).reply).toMatchObject({
      code: 'PARLO_WEBHOOK_DELIVERY_NOT_FOUND',
    });
    expect(
      d.send({ type: 'replayDelivery', endpointId: ENDPOINT, by: { kind: 'user', userId: 'u', role: 'manager' } })
        .reply,
    ).toMatchObject({ code: 'PARLO_ACCESS_FORBIDDEN' });
    d.send({ type: 'replayDelivery', endpointId: ENDPOINT, by: ADMIN });
    expect(d.last.reply).toEqual({ ok: true, deliveryId: DELIVERY_ID, round: 2 });
    expect(d.state).toMatchObject({ status: 'pending', round: 2, windowStartMs: T0 + 3 * DAY, roundAttempts: 0 });
    expect(d.effects()).toEqual([
      { type: 'cancelTimer', name: 'expire' },
      {
        type: 'tell',
        to: webhookLogAddress(ORG, ENDPOINT),
        msg: { type: 'deadLetterCleared', deliveryId: DELIVERY_ID, round: 2 },
      },
      expect.objectContaining({ type: 'ask', callId: '2.1' }),
    ]);
    d.prepared();
    const input = d.effect('callPort').input as WebhookDeliveryRequest;
    expect(input).toMatchObject({ attempt: 2, event: EVENT });
    d.result({ outcome: 'delivered', status: 200, durationMs: 2 });
    expect(d.view()).toMatchObject({ status: 'delivered', round: 2, attemptCount: 2 });
    expect(d.send({ type: 'replayDelivery', endpointId: ENDPOINT, by: ADMIN }).reply).toMatchObject({
      code: 'PARLO_WEBHOOK_DELIVERY_NOT_DEAD',
    });
  });

  it('on 410 Gone tells the endpoints actor and dies at once', () => {
    const d = new Driver();
    d.start();
    d.prepared();
    d.result({ outcome: 'failed', reason: 'http', status: 410, detail: 'HTTP 410', durationMs: 5 });
    expect(d.state.status).toBe('dead');
    expect(d.effects()[0]).toEqual({
      type: 'tell',
      to: webhookEndpointsAddress(ORG),
      msg: { type: 'endpointGone', endpointId: ENDPOINT, deliveryId: DELIVERY_ID },
    });
    expect(logTells(d.effects()).map((m) => m.type)).toEqual(['attemptRecorded', 'deadLettered']);
  });

  it('is cancelled when the endpoint was deleted, and skips (but counts) attempts while it is disabled', () => {
    const deleted = new Driver();
    deleted.start();
    deleted.prepared({ ok: false, code: 'PARLO_WEBHOOK_ENDPOINT_NOT_FOUND', message: 'gone' });
    expect(deleted.state).toMatchObject({ status: 'cancelled', settledAtMs: T0 });
    expect(deleted.effects()).toEqual([expect.objectContaining({ type: 'setTimer', name: 'expire' })]);

    const disabled = new Driver();
    disabled.start();
    disabled.prepared({ ...PREPARED, enabled: false });
    expect(disabled.effects().some((e) => e.type === 'callPort')).toBe(false);
    expect(disabled.state.attempts).toEqual([
      expect.objectContaining({ outcome: 'failed', reason: 'disabled', status: null }),
    ]);
    expect(disabled.effect('setTimer').name).toBe('retry');
  });

  it('treats a port that threw, or an ask that failed, as a failed attempt', () => {
    const d = new Driver();
    d.start();
    d.prepared();
    d.result({ ok: false, code: 'PARLO_PORT_FAILED', message: 'webhooks-out.deliver threw: boom' });
    expect(d.state.attempts.at(-1)).toMatchObject({
      reason: 'internal',
      detail: 'PARLO_PORT_FAILED: webhooks-out.deliver threw: boom',
    });
    d.fireRetry();
    const ask = d.effect('ask');
    d.send({
      type: 'attemptPrepared',
      callId: ask.callId,
      reply: { ok: false, code: 'PARLO_HANDLER_FAILED', message: 'x' },
    });
    expect(d.state.attempts.at(-1)).toMatchObject({ reason: 'internal', detail: 'PARLO_HANDLER_FAILED: x' });
    expect(d.state.status).toBe('pending');
  });

  it('is forgotten after its retention (the runtime then deletes the stored state)', () => {
    const d = new Driver(T0, createWebhookDeliveryActor({ ...DEFAULT_DELIVERY_POLICY, retryWindowMs: 0 }));
    d.start();
    d.prepared();
    d.result(failed500);
    d.send({ type: 'deliveryExpired' });
    expect(d.state).toEqual(initialWebhookDeliveryState());
    expect(webhookDeliveryActor.isEmpty?.(d.state)).toBe(true);
    expect(d.effects()).toEqual([
      {
        type: 'tell',
        to: webhookLogAddress(ORG, ENDPOINT),
        msg: { type: 'deadLetterCleared', deliveryId: DELIVERY_ID, round: 2 },
      },
    ]);
    expect(d.send({ type: 'getDelivery', endpointId: ENDPOINT, by: ADMIN }).reply).toMatchObject({
      code: 'PARLO_WEBHOOK_DELIVERY_NOT_FOUND',
    });
  });

  it('keeps a bounded list of attempts while counting them all', () => {
    const d = new Driver(
      T0,
      createWebhookDeliveryActor({ ...DEFAULT_DELIVERY_POLICY, initialDelayMs: 1, maxDelayMs: 1 }),
    );
    d.start();
    for (let i = 0; i < 60; i++) {
      d.prepared();
      d.result(failed500);
      d.fireRetry();
    }
    expect(d.state.attemptCount).toBe(60);
    expect(d.state.attempts).toHaveLength(50);
    expect(d.state.attempts[0]?.attempt).toBe(11);
  });
});
