import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

/** One printed row: what was measured, the figure, its unit, and the target it is held against (if any). */
export interface ReportRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
  readonly meetsTarget?: boolean;
}

export interface BenchReport {
  readonly scenario: string;
  /** The figures the scenario's issue names, flat, for `--json`. */
  readonly figures: Record<string, number | string | boolean | object | null>;
  readonly rows: readonly ReportRow[];
  readonly notes?: readonly string[];
}

export function machineDescription(): string {
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

function formatNumber(value: number): string {
  if (Number.isInteger(value) || Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(value < 10 ? 2 : 1);
}

export function renderTable(report: BenchReport): string {
  const header = ['metric', 'value', 'unit', 'target', 'ok'];
  const body = report.rows.map((r) => [
    r.metric,
    formatNumber(r.value),
    r.unit,
    r.target ?? '',
    r.meetsTarget === undefined ? '' : r.meetsTarget ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  const out = [
    `scenario: ${report.scenario}   machine: ${machineDescription()}   date: ${new Date().toISOString()}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ];
  for (const note of report.notes ?? []) out.push(`note: ${note}`);
  return out.join('\n');
}

/**
 * Prints the report (a table, or exactly one JSON object with `--json`) and writes the JSON, with date and
 * machine, to bench/results/<scenario>-<timestamp>.json.
 */
export function emitReport(report: BenchReport, options: { json: boolean; resultsDir: string }): void {
  const record = {
    scenario: report.scenario,
    date: new Date().toISOString(),
    machine: machineDescription(),
    ...report.figures,
  };
  mkdirSync(options.resultsDir, { recursive: true });
  const file = join(options.resultsDir, `${report.scenario}-${record.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, `${JSON.stringify({ ...record, rows: report.rows }, null, 2)}\n`);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(record)}\n`);
  } else {
    process.stdout.write(`${renderTable(report)}\nresults written to ${file}\n`);
  }
}
