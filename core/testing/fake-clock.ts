import type { Clock } from '../time/clock.ts';

interface Wake {
  readonly atMs: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that only moves when told to. `advance` fires wake-ups in due-time order (ties in registration order),
 * each seeing `now()` equal to its due time, and lets promise continuations run between them so that work a
 * wake-up starts can itself schedule or cancel further wake-ups. A wake-up asked for at or before `now()` fires on
 * its own turn, as a real clock's would: work that finishes after an `advance` returned is not stranded.
 */
export class FakeClock implements Clock {
  private nowMs: number;
  private seq = 0;
  private wakes: Wake[] = [];
  private advancing = 0;
  private flushQueued = false;

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  wakeAt(atMs: number, callback: () => void): () => void {
    const wake: Wake = { atMs, seq: this.seq++, callback, cancelled: false };
    this.wakes.push(wake);
    if (atMs <= this.nowMs) this.flushSoon();
    return () => {
      wake.cancelled = true;
    };
  }

  /** Pending (not cancelled) wake-ups, for assertions. */
  pendingCount(): number {
    return this.wakes.filter((w) => !w.cancelled).length;
  }

  /** Moves time forward by `ms`, firing every wake-up that falls due on the way. */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.nowMs + ms);
  }

  async advanceTo(targetMs: number): Promise<void> {
    this.advancing++;
    try {
      await this.fireUntil(targetMs);
    } finally {
      this.advancing--;
    }
    if (this.wakes.some((w) => !w.cancelled && w.atMs <= this.nowMs)) this.flushSoon();
  }

  /** Already due, as with a real clock's zero-delay timer: fire on a later turn, not at the next `advance`. */
  private flushSoon(): void {
    if (this.advancing > 0 || this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      if (this.advancing === 0) void this.advanceTo(this.nowMs);
    });
  }

  private async fireUntil(targetMs: number): Promise<void> {
    for (;;) {
      this.wakes = this.wakes.filter((w) => !w.cancelled);
      let next: Wake | undefined;
      for (const w of this.wakes) {
        if (w.atMs <= targetMs && (!next || w.atMs < next.atMs || (w.atMs === next.atMs && w.seq < next.seq))) {
          next = w;
        }
      }
      if (!next) break;
      this.nowMs = Math.max(this.nowMs, next.atMs);
      next.cancelled = true;
      next.callback();
      await settle();
    }
    this.nowMs = Math.max(this.nowMs, targetMs);
    await settle();
  }
}

/** Lets queued promise continuations and immediates run. */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
