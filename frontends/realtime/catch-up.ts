import type { InboxEntry } from '../../actors/inbox/inbox-stream.messages.ts';
import { matches, type ActiveSubscription } from './subscriptions.ts';

/**
 * Resuming without loss (pure parts). A subscription with `since` first replays the retained events after it
 * (read from the organisation's inbox-stream, page by page), then goes live. While it replays, live events for the
 * socket wait in a bounded buffer; once the backlog is out, those above the last replayed seq follow, so the socket
 * sees every matching event once, in seq order, with no gap.
 */

/**
 * The entries of a backlog page the socket must be sent: those the new subscription wants and no other
 * subscription of the socket already delivered live (at or below `liveSeq`, where the socket was when the replay
 * began), and above `liveSeq` those any subscription wants (live delivery to the socket waits in the buffer).
 */
export function backlogToSend(
  entries: readonly InboxEntry[],
  added: ActiveSubscription,
  others: readonly ActiveSubscription[],
  liveSeq: number,
): InboxEntry[] {
  const out: InboxEntry[] = [];
  for (const entry of entries) {
    if (entry.seq <= added.fromSeq) continue;
    const isAdded = matches(added, entry.event);
    if (entry.seq <= liveSeq) {
      if (isAdded && !wantedBy(others, entry)) out.push(entry);
    } else if (isAdded || wantedBy(others, entry)) {
      out.push(entry);
    }
  }
  return out;
}

/** Whether a subscription in `subs` wants `entry`: it matches and lies after the subscription's start. */
export function wantedBy(subs: readonly ActiveSubscription[], entry: InboxEntry): boolean {
  for (const sub of subs) if (entry.seq > sub.fromSeq && matches(sub, entry.event)) return true;
  return false;
}

export type OfferResult = 'buffered' | 'duplicate' | 'overflow';

/** The live events of one socket while it replays a backlog: at most `capacity`, each seq once, in order. */
export class CatchUpBuffer {
  readonly #entries: InboxEntry[] = [];
  #lastSeq: number;

  constructor(
    startSeq: number,
    private readonly capacity: number,
  ) {
    this.#lastSeq = startSeq;
  }

  /** Keeps a live entry; a seq already kept is a duplicate (the socket is reached through several subscriptions). */
  offer(entry: InboxEntry): OfferResult {
    if (entry.seq <= this.#lastSeq) return 'duplicate';
    if (this.#entries.length >= this.capacity) return 'overflow';
    this.#entries.push(entry);
    this.#lastSeq = entry.seq;
    return 'buffered';
  }

  get size(): number {
    return this.#entries.length;
  }

  /** What to send once the backlog is out: entries above `sentSeq` that a subscription wants, in seq order. */
  flush(sentSeq: number, subs: readonly ActiveSubscription[]): InboxEntry[] {
    return this.#entries.filter((entry) => entry.seq > sentSeq && wantedBy(subs, entry));
  }
}
