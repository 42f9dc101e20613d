import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { runCampaignCommand, type CampaignCommandIo } from './campaign-command.ts';
import { startParlo, type RunningParlo } from './start.ts';

/**
 * `parlo campaign …` against a real node with the bundled simulator as Meta, run in-process: a campaign created
 * from a JSON file, pre-flighted (the table's figures), launched and followed to completion, its status read back;
 * a launch that cannot complete prints every problem and exits 1.
 */

const temp = makeTempDir('parlo-campaign-command-');
let node: RunningParlo;
let apiKey: string;
let phoneNumberId: string;
const api = jsonApi(() => node.httpUrl);

const ITALIANS = Array.from({ length: 6 }, (_, i) => `+39 333 000 30${String(i).padStart(2, '0')}`);

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    {
      logger: silentLogger(),
    },
  );
  const signup = await api<{ tokens: { accessToken: string } }>('POST', '/v1/signup', {
    body: { orgName: 'Bottega', email: 'owner@campaign-cli.test', password: 'correct horse battery staple' },
  });
  const token = signup.json.tokens.accessToken;
  const connected = await api<{ number: { phoneNumberId: string } }>('POST', '/v1/numbers', {
    token,
    body: { mode: 'simulator' },
  });
  expect(connected.status, connected.text).toBe(201);
  phoneNumberId = connected.json.number.phoneNumberId;

  const submitted = await api<{ id: string }>('POST', '/v1/templates', {
    token,
    body: {
      template: {
        name: 'summer_promo',
        language: 'it',
        category: 'MARKETING',
        components: [
          { type: 'BODY', text: 'Ciao {{1}}, saldi estivi: il 30% su tutto.', example: { body_text: [['Giulia']] } },
          { type: 'FOOTER', text: 'Rispondi STOP per non ricevere più offerte' },
        ],
      },
    },
  });
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
        ...ITALIANS.map((phone, i) => ({ phone, name: `Cliente ${i}`, tags: { set: ['summer'] }, optIn: true })),
        { phone: '+39 333 000 3101', tags: { set: ['summer'] }, optIn: false },
        { phone: '+39 333 000 3102', tags: { set: ['summer'] } },
      ],
    },
  });
  expect(batch.status, batch.text).toBe(200);
  expect(batch.json.failed, batch.text).toBe(0);

  const key = await api<{ key: string }>('POST', '/v1/api-keys', {
    token,
    body: { name: 'campaign cli', scopes: ['campaigns:write', 'contacts:read'] },
  });
  expect(key.status, key.text).toBe(201);
  apiKey = key.json.key;
}, 60_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

/** Runs `parlo campaign …args` in-process against the node, capturing what it prints. */
async function parlo(args: string[], options: { tty?: boolean; columns?: number } = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CampaignCommandIo = {
    stdout: { write: (text: string) => out.push(text), isTTY: options.tty ?? false, columns: options.columns },
    stderr: { write: (text: string) => err.push(text) },
    env: { PARLO_API_KEY: apiKey },
    readStdin: () => Promise.reject(new Error('no stdin in this test')),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    followIntervalMs: 100,
  };
  const code = await runCampaignCommand(args, io);
  return { code, out: out.join(''), err: err.join('') };
}

function writeCampaign(name: string, overrides: Record<string, unknown> = {}): string {
  const file = join(temp.path, `${name}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      name,
      phoneNumberId,
      category: 'marketing',
      variants: [
        {
          id: 'A',
          template: { name: 'summer_promo', language: 'it' },
          variables: { body: { '1': { field: 'first_name', fallback: 'cliente' } } },
        },
        {
          id: 'B',
          template: { name: 'summer_promo', language: 'it' },
          variables: { body: { '1': { value: 'amica, amico' } } },
        },
      ],
      audience: { filter: { tags: { any: ['summer'] } } },
      quietHours: null,
      ...overrides,
    }),
  );
  return file;
}

const row = (output: string, label: string): string[] | undefined =>
  output
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .find((cells) => cells[0] === label);

describe('parlo campaign', () => {
  it('creates from a file, pre-flights, launches with --follow to completion and shows the status', async () => {
    const created = await parlo(['create', writeCampaign('Summer sale'), '--url', node.httpUrl]);
    expect(created.err).toBe('');
    expect(created.code).toBe(0);
    const [id, status] = created.out.trim().split(' ');
    expect(id).toMatch(/^cmp_/);
    expect(status).toBe('draft');

    const checked = await parlo(['preflight', id!, '--url', node.httpUrl]);
    expect(checked.code, checked.err).toBe(0);
    expect(checked.out).toContain(`Pre-flight of ${id}: launchable`);
    expect(row(checked.out, 'audience')).toEqual(['audience', '8']);
    expect(row(checked.out, 'eligible')).toEqual(['eligible', '6']);
    expect(row(checked.out, 'excluded')).toEqual(['excluded', '2']);
    expect(row(checked.out, 'opted_out')).toEqual(['opted_out', '1']);
    expect(row(checked.out, 'no_consent')).toEqual(['no_consent', '1']);
    expect(checked.out).toMatch(/^ {2}cost\s+€\d+\.\d\d \(estimate, EUR\)$/m);
    expect(checked.out).toMatch(/^ {4}IT\s+6 × €\d+\.\d{4} = €\d+\.\d\d$/m);
    expect(checked.out).toMatch(/^ {2}duration\s+~\d+ s at [\d.]+ msg\/s$/m);
    expect(checked.out).toMatch(/^ {2}tier\s+/m);
    expect(checked.out).toMatch(/^ {2}wallet\s+/m);

    const raw = await parlo(['preflight', id!, '--json', '--url', node.httpUrl]);
    expect(JSON.parse(raw.out)).toMatchObject({ audience: 8, eligible: 6, launchable: true });

    const launched = await parlo(['launch', id!, '--follow', '--url', node.httpUrl]);
    expect(launched.code, launched.err).toBe(0);
    const lines = launched.out.trim().split('\n');
    expect(lines[0]).toBe(`${id} running`);
    // Plain progress lines (stdout is no terminal), then the final status with the run's funnel.
    expect(lines).toContainEqual(expect.stringMatching(/^run 1 completed: 6\/6 dispatched · \d delivered · 0 failed$/));
    expect(launched.out).toMatch(/^Run 1: completed, /m);
    expect(row(launched.out, 'total')!.slice(0, 4)).toEqual(['total', '8', '2', '6']);

    // Deliveries may trail the run's completion: the status shows them once the simulator reports them.
    const shown = await eventually(
      () => parlo(['status', id!, '--url', node.httpUrl]),
      (r) => row(r.out, 'total')?.[5] === '6',
      'every message delivered in the status',
    );
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(new RegExp(`^${id} "Summer sale": (running|completed)$`, 'm'));
    expect(row(shown.out, 'variant')).toEqual([
      'variant',
      'audience',
      'skipped',
      'dispatched',
      'sent',
      'delivered',
      'read',
      'replied',
      'failed',
      'clicked',
      'clicks',
    ]);
    expect(row(shown.out, 'total')).toEqual(['total', '8', '2', '6', '6', '6', expect.any(String), '0', '0', '0', '0']);
    const a = row(shown.out, 'A')!;
    const b = row(shown.out, 'B')!;
    expect(Number(a[3]) + Number(b[3])).toBe(6);
    expect(shown.out).toContain('skipped: no_consent 1 · opted_out 1');

    // On a terminal, --follow draws the bar in place.
    const tty = await parlo(['status', id!, '--run', '1', '--follow', '--url', node.httpUrl], { tty: true });
    expect(tty.code).toBe(0);
    expect(tty.out).toContain('\r\x1b[2Krun 1 completed    [██████████████████████████████] 100%  6/6 dispatched');
    const narrow = await parlo(['status', id!, '--follow', '--url', node.httpUrl], { tty: true, columns: 40 });
    expect(narrow.out.split('\n')[0]).toBe('\r\x1b[2Krun 1 completed    [███████████████████');

    const listed = await parlo(['list', '--url', node.httpUrl]);
    expect(listed.out).toMatch(new RegExp(`^${id}\\s+(running|completed)\\s+marketing\\s+1\\s+Summer sale$`, 'm'));

    const paused = await parlo(['pause', id!, '--reason', 'too late', '--url', node.httpUrl]);
    expect(paused.code).toBe(1);
    expect(paused.err).toMatch(/^PARLO_CAMPAIGN_STATE: /);
  }, 60_000);

  it('prints every problem of a launch that cannot complete and exits 1', async () => {
    const file = writeCampaign('Nobody', { audience: { filter: { tags: { any: ['nobody'] } } } });
    const created = await parlo(['create', file, '--url', node.httpUrl]);
    expect(created.code, created.err).toBe(0);
    const id = created.out.split(' ')[0]!;

    const checked = await parlo(['preflight', id, '--url', node.httpUrl]);
    expect(checked.code).toBe(1);
    expect(checked.out).toContain(`Pre-flight of ${id}: NOT launchable (1 problem)`);
    expect(checked.out).toContain('  ✗ no_eligible_recipient: no recipient of the audience can be sent the campaign');

    const refused = await parlo(['launch', id, '--follow', '--url', node.httpUrl]);
    expect(refused.code).toBe(1);
    expect(refused.out).toBe('');
    expect(refused.err.split('\n')).toEqual([
      expect.stringMatching(/^PARLO_CAMPAIGN_PREFLIGHT_FAILED: the campaign cannot be launched: /),
      '  ✗ no_eligible_recipient: no recipient of the audience can be sent the campaign',
      '',
    ]);

    const status = await parlo(['status', id, '--url', node.httpUrl]);
    expect(status.out).toContain(`${id} "Nobody": draft`);
    expect(status.out).toContain('  no run yet');
  });

  it('names what is wrong with the file, the key or the campaign', async () => {
    const missing = await parlo(['create', join(temp.path, 'missing.json'), '--url', node.httpUrl]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/^parlo campaign: cannot read .*missing\.json: .*ENOENT/);

    const notJson = join(temp.path, 'broken.json');
    writeFileSync(notJson, '{ "name": "Broken", ');
    const broken = await parlo(['create', notJson, '--url', node.httpUrl]);
    expect(broken.code).toBe(1);
    expect(broken.err).toMatch(/^parlo campaign: .*broken\.json is not JSON: /);

    const invalid = await parlo([
      'create',
      writeCampaign('Bad weights', {
        variants: [
          { weight: 70, template: { name: 'summer_promo', language: 'it' } },
          { weight: 20, template: { name: 'summer_promo', language: 'it' } },
        ],
      }),
      '--url',
      node.httpUrl,
    ]);
    expect(invalid.code).toBe(1);
    expect(invalid.err).toContain('PARLO_CAMPAIGN_INVALID: variants: the weights add up to 90, not 100');

    const unknown = await parlo(['status', 'cmp_doesnotexist', '--url', node.httpUrl]);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^PARLO_CAMPAIGN_NOT_FOUND: /);

    const badKey = await parlo([
      'list',
      '--url',
      node.httpUrl,
      '--api-key',
      'parlo_0000000000000000.000000000000_nope',
    ]);
    expect(badKey.code).toBe(1);
    expect(badKey.err).toMatch(/^PARLO_API_KEY_INVALID: /);

    const down = await parlo(['list', '--url', 'http://127.0.0.1:9']);
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/^ECONNREFUSED: cannot reach http:\/\/127\.0\.0\.1:9/);
  });
});
