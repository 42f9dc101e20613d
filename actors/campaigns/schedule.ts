/**
 * When a WhatsApp marketing campaign runs and when each recipient may be sent to, pure (STYLE rule 3).
 *
 * - **Sending window.** Quiet hours (no sends from `start`, inclusive, to `end`, exclusive; they may wrap midnight)
 *   and allowed weekdays, both read in the RECIPIENT's local time. `nextAllowedAtMs` finds the earliest instant at
 *   or after a given one that is inside the window.
 * - **Campaign schedules.** `now`, `at` (one instant), `localTime` (the same wall-clock time in every recipient's
 *   own zone on one date) and `recurring` (daily, weekly on weekdays, monthly on a day of month, in the campaign's
 *   zone). `firstRunAtMs` / `nextRunAtMs` give run starts; `recipientReleaseAtMs` gives one recipient's send time
 *   inside a run.
 *
 * Decided rules (each one tested):
 * - Time zones are IANA names as `Intl.DateTimeFormat` accepts them (`UTC` too); there is no date library. The
 *   functions that sit on the per-recipient hot path never throw for a bad zone name: they use `UTC` instead.
 *   `validateSchedule` is where a bad name is reported.
 * - Local times have minute precision. A local time in a spring-forward gap (02:30 on 2026-03-29 in Europe/Rome)
 *   is moved forward by the length of the gap (→ 03:30 CEST), like Temporal's `disambiguation: 'compatible'`; an
 *   ambiguous one in a fall-back overlap (02:30 on 2026-10-25 in Europe/Rome) is the EARLIER of its two instants.
 * - Quiet hours are compared on the local hour and minute (seconds ignored): with quiet hours from 21:00, 20:59:59
 *   is allowed and 21:00:00 is not. `start` equal to `end` means no quiet hours (an empty span, not the whole
 *   day); an empty weekday list means every day. `validateSendingWindow` reports both.
 * - Recurring schedules count the runs actually made (`runsSoFar`), not the occurrences since `startDate`: a
 *   campaign created after its start date still gets `count` runs. A recurring time in a DST gap or overlap
 *   follows the rule above, so a weekly 09:00 run stays at 09:00 local across a DST change.
 * - A `localTime` campaign's run starts when the earliest zone (UTC+14) reaches that time, so every recipient can
 *   be released on time; it has passed (validation refuses it, `firstRunAtMs` returns null) only once the latest
 *   zone (UTC−12) is past it too. A recipient is never released before the run starts.
 *
 * Cost: `zonedParts` is one `formatToParts` call on a cached formatter (one per zone name, a Map bounded by
 * `MAX_CACHED_ZONES`); `zonedTimeToUtcMs` costs 2 (4 within a day of a DST change); `nextAllowedAtMs` costs 1 when
 * the instant is already allowed and a few per jump otherwise, with at most `MAX_WINDOW_STEPS` jumps (plus a ~27
 * step binary search when a jump crosses a DST change). Nothing here reads the clock.
 */

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/** The largest UTC offset in use (Pacific/Kiritimati, UTC+14): the first place to reach a local time. */
export const MAX_UTC_OFFSET_MS = 14 * HOUR_MS;
/** The smallest UTC offset in use (UTC−12, e.g. Baker Island): the last place to reach a local time. */
export const MIN_UTC_OFFSET_MS = -12 * HOUR_MS;
/** Formatters kept per zone name; the cache is cleared when full (IANA has fewer names, so only junk fills it). */
export const MAX_CACHED_ZONES = 1024;
/** The bound on `nextAllowedAtMs`'s jumps; a valid window needs fewer than 10 even across a week and a DST change. */
export const MAX_WINDOW_STEPS = 64;
/** The bound on the dates a recurring schedule looks at for one occurrence (a month and a half). */
const MAX_RECURRENCE_STEPS = 8;

/** A wall-clock time of day, 24 h: `hour` 0–23, `minute` 0–59. */
export interface LocalTime {
  readonly hour: number;
  readonly minute: number;
}

/** A calendar date: `month` 1–12, `day` 1–31 (a real date of that month). */
export interface LocalDate {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}

/** No sends from `start` (inclusive) to `end` (exclusive), local time; wraps midnight when `end` ≤ `start`. */
export interface QuietHours {
  readonly start: LocalTime;
  readonly end: LocalTime;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** When a recipient may be sent to, in the recipient's local time. */
export interface SendingWindow {
  /** null: no quiet hours. */
  readonly quietHours: QuietHours | null;
  /** The days on which sending is allowed (non-empty; an empty list is treated as every day). */
  readonly weekdays: readonly Weekday[];
}

/** 21:00–09:00 local: the usual courtesy rule for marketing messages. */
export const DEFAULT_QUIET_HOURS: QuietHours = { start: { hour: 21, minute: 0 }, end: { hour: 9, minute: 0 } };

/** Default quiet hours, every day of the week. */
export const DEFAULT_SENDING_WINDOW: SendingWindow = { quietHours: DEFAULT_QUIET_HOURS, weekdays: WEEKDAYS };

/** The wall clock of one instant in one zone. */
export interface ZonedParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly weekday: Weekday;
}

export type Recurrence =
  | { readonly every: 'day' }
  | { readonly every: 'week'; readonly weekdays: readonly Weekday[] }
  /** 29–31 fall on the month's last day in shorter months (31 → 28 February). */
  | { readonly every: 'month'; readonly dayOfMonth: number };

export type CampaignSchedule =
  | { readonly kind: 'now' }
  | { readonly kind: 'at'; readonly atMs: number }
  /** The same wall-clock time in EACH RECIPIENT's time zone on one date (recipients without a zone use `defaultTimeZone`). */
  | {
      readonly kind: 'localTime';
      readonly date: LocalDate;
      readonly time: LocalTime;
      readonly defaultTimeZone: string;
    }
  /**
   * Repeats in the campaign's zone: daily; weekly on given weekdays; monthly on a day of month. From `startDate`
   * (inclusive), until `endDate` (inclusive) when given, at most `count` runs when given.
   */
  | {
      readonly kind: 'recurring';
      readonly recurrence: Recurrence;
      readonly time: LocalTime;
      readonly timeZone: string;
      readonly startDate: LocalDate;
      readonly endDate?: LocalDate;
      readonly count?: number;
    };

// ---- time zones ----

const formatters = new Map<string, Intl.DateTimeFormat | null>();

/**
 * The formatter for `timeZone`, or null when Intl does not know the name. Building one costs far more than using
 * it, and this runs per recipient, hence the cache; unknown names are cached too (as null) so a contact with a
 * broken zone does not cost an exception per send.
 */
function formatterFor(timeZone: string): Intl.DateTimeFormat | null {
  const cached = formatters.get(timeZone);
  if (cached !== undefined) return cached;
  let formatter: Intl.DateTimeFormat | null;
  try {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      calendar: 'gregory',
      numberingSystem: 'latn',
      hourCycle: 'h23', // never "24" for midnight
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  } catch {
    formatter = null;
  }
  if (formatters.size >= MAX_CACHED_ZONES) formatters.clear();
  formatters.set(timeZone, formatter);
  return formatter;
}

/** The formatter for `timeZone`, or UTC's when the name is unknown (the hot path never throws). */
function formatterOrUtc(timeZone: string): Intl.DateTimeFormat {
  const formatter = formatterFor(timeZone) ?? formatterFor('UTC');
  if (formatter === null) throw new Error('Intl does not know the UTC time zone'); // a broken runtime, a bug
  return formatter;
}

/** Whether Intl knows `tz` (IANA names such as `Europe/Rome`, and `UTC`). */
export function isValidTimeZone(tz: string): boolean {
  return typeof tz === 'string' && tz !== '' && formatterFor(tz) !== null;
}

/** The first name that is a valid zone, else `UTC`. */
function resolveTimeZone(...candidates: readonly (string | null | undefined)[]): string {
  for (const zone of candidates) if (zone != null && isValidTimeZone(zone)) return zone;
  return 'UTC';
}

/**
 * The wall clock at `atMs` in `timeZone` (an unknown zone reads as UTC). Years are those of the proleptic
 * Gregorian calendar, AD only (a campaign never runs before year 1). A non-finite `atMs` is a bug and throws
 * Intl's RangeError, here and in every function that reads a wall clock.
 */
export function zonedParts(atMs: number, timeZone: string): ZonedParts {
  return partsWith(formatterOrUtc(timeZone), atMs);
}

function partsWith(formatter: Intl.DateTimeFormat, atMs: number): ZonedParts {
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  for (const part of formatter.formatToParts(atMs)) {
    switch (part.type) {
      case 'year':
        year = Number(part.value);
        break;
      case 'month':
        month = Number(part.value);
        break;
      case 'day':
        day = Number(part.value);
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'second':
        second = Number(part.value);
        break;
      default:
        break;
    }
  }
  return { year, month, day, hour, minute, second, weekday: weekdayOf({ year, month, day }) };
}

/** The wall clock at `atMs` as milliseconds since 1970-01-01T00:00 *local*: what `offset + atMs` would give. */
function wallMsOf(parts: ZonedParts, atMs: number): number {
  return (
    daysFromCivil(parts) * DAY_MS +
    parts.hour * HOUR_MS +
    parts.minute * MINUTE_MS +
    parts.second * SECOND_MS +
    floorMod(atMs, SECOND_MS)
  );
}

/** The zone's UTC offset at `atMs` (local minus UTC). */
function offsetMsAt(formatter: Intl.DateTimeFormat, atMs: number): number {
  return wallMsOf(partsWith(formatter, atMs), atMs) - atMs;
}

/**
 * The instant at which the wall clock in `timeZone` shows `time` on `date` (an unknown zone reads as UTC).
 * - A time that does not exist (spring-forward gap: 02:30 on 2026-03-29 in Europe/Rome) is moved forward by the
 *   length of the gap: the instant that reads 03:30 CEST.
 * - A time that exists twice (fall-back overlap: 02:30 on 2026-10-25 in Europe/Rome) is the EARLIER instant
 *   (02:30 CEST, not 02:30 CET).
 * Assumes at most one offset change within a day of the date, true of every zone since the 1900s.
 */
export function zonedTimeToUtcMs(timeZone: string, date: LocalDate, time: LocalTime): number {
  const formatter = formatterOrUtc(timeZone);
  const wallMs = daysFromCivil(date) * DAY_MS + time.hour * HOUR_MS + time.minute * MINUTE_MS;
  const offsetBefore = offsetMsAt(formatter, wallMs - DAY_MS);
  const offsetAfter = offsetMsAt(formatter, wallMs + DAY_MS);
  const early = wallMs - offsetBefore;
  if (offsetBefore === offsetAfter) return early;
  const late = wallMs - offsetAfter;
  const earlyFits = offsetMsAt(formatter, early) === offsetBefore;
  const lateFits = offsetMsAt(formatter, late) === offsetAfter;
  if (earlyFits && lateFits) return Math.min(early, late); // overlap: the earlier one
  if (earlyFits) return early;
  if (lateFits) return late;
  // A gap: with the offset from before the change, the instant reads `time + gap` on the clock.
  return early;
}

// ---- the sending window ----

/** Whether `atMs` is outside quiet hours and on an allowed weekday, in `timeZone` (an unknown zone reads as UTC). */
export function isInsideSendingWindow(atMs: number, timeZone: string, window: SendingWindow): boolean {
  return isAllowed(zonedParts(atMs, timeZone), window);
}

function isAllowed(parts: ZonedParts, window: SendingWindow): boolean {
  return isAllowedWeekday(parts.weekday, window) && !isQuietMinute(parts.hour * 60 + parts.minute, window.quietHours);
}

function isAllowedWeekday(weekday: Weekday, window: SendingWindow): boolean {
  return window.weekdays.length === 0 || window.weekdays.includes(weekday);
}

function isQuietMinute(minuteOfDay: number, quiet: QuietHours | null): boolean {
  if (quiet === null) return false;
  const start = minuteOfDayOf(quiet.start);
  const end = minuteOfDayOf(quiet.end);
  if (start === end) return false;
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}

/**
 * The earliest instant ≥ `atMs` at which, in `timeZone` (an unknown zone reads as UTC), the local time is outside
 * quiet hours and on an allowed weekday; `atMs` itself when already allowed.
 *
 * How: from an instant that is not allowed, jump to the next local time that could be (the end of the quiet hours,
 * or midnight of the next allowed weekday). Between the two the wall clock stays quiet or on a refused day, so
 * nothing allowed is skipped, unless the jump crosses a DST change, where the clock can go back into an allowed
 * time (fall-back) or skip the target (spring-forward): then it stops at the change itself and looks again. At most
 * `MAX_WINDOW_STEPS` jumps; should a window allow nothing that long (impossible for a valid one), the last instant
 * looked at is returned rather than looping.
 */
export function nextAllowedAtMs(atMs: number, timeZone: string, window: SendingWindow): number {
  const formatter = formatterOrUtc(timeZone);
  let t = atMs;
  let parts = partsWith(formatter, t);
  for (let step = 0; step < MAX_WINDOW_STEPS; step++) {
    if (isAllowed(parts, window)) return t;
    const wallMs = wallMsOf(parts, t);
    const targetWallMs = nextCandidateWallMs(parts, window);
    const candidate = t + (targetWallMs - wallMs);
    const candidateParts = partsWith(formatter, candidate);
    if (wallMsOf(candidateParts, candidate) === targetWallMs) {
      t = candidate;
      parts = candidateParts;
    } else {
      t = firstOffsetChangeMs(formatter, t, candidate, wallMs - t);
      parts = partsWith(formatter, t);
    }
  }
  return t;
}

/** The next local wall time (ms since 1970-01-01 local) that may be allowed, seen from a refused one. */
function nextCandidateWallMs(parts: ZonedParts, window: SendingWindow): number {
  const todayMs = daysFromCivil(parts) * DAY_MS;
  if (!isAllowedWeekday(parts.weekday, window)) {
    const today = WEEKDAYS.indexOf(parts.weekday);
    let ahead = 1;
    while (ahead < 7 && !window.weekdays.includes(WEEKDAYS[(today + ahead) % 7] ?? 'mon')) ahead++;
    return todayMs + ahead * DAY_MS;
  }
  // An allowed day, so quiet hours refused it: they are set, and the wall clock is inside them.
  const end = window.quietHours === null ? 0 : minuteOfDayOf(window.quietHours.end);
  const minuteOfDay = parts.hour * 60 + parts.minute;
  return todayMs + (minuteOfDay >= end ? DAY_MS : 0) + end * MINUTE_MS;
}

/**
 * The first instant in (fromMs, toMs] at which the zone's offset is no longer `offsetMs`, by bisection on whole
 * seconds (offsets change on whole seconds). The caller knows the offset at `toMs` differs.
 */
function firstOffsetChangeMs(formatter: Intl.DateTimeFormat, fromMs: number, toMs: number, offsetMs: number): number {
  let lo = Math.floor(fromMs / SECOND_MS);
  let hi = Math.ceil(toMs / SECOND_MS);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetMsAt(formatter, mid * SECOND_MS) === offsetMs) lo = mid;
    else hi = mid;
  }
  return hi * SECOND_MS;
}

/** Problems with a sending window, each naming its field; [] when valid. */
export function validateSendingWindow(window: SendingWindow): string[] {
  const problems: string[] = [];
  if (window.quietHours !== null) {
    if (!isValidLocalTime(window.quietHours.start))
      problems.push('quietHours.start: must be a time of day HH:MM (00:00–23:59)');
    if (!isValidLocalTime(window.quietHours.end))
      problems.push('quietHours.end: must be a time of day HH:MM (00:00–23:59)');
    else if (
      isValidLocalTime(window.quietHours.start) &&
      minuteOfDayOf(window.quietHours.start) === minuteOfDayOf(window.quietHours.end)
    )
      problems.push('quietHours: start and end are equal; use no quiet hours instead');
  }
  problems.push(...weekdayProblems('weekdays', window.weekdays));
  return problems;
}

// ---- parsing and formatting ----

/** `HH:MM`, 24 h (`09:00`, `21:30`); null for anything else. */
export function parseLocalTime(text: string): LocalTime | null {
  const match = /^(\d{2}):(\d{2})$/.exec(text);
  if (match === null) return null;
  const time = { hour: Number(match[1]), minute: Number(match[2]) };
  return isValidLocalTime(time) ? time : null;
}

/** `YYYY-MM-DD`, a real calendar date (`2028-02-29` yes, `2026-02-29` no); null for anything else. */
export function parseLocalDate(text: string): LocalDate | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return null;
  const date = { year: Number(match[1]), month: Number(match[2]), day: Number(match[3]) };
  return isValidLocalDate(date) ? date : null;
}

/** `HH:MM`. */
export function formatLocalTime(time: LocalTime): string {
  return `${pad(time.hour, 2)}:${pad(time.minute, 2)}`;
}

/** `YYYY-MM-DD`. */
export function formatLocalDate(date: LocalDate): string {
  return `${pad(date.year, 4)}-${pad(date.month, 2)}-${pad(date.day, 2)}`;
}

function isValidLocalTime(time: LocalTime): boolean {
  return isIntegerIn(time.hour, 0, 23) && isIntegerIn(time.minute, 0, 59);
}

function isValidLocalDate(date: LocalDate): boolean {
  return (
    isIntegerIn(date.year, 1, 9999) &&
    isIntegerIn(date.month, 1, 12) &&
    isIntegerIn(date.day, 1, daysInMonth(date.year, date.month))
  );
}

// ---- campaign schedules ----

/** Problems with a schedule, each a sentence that starts with the field it is about; [] when valid. */
export function validateSchedule(schedule: CampaignSchedule, nowMs: number): string[] {
  switch (schedule.kind) {
    case 'now':
      return [];
    case 'at':
      if (!Number.isFinite(schedule.atMs)) return ['atMs: must be a finite number of epoch milliseconds'];
      return schedule.atMs < nowMs ? [`atMs: ${isoOf(schedule.atMs)} is in the past`] : [];
    case 'localTime':
      return validateLocalTimeSchedule(schedule, nowMs);
    case 'recurring':
      return validateRecurringSchedule(schedule, nowMs);
    default:
      return [`kind: unknown schedule kind '${String((schedule as { kind: unknown }).kind)}'`];
  }
}

function validateLocalTimeSchedule(
  schedule: Extract<CampaignSchedule, { kind: 'localTime' }>,
  nowMs: number,
): string[] {
  const problems: string[] = [];
  if (!isValidTimeZone(schedule.defaultTimeZone))
    problems.push(`defaultTimeZone: unknown time zone '${schedule.defaultTimeZone}'`);
  const dateOk = isValidLocalDate(schedule.date);
  const timeOk = isValidLocalTime(schedule.time);
  if (!dateOk) problems.push(`date: ${formatLocalDate(schedule.date)} is not a calendar date (YYYY-MM-DD)`);
  if (!timeOk) problems.push('time: must be a time of day HH:MM (00:00–23:59)');
  if (dateOk && timeOk && latestLocalInstantMs(schedule.date, schedule.time) < nowMs)
    problems.push(
      `date: ${formatLocalTime(schedule.time)} on ${formatLocalDate(schedule.date)} has passed in every time zone`,
    );
  return problems;
}

function validateRecurringSchedule(
  schedule: Extract<CampaignSchedule, { kind: 'recurring' }>,
  nowMs: number,
): string[] {
  const problems: string[] = [];
  if (!isValidTimeZone(schedule.timeZone)) problems.push(`timeZone: unknown time zone '${schedule.timeZone}'`);
  if (!isValidLocalTime(schedule.time)) problems.push('time: must be a time of day HH:MM (00:00–23:59)');
  if (!isValidLocalDate(schedule.startDate))
    problems.push(`startDate: ${formatLocalDate(schedule.startDate)} is not a calendar date (YYYY-MM-DD)`);
  if (schedule.endDate !== undefined) {
    if (!isValidLocalDate(schedule.endDate))
      problems.push(`endDate: ${formatLocalDate(schedule.endDate)} is not a calendar date (YYYY-MM-DD)`);
    else if (isValidLocalDate(schedule.startDate) && compareDates(schedule.endDate, schedule.startDate) < 0)
      problems.push(
        `endDate: ${formatLocalDate(schedule.endDate)} is before startDate ${formatLocalDate(schedule.startDate)}`,
      );
  }
  if (schedule.count !== undefined && !(Number.isInteger(schedule.count) && schedule.count >= 1))
    problems.push(`count: must be a whole number of runs, at least 1, not ${String(schedule.count)}`);
  problems.push(...recurrenceProblems(schedule.recurrence));
  if (problems.length > 0) return problems;
  // Well-formed: does any run remain?
  if (firstRunAtMs(schedule, nowMs) === null) {
    problems.push(
      firstRunAtMs(schedule, Number.NEGATIVE_INFINITY) === null
        ? 'recurrence: no run falls between startDate and endDate'
        : `endDate: every run up to ${formatLocalDate(schedule.endDate ?? schedule.startDate)} is in the past`,
    );
  }
  return problems;
}

function recurrenceProblems(recurrence: Recurrence): string[] {
  switch (recurrence.every) {
    case 'day':
      return [];
    case 'week':
      return weekdayProblems('recurrence.weekdays', recurrence.weekdays);
    case 'month':
      return isIntegerIn(recurrence.dayOfMonth, 1, 31)
        ? []
        : [`recurrence.dayOfMonth: must be a whole number from 1 to 31, not ${String(recurrence.dayOfMonth)}`];
    default:
      return [`recurrence.every: unknown recurrence '${String((recurrence as { every: unknown }).every)}'`];
  }
}

function weekdayProblems(field: string, weekdays: readonly Weekday[]): string[] {
  // Data from a request body may not be an array of known names, whatever the type says.
  const days: readonly unknown[] = Array.isArray(weekdays) ? weekdays : [];
  if (days.length === 0) return [`${field}: choose at least one weekday`];
  const unknown = days.filter((day) => !WEEKDAYS.some((known) => known === day));
  return unknown.length === 0
    ? []
    : [`${field}: unknown weekday ${unknown.map((day) => `'${String(day)}'`).join(', ')} (use ${WEEKDAYS.join(', ')})`];
}

/**
 * When the campaign's (first) run starts, or null when none remains.
 * - `now` → `nowMs`; `at` → `atMs` (in the past means overdue: start at once; validation refuses it up front).
 * - `localTime` → the EARLIEST instant any zone reaches that local time (UTC+14's), so that every recipient can be
 *   released at their own local time; null once even UTC−12 is past it.
 * - `recurring` → the first occurrence ≥ `nowMs` on or after `startDate` (and on or before `endDate`).
 */
export function firstRunAtMs(schedule: CampaignSchedule, nowMs: number): number | null {
  switch (schedule.kind) {
    case 'now':
      return nowMs;
    case 'at':
      return schedule.atMs;
    case 'localTime':
      return latestLocalInstantMs(schedule.date, schedule.time) < nowMs
        ? null
        : earliestLocalInstantMs(schedule.date, schedule.time);
    case 'recurring':
      return occurrenceFromMs(schedule, nowMs);
    default:
      return null;
  }
}

/**
 * The run after `previousRunAtMs` (strictly later), for a recurring schedule that has made `runsSoFar` runs; null
 * when `count` runs are done, `endDate` is passed, or the schedule does not recur. The result may be in the past
 * when the previous run was long ago: the caller decides between catching up and `firstRunAtMs(schedule, nowMs)`.
 */
export function nextRunAtMs(schedule: CampaignSchedule, previousRunAtMs: number, runsSoFar: number): number | null {
  if (schedule.kind !== 'recurring') return null;
  if (schedule.count !== undefined && runsSoFar >= schedule.count) return null;
  return occurrenceFromMs(schedule, previousRunAtMs + 1);
}

/**
 * When one recipient may be sent to in the run that started at `runAtMs`:
 * - `localTime` → the schedule's local time in the recipient's zone (the recipient's zone when valid, else
 *   `schedule.defaultTimeZone`, else UTC), but never before `runAtMs`;
 * - other kinds → `runAtMs`;
 * then moved by `nextAllowedAtMs` in the recipient's zone (the recipient's zone when valid, else
 * `fallbackTimeZone`, else UTC), so quiet hours and weekdays hold in RECIPIENT time.
 */
export function recipientReleaseAtMs(
  schedule: CampaignSchedule,
  runAtMs: number,
  recipientTimeZone: string | null,
  window: SendingWindow,
  fallbackTimeZone: string,
): number {
  let releaseAtMs = runAtMs;
  if (schedule.kind === 'localTime') {
    const zone = resolveTimeZone(recipientTimeZone, schedule.defaultTimeZone);
    releaseAtMs = Math.max(runAtMs, zonedTimeToUtcMs(zone, schedule.date, schedule.time));
  }
  return nextAllowedAtMs(releaseAtMs, resolveTimeZone(recipientTimeZone, fallbackTimeZone), window);
}

/** When the wall clock first shows `time` on `date` anywhere on Earth (UTC+14). */
function earliestLocalInstantMs(date: LocalDate, time: LocalTime): number {
  return daysFromCivil(date) * DAY_MS + time.hour * HOUR_MS + time.minute * MINUTE_MS - MAX_UTC_OFFSET_MS;
}

/** When the wall clock last shows `time` on `date` anywhere on Earth (UTC−12). */
function latestLocalInstantMs(date: LocalDate, time: LocalTime): number {
  return daysFromCivil(date) * DAY_MS + time.hour * HOUR_MS + time.minute * MINUTE_MS - MIN_UTC_OFFSET_MS;
}

/** The first occurrence at or after `fromMs` (and on or after `startDate`, on or before `endDate`), or null. */
function occurrenceFromMs(schedule: Extract<CampaignSchedule, { kind: 'recurring' }>, fromMs: number): number | null {
  const zone = resolveTimeZone(schedule.timeZone);
  // The day before `fromMs`'s local date: a time in a gap may be pushed past midnight into the next day.
  const fromDays = Number.isFinite(fromMs) ? daysFromCivil(zonedParts(fromMs, zone)) - 1 : Number.NEGATIVE_INFINITY;
  let days = Math.max(daysFromCivil(schedule.startDate), fromDays);
  const endDays = schedule.endDate === undefined ? Number.POSITIVE_INFINITY : daysFromCivil(schedule.endDate);
  for (let step = 0; step < MAX_RECURRENCE_STEPS; step++) {
    const matchDays = nextMatchingDays(schedule.recurrence, days);
    if (matchDays === null || matchDays > endDays) return null;
    const atMs = zonedTimeToUtcMs(zone, civilFromDays(matchDays), schedule.time);
    if (atMs >= fromMs) return atMs;
    days = matchDays + 1;
  }
  return null;
}

/** The first day (days since 1970-01-01) ≥ `days` that the recurrence falls on; null if it falls on none. */
function nextMatchingDays(recurrence: Recurrence, days: number): number | null {
  switch (recurrence.every) {
    case 'day':
      return days;
    case 'week': {
      if (!Array.isArray(recurrence.weekdays)) return null;
      for (let ahead = 0; ahead < 7; ahead++)
        if (recurrence.weekdays.includes(weekdayOfDays(days + ahead))) return days + ahead;
      return null;
    }
    case 'month': {
      if (!isIntegerIn(recurrence.dayOfMonth, 1, 31)) return null;
      const date = civilFromDays(days);
      const inMonth = daysFromCivil({
        ...date,
        day: Math.min(recurrence.dayOfMonth, daysInMonth(date.year, date.month)),
      });
      if (inMonth >= days) return inMonth;
      const next = date.month === 12 ? { year: date.year + 1, month: 1 } : { year: date.year, month: date.month + 1 };
      return daysFromCivil({ ...next, day: Math.min(recurrence.dayOfMonth, daysInMonth(next.year, next.month)) });
    }
    default:
      return null;
  }
}

// ---- calendar arithmetic (proleptic Gregorian, no Date) ----

/** Days since 1970-01-01 (H. Hinnant, "chrono-compatible low-level date algorithms"). */
function daysFromCivil(date: { readonly year: number; readonly month: number; readonly day: number }): number {
  const y = date.month <= 2 ? date.year - 1 : date.year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = (date.month + 9) % 12;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + date.day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function civilFromDays(days: number): LocalDate {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  return { year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

function weekdayOf(date: LocalDate): Weekday {
  return weekdayOfDays(daysFromCivil(date));
}

/** 1970-01-01 was a Thursday. */
function weekdayOfDays(days: number): Weekday {
  return WEEKDAYS[floorMod(days + 3, 7)] ?? 'mon';
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function compareDates(a: LocalDate, b: LocalDate): number {
  return daysFromCivil(a) - daysFromCivil(b);
}

function minuteOfDayOf(time: LocalTime): number {
  return time.hour * 60 + time.minute;
}

function floorMod(value: number, divisor: number): number {
  return ((value % divisor) + divisor) % divisor;
}

function isIntegerIn(value: number, min: number, max: number): boolean {
  return Number.isInteger(value) && value >= min && value <= max;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function isoOf(atMs: number): string {
  return new Date(atMs).toISOString();
}
