/**
 * Partitioning: `hash(address) mod P`. Computed in code (not by NATS) so that embedded and cluster modes agree.
 * P is fixed per installation: changing it moves actors between partitions and is a migration, not a setting tweak.
 */
export const DEFAULT_PARTITION_COUNT = 64;

/** FNV-1a 32-bit over the UTF-16 code units of the printed address; stable across processes and versions. */
export function hashAddress(printedAddress: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < printedAddress.length; i++) {
    hash ^= printedAddress.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * MurmurHash3's 32-bit finaliser. FNV-1a alone leaves its low bits depending only on the low bits of each
 * character, so with a power-of-two P addresses differing by 64 in one character would always share a partition.
 */
export function mixHash(hash: number): number {
  let h = hash >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function partitionOf(printedAddress: string, partitionCount: number): number {
  return mixHash(hashAddress(printedAddress)) % partitionCount;
}

export function allPartitions(partitionCount: number): number[] {
  return Array.from({ length: partitionCount }, (_, i) => i);
}
