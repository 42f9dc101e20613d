import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import type { Address } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import type { BenchOptions } from '../run.ts';
import type { BenchReport, ReportRow } from '../lib/report.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { PARLO_NODE_FLAGS } from '../../frontends/cli/node-flags.ts';
import { runtimeCounters } from '../lib/runtime-counters.ts';

/**
 * `npm run bench -- send [--quick] [--json] [--only=pacing|e2e] [--driver=http|actor] [--in-flight=N] [--profile]`:
 * the send path of issue #5, item 7, over three processes on one machine: a Parlo node (`startParlo`, embedded
 * LMDB, WhatsApp in cloud mode pointed at the simulator; bench/lib/parlo-node.ts), the Cloud API simulator in its
 * own process (uWS; bench/lib/send-simulator.ts), and this one (setup and load).
 *
 * Setup, as an operator would: the simulator gets one WhatsApp business account and its numbers through `/_sim`;
 * an organisation signs up and connects each number with `POST /v1/numbers` (mode `cloud`: Parlo looks the number
 * up on the simulator's Graph API); the account's callback URL is then the organisation's webhook URL. Numbers
 * meant to run at 1,000 msg/s get the simulator's `THROUGHPUT_UPGRADE` webhook (`POST /_sim/numbers/throughput`),
 * which Parlo's number actor follows; the benchmark waits until the number actor says 1,000 (an IPC ask).
 * Customer-service windows are opened by injecting one inbound message per customer (`POST /_sim/inbound`) and
 * waiting until `GET /v1/conversations/{id}` says `canSendFreeForm` for every one of them (then a few seconds
 * more, so that the simulator's throughput bucket, which counted those inbound messages, is full again). Every
 * send is a free-form text reply. Drivers: `http`, `POST /v1/messages` with an API key; `actor`, the conversation
 * actor's `send` asked directly in the node (what the route does after auth and its checks).
 *
 * (a) Pacing (default driver `actor`, so that neither the HTTP API nor the load generator limits the rate): one
 *     number at 80 and one at 1,000 msg/s, 60 s each (`--quick`: 10 s). The load keeps ~1.5 s of sends queued on
 *     the number (more than the rate allows, under its 5,000 queue bound); the number actor's queue is sampled
 *     every 250 ms to show it never ran dry. From the simulator's send log (`GET /_sim/sent`): the sends accepted
 *     in every 1 s window [a, a + 1000 ms), a on a 1 ms grid, over the steady part (first send + 2 s to the end
 *     of the load; the queue is still full then): max and min; the max over every window of the phase; and the
 *     130429 answers the simulator gave that number (counted in the simulator process). Target: 0 × 130429, and
 *     no window above the rate + 2 %.
 * (b) End to end (default driver `http`): 32 numbers at 1,000 msg/s, 256 customers each (`--quick`: 64), 256
 *     sends in flight for 30 s (`--quick`: 6 s). A message counts when its `delivered` (or `read`) status, sent by
 *     the simulator as a signed webhook, is ingested and merged into its conversation, as
 *     `GET /v1/conversations/{id}` shows. The clock runs from the first send until every send reached the
 *     simulator and the last message of every number reads delivered; then every conversation is read to count
 *     the delivered messages. In the same run, with Parlo idle: the raw loopback POST ceiling, bare POSTs/s of the
 *     same JSON body and headers from an undici Pool (64 connections, 64 in flight) to a server in its own
 *     process that only answers 200: node:http (the stack under Parlo's fastify; the figure the ratio uses) and
 *     uWS (reference). Targets on 2 cores: ≥ 5,000 msg/s and ≥ 1/8 of the node:http ceiling.
 *
 * `--profile` writes V8 CPU profiles of the Parlo node and the simulator to bench/results/profiles/ (at exit;
 * `e2eMonotonicUs` gives the end-to-end interval on the profiles' clock).
 */

const APP_SECRET = 'bench-send-app-secret-0123456789';
const ACCESS_TOKEN = 'EAAbenchSendAccessToken0123456789';
const WABA_ID = '710000000000000';
const APP_ID = '720000000000000';
const PACING_NUMBERS = [
  { phoneNumberId: '730000000000001', display: '15557300001', mps: 80 },
  { phoneNumberId: '730000000000002', display: '15557300002', mps: 1000 },
] as const;
const E2E_NUMBER_BASE = 740_000_000_000_001;
/** Sends queued ahead on a pacing number, in seconds of its rate (number queue bound: 5,000 sends). */
const PACING_BACKLOG_SEC = 1.5;
/** The sends a customer takes before the simulator's pair rate (burst 45, then 1 per 6 s) could answer 131056. */
const SENDS_PER_CUSTOMER = 30;
/**
 * Sends in flight during the end-to-end load (`--in-flight=N`): enough to saturate the node (each send answers
 * only after its turn is durable, so fewer would measure commit latency, not throughput). HTTP: one connection each.
 */
const E2E_IN_FLIGHT = 256;
/** Connections and requests in flight of the raw ceiling (8 to 64 give the same ceiling on 2 cores). */
const RAW_IN_FLIGHT = 64;
/** Sends in flight while a pacing number is kept saturated (either driver). */
const PACING_IN_FLIGHT = 256;
const TARGETS = { endToEndMsgPerSec: 5_000, ratioToRaw: 1 / 8, rateLimitErrors: 0, tolerancePercent: 2 };
const BENCH_LIMITS = { api: { ratePerKeyPerSec: 10_000_000, ratePerOrgPerSec: 10_000_000 } };
const PASSWORD = 'correct horse battery staple';

// ---------------------------------------------------------------- processes

interface Forked<T> {
  readonly child: ChildProcess;
  readonly ready: T;
}

export function forkReady<T>(script: string, args: string[], execArgv: string[] = []): Promise<Forked<T>> {
  const child = fork(fileURLToPath(new URL(script, import.meta.url)), args, {
    execArgv: ['--import', 'tsx', ...execArgv],
    // The child's stdout goes to our stderr: with --json our stdout carries exactly one JSON object.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  child.stdout?.pipe(process.stderr);
  return new Promise((resolve, reject) => {
    child.once('message', (m: T) => resolve({ child, ready: m }));
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
}

export async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

/** IPC asks into the Parlo node's actor system (bench/lib/parlo-node.ts). */
export function nodeAsker(child: ChildProcess): <T>(to: Address, msg: unknown) => Promise<T> {
  let next = 0;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  child.on('message', (m: { type: string; askId: number; ok: boolean; reply?: unknown; error?: string }) => {
    if (m.type !== 'askReply') return;
    const waiter = pending.get(m.askId);
    pending.delete(m.askId);
    if (m.ok) waiter?.resolve(m.reply);
    else waiter?.reject(new Error(m.error));
  });
  return <T>(to: Address, msg: unknown) =>
    new Promise<T>((resolve, reject) => {
      const askId = next++;
      pending.set(askId, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ type: 'ask', askId, to, msg });
    });
}

export function simulatorRefusals(child: ChildProcess): Promise<Record<string, Record<string, number>>> {
  return new Promise((resolve) => {
    const onMessage = (m: { type: string; byNumber: Record<string, Record<string, number>> }): void => {
      if (m.type !== 'refusals') return;
      child.off('message', onMessage);
      resolve(m.byNumber);
    };
    child.on('message', onMessage);
    child.send({ type: 'refusals' });
  });
}

/** CPU seconds (user + system) a process has used so far, from /proc. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------- HTTP

interface Answer<T> {
  readonly status: number;
  readonly json: T;
}

async function call<T>(
  pool: Pool,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer<T>> {
  const response = await pool.request({
    method,
    path,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: (text === '' ? null : JSON.parse(text)) as T };
}

export async function callOk<T>(
  pool: Pool,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<T> {
  const answer = await call<T>(pool, method, path, body, headers);
  if (answer.status >= 300)
    throw new Error(`${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.json)}`);
  return answer.json;
}

/** Runs `work(i)` for i in [0, count) with at most `limit` in flight. */
export async function forEachLimited(count: number, limit: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, count) }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- send-log arithmetic

interface WindowFigures {
  /** Max / min sends in a 1 s window [a, a + 1000) over the steady part, a on a 1 ms grid. */
  readonly maxWindowRate: number;
  readonly minWindowRate: number;
  /** Max sends in any 1 s window of the whole phase. */
  readonly maxWindowRateOverall: number;
  /** Whole seconds from the steady part's start: the fullest and emptiest. */
  readonly maxSecondBucket: number;
  readonly minSecondBucket: number;
  readonly meanRate: number;
  readonly steadySec: number;
}

export function windowFigures(times: readonly number[], steadyFrom: number, steadyTo: number): WindowFigures {
  const sorted = [...times].sort((a, b) => a - b);
  let overall = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (j < sorted.length && sorted[j]! < sorted[i]! + 1000) j++;
    overall = Math.max(overall, j - i);
  }
  const span = Math.max(0, steadyTo - steadyFrom);
  const prefix = new Int32Array(span + 1);
  for (const t of sorted) if (t >= steadyFrom && t < steadyTo) prefix[t - steadyFrom + 1]! += 1;
  for (let k = 1; k <= span; k++) prefix[k]! += prefix[k - 1]!;
  let max = 0;
  let min = Infinity;
  for (let a = 0; a + 1000 <= span; a++) {
    const n = prefix[a + 1000]! - prefix[a]!;
    if (n > max) max = n;
    if (n < min) min = n;
  }
  let maxBucket = 0;
  let minBucket = Infinity;
  for (let a = 0; a + 1000 <= span; a += 1000) {
    const n = prefix[a + 1000]! - prefix[a]!;
    maxBucket = Math.max(maxBucket, n);
    minBucket = Math.min(minBucket, n);
  }
  return {
    maxWindowRate: max,
    minWindowRate: min === Infinity ? 0 : min,
    maxWindowRateOverall: overall,
    maxSecondBucket: maxBucket,
    minSecondBucket: minBucket === Infinity ? 0 : minBucket,
    meanRate: span > 0 ? (prefix[span]! * 1000) / span : 0,
    steadySec: span / 1000,
  };
}

// ---------------------------------------------------------------- the scenario

interface Ctx {
  readonly parlo: Pool;
  readonly sim: Pool;
  readonly apiKey: Record<string, string>;
  readonly askNode: <T>(to: Address, msg: unknown) => Promise<T>;
  readonly simChild: ChildProcess;
  readonly pids: { readonly parlo: number | undefined; readonly simulator: number | undefined };
  readonly log: (m: string) => void;
}

/**
 * How sends enter Parlo: `http`, `POST /v1/messages` with the API key (auth, rate limit, body validation, the
 * organisation's number check, the conversation actor's `send`); `actor`, the conversation actor's `send` asked
 * directly in the node (an IPC ask; what the route does after its checks). Both answer once the message is
 * durably queued on its conversation.
 */
type Driver = 'http' | 'actor';
interface Queued {
  readonly messageId: string;
  readonly conversationId: string;
}
type Sender = (from: string, to: string, n: number) => Promise<Queued | undefined>;

function httpSender(ctx: Ctx): Sender {
  return async (from, to, n) => {
    const answer = await call<Queued>(ctx.parlo, 'POST', '/v1/messages', sendBody(from, to, n), ctx.apiKey);
    return answer.status === 202 ? answer.json : undefined;
  };
}

let actorSends = 0;
function actorSender(ctx: Ctx, orgId: string, userId: string): Sender {
  return async (from, to, n) => {
    const conversationId = `${from}.p${to}`;
    const messageId = `msg_bench${(actorSends++).toString(16).padStart(12, '0')}`;
    const reply = await ctx
      .askNode<{ ok: boolean }>(
        { kind: 'conversation', id: conversationId },
        {
          type: 'send',
          orgId,
          phoneNumberId: from,
          customer: { phone: to },
          messageId,
          content: { type: 'text', text: { body: `Thanks for your message, reply ${n}` } },
          category: 'service',
          by: { kind: 'user', id: userId },
        },
      )
      .catch(() => ({ ok: false }));
    return reply.ok ? { messageId, conversationId } : undefined;
  };
}

interface NumberState {
  state: { ratePerSec: number; queued: number; granted: number; throttledCount: number };
}

const customerOf = (i: number): string => `49170${String(i).padStart(7, '0')}`;
const sendBody = (from: string, to: string, n: number): string =>
  `{"from":"${from}","to":"+${to}","content":{"type":"text","text":{"body":"Thanks for your message, reply ${n}"}}}`;

async function simSent(ctx: Ctx): Promise<number> {
  return (await callOk<{ sent: number }>(ctx.sim, 'GET', '/_sim/stats')).sent;
}

/** One inbound message per customer, then every conversation's window open as the API shows it. */
async function openWindows(ctx: Ctx, phoneNumberIds: readonly string[], customers: number): Promise<void> {
  const pairs = phoneNumberIds.length * customers;
  await forEachLimited(pairs, 16, async (i) => {
    const phoneNumberId = phoneNumberIds[i % phoneNumberIds.length]!;
    await callOk(ctx.sim, 'POST', '/_sim/inbound', {
      phoneNumberId,
      message: { type: 'text', from: customerOf(Math.floor(i / phoneNumberIds.length)), body: 'Hello, a question' },
    });
  });
  await forEachLimited(pairs, 16, async (i) => {
    const phoneNumberId = phoneNumberIds[i % phoneNumberIds.length]!;
    const path = `/v1/conversations/${phoneNumberId}.p${customerOf(Math.floor(i / phoneNumberIds.length))}?limit=1`;
    await eventually(
      () => call<{ window?: { canSendFreeForm: boolean } }>(ctx.parlo, 'GET', path, undefined, ctx.apiKey),
      (r) => r.status === 200 && r.json.window?.canSendFreeForm === true,
      `the window of ${path}`,
      60_000,
    );
  });
}

interface PacingResult extends WindowFigures {
  readonly mps: number;
  readonly driver: Driver;
  /** The fewest sends waiting on the number actor in the steady part (sampled every 250 ms): > 0 = saturated. */
  readonly minQueued: number;
  readonly maxQueued: number;
  /** Cores the Parlo node and the simulator used during the load (CPU seconds / wall seconds). */
  readonly parloCores: number;
  readonly simulatorCores: number;
  readonly durationSec: number;
  readonly rateLimitErrors: number;
  readonly otherRefusals: Record<string, number>;
  readonly parloThrottled: number;
  readonly posted: number;
  readonly sent: number;
  readonly customers: number;
  readonly postFailures: number;
}

async function pacingPhase(
  ctx: Ctx,
  number: (typeof PACING_NUMBERS)[number],
  durationSec: number,
  driver: Driver,
  send: Sender,
): Promise<PacingResult> {
  const { phoneNumberId, mps } = number;
  const customers = Math.max(50, Math.ceil((mps * (durationSec + PACING_BACKLOG_SEC + 1)) / SENDS_PER_CUSTOMER));
  ctx.log(`pacing ${mps} msg/s: opening ${customers} customer-service windows`);
  await openWindows(ctx, [phoneNumberId], customers);
  // The simulator counted the inbound messages against the number's throughput (its bucket went negative):
  // let it refill completely before the sends start, so that only Parlo's sends are measured against the limit.
  const settleMs = Math.max(3_000, Math.ceil((customers / mps) * 1000) + 2_000);
  await sleep(settleMs);

  const sentBase = await simSent(ctx);
  const target = Math.ceil(mps * PACING_BACKLOG_SEC);
  let issued = 0;
  let accepted = 0;
  let postFailures = 0;
  let budget = target;
  const cpuBefore = { parlo: cpuSeconds(ctx.pids.parlo), simulator: cpuSeconds(ctx.pids.simulator) };
  const startedAt = Date.now();
  const stopAt = startedAt + durationSec * 1000;
  ctx.log(
    `pacing ${mps} msg/s: ${durationSec} s, keeping ${target} sends queued on number ${phoneNumberId} (${driver} driver)`,
  );
  const controller = (async () => {
    while (Date.now() < stopAt) {
      await sleep(50);
      const done = (await simSent(ctx)) - sentBase;
      budget = Math.max(0, target - (issued - done));
    }
  })();
  const queuedSamples: { atMs: number; queued: number }[] = [];
  const sampler = (async () => {
    while (Date.now() < stopAt) {
      await sleep(250);
      const { state } = await ctx.askNode<NumberState>(
        { kind: 'number', id: phoneNumberId },
        { type: 'getNumberState' },
      );
      queuedSamples.push({ atMs: Date.now(), queued: state.queued });
    }
  })();
  const workers = Array.from({ length: PACING_IN_FLIGHT }, async () => {
    while (Date.now() < stopAt) {
      if (budget <= 0) {
        await sleep(5);
        continue;
      }
      budget--;
      const n = issued++;
      if (await send(phoneNumberId, customerOf(n % customers), n)) accepted++;
      else postFailures++;
    }
  });
  await Promise.all([controller, sampler, ...workers]);
  const stoppedAt = Date.now();
  const wallSec = (stoppedAt - startedAt) / 1000;
  const parloCores = (cpuSeconds(ctx.pids.parlo) - cpuBefore.parlo) / wallSec;
  const simulatorCores = (cpuSeconds(ctx.pids.simulator) - cpuBefore.simulator) / wallSec;
  await eventually(
    () => simSent(ctx),
    (sent) => sent - sentBase >= accepted,
    'the queued sends to drain',
    120_000,
  );
  const log = await callOk<{ records: { phoneNumberId: string; acceptedAtMs: number }[] }>(
    ctx.sim,
    'GET',
    `/_sim/sent?phoneNumberId=${phoneNumberId}&since=${sentBase}`,
  );
  const times = log.records.map((r) => r.acceptedAtMs);
  const first = Math.min(...times);
  const figures = windowFigures(times, first + 2_000, stoppedAt);
  const steadyQueued = queuedSamples.filter((q) => q.atMs >= first + 2_000).map((q) => q.queued);
  const refusals = (await simulatorRefusals(ctx.simChild))[phoneNumberId] ?? {};
  const { ['130429']: throttled = 0, ...otherRefusals } = refusals;
  const numberState = await ctx.askNode<NumberState>({ kind: 'number', id: phoneNumberId }, { type: 'getNumberState' });
  ctx.log(
    `pacing ${mps} msg/s: 1 s windows max ${figures.maxWindowRate} min ${figures.minWindowRate}, 130429 × ${throttled}, queued ≥ ${Math.min(...steadyQueued)}`,
  );
  return {
    mps,
    driver,
    parloCores,
    simulatorCores,
    minQueued: steadyQueued.length > 0 ? Math.min(...steadyQueued) : 0,
    maxQueued: steadyQueued.length > 0 ? Math.max(...steadyQueued) : 0,
    durationSec,
    ...figures,
    rateLimitErrors: throttled,
    otherRefusals,
    parloThrottled: numberState.state.throttledCount,
    posted: accepted,
    sent: times.length,
    customers,
    postFailures,
  };
}

/** Bare POSTs/s of `body` from an undici Pool to a server that only answers 200 (in its own process). */
async function rawCeiling(kind: 'http' | 'uws', body: string, headers: Record<string, string>, seconds: number) {
  const server = await forkReady<{ url: string }>('../lib/raw-post-server.ts', [kind]);
  const pool = new Pool(server.ready.url, { connections: RAW_IN_FLIGHT, keepAliveTimeout: 60_000 });
  try {
    const blast = async (ms: number): Promise<number> => {
      let done = 0;
      const endAt = performance.now() + ms;
      await Promise.all(
        Array.from({ length: RAW_IN_FLIGHT }, async () => {
          while (performance.now() < endAt) {
            const response = await pool.request({ method: 'POST', path: '/v1/messages', headers, body });
            await response.body.text();
            if (response.statusCode === 200) done++;
          }
        }),
      );
      return done;
    };
    await blast(1_000);
    const started = performance.now();
    const done = await blast(seconds * 1000);
    return done / ((performance.now() - started) / 1000);
  } finally {
    await pool.close();
    await stopChild(server.child);
  }
}

interface E2EResult {
  readonly endToEndMsgPerSec: number;
  readonly apiAcceptedPerSec: number;
  readonly posted: number;
  readonly delivered: number;
  readonly failed: number;
  readonly notDelivered: number;
  readonly postFailures: number;
  readonly elapsedSec: number;
  readonly drainSec: number;
  readonly cpuSeconds: { parlo: number; simulator: number; loadGenerator: number };
  /** Actor turns and LMDB commits of the node during the phase. */
  readonly turns: number;
  readonly commits: number;
  /** Tells handled within their sender's commit (no outbox entry). */
  readonly inCycle: number;
  /** The turns of each actor kind during the phase. */
  readonly turnsByKind: Record<string, number>;
  readonly refusals: Record<string, number>;
  /** CLOCK_MONOTONIC µs (the clock of V8's CPU profiles) at the first POST and at the end: to slice `--profile`. */
  readonly monotonicUs: readonly [number, number];
}

async function endToEndPhase(
  ctx: Ctx,
  numbers: readonly string[],
  customers: number,
  seconds: number,
  pids: { parlo: number | undefined; simulator: number | undefined },
  send: Sender,
  inFlight: number,
): Promise<E2EResult> {
  const sentBase = await simSent(ctx);
  const lastOfNumber = new Map<string, { messageId: string; conversationId: string }>();
  const ours = new Set<string>();
  let issued = 0;
  let postFailures = 0;
  const cpuBefore = {
    parlo: cpuSeconds(pids.parlo),
    simulator: cpuSeconds(pids.simulator),
    own: process.cpuUsage(),
    counters: await runtimeCounters(ctx.parlo),
  };
  const started = performance.now();
  const startedUs = Number(process.hrtime.bigint() / 1000n);
  const stopAt = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < stopAt) {
        const n = issued++;
        const from = numbers[n % numbers.length]!;
        const queued = await send(from, customerOf(Math.floor(n / numbers.length) % customers), n);
        if (!queued) {
          postFailures++;
          continue;
        }
        ours.add(queued.messageId);
        lastOfNumber.set(from, queued);
      }
    }),
  );
  const postedAt = performance.now();
  const posted = ours.size;
  ctx.log(`end to end: ${posted} sends queued in ${((postedAt - started) / 1000).toFixed(1)} s; draining`);
  await eventually(
    () => simSent(ctx),
    (sent) => sent - sentBase >= posted,
    'every send to reach the simulator',
    300_000,
  );
  // The last message of each number delivered (statuses are scheduled in send order, 100 ms after acceptance).
  const pending = new Map(lastOfNumber);
  const deadline = Date.now() + 120_000;
  while (pending.size > 0) {
    if (Date.now() > deadline) throw new Error(`${pending.size} last messages were never delivered`);
    await Promise.all(
      [...pending].map(async ([number, last]) => {
        const view = await callOk<{ messages: { id: string; status: string | null }[] }>(
          ctx.parlo,
          'GET',
          `/v1/conversations/${last.conversationId}?limit=100`,
          undefined,
          ctx.apiKey,
        );
        const status = view.messages.find((m) => m.id === last.messageId)?.status;
        if (status === 'delivered' || status === 'read') pending.delete(number);
      }),
    );
    if (pending.size > 0) await sleep(20);
  }
  const endedAt = performance.now();
  const endedUs = Number(process.hrtime.bigint() / 1000n);
  const countersAfter = await runtimeCounters(ctx.parlo);
  const own = process.cpuUsage(cpuBefore.own);
  const cpu = {
    parlo: cpuSeconds(pids.parlo) - cpuBefore.parlo,
    simulator: cpuSeconds(pids.simulator) - cpuBefore.simulator,
    loadGenerator: (own.user + own.system) / 1e6,
  };

  // Count, in every conversation, the messages of this phase that reached delivered (or read).
  let delivered = 0;
  let failed = 0;
  await forEachLimited(numbers.length * customers, 16, async (i) => {
    const id = `${numbers[i % numbers.length]!}.p${customerOf(Math.floor(i / numbers.length))}`;
    let cursor: string | null = '';
    while (cursor !== null) {
      const view: {
        messages: { id: string; status: string | null; state: string | null }[];
        nextCursor: string | null;
      } = await callOk(
        ctx.parlo,
        'GET',
        `/v1/conversations/${id}?limit=100${cursor === '' ? '' : `&cursor=${cursor}`}`,
        undefined,
        ctx.apiKey,
      );
      for (const m of view.messages) {
        if (!ours.has(m.id)) continue;
        if (m.status === 'delivered' || m.status === 'read') delivered++;
        else if (m.state === 'failed') failed++;
      }
      cursor = view.nextCursor;
    }
  });
  const refusals: Record<string, number> = {};
  const byNumber = await simulatorRefusals(ctx.simChild);
  for (const number of numbers)
    for (const [code, count] of Object.entries(byNumber[number] ?? {})) refusals[code] = (refusals[code] ?? 0) + count;
  const elapsedSec = (endedAt - started) / 1000;
  return {
    endToEndMsgPerSec: delivered / elapsedSec,
    apiAcceptedPerSec: posted / ((postedAt - started) / 1000),
    posted,
    delivered,
    failed,
    notDelivered: posted - delivered - failed,
    postFailures,
    elapsedSec,
    drainSec: (endedAt - postedAt) / 1000,
    cpuSeconds: cpu,
    turns: countersAfter.turns - cpuBefore.counters.turns,
    commits: countersAfter.commits - cpuBefore.counters.commits,
    inCycle: countersAfter.inCycle - cpuBefore.counters.inCycle,
    turnsByKind: Object.fromEntries(
      Object.entries(countersAfter.turnsByKind).map(([kind, n]) => [
        kind,
        n - (cpuBefore.counters.turnsByKind[kind] ?? 0),
      ]),
    ),
    refusals,
    monotonicUs: [startedUs, endedUs],
  };
}

function pacingFigures(p: PacingResult) {
  return {
    mps: p.mps,
    driver: p.driver,
    maxWindowRate: p.maxWindowRate,
    minWindowRate: p.minWindowRate,
    rateLimitErrors: p.rateLimitErrors,
    maxWindowRateOverall: p.maxWindowRateOverall,
    maxSecondBucket: p.maxSecondBucket,
    minSecondBucket: p.minSecondBucket,
    meanRate: p.meanRate,
    steadySec: p.steadySec,
    durationSec: p.durationSec,
    sent: p.sent,
    customers: p.customers,
    otherRefusals: p.otherRefusals,
    parloThrottled: p.parloThrottled,
    postFailures: p.postFailures,
    minQueued: p.minQueued,
    maxQueued: p.maxQueued,
    parloCores: p.parloCores,
    simulatorCores: p.simulatorCores,
  };
}

function pacingRows(p: PacingResult): ReportRow[] {
  const limit = Math.floor(p.mps * (1 + TARGETS.tolerancePercent / 100));
  return [
    {
      metric: `pacing ${p.mps} msg/s: max sends in a 1 s window (steady)`,
      value: p.maxWindowRate,
      unit: 'msg',
      target: `≤ ${limit}`,
      meetsTarget: p.maxWindowRate <= limit,
    },
    { metric: `pacing ${p.mps} msg/s: min sends in a 1 s window (steady)`, value: p.minWindowRate, unit: 'msg' },
    {
      metric: `pacing ${p.mps} msg/s: max sends in any 1 s window (whole phase)`,
      value: p.maxWindowRateOverall,
      unit: 'msg',
    },
    {
      metric: `pacing ${p.mps} msg/s: mean rate (steady, ${p.steadySec.toFixed(0)} s)`,
      value: p.meanRate,
      unit: 'msg/s',
    },
    { metric: `pacing ${p.mps} msg/s: fewest sends waiting on the number (steady)`, value: p.minQueued, unit: 'sends' },
    { metric: `pacing ${p.mps} msg/s: CPU used by the Parlo node`, value: p.parloCores, unit: 'cores' },
    {
      metric: `pacing ${p.mps} msg/s: 130429 answers`,
      value: p.rateLimitErrors,
      unit: 'errors',
      target: '0',
      meetsTarget: p.rateLimitErrors === TARGETS.rateLimitErrors,
    },
  ];
}

function e2eReport(
  e2e: E2EResult,
  run: {
    rawHttp: number;
    rawUws: number;
    numbers: number;
    customers: number;
    seconds: number;
    driver: Driver;
    inFlight: number;
  },
): { figures: Record<string, unknown>; rows: ReportRow[] } {
  const ratio = e2e.endToEndMsgPerSec / run.rawHttp;
  const perMessageMs = (cpu: number) => (cpu * 1000) / Math.max(1, e2e.delivered);
  const cpuMs = {
    parlo: perMessageMs(e2e.cpuSeconds.parlo),
    simulator: perMessageMs(e2e.cpuSeconds.simulator),
    loadGenerator: perMessageMs(e2e.cpuSeconds.loadGenerator),
  };
  return {
    figures: {
      endToEndMsgPerSec: e2e.endToEndMsgPerSec,
      rawPostCeilingPerSec: run.rawHttp,
      rawPostCeilingServer: 'node:http',
      ratioToRawCeiling: ratio,
      rawPostCeilingUwsPerSec: run.rawUws,
      ratioToRawCeilingUws: e2e.endToEndMsgPerSec / run.rawUws,
      sendsQueuedPerSec: e2e.apiAcceptedPerSec,
      e2eNumbers: run.numbers,
      e2eConversations: run.numbers * run.customers,
      e2eDriver: run.driver,
      e2eInFlight: run.inFlight,
      e2eLoadSec: run.seconds,
      e2eElapsedSec: e2e.elapsedSec,
      e2eDrainSec: e2e.drainSec,
      e2ePosted: e2e.posted,
      e2eDelivered: e2e.delivered,
      e2eFailed: e2e.failed,
      e2eNotDelivered: e2e.notDelivered,
      e2ePostFailures: e2e.postFailures,
      e2eRefusals: e2e.refusals,
      e2eCpuSeconds: e2e.cpuSeconds,
      e2eCpuMsPerMessage: cpuMs,
      e2eTurnsPerMessage: e2e.turns / Math.max(1, e2e.delivered),
      e2eTurnsByKind: e2e.turnsByKind,
      e2eCommits: e2e.commits,
      e2eMessagesPerCommit: e2e.delivered / Math.max(1, e2e.commits),
      e2eInCycleTellsPerMessage: e2e.inCycle / Math.max(1, e2e.delivered),
      e2eMonotonicUs: e2e.monotonicUs,
    },
    rows: [
      {
        metric: `end to end: messages delivered and merged (${run.numbers} numbers)`,
        value: e2e.endToEndMsgPerSec,
        unit: 'msg/s',
        target: '≥ 5,000',
        meetsTarget: e2e.endToEndMsgPerSec >= TARGETS.endToEndMsgPerSec,
      },
      {
        metric: `end to end: sends queued (${run.driver === 'http' ? 'POST /v1/messages → 202' : 'conversation send asks'})`,
        value: e2e.apiAcceptedPerSec,
        unit: 'msg/s',
      },
      { metric: 'raw loopback POST ceiling (node:http)', value: run.rawHttp, unit: 'POST/s' },
      {
        metric: 'end to end / raw ceiling (node:http)',
        value: ratio,
        unit: 'ratio',
        target: '≥ 0.125',
        meetsTarget: ratio >= TARGETS.ratioToRaw,
      },
      { metric: 'raw loopback POST ceiling (uWS, reference)', value: run.rawUws, unit: 'POST/s' },
      { metric: 'end to end: CPU per message, Parlo node', value: cpuMs.parlo, unit: 'ms' },
      { metric: 'end to end: CPU per message, simulator', value: cpuMs.simulator, unit: 'ms' },
      { metric: 'end to end: CPU per message, load generator', value: cpuMs.loadGenerator, unit: 'ms' },
      { metric: 'end to end: actor turns per message', value: e2e.turns / Math.max(1, e2e.delivered), unit: 'turns' },
      ...Object.entries(e2e.turnsByKind)
        .filter(([, n]) => n > 0)
        .sort((x, y) => y[1] - x[1])
        .map(([kind, n]) => ({
          metric: `  of which ${kind}`,
          value: n / Math.max(1, e2e.delivered),
          unit: 'turns',
        })),
      {
        metric: 'end to end: tells handled in their sender’s commit, per message',
        value: e2e.inCycle / Math.max(1, e2e.delivered),
        unit: 'tells',
      },
      { metric: 'end to end: messages not delivered + failed', value: e2e.notDelivered + e2e.failed, unit: 'msg' },
    ],
  };
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const quick = options.scale < 1;
  const profile = process.argv.includes('--profile');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only !== undefined && only !== 'pacing' && only !== 'e2e') throw new Error('--only takes pacing or e2e');
  const driverArg = process.argv.find((a) => a.startsWith('--driver='))?.slice('--driver='.length);
  if (driverArg !== undefined && driverArg !== 'http' && driverArg !== 'actor') {
    throw new Error('--driver takes http or actor');
  }
  // Pacing measures the number actor: sends are fed to the conversation actors directly unless told otherwise,
  // so that the HTTP API (or the load generator) cannot be what limits the rate. End to end starts at the API.
  const pacingDriver: Driver = driverArg ?? 'actor';
  const inFlightText = process.argv.find((a) => a.startsWith('--in-flight='))?.slice('--in-flight='.length);
  const inFlightArg = inFlightText === undefined ? undefined : Number(inFlightText);
  const e2eDriver: Driver = driverArg ?? 'http';
  const pacingSec = quick ? 10 : 60;
  const e2eSec = quick ? 6 : 30;
  const e2eNumberCount = 32;
  const e2eCustomers = quick ? 64 : 256;
  const rawSec = quick ? 2 : 5;
  const profileDir = fileURLToPath(new URL('../results/profiles/', import.meta.url));
  const profileArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (profile) mkdirSync(profileDir, { recursive: true });

  const temp = makeTempDir('parlo-bench-send-');
  let simChild: ChildProcess | undefined;
  let nodeChild: ChildProcess | undefined;
  const pools: Pool[] = [];
  try {
    const simulator = await forkReady<{ url: string }>('../lib/send-simulator.ts', [], profileArgs);
    simChild = simulator.child;
    const overrides = { ...BENCH_LIMITS, whatsapp: { graphBaseUrl: simulator.ready.url } };
    const node = await forkReady<{ httpUrl: string }>(
      '../lib/parlo-node.ts',
      [temp.path, APP_SECRET, JSON.stringify(overrides)],
      [...PARLO_NODE_FLAGS, ...profileArgs],
    );
    nodeChild = node.child;
    const connections = Math.max(PACING_IN_FLIGHT, inFlightArg ?? E2E_IN_FLIGHT);
    const parlo = new Pool(node.ready.httpUrl, { connections, keepAliveTimeout: 60_000 });
    const sim = new Pool(simulator.ready.url, { connections: 16, keepAliveTimeout: 60_000 });
    pools.push(parlo, sim);

    // ---- an organisation, an API key, the account and its numbers
    const signedUp = await callOk<{
      org: { id: string };
      user: { id: string };
      tokens: { accessToken: string };
    }>(parlo, 'POST', '/v1/signup', {
      orgName: 'Send bench',
      email: 'owner@send.bench',
      password: PASSWORD,
    });
    const session = { authorization: `Bearer ${signedUp.tokens.accessToken}` };
    const { key } = await callOk<{ key: string }>(
      parlo,
      'POST',
      '/v1/api-keys',
      { name: 'send bench', scopes: ['messages:send', 'read'] },
      session,
    );
    const ctx: Ctx = {
      parlo,
      sim,
      apiKey: { 'x-api-key': key },
      askNode: nodeAsker(nodeChild),
      simChild,
      pids: { parlo: nodeChild.pid, simulator: simChild.pid },
      log: (m) => options.log(m),
    };
    await callOk(sim, 'POST', '/_sim/wabas', {
      wabaId: WABA_ID,
      appSecret: APP_SECRET,
      accessToken: ACCESS_TOKEN,
      messagingLimit: null,
    });
    const e2eNumbers = Array.from({ length: e2eNumberCount }, (_, i) => String(E2E_NUMBER_BASE + i));
    const allNumbers = [
      ...PACING_NUMBERS.map((n) => ({ phoneNumberId: n.phoneNumberId, display: n.display })),
      ...e2eNumbers.map((id, i) => ({ phoneNumberId: id, display: `1555740${String(i).padStart(4, '0')}` })),
    ];
    options.log(`connecting ${allNumbers.length} numbers (POST /v1/numbers, mode cloud, looked up on the simulator)`);
    let webhookUrl = '';
    for (const n of allNumbers) {
      await callOk(sim, 'POST', '/_sim/numbers', {
        phoneNumberId: n.phoneNumberId,
        wabaId: WABA_ID,
        displayPhoneNumber: n.display,
        throughputMps: 80,
      });
      const connected = await callOk<{ webhook: { url: string } }>(
        parlo,
        'POST',
        '/v1/numbers',
        {
          mode: 'cloud',
          wabaId: WABA_ID,
          phoneNumberId: n.phoneNumberId,
          appId: APP_ID,
          appSecret: APP_SECRET,
          accessToken: ACCESS_TOKEN,
        },
        session,
      );
      webhookUrl = connected.webhook.url;
    }
    await callOk(sim, 'POST', '/_sim/wabas', {
      wabaId: WABA_ID,
      appSecret: APP_SECRET,
      accessToken: ACCESS_TOKEN,
      callbackUrl: webhookUrl,
      messagingLimit: null,
    });
    // 1,000 msg/s: Meta's THROUGHPUT_UPGRADE webhook, which Parlo's number actor follows.
    const upgraded = [PACING_NUMBERS[1].phoneNumberId, ...e2eNumbers];
    for (const id of upgraded) await callOk(sim, 'POST', '/_sim/numbers/throughput', { phoneNumberId: id, mps: 1000 });
    for (const id of upgraded) {
      await eventually(
        () => ctx.askNode<NumberState>({ kind: 'number', id }, { type: 'getNumberState' }),
        (r) => r.state.ratePerSec === 1000,
        `number ${id} to follow the throughput upgrade`,
        60_000,
      );
    }

    // ---- (a) pacing
    const pacing: PacingResult[] = [];
    const senders: Record<Driver, Sender> = {
      http: httpSender(ctx),
      actor: actorSender(ctx, signedUp.org.id, signedUp.user.id),
    };
    if (only !== 'e2e') {
      for (const number of PACING_NUMBERS) {
        pacing.push(await pacingPhase(ctx, number, pacingSec, pacingDriver, senders[pacingDriver]));
      }
    }

    // ---- (b) end to end, and the raw loopback POST ceiling in the same run
    let e2e: { figures: Record<string, unknown>; rows: ReportRow[] } = { figures: {}, rows: [] };
    if (only !== 'pacing') {
      options.log(`end to end: opening ${e2eNumberCount * e2eCustomers} windows on ${e2eNumberCount} numbers`);
      await openWindows(ctx, e2eNumbers, e2eCustomers);
      await sleep(3_000);
      const sampleBody = sendBody(e2eNumbers[0]!, customerOf(0), 0);
      const rawHeaders = { 'content-type': 'application/json', 'x-api-key': key };
      options.log(`raw loopback POST ceiling: node:http, then uWS, ${RAW_IN_FLIGHT} in flight, ${rawSec} s each`);
      const rawHttp = await rawCeiling('http', sampleBody, rawHeaders, rawSec);
      const rawUws = await rawCeiling('uws', sampleBody, rawHeaders, rawSec);
      options.log(`raw ceiling: node:http ${Math.round(rawHttp)} POST/s, uWS ${Math.round(rawUws)} POST/s`);
      const inFlight = inFlightArg ?? E2E_IN_FLIGHT;
      options.log(
        `end to end: ${inFlight} sends in flight (${e2eDriver}) for ${e2eSec} s over ${e2eNumberCount} numbers`,
      );
      const pids = { parlo: nodeChild.pid, simulator: simChild.pid };
      const result = await endToEndPhase(ctx, e2eNumbers, e2eCustomers, e2eSec, pids, senders[e2eDriver], inFlight);
      e2e = e2eReport(result, {
        rawHttp,
        rawUws,
        numbers: e2eNumberCount,
        customers: e2eCustomers,
        seconds: e2eSec,
        driver: e2eDriver,
        inFlight,
      });
    }
    return {
      scenario: 'send',
      figures: {
        ...(only === 'e2e' ? {} : { pacing: pacing.map(pacingFigures) }),
        ...e2e.figures,
        ...(only === 'e2e' ? {} : { pacingDriver }),
      },
      rows: [...pacing.flatMap(pacingRows), ...e2e.rows],
      notes: [
        `three processes share the cores: the Parlo node (startParlo, embedded LMDB, cloud mode → the simulator), the simulator (uWS), and this one (load); load average at the end ${loadavg()[0]!.toFixed(1)}`,
        'every send is a free-form reply inside a customer-service window opened by an injected inbound message; drivers: http = POST /v1/messages (X-Api-Key), actor = the conversation actor’s send asked in the node (IPC)',
        `pacing (${pacingDriver} driver): ~1.5 s of sends kept queued on the number; 1 s windows [a, a+1000 ms), a on a 1 ms grid, over the steady part (first send + 2 s to the end of the load), from the simulator's send log`,
        `end to end (${e2eDriver} driver): a message counts once its delivered status webhook is ingested and merged into its conversation (GET /v1/conversations); clock from the first send to the last number's last message delivered`,
        `raw ceiling: bare POSTs of the same body and headers from an undici Pool (${RAW_IN_FLIGHT} connections, ${RAW_IN_FLIGHT} in flight) to a process that only answers 200`,
      ],
    };
  } finally {
    for (const pool of pools) await pool.close();
    await stopChild(nodeChild);
    await stopChild(simChild);
    temp.remove();
  }
}
