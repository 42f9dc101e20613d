/**
 * Typing notices (realtime `typing` frames). Sending: while the operator types a reply, at most one frame per
 * conversation every TYPING_SEND_INTERVAL_MS. Showing: until the frame's `expiresAt`, capped at
 * MAX_TYPING_SHOW_MS so that a clock far behind the server's cannot leave "… is typing" up for minutes.
 */

export const TYPING_SEND_INTERVAL_MS = 3_000;
export const MAX_TYPING_SHOW_MS = 15_000;

export interface TypingNotifierOptions {
  /** Sends one frame; false when it could not go (no open socket), so that the next keystroke tries again. */
  readonly send: (conversationId: string) => boolean;
  readonly now?: () => number;
  readonly intervalMs?: number;
}

/** `notify(conversationId)` on every keystroke; it sends at most once per interval per conversation. */
export function createTypingNotifier(options: TypingNotifierOptions): (conversationId: string) => void {
  const intervalMs = options.intervalMs ?? TYPING_SEND_INTERVAL_MS;
  const now = options.now ?? (() => Date.now());
  const lastSentAt = new Map<string, number>();
  return (conversationId) => {
    const at = now();
    for (const [id, sentAt] of lastSentAt) if (at - sentAt >= intervalMs) lastSentAt.delete(id);
    if (lastSentAt.has(conversationId)) return;
    if (options.send(conversationId)) lastSentAt.set(conversationId, at);
  };
}

/** How long a typing frame is shown from `nowMs`: 0 (not at all) when expired or unreadable. */
export function typingShowMs(expiresAt: string, nowMs: number): number {
  const ms = Date.parse(expiresAt) - nowMs;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TYPING_SHOW_MS) : 0;
}
