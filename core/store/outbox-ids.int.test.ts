import { afterEach, describe, expect, it } from 'vitest';
import { makeTempDir } from '../testing/temp-dir.ts';
import { RuntimeStore } from './runtime-store.ts';

/**
 * Outbox message ids are the receivers' de-duplication keys, so they must never repeat in one environment, even
 * when the outbox was emptied and the sequence restarts after a restart (a repeated id would be skipped as a
 * duplicate by a receiver that consumed it before).
 */
describe('outbox message ids', () => {
  const dirs: { remove(): void }[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) dir.remove();
  });

  it('stay unique across reopenings of an environment whose outbox was emptied', async () => {
    const dir = makeTempDir('parlo-outbox-ids-');
    dirs.push(dir);
    const effect = { type: 'tell', to: 'counter:a', msg: { type: 'inc' } } as const;
    const ids: string[] = [];
    for (let opening = 0; opening < 3; opening++) {
      const store = RuntimeStore.open(dir.path);
      const { seq, entry } = store.appendOutbox('counter:b', effect);
      ids.push(entry.id);
      expect(seq).toBe(1); // the sequence does restart: only the id prefix tells the openings apart
      store.removeOutbox(seq);
      await store.durable();
      await store.close();
    }
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id.startsWith(`${ids[0]?.split('.')[0]}.`)).toBe(true);
  });
});
