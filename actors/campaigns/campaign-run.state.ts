import type { StateSplit } from '../../core/index.ts';
import type { SnapshotRecipient } from './audience.ts';
import type { RunCounters, RunPlan, RunStatus, SeriesPoint } from './campaign-run.messages.ts';
import { RECIPIENT_OUTCOMES, type RecipientOutcome, type SkipReason } from './recipient-outcome.ts';

/**
 * The state of a campaign run and how it is stored. The head (plan, status, lanes, counters) is small; the
 * recipients are stored apart, as split items, so a turn writes only what it changed:
 * - `r<chunk>`: RECIPIENT_CHUNK snapshot entries, written once when the snapshot takes them;
 * - `o<chunk>`: their outcomes (one byte each), the codes of the failed and skipped, and one bit per recipient for
 *   "clicked a tracked button", rewritten when one changes (~0.6 kB);
 * - `l<lane>`: a lane's recipients in dispatch order, written once when the snapshot is complete;
 * - `t<hour>`: one hour of the per-minute series.
 */
export const RECIPIENT_CHUNK = 512;
export const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** The series' columns per minute: sent, delivered, read, replied, failed, clicks. */
export const SERIES_COLUMNS = 6;
/** Column of clicks on tracked buttons in the series. */
export const CLICKS_COLUMN = 5;
/** Bytes of a chunk's clicked bits. */
const CLICKED_BYTES = RECIPIENT_CHUNK / 8;
/**
 * 2: counters gained `clicks` and `uniqueClicks`, outcome chunks their `clicked` bits, the series a clicks column
 * (upgradeRunState).
 */
export const RUN_STATE_VERSION = 2;

/** Recipients who share a time zone: released together, held together by quiet hours. */
export interface Lane {
  readonly timeZone: string;
  /** When the lane's recipients may be sent to (the schedule in their zone, moved out of quiet hours). */
  readonly releaseAtMs: number;
  /** Set when quiet hours or weekdays held the lane back during the run: not before this instant. */
  readonly blockedUntilMs: number;
  readonly count: number;
  /** How many of the lane's recipients were dispatched (or skipped by a cancel). */
  readonly cursor: number;
}

export interface RecipientChunk {
  readonly kind: 'r';
  readonly chunk: number;
  readonly recipients: readonly SnapshotRecipient[];
}

export interface OutcomeChunk {
  readonly kind: 'o';
  readonly chunk: number;
  /** RECIPIENT_OUTCOMES index per recipient of the chunk. */
  readonly outcomes: Uint8Array;
  /** By position in the chunk: the failure code or skip reason. */
  readonly codes: Readonly<Record<number, number | string>>;
  /** One bit per recipient of the chunk (position p: byte p >> 3, bit p & 7): followed a tracked button. */
  readonly clicked: Uint8Array;
}

export interface LaneOrder {
  readonly kind: 'l';
  readonly lane: number;
  readonly indexes: readonly number[];
}

export interface SeriesHour {
  readonly kind: 't';
  readonly hourMs: number;
  /** 60 minutes × SERIES_COLUMNS. */
  readonly counts: readonly number[];
}

export type RunItem = RecipientChunk | OutcomeChunk | LaneOrder | SeriesHour;

export interface RunState {
  readonly plan: RunPlan | null;
  readonly status: RunStatus | 'idle';
  readonly pausedReason: string | null;
  readonly snapshotAtMs: number | null;
  /** Next contact-index bucket (filter audience) or key offset (keys audience) to load; null when loaded. */
  readonly snapshotCursor: number | null;
  readonly total: number;
  readonly lanes: readonly Lane[];
  readonly inFlight: number;
  /** Per variant, in the plan's order. */
  readonly counters: readonly RunCounters[];
  readonly firstSendAtMs: number | null;
  readonly dispatchFinishedAtMs: number | null;
  /** The dispatch timer's due time, when one is set. */
  readonly timerAtMs: number | null;
  readonly recipients: readonly RecipientChunk[];
  readonly outcomes: readonly OutcomeChunk[];
  readonly order: readonly LaneOrder[];
  readonly series: readonly SeriesHour[];
}

export const EMPTY_COUNTERS: RunCounters = {
  audience: 0,
  skipped: {},
  dispatched: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  replied: 0,
  failed: {},
  clicks: 0,
  uniqueClicks: 0,
};

export function initialRunState(): RunState {
  return {
    plan: null,
    status: 'idle',
    pausedReason: null,
    snapshotAtMs: null,
    snapshotCursor: null,
    total: 0,
    lanes: [],
    inFlight: 0,
    counters: [],
    firstSendAtMs: null,
    dispatchFinishedAtMs: null,
    timerAtMs: null,
    recipients: [],
    outcomes: [],
    order: [],
    series: [],
  };
}

export const OUTCOME_CODE: Readonly<Record<RecipientOutcome, number>> = Object.fromEntries(
  RECIPIENT_OUTCOMES.map((outcome, i) => [outcome, i]),
) as Record<RecipientOutcome, number>;

export function recipientAt(state: RunState, index: number): SnapshotRecipient | undefined {
  return state.recipients[Math.floor(index / RECIPIENT_CHUNK)]?.recipients[index % RECIPIENT_CHUNK];
}

export function outcomeAt(state: RunState, index: number): { outcome: RecipientOutcome; code: number | string | null } {
  const chunk = state.outcomes[Math.floor(index / RECIPIENT_CHUNK)];
  const position = index % RECIPIENT_CHUNK;
  const outcome = RECIPIENT_OUTCOMES[chunk?.outcomes[position] ?? 0] ?? 'pending';
  return { outcome, code: chunk?.codes[position] ?? null };
}

/** The state with these recipients appended to the snapshot (all `pending`, or `skipped` with their reason). */
export function withRecipients(state: RunState, added: readonly SnapshotRecipient[]): RunState {
  if (added.length === 0) return state;
  const recipients = state.recipients.slice();
  const skips: { index: number; outcome: RecipientOutcome; code: string }[] = [];
  let total = state.total;
  let taken = 0;
  while (taken < added.length) {
    const chunkNo = Math.floor(total / RECIPIENT_CHUNK);
    const room = RECIPIENT_CHUNK - (total % RECIPIENT_CHUNK);
    const batch = added.slice(taken, taken + room);
    const held = recipients[chunkNo];
    recipients[chunkNo] = { kind: 'r', chunk: chunkNo, recipients: held ? [...held.recipients, ...batch] : batch };
    batch.forEach((recipient, i) => {
      if (recipient.skip !== null) skips.push({ index: total + i, outcome: 'skipped', code: recipient.skip });
    });
    taken += batch.length;
    total += batch.length;
  }
  const outcomes = state.outcomes.slice();
  for (let chunkNo = outcomes.length; chunkNo * RECIPIENT_CHUNK < total; chunkNo++) {
    outcomes[chunkNo] = emptyOutcomeChunk(chunkNo);
  }
  return withOutcomes({ ...state, recipients, outcomes, total }, skips);
}

function emptyOutcomeChunk(chunk: number): OutcomeChunk {
  return {
    kind: 'o',
    chunk,
    outcomes: new Uint8Array(RECIPIENT_CHUNK),
    codes: {},
    clicked: new Uint8Array(CLICKED_BYTES),
  };
}

/** Whether the recipient followed a tracked button at least once. */
export function clickedAt(state: RunState, index: number): boolean {
  const chunk = state.outcomes[Math.floor(index / RECIPIENT_CHUNK)];
  const position = index % RECIPIENT_CHUNK;
  return chunk !== undefined && ((chunk.clicked[position >> 3] ?? 0) & (1 << (position & 7))) !== 0;
}

/** The state with the recipient's clicked bit set (its outcome chunk copied); the same state when it was set. */
export function withClicked(state: RunState, index: number): RunState {
  if (clickedAt(state, index)) return state;
  const chunkNo = Math.floor(index / RECIPIENT_CHUNK);
  const position = index % RECIPIENT_CHUNK;
  const held = state.outcomes[chunkNo] ?? emptyOutcomeChunk(chunkNo);
  const clicked = new Uint8Array(held.clicked);
  clicked[position >> 3] = (clicked[position >> 3] ?? 0) | (1 << (position & 7));
  const outcomes = state.outcomes.slice();
  outcomes[chunkNo] = { ...held, clicked };
  return { ...state, outcomes };
}

/** The state with recipients' outcomes set (each index once), the chunks they live in copied once. */
export function withOutcomes(
  state: RunState,
  changes: readonly { index: number; outcome: RecipientOutcome; code: number | string | null }[],
): RunState {
  if (changes.length === 0) return state;
  const outcomes = state.outcomes.slice();
  const copied = new Set<number>();
  for (const { index, outcome, code } of changes) {
    const chunkNo = Math.floor(index / RECIPIENT_CHUNK);
    const position = index % RECIPIENT_CHUNK;
    let chunk = outcomes[chunkNo] ?? emptyOutcomeChunk(chunkNo);
    if (!copied.has(chunkNo)) {
      chunk = { ...chunk, outcomes: new Uint8Array(chunk.outcomes), codes: { ...chunk.codes } };
      copied.add(chunkNo);
    }
    // The copy is this turn's own: fill it in place.
    chunk.outcomes[position] = OUTCOME_CODE[outcome];
    const codes = chunk.codes as Record<number, number | string>;
    if (code !== null) codes[position] = code;
    else delete codes[position];
    outcomes[chunkNo] = chunk;
  }
  return { ...state, outcomes };
}

/** Adds one event to the per-minute series (column: 0 sent … 4 failed, 5 clicks). */
export function withSeriesEvent(state: RunState, atMs: number, column: number): RunState {
  const hourMs = atMs - (atMs % HOUR_MS);
  const slot = Math.floor((atMs - hourMs) / MINUTE_MS) * SERIES_COLUMNS + column;
  const series = state.series;
  let at = series.length - 1;
  while (at >= 0 && series[at]!.hourMs > hourMs) at--;
  const held = at >= 0 && series[at]!.hourMs === hourMs ? series[at]! : null;
  const counts = held ? held.counts.slice() : new Array<number>(60 * SERIES_COLUMNS).fill(0);
  counts[slot] = (counts[slot] ?? 0) + 1;
  const hour: SeriesHour = { kind: 't', hourMs, counts };
  const next = series.slice();
  if (held) next[at] = hour;
  else next.splice(at + 1, 0, hour);
  return { ...state, series: next };
}

/** The series as points, minutes with no event left out. */
export function seriesPoints(state: RunState): SeriesPoint[] {
  const points: SeriesPoint[] = [];
  for (const hour of state.series) {
    for (let minute = 0; minute < 60; minute++) {
      const base = minute * SERIES_COLUMNS;
      const c = hour.counts;
      const sum = c[base]! + c[base + 1]! + c[base + 2]! + c[base + 3]! + c[base + 4]! + c[base + 5]!;
      if (sum === 0) continue;
      points.push({
        minuteMs: hour.hourMs + minute * MINUTE_MS,
        sent: c[base]!,
        delivered: c[base + 1]!,
        read: c[base + 2]!,
        replied: c[base + 3]!,
        failed: c[base + 4]!,
        clicks: c[base + CLICKS_COLUMN]!,
      });
    }
  }
  return points;
}

/** Skip reasons and failure codes added up. */
export function addCounts<K extends string>(
  into: Readonly<Partial<Record<K, number>>>,
  key: K,
  by: number,
): Readonly<Partial<Record<K, number>>> {
  return { ...into, [key]: (into[key] ?? 0) + by };
}

/** The counters of the whole run: the variants' added up. */
export function totalCounters(counters: readonly RunCounters[]): RunCounters {
  let total = EMPTY_COUNTERS;
  for (const c of counters) {
    let skipped = total.skipped;
    for (const [reason, n] of Object.entries(c.skipped)) skipped = addCounts(skipped, reason as SkipReason, n ?? 0);
    let failed: Readonly<Record<string, number>> = total.failed;
    for (const [code, n] of Object.entries(c.failed)) failed = { ...failed, [code]: (failed[code] ?? 0) + n };
    total = {
      audience: total.audience + c.audience,
      skipped,
      dispatched: total.dispatched + c.dispatched,
      sent: total.sent + c.sent,
      delivered: total.delivered + c.delivered,
      read: total.read + c.read,
      replied: total.replied + c.replied,
      failed,
      clicks: total.clicks + c.clicks,
      uniqueClicks: total.uniqueClicks + c.uniqueClicks,
    };
  }
  return total;
}

const ITEM_ORDER = { r: 0, o: 1, l: 2, t: 3 } as const;

/** Head plus the four item collections; item keys sort by collection, then number. */
export const runSplit: StateSplit<RunState, RunItem> = {
  head: ({ recipients: _r, outcomes: _o, order: _l, series: _t, ...head }) => head,
  items: (state) => [...state.recipients, ...state.outcomes, ...state.order, ...state.series],
  itemKey: (item) => {
    switch (item.kind) {
      case 'r':
        return `r${pad(item.chunk)}`;
      case 'o':
        return `o${pad(item.chunk)}`;
      case 'l':
        return `l${pad(item.lane)}`;
      case 't':
        return `t${pad(item.hourMs)}`;
    }
  },
  join: (head, items) => {
    const byKind: RunItem[][] = [[], [], [], []];
    for (const item of items) byKind[ITEM_ORDER[item.kind]]!.push(item);
    return {
      ...(head as Omit<RunState, 'recipients' | 'outcomes' | 'order' | 'series'>),
      recipients: byKind[0] as RecipientChunk[],
      // Stored bytes come back as the codec's buffers: copies the turns may own. (Chunks of version 1 had no bits.)
      outcomes: (byKind[1] as OutcomeChunk[]).map((o) => ({
        ...o,
        outcomes: new Uint8Array(o.outcomes),
        clicked: o.clicked === undefined ? new Uint8Array(CLICKED_BYTES) : new Uint8Array(o.clicked),
      })),
      order: byKind[2] as LaneOrder[],
      series: byKind[3] as SeriesHour[],
    };
  },
};

/**
 * A stored state of an older version in the current shape. 1 → 2: counters without click counts get zeros, outcome
 * chunks their clicked bits (join adds them), series hours of five columns per minute a zero clicks column.
 */
export function upgradeRunState(storedHead: unknown, storedVersion: number, items: readonly unknown[] = []): RunState {
  const joined = runSplit.join(storedHead, items as readonly RunItem[]);
  if (storedVersion >= RUN_STATE_VERSION) return joined;
  const oldColumns = 5;
  return {
    ...joined,
    counters: joined.counters.map((c) => ({ ...c, clicks: c.clicks ?? 0, uniqueClicks: c.uniqueClicks ?? 0 })),
    series: joined.series.map((hour) => {
      const counts = new Array<number>(60 * SERIES_COLUMNS).fill(0);
      for (let minute = 0; minute < 60; minute++) {
        for (let column = 0; column < oldColumns; column++) {
          counts[minute * SERIES_COLUMNS + column] = hour.counts[minute * oldColumns + column] ?? 0;
        }
      }
      return { ...hour, counts };
    }),
  };
}

function pad(n: number): string {
  return String(n).padStart(15, '0');
}
