import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ParloConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { runCampaignCommand, type CampaignCommandIo } from './campaign-command.ts';
import { startParlo, type RunningParlo } from './start.ts';

/**
 * Tracked URL buttons end to end (issue #6, 4), on the real composition root over real HTTP with the bundled
 * simulator as Meta: a template whose URL button opens the node's redirect, a campaign whose two variants track it
 * (one destination reads the contact's first name, one is fixed), launched and delivered; the tokens are read from
 * the send bodies the simulator accepted and followed through `GET /r/<token>`: 302 to the destination, the clicks
 * in the run view per variant, the recipients list, the series and analytics CSV and `parlo campaign status`. A
 * forged token is a 404 page; a click answered just before a clean stop is counted after the restart. A template
 * whose button does not open the redirect is refused at create, naming the field.
 */

const temp = makeTempDir('parlo-campaign-clicks-');
let config: ParloConfig;
let node: RunningParlo;
const api = jsonApi(() => node.httpUrl);

interface ErrorView {
  error: { code: string; message: string };
}
interface Counters {
  audience: number;
  delivered: number;
  clicks: number;
  uniqueClicks: number;
}
interface RunView {
  status: string;
  total: Counters;
  variants: (Counters & { id: string })[];
}
interface Recipient {
  index: number;
  key: string;
  variant: string;
  outcome: string;
  clicked: boolean;
}

const PEOPLE = ['Giulia Rossi', 'Marco Bianchi', 'Anna Verdi', 'Luca Neri', 'Sara Gallo', 'Paolo Conti'];
const PHONES = PEOPLE.map((_, i) => `+39 333 000 40${String(i).padStart(2, '0')}`);
const DESTINATION_A = 'https://shop.example/cart?who={{contact.first_name|amico}}&utm_content=A';
const DESTINATION_B = 'https://shop.example/sale?utm_campaign=spring&utm_content=B';

let token: string;
let phoneNumberId: string;
/** Every send body the simulator accepted. */
const accepted: Record<string, unknown>[] = [];

const tracked = (destinationA = DESTINATION_A) => ({
  name: 'Carrelli',
  phoneNumberId,
  category: 'marketing',
  variants: [
    {
      id: 'A',
      template: { name: 'cart_reminder', language: 'it' },
      variables: { body: { '1': { field: 'first_name', fallback: 'cliente' } } },
      trackedButtons: [{ button: 0, destination: destinationA }],
    },
    {
      id: 'B',
      template: { name: 'cart_reminder', language: 'it' },
      variables: { body: { '1': { value: 'amica, amico' } } },
      trackedButtons: [{ button: 0, destination: DESTINATION_B }],
    },
  ],
  audience: { filter: { tags: { any: ['cart'] } } },
  quietHours: null,
});

async function submitTemplate(template: Record<string, unknown>): Promise<void> {
  const submitted = await api<{ id: string }>('POST', '/v1/templates', { token, body: { template } });
  expect(submitted.status, submitted.text).toBe(201);
  await eventually(
    () => api<{ status: string }>('GET', `/v1/templates/${submitted.json.id}`, { token }),
    (r) => r.json.status === 'APPROVED',
    `template ${String(template['name'])} to be approved`,
  );
}

async function start(): Promise<void> {
  node = await startParlo(config, { logger: silentLogger() });
  const simulator = node.whatsapp.simulator!.simulator;
  const handleSend = simulator.handleSend.bind(simulator);
  simulator.handleSend = (version, id, authorization, body) => {
    const answer = handleSend(version, id, authorization, body);
    if (answer.status === 200) accepted.push(body as Record<string, unknown>);
    return answer;
  };
}

/** GET (or HEAD) /r/<token> without following the redirect. */
async function follow(clickToken: string, method: 'GET' | 'HEAD' = 'GET') {
  const response = await request(`${node.httpUrl}/r/${clickToken}`, { method });
  return {
    status: response.statusCode,
    location: response.headers['location'],
    type: String(response.headers['content-type'] ?? ''),
    text: await response.body.text(),
  };
}

/** The click token and recipient phone of each send of the campaign the simulator accepted. */
function tokensOf(campaignId: string): { to: string; token: string }[] {
  return accepted
    .filter((body) => String(body['biz_opaque_callback_data']).includes(campaignId))
    .map((body) => {
      const template = body['template'] as {
        components: { type: string; sub_type?: string; parameters: { text: string }[] }[];
      };
      const button = template.components.find((c) => c.type === 'button' && c.sub_type === 'url')!;
      return { to: String(body['to']), token: button.parameters[0]!.text };
    });
}

beforeAll(async () => {
  config = loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } });
  await start();
  const signup = await api<{ tokens: { accessToken: string } }>('POST', '/v1/signup', {
    body: { orgName: 'Carrello', email: 'owner@clicks.test', password: 'correct horse battery staple' },
  });
  token = signup.json.tokens.accessToken;
  const connected = await api<{ number: { phoneNumberId: string } }>('POST', '/v1/numbers', {
    token,
    body: { mode: 'simulator' },
  });
  expect(connected.status, connected.text).toBe(201);
  phoneNumberId = connected.json.number.phoneNumberId;
  const body = { type: 'BODY', text: 'Ciao {{1}}, il tuo carrello ti aspetta.', example: { body_text: [['Giulia']] } };
  await submitTemplate({
    name: 'cart_reminder',
    language: 'it',
    category: 'MARKETING',
    components: [
      body,
      {
        type: 'BUTTONS',
        buttons: [{ type: 'URL', text: 'Vai al carrello', url: `${node.httpUrl}/r/{{1}}`, example: ['abc123'] }],
      },
    ],
  });
  await submitTemplate({
    name: 'shop_link',
    language: 'it',
    category: 'MARKETING',
    components: [
      body,
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Stop' },
          { type: 'URL', text: 'Negozio', url: 'https://shop.example/p/{{1}}', example: ['abc'] },
        ],
      },
    ],
  });
  const batch = await api<{ failed: number }>('POST', '/v1/contacts/batch', {
    token,
    body: {
      consent: { source: 'checkout form', wording: 'Offerte via WhatsApp' },
      contacts: PHONES.map((phone, i) => ({
        phone,
        name: PEOPLE[i],
        timeZone: 'Europe/Rome',
        tags: { set: ['cart'] },
        optIn: true,
      })),
    },
  });
  expect(batch.status, batch.text).toBe(200);
  expect(batch.json.failed, batch.text).toBe(0);
}, 60_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('tracked URL buttons', () => {
  it('refuses a button the template cannot carry, and a bad destination, naming the field', async () => {
    const untrackable = await api<ErrorView>('POST', '/v1/campaigns', {
      token,
      body: {
        ...tracked(),
        variants: [
          {
            template: { name: 'shop_link', language: 'it' },
            variables: { body: { '1': { value: 'amico' } } },
            trackedButtons: [{ button: 1, destination: DESTINATION_B }],
          },
        ],
      },
    });
    expect(untrackable.status, untrackable.text).toBe(422);
    expect(untrackable.json.error.code).toBe('PARLO_CAMPAIGN_LINK_UNTRACKABLE');
    expect(untrackable.json.error.message).toBe(
      `variants[0].trackedButtons[0]: button 1 of template shop_link (it) opens https://shop.example/p/{{1}}; a tracked button's URL must be ${node.httpUrl}/r/{{1}} (Parlo's click redirect, its variable at the end)`,
    );

    const destination = await api<ErrorView>('POST', '/v1/campaigns', {
      token,
      body: tracked('ftp://shop.example/{{contact.first_name}}'),
    });
    expect(destination.status).toBe(400);
    expect(destination.json.error.code).toBe('PARLO_CAMPAIGN_INVALID');
    expect(destination.json.error.message).toContain('variants[0].trackedButtons[0].destination: must be a full http');
  });

  it('sends each recipient its own token; the redirect answers 302 and counts every click and each clicker once', async () => {
    const created = await api<{ id: string }>('POST', '/v1/campaigns', { token, body: tracked() });
    expect(created.status, created.text).toBe(201);
    const id = created.json.id;
    expect((await api('POST', `/v1/campaigns/${id}/launch`, { token })).status).toBe(200);
    await eventually(
      () => api<RunView>('GET', `/v1/campaigns/${id}/runs/1`, { token }),
      (r) => r.json.status === 'completed' && r.json.total.delivered === 6,
      'the run to complete with every message delivered',
    );

    const sent = tokensOf(id);
    expect(sent).toHaveLength(6);
    expect(new Set(sent.map((s) => s.token)).size).toBe(6);
    const recipients = (
      await api<{ recipients: Recipient[] }>('GET', `/v1/campaigns/${id}/runs/1/recipients`, { token })
    ).json.recipients;
    const variantOf = (to: string) => recipients.find((r) => r.key === `p${to}`)!.variant;
    const expectedLocation = (to: string) => {
      if (variantOf(to) === 'B') return 'https://shop.example/sale?utm_campaign=spring&utm_content=B';
      const person = PEOPLE[PHONES.findIndex((p) => p.replace(/\D/g, '') === to)]!;
      return `https://shop.example/cart?who=${person.split(' ')[0]}&utm_content=A`;
    };

    // The first recipient clicks twice (and a link checker sends HEAD), the second once.
    const [first, second] = sent as [(typeof sent)[0], (typeof sent)[0]];
    for (const click of [first, first, second]) {
      const answer = await follow(click.token);
      expect(answer.status).toBe(302);
      expect(answer.location).toBe(expectedLocation(click.to));
    }
    expect((await follow(first.token, 'HEAD')).status).toBe(302);

    // Forged (a MAC that does not match), truncated, and not a token at all: a small page, not a stack trace.
    const forged = first.token.slice(0, 20) + (first.token[20] === 'A' ? 'B' : 'A') + first.token.slice(21);
    for (const bad of [forged, first.token.slice(0, -4), 'hello']) {
      const answer = await follow(bad);
      expect(answer.status).toBe(404);
      expect(answer.type).toContain('text/html');
      expect(answer.text).toContain('Link not found');
    }

    const counted = await eventually(
      () => api<RunView>('GET', `/v1/campaigns/${id}/runs/1`, { token }),
      (r) => r.json.total.clicks === 3,
      'the three clicks to be counted',
    );
    expect(counted.json.total).toMatchObject({ clicks: 3, uniqueClicks: 2 });
    const perVariant = (variant: string) => counted.json.variants.find((v) => v.id === variant)!;
    const expected = { A: { clicks: 0, uniqueClicks: 0 }, B: { clicks: 0, uniqueClicks: 0 } };
    expected[variantOf(first.to) as 'A' | 'B'].clicks += 2;
    expected[variantOf(first.to) as 'A' | 'B'].uniqueClicks += 1;
    expected[variantOf(second.to) as 'A' | 'B'].clicks += 1;
    expected[variantOf(second.to) as 'A' | 'B'].uniqueClicks += 1;
    expect(perVariant('A')).toMatchObject(expected.A);
    expect(perVariant('B')).toMatchObject(expected.B);

    const clickers = await api<{ recipients: Recipient[] }>(
      'GET',
      `/v1/campaigns/${id}/runs/1/recipients?clicked=true`,
      { token },
    );
    expect(clickers.json.recipients.map((r) => r.key).sort()).toEqual([`p${first.to}`, `p${second.to}`].sort());

    const series = await fetch(`${node.httpUrl}/v1/campaigns/${id}/runs/1/series?format=csv`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const lines = (await series.text()).trim().split('\r\n');
    expect(lines[0]).toBe('minute,sent,delivered,read,replied,failed,clicks');
    expect(lines.slice(1).reduce((sum, line) => sum + Number(line.split(',')[6]), 0)).toBe(3);

    const analytics = await fetch(`${node.httpUrl}/v1/campaigns/${id}/analytics?format=csv`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const rows = (await analytics.text()).trim().split('\r\n');
    expect(rows[0]).toMatch(/^run,variant,audience,dispatched,sent,delivered,read,replied,clicks,uniqueClicks,failed,/);
    expect(rows.find((r) => r.startsWith('1,total,'))).toMatch(/^1,total,6,6,6,6,\d+,0,3,2,0,/);

    // `parlo campaign status` shows them: clicked (recipients) and clicks (all) per variant and in total.
    const key = await api<{ key: string }>('POST', '/v1/api-keys', {
      token,
      body: { name: 'clicks cli', scopes: ['campaigns:read'] },
    });
    expect(key.status, key.text).toBe(201);
    const out: string[] = [];
    const io: CampaignCommandIo = {
      stdout: { write: (text: string) => out.push(text), isTTY: false },
      stderr: { write: () => undefined },
      env: { PARLO_API_KEY: key.json.key },
      readStdin: () => Promise.reject(new Error('no stdin in this test')),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
    expect(await runCampaignCommand(['status', id, '--url', node.httpUrl], io)).toBe(0);
    const table = out
      .join('')
      .split('\n')
      .map((line) => line.trim().split(/\s+/));
    expect(table.find((cells) => cells[0] === 'variant')?.slice(-2)).toEqual(['clicked', 'clicks']);
    expect(table.find((cells) => cells[0] === 'total')?.slice(-2)).toEqual(['2', '3']);

    // A click answered just before a clean stop is counted: the stop finishes every queued turn.
    const third = sent[2]!;
    expect((await follow(third.token)).status).toBe(302);
    await node.stop();
    await start();
    const after = await api<RunView>('GET', `/v1/campaigns/${id}/runs/1`, { token });
    expect(after.json.total).toMatchObject({ clicks: 4, uniqueClicks: 3 });
    // The restarted node verifies the links it sent before (same installation key).
    expect((await follow(first.token)).location).toBe(expectedLocation(first.to));
  }, 90_000);
});
