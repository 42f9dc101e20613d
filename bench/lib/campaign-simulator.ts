/**
 * The simulator for `npm run bench -- campaign`: the send benchmark's (send-simulator.ts, unchanged: empty at
 * start, every Graph refusal counted per number and code) plus one control its `/_sim` API lacks. A number's
 * throughput over HTTP is one of Meta's levels (`POST /_sim/numbers/throughput` takes 20, 80 or 1,000 msg/s); the
 * campaign benchmark's "unlimited" number needs the simulator far above what Parlo is told, so that Parlo alone
 * sets the pace. `{ type: 'upgradeThroughput', phoneNumberId, mps }` calls the simulator's own
 * `upgradeThroughput` with any rate (its bucket follows, and the THROUGHPUT_UPGRADE webhook goes out as with the
 * HTTP route) and answers `{ type: 'throughputUpgraded', phoneNumberId, mps }`.
 *
 * send-simulator.ts keeps its server to itself, so the instance is taken when the benchmark registers its
 * account (`POST /_sim/wabas` → `registerWaba`), by wrapping that method on the prototype before the script runs.
 */
import { CloudApiSimulator } from '../../adapters/whatsapp-cloud/simulator/simulator.ts';

if (!process.send) throw new Error('fork me with an IPC channel');

/** The simulator instance(s) of this process: one, send-simulator.ts's. */
const instances = new Set<CloudApiSimulator>();
const registerWaba = Object.getOwnPropertyDescriptor(CloudApiSimulator.prototype, 'registerWaba')!
  .value as CloudApiSimulator['registerWaba'];
CloudApiSimulator.prototype.registerWaba = function (this: CloudApiSimulator, input) {
  instances.add(this);
  return registerWaba.call(this, input);
};

process.on('message', (m: { type: string; phoneNumberId?: string; mps?: number }) => {
  if (m.type !== 'upgradeThroughput' || m.phoneNumberId === undefined || m.mps === undefined) return;
  const [simulator] = instances;
  if (!simulator) throw new Error('register the account (POST /_sim/wabas) before upgrading a number');
  simulator.upgradeThroughput(m.phoneNumberId, m.mps);
  process.send?.({ type: 'throughputUpgraded', phoneNumberId: m.phoneNumberId, mps: m.mps });
});

// The send benchmark's simulator process itself (it says `{ type: 'ready', url }`).
await import('./send-simulator.ts');
