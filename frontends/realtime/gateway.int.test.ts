import { request as httpRequest } from 'node:http';
import { connect as tcpConnect, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryMetrics, labelled, silentLogger } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../core/testing/runtime-fixture.ts';
import type { LoggedMessage } from '../../actors/conversation/conversation.messages.ts';
import { sessionActor } from '../../actors/identity/session.actor.ts';
import { SESSION_KIND, type SessionMsg } from '../../actors/identity/session.messages.ts';
import { createInboxStreamActor } from '../../actors/inbox/inbox-stream.actor.ts';
import { inboxStreamAddress, type InboxEvent, type InboxStreamMsg } from '../../actors/inbox/inbox-stream.messages.ts';
import { orgNumbersActor } from '../../actors/numbers/numbers.actor.ts';
import { presenceTopic } from '../../actors/operators/operator.messages.ts';
import { ORG_NUMBERS_KIND, type OrgNumbersMsg, type OrgNumbersReply } from '../../actors/numbers/numbers.messages.ts';
import type { Role } from '../../actors/org/permissions.ts';
import { messageBody } from '../http/api/message-view.ts';
import { formatSessionToken, hashToken, newId, newSecret } from '../http/auth/credentials.ts';
import { createMediaRefs, deriveMediaRefKeys } from '../http/media-refs.ts';
import { CLOSE_CODES, REALTIME_METRICS, startRealtimeGateway, type RealtimeGateway } from './gateway.ts';
import { RealtimeTestClient, type Frame } from './testing/realtime-client.ts';

/**
 * The gateway on a real port, over a real ActorSystem on LMDB (temp dir, fake clock): the real session,
 * org-numbers and inbox-stream actors, real WebSocket clients. Sessions are opened on the session actor directly
 * (no scrypt), and inbox events are appended to the organisation's inbox-stream as conversations do.
 */

const RETENTION_MS = 60_000;
const refs = createMediaRefs(deriveMediaRefKeys([Buffer.alloc(32, 3)]));
let fixture: RuntimeFixture;
let gateway: RealtimeGateway;
let orgs = 0;

beforeAll(async () => {
  fixture = await startRuntimeFixture({
    definitions: [sessionActor, orgNumbersActor, createInboxStreamActor({ retentionMs: RETENTION_MS })],
  });
  gateway = await startRealtimeGateway({
    system: fixture.system,
    transport: fixture.transport,
    mediaRefs: refs,
    logger: silentLogger(),
    // Typing's throttle and expiry follow the fixture's clock.
    clock: fixture.clock,
    host: '127.0.0.1',
    port: 0,
    // Small pages, so that a replay interleaves with live events.
    limits: { replayPageSize: 3 },
  });
});

afterAll(async () => {
  await gateway?.close();
  await fixture?.dispose();
});

// ---------------------------------------------------------------- helpers

interface Org {
  readonly orgId: string;
  readonly numbers: string[];
}

/** A fresh organisation (org ids look like real ones) with its connected numbers. */
async function newOrg(numberCount = 1): Promise<Org> {
  const n = ++orgs;
  const orgId = (0xa000 + n).toString(16).padStart(16, '0');
  const numbers: string[] = [];
  for (let i = 1; i <= numberCount; i++) {
    const phoneNumberId = `10${n}00${i}`;
    const msg: OrgNumbersMsg = {
      type: 'connectNumber',
      waba: {
        wabaId: `20${n}00`,
        mode: 'simulator',
        appId: null,
        appSecretSealed: 'sealed',
        accessTokenSealed: 'sealed',
      },
      number: {
        phoneNumberId,
        displayPhoneNumber: `1555000${n}00${i}`,
        verifiedName: null,
        qualityRating: 'GREEN',
        throughputLevel: null,
      },
      displayName: null,
      businessProfile: {},
      by: { kind: 'system', id: 'test' },
    };
    const reply = await fixture.system.ask<OrgNumbersReply<'connectNumber'>>(
      { kind: ORG_NUMBERS_KIND, id: orgId },
      msg,
    );
    expect(reply.ok).toBe(true);
    numbers.push(phoneNumberId);
  }
  return { orgId, numbers };
}

/** A signed-in session of the organisation: its access token (and session id). */
async function signIn(
  orgId: string,
  role: Role = 'operator',
  accessTtlMs?: number,
): Promise<{ token: string; sessionId: string }> {
  const sessionId = newId();
  const secret = newSecret();
  const open: SessionMsg = {
    type: 'open',
    userId: `usr_${sessionId.slice(0, 6)}`,
    orgId,
    role,
    accessTokenHash: hashToken(secret),
    refreshTokenHash: hashToken(newSecret()),
    ...(accessTtlMs === undefined ? {} : { accessTtlMs }),
  };
  const reply = await fixture.system.ask<{ ok: boolean }>({ kind: SESSION_KIND, id: sessionId }, open);
  expect(reply.ok).toBe(true);
  return { token: formatSessionToken(sessionId, secret), sessionId };
}

const urlWith = (token: string, g: RealtimeGateway = gateway) => `${g.url}?access_token=${encodeURIComponent(token)}`;

async function connect(orgId: string, g: RealtimeGateway = gateway): Promise<RealtimeTestClient> {
  return RealtimeTestClient.connect(urlWith((await signIn(orgId)).token, g));
}

let messageCount = 0;
function loggedMessage(text: string): LoggedMessage {
  const n = ++messageCount;
  return {
    seq: n,
    id: `wamid.T${n}`,
    direction: 'in',
    atMs: fixture.clock.now(),
    type: 'text',
    content: { body: text },
    providerMessageId: `wamid.T${n}`,
    category: null,
    sendState: null,
    status: null,
    error: null,
    attempts: 0,
    by: null,
    media: null,
  };
}

/** A customer's message on `phoneNumberId` from `phone`. */
function messageEvent(phoneNumberId: string, phone = '15551230001', text = 'Hi'): InboxEvent {
  return {
    type: 'message',
    conversationId: `${phoneNumberId}.p${phone}`,
    phoneNumberId,
    customer: { phone, userId: null, profileName: 'Ada' },
    message: loggedMessage(text),
  };
}

/** Appends events to the organisation's inbox-stream, as a conversation's commit does. */
async function append(orgId: string, events: readonly InboxEvent[]): Promise<void> {
  const msg: InboxStreamMsg = { type: 'append', events };
  await fixture.system.tell(inboxStreamAddress(orgId), msg);
}

function manyMessages(phoneNumberId: string, count: number): InboxEvent[] {
  return Array.from({ length: count }, (_, i) => messageEvent(phoneNumberId, '15551230001', `m${i}`));
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const eventsIn = (frames: readonly Frame[]) => frames.filter((f) => f.type === 'event');

/** An upgrade request by hand, to read the answer of a refused one. */
function rawUpgrade(path: string): Promise<{ status: number; contentType: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port: gateway.port,
      path,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type']), body }),
      );
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, contentType: '', body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

// ---------------------------------------------------------------- tests

describe('upgrade', () => {
  it('refuses a missing, malformed or unknown token with 401 and the REST API’s error body', async () => {
    const { orgId } = await newOrg();
    const { sessionId } = await signIn(orgId);
    const cases = [
      '/v1/realtime',
      '/v1/realtime?access_token=nonsense',
      `/v1/realtime?access_token=${sessionId}.${'x'.repeat(43)}`,
      `/v1/realtime?access_token=nosuchsession.${'x'.repeat(43)}`,
    ];
    for (const path of cases) {
      const answer = await rawUpgrade(path);
      expect(answer.status, path).toBe(401);
      expect(answer.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(answer.body)).toEqual({
        error: { code: 'PARLO_SESSION_INVALID', message: expect.any(String) as string },
      });
    }
  });

  it('refuses a revoked session with PARLO_SESSION_REVOKED', async () => {
    const { orgId } = await newOrg();
    const { token, sessionId } = await signIn(orgId);
    await fixture.system.ask({ kind: SESSION_KIND, id: sessionId }, { type: 'revoke' } satisfies SessionMsg);
    const answer = await rawUpgrade(`/v1/realtime?access_token=${encodeURIComponent(token)}`);
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'PARLO_SESSION_REVOKED' } });
  });

  it('answers plain HTTP with the error body: 426 on the endpoint, 404 elsewhere', async () => {
    const plain = await request(`http://127.0.0.1:${gateway.port}/v1/realtime`);
    expect(plain.statusCode).toBe(426);
    expect(await plain.body.json()).toMatchObject({ error: { code: 'PARLO_BAD_REQUEST' } });
    const elsewhere = await request(`http://127.0.0.1:${gateway.port}/v1/other`);
    expect(elsewhere.statusCode).toBe(404);
    expect(await elsewhere.body.json()).toMatchObject({ error: { code: 'PARLO_ROUTE_NOT_FOUND' } });
  });

  it('takes the token as a subprotocol, selects parlo.v1, and says who is connected', async () => {
    const { orgId } = await newOrg();
    const { token } = await signIn(orgId, 'viewer');
    const client = await RealtimeTestClient.connect(gateway.url, ['parlo.v1', `parlo.bearer.${token}`]);
    expect(client.socket.protocol).toBe('parlo.v1');
    expect(client.frames[0]).toMatchObject({ type: 'ready', orgId, role: 'viewer', userId: expect.any(String) });
    client.close();
  });
});

describe('subscriptions', () => {
  it('delivers the organisation’s events in seq order, messages in the REST API’s view', async () => {
    const { orgId, numbers } = await newOrg();
    const client = await connect(orgId);
    client.send({ type: 'subscribe', scope: 'org' });
    expect(await client.next()).toEqual({ type: 'subscribed', scope: 'org', id: orgId, lastSeq: 0 });
    const events = manyMessages(numbers[0]!, 3);
    await append(orgId, events);
    const frames = [await client.next(), await client.next(), await client.next()];
    expect(frames.map((f) => f.seq)).toEqual([1, 2, 3]);
    expect(frames[0]).toEqual({
      type: 'event',
      seq: 1,
      at: new Date(fixture.clock.now()).toISOString(),
      event: {
        type: 'message',
        conversationId: `${numbers[0]}.p15551230001`,
        phoneNumberId: numbers[0],
        customer: { phone: '15551230001', userId: null, profileName: 'Ada' },
        message: JSON.parse(
          JSON.stringify(messageBody((events[0] as { message: LoggedMessage }).message, orgId, refs)),
        ),
      },
    });
    client.close();
  });

  it('filters by number and conversation, and sends a socket each event once', async () => {
    const { orgId, numbers } = await newOrg(2);
    const [n1, n2] = numbers as [string, string];
    const onNumber = await connect(orgId);
    const onConversation = await connect(orgId);
    const onEverything = await connect(orgId);
    onNumber.send({ type: 'subscribe', scope: 'number', id: n1 });
    onConversation.send({ type: 'subscribe', scope: 'conversation', id: `${n1}.p15550000001` });
    for (const sub of [
      { scope: 'org' },
      { scope: 'number', id: n1 },
      { scope: 'conversation', id: `${n1}.p15550000001` },
    ]) {
      onEverything.send({ type: 'subscribe', ...sub });
    }
    await onNumber.until('subscribed');
    await onConversation.until('subscribed');
    for (let i = 0; i < 3; i++) await onEverything.until('subscribed');

    await append(orgId, [
      messageEvent(n1, '15550000001'),
      messageEvent(n1, '15550000002'),
      messageEvent(n2, '15550000001'),
      messageEvent(n1, '15550000001'),
    ]);
    expect(await onEverything.eventSeqs(4)).toEqual([1, 2, 3, 4]);
    expect(await onNumber.eventSeqs(3)).toEqual([1, 2, 4]);
    expect(await onConversation.eventSeqs(2)).toEqual([1, 4]);
    for (const client of [onEverything, onNumber, onConversation]) {
      expect(eventsIn(await client.roundTrip())).toEqual([]);
      client.close();
    }
  });

  it('never sends an organisation another one’s events, and refuses its ids', async () => {
    const a = await newOrg();
    const b = await newOrg();
    const clientA = await connect(a.orgId);
    const clientB = await connect(b.orgId);
    clientA.send({ type: 'subscribe', scope: 'org' });
    clientB.send({ type: 'subscribe', scope: 'org' });
    await clientA.until('subscribed');
    await clientB.until('subscribed');

    const refusals: [unknown, string][] = [
      [{ type: 'subscribe', scope: 'number', id: a.numbers[0] }, 'PARLO_NUMBER_NOT_FOUND'],
      [
        { type: 'subscribe', scope: 'conversation', id: `${a.numbers[0]}.p15550000001` },
        'PARLO_CONVERSATION_NOT_FOUND',
      ],
      [{ type: 'subscribe', scope: 'org', id: a.orgId }, 'PARLO_ORG_NOT_FOUND'],
    ];
    for (const [frame, code] of refusals) {
      clientB.send(frame);
      expect(await clientB.next()).toMatchObject({ type: 'error', code, scope: (frame as { scope: string }).scope });
    }
    await append(a.orgId, manyMessages(a.numbers[0]!, 2));
    expect(await clientA.eventSeqs(2)).toEqual([1, 2]);
    // A's events were fanned out (A has them); B's socket got none, nor anything after its refusals.
    expect(eventsIn(await clientB.roundTrip())).toEqual([]);
    await append(b.orgId, [messageEvent(b.numbers[0]!)]);
    expect(await clientB.eventSeqs(1)).toEqual([1]);
    clientA.close();
    clientB.close();
  });

  it('answers a bad frame with PARLO_BAD_REQUEST naming the field, and stops what is unsubscribed', async () => {
    const { orgId, numbers } = await newOrg();
    const client = await connect(orgId);
    client.send({ type: 'subscribe', scope: 'number' });
    expect(await client.next()).toMatchObject({
      type: 'error',
      code: 'PARLO_BAD_REQUEST',
      message: 'id: required for scope number',
    });
    client.socket.send('not json');
    expect(await client.next()).toMatchObject({ type: 'error', code: 'PARLO_BAD_REQUEST' });
    client.send({ type: 'subscribe', scope: 'number', id: numbers[0] });
    await client.until('subscribed');
    await append(orgId, [messageEvent(numbers[0]!)]);
    expect(await client.eventSeqs(1)).toEqual([1]);
    client.send({ type: 'unsubscribe', scope: 'number', id: numbers[0] });
    expect(await client.roundTrip()).toEqual([]);
    await append(orgId, [messageEvent(numbers[0]!)]);
    const other = await connect(orgId);
    other.send({ type: 'subscribe', scope: 'org', since: 1 });
    await other.until('subscribed');
    expect(await other.eventSeqs(1)).toEqual([2]);
    expect(eventsIn(await client.roundTrip())).toEqual([]);
    client.close();
    other.close();
  });
});

describe('resume', () => {
  it('replays exactly what was missed, then goes live, without gap or duplicate', async () => {
    const { orgId, numbers } = await newOrg();
    const first = await connect(orgId);
    first.send({ type: 'subscribe', scope: 'org' });
    await first.until('subscribed');
    await append(orgId, manyMessages(numbers[0]!, 3));
    expect(await first.eventSeqs(3)).toEqual([1, 2, 3]);
    first.close();
    await first.closed;

    await append(orgId, manyMessages(numbers[0]!, 7));
    const second = await connect(orgId);
    second.send({ type: 'subscribe', scope: 'org', since: 3 });
    expect(await second.next()).toEqual({ type: 'subscribed', scope: 'org', id: orgId, lastSeq: 10 });
    expect(await second.eventSeqs(7)).toEqual(range(4, 10));
    await append(orgId, manyMessages(numbers[0]!, 2));
    expect(await second.eventSeqs(2)).toEqual([11, 12]);
    expect(eventsIn(await second.roundTrip())).toEqual([]);
    second.close();
  });

  it('keeps order when events arrive while it catches up (live ones wait, then follow)', async () => {
    const { orgId, numbers } = await newOrg();
    await append(orgId, manyMessages(numbers[0]!, 30));
    const client = await connect(orgId);
    client.send({ type: 'subscribe', scope: 'number', id: numbers[0], since: 0 });
    // Pages of 3: thirty entries take ten reads; appends land between them.
    const appending = (async () => {
      for (let i = 0; i < 10; i++) await append(orgId, manyMessages(numbers[0]!, 2));
    })();
    expect((await client.next()).type).toBe('subscribed');
    await appending;
    expect(await client.eventSeqs(50)).toEqual(range(1, 50));
    expect(eventsIn(await client.roundTrip())).toEqual([]);
    client.close();
  });

  it('a second subscription replays only what the first did not deliver', async () => {
    const { orgId, numbers } = await newOrg(2);
    const [n1, n2] = numbers as [string, string];
    const client = await connect(orgId);
    client.send({ type: 'subscribe', scope: 'number', id: n1 });
    await client.until('subscribed');
    await append(orgId, [messageEvent(n1), messageEvent(n2), messageEvent(n1), messageEvent(n2)]);
    expect(await client.eventSeqs(2)).toEqual([1, 3]);
    client.send({ type: 'subscribe', scope: 'org', since: 0 });
    expect(await client.next()).toMatchObject({ type: 'subscribed', scope: 'org', lastSeq: 4 });
    expect(await client.eventSeqs(2)).toEqual([2, 4]);
    await append(orgId, [messageEvent(n2)]);
    expect(await client.eventSeqs(1)).toEqual([5]);
    expect(eventsIn(await client.roundTrip())).toEqual([]);
    client.close();
  });

  it('answers resync (gap) when what was missed is no longer retained, and does not subscribe', async () => {
    const { orgId, numbers } = await newOrg();
    await append(orgId, manyMessages(numbers[0]!, 4));
    await fixture.clock.advance(RETENTION_MS + 1);
    const client = await connect(orgId);
    client.send({ type: 'subscribe', scope: 'number', id: numbers[0], since: 1 });
    expect(await client.next()).toEqual({ type: 'resync', reason: 'gap', scope: 'number', id: numbers[0], lastSeq: 4 });
    await append(orgId, manyMessages(numbers[0]!, 1));
    expect(eventsIn(await client.roundTrip())).toEqual([]);
    // After reloading through REST, the client follows from lastSeq.
    client.send({ type: 'subscribe', scope: 'number', id: numbers[0], since: 4 });
    expect(await client.next()).toMatchObject({ type: 'subscribed', lastSeq: 5 });
    expect(await client.eventSeqs(1)).toEqual([5]);
    client.close();
  });
});

describe('sessions and slow consumers', () => {
  it('closes the sockets of a session that is revoked (4001)', async () => {
    const { orgId } = await newOrg();
    const { token, sessionId } = await signIn(orgId);
    const client = await RealtimeTestClient.connect(urlWith(token));
    const bystander = await connect(orgId);
    await fixture.system.ask({ kind: SESSION_KIND, id: sessionId }, { type: 'revoke' } satisfies SessionMsg);
    expect(await client.closed).toEqual({ code: CLOSE_CODES.sessionEnded, reason: 'session ended' });
    expect(await bystander.roundTrip()).toEqual([]);
    bystander.close();
  });

  it('closes a socket when its access token expires (4002), so that the client reconnects with a fresh one', async () => {
    const { orgId } = await newOrg();
    const { token } = await signIn(orgId, 'operator', 60_000);
    const client = await RealtimeTestClient.connect(urlWith(token));
    const bystander = await connect(orgId);
    await fixture.clock.advance(59_999);
    expect(await client.roundTrip()).toEqual([]);
    await fixture.clock.advance(1);
    expect(await client.closed).toEqual({ code: CLOSE_CODES.tokenExpired, reason: 'access token expired' });
    expect(await bystander.roundTrip()).toEqual([]);
    bystander.close();
  });

  it('stops a socket whose catch-up buffer overflows, with one resync (slow)', async () => {
    const metrics = new InMemoryMetrics();
    const small = await startRealtimeGateway({
      system: fixture.system,
      transport: fixture.transport,
      mediaRefs: refs,
      logger: silentLogger(),
      clock: fixture.clock,
      metrics,
      host: '127.0.0.1',
      port: 0,
      limits: { replayPageSize: 1, catchUpBufferEntries: 3 },
    });
    try {
      const { orgId, numbers } = await newOrg();
      await append(orgId, manyMessages(numbers[0]!, 40));
      const client = await connect(orgId, small);
      client.send({ type: 'subscribe', scope: 'org', since: 0 });
      expect((await client.next()).type).toBe('subscribed');
      expect((await client.next()).type).toBe('event');
      // Ten live events while it replays forty one by one: more than its buffer of three.
      await append(orgId, manyMessages(numbers[0]!, 10));
      const { frame, before } = await client.until('resync');
      expect(frame).toEqual({ type: 'resync', reason: 'slow', lastSeq: 1 + before.length });
      expect(before.map((f) => f.seq)).toEqual(range(2, 1 + before.length));
      expect(metrics.snapshot().counters[labelled(REALTIME_METRICS.resyncs, { reason: 'slow' })]).toBe(1);
      // Nothing more comes until it subscribes again, which resumes where it was.
      expect(eventsIn(await client.roundTrip())).toEqual([]);
      client.send({ type: 'subscribe', scope: 'org', since: frame.lastSeq });
      expect(await client.next()).toMatchObject({ type: 'subscribed', lastSeq: 50 });
      expect(await client.eventSeqs(50 - (frame.lastSeq as number))).toEqual(range((frame.lastSeq as number) + 1, 50));
      client.close();
    } finally {
      await small.close();
    }
  });

  it('stops a socket that does not read, with bounded buffering, and says resync (slow) once', async () => {
    const metrics = new InMemoryMetrics();
    const limit = 64 * 1024;
    const small = await startRealtimeGateway({
      system: fixture.system,
      transport: fixture.transport,
      mediaRefs: refs,
      logger: silentLogger(),
      clock: fixture.clock,
      metrics,
      host: '127.0.0.1',
      port: 0,
      maxBackpressureBytes: limit,
    });
    try {
      const { orgId, numbers } = await newOrg();
      const { token } = await signIn(orgId);
      const raw = await rawClient(small.port, `/v1/realtime?access_token=${encodeURIComponent(token)}`);
      raw.send({ type: 'subscribe', scope: 'org' });
      await raw.waitFor('"type":"subscribed"');
      raw.socket.pause();
      const slow = labelled(REALTIME_METRICS.resyncs, { reason: 'slow' });
      const big = 'x'.repeat(60_000);
      // Until the kernel's buffers are full and uWS has to hold more than the limit.
      for (let i = 0; i < 400 && metrics.snapshot().counters[slow] === undefined; i++) {
        await append(orgId, [messageEvent(numbers[0]!, '15551230001', big)]);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(metrics.snapshot().counters[slow]).toBe(1);
      await append(orgId, manyMessages(numbers[0]!, 5));
      raw.socket.resume();
      const text = await raw.waitFor('"reason":"slow"');
      expect(text.match(/"type":"resync"/g)).toHaveLength(1);
      // Nothing was sent after the resync.
      const afterResync = text.slice(text.indexOf('"reason":"slow"'));
      expect(afterResync).not.toContain('"type":"event"');
      raw.socket.destroy();
    } finally {
      await small.close();
    }
  });
});

describe('presence', () => {
  it('tells every subscribed socket of the organisation when an operator’s presence changes', async () => {
    const { orgId } = await newOrg();
    const other = await newOrg();
    const follow = async (client: Promise<RealtimeTestClient>) => {
      const c = await client;
      c.send({ type: 'subscribe', scope: 'org' });
      await c.until('subscribed');
      return c;
    };
    const watcher = await follow(connect(orgId));
    const stranger = await follow(connect(other.orgId));
    const unsubscribed = await connect(orgId);
    const at = fixture.clock.now();
    fixture.transport.publish(presenceTopic(orgId), { userId: 'usr_ana', presence: 'away', atMs: at });
    fixture.transport.publish(presenceTopic(orgId), { userId: 'usr_ana', presence: 'sleeping', atMs: at });
    expect(await watcher.next()).toEqual({
      type: 'presence',
      userId: 'usr_ana',
      presence: 'away',
      at: new Date(at).toISOString(),
    });
    // The malformed signal went nowhere; nothing went to another organisation or to a socket following nothing.
    for (const client of [watcher, stranger, unsubscribed]) expect(await client.roundTrip()).toEqual([]);
    for (const client of [watcher, stranger, unsubscribed]) client.close();
  });
});

describe('typing', () => {
  const typingIn = (conversationId: string) => ({ type: 'typing', conversationId });
  const expiresAt = () => new Date(fixture.clock.now() + 6_000).toISOString();

  /** Connected and subscribed (to the organisation unless told). */
  async function subscribed(
    client: Promise<RealtimeTestClient>,
    sub: Record<string, unknown> = { scope: 'org' },
  ): Promise<RealtimeTestClient> {
    const c = await client;
    c.send({ type: 'subscribe', ...sub });
    await c.until('subscribed');
    return c;
  }

  it('tells the organisation’s other sockets who types where, until when; not the sender, not another org', async () => {
    const { orgId, numbers } = await newOrg();
    const other = await newOrg();
    const { token } = await signIn(orgId);
    const sender = await subscribed(RealtimeTestClient.connect(urlWith(token)));
    const sameSession = await subscribed(RealtimeTestClient.connect(urlWith(token)));
    const onConversation = await subscribed(connect(orgId), {
      scope: 'conversation',
      id: `${numbers[0]}.p15551230001`,
    });
    const watcher = await subscribed(connect(orgId));
    const stranger = await subscribed(connect(other.orgId));
    const unsubscribed = await connect(orgId);
    const conversationId = `${numbers[0]}.p15551230001`;

    sender.send(typingIn(conversationId));
    const expected = {
      type: 'typing',
      conversationId,
      phoneNumberId: numbers[0],
      userId: sender.frames[0]!.userId,
      expiresAt: expiresAt(),
    };
    expect(await watcher.next()).toEqual(expected);
    // Another socket of the same user gets it too (clients ignore their own userId).
    expect(await sameSession.next()).toEqual(expected);
    expect(await onConversation.next()).toEqual(expected);
    // Fan-out is synchronous on a node: whatever the others would have got was sent before these pongs.
    for (const client of [sender, stranger, unsubscribed, watcher]) expect(await client.roundTrip()).toEqual([]);
    for (const client of [sender, sameSession, onConversation, watcher, stranger, unsubscribed]) client.close();
  });

  it('needs conversations:reply (PARLO_ACCESS_FORBIDDEN), and a conversation of the organisation’s numbers', async () => {
    const { orgId, numbers } = await newOrg();
    const other = await newOrg();
    const watcher = await subscribed(connect(orgId));
    const viewer = await subscribed(RealtimeTestClient.connect(urlWith((await signIn(orgId, 'viewer')).token)));
    const operator = await connect(orgId);

    viewer.send(typingIn(`${numbers[0]}.p15551230001`));
    expect(await viewer.next()).toEqual({
      type: 'error',
      code: 'PARLO_ACCESS_FORBIDDEN',
      message: 'role viewer does not hold conversations:reply',
    });
    for (const conversationId of [`${other.numbers[0]}.p15551230001`, '99999999.p15551230001']) {
      operator.send(typingIn(conversationId));
      expect(await operator.next()).toEqual({
        type: 'error',
        code: 'PARLO_CONVERSATION_NOT_FOUND',
        message: `no conversation ${conversationId} here`,
      });
      // A refusal takes no throttle slot: the same frame is refused again, not dropped.
      operator.send(typingIn(conversationId));
      expect(await operator.next()).toMatchObject({ type: 'error', code: 'PARLO_CONVERSATION_NOT_FOUND' });
    }
    operator.send({ type: 'typing', conversationId: numbers[0] });
    expect(await operator.next()).toMatchObject({
      type: 'error',
      code: 'PARLO_BAD_REQUEST',
      message: expect.stringMatching(/^conversationId: must be a conversation id/) as string,
    });
    expect(await watcher.roundTrip()).toEqual([]);
    for (const client of [watcher, viewer, operator]) client.close();
  });

  it('fans a socket’s typing in a conversation out once per 2 s; extra frames are dropped silently', async () => {
    const { orgId, numbers } = await newOrg();
    const sender = await connect(orgId);
    const watcher = await subscribed(connect(orgId));
    const a = `${numbers[0]}.p15551230001`;
    const b = `${numbers[0]}.p15551230002`;

    sender.send(typingIn(a));
    expect(await watcher.next()).toMatchObject({ type: 'typing', conversationId: a, expiresAt: expiresAt() });
    // Within 2 s: A again is dropped (no error); B is another conversation and goes out, after anything of A's.
    sender.send(typingIn(a));
    sender.send(typingIn(b));
    expect(await watcher.next()).toMatchObject({ type: 'typing', conversationId: b });
    expect(await sender.roundTrip()).toEqual([]);
    // Still within 2 s of the first (the pong says the gateway has taken the frame in before the clock moves on).
    await fixture.clock.advance(1_999);
    sender.send(typingIn(a));
    expect(await sender.roundTrip()).toEqual([]);
    // 2 s after the first: accepted; had the one before been, its earlier expiresAt would show first.
    await fixture.clock.advance(1);
    sender.send(typingIn(a));
    expect(await watcher.next()).toMatchObject({ type: 'typing', conversationId: a, expiresAt: expiresAt() });
    expect(await sender.roundTrip()).toEqual([]);
    expect(await watcher.roundTrip()).toEqual([]);
    sender.close();
    watcher.close();
  });

  it('reaches the organisation’s sockets on every node (through the transport), counted as sent', async () => {
    const metrics = new InMemoryMetrics();
    const nodeB = fixture.hub.connect('typing-node-b');
    const other = await startRealtimeGateway({
      system: fixture.system,
      transport: nodeB,
      mediaRefs: refs,
      logger: silentLogger(),
      metrics,
      clock: fixture.clock,
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const { orgId, numbers } = await newOrg();
      const conversationId = `${numbers[0]}.p15551230001`;
      const onA = await subscribed(connect(orgId));
      const onB = await subscribed(connect(orgId, other), { scope: 'number', id: numbers[0] });
      onA.send(typingIn(conversationId));
      expect(await onB.next()).toMatchObject({ type: 'typing', conversationId, userId: onA.frames[0]!.userId });
      onB.send(typingIn(conversationId));
      expect(await onA.next()).toMatchObject({ type: 'typing', conversationId, userId: onB.frames[0]!.userId });
      expect(await onB.roundTrip()).toEqual([]);
      expect(metrics.snapshot().counters[REALTIME_METRICS.typing]).toBe(1);
      onA.close();
      onB.close();
    } finally {
      await other.close();
      await nodeB.close();
    }
  });
});

/** A WebSocket client by hand (net socket), so that the test decides when it reads. */
async function rawClient(port: number, path: string) {
  const socket: Socket = tcpConnect(port, '127.0.0.1');
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    received = Buffer.concat([received, chunk]);
  });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
      `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
  );
  const client = {
    socket,
    /** Server frames are unmasked: their JSON appears as is in the byte stream. */
    async waitFor(text: string): Promise<string> {
      await eventually(
        () => Promise.resolve(received.toString('latin1')),
        (all) => all.includes(text),
        text,
        10_000,
      );
      return received.toString('latin1');
    },
    /** One masked text frame (clients must mask). */
    send(frame: unknown): void {
      const payload = Buffer.from(JSON.stringify(frame));
      if (payload.length > 125) throw new Error('keep test frames small');
      const mask = randomBytes(4);
      const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
      socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
    },
  };
  await client.waitFor('"type":"ready"');
  return client;
}
