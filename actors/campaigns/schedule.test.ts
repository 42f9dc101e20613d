import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SENDING_WINDOW,
  WEEKDAYS,
  firstRunAtMs,
  formatLocalDate,
  formatLocalTime,
  isInsideSendingWindow,
  isValidTimeZone,
  nextAllowedAtMs,
  nextRunAtMs,
  parseLocalDate,
  parseLocalTime,
  recipientReleaseAtMs,
  validateSchedule,
  validateSendingWindow,
  zonedParts,
  zonedTimeToUtcMs,
  type CampaignSchedule,
  type LocalDate,
  type LocalTime,
  type Recurrence,
  type SendingWindow,
  type Weekday,
} from './schedule.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** An instant from UTC fields, month 1–12. */
function utc(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): number {
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

function date(text: string): LocalDate {
  const parsed = parseLocalDate(text);
  if (parsed === null) throw new Error(`test bug: bad date ${text}`);
  return parsed;
}

function time(text: string): LocalTime {
  const parsed = parseLocalTime(text);
  if (parsed === null) throw new Error(`test bug: bad time ${text}`);
  return parsed;
}

/** The wall clock at `atMs` in `zone` as `YYYY-MM-DD HH:MM:SS ddd`, for readable assertions. */
function wall(atMs: number, zone: string): string {
  const p = zonedParts(atMs, zone);
  return `${formatLocalDate(p)} ${formatLocalTime(p)}:${String(p.second).padStart(2, '0')} ${p.weekday}`;
}

function quiet(start: string, end: string, weekdays: readonly Weekday[] = WEEKDAYS): SendingWindow {
  return { quietHours: { start: time(start), end: time(end) }, weekdays };
}

const ROME = 'Europe/Rome';
const NEW_YORK = 'America/New_York';
const TOKYO = 'Asia/Tokyo';
const KOLKATA = 'Asia/Kolkata';
const KATHMANDU = 'Asia/Kathmandu';
const WORKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];

describe('parsing', () => {
  it.each([
    ['09:00', { hour: 9, minute: 0 }],
    ['00:00', { hour: 0, minute: 0 }],
    ['23:59', { hour: 23, minute: 59 }],
    ['24:00', null],
    ['12:60', null],
    ['9:00', null],
    ['09:00:00', null],
    [' 09:00', null],
    ['', null],
  ])('parseLocalTime(%j) → %j', (text, expected) => {
    expect(parseLocalTime(text)).toEqual(expected);
  });

  it.each([
    ['2026-03-29', { year: 2026, month: 3, day: 29 }],
    ['2028-02-29', { year: 2028, month: 2, day: 29 }],
    ['2000-02-29', { year: 2000, month: 2, day: 29 }],
    ['2026-02-29', null],
    ['1900-02-29', null],
    ['2026-04-31', null],
    ['2026-13-01', null],
    ['2026-00-10', null],
    ['2026-3-29', null],
    ['29/03/2026', null],
  ])('parseLocalDate(%j) → %j', (text, expected) => {
    expect(parseLocalDate(text)).toEqual(expected);
  });

  it('formats back to the parsed text', () => {
    expect(formatLocalDate(date('2026-03-09'))).toBe('2026-03-09');
    expect(formatLocalTime(time('07:05'))).toBe('07:05');
  });
});

describe('time zones', () => {
  it.each([
    [ROME, true],
    [KATHMANDU, true],
    ['UTC', true],
    ['Pacific/Kiritimati', true],
    ['Mars/Olympus', false],
    ['', false],
    ['Europe/', false],
  ])('isValidTimeZone(%j) → %j', (zone, expected) => {
    expect(isValidTimeZone(zone)).toBe(expected);
  });

  it('reads the wall clock and weekday of an instant', () => {
    expect(zonedParts(utc(2026, 3, 29, 0, 59, 59), ROME)).toEqual({
      year: 2026,
      month: 3,
      day: 29,
      hour: 1,
      minute: 59,
      second: 59,
      weekday: 'sun',
    });
    expect(wall(utc(2026, 3, 29, 1), ROME)).toBe('2026-03-29 03:00:00 sun'); // spring forward
    expect(wall(utc(2026, 3, 29, 4, 15), KATHMANDU)).toBe('2026-03-29 10:00:00 sun');
    expect(wall(utc(2026, 3, 29, 15), TOKYO)).toBe('2026-03-30 00:00:00 mon'); // midnight is 00, never 24
    expect(wall(utc(1970, 1, 1), 'UTC')).toBe('1970-01-01 00:00:00 thu');
    expect(wall(utc(1969, 12, 31, 23, 59, 59), 'UTC')).toBe('1969-12-31 23:59:59 wed');
  });

  it('reads an unknown zone as UTC instead of throwing', () => {
    expect(zonedParts(utc(2026, 3, 29, 10), 'Mars/Olympus')).toEqual(zonedParts(utc(2026, 3, 29, 10), 'UTC'));
  });
});

describe('zonedTimeToUtcMs', () => {
  it.each([
    // Europe/Rome, spring forward 2026-03-29 02:00 CET → 03:00 CEST (01:00Z)
    [ROME, '2026-03-28', '10:00', utc(2026, 3, 28, 9), 'the day before, CET'],
    [ROME, '2026-03-29', '01:59', utc(2026, 3, 29, 0, 59), 'last minute before the gap'],
    [ROME, '2026-03-29', '02:00', utc(2026, 3, 29, 1), 'gap start → 03:00 CEST'],
    [ROME, '2026-03-29', '02:30', utc(2026, 3, 29, 1, 30), 'in the gap → moved forward by 1 h, 03:30 CEST'],
    [ROME, '2026-03-29', '03:00', utc(2026, 3, 29, 1), 'first minute after the gap'],
    [ROME, '2026-03-29', '10:00', utc(2026, 3, 29, 8), 'the same day, CEST'],
    // Europe/Rome, fall back 2026-10-25 03:00 CEST → 02:00 CET (01:00Z)
    [ROME, '2026-10-25', '01:59', utc(2026, 10, 24, 23, 59), 'before the overlap'],
    [ROME, '2026-10-25', '02:00', utc(2026, 10, 25, 0), 'overlap start → the earlier, CEST'],
    [ROME, '2026-10-25', '02:30', utc(2026, 10, 25, 0, 30), 'in the overlap → the earlier, CEST'],
    [ROME, '2026-10-25', '02:59', utc(2026, 10, 25, 0, 59), 'last overlap minute → the earlier'],
    [ROME, '2026-10-25', '03:00', utc(2026, 10, 25, 2), 'after the overlap, CET'],
    // America/New_York, spring forward 2026-03-08 02:00 EST → 03:00 EDT (07:00Z)
    [NEW_YORK, '2026-03-08', '01:59', utc(2026, 3, 8, 6, 59), 'EST'],
    [NEW_YORK, '2026-03-08', '02:30', utc(2026, 3, 8, 7, 30), 'in the gap → 03:30 EDT'],
    [NEW_YORK, '2026-03-08', '03:00', utc(2026, 3, 8, 7), 'EDT'],
    // America/New_York, fall back 2026-11-01 02:00 EDT → 01:00 EST (06:00Z)
    [NEW_YORK, '2026-11-01', '00:59', utc(2026, 11, 1, 4, 59), 'EDT'],
    [NEW_YORK, '2026-11-01', '01:30', utc(2026, 11, 1, 5, 30), 'in the overlap → the earlier, EDT'],
    [NEW_YORK, '2026-11-01', '02:00', utc(2026, 11, 1, 7), 'EST'],
    // Zones without DST, odd offsets, a 30-minute DST change, an unknown zone
    [TOKYO, '2026-03-29', '10:00', utc(2026, 3, 29, 1), '+09:00'],
    [KOLKATA, '2026-03-29', '10:00', utc(2026, 3, 29, 4, 30), '+05:30'],
    [KATHMANDU, '2026-03-29', '10:00', utc(2026, 3, 29, 4, 15), '+05:45'],
    ['Australia/Lord_Howe', '2026-10-04', '02:15', utc(2026, 10, 3, 15, 45), '30-min gap → 02:45 +11:00'],
    ['UTC', '2026-03-29', '10:00', utc(2026, 3, 29, 10), 'UTC'],
    ['Mars/Olympus', '2026-03-29', '10:00', utc(2026, 3, 29, 10), 'unknown zone → UTC'],
  ])('%s %s %s → %d (%s)', (zone, day, at, expected) => {
    expect(zonedTimeToUtcMs(zone, date(day), time(at))).toBe(expected);
  });

  it('the overlap has two instants reading the same time; the earlier one is chosen', () => {
    expect(wall(utc(2026, 10, 25, 0, 30), ROME)).toBe('2026-10-25 02:30:00 sun');
    expect(wall(utc(2026, 10, 25, 1, 30), ROME)).toBe('2026-10-25 02:30:00 sun');
    expect(zonedTimeToUtcMs(ROME, date('2026-10-25'), time('02:30'))).toBe(utc(2026, 10, 25, 0, 30));
  });
});

describe('sending window', () => {
  // 2026-06-10 is a Wednesday; Rome is on CEST (UTC+2).
  it('allows 20:59:59 and refuses 21:00:00 local (quiet hours 21:00–09:00)', () => {
    expect(isInsideSendingWindow(utc(2026, 6, 10, 18, 59, 59), ROME, DEFAULT_SENDING_WINDOW)).toBe(true);
    expect(isInsideSendingWindow(utc(2026, 6, 10, 19), ROME, DEFAULT_SENDING_WINDOW)).toBe(false);
    expect(nextAllowedAtMs(utc(2026, 6, 10, 18, 59, 59), ROME, DEFAULT_SENDING_WINDOW)).toBe(
      utc(2026, 6, 10, 18, 59, 59),
    );
    expect(nextAllowedAtMs(utc(2026, 6, 10, 19), ROME, DEFAULT_SENDING_WINDOW)).toBe(utc(2026, 6, 11, 7));
  });

  it.each([
    // [label, local wall clock of the input, window, expected wall clock of the result]
    ['wrapping: evening → next morning', utc(2026, 6, 10, 21, 30), quiet('21:00', '09:00'), '2026-06-11 09:00:00 thu'],
    [
      'wrapping: after midnight → same morning',
      utc(2026, 6, 10, 0),
      quiet('21:00', '09:00'),
      '2026-06-10 09:00:00 wed',
    ],
    ['wrapping: 08:59:59 → 09:00', utc(2026, 6, 10, 6, 59, 59), quiet('21:00', '09:00'), '2026-06-10 09:00:00 wed'],
    ['wrapping: 09:00 is allowed', utc(2026, 6, 10, 7), quiet('21:00', '09:00'), '2026-06-10 09:00:00 wed'],
    ['not wrapping: lunch → 14:00', utc(2026, 6, 10, 10, 30), quiet('12:00', '14:00'), '2026-06-10 14:00:00 wed'],
    ['not wrapping: 11:59 allowed', utc(2026, 6, 10, 9, 59), quiet('12:00', '14:00'), '2026-06-10 11:59:00 wed'],
    ['not wrapping: 23:00 allowed', utc(2026, 6, 10, 21), quiet('12:00', '14:00'), '2026-06-10 23:00:00 wed'],
    ['start = end: no quiet hours', utc(2026, 6, 10, 1), quiet('09:00', '09:00'), '2026-06-10 03:00:00 wed'],
    ['no quiet hours at all', utc(2026, 6, 10, 1), { quietHours: null, weekdays: WEEKDAYS }, '2026-06-10 03:00:00 wed'],
  ])('%s', (_label, atMs, window, expected) => {
    expect(wall(nextAllowedAtMs(atMs, ROME, window), ROME)).toBe(expected);
  });

  it('weekdays only (mon–fri) push a Saturday release to Monday 09:00 local, across the DST change', () => {
    const window = quiet('21:00', '09:00', WORKDAYS);
    const saturday = utc(2026, 3, 28, 10); // 11:00 CET
    expect(wall(saturday, ROME)).toBe('2026-03-28 11:00:00 sat');
    const released = nextAllowedAtMs(saturday, ROME, window);
    expect(released).toBe(utc(2026, 3, 30, 7)); // 09:00 CEST
    expect(wall(released, ROME)).toBe('2026-03-30 09:00:00 mon');
    // Friday evening after 21:00 also lands on Monday 09:00.
    expect(nextAllowedAtMs(utc(2026, 3, 27, 20, 30), ROME, window)).toBe(utc(2026, 3, 30, 7));
  });

  it('weekdays without quiet hours open at local midnight', () => {
    const window: SendingWindow = { quietHours: null, weekdays: WORKDAYS };
    expect(wall(nextAllowedAtMs(utc(2026, 3, 28, 10), NEW_YORK, window), NEW_YORK)).toBe('2026-03-30 00:00:00 mon');
  });

  it('an empty weekday list means every day', () => {
    const window: SendingWindow = { quietHours: null, weekdays: [] };
    expect(nextAllowedAtMs(utc(2026, 3, 28, 10), ROME, window)).toBe(utc(2026, 3, 28, 10));
  });

  it('finds a one-minute window on the only allowed weekday', () => {
    const window = quiet('09:01', '09:00', ['sun']); // allowed 09:00–09:00:59 on Sundays only
    const released = nextAllowedAtMs(utc(2026, 3, 23, 12), ROME, window); // a Monday
    expect(wall(released, ROME)).toBe('2026-03-29 09:00:00 sun'); // DST day
    expect(isInsideSendingWindow(released + 59_999, ROME, window)).toBe(true);
    expect(isInsideSendingWindow(released + MINUTE, ROME, window)).toBe(false);
  });

  it.each([
    // [label, zone, input, window, expected instant]
    [
      'Rome spring forward: 01:30 CET → 09:00 CEST',
      ROME,
      utc(2026, 3, 29, 0, 30),
      DEFAULT_SENDING_WINDOW,
      utc(2026, 3, 29, 7),
    ],
    [
      'Rome fall back: 02:30 CEST → 09:00 CET',
      ROME,
      utc(2026, 10, 25, 0, 30),
      DEFAULT_SENDING_WINDOW,
      utc(2026, 10, 25, 8),
    ],
    [
      'Rome fall back: the second 02:30 (CET) → 09:00 CET',
      ROME,
      utc(2026, 10, 25, 1, 30),
      DEFAULT_SENDING_WINDOW,
      utc(2026, 10, 25, 8),
    ],
    [
      'New York spring forward: 01:00 EST → 09:00 EDT',
      NEW_YORK,
      utc(2026, 3, 8, 6),
      DEFAULT_SENDING_WINDOW,
      utc(2026, 3, 8, 13),
    ],
    [
      'New York fall back: 01:30 EDT → 09:00 EST',
      NEW_YORK,
      utc(2026, 11, 1, 5, 30),
      DEFAULT_SENDING_WINDOW,
      utc(2026, 11, 1, 14),
    ],
    // Quiet hours end inside the gap: the clock jumps from 02:00 to 03:00, which is already allowed.
    [
      'quiet end in the gap → the instant of the jump',
      ROME,
      utc(2026, 3, 29, 0, 30),
      quiet('00:00', '02:30'),
      utc(2026, 3, 29, 1),
    ],
    // The clock falls back from 02:00 EDT to 01:00 EST, out of quiet hours 01:30–02:30 and into allowed time.
    [
      'fall back leaves quiet hours early',
      NEW_YORK,
      utc(2026, 11, 1, 5, 45),
      quiet('01:30', '02:30'),
      utc(2026, 11, 1, 6),
    ],
    // An allowed hour that the gap swallows: the next one is a day later.
    [
      'allowed hour swallowed by the gap',
      NEW_YORK,
      utc(2026, 3, 8, 6, 30),
      quiet('03:00', '02:00'),
      utc(2026, 3, 9, 6),
    ],
  ])('%s', (_label, zone, atMs, window, expected) => {
    expect(nextAllowedAtMs(atMs, zone, window)).toBe(expected);
  });

  it('the fall-back result reads 01:00 EST, the first allowed wall time', () => {
    expect(wall(utc(2026, 11, 1, 6), NEW_YORK)).toBe('2026-11-01 01:00:00 sun');
    expect(isInsideSendingWindow(utc(2026, 11, 1, 6) - 1, NEW_YORK, quiet('01:30', '02:30'))).toBe(false);
  });

  it('reads an unknown zone as UTC', () => {
    expect(nextAllowedAtMs(utc(2026, 6, 10, 22), 'Mars/Olympus', DEFAULT_SENDING_WINDOW)).toBe(utc(2026, 6, 11, 9));
  });

  it.each([
    [DEFAULT_SENDING_WINDOW, []],
    [quiet('09:00', '09:00'), ['quietHours: start and end are equal; use no quiet hours instead']],
    [{ quietHours: null, weekdays: [] }, ['weekdays: choose at least one weekday']],
    [
      { quietHours: { start: { hour: 24, minute: 0 }, end: { hour: 9, minute: 60 } }, weekdays: ['mon', 'sab'] },
      [
        'quietHours.start: must be a time of day HH:MM (00:00–23:59)',
        'quietHours.end: must be a time of day HH:MM (00:00–23:59)',
        "weekdays: unknown weekday 'sab' (use mon, tue, wed, thu, fri, sat, sun)",
      ],
    ],
  ])('validateSendingWindow(%j) → %j', (window, expected) => {
    expect(validateSendingWindow(window as SendingWindow)).toEqual(expected);
  });
});

describe('localTime campaigns', () => {
  const rome10: CampaignSchedule = {
    kind: 'localTime',
    date: date('2026-03-29'), // Europe's DST day
    time: time('10:00'),
    defaultTimeZone: ROME,
  };
  const runAtMs = utc(2026, 3, 28, 20); // 10:00 in UTC+14

  it('starts its run when UTC+14 reaches the local time', () => {
    expect(firstRunAtMs(rome10, utc(2026, 3, 1))).toBe(runAtMs);
    expect(zonedTimeToUtcMs('Pacific/Kiritimati', date('2026-03-29'), time('10:00'))).toBe(runAtMs);
    // Overdue but not yet passed in UTC−12: the run is due at once (the value is in the past).
    expect(firstRunAtMs(rome10, utc(2026, 3, 29, 22))).toBe(runAtMs);
    // Passed everywhere (UTC−12 reached 10:00 at 22:00Z): none remains.
    expect(firstRunAtMs(rome10, utc(2026, 3, 29, 22, 0, 1))).toBeNull();
  });

  it.each([
    [ROME, utc(2026, 3, 29, 8)], // CEST since 01:00Z
    [NEW_YORK, utc(2026, 3, 29, 14)], // EDT since 03-08
    [TOKYO, utc(2026, 3, 29, 1)],
    [KOLKATA, utc(2026, 3, 29, 4, 30)],
    [KATHMANDU, utc(2026, 3, 29, 4, 15)],
    ['Pacific/Kiritimati', runAtMs],
    ['Pacific/Pago_Pago', utc(2026, 3, 29, 21)], // UTC−11
  ])('releases a %s recipient at their own 10:00 on the DST day', (zone, expected) => {
    const released = recipientReleaseAtMs(rome10, runAtMs, zone, DEFAULT_SENDING_WINDOW, ROME);
    expect(released).toBe(expected);
    expect(wall(released, zone)).toBe('2026-03-29 10:00:00 sun');
  });

  it.each([
    [NEW_YORK, utc(2026, 3, 8, 14)], // EDT from 07:00Z that morning
    [ROME, utc(2026, 3, 8, 9)], // still CET
    [TOKYO, utc(2026, 3, 8, 1)],
  ])('releases a %s recipient at 10:00 local on the US DST day', (zone, expected) => {
    const schedule: CampaignSchedule = { ...rome10, date: date('2026-03-08') };
    const run = firstRunAtMs(schedule, utc(2026, 3, 1)) ?? Number.NaN;
    expect(recipientReleaseAtMs(schedule, run, zone, DEFAULT_SENDING_WINDOW, ROME)).toBe(expected);
  });

  it('uses defaultTimeZone for the local time of recipients without a valid zone', () => {
    expect(recipientReleaseAtMs(rome10, runAtMs, null, DEFAULT_SENDING_WINDOW, ROME)).toBe(utc(2026, 3, 29, 8));
    expect(recipientReleaseAtMs(rome10, runAtMs, 'Mars/Olympus', DEFAULT_SENDING_WINDOW, ROME)).toBe(
      utc(2026, 3, 29, 8),
    );
  });

  it('checks their sending window in fallbackTimeZone (10:00 Rome is 08:00 UTC, quiet until 09:00 UTC)', () => {
    expect(recipientReleaseAtMs(rome10, runAtMs, null, DEFAULT_SENDING_WINDOW, 'UTC')).toBe(utc(2026, 3, 29, 9));
    expect(recipientReleaseAtMs(rome10, runAtMs, null, DEFAULT_SENDING_WINDOW, 'Mars/Olympus')).toBe(
      utc(2026, 3, 29, 9),
    );
  });

  it('applies quiet hours in the recipient zone (22:00 local → 09:00 next day local)', () => {
    const late: CampaignSchedule = { ...rome10, time: time('22:00') };
    const run = firstRunAtMs(late, utc(2026, 3, 1)) ?? Number.NaN;
    expect(wall(recipientReleaseAtMs(late, run, TOKYO, DEFAULT_SENDING_WINDOW, ROME), TOKYO)).toBe(
      '2026-03-30 09:00:00 mon',
    );
    expect(wall(recipientReleaseAtMs(late, run, NEW_YORK, DEFAULT_SENDING_WINDOW, ROME), NEW_YORK)).toBe(
      '2026-03-30 09:00:00 mon',
    );
  });

  it('a time in the recipient’s DST gap is moved forward by the gap', () => {
    const inGap: CampaignSchedule = { ...rome10, time: time('02:30') };
    const run = firstRunAtMs(inGap, utc(2026, 3, 1)) ?? Number.NaN;
    const noQuiet: SendingWindow = { quietHours: null, weekdays: WEEKDAYS };
    expect(wall(recipientReleaseAtMs(inGap, run, ROME, noQuiet, ROME), ROME)).toBe('2026-03-29 03:30:00 sun');
  });

  it('never releases before the run starts (a run started late)', () => {
    const lateRunAtMs = utc(2026, 3, 29, 6); // Tokyo's 10:00 (01:00Z) has passed
    expect(recipientReleaseAtMs(rome10, lateRunAtMs, TOKYO, DEFAULT_SENDING_WINDOW, ROME)).toBe(lateRunAtMs);
    expect(recipientReleaseAtMs(rome10, lateRunAtMs, ROME, DEFAULT_SENDING_WINDOW, ROME)).toBe(utc(2026, 3, 29, 8));
  });
});

describe('now and at', () => {
  const nowMs = utc(2026, 3, 28, 10);

  it('runs now, or at the instant', () => {
    expect(firstRunAtMs({ kind: 'now' }, nowMs)).toBe(nowMs);
    expect(firstRunAtMs({ kind: 'at', atMs: utc(2026, 4, 1, 8) }, nowMs)).toBe(utc(2026, 4, 1, 8));
    expect(nextRunAtMs({ kind: 'now' }, nowMs, 1)).toBeNull();
    expect(nextRunAtMs({ kind: 'at', atMs: nowMs }, nowMs, 1)).toBeNull();
  });

  it('releases each recipient at the run start moved into their own window, else the fallback zone’s', () => {
    const window = quiet('21:00', '09:00', WORKDAYS);
    const saturday = utc(2026, 3, 28, 10);
    expect(recipientReleaseAtMs({ kind: 'now' }, saturday, ROME, window, 'UTC')).toBe(utc(2026, 3, 30, 7));
    expect(recipientReleaseAtMs({ kind: 'now' }, saturday, null, window, NEW_YORK)).toBe(utc(2026, 3, 30, 13));
    expect(recipientReleaseAtMs({ kind: 'now' }, saturday, 'Mars/Olympus', window, 'UTC')).toBe(utc(2026, 3, 30, 9));
    const wednesday = utc(2026, 4, 1, 12);
    // 21:00 in Tokyo is quiet: Thursday 09:00 Tokyo.
    expect(recipientReleaseAtMs({ kind: 'at', atMs: wednesday }, wednesday, TOKYO, window, ROME)).toBe(
      utc(2026, 4, 2, 0),
    );
  });
});

describe('recurring campaigns', () => {
  function recurring(
    recurrence: Recurrence,
    at: string,
    zone: string,
    start: string,
    extra: { endDate?: LocalDate; count?: number } = {},
  ): CampaignSchedule {
    return { kind: 'recurring', recurrence, time: time(at), timeZone: zone, startDate: date(start), ...extra };
  }

  /** The first `n` runs from `nowMs`, following nextRunAtMs; stops at null. */
  function runs(schedule: CampaignSchedule, nowMs: number, n: number): (number | null)[] {
    const out: (number | null)[] = [];
    let at = firstRunAtMs(schedule, nowMs);
    while (out.length < n) {
      out.push(at);
      if (at === null) break;
      at = nextRunAtMs(schedule, at, out.length);
    }
    return out;
  }

  it('daily: 09:00 Rome before and after the spring-forward', () => {
    const daily = recurring({ every: 'day' }, '09:00', ROME, '2026-03-27');
    expect(runs(daily, utc(2026, 3, 27, 9), 4)).toEqual([
      utc(2026, 3, 28, 8), // 27th's 09:00 has passed (10:00 CET now)
      utc(2026, 3, 29, 7), // CEST
      utc(2026, 3, 30, 7),
      utc(2026, 3, 31, 7),
    ]);
  });

  it('daily: an occurrence exactly at now is the first run; a future startDate waits for it', () => {
    const daily = recurring({ every: 'day' }, '09:00', ROME, '2026-03-27');
    expect(firstRunAtMs(daily, utc(2026, 3, 27, 8))).toBe(utc(2026, 3, 27, 8));
    expect(firstRunAtMs(daily, utc(2026, 1, 1))).toBe(utc(2026, 3, 27, 8));
  });

  it('weekly mon/wed/fri 09:00 New York keeps 09:00 local across the US DST change', () => {
    const weekly = recurring({ every: 'week', weekdays: ['mon', 'wed', 'fri'] }, '09:00', NEW_YORK, '2026-03-01');
    const got = runs(weekly, utc(2026, 2, 20), 5);
    expect(got).toEqual([
      utc(2026, 3, 2, 14),
      utc(2026, 3, 4, 14),
      utc(2026, 3, 6, 14),
      utc(2026, 3, 9, 13), // EDT
      utc(2026, 3, 11, 13),
    ]);
    for (const at of got) expect(zonedParts(at ?? Number.NaN, NEW_YORK)).toMatchObject({ hour: 9, minute: 0 });
  });

  it('weekly on Sundays in Rome, across both European changes', () => {
    const weekly = recurring({ every: 'week', weekdays: ['sun'] }, '09:00', ROME, '2026-03-22');
    expect(runs(weekly, utc(2026, 3, 1), 3)).toEqual([utc(2026, 3, 22, 8), utc(2026, 3, 29, 7), utc(2026, 4, 5, 7)]);
    const autumn = recurring({ every: 'week', weekdays: ['sun'] }, '09:00', ROME, '2026-10-18');
    expect(runs(autumn, utc(2026, 10, 1), 2)).toEqual([utc(2026, 10, 18, 7), utc(2026, 10, 25, 8)]);
  });

  it('weekly at a time in the DST gap: moved forward on that day only', () => {
    const weekly = recurring({ every: 'week', weekdays: ['sun'] }, '02:30', ROME, '2026-03-29');
    const [first, second] = runs(weekly, utc(2026, 3, 1), 2);
    expect(wall(first ?? Number.NaN, ROME)).toBe('2026-03-29 03:30:00 sun');
    expect(wall(second ?? Number.NaN, ROME)).toBe('2026-04-05 02:30:00 sun');
  });

  it('monthly on day 31: the last day of shorter months (Feb 28), 10:00 Rome', () => {
    const monthly = recurring({ every: 'month', dayOfMonth: 31 }, '10:00', ROME, '2026-01-01');
    expect(runs(monthly, utc(2025, 12, 1), 5)).toEqual([
      utc(2026, 1, 31, 9),
      utc(2026, 2, 28, 9),
      utc(2026, 3, 31, 8), // CEST
      utc(2026, 4, 30, 8),
      utc(2026, 5, 31, 8),
    ]);
  });

  it('monthly on day 31 in a leap year: Feb 29', () => {
    const monthly = recurring({ every: 'month', dayOfMonth: 31 }, '10:00', 'UTC', '2028-02-01');
    expect(runs(monthly, utc(2028, 1, 1), 2)).toEqual([utc(2028, 2, 29, 10), utc(2028, 3, 31, 10)]);
  });

  it('monthly: a start after this month’s day waits for the next month', () => {
    const monthly = recurring({ every: 'month', dayOfMonth: 15 }, '10:00', 'UTC', '2026-01-20');
    expect(firstRunAtMs(monthly, utc(2026, 1, 1))).toBe(utc(2026, 2, 15, 10));
    const december = recurring({ every: 'month', dayOfMonth: 15 }, '10:00', 'UTC', '2026-12-20');
    expect(firstRunAtMs(december, utc(2026, 1, 1))).toBe(utc(2027, 1, 15, 10));
  });

  it('count stops it after that many runs', () => {
    const three = recurring({ every: 'day' }, '09:00', ROME, '2026-03-27', { count: 3 });
    expect(runs(three, utc(2026, 3, 1), 5)).toEqual([
      utc(2026, 3, 27, 8),
      utc(2026, 3, 28, 8),
      utc(2026, 3, 29, 7),
      null,
    ]);
    expect(nextRunAtMs(three, utc(2026, 3, 28, 8), 2)).toBe(utc(2026, 3, 29, 7));
    expect(nextRunAtMs(three, utc(2026, 3, 28, 8), 3)).toBeNull();
  });

  it('endDate (inclusive) stops it', () => {
    const until = recurring({ every: 'day' }, '09:00', ROME, '2026-03-27', { endDate: date('2026-03-29') });
    expect(runs(until, utc(2026, 3, 1), 5)).toEqual([
      utc(2026, 3, 27, 8),
      utc(2026, 3, 28, 8),
      utc(2026, 3, 29, 7),
      null,
    ]);
    expect(firstRunAtMs(until, utc(2026, 3, 29, 7, 0, 1))).toBeNull();
  });

  it('an unknown zone runs in UTC', () => {
    const daily = recurring({ every: 'day' }, '09:00', 'Mars/Olympus', '2026-03-27');
    expect(firstRunAtMs(daily, utc(2026, 3, 1))).toBe(utc(2026, 3, 27, 9));
  });

  it('releases each recipient at the run start, moved into their own window', () => {
    const daily = recurring({ every: 'day' }, '09:00', ROME, '2026-03-27');
    const run = utc(2026, 3, 30, 7); // 09:00 Rome, 03:00 New York, 16:00 Tokyo
    expect(recipientReleaseAtMs(daily, run, TOKYO, DEFAULT_SENDING_WINDOW, ROME)).toBe(run);
    expect(wall(recipientReleaseAtMs(daily, run, NEW_YORK, DEFAULT_SENDING_WINDOW, ROME), NEW_YORK)).toBe(
      '2026-03-30 09:00:00 mon',
    );
  });
});

describe('validateSchedule', () => {
  const nowMs = utc(2026, 3, 1, 12);
  const base = {
    kind: 'recurring',
    recurrence: { every: 'day' },
    time: { hour: 9, minute: 0 },
    timeZone: ROME,
    startDate: { year: 2026, month: 3, day: 2 },
  } as const;

  it.each<[string, CampaignSchedule]>([
    ['now', { kind: 'now' }],
    ['at, in the future', { kind: 'at', atMs: nowMs + 1 }],
    ['at, exactly now', { kind: 'at', atMs: nowMs }],
    ['localTime, future', { kind: 'localTime', date: date('2026-03-29'), time: time('10:00'), defaultTimeZone: ROME }],
    [
      'localTime, passed in Rome but not in UTC−12',
      { kind: 'localTime', date: date('2026-03-01'), time: time('23:00'), defaultTimeZone: ROME },
    ],
    ['recurring daily', base],
    ['recurring, start in the past', { ...base, startDate: date('2025-01-01') }],
    ['recurring weekly', { ...base, recurrence: { every: 'week', weekdays: ['mon'] }, count: 1 }],
    ['recurring monthly', { ...base, recurrence: { every: 'month', dayOfMonth: 31 }, endDate: date('2026-03-31') }],
  ])('accepts %s', (_label, schedule) => {
    expect(validateSchedule(schedule, nowMs)).toEqual([]);
  });

  it.each<[string, unknown, string[]]>([
    ['at in the past', { kind: 'at', atMs: nowMs - 1 }, ['atMs: 2026-03-01T11:59:59.999Z is in the past']],
    ['at not a number', { kind: 'at', atMs: Number.NaN }, ['atMs: must be a finite number of epoch milliseconds']],
    [
      'localTime passed in every zone',
      { kind: 'localTime', date: date('2026-02-28'), time: time('23:59'), defaultTimeZone: ROME },
      ['date: 23:59 on 2026-02-28 has passed in every time zone'],
    ],
    [
      'localTime with an unknown zone, a bad date and a bad time',
      {
        kind: 'localTime',
        date: { year: 2026, month: 2, day: 30 },
        time: { hour: 24, minute: 0 },
        defaultTimeZone: 'Mars/Olympus',
      },
      [
        "defaultTimeZone: unknown time zone 'Mars/Olympus'",
        'date: 2026-02-30 is not a calendar date (YYYY-MM-DD)',
        'time: must be a time of day HH:MM (00:00–23:59)',
      ],
    ],
    [
      'recurring, unknown zone',
      { ...base, timeZone: 'Europe/Atlantis' },
      ["timeZone: unknown time zone 'Europe/Atlantis'"],
    ],
    [
      'recurring, endDate before startDate',
      { ...base, endDate: date('2026-03-01') },
      ['endDate: 2026-03-01 is before startDate 2026-03-02'],
    ],
    ['recurring, count 0', { ...base, count: 0 }, ['count: must be a whole number of runs, at least 1, not 0']],
    ['recurring, count 1.5', { ...base, count: 1.5 }, ['count: must be a whole number of runs, at least 1, not 1.5']],
    [
      'recurring, no weekdays',
      { ...base, recurrence: { every: 'week', weekdays: [] } },
      ['recurrence.weekdays: choose at least one weekday'],
    ],
    [
      'recurring, unknown weekday',
      { ...base, recurrence: { every: 'week', weekdays: ['mon', 'funday'] } },
      ["recurrence.weekdays: unknown weekday 'funday' (use mon, tue, wed, thu, fri, sat, sun)"],
    ],
    [
      'recurring, dayOfMonth 0',
      { ...base, recurrence: { every: 'month', dayOfMonth: 0 } },
      ['recurrence.dayOfMonth: must be a whole number from 1 to 31, not 0'],
    ],
    [
      'recurring, dayOfMonth 32',
      { ...base, recurrence: { every: 'month', dayOfMonth: 32 } },
      ['recurrence.dayOfMonth: must be a whole number from 1 to 31, not 32'],
    ],
    [
      'recurring, every year',
      { ...base, recurrence: { every: 'year' } },
      ["recurrence.every: unknown recurrence 'year'"],
    ],
    [
      'recurring, bad dates',
      { ...base, startDate: { year: 2026, month: 2, day: 29 }, endDate: { year: 2026, month: 13, day: 1 } },
      [
        'startDate: 2026-02-29 is not a calendar date (YYYY-MM-DD)',
        'endDate: 2026-13-01 is not a calendar date (YYYY-MM-DD)',
      ],
    ],
    [
      'recurring, no run between startDate and endDate',
      // 2026-03-02 is a Monday; only Tuesdays are allowed.
      { ...base, recurrence: { every: 'week', weekdays: ['tue'] }, endDate: date('2026-03-02') },
      ['recurrence: no run falls between startDate and endDate'],
    ],
    [
      'recurring, every run in the past',
      { ...base, startDate: date('2026-02-01'), endDate: date('2026-02-28') },
      ['endDate: every run up to 2026-02-28 is in the past'],
    ],
    ['unknown kind', { kind: 'yearly' }, ["kind: unknown schedule kind 'yearly'"]],
  ])('refuses %s', (_label, schedule, expected) => {
    expect(validateSchedule(schedule as CampaignSchedule, nowMs)).toEqual(expected);
  });
});

describe('properties (seeded pseudo-random inputs)', () => {
  /** Numerical Recipes LCG: deterministic, so a failure reproduces. */
  function lcg(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
      state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
      return state / 2 ** 32;
    };
  }

  const ZONES = [
    ROME,
    NEW_YORK,
    TOKYO,
    KOLKATA,
    KATHMANDU,
    'UTC',
    'Australia/Lord_Howe', // 30-minute DST
    'America/Santiago', // DST changes at midnight
    'America/St_Johns', // −03:30 with DST
    'Pacific/Chatham', // +12:45 / +13:45
    'Pacific/Kiritimati',
    'Asia/Tehran',
  ];
  const WINDOWS: readonly SendingWindow[] = [
    DEFAULT_SENDING_WINDOW,
    quiet('12:00', '14:00'),
    quiet('21:00', '09:00', WORKDAYS),
    quiet('01:30', '02:30'),
    quiet('00:00', '03:00', ['sat', 'sun']),
    quiet('09:01', '09:00', ['wed']),
    { quietHours: null, weekdays: ['sun'] },
  ];
  /** DST changes of the zones above, as [zone, instant]: half the cases fall within ±2 days of one, in its zone. */
  const CHANGES: readonly (readonly [string, number])[] = [
    [ROME, utc(2026, 3, 29, 1)],
    [ROME, utc(2026, 10, 25, 1)],
    [NEW_YORK, utc(2026, 3, 8, 7)],
    [NEW_YORK, utc(2026, 11, 1, 6)],
    ['Australia/Lord_Howe', utc(2026, 4, 4, 15)],
    ['Australia/Lord_Howe', utc(2026, 10, 3, 15, 30)],
    ['America/Santiago', utc(2026, 4, 5, 3)],
    ['America/Santiago', utc(2026, 9, 6, 4)],
    ['America/St_Johns', utc(2026, 3, 8, 5, 30)],
    ['America/St_Johns', utc(2026, 11, 1, 4, 30)],
    ['Pacific/Chatham', utc(2026, 4, 4, 14)],
    ['Pacific/Chatham', utc(2026, 9, 26, 14)],
  ];
  const FROM = utc(2026, 1, 1);
  const SPAN = 2 * 365 * DAY;

  function pick<T>(random: () => number, list: readonly T[]): T {
    const item = list[Math.floor(random() * list.length)];
    if (item === undefined) throw new Error('test bug: empty list');
    return item;
  }

  /** An instant and a zone: anywhere in 2026–2027, or near one of the zone's DST changes. */
  function instantAndZone(random: () => number): readonly [number, string] {
    if (random() < 0.5) return [FROM + Math.floor(random() * SPAN), pick(random, ZONES)];
    const [zone, changeAtMs] = pick(random, CHANGES);
    return [changeAtMs + Math.floor((random() - 0.5) * 4 * DAY), zone];
  }

  /** Minute by minute: allowedness is constant within a UTC minute for zones whose offsets are whole minutes. */
  function bruteForceNextAllowed(atMs: number, zone: string, window: SendingWindow): number {
    if (isInsideSendingWindow(atMs, zone, window)) return atMs;
    for (let minute = Math.floor(atMs / MINUTE) + 1; minute < atMs / MINUTE + 9 * 24 * 60; minute++)
      if (isInsideSendingWindow(minute * MINUTE, zone, window)) return minute * MINUTE;
    throw new Error('no allowed minute within 9 days');
  }

  it('nextAllowedAtMs(x) ≥ x, is inside the window, and nothing allowed lies before it', () => {
    const random = lcg(20_260_329);
    for (let i = 0; i < 1500; i++) {
      const [atMs, zone] = instantAndZone(random);
      const window = pick(random, WINDOWS);
      const label = `case ${i}: ${new Date(atMs).toISOString()} ${zone} ${JSON.stringify(window)}`;
      const result = nextAllowedAtMs(atMs, zone, window);
      expect(result, label).toBeGreaterThanOrEqual(atMs);
      expect(isInsideSendingWindow(result, zone, window), label).toBe(true);
      if (result > atMs) expect(isInsideSendingWindow(result - 1, zone, window), label).toBe(false);
      if (isInsideSendingWindow(atMs, zone, window)) expect(result, label).toBe(atMs);
      if (i % 15 === 0) expect(result, label).toBe(bruteForceNextAllowed(atMs, zone, window));
    }
  });

  it('zonedTimeToUtcMs inverts zonedParts (to the minute; the earlier instant in an overlap)', () => {
    const random = lcg(7);
    for (let i = 0; i < 1500; i++) {
      const [atMs, zone] = instantAndZone(random);
      const parts = zonedParts(atMs, zone);
      const back = zonedTimeToUtcMs(zone, parts, parts);
      const label = `case ${i}: ${new Date(atMs).toISOString()} ${zone}`;
      expect(back, label).toBeLessThanOrEqual(Math.floor(atMs / MINUTE) * MINUTE);
      expect(back, label).toBeGreaterThan(atMs - 2 * HOUR);
      expect(zonedParts(back, zone), label).toMatchObject({ ...parts, second: 0 });
    }
  });

  it('recurring runs are strictly increasing and keep the local time (gap days aside)', () => {
    const random = lcg(31);
    for (let i = 0; i < 60; i++) {
      const zone = pick(random, ZONES);
      const at = { hour: Math.floor(random() * 24), minute: Math.floor(random() * 60) };
      const recurrence = pick<Recurrence>(random, [
        { every: 'day' },
        { every: 'week', weekdays: ['tue', 'sun'] },
        { every: 'month', dayOfMonth: 1 + Math.floor(random() * 31) },
      ]);
      const schedule: CampaignSchedule = {
        kind: 'recurring',
        recurrence,
        time: at,
        timeZone: zone,
        startDate: date('2026-01-01'),
      };
      let previous = firstRunAtMs(schedule, instantAndZone(random)[0]);
      for (let run = 1; run < 15 && previous !== null; run++) {
        const next = nextRunAtMs(schedule, previous, run);
        const label = `${zone} ${JSON.stringify(recurrence)} ${formatLocalTime(at)} after ${previous}`;
        expect(next, label).not.toBeNull();
        if (next === null) break;
        expect(next, label).toBeGreaterThan(previous);
        const parts = zonedParts(next, zone);
        // Only a time in a DST gap reads differently (moved forward by the gap).
        if (parts.hour !== at.hour || parts.minute !== at.minute)
          expect(zonedTimeToUtcMs(zone, parts, at), label).toBe(next);
        previous = next;
      }
    }
  });
});
