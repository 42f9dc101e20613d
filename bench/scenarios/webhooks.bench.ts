import { createHmac } from 'node:crypto';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import type { BenchOptions } from '../run.ts';
import type { BenchReport } from '../lib/report.ts';
import { PARLO_NODE_FLAGS } from '../../frontends/cli/node-flags.ts';

const APP_SECRET = 'bench-app-secret';
const NUMBERS = 20;
const STATUSES_PER_POST = 10;
const CONNECTIONS = 32;
const TARGETS = { eventsPerSec: 10_000, p99Ms: 50 };

/**
 * One signed webhook POST in Meta's shape: one entry, one `messages` change with STATUSES_PER_POST status updates
 * of one number (Meta batches like this). Every status is new (unique wamid), so each one is a real recorded event.
 */
function webhookBody(n: number): { body: string; signature: string } {
  const number = 800_000_000_000_000 + (n % NUMBERS);
  let statuses = '';
  for (let i = 0; i < STATUSES_PER_POST; i++) {
    const id = n * STATUSES_PER_POST + i;
    statuses += `${i === 0 ? '' : ','}{"id":"wamid.bench${id}","status":"delivered","timestamp":"1795624920","recipient_id":"49${100_000_000 + id}","biz_opaque_callback_data":"k${id}","pricing":{"billable":true,"pricing_model":"PMP","type":"regular","category":"marketing"}}`;
  }
  const body = `{"object":"whatsapp_business_account","entry":[{"id":"810000000000000","changes":[{"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550000000","phone_number_id":"${number}"},"statuses":[${statuses}]},"field":"messages"}]}]}`;
  return { body, signature: `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}` };
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const temp = makeTempDir('parlo-bench-webhooks-');
  const child = fork(fileURLToPath(new URL('../lib/parlo-node.ts', import.meta.url)), [temp.path, APP_SECRET], {
    execArgv: ['--import', 'tsx', ...PARLO_NODE_FLAGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const { httpUrl } = await new Promise<{ httpUrl: string }>((resolve, reject) => {
      child.once('message', (m: { httpUrl: string }) => resolve(m));
      child.once('exit', (code) => reject(new Error(`Parlo node exited with ${code} before it was ready`)));
    });
    let n = 0;
    const cannon = (durationSec: number) =>
      autocannon({
        url: `${httpUrl}/webhooks/whatsapp`,
        connections: CONNECTIONS,
        duration: durationSec,
        requests: [
          {
            method: 'POST',
            setupRequest: (request) => {
              const { body, signature } = webhookBody(n++);
              request.body = body;
              request.headers = { 'content-type': 'application/json', 'x-hub-signature-256': signature };
              return request;
            },
          },
        ],
      });
    options.log('warm-up');
    await cannon(2);
    const durationSec = Math.max(3, Math.round(10 * options.scale));
    options.log(
      `${CONNECTIONS} connections for ${durationSec} s, ${STATUSES_PER_POST} statuses per POST over ${NUMBERS} numbers`,
    );
    const result = await cannon(durationSec);
    const eventsPerSec = (result['2xx'] * STATUSES_PER_POST) / durationSec;
    return {
      scenario: 'webhooks',
      figures: {
        eventsPerSec,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        postsPerSec: result['2xx'] / durationSec,
        non2xx: result.non2xx,
      },
      rows: [
        {
          metric: 'webhook events ingested',
          value: eventsPerSec,
          unit: 'events/s',
          target: '≥ 10,000',
          meetsTarget: eventsPerSec >= TARGETS.eventsPerSec,
        },
        { metric: 'POST → 200 latency p50', value: result.latency.p50, unit: 'ms' },
        {
          metric: 'POST → 200 latency p99',
          value: result.latency.p99,
          unit: 'ms',
          target: '≤ 50',
          meetsTarget: result.latency.p99 <= TARGETS.p99Ms,
        },
        { metric: 'signed POSTs answered 200', value: result['2xx'] / durationSec, unit: 'POST/s' },
        { metric: 'non-2xx answers', value: result.non2xx, unit: 'responses' },
      ],
      notes: [
        'the Parlo node (startParlo, embedded, LMDB) runs in its own process; autocannon signs each body with HMAC-SHA256',
        'a 200 is sent only after every status of the POST is durably recorded (exactly once) in its number’s inbound feed',
      ],
    };
  } finally {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
    temp.remove();
  }
}
