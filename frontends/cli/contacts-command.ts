import { writeFileSync } from 'node:fs';
import { CLI_API_KEY_ENV } from '../../config/index.ts';
import { importContacts, type ContactsImportOptions, type ImportProgress } from './contacts-import.ts';

export const CONTACTS_USAGE = `Usage: parlo contacts import FILE --api-key KEY [options]

Imports a CSV of contacts (first line: the header) into a running Parlo through its API.
  --url URL               Parlo's address (default http://localhost:8080)
  --api-key KEY           an API key with contacts:write (or PARLO_API_KEY)
  --phone-column NAME     the header of the phone column (default phone)
  --default-country CC    the country of numbers written without their code (ISO 3166-1, e.g. ES)
  --name-column, --language-column, --time-zone-column, --tags-column, --notes-column NAME
                          profile columns; columns named like a custom field fill that field
  --opt-in-column NAME    yes/no: records a marketing opt-in or opt-out for the row
  --opt-in-source TEXT    where the consent was given (required with --opt-in-column)
  --opt-in-wording TEXT   what the customers agreed to
  --errors FILE           write every failed row (line, reason) to FILE as CSV`;

const VALUE_FLAGS = [
  'url',
  'api-key',
  'phone-column',
  'default-country',
  'name-column',
  'language-column',
  'time-zone-column',
  'tags-column',
  'notes-column',
  'opt-in-column',
  'opt-in-source',
  'opt-in-wording',
  'errors',
] as const;
type Flag = (typeof VALUE_FLAGS)[number];

export interface ParsedImportCommand {
  readonly options: Omit<ContactsImportOptions, 'onProgress'>;
  readonly errorsFile: string | undefined;
}

/** `contacts import FILE --flag value …` → the import's options, or a message naming the argument at fault. */
export function parseContactsCommand(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; value: ParsedImportCommand } | { ok: false; message: string } {
  const [sub, ...rest] = args;
  if (sub !== 'import') return { ok: false, message: `unknown contacts command "${sub ?? ''}"` };
  const flags = new Map<Flag, string>();
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(VALUE_FLAGS as readonly string[]).includes(name)) return { ok: false, message: `unknown option --${name}` };
    const value = inline ?? rest[++i];
    if (value === undefined || value === '') return { ok: false, message: `--${name} needs a value` };
    flags.set(name as Flag, value);
  }
  if (positional.length !== 1) return { ok: false, message: 'give exactly one FILE to import' };
  const apiKey = flags.get('api-key') ?? env[CLI_API_KEY_ENV];
  if (apiKey === undefined || apiKey === '') return { ok: false, message: '--api-key (or PARLO_API_KEY) is required' };
  const country = flags.get('default-country');
  if (country !== undefined && !/^[A-Za-z]{2}$/.test(country)) {
    return { ok: false, message: `--default-country must be a two-letter country code (ES, IT, US), not "${country}"` };
  }
  const optInColumn = flags.get('opt-in-column');
  const source = flags.get('opt-in-source');
  if (optInColumn !== undefined && source === undefined) {
    return {
      ok: false,
      message: '--opt-in-source is required with --opt-in-column: it is the evidence of the consent',
    };
  }
  const column = (flag: Flag) => flags.get(flag);
  const columns = Object.fromEntries(
    (
      [
        ['name', column('name-column')],
        ['language', column('language-column')],
        ['timeZone', column('time-zone-column')],
        ['tags', column('tags-column')],
        ['notes', column('notes-column')],
        ['optIn', optInColumn],
      ] as const
    ).filter(([, value]) => value !== undefined),
  );
  const wording = flags.get('opt-in-wording');
  return {
    ok: true,
    value: {
      options: {
        file: positional[0]!,
        url: flags.get('url') ?? 'http://localhost:8080',
        apiKey,
        mapping: {
          phoneColumn: flags.get('phone-column') ?? 'phone',
          defaultCountry: country?.toUpperCase() ?? null,
          columns,
        },
        ...(source === undefined ? {} : { consent: { source, ...(wording === undefined ? {} : { wording }) } }),
      },
      errorsFile: flags.get('errors'),
    },
  };
}

/** Runs `parlo contacts …`: the import with a progress line on stderr and the summary on stdout. */
export async function runContactsCommand(args: readonly string[]): Promise<number> {
  const parsed = parseContactsCommand(args, process.env);
  if (!parsed.ok) {
    process.stderr.write(`parlo contacts: ${parsed.message}\n\n${CONTACTS_USAGE}\n`);
    return 2;
  }
  const tty = process.stderr.isTTY;
  let lastLineAt = 0;
  const show = (p: ImportProgress, final = false): void => {
    const rate = p.elapsedMs > 0 ? Math.round((p.rowsRead * 1000) / p.elapsedMs) : 0;
    const line = `${p.rowsRead} rows · ${p.created} created · ${p.updated} updated · ${p.unchanged} unchanged · ${p.failed} failed · ${rate} rows/s`;
    if (tty) process.stderr.write(`\r${line}${final ? '\n' : ''}`);
    else if (final || p.elapsedMs - lastLineAt >= 2_000) {
      lastLineAt = p.elapsedMs;
      process.stderr.write(`${line}\n`);
    }
  };
  const report = await importContacts({ ...parsed.value.options, onProgress: (p) => show(p) });
  show(report, true);
  if (parsed.value.errorsFile !== undefined) {
    const csv = ['line,reason', ...report.errors.map((e) => `${e.line},"${e.message.replace(/"/g, '""')}"`)];
    writeFileSync(parsed.value.errorsFile, `${csv.join('\n')}\n`);
  }
  for (const error of report.errors.slice(0, 20)) process.stdout.write(`line ${error.line}: ${error.message}\n`);
  if (report.errors.length > 20) process.stdout.write(`… and ${report.failed - 20} more failed rows\n`);
  if (report.ignoredColumns.length > 0) {
    process.stdout.write(`columns not imported: ${report.ignoredColumns.join(', ')}\n`);
  }
  process.stdout.write(
    `${JSON.stringify({ rows: report.rowsRead, created: report.created, updated: report.updated, unchanged: report.unchanged, failed: report.failed, seconds: report.elapsedMs / 1000 })}\n`,
  );
  return report.failed > 0 ? 1 : 0;
}
