/**
 * Child process for the metering crash test (`../metering-crash.int.test.ts`): one Parlo node as `npm start` builds
 * it (`startParlo`: LMDB under the data dir, in-process transport, the real HTTP API), in cloud mode against the
 * parent's simulator, on a fixed port so that the simulator's webhook retries reach the node again after a
 * restart. The parent kills it with SIGKILL at random moments and starts it again on the same data.
 *
 * argv: <dataDir> <httpPort> <graphBaseUrl> [settings JSON: sections merged into the config, e.g.
 * `{"sending":{"reconcileAfterSec":5}}`]. Child → parent (IPC): { type: 'ready', url } once it listens. The
 * campaign crash test (`../campaign-crash.int.test.ts`) runs the same node.
 */
import { loadConfig } from '../../../config/index.ts';
import { silentLogger } from '../../../core/index.ts';
import { startParlo } from '../start.ts';

const [dataDir, port, graphBaseUrl, settingsJson] = process.argv.slice(2);
const settings = JSON.parse(settingsJson ?? '{}') as Record<string, Record<string, unknown>>;
if (!dataDir || !port || !graphBaseUrl || !process.send)
  throw new Error('usage: forked with an IPC channel and <dataDir> <httpPort> <graphBaseUrl>');

const node = await startParlo(
  loadConfig({
    env: {},
    overrides: {
      dataDir,
      http: { port: Number(port) },
      realtime: { port: 0 },
      // Installation credentials are required in cloud mode; the organisation's own number has its own.
      whatsapp: {
        mode: 'cloud',
        graphBaseUrl,
        accessToken: 'EAAG-installation-token-for-the-crash-test',
        appSecret: 'installation-app-secret',
        verifyToken: 'installation-verify-token',
      },
      // The parent sends as fast as it can; the wallet is funded explicitly.
      api: { ratePerKeyPerSec: 100_000, ratePerOrgPerSec: 100_000 },
      billing: { startingCreditMicros: 0 },
      ...settings,
    },
  }),
  { logger: silentLogger() },
);
process.send({ type: 'ready', url: node.httpUrl });
