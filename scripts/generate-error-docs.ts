/**
 * Generates `docs/errors.md` from the one error registry, `core/errors/codes.ts` (STYLE rule 5).
 *
 *   npm run docs:errors        (= node --import tsx scripts/generate-error-docs.ts)
 *
 * `core/errors/codes.test.ts` compares the committed file with `renderErrorDocs()`, so editing the registry without
 * regenerating fails the unit tier. The output is a pure function of the registry: rows are sorted by code with a
 * plain code-unit comparison (not `localeCompare`, whose order depends on the ICU data of the machine).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ERROR_CODES } from '../core/errors/codes.ts';

/** Where the generated index lives, relative to this script. */
export const ERROR_DOCS_URL = new URL('../docs/errors.md', import.meta.url);

const HEADER = ['code', 'HTTP status', 'meaning'] as const;

/** Markdown for `docs/errors.md`: a short preamble and one table row per registered code. */
export function renderErrorDocs(): string {
  const rows = Object.entries(ERROR_CODES)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([code, { httpStatus, summary }]) => [`\`${code}\``, String(httpStatus), escapeCell(summary)] as const);

  // Pad the columns so that the raw file reads as a table too (Prettier skips *.md in this repo).
  const widths = HEADER.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ')} |`;

  return [
    '# Parlo error codes',
    '',
    '<!-- Generated from core/errors/codes.ts by `npm run docs:errors`. Do not edit by hand: core/errors/codes.test.ts fails when this file and the registry differ. -->',
    '',
    'Every error Parlo answers over HTTP has the body `{ "error": { "code", "message", "details" } }`. `code` is one',
    'of the codes below and is what clients compare; `message` is for people and may change; `details` carries',
    'structured context when there is any. A code never changes once it has shipped: codes are added, never renamed',
    'or reused.',
    '',
    line(HEADER),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
    '',
  ].join('\n');
}

/** A `|` inside a cell would end the cell early; a newline would end the row. */
function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function isRunDirectly(): boolean {
  const entry = process.argv[1];
  return entry !== undefined && import.meta.url === pathToFileURL(entry).href;
}

if (isRunDirectly()) {
  writeFileSync(ERROR_DOCS_URL, renderErrorDocs());
  process.stdout.write(`wrote ${fileURLToPath(ERROR_DOCS_URL)}\n`);
}
