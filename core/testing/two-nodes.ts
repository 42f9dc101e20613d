import { partitionOf } from '../address/partition.ts';
import { silentLogger } from '../log/logger.ts';
import { InMemoryMetrics } from '../metrics/metrics.ts';
import type { AnyActorDefinition } from '../runtime/define-actor.ts';
import { ActorSystem } from '../runtime/system.ts';
import { RuntimeStore } from '../store/runtime-store.ts';
import { SystemClock } from '../time/clock.ts';
import type { Transport } from '../transport/transport.port.ts';
import { makeTempDir } from './temp-dir.ts';

export const TWO_NODE_PARTITIONS = 16;

export interface TestNode {
  readonly system: ActorSystem;
  readonly store: RuntimeStore;
  readonly transport: Transport;
  readonly partitions: readonly number[];
}

/** Two ActorSystems, each with its own LMDB, splitting the partitions in half over the given transports. */
export async function startTwoNodes(
  definitions: readonly AnyActorDefinition[],
  connect: (nodeId: string) => Promise<Transport>,
): Promise<{
  a: TestNode;
  b: TestNode;
  idOn(node: TestNode, kind: string, prefix: string): string;
  stop(): Promise<void>;
}> {
  const dirs = [makeTempDir('parlo-node-a-'), makeTempDir('parlo-node-b-')];
  const half = TWO_NODE_PARTITIONS / 2;
  const make = async (nodeId: string, dir: string, partitions: number[]): Promise<TestNode> => {
    const store = RuntimeStore.open(dir);
    const transport = await connect(nodeId);
    const system = new ActorSystem({
      nodeId,
      definitions,
      store,
      transport,
      clock: new SystemClock(),
      logger: silentLogger(),
      metrics: new InMemoryMetrics(),
      partitionCount: TWO_NODE_PARTITIONS,
      ownedPartitions: partitions,
    });
    await system.start();
    return { system, store, transport, partitions };
  };
  const a = await make(
    'node-a',
    dirs[0]!.path,
    Array.from({ length: half }, (_, i) => i),
  );
  const b = await make(
    'node-b',
    dirs[1]!.path,
    Array.from({ length: half }, (_, i) => i + half),
  );
  return {
    a,
    b,
    /** The first id `<prefix><n>` whose actor lives on `node`. */
    idOn(node, kind, prefix) {
      for (let n = 0; ; n++) {
        const id = `${prefix}${n}`;
        if (node.partitions.includes(partitionOf(`${kind}:${id}`, TWO_NODE_PARTITIONS))) return id;
      }
    },
    async stop() {
      for (const node of [a, b]) {
        await node.system.stop();
        await node.transport.close();
        await node.store.close();
      }
      for (const dir of dirs) dir.remove();
    },
  };
}
