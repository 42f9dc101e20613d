import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Agent, Pool, WebSocket, request } from 'undici';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { PARLO_NODE_FLAGS } from '../../frontends/cli/node-flags.ts';
import type { BenchOptions } from '../run.ts';
import type { BenchReport, ReportRow } from '../lib/report.ts';
import { runtimeCounters } from '../lib/runtime-counters.ts';

/**
 * `npm run bench -- inbox [--quick] [--json]`: the realtime inbox's latency (issue #7, 8). A Parlo node in its
 * embedded default (its own process: LMDB, the bundled simulator, the uWS gateway) and this process holding the
 * operators' sockets:
 *  (a) 500 sockets over 50 organisations, each subscribed to its organisation's whole inbox; customers' messages at
 *      1,000/s spread over the organisations, injected into the simulator, which delivers them as signed webhooks;
 *  (b) one busy organisation: 200 sockets, 200 msg/s;
 *  (c) then 10,000 idle sockets (authenticated, subscribed, silent), opened 200 at a time, and the node's RSS
 *      before and after they connect (memory the earlier phases freed may be reused: an upper bound on the cost
 *      only when RSS grows).
 * Latency: from the simulator's injection (its time, in the node's process, written into the message text) to the
 * event frame on each subscribed socket (this process; same host clock), p50/p99 over every (message, socket).
 * `--quick`: a fifth of the duration and of the idle sockets.
 */

const TARGETS = { p99Ms: 50, idleSockets: 10_000, bytesPerIdleSocket: 10 * 1024 };
const PASSWORD = 'correct horse battery staple';
const CUSTOMERS_PER_ORG = 20;
const agent = new Agent({ connections: 20_000 });

interface Node {
  readonly child: ChildProcess;
  readonly httpUrl: string;
  readonly realtimeUrl: string;
}

interface Org {
  readonly token: string;
  readonly phoneNumberId: string;
}

async function startNode(dataDir: string): Promise<Node> {
  const child = fork(fileURLToPath(new URL('../lib/inbox-node.ts', import.meta.url)), [dataDir], {
    execArgv: ['--import', 'tsx', ...PARLO_NODE_FLAGS],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<{ httpUrl: string; realtimeUrl: string }>((resolve, reject) => {
    child.once('message', (m: { httpUrl: string; realtimeUrl: string }) => resolve(m));
    child.once('exit', (code) => reject(new Error(`Parlo node exited with ${code} before it was ready`)));
  });
  return { child, ...ready };
}

async function post<T>(url: string, body: unknown, token?: string): Promise<T> {
  const res = await request(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${text}`);
  return JSON.parse(text) as T;
}

async function createOrgs(node: Node, count: number, tag: string): Promise<Org[]> {
  const orgs: Org[] = [];
  for (let i = 0; i < count; i++) {
    const signup = await post<{ tokens: { accessToken: string } }>(`${node.httpUrl}/v1/signup`, {
      orgName: `Inbox ${tag} ${i}`,
      email: `owner${i}@${tag}.inbox.bench`,
      password: PASSWORD,
    });
    const token = signup.tokens.accessToken;
    const connected = await post<{ number: { phoneNumberId: string } }>(
      `${node.httpUrl}/v1/numbers`,
      { mode: 'simulator' },
      token,
    );
    orgs.push({ token, phoneNumberId: connected.number.phoneNumberId });
  }
  return orgs;
}

/** An operator's socket: subscribed to its organisation; records the latency of each message event it gets. */
class OperatorSocket {
  readonly latencies: number[] = [];
  /** Messages injected at or after this time (epoch ms, fractional) are measured; NaN: none. */
  measureFromMs = Number.NaN;
  private constructor(readonly socket: WebSocket) {}

  static async open(node: Node, token: string, subscribe: boolean): Promise<OperatorSocket> {
    const socket = new WebSocket(node.realtimeUrl, {
      protocols: ['parlo.v1', `parlo.bearer.${token}`],
      dispatcher: agent,
    });
    const client = new OperatorSocket(socket);
    await new Promise<void>((resolve, reject) => {
      let subscribed = !subscribe;
      socket.addEventListener('message', (event) => {
        const frame = JSON.parse(String(event.data)) as {
          type: string;
          event?: { type: string; message?: { content?: { body?: string } } };
        };
        if (frame.type === 'ready' && subscribe) socket.send(JSON.stringify({ type: 'subscribe', scope: 'org' }));
        if (frame.type === 'ready' && !subscribe) resolve();
        if (frame.type === 'subscribed' && !subscribed) {
          subscribed = true;
          resolve();
        }
        if (frame.type === 'event' && frame.event?.type === 'message') {
          const body = frame.event.message?.content?.body ?? '';
          const at = body.lastIndexOf(' t=');
          const sentAtMs = at >= 0 ? Number(body.slice(at + 3)) : Number.NaN;
          if (sentAtMs >= client.measureFromMs) {
            client.latencies.push(performance.timeOrigin + performance.now() - sentAtMs);
          }
        }
      });
      socket.addEventListener('error', () => reject(new Error('socket error')));
      socket.addEventListener('close', (event) => reject(new Error(`socket closed ${event.code} ${event.reason}`)));
    });
    return client;
  }

  close(): void {
    this.socket.close();
  }
}

/** Handshakes the client saw fail (the socket closed before `ready`/`subscribed`), each tried again: counted. */
let failedHandshakes = 0;

/** Opens a socket, trying a failed handshake up to twice more. */
async function openRetrying(node: Node, token: string, subscribe: boolean): Promise<OperatorSocket> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await OperatorSocket.open(node, token, subscribe);
    } catch (err) {
      failedHandshakes++;
      if (attempt === 3) throw err;
    }
  }
}

/** Customers of each organisation write at `perSec` in total for `durationSec`, spread evenly over the orgs. */
async function drive(node: Node, orgs: readonly Org[], perSec: number, durationSec: number): Promise<number> {
  const tickMs = 10;
  const ticks = Math.round((durationSec * 1000) / tickMs);
  const started = performance.now();
  let sent = 0;
  for (let t = 0; t < ticks; t++) {
    const due = Math.round(((t + 1) * tickMs * perSec) / 1000);
    const items = [];
    for (; sent < due; sent++) {
      const org = orgs[sent % orgs.length]!;
      const customer = Math.floor(sent / orgs.length) % CUSTOMERS_PER_ORG;
      items.push({
        phoneNumberId: org.phoneNumberId,
        from: `3460${String(customer).padStart(7, '0')}`,
        body: `m${sent}`,
      });
    }
    node.child.send({ type: 'inject', items });
    const wait = started + (t + 1) * tickMs - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  return sent;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(
  node: Node,
  orgs: readonly Org[],
  socketsPerOrg: number,
  perSec: number,
  durationSec: number,
  log: (m: string) => void,
) {
  const sockets: OperatorSocket[] = [];
  for (const org of orgs) {
    for (let i = 0; i < socketsPerOrg; i++) sockets.push(await openRetrying(node, org.token, true));
  }
  log(`${sockets.length} sockets subscribed; warm-up`);
  await drive(node, orgs, perSec, 2);
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  // Only messages injected from now on count (the warm-up's late frames do not).
  const from = performance.timeOrigin + performance.now();
  for (const s of sockets) s.measureFromMs = from;
  log(`${perSec} msg/s for ${durationSec} s`);
  const metricsPool = new Pool(node.httpUrl);
  const countersBefore = await runtimeCounters(metricsPool);
  const usageBefore = await usage(node);
  const sent = await drive(node, orgs, perSec, durationSec);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const countersAfter = await runtimeCounters(metricsPool);
  await metricsPool.close();
  const usageAfter = await usage(node);
  const all = sockets.flatMap((s) => s.latencies).sort((a, b) => a - b);
  const expected = sent * socketsPerOrg;
  for (const s of sockets) s.close();
  const turnsByKind: Record<string, number> = {};
  for (const [kind, n] of Object.entries(countersAfter.turnsByKind)) {
    const turns = (n - (countersBefore.turnsByKind[kind] ?? 0)) / sent;
    if (turns >= 0.005) turnsByKind[kind] = turns;
  }
  return {
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    max: all.at(-1) ?? Number.NaN,
    frames: all.length,
    expected,
    cpuMsPerMessage: (usageAfter.cpuMicros - usageBefore.cpuMicros) / 1000 / sent,
    turnsPerMessage: (countersAfter.turns - countersBefore.turns) / sent,
    turnsByKind,
  };
}

async function rss(node: Node): Promise<number> {
  return (await usage(node)).rssBytes;
}

/** The node's resident memory and CPU time so far (IPC). */
async function usage(node: Node): Promise<{ rssBytes: number; cpuMicros: number }> {
  return await new Promise((resolve) => {
    const onMessage = (m: { type: string; rssBytes?: number; cpuMicros?: number }) => {
      if (m.type !== 'rss') return;
      node.child.off('message', onMessage);
      resolve({ rssBytes: m.rssBytes!, cpuMicros: m.cpuMicros! });
    };
    node.child.on('message', onMessage);
    node.child.send({ type: 'rss' });
  });
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const temp = makeTempDir('parlo-bench-inbox-');
  const node = await startNode(temp.path);
  try {
    const durationSec = Math.max(4, Math.round(20 * options.scale));
    options.log('creating 51 organisations with a simulator number each');
    const orgs = await createOrgs(node, 50, 'many');
    const [busy] = await createOrgs(node, 1, 'busy');

    const many = await measure(node, orgs, 10, 1_000, durationSec, (m) => options.log(m));
    options.log(
      `(a) p50 ${many.p50.toFixed(1)} ms, p99 ${many.p99.toFixed(1)} ms, ${many.frames}/${many.expected} frames`,
    );
    const one = await measure(node, [busy!], 200, 200, durationSec, (m) => options.log(m));
    options.log(`(b) p50 ${one.p50.toFixed(1)} ms, p99 ${one.p99.toFixed(1)} ms, ${one.frames}/${one.expected} frames`);

    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const idleTarget = Math.round(TARGETS.idleSockets * Math.min(1, options.scale));
    const before = await rss(node);
    const idle: OperatorSocket[] = [];
    options.log(`opening ${idleTarget} idle sockets`);
    // Opened 100 at a time; a handshake the client saw fail is tried again, and counted.
    for (let i = 0; i < idleTarget; i += 100) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(100, idleTarget - i) }, (_, k) =>
          openRetrying(node, orgs[(i + k) % orgs.length]!.token, true),
        ),
      );
      idle.push(...batch);
    }
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await rss(node);
    const bytesPerIdleSocket = (after - before) / idle.length;
    options.log(
      `node RSS ${Math.round(before / 2 ** 20)} MB before, ${Math.round(after / 2 ** 20)} MB with ${idle.length} idle sockets`,
    );
    for (const s of idle) s.close();

    const rows: ReportRow[] = [
      { metric: '(a) 500 sockets / 50 orgs, 1,000 msg/s: webhook → frame p50', value: many.p50, unit: 'ms' },
      {
        metric: '(a) … p99',
        value: many.p99,
        unit: 'ms',
        target: `≤ ${TARGETS.p99Ms}`,
        meetsTarget: many.p99 <= TARGETS.p99Ms,
      },
      { metric: '(a) … max', value: many.max, unit: 'ms' },
      { metric: '(a) frames received / expected', value: many.frames / many.expected, unit: 'ratio' },
      { metric: '(a) node CPU per customer message (all threads)', value: many.cpuMsPerMessage, unit: 'ms' },
      { metric: '(a) actor turns per customer message', value: many.turnsPerMessage, unit: 'turns' },
      ...Object.entries(many.turnsByKind)
        .sort((x, y) => y[1] - x[1])
        .map(([kind, turns]) => ({ metric: `  of which ${kind}`, value: turns, unit: 'turns' })),
      { metric: '(b) 200 sockets / 1 org, 200 msg/s: p50', value: one.p50, unit: 'ms' },
      { metric: '(b) … p99', value: one.p99, unit: 'ms' },
      { metric: '(b) frames received / expected', value: one.frames / one.expected, unit: 'ratio' },
      {
        metric: '(c) idle sockets held (subscribed)',
        value: idle.length,
        unit: 'sockets',
        target: `≥ ${TARGETS.idleSockets}`,
        meetsTarget: idle.length >= TARGETS.idleSockets,
      },
      { metric: 'handshakes that failed and were retried (all phases)', value: failedHandshakes, unit: 'sockets' },
      {
        metric: '(c) node RSS per idle socket',
        value: bytesPerIdleSocket,
        unit: 'bytes',
        target: `≤ ${TARGETS.bytesPerIdleSocket}`,
        meetsTarget: bytesPerIdleSocket <= TARGETS.bytesPerIdleSocket,
      },
    ];
    return {
      scenario: 'inbox',
      figures: {
        p50Ms: many.p50,
        p99Ms: many.p99,
        busyOrgP50Ms: one.p50,
        busyOrgP99Ms: one.p99,
        cpuMsPerMessage: many.cpuMsPerMessage,
        turnsPerMessage: many.turnsPerMessage,
        turnsByKind: many.turnsByKind,
        p99MsDuringBlast: 'not measured',
        idleSockets: idle.length,
        handshakesRetried: failedHandshakes,
        bytesPerIdleSocket,
      },
      rows,
      notes: [
        'the Parlo node (startParlo, embedded: LMDB, simulator, uWS gateway) runs in its own process; the sockets (undici WebSocket) in this one, on the same 2 cores',
        'latency runs from the simulator’s injection of the customer message (its webhook then goes to the node’s endpoint) to the event frame on each socket, so it includes the webhook hop',
        'p99 during a concurrent campaign blast is not measured yet',
      ],
    };
  } finally {
    node.child.send({ type: 'stop' });
    await new Promise((resolve) => node.child.once('exit', resolve));
    temp.remove();
  }
}
