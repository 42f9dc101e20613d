/**
 * A Parlo node for the inbox benchmark: the real composition root (`startParlo`) in its embedded default (LMDB, the
 * bundled Cloud API simulator, which delivers customers' messages as signed webhooks to the node's endpoint), HTTP
 * and the realtime gateway on free ports. Forked with IPC; argv: <dataDir>. Says `{ type: 'ready', httpUrl,
 * realtimeUrl }`; on `{ type: 'inject', items: [{ phoneNumberId, from, body }] }` has the simulator inject each
 * customer message; answers `{ type: 'rss' }` with `{ type: 'rss', rssBytes, heapUsedBytes, cpuMicros }` (user + system CPU
 * time of the process so far).
 */
import { loadConfig } from '../../config/index.ts';
import { startParlo } from '../../frontends/cli/start.ts';

const [dataDir] = process.argv.slice(2);
if (!dataDir || !process.send) throw new Error('usage: fork with IPC, argv <dataDir>');

const config = loadConfig({
  env: {},
  overrides: {
    dataDir,
    nodeId: 'bench-inbox',
    log: { level: 'warn' },
    http: { port: 0 },
    realtime: { port: 0, idleTimeoutSec: 960 },
    api: { ratePerKeyPerSec: 1_000_000, ratePerOrgPerSec: 1_000_000, ratePerAddressPerSec: 1_000_000 },
  },
});
const node = await startParlo(config);
const simulator = node.whatsapp.simulator?.simulator;
if (!simulator) throw new Error('the inbox benchmark needs the bundled simulator (no Meta credentials)');
process.send({ type: 'ready', httpUrl: node.httpUrl, realtimeUrl: node.realtimeUrl });

interface Injection {
  readonly phoneNumberId: string;
  readonly from: string;
  readonly body: string;
}

process.on('message', (m: { type: string; items?: Injection[] }) => {
  if (m.type === 'stop') void node.stop().then(() => process.exit(0));
  if (m.type === 'inject') {
    for (const item of m.items ?? []) {
      // The send time goes in the text: the benchmark measures from here to each socket's event frame.
      simulator.injectInbound(item.phoneNumberId, {
        type: 'text',
        from: item.from,
        body: `${item.body} t=${performance.timeOrigin + performance.now()}`,
      });
    }
  }
  if (m.type === 'rss') {
    const usage = process.memoryUsage();
    const cpu = process.cpuUsage();
    process.send?.({
      type: 'rss',
      rssBytes: usage.rss,
      heapUsedBytes: usage.heapUsed,
      cpuMicros: cpu.user + cpu.system,
    });
  }
});
process.on('disconnect', () => void node.stop().then(() => process.exit(0)));
