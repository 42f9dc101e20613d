import { createSignal, onCleanup, type Accessor } from 'solid-js';

/** The current time, updated every `everyMs` (countdowns); call inside a component. */
export function createNow(everyMs = 15_000): Accessor<number> {
  const [now, setNow] = createSignal(Date.now());
  const timer = setInterval(() => setNow(Date.now()), everyMs);
  onCleanup(() => clearInterval(timer));
  return now;
}
