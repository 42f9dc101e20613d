import type { Logger } from '../log/logger.ts';
import { RUNTIME_METRICS, type Metrics } from '../metrics/metrics.ts';
import type { OutboxEffect } from '../store/runtime-store.ts';
import type { Clock } from '../time/clock.ts';
import type { Envelope, Reply } from '../transport/transport.port.ts';
import type { Delivery } from './activation.ts';
import type { Ports } from './ports.ts';

export interface OutboxItem {
  readonly seq: number;
  readonly from: string;
  readonly id: string;
  readonly effect: OutboxEffect;
  /** Counted in its sender's `undispatched` (a live turn's tell or ask; replayed entries are not). */
  readonly counted?: boolean;
  /**
   * Read back from the outbox at start: left by an earlier run, whose dispatch may or may not have begun (the
   * outbox does not record that). A port call with `onReplay: 'interrupt'` is then not made again.
   */
  readonly replayed?: boolean;
}

export interface OutboxDispatcherDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly ports: Ports;
  isLocal(printed: string): boolean;
  /** Enqueues on this node; returns a promise only when it had to wait for mailbox space. */
  deliverLocal(printed: string, delivery: Delivery, waitForSpace: boolean): Promise<void> | undefined;
  sendRemote(printed: string, envelope: Envelope): Promise<void>;
  /** Asks an actor on this node or another; resolves with its reply (or a refusal), rejects on transport failure. */
  request(printed: string, msg: unknown, msgId: string): Promise<Reply>;
  publish(topic: string, event: unknown): void;
  removeOutbox(seq: number): void;
  /** A tell or ask of `from` was handed on (into a mailbox, to the transport): later ones may overtake nothing. */
  dispatched(from: string): void;
  isRunning(): boolean;
}

const RETRY_BASE_MS = 250;
/** Refusals that say "not now" rather than "no": the ask effect is retried. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  'PARLO_ASK_TIMEOUT',
  'PARLO_NO_RESPONDERS',
  'PARLO_TRANSPORT_FAILED',
  'PARLO_RUNTIME_STOPPED',
  'PARLO_PARTITION_NOT_OWNED',
  'PARLO_MAILBOX_FULL',
]);
const RETRY_MAX_MS = 30_000;

/**
 * Dispatches committed effects in outbox order. An entry leaves the outbox when its effect is done: a local tell
 * when the receiving turn commits (in that same commit), a remote tell when the transport acknowledged it, a port
 * call when its result message is committed by the calling actor, a publish once handed to the transport.
 */
export class OutboxDispatcher {
  private queue: OutboxItem[] = [];
  private pumping = false;
  private waitingForSpace = false;
  private stopped = false;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: OutboxDispatcherDeps) {}

  get pendingCount(): number {
    return this.queue.length + this.inFlight;
  }

  /** Entries wait behind one whose receiver's mailbox is full. */
  get isWaitingForSpace(): boolean {
    return this.waitingForSpace;
  }

  enqueue(items: readonly OutboxItem[]): void {
    if (this.stopped) return;
    for (const item of items) this.queue.push(item);
    if (!this.pumping) void this.pump();
  }

  /** Stops dispatching; what is left stays in the outbox for the next start. */
  stop(): void {
    this.stopped = true;
    this.queue = [];
  }

  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return this.queue.length === 0 && this.inFlight === 0 && !this.pumping;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      let index = 0;
      while (index < this.queue.length && !this.stopped) {
        const item = this.queue[index++]!;
        const waiting = this.dispatch(item);
        if (waiting) {
          // Keep order: later entries wait until this one found room in its target's mailbox.
          this.queue = this.queue.slice(index);
          index = 0;
          this.waitingForSpace = true;
          await waiting;
          this.waitingForSpace = false;
        }
        if (item.counted === true) this.deps.dispatched(item.from);
      }
      this.queue = [];
    } finally {
      this.pumping = false;
      this.waitingForSpace = false;
      this.notifyIfIdle();
    }
  }

  private dispatch(item: OutboxItem): Promise<void> | undefined {
    const { effect } = item;
    switch (effect.type) {
      case 'tell':
        return this.deliver(effect.to, effect.msg, item.id, item.seq);
      case 'ask':
        this.askActor(item, effect, 0);
        return undefined;
      case 'callPort':
        this.callPort(item, effect);
        return undefined;
      case 'publish':
        try {
          this.deps.publish(effect.topic, effect.event);
        } catch (err) {
          this.deps.logger.warn({ err, topic: effect.topic }, 'realtime publish failed; event dropped');
        }
        this.deps.removeOutbox(item.seq);
        return undefined;
      default:
        throw new Error(`unknown outbox effect ${JSON.stringify(effect satisfies never)}`);
    }
  }

  /** Local: the receiving commit removes the entry. Remote: removed once the transport took it. */
  private deliver(to: string, msg: unknown, msgId: string, seq: number): Promise<void> | undefined {
    if (this.deps.isLocal(to)) {
      return this.deps.deliverLocal(to, { msg, msgId, outboxSeq: seq }, true);
    }
    this.sendRemote(to, msg, msgId, seq, 0);
    return undefined;
  }

  private sendRemote(to: string, msg: unknown, msgId: string, seq: number, attempt: number): void {
    this.inFlight++;
    this.deps
      .sendRemote(to, { to, msg, msgId })
      .then(
        () => this.deps.removeOutbox(seq),
        (err: unknown) => {
          const delayMs = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
          this.deps.logger.warn({ err, to, msgId, attempt, delayMs }, 'remote delivery failed; retrying');
          this.inFlight++;
          this.deps.clock.wakeAt(this.deps.clock.now() + delayMs, () => {
            this.inFlight--;
            if (this.deps.isRunning()) this.sendRemote(to, msg, msgId, seq, attempt + 1);
            else this.notifyIfIdle();
          });
        },
      )
      .finally(() => {
        this.inFlight--;
        this.notifyIfIdle();
      });
  }

  /**
   * The outbox entry stays until the reply message is committed by the asking actor. Transient failures
   * (timeouts, no owner, stopping nodes, full mailboxes) are retried under the same message id, which the asked
   * actor has recorded if it already handled the question.
   */
  private askActor(item: OutboxItem, effect: Extract<OutboxEffect, { type: 'ask' }>, attempt: number): void {
    this.inFlight++;
    void this.deps
      .request(effect.to, effect.msg, item.id)
      .then((reply) => {
        if (!reply.ok && TRANSIENT_CODES.has(reply.code)) throw new Error(`${reply.code}: ${reply.message}`);
        return this.deliver(
          item.from,
          { type: effect.replyType, callId: effect.callId, reply },
          `${item.id}:r`,
          item.seq,
        );
      })
      .catch((err: unknown) => {
        const delayMs = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** attempt);
        this.deps.logger.warn({ err, to: effect.to, msgId: item.id, attempt, delayMs }, 'ask effect failed; retrying');
        this.inFlight++;
        this.deps.clock.wakeAt(this.deps.clock.now() + delayMs, () => {
          this.inFlight--;
          if (this.deps.isRunning()) this.askActor(item, effect, attempt + 1);
          else this.notifyIfIdle();
        });
      })
      .finally(() => {
        this.inFlight--;
        this.notifyIfIdle();
      });
  }

  /**
   * Calls the port and delivers its outcome to the calling actor under `${item.id}:r`; the entry leaves the outbox
   * in the commit that consumes that message. A replayed entry with `onReplay: 'interrupt'` is not called again:
   * it may have reached the adapter before the node stopped, so the actor gets PARLO_PORT_CALL_INTERRUPTED as the
   * result, delivered the same way, and decides what an unknown outcome means for it.
   */
  private callPort(item: OutboxItem, effect: Extract<OutboxEffect, { type: 'callPort' }>): void {
    this.inFlight++;
    const outcome =
      item.replayed === true && effect.onReplay === 'interrupt' ? this.interrupted(item, effect) : this.invoke(effect);
    void outcome
      .then((result) => {
        const msg = { type: effect.resultType, callId: effect.callId, result };
        const waiting = this.deliver(item.from, msg, `${item.id}:r`, item.seq);
        return waiting;
      })
      .finally(() => {
        this.inFlight--;
        this.notifyIfIdle();
      });
  }

  private interrupted(item: OutboxItem, effect: Extract<OutboxEffect, { type: 'callPort' }>): Promise<unknown> {
    this.deps.metrics.count(RUNTIME_METRICS.portCallsInterrupted);
    this.deps.logger.warn(
      { port: effect.port, operation: effect.operation, from: item.from, msgId: item.id },
      'replayed port call not repeated (onReplay: interrupt); the actor gets PARLO_PORT_CALL_INTERRUPTED',
    );
    return Promise.resolve({
      ok: false,
      code: 'PARLO_PORT_CALL_INTERRUPTED',
      message: `${effect.port}.${effect.operation} was in flight when the node stopped; its outcome is unknown`,
    });
  }

  /** The port's outcome; a throw or a missing operation becomes a refusal (never a rejection). */
  private invoke(effect: Extract<OutboxEffect, { type: 'callPort' }>): Promise<unknown> {
    this.deps.metrics.count(RUNTIME_METRICS.portCalls);
    const operation = this.deps.ports[effect.port]?.[effect.operation];
    return operation
      ? Promise.resolve()
          .then(() => operation(effect.input))
          .catch((err: unknown) => {
            this.deps.logger.error({ err, port: effect.port, operation: effect.operation }, 'port operation threw');
            return {
              ok: false,
              code: 'PARLO_PORT_FAILED',
              message: `${effect.port}.${effect.operation} threw: ${String(err)}`,
            };
          })
      : Promise.resolve({
          ok: false,
          code: 'PARLO_UNKNOWN_PORT',
          message: `no port operation ${effect.port}.${effect.operation} is wired`,
        });
  }

  private notifyIfIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
