import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_RATE_CARD } from '../../actors/billing/rate-card.ts';
import { startSimulatorServer, type SimulatorServer } from '../../adapters/whatsapp-cloud/simulator/server.ts';
import { SystemClock, type Clock } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';

/**
 * Metering exactly once with SIGKILL during sends. A real Parlo node (`startParlo` in a child process, LMDB on a
 * data dir that outlives it) sends billable templates to the Cloud API simulator, which lives in this process and
 * so outlives every node: sends it accepted are delivered, and their webhooks are retried until a node answers
 * them. The node is killed with SIGKILL while templates are being sent (reserves, slots, Graph calls, settles in
 * flight), restarted on the same data, killed again, … Then a last node drains everything, and the ledger must hold
 * exactly one charge per delivered message, none for anything else, and the balance must be the top-up minus the
 * charges: nothing lost, nothing charged twice, however the kills fell.
 */

const CHILD = fileURLToPath(new URL('./__fixtures__/metering-node.ts', import.meta.url));
const KILLS = 4;
const CUSTOMERS = 20;
const SENDERS = 8;
/** Sends each node acknowledges before it may be killed (so every life does real work). */
const SENDS_PER_LIFE = 20;
const WABA = '310000000000001';
const NUMBER = '310000000000002';
const NUMBER_TOKEN = 'EAAG-organisation-token-for-the-metering-crash-test';
const APP_SECRET = 'metering-crash-app-secret';
const TOP_UP = 100_000_000; // €100
const UTILITY_DE = DEFAULT_RATE_CARD.rates['DE']!.utility;
const PASSWORD = 'correct horse battery staple';

const customerOf = (i: number): string => `49151${String(i).padStart(8, '0')}`;

/**
 * The simulator's clock, with every wake-up at most 200 ms away: Meta retries an unanswered webhook for 36 hours
 * with growing gaps; here the node is back within seconds, and the retries must not outwait the test.
 */
class HurriedClock implements Clock {
  private readonly system = new SystemClock();
  now(): number {
    return this.system.now();
  }
  wakeAt(atMs: number, callback: () => void): () => void {
    return this.system.wakeAt(Math.min(atMs, this.system.now() + 200), callback);
  }
}

/** One node process. */
class NodeProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<string>;
  readonly exited: Promise<void>;

  constructor(dataDir: string, port: number, graphBaseUrl: string) {
    // A send cut off by a kill waits this long for its status webhook before it is sent again (default 10 min).
    const settings = { sending: { reconcileAfterSec: 5 } };
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

interface MessageView {
  id: string;
  error: unknown;
  direction: 'in' | 'out';
  state: string | null;
  status: string | null;
}
interface LedgerRow {
  seq: number;
  kind: string;
  reference: string;
  amountMicros: number;
}
interface WalletBody {
  balanceMicros: number;
  reservedMicros: number;
  openReservations: number;
}

const temp = makeTempDir('parlo-metering-crash-');
let simulator: SimulatorServer | undefined;
let live: NodeProcess | undefined;

afterAll(async () => {
  await live?.kill();
  await simulator?.close();
  temp.remove();
});

describe('metering exactly once with SIGKILL during sends', () => {
  it(`charges each delivered message once across ${KILLS} kills, and the balance is the top-up minus the charges`, async () => {
    simulator = await startSimulatorServer({
      clock: new HurriedClock(),
      behaviour: { pairRateBurst: 10_000, readProbability: 0.3 },
    });
    const sim = simulator.simulator;
    const port = await freePort();
    const start = async (): Promise<string> => {
      live = new NodeProcess(temp.path, port, simulator!.url);
      return live.ready;
    };

    // ---- setup, on the first node: an organisation, its cloud number (at the simulator), a template, €100
    let url = await start();
    const signup = await call<{ org: { id: string }; tokens: { accessToken: string } }>(url, 'POST', '/v1/signup', '', {
      orgName: 'Crash Metering',
      email: 'owner@crash-metering.test',
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
    });
    sim.registerNumber({ wabaId: WABA, phoneNumberId: NUMBER, displayPhoneNumber: '15550007777', throughputMps: 1000 });
    const connected = await call(url, 'POST', '/v1/numbers', token, {
      mode: 'cloud',
      wabaId: WABA,
      phoneNumberId: NUMBER,
      appId: '410000000000001',
      appSecret: APP_SECRET,
      accessToken: NUMBER_TOKEN,
    });
    expect(connected.status, connected.text).toBe(201);
    const template = sim.templates.create(WABA, {
      name: 'order_shipped',
      language: 'en',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'Your order has shipped.' }],
    });
    if (!template.ok) throw new Error(template.error.message);
    sim.templates.setStatus(template.body.id, 'APPROVED');
    const topUp = await call(url, 'POST', '/v1/billing/top-ups', token, { amountMicros: TOP_UP, topUpId: 'crash' });
    expect(topUp.status, topUp.text).toBeLessThan(300);

    // ---- sends, and a SIGKILL in the middle of them, KILLS times
    const acknowledged = new Set<string>(); // `<conversationId>/<messageId>`: answered 202, so durably logged
    const refusals: string[] = [];
    let attempted = 0;
    const send = async (target: string): Promise<void> => {
      const customer = customerOf(attempted++ % CUSTOMERS);
      try {
        const answer = await call<{ messageId: string; conversationId: string }>(
          target,
          'POST',
          '/v1/messages',
          token,
          {
            from: NUMBER,
            to: `+${customer}`,
            category: 'utility',
            content: { type: 'template', template: { name: 'order_shipped', language: { code: 'en' } } },
          },
        );
        if (answer.status === 202) acknowledged.add(`${answer.json.conversationId}/${answer.json.messageId}`);
        else refusals.push(`${answer.status} ${answer.text}`);
      } catch {
        // The node died with the request in flight: it may or may not have logged the message.
      }
    };
    for (let kill = 0; kill < KILLS; kill++) {
      if (kill > 0) url = await start();
      // Kill once this node has taken at least SENDS_PER_LIFE sends, a random moment later, with sends running.
      const target = url;
      const enough = acknowledged.size + SENDS_PER_LIFE;
      let killing = false;
      const senders = Array.from({ length: SENDERS }, async () => {
        while (!killing) await send(target);
      });
      const deadline = Date.now() + 20_000;
      while (acknowledged.size < enough && Date.now() < deadline) await sleep(5);
      await sleep(Math.floor(Math.random() * 300));
      killing = true;
      await live!.kill(); // sends, reserves, Graph calls and settles are in flight
      await Promise.all(senders);
    }

    // ---- a last node drains everything: every message delivered (or failed), no reservation left open
    url = await start();
    const outbound = async (): Promise<Map<string, MessageView>> => {
      const messages = new Map<string, MessageView>();
      for (let i = 0; i < CUSTOMERS; i++) {
        const conversationId = `${NUMBER}.p${customerOf(i)}`;
        let cursor: string | null = null;
        do {
          const page: Answer<{ messages: MessageView[]; nextCursor: string | null }> = await call(
            url,
            'GET',
            `/v1/conversations/${conversationId}?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`,
            token,
          );
          if (page.status === 404) break;
          expect(page.status, page.text).toBe(200);
          for (const m of page.json.messages) if (m.direction === 'out') messages.set(`${conversationId}/${m.id}`, m);
          cursor = page.json.nextCursor;
        } while (cursor !== null);
      }
      return messages;
    };
    const wallet = async () => (await call<WalletBody>(url, 'GET', '/v1/billing/wallet', token)).json;
    const isDone = (m: MessageView) => m.state === 'failed' || m.status === 'delivered' || m.status === 'read';
    const deadline = Date.now() + 90_000;
    let messages = await outbound();
    for (;;) {
      const open = (await wallet()).openReservations;
      const waiting = [...messages.entries()].filter(([, m]) => !isDone(m));
      if (waiting.length === 0 && open === 0) break;
      if (Date.now() > deadline)
        throw new Error(
          `not drained after 90 s: ${waiting.length} messages waiting (e.g. ${JSON.stringify(waiting.slice(0, 3))}), ${open} reservations open`,
        );
      await sleep(250);
      messages = await outbound();
    }

    // ---- the ledger: one charge per delivered message, nothing else; balance = top-up − charges
    const entries: LedgerRow[] = [];
    let cursor: string | null = null;
    do {
      const page: Answer<{ data: LedgerRow[]; nextCursor: string | null }> = await call(
        url,
        'GET',
        `/v1/billing/ledger?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`,
        token,
      );
      expect(page.status, page.text).toBe(200);
      entries.push(...page.json.data);
      cursor = page.json.nextCursor;
    } while (cursor !== null);
    const charges = entries.filter((e) => e.kind === 'charge');
    const delivered = [...messages.entries()].filter(([, m]) => m.status === 'delivered' || m.status === 'read');
    const chargedReferences = charges.map((e) => e.reference);

    expect(refusals).toEqual([]);
    expect(acknowledged.size).toBeGreaterThanOrEqual(KILLS * SENDS_PER_LIFE);
    // Nothing fails for the crashes (a send replayed at start goes out with its number's token, and so on).
    expect([...messages.values()].filter((m) => m.state === 'failed').map((m) => m.error)).toEqual([]);
    for (const key of acknowledged) expect(messages.has(key), `acknowledged ${key} is in its conversation`).toBe(true);
    expect(new Set(chargedReferences).size, 'no message is charged twice').toBe(chargedReferences.length);
    expect(new Set(chargedReferences)).toEqual(new Set(delivered.map(([key]) => key)));
    for (const charge of charges) expect(charge.amountMicros).toBe(UTILITY_DE);
    expect(entries.filter((e) => e.kind !== 'charge')).toEqual([
      expect.objectContaining({ kind: 'topUp', amountMicros: TOP_UP }),
    ]);
    const spent = charges.reduce((sum, e) => sum + e.amountMicros, 0);
    expect(await wallet()).toMatchObject({ balanceMicros: TOP_UP - spent, reservedMicros: 0, openReservations: 0 });
    // Meta accepted every delivered message at least once (a send replayed after a kill may have gone twice).
    expect(sim.sent.length).toBeGreaterThanOrEqual(delivered.length);
  }, 240_000);
});
