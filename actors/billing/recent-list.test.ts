import { describe, expect, it } from 'vitest';
import { findRecent, keepNewestIndexed } from './recent-list.ts';

interface Mark {
  readonly id: string;
  readonly n: number;
}
const idOf = (m: Mark) => m.id;
const scan = (list: readonly Mark[], id: string) => list.find((m) => m.id === id);

describe('recent lists with an id index', () => {
  it('answers as a scan would, through appends that drop the oldest, from any list object', () => {
    let seed = 11;
    const random = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % n;
    let list: Mark[] = [];
    const older: Mark[][] = [];
    for (let n = 0; n < 2_000; n++) {
      // Look-ups of ids held, dropped long ago, and never seen; sometimes on a list kept from earlier.
      for (const id of [`m${n - 1 - random(40)}`, `m${n - 60}`, `x${n}`]) {
        expect(findRecent(list, id, idOf)).toBe(scan(list, id));
      }
      if (n % 97 === 0 && older.length > 0) {
        const earlier = older[random(older.length)]!;
        expect(findRecent(earlier, `m${n - 50}`, idOf)).toBe(scan(earlier, `m${n - 50}`));
      }
      if (n % 50 === 0) older.push(list);
      list = keepNewestIndexed(list, { id: `m${n}`, n }, 50, idOf);
      expect(list.length).toBe(Math.min(n + 1, 50));
      expect(list[list.length - 1]!.n).toBe(n);
    }
  });

  it('keeps the newest `max`, oldest first, like keepNewest', () => {
    let list: Mark[] = [];
    for (let n = 0; n < 7; n++) list = keepNewestIndexed(list, { id: `m${n}`, n }, 3, idOf);
    expect(list.map((m) => m.n)).toEqual([4, 5, 6]);
    expect(findRecent(list, 'm3', idOf)).toBeUndefined();
    expect(findRecent(list, 'm5', idOf)).toEqual({ id: 'm5', n: 5 });
  });
});
