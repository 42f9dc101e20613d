import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { startParlo, type RunningParlo } from './start.ts';

/**
 * The inbox's hold on a conversation over the real composition root (REST, actors, LMDB, the bundled simulator):
 * two operators and a manager of one organisation, a customer who wrote. The first operator to reply holds the
 * conversation and the other's reply is refused naming them (whatever client they use: the conversation enforces
 * it); a manager takes over; transfer, release, snooze and resolve; another organisation sees none of it.
 */

const temp = makeTempDir('parlo-inbox-controls-');
let node: RunningParlo;
const api = jsonApi(() => node.httpUrl);
const PASSWORD = 'correct horse battery staple';
const CUSTOMER = '15557770042';

interface Controls {
  assignee: string | null;
  lock: { holder: string; since: string; expiresAt: string } | null;
  status: string;
  snoozedUntil: string | null;
}
interface ErrorBody {
  error: { code: string; message: string };
}

let owner: { token: string; userId: string };
let ana: { token: string; userId: string };
let bob: { token: string; userId: string };
let max: { token: string; userId: string };
let stranger: string;
let conversation: string;

async function signUp(orgName: string, email: string) {
  const res = await api<{ user: { id: string }; tokens: { accessToken: string } }>('POST', '/v1/signup', {
    body: { orgName, email, password: PASSWORD },
  });
  expect(res.status, res.text).toBe(201);
  return { token: res.json.tokens.accessToken, userId: res.json.user.id };
}

async function addMember(role: 'operator' | 'manager', email: string) {
  const invited = await api<{ inviteId: string; token: string }>('POST', '/v1/invites', {
    token: owner.token,
    body: { email, role },
  });
  expect(invited.status, invited.text).toBe(201);
  const accepted = await api<{ user: { id: string }; tokens: { accessToken: string } }>('POST', '/v1/invites/accept', {
    body: { inviteId: invited.json.inviteId, token: invited.json.token, password: PASSWORD },
  });
  expect(accepted.status, accepted.text).toBe(201);
  return { token: accepted.json.tokens.accessToken, userId: accepted.json.user.id };
}

const reply = (token: string, body: string) =>
  api<ErrorBody>('POST', '/v1/messages', {
    token,
    body: { from: conversation.split('.')[0], to: CUSTOMER, content: { type: 'text', text: { body } } },
  });
const control = (token: string, action: string, body?: unknown) =>
  api<Controls & ErrorBody>('POST', `/v1/conversations/${conversation}/${action}`, {
    token,
    ...(body === undefined ? {} : { body }),
  });

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    {
      logger: silentLogger(),
    },
  );
  owner = await signUp('Inbox', 'owner@inbox.test');
  stranger = (await signUp('Elsewhere', 'owner@elsewhere.test')).token;
  ana = await addMember('operator', 'ana@inbox.test');
  bob = await addMember('operator', 'bob@inbox.test');
  max = await addMember('manager', 'max@inbox.test');
  const connected = await api<{ number: { phoneNumberId: string } }>('POST', '/v1/numbers', {
    token: owner.token,
    body: { mode: 'simulator' },
  });
  expect(connected.status, connected.text).toBe(201);
  const phoneNumberId = connected.json.number.phoneNumberId;
  conversation = `${phoneNumberId}.p${CUSTOMER}`;
  node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, { type: 'text', from: CUSTOMER, body: 'Hola' });
  await eventually(
    () =>
      api<{ window: { canSendFreeForm: boolean } }>('GET', `/v1/conversations/${conversation}`, { token: owner.token }),
    (r) => r.status === 200 && r.json.window.canSendFreeForm,
    'the customer’s message',
  );
}, 60_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('inbox controls over REST', () => {
  it('lets the first operator to reply hold the conversation and refuses the other, naming the holder', async () => {
    const first = await reply(ana.token, 'Hi, Ana here');
    expect(first.status, first.text).toBe(202);
    const second = await reply(bob.token, 'Hi, Bob here');
    expect(second.status).toBe(409);
    expect(second.json.error.code).toBe('PARLO_CONVERSATION_LOCKED');
    expect(second.json.error.message).toContain(ana.userId);
    const claim = await control(bob.token, 'claim');
    expect(claim.status).toBe(409);
    expect(claim.json.error.code).toBe('PARLO_CONVERSATION_LOCKED');
    const view = await api<Controls & { tags: string[]; notes: unknown[] }>(
      'GET',
      `/v1/conversations/${conversation}`,
      {
        token: owner.token,
      },
    );
    expect(view.status).toBe(200);
    expect(view.json).toMatchObject({ assignee: ana.userId, lock: { holder: ana.userId }, status: 'open', tags: [] });
  });

  it('an operator may not take over; a manager does, and the former holder is refused', async () => {
    const refused = await control(bob.token, 'takeover');
    expect(refused.status).toBe(403);
    const taken = await control(max.token, 'takeover');
    expect(taken.status, taken.text).toBe(200);
    expect(taken.json).toMatchObject({ assignee: max.userId, lock: { holder: max.userId }, status: 'open' });
    expect((await reply(ana.token, 'still me?')).status).toBe(409);
  });

  it('transfers to a member, refuses a stranger as assignee, releases, snoozes and resolves', async () => {
    const transferred = await control(max.token, 'assign', { assignee: bob.userId });
    expect(transferred.status, transferred.text).toBe(200);
    expect(transferred.json).toMatchObject({ assignee: bob.userId, lock: { holder: bob.userId } });
    const unknown = await control(max.token, 'assign', { assignee: 'usr_nobody' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('PARLO_USER_NOT_FOUND');
    expect((await reply(bob.token, 'Bob now')).status).toBe(202);
    // Handed back and forth with a note: kept on the conversation, and the new assignee is notified.
    const back = await control(bob.token, 'assign', { assignee: max.userId });
    expect(back.status, back.text).toBe(200);
    const noted = await control(max.token, 'assign', { assignee: bob.userId, note: 'Refund approved, please confirm' });
    expect(noted.status, noted.text).toBe(200);
    const view = await api<{ notes: { text: string; by: string; mentions: string[] }[] }>(
      'GET',
      `/v1/conversations/${conversation}`,
      { token: bob.token },
    );
    expect(view.json.notes.at(-1)).toMatchObject({
      text: 'Refund approved, please confirm',
      by: max.userId,
      mentions: [bob.userId],
    });
    const told = await eventually(
      () =>
        api<{ data: { id: string; excerpt: string }[]; unread: number }>('GET', '/v1/me/notifications', {
          token: bob.token,
        }),
      (r) => r.json.unread === 1,
      'the transfer note’s mention',
    );
    expect(told.json.data[0]!.excerpt).toBe('Refund approved, please confirm');
    await api('POST', '/v1/me/notifications/read', { token: bob.token, body: { upToId: told.json.data[0]!.id } });
    const blank = await control(max.token, 'assign', { assignee: bob.userId, note: '   ' });
    expect(blank.status).toBe(400);

    const released = await control(bob.token, 'release');
    expect(released.json).toMatchObject({ assignee: bob.userId, lock: null });

    const badSnooze = await control(bob.token, 'status', { status: 'snoozed' });
    expect(badSnooze.status).toBe(400);
    const until = new Date(Date.now() + 3_600_000).toISOString();
    const snoozed = await control(bob.token, 'status', { status: 'snoozed', snoozeUntil: until });
    expect(snoozed.status, snoozed.text).toBe(200);
    expect(snoozed.json).toMatchObject({ status: 'snoozed', snoozedUntil: until });
    const resolved = await control(bob.token, 'status', { status: 'resolved' });
    expect(resolved.json).toMatchObject({ status: 'resolved', snoozedUntil: null, lock: null });
  });

  it('keeps internal notes with mentions that notify, and tags', async () => {
    const note = await api<{ id: string; text: string; mentions: string[] } & ErrorBody>(
      'POST',
      `/v1/conversations/${conversation}/notes`,
      { token: ana.token, body: { text: 'Bob, this one is about the refund', mentions: [bob.userId] } },
    );
    expect(note.status, note.text).toBe(201);
    expect(note.json).toMatchObject({ text: 'Bob, this one is about the refund', mentions: [bob.userId] });
    const inbox = await eventually(
      () =>
        api<{ data: { id: string; excerpt: string; read: boolean }[]; unread: number }>('GET', '/v1/me/notifications', {
          token: bob.token,
        }),
      (r) => r.json.unread === 1,
      'Bob’s mention',
    );
    expect(inbox.json.data[0]).toMatchObject({ excerpt: 'Bob, this one is about the refund', read: false });
    const read = await api<{ unread: number }>('POST', '/v1/me/notifications/read', {
      token: bob.token,
      body: { upToId: inbox.json.data[0]!.id },
    });
    expect(read.json.unread).toBe(0);
    const stranger = await api<ErrorBody>('POST', `/v1/conversations/${conversation}/notes`, {
      token: ana.token,
      body: { text: 'hi', mentions: ['usr_nobody'] },
    });
    expect(stranger.status).toBe(404);

    const tags = await api<{ tags: string[] }>('PUT', `/v1/conversations/${conversation}/tags`, {
      token: ana.token,
      body: { tags: ['refund', 'vip'] },
    });
    expect(tags.status, tags.text).toBe(200);
    expect(tags.json.tags).toEqual(['refund', 'vip']);
  });

  it('another organisation’s user finds no such conversation', async () => {
    const res = await control(stranger, 'claim');
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('PARLO_CONVERSATION_NOT_FOUND');
  });
});
