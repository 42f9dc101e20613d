/**
 * A Parlo node for benchmarks: the real composition root (`startParlo`), embedded transport, HTTP on a free port,
 * WhatsApp in cloud mode with fixed credentials so the benchmark can sign webhooks. Forked with IPC; argv:
 * <dataDir> <appSecret> [<config overrides as JSON>] (e.g. `{"api":{"ratePerKeyPerSec":1000000}}`, applied over the
 * benchmark's own settings; `whatsapp` is merged into the benchmark's cloud-mode credentials). Says
 * { type: 'ready', httpUrl }; answers `{ type: 'ask', askId, to, msg }` with `{ type: 'askReply', askId, … }`.
 */
import { loadConfig, type ConfigOverrides } from '../../config/index.ts';
import { startParlo } from '../../frontends/cli/start.ts';
import type { Address } from '../../core/index.ts';

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
    realtime: { port: 0 },
    // `whatsapp.graphBaseUrl` (and the like) may come from the overrides: the bench's simulator in its own process.
    whatsapp: { mode: 'cloud', accessToken: 'bench-token', appSecret, verifyToken: 'bench-verify', ...extra.whatsapp },
  },
});
const node = await startParlo(config);
process.send({ type: 'ready', httpUrl: node.httpUrl });
process.on('message', (m: { type: string; askId?: number; to?: Address; msg?: unknown }) => {
  if (m.type === 'stop') void node.stop().then(() => process.exit(0));
  // `{ type: 'ask', askId, to, msg }`: asks an actor of this node; answers `{ type: 'askReply', askId, ok, reply | error }`.
  if (m.type === 'ask' && m.to !== undefined) {
    const askId = m.askId;
    node.system.ask(m.to, m.msg).then(
      (reply) => process.send?.({ type: 'askReply', askId, ok: true, reply }),
      (err: unknown) => process.send?.({ type: 'askReply', askId, ok: false, error: String(err) }),
    );
  }
});
process.on('disconnect', () => void node.stop().then(() => process.exit(0)));
