import { describe, expect, it } from 'vitest';
import {
  RESYNC_HEADROOM_BYTES,
  UWS_SEND_STATUS,
  isSlowAfterSend,
  mustCloseAfterResync,
  shouldPauseReplay,
  shouldSkipEphemeral,
  uwsMaxBackpressure,
} from './backpressure.ts';

const LIMIT = 1024 * 1024;

describe('slow-consumer decisions', () => {
  it.each([
    ['sent, nothing waiting', UWS_SEND_STATUS.sent, 0, false],
    ['buffered, under the limit', UWS_SEND_STATUS.backpressure, LIMIT, false],
    ['buffered, over the limit', UWS_SEND_STATUS.backpressure, LIMIT + 1, true],
    ['dropped by uWS', UWS_SEND_STATUS.dropped, 0, true],
  ])('%s → slow: %s', (_, status, buffered, expected) => {
    expect(isSlowAfterSend(status, buffered, LIMIT)).toBe(expected);
  });

  it('leaves room above the limit for the one resync frame, and closes when even that is dropped', () => {
    expect(uwsMaxBackpressure(LIMIT)).toBe(LIMIT + RESYNC_HEADROOM_BYTES);
    expect(mustCloseAfterResync(UWS_SEND_STATUS.backpressure)).toBe(false);
    expect(mustCloseAfterResync(UWS_SEND_STATUS.sent)).toBe(false);
    expect(mustCloseAfterResync(UWS_SEND_STATUS.dropped)).toBe(true);
  });

  it('pauses a replay at half the limit, until the socket drains', () => {
    expect(shouldPauseReplay(LIMIT / 2, LIMIT)).toBe(false);
    expect(shouldPauseReplay(LIMIT / 2 + 1, LIMIT)).toBe(true);
  });

  it('skips an ephemeral frame (typing) for a socket over half the limit', () => {
    expect(shouldSkipEphemeral(0, LIMIT)).toBe(false);
    expect(shouldSkipEphemeral(LIMIT / 2, LIMIT)).toBe(false);
    expect(shouldSkipEphemeral(LIMIT / 2 + 1, LIMIT)).toBe(true);
  });
});
