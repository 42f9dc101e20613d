import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allPartitions, DEFAULT_PARTITION_COUNT, hashAddress, mixHash, partitionOf } from './partition.ts';

/** Any UTF-16 string, lone surrogates included (the hash works on code units). */
const printedArb = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)) });

describe('partitionOf', () => {
  it('is an integer in [0, P) and the same on every call', () => {
    fc.assert(
      fc.property(printedArb, fc.integer({ min: 1, max: 4096 }), (printed, partitionCount) => {
        const partition = partitionOf(printed, partitionCount);
        expect(Number.isInteger(partition)).toBe(true);
        expect(partition).toBeGreaterThanOrEqual(0);
        expect(partition).toBeLessThan(partitionCount);
        expect(partitionOf(printed, partitionCount)).toBe(partition);
        expect(partition).toBe(mixHash(hashAddress(printed)) % partitionCount);
      }),
    );
  });

  it('hashes to an unsigned 32-bit integer', () => {
    fc.assert(
      fc.property(printedArb, (printed) => {
        const hash = hashAddress(printed);
        expect(Number.isInteger(hash)).toBe(true);
        expect(hash).toBeGreaterThanOrEqual(0);
        expect(hash).toBeLessThanOrEqual(0xffff_ffff);
      }),
    );
  });

  /**
   * Pinned values. Every stored actor and every NATS subject is placed by this function, in every process of every
   * version, so a different hash is a data migration, not a refactor. If this table fails, do not update it:
   * restore the hash, or plan the migration.
   */
  it.each([
    // Published FNV-1a 32-bit test vectors (ASCII, where UTF-16 code units equal bytes).
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('hashAddress(%j) is the FNV-1a 32-bit value %i', (printed, expected) => {
    expect(hashAddress(printed)).toBe(expected);
  });

  it.each([
    ['number:1', 1255242637, 41],
    ['conversation:15550001111:15551234567', 3644678346, 5],
    ['contact:wa-491701234567', 2234185937, 11],
    ['org:acme', 1592674819, 15],
    ['flow-run:abc:1', 1343904982, 37],
    // Non-ASCII: hashed over UTF-16 code units (the emoji is two of them), not UTF-8 bytes.
    ['operator:ü', 2679077947, 3],
    ['campaign:😀', 2080867206, 44],
  ])('%j → FNV-1a %i → mixed → partition %i of 64', (printed, hash, partition) => {
    expect(hashAddress(printed)).toBe(hash);
    expect(partitionOf(printed, DEFAULT_PARTITION_COUNT)).toBe(partition);
  });

  it('separates addresses that differ by 64 in one character (the mix step at work)', () => {
    const partitions = new Set(
      ['x:0', 'x:p', 'x:\u00b0', 'x:\u00f0'].map((a) => partitionOf(a, DEFAULT_PARTITION_COUNT)),
    );
    expect(partitions.size).toBeGreaterThan(1);
  });

  it('defaults to 64 partitions', () => {
    expect(DEFAULT_PARTITION_COUNT).toBe(64);
  });

  /** 100 000 addresses over 64 partitions: 1562.5 expected each; every partition must be within ±15 %. */
  it.each<[string, (i: number) => string]>([
    ['sequential contact ids', (i) => `contact:${i}`],
    ['phone-number conversations', (i) => `conversation:15550001111:1555${String(i).padStart(7, '0')}`],
    ['hex flow-run ids', (i) => `flow-run:${(Math.imul(i, 0x9e3779b1) >>> 0).toString(16)}`],
  ])('spreads %s evenly over 64 partitions', (_name, address) => {
    const total = 100_000;
    const counts = new Array<number>(DEFAULT_PARTITION_COUNT).fill(0);
    for (let i = 0; i < total; i++) {
      const partition = partitionOf(address(i), DEFAULT_PARTITION_COUNT);
      counts[partition] = (counts[partition] ?? 0) + 1;
    }
    const expected = total / DEFAULT_PARTITION_COUNT;
    const outside = counts
      .map((count, partition) => ({ partition, count }))
      .filter(({ count }) => Math.abs(count - expected) > expected * 0.15);
    expect(outside, `partitions outside ${expected} ± 15 %`).toEqual([]);
  });
});

describe('allPartitions', () => {
  it('lists 0 .. P-1 in order', () => {
    expect(allPartitions(4)).toEqual([0, 1, 2, 3]);
    expect(allPartitions(1)).toEqual([0]);
    expect(allPartitions(0)).toEqual([]);
    expect(allPartitions(DEFAULT_PARTITION_COUNT)).toHaveLength(64);
  });
});
