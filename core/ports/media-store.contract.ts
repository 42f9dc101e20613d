/**
 * The contract every `MediaStorePort` implementation passes: the filesystem adapter (`adapters/media-fs/`) in a
 * temp dir, and the in-memory double (`core/testing/memory-media-store.ts`). STYLE rule 6.
 *
 * What it pins down:
 * - a ref is the lowercase hex SHA-256 of the bytes (computed here from the spec, not with the store's code), and
 *   `get` gives back exactly the bytes, MIME type and size that were stored, as often as it is opened;
 * - bytes given whole or as a stream of chunks are the same object; the same bytes stored twice are kept once
 *   (`deduplicated`), and the first MIME type stays;
 * - `maxBytes` (the request's and the store's), `expectedSha256`, empty objects and unusable MIME types refuse
 *   with an outcome and store nothing;
 * - an error thrown by the byte source is rethrown and leaves nothing behind;
 * - `get` of an unknown or malformed ref (path tricks included) is `undefined`, never an exception;
 * - `delete` erases the object (`get` is `undefined` after it) and answers whether there was one: `true`, then
 *   `false` for the same ref, `false` for unknown and malformed refs; it touches no other object, the same bytes
 *   can be stored again afterwards (as a new object, with their new type), and a put racing a delete of the same
 *   bytes leaves the object whole or gone.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MediaStorePort } from './media-store.port.ts';

export interface MediaStoreContractSubject {
  /** A store whose own limit is `maxBytes`. */
  readonly store: MediaStorePort;
  cleanup(): Promise<void>;
}

/** The store limit every subject is made with. */
export const CONTRACT_MAX_BYTES = 64 * 1024;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

async function* chunked(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) {
    await Promise.resolve();
    yield bytes.subarray(at, at + size);
  }
}

/** Deterministic test bytes (no randomness in contract expectations). */
function bytesOf(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

export function describeMediaStoreContract(
  name: string,
  make: (maxBytes: number) => Promise<MediaStoreContractSubject>,
): void {
  describe(`MediaStorePort contract: ${name}`, () => {
    let subject: MediaStoreContractSubject;
    beforeEach(async () => {
      subject = await make(CONTRACT_MAX_BYTES);
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('stores bytes under their SHA-256 and gives back the same bytes, type and size', async () => {
      const bytes = bytesOf(5_000, 1);
      const put = await subject.store.put({ data: bytes, mimeType: 'image/jpeg' });
      expect(put).toEqual({
        ok: true,
        ref: sha256(bytes),
        sha256: sha256(bytes),
        mimeType: 'image/jpeg',
        sizeBytes: 5_000,
        deduplicated: false,
      });
      const got = await subject.store.get(sha256(bytes));
      expect(got).toMatchObject({
        ref: sha256(bytes),
        sha256: sha256(bytes),
        mimeType: 'image/jpeg',
        sizeBytes: 5_000,
      });
      expect((await readAll(got!.open())).equals(bytes)).toBe(true);
      // Opened again: the whole object again.
      expect((await readAll(got!.open())).equals(bytes)).toBe(true);
      expect(subject.store.maxBytes).toBe(CONTRACT_MAX_BYTES);
    });

    it('stores a stream of chunks as the same object as the whole bytes, and keeps it once', async () => {
      const bytes = bytesOf(20_000, 2);
      const streamed = await subject.store.put({ data: chunked(bytes, 777), mimeType: 'audio/ogg; codecs=opus' });
      expect(streamed).toMatchObject({ ok: true, ref: sha256(bytes), sizeBytes: 20_000, deduplicated: false });
      const again = await subject.store.put({ data: bytes, mimeType: 'application/octet-stream' });
      expect(again).toMatchObject({ ok: true, ref: sha256(bytes), deduplicated: true });
      // The first type stays: a ref names one object.
      expect(again.ok && again.mimeType).toBe('audio/ogg; codecs=opus');
      const got = await subject.store.get(sha256(bytes));
      expect(got?.mimeType).toBe('audio/ogg; codecs=opus');
      expect((await readAll(got!.open())).equals(bytes)).toBe(true);
    });

    it('stores concurrent puts of the same bytes once, intact', async () => {
      const bytes = bytesOf(30_000, 3);
      const puts = await Promise.all(
        [1, 2, 3, 4].map((n) => subject.store.put({ data: chunked(bytes, 1_000 * n), mimeType: 'video/mp4' })),
      );
      for (const put of puts) expect(put).toMatchObject({ ok: true, ref: sha256(bytes), sizeBytes: 30_000 });
      const got = await subject.store.get(sha256(bytes));
      expect((await readAll(got!.open())).equals(bytes)).toBe(true);
    });

    it('checks the expected SHA-256 and stores nothing when the bytes do not match', async () => {
      const bytes = bytesOf(1_000, 4);
      const other = bytesOf(1_000, 5);
      const wrong = await subject.store.put({ data: bytes, mimeType: 'image/png', expectedSha256: sha256(other) });
      expect(wrong).toMatchObject({ ok: false, reason: 'hashMismatch' });
      expect(await subject.store.get(sha256(bytes))).toBeUndefined();
      const right = await subject.store.put({
        data: chunked(bytes, 100),
        mimeType: 'image/png',
        expectedSha256: sha256(bytes),
      });
      expect(right).toMatchObject({ ok: true, ref: sha256(bytes) });
    });

    it("refuses more than the request's or the store's limit, whole or streamed, and stores nothing", async () => {
      const bytes = bytesOf(2_001, 6);
      const request = await subject.store.put({ data: bytes, mimeType: 'image/jpeg', maxBytes: 2_000 });
      expect(request).toMatchObject({ ok: false, reason: 'tooLarge' });
      const streamed = await subject.store.put({ data: chunked(bytes, 300), mimeType: 'image/jpeg', maxBytes: 2_000 });
      expect(streamed).toMatchObject({ ok: false, reason: 'tooLarge' });
      expect(await subject.store.get(sha256(bytes))).toBeUndefined();
      // Exactly at the limit is fine.
      const exact = bytes.subarray(0, 2_000);
      expect(await subject.store.put({ data: exact, mimeType: 'image/jpeg', maxBytes: 2_000 })).toMatchObject({
        ok: true,
      });

      const big = bytesOf(CONTRACT_MAX_BYTES + 1, 7);
      const overStore = await subject.store.put({ data: chunked(big, 4_096), mimeType: 'application/pdf' });
      expect(overStore).toMatchObject({ ok: false, reason: 'tooLarge' });
      // A request cannot raise the store's own limit.
      const raised = await subject.store.put({ data: big, mimeType: 'application/pdf', maxBytes: big.length * 2 });
      expect(raised).toMatchObject({ ok: false, reason: 'tooLarge' });
      expect(await subject.store.get(sha256(big))).toBeUndefined();
    });

    it('refuses an empty object and a MIME type that cannot be served', async () => {
      expect(await subject.store.put({ data: new Uint8Array(0), mimeType: 'image/png' })).toMatchObject({
        ok: false,
        reason: 'invalid',
      });
      const bytes = bytesOf(100, 8);
      for (const mimeType of ['', 'image', 'text/html\r\nset-cookie: a=b', 'a/b; c', 'x'.repeat(300) + '/y']) {
        expect(await subject.store.put({ data: bytes, mimeType }), JSON.stringify(mimeType)).toMatchObject({
          ok: false,
          reason: 'invalid',
        });
      }
      expect(await subject.store.get(sha256(bytes))).toBeUndefined();
    });

    it('rethrows an error of the byte source and keeps nothing of it', async () => {
      const bytes = bytesOf(3_000, 9);
      async function* broken(): AsyncGenerator<Uint8Array> {
        yield bytes.subarray(0, 1_000);
        await Promise.resolve();
        throw new Error('connection reset');
      }
      await expect(subject.store.put({ data: broken(), mimeType: 'image/jpeg' })).rejects.toThrow('connection reset');
      expect(await subject.store.get(sha256(bytes.subarray(0, 1_000)))).toBeUndefined();
      // The store still works afterwards.
      expect(await subject.store.put({ data: bytes, mimeType: 'image/jpeg' })).toMatchObject({ ok: true });
    });

    it('answers undefined for unknown and malformed refs', async () => {
      expect(await subject.store.get(sha256(bytesOf(10, 10)))).toBeUndefined();
      for (const ref of ['', 'abc', '../../etc/passwd', sha256(bytesOf(10, 11)).toUpperCase(), `${'0'.repeat(63)}/`]) {
        expect(await subject.store.get(ref), ref).toBeUndefined();
      }
    });

    it('deletes an object: get answers undefined, a second delete false, and the others stay', async () => {
      const gone = bytesOf(4_000, 20);
      const kept = bytesOf(4_000, 21);
      await subject.store.put({ data: gone, mimeType: 'image/jpeg' });
      await subject.store.put({ data: kept, mimeType: 'application/pdf' });
      const before = await subject.store.get(sha256(gone));
      expect(before).toBeDefined();

      expect(await subject.store.delete(sha256(gone))).toBe(true);
      expect(await subject.store.get(sha256(gone))).toBeUndefined();
      expect(await subject.store.delete(sha256(gone))).toBe(false);
      expect(await subject.store.get(sha256(gone))).toBeUndefined();

      const other = await subject.store.get(sha256(kept));
      expect(other).toMatchObject({ ref: sha256(kept), mimeType: 'application/pdf', sizeBytes: 4_000 });
      expect((await readAll(other!.open())).equals(kept)).toBe(true);
    });

    it('answers false for deleting unknown and malformed refs, and deletes nothing', async () => {
      const bytes = bytesOf(500, 22);
      await subject.store.put({ data: bytes, mimeType: 'image/png' });
      expect(await subject.store.delete(sha256(bytesOf(500, 23)))).toBe(false);
      const malformed = [
        '',
        'abc',
        '../../etc/passwd',
        sha256(bytes).toUpperCase(),
        `${sha256(bytes)}.json`,
        `${sha256(bytes).slice(0, 2)}/${sha256(bytes)}`,
        `${'0'.repeat(63)}/`,
        '.',
        '..',
      ];
      for (const ref of malformed) expect(await subject.store.delete(ref), ref).toBe(false);
      const got = await subject.store.get(sha256(bytes));
      expect(got).toMatchObject({ mimeType: 'image/png', sizeBytes: 500 });
      expect((await readAll(got!.open())).equals(bytes)).toBe(true);
    });

    it('stores the same bytes again after a delete, as a new object with their new type', async () => {
      const bytes = bytesOf(6_000, 24);
      await subject.store.put({ data: bytes, mimeType: 'image/jpeg' });
      expect(await subject.store.delete(sha256(bytes))).toBe(true);
      const again = await subject.store.put({ data: chunked(bytes, 1_500), mimeType: 'image/webp' });
      expect(again).toEqual({
        ok: true,
        ref: sha256(bytes),
        sha256: sha256(bytes),
        mimeType: 'image/webp',
        sizeBytes: 6_000,
        deduplicated: false,
      });
      const got = await subject.store.get(sha256(bytes));
      expect(got).toMatchObject({ ref: sha256(bytes), mimeType: 'image/webp', sizeBytes: 6_000 });
      expect((await readAll(got!.open())).equals(bytes)).toBe(true);
      expect(await subject.store.delete(sha256(bytes))).toBe(true);
      expect(await subject.store.get(sha256(bytes))).toBeUndefined();
    });

    it('leaves a whole object or none when puts and deletes of the same bytes race', async () => {
      const bytes = bytesOf(10_000, 25);
      const ref = sha256(bytes);
      for (let round = 0; round < 20; round++) {
        if (round % 2 === 0) await subject.store.put({ data: bytes, mimeType: 'image/gif' });
        await Promise.all([
          subject.store.put({ data: chunked(bytes, 2_500), mimeType: 'image/gif' }),
          subject.store.delete(ref),
          subject.store.put({ data: bytes, mimeType: 'image/gif' }),
          subject.store.delete(ref),
        ]);
        const got = await subject.store.get(ref);
        if (got !== undefined) {
          expect(got, `round ${round}`).toMatchObject({ ref, mimeType: 'image/gif', sizeBytes: 10_000 });
          expect((await readAll(got.open())).equals(bytes)).toBe(true);
        }
        // Settled either way: a delete now erases it, a put now stores it.
        await subject.store.delete(ref);
        expect(await subject.store.get(ref)).toBeUndefined();
      }
      expect(await subject.store.put({ data: bytes, mimeType: 'image/gif' })).toMatchObject({
        ok: true,
        deduplicated: false,
      });
    });
  });
}
