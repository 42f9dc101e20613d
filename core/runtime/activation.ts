import type { Address } from '../address/address.ts';
import type { Reply } from '../transport/transport.port.ts';
import type { TimerIndexEntry } from '../store/runtime-store.ts';
import type { AnyActorDefinition } from './define-actor.ts';
import { Mailbox } from './mailbox.ts';

/** One message waiting in a mailbox, with what the runtime must do when its turn is durable. */
export interface Delivery {
  readonly msg: unknown;
  readonly msgId: string | undefined;
  /**
   * Set when the message has an outbox entry on this node: the entry is removed in the consuming commit. Set late
   * for a message delivered within its sender's commit that was still waiting when that commit was made.
   */
  outboxSeq?: number | undefined;
  /**
   * A message from this node's own outbox or from a turn of this node's current commit: it cannot arrive twice
   * (its only copy leaves in the consuming commit), so no consumed-id record is looked up or written for it.
   */
  readonly local?: boolean | undefined;
  /** A tell delivered within its sender's commit: the outbox sequence reserved for it (see ActorSystem). */
  readonly inCycleSeq?: number | undefined;
  /** Set when a turn took the delivery (in-cycle deliveries: it then needs no outbox entry). */
  consumed?: boolean | undefined;
  /** Set for timer deliveries: the timer is removed in the consuming commit, unless it was replaced meanwhile. */
  readonly timer?: { readonly name: string; readonly dueAtMs: number; readonly timerId: string } | undefined;
  /** Called with the reply once the turn (and everything before it) is durable. */
  readonly settle?: ((reply: Reply) => void) | undefined;
  /**
   * An ask delivered within its asker's commit: the asker gets `{ type: replyType, callId, reply }` within the
   * commit of the turn that answered (as the outbox path would deliver it after that turn).
   */
  readonly replyTo?: { readonly asker: Address; readonly replyType: string; readonly callId: string } | undefined;
}

/**
 * A live actor: its state in memory (the truth is in LMDB), its mailbox, and what it has written that is not
 * durable yet. Turns are pipelined: the next turn may run before the previous one is on disk, because lmdb-js
 * commits in issue order; a crash therefore loses a suffix of turns, and none of their replies or effects have
 * left the process (they wait for durability).
 */
export class Activation {
  readonly printed: string;
  readonly mailbox: Mailbox<Delivery>;
  /** In the scheduler's ready queue. */
  scheduled = false;
  /** State changed since it was last written. */
  dirty = false;
  /** Commit cycles that wrote for this actor and are not durable yet. */
  inFlightCycles = 0;
  /**
   * Tells and asks of this actor in the outbox that the dispatcher has not handed on yet. While any is, a new tell
   * also goes through the outbox (behind them), never straight into its receiver's mailbox: tells stay in order.
   */
  undispatched = 0;
  lastActiveAtMs: number;
  /** Its place in the system's map, in order of activity: the map's count of insertions when it was put last. */
  order = 0;
  /** Consumed message ids (→ reply) not durable yet; LMDB answers for older ones. */
  readonly pendingConsumed = new Map<string, unknown>();
  /** Timer changes not durable yet: name → the timer now in force, or null when none. */
  readonly pendingTimers = new Map<string, TimerIndexEntry | null>();
  /**
   * Split states (ActorDefinition.split): the items as last written (item key → the item object), so a write
   * stores only the items whose object changed, and the item array they came from (unchanged array: no item to
   * look at).
   */
  writtenItems = new Map<number | string, unknown>();
  writtenItemsArray: readonly unknown[] | undefined;
  /** Split states: the head as last written (undefined: not written in this activation), see `sameHead`. */
  writtenHead: object | undefined;

  constructor(
    readonly address: Address,
    readonly definition: AnyActorDefinition,
    public state: unknown,
    mailboxCapacity: number,
    nowMs: number,
  ) {
    this.printed = `${address.kind}:${address.id}`;
    this.mailbox = new Mailbox(mailboxCapacity);
    this.lastActiveAtMs = nowMs;
  }

  get isIdle(): boolean {
    return (
      !this.scheduled &&
      this.mailbox.length === 0 &&
      this.inFlightCycles === 0 &&
      this.undispatched === 0 &&
      this.mailbox.waitingProducers === 0
    );
  }
}

/**
 * Whether two heads of a split state hold the very same values field by field (identity, one level deep): a turn
 * that changed only items leaves every head field as it was, so the head need not be written again.
 */
export function sameHead(written: object | undefined, head: object): boolean {
  if (written === undefined) return false;
  const a = written as Record<string, unknown>;
  const b = head as Record<string, unknown>;
  let count = 0;
  for (const key in b) {
    if (a[key] !== b[key]) return false;
    count++;
  }
  for (const _key in a) count--;
  return count === 0;
}
