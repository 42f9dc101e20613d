import { afterEach, describe, expect, it, vi } from 'vitest';
import { RUNTIME_METRICS } from '../metrics/metrics.ts';
import { counterActor, type CounterState } from '../testing/actors/counter.actor.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../testing/runtime-fixture.ts';
import { defineActor } from './define-actor.ts';

/**
 * Tells and asks to actors of the same node are handled within their sender's commit when nothing could be
 * overtaken (ActorSystem.deliverInCycle, askInCycle): no outbox entry, no consumed-id record, one commit for the
 * turns (for an ask: the question, the answer and the asker's turn on it).
 */

const counter = (id: string) => ({ kind: 'counter', id });

/** `relay` tells `sink` each number it is given, one tell each; `sink` keeps them in the order they arrived. */
const relay = defineActor<null, { type: 'emit'; ns: readonly number[] }>({
  kind: 'relay',
  stateVersion: 1,
  initialState: () => null,
  handle: (state, msg) => ({
    state,
    effects: msg.ns.map((n) => ({ type: 'tell', to: { kind: 'sink', id: 's' }, msg: { type: 'got', n } })),
  }),
});
const sink = defineActor<readonly number[], { type: 'got'; n: number } | { type: 'list' }>({
  kind: 'sink',
  stateVersion: 1,
  initialState: () => [],
  handle: (state, msg) => (msg.type === 'list' ? { state, reply: state } : { state: [...state, msg.n] }),
});

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

describe('in-cycle delivery of local tells', () => {
  it("handles a local tell in its sender's commit, without an outbox entry", async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [counterActor] }));
    const outbox = vi.spyOn(f.store, 'appendOutbox');
    const commitsBefore = f.metrics.snapshot().counters[RUNTIME_METRICS.commits] ?? 0;
    await f.system.ask(counter('from'), { type: 'forward', to: 'to', by: 7 });
    expect(f.metrics.snapshot().counters[RUNTIME_METRICS.commits]).toBe(commitsBefore + 1);
    expect(f.metrics.snapshot().counters[RUNTIME_METRICS.inCycleDeliveries]).toBe(1);
    expect(outbox).not.toHaveBeenCalled();
    // The ask was answered after the one commit, which holds the receiver's turn too.
    await f.restart();
    expect((await f.system.ask<CounterState>(counter('to'), { type: 'get' })).total).toBe(7);
    expect(f.store.outboxSize()).toBe(0);
  });

  it('keeps one sender’s tells in order and each exactly once when full mailboxes send some through the outbox', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [relay, sink], mailboxCapacity: 4 }));
    const told: Promise<void>[] = [];
    // Six tells per turn into a mailbox of four: some must wait, and every later one queues behind them.
    for (let n = 0; n < 300; n += 6) {
      const ns = [n, n + 1, n + 2, n + 3, n + 4, n + 5];
      told.push(f.system.tell({ kind: 'relay', id: 'r' }, { type: 'emit', ns }));
    }
    await Promise.all(told);
    for (let i = 0; i < 5; i++) await f.system.whenIdle();
    const received = await f.system.ask<number[]>({ kind: 'sink', id: 's' }, { type: 'list' });
    expect(received).toEqual(Array.from({ length: 300 }, (_, n) => n));
    const inCycle = f.metrics.snapshot().counters[RUNTIME_METRICS.inCycleDeliveries] ?? 0;
    expect(inCycle).toBeGreaterThan(0);
    expect(inCycle).toBeLessThan(300); // the sink's mailbox (4) was full at times: those went through the outbox
  });

  it('gives a tell still waiting when its commit is made an outbox entry, so a crash right after loses nothing', async () => {
    // One turn per commit: the receiver's turn cannot join its sender's commit.
    const f = (fixture = await startRuntimeFixture({ definitions: [counterActor], maxTurnsPerCommit: 1 }));
    const persisted = vi.spyOn(f.store, 'putOutboxEntry');
    await f.system.tell(counter('from'), { type: 'forward', to: 'to', by: 7 });
    // The forward's commit is issued; the process dies before the receiver's turn.
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(persisted).toHaveBeenCalledTimes(1);
    await f.crashAndRestart();
    for (let i = 0; i < 3; i++) await f.system.whenIdle();
    expect((await f.system.ask<CounterState>(counter('to'), { type: 'get' })).total).toBe(7);
    expect(f.store.outboxSize()).toBe(0);
  });

  it('answers a local ask within the asker’s commit: question, answer and the asker’s turn on it, no outbox', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [counterActor] }));
    const outbox = vi.spyOn(f.store, 'appendOutbox');
    const consumed = vi.spyOn(f.store, 'putConsumed');
    await f.system.ask(counter('other'), { type: 'increment', by: 4 });
    const commitsBefore = f.metrics.snapshot().counters[RUNTIME_METRICS.commits] ?? 0;
    consumed.mockClear();
    await f.system.ask(counter('asker'), { type: 'bumpOther', other: 'other' });
    expect(f.metrics.snapshot().counters[RUNTIME_METRICS.commits]).toBe(commitsBefore + 1);
    expect(outbox).not.toHaveBeenCalled();
    // Neither the question between the actors nor its answer is recorded as consumed.
    expect(consumed).not.toHaveBeenCalled();
    const asker = await f.system.ask<CounterState>(counter('asker'), { type: 'get' });
    expect(asker.answers).toEqual([{ ok: true, value: 5 }]);
    await f.restart();
    expect((await f.system.ask<CounterState>(counter('asker'), { type: 'get' })).answers).toEqual([
      { ok: true, value: 5 },
    ]);
    expect((await f.system.ask<CounterState>(counter('other'), { type: 'get' })).total).toBe(5);
    expect(f.store.outboxSize()).toBe(0);
  });

  it('answers a failing local ask with the handler failure, as the outbox path does', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [counterActor] }));
    await f.system.ask(counter('asker'), { type: 'bumpOther', other: 'other', makeItFail: true });
    const asker = await f.system.ask<CounterState>(counter('asker'), { type: 'get' });
    expect(asker.answers).toEqual([
      { ok: false, code: 'PARLO_HANDLER_FAILED', message: expect.stringContaining('boom') },
    ]);
  });

  it('gives an ask still waiting when its commit is made an ask entry: after a crash it is asked and answered once', async () => {
    // One turn per commit: neither the question nor the answer can join the asker's commit.
    const f = (fixture = await startRuntimeFixture({ definitions: [counterActor], maxTurnsPerCommit: 1 }));
    const persisted = vi.spyOn(f.store, 'putOutboxEntry');
    await f.system.tell(counter('asker'), { type: 'bumpOther', other: 'other' });
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(persisted.mock.calls[0]![1].effect).toMatchObject({ type: 'ask', replyType: 'otherBumped' });
    await f.crashAndRestart();
    for (let i = 0; i < 3; i++) await f.system.whenIdle();
    expect((await f.system.ask<CounterState>(counter('asker'), { type: 'get' })).answers).toEqual([
      { ok: true, value: 1 },
    ]);
    expect((await f.system.ask<CounterState>(counter('other'), { type: 'get' })).total).toBe(1);
    expect(f.store.outboxSize()).toBe(0);
  });

  it('keeps an answer given in one commit for an asker whose turn on it falls in the next', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [counterActor], maxTurnsPerCommit: 2 }));
    await f.system.tell(counter('asker'), { type: 'bumpOther', other: 'other' });
    for (let i = 0; i < 3; i++) await f.system.whenIdle();
    expect((await f.system.ask<CounterState>(counter('asker'), { type: 'get' })).answers).toEqual([
      { ok: true, value: 1 },
    ]);
    await f.crashAndRestart();
    for (let i = 0; i < 3; i++) await f.system.whenIdle();
    expect((await f.system.ask<CounterState>(counter('asker'), { type: 'get' })).answers).toEqual([
      { ok: true, value: 1 },
    ]);
    expect((await f.system.ask<CounterState>(counter('other'), { type: 'get' })).total).toBe(1);
    expect(f.store.outboxSize()).toBe(0);
  });
});
