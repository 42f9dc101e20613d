/**
 * A shard process for benchmarks: the real composition root (startParlo) with the NATS transport and the bench
 * actors, owning every partition. Forked with an IPC channel; argv: <natsUrl> <dataDir>. Says { type: 'ready' }.
 */
import { loadConfig } from '../../config/index.ts';
import { startParlo } from '../../frontends/cli/start.ts';
import { BENCH_ACTORS } from './bench-actors.ts';

const [natsUrl, dataDir] = process.argv.slice(2);
if (!natsUrl || !dataDir || !process.send) throw new Error('usage: fork with IPC, argv <natsUrl> <dataDir>');

const config = loadConfig({
  env: {},
  overrides: {
    dataDir,
    nodeId: 'bench-shard',
    log: { level: 'warn' },
    transport: { kind: 'nats', natsUrl },
    http: { port: 0 },
    realtime: { port: 0 },
  },
});
const node = await startParlo(config, { definitions: BENCH_ACTORS });
process.send({ type: 'ready' });
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') void node.stop().then(() => process.exit(0));
});
process.on('disconnect', () => void node.stop().then(() => process.exit(0)));
