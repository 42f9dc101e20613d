import { describe, expect, it } from 'vitest';
import { randomHex } from './random-id.ts';

describe('randomHex', () => {
  it('gives hex of the asked length, never the same twice across pool refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      const id = randomHex(12);
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(2_000);
  });

  it('uses every hex digit about equally (no byte of the pool handed out twice in a row)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 4_000; i++) for (const c of randomHex(16)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect(counts.size).toBe(16);
    for (const n of counts.values()) expect(n).toBeGreaterThan(7_000); // 8,000 expected each
  });

  it('refuses sizes it cannot serve', () => {
    expect(() => randomHex(0)).toThrow(RangeError);
    expect(() => randomHex(5_000)).toThrow(/1\.\.4096 bytes/);
  });
});
