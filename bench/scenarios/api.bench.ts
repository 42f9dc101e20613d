import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import type { BenchOptions } from '../run.ts';
import type { BenchReport } from '../lib/report.ts';
import { PARLO_NODE_FLAGS } from '../../frontends/cli/node-flags.ts';

/**
 * `npm run bench -- api`: the platform REST API of a real node (`startParlo`, embedded, LMDB, in its own process),
 * loaded by autocannon over HTTP/1.1 keep-alive from this process (both share the machine's cores).
 *
 * 1. Authenticated reads: `GET /v1/me` with `X-Api-Key` (a `read` key). Each request parses and hashes the key,
 *    verifies it (the org actor, or the node's short-lived verification cache), charges the rate limiter, runs the
 *    route (query validation, response schema) and records the request metrics. Target: ≥ 5,000 reads/s with
 *    p99 ≤ 20 ms on 2 cores.
 * 2. Idempotent POSTs, replayed: `POST /v1/api-keys` (session token) with one Idempotency-Key and one body, sent
 *    once to create the key and then over and over: every request authenticates the session, validates the body,
 *    asks the key's `idempotency` actor (a read-only turn) and sends the stored response again
 *    (`Idempotent-Replayed: true`). This is what a client's retries cost, and it does not grow with the number of
 *    requests: nothing is created or written. `postsPerSec`, `postP99Ms`.
 * 3. Idempotent POSTs, fresh: a bounded run of `FRESH_POSTS` creates, each with a new key: claim (an LMDB write),
 *    the handler (an org actor write: the key and an audit entry), complete (another LMDB write) before the answer.
 *    Bounded because each create grows the organisation (its key list); `freshPostsPerSec`, `freshPostP99Ms`.
 *
 * The default rate limits (50/s per credential, 200/s per organisation) would refuse almost everything here: the
 * node is started with `api.ratePerKeyPerSec` and `api.ratePerOrgPerSec` raised to 1,000,000 through its config.
 */

const CONNECTIONS = 16;
const FRESH_POSTS = 2_000;
const TARGETS = { readsPerSec: 5_000, readP99Ms: 20 };
const BENCH_LIMITS = { api: { ratePerKeyPerSec: 1_000_000, ratePerOrgPerSec: 1_000_000, ratePerAddressPerSec: 1_000 } };
const PASSWORD = 'correct horse battery staple';

async function post<T>(url: string, body: unknown, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

interface Phase {
  readonly perSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

function phase(result: autocannon.Result, seconds: number): Phase {
  return {
    perSec: result['2xx'] / seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const temp = makeTempDir('parlo-bench-api-');
  const child = fork(
    fileURLToPath(new URL('../lib/parlo-node.ts', import.meta.url)),
    [temp.path, 'bench-app-secret', JSON.stringify(BENCH_LIMITS)],
    { execArgv: ['--import', 'tsx', ...PARLO_NODE_FLAGS], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  try {
    const { httpUrl } = await new Promise<{ httpUrl: string }>((resolve, reject) => {
      child.once('message', (m: { httpUrl: string }) => resolve(m));
      child.once('exit', (code) => reject(new Error(`Parlo node exited with ${code} before it was ready`)));
    });
    const signedUp = await post<{ tokens: { accessToken: string } }>(`${httpUrl}/v1/signup`, {
      orgName: 'Bench',
      email: 'bench@api.test',
      password: PASSWORD,
    });
    const session = { authorization: `Bearer ${signedUp.tokens.accessToken}` };
    const { key } = await post<{ key: string }>(
      `${httpUrl}/v1/api-keys`,
      { name: 'bench reader', scopes: ['read'] },
      session,
    );
    const durationSec = Math.max(3, Math.round(10 * options.scale));

    // ---- 1. authenticated reads
    const read = (seconds: number) =>
      autocannon({
        url: `${httpUrl}/v1/me`,
        connections: CONNECTIONS,
        duration: seconds,
        headers: { 'x-api-key': key },
      });
    options.log('warm-up: reads');
    await read(2);
    options.log(`reads: GET /v1/me with X-Api-Key, ${CONNECTIONS} connections for ${durationSec} s`);
    const reads = phase(await read(durationSec), durationSec);

    // ---- 2. idempotent POSTs, replayed
    const replayBody = JSON.stringify({ name: 'bench replay', scopes: ['read'] });
    const replayHeaders = { ...session, 'content-type': 'application/json', 'idempotency-key': 'bench-replay-1' };
    const first = await fetch(`${httpUrl}/v1/api-keys`, { method: 'POST', headers: replayHeaders, body: replayBody });
    if (first.status !== 201) throw new Error(`the first idempotent POST answered ${first.status}`);
    const firstBody = await first.text();
    const replays = (seconds: number) =>
      autocannon({
        url: `${httpUrl}/v1/api-keys`,
        connections: CONNECTIONS,
        duration: seconds,
        method: 'POST',
        headers: replayHeaders,
        body: replayBody,
      });
    options.log('warm-up: replayed POSTs');
    await replays(2);
    options.log(`replayed POSTs: one Idempotency-Key, ${CONNECTIONS} connections for ${durationSec} s`);
    const replayed = phase(await replays(durationSec), durationSec);
    const check = await fetch(`${httpUrl}/v1/api-keys`, { method: 'POST', headers: replayHeaders, body: replayBody });
    const isReplay = check.headers.get('idempotent-replayed') === 'true' && (await check.text()) === firstBody;
    if (!isReplay) throw new Error('a retried POST did not replay the first response');

    // ---- 3. idempotent POSTs, fresh keys (bounded)
    const freshCount = Math.max(200, Math.round(FRESH_POSTS * options.scale));
    let n = 0;
    options.log(`fresh POSTs: ${freshCount} creates, each with a new Idempotency-Key, ${CONNECTIONS} connections`);
    const freshStarted = performance.now();
    const freshResult = await autocannon({
      url: `${httpUrl}/v1/api-keys`,
      connections: CONNECTIONS,
      amount: freshCount,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => {
            const i = n++;
            request.headers = { ...session, 'content-type': 'application/json', 'idempotency-key': `bench-fresh-${i}` };
            request.body = JSON.stringify({ name: `bench ${i}`, scopes: ['read'] });
            return request;
          },
        },
      ],
    });
    const fresh = phase(freshResult, (performance.now() - freshStarted) / 1000);

    const figures = {
      readsPerSec: reads.perSec,
      readP50Ms: reads.p50Ms,
      readP99Ms: reads.p99Ms,
      postsPerSec: replayed.perSec,
      postP50Ms: replayed.p50Ms,
      postP99Ms: replayed.p99Ms,
      freshPostsPerSec: fresh.perSec,
      freshPostP50Ms: fresh.p50Ms,
      freshPostP99Ms: fresh.p99Ms,
      freshPosts: freshCount,
      connections: CONNECTIONS,
      durationSec,
      non2xx: reads.non2xx + replayed.non2xx + fresh.non2xx,
      errors: reads.errors + replayed.errors + fresh.errors,
    };
    return {
      scenario: 'api',
      figures,
      rows: [
        {
          metric: 'authenticated reads (GET /v1/me, X-Api-Key)',
          value: reads.perSec,
          unit: 'req/s',
          target: '≥ 5,000',
          meetsTarget: reads.perSec >= TARGETS.readsPerSec,
        },
        { metric: 'read latency p50', value: reads.p50Ms, unit: 'ms' },
        {
          metric: 'read latency p99',
          value: reads.p99Ms,
          unit: 'ms',
          target: '≤ 20',
          meetsTarget: reads.p99Ms <= TARGETS.readP99Ms,
        },
        { metric: 'idempotent POSTs, replayed (POST /v1/api-keys)', value: replayed.perSec, unit: 'req/s' },
        { metric: 'replayed POST latency p50', value: replayed.p50Ms, unit: 'ms' },
        { metric: 'replayed POST latency p99', value: replayed.p99Ms, unit: 'ms' },
        { metric: `idempotent POSTs, fresh keys (${freshCount} creates)`, value: fresh.perSec, unit: 'req/s' },
        { metric: 'fresh POST latency p50', value: fresh.p50Ms, unit: 'ms' },
        { metric: 'fresh POST latency p99', value: fresh.p99Ms, unit: 'ms' },
        { metric: 'non-2xx answers + errors', value: figures.non2xx + figures.errors, unit: 'responses' },
      ],
      notes: [
        `the Parlo node (startParlo, embedded, LMDB) runs in its own process; autocannon, ${CONNECTIONS} keep-alive connections, in this one`,
        'rate limits raised to 1,000,000/s per credential and organisation through the node config (defaults: 50 and 200)',
        'replayed POSTs repeat one Idempotency-Key: each answer is the stored first response (Idempotent-Replayed: true)',
      ],
    };
  } finally {
    child.send({ type: 'stop' });
    await new Promise((resolve) => child.once('exit', resolve));
    temp.remove();
  }
}
