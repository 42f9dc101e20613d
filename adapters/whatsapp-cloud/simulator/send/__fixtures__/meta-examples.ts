/**
 * Where Meta's own examples live for these tests: `adapters/whatsapp-cloud/__fixtures__/meta-cloud-api/`, copied
 * from shared/meta-cloud-api so the repository tests itself. Reading fixture files is the only I/O the unit tier allows.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** From `simulator/send/__fixtures__/` up to `adapters/whatsapp-cloud/__fixtures__/`. */
export const META_CLOUD_API_DIR = new URL('../../../__fixtures__/meta-cloud-api/', import.meta.url);

export interface Fixture {
  file: string;
  json: unknown;
}

/** Every `*.json` file of `examples/<sub>/`, sorted by name; throws (fails the suite) when the folder is missing. */
export function readExamples(sub: string): Fixture[] {
  const dir = new URL(`examples/${sub}/`, META_CLOUD_API_DIR);
  return readdirSync(fileURLToPath(dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(readFileSync(fileURLToPath(new URL(file, dir)), 'utf8')) as unknown }));
}

export function readExample(sub: string, file: string): unknown {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`examples/${sub}/${file}`, META_CLOUD_API_DIR)), 'utf8'));
}
