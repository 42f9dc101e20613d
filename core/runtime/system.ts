import { randomBytes } from 'node:crypto';
import { formatAddress, isValidKind, parseAddress, type Address } from '../address/address.ts';
import { allPartitions, partitionOf } from '../address/partition.ts';
import { ParloError, errorCodeOf } from '../errors/parlo-error.ts';
import { isErrorCode, type ErrorCode } from '../errors/codes.ts';
import type { Logger } from '../log/logger.ts';
import { RUNTIME_METRICS, labelled, type Metrics } from '../metrics/metrics.ts';
import type { OutboxEffect, RuntimeStore } from '../store/runtime-store.ts';
import type { Clock } from '../time/clock.ts';
import type { Envelope, Reply, Subscription, EventListener, Transport } from '../transport/transport.port.ts';
import { Activation, sameHead, type Delivery } from './activation.ts';
import type { AnyActorDefinition, Effect, TurnContext, TurnResult, StateSplit } from './define-actor.ts';
import { OutboxDispatcher, type OutboxItem } from './outbox-dispatcher.ts';
import { TimerService } from './timer-service.ts';

import type { Ports } from './ports.ts';

export type { PortOperation, Ports } from './ports.ts';

export const DEFAULT_MAILBOX_CAPACITY = 10_000;
export const DEFAULT_ASK_TIMEOUT_MS = 10_000;
export const DEFAULT_IDLE_PASSIVATE_MS = 60_000;
/**
 * Activations a node keeps in memory at most (a conversation's costs ~4 kB of heap): beyond it, the least recently
 * active idle ones are passivated (down to MAX_ACTIVATIONS_LOW_WATER of it), so a campaign over 100,000 contacts
 * does not keep 100,000 actors resident for `idlePassivateMs`.
 */
export const DEFAULT_MAX_ACTIVATIONS = 20_000;
const MAX_ACTIVATIONS_LOW_WATER = 0.9;
/** An active activation is moved to the end of the map once this share of the cap was put after it. */
const RECENCY_DRIFT = 0.25;
export const DEFAULT_DEDUPE_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
export const DEFAULT_MAX_TURNS_PER_COMMIT = 5_000;
/** Turns one actor may take in a row before others get the thread (fairness). */
const TURNS_PER_SLICE = 64;

export interface ActorSystemOptions {
  readonly nodeId: string;
  readonly definitions: readonly AnyActorDefinition[];
  readonly store: RuntimeStore;
  readonly transport: Transport;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly ports?: Ports;
  readonly partitionCount: number;
  /** Partitions this node owns; all of them by default (embedded mode). */
  readonly ownedPartitions?: readonly number[];
  readonly mailboxCapacity?: number;
  readonly askTimeoutMs?: number;
  readonly idlePassivateMs?: number;
  /** See DEFAULT_MAX_ACTIVATIONS. */
  readonly maxActivations?: number;
  readonly dedupeRetentionMs?: number;
  readonly maxTurnsPerCommit?: number;
}

export interface SendOptions {
  /** Idempotency key: a message whose id this actor already consumed is skipped (and an ask gets the same reply). */
  readonly msgId?: string;
}

export interface AskOptions extends SendOptions {
  readonly timeoutMs?: number;
}

/** The turns of one drain: committed together, acknowledged together once durable. */
interface CommitCycle {
  readonly startedAtMs: number;
  turns: number;
  wrote: boolean;
  readonly settles: { settle: (reply: Reply) => void; reply: Reply }[];
  readonly outbox: OutboxItem[];
  /**
   * Tells, asks and ask replies delivered straight into a local mailbox in this cycle; those still waiting at its
   * end get an entry (`ask` set: an ask entry, else a tell entry).
   */
  readonly inCycle: {
    delivery: Delivery;
    from: string;
    to: string;
    msg: unknown;
    ask?: { replyType: string; callId: string };
  }[];
  readonly consumed: { activation: Activation; msgId: string }[];
  readonly timers: { activation: Activation; name: string; entry: unknown }[];
  /** Timer deliveries this cycle consumed or found stale; the timer service may look at them again. */
  readonly firedTimerIds: string[];
  readonly touched: Set<Activation>;
  /** Transient publishes of this cycle, released once its commit is durable (never written). */
  readonly published: { topic: string; event: unknown }[];
  earliestTimerAtMs: number;
}

/**
 * The actor runtime of one node: virtual actors activated on demand, one turn at a time each, many concurrently;
 * group commit of state + consumed ids + outbox + timers to LMDB; effects and replies released only once durable.
 */
export class ActorSystem {
  readonly nodeId: string;
  readonly metrics: Metrics;
  private readonly definitions = new Map<string, AnyActorDefinition>();
  private readonly kindTurnsMetrics = new Map<string, string>();
  private readonly activations = new Map<string, Activation>();
  private readonly ready: Activation[] = [];
  private readonly owned: Set<number>;
  private readonly partitionCount: number;
  private readonly mailboxCapacity: number;
  private readonly askTimeoutMs: number;
  private readonly idlePassivateMs: number;
  private readonly maxActivations: number;
  /** A pass of `passivateLeastRecent` is scheduled (it runs between drains, never inside a commit cycle). */
  private evictionScheduled = false;
  /** Insertions into `activations` so far: an activation's `order` says how recent its place is. */
  private insertions = 0;
  private readonly dedupeRetentionMs: number;
  private readonly maxTurnsPerCommit: number;
  private readonly store: RuntimeStore;
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly dispatcher: OutboxDispatcher;
  private readonly timers: TimerService;
  private drainScheduled = false;
  private lastCycleDone: Promise<void> = Promise.resolve();
  private cyclesInFlight = 0;
  private idleWaiters: (() => void)[] = [];
  private readonly bootId = randomBytes(4).toString('base64url');
  private idSeq = 0;
  private state: 'created' | 'running' | 'stopping' | 'stopped' | 'failed' = 'created';
  private cancelSweep: (() => void) | undefined;
  private sweepCursor: [string, string, string] | undefined;

  constructor(options: ActorSystemOptions) {
    this.nodeId = options.nodeId;
    this.metrics = options.metrics;
    this.store = options.store;
    this.transport = options.transport;
    this.clock = options.clock;
    this.logger = options.logger;
    this.partitionCount = options.partitionCount;
    this.owned = new Set(options.ownedPartitions ?? allPartitions(options.partitionCount));
    this.mailboxCapacity = options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY;
    this.askTimeoutMs = options.askTimeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
    this.idlePassivateMs = options.idlePassivateMs ?? DEFAULT_IDLE_PASSIVATE_MS;
    this.maxActivations = options.maxActivations ?? DEFAULT_MAX_ACTIVATIONS;
    this.dedupeRetentionMs = options.dedupeRetentionMs ?? DEFAULT_DEDUPE_RETENTION_MS;
    this.maxTurnsPerCommit = options.maxTurnsPerCommit ?? DEFAULT_MAX_TURNS_PER_COMMIT;
    for (const definition of options.definitions) {
      if (!isValidKind(definition.kind)) throw new Error(`actor kind "${definition.kind}" is not a valid kind`);
      if (this.definitions.has(definition.kind)) throw new Error(`actor kind "${definition.kind}" is defined twice`);
      this.definitions.set(definition.kind, definition);
    }
    this.dispatcher = new OutboxDispatcher({
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      ports: options.ports ?? {},
      isLocal: (printed) => this.isLocal(printed),
      deliverLocal: (printed, delivery, waitForSpace) => this.deliverFromNode(printed, delivery, waitForSpace),
      sendRemote: (printed, envelope) => this.transport.send(this.partitionOfPrinted(printed), envelope),
      request: (printed, msg, msgId) => this.requestFromNode(printed, msg, msgId),
      publish: (topic, event) => this.transport.publish(topic, event),
      removeOutbox: (seq) => this.store.removeOutbox(seq),
      dispatched: (from) => {
        const activation = this.activations.get(from);
        if (activation !== undefined && activation.undispatched > 0) activation.undispatched--;
      },
      isRunning: () => this.state === 'running' || this.state === 'stopping',
    });
    this.timers = new TimerService({
      clock: this.clock,
      store: this.store,
      logger: this.logger,
      isLocal: (printed) => this.isLocal(printed),
      deliver: (printed, delivery) => {
        void this.deliverFromNode(printed, delivery, false);
      },
      onFired: () => this.metrics.count(RUNTIME_METRICS.timersFired),
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /** Replays the outbox, arms durable timers (firing those that fell due while down) and starts listening. */
  async start(): Promise<void> {
    if (this.state !== 'created') throw new Error(`cannot start an actor system that is ${this.state}`);
    this.state = 'running';
    let replayed = 0;
    for (const { seq, entry } of this.store.pendingOutbox()) {
      this.dispatcher.enqueue([{ seq, from: entry.from, id: entry.id, effect: entry.effect, replayed: true }]);
      replayed++;
    }
    if (replayed > 0) this.logger.info({ replayed }, 'replaying outbox entries left by the previous run');
    await this.transport.listen([...this.owned], (envelope) => this.receive(envelope));
    this.timers.start();
    this.scheduleSweep();
  }

  /** Stops accepting messages, finishes and commits every queued turn, and waits until all of it is durable. */
  async stop(): Promise<void> {
    if (this.state === 'stopped' || this.state === 'created') {
      this.state = 'stopped';
      return;
    }
    this.state = 'stopping';
    await this.transport.unlisten([...this.owned]);
    this.timers.stop();
    this.cancelSweep?.();
    await this.whenIdle();
    // Effects not dispatched yet (and port calls still running) stay in the outbox and replay on the next start.
    this.dispatcher.stop();
    await this.whenIdle();
    await this.store.durable();
    for (const activation of this.activations.values()) activation.mailbox.releaseWaiters();
    this.state = 'stopped';
  }

  /**
   * Stops at once without finishing queued turns or waiting for commits: what is not durable is lost and nothing
   * more is acknowledged, as if the process died. The next start on the same store recovers from LMDB. Used when
   * a fatal error leaves the node unusable, and by tests that simulate a crash.
   */
  abort(): void {
    this.state = 'failed';
    this.timers.stop();
    this.cancelSweep?.();
    this.ready.length = 0;
    for (const activation of this.activations.values()) activation.mailbox.releaseWaiters();
    this.activations.clear();
    void this.transport.unlisten([...this.owned]).catch(() => undefined);
  }

  /** Resolves when no turn is queued or running and every commit so far is durable and acknowledged. */
  whenIdle(): Promise<void> {
    if (this.isQuiet()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // ---------------------------------------------------------------- public messaging API

  /**
   * Delivers a message and resolves once the turn that consumed it is durable (or it was recognised as a
   * duplicate). Waits for mailbox space: the producer is slowed, memory stays bounded.
   */
  tell(to: Address, msg: unknown, options: SendOptions = {}): Promise<void> {
    return this.route(to, msg, options.msgId, 'tell', this.askTimeoutMs).then((reply) => {
      throwIfRefused(reply);
    });
  }

  /**
   * Fire-and-forget enqueue on this node: false when the actor's mailbox is full (the caller should back off).
   * For an actor on another node the message is handed to the transport and true is returned.
   */
  tryTell(to: Address, msg: unknown, options: SendOptions = {}): boolean {
    this.assertAccepting();
    const printed = formatAddress(to);
    if (!this.isLocal(printed)) {
      this.transport
        .send(this.partitionOfPrinted(printed), { to: printed, msg, msgId: options.msgId })
        .catch((err: unknown) => {
          this.logger.error({ err, to: printed }, 'tryTell to a remote partition failed');
        });
      return true;
    }
    const activation = this.activate(to, printed);
    if (!activation) return true; // dead-lettered (unknown kind)
    if (!activation.mailbox.push({ msg, msgId: options.msgId })) return false;
    this.schedule(activation);
    return true;
  }

  /** Sends a message and resolves with the actor's reply once the turn is durable. */
  ask<R = unknown>(to: Address, msg: unknown, options: AskOptions = {}): Promise<R> {
    return this.route(to, msg, options.msgId, 'ask', options.timeoutMs ?? this.askTimeoutMs).then(
      (reply) => throwIfRefused(reply) as R,
    );
  }

  publish(topic: string, event: unknown): void {
    this.transport.publish(topic, event);
  }

  subscribe(topicPattern: string, listener: EventListener): Subscription {
    return this.transport.subscribe(topicPattern, listener);
  }

  /** `running` while the node accepts messages; `created`, `stopping`, `stopped` or `failed` otherwise. */
  get status(): 'created' | 'running' | 'stopping' | 'stopped' | 'failed' {
    return this.state;
  }

  get activeActorCount(): number {
    return this.activations.size;
  }

  /** Removes consumed-message records older than the retention, in bounded steps. Returns how many it removed. */
  sweepConsumed(limit = 10_000): number {
    const before = this.clock.now() - this.dedupeRetentionMs;
    const { keys, lastKey } = this.store.staleConsumed(before, this.sweepCursor, limit);
    for (const key of keys) this.store.removeConsumed(key);
    this.sweepCursor = lastKey;
    return keys.length;
  }

  /**
   * Passivates the least recently active idle actors until at most MAX_ACTIVATIONS_LOW_WATER × `maxActivations`
   * remain (or no idle one is left). Returns how many it passivated. Runs between drains: an actor whose turn
   * is not yet written (dirty) or not yet durable is not idle.
   */
  passivateLeastRecent(): number {
    const target = Math.floor(this.maxActivations * MAX_ACTIVATIONS_LOW_WATER);
    const excess = this.activations.size - target;
    if (excess <= 0) return 0;
    // The map is in order of last activity (see drain): the least recently active come first.
    const idle: string[] = [];
    for (const [printed, activation] of this.activations) {
      if (activation.isIdle && !activation.dirty) idle.push(printed);
      if (idle.length === excess) break;
    }
    const count = idle.length;
    for (const printed of idle) this.activations.delete(printed);
    if (count > 0) {
      this.metrics.count(RUNTIME_METRICS.passivations, count);
      this.metrics.gauge(RUNTIME_METRICS.activeActors, this.activations.size);
    }
    return count;
  }

  /** Passivates actors idle for longer than `idlePassivateMs`. Returns how many it passivated. */
  passivateIdle(): number {
    const threshold = this.clock.now() - this.idlePassivateMs;
    let count = 0;
    for (const [printed, activation] of this.activations) {
      if (activation.isIdle && activation.lastActiveAtMs <= threshold) {
        this.activations.delete(printed);
        count++;
      }
    }
    if (count > 0) {
      this.metrics.count(RUNTIME_METRICS.passivations, count);
      this.metrics.gauge(RUNTIME_METRICS.activeActors, this.activations.size);
    }
    return count;
  }

  // ---------------------------------------------------------------- routing

  private route(
    to: Address,
    msg: unknown,
    msgId: string | undefined,
    mode: 'tell' | 'ask',
    timeoutMs: number,
  ): Promise<Reply> {
    if (this.state !== 'running') return Promise.reject(this.notRunningError());
    const printed = formatAddress(to);
    if (this.isLocal(printed)) {
      const settled = this.deliverWithReply(to, printed, msg, msgId);
      return mode === 'ask' ? this.withTimeout(settled, timeoutMs, printed) : settled;
    }
    const partition = this.partitionOfPrinted(printed);
    const envelope: Envelope = { to: printed, msg, msgId };
    if (mode === 'ask') return this.transport.request(partition, envelope, timeoutMs);
    return this.transport.send(partition, envelope).then(() => OK_EMPTY);
  }

  /** The transport's entry point for envelopes addressed to partitions this node listens to. */
  private receive(envelope: Envelope): Promise<Reply> {
    if (this.state !== 'running') {
      return Promise.resolve({
        ok: false,
        code: 'PARLO_RUNTIME_STOPPED',
        message: `node ${this.nodeId} is ${this.state}`,
      });
    }
    let address: Address;
    try {
      address = parseAddress(envelope.to);
    } catch (err) {
      return Promise.resolve({ ok: false, code: 'PARLO_INVALID_ADDRESS', message: String((err as Error).message) });
    }
    if (!this.isLocal(envelope.to)) {
      return Promise.resolve({
        ok: false,
        code: 'PARLO_PARTITION_NOT_OWNED',
        message: `node ${this.nodeId} does not own partition ${this.partitionOfPrinted(envelope.to)} of ${envelope.to}`,
      });
    }
    // No timeout here: the asking node runs its own, and the turn is committed whether or not it still waits.
    return this.deliverWithReply(address, envelope.to, envelope.msg, envelope.msgId);
  }

  private deliverWithReply(to: Address, printed: string, msg: unknown, msgId: string | undefined): Promise<Reply> {
    return new Promise<Reply>((resolve) => {
      const activation = this.activate(to, printed, msg, msgId);
      if (!activation) {
        resolve({ ok: false, code: 'PARLO_UNKNOWN_ACTOR_KIND', message: `no actor kind "${to.kind}" is registered` });
        return;
      }
      const delivery: Delivery = { msg, msgId, settle: resolve };
      if (activation.mailbox.push(delivery)) {
        this.schedule(activation);
        return;
      }
      void this.pushWhenSpace(activation, delivery);
    });
  }

  /** Deliveries that originate on this node (outbox, timers): accepted over capacity unless asked to wait. */
  private deliverFromNode(printed: string, delivery: Delivery, waitForSpace: boolean): Promise<void> | undefined {
    // After a stop the outbox entry or timer stays in LMDB and is delivered again on the next start.
    if (this.state !== 'running' && this.state !== 'stopping') return undefined;
    const address = parseAddress(printed);
    const activation = this.activate(address, printed, delivery.msg, delivery.msgId, delivery.outboxSeq);
    if (!activation) return undefined;
    if (activation.mailbox.push(delivery)) {
      this.schedule(activation);
      return undefined;
    }
    if (!waitForSpace) {
      activation.mailbox.pushOverCapacity(delivery);
      this.schedule(activation);
      return undefined;
    }
    return this.pushWhenSpace(activation, delivery);
  }

  /** An ask effect on its way: to a local actor through its mailbox, to a remote one over the transport. */
  private requestFromNode(printed: string, msg: unknown, msgId: string): Promise<Reply> {
    if (this.isLocal(printed)) return this.deliverWithReply(parseAddress(printed), printed, msg, msgId);
    return this.transport.request(this.partitionOfPrinted(printed), { to: printed, msg, msgId }, this.askTimeoutMs);
  }

  private async pushWhenSpace(activation: Activation, delivery: Delivery): Promise<void> {
    for (;;) {
      await activation.mailbox.whenSpace();
      if (this.state === 'stopped' || this.state === 'failed') {
        delivery.settle?.({ ok: false, code: 'PARLO_RUNTIME_STOPPED', message: `node ${this.nodeId} stopped` });
        return;
      }
      // The activation may have been passivated while we waited; re-activate the current one.
      const current = this.activations.get(activation.printed) ?? this.activate(activation.address, activation.printed);
      if (current && current.mailbox.push(delivery)) {
        this.schedule(current);
        return;
      }
      if (current) activation = current;
    }
  }

  private withTimeout(settled: Promise<Reply>, timeoutMs: number, printed: string): Promise<Reply> {
    return new Promise<Reply>((resolve) => {
      const cancel = this.clock.wakeAt(this.clock.now() + timeoutMs, () =>
        resolve({ ok: false, code: 'PARLO_ASK_TIMEOUT', message: `${printed} did not answer within ${timeoutMs} ms` }),
      );
      void settled.then((reply) => {
        cancel();
        resolve(reply);
      });
    });
  }

  // ---------------------------------------------------------------- activation

  /**
   * Returns the live activation, loading state from LMDB on first use. An unknown kind is dead-lettered (with the
   * message, if one is given) and yields undefined.
   */
  private activate(
    address: Address,
    printed: string,
    msg?: unknown,
    msgId?: string,
    outboxSeq?: number,
  ): Activation | undefined {
    const existing = this.activations.get(printed);
    if (existing) return existing;
    const definition = this.definitions.get(address.kind);
    if (!definition) {
      this.deadLetter(printed, msg, msgId, 'PARLO_UNKNOWN_ACTOR_KIND', `no actor kind "${address.kind}" is registered`);
      if (outboxSeq !== undefined) this.store.removeOutbox(outboxSeq);
      return undefined;
    }
    const stored = this.store.readState(address.kind, address.id);
    const split = definition.split;
    const storedItems = split && stored ? this.store.readItems(address.kind, address.id) : [];
    let state: unknown;
    if (!stored) {
      state = definition.initialState(address.id);
    } else if (stored.v === definition.stateVersion) {
      state = split ? split.join(stored.s, storedItems) : stored.s;
    } else if (definition.upgrade) {
      state = definition.upgrade(stored.s, stored.v, storedItems);
    } else {
      throw new Error(
        `${printed}: stored state version ${stored.v} ≠ ${definition.stateVersion} and no upgrade() is defined`,
      );
    }
    const activation = new Activation(address, definition, state, this.mailboxCapacity, this.clock.now());
    if (split && stored) {
      if (stored.v === definition.stateVersion) {
        // The joined state holds the stored item objects: they need no write until a turn replaces them.
        const items = split.items(state);
        for (let position = 0; position < items.length; position++) {
          activation.writtenItems.set(split.itemKey(items[position], position), items[position]);
        }
        activation.writtenItemsArray = items;
        activation.writtenHead = split.head(state);
      } else {
        // Upgraded: the stored items (if any) are of an older shape; each is rewritten, or deleted when gone.
        for (const key of this.store.readItemKeys(address.kind, address.id)) activation.writtenItems.set(key, null);
        activation.dirty = true;
      }
    }
    this.activations.set(printed, activation);
    activation.order = ++this.insertions;
    if (this.activations.size > this.maxActivations && !this.evictionScheduled) {
      this.evictionScheduled = true;
      setImmediate(() => {
        this.evictionScheduled = false;
        if (this.state === 'running') this.passivateLeastRecent();
      });
    }
    this.metrics.count(RUNTIME_METRICS.activations);
    this.metrics.gauge(RUNTIME_METRICS.activeActors, this.activations.size);
    return activation;
  }

  // ---------------------------------------------------------------- scheduling and turns

  private schedule(activation: Activation): void {
    if (!activation.scheduled) {
      activation.scheduled = true;
      this.ready.push(activation);
    }
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  }

  /** Runs queued turns (up to maxTurnsPerCommit) in one event turn, so that lmdb-js commits them as one batch. */
  private readonly drain = (): void => {
    this.drainScheduled = false;
    if (this.state === 'failed' || this.state === 'stopped') return;
    const cycle: CommitCycle = {
      startedAtMs: performance.now(),
      turns: 0,
      wrote: false,
      settles: [],
      outbox: [],
      inCycle: [],
      consumed: [],
      timers: [],
      firedTimerIds: [],
      touched: new Set(),
      published: [],
      earliestTimerAtMs: Infinity,
    };
    let readIndex = 0;
    while (readIndex < this.ready.length && cycle.turns < this.maxTurnsPerCommit) {
      const activation = this.ready[readIndex++]!;
      const nowMs = this.clock.now();
      let slice = 0;
      let delivery: Delivery | undefined;
      cycle.touched.add(activation);
      while (
        slice < TURNS_PER_SLICE &&
        cycle.turns < this.maxTurnsPerCommit &&
        (delivery = activation.mailbox.shift())
      ) {
        this.runTurn(activation, delivery, cycle, nowMs);
        slice++;
      }
      if (this.insertions - activation.order > this.maxActivations * RECENCY_DRIFT) {
        // Moved to the end: the map stays in order of activity, oldest first, to within a quarter of the cap
        // (a busy actor moves once that many others were put after it, not on every turn).
        this.activations.delete(activation.printed);
        this.activations.set(activation.printed, activation);
        activation.order = ++this.insertions;
      }
      activation.lastActiveAtMs = nowMs;
      if (activation.mailbox.length > 0) {
        this.ready.push(activation);
      } else {
        activation.scheduled = false;
      }
    }
    this.ready.splice(0, readIndex);
    this.persistWaitingInCycle(cycle);
    let queued = 0;
    for (const activation of this.ready) queued += activation.mailbox.length;
    this.metrics.gauge(RUNTIME_METRICS.mailboxDepth, queued);
    for (const activation of cycle.touched) {
      if (activation.dirty) {
        const { kind, id } = activation.address;
        // An empty state is the initial one: delete the entry rather than keep it (ActorDefinition.isEmpty).
        if (activation.definition.isEmpty?.(activation.state) === true) {
          this.store.deleteState(kind, id);
          for (const key of activation.writtenItems.keys()) this.store.deleteItem(kind, id, key);
          activation.writtenItems.clear();
          activation.writtenItemsArray = undefined;
          activation.writtenHead = undefined;
        } else if (activation.definition.split) {
          this.writeSplit(activation, activation.definition.split);
        } else {
          this.store.putState(kind, id, { v: activation.definition.stateVersion, s: activation.state });
        }
        activation.dirty = false;
        cycle.wrote = true;
      }
      activation.inFlightCycles++;
    }
    this.finishCycle(cycle);
    if (this.ready.length > 0 && !this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(this.drain);
    }
  };

  /** The per-kind turn counter's series name, built once per kind. */
  private kindTurnsMetric(kind: string): string {
    let name = this.kindTurnsMetrics.get(kind);
    if (name === undefined) {
      name = labelled(RUNTIME_METRICS.turnsByKind, { kind });
      this.kindTurnsMetrics.set(kind, name);
    }
    return name;
  }

  /** Writes a split state's head and the items that changed since the last write (see StateSplit). */
  private writeSplit(activation: Activation, split: StateSplit<unknown, unknown>): void {
    const { kind, id } = activation.address;
    const state = activation.state;
    const head = split.head(state);
    if (!sameHead(activation.writtenHead, head)) {
      this.store.putState(kind, id, { v: activation.definition.stateVersion, s: head });
      activation.writtenHead = head;
    }
    const items = split.items(state);
    const previous = activation.writtenItemsArray;
    if (items === previous) return;
    const written = activation.writtenItems;
    if (previous === undefined) {
      this.writeAllItems(activation, split, items);
      return;
    }
    // Walk both arrays: the very object found next in the array last written was written (an item object keeps
    // its key, StateSplit.itemKey), and a few previous objects skipped on the way left this place. Any other item
    // is put when its key holds another object. Appends, drops and replacements in several runs of items (a log
    // trimmed at its front, a bucket replaced) cost a comparison per item, no key.
    const fixed = Math.min(split.fixedPlaces ?? 0, items.length, previous.length);
    for (let position = 0; position < fixed; position++) {
      const item = items[position];
      if (previous[position] === item) continue;
      const key = split.itemKey(item, position);
      this.putItemIfChanged(activation, key, item);
    }
    const unmatched: unknown[] = [];
    const skipped: number[] = [];
    let j = fixed;
    for (let position = fixed; position < items.length; position++) {
      const item = items[position];
      if (j < previous.length && previous[j] === item) {
        j++;
        continue;
      }
      const skip = aheadIndex(previous, j, item);
      if (skip > 0) {
        for (let r = j; r < j + skip; r++) skipped.push(r);
        j += skip + 1;
        continue;
      }
      unmatched.push(item);
      const key = split.itemKey(item, position);
      this.putItemIfChanged(activation, key, item);
    }
    for (; j < previous.length; j++) skipped.push(j);
    if (skipped.length > 0) {
      // A skipped object is gone unless it is still held elsewhere in the array or another object took its key.
      const held = unmatched.length > 0 ? new Set(unmatched) : undefined;
      for (const position of skipped) {
        const old = previous[position];
        if (held?.has(old) === true) continue;
        const key = split.itemKey(old, position);
        if (written.get(key) === old) {
          this.store.deleteItem(kind, id, key);
          written.delete(key);
        }
      }
    }
    activation.writtenItemsArray = items;
  }

  /** Writes `item` under `key` unless that very object is what the key holds. */
  private putItemIfChanged(activation: Activation, key: number | string, item: unknown): void {
    const written = activation.writtenItems;
    if (written.get(key) === item && written.has(key)) return;
    this.store.putItem(activation.address.kind, activation.address.id, key, item);
    written.set(key, item);
  }

  /** A split state's first write in this activation (or after an upgrade): every item looked up by its key. */
  private writeAllItems(activation: Activation, split: StateSplit<unknown, unknown>, items: readonly unknown[]): void {
    const { kind, id } = activation.address;
    const written = activation.writtenItems;
    const current = new Set<number | string>();
    for (let position = 0; position < items.length; position++) {
      const item = items[position];
      const key = split.itemKey(item, position);
      current.add(key);
      this.putItemIfChanged(activation, key, item);
    }
    for (const key of written.keys()) {
      if (!current.has(key)) {
        this.store.deleteItem(kind, id, key);
        written.delete(key);
      }
    }
    activation.writtenItemsArray = items;
  }

  private runTurn(activation: Activation, delivery: Delivery, cycle: CommitCycle, nowMs: number): void {
    const { kind, id } = activation.address;
    const msgId = delivery.msgId;
    this.metrics.count(this.kindTurnsMetric(kind));
    if (delivery.inCycleSeq !== undefined) delivery.consumed = true;

    // A local outbox delivery cannot be a duplicate: its entry leaves the outbox in the commit that consumes it
    // (see consume), so no consumed-id record is looked up or written for it.
    if (msgId !== undefined && !isLocalDelivery(delivery)) {
      const duplicate = this.findConsumed(activation, msgId);
      if (duplicate) {
        this.metrics.count(RUNTIME_METRICS.duplicatesSkipped);
        if (delivery.outboxSeq !== undefined) {
          this.store.removeOutbox(delivery.outboxSeq);
          cycle.wrote = true;
        }
        if (delivery.timer) cycle.firedTimerIds.push(delivery.timer.timerId);
        if (delivery.settle)
          cycle.settles.push({ settle: delivery.settle, reply: { ok: true, value: duplicate.reply } });
        return;
      }
    }
    if (delivery.timer && !this.isCurrentTimer(activation, delivery.timer.name, delivery.timer.timerId)) {
      cycle.firedTimerIds.push(delivery.timer.timerId);
      return; // cancelled or replaced after it fired; the newer timer has its own entry
    }

    let result: TurnResult<unknown>;
    try {
      result = activation.definition.handle(activation.state, delivery.msg, this.turnContext(activation, msgId, nowMs));
    } catch (err) {
      const message = `handler of ${activation.printed} threw: ${err instanceof Error ? err.message : String(err)}`;
      this.logger.error({ err, actor: activation.printed, msgId }, 'actor handler threw; message dead-lettered');
      this.deadLetter(activation.printed, delivery.msg, msgId, 'PARLO_HANDLER_FAILED', message);
      this.consume(activation, delivery, cycle, nowMs, undefined);
      cycle.wrote = true;
      if (delivery.settle)
        cycle.settles.push({ settle: delivery.settle, reply: { ok: false, code: 'PARLO_HANDLER_FAILED', message } });
      if (delivery.replyTo)
        this.replyInCycle(activation, delivery, { ok: false, code: 'PARLO_HANDLER_FAILED', message }, cycle);
      return;
    }

    cycle.turns++;
    if (result.state !== activation.state) {
      activation.state = result.state;
      activation.dirty = true;
    }
    this.consume(activation, delivery, cycle, nowMs, result.reply);
    if (result.effects) {
      for (const effect of result.effects) {
        switch (effect.type) {
          case 'tell': {
            const to = formatAddress(effect.to);
            if (!this.deliverInCycle(activation, effect.to, to, effect.msg, cycle)) {
              this.appendOutbox(activation, { type: 'tell', to, msg: effect.msg }, cycle);
            }
            break;
          }
          case 'ask':
            if (this.askInCycle(activation, effect, cycle)) break;
            this.appendOutbox(
              activation,
              {
                type: 'ask',
                to: formatAddress(effect.to),
                msg: effect.msg,
                replyType: effect.replyType,
                callId: effect.callId,
              },
              cycle,
            );
            break;
          case 'callPort':
            this.appendOutbox(
              activation,
              {
                type: 'callPort',
                port: effect.port,
                operation: effect.operation,
                input: effect.input,
                resultType: effect.resultType,
                callId: effect.callId,
                // Only when given, so that entries stay as small as before for the default.
                ...(effect.onReplay === undefined ? {} : { onReplay: effect.onReplay }),
              },
              cycle,
            );
            break;
          case 'publish':
            if (effect.transient === true) cycle.published.push({ topic: effect.topic, event: effect.event });
            else this.appendOutbox(activation, { type: 'publish', topic: effect.topic, event: effect.event }, cycle);
            break;
          case 'setTimer': {
            this.removeTimerIfAny(activation, effect.name);
            const entry = { dueAtMs: effect.dueAtMs, timerId: this.newId() };
            this.store.putTimer(kind, id, effect.name, effect.dueAtMs, { timerId: entry.timerId, msg: effect.msg });
            activation.pendingTimers.set(effect.name, entry);
            cycle.timers.push({ activation, name: effect.name, entry });
            cycle.earliestTimerAtMs = Math.min(cycle.earliestTimerAtMs, effect.dueAtMs);
            cycle.wrote = true;
            break;
          }
          case 'cancelTimer':
            this.removeTimerIfAny(activation, effect.name);
            break;
          default:
            throw new Error(`unknown effect ${JSON.stringify(effect satisfies never)}`);
        }
      }
    }
    if (delivery.settle) cycle.settles.push({ settle: delivery.settle, reply: { ok: true, value: result.reply } });
    if (delivery.replyTo) this.replyInCycle(activation, delivery, { ok: true, value: result.reply }, cycle);
  }

  /**
   * Records that the delivery was consumed, in the same commit: a local outbox delivery by removing its outbox
   * entry (which is what keeps it from ever being delivered again), any other message with an id by recording the
   * id (and reply) for duplicate detection, a timer by removing it.
   */
  private consume(activation: Activation, delivery: Delivery, cycle: CommitCycle, nowMs: number, reply: unknown): void {
    const { kind, id } = activation.address;
    if (delivery.msgId !== undefined && !isLocalDelivery(delivery)) {
      this.store.putConsumed(kind, id, delivery.msgId, nowMs, reply);
      activation.pendingConsumed.set(delivery.msgId, reply);
      cycle.consumed.push({ activation, msgId: delivery.msgId });
      cycle.wrote = true;
    }
    if (delivery.outboxSeq !== undefined) {
      this.store.removeOutbox(delivery.outboxSeq);
      cycle.wrote = true;
    }
    if (delivery.timer) {
      this.store.removeTimer(kind, id, delivery.timer.name, delivery.timer.dueAtMs);
      activation.pendingTimers.set(delivery.timer.name, null);
      cycle.timers.push({ activation, name: delivery.timer.name, entry: null });
      cycle.firedTimerIds.push(delivery.timer.timerId);
      cycle.wrote = true;
    }
  }

  private findConsumed(activation: Activation, msgId: string): { reply: unknown } | undefined {
    if (activation.pendingConsumed.has(msgId)) return { reply: activation.pendingConsumed.get(msgId) };
    return this.store.readConsumed(activation.address.kind, activation.address.id, msgId);
  }

  private currentTimer(activation: Activation, name: string): { dueAtMs: number; timerId: string } | null {
    if (activation.pendingTimers.has(name)) return activation.pendingTimers.get(name) ?? null;
    return this.store.readTimerIndex(activation.address.kind, activation.address.id, name) ?? null;
  }

  private isCurrentTimer(activation: Activation, name: string, timerId: string): boolean {
    return this.currentTimer(activation, name)?.timerId === timerId;
  }

  private removeTimerIfAny(activation: Activation, name: string): void {
    const current = this.currentTimer(activation, name);
    if (!current) return;
    this.store.removeTimer(activation.address.kind, activation.address.id, name, current.dueAtMs);
    activation.pendingTimers.set(name, null);
  }

  private appendOutbox(activation: Activation, effect: OutboxEffect, cycle: CommitCycle): void {
    const { seq, entry } = this.store.appendOutbox(activation.printed, effect);
    const counted = effect.type === 'tell' || effect.type === 'ask';
    if (counted) activation.undispatched++;
    cycle.outbox.push({ seq, from: entry.from, id: entry.id, effect, counted });
    cycle.wrote = true;
  }

  /**
   * A tell to an actor of this node goes straight into its mailbox, to be handled in this same commit (sender's
   * turn and receiver's turn are then made durable together: no outbox entry, no consumed-id record), when that
   * keeps every guarantee of the outbox path: the receiver's kind is known and its mailbox has room, and nothing
   * could be overtaken — the sender has no earlier tell or ask still waiting to be dispatched, and the dispatcher
   * is not holding entries back for a full mailbox. Otherwise false: the tell goes through the outbox.
   */
  private deliverInCycle(sender: Activation, to: Address, printed: string, msg: unknown, cycle: CommitCycle): boolean {
    const receiver = this.inCycleReceiver(sender, to, printed);
    if (receiver === undefined) return false;
    const { seq, id } = this.store.reserveOutboxSeq();
    const delivery: Delivery = { msg, msgId: id, local: true, inCycleSeq: seq };
    receiver.mailbox.push(delivery);
    cycle.inCycle.push({ delivery, from: sender.printed, to: printed, msg });
    this.metrics.count(RUNTIME_METRICS.inCycleDeliveries);
    this.schedule(receiver);
    return true;
  }

  /** The receiver of a delivery within this commit when deliverInCycle's conditions hold, else undefined. */
  private inCycleReceiver(sender: Activation, to: Address, printed: string): Activation | undefined {
    if (sender.undispatched > 0 || this.dispatcher.isWaitingForSpace) return undefined;
    if (!this.definitions.has(to.kind) || !this.isLocal(printed)) return undefined;
    const receiver = this.activations.get(printed) ?? this.activate(to, printed);
    if (receiver === undefined || receiver.mailbox.isFull) return undefined;
    return receiver;
  }

  /**
   * An ask to an actor of this node, handled within its asker's commit under deliverInCycle's conditions: the
   * question goes into the receiver's mailbox, and the turn that answers it delivers the reply message into the
   * asker's mailbox in the same way (`replyInCycle`). Question, answer and the asker's turn on the answer are made
   * durable together (no outbox entry, no consumed-id record); whatever is still waiting when the commit is made
   * gets its outbox entry in it (the question as an ask, the answer as a tell), as on the outbox path.
   */
  private askInCycle(sender: Activation, effect: Extract<Effect, { type: 'ask' }>, cycle: CommitCycle): boolean {
    const to = formatAddress(effect.to);
    const receiver = this.inCycleReceiver(sender, effect.to, to);
    if (receiver === undefined) return false;
    const { seq, id } = this.store.reserveOutboxSeq();
    const replyTo = { asker: sender.address, replyType: effect.replyType, callId: effect.callId };
    const delivery: Delivery = { msg: effect.msg, msgId: id, local: true, inCycleSeq: seq, replyTo };
    receiver.mailbox.push(delivery);
    cycle.inCycle.push({
      delivery,
      from: sender.printed,
      to,
      msg: effect.msg,
      ask: { replyType: effect.replyType, callId: effect.callId },
    });
    this.metrics.count(RUNTIME_METRICS.inCycleDeliveries);
    this.schedule(receiver);
    return true;
  }

  /** Delivers the answer to an ask taken within its asker's commit (see askInCycle) into the asker's mailbox. */
  private replyInCycle(answerer: Activation, question: Delivery, reply: Reply, cycle: CommitCycle): void {
    const { asker, replyType, callId } = question.replyTo!;
    const printed = formatAddress(asker);
    const receiver = this.activations.get(printed) ?? this.activate(asker, printed);
    if (receiver === undefined) return;
    const msg = { type: replyType, callId, reply };
    const { seq } = this.store.reserveOutboxSeq();
    const delivery: Delivery = { msg, msgId: `${question.msgId}:r`, local: true, inCycleSeq: seq };
    // The asker is owed its answer: it is taken even when its mailbox is full (as a fired timer is).
    receiver.mailbox.pushOverCapacity(delivery);
    cycle.inCycle.push({ delivery, from: answerer.printed, to: printed, msg });
    this.metrics.count(RUNTIME_METRICS.inCycleDeliveries);
    this.schedule(receiver);
  }

  /**
   * In-cycle deliveries still in a mailbox when the cycle ends (the turn limit was reached) get their outbox entry
   * in this commit, so a crash cannot lose them; they are not dispatched again (they are in the mailbox already),
   * and the consuming commit removes the entry as for any outbox delivery.
   */
  private persistWaitingInCycle(cycle: CommitCycle): void {
    for (const { delivery, from, to, msg, ask } of cycle.inCycle) {
      if (delivery.consumed === true || delivery.inCycleSeq === undefined) continue;
      const effect: OutboxEffect = ask === undefined ? { type: 'tell', to, msg } : { type: 'ask', to, msg, ...ask };
      this.store.putOutboxEntry(delivery.inCycleSeq, { from, id: delivery.msgId!, effect });
      delivery.outboxSeq = delivery.inCycleSeq;
      cycle.wrote = true;
    }
  }

  private turnContext(activation: Activation, msgId: string | undefined, nowMs: number): TurnContext {
    return new RuntimeTurnContext(activation.address, nowMs, msgId, this);
  }

  /** A fresh id: unique per node run (boot id) and call. */
  newId(): string {
    return `${this.bootId}.${(this.idSeq++).toString(36)}`;
  }

  // ---------------------------------------------------------------- commit and acknowledgement

  private finishCycle(cycle: CommitCycle): void {
    if (cycle.touched.size === 0 && cycle.settles.length === 0) {
      this.notifyIfIdle();
      return;
    }
    this.cyclesInFlight++;
    const durable = cycle.wrote ? this.store.durable() : undefined;
    const previous = this.lastCycleDone;
    this.lastCycleDone = (async () => {
      await previous;
      try {
        if (durable) await durable;
      } catch (err) {
        this.fail(err, cycle);
        return;
      }
      this.completeCycle(cycle);
    })();
  }

  private completeCycle(cycle: CommitCycle): void {
    if (cycle.wrote) {
      this.metrics.count(RUNTIME_METRICS.commits);
      this.metrics.observe(RUNTIME_METRICS.commitLatencyMs, performance.now() - cycle.startedAtMs);
    }
    this.metrics.count(RUNTIME_METRICS.turns, cycle.turns);
    this.metrics.observe(RUNTIME_METRICS.turnsPerCommit, cycle.turns);
    for (const { activation, msgId } of cycle.consumed) activation.pendingConsumed.delete(msgId);
    for (const { activation, name, entry } of cycle.timers) {
      if (activation.pendingTimers.get(name) === entry) activation.pendingTimers.delete(name);
    }
    for (const activation of cycle.touched) activation.inFlightCycles--;
    for (const timerId of cycle.firedTimerIds) this.timers.settled(timerId);
    for (const { settle, reply } of cycle.settles) settle(reply);
    if (cycle.outbox.length > 0) this.dispatcher.enqueue(cycle.outbox);
    for (const { topic, event } of cycle.published) this.publishTransient(topic, event);
    if (cycle.earliestTimerAtMs !== Infinity) this.timers.rearm(cycle.earliestTimerAtMs);
    this.cyclesInFlight--;
    this.notifyIfIdle();
  }

  private publishTransient(topic: string, event: unknown): void {
    try {
      this.transport.publish(topic, event);
    } catch (err) {
      this.logger.warn({ err, topic }, 'realtime publish failed; event dropped');
    }
  }

  /** A commit failed: in-memory state may be ahead of disk, so drop it all and refuse further work. */
  private fail(err: unknown, cycle: CommitCycle): void {
    this.logger.fatal({ err }, 'LMDB commit failed; the actor system stops');
    this.state = 'failed';
    const code = errorCodeOf(err) ?? 'PARLO_STORE_FAILED';
    for (const { settle } of cycle.settles) settle({ ok: false, code, message: String(err) });
    this.activations.clear();
    this.cyclesInFlight--;
    this.notifyIfIdle();
  }

  private isQuiet(): boolean {
    return this.ready.length === 0 && !this.drainScheduled && this.cyclesInFlight === 0;
  }

  private notifyIfIdle(): void {
    this.metrics.gauge(RUNTIME_METRICS.outboxPending, this.dispatcher.pendingCount);
    if (!this.isQuiet() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  // ---------------------------------------------------------------- helpers

  private deadLetter(to: string, msg: unknown, msgId: string | undefined, code: ErrorCode, message: string): void {
    this.metrics.count(RUNTIME_METRICS.deadLetters);
    this.logger.warn({ actor: to, msgId, code }, `dead letter: ${message}`);
    this.store.putDeadLetter({ to, msg, msgId, code, message, atMs: this.clock.now() });
  }

  private scheduleSweep(): void {
    const interval = Math.max(1_000, Math.floor(this.idlePassivateMs / 2));
    const tick = (): void => {
      if (this.state !== 'running') return;
      this.passivateIdle();
      this.sweepConsumed();
      this.cancelSweep = this.clock.wakeAt(this.clock.now() + interval, tick);
    };
    this.cancelSweep = this.clock.wakeAt(this.clock.now() + interval, tick);
  }

  private isLocal(printed: string): boolean {
    return this.owned.has(this.partitionOfPrinted(printed));
  }

  private partitionOfPrinted(printed: string): number {
    return partitionOf(printed, this.partitionCount);
  }

  private assertAccepting(): void {
    if (this.state !== 'running') throw this.notRunningError();
  }

  private notRunningError(): ParloError {
    return new ParloError('PARLO_RUNTIME_STOPPED', `node ${this.nodeId} is ${this.state}, not running`);
  }
}

class RuntimeTurnContext implements TurnContext {
  constructor(
    readonly self: Address,
    readonly nowMs: number,
    readonly msgId: string | undefined,
    private readonly ids: { newId(): string },
  ) {}

  newId(): string {
    return this.ids.newId();
  }
}

const OK_EMPTY: Reply = Object.freeze({ ok: true, value: undefined });

/**
 * Previous objects a split write looks past for the next item (dropped or replaced ones, see writeSplit): a commit
 * of many turns drops tens from the front of a list (a wallet's settled marks, a number's granted requests), a
 * ledger seal a hundred. An item not found that far is taken for a new one (its key is looked up: still right).
 */
const MAX_SKIPPED_AHEAD = 256;

/** k in 1..MAX_SKIPPED_AHEAD when `previous[from + k]` is `item` (the k before it were dropped), else 0. */
function aheadIndex(previous: readonly unknown[], from: number, item: unknown): number {
  const limit = Math.min(MAX_SKIPPED_AHEAD, previous.length - 1 - from);
  for (let k = 1; k <= limit; k++) if (previous[from + k] === item) return k;
  return 0;
}

/** From this node's outbox or from a turn of this commit: it cannot arrive twice (see Delivery.local). */
function isLocalDelivery(delivery: Delivery): boolean {
  return delivery.local === true || delivery.outboxSeq !== undefined;
}

function throwIfRefused(reply: Reply): unknown {
  if (!reply.ok) throw new ParloError(asErrorCode(reply.code), reply.message);
  return reply.value;
}

/** Reply codes crossing a transport come from the registry; anything else is reported as a transport failure. */
function asErrorCode(code: string): ErrorCode {
  return isErrorCode(code) ? code : 'PARLO_TRANSPORT_FAILED';
}
