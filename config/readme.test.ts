import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeConfigSources } from './load.ts';

/** The settings table in README.md is written by hand; this keeps it equal to the schema (STYLE rule 5). */
const README = readFileSync(new URL('./README.md', import.meta.url), 'utf8');

interface Row {
  path: string;
  env: string;
  aliases: string[];
  default: string;
}

function tableRows(markdown: string): Row[] {
  return markdown
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.split('|').map((cell) => cell.trim());
      const ticks = (cell: string | undefined) => [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] ?? '');
      const [path = '', env = ''] = [ticks(cells[1])[0], ticks(cells[2])[0]];
      const aliases = [...(cells[2] ?? '').matchAll(/alias `([^`]+)`/g)].map((m) => m[1] ?? '');
      return { path, env, aliases, default: ticks(cells[3])[0] ?? '' };
    });
}

describe('config/README.md', () => {
  const rows = tableRows(README);
  const sources = describeConfigSources();

  it('has one row per setting, in schema order', () => {
    expect(rows.map((r) => r.path)).toEqual(sources.map((s) => s.path));
  });

  it.each(sources.map((s) => [s.path, s] as const))('%s: env var, aliases and default match', (path, source) => {
    const row = rows.find((r) => r.path === path);
    expect(row).toBeDefined();
    expect(row?.env).toBe(source.env);
    expect(row?.aliases).toEqual(source.aliases);
    // The node id default depends on the host, so the README shows its shape.
    const expected = path === 'nodeId' ? 'node-<hostname>' : String(source.default);
    expect(row?.default).toBe(expected);
  });
});
