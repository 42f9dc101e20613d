import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/index.ts';
import { silentLogger } from '../../../core/index.ts';
import { CONVERSATION_INDEX_KIND } from '../../../actors/conversation-index/conversation-index.messages.ts';
import { makeTempDir } from '../../../core/testing/temp-dir.ts';
import { startParlo, type RunningParlo } from '../../cli/start.ts';
import { eventually } from '../../../core/testing/eventually.ts';

/**
 * Listing conversations and paging their messages, end to end on the real composition root with the bundled
 * simulator: customers write to two numbers of one organisation (and one of another), the business replies to
 * some, and `GET /v1/conversations` answers from the numbers' conversation indexes, with filters and cursors, per
 * number and across the organisation's numbers, and the same after a restart.
 */

const temp = makeTempDir('parlo-conversations-');
let node: RunningParlo;
const PASSWORD = 'correct horse battery staple';
const config = () =>
  loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } });

interface Listed {
  id: string;
  phoneNumberId: string;
  customer: { phone: string | null; userId: string | null; profileName: string | null };
  lastActivityAt: string;
  lastMessage: { direction: 'in' | 'out'; type: string; preview: string | null; failed: boolean };
  window: { isOpen: boolean; expiresAt: string | null };
  assignee: string | null;
  unreadCount: number;
  match?: { seq: number; at: string; direction: 'in' | 'out'; excerpt: string };
}
interface Bodies {
  signup: { tokens: { accessToken: string } };
  connected: { number: { phoneNumberId: string } };
  queued: { messageId: string; conversationId: string; state: string };
  list: { data: Listed[]; nextCursor: string | null };
  messages: { data: { id: string; seq: number; direction: string }[]; nextBefore: number | null };
  error: { error: { code: string; message: string; details?: { path: string }[] } };
}

async function api<K extends keyof Bodies>(
  method: 'GET' | 'POST',
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<{ status: number; json: Bodies[K]; text: string }> {
  const response = await request(`${node.httpUrl}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: JSON.parse(text) as Bodies[K], text };
}

const HOUR = 3_600_000;
/** An hour ago, on a whole second (Meta's timestamps are seconds). */
const BASE = Math.floor(Date.now() / 1000) * 1000 - HOUR;

let tokenA: string;
let tokenB: string;
let n1: string;
let n2: string;
let nB: string;

/** Customers: c1–c3 write to n1, c4–c5 to n2 (both org A), c6 to nB (org B). */
const C = {
  c1: { phone: '15550100001', name: 'Ana Souza' },
  c2: { phone: '15550100002', name: 'Bruno' },
  c3: { phone: '4915550100003', name: 'Çelik Öz' },
  c4: { phone: '15550100004', name: 'Dora' },
  c5: { phone: '15550100005', name: undefined },
  c6: { phone: '15550100006', name: 'Ana B' },
} as const;
type Customer = keyof typeof C;
const numberOf = (c: Customer): string => ({ c1: n1, c2: n1, c3: n1, c4: n2, c5: n2, c6: nB })[c];
const idOf = (c: Customer): string => `${numberOf(c)}.p${C[c].phone}`;

function writes(c: Customer, body: string, atMs: number): void {
  const name = C[c].name;
  node.whatsapp.simulator!.simulator.injectInbound(numberOf(c), {
    type: 'text',
    from: C[c].phone,
    body,
    timestampMs: atMs,
    ...(name === undefined ? {} : { profileName: name }),
  });
}

async function reply(token: string, c: Customer, text: string): Promise<void> {
  const queued = await api<'queued'>('POST', '/v1/messages', {
    token,
    body: { from: numberOf(c), to: C[c].phone, content: { type: 'text', text: { body: text } } },
  });
  expect(queued.status, queued.text).toBe(202);
}

const list = (query: string, token = tokenA) => api<'list'>('GET', `/v1/conversations${query}`, { token });
const idsOf = (res: { json: Bodies['list'] }) => res.json.data.map((c) => c.id);

async function connect(token: string): Promise<string> {
  const res = await api<'connected'>('POST', '/v1/numbers', { token, body: { mode: 'simulator' } });
  expect(res.status, res.text).toBe(201);
  return res.json.number.phoneNumberId;
}

async function signIn(email: string): Promise<string> {
  const res = await api<'signup'>('POST', '/v1/sessions', { body: { email, password: PASSWORD } });
  expect(res.status, res.text).toBe(201);
  return res.json.tokens.accessToken;
}

beforeAll(async () => {
  node = await startParlo(config(), { logger: silentLogger() });
  const signUp = async (orgName: string, email: string) =>
    (await api<'signup'>('POST', '/v1/signup', { body: { orgName, email, password: PASSWORD } })).json.tokens
      .accessToken;
  tokenA = await signUp('Listing A', 'owner@list-a.test');
  tokenB = await signUp('Listing B', 'owner@list-b.test');
  n1 = await connect(tokenA);
  n2 = await connect(tokenA);
  nB = await connect(tokenB);

  writes('c1', 'Hello, where is my order?', BASE + 1_000);
  writes('c2', 'Hi', BASE + 2_000);
  writes('c3', 'Guten Tag', BASE - 25 * HOUR); // its window closed an hour ago
  writes('c4', 'Question about shoes', BASE + 3_000);
  writes('c5', 'First', BASE + 4_000);
  writes('c5', 'Second', BASE + 5_000);
  writes('c6', 'Olá', BASE + 6_000);
  await eventually(
    () => list(''),
    (r) => r.json.data.length === 5,
    "org A's five conversations",
  );
  await eventually(
    () => list('', tokenB),
    (r) => r.json.data.length === 1,
    "org B's conversation",
  );

  // The business answers Ana, then Dora (later): both move to the top.
  await reply(tokenA, 'c1', 'Thanks Ana, it ships today.');
  await eventually(
    () => list(`?number=${n1}`),
    (r) => r.json.data[0]?.lastMessage.direction === 'out',
    "the reply to Ana in n1's listing",
  );
  await new Promise((resolve) => setTimeout(resolve, 5));
  await reply(tokenA, 'c4', 'Which size?');
  await eventually(
    () => list(`?number=${n2}`),
    (r) => r.json.data[0]?.lastMessage.direction === 'out',
    "the reply to Dora in n2's listing",
  );
}, 60_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('GET /v1/conversations', () => {
  it("lists the organisation's conversations across its numbers, newest activity first, with their summaries", async () => {
    const all = await list('');
    expect(all.status, all.text).toBe(200);
    expect(idsOf(all)).toEqual(['c4', 'c1', 'c5', 'c2', 'c3'].map((c) => idOf(c as Customer)));
    expect(all.json.nextCursor).toBeNull();
    const [dora, ana, c5, bruno, celik] = all.json.data as [Listed, Listed, Listed, Listed, Listed];
    expect(ana).toMatchObject({
      phoneNumberId: n1,
      customer: { phone: C.c1.phone, userId: null, profileName: 'Ana Souza' },
      lastMessage: { direction: 'out', type: 'text', preview: 'Thanks Ana, it ships today.', failed: false },
      window: { isOpen: true, expiresAt: new Date(BASE + 1_000 + 24 * HOUR).toISOString() },
      // The owner answered: replying to an unassigned conversation assigns it to them (the inbox's lock).
      assignee: expect.stringMatching(/^usr/),
      unreadCount: 0,
    });
    expect(dora.assignee).toBe(ana.assignee);
    expect(c5.assignee).toBeNull();
    expect(Date.parse(dora.lastActivityAt)).toBeGreaterThan(Date.parse(ana.lastActivityAt));
    expect(c5).toMatchObject({
      phoneNumberId: n2,
      customer: { profileName: null },
      lastActivityAt: new Date(BASE + 5_000).toISOString(),
      lastMessage: { direction: 'in', preview: 'Second' },
      unreadCount: 2,
    });
    expect(bruno.unreadCount).toBe(1);
    expect(celik).toMatchObject({ window: { isOpen: false }, unreadCount: 1, lastMessage: { preview: 'Guten Tag' } });
    // Organisation B sees its own conversation only.
    expect(idsOf(await list('', tokenB))).toEqual([idOf('c6')]);
  });

  it('lists one number, and answers 404 for a number of another organisation', async () => {
    expect(idsOf(await list(`?number=${n1}`))).toEqual([idOf('c1'), idOf('c2'), idOf('c3')]);
    expect(idsOf(await list(`?number=${n2}`))).toEqual([idOf('c4'), idOf('c5')]);
    const foreign = await api<'error'>('GET', `/v1/conversations?number=${nB}`, { token: tokenA });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('PARLO_NUMBER_NOT_FOUND');
  });

  it('filters by window, unread, assignee, activity time, phone prefix and name', async () => {
    const cases: readonly [string, readonly Customer[]][] = [
      ['?window=open', ['c4', 'c1', 'c5', 'c2']],
      ['?window=closed', ['c3']],
      ['?hasUnread=true', ['c5', 'c2', 'c3']],
      ['?hasUnread=false', ['c4', 'c1']],
      ['?assignee=unassigned', ['c5', 'c2', 'c3']],
      ['?assignee=usr0123456789abcdef', []],
      ['?status=open,pending', ['c4', 'c1', 'c5', 'c2', 'c3']],
      ['?status=resolved', []],
      [
        `?activeAfter=${new Date(BASE + 2_000).toISOString()}&activeBefore=${new Date(BASE + 5_000).toISOString()}`,
        ['c2'],
      ],
      [`?activeBefore=${new Date(BASE).toISOString()}`, ['c3']],
      [`?phonePrefix=${encodeURIComponent('+49')}`, ['c3']],
      ['?phonePrefix=1555010000', ['c4', 'c1', 'c5', 'c2']],
      ['?name=celik', ['c3']],
      ['?name=ANA', ['c1']],
      [`?number=${n2}&hasUnread=true&window=open`, ['c5']],
    ];
    for (const [query, expected] of cases) {
      const res = await list(query);
      expect(res.status, `${query}: ${res.text}`).toBe(200);
      expect(idsOf(res), query).toEqual(expected.map(idOf));
    }
  });

  it('searches message texts, names and phone digits (q), saying which message matched', async () => {
    const cases: readonly [string, readonly Customer[]][] = [
      ['?q=order', ['c1']],
      ['?q=SHIPS%20today', ['c1']],
      ['?q=shoe', ['c4']],
      ['?q=which%20size', ['c4']],
      ['?q=order%20shoes', []],
      ['?q=ola', []],
      ['?q=celik', ['c3']],
      ['?q=%2B1%20555%200100002', ['c2']],
      [`?q=order&number=${n2}`, []],
      ['?q=guten&window=open', []],
      ['?q=guten&window=closed', ['c3']],
    ];
    for (const [query, expected] of cases) {
      const res = await list(query);
      expect(res.status, `${query}: ${res.text}`).toBe(200);
      expect(idsOf(res), query).toEqual(expected.map(idOf));
    }
    const [customerSaid] = (await list('?q=order')).json.data;
    expect(customerSaid?.match).toEqual({
      seq: 1,
      at: new Date(BASE + 1_000).toISOString(),
      direction: 'in',
      excerpt: 'Hello, where is my order?',
    });
    const [weSaid] = (await list('?q=ships')).json.data;
    expect(weSaid?.match).toMatchObject({ seq: 2, direction: 'out', excerpt: 'Thanks Ana, it ships today.' });
    // A name or phone match says no message; another organisation's texts are not searched.
    expect((await list('?q=celik')).json.data[0]?.match).toBeUndefined();
    expect(idsOf(await list('?q=ola', tokenB))).toEqual([`${nB}.p${C.c6.phone}`]);
    for (const [query, field] of [
      ['?q=', 'q'],
      [`?q=${'x'.repeat(101)}`, 'q'],
    ] as const) {
      const res = await api<'error'>('GET', `/v1/conversations${query}`, { token: tokenA });
      expect(res.status, query).toBe(400);
      expect(res.json.error.message, query).toContain(`query.${field}`);
    }
  });

  it('pages with an opaque cursor: every conversation exactly once, in order, filters kept', async () => {
    const everything = idsOf(await list(''));
    for (const [query, expected] of [
      ['', everything],
      ['&hasUnread=true', [idOf('c5'), idOf('c2'), idOf('c3')]],
    ] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res = await list(`?limit=2${query}${cursor === null ? '' : `&cursor=${cursor}`}`);
        expect(res.status, res.text).toBe(200);
        expect(res.json.data.length).toBeLessThanOrEqual(2);
        seen.push(...idsOf(res));
        cursor = res.json.nextCursor;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(seen).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / 2));
    }
  });

  it('refuses bad input with 400, naming the parameter', async () => {
    const cases: readonly [string, string, string][] = [
      ['?cursor=not-a-cursor!', 'PARLO_INVALID_CURSOR', 'cursor'],
      [`?cursor=${Buffer.from('{"before":3}').toString('base64url')}`, 'PARLO_INVALID_CURSOR', 'cursor'],
      ['?limit=0', 'PARLO_VALIDATION_FAILED', 'limit'],
      ['?limit=101', 'PARLO_VALIDATION_FAILED', 'limit'],
      ['?window=ajar', 'PARLO_VALIDATION_FAILED', 'window'],
      ['?hasUnread=perhaps', 'PARLO_VALIDATION_FAILED', 'hasUnread'],
      ['?activeAfter=yesterday', 'PARLO_VALIDATION_FAILED', 'activeAfter'],
      ['?phonePrefix=abc', 'PARLO_VALIDATION_FAILED', 'phonePrefix'],
      ['?number=12', 'PARLO_VALIDATION_FAILED', 'number'],
      ['?colour=blue', 'PARLO_VALIDATION_FAILED', 'colour'],
    ];
    for (const [query, code, field] of cases) {
      const res = await api<'error'>('GET', `/v1/conversations${query}`, { token: tokenA });
      expect(res.status, query).toBe(400);
      expect(res.json.error.code, query).toBe(code);
      expect(res.json.error.message, query).toContain(`query.${field}`);
    }
  });
});

describe('GET /v1/conversations/{conversationId}/messages', () => {
  const path = (c: Customer, query = '') => `/v1/conversations/${idOf(c)}/messages${query}`;

  it('pages the messages newest first by seq, and filters by direction', async () => {
    const first = await api<'messages'>('GET', path('c5', '?limit=1'), { token: tokenA });
    expect(first.status, first.text).toBe(200);
    expect(first.json.data).toHaveLength(1);
    expect(first.json.nextBefore).toBe(first.json.data[0]!.seq);
    const second = await api<'messages'>('GET', path('c5', `?limit=1&before=${first.json.nextBefore}`), {
      token: tokenA,
    });
    expect(second.json.data).toHaveLength(1);
    expect(second.json.data[0]!.seq).toBeLessThan(first.json.data[0]!.seq);
    expect(second.json.nextBefore).toBeNull();

    const both = await api<'messages'>('GET', path('c1'), { token: tokenA });
    expect(both.json.data.map((m) => m.direction)).toEqual(['out', 'in']);
    const outbound = await api<'messages'>('GET', path('c1', '?direction=out'), { token: tokenA });
    expect(outbound.json.data.map((m) => m.direction)).toEqual(['out']);
    const inbound = await api<'messages'>('GET', path('c1', '?direction=in'), { token: tokenA });
    expect(inbound.json.data.map((m) => m.direction)).toEqual(['in']);
    expect(inbound.json.nextBefore).toBeNull();
  });

  it("answers 404 for another organisation's conversation and 400 for bad paging", async () => {
    const foreign = await api<'error'>('GET', path('c1'), { token: tokenB });
    expect(foreign.status).toBe(404);
    expect(foreign.json.error.code).toBe('PARLO_CONVERSATION_NOT_FOUND');
    const bad = await api<'error'>('GET', path('c1', '?before=zero&direction=sideways'), { token: tokenA });
    expect(bad.status).toBe(400);
    expect(bad.json.error.details?.map((d) => d.path)).toEqual(['before', 'direction']);
  });
});

describe('after a restart', () => {
  it('lists the same conversations from the stored indexes, and keeps them up to date', async () => {
    const before = (await list('')).json;
    await node.stop();
    node = await startParlo(config(), { logger: silentLogger() });
    // Each index is stored as its head and one record per bucket (conversation-index.storage.ts).
    expect(node.store.readState(CONVERSATION_INDEX_KIND, n1)?.s).toEqual({ count: 3 });
    const buckets = node.store.readItems(CONVERSATION_INDEX_KIND, n1) as { entries: unknown[] }[];
    expect(buckets.flatMap((b) => b.entries)).toHaveLength(3);
    tokenA = await signIn('owner@list-a.test');
    const after = await list('');
    expect(after.status, after.text).toBe(200);
    expect(after.json).toEqual(before);
    expect(idsOf(await list('?q=shoes'))).toEqual([idOf('c4')]);
    // Meta's timestamps are whole seconds: the next one, so that it is newer than every message so far.
    writes('c3', 'Hallo?', Math.ceil((Date.now() + 1) / 1000) * 1000);
    const moved = await eventually(
      () => list(''),
      (r) => r.json.data[0]?.id === idOf('c3'),
      'c3 to move to the top',
      30_000,
    );
    expect(moved.json.data[0]).toMatchObject({ window: { isOpen: true }, unreadCount: 2 });
  }, 60_000);
});
