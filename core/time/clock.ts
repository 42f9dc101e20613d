/** Time as a dependency (STYLE rule 8): everything that needs "now" or a wake-up takes a Clock. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `callback` once when `now() >= atMs`; returns a function that cancels it. */
  wakeAt(atMs: number, callback: () => void): () => void;
}

/** The real clock; wake-ups are unref'd so that a pending timer never keeps a finished process alive. */
export class SystemClock implements Clock {
  now(): number {
    return Date.now();
  }

  wakeAt(atMs: number, callback: () => void): () => void {
    // setTimeout caps at 2^31-1 ms; re-arm for far-away times.
    const MAX_DELAY_MS = 2_147_483_647;
    let handle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const delay = atMs - Date.now();
      if (delay > MAX_DELAY_MS) {
        handle = setTimeout(arm, MAX_DELAY_MS);
      } else {
        handle = setTimeout(callback, Math.max(0, delay));
      }
      handle.unref();
    };
    arm();
    return () => clearTimeout(handle);
  }
}
