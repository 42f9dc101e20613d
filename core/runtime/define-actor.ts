import type { Address } from '../address/address.ts';

/**
 * What a turn asks the runtime to do once the turn is durably committed. Effects are data (STYLE rule 1): the
 * handler never performs I/O; the runtime stores effects in the outbox in the same LMDB transaction as the new
 * state and dispatches them after the commit, replaying the outbox (never re-running handlers) after a crash.
 */
export type Effect =
  /** One-way message to another actor (or to self). Delivered at least once, consumed exactly once. */
  | { readonly type: 'tell'; readonly to: Address; readonly msg: unknown }
  /**
   * Asks another actor (or self). Its reply comes back to this actor as the message
   * `{ type: replyType, callId, reply }`, where `reply` is `{ ok: true, value }` or a runtime refusal
   * `{ ok: false, code, message }` (e.g. PARLO_HANDLER_FAILED). Re-sent after a crash under the same message id,
   * so the other actor handles it once and the reply arrives once.
   */
  | {
      readonly type: 'ask';
      readonly to: Address;
      readonly msg: unknown;
      readonly replyType: string;
      readonly callId: string;
    }
  /**
   * Calls an adapter through a port. The outcome comes back to this actor as the message
   * `{ type: resultType, callId, result }`, where `result` is what the port returned, or
   * `{ ok: false, code: 'PARLO_PORT_FAILED', message }` if it threw.
   */
  | {
      readonly type: 'callPort';
      readonly port: string;
      readonly operation: string;
      readonly input: unknown;
      readonly resultType: string;
      readonly callId: string;
      /**
       * What to do when the outbox is replayed at start and this call is still in it (it may have reached the
       * adapter before the node stopped; see PortReplayPolicy). Absent means `'call'`.
       */
      readonly onReplay?: PortReplayPolicy;
    }
  /** Durable timer: `msg` is delivered to this actor at `dueAtMs`. Setting a name again replaces the timer. */
  | { readonly type: 'setTimer'; readonly name: string; readonly dueAtMs: number; readonly msg: unknown }
  | { readonly type: 'cancelTimer'; readonly name: string }
  /**
   * Best-effort realtime event (e.g. to inbox sockets); published after the commit. It waits in the outbox, so a
   * node that stops in between publishes it at its next start; `transient` events are held in memory only (no
   * write; lost if the node stops in between), for subscribers that can resync from durable state anyway.
   */
  | { readonly type: 'publish'; readonly topic: string; readonly event: unknown; readonly transient?: boolean };

/**
 * How a replayed port call is dispatched. A call whose result was not committed when the node stopped is still in
 * the outbox at the next start, and its outcome is unknown: the adapter may have done it. `'call'` calls the port
 * again (at-least-once; right for idempotent operations, or adapters that dedupe by our key). `'interrupt'` does
 * not call the port: the actor receives `{ ok: false, code: 'PARLO_PORT_CALL_INTERRUPTED', message }` as the
 * result and decides (e.g. a WhatsApp send is marked as unknown rather than sent a second time).
 */
export type PortReplayPolicy = 'call' | 'interrupt';

/** What a handler is given besides its state and the message. Deterministic: replaying a turn gives equal ctx. */
export interface TurnContext {
  readonly self: Address;
  /** The clock's time when the turn started. Handlers use this, never Date.now(). */
  readonly nowMs: number;
  /** The id of the message being handled, if the sender gave one. */
  readonly msgId: string | undefined;
  /** A fresh id, unique per turn and index; derived from the runtime, never Math.random(). */
  newId(): string;
}

export interface TurnResult<S, R = unknown> {
  readonly state: S;
  readonly effects?: readonly Effect[];
  /** The answer to an ask (ignored for tells). */
  readonly reply?: R;
}

/**
 * An actor kind. `handle` must be pure: `(state, msg, ctx) → { state, effects, reply }`. Returning the very same
 * state object (===) and no effects commits nothing for messages without an id.
 */
/**
 * How a state with a large collection is stored: the collection as one LMDB record per item, the rest (the head)
 * as one record. A commit then writes the head and only the items whose object changed (compared by identity with
 * what was last written), so an actor that keeps, say, 500 logged messages writes one message per turn, not 500.
 * Handlers are unaffected: they see the whole state, built by `join` at activation. Items must be immutable (a
 * changed item is a new object) and `itemKey` unique and stable within the actor.
 */
export interface StateSplit<S, I> {
  /**
   * The state without its items: a plain object, written when one of its fields changed (by identity, one level
   * deep), so a turn that changed only items writes only those.
   */
  head(state: S): object;
  /** The items, each stored under `[kind, id, itemKey(item)]`. */
  items(state: S): readonly I[];
  /**
   * The item's key; `position` is its index in `items(state)`, which only the first `fixedPlaces` items may be
   * keyed by. Any other item object keeps its key: the runtime does not write again an object it wrote, wherever
   * it now is in the array (one object may therefore not stand for two items).
   */
  itemKey(item: I, position: number): number | string;
  /** How many items at the front are keyed by their place (always present, compared place by place); 0 if absent. */
  readonly fixedPlaces?: number;
  /** The state from its stored head and items (items in key order, as LMDB orders the keys). */
  join(head: unknown, items: readonly I[]): S;
}

export interface ActorDefinition<S, M, I = never> {
  readonly kind: string;
  /** Bump when the stored shape of S changes; `upgrade` turns older stored states into the current shape. */
  readonly stateVersion: number;
  initialState(id: string): S;
  handle(state: S, msg: M, ctx: TurnContext): TurnResult<S>;
  /**
   * `items`: for a split state (see `split`), the stored items of the older version, in key order (the runtime
   * then rewrites every item of the upgraded state and deletes stored items it no longer has).
   */
  upgrade?(stored: unknown, storedVersion: number, items?: readonly unknown[]): S;
  /**
   * Whether `state` holds nothing worth keeping, i.e. it is equivalent to `initialState(id)`. When a turn leaves
   * the state empty, the runtime deletes the actor's stored entry (in the same group commit) instead of writing
   * it, and the next activation starts from `initialState(id)` again. Actors that hold short-lived records
   * (idempotency keys, expired holds) use it so that LMDB does not keep one dead entry per id forever. Pure and
   * cheap; absent means "never empty" (every changed state is written).
   */
  isEmpty?(state: S): boolean;
  /** Store a collection of the state as one record per item (see StateSplit); absent: the state is one record. */
  readonly split?: StateSplit<S, I>;
}

/** Identity helper that lets TypeScript infer S and M from the definition object. */
export function defineActor<S, M, I = never>(definition: ActorDefinition<S, M, I>): ActorDefinition<S, M, I> {
  return definition;
}

/** Erased form the runtime stores in its registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActorDefinition = ActorDefinition<any, any, any>;

/** Use as the default branch of an exhaustive switch over a message union. */
export function unreachable(value: never): never {
  let printed: string;
  try {
    printed = JSON.stringify(value);
  } catch {
    printed = String(value);
  }
  throw new Error(`unreachable: ${printed}`);
}
