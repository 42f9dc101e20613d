import type { Logger } from '../log/logger.ts';
import type { RuntimeStore } from '../store/runtime-store.ts';
import type { Clock } from '../time/clock.ts';
import type { Delivery } from './activation.ts';

export interface TimerServiceDeps {
  readonly clock: Clock;
  readonly store: RuntimeStore;
  readonly logger: Logger;
  isLocal(printed: string): boolean;
  deliver(printed: string, delivery: Delivery): void;
  onFired(): void;
}

/** How many due timers one wake-up delivers before yielding. */
const FIRE_BATCH = 1_000;

/**
 * Fires durable timers. Timers live in LMDB keyed by [dueAtMs, kind, id, name]; one clock wake-up is armed for the
 * earliest one. A fired timer is delivered as a message and removed in the commit of the turn that consumes it, so
 * a crash in between re-fires it after restart, and the consumed-id record stops a double delivery.
 */
export class TimerService {
  private cancelWake: (() => void) | undefined;
  private armedAtMs = Infinity;
  private readonly inFlight = new Set<string>();
  private running = false;

  constructor(private readonly deps: TimerServiceDeps) {}

  start(): void {
    this.running = true;
    this.armNext();
  }

  stop(): void {
    this.running = false;
    this.cancelWake?.();
    this.cancelWake = undefined;
    this.armedAtMs = Infinity;
  }

  /** A commit stored a timer due at `atMs`: wake earlier if needed. */
  rearm(atMs: number): void {
    if (!this.running || atMs >= this.armedAtMs) return;
    this.arm(atMs);
  }

  /** The timer's delivery was consumed (or found stale): it may be looked at again. */
  settled(timerId: string): void {
    this.inFlight.delete(timerId);
  }

  private arm(atMs: number): void {
    this.cancelWake?.();
    this.armedAtMs = atMs;
    this.cancelWake = this.deps.clock.wakeAt(atMs, () => this.fire());
  }

  private armNext(): void {
    if (!this.running) return;
    const next = this.deps.store.firstTimers(this.inFlight.size + 1).find((t) => !this.inFlight.has(t.entry.timerId));
    if (next) {
      this.arm(next.dueAtMs);
    } else {
      this.cancelWake?.();
      this.cancelWake = undefined;
      this.armedAtMs = Infinity;
    }
  }

  private fire(): void {
    this.cancelWake = undefined;
    this.armedAtMs = Infinity;
    if (!this.running) return;
    const nowMs = this.deps.clock.now();
    const due = this.deps.store.dueTimers(nowMs, FIRE_BATCH + this.inFlight.size);
    let delivered = 0;
    for (const timer of due) {
      if (this.inFlight.has(timer.entry.timerId)) continue;
      const printed = `${timer.kind}:${timer.id}`;
      this.inFlight.add(timer.entry.timerId);
      if (!this.deps.isLocal(printed)) {
        // The partition moved to another node since the timer was set; its new owner fires it from its own store.
        this.deps.logger.warn(
          { actor: printed, timer: timer.name },
          'due timer belongs to a partition this node no longer owns',
        );
        continue;
      }
      this.deps.onFired();
      this.deps.deliver(printed, {
        msg: timer.entry.msg,
        msgId: `timer:${timer.entry.timerId}`,
        timer: { name: timer.name, dueAtMs: timer.dueAtMs, timerId: timer.entry.timerId },
      });
      if (++delivered >= FIRE_BATCH) break;
    }
    this.armNext();
  }
}
