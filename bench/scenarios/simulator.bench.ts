import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { createCloudApiClient } from '../../adapters/whatsapp-cloud/client.ts';
import type { BenchOptions } from '../run.ts';
import type { BenchReport } from '../lib/report.ts';

const TARGET_ACCEPTED_PER_SEC = 20_000;
const NUMBERS = 64;

interface Ready {
  url: string;
  numbers: string[];
  token: string;
}

function startSimulatorProcess(): Promise<{ child: ChildProcess; ready: Ready }> {
  const child = fork(fileURLToPath(new URL('../lib/simulator-node.ts', import.meta.url)), [String(NUMBERS)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('message', (m: Ready) => resolve({ child, ready: m }));
    child.once('exit', (code) => reject(new Error(`simulator exited with ${code} before it was ready`)));
  });
}

function sentCount(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    child.once('message', (m: { sent: number }) => resolve(m.sent));
    child.send({ type: 'stats' });
  });
}

/** Distinct recipients per request, so pair-rate limits (one user) never trigger: this measures the send path. */
function textBody(n: number): string {
  const to = 49_100_000_000 + n;
  return `{"messaging_product":"whatsapp","recipient_type":"individual","to":"${to}","type":"text","text":{"body":"benchmark message ${n}"},"biz_opaque_callback_data":"bench-${n}"}`;
}

async function withAutocannon(
  ready: Ready,
  durationSec: number,
  pipelining: number,
): Promise<{ perSec: number; p99Ms: number; non2xx: number }> {
  let n = 0;
  const paths = ready.numbers.map((number) => `/v23.0/${number}/messages`);
  // The load generator shares the machine: building each request must cost it as little as possible.
  const result = await autocannon({
    url: ready.url,
    connections: 32,
    pipelining,
    duration: durationSec,
    requests: [
      {
        method: 'POST',
        headers: { authorization: `Bearer ${ready.token}`, 'content-type': 'application/json' },
        setupRequest: (request) => {
          const i = n++;
          request.path = paths[i % paths.length]!;
          request.body = textBody(i);
          return request;
        },
      },
    ],
  });
  return { perSec: result['2xx'] / durationSec, p99Ms: result.latency.p99, non2xx: result.non2xx };
}

async function withAdapterClient(ready: Ready, durationMs: number): Promise<{ perSec: number; refused: number }> {
  const client = createCloudApiClient({
    baseUrl: ready.url,
    accessToken: () => ready.token,
    connections: 64,
    maxInFlightPerAccount: 64,
  });
  let n = 1_000_000_000;
  let accepted = 0;
  let refused = 0;
  let inFlight = 0;
  const started = performance.now();
  const endAt = started + durationMs;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (inFlight < 128 && performance.now() < endAt) {
        inFlight++;
        const i = n++;
        void client
          .send({
            accountId: ready.numbers[i % ready.numbers.length]!,
            to: `49${String(100_000_000 + i)}`,
            messageKey: `k${i}`,
            content: { type: 'text', text: { body: `benchmark message ${i}` } },
          })
          .then((outcome) => {
            if (outcome.outcome === 'accepted') accepted++;
            else refused++;
            inFlight--;
            pump();
          });
      }
      if (inFlight === 0) resolve();
    };
    pump();
  });
  const elapsedSec = (performance.now() - started) / 1000;
  await client.close();
  return { perSec: accepted / elapsedSec, refused };
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const { child, ready } = await startSimulatorProcess();
  try {
    const durationSec = Math.max(2, Math.round(10 * options.scale));
    options.log(`autocannon: 32 connections × 4 pipelined requests for ${durationSec} s against ${NUMBERS} numbers`);
    await withAutocannon(ready, 1, 4); // warm-up
    const before = await sentCount(child);
    const cannon = await withAutocannon(ready, durationSec, 4);
    const loggedByCannon = (await sentCount(child)) - before;
    options.log('autocannon without pipelining');
    const plain = await withAutocannon(ready, durationSec, 1);
    options.log('adapter client: 16 connections, 128 sends in flight');
    const adapter = await withAdapterClient(ready, durationSec * 1000);
    return {
      scenario: 'simulator',
      figures: {
        acceptedPerSec: cannon.perSec,
        acceptedPerSecNoPipelining: plain.perSec,
        acceptedPerSecAdapterClient: adapter.perSec,
        autocannonP99Ms: cannon.p99Ms,
        non2xx: cannon.non2xx,
        sendLogMatches: loggedByCannon >= Math.floor(cannon.perSec * durationSec),
      },
      rows: [
        {
          metric: 'accepted sends (autocannon, 4 pipelined)',
          value: cannon.perSec,
          unit: 'msg/s',
          target: '≥ 20,000',
          meetsTarget: cannon.perSec >= TARGET_ACCEPTED_PER_SEC,
        },
        { metric: 'accepted sends (autocannon, no pipelining)', value: plain.perSec, unit: 'msg/s' },
        {
          metric: 'accepted sends (adapter client)',
          value: adapter.perSec,
          unit: 'msg/s',
          target: '≥ 20,000',
          meetsTarget: adapter.perSec >= TARGET_ACCEPTED_PER_SEC,
        },
        { metric: 'autocannon latency p99', value: cannon.p99Ms, unit: 'ms' },
        { metric: 'non-2xx answers (autocannon)', value: cannon.non2xx, unit: 'responses' },
        { metric: 'refusals (adapter client)', value: adapter.refused, unit: 'sends' },
      ],
      notes: [
        'the load generator shares the 2 cores: pipelining lets autocannon offer the load the simulator can take; without it (and with the adapter client) the client side limits the figure',
        `simulator in its own process, ${NUMBERS} numbers at 1,000 msg/s each, a new recipient per message, no webhook receiver`,
        'each accepted send is validated, throughput- and pair-rate-checked, logged, and its status outcome decided',
      ],
    };
  } finally {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
  }
}
