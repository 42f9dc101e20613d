import type { StateSplit } from '../../core/index.ts';
import { PAIR_SHARDS, type PairShard } from './pacing.ts';
import { SEND_PRIORITIES, type SendPriority } from './number.messages.ts';
import { upgradeFromVersion1, type NumberState, type QueuedRequest } from './number.state.ts';

/**
 * Version 3 stores the pair-rate shards and the waiting requests one record each; versions 1 and 2 stored the
 * whole state as one record.
 */
export const NUMBER_STATE_VERSION = 3;

type NumberHead = Omit<NumberState, 'pairs' | 'queues'> & {
  readonly pairSize: number;
  readonly pairStrikes: NumberState['pairs']['strikes'];
};

/** A stored item: a pair-rate shard (keyed by its place, `s000`…) or a waiting request (keyed by its `seq`). */
export type NumberItem = PairShard | QueuedRequest;

/** Shard keys sort in shard order (LMDB orders the keys; numbers, the requests' seqs, sort before strings). */
const SHARD_KEYS: readonly string[] = Array.from({ length: PAIR_SHARDS }, (_, i) => `s${String(i).padStart(3, '0')}`);

/** The items array last built for a pair of (shards, queues), so an unchanged pair gives the very same array. */
const itemsCache = new WeakMap<readonly PairShard[], { queues: NumberState['queues']; items: readonly NumberItem[] }>();

/**
 * A number is written as its head (pacing, counters, quality, pauses, feedback) and one record per pair-rate shard
 * and per waiting request: a round of grants rewrites the shards of the recipients it granted to and deletes the
 * granted requests, instead of the whole state (at 256 recipients, ~10 KB; with a deep queue, far more).
 * Items: the PAIR_SHARDS shards first (their place is their key), then the requests of every priority.
 */
export const numberSplit: StateSplit<NumberState, NumberItem> = {
  head: ({ pairs, queues: _queues, ...rest }): NumberHead => ({
    ...rest,
    pairSize: pairs.size,
    pairStrikes: pairs.strikes,
  }),
  items(state) {
    const shards = state.pairs.shards;
    const cached = itemsCache.get(shards);
    if (cached !== undefined && cached.queues === state.queues) return cached.items;
    const items: NumberItem[] = [...shards];
    for (const priority of SEND_PRIORITIES) for (const request of state.queues[priority]) items.push(request);
    itemsCache.set(shards, { queues: state.queues, items });
    return items;
  },
  itemKey: (item, position) => (position < PAIR_SHARDS ? SHARD_KEYS[position]! : (item as QueuedRequest).seq),
  // The shards, keyed by their place (an empty shard object may stand at several places).
  fixedPlaces: PAIR_SHARDS,
  join(head, items) {
    const { pairSize, pairStrikes, ...rest } = head as NumberHead;
    const shards: PairShard[] = [];
    const queues: Record<SendPriority, QueuedRequest[]> = { reply: [], authentication: [], utility: [], marketing: [] };
    // Requests come in seq order (front-queued ones, negative, first), which is each queue's order.
    for (const item of items) {
      if ('recipients' in item) shards.push(item);
      else queues[item.priority].push(item);
    }
    if (shards.length !== PAIR_SHARDS) {
      throw new Error(`number state: ${shards.length} pair shards stored, ${PAIR_SHARDS} expected`);
    }
    return { ...rest, pairs: { shards, size: pairSize, strikes: pairStrikes }, queues };
  },
};

/** Versions 1 and 2 stored the whole state (version 1 in an older shape); the runtime then writes it split. */
export function upgradeNumber(stored: unknown, storedVersion: number): NumberState {
  if (storedVersion === 1) return upgradeFromVersion1(stored);
  if (storedVersion === 2) return stored as NumberState;
  throw new Error(`number: no upgrade from stored version ${storedVersion}`);
}
