/**
 * The slow-consumer policy (pure decisions; the gateway acts on them). uWebSockets.js buffers what a socket cannot
 * take yet and reports it (`getBufferedAmount()`); `send` answers 1 (sent), 0 (sent, but buffered) or 2 (dropped:
 * the buffer is above `maxBackpressure`). The gateway stops a socket at `limitBytes` (config
 * `realtime.maxBackpressureBytes`): it drops its subscriptions and sends one `resync` (reason `slow`). uWS's own
 * limit sits a little higher, so that this last frame still fits; if even that one is dropped, the socket is
 * closed (CLOSE_CODES.tooSlow). Memory per slow socket is therefore bounded by about the limit plus one frame.
 */

export const UWS_SEND_STATUS = { backpressure: 0, sent: 1, dropped: 2 } as const;

/** Room above the gateway's limit for the one `resync` frame sent to a socket that went over it. */
export const RESYNC_HEADROOM_BYTES = 64 * 1024;

/** uWS's `maxBackpressure` for a gateway limit. */
export function uwsMaxBackpressure(limitBytes: number): number {
  return limitBytes + RESYNC_HEADROOM_BYTES;
}

/** After a send: whether the socket is now a slow consumer (the frame was dropped, or too much is waiting). */
export function isSlowAfterSend(status: number, bufferedBytes: number, limitBytes: number): boolean {
  return status === UWS_SEND_STATUS.dropped || bufferedBytes > limitBytes;
}

/**
 * While a backlog is replayed: whether to wait for the socket to drain before reading the next page. Half the
 * limit leaves a page's worth of room, so a client that reads steadily is never cut off by its own catch-up.
 */
export function shouldPauseReplay(bufferedBytes: number, limitBytes: number): boolean {
  return bufferedBytes > limitBytes / 2;
}

/**
 * Before an ephemeral frame (typing): whether to skip it for this socket. Losing one costs nothing, so a socket
 * that already lags (over half the limit, as for a paused replay) is not pushed towards the slow-consumer stop by it.
 */
export function shouldSkipEphemeral(bufferedBytes: number, limitBytes: number): boolean {
  return bufferedBytes > limitBytes / 2;
}

/** After the `resync` sent to a slow socket: whether it must be closed instead (the frame did not fit). */
export function mustCloseAfterResync(status: number): boolean {
  return status === UWS_SEND_STATUS.dropped;
}
