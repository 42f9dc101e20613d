import { readFile } from 'node:fs/promises';
import { request } from 'undici';
import { CAMPAIGN_STATUSES, type CampaignStatus } from '../../actors/campaigns/campaign.messages.ts';
import { CLI_API_KEY_ENV } from '../../config/index.ts';

/**
 * `parlo campaign create|preflight|launch|status|pause|resume|cancel|list`: a running Parlo's campaigns over its
 * HTTP API (`/v1/campaigns…`) with an API key, the way `parlo contacts import` talks to it. Three parts: argument
 * parsing and rendering (pure, unit-tested), one small HTTP client, and the runner that joins them and writes to
 * the given streams (process's by default; the integration test passes its own and runs it in-process).
 */

export const CAMPAIGN_USAGE = `Usage: parlo campaign <command> [options] --api-key KEY

Commands:
  create FILE             create a draft from a CampaignInput in JSON (FILE "-" reads stdin); prints "ID status"
  preflight ID [--json]   audience, eligibility, cost, duration, tier share, wallet, problems (exit 1: not launchable)
  launch ID [--follow]    launch it (every blocking problem is printed when refused); --follow as status --follow
  status ID [--run N] [--follow]
                          the campaign and its newest (or Nth) run's funnel per variant, with clicks on
                          tracked buttons (clicked: recipients, clicks: all); --follow shows live
                          progress until the run is completed or cancelled
  pause ID [--reason TEXT], resume ID, cancel ID
  list [--status S]       the organisation's campaigns (S: ${CAMPAIGN_STATUSES.join(', ')})

Options:
  --url URL               Parlo's address (default http://localhost:8080)
  --api-key KEY           an API key with campaigns:write, or campaigns:read to look only (or ${CLI_API_KEY_ENV})`;

export const DEFAULT_PARLO_URL = 'http://localhost:8080';
/** How often `--follow` reads the run. */
export const DEFAULT_FOLLOW_INTERVAL_MS = 1_000;
const PROGRESS_BAR_WIDTH = 30;

// ---- arguments ----

export type CampaignAction =
  | { readonly command: 'create'; readonly file: string }
  | { readonly command: 'preflight'; readonly id: string; readonly json: boolean }
  | { readonly command: 'launch'; readonly id: string; readonly follow: boolean }
  | { readonly command: 'status'; readonly id: string; readonly run: number | null; readonly follow: boolean }
  | { readonly command: 'pause'; readonly id: string; readonly reason: string | null }
  | { readonly command: 'resume' | 'cancel'; readonly id: string }
  | { readonly command: 'list'; readonly status: CampaignStatus | null };

export interface ParsedCampaignCommand {
  readonly url: string;
  readonly apiKey: string;
  readonly action: CampaignAction;
}

const COMMANDS = ['create', 'preflight', 'launch', 'status', 'pause', 'resume', 'cancel', 'list'] as const;
type Command = (typeof COMMANDS)[number];
const VALUE_FLAGS = ['url', 'api-key', 'run', 'reason', 'status'] as const;
const SWITCHES = ['json', 'follow'] as const;
type Flag = (typeof VALUE_FLAGS)[number] | (typeof SWITCHES)[number];

/** The flags each command takes besides --url and --api-key, and what its positional argument is. */
const SHAPES: Record<Command, { readonly positional: 'ID' | 'FILE' | null; readonly flags: readonly Flag[] }> = {
  create: { positional: 'FILE', flags: [] },
  preflight: { positional: 'ID', flags: ['json'] },
  launch: { positional: 'ID', flags: ['follow'] },
  status: { positional: 'ID', flags: ['run', 'follow'] },
  pause: { positional: 'ID', flags: ['reason'] },
  resume: { positional: 'ID', flags: [] },
  cancel: { positional: 'ID', flags: [] },
  list: { positional: null, flags: ['status'] },
};

const CAMPAIGN_ID = /^cmp_[A-Za-z0-9_-]{1,40}$/;

type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** `campaign <command> [ID|FILE] --flag value …` → what to do, or a message naming the argument at fault. */
export function parseCampaignCommand(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): Parsed<ParsedCampaignCommand> {
  const [sub, ...rest] = args;
  if (sub === undefined) return { ok: false, message: `give a campaign command: ${COMMANDS.join(', ')}` };
  if (!(COMMANDS as readonly string[]).includes(sub))
    return { ok: false, message: `unknown campaign command "${sub}"` };
  const command = sub as Command;
  const shape = SHAPES[command];
  const flags = new Map<Flag, string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--') || arg === '-') {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const isSwitch = (SWITCHES as readonly string[]).includes(name);
    if (!isSwitch && !(VALUE_FLAGS as readonly string[]).includes(name)) {
      return { ok: false, message: `unknown option --${name}` };
    }
    if (name !== 'url' && name !== 'api-key' && !shape.flags.includes(name as Flag)) {
      return { ok: false, message: `--${name} does not apply to campaign ${command}` };
    }
    if (isSwitch) {
      if (inline !== undefined) return { ok: false, message: `--${name} takes no value` };
      flags.set(name as Flag, 'true');
      continue;
    }
    const value = inline ?? rest[++i];
    if (value === undefined || value === '') return { ok: false, message: `--${name} needs a value` };
    flags.set(name as Flag, value);
  }

  const [target, extra] = positional;
  if (shape.positional === null && target !== undefined) {
    return { ok: false, message: `campaign ${command} takes no argument, got "${target}"` };
  }
  if (shape.positional === 'FILE' && target === undefined) {
    return { ok: false, message: 'campaign create needs FILE: the campaign as JSON, or - to read it from stdin' };
  }
  if (shape.positional === 'ID') {
    if (target === undefined) return { ok: false, message: `campaign ${command} needs the campaign ID (cmp_…)` };
    if (!CAMPAIGN_ID.test(target)) return { ok: false, message: `ID must be a campaign id (cmp_…), not "${target}"` };
  }
  if (extra !== undefined) return { ok: false, message: `unexpected argument "${extra}"` };

  const url = flags.get('url') ?? DEFAULT_PARLO_URL;
  if (!/^https?:\/\/[^/]/.test(url)) return { ok: false, message: `--url must be an http(s) address, not "${url}"` };
  const apiKey = flags.get('api-key') ?? env[CLI_API_KEY_ENV];
  if (apiKey === undefined || apiKey === '') {
    return { ok: false, message: `--api-key (or ${CLI_API_KEY_ENV}) is required` };
  }
  const action = actionOf(command, target ?? '', flags);
  return action.ok ? { ok: true, value: { url: url.replace(/\/+$/, ''), apiKey, action: action.value } } : action;
}

function actionOf(command: Command, target: string, flags: ReadonlyMap<Flag, string>): Parsed<CampaignAction> {
  const id = target;
  switch (command) {
    case 'create':
      return { ok: true, value: { command, file: target } };
    case 'preflight':
      return { ok: true, value: { command, id, json: flags.has('json') } };
    case 'launch':
      return { ok: true, value: { command, id, follow: flags.has('follow') } };
    case 'status': {
      const runText = flags.get('run');
      if (runText !== undefined && !/^[1-9]\d{0,5}$/.test(runText)) {
        return { ok: false, message: `--run must be a run number (1, 2, …), not "${runText}"` };
      }
      return {
        ok: true,
        value: { command, id, run: runText === undefined ? null : Number(runText), follow: flags.has('follow') },
      };
    }
    case 'pause':
      return { ok: true, value: { command, id, reason: flags.get('reason') ?? null } };
    case 'resume':
    case 'cancel':
      return { ok: true, value: { command, id } };
    case 'list': {
      const status = flags.get('status');
      if (status !== undefined && !(CAMPAIGN_STATUSES as readonly string[]).includes(status)) {
        return { ok: false, message: `--status must be one of ${CAMPAIGN_STATUSES.join(', ')}, not "${status}"` };
      }
      return { ok: true, value: { command, status: (status as CampaignStatus | undefined) ?? null } };
    }
  }
}

// ---- what the API answers (the parts the CLI reads) ----

export interface Counters {
  readonly audience: number;
  readonly skipped: Readonly<Record<string, number>>;
  readonly dispatched: number;
  readonly sent: number;
  readonly delivered: number;
  readonly read: number;
  readonly replied: number;
  readonly failed: Readonly<Record<string, number>>;
  /** Clicks on tracked URL buttons (absent from a Parlo that does not count them). */
  readonly clicks?: number;
  /** Recipients who clicked a tracked button, each once. */
  readonly uniqueClicks?: number;
}

export interface CampaignView {
  readonly id: string;
  readonly status: string;
  readonly pausedReason: string | null;
  readonly definition: { readonly name: string; readonly category: string; readonly phoneNumberId: string };
  readonly nextRunAt: string | null;
  readonly runs: readonly { readonly run: number; readonly status: string }[];
}

export interface RunView {
  readonly run: number;
  readonly status: string;
  readonly pausedReason: string | null;
  readonly runAt: string;
  readonly nextReleaseAt: string | null;
  readonly inFlight: number;
  readonly total: Counters;
  readonly variants: readonly (Counters & { readonly id: string })[];
}

export interface PreflightView {
  readonly audience: number;
  readonly eligible: number;
  readonly excludedByReason: Readonly<Record<string, number>>;
  readonly excluded: readonly { readonly key: string; readonly reason: string }[];
  readonly cost: {
    readonly totalMicros: number;
    readonly currency: string;
    readonly byCountry: readonly {
      readonly country: string;
      readonly recipients: number;
      readonly unitMicros: number;
      readonly totalMicros: number;
    }[];
  };
  readonly durationSec: number;
  readonly ratePerSec: number;
  readonly tier: {
    readonly limit: number | null;
    readonly usedLast24h: number;
    readonly campaignShare: number | null;
    readonly fitsToday: boolean;
  };
  readonly wallet: { readonly availableMicros: number | null; readonly sufficient: boolean | null };
  readonly problems: readonly { readonly code: string; readonly message: string }[];
  readonly warnings: readonly string[];
  readonly launchable: boolean;
}

export interface CampaignSummary {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly category: string;
  readonly runs: number;
  readonly nextRunAt: string | null;
}

// ---- rendering (pure) ----

/** Money in micros as text: `€0.55`, `€0.0691` with `decimals` 4, `1.20 USD` for another currency. */
export function formatMoney(micros: number, currency: string, decimals = 2): string {
  const amount = (micros / 1_000_000).toLocaleString('en-US', {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
  return currency === 'EUR' ? `€${amount}` : `${amount} ${currency}`;
}

/** `45 s`, `12 min 5 s`, `2 h 3 min`. */
export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3_600) {
    const s = seconds % 60;
    return `${Math.floor(seconds / 60)} min${s === 0 ? '' : ` ${s} s`}`;
  }
  const min = Math.floor((seconds % 3_600) / 60);
  return `${Math.floor(seconds / 3_600)} h${min === 0 ? '' : ` ${min} min`}`;
}

const count = (n: number): string => n.toLocaleString('en-US');
const sum = (record: Readonly<Record<string, number>>): number => Object.values(record).reduce((a, b) => a + b, 0);
const byCount = (record: Readonly<Record<string, number>>) =>
  Object.entries(record)
    .filter(([, n]) => n > 0)
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));

/** Rows of `label  value`, labels padded to one column. */
function table(rows: readonly (readonly [string, string])[], indent = '  '): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`.trimEnd());
}

/** The pre-flight as a readable table; each problem and warning on its own line. */
export function renderPreflight(id: string, p: PreflightView): string[] {
  const { currency } = p.cost;
  const excluded = p.audience - p.eligible;
  const rows: [string, string][] = [
    ['audience', count(p.audience)],
    ['eligible', count(p.eligible)],
    ['excluded', count(excluded)],
    ...byCount(p.excludedByReason).map(([reason, n]): [string, string] => [`  ${reason}`, count(n)]),
    ['cost', `${formatMoney(p.cost.totalMicros, currency)} (estimate, ${currency})`],
    ...p.cost.byCountry.map((c): [string, string] => [
      `  ${c.country}`,
      `${count(c.recipients)} × ${formatMoney(c.unitMicros, currency, 4)} = ${formatMoney(c.totalMicros, currency)}`,
    ]),
    [
      'duration',
      p.ratePerSec > 0 ? `~${formatDuration(p.durationSec)} at ${p.ratePerSec} msg/s` : 'unknown (no sending rate)',
    ],
    ['tier', tierText(p.tier)],
    ['wallet', walletText(p.wallet, currency)],
  ];
  const problems = p.problems.length;
  const lines = [
    `Pre-flight of ${id}: ${p.launchable ? 'launchable' : `NOT launchable (${problems} problem${problems === 1 ? '' : 's'})`}`,
    ...table(rows),
  ];
  if (p.problems.length > 0) lines.push('Problems:', ...p.problems.map((x) => `  ✗ ${x.code}: ${x.message}`));
  if (p.warnings.length > 0) lines.push('Warnings:', ...p.warnings.map((w) => `  ! ${w}`));
  return lines;
}

function tierText(tier: PreflightView['tier']): string {
  const used = `${count(tier.usedLast24h)} used in the last 24 h`;
  if (tier.limit === null || tier.campaignShare === null) return `unlimited (${used})`;
  const share = `${(tier.campaignShare * 100).toFixed(1)} %`;
  return `${share} of the ${count(tier.limit)} customers / 24 h limit (${used}) — ${tier.fitsToday ? 'fits today' : 'does NOT fit today'}`;
}

function walletText(wallet: PreflightView['wallet'], currency: string): string {
  if (wallet.availableMicros === null) return 'not visible to this key (billing:read)';
  const available = `${formatMoney(wallet.availableMicros, currency)} available`;
  return `${available} — ${wallet.sufficient === false ? 'NOT sufficient' : 'sufficient'}`;
}

/** The table's columns: the funnel, then tracked-button clicks (`clicked`: recipients, `clicks`: every click). */
const FUNNEL = [
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
] as const;

function funnel(c: Counters): number[] {
  return FUNNEL.map((step) => {
    switch (step) {
      case 'skipped':
      case 'failed':
        return sum(c[step]);
      case 'clicked':
        return c.uniqueClicks ?? 0;
      case 'clicks':
        return c.clicks ?? 0;
      default:
        return c[step];
    }
  });
}

/** The campaign, then its run's funnel per variant and in total, skips and failures by reason. */
export function renderStatus(campaign: CampaignView, run: RunView | null): string[] {
  const d = campaign.definition;
  const lines = [
    `${campaign.id} "${d.name}": ${campaign.status}${campaign.pausedReason === null ? '' : ` (${campaign.pausedReason})`}`,
    `  ${d.category} from number ${d.phoneNumberId}, ${campaign.runs.length} run${campaign.runs.length === 1 ? '' : 's'}` +
      (campaign.nextRunAt === null ? '' : `, next run at ${campaign.nextRunAt}`),
  ];
  if (run === null) {
    lines.push('  no run yet');
    return lines;
  }
  lines.push(
    `Run ${run.run}: ${run.status}${run.pausedReason === null ? '' : ` (${run.pausedReason})`}, started ${run.runAt}, ` +
      `${count(run.inFlight)} in flight` +
      (run.nextReleaseAt === null ? '' : `, next recipients due at ${run.nextReleaseAt}`),
  );
  const rows = [
    ['variant', ...FUNNEL],
    ...run.variants.map((v) => [v.id, ...funnel(v).map(count)]),
    ['total', ...funnel(run.total).map(count)],
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  for (const row of rows) {
    lines.push(
      `  ${row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col]!) : cell.padStart(widths[col]!))).join('  ')}`,
    );
  }
  const breakdown = (label: string, record: Readonly<Record<string, number>>) => {
    const entries = byCount(record);
    if (entries.length > 0) lines.push(`  ${label}: ${entries.map(([k, n]) => `${k} ${count(n)}`).join(' · ')}`);
  };
  breakdown('skipped', run.total.skipped);
  breakdown('failed', run.total.failed);
  return lines;
}

/** Recipients a run will try to send to: its audience less those skipped so far. */
export function eligibleOf(c: Counters): number {
  return Math.max(0, c.audience - sum(c.skipped));
}

/**
 * The live line of `--follow` on a terminal: `█` delivered, `▒` dispatched not (yet) delivered, `░` to go, over
 * the eligible recipients.
 */
export function progressBar(run: RunView, width = PROGRESS_BAR_WIDTH): string {
  const t = run.total;
  const eligible = eligibleOf(t);
  const cells = (n: number) => (eligible === 0 ? 0 : Math.min(width, Math.round((n / eligible) * width)));
  const delivered = cells(Math.min(t.delivered, t.dispatched));
  const dispatched = Math.max(delivered, cells(t.dispatched));
  const bar = '█'.repeat(delivered) + '▒'.repeat(dispatched - delivered) + '░'.repeat(width - dispatched);
  const percent = eligible === 0 ? 0 : Math.floor((t.dispatched / eligible) * 100);
  return `run ${run.run} ${run.status.padEnd(12)} [${bar}] ${String(percent).padStart(3)}%  ${progressFigures(t)}`;
}

/** The `--follow` line when stdout is not a terminal. */
export function progressLine(run: RunView): string {
  return `run ${run.run} ${run.status}: ${progressFigures(run.total)}`;
}

function progressFigures(t: Counters): string {
  return (
    `${count(t.dispatched)}/${count(eligibleOf(t))} dispatched · ${count(t.delivered)} delivered` +
    ` · ${count(sum(t.failed))} failed`
  );
}

export function renderList(campaigns: readonly CampaignSummary[]): string[] {
  if (campaigns.length === 0) return ['no campaigns'];
  const rows = [
    ['ID', 'STATUS', 'CATEGORY', 'RUNS', 'NAME'],
    ...campaigns.map((c) => [c.id, c.status, c.category, String(c.runs), c.name]),
  ];
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]!))).join('  '));
}

/** An API error as the CLI prints it: `code: message`, then every problem of `details.problems`. */
export function renderApiError(error: CampaignApiError): string[] {
  const lines = [`${error.code}: ${error.message}`];
  const problems = (error.details as { problems?: unknown } | undefined)?.problems;
  if (Array.isArray(problems)) {
    for (const problem of problems as unknown[]) {
      if (typeof problem === 'string') lines.push(`  ✗ ${problem}`);
      else if (problem !== null && typeof problem === 'object') {
        const { code, message } = problem as { code?: unknown; message?: unknown };
        const text = typeof message === 'string' ? message : JSON.stringify(problem);
        lines.push(`  ✗ ${typeof code === 'string' ? `${code}: ` : ''}${text}`);
      }
    }
  }
  return lines;
}

// ---- the HTTP client ----

/** An error answer of the API (`{ error: { code, message, details } }`), or Parlo not reachable (status null). */
export class CampaignApiError extends Error {
  constructor(
    readonly status: number | null,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CampaignApiError';
  }
}

export type CampaignClient = ReturnType<typeof campaignClient>;

/** The campaign endpoints of one Parlo, authenticated with an API key. */
export function campaignClient(url: string, apiKey: string) {
  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    let response;
    try {
      response = await request(`${url}/v1${path}`, {
        method,
        headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const reason = error instanceof Error ? error.message : String(error);
      throw new CampaignApiError(
        null,
        typeof code === 'string' ? code : 'UNREACHABLE',
        `cannot reach ${url}: ${reason}`,
      );
    }
    const text = await response.body.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.statusCode >= 300) {
      const error = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
      throw new CampaignApiError(
        response.statusCode,
        error?.code ?? `HTTP_${response.statusCode}`,
        error?.message ?? `${method} ${path} answered ${response.statusCode} ${text.slice(0, 300)}`,
        error?.details,
      );
    }
    return json as T;
  }
  const campaign = (id: string) => `/campaigns/${encodeURIComponent(id)}`;
  return {
    create: (input: unknown) => call<CampaignView>('POST', '/campaigns', input),
    get: (id: string) => call<CampaignView>('GET', campaign(id)),
    list: (status: CampaignStatus | null, cursor: string | null) => {
      const query = new URLSearchParams({ limit: '200' });
      if (status !== null) query.set('status', status);
      if (cursor !== null) query.set('cursor', cursor);
      return call<{ campaigns: CampaignSummary[]; total: number; nextCursor: string | null }>(
        'GET',
        `/campaigns?${query.toString()}`,
      );
    },
    preflight: (id: string) => call<PreflightView>('POST', `${campaign(id)}/preflight`),
    launch: (id: string) => call<CampaignView>('POST', `${campaign(id)}/launch`),
    pause: (id: string, reason: string | null) =>
      call<CampaignView>('POST', `${campaign(id)}/pause`, reason === null ? {} : { reason }),
    resume: (id: string) => call<CampaignView>('POST', `${campaign(id)}/resume`, {}),
    cancel: (id: string) => call<CampaignView>('POST', `${campaign(id)}/cancel`, {}),
    run: (id: string, run: number) => call<RunView>('GET', `${campaign(id)}/runs/${run}`),
  };
}

// ---- the runner ----

/** Where the command reads and writes; the process's by default. */
export interface CampaignCommandIo {
  /** `columns`: the terminal's width, when it is one (the live line is cut to it so that it never wraps). */
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean; readonly columns?: number };
  readonly stderr: { write(text: string): unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
  readStdin(): Promise<string>;
  sleep(ms: number): Promise<void>;
  readonly followIntervalMs?: number;
}

export function processIo(): CampaignCommandIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    async readStdin() {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}

/** A failure before any call: the file, its JSON. */
class InputError extends Error {}

/** Runs `parlo campaign …`; the exit code: 0 done, 1 refused or failed, 2 a usage error. */
export async function runCampaignCommand(
  args: readonly string[],
  io: CampaignCommandIo = processIo(),
): Promise<number> {
  const [first] = args;
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(`${CAMPAIGN_USAGE}\n`);
    return 0;
  }
  const parsed = parseCampaignCommand(args, io.env);
  if (!parsed.ok) {
    io.stderr.write(`parlo campaign: ${parsed.message}\n\n${CAMPAIGN_USAGE}\n`);
    return 2;
  }
  const client = campaignClient(parsed.value.url, parsed.value.apiKey);
  try {
    return await perform(parsed.value.action, client, io);
  } catch (error) {
    if (error instanceof CampaignApiError) {
      for (const line of renderApiError(error)) io.stderr.write(`${line}\n`);
      return 1;
    }
    if (error instanceof InputError) {
      io.stderr.write(`parlo campaign: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

async function perform(action: CampaignAction, client: CampaignClient, io: CampaignCommandIo): Promise<number> {
  const print = (line: string) => io.stdout.write(`${line}\n`);
  switch (action.command) {
    case 'create': {
      const created = await client.create(await readCampaignInput(action.file, io));
      print(`${created.id} ${created.status}`);
      return 0;
    }
    case 'preflight': {
      const checked = await client.preflight(action.id);
      if (action.json) print(JSON.stringify(checked, null, 2));
      else renderPreflight(action.id, checked).forEach(print);
      return checked.launchable ? 0 : 1;
    }
    case 'launch': {
      const launched = await client.launch(action.id);
      print(`${launched.id} ${launched.status}`);
      return action.follow ? follow(client, action.id, null, io) : 0;
    }
    case 'status': {
      if (action.follow) return follow(client, action.id, action.run, io);
      const campaign = await client.get(action.id);
      const runNo = action.run ?? newestRun(campaign);
      renderStatus(campaign, runNo === null ? null : await client.run(action.id, runNo)).forEach(print);
      return 0;
    }
    case 'pause': {
      const paused = await client.pause(action.id, action.reason);
      print(`${paused.id} ${paused.status}${paused.pausedReason === null ? '' : ` (${paused.pausedReason})`}`);
      return 0;
    }
    case 'resume':
    case 'cancel': {
      const changed = await (action.command === 'resume' ? client.resume(action.id) : client.cancel(action.id));
      print(`${changed.id} ${changed.status}`);
      return 0;
    }
    case 'list': {
      const campaigns: CampaignSummary[] = [];
      let cursor: string | null = null;
      do {
        const page = await client.list(action.status, cursor);
        campaigns.push(...page.campaigns);
        cursor = page.nextCursor;
      } while (cursor !== null);
      renderList(campaigns).forEach(print);
      return 0;
    }
  }
}

async function readCampaignInput(file: string, io: CampaignCommandIo): Promise<unknown> {
  const name = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = file === '-' ? await io.readStdin() : await readFile(file, 'utf8');
  } catch (error) {
    throw new InputError(`cannot read ${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${name} is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new InputError(`${name} must hold one JSON object: the campaign (name, phoneNumberId, variants, audience…)`);
  }
  return input;
}

function newestRun(campaign: CampaignView): number | null {
  return campaign.runs.reduce<number | null>((newest, r) => (newest === null || r.run > newest ? r.run : newest), null);
}

const FINISHED = new Set(['completed', 'cancelled']);

/** Reads the run about once a second and redraws its progress until it is completed or cancelled. */
async function follow(
  client: CampaignClient,
  id: string,
  runNo: number | null,
  io: CampaignCommandIo,
): Promise<number> {
  const tty = io.stdout.isTTY === true;
  let shown = '';
  const show = (line: string) => {
    if (line === shown) return;
    shown = line;
    const columns = io.stdout.columns ?? 0;
    io.stdout.write(tty ? `\r\x1b[2K${columns > 1 ? line.slice(0, columns - 1) : line}` : `${line}\n`);
  };
  for (;;) {
    const campaign = await client.get(id);
    const n = runNo ?? newestRun(campaign);
    const run = n === null ? null : await client.run(id, n);
    if (run === null) {
      if (FINISHED.has(campaign.status)) break;
      show(
        `${id} ${campaign.status}: waiting for its first run${campaign.nextRunAt ? ` (at ${campaign.nextRunAt})` : ''}`,
      );
    } else {
      show(tty ? progressBar(run) : progressLine(run));
      if (FINISHED.has(run.status)) {
        if (tty) io.stdout.write('\n');
        renderStatus(await client.get(id), run).forEach((line) => io.stdout.write(`${line}\n`));
        return 0;
      }
    }
    await io.sleep(io.followIntervalMs ?? DEFAULT_FOLLOW_INTERVAL_MS);
  }
  if (tty && shown !== '') io.stdout.write('\n');
  renderStatus(await client.get(id), null).forEach((line) => io.stdout.write(`${line}\n`));
  return 0;
}
