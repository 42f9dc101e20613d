import type { ErrorCode } from '../../core/index.ts';
import { can } from '../../actors/org/permissions.ts';
import { numberOfConversation } from './protocol.ts';
import type { RealtimeCaller } from './subscribe-auth.ts';

/**
 * Typing indicators (issue #7: others see who is typing). A client says `typing {conversationId}` at most every
 * 3 s while its user types; the gateway checks it, throttles it, and publishes a signal on the organisation's
 * typing topic through the transport (so it reaches every node, embedded or NATS alike); each node's org channel
 * fans it out to its sockets whose subscriptions match the conversation, except the one that sent it.
 *
 * Typing is ephemeral, unlike inbox events: it has no seq, is not kept by the inbox-stream (nor written anywhere),
 * is never replayed, and a client shows it until `expiresAt` (now + TYPING_TTL_MS) unless a newer one extends it.
 * A lost signal costs nothing but a moment of "typing…": the next one follows within seconds.
 */

/** What a member needs to say they are typing: the permission to reply (a viewer never types into a conversation). */
export const TYPING_PERMISSION = 'conversations:reply';

/** At most one accepted typing frame per socket and conversation in this time; extra ones are dropped silently. */
export const TYPING_THROTTLE_MS = 2_000;

/** How long a typing indicator shows (clients send one at most every 3 s while the user types, so it stays up). */
export const TYPING_TTL_MS = 6_000;

/**
 * Conversations one socket may be typing in within TYPING_THROTTLE_MS; beyond, frames are dropped silently. A
 * person types in one conversation at a time: the bound keeps the throttle's memory (and the fan-out a client can
 * cause) small.
 */
export const TYPING_MAX_CONVERSATIONS = 8;

/** The realtime topic an organisation's typing signals are published on (beside `inbox.<orgId>`). */
export function typingTopic(orgId: string): string {
  return `typing.${orgId}`;
}

/** What travels on the typing topic: the conversation (as subscriptions match it), who types, until when. */
export interface TypingSignal {
  readonly conversationId: string;
  readonly phoneNumberId: string;
  readonly userId: string;
  readonly expiresAtMs: number;
  /** The socket that sent it (`<gateway id>/<socket id>`), which does not get it back. */
  readonly origin: string;
}

/** A published payload as a typing signal, if it has one's shape (it crossed a process boundary in NATS mode). */
export function asTypingSignal(payload: unknown): TypingSignal | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const { conversationId, phoneNumberId, userId, expiresAtMs, origin } = payload as Partial<TypingSignal>;
  if (typeof conversationId !== 'string' || typeof phoneNumberId !== 'string' || typeof userId !== 'string') {
    return null;
  }
  if (typeof expiresAtMs !== 'number' || !Number.isFinite(expiresAtMs) || typeof origin !== 'string') return null;
  return { conversationId, phoneNumberId, userId, expiresAtMs, origin };
}

export type TypingRefusal = { readonly code: ErrorCode; readonly message: string };

/** Checked first, without I/O: the caller's role must hold TYPING_PERMISSION (else PARLO_ACCESS_FORBIDDEN). */
export function typingForbidden(caller: RealtimeCaller): TypingRefusal | null {
  if (can(caller.role, TYPING_PERMISSION)) return null;
  return { code: 'PARLO_ACCESS_FORBIDDEN', message: `role ${caller.role} does not hold ${TYPING_PERMISSION}` };
}

/**
 * Then the conversation: its number must be the caller's organisation's, answered like the conversation-scope
 * subscribe answers another one's (PARLO_CONVERSATION_NOT_FOUND). On success, the number (the signal carries it).
 */
export async function typingConversation(
  caller: RealtimeCaller,
  conversationId: string,
  ownsNumber: (orgId: string, phoneNumberId: string) => Promise<boolean>,
): Promise<{ readonly ok: true; readonly phoneNumberId: string } | ({ readonly ok: false } & TypingRefusal)> {
  const phoneNumberId = numberOfConversation(conversationId);
  if (!(await ownsNumber(caller.orgId, phoneNumberId))) {
    return { ok: false, code: 'PARLO_CONVERSATION_NOT_FOUND', message: `no conversation ${conversationId} here` };
  }
  return { ok: true, phoneNumberId };
}

/**
 * One socket's typing throttle (pure: time comes in as `nowMs`): a conversation's slot is taken by an accepted
 * frame and free again TYPING_THROTTLE_MS later. A slot is taken before the asynchronous check, so that frames
 * racing it are dropped too, and given back if the check refuses the frame.
 */
export class TypingThrottle {
  /** Conversation id → when its slot was taken. */
  readonly #takenAtMs = new Map<string, number>();
  readonly #intervalMs: number;
  readonly #maxConversations: number;

  constructor(intervalMs = TYPING_THROTTLE_MS, maxConversations = TYPING_MAX_CONVERSATIONS) {
    this.#intervalMs = intervalMs;
    this.#maxConversations = maxConversations;
  }

  /** Whether a frame for the conversation is dropped now: its slot is taken, or too many others are. */
  isThrottled(conversationId: string, nowMs: number): boolean {
    const takenAtMs = this.#takenAtMs.get(conversationId);
    if (takenAtMs !== undefined) return nowMs - takenAtMs < this.#intervalMs;
    if (this.#takenAtMs.size < this.#maxConversations) return false;
    this.#forgetExpired(nowMs);
    return this.#takenAtMs.size >= this.#maxConversations;
  }

  /** Takes the conversation's slot for an accepted frame (after `isThrottled` said no). */
  take(conversationId: string, nowMs: number): void {
    this.#takenAtMs.set(conversationId, nowMs);
  }

  /** Gives back the slot taken at `takenAtMs` (the frame was refused after all); a newer one stays. */
  release(conversationId: string, takenAtMs: number): void {
    if (this.#takenAtMs.get(conversationId) === takenAtMs) this.#takenAtMs.delete(conversationId);
  }

  /** Conversations whose slot is remembered (for tests: the memory stays bounded). */
  get size(): number {
    return this.#takenAtMs.size;
  }

  #forgetExpired(nowMs: number): void {
    for (const [conversationId, takenAtMs] of this.#takenAtMs) {
      if (nowMs - takenAtMs >= this.#intervalMs) this.#takenAtMs.delete(conversationId);
    }
  }
}
