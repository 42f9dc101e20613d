import type { Scope } from './protocol.ts';

/**
 * What a socket listens to, and which sockets an event goes to. Every subscription of a socket lies inside the
 * socket's own organisation (the gateway keeps one channel per organisation), so `org` matches every event that
 * reaches it; `number` matches the event's `phoneNumberId`, `conversation` its `conversationId`.
 */
export interface SubscriptionKey {
  readonly scope: Scope;
  /** The org id (scope org), phone-number id or conversation id. */
  readonly id: string;
}

export interface ActiveSubscription extends SubscriptionKey {
  /** Events with a seq above this one are this subscription's to deliver (its `since`, or the seq it began at). */
  readonly fromSeq: number;
}

/** The two facts of an event that subscriptions match on. */
export interface EventRef {
  readonly phoneNumberId: string;
  readonly conversationId: string;
}

export function matches(sub: SubscriptionKey, event: EventRef): boolean {
  switch (sub.scope) {
    case 'org':
      return true;
    case 'number':
      return sub.id === event.phoneNumberId;
    case 'conversation':
      return sub.id === event.conversationId;
  }
}

export function matchesAny(subs: readonly SubscriptionKey[] | null, event: EventRef): boolean {
  if (subs === null) return false;
  for (const sub of subs) if (matches(sub, event)) return true;
  return false;
}

export function sameKey(a: SubscriptionKey, b: SubscriptionKey): boolean {
  return a.scope === b.scope && a.id === b.id;
}

/**
 * The sockets of one organisation by what they subscribed to, so that an event visits only the sockets it may
 * concern: those on the organisation, those on its number, those on its conversation. A socket on several of
 * them is visited once per matching subscription: the caller delivers each seq to a socket at most once.
 */
export class SubscriptionIndex<S> {
  readonly #org = new Set<S>();
  readonly #numbers = new Map<string, Set<S>>();
  readonly #conversations = new Map<string, Set<S>>();

  add(socket: S, key: SubscriptionKey): void {
    switch (key.scope) {
      case 'org':
        this.#org.add(socket);
        return;
      case 'number':
        addTo(this.#numbers, key.id, socket);
        return;
      case 'conversation':
        addTo(this.#conversations, key.id, socket);
        return;
    }
  }

  remove(socket: S, key: SubscriptionKey): void {
    switch (key.scope) {
      case 'org':
        this.#org.delete(socket);
        return;
      case 'number':
        removeFrom(this.#numbers, key.id, socket);
        return;
      case 'conversation':
        removeFrom(this.#conversations, key.id, socket);
        return;
    }
  }

  /** Calls `visit` for each socket subscribed to something `event` matches (a socket may come more than once). */
  forEachTarget(event: EventRef, visit: (socket: S) => void): void {
    for (const socket of this.#org) visit(socket);
    const byNumber = this.#numbers.get(event.phoneNumberId);
    if (byNumber) for (const socket of byNumber) visit(socket);
    const byConversation = this.#conversations.get(event.conversationId);
    if (byConversation) for (const socket of byConversation) visit(socket);
  }

  /** Whether no socket subscribes to anything (for tests and leak checks). */
  get isEmpty(): boolean {
    return this.#org.size === 0 && this.#numbers.size === 0 && this.#conversations.size === 0;
  }
}

function addTo<S>(map: Map<string, Set<S>>, id: string, socket: S): void {
  let set = map.get(id);
  if (!set) {
    set = new Set();
    map.set(id, set);
  }
  set.add(socket);
}

function removeFrom<S>(map: Map<string, Set<S>>, id: string, socket: S): void {
  const set = map.get(id);
  if (!set) return;
  set.delete(socket);
  if (set.size === 0) map.delete(id);
}
