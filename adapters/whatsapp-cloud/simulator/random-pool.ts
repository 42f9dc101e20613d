import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for ids, drawn from one 64 KiB buffer refilled when used up. A `randomBytes(9)` call per id costs a
 * syscall each time and was 70 % of the simulator's send path; ids here need uniqueness, not secrecy per call.
 */
const POOL_SIZE = 64 * 1024;
const pool = Buffer.allocUnsafe(POOL_SIZE);
let offset = POOL_SIZE;

export function pooledRandomBytes(count: number): Buffer {
  if (count > POOL_SIZE) throw new RangeError(`at most ${POOL_SIZE} pooled random bytes per call`);
  if (offset + count > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const out = Buffer.from(pool.subarray(offset, offset + count));
  offset += count;
  return out;
}
