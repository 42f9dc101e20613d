import { defineActor } from '../../core/index.ts';

/** Does nothing: measures pure dispatch (mailbox, scheduling, turn) with nothing to commit. */
export const noopActor = defineActor<null, unknown>({
  kind: 'noop',
  stateVersion: 1,
  initialState: () => null,
  handle: (state) => ({ state }),
});

/** Changes its state on every message: each turn writes state + consumed id and is acknowledged once durable. */
export const tallyActor = defineActor<{ count: number }, { type: 'add' }>({
  kind: 'tally',
  stateVersion: 1,
  initialState: () => ({ count: 0 }),
  handle: (state) => ({ state: { count: state.count + 1 }, reply: state.count + 1 }),
});

export const BENCH_ACTORS = [noopActor, tallyActor];
