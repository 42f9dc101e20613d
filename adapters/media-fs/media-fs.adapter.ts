/**
 * The media store on the local filesystem (`MediaStorePort`, core/ports/media-store.port.ts).
 *
 * Layout under `dir` (the node's `<dataDir>/media`):
 *
 * ```
 * <aa>/<sha256>        the bytes; <aa> = the hash's first two hex characters (256 folders, none huge)
 * <aa>/<sha256>.json   { "mimeType", "sizeBytes" }: what the bytes are served as
 * tmp/<random>.part    a put in progress (same filesystem, so the final rename is atomic)
 * tmp/<random>.json.deleted   the metadata of an object being deleted, for the moment it takes
 * ```
 *
 * A put streams the source into a temp file while hashing and counting it (a 100 MB document is never held in
 * memory), stops at the size limit, checks the expected hash, fsyncs, writes the metadata (temp + rename), then
 * renames the bytes into place and fsyncs the folder. Readers therefore see a whole object or none, and a crash
 * leaves at most a `tmp/*.part` file, which the next start removes once it is an hour old. An object already
 * present is kept (`deduplicated`): the bytes of a ref never change, and its first MIME type stays.
 *
 * A delete unlinks the bytes (from then on `get` answers undefined), moves the metadata aside into `tmp/`, removes
 * it and fsyncs both folders, so the erasure survives a crash once it resolves. The two files cannot go in one
 * atomic step, so a put of the same bytes racing a delete is made safe without locks (which would not hold across
 * processes sharing the folder) by two checks. The put looks for its metadata after renaming its bytes into place
 * and writes it again when a delete took it. The delete looks for bytes after moving the metadata aside, and when a
 * put has brought them back it links the metadata it took back into place (unless the put already wrote it).
 * Whatever the interleaving, the end state is the object whole, or nothing (at worst a metadata file without
 * bytes, which no reader sees and the next put overwrites).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DEFAULT_MEDIA_MAX_BYTES,
  MEDIA_REF_PATTERN,
  isServableMimeType,
  type MediaPutOutcome,
  type MediaPutRequest,
  type MediaStorePort,
  type StoredMedia,
} from '../../core/index.ts';

export interface FsMediaStoreOptions {
  /** The store's root folder; created when missing. */
  readonly dir: string;
  /** The most bytes one object may have (default 100 MB, Meta's document limit). */
  readonly maxBytes?: number;
  /** Temp files older than this are removed when the store opens (a crash mid-put). Default one hour. */
  readonly staleTempAfterMs?: number;
}

export const TEMP_FOLDER = 'tmp';
const DEFAULT_STALE_TEMP_AFTER_MS = 60 * 60 * 1000;
/** What a stored object is served as when its metadata file is missing (written before the bytes; belt and braces). */
const FALLBACK_MIME_TYPE = 'application/octet-stream';

/** The path of an object's bytes: `<dir>/<first two hex characters>/<sha256>`. */
export function mediaPath(dir: string, sha256: string): string {
  return join(dir, sha256.slice(0, 2), sha256);
}

/**
 * Opens (creates) a filesystem media store. Removes stale temp files of earlier runs; temp files of a put still
 * running in another process on the same folder are younger than `staleTempAfterMs` and stay.
 */
export async function openFsMediaStore(options: FsMediaStoreOptions): Promise<MediaStorePort> {
  const dir = options.dir;
  const maxBytes = options.maxBytes ?? DEFAULT_MEDIA_MAX_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes <= 0)
    throw new TypeError('media-fs: maxBytes must be a positive integer');
  const tempDir = join(dir, TEMP_FOLDER);
  await mkdir(tempDir, { recursive: true });
  await removeStaleTemps(tempDir, options.staleTempAfterMs ?? DEFAULT_STALE_TEMP_AFTER_MS);

  async function put(request: MediaPutRequest): Promise<MediaPutOutcome> {
    const mimeType = request.mimeType.trim();
    if (!isServableMimeType(mimeType)) {
      return { ok: false, reason: 'invalid', detail: `unusable MIME type ${JSON.stringify(request.mimeType)}` };
    }
    const limit = Math.min(maxBytes, request.maxBytes ?? maxBytes);
    const temp = join(tempDir, `${randomBytes(12).toString('hex')}.part`);
    let handle: FileHandle | undefined;
    let keepTemp = false;
    try {
      try {
        handle = await open(temp, 'wx', 0o600);
      } catch (error) {
        return storeFailed('could not create a temp file', error);
      }
      const hash = createHash('sha256');
      let size = 0;
      const source = request.data instanceof Uint8Array ? [request.data] : request.data;
      // Errors of the source propagate (after the finally below removes the temp file); errors of the disk are
      // outcomes.
      for await (const chunk of source) {
        size += chunk.byteLength;
        // Returning ends the loop, which stops (destroys) a streamed source: no more of it is downloaded.
        if (size > limit) return { ok: false, reason: 'tooLarge', detail: `more than ${limit} bytes` };
        hash.update(chunk);
        const written = await writeAll(handle, chunk);
        if (written !== undefined) return storeFailed('could not write the temp file', written);
      }
      if (size === 0) return { ok: false, reason: 'invalid', detail: 'the object is empty' };
      const sha256 = hash.digest('hex');
      const expected = request.expectedSha256?.toLowerCase();
      if (expected !== undefined && expected !== sha256) {
        return { ok: false, reason: 'hashMismatch', detail: `the bytes hash to ${sha256}, expected ${expected}` };
      }
      try {
        await handle.sync();
        await handle.close();
        handle = undefined;
      } catch (error) {
        return storeFailed('could not flush the temp file', error);
      }
      const final = mediaPath(dir, sha256);
      const existing = await statOrUndefined(final);
      if (existing !== undefined && existing.size === size) {
        const info = await readInfo(final);
        if (info === undefined) {
          const meta = await writeInfo(final, tempDir, { mimeType, sizeBytes: size });
          if (meta !== undefined) return storeFailed('could not write the metadata', meta);
          await syncDir(join(dir, sha256.slice(0, 2)));
        }
        return {
          ok: true,
          ref: sha256,
          sha256,
          mimeType: info?.mimeType ?? mimeType,
          sizeBytes: size,
          deduplicated: true,
        };
      }
      try {
        await mkdir(join(dir, sha256.slice(0, 2)), { recursive: true });
      } catch (error) {
        return storeFailed('could not create the object folder', error);
      }
      // The metadata first: bytes in place always have their type (a crash between the two leaves a harmless
      // metadata file that the next put of those bytes overwrites).
      const meta = await writeInfo(final, tempDir, { mimeType, sizeBytes: size });
      if (meta !== undefined) return storeFailed('could not write the metadata', meta);
      try {
        await rename(temp, final);
        keepTemp = true; // it is the object now
      } catch (error) {
        return storeFailed('could not move the object into place', error);
      }
      // A delete of the same bytes may have taken the metadata between the two renames: write it again, so the
      // bytes in place have their type (see the module comment).
      if ((await readInfo(final)) === undefined) {
        const again = await writeInfo(final, tempDir, { mimeType, sizeBytes: size });
        if (again !== undefined) return storeFailed('could not write the metadata', again);
      }
      await syncDir(join(dir, sha256.slice(0, 2)));
      return { ok: true, ref: sha256, sha256, mimeType, sizeBytes: size, deduplicated: false };
    } finally {
      await handle?.close().catch(() => undefined);
      if (!keepTemp) await rm(temp, { force: true }).catch(() => undefined);
    }
  }

  async function get(ref: string): Promise<StoredMedia | undefined> {
    if (!MEDIA_REF_PATTERN.test(ref)) return undefined;
    const path = mediaPath(dir, ref);
    const stats = await statOrUndefined(path);
    if (stats === undefined || !stats.isFile()) return undefined;
    const info = await readInfo(path);
    // No metadata: a lost file (served as bytes) or a delete under way, after which there is nothing to serve.
    if (info === undefined && (await statOrUndefined(path)) === undefined) return undefined;
    return {
      ref,
      sha256: ref,
      mimeType: info?.mimeType ?? FALLBACK_MIME_TYPE,
      sizeBytes: stats.size,
      open: () => createReadStream(path),
    };
  }

  async function erase(ref: string): Promise<boolean> {
    if (!MEDIA_REF_PATTERN.test(ref)) return false;
    const path = mediaPath(dir, ref);
    const folder = join(dir, ref.slice(0, 2));
    const aside = join(tempDir, `${randomBytes(12).toString('hex')}.json.deleted`);
    let removed = false;
    let movedAside = false;
    try {
      // The bytes first: from now on `get` answers undefined.
      try {
        await unlink(path);
        removed = true;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      // The metadata (also when the bytes were missing: a crash may have left it alone). Moved aside, not unlinked:
      // it may be the one a racing put of the same bytes wrote for bytes it is about to rename into place.
      try {
        await rename(`${path}.json`, aside);
        movedAside = true;
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      if (movedAside && (await statOrUndefined(path)) !== undefined) {
        // A put brought the bytes back meanwhile: it wins, with its metadata (unless it has written it again).
        await restoreInfo(aside, `${path}.json`);
      }
    } finally {
      if (movedAside) await rm(aside, { force: true }).catch(() => undefined);
      // Durable like a put: the removed entries are data of their folders.
      await syncDir(folder);
      await syncDir(tempDir);
    }
    return removed;
  }

  return { maxBytes, put, get, delete: erase };
}

/** A path (or a folder on it) that does not exist. */
function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Puts metadata moved aside by a delete back into place, unless a put has written its own meanwhile (a hard link
 * fails on an existing name; every metadata file for a ref describes the same bytes). Where hard links are not
 * supported, a rename (atomic, replacing). Best effort: bytes without metadata are still served, as
 * `application/octet-stream`, and the next put of them writes it again.
 */
async function restoreInfo(aside: string, infoPath: string): Promise<void> {
  try {
    await link(aside, infoPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    await rename(aside, infoPath).catch(() => undefined);
  }
}

function storeFailed(what: string, error: unknown): MediaPutOutcome {
  return { ok: false, reason: 'storeFailed', detail: `${what}: ${(error as Error).message}` };
}

/** Writes a whole chunk (a FileHandle write may be short); the error, or undefined when it all went. */
async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<unknown> {
  try {
    let offset = 0;
    while (offset < chunk.byteLength) {
      const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
      offset += bytesWritten;
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}

interface ObjectInfo {
  readonly mimeType: string;
  readonly sizeBytes: number;
}

async function readInfo(objectPath: string): Promise<ObjectInfo | undefined> {
  try {
    const parsed = JSON.parse(await readFile(`${objectPath}.json`, 'utf8')) as Partial<ObjectInfo>;
    if (typeof parsed.mimeType !== 'string' || !isServableMimeType(parsed.mimeType)) return undefined;
    return { mimeType: parsed.mimeType, sizeBytes: Number(parsed.sizeBytes) };
  } catch {
    return undefined;
  }
}

/** Temp file + fsync + rename: a reader sees the old metadata or the new, never half of it. */
async function writeInfo(objectPath: string, tempDir: string, info: ObjectInfo): Promise<unknown> {
  const temp = join(tempDir, `${randomBytes(12).toString('hex')}.json.part`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(JSON.stringify(info));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, `${objectPath}.json`);
    return undefined;
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    return error;
  }
}

/** Makes a rename in `dir` durable (POSIX: the directory entry is data of the folder). Ignored where unsupported. */
async function syncDir(dir: string): Promise<void> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open a folder for fsync; the rename is still atomic there.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

async function removeStaleTemps(tempDir: string, staleAfterMs: number): Promise<void> {
  const cutoff = Date.now() - staleAfterMs;
  for (const name of await readdir(tempDir)) {
    const path = join(tempDir, name);
    const stats = await statOrUndefined(path);
    if (stats !== undefined && stats.mtimeMs < cutoff) await rm(path, { force: true }).catch(() => undefined);
  }
}
