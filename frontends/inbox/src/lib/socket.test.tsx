import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeSockets } from '../../testing/fake-socket.ts';
import { RealtimeClient, backoffDelayMs, type EventFrame } from './socket.ts';
import type { PresenceFrame, RealtimeEvent } from './wire.ts';

const event: RealtimeEvent = {
  type: 'conversationStatus',
  conversationId: '100000000000002.p15550001',
  phoneNumberId: '100000000000002',
  customer: { phone: '15550001', userId: null, profileName: null },
  status: 'resolved',
  snoozedUntil: null,
};

function frame(seq: number): EventFrame {
  return { type: 'event', seq, at: '2026-11-20T12:00:00.000Z', event };
}

function setup() {
  const sockets = fakeSockets();
  const seen: number[] = [];
  const resyncs: number[] = [];
  const client = new RealtimeClient({
    endpoint: () => Promise.resolve('ws://gateway.test/v1/realtime'),
    token: () => 'tok.en',
    onEvent: (f) => seen.push(f.seq),
    onResync: () => {
      resyncs.push(client.lastSeq ?? -1);
      return Promise.resolve();
    },
    createSocket: sockets.factory,
    initialBackoffMs: 100,
    maxBackoffMs: 1_000,
    random: () => 1,
  });
  return { sockets, seen, resyncs, client };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the realtime client', () => {
  it('hands each event over once, in seq order, and resumes after a drop with since', async () => {
    vi.useFakeTimers();
    const { sockets, seen, client } = setup();
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    const first = sockets.last();
    first.open();
    first.receive({ type: 'subscribed', scope: 'org', id: 'o', lastSeq: 10 });
    first.receive(frame(11));
    first.receive(frame(12));
    first.receive(frame(12));
    first.receive(frame(11));
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([11, 12]);

    first.drop();
    await vi.advanceTimersByTimeAsync(99);
    expect(sockets.sockets).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sockets.sockets).toHaveLength(2);
    const second = sockets.last();
    second.open();
    expect(second.sent).toEqual([{ type: 'subscribe', scope: 'org', since: 12 }]);
    // The replayed backlog follows `subscribed`, whose lastSeq is the stream's newest: nothing is dropped.
    second.receive({ type: 'subscribed', scope: 'org', id: 'o', lastSeq: 14 });
    second.receive(frame(12));
    second.receive(frame(13));
    second.receive(frame(14));
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([11, 12, 13, 14]);
    client.stop();
  });

  it('reloads through REST on resync, then subscribes from the seq the gateway names', async () => {
    vi.useFakeTimers();
    const { sockets, seen, resyncs, client } = setup();
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    const socket = sockets.last();
    socket.open();
    socket.receive({ type: 'subscribed', scope: 'org', id: 'o', lastSeq: 3 });
    socket.receive({ type: 'resync', reason: 'gap', lastSeq: 90 });
    await vi.advanceTimersByTimeAsync(0);
    expect(resyncs).toEqual([90]);
    expect(socket.sent.at(-1)).toEqual({ type: 'subscribe', scope: 'org', since: 90 });
    socket.receive(frame(91));
    await vi.advanceTimersByTimeAsync(0);
    expect(seen).toEqual([91]);
    client.stop();
    expect(socket.isClosed).toBe(true);
  });

  it('hands typing frames over as they come (no seq), and sends typing only while the socket is open', async () => {
    vi.useFakeTimers();
    const sockets = fakeSockets();
    const typing: string[] = [];
    const seen: number[] = [];
    const client = new RealtimeClient({
      endpoint: () => Promise.resolve('ws://gateway.test/v1/realtime'),
      token: () => 'tok.en',
      onEvent: (f) => seen.push(f.seq),
      onTyping: (f) => typing.push(`${f.conversationId} ${f.userId}`),
      onResync: () => Promise.resolve(),
      createSocket: sockets.factory,
    });
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    const socket = sockets.last();
    expect(client.sendTyping('c1')).toBe(false);
    socket.open();
    expect(client.sendTyping('c1')).toBe(true);
    expect(socket.sentOfType('typing')).toEqual([{ type: 'typing', conversationId: 'c1' }]);
    socket.receive({ type: 'subscribed', scope: 'org', id: 'o', lastSeq: 5 });
    const expiresAt = '2026-11-20T12:00:05.000Z';
    socket.receive({ type: 'typing', conversationId: 'c1', phoneNumberId: 'n', userId: 'u1', expiresAt });
    socket.receive(frame(6));
    socket.receive({ type: 'typing', conversationId: 'c1', phoneNumberId: 'n', userId: 'u1', expiresAt });
    await vi.advanceTimersByTimeAsync(0);
    expect(typing).toEqual(['c1 u1', 'c1 u1']);
    expect(seen).toEqual([6]);
    expect(client.lastSeq).toBe(6);
    socket.drop();
    expect(client.sendTyping('c1')).toBe(false);
    client.stop();
  });

  it('hands presence frames to onPresence as they come, without touching the event numbering', async () => {
    vi.useFakeTimers();
    const sockets = fakeSockets();
    const seen: number[] = [];
    const presence: PresenceFrame[] = [];
    const client = new RealtimeClient({
      endpoint: () => Promise.resolve('ws://gateway.test/v1/realtime'),
      token: () => 'tok.en',
      onEvent: (f) => seen.push(f.seq),
      onPresence: (f) => presence.push(f),
      onResync: () => Promise.resolve(),
      createSocket: sockets.factory,
    });
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    const socket = sockets.last();
    socket.open();
    socket.receive({ type: 'subscribed', scope: 'org', id: 'o', lastSeq: 5 });
    const away: PresenceFrame = { type: 'presence', userId: 'u1', presence: 'away', at: '2026-11-20T12:00:00.000Z' };
    const online: PresenceFrame = { ...away, presence: 'online', at: '2026-11-20T12:00:01.000Z' };
    socket.receive(away);
    socket.receive(frame(6));
    socket.receive(online);
    socket.receive(frame(7));
    await vi.advanceTimersByTimeAsync(0);
    expect(presence).toEqual([away, online]);
    expect(seen).toEqual([6, 7]);
    expect(client.lastSeq).toBe(7);
    client.stop();
  });

  it('backs off exponentially up to a cap', () => {
    expect([0, 1, 2, 3, 10].map((n) => backoffDelayMs(n, 500, 30_000, 1))).toEqual([500, 1000, 2000, 4000, 30000]);
    expect(backoffDelayMs(2, 500, 30_000, 0)).toBe(1000);
  });
});
