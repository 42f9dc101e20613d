import { ParloError, type Logger, type Subscription, type Transport } from '../../core/index.ts';
import {
  MAX_READ_SINCE,
  inboxTopic,
  type InboxEntry,
  type InboxStreamReplies,
} from '../../actors/inbox/inbox-stream.messages.ts';
import { SubscriptionIndex } from './subscriptions.ts';
import { asPresenceSignal, presenceTopic, type PresenceSignal } from './presence.ts';
import { asTypingSignal, typingTopic, type TypingSignal } from './typing.ts';

/**
 * One organisation's live inbox events on this node, in seq order without gaps, fanned out to the organisation's
 * sockets. The gateway opens a channel when the organisation's first socket connects and closes it after the last
 * one leaves: one transport subscription (`inbox.<orgId>`) per organisation with at least one socket.
 *
 * Realtime events are at most once (core NATS, or the in-process hub): one may be lost, and in NATS mode a
 * subscription takes effect a moment after it is made. The channel numbers what it has passed on (`lastSeq`); an
 * event that skips ahead makes it read the missing ones from the organisation's inbox-stream (`readSince`) before
 * it goes on, and it reads once more shortly after it starts. If the stream no longer retains them, every socket
 * of the organisation is told to resync (`onGap`).
 *
 * The channel also follows the organisation's typing signals (`typing.<orgId>`, typing.ts) and operators' presence
 * changes (`presence.<orgId>`, presence.ts) while it is open: those are ephemeral, outside the numbering, and go
 * straight to the matching sockets (typing) or to every socket (presence), each socket once.
 */
export type ReadSince = (orgId: string, afterSeq: number, limit: number) => Promise<InboxStreamReplies['readSince']>;

export interface OrgChannelDeps<S> {
  readonly orgId: string;
  readonly transport: Transport;
  readonly readSince: ReadSince;
  /** Renders an entry's event frame (once per entry, shared by every socket it goes to). */
  readonly render: (entry: InboxEntry) => string;
  /** Passes a live entry to one socket; `frame()` renders it on first use. */
  readonly deliver: (socket: S, entry: InboxEntry, frame: () => string) => void;
  /** Renders a typing signal's frame (once per signal, shared by every socket it goes to). */
  readonly renderTyping: (typing: TypingSignal) => string;
  /** Passes a typing signal to one socket (called once per socket); `frame()` renders it on first use. */
  readonly deliverTyping: (socket: S, typing: TypingSignal, frame: () => string) => void;
  /**
   * Operators' presence changes (presence.ts): rendered once per signal, passed to every socket of the
   * organisation on this node. Without these the channel does not follow presence.
   */
  readonly renderPresence?: (presence: PresenceSignal) => string;
  readonly deliverPresence?: (socket: S, frame: () => string) => void;
  /** Events after the channel's position are lost for good: every socket must reload, then follow `lastSeq`. */
  readonly onGap: (sockets: readonly S[], lastSeq: number) => void;
  readonly logger: Logger;
  /** The one extra read after start (a NATS subscription takes effect asynchronously); default 1 s. */
  readonly settleAfterMs?: number;
  /** Delay before a failed read is tried again; default 1 s. */
  readonly retryAfterMs?: number;
}

/** Live entries held while the channel starts or repairs a gap; beyond, they are read back from the stream. */
export const MAX_PENDING_ENTRIES = 10_000;

type ChannelState = 'idle' | 'starting' | 'ready' | 'closed';

export class OrgChannel<S> {
  /** Every open socket of the organisation on this node. */
  readonly sockets = new Set<S>();
  /** The sockets by what they subscribe to. */
  readonly index = new SubscriptionIndex<S>();

  readonly #deps: OrgChannelDeps<S>;
  #state: ChannelState = 'idle';
  #lastSeq = 0;
  #starting: Promise<void> | null = null;
  #subscription: Subscription | null = null;
  #typingSubscription: Subscription | null = null;
  #presenceSubscription: Subscription | null = null;
  #pending: InboxEntry[] = [];
  /** A read of the stream after `lastSeq` is due (an overflow, the settle read, a failed repair). */
  #mustRead = false;
  #pumping = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(deps: OrgChannelDeps<S>) {
    this.#deps = deps;
  }

  /** The newest seq passed on to the sockets (every earlier one was, or was answered with a gap). */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  get isReady(): boolean {
    return this.#state === 'ready';
  }

  /**
   * Subscribes to the organisation's topic (once) and learns the stream's newest seq; resolves when live events
   * flow in order. A failed start (the stream did not answer) rejects, and the next call tries again.
   */
  ready(): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    if (this.#state === 'closed') {
      return Promise.reject(new ParloError('PARLO_RUNTIME_STOPPED', 'the realtime channel is closed'));
    }
    this.#starting ??= this.#start();
    return this.#starting;
  }

  close(): void {
    this.#state = 'closed';
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    this.#typingSubscription?.unsubscribe();
    this.#typingSubscription = null;
    this.#presenceSubscription?.unsubscribe();
    this.#presenceSubscription = null;
    this.#pending = [];
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #start(): Promise<void> {
    const { transport, orgId } = this.#deps;
    this.#state = 'starting';
    this.#subscription ??= transport.subscribe(inboxTopic(orgId), (_topic, payload) => this.#onPublished(payload));
    this.#typingSubscription ??= transport.subscribe(typingTopic(orgId), (_topic, payload) => this.#onTyping(payload));
    if (this.#deps.deliverPresence !== undefined) {
      this.#presenceSubscription ??= transport.subscribe(presenceTopic(orgId), (_topic, payload) =>
        this.#onPresence(payload),
      );
    }
    try {
      // After the newest seq there is nothing to read: the answer is just the stream's position.
      const reply = await this.#deps.readSince(orgId, Number.MAX_SAFE_INTEGER, 1);
      if (this.#isClosed()) return;
      this.#lastSeq = reply.lastSeq;
      this.#state = 'ready';
      this.#schedule(this.#deps.settleAfterMs ?? 1_000);
      void this.#pump();
    } catch (err) {
      if (!this.#isClosed()) this.#state = 'idle';
      this.#starting = null;
      throw err;
    }
  }

  #onPublished(payload: unknown): void {
    const entry = asEntry(payload);
    if (entry === null) {
      this.#deps.logger.warn({ orgId: this.#deps.orgId }, 'realtime: malformed inbox entry dropped');
      return;
    }
    if (this.#state === 'closed') return;
    if (this.#state === 'ready') {
      if (entry.seq <= this.#lastSeq) return;
      // The common case, synchronously: the next seq, nothing waiting.
      if (entry.seq === this.#lastSeq + 1 && !this.#pumping && this.#pending.length === 0) {
        this.#fanOut(entry);
        return;
      }
    }
    if (this.#pending.length < MAX_PENDING_ENTRIES) this.#pending.push(entry);
    else this.#mustRead = true;
    if (this.#state === 'ready') void this.#pump();
  }

  /** Typing does not wait for the stream: it goes out whatever the channel's state, until it is closed. */
  #onTyping(payload: unknown): void {
    if (this.#state === 'closed') return;
    const typing = asTypingSignal(payload);
    if (typing === null) {
      this.#deps.logger.warn({ orgId: this.#deps.orgId }, 'realtime: malformed typing signal dropped');
      return;
    }
    // A socket on the organisation and on the conversation is visited twice: collect first, deliver once.
    const targets = new Set<S>();
    this.index.forEachTarget(typing, (socket) => targets.add(socket));
    if (targets.size === 0) return;
    let frame: string | undefined;
    const render = (): string => (frame ??= this.#deps.renderTyping(typing));
    for (const socket of targets) this.#deps.deliverTyping(socket, typing, render);
  }

  /** Presence, like typing, goes out whatever the channel's state, until it is closed: to every socket. */
  #onPresence(payload: unknown): void {
    const { renderPresence, deliverPresence } = this.#deps;
    if (this.#state === 'closed' || renderPresence === undefined || deliverPresence === undefined) return;
    const presence = asPresenceSignal(payload);
    if (presence === null) {
      this.#deps.logger.warn({ orgId: this.#deps.orgId }, 'realtime: malformed presence signal dropped');
      return;
    }
    let frame: string | undefined;
    const render = (): string => (frame ??= renderPresence(presence));
    for (const socket of this.sockets) deliverPresence(socket, render);
  }

  /** Passes pending entries on in order, reading what is missing from the stream. One pump runs at a time. */
  async #pump(): Promise<void> {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#state === 'ready' && (this.#pending.length > 0 || this.#mustRead)) {
        if (this.#mustRead) {
          this.#mustRead = false;
          await this.#readMissing();
          continue;
        }
        const pending = this.#pending;
        this.#pending = [];
        for (let i = 0; i < pending.length; i++) {
          const entry = pending[i]!;
          if (entry.seq <= this.#lastSeq) continue;
          if (entry.seq === this.#lastSeq + 1) {
            this.#fanOut(entry);
            continue;
          }
          // A gap: read what is missing (this entry included), then go on with the rest.
          this.#pending = [...pending.slice(i + 1), ...this.#pending];
          this.#mustRead = true;
          break;
        }
      }
    } catch (err) {
      this.#deps.logger.warn(
        { err, orgId: this.#deps.orgId },
        'realtime: reading missed inbox events failed; retrying',
      );
      this.#mustRead = true;
      this.#schedule(this.#deps.retryAfterMs ?? 1_000);
    } finally {
      this.#pumping = false;
    }
  }

  /** Reads the stream after `lastSeq` to its end and passes every entry on, or reports a gap. */
  async #readMissing(): Promise<void> {
    for (;;) {
      const reply = await this.#deps.readSince(this.#deps.orgId, this.#lastSeq, MAX_READ_SINCE);
      if (this.#state !== 'ready') return;
      if (!reply.complete) {
        this.#lastSeq = reply.lastSeq;
        this.#deps.onGap([...this.sockets], reply.lastSeq);
        return;
      }
      for (const entry of reply.entries) if (entry.seq > this.#lastSeq) this.#fanOut(entry);
      if (!reply.hasMore) return;
    }
  }

  /** Read after an await (TypeScript narrows `#state` across it). */
  #isClosed(): boolean {
    return this.#state === 'closed';
  }

  #fanOut(entry: InboxEntry): void {
    this.#lastSeq = entry.seq;
    let frame: string | undefined;
    const render = (): string => (frame ??= this.#deps.render(entry));
    this.index.forEachTarget(entry.event, (socket) => this.#deps.deliver(socket, entry, render));
  }

  #schedule(delayMs: number): void {
    if (this.#timer) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#mustRead = true;
      void this.#pump();
    }, delayMs);
    this.#timer.unref();
  }
}

/** A published payload as an entry, if it has an entry's shape (it crossed a process boundary in NATS mode). */
function asEntry(payload: unknown): InboxEntry | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const { seq, atMs, event } = payload as Partial<InboxEntry>;
  if (!Number.isSafeInteger(seq) || typeof atMs !== 'number' || typeof event !== 'object' || event === null)
    return null;
  if (typeof event.phoneNumberId !== 'string' || typeof event.conversationId !== 'string') return null;
  return payload as InboxEntry;
}
