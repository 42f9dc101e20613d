import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { startParlo, type RunningParlo } from './start.ts';

/**
 * Message templates end to end on the real composition root with the bundled simulator as Meta: linted before
 * anything reaches Meta, submitted, reviewed by the simulator (its webhook moves the template to APPROVED, or to
 * REJECTED with a reason), paused, previewed with a contact's data, deleted; the starter library; tenancy.
 */

const temp = makeTempDir('parlo-templates-');
let node: RunningParlo;
const PASSWORD = 'correct horse battery staple';

interface TemplateView {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  category: string;
  status: string;
  reason: string | null;
  history: { status: string; reason: string | null }[];
  definition: Record<string, unknown> | null;
  createdBy: { kind: string; id: string } | null;
}
interface ErrorView {
  error: { code: string; message: string; details?: unknown };
}

const api = jsonApi(() => node.httpUrl);

const orderShipped = (name: string, language = 'en') => ({
  name,
  language,
  category: 'UTILITY',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['A-1001'] } },
    {
      type: 'BODY',
      text: 'Hi {{1}}, your order {{2}} is on its way and arrives on {{3}}.',
      example: { body_text: [['Maria', 'A-1001', 'Friday']] },
    },
    { type: 'FOOTER', text: 'Reply STOP to opt out' },
    {
      type: 'BUTTONS',
      buttons: [{ type: 'URL', text: 'Track it', url: 'https://shop.example/track/{{1}}', example: ['A-1001'] }],
    },
  ],
});

let token: string;
let otherToken: string;
let wabaId: string;

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    {
      logger: silentLogger(),
    },
  );
  const signup = (orgName: string, email: string) =>
    api<{ tokens: { accessToken: string } }>('POST', '/v1/signup', { body: { orgName, email, password: PASSWORD } });
  token = (await signup('Shop', 'owner@templates.test')).json.tokens.accessToken;
  otherToken = (await signup('Other', 'owner@other-templates.test')).json.tokens.accessToken;
  const connected = await api<{ number: { wabaId: string } }>('POST', '/v1/numbers', {
    token,
    body: { mode: 'simulator' },
  });
  expect(connected.status, connected.text).toBe(201);
  wabaId = connected.json.number.wabaId;
}, 30_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

const atSimulator = () => node.whatsapp.simulator!.simulator.templates.list(wabaId, {}).data;

describe('message templates', () => {
  it('refuses a template Meta would reject, naming every component and rule, before anything reaches Meta', async () => {
    const broken = {
      ...orderShipped('Bad Name'),
      components: [
        { type: 'BODY', text: `{{1}} ${'x'.repeat(1_030)}`, example: { body_text: [['a']] } },
        { type: 'FOOTER', text: 'f'.repeat(61) },
      ],
    };
    const refused = await api<ErrorView>('POST', '/v1/templates', { token, body: { template: broken } });
    expect(refused.status).toBe(422);
    expect(refused.json.error.code).toBe('PARLO_TEMPLATE_INVALID');
    const problems = (refused.json.error.details as { problems: { component: string; rule: string }[] }).problems;
    expect(problems.map((p) => p.component)).toEqual(expect.arrayContaining(['name', 'BODY', 'FOOTER']));
    expect(problems.length).toBeGreaterThanOrEqual(4);
    expect(atSimulator()).toEqual([]);
    // The same check as a dry run.
    const linted = await api<{ ok: boolean; problems: unknown[] }>('POST', '/v1/templates/lint', {
      token,
      body: { template: broken },
    });
    expect(linted.status).toBe(200);
    expect(linted.json.ok).toBe(false);
    expect(linted.json.problems).toHaveLength(problems.length);
  });

  it("submits a template, follows Meta's review to APPROVED and lists it", async () => {
    const created = await api<TemplateView>('POST', '/v1/templates', {
      token,
      body: { template: orderShipped('order_shipped') },
    });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({
      wabaId,
      name: 'order_shipped',
      language: 'en',
      category: 'UTILITY',
      status: 'PENDING',
      createdBy: { kind: 'user' },
    });
    expect(atSimulator().map((t) => t['name'])).toEqual(['order_shipped']);
    const approved = await eventually(
      () => api<TemplateView>('GET', `/v1/templates/${created.json.id}`, { token }),
      (r) => r.json.status === 'APPROVED',
      'the review webhook to approve the template',
    );
    expect(approved.json.history.map((h) => h.status)).toEqual(['PENDING', 'APPROVED']);
    const listed = await api<{ templates: TemplateView[]; total: number }>('GET', '/v1/templates?status=APPROVED', {
      token,
    });
    expect(listed.json.templates.map((t) => t.id)).toEqual([created.json.id]);
  });

  it("relays Meta's refusal of a duplicate, a rejection at review with its reason, and a pause", async () => {
    const duplicate = await api<ErrorView>('POST', '/v1/templates', {
      token,
      body: { template: orderShipped('order_shipped') },
    });
    expect(duplicate.status).toBe(422);
    expect(duplicate.json.error.code).toBe('PARLO_TEMPLATE_REFUSED');
    expect(duplicate.json.error.message).toContain('already exists');

    const doomed = await api<TemplateView>('POST', '/v1/templates', {
      token,
      body: { template: orderShipped('reject_me', 'es') },
    });
    expect(doomed.status, doomed.text).toBe(201);
    const rejected = await eventually(
      () => api<TemplateView>('GET', `/v1/templates/${doomed.json.id}`, { token }),
      (r) => r.json.status === 'REJECTED',
      'the review to reject the template',
    );
    expect(rejected.json.reason).toBe('INVALID_FORMAT');

    const shipped = (await api<{ templates: TemplateView[] }>('GET', '/v1/templates?name=order_shipped', { token }))
      .json.templates[0]!;
    node.whatsapp.simulator!.simulator.templates.setStatus(shipped.id, 'PAUSED', 'FIRST_PAUSE');
    const paused = await eventually(
      () => api<TemplateView>('GET', `/v1/templates/${shipped.id}`, { token }),
      (r) => r.json.status === 'PAUSED',
      'the pause webhook',
    );
    expect(paused.json.reason).toBe('FIRST_PAUSE');
  });

  it("previews a template with a contact's data, fallbacks and fixed values, and names every missing value", async () => {
    const shipped = (await api<{ templates: TemplateView[] }>('GET', '/v1/templates?name=order_shipped', { token }))
      .json.templates[0]!;
    const preview = await api<{ header: { text: string }; body: string; buttons: { url?: string }[] }>(
      'POST',
      `/v1/templates/${shipped.id}/preview`,
      {
        token,
        body: {
          contact: { first_name: 'Giulia', last_order: 'B-2002' },
          mapping: {
            header: { '1': { field: 'last_order' } },
            body: {
              '1': { field: 'first_name', fallback: 'there' },
              '2': { field: 'last_order' },
              '3': { value: 'Monday' },
            },
            buttons: { '0': { '1': { field: 'last_order' } } },
          },
        },
      },
    );
    expect(preview.status, preview.text).toBe(200);
    expect(preview.json.header.text).toBe('Order B-2002');
    expect(preview.json.body).toBe('Hi Giulia, your order B-2002 is on its way and arrives on Monday.');
    expect(preview.json.buttons[0]!.url).toBe('https://shop.example/track/B-2002');

    const missing = await api<ErrorView>('POST', `/v1/templates/${shipped.id}/preview`, {
      token,
      body: { values: { body: { '1': 'Ana' } } },
    });
    expect(missing.status).toBe(422);
    expect(missing.json.error.code).toBe('PARLO_TEMPLATE_VALUES_MISSING');
    expect((missing.json.error.details as { missing: unknown[] }).missing).toHaveLength(4);
  });

  it('offers the starter library in Spanish, English and Italian, and submits one of them', async () => {
    const library = await api<{ templates: { key: string; template: { language: string } }[] }>(
      'GET',
      '/v1/templates/library',
      { token },
    );
    expect(library.status).toBe(200);
    expect(library.json.templates).toHaveLength(18);
    expect(new Set(library.json.templates.map((t) => t.template.language))).toEqual(new Set(['es', 'en', 'it']));
    const key = library.json.templates.find((t) => t.template.language === 'it')!.key;
    const submitted = await api<TemplateView>('POST', `/v1/templates/library/${encodeURIComponent(key)}`, {
      token,
      body: {},
    });
    expect(submitted.status, submitted.text).toBe(201);
    expect(submitted.json.language).toBe('it');
    const unknown = await api<ErrorView>('POST', '/v1/templates/library/nope.en', { token, body: {} });
    expect(unknown.json.error.code).toBe('PARLO_TEMPLATE_NOT_FOUND');
  });

  it('deletes a template at Meta and here', async () => {
    const created = await api<TemplateView>('POST', '/v1/templates', {
      token,
      body: { template: orderShipped('to_delete') },
    });
    const deleted = await api<null>('DELETE', `/v1/templates/${created.json.id}`, { token });
    expect(deleted.status).toBe(204);
    expect((await api<ErrorView>('GET', `/v1/templates/${created.json.id}`, { token })).json.error.code).toBe(
      'PARLO_TEMPLATE_NOT_FOUND',
    );
    expect(atSimulator().some((t) => t['name'] === 'to_delete')).toBe(false);
  });

  it("keeps organisations apart: another organisation reaches no account, and cannot name this one's", async () => {
    const none = await api<ErrorView>('GET', '/v1/templates', { token: otherToken });
    expect(none.status).toBe(404);
    expect(none.json.error.code).toBe('PARLO_WABA_NOT_FOUND');
    const named = await api<ErrorView>('GET', `/v1/templates?wabaId=${wabaId}`, { token: otherToken });
    expect(named.status).toBe(404);
  });
});
