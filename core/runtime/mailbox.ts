/**
 * A bounded FIFO. `push` refuses when full; producers that can wait call `whenSpace()` and are resumed in order as
 * the consumer makes room, so memory stays bounded and a fast producer is slowed to the consumer's pace.
 */
export class Mailbox<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private spaceWaiters: (() => void)[] = [];

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  get isFull(): boolean {
    return this.length >= this.capacity;
  }

  push(item: T): boolean {
    if (this.isFull) return false;
    this.items.push(item);
    return true;
  }

  /** Adds even when full: for messages already accepted upstream (replayed outbox entries, fired timers). */
  pushOverCapacity(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (this.spaceWaiters.length > 0 && !this.isFull) this.spaceWaiters.shift()?.();
    return item;
  }

  /** Resolves when there is room for one more item (immediately if there is now). */
  whenSpace(): Promise<void> {
    if (!this.isFull && this.spaceWaiters.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.spaceWaiters.push(resolve));
  }

  get waitingProducers(): number {
    return this.spaceWaiters.length;
  }

  /** Wakes every waiting producer (used at shutdown so they can observe the stop and give up). */
  releaseWaiters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const wake of waiters) wake();
  }
}
