import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { startParlo, type RunningParlo } from './start.ts';

/**
 * Campaigns end to end on the real composition root with the bundled simulator as Meta: contacts imported with
 * consent and tags, a marketing template approved, a campaign with two variants over a tag audience pre-flighted
 * (each exclusion with its reason, the cost), launched, run to completion through the number and the simulator
 * (one send per eligible recipient), and read back: funnel per variant, recipients, per-minute series as CSV.
 */

const temp = makeTempDir('parlo-campaigns-');
let node: RunningParlo;
const api = jsonApi(() => node.httpUrl);
const PASSWORD = 'correct horse battery staple';

interface ErrorView {
  error: { code: string; message: string; details?: unknown };
}
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
interface CampaignView {
  id: string;
  status: string;
  runs: { run: number; status: string; total: Counters | null }[];
  definition: { variants: { id: string; weight: number }[]; frequencyCapHours: number };
}
interface RunView {
  status: string;
  total: Counters;
  variants: (Counters & { id: string })[];
}

let token: string;
let phoneNumberId: string;
let wabaId: string;

const ITALIANS = Array.from({ length: 8 }, (_, i) => `+39 333 000 10${String(i).padStart(2, '0')}`);

const promo = {
  name: 'spring_promo',
  language: 'it',
  category: 'MARKETING',
  components: [
    { type: 'BODY', text: 'Ciao {{1}}, da oggi il 20% su tutto.', example: { body_text: [['Giulia']] } },
    { type: 'FOOTER', text: 'Rispondi STOP per non ricevere più offerte' },
  ],
};

const campaignBody = (overrides: Record<string, unknown> = {}) => ({
  name: 'Spring sale',
  phoneNumberId,
  category: 'marketing',
  variants: [
    {
      id: 'A',
      weight: 50,
      template: { name: 'spring_promo', language: 'it' },
      variables: { body: { '1': { field: 'first_name', fallback: 'cliente' } } },
    },
    {
      id: 'B',
      weight: 50,
      template: { name: 'spring_promo', language: 'it' },
      variables: { body: { '1': { value: 'amica, amico' } } },
    },
  ],
  audience: { filter: { tags: { any: ['vip'] } } },
  quietHours: null,
  ...overrides,
});

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    {
      logger: silentLogger(),
    },
  );
  const signup = await api<{ tokens: { accessToken: string } }>('POST', '/v1/signup', {
    body: { orgName: 'Negozio', email: 'owner@campaigns.test', password: PASSWORD },
  });
  token = signup.json.tokens.accessToken;
  const connected = await api<{ number: { wabaId: string; phoneNumberId: string } }>('POST', '/v1/numbers', {
    token,
    body: { mode: 'simulator' },
  });
  expect(connected.status, connected.text).toBe(201);
  ({ wabaId, phoneNumberId } = connected.json.number);

  const submitted = await api<{ id: string }>('POST', '/v1/templates', { token, body: { template: promo } });
  expect(submitted.status, submitted.text).toBe(201);
  await eventually(
    () => api<{ status: string }>('GET', `/v1/templates/${submitted.json.id}`, { token }),
    (r) => r.json.status === 'APPROVED',
    'the template to be approved',
  );

  const batch = await api<{ failed: number }>('POST', '/v1/contacts/batch', {
    token,
    body: {
      consent: { source: 'checkout form', wording: 'Offerte via WhatsApp' },
      contacts: [
        ...ITALIANS.map((phone, i) => ({
          phone,
          name: `Cliente ${i} Rossi`,
          timeZone: 'Europe/Rome',
          tags: { set: ['vip'] },
          optIn: true,
        })),
        { phone: '+39 333 000 2001', tags: { set: ['vip'] }, optIn: false },
        { phone: '+39 333 000 2002', tags: { set: ['vip'] } },
        { phone: '+1 212 555 0101', tags: { set: ['vip'] }, optIn: true },
        { phone: '+39 333 000 2003', tags: { set: ['other'] }, optIn: true },
      ],
    },
  });
  expect(batch.status, batch.text).toBe(200);
  expect(batch.json.failed, batch.text).toBe(0);
}, 60_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('campaigns', () => {
  it('refuses a broken definition, naming the field', async () => {
    const weights = await api<ErrorView>('POST', '/v1/campaigns', {
      token,
      body: campaignBody({
        variants: [
          { weight: 70, template: { name: 'spring_promo', language: 'it' } },
          { weight: 20, template: { name: 'spring_promo', language: 'it' } },
        ],
      }),
    });
    expect(weights.status).toBe(400);
    expect(weights.json.error.code).toBe('PARLO_CAMPAIGN_INVALID');
    expect(weights.json.error.message).toContain('variants: the weights add up to 90');

    const zone = await api<ErrorView>('POST', '/v1/campaigns', {
      token,
      body: campaignBody({
        schedule: { kind: 'localTime', date: '2020-01-01', time: '10:00', defaultTimeZone: 'Mars/Olympus' },
      }),
    });
    expect(zone.status).toBe(400);
    expect(zone.json.error.message).toContain('schedule.');

    const number = await api<ErrorView>('POST', '/v1/campaigns', {
      token,
      body: campaignBody({ phoneNumberId: '999' }),
    });
    expect(number.status).toBe(404);
    expect(number.json.error.code).toBe('PARLO_NUMBER_NOT_FOUND');

    const contacts = await api<ErrorView>('POST', '/v1/campaigns', {
      token,
      body: campaignBody({ audience: { contacts: ['+39 333 000 1000', 'not a phone'] } }),
    });
    expect(contacts.status).toBe(400);
    expect(contacts.json.error.message).toContain('audience.contacts[1]');
  });

  it('pre-flights, launches and runs a campaign to completion: one send per eligible recipient', async () => {
    const created = await api<CampaignView>('POST', '/v1/campaigns', { token, body: campaignBody() });
    expect(created.status, created.text).toBe(201);
    expect(created.json).toMatchObject({ status: 'draft', definition: { frequencyCapHours: 24 } });
    const id = created.json.id;

    const preflight = await api<{
      audience: number;
      eligible: number;
      excludedByReason: Record<string, number>;
      excluded: { key: string; reason: string }[];
      cost: { totalMicros: number; byCountry: { country: string; recipients: number }[] };
      launchable: boolean;
    }>('POST', `/v1/campaigns/${id}/preflight`, { token });
    expect(preflight.status, preflight.text).toBe(200);
    expect(preflight.json).toMatchObject({
      audience: 11,
      eligible: 8,
      excludedByReason: { opted_out: 1, no_consent: 1, us_marketing_block: 1 },
      launchable: true,
    });
    expect(preflight.json.excluded).toContainEqual({ key: 'p12125550101', reason: 'us_marketing_block' });
    expect(preflight.json.cost.byCountry).toEqual([expect.objectContaining({ country: 'IT', recipients: 8 })]);
    expect(preflight.json.cost.totalMicros).toBeGreaterThan(0);

    const launched = await api<CampaignView>('POST', `/v1/campaigns/${id}/launch`, { token });
    expect(launched.status, launched.text).toBe(200);
    expect(launched.json.status).toBe('running');

    const done = await eventually(
      () => api<RunView>('GET', `/v1/campaigns/${id}/runs/1`, { token }),
      (r) => r.json.status === 'completed' && r.json.total.delivered === 8,
      'the run to complete and every message to be delivered',
    );
    expect(done.json.total).toMatchObject({ audience: 11, dispatched: 8, sent: 8, delivered: 8 });
    expect(done.json.variants.map((v) => v.id)).toEqual(['A', 'B']);
    expect(done.json.variants[0]!.dispatched + done.json.variants[1]!.dispatched).toBe(8);

    // The simulator accepted exactly one send per eligible recipient, each carrying the campaign's message key.
    const sends = node.whatsapp.simulator!.simulator.sent.filter((s) => s.bizOpaqueCallbackData?.includes(id));
    expect(sends).toHaveLength(8);
    expect(new Set(sends.map((s) => s.to)).size).toBe(8);

    const campaign = await eventually(
      () => api<CampaignView>('GET', `/v1/campaigns/${id}`, { token }),
      (r) => r.json.status === 'completed',
      'the campaign to follow its run',
    );
    expect(campaign.json.runs).toEqual([expect.objectContaining({ run: 1, status: 'completed' })]);

    const skipped = await api<{ recipients: { key: string; outcome: string; code: string }[] }>(
      'GET',
      `/v1/campaigns/${id}/runs/1/recipients?outcome=skipped`,
      { token },
    );
    expect(skipped.json.recipients.map((r) => r.code).sort()).toEqual([
      'no_consent',
      'opted_out',
      'us_marketing_block',
    ]);

    const csv = await fetch(`${node.httpUrl}/v1/campaigns/${id}/runs/1/series?format=csv`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(csv.status).toBe(200);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('minute,sent,delivered,read,replied,failed,clicks');
    const sentTotal = lines.slice(1).reduce((sum, line) => sum + Number(line.split(',')[1]), 0);
    expect(sentTotal).toBe(8);

    // Analytics: the funnel per variant and what the wallet charged for the campaign's delivered messages.
    const analytics = await eventually(
      () =>
        api<{ cost: { totalMicros: number; messageCount: number }; runs: RunView[] }>(
          'GET',
          `/v1/campaigns/${id}/analytics`,
          { token },
        ),
      (r) => r.json.cost.messageCount === 8,
      'the 8 delivered messages to be charged to the campaign',
    );
    expect(analytics.json.cost.totalMicros).toBe(preflight.json.cost.totalMicros);
    expect(analytics.json.runs[0]!.total.delivered).toBe(8);
    const report = await fetch(`${node.httpUrl}/v1/campaigns/${id}/analytics?format=csv`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const rows = (await report.text()).trim().split('\r\n');
    expect(rows[0]).toContain('run,variant,audience,dispatched,sent,delivered');
    expect(rows.map((r) => r.split(',').slice(0, 2).join(','))).toEqual(['run,variant', '1,A', '1,B', '1,total']);
    expect(rows[3]).toContain('1,total,11,8,8,8');

    const listed = await api<{ campaigns: { id: string; status: string }[] }>('GET', '/v1/campaigns', { token });
    expect(listed.json.campaigns).toContainEqual(expect.objectContaining({ id, status: 'completed' }));

    const again = await api<ErrorView>('POST', `/v1/campaigns/${id}/pause`, { token, body: {} });
    expect(again.status).toBe(409);
    expect(again.json.error.code).toBe('PARLO_CAMPAIGN_STATE');
    const edit = await api<ErrorView>('PUT', `/v1/campaigns/${id}`, { token, body: campaignBody() });
    expect(edit.status).toBe(409);
    expect(edit.json.error.code).toBe('PARLO_CAMPAIGN_NOT_EDITABLE');
  }, 60_000);

  it('a second campaign within the frequency cap skips everyone already sent marketing', async () => {
    const created = await api<CampaignView>('POST', '/v1/campaigns', { token, body: campaignBody({ name: 'Again' }) });
    const id = created.json.id;
    expect((await api('POST', `/v1/campaigns/${id}/launch`, { token })).status).toBe(200);
    const done = await eventually(
      () => api<RunView>('GET', `/v1/campaigns/${id}/runs/1`, { token }),
      (r) => r.json.status === 'completed',
      'the second run to complete',
    );
    expect(done.json.total.skipped).toMatchObject({ frequency_cap: 8 });
    expect(done.json.total.sent).toBe(0);
  }, 60_000);

  it('pauses a scheduled campaign by itself when Meta pauses its template, with the reason', async () => {
    const at = new Date(Date.now() + 3_600_000).toISOString();
    const created = await api<CampaignView>('POST', '/v1/campaigns', {
      token,
      body: campaignBody({ name: 'Later', schedule: { kind: 'at', at } }),
    });
    const id = created.json.id;
    const launched = await api<CampaignView>('POST', `/v1/campaigns/${id}/launch`, { token });
    expect(launched.json.status).toBe('scheduled');
    const template = (await api<{ templates: { id: string }[] }>('GET', '/v1/templates?name=spring_promo', { token }))
      .json.templates[0]!;
    node.whatsapp.simulator!.simulator.templates.setStatus(template.id, 'PAUSED', 'FIRST_PAUSE');
    const paused = await eventually(
      () => api<CampaignView & { pausedReason: string | null }>('GET', `/v1/campaigns/${id}`, { token }),
      (r) => r.json.status === 'paused',
      'the campaign to pause with its template',
    );
    expect(paused.json.pausedReason).toContain('template spring_promo (it) was PAUSED by Meta');
    node.whatsapp.simulator!.simulator.templates.setStatus(template.id, 'APPROVED');
    const cancelled = await api<CampaignView>('POST', `/v1/campaigns/${id}/cancel`, { token, body: {} });
    expect(cancelled.json.status).toBe('cancelled');
  });

  it('refuses to launch what cannot complete, with every problem', async () => {
    const pending = await api<{ id: string }>('POST', '/v1/templates', {
      token,
      body: { template: { ...promo, name: 'autumn_promo' } },
    });
    expect(pending.status).toBe(201);
    const created = await api<CampaignView>('POST', '/v1/campaigns', {
      token,
      body: campaignBody({
        variants: [{ template: { name: 'autumn_promo', language: 'it' } }],
        audience: { filter: { tags: { any: ['nobody'] } } },
      }),
    });
    expect(created.status, created.text).toBe(201);
    const refused = await api<ErrorView>('POST', `/v1/campaigns/${created.json.id}/launch`, { token });
    // The template may already be approved by the simulator's review; the empty audience refuses it either way.
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('PARLO_CAMPAIGN_PREFLIGHT_FAILED');
    const codes = (refused.json.error.details as { problems: { code: string }[] }).problems.map((p) => p.code);
    expect(codes).toContain('no_eligible_recipient');
    expect((await api<CampaignView>('GET', `/v1/campaigns/${created.json.id}`, { token })).json.status).toBe('draft');
    expect(wabaId).toBeTruthy();
  });
});
