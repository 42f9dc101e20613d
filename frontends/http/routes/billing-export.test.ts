import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../../../actors/billing/wallet.messages.ts';
import {
  CSV_COLUMNS,
  LedgerExportWriter,
  csvField,
  csvRow,
  ledgerEntryView,
  microsToDecimal,
} from './billing-export.ts';

const T = Date.UTC(2026, 0, 2, 3, 4, 5);

function entry(overrides: Partial<LedgerEntry> = {}): LedgerEntry {
  return {
    seq: 7,
    id: 'e7',
    kind: 'charge',
    recordedAtMs: T,
    occurredAtMs: T - 1_000,
    amountMicros: 113_100,
    balanceAfterMicros: 886_900,
    shortfallMicros: 0,
    reference: 'msg_1',
    category: 'marketing',
    country: 'DE',
    phoneNumberId: '1065550001',
    conversationId: '1065550001.p49151',
    campaignId: null,
    rateCardVersion: 1,
    rule: 'marketing',
    by: null,
    note: null,
    ...overrides,
  };
}

describe('microsToDecimal', () => {
  it.each([
    [0, '0.000000'],
    [113_100, '0.113100'],
    [-113_100, '-0.113100'],
    [5_000_000, '5.000000'],
    [1_234_567_890_123, '1234567.890123'],
  ])('%d → %s', (micros, text) => {
    expect(microsToDecimal(micros)).toBe(text);
  });
});

describe('csvField', () => {
  it.each([
    ['plain', 'plain'],
    ['with, comma', '"with, comma"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['+1', "'+1"],
    ['@sum', "'@sum"],
    ['-2', "'-2"],
  ])('%j → %j', (value, text) => {
    expect(csvField(value)).toBe(text);
  });

  it('leaves numbers alone (a negative amount stays a number) and writes null as empty', () => {
    expect(csvField(-5, false)).toBe('-5');
    expect(csvField(null)).toBe('');
  });
});

describe('csvRow', () => {
  it('has one field per column, debits signed negative', () => {
    const row = csvRow(entry());
    expect(row.endsWith('\r\n')).toBe(true);
    const fields = row.trimEnd().split(',');
    expect(fields).toHaveLength(CSV_COLUMNS.length);
    const byColumn = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, fields[i]]));
    expect(byColumn).toMatchObject({
      seq: '7',
      recordedAt: '2026-01-02T03:04:05.000Z',
      kind: 'charge',
      direction: 'debit',
      amountMicros: '-113100',
      amount: '-0.113100',
      currency: 'EUR',
      campaignId: '',
      id: 'e7',
    });
  });

  it('credits are positive', () => {
    const fields = csvRow(entry({ kind: 'topUp', amountMicros: 5_000_000, note: 'invoice, March' })).trimEnd();
    expect(fields).toContain(',topUp,credit,5000000,5.000000,');
    expect(fields).toContain(',"invoice, March",');
  });
});

describe('LedgerExportWriter', () => {
  it('JSON: an array of entry views, valid with none, one or many', () => {
    for (const count of [0, 1, 3]) {
      const writer = new LedgerExportWriter('json');
      const text =
        writer.start() +
        writer.add(Array.from({ length: count }, (_, i) => entry({ seq: i + 1 }))) +
        writer.add([]) +
        writer.end();
      const parsed = JSON.parse(text) as unknown[];
      expect(parsed).toHaveLength(count);
      if (count > 0) expect(parsed[0]).toEqual(ledgerEntryView(entry({ seq: 1 })));
      expect(writer.written).toBe(count);
    }
  });

  it('CSV: the header, then rows', () => {
    const writer = new LedgerExportWriter('csv');
    const text = writer.start() + writer.add([entry(), entry({ seq: 8 })]) + writer.end();
    const lines = text.split('\r\n');
    expect(lines[0]).toBe(CSV_COLUMNS.join(','));
    expect(lines).toHaveLength(4); // header, two rows, the empty string after the last CRLF
  });
});
