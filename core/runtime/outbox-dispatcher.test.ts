import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.ts';
import { InMemoryMetrics, RUNTIME_METRICS } from '../metrics/metrics.ts';
import type { OutboxEffect } from '../store/runtime-store.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import type { Delivery } from './activation.ts';
import { OutboxDispatcher, type OutboxItem } from './outbox-dispatcher.ts';

/** The dispatcher alone, with every dependency recorded: which port calls it makes and what it delivers. */
function harness(): {
  dispatcher: OutboxDispatcher;
  metrics: InMemoryMetrics;
  calls: unknown[];
  delivered: { to: string; delivery: Delivery }[];
} {
  const metrics = new InMemoryMetrics();
  const calls: unknown[] = [];
  const delivered: { to: string; delivery: Delivery }[] = [];
  const dispatcher = new OutboxDispatcher({
    clock: new FakeClock(),
    logger: silentLogger(),
    metrics,
    ports: {
      wa: {
        send: (input) => {
          calls.push(input);
          return Promise.resolve({ ok: true, value: 'sent' });
        },
      },
    },
    isLocal: () => true,
    deliverLocal: (to, delivery) => {
      delivered.push({ to, delivery });
      return undefined;
    },
    sendRemote: () => Promise.reject(new Error('no remote nodes in this test')),
    request: () => Promise.reject(new Error('no asks in this test')),
    publish: () => undefined,
    removeOutbox: () => undefined,
    dispatched: () => undefined,
    isRunning: () => true,
  });
  return { dispatcher, metrics, calls, delivered };
}

function callItem(onReplay: 'call' | 'interrupt' | undefined, replayed: boolean): OutboxItem {
  const effect: OutboxEffect = {
    type: 'callPort',
    port: 'wa',
    operation: 'send',
    input: 'hello',
    resultType: 'sendSettled',
    callId: 'c1',
    ...(onReplay === undefined ? {} : { onReplay }),
  };
  return { seq: 7, from: 'sender:alice', id: 'env.1.7', effect, ...(replayed ? { replayed } : {}) };
}

describe('OutboxDispatcher callPort onReplay', () => {
  it("does not call the port for a replayed 'interrupt' entry and delivers PARLO_PORT_CALL_INTERRUPTED", async () => {
    const { dispatcher, metrics, calls, delivered } = harness();
    dispatcher.enqueue([callItem('interrupt', true)]);
    await settle();
    await dispatcher.whenIdle();
    expect(calls).toEqual([]);
    expect(delivered).toEqual([
      {
        to: 'sender:alice',
        delivery: {
          msg: {
            type: 'sendSettled',
            callId: 'c1',
            result: {
              ok: false,
              code: 'PARLO_PORT_CALL_INTERRUPTED',
              message: 'wa.send was in flight when the node stopped; its outcome is unknown',
            },
          },
          msgId: 'env.1.7:r',
          outboxSeq: 7,
        },
      },
    ]);
    const counters = metrics.snapshot().counters;
    expect(counters[RUNTIME_METRICS.portCallsInterrupted]).toBe(1);
    expect(counters[RUNTIME_METRICS.portCalls]).toBeUndefined();
  });

  it.each([
    ['live, interrupt', 'interrupt', false],
    ['replayed, call', 'call', true],
    ['replayed, absent (entries written before the field existed)', undefined, true],
    ['live, absent', undefined, false],
  ] as const)('calls the port (%s)', async (_name, onReplay, replayed) => {
    const { dispatcher, metrics, calls, delivered } = harness();
    dispatcher.enqueue([callItem(onReplay, replayed)]);
    await settle();
    await dispatcher.whenIdle();
    expect(calls).toEqual(['hello']);
    expect(delivered.map((d) => d.delivery)).toEqual([
      {
        msg: { type: 'sendSettled', callId: 'c1', result: { ok: true, value: 'sent' } },
        msgId: 'env.1.7:r',
        outboxSeq: 7,
      },
    ]);
    const counters = metrics.snapshot().counters;
    expect(counters[RUNTIME_METRICS.portCalls]).toBe(1);
    expect(counters[RUNTIME_METRICS.portCallsInterrupted]).toBeUndefined();
  });
});
