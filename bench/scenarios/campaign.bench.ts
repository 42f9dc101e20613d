import type { ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { PARLO_NODE_FLAGS } from '../../frontends/cli/node-flags.ts';
import type { BenchOptions } from '../run.ts';
import type { BenchReport, ReportRow } from '../lib/report.ts';
import {
  callOk,
  cpuSeconds,
  forEachLimited,
  forkReady,
  nodeAsker,
  simulatorRefusals,
  stopChild,
  windowFigures,
} from './send.bench.ts';
import { runtimeCounters } from '../lib/runtime-counters.ts';

/**
 * `npm run bench -- campaign [--recipients N] [--quick] [--json] [--profile] [--only=paced,unlimited,csv]`:
 * campaigns at scale (issue #6, item 7), over the send benchmark's processes: a Parlo node (`startParlo`, embedded LMDB, cloud mode pointed at
 * the simulator; bench/lib/parlo-node.ts), the Cloud API simulator in its own process (send-simulator.ts, through
 * bench/lib/campaign-simulator.ts, which adds a throughput above Meta's levels), and this one. N recipients,
 * default 100,000 (`--quick`: 10,000). `--profile` writes V8 CPU profiles of the Parlo nodes to
 * bench/results/profiles/. Every 5 s a phase logs its progress (and keeps it in the JSON): sends accepted, the
 * rate and the node's CPU per send over the last 5 s, the wallet's open reservations. `--only` runs some of the
 * three phases below (the figures of the others are null).
 *
 * Setup, as an operator would: one WhatsApp business account on the simulator with an unlimited messaging limit
 * (`POST /_sim/wabas`, `messagingLimit: null`) and two numbers; an organisation signs up, connects both (`POST
 * /v1/numbers`, mode cloud), tops its wallet up, submits a UTILITY template (approved by the simulator's review
 * webhook) and imports N contacts tagged `bench` (`POST /v1/contacts/batch`, 1,000 per call; not timed). Utility
 * campaigns need no consent and have no frequency cap; quiet hours are off.
 *
 * (a) Paced: the first number gets Meta's THROUGHPUT_UPGRADE (`POST /_sim/numbers/throughput`, 1,000 msg/s in the
 *     simulator; Parlo's number actor follows it; the same webhook tells the portfolio its limit is unlimited). A
 *     campaign over the N contacts is launched (`POST /v1/campaigns/{id}/launch`); the clock runs from the launch
 *     request to the simulator's acceptance of the last of the N sends (`durationSec`, target ≤ 1.05 s per 1,000
 *     recipients: 105 s for 100k). From the simulator's send log: the most sends in any 1 s window
 *     (`maxWindowRate`, ≤ 1,020) and the 130429 answers it gave that number (`rateLimitErrors`, 0). Then the
 *     run's funnel (`GET /v1/campaigns/{id}/runs/1`) once it completed and every status was merged. A phase gives
 *     up after 3 × its ideal time + 60 s (at least 120 s): it is then reported incomplete (the duration a lower
 *     bound) and its campaign cancelled, so that it does not load the next phase.
 * (b) Unlimited: the second number runs at 100,000 msg/s in the simulator (an IPC control, the `/_sim` API stops
 *     at 1,000) and its number actor is told 50,000 (`setThroughput`, an IPC ask), so that Parlo itself is the
 *     limit; a second campaign over the same N contacts: N / (launch → last send accepted) (`unlimitedMsgPerSec`).
 *     The Parlo node's peak RSS over (a) and (b), setup included (`peakRssMb`, VmHWM; VmRSS sampled every 250 ms
 *     as well; target ≤ 1 GB).
 * (c) CSV import, on a fresh Parlo node and data dir (after the first node stopped): a CSV of 1,000,000 contacts
 *     (`--quick`: 100,000; columns phone, name, tags) imported by `importContacts` (what `parlo contacts import`
 *     runs, its defaults: batches of 1,000, 4 in flight) in a process of its own: rows / wall seconds
 *     (`csvRowsPerSec`, target ≥ 50,000), the node's peak RSS (`csvPeakRssMb`) and the importer's.
 */

const APP_SECRET = 'bench-campaign-app-secret-0123456789';
const ACCESS_TOKEN = 'EAAbenchCampaignAccessToken0123456789';
const WABA_ID = '750000000000000';
const APP_ID = '751000000000000';
const PACED = { phoneNumberId: '760000000000001', display: '15557600001', mps: 1000 } as const;
const UNLIMITED = {
  phoneNumberId: '760000000000002',
  display: '15557600002',
  simulatorMps: 100_000,
  parloMps: 50_000,
} as const;
const TEMPLATE = {
  name: 'delivery_window',
  language: 'de',
  category: 'UTILITY',
  components: [{ type: 'BODY', text: 'Hallo {{1}}, Ihre Lieferung kommt morgen.', example: { body_text: [['Anna']] } }],
};
const TAG = 'bench';
const BATCH = 1_000;
const TARGETS = {
  secondsPer1000: 1.05,
  maxWindowRate: 1_020,
  rateLimitErrors: 0,
  peakRssMb: 1024,
  csvRowsPerSec: 50_000,
};
/** The send benchmark's raised API limits: the load generator must not be what is measured. */
const BENCH_LIMITS = { api: { ratePerKeyPerSec: 10_000_000, ratePerOrgPerSec: 10_000_000 } };
const PASSWORD = 'correct horse battery staple';

const phoneOf = (i: number): string => `49151${String(i).padStart(8, '0')}`;
const csvPhoneOf = (i: number): string => `49152${String(i).padStart(8, '0')}`;

// ---------------------------------------------------------------- memory

/** A field of /proc/<pid>/status in MB (VmRSS: now; VmHWM: the peak so far; RssAnon: heap and stacks), 0 if gone. */
function procStatusMb(pid: number | undefined, field: 'VmRSS' | 'VmHWM' | 'RssAnon'): number {
  if (pid === undefined) return 0;
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) / 1024;
  } catch {
    return 0;
  }
}

interface RssPeaks {
  /** The kernel's peak resident set (VmHWM): anonymous memory plus the mapped file pages (LMDB) resident. */
  readonly hwmMb: number;
  /** The highest VmRSS and RssAnon sampled (every 250 ms). */
  readonly sampledPeakMb: number;
  readonly sampledAnonPeakMb: number;
}

/** Samples a process's VmRSS and RssAnon every 250 ms until stopped; `stop` adds its VmHWM. */
function rssSampler(pid: number | undefined): { stop(): RssPeaks } {
  let sampledPeakMb = 0;
  let sampledAnonPeakMb = 0;
  const sample = (): void => {
    sampledPeakMb = Math.max(sampledPeakMb, procStatusMb(pid, 'VmRSS'));
    sampledAnonPeakMb = Math.max(sampledAnonPeakMb, procStatusMb(pid, 'RssAnon'));
  };
  sample();
  const timer = setInterval(sample, 250);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return { hwmMb: procStatusMb(pid, 'VmHWM'), sampledPeakMb, sampledAnonPeakMb };
    },
  };
}

// ---------------------------------------------------------------- processes

interface Parlo {
  readonly child: ChildProcess;
  readonly pool: Pool;
  readonly url: string;
  readonly ask: <T>(to: { kind: string; id: string }, msg: unknown) => Promise<T>;
}

/** `--profile`: V8 CPU profiles of the Parlo nodes, written to bench/results/profiles/ when they exit. */
const PROFILE_DIR = fileURLToPath(new URL('../results/profiles/', import.meta.url));
const profileArgs = (): string[] =>
  process.argv.includes('--profile') ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];

async function startNode(dataDir: string, simulatorUrl: string): Promise<Parlo> {
  const overrides = { ...BENCH_LIMITS, whatsapp: { graphBaseUrl: simulatorUrl } };
  const node = await forkReady<{ httpUrl: string }>(
    '../lib/parlo-node.ts',
    [dataDir, APP_SECRET, JSON.stringify(overrides)],
    [...PARLO_NODE_FLAGS, ...profileArgs()],
  );
  return {
    child: node.child,
    pool: new Pool(node.ready.httpUrl, { connections: 16, keepAliveTimeout: 60_000 }),
    url: node.ready.httpUrl,
    ask: nodeAsker(node.child),
  };
}

/**
 * Stops a node and says how long it took: the send benchmark's `stopChild` kills a node after 20 s, which a node
 * that just ran a large campaign can need more than (and a killed node writes no `--profile`); here 180 s.
 */
async function stopNode(parlo: Parlo, log: (m: string) => void): Promise<void> {
  const child = parlo.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const started = Date.now();
  const ended = once(child, 'exit') as Promise<[number | null, string | null]>;
  child.send({ type: 'stop' });
  const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
  const [code, signal] = await ended;
  clearTimeout(timer);
  log(`node stopped in ${((Date.now() - started) / 1000).toFixed(1)} s (${signal ?? `exit ${code}`})`);
}

/** Asks the simulator process (campaign-simulator.ts) to run a number at `mps`, above Meta's levels if need be. */
async function upgradeSimulatorNumber(simChild: ChildProcess, phoneNumberId: string, mps: number): Promise<void> {
  const done = new Promise<void>((resolve) => {
    const onMessage = (m: { type: string; phoneNumberId?: string }): void => {
      if (m.type !== 'throughputUpgraded' || m.phoneNumberId !== phoneNumberId) return;
      simChild.off('message', onMessage);
      resolve();
    };
    simChild.on('message', onMessage);
  });
  simChild.send({ type: 'upgradeThroughput', phoneNumberId, mps });
  await done;
}

async function signUp(pool: Pool, name: string, email: string) {
  const signedUp = await callOk<{ org: { id: string }; tokens: { accessToken: string } }>(pool, 'POST', '/v1/signup', {
    orgName: name,
    email,
    password: PASSWORD,
  });
  return { orgId: signedUp.org.id, session: { authorization: `Bearer ${signedUp.tokens.accessToken}` } };
}

// ---------------------------------------------------------------- (a) and (b): a campaign over N recipients

interface Counters {
  audience: number;
  skipped: Record<string, number>;
  dispatched: number;
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  failed: Record<string, number>;
}
interface RunView {
  status: string;
  firstSendAt: string | null;
  dispatchFinishedAt: string | null;
  inFlight: number;
  total: Counters;
}

interface PhaseResult {
  readonly label: string;
  readonly phoneNumberId: string;
  readonly campaignId: string;
  /** Simulator sends of this number accepted during the phase (N when complete). */
  readonly accepted: number;
  readonly complete: boolean;
  /** Launch request → the last send accepted by the simulator. */
  readonly durationSec: number;
  /** Launch request → answered (the pre-flight screens the whole audience), → the first send accepted. */
  readonly launchAnswerSec: number;
  readonly firstSendSec: number;
  readonly msgPerSec: number;
  /** Sends accepted from the first to the last, per second. */
  readonly sendingMsgPerSec: number;
  readonly maxWindowRate: number;
  readonly rateLimitErrors: number;
  readonly otherRefusals: Record<string, number>;
  readonly parloCores: number;
  readonly simulatorCores: number;
  readonly funnel: {
    status: string;
    audience: number;
    dispatched: number;
    sent: number;
    delivered: number;
    read: number;
    failed: Record<string, number>;
    skipped: Record<string, number>;
  };
  /** Last send accepted → the run completed with every status merged (or the wait gave up). */
  readonly funnelSettleSec: number;
  /** Actor turns of each kind and LMDB commits in the node during the phase, per send accepted. */
  readonly turnsPerSend: Record<string, number>;
  readonly commitsPerSend: number;
  /** Every 5 s: the sends accepted so far, the rate and the node's CPU over the last interval. */
  readonly progress: readonly ProgressPoint[];
}

interface ProgressPoint {
  readonly atSec: number;
  readonly accepted: number;
  readonly dispatched: number;
  readonly msgPerSec: number;
  readonly parloCores: number;
  readonly parloCpuMsPerSend: number | null;
  /** The wallet's open reservations (reserved before a send, settled on its delivery) and unsealed ledger entries. */
  readonly openReservations: number;
  readonly ledgerEntries: number;
}

async function simSent(sim: Pool): Promise<number> {
  return (await callOk<{ sent: number }>(sim, 'GET', '/_sim/stats')).sent;
}

async function campaignPhase(
  parlo: Parlo,
  sim: Pool,
  simChild: ChildProcess,
  session: Record<string, string>,
  phase: { label: string; phoneNumberId: string; recipients: number; expectedMsgPerSec: number },
  log: (m: string) => void,
): Promise<PhaseResult> {
  const { label, phoneNumberId, recipients } = phase;
  const created = await callOk<{ id: string }>(
    parlo.pool,
    'POST',
    '/v1/campaigns',
    {
      name: `Bench ${label}`,
      phoneNumberId,
      category: 'utility',
      variants: [
        {
          template: { name: TEMPLATE.name, language: TEMPLATE.language },
          variables: { body: { '1': { field: 'name' } } },
        },
      ],
      audience: { filter: { tags: { any: [TAG] } } },
      quietHours: null,
    },
    session,
  );
  const campaignId = created.id;
  const runPath = `/v1/campaigns/${campaignId}/runs/1`;
  const refusedBefore = (await simulatorRefusals(simChild))[phoneNumberId] ?? {};
  const pids = { parlo: parlo.child.pid, simulator: simChild.pid };
  const cpuBefore = { parlo: cpuSeconds(pids.parlo), simulator: cpuSeconds(pids.simulator) };
  const countersBefore = await runtimeCounters(parlo.pool);
  // This number's sends from the simulator's log, read as it grows (only the records after `cursor`).
  let cursor = await simSent(sim);
  const times: number[] = [];
  const readNewSends = async (): Promise<void> => {
    const page = await callOk<{ total: number; records: { acceptedAtMs: number }[] }>(
      sim,
      'GET',
      `/_sim/sent?phoneNumberId=${phoneNumberId}&since=${cursor}`,
    );
    for (const r of page.records) times.push(r.acceptedAtMs);
    cursor = page.total;
  };
  log(`${label}: launching campaign ${campaignId} on number ${phoneNumberId} (${recipients} recipients)`);
  const startedAt = Date.now();
  await callOk(parlo.pool, 'POST', `/v1/campaigns/${campaignId}/launch`, undefined, session);
  const launchAnsweredAt = Date.now();
  log(`${label}: launch answered after ${((launchAnsweredAt - startedAt) / 1000).toFixed(1)} s`);

  // Until the simulator accepted all N; the wait gives up after 3 × the ideal time + 60 s (at least 120 s), or
  // when nothing moved for 30 s after the run finished dispatching. Every 5 s: progress and the node's CPU.
  const deadline = startedAt + Math.max(120_000, (recipients / phase.expectedMsgPerSec) * 3_000 + 60_000);
  const progress: ProgressPoint[] = [];
  let lastProgressAt = Date.now();
  let run: RunView | undefined;
  let previous = { atMs: startedAt, accepted: 0, parloCpu: cpuBefore.parlo };
  while (times.length < recipients) {
    await sleep(250);
    const now = Date.now();
    const before = times.length;
    await readNewSends();
    if (times.length > before) lastProgressAt = now;
    if (now - previous.atMs >= 5_000) {
      run = await callOk<RunView>(parlo.pool, 'GET', runPath, undefined, session);
      const wallet = await callOk<{ openReservations: number; ledgerEntries: number }>(
        parlo.pool,
        'GET',
        '/v1/billing/wallet',
        undefined,
        session,
      );
      const parloCpu = cpuSeconds(pids.parlo);
      const sends = times.length - previous.accepted;
      const point: ProgressPoint = {
        atSec: Math.round((now - startedAt) / 100) / 10,
        accepted: times.length,
        dispatched: run.total.dispatched,
        msgPerSec: Math.round((sends * 1000) / (now - previous.atMs)),
        parloCores: Math.round(((parloCpu - previous.parloCpu) * 100_000) / (now - previous.atMs)) / 100,
        parloCpuMsPerSend: sends > 0 ? Math.round(((parloCpu - previous.parloCpu) * 1e5) / sends) / 100 : null,
        openReservations: wallet.openReservations,
        ledgerEntries: wallet.ledgerEntries,
      };
      progress.push(point);
      previous = { atMs: now, accepted: times.length, parloCpu };
      log(
        `${label}: ${point.accepted} accepted after ${point.atSec.toFixed(0)} s (${point.msgPerSec} msg/s; node ${point.parloCores} cores, ${point.parloCpuMsPerSend ?? '–'} ms CPU a send); run ${run.status}, dispatched ${run.total.dispatched}, in flight ${run.inFlight}; wallet: ${point.openReservations} open reservations`,
      );
    }
    if (now > deadline || (now - lastProgressAt > 30_000 && run?.dispatchFinishedAt != null)) {
      log(
        `${label}: gave up waiting after ${((now - startedAt) / 1000).toFixed(0)} s with ${times.length} of ${recipients} sends accepted`,
      );
      break;
    }
  }
  const complete = times.length >= recipients;
  const endedAt = Date.now();
  const cpuWallSec = (endedAt - startedAt) / 1000;
  const parloCores = (cpuSeconds(pids.parlo) - cpuBefore.parlo) / cpuWallSec;
  const simulatorCores = (cpuSeconds(pids.simulator) - cpuBefore.simulator) / cpuWallSec;
  let first = Infinity;
  let last = -Infinity;
  for (const t of times) {
    first = Math.min(first, t);
    last = Math.max(last, t);
  }
  const windows = windowFigures(times, first, last + 1);
  const refusedAfter = (await simulatorRefusals(simChild))[phoneNumberId] ?? {};
  const refusals: Record<string, number> = {};
  for (const [code, n] of Object.entries(refusedAfter)) {
    const delta = n - (refusedBefore[code] ?? 0);
    if (delta > 0) refusals[code] = delta;
  }
  const { ['130429']: throttled = 0, ...otherRefusals } = refusals;
  const countersAfter = await runtimeCounters(parlo.pool);
  const perSend = (n: number): number => Math.round((n / Math.max(1, times.length)) * 100) / 100;
  const turnsPerSend = Object.fromEntries(
    Object.entries(countersAfter.turnsByKind)
      .map(([kind, n]) => [kind, perSend(n - (countersBefore.turnsByKind[kind] ?? 0))] as const)
      .filter(([, n]) => n > 0)
      .sort((x, y) => y[1] - x[1]),
  );
  log(`${label}: actor turns per send ${JSON.stringify(turnsPerSend)}`);
  // Incomplete: the time until the wait gave up (a lower bound of the duration).
  const durationSec = ((complete ? last : endedAt) - startedAt) / 1000;
  log(
    `${label}: ${times.length} sends ${complete ? 'in' : 'before giving up after'} ${durationSec.toFixed(1)} s from the launch (${(times.length / durationSec).toFixed(0)} msg/s), max ${windows.maxWindowRateOverall} in a 1 s window, 130429 × ${throttled}`,
  );
  if (!complete) {
    // The run is cancelled so that it does not load the node in the next phase; its funnel is read first.
    const atGiveUp = await callOk<RunView>(parlo.pool, 'GET', runPath, undefined, session);
    await callOk(parlo.pool, 'POST', `/v1/campaigns/${campaignId}/cancel`, {}, session);
    log(`${label}: campaign cancelled; run at give-up ${atGiveUp.status}: ${JSON.stringify(atGiveUp.total)}`);
  }

  // The funnel once the run completed and every status the simulator sent was merged (or 120 s passed).
  const settleFrom = Date.now();
  const readRun = () => callOk<RunView>(parlo.pool, 'GET', runPath, undefined, session);
  const settled = !complete
    ? await readRun()
    : await eventually(
        readRun,
        (r) =>
          r.status === 'completed' &&
          r.total.delivered + Object.values(r.total.failed).reduce((a, b) => a + b, 0) >= r.total.dispatched,
        `the ${label} run to complete`,
        120_000,
      ).catch(async (error: unknown) => {
        log(`${label}: ${String(error).slice(0, 300)}`);
        return readRun();
      });
  const t = settled.total;
  log(
    `${label}: run ${settled.status}: dispatched ${t.dispatched}, sent ${t.sent}, delivered ${t.delivered}, read ${t.read}, failed ${JSON.stringify(t.failed)}`,
  );
  return {
    label,
    phoneNumberId,
    campaignId,
    accepted: times.length,
    complete,
    durationSec,
    launchAnswerSec: (launchAnsweredAt - startedAt) / 1000,
    firstSendSec: (first - startedAt) / 1000,
    msgPerSec: times.length / durationSec,
    sendingMsgPerSec: times.length / Math.max(0.001, (last - first) / 1000),
    maxWindowRate: windows.maxWindowRateOverall,
    rateLimitErrors: throttled,
    otherRefusals,
    parloCores,
    simulatorCores,
    funnel: {
      status: settled.status,
      audience: t.audience,
      dispatched: t.dispatched,
      sent: t.sent,
      delivered: t.delivered,
      read: t.read,
      failed: t.failed,
      skipped: t.skipped,
    },
    funnelSettleSec: (Date.now() - settleFrom) / 1000,
    turnsPerSend,
    commitsPerSend: perSend(countersAfter.commits - countersBefore.commits),
    progress,
  };
}

interface NumberState {
  state: { ratePerSec: number; effectiveRatePerSec: number };
}

/** (a) and (b) on one node: setup, N contacts, the paced campaign, the unlimited one; the node's memory. */
async function campaignPhases(
  dataDir: string,
  sim: Pool,
  simChild: ChildProcess,
  simulatorUrl: string,
  recipients: number,
  phases: { readonly paced: boolean; readonly unlimited: boolean },
  log: (m: string) => void,
) {
  const parlo = await startNode(dataDir, simulatorUrl);
  const memory = rssSampler(parlo.child.pid);
  try {
    const { orgId, session } = await signUp(parlo.pool, 'Campaign bench', 'owner@campaign.bench');
    await callOk(sim, 'POST', '/_sim/wabas', {
      wabaId: WABA_ID,
      appSecret: APP_SECRET,
      accessToken: ACCESS_TOKEN,
      messagingLimit: null,
    });
    let webhookUrl = '';
    for (const n of [PACED, UNLIMITED]) {
      await callOk(sim, 'POST', '/_sim/numbers', {
        phoneNumberId: n.phoneNumberId,
        wabaId: WABA_ID,
        displayPhoneNumber: n.display,
        throughputMps: 80,
      });
      const connected = await callOk<{ webhook: { url: string } }>(
        parlo.pool,
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
    // Meta's THROUGHPUT_UPGRADE: 1,000 msg/s in Parlo for both numbers, and the portfolio's limit unlimited.
    await callOk(sim, 'POST', '/_sim/numbers/throughput', { phoneNumberId: PACED.phoneNumberId, mps: PACED.mps });
    await upgradeSimulatorNumber(simChild, UNLIMITED.phoneNumberId, UNLIMITED.simulatorMps);
    for (const id of [PACED.phoneNumberId, UNLIMITED.phoneNumberId]) {
      await eventually(
        () => parlo.ask<NumberState>({ kind: 'number', id }, { type: 'getNumberState' }),
        (r) => r.state.ratePerSec === 1000,
        `number ${id} to follow the throughput upgrade`,
        60_000,
      );
    }
    await parlo.ask(
      { kind: 'number', id: UNLIMITED.phoneNumberId },
      {
        type: 'setThroughput',
        ratePerSec: UNLIMITED.parloMps,
      },
    );
    const unlimitedState = await parlo.ask<NumberState>(
      { kind: 'number', id: UNLIMITED.phoneNumberId },
      { type: 'getNumberState' },
    );
    if (unlimitedState.state.effectiveRatePerSec !== UNLIMITED.parloMps) {
      throw new Error(`number ${UNLIMITED.phoneNumberId} runs at ${unlimitedState.state.effectiveRatePerSec}/s`);
    }
    await eventually(
      () => parlo.ask<{ limit: number | null }>({ kind: 'portfolio', id: orgId }, { type: 'getTier' }),
      (r) => r.limit === null,
      'the portfolio to follow the unlimited messaging limit',
      60_000,
    );

    // The wallet covers both campaigns (utility in DE is €0.0456 a message on the default rate card).
    await callOk(parlo.pool, 'POST', '/v1/billing/top-ups', { amountMicros: recipients * 400_000 }, session);
    const template = await callOk<{ id: string }>(parlo.pool, 'POST', '/v1/templates', { template: TEMPLATE }, session);
    await eventually(
      () => callOk<{ status: string }>(parlo.pool, 'GET', `/v1/templates/${template.id}`, undefined, session),
      (r) => r.status === 'APPROVED',
      'the template to be approved',
      30_000,
    );

    log(`importing ${recipients} contacts (POST /v1/contacts/batch, ${BATCH} a call, 4 in flight; not timed)`);
    const importStarted = Date.now();
    await forEachLimited(Math.ceil(recipients / BATCH), 4, async (b) => {
      const from = b * BATCH;
      const answer = await callOk<{ failed: number }>(
        parlo.pool,
        'POST',
        '/v1/contacts/batch',
        {
          contacts: Array.from({ length: Math.min(BATCH, recipients - from) }, (_, i) => ({
            phone: `+${phoneOf(from + i)}`,
            name: `Kunde ${from + i}`,
            tags: { set: [TAG] },
          })),
        },
        session,
      );
      if (answer.failed > 0) throw new Error(`contacts batch ${b}: ${answer.failed} refused`);
    });
    const contactImportSec = (Date.now() - importStarted) / 1000;
    log(`contacts imported in ${contactImportSec.toFixed(1)} s (${Math.round(recipients / contactImportSec)}/s)`);

    const paced = !phases.paced
      ? null
      : await campaignPhase(
          parlo,
          sim,
          simChild,
          session,
          { label: 'paced', phoneNumberId: PACED.phoneNumberId, recipients, expectedMsgPerSec: PACED.mps },
          log,
        );
    const unlimited = !phases.unlimited
      ? null
      : await campaignPhase(
          parlo,
          sim,
          simChild,
          session,
          { label: 'unlimited', phoneNumberId: UNLIMITED.phoneNumberId, recipients, expectedMsgPerSec: 1_000 },
          log,
        );
    const rss = memory.stop();
    log(
      `Parlo node peak RSS ${rss.hwmMb.toFixed(0)} MB (VmHWM; sampled: VmRSS ${rss.sampledPeakMb.toFixed(0)} MB, RssAnon ${rss.sampledAnonPeakMb.toFixed(0)} MB)`,
    );
    return { paced, unlimited, contactImportSec, rss };
  } finally {
    memory.stop();
    await parlo.pool.close();
    await stopNode(parlo, log);
  }
}

// ---------------------------------------------------------------- (c) CSV import

async function writeCsv(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('phone,name,tags\n');
  const chunk = 10_000;
  for (let from = 0; from < rows; from += chunk) {
    let text = '';
    for (let i = from; i < Math.min(rows, from + chunk); i++) text += `+${csvPhoneOf(i)},Kunde ${i},csv|g${i % 10}\n`;
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

interface ImportDone {
  type: 'done';
  /** false: the import stopped on a batch Parlo refused or did not answer (`error`); counts until then. */
  ok: boolean;
  error?: string;
  report: { rowsRead: number; created: number; updated: number; unchanged: number; failed: number; errorCount: number };
  wallMs: number;
  maxRssMb: number;
  cpuSec: number;
}

async function csvPhase(dir: string, simulatorUrl: string, rows: number, log: (m: string) => void) {
  const file = join(dir, 'contacts.csv');
  const generatedAt = Date.now();
  await writeCsv(file, rows);
  log(`csv: ${rows} rows written in ${((Date.now() - generatedAt) / 1000).toFixed(1)} s; starting a fresh node`);
  const parlo = await startNode(join(dir, 'data'), simulatorUrl);
  let importer: ChildProcess | undefined;
  const memory = rssSampler(parlo.child.pid);
  try {
    const { session } = await signUp(parlo.pool, 'Import bench', 'owner@import.bench');
    const { key } = await callOk<{ key: string }>(
      parlo.pool,
      'POST',
      '/v1/api-keys',
      { name: 'import bench', scopes: ['contacts:*'] },
      session,
    );
    const forked = await forkReady<{ type: 'ready' }>('../lib/campaign-import.ts', [file, parlo.url, key]);
    importer = forked.child;
    const child = importer;
    const done = new Promise<ImportDone>((resolve, reject) => {
      child.on('message', (m: { type: string; rowsRead?: number; elapsedMs?: number }) => {
        if (m.type === 'progress') {
          log(`csv: ${m.rowsRead} rows after ${((m.elapsedMs ?? 0) / 1000).toFixed(0)} s`);
        }
        if (m.type === 'done') resolve(m as unknown as ImportDone);
      });
      child.once('exit', (code) => reject(new Error(`the importer exited with ${code}`)));
    });
    const cpuBefore = cpuSeconds(parlo.child.pid);
    const startedAt = Date.now();
    child.send({ type: 'start' });
    const result = await done;
    const wallSec = (Date.now() - startedAt) / 1000;
    const parloCores = (cpuSeconds(parlo.child.pid) - cpuBefore) / wallSec;
    const rss = memory.stop();
    // Rows Parlo answered for (all of them when the import completed).
    const r = result.report;
    const acknowledged = r.created + r.updated + r.unchanged + r.failed;
    const rowsPerSec = acknowledged / (result.wallMs / 1000);
    if (!result.ok) log(`csv: THE IMPORT STOPPED after ${acknowledged} rows: ${result.error}`);
    log(
      `csv: ${result.report.rowsRead} rows (${result.report.created} created, ${result.report.failed} failed) in ${(result.wallMs / 1000).toFixed(1)} s: ${Math.round(rowsPerSec)} rows/s; node peak RSS ${rss.hwmMb.toFixed(0)} MB (RssAnon ${rss.sampledAnonPeakMb.toFixed(0)} MB), importer ${result.maxRssMb.toFixed(0)} MB`,
    );
    return {
      rows,
      complete: result.ok,
      acknowledged,
      error: result.error ?? null,
      rowsPerSec,
      wallSec: result.wallMs / 1000,
      report: result.report,
      nodeRss: rss,
      importerPeakRssMb: result.maxRssMb,
      importerCores: result.cpuSec / (result.wallMs / 1000),
      parloCores,
    };
  } finally {
    memory.stop();
    await stopChild(importer);
    await parlo.pool.close();
    await stopNode(parlo, log);
  }
}

// ---------------------------------------------------------------- the scenario

function recipientsArg(quick: boolean): number {
  const args = process.argv;
  const at = args.findIndex((a) => a === '--recipients' || a.startsWith('--recipients='));
  if (at < 0) return quick ? 10_000 : 100_000;
  const text = args[at]!.includes('=') ? args[at]!.slice('--recipients='.length) : args[at + 1];
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--recipients takes a positive integer, not ${text}`);
  return n;
}

const PHASES = ['paced', 'unlimited', 'csv'] as const;
type PhaseName = (typeof PHASES)[number];

/** `--only=paced,csv`: the phases to run (default all three). */
function phasesArg(): ReadonlySet<PhaseName> {
  const text = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (text === undefined) return new Set(PHASES);
  const names = text.split(',');
  const bad = names.find((n) => !(PHASES as readonly string[]).includes(n));
  if (bad !== undefined || names.length === 0) {
    throw new Error(`--only takes phases separated by commas (${PHASES.join(', ')}), not ${bad ?? text}`);
  }
  return new Set(names as PhaseName[]);
}

function pacedRows(paced: PhaseResult, recipients: number, durationTarget: number, met: Met): ReportRow[] {
  return [
    {
      metric: paced.complete
        ? `paced (1,000 msg/s): launch → last of ${recipients.toLocaleString('en-US')} sends accepted`
        : `paced (1,000 msg/s): INCOMPLETE, ${paced.accepted.toLocaleString('en-US')} of ${recipients.toLocaleString('en-US')} accepted when the wait gave up after`,
      value: paced.durationSec,
      unit: 's',
      target: `≤ ${durationTarget.toFixed(1)}`,
      meetsTarget: met.durationSec === true,
    },
    { metric: 'paced: launch → first send accepted', value: paced.firstSendSec, unit: 's' },
    { metric: 'paced: sends accepted, first to last', value: paced.sendingMsgPerSec, unit: 'msg/s' },
    {
      metric: 'paced: max sends in any 1 s window',
      value: paced.maxWindowRate,
      unit: 'msg',
      target: `≤ ${TARGETS.maxWindowRate}`,
      meetsTarget: met.maxWindowRate === true,
    },
    {
      metric: 'paced: 130429 answers',
      value: paced.rateLimitErrors,
      unit: 'errors',
      target: '0',
      meetsTarget: met.rateLimitErrors === true,
    },
    { metric: 'paced: funnel dispatched', value: paced.funnel.dispatched, unit: 'msg' },
    { metric: 'paced: funnel sent', value: paced.funnel.sent, unit: 'msg' },
    { metric: 'paced: funnel delivered', value: paced.funnel.delivered, unit: 'msg' },
    { metric: 'paced: CPU used by the Parlo node', value: paced.parloCores, unit: 'cores' },
  ];
}

function unlimitedRows(unlimited: PhaseResult, recipients: number): ReportRow[] {
  return [
    {
      metric: unlimited.complete
        ? 'unlimited (Parlo 50,000/s, simulator 100,000/s): launch → last send'
        : `unlimited (Parlo 50,000/s, simulator 100,000/s): INCOMPLETE, ${unlimited.accepted.toLocaleString('en-US')} of ${recipients.toLocaleString('en-US')} accepted, launch → give-up`,
      value: unlimited.msgPerSec,
      unit: 'msg/s',
    },
    { metric: 'unlimited: launch → first send accepted', value: unlimited.firstSendSec, unit: 's' },
    { metric: 'unlimited: sends accepted, first to last', value: unlimited.sendingMsgPerSec, unit: 'msg/s' },
    { metric: 'unlimited: max sends in any 1 s window', value: unlimited.maxWindowRate, unit: 'msg' },
    { metric: 'unlimited: funnel dispatched', value: unlimited.funnel.dispatched, unit: 'msg' },
    { metric: 'unlimited: funnel sent', value: unlimited.funnel.sent, unit: 'msg' },
    { metric: 'unlimited: funnel delivered', value: unlimited.funnel.delivered, unit: 'msg' },
    { metric: 'unlimited: CPU used by the Parlo node', value: unlimited.parloCores, unit: 'cores' },
  ];
}

function memoryRows(rss: RssPeaks, met: Met): ReportRow[] {
  return [
    {
      metric: 'Parlo node peak RSS, campaign phases (VmHWM)',
      value: rss.hwmMb,
      unit: 'MB',
      target: `≤ ${TARGETS.peakRssMb}`,
      meetsTarget: met.peakRssMb === true,
    },
    {
      metric: 'Parlo node peak RssAnon, campaign phases (sampled; VmHWM adds LMDB pages)',
      value: rss.sampledAnonPeakMb,
      unit: 'MB',
    },
  ];
}

type CsvResult = Awaited<ReturnType<typeof csvPhase>>;

function csvRowsOf(csv: CsvResult, met: Met): ReportRow[] {
  return [
    {
      metric: csv.complete
        ? `CSV import, ${csv.rows.toLocaleString('en-US')} rows (importContacts, fresh node)`
        : `CSV import: STOPPED after ${csv.acknowledged.toLocaleString('en-US')} of ${csv.rows.toLocaleString('en-US')} rows (rows/s until then)`,
      value: csv.rowsPerSec,
      unit: 'rows/s',
      target: `≥ ${TARGETS.csvRowsPerSec.toLocaleString('en-US')}`,
      meetsTarget: met.csvRowsPerSec === true,
    },
    { metric: 'CSV import: Parlo node peak RSS (VmHWM)', value: csv.nodeRss.hwmMb, unit: 'MB' },
    { metric: 'CSV import: Parlo node peak RssAnon (sampled)', value: csv.nodeRss.sampledAnonPeakMb, unit: 'MB' },
    { metric: 'CSV import: importer peak RSS (information)', value: csv.importerPeakRssMb, unit: 'MB' },
    { metric: 'CSV import: CPU used by the Parlo node', value: csv.parloCores, unit: 'cores' },
  ];
}

/** Per figure with a target: met, or null when its phase did not run. */
interface Met {
  readonly durationSec: boolean | null;
  readonly maxWindowRate: boolean | null;
  readonly rateLimitErrors: boolean | null;
  readonly peakRssMb: boolean | null;
  readonly csvRowsPerSec: boolean | null;
}

export async function run(options: BenchOptions): Promise<BenchReport> {
  const quick = options.scale < 1;
  const recipients = recipientsArg(quick);
  const phases = phasesArg();
  const csvRows = quick ? 100_000 : 1_000_000;
  const log = (m: string): void => options.log(m);
  if (process.argv.includes('--profile')) mkdirSync(PROFILE_DIR, { recursive: true });
  const started = Date.now();
  const temp = makeTempDir('parlo-bench-campaign-');
  let simChild: ChildProcess | undefined;
  let sim: Pool | undefined;
  try {
    const simulator = await forkReady<{ url: string }>('../lib/campaign-simulator.ts', []);
    simChild = simulator.child;
    sim = new Pool(simulator.ready.url, { connections: 4, keepAliveTimeout: 60_000 });
    const campaigns =
      phases.has('paced') || phases.has('unlimited')
        ? await campaignPhases(
            join(temp.path, 'campaigns'),
            sim,
            simChild,
            simulator.ready.url,
            recipients,
            { paced: phases.has('paced'), unlimited: phases.has('unlimited') },
            log,
          )
        : null;
    const csv = phases.has('csv') ? await csvPhase(temp.path, simulator.ready.url, csvRows, log) : null;

    const paced = campaigns?.paced ?? null;
    const unlimited = campaigns?.unlimited ?? null;
    const durationTarget = (recipients / 1000) * TARGETS.secondsPer1000;
    const peakRssMb = campaigns?.rss.hwmMb ?? null;
    const met: Met = {
      durationSec: paced && paced.complete && paced.durationSec <= durationTarget,
      maxWindowRate: paced && paced.maxWindowRate <= TARGETS.maxWindowRate,
      rateLimitErrors: paced && paced.rateLimitErrors === TARGETS.rateLimitErrors,
      peakRssMb: peakRssMb === null ? null : peakRssMb <= TARGETS.peakRssMb,
      csvRowsPerSec: csv && csv.complete && csv.rowsPerSec >= TARGETS.csvRowsPerSec,
    };
    const rows: ReportRow[] = [
      ...(paced ? pacedRows(paced, recipients, durationTarget, met) : []),
      ...(unlimited ? unlimitedRows(unlimited, recipients) : []),
      ...(campaigns ? memoryRows(campaigns.rss, met) : []),
      ...(csv ? csvRowsOf(csv, met) : []),
    ];
    const notes = [
      `three processes share the cores: the Parlo node (startParlo, embedded LMDB, cloud mode → the simulator), the simulator (uWS), and this one; load average at the end ${loadavg()[0]!.toFixed(1)}`,
      `phases run: ${[...phases].join(', ')}${phases.size < PHASES.length ? ' (--only; figures of the others are null)' : ''}`,
    ];
    if (campaigns) {
      notes.push(
        `runs at the end: paced ${paced?.funnel.status ?? 'not run'}, unlimited ${unlimited?.funnel.status ?? 'not run'}; contacts for the campaigns imported through POST /v1/contacts/batch in ${campaigns.contactImportSec.toFixed(1)} s`,
        `launch answered after ${paced?.launchAnswerSec.toFixed(1) ?? '–'} s (paced) / ${unlimited?.launchAnswerSec.toFixed(1) ?? '–'} s (unlimited): the pre-flight screens the whole audience before the run starts`,
        'durations run from the launch request to the simulator’s acceptance of the last send (its send log); 1 s windows [a, a + 1000 ms) over every a of the phase',
      );
    }
    if (csv) {
      notes.push(
        `CSV: ${csv.report.rowsRead} rows read, ${csv.report.created} created, ${csv.report.failed} failed${csv.complete ? '' : `; the import stopped: ${csv.error}`}; a fresh node and data dir${campaigns ? ' after the campaign phases' : ''}, the importer (importContacts, batches of 1,000, 4 in flight) in its own process`,
      );
    }
    return {
      scenario: 'campaign',
      figures: {
        recipients,
        phases: [...phases],
        pacedComplete: paced?.complete ?? null,
        unlimitedComplete: unlimited?.complete ?? null,
        csvComplete: csv?.complete ?? null,
        durationSec: paced?.durationSec ?? null,
        maxWindowRate: paced?.maxWindowRate ?? null,
        rateLimitErrors: paced?.rateLimitErrors ?? null,
        unlimitedMsgPerSec: unlimited?.msgPerSec ?? null,
        peakRssMb,
        csvRowsPerSec: csv?.rowsPerSec ?? null,
        csvPeakRssMb: csv?.nodeRss.hwmMb ?? null,
        targets: {
          durationSec: durationTarget,
          maxWindowRate: TARGETS.maxWindowRate,
          rateLimitErrors: TARGETS.rateLimitErrors,
          peakRssMb: TARGETS.peakRssMb,
          csvRowsPerSec: TARGETS.csvRowsPerSec,
        },
        met,
        paced: paced ? { ...paced } : null,
        unlimited: unlimited
          ? { ...unlimited, parloRatePerSec: UNLIMITED.parloMps, simulatorRatePerSec: UNLIMITED.simulatorMps }
          : null,
        peakRssSampledMb: campaigns?.rss.sampledPeakMb ?? null,
        peakRssAnonSampledMb: campaigns?.rss.sampledAnonPeakMb ?? null,
        contactBatchImportSec: campaigns?.contactImportSec ?? null,
        csv: csv
          ? {
              rows: csv.rows,
              complete: csv.complete,
              acknowledged: csv.acknowledged,
              error: csv.error,
              wallSec: csv.wallSec,
              ...csv.report,
              parloCores: csv.parloCores,
              importerCores: csv.importerCores,
              nodePeakRssSampledMb: csv.nodeRss.sampledPeakMb,
              nodePeakRssAnonSampledMb: csv.nodeRss.sampledAnonPeakMb,
            }
          : null,
        csvImporterPeakRssMb: csv?.importerPeakRssMb ?? null,
        scenarioSec: (Date.now() - started) / 1000,
      },
      rows,
      notes,
    };
  } finally {
    await sim?.close();
    await stopChild(simChild);
    temp.remove();
  }
}
