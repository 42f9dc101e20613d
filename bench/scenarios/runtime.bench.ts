import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/index.ts';
import {
  ActorSystem,
  Histogram,
  InMemoryMetrics,
  RUNTIME_METRICS,
  RuntimeStore,
  SystemClock,
  connectNatsTransport,
  createWireCodec,
  silentLogger,
  type Address,
} from '../../core/index.ts';
import { startNatsServer } from '../../core/testing/nats-server.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { startParlo, type RunningParlo } from '../../frontends/cli/start.ts';
import { BENCH_ACTORS } from '../lib/bench-actors.ts';
import type { BenchOptions } from '../run.ts';
import type { BenchReport } from '../lib/report.ts';

const ACTOR_COUNT = 1_000;
const TARGETS = { noopMsgPerSec: 1_000_000, persistedTurnsPerSec: 100_000, natsPersistedTurnsPerSec: 30_000 };

async function embeddedNode(dataDir: string): Promise<RunningParlo> {
  const config = loadConfig({
    env: {},
    overrides: { dataDir, nodeId: 'bench', log: { level: 'silent' }, http: { port: 0 }, realtime: { port: 0 } },
  });
  return startParlo(config, { definitions: BENCH_ACTORS, logger: silentLogger() });
}

function addresses(kind: string): Address[] {
  return Array.from({ length: ACTOR_COUNT }, (_, i) => ({ kind, id: `a${i}` }));
}

/** Fire-and-forget no-op turns in batches; the figure is turns handled per second. */
async function noopDispatch(node: RunningParlo, total: number): Promise<number> {
  const targets = addresses('noop');
  const msg = { type: 'ping' };
  const batch = 100_000;
  // warm-up: activate every actor once
  for (const to of targets) node.system.tryTell(to, msg);
  await node.system.whenIdle();
  const started = performance.now();
  let sent = 0;
  while (sent < total) {
    const end = Math.min(total, sent + batch);
    for (; sent < end; sent++) {
      if (!node.system.tryTell(targets[sent % ACTOR_COUNT]!, msg)) {
        await node.system.whenIdle();
        sent--;
      }
    }
    await node.system.whenIdle();
  }
  return total / ((performance.now() - started) / 1000);
}

/**
 * Keeps `window` acknowledged sends in flight for `durationMs`; each one changes state and carries a message id,
 * so each turn writes state + consumed id and is acknowledged only after LMDB flushed it.
 */
async function persistedTurns(
  send: (to: Address, msgId: string) => Promise<unknown>,
  durationMs: number,
  window: number,
): Promise<number> {
  const targets = addresses('tally');
  let seq = 0;
  let inFlight = 0;
  let completed = 0;
  let failed: unknown;
  const started = performance.now();
  const endAt = started + durationMs;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (inFlight < window && performance.now() < endAt && failed === undefined) {
        inFlight++;
        const n = seq++;
        send(targets[n % ACTOR_COUNT]!, `m${n}`).then(onDone, (err: unknown) => {
          failed = err;
          onDone();
        });
      }
      if (inFlight === 0) resolve();
    };
    const onDone = (): void => {
      inFlight--;
      completed++;
      pump();
    };
    pump();
  });
  if (failed !== undefined) throw failed instanceof Error ? failed : new Error(JSON.stringify(failed));
  return completed / ((performance.now() - started) / 1000);
}

/** Commit latency (turn start → durable) when the node is not saturated: a fresh histogram, 200 sends in flight. */
async function commitLatencyUnderLightLoad(
  node: RunningParlo,
  durationMs: number,
): Promise<{ p50: number; p99: number }> {
  const latencies = new Histogram();
  const targets = addresses('tally');
  let n = 0;
  await persistedTurns(
    () => {
      const started = performance.now();
      const to = targets[n % ACTOR_COUNT]!;
      return node.system
        .tell(to, { type: 'add' }, { msgId: `light-${n++}` })
        .then(() => latencies.observe(performance.now() - started));
    },
    durationMs,
    200,
  );
  return { p50: latencies.quantile(0.5), p99: latencies.quantile(0.99) };
}

async function overNats(options: BenchOptions, durationMs: number): Promise<number> {
  const nats = await startNatsServer({ jetstream: true });
  const shardDir = makeTempDir('parlo-bench-shard-');
  const clientDir = makeTempDir('parlo-bench-client-');
  const shard = fork(fileURLToPath(new URL('../lib/nats-shard.ts', import.meta.url)), [nats.url, shardDir.path], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const store = RuntimeStore.open(clientDir.path);
  try {
    await new Promise<void>((resolve, reject) => {
      shard.once('message', () => resolve());
      shard.once('exit', (code) => reject(new Error(`shard exited with ${code} before it was ready`)));
    });
    options.log('shard ready; asking over NATS');
    const config = loadConfig({ env: {} });
    const transport = await connectNatsTransport({
      servers: nats.url,
      nodeId: 'bench-client',
      streamName: config.transport.streamName,
      partitionCount: config.runtime.partitionCount,
      codec: createWireCodec(),
    });
    // A node that owns no partition: every ask travels over NATS to the shard, which commits before replying.
    const client = new ActorSystem({
      nodeId: 'bench-client',
      definitions: BENCH_ACTORS,
      store,
      transport,
      clock: new SystemClock(),
      logger: silentLogger(),
      metrics: new InMemoryMetrics(),
      partitionCount: config.runtime.partitionCount,
      ownedPartitions: [],
    });
    await client.start();
    await persistedTurns((to, msgId) => client.ask(to, { type: 'add' }, { msgId: `warm-${msgId}` }), 1_000, 2_000);
    const rate = await persistedTurns((to, msgId) => client.ask(to, { type: 'add' }, { msgId }), durationMs, 4_000);
    await client.stop();
    await transport.close();
    return rate;
  } finally {
    shard.send({ type: 'stop' });
    await new Promise((resolve) => shard.once('exit', resolve));
    await store.close();
    await nats.stop();
    shardDir.remove();
    clientDir.remove();
  }
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const temp = makeTempDir('parlo-bench-runtime-');
  const node = await embeddedNode(temp.path);
  let noopMsgPerSec: number;
  let persistedTurnsPerSec: number;
  let rssMb: number;
  let commitP50Ms: number;
  let commitP99Ms: number;
  let turnsPerCommitP50: number;
  let lightCommitP50Ms: number;
  let lightCommitP99Ms: number;
  try {
    options.log('no-op in-process dispatch');
    noopMsgPerSec = await noopDispatch(node, Math.round(5_000_000 * options.scale));
    options.log('persisted turns, embedded');
    await persistedTurns(
      (to, msgId) => node.system.tell(to, { type: 'add' }, { msgId: `warm-${msgId}` }),
      1_000,
      20_000,
    );
    const before = node.metrics.snapshot().histograms[RUNTIME_METRICS.commitLatencyMs]?.count ?? 0;
    persistedTurnsPerSec = await persistedTurns(
      (to, msgId) => node.system.tell(to, { type: 'add' }, { msgId }),
      5_000 * options.scale,
      20_000,
    );
    const histograms = node.metrics.snapshot().histograms;
    const commit = histograms[RUNTIME_METRICS.commitLatencyMs]!;
    commitP50Ms = commit.p50;
    commitP99Ms = commit.p99;
    turnsPerCommitP50 = histograms[RUNTIME_METRICS.turnsPerCommit]?.p50 ?? 0;
    options.log(`${commit.count - before} commits measured`);
    rssMb = process.memoryUsage().rss / 2 ** 20;
    options.log('commit latency under light load (200 in flight)');
    const light = await commitLatencyUnderLightLoad(node, 2_000 * options.scale);
    lightCommitP50Ms = light.p50;
    lightCommitP99Ms = light.p99;
  } finally {
    await node.stop();
    temp.remove();
  }
  options.log('persisted turns over NATS (shard in a second process)');
  const natsPersistedTurnsPerSec = await overNats(options, 5_000 * options.scale);

  return {
    scenario: 'runtime',
    figures: {
      noopMsgPerSec,
      persistedTurnsPerSec,
      natsPersistedTurnsPerSec,
      commitP50Ms,
      commitP99Ms,
      lightLoadCommitP50Ms: lightCommitP50Ms,
      lightLoadCommitP99Ms: lightCommitP99Ms,
      rssMb,
    },
    rows: [
      {
        metric: 'no-op in-process dispatch',
        value: noopMsgPerSec,
        unit: 'msg/s',
        target: '≥ 1,000,000',
        meetsTarget: noopMsgPerSec >= TARGETS.noopMsgPerSec,
      },
      {
        metric: 'persisted turns, embedded',
        value: persistedTurnsPerSec,
        unit: 'turns/s',
        target: '≥ 100,000',
        meetsTarget: persistedTurnsPerSec >= TARGETS.persistedTurnsPerSec,
      },
      {
        metric: 'persisted turns over NATS',
        value: natsPersistedTurnsPerSec,
        unit: 'turns/s',
        target: '≥ 30,000',
        meetsTarget: natsPersistedTurnsPerSec >= TARGETS.natsPersistedTurnsPerSec,
      },
      { metric: 'commit latency p50 (embedded)', value: commitP50Ms, unit: 'ms' },
      { metric: 'commit latency p99 (embedded)', value: commitP99Ms, unit: 'ms' },
      { metric: 'commit latency p50, 200 in flight', value: lightCommitP50Ms, unit: 'ms' },
      { metric: 'commit latency p99, 200 in flight', value: lightCommitP99Ms, unit: 'ms' },
      { metric: 'turns per group commit p50', value: turnsPerCommitP50, unit: 'turns' },
      { metric: 'RSS after embedded phases', value: rssMb, unit: 'MB' },
    ],
    notes: [
      `${ACTOR_COUNT} actors; persisted turns keep 20,000 (embedded) / 4,000 (NATS) acknowledged sends in flight`,
      'a persisted turn writes state + consumed message id and is acknowledged only after LMDB flushed it',
      'commit latency = first turn of a group commit → LMDB flushed (at saturation it includes queueing behind earlier commits)',
      'light-load latency = tell → acknowledged, 200 in flight',
    ],
  };
}
