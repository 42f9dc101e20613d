import { randomBytes } from 'node:crypto';
import { DEVICE_TTL_MS, operatorAddress, type OperatorMsg } from '../../actors/operators/operator.messages.ts';
import type { WebSocket } from '@trufflesuite/uws-js-unofficial';
import {
  ERROR_CODES,
  errorCodeOf,
  isErrorCode,
  labelled,
  loadUws,
  SystemClock,
  type ActorSystem,
  type Clock,
  type ErrorCode,
  type Logger,
  type Metrics,
  type Transport,
} from '../../core/index.ts';
import {
  inboxStreamAddress,
  type InboxEntry,
  type InboxStreamReplies,
} from '../../actors/inbox/inbox-stream.messages.ts';
import type { Role } from '../../actors/org/permissions.ts';
import type { SessionRevokedEvent } from '../../actors/identity/session.messages.ts';
import type { HttpResponse, us_listen_socket } from '../../core/net/uws.ts';
import { errorBody, mapError } from '../http/api/errors.ts';
import type { MediaRefs } from '../http/media-refs.ts';
import type { TtlCache } from '../http/ttl-cache.ts';
import {
  isSlowAfterSend,
  mustCloseAfterResync,
  shouldPauseReplay,
  shouldSkipEphemeral,
  uwsMaxBackpressure,
} from './backpressure.ts';
import { CatchUpBuffer, backlogToSend, wantedBy } from './catch-up.ts';
import { OrgChannel, type ReadSince } from './org-channel.ts';
import {
  PONG_FRAME,
  REALTIME_PATH,
  encodeFrame,
  eventFrame,
  parseClientFrame,
  typingFrame,
  presenceFrame,
  type Scope,
  type ServerFrame,
  type SubscribeFrame,
  type TypingFrame,
  type UnsubscribeFrame,
} from './protocol.ts';
import { authorizeSubscription, orgNumbersOwnership, type SubscriptionAccessDeps } from './subscribe-auth.ts';
import { sameKey, type ActiveSubscription, type SubscriptionKey } from './subscriptions.ts';
import {
  TYPING_TTL_MS,
  TypingThrottle,
  typingConversation,
  typingForbidden,
  typingTopic,
  type TypingSignal,
} from './typing.ts';
import { authenticateUpgrade, credentialOf } from './upgrade-auth.ts';

/**
 * The realtime inbox gateway (uWebSockets.js): WebSockets at `/v1/realtime` on its own port, authenticated with the
 * session access token at upgrade, subscribed per organisation, number or conversation, fed from the
 * organisation's inbox-stream (see org-channel.ts: one transport subscription per organisation with sockets).
 * Typing indicators (typing.ts) go through the transport too, beside the inbox-stream, never into it.
 * Protocol: protocol.ts and the README section "Realtime inbox events (WebSocket)".
 *
 * Sockets are cheap while idle: a small user-data object, nothing else until they subscribe; uWS pings them
 * (`idleTimeout`, `sendPingsAutomatically`). Every send's outcome is checked (backpressure.ts), catch-up buffers
 * are bounded, and a socket references nothing after its close handler ran.
 */
export interface RealtimeGatewayOptions {
  readonly system: ActorSystem;
  readonly transport: Transport;
  /** Organisation-scoped media refs, the same the REST API hands out in message views. */
  readonly mediaRefs: MediaRefs;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** "Now" for typing (throttle, expiry) and for closing sockets whose access token expired; default the system clock. */
  readonly clock?: Clock;
  readonly host: string;
  /** 0 picks a free port. The port is taken exclusively (no SO_REUSEPORT sharing with another process). */
  readonly port: number;
  /** Bytes a socket may have waiting before it is a slow consumer; default 1 MiB. */
  readonly maxBackpressureBytes?: number;
  /** Seconds of silence before uWS closes a socket (it pings first); 8 to 960, default 120. */
  readonly idleTimeoutSec?: number;
  /** The node's cache of owned numbers (shared with the REST API). */
  readonly ownedNumbers?: TtlCache<string, true>;
  /** Replaces parts of the subscription check (tests). */
  readonly access?: Partial<SubscriptionAccessDeps>;
  readonly limits?: Partial<RealtimeLimits>;
}

export interface RealtimeLimits {
  /** Subscriptions one socket may hold. */
  readonly subscriptionsPerSocket: number;
  /** Live events one socket buffers while it replays a backlog; beyond, it is a slow consumer. */
  readonly catchUpBufferEntries: number;
  /** Entries read from the inbox-stream per page of a replay. */
  readonly replayPageSize: number;
  /** Subscribe/unsubscribe frames, and typing frames being checked, of one socket waiting to be handled. */
  readonly queuedRequests: number;
}

export const DEFAULT_REALTIME_LIMITS: RealtimeLimits = {
  subscriptionsPerSocket: 100,
  catchUpBufferEntries: 5_000,
  replayPageSize: 200,
  queuedRequests: 16,
};

export const DEFAULT_MAX_BACKPRESSURE_BYTES = 1024 * 1024;
export const DEFAULT_IDLE_TIMEOUT_SEC = 120;
/** Client frames are small JSON objects. */
export const MAX_CLIENT_FRAME_BYTES = 4 * 1024;

/** WebSocket close codes the gateway uses (4000–4999 are the application's). */
export const CLOSE_CODES = {
  goingAway: 1001,
  /** The session was signed out or revoked. */
  sessionEnded: 4001,
  /**
   * The access token the socket was opened with expired: reconnect with the current one (and `since`), which also
   * brings a changed role into effect. Not a sign-out.
   */
  tokenExpired: 4002,
  /** Too slow to take even the `resync` frame. */
  tooSlow: 4008,
} as const;

export const REALTIME_METRICS = {
  connections: 'parlo_realtime_connections',
  events: 'parlo_realtime_events_sent_total',
  resyncs: 'parlo_realtime_resyncs_total',
  /** Typing frames sent to sockets (one per receiving socket). */
  typing: 'parlo_realtime_typing_sent_total',
  /** Presence frames sent to sockets (one per receiving socket). */
  presence: 'parlo_realtime_presence_sent_total',
} as const;

export interface RealtimeGateway {
  /** Where it listens: `ws://<host>:<port>/v1/realtime` (a public URL in front of it is the caller's to know). */
  readonly url: string;
  /** The port it listens on (resolved when 0 was asked for). */
  readonly port: number;
  /** Open sockets. */
  readonly connectionCount: number;
  /** Stops listening and closes every socket (1001). Safe to call twice. */
  close(): Promise<void>;
}

/** Per socket (uWS user data): small, since idle sockets are the common case. */
interface SocketData {
  readonly userId: string;
  readonly orgId: string;
  readonly role: Role;
  readonly sessionId: string;
  /** `<gateway id>/<n>`: names the socket in the typing signals it sends, so that it does not get them back. */
  readonly origin: string;
  /** null until the first typing frame. */
  typing: TypingThrottle | null;
  /** null until the first subscription. */
  subs: ActiveSubscription[] | null;
  /** The newest seq sent to the socket: each seq goes out once. */
  sentSeq: number;
  /** While a backlog is replayed: the live entries that wait. */
  replay: CatchUpBuffer | null;
  /** Subscribe/unsubscribe requests are handled one at a time, in order. */
  queue: Promise<void> | null;
  /** Requests waiting: queued subscribes/unsubscribes and typing frames being checked (those run beside them). */
  queued: number;
  /** Resolves a replay waiting for the socket to drain. */
  drained: (() => void) | null;
  /** When its access token expires (then it is closed with 4002); null: never. */
  readonly accessExpiresAtMs: number | null;
  /** Cancels the wake-up that closes it at `accessExpiresAtMs`. */
  cancelExpiry: (() => void) | null;
  isClosed: boolean;
}

type Socket = WebSocket<SocketData>;

const STATUS_LINES: Readonly<Record<number, string>> = {
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  426: '426 Upgrade Required',
  429: '429 Too Many Requests',
  500: '500 Internal Server Error',
  503: '503 Service Unavailable',
  504: '504 Gateway Timeout',
};

export async function startRealtimeGateway(options: RealtimeGatewayOptions): Promise<RealtimeGateway> {
  const uws = loadUws();
  const { system, transport, logger: parentLogger, metrics } = options;
  const clock = options.clock ?? new SystemClock();
  /** Tells this gateway's sockets from other nodes' in typing signals. */
  const gatewayId = randomBytes(6).toString('hex');
  let socketCount = 0;
  const logger = parentLogger.child({ component: 'realtime' });
  const limitBytes = options.maxBackpressureBytes ?? DEFAULT_MAX_BACKPRESSURE_BYTES;
  const limits: RealtimeLimits = { ...DEFAULT_REALTIME_LIMITS, ...options.limits };
  const access: SubscriptionAccessDeps = {
    ownsNumber: orgNumbersOwnership(system, options.ownedNumbers),
    ...options.access,
  };
  const readSince: ReadSince = (orgId, afterSeq, limit) =>
    system.ask<InboxStreamReplies['readSince']>(inboxStreamAddress(orgId), { type: 'readSince', afterSeq, limit });

  const channels = new Map<string, OrgChannel<Socket>>();
  const sessions = new Map<string, Set<Socket>>();
  let connections = 0;
  let closing = false;

  const count = (name: string, labels?: Record<string, string>): void => {
    metrics?.count(labels ? labelled(name, labels) : name);
  };
  const setConnections = (delta: number): void => {
    connections += delta;
    metrics?.gauge(REALTIME_METRICS.connections, connections);
  };

  // ------------------------------------------------------------ sending

  const send = (ws: Socket, frame: ServerFrame): number => ws.send(encodeFrame(frame));

  const sendError = (ws: Socket, code: ErrorCode, message: string, about?: SubscriptionRef): void => {
    send(ws, { type: 'error', code, message, ...aboutOf(about) });
  };

  /** Sends an event frame; false when the socket became a slow consumer (and was told to resync). */
  const sendEvent = (ws: Socket, entry: InboxEntry, frame: string): boolean => {
    const data = ws.getUserData();
    const status = ws.send(frame);
    if (entry.seq > data.sentSeq) data.sentSeq = entry.seq;
    count(REALTIME_METRICS.events);
    if (!isSlowAfterSend(status, ws.getBufferedAmount(), limitBytes)) return true;
    stopSlowConsumer(ws);
    return false;
  };

  /** Drops the socket's subscriptions and sends one `resync` (slow); closes it if even that does not fit. */
  const stopSlowConsumer = (ws: Socket): void => {
    const data = ws.getUserData();
    dropSubscriptions(ws);
    count(REALTIME_METRICS.resyncs, { reason: 'slow' });
    logger.info(
      { orgId: data.orgId, userId: data.userId, bufferedBytes: ws.getBufferedAmount() },
      'realtime: slow consumer',
    );
    const status = send(ws, { type: 'resync', reason: 'slow', lastSeq: data.sentSeq });
    if (mustCloseAfterResync(status)) ws.end(CLOSE_CODES.tooSlow, 'too slow');
  };

  // ------------------------------------------------------------ subscriptions

  const addSubscription = (ws: Socket, sub: ActiveSubscription): void => {
    const data = ws.getUserData();
    // A new array: a replay holds on to the subscriptions that were there before it.
    data.subs = data.subs === null ? [sub] : [...data.subs, sub];
    channels.get(data.orgId)?.index.add(ws, sub);
  };

  const removeSubscription = (ws: Socket, key: SubscriptionKey): void => {
    const data = ws.getUserData();
    if (data.subs === null) return;
    const kept = data.subs.filter((sub) => !sameKey(sub, key));
    if (kept.length === data.subs.length) return;
    data.subs = kept.length === 0 ? null : kept;
    channels.get(data.orgId)?.index.remove(ws, key);
  };

  const dropSubscriptions = (ws: Socket): void => {
    const data = ws.getUserData();
    const index = channels.get(data.orgId)?.index;
    for (const sub of data.subs ?? []) index?.remove(ws, sub);
    data.subs = null;
    data.replay = null;
  };

  /** A live entry for one socket (the channel's fan-out). */
  const deliver = (ws: Socket, entry: InboxEntry, frame: () => string): void => {
    const data = ws.getUserData();
    if (data.isClosed) return;
    if (data.replay !== null) {
      if (data.replay.offer(entry) === 'overflow') stopSlowConsumer(ws);
      return;
    }
    if (entry.seq <= data.sentSeq || data.subs === null || !wantedBy(data.subs, entry)) return;
    sendEvent(ws, entry, frame());
  };

  const onGap = (sockets: readonly Socket[], lastSeq: number): void => {
    for (const ws of sockets) {
      const data = ws.getUserData();
      if (data.isClosed || (data.subs === null && data.replay === null)) continue;
      dropSubscriptions(ws);
      count(REALTIME_METRICS.resyncs, { reason: 'gap' });
      send(ws, { type: 'resync', reason: 'gap', lastSeq });
    }
  };

  /** A typing signal for one socket (the channel's fan-out): not back to its sender, and skipped by a lagging one. */
  const deliverTyping = (ws: Socket, typing: TypingSignal, frame: () => string): void => {
    const data = ws.getUserData();
    if (data.isClosed || data.subs === null || data.origin === typing.origin) return;
    if (shouldSkipEphemeral(ws.getBufferedAmount(), limitBytes)) return;
    const status = ws.send(frame());
    count(REALTIME_METRICS.typing);
    if (isSlowAfterSend(status, ws.getBufferedAmount(), limitBytes)) stopSlowConsumer(ws);
  };

  /** An operator's presence changed: to a socket that follows anything (ephemeral, skipped when backed up). */
  const deliverPresence = (ws: Socket, frame: () => string): void => {
    const data = ws.getUserData();
    if (data.isClosed || data.subs === null) return;
    if (shouldSkipEphemeral(ws.getBufferedAmount(), limitBytes)) return;
    const status = ws.send(frame());
    count(REALTIME_METRICS.presence);
    if (isSlowAfterSend(status, ws.getBufferedAmount(), limitBytes)) stopSlowConsumer(ws);
  };

  const channelOf = (orgId: string): OrgChannel<Socket> => {
    let channel = channels.get(orgId);
    if (!channel) {
      channel = new OrgChannel<Socket>({
        orgId,
        transport,
        readSince,
        render: (entry) => eventFrame(entry, orgId, options.mediaRefs),
        deliver: (ws, entry, frame) => {
          try {
            deliver(ws, entry, frame);
          } catch (err) {
            logger.error({ err, orgId }, 'realtime: delivering an event failed');
          }
        },
        renderTyping: typingFrame,
        renderPresence: presenceFrame,
        deliverPresence: (ws, frame) => {
          try {
            deliverPresence(ws, frame);
          } catch (err) {
            logger.error({ err, orgId }, 'realtime: delivering a presence change failed');
          }
        },
        deliverTyping: (ws, typing, frame) => {
          try {
            deliverTyping(ws, typing, frame);
          } catch (err) {
            logger.error({ err, orgId }, 'realtime: delivering a typing signal failed');
          }
        },
        onGap,
        logger,
      });
      channels.set(orgId, channel);
    }
    return channel;
  };

  /** The open channel of a socket's organisation, in order (started by the socket's open). */
  const readyChannel = async (ws: Socket): Promise<OrgChannel<Socket> | null> => {
    const data = ws.getUserData();
    const channel = channels.get(data.orgId);
    if (!channel) return null;
    await channel.ready();
    return data.isClosed ? null : channel;
  };

  const subscribe = async (ws: Socket, frame: SubscribeFrame): Promise<void> => {
    const data = ws.getUserData();
    const decided = await authorizeSubscription(data, frame, access);
    if (data.isClosed) return;
    if (!decided.ok) return sendError(ws, decided.code, decided.message, frame);
    const key = decided.key;
    const held = data.subs ?? [];
    if (!held.some((sub) => sameKey(sub, key)) && held.length >= limits.subscriptionsPerSocket) {
      return sendError(
        ws,
        'PARLO_BAD_REQUEST',
        `at most ${limits.subscriptionsPerSocket} subscriptions per connection`,
        key,
      );
    }
    const channel = await readyChannel(ws);
    if (channel === null) return;
    // Subscribing again replaces the subscription (a `since` replays again).
    removeSubscription(ws, key);
    if (frame.since === undefined) {
      const fromSeq = Math.max(channel.lastSeq, data.sentSeq);
      addSubscription(ws, { ...key, fromSeq });
      send(ws, { type: 'subscribed', scope: key.scope, id: key.id, lastSeq: fromSeq });
      return;
    }
    await replay(ws, channel, { ...key, fromSeq: frame.since });
  };

  /**
   * Resume: the retained entries after `added.fromSeq` that the socket has not had, then live. Live entries wait in
   * the socket's buffer meanwhile; those above the last replayed seq follow the backlog.
   */
  const replay = async (ws: Socket, channel: OrgChannel<Socket>, added: ActiveSubscription): Promise<void> => {
    const data = ws.getUserData();
    const liveSeq = channel.lastSeq;
    const others = data.subs ?? [];
    const buffer = new CatchUpBuffer(Math.max(liveSeq, data.sentSeq), limits.catchUpBufferEntries);
    data.replay = buffer;
    addSubscription(ws, added);
    const render = (entry: InboxEntry) => eventFrame(entry, data.orgId, options.mediaRefs);
    let position = liveSeq;
    let isFirstPage = true;
    try {
      let after = added.fromSeq;
      for (;;) {
        const reply = await readSince(data.orgId, after, limits.replayPageSize);
        if (data.isClosed || data.replay !== buffer) return;
        if (!reply.complete) {
          removeSubscription(ws, added);
          count(REALTIME_METRICS.resyncs, { reason: 'gap' });
          send(ws, { type: 'resync', reason: 'gap', scope: added.scope, id: added.id, lastSeq: reply.lastSeq });
          break;
        }
        if (isFirstPage) {
          send(ws, { type: 'subscribed', scope: added.scope, id: added.id, lastSeq: reply.lastSeq });
          isFirstPage = false;
        }
        for (const entry of backlogToSend(reply.entries, added, others, liveSeq)) {
          if (!sendEvent(ws, entry, render(entry))) return;
        }
        const last = reply.entries[reply.entries.length - 1];
        if (!reply.hasMore || last === undefined) {
          position = Math.max(position, reply.lastSeq);
          break;
        }
        after = last.seq;
        if (shouldPauseReplay(ws.getBufferedAmount(), limitBytes)) {
          await new Promise<void>((resolve) => (data.drained = resolve));
          if (data.isClosed || data.replay !== buffer) return;
        }
      }
    } catch (err) {
      if (data.isClosed || data.replay !== buffer) return;
      removeSubscription(ws, added);
      sendFailure(ws, err, added);
    }
    // Live again: what waited and is above everything sent, in order.
    data.replay = null;
    if (position > data.sentSeq) data.sentSeq = position;
    for (const entry of buffer.flush(data.sentSeq, data.subs ?? [])) {
      if (!sendEvent(ws, entry, render(entry))) return;
    }
  };

  /** Needs no check: a socket only ever holds subscriptions that were allowed (a number may since have left). */
  const unsubscribe = (ws: Socket, frame: UnsubscribeFrame): Promise<void> => {
    const data = ws.getUserData();
    if (data.isClosed) return Promise.resolve();
    if (frame.scope === 'org') {
      if (frame.id === undefined || frame.id === data.orgId) removeSubscription(ws, { scope: 'org', id: data.orgId });
    } else {
      removeSubscription(ws, { scope: frame.scope, id: frame.id! });
    }
    return Promise.resolve();
  };

  const sendFailure = (ws: Socket, err: unknown, about?: SubscriptionRef): void => {
    const code = errorCodeOf(err);
    if (code !== undefined && isErrorCode(code) && ERROR_CODES[code].httpStatus < 500) {
      sendError(ws, code, (err as Error).message, about);
      return;
    }
    logger.error({ err }, 'realtime: request failed');
    const failure = code !== undefined && isErrorCode(code) ? code : 'PARLO_INTERNAL_ERROR';
    sendError(ws, failure, 'the request failed on the server; try again', about);
  };

  /** Whether the socket may not start another request (refused with PARLO_RATE_LIMITED). */
  const isRateLimited = (ws: Socket, about?: SubscriptionRef): boolean => {
    if (ws.getUserData().queued < limits.queuedRequests) return false;
    sendError(ws, 'PARLO_RATE_LIMITED', `at most ${limits.queuedRequests} requests may wait; slow down`, about);
    return true;
  };

  const requestDone = (data: SocketData): void => {
    data.queued--;
    if (data.queued === 0) data.queue = null;
  };

  /** Runs a subscribe/unsubscribe after the socket's earlier ones. */
  const enqueue = (ws: Socket, run: () => Promise<void>, about: SubscriptionRef): void => {
    const data = ws.getUserData();
    if (isRateLimited(ws, about)) return;
    data.queued++;
    const previous = data.queue ?? Promise.resolve();
    data.queue = previous
      .then(run)
      .catch((err: unknown) => {
        if (!data.isClosed) sendFailure(ws, err, about);
      })
      .finally(() => requestDone(data));
  };

  /**
   * "I am typing": checked (permission at once, then the conversation's number), throttled per conversation, and
   * published on the organisation's typing topic for every node's channel to fan out. Runs beside the socket's
   * subscribe queue, not in it (a subscribe never waits for it), but counts as a waiting request while checked.
   */
  const typing = (ws: Socket, frame: TypingFrame): void => {
    const data = ws.getUserData();
    const forbidden = typingForbidden(data);
    if (forbidden !== null) return sendError(ws, forbidden.code, forbidden.message);
    const { conversationId } = frame;
    const throttle = (data.typing ??= new TypingThrottle());
    const takenAtMs = clock.now();
    // Dropped silently: the client repeats itself every few seconds anyway.
    if (throttle.isThrottled(conversationId, takenAtMs)) return;
    if (isRateLimited(ws)) return;
    throttle.take(conversationId, takenAtMs);
    data.queued++;
    typingConversation(data, conversationId, (orgId, phoneNumberId) => access.ownsNumber(orgId, phoneNumberId))
      .then(
        (checked) => {
          if (data.isClosed) return;
          if (!checked.ok) {
            throttle.release(conversationId, takenAtMs);
            return sendError(ws, checked.code, checked.message);
          }
          const signal: TypingSignal = {
            conversationId,
            phoneNumberId: checked.phoneNumberId,
            userId: data.userId,
            // From when the frame came in: a slow check does not stretch the indicator.
            expiresAtMs: takenAtMs + TYPING_TTL_MS,
            origin: data.origin,
          };
          transport.publish(typingTopic(data.orgId), signal);
        },
        (err: unknown) => {
          if (data.isClosed) return;
          throttle.release(conversationId, takenAtMs);
          sendFailure(ws, err);
        },
      )
      .catch((err: unknown) => logger.error({ err, orgId: data.orgId }, 'realtime: publishing typing failed'))
      .finally(() => requestDone(data));
  };

  // ------------------------------------------------------------ the uWS app

  const app = uws.App();
  app.ws<SocketData>(REALTIME_PATH, {
    maxPayloadLength: MAX_CLIENT_FRAME_BYTES,
    maxBackpressure: uwsMaxBackpressure(limitBytes),
    closeOnBackpressureLimit: 0,
    idleTimeout: options.idleTimeoutSec ?? DEFAULT_IDLE_TIMEOUT_SEC,
    sendPingsAutomatically: true,
    upgrade: (res, req, context) => {
      // uWS request objects die when the handler returns: copy what is needed before anything async.
      const key = req.getHeader('sec-websocket-key');
      const protocols = req.getHeader('sec-websocket-protocol');
      const extensions = req.getHeader('sec-websocket-extensions');
      const query = req.getQuery() ?? '';
      let isAborted = false;
      res.onAborted(() => {
        isAborted = true;
      });
      const credential = credentialOf(query, protocols);
      if (!credential.ok) return refuseUpgrade(res, credential.error);
      authenticateUpgrade(system, credential.token).then(
        (caller) => {
          if (isAborted) return;
          const data: SocketData = {
            userId: caller.userId,
            orgId: caller.orgId,
            role: caller.role,
            sessionId: caller.sessionId,
            origin: `${gatewayId}/${++socketCount}`,
            typing: null,
            subs: null,
            sentSeq: 0,
            replay: null,
            queue: null,
            queued: 0,
            drained: null,
            accessExpiresAtMs: caller.accessExpiresAtMs ?? null,
            cancelExpiry: null,
            isClosed: false,
          };
          res.cork(() => res.upgrade(data, key, credential.protocol, extensions, context));
        },
        (err: unknown) => {
          if (!isAborted) refuseUpgrade(res, err);
        },
      );
    },
    open: (ws) => {
      const data = ws.getUserData();
      if (closing) {
        data.isClosed = true;
        ws.end(CLOSE_CODES.goingAway, 'server shutting down');
        return;
      }
      setConnections(1);
      if (data.accessExpiresAtMs !== null) {
        data.cancelExpiry = clock.wakeAt(data.accessExpiresAtMs, () => {
          data.cancelExpiry = null;
          if (!data.isClosed) ws.end(CLOSE_CODES.tokenExpired, 'access token expired');
        });
      }
      const channel = channelOf(data.orgId);
      channel.sockets.add(ws);
      let sessionSockets = sessions.get(data.sessionId);
      if (!sessionSockets) sessions.set(data.sessionId, (sessionSockets = new Set()));
      sessionSockets.add(ws);
      // The session is the operator's device: online from its first socket, offline after its last.
      if (sessionSockets.size === 1) reportPresence(data, 'online');
      // Start following the organisation now, so that a first subscribe is answered at once.
      channel
        .ready()
        .catch((err: unknown) => logger.warn({ err, orgId: data.orgId }, 'realtime: channel start failed'));
      send(ws, { type: 'ready', userId: data.userId, orgId: data.orgId, role: data.role });
    },
    message: (ws, message, isBinary) => {
      if (isBinary) return sendError(ws, 'PARLO_BAD_REQUEST', 'send JSON text frames');
      const parsed = parseClientFrame(Buffer.from(message).toString('utf8'));
      if (!parsed.ok) return sendError(ws, parsed.code, parsed.message);
      const frame = parsed.frame;
      switch (frame.type) {
        case 'ping':
          ws.send(PONG_FRAME);
          return;
        case 'subscribe':
          return enqueue(ws, () => subscribe(ws, frame), frame);
        case 'unsubscribe':
          return enqueue(ws, () => unsubscribe(ws, frame), frame);
        case 'typing':
          return typing(ws, frame);
      }
    },
    drain: (ws) => {
      const data = ws.getUserData();
      if (data.drained !== null && !shouldPauseReplay(ws.getBufferedAmount(), limitBytes)) {
        const resume = data.drained;
        data.drained = null;
        resume();
      }
    },
    close: (ws) => {
      const data = ws.getUserData();
      if (data.isClosed) return;
      data.isClosed = true;
      const channel = channels.get(data.orgId);
      if (channel) {
        for (const sub of data.subs ?? []) channel.index.remove(ws, sub);
        channel.sockets.delete(ws);
        if (channel.sockets.size === 0) {
          channel.close();
          channels.delete(data.orgId);
        }
      }
      data.subs = null;
      data.replay = null;
      data.typing = null;
      data.cancelExpiry?.();
      data.cancelExpiry = null;
      const sessionSockets = sessions.get(data.sessionId);
      sessionSockets?.delete(ws);
      if (sessionSockets?.size === 0) {
        sessions.delete(data.sessionId);
        if (!closing) reportPresence(data, 'offline');
      }
      data.drained?.();
      data.drained = null;
      setConnections(-1);
    },
  });
  // A plain request to the endpoint, and any other path, get the REST API's error body.
  app.any(REALTIME_PATH, (res) => {
    res.cork(() => writeError(res, 426, errorBody('PARLO_BAD_REQUEST', `${REALTIME_PATH} speaks WebSocket only`)));
  });
  app.any('/*', (res, req) => {
    const url = req.getUrl();
    res.cork(() =>
      writeError(res, 404, errorBody('PARLO_ROUTE_NOT_FOUND', `no route for ${url}; connect to ${REALTIME_PATH}`)),
    );
  });

  /** Ends the sockets of a revoked session (the session actor publishes on `session.<id>`). */
  const revocations = transport.subscribe('session.>', (_topic, payload) => {
    const event = payload as Partial<SessionRevokedEvent> | null;
    if (event?.type !== 'sessionRevoked' || typeof event.sessionId !== 'string') return;
    const sockets = sessions.get(event.sessionId);
    if (!sockets) return;
    for (const ws of [...sockets]) ws.end(CLOSE_CODES.sessionEnded, 'session ended');
  });

  let listenSocket: us_listen_socket;
  try {
    listenSocket = await new Promise<us_listen_socket>((resolve, reject) => {
      // Exclusive: two nodes on one port must fail loudly, not share it (uSockets sets SO_REUSEPORT by default).
      const exclusive = app as unknown as ExclusiveListen;
      exclusive.listen(options.host, options.port, LISTEN_EXCLUSIVE_PORT, (socket) =>
        socket
          ? resolve(socket)
          : reject(new Error(`the realtime gateway could not listen on ${options.host}:${options.port} (in use?)`)),
      );
    });
  } catch (err) {
    revocations.unsubscribe();
    throw err;
  }
  const port = uws.us_socket_local_port(listenSocket);
  // Devices with an open socket refresh their presence before the operator actor's DEVICE_TTL_MS drops them.
  const presenceRefresh = setInterval(() => {
    for (const sockets of sessions.values()) {
      const first = sockets.values().next().value;
      if (first !== undefined) reportPresence(first.getUserData(), 'online');
    }
  }, PRESENCE_REFRESH_MS);
  presenceRefresh.unref();
  const url = `ws://${hostForUrl(options.host)}:${port}${REALTIME_PATH}`;
  logger.debug({ url, port }, 'realtime gateway listening');

  return {
    url,
    port,
    get connectionCount() {
      return connections;
    },
    close() {
      if (closing) return Promise.resolve();
      closing = true;
      clearInterval(presenceRefresh);
      uws.us_listen_socket_close(listenSocket);
      revocations.unsubscribe();
      for (const channel of [...channels.values()]) {
        for (const ws of [...channel.sockets]) ws.end(CLOSE_CODES.goingAway, 'server shutting down');
        channel.close();
      }
      channels.clear();
      sessions.clear();
      return Promise.resolve();
    },
  };

  /** Tells the operator actor a device's presence; a failure only leaves presence stale (it expires by itself). */
  function reportPresence(data: SocketData, presence: 'online' | 'offline'): void {
    const msg: OperatorMsg = { type: 'devicePresence', deviceId: data.sessionId, presence };
    system
      .tell(operatorAddress(data.orgId, data.userId), msg)
      .catch((err: unknown) => logger.debug({ err, userId: data.userId }, 'realtime: presence not reported'));
  }

  function refuseUpgrade(res: HttpResponse, err: unknown): void {
    const mapped = mapError(err, { requestId: 'realtime-upgrade' });
    if (mapped.isBug) logger.error({ err }, 'realtime: upgrade failed');
    res.cork(() => writeError(res, mapped.status, mapped.body));
  }
}

/** How often an open session re-reports its device online: well within the operator actor's DEVICE_TTL_MS. */
const PRESENCE_REFRESH_MS = DEVICE_TTL_MS / 3;

/** uSockets' LIBUS_LISTEN_EXCLUSIVE_PORT. */
const LISTEN_EXCLUSIVE_PORT = 1;

/** `listen(host, port, options, cb)`: in the native module, missing from its type declarations. */
interface ExclusiveListen {
  listen(host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void): unknown;
}

type SubscriptionRef = { readonly scope: Scope; readonly id?: string | undefined };

function aboutOf(about: SubscriptionRef | undefined): { scope?: Scope; id?: string } {
  if (about === undefined) return {};
  return about.id === undefined ? { scope: about.scope } : { scope: about.scope, id: about.id };
}

function writeError(res: HttpResponse, status: number, body: unknown): void {
  res
    .writeStatus(STATUS_LINES[status] ?? `${status} Error`)
    .writeHeader('content-type', 'application/json; charset=utf-8')
    .writeHeader('cache-control', 'no-store')
    .end(JSON.stringify(body), true);
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
