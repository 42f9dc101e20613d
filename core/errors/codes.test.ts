import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_DOCS_URL, renderErrorDocs } from '../../scripts/generate-error-docs.ts';
import { ERROR_CODES, isErrorCode } from './codes.ts';

/**
 * The registry ⇄ docs guard (STYLE rule 5, after fastify's test/internals/errors.test.js). Reading the committed
 * docs file is the one piece of I/O in this unit test: it is a repo file, not a runtime resource.
 */
const CODE_SHAPE = /^PARLO_[A-Z]+(_[A-Z]+)+$/;

const entries = Object.entries(ERROR_CODES);

describe('ERROR_CODES', () => {
  it('is not empty', () => {
    expect(entries.length).toBeGreaterThan(0);
  });

  it.each(entries)('%s is named PARLO_<AREA>_<REASON>', (code) => {
    expect(code).toMatch(CODE_SHAPE);
  });

  it.each(entries)('%s maps to a 4xx or 5xx HTTP status', (_code, { httpStatus }) => {
    expect(Number.isInteger(httpStatus), `httpStatus ${httpStatus} is not an integer`).toBe(true);
    expect(httpStatus).toBeGreaterThanOrEqual(400);
    expect(httpStatus).toBeLessThanOrEqual(599);
  });

  it.each(entries)('%s has a one-line summary written as a sentence', (_code, { summary }) => {
    expect(summary.trim()).toBe(summary);
    expect(summary).not.toMatch(/[\r\n]/);
    expect(summary).toMatch(/^[A-Z]/);
    expect(summary).toMatch(/[^.]\.$/);
  });

  it('isErrorCode accepts exactly the registered codes', () => {
    for (const [code] of entries) expect(isErrorCode(code), code).toBe(true);
    for (const other of ['', 'PARLO_', 'PARLO_NOT_A_CODE', 'parlo_ask_timeout', 'toString', '__proto__', 42, null]) {
      expect(isErrorCode(other), String(other)).toBe(false);
    }
  });
});

describe('docs/errors.md', () => {
  it('lists every code, sorted, with its status and summary', () => {
    const docs = renderErrorDocs();
    const rowCodes = [...docs.matchAll(/^\| `(PARLO_[A-Z_]+)` +\| (\d{3}) +\| (.+?) +\|$/gm)].map(
      ([, code, status, summary]) => ({
        code,
        status: Number(status),
        summary,
      }),
    );
    const expected = entries
      .map(([code, { httpStatus, summary }]) => ({ code, status: httpStatus, summary }))
      .sort((a, b) => (a.code < b.code ? -1 : 1));
    expect(rowCodes).toEqual(expected);
    expect(docs).toMatch(/^# Parlo error codes\n/);
    expect(docs).toContain('{ "error": { "code", "message", "details" } }');
    expect(docs).toContain('| code ');
  });

  it('is up to date with core/errors/codes.ts', () => {
    let committed: string;
    try {
      committed = readFileSync(ERROR_DOCS_URL, 'utf8');
    } catch (err) {
      throw new Error(`${fileURLToPath(ERROR_DOCS_URL)} is missing: run npm run docs:errors`, { cause: err });
    }
    expect(committed, 'docs/errors.md differs from core/errors/codes.ts: run npm run docs:errors').toBe(
      renderErrorDocs(),
    );
  });
});
