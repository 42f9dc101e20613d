import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { startSimulatorServer, type SimulatorServer } from '../../adapters/whatsapp-cloud/simulator/server.ts';
import { SystemClock, type Clock } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';

/**
 * A campaign survives SIGKILL (issue #6, 6). A real Parlo node (`startParlo` in a child process, LMDB on a data dir
 * that outlives it) runs a 10,000-recipient campaign against the Cloud API simulator, which lives in this process
 * and so keeps its log of accepted sends across every kill. The node is killed with SIGKILL at random moments while
 * the campaign sends, at least KILLS times, and restarted on the same data; a last node drains everything. Then:
 * the simulator accepted at most one send per recipient, and every recipient has exactly one terminal outcome
 * (delivered, read, replied, failed with a code, skipped with a reason). Sends whose answer was lost in a kill are
 * reconciled from their status webhooks (`biz_opaque_callback_data` carries the message key); the ones Meta never
 * got are sent again after `sending.reconcileAfterSec`.
 */

const CHILD = fileURLToPath(new URL('./__fixtures__/metering-node.ts', import.meta.url));
const RECIPIENTS = 10_000;
const KILLS = 10;
/** Sends the simulator must accept in a node's life before it may be killed (so every life does real work). */
const SENDS_PER_LIFE = 250;
const WABA = '320000000000001';
const NUMBER = '320000000000002';
const NUMBER_TOKEN = 'EAAG-organisation-token-for-the-campaign-crash-test';
const APP_SECRET = 'campaign-crash-app-secret';
const PASSWORD = 'correct horse battery staple';
const RECONCILE_AFTER_SEC = 30;
const TERMINAL = new Set(['delivered', 'read', 'replied', 'failed', 'skipped']);

const phoneOf = (i: number): string => `49151${String(i).padStart(8, '0')}`;

/** The simulator's clock, with every wake-up at most 200 ms away: webhook retries must not outwait the test. */
class HurriedClock implements Clock {
  private readonly system = new SystemClock();
  now(): number {
    return this.system.now();
  }
  wakeAt(atMs: number, callback: () => void): () => void {
    return this.system.wakeAt(Math.min(atMs, this.system.now() + 200), callback);
  }
}

class NodeProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<string>;
  readonly exited: Promise<void>;

  constructor(dataDir: string, port: number, graphBaseUrl: string) {
    const settings = { sending: { reconcileAfterSec: RECONCILE_AFTER_SEC } };
    this.child = fork(CHILD, [dataDir, String(port), graphBaseUrl, JSON.stringify(settings)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (m: { type: string; url: string }) => {
        if (m.type === 'ready') resolve(m.url);
      });
      this.child.once('exit', (code, signal) =>
        reject(new Error(`node exited before it was ready (${code ?? signal})`)),
      );
    });
  }

  kill(): Promise<void> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Answer<T> {
  status: number;
  json: T;
  text: string;
}

async function call<T>(url: string, method: 'GET' | 'POST', path: string, token?: string, body?: unknown) {
  const response = await request(`${url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: (text === '' ? null : JSON.parse(text)) as T, text } as Answer<T>;
}

interface RunBody {
  status: string;
  inFlight: number;
  total: { audience: number; dispatched: number; sent: number; delivered: number };
}
interface RecipientsBody {
  recipients: { index: number; key: string; outcome: string; code: string | number | null }[];
  nextCursor: number | null;
}

const temp = makeTempDir('parlo-campaign-crash-');
let simulator: SimulatorServer | undefined;
let live: NodeProcess | undefined;

afterAll(async () => {
  await live?.kill();
  await simulator?.close();
  temp.remove();
});

describe('a campaign under SIGKILL', () => {
  it(`sends each of ${RECIPIENTS} recipients at most once across ${KILLS} kills, and every one ends in one terminal outcome`, async () => {
    simulator = await startSimulatorServer({
      clock: new HurriedClock(),
      behaviour: { readProbability: 0.2 },
    });
    const sim = simulator.simulator;
    const port = await freePort();
    const start = async (): Promise<string> => {
      live = new NodeProcess(temp.path, port, simulator!.url);
      return live.ready;
    };

    // ---- setup on the first node: organisation, cloud number at the simulator, unlimited tier, template, contacts
    let url = await start();
    const signup = await call<{ org: { id: string }; tokens: { accessToken: string } }>(url, 'POST', '/v1/signup', '', {
      orgName: 'Crash Campaign',
      email: 'owner@crash-campaign.test',
      password: PASSWORD,
    });
    expect(signup.status, signup.text).toBe(201);
    const token = signup.json.tokens.accessToken;
    const orgId = signup.json.org.id;
    sim.registerWaba({
      wabaId: WABA,
      appSecret: APP_SECRET,
      accessToken: NUMBER_TOKEN,
      callbackUrl: `http://127.0.0.1:${port}/webhooks/whatsapp/${orgId}`,
      messagingLimit: null,
    });
    sim.registerNumber({ wabaId: WABA, phoneNumberId: NUMBER, displayPhoneNumber: '15550008888', throughputMps: 1000 });
    const connected = await call(url, 'POST', '/v1/numbers', token, {
      mode: 'cloud',
      wabaId: WABA,
      phoneNumberId: NUMBER,
      appId: '420000000000001',
      appSecret: APP_SECRET,
      accessToken: NUMBER_TOKEN,
    });
    expect(connected.status, connected.text).toBe(201);
    // Meta's webhook telling the portfolio's limit (unlimited) and the number's throughput (1,000/s).
    sim.upgradeThroughput(NUMBER, 1000);
    const submitted = await call<{ id: string }>(url, 'POST', '/v1/templates', token, {
      template: {
        name: 'delivery_window',
        language: 'de',
        category: 'UTILITY',
        components: [
          { type: 'BODY', text: 'Hallo {{1}}, Ihre Lieferung kommt morgen.', example: { body_text: [['Anna']] } },
        ],
      },
    });
    expect(submitted.status, submitted.text).toBe(201);
    const topUp = await call(url, 'POST', '/v1/billing/top-ups', token, { amountMicros: 2_000_000_000 });
    expect(topUp.status, topUp.text).toBeLessThan(300);
    for (let from = 0; from < RECIPIENTS; from += 1_000) {
      const batch = await call<{ failed: number }>(url, 'POST', '/v1/contacts/batch', token, {
        contacts: Array.from({ length: 1_000 }, (_, i) => ({
          phone: `+${phoneOf(from + i)}`,
          name: `Kunde ${from + i}`,
          tags: { set: ['crash'] },
        })),
      });
      expect(batch.status, batch.text).toBe(200);
      expect(batch.json.failed).toBe(0);
    }
    for (const deadline = Date.now() + 20_000; ;) {
      const t = await call<{ status: string }>(url, 'GET', `/v1/templates/${submitted.json.id}`, token);
      if (t.json.status === 'APPROVED') break;
      if (Date.now() > deadline) throw new Error(`template still ${t.json.status}`);
      await sleep(100);
    }
    const created = await call<{ id: string }>(url, 'POST', '/v1/campaigns', token, {
      name: 'Crash',
      phoneNumberId: NUMBER,
      category: 'utility',
      variants: [
        { template: { name: 'delivery_window', language: 'de' }, variables: { body: { '1': { field: 'name' } } } },
      ],
      audience: { filter: { tags: { any: ['crash'] } } },
      quietHours: null,
    });
    expect(created.status, created.text).toBe(201);
    const campaignId = created.json.id;
    const ours = () => sim.sent.filter((s) => s.bizOpaqueCallbackData?.includes(`/${campaignId}.`));
    const launched = await call(url, 'POST', `/v1/campaigns/${campaignId}/launch`, token);
    expect(launched.status, launched.text).toBe(200);

    const lives: number[] = [];
    // ---- KILLS lives, each killed at a random moment once it made real progress
    for (let kill = 0; kill < KILLS; kill++) {
      if (kill > 0) url = await start();
      lives.push(Date.now());
      const enough = Math.min(ours().length + SENDS_PER_LIFE, RECIPIENTS);
      const deadline = Date.now() + 20_000;
      while (ours().length < enough && Date.now() < deadline) await sleep(5);
      await sleep(Math.floor(Math.random() * 150));
      await live!.kill();
      lives.push(-Date.now());
    }

    // ---- the last node drains: the run completes and every recipient reaches a terminal outcome
    url = await start();
    const recipients = async () => {
      const all: RecipientsBody['recipients'] = [];
      let cursor: number | null = null;
      do {
        const page: Answer<RecipientsBody> = await call(
          url,
          'GET',
          `/v1/campaigns/${campaignId}/runs/1/recipients?limit=1000${cursor === null ? '' : `&cursor=${cursor}`}`,
          token,
        );
        expect(page.status, page.text).toBe(200);
        all.push(...page.json.recipients);
        cursor = page.json.nextCursor;
      } while (cursor !== null);
      return all;
    };
    let everyone: RecipientsBody['recipients'] = [];
    for (const deadline = Date.now() + 120_000; ;) {
      const run = await call<RunBody>(url, 'GET', `/v1/campaigns/${campaignId}/runs/1`, token);
      if (run.json.status === 'completed') {
        everyone = await recipients();
        if (everyone.every((r) => TERMINAL.has(r.outcome))) break;
      }
      if (Date.now() > deadline) {
        const open = everyone.filter((r) => !TERMINAL.has(r.outcome)).slice(0, 5);
        throw new Error(`run ${run.json.status}, in flight ${run.json.inFlight}; e.g. ${JSON.stringify(open)}`);
      }
      await sleep(250);
    }

    // At most one accepted send per recipient, whatever the kills interrupted.
    const perRecipient = new Map<string, number>();
    for (const send of ours()) perRecipient.set(send.to, (perRecipient.get(send.to) ?? 0) + 1);
    const twice = [...perRecipient.entries()].filter(([, n]) => n > 1);
    if (process.env['CRASH_DEBUG']) {
      for (const [to] of twice.slice(0, 8)) {
        console.log(
          to,
          JSON.stringify(
            ours()
              .filter((s) => s.to === to)
              .map((s) => ({ at: s.acceptedAtMs, key: s.bizOpaqueCallbackData, outcome: s.outcome })),
          ),
        );
      }
      console.log('lives', JSON.stringify(lives));
    }
    expect(twice, `recipients sent twice: ${twice.length}`).toEqual([]);

    // Every recipient exactly once in the run, each with one terminal outcome; none silently skipped.
    expect(everyone).toHaveLength(RECIPIENTS);
    expect(new Set(everyone.map((r) => r.key)).size).toBe(RECIPIENTS);
    const skipped = everyone.filter((r) => r.outcome === 'skipped');
    expect(skipped, 'every recipient was eligible').toEqual([]);
    for (const r of everyone.filter((x) => x.outcome === 'failed')) expect(r.code).not.toBeNull();
    // Everyone delivered or read was accepted by the simulator exactly once.
    const reached = everyone.filter((r) => r.outcome === 'delivered' || r.outcome === 'read');
    for (const r of reached) expect(perRecipient.get(r.key.slice(1))).toBe(1);
    expect(reached.length).toBeGreaterThan(RECIPIENTS * 0.9);
  }, 400_000);
});
