import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { CounterState } from '../testing/actors/counter.actor.ts';
import { makeTempDir } from '../testing/temp-dir.ts';

const CHILD = fileURLToPath(new URL('../testing/crash/counter-node.ts', import.meta.url));
const KILLS = 12;
const ACTORS = 25;
const WINDOW = 300;

interface Op {
  readonly seq: number;
  readonly op: 'inc' | 'timer';
  readonly actor: string;
  readonly afterMs?: number;
}

/** One child process and the requests waiting for its answers. */
class Node {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<void>;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(dataDir: string) {
    this.child = fork(CHILD, [dataDir], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.ready = new Promise((resolve) => {
      this.child.on('message', (m: { type: string; seq?: number; value?: unknown; error?: string }) => {
        if (m.type === 'ready') resolve();
        const waiter = m.seq === undefined ? undefined : this.waiting.get(m.seq);
        if (!waiter) return;
        this.waiting.delete(m.seq!);
        if (m.type === 'ack') waiter.resolve(m.value);
        else waiter.reject(new Error(m.error));
      });
    });
    this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
    void this.exited.then(() => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error('child exited'));
      this.waiting.clear();
    });
  }

  request(command: Record<string, unknown> & { seq: number }): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.set(command.seq, { resolve, reject });
      if (!this.child.send(command)) reject(new Error('IPC send failed'));
    });
  }

  kill(): Promise<void> {
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

describe('crash safety under SIGKILL', () => {
  const temp = makeTempDir('parlo-crash-');
  afterAll(() => temp.remove());

  it(`applies every acknowledged increment exactly once and loses no timer across ${KILLS} kills`, async () => {
    const ops = new Map<number, Op>();
    const acked = new Set<number>();
    let nextSeq = 0;
    let querySeq = 1_000_000_000;
    let kills = 0;
    let resentAcked = 0;

    const newOp = (): Op => {
      const seq = nextSeq++;
      const actor = `c${seq % ACTORS}`;
      const op: Op =
        seq % 10 === 0 ? { seq, op: 'timer', actor, afterMs: 200 + (seq % 7) * 150 } : { seq, op: 'inc', actor };
      ops.set(seq, op);
      return op;
    };

    const run = (node: Node, op: Op): void => {
      node.request({ ...op }).then(
        () => acked.add(op.seq),
        () => undefined, // the child died first; the op is re-sent to the next child
      );
    };

    while (kills < KILLS) {
      const node = new Node(temp.path);
      await node.ready;
      // Re-send everything not acknowledged (same ids), plus some already acknowledged ops: both must apply once.
      for (const op of ops.values()) if (!acked.has(op.seq)) run(node, op);
      for (const seq of [...acked].slice(-20)) {
        run(node, ops.get(seq)!);
        resentAcked++;
      }
      const killAt = Date.now() + 50 + Math.floor(Math.random() * 400);
      while (Date.now() < killAt) {
        for (let i = 0; i < WINDOW / 10; i++) run(node, newOp());
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await node.kill();
      kills++;
    }

    const node = new Node(temp.path);
    await node.ready;
    await Promise.all(
      [...ops.values()]
        .filter((op) => !acked.has(op.seq))
        .map((op) => node.request({ ...op }).then(() => acked.add(op.seq))),
    );
    expect(acked.size).toBe(ops.size);

    // Let every timer fall due (the longest is 1,100 ms after it was set), then compare.
    const deadline = Date.now() + 15_000;
    for (;;) {
      const stats = (await node.request({ op: 'stats', seq: querySeq++ })) as { timers: number; outbox: number };
      if (stats.timers === 0 || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const expected = new Map<string, { increments: number; timers: number }>();
    for (const op of ops.values()) {
      const e = expected.get(op.actor) ?? { increments: 0, timers: 0 };
      if (op.op === 'inc') e.increments++;
      else e.timers++;
      expected.set(op.actor, e);
    }
    const actual = new Map<string, { increments: number; timers: number }>();
    for (const actor of expected.keys()) {
      const state = (await node.request({ op: 'get', seq: querySeq++, actor })) as CounterState;
      actual.set(actor, { increments: state.total, timers: state.timerFirings });
    }
    await node.kill();

    expect(kills).toBeGreaterThanOrEqual(10);
    expect(resentAcked).toBeGreaterThan(0);
    expect(ops.size).toBeGreaterThan(1000);
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
  }, 120_000);
});
