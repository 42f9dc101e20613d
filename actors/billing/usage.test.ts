import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addDays,
  addUsage,
  chargeCell,
  dayOf,
  groupUsage,
  mergeDays,
  parseUsageKey,
  usageKey,
  type UsageDays,
  type UsageFacts,
} from './usage.ts';

const DE: UsageFacts = { category: 'marketing', country: 'DE', phoneNumberId: '1001', campaignId: null };
const ES_CAMPAIGN: UsageFacts = { category: 'utility', country: 'ES', phoneNumberId: '1002', campaignId: 'cmp|1' };

function days(): UsageDays {
  let d: UsageDays = {};
  d = addUsage(d, '2026-01-01', usageKey(DE), chargeCell(100));
  d = addUsage(d, '2026-01-01', usageKey(DE), chargeCell(100));
  d = addUsage(d, '2026-01-01', usageKey(ES_CAMPAIGN), chargeCell(0));
  d = addUsage(d, '2026-01-02', usageKey(ES_CAMPAIGN), chargeCell(50));
  d = addUsage(d, '2026-01-03', usageKey(DE), chargeCell(7));
  return d;
}

describe('usage keys', () => {
  it('round-trip, a campaign id containing the separator too', () => {
    expect(parseUsageKey(usageKey(DE))).toEqual(DE);
    expect(parseUsageKey(usageKey(ES_CAMPAIGN))).toEqual(ES_CAMPAIGN);
    fc.assert(
      fc.property(fc.option(fc.string(), { nil: null }), (campaignId) => {
        const facts = { ...DE, campaignId: campaignId === '' ? null : campaignId };
        expect(parseUsageKey(usageKey(facts))).toEqual(facts);
      }),
    );
  });
});

describe('days', () => {
  it.each([
    [Date.UTC(2026, 0, 31, 23, 59, 59, 999), '2026-01-31'],
    [Date.UTC(2026, 1, 1), '2026-02-01'],
  ])('dayOf(%d) = %s (UTC)', (ms, day) => {
    expect(dayOf(ms)).toBe(day);
  });

  it('addDays crosses months and years', () => {
    expect(addDays('2026-01-31', 1)).toBe('2026-02-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
  });
});

describe('groupUsage', () => {
  const cases: [string, Parameters<typeof groupUsage>[3], unknown[]][] = [
    ['nothing: one total row', [], [{ messageCount: 5, billableCount: 4, amountMicros: 257 }]],
    [
      'day',
      ['day'],
      [
        { day: '2026-01-01', messageCount: 3, billableCount: 2, amountMicros: 200 },
        { day: '2026-01-02', messageCount: 1, billableCount: 1, amountMicros: 50 },
        { day: '2026-01-03', messageCount: 1, billableCount: 1, amountMicros: 7 },
      ],
    ],
    [
      'category',
      ['category'],
      [
        { category: 'marketing', messageCount: 3, billableCount: 3, amountMicros: 207 },
        { category: 'utility', messageCount: 2, billableCount: 1, amountMicros: 50 },
      ],
    ],
    [
      'country',
      ['country'],
      [
        { country: 'DE', messageCount: 3, billableCount: 3, amountMicros: 207 },
        { country: 'ES', messageCount: 2, billableCount: 1, amountMicros: 50 },
      ],
    ],
    [
      'number',
      ['number'],
      [
        { phoneNumberId: '1001', messageCount: 3, billableCount: 3, amountMicros: 207 },
        { phoneNumberId: '1002', messageCount: 2, billableCount: 1, amountMicros: 50 },
      ],
    ],
    [
      'campaign (none first)',
      ['campaign'],
      [
        { campaignId: null, messageCount: 3, billableCount: 3, amountMicros: 207 },
        { campaignId: 'cmp|1', messageCount: 2, billableCount: 1, amountMicros: 50 },
      ],
    ],
    [
      'day and country',
      ['day', 'country'],
      [
        { day: '2026-01-01', country: 'DE', messageCount: 2, billableCount: 2, amountMicros: 200 },
        { day: '2026-01-01', country: 'ES', messageCount: 1, billableCount: 0, amountMicros: 0 },
        { day: '2026-01-02', country: 'ES', messageCount: 1, billableCount: 1, amountMicros: 50 },
        { day: '2026-01-03', country: 'DE', messageCount: 1, billableCount: 1, amountMicros: 7 },
      ],
    ],
  ];

  it.each(cases)('groups by %s', (_name, groupBy, rows) => {
    const result = groupUsage(days(), '2026-01-01', '2026-01-31', groupBy);
    expect(groupBy.length === 0 ? [{ ...result.total }] : result.rows).toEqual(rows);
    expect(result.total).toEqual({ messageCount: 5, billableCount: 4, amountMicros: 257 });
  });

  it('keeps only the days of the range (inclusive)', () => {
    const { rows, total } = groupUsage(days(), '2026-01-02', '2026-01-02', ['day']);
    expect(rows).toEqual([{ day: '2026-01-02', messageCount: 1, billableCount: 1, amountMicros: 50 }]);
    expect(total.amountMicros).toBe(50);
  });

  it('the rows always add up to the total', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            day: fc.integer({ min: 1, max: 9 }),
            category: fc.constantFrom<UsageFacts['category']>('marketing', 'utility', 'authentication'),
            country: fc.constantFrom('DE', 'ES', 'other'),
            number: fc.constantFrom('1', '2'),
            amount: fc.integer({ min: 0, max: 200_000 }),
          }),
        ),
        fc.subarray(['day', 'category', 'country', 'number', 'campaign'] as const),
        (charges, groupBy) => {
          let d: UsageDays = {};
          for (const c of charges) {
            const key = usageKey({
              category: c.category,
              country: c.country,
              phoneNumberId: c.number,
              campaignId: null,
            });
            d = addUsage(d, `2026-01-0${c.day}`, key, chargeCell(c.amount));
          }
          const { rows, total } = groupUsage(d, '2026-01-01', '2026-01-09', groupBy);
          expect(rows.reduce((s, r) => s + r.amountMicros, 0)).toBe(total.amountMicros);
          expect(rows.reduce((s, r) => s + r.messageCount, 0)).toBe(charges.length);
        },
      ),
    );
  });
});

describe('mergeDays', () => {
  it('takes a day from the first set that has it', () => {
    const a: UsageDays = { '2026-01-01': { k: [1, 1, 1] } };
    const b: UsageDays = { '2026-01-01': { k: [9, 9, 9] }, '2026-01-02': { k: [2, 2, 2] } };
    expect(mergeDays(a, b)).toEqual({ '2026-01-01': { k: [1, 1, 1] }, '2026-01-02': { k: [2, 2, 2] } });
  });
});
