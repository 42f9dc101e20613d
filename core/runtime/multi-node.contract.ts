import { afterEach, describe, expect, it } from 'vitest';
import { counterActor, type CounterState } from '../testing/actors/counter.actor.ts';
import { startTwoNodes, type TestNode } from '../testing/two-nodes.ts';
import type { Transport } from '../transport/transport.port.ts';

async function eventually<T>(
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value ${JSON.stringify(last)}`);
}

/**
 * Two nodes, each owning half of the partitions and its own LMDB, over one transport. Nothing in the runtime may
 * assume a single process: asks, tells and tell effects reach actors on the other node, exactly once.
 */
export function describeMultiNodeRuntime(
  name: string,
  makeConnect: () => (nodeId: string) => Promise<Transport>,
): void {
  describe(`ActorSystem across two nodes (${name})`, () => {
    let nodes: Awaited<ReturnType<typeof startTwoNodes>> | undefined;
    afterEach(async () => {
      await nodes?.stop();
      nodes = undefined;
    });
    const get = (node: TestNode, id: string): Promise<CounterState> =>
      node.system.ask<CounterState>({ kind: 'counter', id }, { type: 'get' });

    it('answers an ask from the node that owns the actor; the state lives only in the owner’s LMDB', async () => {
      nodes = await startTwoNodes([counterActor], makeConnect());
      const onB = nodes.idOn(nodes.b, 'counter', 'remote');
      expect(await nodes.a.system.ask({ kind: 'counter', id: onB }, { type: 'increment', by: 5 })).toBe(5);
      expect(
        await nodes.a.system.ask({ kind: 'counter', id: onB }, { type: 'increment', by: 1 }, { msgId: 'once' }),
      ).toBe(6);
      expect(
        await nodes.a.system.ask({ kind: 'counter', id: onB }, { type: 'increment', by: 1 }, { msgId: 'once' }),
      ).toBe(6);
      expect((await get(nodes.b, onB)).total).toBe(6);
      expect(nodes.b.store.readState('counter', onB)).toBeDefined();
      expect(nodes.a.store.readState('counter', onB)).toBeUndefined();
    });

    it('delivers a tell effect to an actor on the other node exactly once and clears the sender’s outbox', async () => {
      nodes = await startTwoNodes([counterActor], makeConnect());
      const onA = nodes.idOn(nodes.a, 'counter', 'sender');
      const onB = nodes.idOn(nodes.b, 'counter', 'receiver');
      for (let i = 0; i < 20; i++) {
        await nodes.a.system.ask({ kind: 'counter', id: onA }, { type: 'forward', to: onB, by: 1 });
      }
      const state = await eventually(
        () => get(nodes!.b, onB),
        (s) => s.increments >= 20,
        'the 20 forwarded increments',
      );
      expect(state.increments).toBe(20);
      await eventually(
        async () => nodes!.a.store.outboxSize(),
        (size) => size === 0,
        "the sender's outbox to empty",
      );
    });

    it('asks an actor on the other node as an effect and gets the reply back as a message', async () => {
      nodes = await startTwoNodes([counterActor], makeConnect());
      const onA = nodes.idOn(nodes.a, 'counter', 'asker');
      const onB = nodes.idOn(nodes.b, 'counter', 'asked');
      await nodes.a.system.ask({ kind: 'counter', id: onA }, { type: 'bumpOther', other: onB });
      const asker = await eventually(
        () => get(nodes!.a, onA),
        (s) => (s.answers?.length ?? 0) >= 1,
        'the reply message',
      );
      expect(asker.answers).toEqual([{ ok: true, value: 1 }]);
      expect((await get(nodes.b, onB)).total).toBe(1);
      await eventually(
        async () => nodes!.a.store.outboxSize(),
        (size) => size === 0,
        "the asker's outbox to empty",
      );
    });

    it('resolves a durable tell to the other node and applies it once under a re-sent message id', async () => {
      nodes = await startTwoNodes([counterActor], makeConnect());
      const onB = nodes.idOn(nodes.b, 'counter', 'told');
      await nodes.a.system.tell({ kind: 'counter', id: onB }, { type: 'increment', by: 2 }, { msgId: 't-1' });
      await nodes.a.system.tell({ kind: 'counter', id: onB }, { type: 'increment', by: 2 }, { msgId: 't-1' });
      await nodes.a.system.tell({ kind: 'counter', id: onB }, { type: 'increment', by: 3 }, { msgId: 't-2' });
      const state = await eventually(
        () => get(nodes!.b, onB),
        (s) => s.total >= 5,
        'both tells',
      );
      expect(state.total).toBe(5);
      expect(state.increments).toBe(2);
    });
  });
}
