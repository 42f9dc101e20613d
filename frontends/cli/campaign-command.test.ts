import { describe, expect, it } from 'vitest';
import {
  CampaignApiError,
  formatDuration,
  formatMoney,
  parseCampaignCommand,
  progressBar,
  progressLine,
  renderApiError,
  renderList,
  renderPreflight,
  renderStatus,
  runCampaignCommand,
  type CampaignCommandIo,
  type CampaignView,
  type Counters,
  type PreflightView,
  type RunView,
} from './campaign-command.ts';

const ENV = { PARLO_API_KEY: 'parlo_key' };
const ID = 'cmp_abc123';

function parse(args: string[], env: Record<string, string> = ENV) {
  return parseCampaignCommand(args, env);
}
function message(args: string[], env: Record<string, string> = ENV): string | null {
  const parsed = parse(args, env);
  return parsed.ok ? null : parsed.message;
}
function action(args: string[]) {
  const parsed = parse(args);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value.action;
}

describe('parlo campaign arguments', () => {
  it('reads every command', () => {
    expect(parse(['create', 'spring.json', '--url=http://parlo:8080/', '--api-key', 'k2'])).toEqual({
      ok: true,
      value: { url: 'http://parlo:8080', apiKey: 'k2', action: { command: 'create', file: 'spring.json' } },
    });
    expect(parse(['list'])).toEqual({
      ok: true,
      value: { url: 'http://localhost:8080', apiKey: 'parlo_key', action: { command: 'list', status: null } },
    });
    expect(action(['create', '-'])).toEqual({ command: 'create', file: '-' });
    expect(action(['preflight', ID])).toEqual({ command: 'preflight', id: ID, json: false });
    expect(action(['preflight', '--json', ID])).toEqual({ command: 'preflight', id: ID, json: true });
    expect(action(['launch', ID])).toEqual({ command: 'launch', id: ID, follow: false });
    expect(action(['launch', ID, '--follow'])).toEqual({ command: 'launch', id: ID, follow: true });
    expect(action(['status', ID])).toEqual({ command: 'status', id: ID, run: null, follow: false });
    expect(action(['status', ID, '--run', '3', '--follow'])).toEqual({
      command: 'status',
      id: ID,
      run: 3,
      follow: true,
    });
    expect(action(['pause', ID])).toEqual({ command: 'pause', id: ID, reason: null });
    expect(action(['pause', ID, '--reason=stock ran out'])).toEqual({
      command: 'pause',
      id: ID,
      reason: 'stock ran out',
    });
    expect(action(['resume', ID])).toEqual({ command: 'resume', id: ID });
    expect(action(['cancel', ID])).toEqual({ command: 'cancel', id: ID });
    expect(action(['list', '--status', 'running'])).toEqual({ command: 'list', status: 'running' });
  });

  it('names the argument at fault', () => {
    expect(message([])).toContain('give a campaign command: create, preflight');
    expect(message(['start'])).toBe('unknown campaign command "start"');
    expect(message(['create'])).toContain('campaign create needs FILE');
    expect(message(['preflight'])).toBe('campaign preflight needs the campaign ID (cmp_…)');
    expect(message(['status'])).toBe('campaign status needs the campaign ID (cmp_…)');
    expect(message(['launch', 'spring'])).toBe('ID must be a campaign id (cmp_…), not "spring"');
    expect(message(['cancel', ID, 'cmp_other'])).toBe('unexpected argument "cmp_other"');
    expect(message(['list', ID])).toBe(`campaign list takes no argument, got "${ID}"`);
    expect(message(['list'], {})).toBe('--api-key (or PARLO_API_KEY) is required');
    expect(message(['list', '--colour', 'red'])).toBe('unknown option --colour');
    expect(message(['pause', ID, '--follow'])).toBe('--follow does not apply to campaign pause');
    expect(message(['preflight', ID, '--json=yes'])).toBe('--json takes no value');
    expect(message(['pause', ID, '--reason'])).toBe('--reason needs a value');
    expect(message(['status', ID, '--run', '0'])).toBe('--run must be a run number (1, 2, …), not "0"');
    expect(message(['status', ID, '--run=last'])).toContain('--run must be a run number');
    expect(message(['list', '--status', 'done'])).toContain('--status must be one of draft, scheduled');
    expect(message(['list', '--url', 'parlo:8080'])).toBe('--url must be an http(s) address, not "parlo:8080"');
  });
});

const preflight: PreflightView = {
  audience: 1_250,
  eligible: 1_200,
  excludedByReason: { opted_out: 10, no_consent: 38, us_marketing_block: 2 },
  excluded: [],
  cost: {
    totalMicros: 82_920_000,
    currency: 'EUR',
    byCountry: [
      { country: 'IT', recipients: 1_000, unitMicros: 69_100, totalMicros: 69_100_000 },
      { country: 'ES', recipients: 200, unitMicros: 69_100, totalMicros: 13_820_000 },
    ],
  },
  durationSec: 15,
  ratePerSec: 80,
  tier: { limit: 1_000, usedLast24h: 100, campaignShare: 1.2, fitsToday: false },
  wallet: { availableMicros: 50_000_000, sufficient: false },
  problems: [{ code: 'insufficient_credit', message: 'the campaign costs about €82.92: top up first' }],
  warnings: ['the portfolio may reach 1000 business-initiated customers in 24 h (100 used): 300 recipients will wait'],
  launchable: false,
};

describe('rendering', () => {
  it('shows money in euros from micros and durations in units', () => {
    expect(formatMoney(82_920_000, 'EUR')).toBe('€82.92');
    expect(formatMoney(69_100, 'EUR', 4)).toBe('€0.0691');
    expect(formatMoney(1_234_500_000, 'USD')).toBe('1,234.50 USD');
    expect(formatDuration(45)).toBe('45 s');
    expect(formatDuration(725)).toBe('12 min 5 s');
    expect(formatDuration(7_380)).toBe('2 h 3 min');
  });

  it('renders a pre-flight as a table with every problem and warning', () => {
    const lines = renderPreflight(ID, preflight);
    expect(lines[0]).toBe(`Pre-flight of ${ID}: NOT launchable (1 problem)`);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}audience\s+1,250$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}eligible\s+1,200$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}excluded\s+50$/));
    const reasons = lines.filter((l) => /^ {4}(no_consent|opted_out|us_marketing_block)\s/.test(l));
    expect(reasons.map((l) => l.trim().split(/\s+/))).toEqual([
      ['no_consent', '38'],
      ['opted_out', '10'],
      ['us_marketing_block', '2'],
    ]);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}cost\s+€82\.92 \(estimate, EUR\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}IT\s+1,000 × €0\.0691 = €69\.10$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}ES\s+200 × €0\.0691 = €13\.82$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}duration\s+~15 s at 80 msg\/s$/));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^ {2}tier\s+120\.0 % of the 1,000 customers \/ 24 h limit \(100 used .*does NOT fit today$/,
      ),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}wallet\s+€50\.00 available — NOT sufficient$/));
    expect(lines.slice(-4)).toEqual([
      'Problems:',
      '  ✗ insufficient_credit: the campaign costs about €82.92: top up first',
      'Warnings:',
      `  ! ${preflight.warnings[0]}`,
    ]);
  });

  it('says when the tier is unlimited, the wallet hidden, the campaign launchable', () => {
    const lines = renderPreflight(ID, {
      ...preflight,
      tier: { limit: null, usedLast24h: 3, campaignShare: null, fitsToday: true },
      wallet: { availableMicros: null, sufficient: null },
      problems: [],
      warnings: [],
      launchable: true,
    });
    expect(lines[0]).toBe(`Pre-flight of ${ID}: launchable`);
    expect(lines).toContainEqual(expect.stringMatching(/tier\s+unlimited \(3 used in the last 24 h\)$/));
    expect(lines).toContainEqual(expect.stringMatching(/wallet\s+not visible to this key/));
    expect(lines.some((l) => l.startsWith('Problems'))).toBe(false);
  });

  const counters = (over: Partial<Counters> = {}): Counters => ({
    audience: 0,
    skipped: {},
    dispatched: 0,
    sent: 0,
    delivered: 0,
    read: 0,
    replied: 0,
    failed: {},
    ...over,
  });
  const run: RunView = {
    run: 2,
    status: 'sending',
    pausedReason: null,
    runAt: '2025-03-01T09:00:00.000Z',
    nextReleaseAt: null,
    inFlight: 3,
    total: counters({
      audience: 12,
      skipped: { opted_out: 1, frequency_cap: 1 },
      dispatched: 5,
      sent: 4,
      delivered: 3,
      read: 1,
      failed: { '131026': 1 },
      clicks: 5,
      uniqueClicks: 2,
    }),
    variants: [
      {
        id: 'A',
        ...counters({
          audience: 6,
          skipped: { opted_out: 1 },
          dispatched: 3,
          sent: 3,
          delivered: 2,
          read: 1,
          clicks: 5,
          uniqueClicks: 2,
        }),
      },
      {
        id: 'B',
        ...counters({
          audience: 6,
          skipped: { frequency_cap: 1 },
          dispatched: 2,
          sent: 1,
          delivered: 1,
          failed: { '131026': 1 },
        }),
      },
    ],
  };
  const campaign: CampaignView = {
    id: ID,
    status: 'running',
    pausedReason: null,
    definition: { name: 'Spring sale', category: 'marketing', phoneNumberId: '1065' },
    nextRunAt: null,
    runs: [
      { run: 1, status: 'completed' },
      { run: 2, status: 'sending' },
    ],
  };

  it('renders the status and the funnel per variant', () => {
    const lines = renderStatus(campaign, run);
    expect(lines[0]).toBe(`${ID} "Spring sale": running`);
    expect(lines[1]).toBe('  marketing from number 1065, 2 runs');
    expect(lines[2]).toBe('Run 2: sending, started 2025-03-01T09:00:00.000Z, 3 in flight');
    const cells = (label: string) =>
      lines
        .find((l) => l.trim().startsWith(`${label} `))!
        .trim()
        .split(/\s+/);
    expect(cells('variant')).toEqual([
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
    expect(cells('A')).toEqual(['A', '6', '1', '3', '3', '2', '1', '0', '0', '2', '5']);
    // B's counters come from a Parlo that did not count clicks: none.
    expect(cells('B')).toEqual(['B', '6', '1', '2', '1', '1', '0', '0', '1', '0', '0']);
    expect(cells('total')).toEqual(['total', '12', '2', '5', '4', '3', '1', '0', '1', '2', '5']);
    expect(lines).toContain('  skipped: frequency_cap 1 · opted_out 1');
    expect(lines).toContain('  failed: 131026 1');
  });

  it('says when there is no run yet', () => {
    const lines = renderStatus(
      { ...campaign, status: 'scheduled', runs: [], nextRunAt: '2025-04-01T08:00:00.000Z' },
      null,
    );
    expect(lines).toEqual([
      `${ID} "Spring sale": scheduled`,
      '  marketing from number 1065, 0 runs, next run at 2025-04-01T08:00:00.000Z',
      '  no run yet',
    ]);
  });

  it('draws the progress bar: delivered, dispatched, to go, over the eligible recipients', () => {
    // 12 in the audience, 2 skipped: 10 eligible; 5 dispatched (50 %), 3 delivered.
    expect(progressBar(run, 10)).toBe('run 2 sending      [███▒▒░░░░░]  50%  5/10 dispatched · 3 delivered · 1 failed');
    expect(progressLine(run)).toBe('run 2 sending: 5/10 dispatched · 3 delivered · 1 failed');
    const done = { ...run, status: 'completed', total: { ...run.total, dispatched: 10, delivered: 10 } };
    expect(progressBar(done, 10)).toContain('[██████████] 100%');
    const empty = { ...run, status: 'snapshotting', total: counters() };
    expect(progressBar(empty, 4)).toBe('run 2 snapshotting [░░░░]   0%  0/0 dispatched · 0 delivered · 0 failed');
  });

  it('lists campaigns and prints API errors with their problems', () => {
    expect(
      renderList([{ id: ID, name: 'Spring sale', status: 'draft', category: 'marketing', runs: 0, nextRunAt: null }]),
    ).toEqual(['ID          STATUS  CATEGORY   RUNS  NAME', `${ID}  draft   marketing  0     Spring sale`]);
    expect(renderList([])).toEqual(['no campaigns']);
    const refused = new CampaignApiError(409, 'PARLO_CAMPAIGN_PREFLIGHT_FAILED', 'the campaign cannot be launched', {
      problems: [
        { code: 'no_eligible_recipient', message: 'no recipient of the audience can be sent the campaign' },
        { code: 'template_not_sendable', message: 'A: autumn_promo (it) is PENDING' },
      ],
    });
    expect(renderApiError(refused)).toEqual([
      'PARLO_CAMPAIGN_PREFLIGHT_FAILED: the campaign cannot be launched',
      '  ✗ no_eligible_recipient: no recipient of the audience can be sent the campaign',
      '  ✗ template_not_sendable: A: autumn_promo (it) is PENDING',
    ]);
    const invalid = new CampaignApiError(400, 'PARLO_CAMPAIGN_INVALID', 'variants: …', { problems: ['variants: …'] });
    expect(renderApiError(invalid)).toEqual(['PARLO_CAMPAIGN_INVALID: variants: …', '  ✗ variants: …']);
  });
});

describe('parlo campaign runner', () => {
  function capture(env: Record<string, string> = ENV) {
    const out: string[] = [];
    const err: string[] = [];
    const io: CampaignCommandIo = {
      stdout: { write: (t: string) => out.push(t) },
      stderr: { write: (t: string) => err.push(t) },
      env,
      readStdin: () => Promise.resolve('{ not json'),
      sleep: () => Promise.resolve(),
    };
    return { io, out: () => out.join(''), err: () => err.join('') };
  }

  it('answers a usage error with exit code 2 and the usage', async () => {
    const c = capture();
    expect(await runCampaignCommand(['launch'], c.io)).toBe(2);
    expect(c.err()).toContain('parlo campaign: campaign launch needs the campaign ID');
    expect(c.err()).toContain('Usage: parlo campaign');
    const help = capture({});
    expect(await runCampaignCommand(['--help'], help.io)).toBe(0);
    expect(help.out()).toContain('preflight ID [--json]');
  });

  it('refuses input from stdin that is not JSON before calling Parlo', async () => {
    const stdin = capture();
    expect(await runCampaignCommand(['create', '-'], stdin.io)).toBe(1);
    expect(stdin.err()).toMatch(/^parlo campaign: stdin is not JSON: /);
  });
});
