import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeMediaStoreContract } from '../../core/ports/media-store.contract.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import type { MediaStorePort } from '../../core/index.ts';
import { TEMP_FOLDER, mediaPath, openFsMediaStore } from './media-fs.adapter.ts';

describeMediaStoreContract('filesystem adapter', async (maxBytes) => {
  const temp = makeTempDir('parlo-media-');
  const store = await openFsMediaStore({ dir: join(temp.path, 'media'), maxBytes });
  return { store, cleanup: () => Promise.resolve(temp.remove()) };
});

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

describe('filesystem media store: layout and crash safety', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let dir: string;
  let store: MediaStorePort;

  beforeEach(async () => {
    temp = makeTempDir('parlo-media-');
    dir = join(temp.path, 'media');
    store = await openFsMediaStore({ dir });
  });
  afterEach(() => temp.remove());

  it('keeps the bytes at <dir>/<aa>/<sha256> with their type beside them, and no temp file', async () => {
    const bytes = Buffer.from('%PDF-1.7 a small document');
    const put = await store.put({ data: bytes, mimeType: 'application/pdf' });
    const hash = sha256(bytes);
    expect(put).toMatchObject({ ok: true, ref: hash });
    const path = mediaPath(dir, hash);
    expect(path).toBe(join(dir, hash.slice(0, 2), hash));
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(JSON.parse(readFileSync(`${path}.json`, 'utf8'))).toEqual({
      mimeType: 'application/pdf',
      sizeBytes: bytes.length,
    });
    expect(readdirSync(join(dir, TEMP_FOLDER))).toEqual([]);
  });

  it('leaves no temp file behind after refusals or a failing source', async () => {
    const bytes = Buffer.alloc(4_000, 7);
    await store.put({ data: bytes, mimeType: 'image/png', maxBytes: 10 });
    await store.put({ data: bytes, mimeType: 'image/png', expectedSha256: '0'.repeat(64) });
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield bytes;
      throw new Error('reset');
    }
    await expect(store.put({ data: broken(), mimeType: 'image/png' })).rejects.toThrow('reset');
    expect(readdirSync(join(dir, TEMP_FOLDER))).toEqual([]);
    expect(existsSync(join(dir, sha256(bytes).slice(0, 2)))).toBe(false);
  });

  it('stops reading a streamed source at the limit', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled += 1;
        await Promise.resolve();
        yield Buffer.alloc(1_024, pulled & 0xff);
      }
    }
    const put = await store.put({ data: endless(), mimeType: 'video/mp4', maxBytes: 10 * 1_024 });
    expect(put).toMatchObject({ ok: false, reason: 'tooLarge' });
    expect(pulled).toBe(11);
  });

  it('is readable by a store opened later on the same folder, and restores a lost metadata file', async () => {
    const bytes = Buffer.from('RIFF....WEBPVP8 sticker');
    const hash = sha256(bytes);
    await store.put({ data: bytes, mimeType: 'image/webp' });
    const reopened = await openFsMediaStore({ dir });
    const got = await reopened.get(hash);
    expect(got).toMatchObject({ mimeType: 'image/webp', sizeBytes: bytes.length });
    expect((await readAll(got!.open())).equals(bytes)).toBe(true);

    // A crash between the two renames cannot lose the type (metadata goes first), but a deleted one is served as
    // bytes and comes back with the next put of the same bytes.
    writeFileSync(`${mediaPath(dir, hash)}.json`, 'not json');
    expect((await reopened.get(hash))?.mimeType).toBe('application/octet-stream');
    const again = await reopened.put({ data: bytes, mimeType: 'image/webp' });
    expect(again).toMatchObject({ ok: true, deduplicated: true, mimeType: 'image/webp' });
    expect((await reopened.get(hash))?.mimeType).toBe('image/webp');
  });

  it('removes temp files of a crashed run once they are stale, and keeps fresh ones', async () => {
    const tempDir = join(dir, TEMP_FOLDER);
    mkdirSync(tempDir, { recursive: true });
    writeFileSync(join(tempDir, 'old.part'), 'half a file');
    const twoHoursAgo = (Date.now() - 2 * 60 * 60 * 1000) / 1000;
    utimesSync(join(tempDir, 'old.part'), twoHoursAgo, twoHoursAgo);
    writeFileSync(join(tempDir, 'busy.part'), 'another process is writing this');
    await openFsMediaStore({ dir });
    expect(readdirSync(tempDir)).toEqual(['busy.part']);
  });

  it('deletes both files of an object, durably for a store opened later, and leaves nothing in tmp', async () => {
    const bytes = Buffer.from('OggS voice note');
    const hash = sha256(bytes);
    await store.put({ data: bytes, mimeType: 'audio/ogg; codecs=opus' });
    expect(await store.delete(hash)).toBe(true);
    expect(existsSync(mediaPath(dir, hash))).toBe(false);
    expect(existsSync(`${mediaPath(dir, hash)}.json`)).toBe(false);
    expect(readdirSync(join(dir, hash.slice(0, 2)))).toEqual([]);
    expect(readdirSync(join(dir, TEMP_FOLDER))).toEqual([]);
    const reopened = await openFsMediaStore({ dir });
    expect(await reopened.get(hash)).toBeUndefined();
    expect(await reopened.delete(hash)).toBe(false);
  });

  it('deletes bytes whose metadata was lost, and metadata a crash left without bytes', async () => {
    const bytes = Buffer.from('GIF89a lost type');
    const hash = sha256(bytes);
    await store.put({ data: bytes, mimeType: 'image/gif' });
    rmSync(`${mediaPath(dir, hash)}.json`);
    expect(await store.delete(hash)).toBe(true);
    expect(existsSync(mediaPath(dir, hash))).toBe(false);

    // Metadata alone is no object (false), but it goes too.
    const orphan = sha256(Buffer.from('never stored'));
    mkdirSync(join(dir, orphan.slice(0, 2)), { recursive: true });
    writeFileSync(`${mediaPath(dir, orphan)}.json`, JSON.stringify({ mimeType: 'image/png', sizeBytes: 12 }));
    expect(await store.delete(orphan)).toBe(false);
    expect(existsSync(`${mediaPath(dir, orphan)}.json`)).toBe(false);
    expect(readdirSync(join(dir, TEMP_FOLDER))).toEqual([]);
  });

  it('deletes nothing outside its folder for a malformed ref', async () => {
    writeFileSync(join(temp.path, 'outside'), 'keep me');
    for (const ref of ['../outside', `../${'0'.repeat(62)}`, TEMP_FOLDER]) expect(await store.delete(ref)).toBe(false);
    expect(readFileSync(join(temp.path, 'outside'), 'utf8')).toBe('keep me');
    expect(existsSync(join(dir, TEMP_FOLDER))).toBe(true);
  });

  it('refuses a bad limit at open', async () => {
    await expect(openFsMediaStore({ dir, maxBytes: 0 })).rejects.toThrow(/maxBytes/);
  });
});
