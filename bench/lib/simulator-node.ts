/**
 * The simulator in its own process for benchmarks: N numbers at Meta's highest throughput (1,000 msg/s each), no
 * webhook receiver (the send path is what is measured). Forked with IPC; says { type: 'ready', url, numbers, token }.
 */
import { startSimulatorServer } from '../../adapters/whatsapp-cloud/simulator/server.ts';

const numberCount = Number(process.argv[2] ?? '64');
if (!process.send) throw new Error('fork me with an IPC channel');
const server = await startSimulatorServer({ port: 0 });
const token = 'EAAbench';
server.simulator.registerWaba({
  wabaId: '700000000000000',
  appSecret: 'bench',
  accessToken: token,
  messagingLimit: null,
});
const numbers: string[] = [];
for (let i = 0; i < numberCount; i++) {
  const number = server.simulator.registerNumber({
    wabaId: '700000000000000',
    phoneNumberId: String(700000000000001 + i),
    displayPhoneNumber: `1555${String(i).padStart(7, '0')}`,
    throughputMps: 1000,
  });
  numbers.push(number.phoneNumberId);
}
process.send({ type: 'ready', url: server.url, numbers, token });
process.on('message', (m: { type: string }) => {
  if (m.type === 'stats') process.send?.({ type: 'stats', sent: server.simulator.sent.length });
  if (m.type === 'stop') void server.close().then(() => process.exit(0));
});
process.on('disconnect', () => void server.close().then(() => process.exit(0)));
