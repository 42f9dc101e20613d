import { describe, expect, it } from 'vitest';
import type { TurnContext } from '../../core/index.ts';
import { numberActor } from './number.actor.ts';
import type { NumberMsg, SendPriority } from './number.messages.ts';
import { initialNumberState, type NumberState } from './number.state.ts';
import { numberSplit, upgradeNumber } from './number.storage.ts';
import { PAIR_SHARDS } from './pacing.ts';

const T0 = 1_767_225_600_000;
const ctx: TurnContext = { self: { kind: 'number', id: '1001' }, nowMs: T0, msgId: undefined, newId: () => 'id' };

const request = (n: number, priority: SendPriority): NumberMsg => ({
  type: 'requestSlot',
  requester: { kind: 'conversation', id: `1001.p1555000${n}` },
  messageId: `m${n}`,
  priority,
  recipient: `p1555000${n}`,
});

/** A number after 12 requests at one instant: 2 granted (80 msg/s: a slot and a burst of one), 10 waiting. */
function busyNumber(): NumberState {
  let state = initialNumberState();
  const priorities: SendPriority[] = ['marketing', 'utility', 'reply'];
  for (let n = 1; n <= 12; n++) state = numberActor.handle(state, request(n, priorities[n % 3]!), ctx).state;
  // One waiting request put back at the front (as after a 130429), with a negative seq.
  const first = request(1, 'marketing') as Extract<NumberMsg, { type: 'requestSlot' }>;
  return numberActor.handle(state, { ...first, type: 'throttled', code: 130429 }, ctx).state;
}

/** The items as LMDB would return them: in key order (numbers, the requests' seqs, before the shard strings). */
function inKeyOrder(state: NumberState): unknown[] {
  const items = numberSplit.items(state);
  const keyed = items.map((item, position) => ({ key: numberSplit.itemKey(item, position), item }));
  keyed.sort((a, b) =>
    typeof a.key === typeof b.key ? (a.key < b.key ? -1 : a.key > b.key ? 1 : 0) : typeof a.key === 'number' ? -1 : 1,
  );
  return keyed.map((k) => structuredClone(k.item));
}

describe('number storage', () => {
  it('stores the head without shards and queues, one item per shard and per waiting request; join gives the state back', () => {
    const state = busyNumber();
    const waiting = state.queues.reply.length + state.queues.utility.length + state.queues.marketing.length;
    expect(waiting).toBeGreaterThan(5);
    const head = numberSplit.head(state);
    expect(head).not.toHaveProperty('queues');
    expect(head).not.toHaveProperty('pairs');
    expect(head).toMatchObject({ pairSize: state.pairs.size, pacing: state.pacing });
    const items = numberSplit.items(state);
    expect(items).toHaveLength(PAIR_SHARDS + waiting);
    const keys = items.map((item, position) => numberSplit.itemKey(item, position));
    expect(keys.slice(0, 3)).toEqual(['s000', 's001', 's002']);
    expect(new Set(keys).size).toBe(keys.length);
    expect(numberSplit.join(structuredClone(head), inKeyOrder(state) as never)).toEqual(state);
  });

  it('gives the very same items array while shards and queues are unchanged', () => {
    const state = busyNumber();
    const again = { ...state, granted: state.granted + 1 };
    expect(numberSplit.items(again)).toBe(numberSplit.items(state));
  });

  it('refuses stored items that do not hold every shard', () => {
    const state = busyNumber();
    expect(() => numberSplit.join(numberSplit.head(state), [])).toThrow(/0 pair shards stored, 128 expected/);
  });

  it('takes a whole state stored by version 2 as it is, and refuses unknown versions', () => {
    const state = busyNumber();
    expect(upgradeNumber(structuredClone(state), 2)).toEqual(state);
    expect(() => upgradeNumber({}, 7)).toThrow(/no upgrade from stored version 7/);
  });
});
