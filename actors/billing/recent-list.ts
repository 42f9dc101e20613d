/**
 * The wallet's "recent" lists (settled marks, counted conversations; oldest first, at most a fixed number), with a
 * lookup by id that does not scan them. A reserve and a settle each look an id up in a list of 500 and append to
 * it: scanning compared 500 long, similar strings per look-up (~5 % of the node's CPU in a campaign).
 *
 * The index is a memo, not state: a Map from id to entry, kept for one list object in a WeakMap and handed on to
 * the list `keepNewestIndexed` makes from it (updated for the entry added and those dropped), so each new list
 * costs O(1 + dropped) instead of a rebuild. A list reached another way (joined from storage, rewritten by a
 * pseudonymisation, an older list used again after its index was handed on) builds its index on first look-up.
 * Handlers stay pure: the answers are those of a scan.
 */

const indexes = new WeakMap<readonly unknown[], Map<string, unknown>>();

/** The entry of `list` whose id is `id`, if any (ids are unique in a list). */
export function findRecent<T>(list: readonly T[], id: string, idOf: (entry: T) => string): T | undefined {
  let index = indexes.get(list) as Map<string, T> | undefined;
  if (index === undefined) {
    index = new Map();
    for (const entry of list) index.set(idOf(entry), entry);
    indexes.set(list, index);
  }
  return index.get(id);
}

/** `list` with `entry` appended (its id not in it), keeping the newest `max`; its index handed on when built. */
export function keepNewestIndexed<T>(list: readonly T[], entry: T, max: number, idOf: (entry: T) => string): T[] {
  const next = [...list, entry];
  const dropped = Math.max(0, next.length - max);
  const kept = dropped > 0 ? next.slice(dropped) : next;
  const index = indexes.get(list) as Map<string, T> | undefined;
  if (index !== undefined) {
    indexes.delete(list);
    for (let i = 0; i < dropped; i++) {
      const old = next[i]!;
      if (index.get(idOf(old)) === old) index.delete(idOf(old));
    }
    index.set(idOf(entry), entry);
    indexes.set(kept, index);
  }
  return kept;
}
