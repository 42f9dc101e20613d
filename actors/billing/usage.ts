import type { MessageCategory } from './rate-card.ts';

/**
 * Usage aggregates, pure (STYLE rule 3): what the usage API answers without scanning the ledger. Each message
 * charge adds to one cell of **UTC day × category × recipient country × business number × campaign**; a cell
 * holds `[messageCount, billableCount, amountMicros]` (billable = charged more than 0). The wallet keeps the newest
 * days in its state and seals older ones into month archives (`usage-archive` actors); `groupUsage` folds any set
 * of days into rows for the dimensions a caller asks for.
 *
 * No personal data: a cell is keyed by category, recipient country, the business's phone-number id and the
 * campaign id, never by a conversation id or customer key, so a customer's erasure (pseudonymise.ts) leaves usage
 * (here and in `usage-archive` actors) unchanged.
 *
 * Bounds and cost: a day holds one cell per distinct (category, country, number, campaign) used that day;
 * `addUsage` is O(1) plus a copy of that one day's record; `groupUsage` is O(cells in the range).
 */

/** Dimensions the usage API groups by. */
export const USAGE_DIMENSIONS = ['day', 'category', 'country', 'number', 'campaign'] as const;
export type UsageDimension = (typeof USAGE_DIMENSIONS)[number];

/** `[messageCount, billableCount, amountMicros]`. */
export type UsageCell = readonly [messageCount: number, billableCount: number, amountMicros: number];

/** One UTC day: cell key (`usageKey`) → cell. */
export type DayUsage = Readonly<Record<string, UsageCell>>;

/** Days (`YYYY-MM-DD`, UTC) → their cells. */
export type UsageDays = Readonly<Record<string, DayUsage>>;

export interface UsageFacts {
  readonly category: MessageCategory;
  readonly country: string;
  readonly phoneNumberId: string;
  readonly campaignId: string | null;
}

const SEPARATOR = '|';

/**
 * The cell key of a charge. The campaign comes last and may itself contain the separator: parsing splits on the
 * first three only (category, country and phone-number ids never contain it).
 */
export function usageKey(facts: UsageFacts): string {
  return [facts.category, facts.country, facts.phoneNumberId, facts.campaignId ?? ''].join(SEPARATOR);
}

export function parseUsageKey(key: string): UsageFacts {
  const first = key.indexOf(SEPARATOR);
  const second = key.indexOf(SEPARATOR, first + 1);
  const third = key.indexOf(SEPARATOR, second + 1);
  if (first < 0 || second < 0 || third < 0) throw new Error(`not a usage key: ${key}`);
  const campaign = key.slice(third + 1);
  return {
    category: key.slice(0, first) as MessageCategory,
    country: key.slice(first + 1, second),
    phoneNumberId: key.slice(second + 1, third),
    campaignId: campaign === '' ? null : campaign,
  };
}

/** The UTC day of an instant: `2026-01-31`. */
export function dayOf(atMs: number): string {
  return new Date(atMs).toISOString().slice(0, 10);
}

/** The month (`2026-01`) of a day (`2026-01-31`). */
export function monthOfDay(day: string): string {
  return day.slice(0, 7);
}

/** Start of a UTC day (`YYYY-MM-DD`) in epoch ms. */
export function dayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00.000Z`);
}

/** `day` plus `n` days (n may be negative). */
export function addDays(day: string, n: number): string {
  return dayOf(dayStartMs(day) + n * 86_400_000);
}

/** Adds one cell increment to a day's usage (a new object; `days` is not changed). */
export function addUsage(days: UsageDays, day: string, key: string, cell: UsageCell): UsageDays {
  const current = Object.hasOwn(days, day) ? days[day]! : {};
  return { ...days, [day]: addCell(current, key, cell) };
}

/** Adds a cell increment to one day (a new object). */
export function addCell(day: DayUsage, key: string, cell: UsageCell): DayUsage {
  const before = Object.hasOwn(day, key) ? day[key]! : ([0, 0, 0] as const);
  return { ...day, [key]: [before[0] + cell[0], before[1] + cell[1], before[2] + cell[2]] };
}

/** The increment one settled charge makes. */
export function chargeCell(amountMicros: number): UsageCell {
  return [1, amountMicros > 0 ? 1 : 0, amountMicros];
}

export interface UsageRow {
  readonly day?: string;
  readonly category?: MessageCategory;
  readonly country?: string;
  readonly phoneNumberId?: string;
  /** Null: messages sent outside a campaign. */
  readonly campaignId?: string | null;
  readonly messageCount: number;
  readonly billableCount: number;
  readonly amountMicros: number;
}

export interface UsageTotal {
  readonly messageCount: number;
  readonly billableCount: number;
  readonly amountMicros: number;
}

/**
 * Rows of the days in [fromDay, toDay] (inclusive), one per distinct value of the `groupBy` dimensions (none: one
 * total row), sorted by those values in the order given; and the grand total.
 */
export function groupUsage(
  days: UsageDays,
  fromDay: string,
  toDay: string,
  groupBy: readonly UsageDimension[],
): { rows: UsageRow[]; total: UsageTotal } {
  const dims = [...new Set(groupBy)];
  const groups = new Map<string, { facts: UsageRow; cell: [number, number, number] }>();
  const total: [number, number, number] = [0, 0, 0];
  for (const day of Object.keys(days).sort()) {
    if (day < fromDay || day > toDay) continue;
    const cells = days[day]!;
    for (const [key, cell] of Object.entries(cells)) {
      const facts = parseUsageKey(key);
      const row: Record<string, unknown> = {};
      for (const dim of dims) {
        if (dim === 'day') row.day = day;
        else if (dim === 'number') row.phoneNumberId = facts.phoneNumberId;
        else if (dim === 'campaign') row.campaignId = facts.campaignId;
        else row[dim] = facts[dim];
      }
      const groupKey = JSON.stringify(dims.map((dim) => (dim === 'day' ? day : dimensionValue(facts, dim))));
      let group = groups.get(groupKey);
      if (!group) {
        group = { facts: row as unknown as UsageRow, cell: [0, 0, 0] };
        groups.set(groupKey, group);
      }
      for (let i = 0; i < 3; i++) {
        group.cell[i] = group.cell[i]! + cell[i]!;
        total[i] = total[i]! + cell[i]!;
      }
    }
  }
  const rows = [...groups.entries()]
    .sort(([a], [b]) => compareKeys(a, b))
    .map(([, { facts, cell }]) => ({ ...facts, messageCount: cell[0], billableCount: cell[1], amountMicros: cell[2] }));
  return { rows, total: { messageCount: total[0], billableCount: total[1], amountMicros: total[2] } };
}

function dimensionValue(facts: UsageFacts, dim: Exclude<UsageDimension, 'day'>): string | null {
  switch (dim) {
    case 'category':
      return facts.category;
    case 'country':
      return facts.country;
    case 'number':
      return facts.phoneNumberId;
    case 'campaign':
      return facts.campaignId;
  }
}

/** Orders group keys (JSON arrays of strings or null) value by value; null (no campaign) first. */
function compareKeys(a: string, b: string): number {
  const x = JSON.parse(a) as (string | null)[];
  const y = JSON.parse(b) as (string | null)[];
  for (let i = 0; i < x.length; i++) {
    const p = x[i] ?? '';
    const q = y[i] ?? '';
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

/** Merges day sets where the same day may appear in several (a day being sealed): the first set holding a day wins. */
export function mergeDays(...sets: readonly UsageDays[]): UsageDays {
  const merged: Record<string, DayUsage> = {};
  for (const set of sets)
    for (const [day, usage] of Object.entries(set)) if (!Object.hasOwn(merged, day)) merged[day] = usage;
  return merged;
}
