import type { LedgerEntry } from '../../../actors/billing/wallet.messages.ts';
import { CURRENCY } from '../../../actors/billing/rate-card.ts';

/**
 * The ledger as the API shows it (`LedgerEntryView`) and as the export writes it, CSV or JSON. Pure: the route
 * feeds entries segment by segment and sends each rendered chunk as it is made, so an export of any length holds
 * one segment in memory.
 */

export interface LedgerEntryView {
  readonly seq: number;
  readonly id: string;
  readonly kind: LedgerEntry['kind'];
  readonly direction: 'credit' | 'debit';
  readonly amountMicros: number;
  readonly balanceAfterMicros: number;
  readonly shortfallMicros: number;
  readonly currency: typeof CURRENCY;
  readonly recordedAt: string;
  readonly occurredAt: string;
  readonly reference: string;
  readonly category: string | null;
  readonly country: string | null;
  readonly phoneNumberId: string | null;
  readonly conversationId: string | null;
  readonly campaignId: string | null;
  readonly rateCardVersion: number | null;
  readonly rule: string | null;
  readonly by: string | null;
  readonly note: string | null;
}

export function ledgerEntryView(e: LedgerEntry): LedgerEntryView {
  return {
    seq: e.seq,
    id: e.id,
    kind: e.kind,
    direction: e.kind === 'topUp' ? 'credit' : 'debit',
    amountMicros: e.amountMicros,
    balanceAfterMicros: e.balanceAfterMicros,
    shortfallMicros: e.shortfallMicros,
    currency: CURRENCY,
    recordedAt: new Date(e.recordedAtMs).toISOString(),
    occurredAt: new Date(e.occurredAtMs).toISOString(),
    reference: e.reference,
    category: e.category,
    country: e.country,
    phoneNumberId: e.phoneNumberId,
    conversationId: e.conversationId,
    campaignId: e.campaignId,
    rateCardVersion: e.rateCardVersion,
    rule: e.rule,
    by: e.by,
    note: e.note,
  };
}

/** Micro-euros as an exact decimal euro amount, signed: -113100 → `-0.113100`. */
export function microsToDecimal(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  return `${sign}${Math.floor(abs / 1_000_000)}.${String(abs % 1_000_000).padStart(6, '0')}`;
}

export const CSV_COLUMNS = [
  'seq',
  'recordedAt',
  'occurredAt',
  'kind',
  'direction',
  'amountMicros',
  'amount',
  'currency',
  'balanceAfterMicros',
  'shortfallMicros',
  'reference',
  'category',
  'country',
  'phoneNumberId',
  'conversationId',
  'campaignId',
  'rateCardVersion',
  'rule',
  'by',
  'note',
  'id',
] as const;

/**
 * One CSV field (RFC 4180: quoted when it holds a comma, quote or line break). Text that a spreadsheet would run
 * as a formula (starting with = + - @, tab or carriage return) is prefixed with `'` (OWASP "CSV injection"):
 * references, notes and ids come from API callers.
 */
export function csvField(value: string | number | null, isText = true): string {
  if (value === null) return '';
  let text = String(value);
  if (isText && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(e: LedgerEntry): string {
  const v = ledgerEntryView(e);
  const signed = v.direction === 'credit' ? v.amountMicros : -v.amountMicros;
  const fields = [
    csvField(v.seq, false),
    csvField(v.recordedAt, false),
    csvField(v.occurredAt, false),
    csvField(v.kind),
    csvField(v.direction),
    csvField(signed, false),
    csvField(microsToDecimal(signed), false),
    csvField(v.currency),
    csvField(v.balanceAfterMicros, false),
    csvField(v.shortfallMicros, false),
    csvField(v.reference),
    csvField(v.category),
    csvField(v.country),
    csvField(v.phoneNumberId),
    csvField(v.conversationId),
    csvField(v.campaignId),
    csvField(v.rateCardVersion, false),
    csvField(v.rule),
    csvField(v.by),
    csvField(v.note),
    csvField(v.id),
  ];
  return `${fields.join(',')}\r\n`;
}

export type ExportFormat = 'csv' | 'json';

/**
 * Renders entries into chunks: the header (CSV) or `[` (JSON) first, then one chunk per batch of entries given to
 * `add`, then the end. JSON is one array of `LedgerEntryView` objects, one per line.
 */
export class LedgerExportWriter {
  private count = 0;

  constructor(readonly format: ExportFormat) {}

  start(): string {
    return this.format === 'csv' ? csvHeader() : '[';
  }

  add(entries: readonly LedgerEntry[]): string {
    let chunk = '';
    for (const entry of entries) {
      if (this.format === 'csv') chunk += csvRow(entry);
      else chunk += `${this.count === 0 ? '\n' : ',\n'}${JSON.stringify(ledgerEntryView(entry))}`;
      this.count++;
    }
    return chunk;
  }

  end(): string {
    return this.format === 'csv' ? '' : this.count === 0 ? ']\n' : '\n]\n';
  }

  get written(): number {
    return this.count;
  }
}
