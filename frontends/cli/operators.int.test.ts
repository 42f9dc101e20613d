import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { startParlo, type RunningParlo } from './start.ts';

/**
 * Operators and automatic assignment over the real composition root (REST, actors, LMDB, the bundled simulator):
 * a manager sets round-robin rules and an operator's capacity, the operator reports a device online, and a
 * customer's first message is assigned to them; an operator may not change the rules; bad settings are refused
 * naming the field.
 */

const temp = makeTempDir('parlo-operators-');
let node: RunningParlo;
const api = jsonApi(() => node.httpUrl);
const PASSWORD = 'correct horse battery staple';

interface OperatorBody {
  userId: string;
  email: string | null;
  presence: string;
  settings: { capacity: number; teams: string[]; shift: unknown };
  openConversations: string[];
}
interface ErrorBody {
  error: { code: string; message: string };
}

let owner: { token: string; userId: string };
let ana: { token: string; userId: string };
let phoneNumberId: string;

async function signUp(orgName: string, email: string) {
  const res = await api<{ user: { id: string }; tokens: { accessToken: string } }>('POST', '/v1/signup', {
    body: { orgName, email, password: PASSWORD },
  });
  expect(res.status, res.text).toBe(201);
  return { token: res.json.tokens.accessToken, userId: res.json.user.id };
}

async function addOperator(email: string) {
  const invited = await api<{ inviteId: string; token: string }>('POST', '/v1/invites', {
    token: owner.token,
    body: { email, role: 'operator' },
  });
  const accepted = await api<{ user: { id: string }; tokens: { accessToken: string } }>('POST', '/v1/invites/accept', {
    body: { inviteId: invited.json.inviteId, token: invited.json.token, password: PASSWORD },
  });
  expect(accepted.status, accepted.text).toBe(201);
  return { token: accepted.json.tokens.accessToken, userId: accepted.json.user.id };
}

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    { logger: silentLogger() },
  );
  owner = await signUp('Operators', 'owner@operators.test');
  ana = await addOperator('ana@operators.test');
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

describe('operators and automatic assignment over REST', () => {
  it('assigns a customer’s first message to the operator who is online, by the rules a manager set', async () => {
    const rules = await api<{ rules: { mode: string } }>('PUT', '/v1/assignment/rules', {
      token: owner.token,
      body: {
        mode: 'roundRobin',
        routes: [{ phoneNumberId: null, team: 'support', skills: [] }],
        unassignWhenOffline: false,
      },
    });
    expect(rules.status, rules.text).toBe(200);
    expect(rules.json.rules.mode).toBe('roundRobin');
    const configured = await api<OperatorBody>('PATCH', `/v1/operators/${ana.userId}`, {
      token: owner.token,
      body: { capacity: 2, teams: ['support'], shift: null },
    });
    expect(configured.status, configured.text).toBe(200);
    expect(configured.json).toMatchObject({
      email: 'ana@operators.test',
      presence: 'offline',
      settings: { capacity: 2 },
    });

    const online = await api('POST', '/v1/me/presence', {
      token: ana.token,
      body: { deviceId: 'laptop', presence: 'online' },
    });
    expect(online.status, online.text).toBe(202);
    await eventually(
      () => api<OperatorBody>('GET', `/v1/operators/${ana.userId}`, { token: owner.token }),
      (r) => r.json.presence === 'online',
      'Ana online',
    );

    node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, {
      type: 'text',
      from: '15557770099',
      body: 'Hola',
    });
    const conversationId = `${phoneNumberId}.p15557770099`;
    const assigned = await eventually(
      () => api<OperatorBody>('GET', `/v1/operators/${ana.userId}`, { token: owner.token }),
      (r) => r.json.openConversations.includes(conversationId),
      'the conversation assigned to Ana',
    );
    expect(assigned.json.openConversations).toEqual([conversationId]);
    const list = await api<{ data: OperatorBody[] }>('GET', '/v1/operators', { token: ana.token });
    expect(list.json.data.map((o) => o.userId).sort()).toEqual([ana.userId, owner.userId].sort());
    const queue = await api<{ waiting: unknown[]; waitingCount: number }>('GET', '/v1/assignment', {
      token: ana.token,
    });
    expect(queue.json.waiting).toEqual([]);
    expect(queue.json.waitingCount).toBe(0);
  });

  it('lets only managers and up change the rules, and refuses bad settings naming the field', async () => {
    const refused = await api<ErrorBody>('PUT', '/v1/assignment/rules', {
      token: ana.token,
      body: { mode: 'manual', routes: [], unassignWhenOffline: false },
    });
    expect(refused.status).toBe(403);
    const bad = await api<ErrorBody>('PATCH', `/v1/operators/${ana.userId}`, {
      token: owner.token,
      body: { shift: { timeZone: 'Mars/Olympus', days: {} } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toContain('shift.timeZone');
    const unknown = await api<ErrorBody>('GET', '/v1/operators/usr_nobody', { token: owner.token });
    expect(unknown.status).toBe(404);
  });
});
