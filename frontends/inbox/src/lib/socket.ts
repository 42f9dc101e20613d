import type { ClientFrame, PresenceFrame, ServerFrame, TypingFrame } from './wire.ts';

/**
 * The realtime connection of the inbox (README "Realtime inbox events"): asks the API where the gateway is
 * (`GET /v1/realtime` → `{ url }`), opens a WebSocket authenticated by the subprotocol `parlo.bearer.<token>`
 * (offering `parlo.v1` so the token is not echoed back), subscribes to the organisation and hands over every event
 * once, in order: an event whose seq is not above the last one seen is a duplicate and dropped.
 *
 * A lost connection is reopened with exponential backoff (jittered) and the subscription resumed with
 * `since: <last seq>`, so the gateway replays what was missed. When the gateway cannot (`resync`: the gap is too
 * old, or this client was too slow), the app reloads what it shows through REST (`onResync`) and subscribes again
 * from the seq the gateway named.
 *
 * Typing frames are the exception: not numbered and never replayed, they go to `onTyping` as they come, and
 * `sendTyping` sends one only while the socket is open (a typing notice that cannot go now is worthless later).
 * Presence frames (an operator went online, away or offline) are the same: unnumbered, handed to `onPresence`.
 */

export type EventFrame = Extract<ServerFrame, { type: 'event' }>;

export type RealtimeStatus = 'connecting' | 'live' | 'offline' | 'unavailable';

/** The part of the browser's WebSocket the client uses (tests pass a fake). */
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  onerror: ((event: Event) => void) | null;
}

export type SocketFactory = (url: string, protocols: string[]) => SocketLike;

export interface RealtimeOptions {
  /** The gateway's WebSocket URL (GET /v1/realtime). A rejection counts as a failed attempt. */
  readonly endpoint: () => Promise<string>;
  /** The current session access token; null stops connecting. */
  readonly token: () => string | null;
  readonly onEvent: (frame: EventFrame) => void;
  /** Someone is typing in a conversation (the frame as received; the caller ignores its own user). */
  readonly onTyping?: (frame: TypingFrame) => void;
  /** An operator's presence changed (the frame as received; the caller drops one older than what it holds). */
  readonly onPresence?: (frame: PresenceFrame) => void;
  /** Reload through REST what the events would have updated; resolves when done. */
  readonly onResync: () => Promise<void>;
  readonly onStatus?: (status: RealtimeStatus) => void;
  readonly onError?: (code: string, message: string) => void;
  /** The connection closed (before a reconnect is scheduled); 4001 is the gateway's "session ended". */
  readonly onClose?: (code: number) => void;
  readonly createSocket?: SocketFactory;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /** Application-level ping, which also keeps idle proxies from closing the socket. */
  readonly pingEveryMs?: number;
  readonly random?: () => number;
}

export const REALTIME_PROTOCOL = 'parlo.v1';
export const BEARER_PROTOCOL_PREFIX = 'parlo.bearer.';
export const DEFAULT_INITIAL_BACKOFF_MS = 500;
export const DEFAULT_MAX_BACKOFF_MS = 30_000;
/** The gateway closes a socket whose session was signed out or revoked with this code. */
export const SESSION_ENDED_CLOSE_CODE = 4001;
/** The gateway closes a socket when the access token it was opened with expires: reconnect with a fresh one. */
export const TOKEN_EXPIRED_CLOSE_CODE = 4002;
const DEFAULT_PING_EVERY_MS = 30_000;

/** The delay before reconnect attempt `attempt` (0-based): doubling, capped, with ±50 % jitter. */
export function backoffDelayMs(attempt: number, initialMs: number, maxMs: number, random: number): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.5 + random * 0.5));
}

export class RealtimeClient {
  readonly #options: RealtimeOptions;
  #socket: SocketLike | null = null;
  #isOpen = false;
  #lastSeq: number | undefined;
  #attempt = 0;
  #isStopped = true;
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #frames: Promise<void> = Promise.resolve();

  constructor(options: RealtimeOptions) {
    this.#options = options;
  }

  /** The seq of the last event handed over (undefined before the first subscription). */
  get lastSeq(): number | undefined {
    return this.#lastSeq;
  }

  start(): void {
    if (!this.#isStopped) return;
    this.#isStopped = false;
    void this.#connect();
  }

  stop(): void {
    this.#isStopped = true;
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    this.#stopPing();
    const socket = this.#socket;
    this.#socket = null;
    this.#isOpen = false;
    if (socket) {
      socket.onclose = null;
      socket.onmessage = null;
      socket.close(1000, 'signed out');
    }
  }

  /** Reconnect now (the browser came back online), skipping the backoff wait. */
  reconnectNow(): void {
    if (this.#isStopped || this.#socket !== null) return;
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    this.#reconnectTimer = undefined;
    void this.#connect();
  }

  /**
   * Tells the gateway that the user is typing in `conversationId`. Returns false (and sends nothing) while no socket
   * is open: typing notices are never queued.
   */
  sendTyping(conversationId: string): boolean {
    if (!this.#isOpen || this.#socket === null) return false;
    this.#send({ type: 'typing', conversationId });
    return true;
  }

  async #connect(): Promise<void> {
    const token = this.#options.token();
    if (this.#isStopped || token === null) return;
    this.#status('connecting');
    let url: string;
    try {
      url = await this.#options.endpoint();
    } catch {
      this.#status('unavailable');
      this.#scheduleReconnect();
      return;
    }
    if (this.#isStopped) return;
    const create = this.#options.createSocket ?? ((u, protocols) => new WebSocket(u, protocols));
    let socket: SocketLike;
    try {
      socket = create(url, [REALTIME_PROTOCOL, `${BEARER_PROTOCOL_PREFIX}${this.#options.token() ?? token}`]);
    } catch {
      this.#status('offline');
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#isOpen = true;
      this.#subscribe();
      this.#startPing();
    };
    socket.onmessage = (event) => {
      if (typeof event.data !== 'string') return;
      const text = event.data;
      // Frames are handled one after another, a resync's REST reload included.
      this.#frames = this.#frames.then(() => this.#onFrame(socket, text)).catch(() => undefined);
    };
    socket.onerror = () => {
      // A close event follows; reconnecting is its handler's job.
    };
    socket.onclose = (event) => {
      if (this.#socket !== socket) return;
      this.#socket = null;
      this.#isOpen = false;
      this.#stopPing();
      if (this.#isStopped) return;
      this.#options.onClose?.(event.code);
      this.#status('offline');
      this.#scheduleReconnect();
    };
  }

  #scheduleReconnect(): void {
    if (this.#isStopped || this.#reconnectTimer !== undefined) return;
    const delay = backoffDelayMs(
      this.#attempt++,
      this.#options.initialBackoffMs ?? DEFAULT_INITIAL_BACKOFF_MS,
      this.#options.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS,
      (this.#options.random ?? Math.random)(),
    );
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      void this.#connect();
    }, delay);
  }

  #subscribe(): void {
    this.#send({ type: 'subscribe', scope: 'org', ...(this.#lastSeq === undefined ? {} : { since: this.#lastSeq }) });
  }

  #send(frame: ClientFrame): void {
    try {
      this.#socket?.send(JSON.stringify(frame));
    } catch {
      // The socket is closing; its close handler reconnects.
    }
  }

  async #onFrame(socket: SocketLike, text: string): Promise<void> {
    if (this.#socket !== socket) return;
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'subscribed':
        this.#attempt = 0;
        // On a resume the backlog follows this frame: keep the seq we resumed from, or it would drop the backlog.
        if (this.#lastSeq === undefined) this.#lastSeq = frame.lastSeq;
        this.#status('live');
        return;
      case 'event':
        if (this.#lastSeq !== undefined && frame.seq <= this.#lastSeq) return;
        this.#lastSeq = frame.seq;
        this.#options.onEvent(frame);
        return;
      case 'resync':
        this.#status('connecting');
        this.#lastSeq = frame.lastSeq;
        await this.#options.onResync();
        if (this.#socket === socket) this.#subscribe();
        return;
      case 'typing':
        this.#options.onTyping?.(frame);
        return;
      case 'presence':
        this.#options.onPresence?.(frame);
        return;
      case 'error':
        this.#options.onError?.(frame.code, frame.message);
        return;
      case 'ready':
      case 'pong':
        return;
      default:
        return;
    }
  }

  #startPing(): void {
    this.#stopPing();
    this.#pingTimer = setInterval(
      () => this.#send({ type: 'ping' }),
      this.#options.pingEveryMs ?? DEFAULT_PING_EVERY_MS,
    );
  }

  #stopPing(): void {
    if (this.#pingTimer !== undefined) clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
  }

  #status(status: RealtimeStatus): void {
    this.#options.onStatus?.(status);
  }
}
