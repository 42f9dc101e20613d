import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SecretBox, type WebhookDeliveryRequest } from '../../core/index.ts';
import { MemoryWebhookSender } from '../../core/testing/memory-webhook-sender.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../core/testing/runtime-fixture.ts';
import { DEFAULT_DELIVERY_POLICY, deliveryIdOf, retryDelayMs } from './retry.ts';
import type { WebhookCaller } from './webhook-caller.ts';
import { createWebhookDeliveryActor } from './webhook-delivery.actor.ts';
import {
  webhookDeliveryAddress,
  type DeliveryView,
  type WebhookDeliveryMsg,
  type WebhookDeliveryReply,
} from './webhook-delivery.messages.ts';
import { webhookEndpointsActor } from './webhook-endpoints.actor.ts';
import type {
  EndpointView,
  EventFilter,
  WebhookEndpointsMsg,
  WebhookEndpointsReply,
} from './webhook-endpoints.messages.ts';
import {
  webhookEndpointsAddress,
  webhookEventMessage,
  webhookEventMsgId,
  type AnyWebhookEvent,
} from './webhook-events.ts';
import { webhookLogActor } from './webhook-log.actor.ts';
import { webhookLogAddress, type WebhookLogMsg, type WebhookLogReply } from './webhook-log.messages.ts';

/**
 * The webhook actors on the real runtime (LMDB in a temp dir, durable timers on a fake clock) with the in-memory
 * sender double as the port: fan-out by filter, the retry schedule, 24 h to the dead-letter list, replay, secret
 * rotation ending by its timer, and a restart in the middle of a retry schedule.
 */

const ORG = '0123456789abcdef';
const ADMIN: WebhookCaller = { kind: 'user', userId: 'usr-admin', role: 'admin' };
const SECOND = 1000;
const HOUR = 3600 * SECOND;

const box = SecretBox.fromText(SecretBox.generateKeyText());
let fixture: RuntimeFixture;
let sender: MemoryWebhookSender;

beforeEach(async () => {
  // The port closes over `fixture`, which restart() keeps (it replaces the system inside it).
  sender = new MemoryWebhookSender({ open: (s, c) => box.open(s, c), now: () => fixture.clock.now() });
  fixture = await startRuntimeFixture({
    definitions: [webhookEndpointsActor, createWebhookDeliveryActor(DEFAULT_DELIVERY_POLICY), webhookLogActor],
    ports: { 'webhooks-out': { deliver: (input) => sender.deliver(input as WebhookDeliveryRequest) } },
  });
});

afterEach(async () => {
  await fixture.dispose();
});

// ---------------------------------------------------------------- helpers

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last instanceof Error ? `: ${last.message}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function endpoints<T extends WebhookEndpointsMsg['type']>(msg: Extract<WebhookEndpointsMsg, { type: T }>) {
  return fixture.system.ask<WebhookEndpointsReply<T>>(webhookEndpointsAddress(ORG), msg);
}

function delivery<T extends WebhookDeliveryMsg['type']>(
  deliveryId: string,
  msg: Extract<WebhookDeliveryMsg, { type: T }>,
) {
  return fixture.system.ask<WebhookDeliveryReply<T>>(webhookDeliveryAddress(ORG, deliveryId), msg);
}

function log<T extends WebhookLogMsg['type']>(endpointId: string, msg: Extract<WebhookLogMsg, { type: T }>) {
  return fixture.system.ask<WebhookLogReply<T>>(webhookLogAddress(ORG, endpointId), msg);
}

const sealedSecret = (endpointId: string, secretId: string, plaintext: string) => ({
  secretId,
  sealed: box.seal(plaintext, `webhook:${ORG}:${endpointId}:${secretId}`),
});

async function createEndpoint(endpointId: string, events: EventFilter = null, enabled = true): Promise<EndpointView> {
  const reply = await endpoints<'createEndpoint'>({
    type: 'createEndpoint',
    endpointId,
    url: `https://hooks.example.com/${endpointId}`,
    description: '',
    events,
    enabled,
    secret: sealedSecret(endpointId, 'ws_1', `whsec_${endpointId}_1`),
    by: ADMIN,
  });
  if (!reply.ok) throw new Error(reply.message);
  return reply.endpoint;
}

function resolvedEvent(id: string): AnyWebhookEvent {
  return {
    id,
    type: 'conversation.resolved',
    orgId: ORG,
    occurredAtMs: fixture.clock.now(),
    data: { conversationId: 'c1', phoneNumberId: '100000000000002', contactWaId: '15551234567', resolvedBy: 'usr-op' },
  };
}

function optedOutEvent(id: string): AnyWebhookEvent {
  return {
    id,
    type: 'contact.opted_out',
    orgId: ORG,
    occurredAtMs: fixture.clock.now(),
    data: { contactId: 'ct1', waId: '15551234567', phoneNumberId: null, source: 'keyword', keyword: 'STOP' },
  };
}

async function publish(event: AnyWebhookEvent, msgId = webhookEventMsgId(event)): Promise<void> {
  await fixture.system.tell(webhookEndpointsAddress(ORG), webhookEventMessage(event), { msgId });
}

async function view(endpointId: string, eventId: string): Promise<DeliveryView> {
  const reply = await delivery<'getDelivery'>(deliveryIdOf(endpointId, eventId), {
    type: 'getDelivery',
    endpointId,
    by: ADMIN,
  });
  if (!reply.ok) throw new Error(reply.message);
  return reply.delivery;
}

/** Waits until the delivery has made `attempts` attempts and is between attempts (or settled). */
async function afterAttempt(endpointId: string, eventId: string, attempts: number): Promise<DeliveryView> {
  return eventually(`attempt ${attempts} of ${eventId} → ${endpointId}`, async () => {
    const v = await view(endpointId, eventId);
    return v.attemptCount >= attempts && (v.status !== 'pending' || v.nextAttemptAtMs !== null) ? v : undefined;
  });
}

// ---------------------------------------------------------------- tests

describe('webhook actors on the runtime', () => {
  it('fans an event out by filter to enabled endpoints only, once per endpoint even when published twice', async () => {
    await createEndpoint('we_all');
    await createEndpoint('we_conv', ['conversation.resolved', 'conversation.assigned']);
    await createEndpoint('we_off', null, false);
    const resolved = resolvedEvent('evt_resolved');
    await publish(resolved);
    await publish(resolved, 'another-message-id'); // a re-emit under another message id
    await publish(optedOutEvent('evt_optout'));
    await eventually('3 sends', async () => (sender.sent.length >= 3 ? true : undefined));
    await fixture.system.whenIdle();
    expect(sender.sent.map((s) => `${s.request.endpointId} ${s.request.event.id}`).sort()).toEqual([
      'we_all evt_optout',
      'we_all evt_resolved',
      'we_conv evt_resolved',
    ]);
    for (const s of sender.sent) expect(s.headers['parlo-event-id']).toBe(s.request.event.id);
    expect((await view('we_conv', 'evt_resolved')).status).toBe('delivered');
  });

  it('retries on the exponential schedule and delivers once, with the same event id every time', async () => {
    await createEndpoint('we_1');
    sender.answerNext(500, 503, 'down', 'timeout');
    const t0 = fixture.clock.now();
    await publish(resolvedEvent('evt_retry'));
    let v = await afterAttempt('we_1', 'evt_retry', 1);
    for (let attempt = 2; attempt <= 5; attempt++) {
      const due = v.nextAttemptAtMs ?? 0;
      expect(due - fixture.clock.now()).toBe(retryDelayMs(DEFAULT_DELIVERY_POLICY, v.deliveryId, 1, attempt - 1));
      await fixture.clock.advanceTo(due);
      v = await afterAttempt('we_1', 'evt_retry', attempt);
    }
    expect(v.status).toBe('delivered');
    const attempts = sender.attempts();
    expect(attempts.map((a) => a.request.attempt)).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(attempts.map((a) => a.request.event.id))).toEqual(new Set(['evt_retry']));
    // 10 s, 20 s, 40 s, 80 s (±20 % jitter) after one another.
    const gaps = attempts.slice(1).map((a, i) => a.atMs - (attempts[i]?.atMs ?? t0));
    gaps.forEach((gap, i) => {
      const base = 10 * SECOND * 2 ** i;
      expect(gap).toBeGreaterThanOrEqual(base * 0.8);
      expect(gap).toBeLessThanOrEqual(base * 1.2);
    });
    expect(sender.sent).toHaveLength(3); // 500, 503 and the 200 reached the receiver; down and timeout did not
    const logged = await log<'listAttempts'>('we_1', { type: 'listAttempts', by: ADMIN });
    expect(logged.ok && logged.entries.map((e) => [e.attempt, e.outcome, e.reason])).toEqual([
      [5, 'delivered', null],
      [4, 'failed', 'timeout'],
      [3, 'failed', 'network'],
      [2, 'failed', 'http'],
      [1, 'failed', 'http'],
    ]);
  });

  it('dead-letters after 24 h of failures, then a replay delivers it (and replay-all does too)', async () => {
    await createEndpoint('we_down');
    sender.respondWith(503);
    const t0 = fixture.clock.now();
    await publish(resolvedEvent('evt_a'));
    await publish(resolvedEvent('evt_b'));
    for (const id of ['evt_a', 'evt_b']) {
      let v = await afterAttempt('we_down', id, 1);
      while (v.status === 'pending') {
        await fixture.clock.advanceTo(Math.max(fixture.clock.now(), v.nextAttemptAtMs ?? 0));
        v = await afterAttempt('we_down', id, v.attemptCount + 1);
      }
      expect(v.status).toBe('dead');
      expect(v.settledAtMs).toBeLessThanOrEqual(t0 + 24 * HOUR + 2 * HOUR);
      expect(v.attemptCount).toBeGreaterThanOrEqual(27);
    }
    const listed = await eventually('two dead letters', async () => {
      const reply = await log<'listDeadLetters'>('we_down', { type: 'listDeadLetters', by: ADMIN });
      return reply.ok && reply.entries.length === 2 ? reply.entries : undefined;
    });
    expect(listed.map((e) => [e.eventId, e.round, e.lastError])).toEqual(
      expect.arrayContaining([
        ['evt_a', 1, 'HTTP 503'],
        ['evt_b', 1, 'HTTP 503'],
      ]),
    );

    sender.respondWith(200);
    const replayed = await delivery<'replayDelivery'>(deliveryIdOf('we_down', 'evt_a'), {
      type: 'replayDelivery',
      endpointId: 'we_down',
      by: ADMIN,
    });
    expect(replayed).toMatchObject({ ok: true, round: 2 });
    const a = await afterAttempt('we_down', 'evt_a', listed.find((e) => e.eventId === 'evt_a')!.attemptCount + 1);
    expect(a).toMatchObject({ status: 'delivered', round: 2 });
    const all = await log<'replayDeadLetters'>('we_down', {
      type: 'replayDeadLetters',
      endpointId: 'we_down',
      by: ADMIN,
    });
    expect(all).toMatchObject({ ok: true, replayed: 1 });
    await eventually('evt_b delivered', async () =>
      (await view('we_down', 'evt_b')).status === 'delivered' ? true : undefined,
    );
    await eventually('no dead letters left', async () => {
      const reply = await log<'listDeadLetters'>('we_down', { type: 'listDeadLetters', by: ADMIN });
      return reply.ok && reply.entries.length === 0 ? true : undefined;
    });
    const delivered = sender.sent.filter((s) => s.request.event.id === 'evt_a').at(-1);
    expect(delivered?.headers['parlo-event-id']).toBe('evt_a');
  });

  it('signs with both secrets during a rotation, and with the new one only once the overlap timer fired', async () => {
    await createEndpoint('we_rot');
    const rotated = await endpoints<'rotateSecret'>({
      type: 'rotateSecret',
      endpointId: 'we_rot',
      secret: sealedSecret('we_rot', 'ws_2', 'whsec_we_rot_2'),
      overlapMs: HOUR,
      by: ADMIN,
    });
    expect(rotated.ok && rotated.endpoint.secrets.map((s) => s.secretId)).toEqual(['ws_2', 'ws_1']);
    await publish(resolvedEvent('evt_during'));
    await eventually('first send', async () => (sender.sent.length === 1 ? true : undefined));
    expect(sender.sent[0]?.headers['parlo-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/);

    await fixture.clock.advance(HOUR);
    const after = await eventually('old secret gone', async () => {
      const reply = await endpoints<'getEndpoint'>({ type: 'getEndpoint', endpointId: 'we_rot', by: ADMIN });
      return reply.ok && reply.endpoint.secrets.length === 1 ? reply.endpoint : undefined;
    });
    expect(after.secrets.map((s) => s.secretId)).toEqual(['ws_2']);
    await publish(resolvedEvent('evt_after'));
    await eventually('second send', async () => (sender.sent.length === 2 ? true : undefined));
    expect(sender.sent[1]?.headers['parlo-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  it('keeps a retry schedule across a restart (durable timer, state in LMDB)', async () => {
    await createEndpoint('we_restart');
    sender.answerNext(500);
    await publish(resolvedEvent('evt_restart'));
    const first = await afterAttempt('we_restart', 'evt_restart', 1);
    await fixture.restart();
    await fixture.clock.advanceTo(first.nextAttemptAtMs ?? 0);
    const second = await afterAttempt('we_restart', 'evt_restart', 2);
    expect(second.status).toBe('delivered');
    expect(sender.sent.map((s) => s.request.attempt)).toEqual([1, 2]);
  });
});
