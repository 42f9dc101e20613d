import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { startParlo, type RunningParlo } from './start.ts';

/**
 * Quick replies over the real composition root (REST, actors, LMDB, the bundled simulator): two operators and a
 * manager of one organisation, a customer who wrote. Operators keep personal replies, the manager shared ones;
 * shortcuts stay unambiguous; rendering for the conversation fills the contact's values and the operator's name,
 * and names what it could not fill; another organisation sees and uses none of it.
 */

const temp = makeTempDir('parlo-quick-replies-');
let node: RunningParlo;
const api = jsonApi(() => node.httpUrl);
const PASSWORD = 'correct horse battery staple';
const CUSTOMER = '15557770099';

interface QuickReplyView {
  id: string;
  scope: 'shared' | 'personal';
  shortcut: string;
  title: string;
  text: string;
  variables: string[];
  owner: string | null;
  shadowed: boolean;
  createdAt: string;
  updatedAt: string;
}
interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}
interface User {
  token: string;
  userId: string;
}

let owner: User;
let ana: User;
let bob: User;
let max: User;
let stranger: User;
let conversation: string;
let strangerConversation: string;

async function signUp(orgName: string, email: string): Promise<User> {
  const res = await api<{ user: { id: string }; tokens: { accessToken: string } }>('POST', '/v1/signup', {
    body: { orgName, email, password: PASSWORD },
  });
  expect(res.status, res.text).toBe(201);
  return { token: res.json.tokens.accessToken, userId: res.json.user.id };
}

async function addMember(role: 'operator' | 'manager', email: string): Promise<User> {
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

/** A number of the user's organisation and a conversation a customer opened on it. */
async function customerWrites(token: string, profileName: string): Promise<string> {
  const connected = await api<{ number: { phoneNumberId: string } }>('POST', '/v1/numbers', {
    token,
    body: { mode: 'simulator' },
  });
  expect(connected.status, connected.text).toBe(201);
  const phoneNumberId = connected.json.number.phoneNumberId;
  const id = `${phoneNumberId}.p${CUSTOMER}`;
  node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, {
    type: 'text',
    from: CUSTOMER,
    profileName,
    body: 'Hola',
  });
  await eventually(
    () => api<{ window: { canSendFreeForm: boolean } }>('GET', `/v1/conversations/${id}`, { token }),
    (r) => r.status === 200 && r.json.window.canSendFreeForm,
    'the customer’s message',
  );
  return id;
}

const create = (user: User, body: Record<string, unknown>) =>
  api<QuickReplyView & ErrorBody>('POST', '/v1/quick-replies', { token: user.token, body });
const list = (user: User, q?: string) =>
  api<{ items: QuickReplyView[] } & ErrorBody>(
    'GET',
    `/v1/quick-replies${q === undefined ? '' : `?q=${encodeURIComponent(q)}`}`,
    { token: user.token },
  );
const render = (user: User, conversationId: string, quickReplyId: string) =>
  api<{ text: string; missing: string[] } & ErrorBody>(
    'POST',
    `/v1/conversations/${conversationId}/quick-replies/${quickReplyId}/render`,
    { token: user.token },
  );
const shortcuts = (items: QuickReplyView[]) =>
  items.map((i) => `${i.scope === 'shared' ? 'S' : 'P'}:${i.shortcut}${i.shadowed ? '*' : ''}`);

let anaBye: QuickReplyView;
let sharedThanks: QuickReplyView;

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    { logger: silentLogger() },
  );
  owner = await signUp('Quick', 'owner@quick.test');
  stranger = await signUp('Elsewhere', 'owner@elsewhere.test');
  ana = await addMember('operator', 'ana.rossi@quick.test');
  bob = await addMember('operator', 'bob@quick.test');
  max = await addMember('manager', 'max@quick.test');
  conversation = await customerWrites(owner.token, 'Majo');
  strangerConversation = await customerWrites(stranger.token, 'Someone');
  // The business knows the customer by name and has a custom field with a value for them.
  const fields = await api('PUT', '/v1/contacts/fields', {
    token: owner.token,
    body: {
      fields: [
        { key: 'order_id', label: 'Last order', type: 'text' },
        { key: 'tier', label: 'Tier', type: 'enum', options: ['gold', 'silver'] },
      ],
    },
  });
  expect(fields.status, fields.text).toBe(200);
  const named = await api('PATCH', `/v1/contacts/p${CUSTOMER}`, {
    token: owner.token,
    body: { name: 'María José Ruiz', fields: { order_id: 'A-1001' } },
  });
  expect(named.status, named.text).toBe(200);
}, 60_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('quick replies over REST', () => {
  it('lets an operator save a personal reply', async () => {
    const res = await create(ana, {
      scope: 'personal',
      shortcut: 'bye',
      title: 'Goodbye',
      text: 'Thanks {{contact.first_name|there}}, {{operator.first_name}} here. Bye!',
    });
    expect(res.status, res.text).toBe(201);
    expect(res.json).toMatchObject({
      scope: 'personal',
      shortcut: 'bye',
      owner: ana.userId,
      shadowed: false,
      variables: ['contact.first_name', 'operator.first_name'],
    });
    expect(res.json.id).toMatch(/^qr_/);
    expect(res.json.createdAt).toBe(res.json.updatedAt);
    anaBye = res.json;
  });

  it('refuses a shared reply to an operator (403) and saves it for a manager', async () => {
    const body = {
      scope: 'shared',
      shortcut: 'thanks',
      title: 'Thank you',
      text: 'Gracias {{contact.name}} ({{contact.phone}}): order {{contact.order_id}}, tier {{contact.tier}}. — {{operator.name}}',
    };
    const refused = await create(bob, body);
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('PARLO_ACCESS_FORBIDDEN');
    const saved = await create(max, body);
    expect(saved.status, saved.text).toBe(201);
    expect(saved.json).toMatchObject({ scope: 'shared', owner: null, shortcut: 'thanks' });
    sharedThanks = saved.json;
  });

  it('refuses a taken shortcut (409) and a bad variable (400) naming it and its position', async () => {
    const taken = await create(ana, { scope: 'personal', shortcut: 'thanks', title: 'Mine', text: 'Ta' });
    expect(taken.status).toBe(409);
    expect(taken.json.error.code).toBe('PARLO_QUICK_REPLY_SHORTCUT_TAKEN');
    expect(taken.json.error.message).toContain('/thanks');
    const again = await create(ana, { scope: 'personal', shortcut: 'bye', title: 'Again', text: 'Bye' });
    expect(again.status).toBe(409);

    const bad = await create(ana, { scope: 'personal', shortcut: 'oops', title: 'Oops', text: 'Hi {{client.name}}' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('PARLO_VALIDATION_FAILED');
    expect(bad.json.error.message).toBe(
      'body.text: {{client.name}} at character 4: unknown namespace "client": variables start with contact. or operator.',
    );
    const upper = await create(ana, { scope: 'personal', shortcut: 'Oops', title: 'Oops', text: 'Hi' });
    expect(upper.status).toBe(400);
    expect(upper.json.error.message).toMatch(/^body\.shortcut: /);
  });

  it('lists the shared replies and the caller’s own personal ones, not other members’', async () => {
    // Bob uses "bye" too: personal shortcuts are per member.
    const bobs = await create(bob, { scope: 'personal', shortcut: 'bye', title: 'Bob’s bye', text: 'Ciao' });
    expect(bobs.status, bobs.text).toBe(201);
    // A shared "bye" is allowed, and shadowed for those who have their own.
    const sharedBye = await create(max, { scope: 'shared', shortcut: 'bye', title: 'Team bye', text: 'Bye from us' });
    expect(sharedBye.status, sharedBye.text).toBe(201);

    const anas = await list(ana);
    expect(anas.status, anas.text).toBe(200);
    expect(shortcuts(anas.json.items)).toEqual(['P:bye', 'S:bye*', 'S:thanks']);
    expect(anas.json.items[0]!.id).toBe(anaBye.id);
    expect(shortcuts((await list(max)).json.items)).toEqual(['S:bye', 'S:thanks']);
    expect(shortcuts((await list(owner)).json.items)).toEqual(['S:bye', 'S:thanks']);
    expect(shortcuts((await list(ana, 'GRACIAS')).json.items)).toEqual(['S:thanks']);
    expect(shortcuts((await list(ana, '/b')).json.items)).toEqual(['P:bye', 'S:bye*']);
  });

  it('renders for the conversation: contact name and phone, operator, fields, and what is missing', async () => {
    const shared = await render(ana, conversation, sharedThanks.id);
    expect(shared.status, shared.text).toBe(200);
    expect(shared.json).toEqual({
      text: `Gracias María José Ruiz (+${CUSTOMER}): order A-1001, tier . — Ana Rossi`,
      missing: ['contact.tier'],
    });
    const personal = await render(ana, conversation, anaBye.id);
    expect(personal.json).toEqual({ text: 'Thanks María, Ana here. Bye!', missing: [] });
    // Ana's personal reply is hers alone.
    const notBobs = await render(bob, conversation, anaBye.id);
    expect(notBobs.status).toBe(404);
    expect(notBobs.json.error.code).toBe('PARLO_QUICK_REPLY_NOT_FOUND');
  });

  it('changes and deletes: personal ones by their owner, shared ones by a manager', async () => {
    const edited = await api<QuickReplyView & ErrorBody>('PATCH', `/v1/quick-replies/${anaBye.id}`, {
      token: ana.token,
      body: { title: 'See you' },
    });
    expect(edited.status, edited.text).toBe(200);
    expect(edited.json).toMatchObject({ title: 'See you', shortcut: 'bye', text: anaBye.text });
    const empty = await api<ErrorBody>('PATCH', `/v1/quick-replies/${anaBye.id}`, { token: ana.token, body: {} });
    expect(empty.status).toBe(400);
    const byBob = await api<ErrorBody>('PATCH', `/v1/quick-replies/${anaBye.id}`, {
      token: bob.token,
      body: { title: 'Mine now' },
    });
    expect(byBob.status).toBe(404);
    const sharedByOperator = await api<ErrorBody>('PATCH', `/v1/quick-replies/${sharedThanks.id}`, {
      token: ana.token,
      body: { title: 'Thanks!' },
    });
    expect(sharedByOperator.status).toBe(403);
    expect(sharedByOperator.json.error.code).toBe('PARLO_ACCESS_FORBIDDEN');
    const deleted = await api('DELETE', `/v1/quick-replies/${anaBye.id}`, { token: ana.token });
    expect(deleted.status, deleted.text).toBe(204);
    expect(shortcuts((await list(ana)).json.items)).toEqual(['S:bye', 'S:thanks']);
  });

  it('another organisation sees and uses none of them (404)', async () => {
    expect((await list(stranger)).json.items).toEqual([]);
    const foreignConversation = await render(stranger, conversation, sharedThanks.id);
    expect(foreignConversation.status).toBe(404);
    expect(foreignConversation.json.error.code).toBe('PARLO_CONVERSATION_NOT_FOUND');
    const foreignReply = await render(stranger, strangerConversation, sharedThanks.id);
    expect(foreignReply.status).toBe(404);
    expect(foreignReply.json.error.code).toBe('PARLO_QUICK_REPLY_NOT_FOUND');
    const patched = await api<ErrorBody>('PATCH', `/v1/quick-replies/${sharedThanks.id}`, {
      token: stranger.token,
      body: { title: 'Taken over' },
    });
    expect(patched.status).toBe(404);
    const deleted = await api<ErrorBody>('DELETE', `/v1/quick-replies/${sharedThanks.id}`, { token: stranger.token });
    expect(deleted.status).toBe(404);
    // Our conversation renders in our organisation still.
    expect((await render(max, conversation, sharedThanks.id)).status).toBe(200);
  });
});
