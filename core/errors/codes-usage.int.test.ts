import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, isErrorCode } from './codes.ts';

/**
 * Every `'PARLO_…'` string literal in production code is a registered code (STYLE rule 5: one registry, no drift).
 * This walks the source tree, which is why it lives in the integration tier.
 *
 * Literals are found with the TypeScript parser rather than a regex, so comments, JSDoc examples and template
 * literals with substitutions (`PARLO_${section}__${field}`) are not mistaken for uses, and quotes inside strings
 * cannot confuse it.
 */
const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const PRODUCTION_ROOTS = ['core', 'config', 'frontends', 'actors', 'adapters'];

/** Tests and test machinery (same split as eslint.config.js TEST_FILES and .dependency-cruiser.cjs). */
function isTestFile(path: string): boolean {
  const posix = path.split(sep).join('/');
  return (
    /\.test\.tsx?$/.test(posix) ||
    /\.contract\.tsx?$/.test(posix) ||
    posix.includes('/__fixtures__/') ||
    posix.startsWith('core/testing/')
  );
}

/**
 * `PARLO_` literals that are not error codes. Environment variable names share the prefix (config/settings.ts);
 * a new one must be listed here with its reason, so that a misspelt error code cannot hide as "an env var".
 * Prefixes (ending in `_`) and section variables (containing `__`) are recognised by shape below.
 */
const NOT_ERROR_CODES: Readonly<Record<string, string>> = {
  PARLO_CONFIG: 'environment variable naming the config file (config/settings.ts CONFIG_FILE_ENV)',
  PARLO_API_KEY: 'environment variable of the API key CLI clients use (config/settings.ts CLI_API_KEY_ENV)',
};

function isEnvShaped(text: string): boolean {
  return text.endsWith('_') || text.includes('__');
}

function* productionFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* productionFiles(path);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') && !isTestFile(relative(REPO_ROOT, path))) {
      yield path;
    }
  }
}

interface Use {
  readonly code: string;
  readonly at: string;
}

function parloLiterals(path: string): Use[] {
  const source = readFileSync(path, 'utf8');
  const kind = path.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const file = ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, kind);
  const uses: Use[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) && node.text.startsWith('PARLO_')) {
      const { line } = file.getLineAndCharacterOfPosition(node.getStart(file));
      uses.push({ code: node.text, at: `${relative(REPO_ROOT, path)}:${line + 1}` });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return uses;
}

function allUses(): Use[] {
  return PRODUCTION_ROOTS.flatMap((root) => {
    try {
      return [...productionFiles(join(REPO_ROOT, root))].flatMap(parloLiterals);
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === 'ENOENT') return []; // a layer not created yet
      throw err;
    }
  });
}

describe('error codes used in production code', () => {
  const uses = allUses();

  it('finds the literals it is meant to check', () => {
    // Guards the walker itself: core/address/address.ts throws PARLO_INVALID_ADDRESS.
    expect(uses.some((u) => u.code === 'PARLO_INVALID_ADDRESS' && u.at.startsWith('core/address/address.ts:'))).toBe(
      true,
    );
    // Test files are skipped.
    expect(uses.filter((u) => /\.test\.ts:/.test(u.at))).toEqual([]);
  });

  it('are all registered in core/errors/codes.ts', () => {
    const unregistered = uses.filter(
      (u) => !isErrorCode(u.code) && !isEnvShaped(u.code) && !Object.hasOwn(NOT_ERROR_CODES, u.code),
    );
    expect(
      unregistered.map((u) => `${u.at} ${u.code}`),
      'register these in core/errors/codes.ts (then run npm run docs:errors), or list a non-code in NOT_ERROR_CODES',
    ).toEqual([]);
  });

  it('lists no registered code as a non-code', () => {
    expect(Object.keys(NOT_ERROR_CODES).filter((name) => Object.hasOwn(ERROR_CODES, name))).toEqual([]);
  });
});
