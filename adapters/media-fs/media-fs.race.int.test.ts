/**
 * A put and a delete of the same bytes, interleaved at the exact steps where the two files (bytes and metadata)
 * could part: `node:fs/promises` is wrapped so a test can run one operation to completion at a chosen step of the
 * other. Whatever the interleaving, the object ends up whole (bytes with their type) or gone.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import type * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import type { MediaStorePort } from '../../core/index.ts';
import { TEMP_FOLDER, mediaPath, openFsMediaStore } from './media-fs.adapter.ts';

type Step = (path: string, to?: string) => Promise<void> | undefined;

const steps = vi.hoisted(() => ({
  rename: undefined as Step | undefined,
  readFile: undefined as Step | undefined,
}));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof fsPromises>();
  return {
    ...real,
    rename: async (from: string, to: string) => {
      await steps.rename?.(from, to);
      return real.rename(from, to);
    },
    readFile: async (...args: Parameters<typeof real.readFile>) => {
      // The adapter reads by path.
      await steps.readFile?.(args[0] as string);
      return real.readFile(...args);
    },
  };
});

/** Runs `action` (to completion) the first time `step` is reached with arguments matching `when`. */
function once(step: keyof typeof steps, when: (path: string, to?: string) => boolean, action: () => Promise<unknown>) {
  let ran: Promise<unknown> | undefined;
  steps[step] = (path, to) => {
    if (!when(path, to)) return undefined;
    steps[step] = undefined;
    ran = action();
    return ran.then(() => undefined);
  };
  return { ran: () => ran };
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('filesystem media store: put racing delete', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let dir: string;
  let store: MediaStorePort;
  const bytes = Buffer.from('\x89PNG racing bytes');
  const ref = sha256(bytes);

  beforeEach(async () => {
    temp = makeTempDir('parlo-media-race-');
    dir = join(temp.path, 'media');
    store = await openFsMediaStore({ dir });
  });
  afterEach(() => {
    steps.rename = undefined;
    steps.readFile = undefined;
    temp.remove();
  });

  async function expectWhole(mimeType: string): Promise<void> {
    const got = await store.get(ref);
    expect(got).toMatchObject({ ref, mimeType, sizeBytes: bytes.length });
    expect((await readAll(got!.open())).equals(bytes)).toBe(true);
    expect(readdirSync(join(dir, TEMP_FOLDER))).toEqual([]);
  }

  it('a put done after the delete removed the bytes, before it took the metadata, keeps its own type', async () => {
    await store.put({ data: bytes, mimeType: 'image/png' });
    // The delete has unlinked the bytes and is about to move the metadata aside: a whole put happens now, and the
    // metadata the delete takes is the put's. The delete sees the bytes back and puts it back.
    const put = once(
      'rename',
      (from) => from === `${mediaPath(dir, ref)}.json`,
      () => store.put({ data: bytes, mimeType: 'image/webp' }),
    );
    expect(await store.delete(ref)).toBe(true);
    expect(await put.ran()).toMatchObject({ ok: true, deduplicated: false, mimeType: 'image/webp' });
    await expectWhole('image/webp');
  });

  it('a delete done between a put writing the metadata and renaming the bytes leaves the whole object', async () => {
    // The delete finds no bytes (false) but takes the put's metadata; the put writes it again after its rename.
    const erase = once(
      'rename',
      (from, to) => from.endsWith('.part') && !from.endsWith('.json.part') && to === mediaPath(dir, ref),
      () => store.delete(ref),
    );
    expect(await store.put({ data: bytes, mimeType: 'image/png' })).toMatchObject({ ok: true, deduplicated: false });
    expect(await erase.ran()).toBe(false);
    await expectWhole('image/png');
  });

  it('a delete done while a put finds the object already stored leaves no object, and the next put stores it', async () => {
    await store.put({ data: bytes, mimeType: 'image/png' });
    const erase = once(
      'readFile',
      (path) => path === `${mediaPath(dir, ref)}.json`,
      () => store.delete(ref),
    );
    // The put saw the object (deduplicated) just before the delete erased it: the delete comes last.
    expect(await store.put({ data: bytes, mimeType: 'image/gif' })).toMatchObject({ ok: true, deduplicated: true });
    expect(await erase.ran()).toBe(true);
    expect(await store.get(ref)).toBeUndefined();
    expect(await store.put({ data: bytes, mimeType: 'image/gif' })).toMatchObject({ ok: true, deduplicated: false });
    await expectWhole('image/gif');
  });
});
