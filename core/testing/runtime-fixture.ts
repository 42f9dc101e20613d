import { InMemoryMetrics } from '../metrics/metrics.ts';
import { silentLogger } from '../log/logger.ts';
import type { AnyActorDefinition } from '../runtime/define-actor.ts';
import { ActorSystem, type ActorSystemOptions, type Ports } from '../runtime/system.ts';
import { RuntimeStore } from '../store/runtime-store.ts';
import { InProcessHub } from '../transport/in-process.ts';
import type { Transport } from '../transport/transport.port.ts';
import { FakeClock } from './fake-clock.ts';
import { makeTempDir } from './temp-dir.ts';

export interface RuntimeFixture {
  readonly clock: FakeClock;
  readonly dataDir: string;
  readonly hub: InProcessHub;
  system: ActorSystem;
  store: RuntimeStore;
  transport: Transport;
  metrics: InMemoryMetrics;
  /** Stops the system gracefully, closes LMDB and starts a new system on the same data (a clean restart). */
  restart(definitions?: readonly AnyActorDefinition[]): Promise<void>;
  /** Drops the system without stopping it (as if the process died), then starts a new one on the same data. */
  crashAndRestart(): Promise<void>;
  dispose(): Promise<void>;
}

export interface RuntimeFixtureOptions extends Partial<
  Omit<ActorSystemOptions, 'definitions' | 'store' | 'transport' | 'clock'>
> {
  readonly definitions: readonly AnyActorDefinition[];
  readonly ports?: Ports;
  readonly clock?: FakeClock;
}

/** A real ActorSystem on a real LMDB in a temp dir, the in-process transport and a fake clock. */
export async function startRuntimeFixture(options: RuntimeFixtureOptions): Promise<RuntimeFixture> {
  const temp = makeTempDir('parlo-runtime-');
  const clock = options.clock ?? new FakeClock();
  const hub = new InProcessHub();
  const build = async (
    definitions = options.definitions,
  ): Promise<Pick<RuntimeFixture, 'system' | 'store' | 'transport' | 'metrics'>> => {
    const store = RuntimeStore.open(temp.path);
    const transport = hub.connect('test-node');
    const metrics = new InMemoryMetrics();
    const system = new ActorSystem({
      nodeId: 'test-node',
      partitionCount: 16,
      logger: silentLogger(),
      ...options,
      definitions,
      metrics,
      clock,
      store,
      transport,
    });
    await system.start();
    return { system, store, transport, metrics };
  };
  const fixture: RuntimeFixture = {
    clock,
    dataDir: temp.path,
    hub,
    ...(await build()),
    async restart(definitions) {
      await fixture.system.stop();
      await fixture.transport.close();
      await fixture.store.close();
      Object.assign(fixture, await build(definitions));
    },
    async crashAndRestart() {
      fixture.system.abort();
      await fixture.transport.close();
      await fixture.store.close();
      Object.assign(fixture, await build());
    },
    async dispose() {
      await fixture.system.stop().catch(() => undefined);
      await fixture.transport.close();
      await fixture.store.close();
      temp.remove();
    },
  };
  return fixture;
}
