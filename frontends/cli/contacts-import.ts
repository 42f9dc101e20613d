import { createReadStream } from 'node:fs';
import { Pool } from 'undici';
import type { FieldDefinition } from '../../actors/contacts/contact-fields.ts';
import { CsvError, readCsv } from '../../actors/contacts/import/csv-reader.ts';
import { mapRow, planImport, type ImportMapping } from '../../actors/contacts/import/row-mapping.ts';

/**
 * `parlo contacts import FILE`: a CSV of contacts into a running Parlo, over its API (issue #6, 2). The file is
 * streamed (a million rows never sit in memory), each row mapped locally (row-mapping.ts: phone to E.164 with the
 * default country, profile columns, custom fields by header) and the good rows sent in batches of 1,000 to
 * `POST /v1/contacts/batch`, a few batches in flight. Every row that fails — unreadable here, or refused by Parlo
 * — is reported with its line number and reason; the rows after it go on. Progress is reported as it goes.
 */

export interface ContactsImportOptions {
  readonly file: string;
  /** Parlo's base URL (`http://localhost:8080`). */
  readonly url: string;
  /** An API key with `contacts:write` (and `contacts:read` for the custom fields). */
  readonly apiKey: string;
  readonly mapping: ImportMapping;
  /** Evidence of the opt-in column's consent (required when `mapping.columns.optIn` is set). */
  readonly consent?: { readonly source: string; readonly wording?: string };
  readonly batchSize?: number;
  readonly inFlight?: number;
  /** Called after each batch (and at the end). */
  readonly onProgress?: (progress: ImportProgress) => void;
}

export interface ImportProgress {
  readonly rowsRead: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly elapsedMs: number;
}

export interface RowError {
  /** The CSV line the row starts on (the header is line 1). */
  readonly line: number;
  readonly message: string;
}

export interface ImportReport extends ImportProgress {
  readonly errors: readonly RowError[];
  /** Header columns that map to nothing. */
  readonly ignoredColumns: readonly string[];
}

/** Errors listed in the report at most (the counts stay exact beyond). */
export const MAX_REPORTED_ERRORS = 10_000;

interface PendingRow {
  readonly line: number;
  readonly item: Record<string, unknown>;
}

interface BatchAnswer {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly failed: number;
  readonly results: readonly { index: number; outcome: string; error: { message: string } | null }[];
}

/** Runs the import; rejects only when the import cannot run at all (file, header, mapping, credentials). */
export async function importContacts(options: ContactsImportOptions): Promise<ImportReport> {
  if (options.mapping.columns?.optIn !== undefined && options.consent === undefined) {
    throw new Error('--opt-in-source is required with --opt-in-column: it is the evidence of the consent');
  }
  const pool = new Pool(options.url, { connections: options.inFlight ?? 4 });
  const started = Date.now();
  const batchSize = options.batchSize ?? 1_000;
  const inFlight = options.inFlight ?? 4;
  const errors: RowError[] = [];
  const totals = { rowsRead: 0, created: 0, updated: 0, unchanged: 0, failed: 0 };
  const progress = (): ImportProgress => ({ ...totals, elapsedMs: Date.now() - started });
  const fail = (line: number, message: string) => {
    totals.failed++;
    if (errors.length < MAX_REPORTED_ERRORS) errors.push({ line, message });
  };
  try {
    const fields = await api<{ fields: FieldDefinition[] }>(pool, options.apiKey, 'GET', '/v1/contacts/fields');
    const records = readCsv(createReadStream(options.file));
    const first = await records.next();
    if (first.done === true) throw new Error(`${options.file} is empty: the first line must be the header`);
    const planned = planImport(first.value.fields, options.mapping, fields.fields);
    if (!planned.ok) throw new Error(`the header does not fit the mapping: ${planned.problems.join('; ')}`);

    const sending = new Set<Promise<void>>();
    const send = async (rows: readonly PendingRow[]): Promise<void> => {
      const answer = await api<BatchAnswer>(pool, options.apiKey, 'POST', '/v1/contacts/batch', {
        ...(options.consent === undefined ? {} : { consent: options.consent }),
        contacts: rows.map((r) => r.item),
      });
      totals.created += answer.created;
      totals.updated += answer.updated;
      totals.unchanged += answer.unchanged;
      for (const result of answer.results) {
        if (result.outcome === 'failed') fail(rows[result.index]!.line, result.error?.message ?? 'refused');
      }
      options.onProgress?.(progress());
    };
    let batch: PendingRow[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      const sent = send(rows).finally(() => sending.delete(sent));
      sending.add(sent);
      if (sending.size >= inFlight) await Promise.race(sending);
    };
    try {
      for await (const record of records) {
        totals.rowsRead++;
        const mapped = mapRow(planned.plan, record.fields);
        if (!mapped.ok) {
          fail(record.line, mapped.problems.map((p) => `${p.column}: ${p.message}`).join('; '));
          continue;
        }
        batch.push({
          line: record.line,
          item: {
            phone: `+${mapped.phone}`,
            ...mapped.patch,
            ...(mapped.optIn === null ? {} : { optIn: mapped.optIn }),
          },
        });
        if (batch.length >= batchSize) await flush();
      }
    } catch (error) {
      if (error instanceof CsvError) throw new Error(`${options.file}: ${error.message}`);
      throw error;
    }
    await flush();
    await Promise.all(sending);
    errors.sort((a, b) => a.line - b.line);
    return { ...progress(), errors, ignoredColumns: planned.plan.ignored };
  } finally {
    await pool.close();
  }
}

async function api<T>(pool: Pool, apiKey: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const response = await pool.request({
    method,
    path,
    headers: { 'x-api-key': apiKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300) {
    let message = text.slice(0, 300);
    try {
      const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
      if (parsed.error) message = `${parsed.error.code}: ${parsed.error.message}`;
    } catch {
      // not JSON: the raw text says it
    }
    throw new Error(`${method} ${path} answered ${response.statusCode} ${message}`);
  }
  return JSON.parse(text) as T;
}
