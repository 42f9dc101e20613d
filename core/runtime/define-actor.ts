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
    }
  /** Durable timer: `msg` is delivered to this actor at `dueAtMs`. Setting a name again replaces the timer. */
  | { readonly type: 'setTimer'; readonly name: string; readonly dueAtMs: number; readonly msg: unknown }
  | { readonly type: 'cancelTimer'; readonly name: string }
  /** Best-effort realtime event (e.g. to inbox sockets); published after the commit. */
  | { readonly type: 'publish'; readonly topic: string; readonly event: unknown };

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
export interface ActorDefinition<S, M> {
  readonly kind: string;
  /** Bump when the stored shape of S changes; `upgrade` turns older stored states into the current shape. */
  readonly stateVersion: number;
  initialState(id: string): S;
  handle(state: S, msg: M, ctx: TurnContext): TurnResult<S>;
  upgrade?(stored: unknown, storedVersion: number): S;
  /**
   * Whether `state` holds nothing worth keeping, i.e. it is equivalent to `initialState(id)`. When a turn leaves
   * the state empty, the runtime deletes the actor's stored entry (in the same group commit) instead of writing
   * it, and the next activation starts from `initialState(id)` again. Actors that hold short-lived records
   * (idempotency keys, expired holds) use it so that LMDB does not keep one dead entry per id forever. Pure and
   * cheap; absent means "never empty" (every changed state is written).
   */
  isEmpty?(state: S): boolean;
}

/** Identity helper that lets TypeScript infer S and M from the definition object. */
export function defineActor<S, M>(definition: ActorDefinition<S, M>): ActorDefinition<S, M> {
  return definition;
}

/** Erased form the runtime stores in its registry. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyActorDefinition = ActorDefinition<any, any>;

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
