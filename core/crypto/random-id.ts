import { randomBytes } from 'node:crypto';

/** Random bytes are drawn from the system's CSPRNG this many at a time (one call per ~340 ids of 12 bytes). */
const POOL_BYTES = 4096;

let pool: Buffer = Buffer.alloc(0);
let offset = 0;

/**
 * `bytes` random bytes as lowercase hex, from a pool refilled by `crypto.randomBytes`: the same randomness as one
 * `randomBytes(bytes)` call per id, at a fraction of the cost (one native call per pool, not per id). For ids
 * that must not collide or be guessed (message ids); secrets that guard access use `randomBytes` directly.
 */
export function randomHex(bytes: number): string {
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > POOL_BYTES) {
    throw new RangeError(`randomHex takes 1..${POOL_BYTES} bytes, not ${bytes}`);
  }
  if (offset + bytes > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
