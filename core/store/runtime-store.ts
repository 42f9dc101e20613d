import { mkdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { open, type Database, type RootDatabase } from 'lmdb';
import { ParloError } from '../errors/parlo-error.ts';

/** A persisted actor state: the definition's stateVersion at the time of writing, and the state itself. */
export interface StoredState {
  readonly v: number;
  readonly s: unknown;
}

/**
 * Consumed-message record as stored: when it was consumed, and the reply given (so a re-sent ask gets the same
 * answer). A bare number when there was no reply: the hot path writes one per message, so it stays small.
 */
type StoredConsumed = number | [at: number, reply: unknown];

/** An effect waiting to be dispatched after its turn committed. `id` is the derived message id it travels with. */
export interface OutboxEntry {
  readonly from: string;
  readonly id: string;
  readonly effect: OutboxEffect;
}

export type OutboxEffect =
  | { readonly type: 'tell'; readonly to: string; readonly msg: unknown }
  | {
      readonly type: 'ask';
      readonly to: string;
      readonly msg: unknown;
      readonly replyType: string;
      readonly callId: string;
    }
  | {
      readonly type: 'callPort';
      readonly port: string;
      readonly operation: string;
      readonly input: unknown;
      readonly resultType: string;
      readonly callId: string;
      /**
       * The effect's `onReplay`, stored only when given: entries written before the field existed (and those
       * without it) decode without it and replay as `'call'`.
       */
      readonly onReplay?: 'call' | 'interrupt';
    }
  | { readonly type: 'publish'; readonly topic: string; readonly event: unknown };

export interface TimerEntry {
  readonly timerId: string;
  readonly msg: unknown;
}

export interface TimerIndexEntry {
  readonly dueAtMs: number;
  readonly timerId: string;
}

export interface DeadLetter {
  readonly to: string;
  readonly msg: unknown;
  readonly msgId: string | undefined;
  readonly code: string;
  readonly message: string;
  readonly atMs: number;
}

type StateKey = [kind: string, id: string];
type ItemKey = [kind: string, id: string, itemKey: number | string];
type ConsumedKey = [kind: string, id: string, msgId: string];
type TimerKey = [dueAtMs: number, kind: string, id: string, name: string];
type TimerIndexKey = [kind: string, id: string, name: string];

export interface DueTimer {
  readonly dueAtMs: number;
  readonly kind: string;
  readonly id: string;
  readonly name: string;
  readonly entry: TimerEntry;
}

/**
 * The runtime's LMDB environment: one per node (shard), with a named database per table. Writes are issued as
 * lmdb-js asynchronous operations, which lmdb-js commits together with every other write issued in the same event
 * turn (its `eventTurnBatching`); the runtime relies on that to commit a whole drain of turns atomically (group
 * commit) and calls `durable()` to learn when they reached the disk. Reads are synchronous.
 */
export class RuntimeStore {
  readonly path: string;
  /** Identifies this environment; part of every outbox-derived message id, so ids stay unique across nodes. */
  readonly envId: string;
  private readonly root: RootDatabase;
  private readonly states: Database<StoredState, StateKey>;
  private readonly items: Database<unknown, ItemKey>;
  private readonly consumed: Database<StoredConsumed, ConsumedKey>;
  private readonly outbox: Database<OutboxEntry, number>;
  private readonly timers: Database<TimerEntry, TimerKey>;
  private readonly timerIndex: Database<TimerIndexEntry, TimerIndexKey>;
  private readonly deadLetters: Database<DeadLetter, [number, number]>;
  private readonly meta: Database<unknown, string>;
  /**
   * `<envId>.<opening>`: the prefix of new outbox message ids. The outbox sequence restarts after the last entry
   * still stored, so an emptied outbox would hand out `<envId>.1` again after a restart, an id receivers already
   * consumed (and would skip as a duplicate). Counting the openings of the environment keeps ids unique.
   */
  private readonly outboxIdPrefix: string;
  private nextOutboxSeq: number;
  private deadLetterSeq = 0;
  private lastWrite: Promise<unknown> | undefined;
  private closed = false;

  private constructor(path: string) {
    this.path = path;
    mkdirSync(path, { recursive: true });
    this.root = open({ path, compression: false, maxDbs: 16 });
    const structured = { encoding: 'msgpack' as const, sharedStructuresKey: Symbol.for('structures') };
    this.states = this.root.openDB({ name: 'states', ...structured });
    this.items = this.root.openDB({ name: 'state-items', ...structured });
    this.consumed = this.root.openDB({ name: 'consumed', encoding: 'msgpack' });
    this.outbox = this.root.openDB({ name: 'outbox', ...structured });
    this.timers = this.root.openDB({ name: 'timers', ...structured });
    this.timerIndex = this.root.openDB({ name: 'timer-index', encoding: 'msgpack' });
    this.deadLetters = this.root.openDB({ name: 'dead-letters', encoding: 'msgpack' });
    this.meta = this.root.openDB({ name: 'meta', encoding: 'msgpack' });

    let envId = this.meta.get('envId');
    if (typeof envId !== 'string') {
      envId = randomBytes(6).toString('base64url');
      this.meta.putSync('envId', envId);
    }
    this.envId = envId as string;
    const previousOpenings = this.meta.get('openings');
    const opening = (typeof previousOpenings === 'number' ? previousOpenings : 0) + 1;
    this.meta.putSync('openings', opening);
    this.outboxIdPrefix = `${this.envId}.${opening.toString(36)}`;
    let lastOutbox = 0;
    for (const key of this.outbox.getKeys({ reverse: true, limit: 1 })) lastOutbox = key;
    this.nextOutboxSeq = lastOutbox + 1;
  }

  static open(path: string): RuntimeStore {
    return new RuntimeStore(path);
  }

  // ---- reads (synchronous, committed data only) ----

  readState(kind: string, id: string): StoredState | undefined {
    return this.states.get([kind, id]);
  }

  /** The stored items of a split state (ActorDefinition.split), in key order. */
  readItems(kind: string, id: string): unknown[] {
    const found: unknown[] = [];
    for (const { key, value } of this.items.getRange({ start: [kind, id] })) {
      if (key[0] !== kind || key[1] !== id) break;
      found.push(value);
    }
    return found;
  }

  /** The keys of a split state's stored items. */
  readItemKeys(kind: string, id: string): (number | string)[] {
    const keys: (number | string)[] = [];
    for (const key of this.items.getKeys({ start: [kind, id] })) {
      if (key[0] !== kind || key[1] !== id) break;
      keys.push(key[2]);
    }
    return keys;
  }

  /** The reply recorded when the message was consumed, or undefined if this actor never consumed it. */
  readConsumed(kind: string, id: string, msgId: string): { reply: unknown } | undefined {
    const stored = this.consumed.get([kind, id, msgId]);
    if (stored === undefined) return undefined;
    return { reply: typeof stored === 'number' ? undefined : stored[1] };
  }

  readTimerIndex(kind: string, id: string, name: string): TimerIndexEntry | undefined {
    return this.timerIndex.get([kind, id, name]);
  }

  /** Outbox entries in commit order, for replay after a restart. */
  *pendingOutbox(): Generator<{ seq: number; entry: OutboxEntry }> {
    for (const { key, value } of this.outbox.getRange()) yield { seq: key, entry: value };
  }

  outboxSize(): number {
    return this.outbox.getCount();
  }

  /** Consumed-message records held, for tests and diagnostics. */
  consumedCount(): number {
    return this.consumed.getCount();
  }

  /** The earliest timer's due time, if any. */
  earliestTimerDueAt(): number | undefined {
    for (const key of this.timers.getKeys({ limit: 1 })) return key[0];
    return undefined;
  }

  dueTimers(nowMs: number, limit: number): DueTimer[] {
    const due: DueTimer[] = [];
    for (const { key, value } of this.timers.getRange({ end: [nowMs, '\uffff'], limit })) {
      const [dueAtMs, kind, id, name] = key;
      if (dueAtMs > nowMs) break;
      due.push({ dueAtMs, kind, id, name, entry: value });
    }
    return due;
  }

  /** The earliest timers, due or not, in due order. */
  firstTimers(limit: number): DueTimer[] {
    const first: DueTimer[] = [];
    for (const { key, value } of this.timers.getRange({ limit })) {
      const [dueAtMs, kind, id, name] = key;
      first.push({ dueAtMs, kind, id, name, entry: value });
    }
    return first;
  }

  timerCount(): number {
    return this.timers.getCount();
  }

  *listDeadLetters(): Generator<DeadLetter> {
    for (const { value } of this.deadLetters.getRange()) yield value;
  }

  /** Consumed-message records older than `beforeMs`, in key order, resuming after `afterKey`. */
  staleConsumed(
    beforeMs: number,
    afterKey: ConsumedKey | undefined,
    limit: number,
  ): { keys: ConsumedKey[]; lastKey: ConsumedKey | undefined } {
    const keys: ConsumedKey[] = [];
    let lastKey: ConsumedKey | undefined;
    const range = afterKey ? { start: afterKey, exclusiveStart: true, limit } : { limit };
    for (const { key, value } of this.consumed.getRange(range)) {
      lastKey = key;
      const at = typeof value === 'number' ? value : value[0];
      if (at < beforeMs) keys.push(key);
    }
    return { keys, lastKey };
  }

  // ---- writes (asynchronous; grouped per event turn by lmdb-js) ----

  putState(kind: string, id: string, state: StoredState): void {
    this.track(this.states.put([kind, id], state));
  }

  /** Removes an actor's stored state (see `ActorDefinition.isEmpty`); a missing entry is not an error. */
  deleteState(kind: string, id: string): void {
    this.track(this.states.remove([kind, id]));
  }

  putItem(kind: string, id: string, itemKey: number | string, item: unknown): void {
    this.track(this.items.put([kind, id, itemKey], item));
  }

  deleteItem(kind: string, id: string, itemKey: number | string): void {
    this.track(this.items.remove([kind, id, itemKey]));
  }

  putConsumed(kind: string, id: string, msgId: string, atMs: number, reply: unknown): void {
    this.track(this.consumed.put([kind, id, msgId], reply === undefined ? atMs : [atMs, reply]));
  }

  removeConsumed(key: ConsumedKey): void {
    this.track(this.consumed.remove(key));
  }

  /** Appends an outbox entry and returns its sequence number (the dispatch order). */
  appendOutbox(from: string, effect: OutboxEffect): { seq: number; entry: OutboxEntry } {
    const { seq, id } = this.reserveOutboxSeq();
    const entry: OutboxEntry = { from, id, effect };
    this.track(this.outbox.put(seq, entry));
    return { seq, entry };
  }

  /**
   * An outbox sequence number and its message id, without an entry: for a message delivered within the commit
   * that produced it, which gets its entry (`putOutboxEntry`) only if it is still waiting when that commit is made.
   */
  reserveOutboxSeq(): { seq: number; id: string } {
    const seq = this.nextOutboxSeq++;
    return { seq, id: `${this.outboxIdPrefix}.${seq.toString(36)}` };
  }

  putOutboxEntry(seq: number, entry: OutboxEntry): void {
    this.track(this.outbox.put(seq, entry));
  }

  removeOutbox(seq: number): void {
    this.track(this.outbox.remove(seq));
  }

  putTimer(kind: string, id: string, name: string, dueAtMs: number, entry: TimerEntry): void {
    this.track(this.timers.put([dueAtMs, kind, id, name], entry));
    this.track(this.timerIndex.put([kind, id, name], { dueAtMs, timerId: entry.timerId }));
  }

  removeTimer(kind: string, id: string, name: string, dueAtMs: number): void {
    this.track(this.timers.remove([dueAtMs, kind, id, name]));
    this.track(this.timerIndex.remove([kind, id, name]));
  }

  putDeadLetter(letter: DeadLetter): void {
    this.track(this.deadLetters.put([letter.atMs, this.deadLetterSeq++], letter));
  }

  /**
   * Resolves when every write issued so far is committed and flushed to disk. Rejects with PARLO_STORE_FAILED if
   * a commit failed.
   */
  async durable(): Promise<void> {
    const last = this.lastWrite;
    if (!last) return;
    try {
      await last;
      await this.root.flushed;
    } catch (err) {
      throw new ParloError('PARLO_STORE_FAILED', `LMDB commit failed at ${this.path}: ${String(err)}`, err);
    } finally {
      if (this.lastWrite === last) this.lastWrite = undefined;
    }
  }

  hasPendingWrites(): boolean {
    return this.lastWrite !== undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.durable().catch(() => undefined);
    await this.root.close();
  }

  private track(write: Promise<unknown>): void {
    this.lastWrite = write;
  }
}
