import { afterEach, describe, expect, it, vi } from 'vitest';
import { startRuntimeFixture, type RuntimeFixture } from '../testing/runtime-fixture.ts';
import { defineActor } from './define-actor.ts';

/** A list actor whose entries are stored one record each (ActorDefinition.split); it keeps the newest `keep`. */
interface Entry {
  readonly seq: number;
  readonly text: string;
}
interface ListState {
  readonly title: string;
  readonly entries: readonly Entry[];
  readonly nextSeq: number;
}
type ListMsg =
  | { readonly type: 'add'; readonly text: string; readonly keep?: number }
  | { readonly type: 'edit'; readonly seq: number; readonly text: string }
  | { readonly type: 'remove'; readonly seq: number }
  | { readonly type: 'prepend'; readonly text: string }
  | { readonly type: 'rename'; readonly title: string }
  | { readonly type: 'clear' }
  | { readonly type: 'get' };

const EMPTY: ListState = { title: '', entries: [], nextSeq: 1 };

const listActor = defineActor<ListState, ListMsg, Entry>({
  kind: 'list',
  stateVersion: 2,
  initialState: () => EMPTY,
  isEmpty: (state) => state.entries.length === 0 && state.title === '',
  split: {
    head: ({ entries: _entries, ...head }) => head,
    items: (state) => state.entries,
    itemKey: (entry) => entry.seq,
    join: (head, items) => ({ ...(head as Omit<ListState, 'entries'>), entries: items }),
  },
  // Version 1 kept the entries inside the state, as strings.
  upgrade: (stored) => {
    const v1 = stored as { title: string; texts: string[] };
    return {
      title: v1.title,
      entries: v1.texts.map((text, i) => ({ seq: i + 1, text })),
      nextSeq: v1.texts.length + 1,
    };
  },
  handle(state, msg) {
    switch (msg.type) {
      case 'add': {
        const entries = [...state.entries, { seq: state.nextSeq, text: msg.text }].slice(-(msg.keep ?? 1000));
        return { state: { ...state, entries, nextSeq: state.nextSeq + 1 }, reply: state.nextSeq };
      }
      case 'edit':
        return {
          state: { ...state, entries: state.entries.map((e) => (e.seq === msg.seq ? { ...e, text: msg.text } : e)) },
        };
      case 'remove':
        return { state: { ...state, entries: state.entries.filter((e) => e.seq !== msg.seq) } };
      case 'prepend': {
        const entries = [{ seq: state.nextSeq, text: msg.text }, ...state.entries];
        return { state: { ...state, entries, nextSeq: state.nextSeq + 1 }, reply: state.nextSeq };
      }
      case 'rename':
        return { state: { ...state, title: msg.title } };
      case 'clear':
        return { state: EMPTY };
      case 'get':
        return { state, reply: state };
    }
  },
});
const list = (id: string) => ({ kind: 'list', id });

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

describe('split states (ActorDefinition.split)', () => {
  it('stores the head and one record per item, and joins them again after a restart', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [listActor] }));
    await f.system.ask(list('a'), { type: 'rename', title: 'groceries' });
    for (const text of ['milk', 'eggs', 'bread']) await f.system.ask(list('a'), { type: 'add', text });
    await f.store.durable();
    expect(f.store.readState('list', 'a')).toEqual({ v: 2, s: { title: 'groceries', nextSeq: 4 } });
    expect(f.store.readItems('list', 'a')).toEqual([
      { seq: 1, text: 'milk' },
      { seq: 2, text: 'eggs' },
      { seq: 3, text: 'bread' },
    ]);
    await f.restart();
    expect(await f.system.ask(list('a'), { type: 'get' })).toEqual({
      title: 'groceries',
      nextSeq: 4,
      entries: [
        { seq: 1, text: 'milk' },
        { seq: 2, text: 'eggs' },
        { seq: 3, text: 'bread' },
      ],
    });
  });

  it('writes only the items a turn changed, also after the state was loaded from disk', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [listActor] }));
    for (let i = 0; i < 50; i++) await f.system.ask(list('b'), { type: 'add', text: `item ${i}` });
    await f.restart();
    const puts = vi.spyOn(f.store, 'putItem');
    const deletes = vi.spyOn(f.store, 'deleteItem');
    await f.system.ask(list('b'), { type: 'edit', seq: 7, text: 'changed' });
    expect(puts.mock.calls).toEqual([['list', 'b', 7, { seq: 7, text: 'changed' }]]);
    await f.system.ask(list('b'), { type: 'rename', title: 'only the head' });
    expect(puts).toHaveBeenCalledTimes(1);
    expect(deletes).not.toHaveBeenCalled();
    await f.store.durable();
    expect(f.store.readItems('list', 'b')[6]).toEqual({ seq: 7, text: 'changed' });
  });

  it('neither rewrites nor keys the items that only moved in the array: an insert or removal writes one record', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [listActor] }));
    for (let i = 0; i < 50; i++) await f.system.ask(list('v'), { type: 'add', text: `item ${i}` });
    const puts = vi.spyOn(f.store, 'putItem');
    const deletes = vi.spyOn(f.store, 'deleteItem');
    await f.system.ask(list('v'), { type: 'remove', seq: 10 });
    expect(puts).not.toHaveBeenCalled();
    expect(deletes.mock.calls).toEqual([['list', 'v', 10]]);
    await f.system.ask(list('v'), { type: 'prepend', text: 'first' });
    expect(puts.mock.calls).toEqual([['list', 'v', 51, { seq: 51, text: 'first' }]]);
    expect(deletes).toHaveBeenCalledTimes(1);
    await f.store.durable();
    await f.restart();
    const state = await f.system.ask<ListState>(list('v'), { type: 'get' });
    expect(state.entries.map((e) => e.seq)).toEqual([
      ...Array.from({ length: 50 }, (_, i) => i + 1).filter((n) => n !== 10),
      51,
    ]);
  });

  it('writes the head only when one of its fields changed', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [listActor] }));
    await f.system.ask(list('h'), { type: 'add', text: 'first' });
    const heads = vi.spyOn(f.store, 'putState');
    await f.system.ask(list('h'), { type: 'edit', seq: 1, text: 'edited' });
    expect(heads).not.toHaveBeenCalled();
    await f.system.ask(list('h'), { type: 'rename', title: 'renamed' });
    await f.system.ask(list('h'), { type: 'edit', seq: 1, text: 'edited again' });
    expect(heads.mock.calls).toEqual([['list', 'h', { v: 2, s: { title: 'renamed', nextSeq: 2 } }]]);
    await f.restart();
    expect(await f.system.ask(list('h'), { type: 'get' })).toEqual({
      title: 'renamed',
      nextSeq: 2,
      entries: [{ seq: 1, text: 'edited again' }],
    });
  });

  it('deletes the records of items that left the state', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [listActor] }));
    for (let i = 0; i < 5; i++) await f.system.ask(list('c'), { type: 'add', text: `t${i}`, keep: 3 });
    await f.store.durable();
    expect(f.store.readItems('list', 'c').map((e) => (e as Entry).seq)).toEqual([3, 4, 5]);
  });

  it('stores exactly the items held after any mix of appends that trim the front, removals, inserts, edits and renames', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [listActor] }));
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) % n;
    for (let round = 0; round < 40; round++) {
      const burst: Promise<unknown>[] = [];
      for (let i = 0, n = 1 + random(4); i < n; i++) {
        const roll = random(10);
        if (roll < 5) burst.push(f.system.ask(list('m'), { type: 'add', text: `r${round}.${i}`, keep: 6 }));
        else if (roll < 6) burst.push(f.system.ask(list('m'), { type: 'remove', seq: 1 + random(round + 2) }));
        else if (roll < 7) burst.push(f.system.ask(list('m'), { type: 'prepend', text: `p${round}.${i}` }));
        else if (roll < 9)
          burst.push(f.system.ask(list('m'), { type: 'edit', seq: 1 + random(round + 2), text: `e${round}` }));
        else burst.push(f.system.ask(list('m'), { type: 'rename', title: `t${round}` }));
      }
      await Promise.all(burst); // one or more turns per commit
      const state = await f.system.ask<ListState>(list('m'), { type: 'get' });
      await f.store.durable();
      expect(f.store.readItems('list', 'm')).toEqual([...state.entries].sort((a, b) => a.seq - b.seq));
    }
  });

  it('deletes the head and every item when a turn leaves the state empty', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [listActor] }));
    for (let i = 0; i < 4; i++) await f.system.ask(list('d'), { type: 'add', text: `t${i}` });
    await f.restart();
    await f.system.ask(list('d'), { type: 'clear' });
    await f.store.durable();
    expect(f.store.readState('list', 'd')).toBeUndefined();
    expect(f.store.readItems('list', 'd')).toEqual([]);
  });

  it('upgrades a state stored whole by an older version into head and items on its next write', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [listActor] }));
    f.store.putState('list', 'e', { v: 1, s: { title: 'old', texts: ['x', 'y'] } });
    await f.store.durable();
    await f.system.ask(list('e'), { type: 'add', text: 'z' });
    await f.store.durable();
    expect(f.store.readState('list', 'e')).toEqual({ v: 2, s: { title: 'old', nextSeq: 4 } });
    expect(f.store.readItems('list', 'e')).toEqual([
      { seq: 1, text: 'x' },
      { seq: 2, text: 'y' },
      { seq: 3, text: 'z' },
    ]);
  });

  it('keeps items of different actors of one kind apart', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [listActor] }));
    await f.system.ask(list('f'), { type: 'add', text: 'f1' });
    await f.system.ask(list('f:2'), { type: 'add', text: 'f2' });
    await f.system.ask(list('ff'), { type: 'add', text: 'ff' });
    await f.restart();
    expect((await f.system.ask<ListState>(list('f'), { type: 'get' })).entries).toEqual([{ seq: 1, text: 'f1' }]);
    expect((await f.system.ask<ListState>(list('ff'), { type: 'get' })).entries).toEqual([{ seq: 1, text: 'ff' }]);
  });
});
