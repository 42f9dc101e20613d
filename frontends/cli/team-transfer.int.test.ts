import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { startParlo, type RunningParlo } from './start.ts';

/**
 * A transfer to a team over the real composition root (REST, actors, LMDB, the bundled simulator), with the
 * organisation's assignment rules left `manual` (the default): a transfer to a team is served anyway. A team with a
 * free member online: that member is given the conversation, and the transfer note mentions them. Nobody of the
 * team free: the conversation waits, and is given to the first member who comes online. An unknown team, or a
 * member and a team at once, are refused naming what is wrong.
 */

const temp = makeTempDir('parlo-team-transfer-');
let node: RunningParlo;
const api = jsonApi(() => node.httpUrl);
const PASSWORD = 'correct horse battery staple';

interface Controls {
  assignee: string | null;
  lock: { holder: string } | null;
  status: string;
  waitingForTeam?: string;
}
interface ErrorBody {
  error: { code: string; message: string };
}
interface ConversationBody {
  assignee: string | null;
  lock: { holder: string } | null;
  notes: { id: string; text: string; by: string; mentions: string[] }[];
}

let owner: { token: string; userId: string };
let ana: { token: string; userId: string };
let bob: { token: string; userId: string };
let phoneNumberId: string;

async function signUp(orgName: string, email: string) {
  const res = await api<{ user: { id: string }; tokens: { accessToken: string } }>('POST', '/v1/signup', {
    body: { orgName, email, password: PASSWORD },
  });
  expect(res.status, res.text).toBe(201);
  return { token: res.json.tokens.accessToken, userId: res.json.user.id };
}

/** An operator in team billing, offline until they say otherwise. */
async function addBillingOperator(email: string) {
  const invited = await api<{ inviteId: string; token: string }>('POST', '/v1/invites', {
    token: owner.token,
    body: { email, role: 'operator' },
  });
  expect(invited.status, invited.text).toBe(201);
  const accepted = await api<{ user: { id: string }; tokens: { accessToken: string } }>('POST', '/v1/invites/accept', {
    body: { inviteId: invited.json.inviteId, token: invited.json.token, password: PASSWORD },
  });
  expect(accepted.status, accepted.text).toBe(201);
  const userId = accepted.json.user.id;
  const configured = await api('PATCH', `/v1/operators/${userId}`, {
    token: owner.token,
    body: { teams: ['billing'], capacity: 5, shift: null },
  });
  expect(configured.status, configured.text).toBe(200);
  return { token: accepted.json.tokens.accessToken, userId };
}

async function goesOnline(who: { token: string; userId: string }, presence: 'online' | 'offline') {
  const res = await api('POST', '/v1/me/presence', { token: who.token, body: { deviceId: 'laptop', presence } });
  expect(res.status, res.text).toBe(202);
  await eventually(
    () => api<{ presence: string }>('GET', `/v1/operators/${who.userId}`, { token: owner.token }),
    (r) => r.json.presence === presence,
    `${who.userId} ${presence}`,
  );
}

/** A customer writes; the conversation's id once it exists. */
async function customerWrites(phone: string): Promise<string> {
  node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, { type: 'text', from: phone, body: 'Hola' });
  const conversationId = `${phoneNumberId}.p${phone}`;
  await eventually(
    () => api('GET', `/v1/conversations/${conversationId}`, { token: owner.token }),
    (r) => r.status === 200,
    'the customer’s conversation',
  );
  return conversationId;
}

const assign = (conversationId: string, body: unknown) =>
  api<Controls & ErrorBody>('POST', `/v1/conversations/${conversationId}/assign`, { token: owner.token, body });
const conversation = (conversationId: string) =>
  api<ConversationBody>('GET', `/v1/conversations/${conversationId}`, { token: owner.token });

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    { logger: silentLogger() },
  );
  owner = await signUp('Teams', 'owner@teams.test');
  ana = await addBillingOperator('ana@teams.test');
  bob = await addBillingOperator('bob@teams.test');
  const connected = await api<{ number: { phoneNumberId: string } }>('POST', '/v1/numbers', {
    token: owner.token,
    body: { mode: 'simulator' },
  });
  expect(connected.status, connected.text).toBe(201);
  phoneNumberId = connected.json.number.phoneNumberId;
}, 60_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('transfer to a team over REST', () => {
  it('gives the conversation to the team’s free member, who is mentioned in the transfer note', async () => {
    await goesOnline(ana, 'online');
    const conversationId = await customerWrites('15557770101');
    const claimed = await api<Controls>('POST', `/v1/conversations/${conversationId}/claim`, { token: owner.token });
    expect(claimed.json).toMatchObject({ assignee: owner.userId, lock: { holder: owner.userId } });

    const moved = await assign(conversationId, { team: 'billing', note: 'Invoice 42 is wrong' });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json).toMatchObject({ assignee: null, lock: null, status: 'open', waitingForTeam: 'billing' });

    const given = await eventually(
      () => conversation(conversationId),
      (r) => r.json.assignee === ana.userId,
      'the conversation given to Ana',
    );
    expect(given.json.lock).toMatchObject({ holder: ana.userId });
    expect(given.json.notes.at(-1)).toMatchObject({
      text: 'Invoice 42 is wrong',
      by: owner.userId,
      mentions: [ana.userId],
    });
    const told = await eventually(
      () =>
        api<{ data: { conversationId: string; excerpt: string }[]; unread: number }>('GET', '/v1/me/notifications', {
          token: ana.token,
        }),
      (r) => r.json.unread === 1,
      'Ana notified of the transfer note',
    );
    expect(told.json.data[0]).toMatchObject({ conversationId, excerpt: 'Invoice 42 is wrong' });
  });

  it('waits while nobody of the team is free, and goes to the first member who comes online', async () => {
    await goesOnline(ana, 'offline');
    const conversationId = await customerWrites('15557770102');
    const moved = await assign(conversationId, { team: 'billing' });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.json).toMatchObject({ assignee: null, waitingForTeam: 'billing' });
    const waiting = await eventually(
      () =>
        api<{ waiting: { conversationId: string; team: string | null }[] }>('GET', '/v1/assignment', {
          token: owner.token,
        }),
      (r) => r.json.waiting.some((w) => w.conversationId === conversationId),
      'the conversation waiting',
    );
    expect(waiting.json.waiting.find((w) => w.conversationId === conversationId)?.team).toBe('billing');
    expect((await conversation(conversationId)).json.assignee).toBeNull();

    await goesOnline(bob, 'online');
    await eventually(
      () => conversation(conversationId),
      (r) => r.json.assignee === bob.userId,
      'the conversation given to Bob',
    );
    const queue = await api<{ waiting: { conversationId: string }[] }>('GET', '/v1/assignment', {
      token: owner.token,
    });
    expect(queue.json.waiting.map((w) => w.conversationId)).not.toContain(conversationId);
  });

  it('refuses a team nobody is in, and a member and a team at once, naming the field', async () => {
    const conversationId = await customerWrites('15557770103');
    const unknown = await assign(conversationId, { team: 'nobody-here' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('PARLO_TEAM_NOT_FOUND');
    expect(unknown.json.error.message).toContain('nobody-here');

    const both = await assign(conversationId, { assignee: bob.userId, team: 'billing' });
    expect(both.status).toBe(400);
    expect(both.json.error.code).toBe('PARLO_VALIDATION_FAILED');
    expect(both.json.error.message).toMatch(/^body\.team: /);

    const neither = await assign(conversationId, { note: 'for whom?' });
    expect(neither.status).toBe(400);
    expect(neither.json.error.message).toMatch(/^body\.assignee: /);
    // Nothing changed.
    expect((await conversation(conversationId)).json).toMatchObject({ assignee: null, notes: [] });

    const doc = await api<{ paths: Record<string, { post?: { description?: string } }> }>('GET', '/openapi.json');
    expect(doc.json.paths['/v1/conversations/{conversationId}/assign']?.post?.description).toContain(
      'PARLO_TEAM_NOT_FOUND',
    );
  });
});
