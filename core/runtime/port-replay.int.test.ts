import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../log/logger.ts';
import { InMemoryMetrics, RUNTIME_METRICS } from '../metrics/metrics.ts';
import { RuntimeStore } from '../store/runtime-store.ts';
import { eventually } from '../testing/eventually.ts';
import { FakeClock, settle } from '../testing/fake-clock.ts';
import { makeTempDir } from '../testing/temp-dir.ts';
import { InProcessHub } from '../transport/in-process.ts';
import type { Transport } from '../transport/transport.port.ts';
import { defineActor, unreachable, type PortReplayPolicy } from './define-actor.ts';
import type { Ports } from './ports.ts';
import { ActorSystem } from './system.ts';

/**
 * `callPort` with `onReplay: 'interrupt'`: a call left in the outbox by an earlier run is not made again after a
 * restart; the actor gets PARLO_PORT_CALL_INTERRUPTED as its result. Without the field the call is replayed
 * (at-least-once). Real LMDB in a temp dir, systems stopped and started on the same data.
 */

interface SenderState {
  readonly results: readonly unknown[];
}

type SenderMsg =
  | { readonly type: 'send'; readonly text: string; readonly onReplay?: PortReplayPolicy }
  | { readonly type: 'sendSettled'; readonly callId: string; readonly result: unknown }
  | { readonly type: 'get' };

const sender = defineActor<SenderState, SenderMsg>({
  kind: 'sender',
  stateVersion: 1,
  initialState: () => ({ results: [] }),
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'send':
        return {
          state,
          effects: [
            {
              type: 'callPort',
              port: 'wa',
              operation: 'send',
              input: msg.text,
              resultType: 'sendSettled',
              callId: ctx.newId(),
              ...(msg.onReplay === undefined ? {} : { onReplay: msg.onReplay }),
            },
          ],
        };
      case 'sendSettled':
        return { state: { results: [...state.results, msg.result] } };
      case 'get':
        return { state, reply: state };
      default:
        return unreachable(msg);
    }
  },
});

const ALICE = { kind: 'sender', id: 'alice' };
const INTERRUPTED = {
  ok: false,
  code: 'PARLO_PORT_CALL_INTERRUPTED',
  message: 'wa.send was in flight when the node stopped; its outcome is unknown',
};

/** One run of a node on `dataDir`. */
interface Node {
  readonly system: ActorSystem;
  readonly store: RuntimeStore;
  readonly metrics: InMemoryMetrics;
  /** Ends the run: `stop` gracefully, `abort` as if the process died. Closes LMDB either way. */
  end(how: 'stop' | 'abort'): Promise<void>;
}

const running: Node[] = [];
const temps: { remove(): void }[] = [];

afterEach(async () => {
  for (const node of running.splice(0)) await node.end('stop');
  for (const temp of temps.splice(0)) temp.remove();
});

function tempDir(): string {
  const temp = makeTempDir('parlo-port-replay-');
  temps.push(temp);
  return temp.path;
}

async function startNode(dataDir: string, ports: Ports): Promise<Node> {
  const store = RuntimeStore.open(dataDir);
  const transport: Transport = new InProcessHub().connect('test-node');
  const metrics = new InMemoryMetrics();
  const system = new ActorSystem({
    nodeId: 'test-node',
    partitionCount: 16,
    definitions: [sender],
    logger: silentLogger(),
    clock: new FakeClock(),
    metrics,
    store,
    transport,
    ports,
  });
  await system.start();
  let ended = false;
  const node: Node = {
    system,
    store,
    metrics,
    async end(how) {
      if (ended) return;
      ended = true;
      running.splice(running.indexOf(node), 1);
      if (how === 'stop') await system.stop();
      else system.abort();
      await transport.close();
      await store.close();
    },
  };
  running.push(node);
  return node;
}

/** A port whose calls never settle: the call is in flight when the node stops. */
function hangingPort(): { ports: Ports; calls: unknown[] } {
  const calls: unknown[] = [];
  const send = (input: unknown): Promise<unknown> => {
    calls.push(input);
    return new Promise(() => undefined);
  };
  return { ports: { wa: { send } }, calls };
}

/** A port that records its calls and accepts each one. */
function recordingPort(): { ports: Ports; calls: unknown[] } {
  const calls: unknown[] = [];
  const send = (input: unknown): Promise<unknown> => {
    calls.push(input);
    return Promise.resolve({ ok: true, value: `sent ${String(input)}` });
  };
  return { ports: { wa: { send } }, calls };
}

async function resultsOf(node: Node, atLeast: number): Promise<readonly unknown[]> {
  const state = await eventually(
    () => node.system.ask<SenderState>(ALICE, { type: 'get' }),
    (s) => s.results.length >= atLeast,
    `${atLeast} sendSettled result(s) at sender:alice after the restart`,
  );
  await settle();
  await node.system.whenIdle();
  return state.results;
}

/** Runs `msgs` on a first node whose port hangs, ends it `how`, and returns its data dir. */
async function leaveCallsInFlight(how: 'stop' | 'abort', msgs: readonly SenderMsg[]): Promise<string> {
  const dataDir = tempDir();
  const hanging = hangingPort();
  const first = await startNode(dataDir, hanging.ports);
  for (const msg of msgs) await first.system.ask(ALICE, msg);
  await eventually(
    () => Promise.resolve(hanging.calls.length),
    (n) => n === msgs.length,
    `${msgs.length} live port call(s) on the first node`,
  );
  // Live calls are unaffected by onReplay: the port was called once for each.
  expect(hanging.calls).toEqual(msgs.map((m) => (m.type === 'send' ? m.text : undefined)));
  expect(first.store.outboxSize()).toBe(msgs.length);
  await first.end(how);
  return dataDir;
}

describe.each(['stop', 'abort'] as const)('a port call in flight when the node ends (%s)', (how) => {
  it("with onReplay 'interrupt' is not repeated: the actor gets PARLO_PORT_CALL_INTERRUPTED once", async () => {
    const dataDir = await leaveCallsInFlight(how, [{ type: 'send', text: 'hello', onReplay: 'interrupt' }]);

    const port = recordingPort();
    const second = await startNode(dataDir, port.ports);
    expect(await resultsOf(second, 1)).toEqual([INTERRUPTED]);
    expect(port.calls).toEqual([]);
    expect(second.store.outboxSize()).toBe(0);
    const counters = second.metrics.snapshot().counters;
    expect(counters[RUNTIME_METRICS.portCallsInterrupted]).toBe(1);
    expect(counters[RUNTIME_METRICS.portCalls]).toBeUndefined();

    // Once only: nothing is left to replay on the next start.
    await second.end('stop');
    const third = await startNode(dataDir, port.ports);
    expect(await resultsOf(third, 1)).toEqual([INTERRUPTED]);
    expect(port.calls).toEqual([]);
    expect(third.metrics.snapshot().counters[RUNTIME_METRICS.portCallsInterrupted]).toBeUndefined();
  });

  it('without onReplay is called again on replay (at-least-once)', async () => {
    const dataDir = await leaveCallsInFlight(how, [{ type: 'send', text: 'hello' }]);

    const port = recordingPort();
    const second = await startNode(dataDir, port.ports);
    expect(await resultsOf(second, 1)).toEqual([{ ok: true, value: 'sent hello' }]);
    expect(port.calls).toEqual(['hello']);
    expect(second.store.outboxSize()).toBe(0);
    expect(second.metrics.snapshot().counters[RUNTIME_METRICS.portCallsInterrupted]).toBeUndefined();
  });
});

describe('replayed port calls of both policies in one outbox', () => {
  it("calls the 'call' entries in outbox order and interrupts the 'interrupt' one", async () => {
    const dataDir = await leaveCallsInFlight('stop', [
      { type: 'send', text: 'default' },
      { type: 'send', text: 'once', onReplay: 'interrupt' },
      { type: 'send', text: 'explicit', onReplay: 'call' },
    ]);

    const port = recordingPort();
    const second = await startNode(dataDir, port.ports);
    const results = await resultsOf(second, 3);
    expect(port.calls).toEqual(['default', 'explicit']);
    expect(results).toHaveLength(3);
    expect(results).toEqual(
      expect.arrayContaining([INTERRUPTED, { ok: true, value: 'sent default' }, { ok: true, value: 'sent explicit' }]),
    );
    expect(second.store.outboxSize()).toBe(0);
    expect(second.metrics.snapshot().counters[RUNTIME_METRICS.portCallsInterrupted]).toBe(1);
  });
});
