/**
 * `npm run bench -- <scenario> [--json]`: runs bench/scenarios/<scenario>.bench.ts, prints a table (or one JSON
 * object with --json) and writes the JSON to bench/results/.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { emitReport, type BenchReport } from './lib/report.ts';

export interface BenchOptions {
  readonly json: boolean;
  /** Scale factor for durations/counts (`--quick` = 0.2), so CI can smoke-test a scenario quickly. */
  readonly scale: number;
  /** Progress lines go to stderr so that `--json` stdout stays one object. */
  log(message: string): void;
}

export type Scenario = (options: BenchOptions) => Promise<BenchReport>;

const scenariosDir = fileURLToPath(new URL('./scenarios/', import.meta.url));
const available = readdirSync(scenariosDir)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''));

const args = process.argv.slice(2);
const name = args.find((a) => !a.startsWith('--'));
const json = args.includes('--json');
const scale = args.includes('--quick') ? 0.2 : 1;

if (!name || !available.includes(name)) {
  process.stderr.write(`usage: npm run bench -- <scenario> [--json] [--quick]\nscenarios: ${available.join(', ')}\n`);
  process.exit(2);
}

const module = (await import(`./scenarios/${name}.bench.ts`)) as { run: Scenario };
const report = await module.run({ json, scale, log: (m) => process.stderr.write(`[${name}] ${m}\n`) });
emitReport(report, { json, resultsDir: fileURLToPath(new URL('./results/', import.meta.url)) });
process.exit(0);
