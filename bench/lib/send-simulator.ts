/**
 * The simulator for `npm run bench -- send`, in its own process: empty at start (the scenario registers the
 * account and numbers through the `/_sim` control API, as an operator would), with every Graph error it answers to
 * a send counted per number and code (130429, 131056, …) so the benchmark can hold Parlo's pacing to zero
 * throughput refusals. Forked with IPC; says `{ type: 'ready', url }`; answers `{ type: 'refusals' }` with
 * `{ type: 'refusals', byNumber: { [phoneNumberId]: { [code]: count } } }`.
 */
import { startSimulatorServer } from '../../adapters/whatsapp-cloud/simulator/server.ts';

if (!process.send) throw new Error('fork me with an IPC channel');
const server = await startSimulatorServer({ port: 0 });
const simulator = server.simulator;
const refusals = new Map<string, Map<number, number>>();

// The server calls `simulator.handleSend` per request: an own property wraps the class's method, unchanged.
const handleSend = simulator.handleSend.bind(simulator);
simulator.handleSend = (version, phoneNumberId, authorization, body) => {
  const response = handleSend(version, phoneNumberId, authorization, body);
  if (response.status >= 400) {
    const code = (response.body as { error?: { code?: number } } | null)?.error?.code ?? -1;
    let byCode = refusals.get(phoneNumberId);
    if (!byCode) refusals.set(phoneNumberId, (byCode = new Map<number, number>()));
    byCode.set(code, (byCode.get(code) ?? 0) + 1);
  }
  return response;
};

process.send({ type: 'ready', url: server.url });
process.on('message', (m: { type: string }) => {
  if (m.type === 'refusals') {
    const byNumber: Record<string, Record<string, number>> = {};
    for (const [number, byCode] of refusals) byNumber[number] = Object.fromEntries(byCode);
    process.send?.({ type: 'refusals', byNumber });
  }
  if (m.type === 'stop') void server.close().then(() => process.exit(0));
});
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
