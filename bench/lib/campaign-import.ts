/**
 * The load generator of the campaign benchmark's CSV import, in its own process so that its memory is its own:
 * `importContacts` (frontends/cli/contacts-import.ts, what `parlo contacts import` runs, with its defaults) on a
 * CSV with the columns phone, name and tags. Forked with IPC; argv <file> <parlo url> <api key>. Says
 * `{ type: 'ready' }`, starts on `{ type: 'start' }`, reports `{ type: 'progress', rowsRead, elapsedMs }` every 2 s
 * and ends with `{ type: 'done', ok, report, wallMs, maxRssMb, cpuSec, error? }`: `ok: false` when the import
 * stopped (importContacts rejects on a batch Parlo did not answer), with the counts acknowledged until then.
 */
import { importContacts, type ImportProgress } from '../../frontends/cli/contacts-import.ts';

const [file, url, apiKey] = process.argv.slice(2);
if (!file || !url || !apiKey || !process.send) throw new Error('usage: fork with IPC, argv <file> <url> <api key>');

process.on('message', (m: { type: string }) => {
  if (m.type === 'stop') process.exit(0);
  if (m.type !== 'start') return;
  void (async () => {
    let lastProgressAt = 0;
    let last: ImportProgress = { rowsRead: 0, created: 0, updated: 0, unchanged: 0, failed: 0, elapsedMs: 0 };
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const end = (ok: boolean, report: object, error?: string): void => {
      const cpu = process.cpuUsage(cpuBefore);
      process.send?.({
        type: 'done',
        ok,
        report,
        wallMs: performance.now() - started,
        // resourceUsage().maxRSS is in KiB on Linux: the peak of this process over its whole life.
        maxRssMb: process.resourceUsage().maxRSS / 1024,
        cpuSec: (cpu.user + cpu.system) / 1e6,
        ...(error === undefined ? {} : { error }),
      });
    };
    try {
      const { errors, ...report } = await importContacts({
        file,
        url,
        apiKey,
        mapping: { phoneColumn: 'phone', defaultCountry: null, columns: { name: 'name', tags: 'tags' } },
        onProgress: (p) => {
          last = p;
          if (p.elapsedMs - lastProgressAt < 2_000) return;
          lastProgressAt = p.elapsedMs;
          process.send?.({ type: 'progress', rowsRead: p.rowsRead, elapsedMs: p.elapsedMs });
        },
      });
      end(true, { ...report, errorCount: errors.length, firstErrors: errors.slice(0, 5) });
    } catch (error) {
      end(false, { ...last, errorCount: 0, firstErrors: [] }, error instanceof Error ? error.message : String(error));
    }
  })();
});
process.send({ type: 'ready' });
process.on('disconnect', () => process.exit(0));
