/**
 * A Parlo node for benchmarks: the real composition root (`startParlo`), embedded transport, HTTP on a free port,
 * WhatsApp in cloud mode with fixed credentials so the benchmark can sign webhooks. Forked with IPC; argv:
 * <dataDir> <appSecret> [<config overrides as JSON>] (e.g. `{"api":{"ratePerKeyPerSec":1000000}}`, applied over the
 * benchmark's own settings). Says { type: 'ready', httpUrl }.
 */
import { loadConfig, type ConfigOverrides } from '../../config/index.ts';
import { startParlo } from '../../frontends/cli/start.ts';

const [dataDir, appSecret, overridesJson] = process.argv.slice(2);
if (!dataDir || !appSecret || !process.send) {
  throw new Error('usage: fork with IPC, argv <dataDir> <appSecret> [<config overrides JSON>]');
}
const extra = (overridesJson ? JSON.parse(overridesJson) : {}) as ConfigOverrides;
const config = loadConfig({
  env: {},
  overrides: {
    ...extra,
    dataDir,
    nodeId: 'bench-node',
    log: { level: 'warn' },
    http: { port: 0 },
    whatsapp: { mode: 'cloud', accessToken: 'bench-token', appSecret, verifyToken: 'bench-verify' },
  },
});
const node = await startParlo(config);
process.send({ type: 'ready', httpUrl: node.httpUrl });
process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') void node.stop().then(() => process.exit(0));
});
process.on('disconnect', () => void node.stop().then(() => process.exit(0)));
