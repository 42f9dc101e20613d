import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsTransport, createWireCodec, silentLogger, type Transport } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { startNatsServer, type NatsServer } from '../../core/testing/nats-server.ts';
import { OrgChannel } from './org-channel.ts';
import { presenceFrame, typingFrame } from './protocol.ts';
import { presenceTopic, type PresenceSignal } from './presence.ts';
import { inboxTopic, type InboxEntry } from '../../actors/inbox/inbox-stream.messages.ts';
import { typingTopic, type TypingSignal } from './typing.ts';

/**
 * The realtime channel in NATS mode: what one node publishes — a typing signal (its gateway), an inbox entry (the
 * organisation's inbox-stream actor), an operator's presence change (the operator actor) — crosses a real
 * nats-server (core NATS, the wire codec) and reaches the organisation's channel on the other node, which passes it
 * on to its sockets as the documented frame.
 */

let server: NatsServer;
let a: Transport;
let b: Transport;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  const node = (nodeId: string) =>
    connectNatsTransport({
      servers: server.url,
      nodeId,
      streamName: `PARLO_TYPING_${process.pid}`,
      partitionCount: 4,
      codec: createWireCodec(),
      logger: { warn: () => undefined, error: () => undefined },
    });
  a = await node('node-a');
  b = await node('node-b');
});

afterAll(async () => {
  await a?.close();
  await b?.close();
  await server?.stop();
});

describe('typing over NATS', () => {
  it('reaches the organisation’s channel on another node, as the typing frame', async () => {
    const frames: string[] = [];
    const channel = new OrgChannel<string>({
      orgId: '00000000000a0001',
      transport: b,
      readSince: () => Promise.resolve({ ok: true, entries: [], lastSeq: 0, complete: true, hasMore: false }),
      render: () => 'event',
      deliver: () => undefined,
      renderTyping: typingFrame,
      deliverTyping: (socket, _typing, frame) => frames.push(`${socket} ${frame()}`),
      onGap: () => undefined,
      logger: silentLogger(),
    });
    channel.index.add('s1', { scope: 'number', id: '1001' });
    await channel.ready();
    const signal: TypingSignal = {
      conversationId: '1001.p15551234567',
      phoneNumberId: '1001',
      userId: 'usr_a',
      expiresAtMs: Date.UTC(2026, 0, 1, 0, 0, 6),
      origin: 'gw-a/1',
    };
    // A NATS subscription takes effect a moment after it is made: publish until one arrives.
    await eventually(
      () => {
        if (frames.length === 0) a.publish(typingTopic('00000000000a0001'), signal);
        return Promise.resolve(frames.length);
      },
      (n) => n > 0,
      'a typing signal from node a on node b',
      10_000,
    );
    expect(frames[0]).toBe(`s1 ${typingFrame(signal)}`);
    channel.close();
  });

  it('passes an inbox entry and a presence change from another node on, in order and once', async () => {
    const orgId = '00000000000a0002';
    const delivered: string[] = [];
    const channel = new OrgChannel<string>({
      orgId,
      transport: b,
      readSince: () => Promise.resolve({ ok: true, entries: [], lastSeq: 0, complete: true, hasMore: false }),
      render: (entry) => `event ${entry.seq}`,
      deliver: (socket, entry, frame) => delivered.push(`${socket} ${frame()}`),
      renderTyping: typingFrame,
      deliverTyping: () => undefined,
      renderPresence: presenceFrame,
      deliverPresence: (socket, frame) => delivered.push(`${socket} ${frame()}`),
      onGap: () => undefined,
      logger: silentLogger(),
    });
    channel.sockets.add('s1');
    channel.index.add('s1', { scope: 'org', id: orgId });
    await channel.ready();
    const entry: InboxEntry = {
      seq: 1,
      atMs: Date.UTC(2026, 0, 1),
      event: {
        type: 'assignment',
        conversationId: '1001.p15551234567',
        phoneNumberId: '1001',
        customer: { phone: '15551234567', userId: null, profileName: null },
        assignee: 'usr_a',
        lock: null,
      },
    };
    // Repeated until the subscription took effect; a repeat of seq 1 is passed on once.
    await eventually(
      () => {
        if (delivered.length === 0) a.publish(inboxTopic(orgId), entry);
        return Promise.resolve(delivered.length);
      },
      (n) => n > 0,
      'an inbox entry from node a on node b',
      10_000,
    );
    const presence: PresenceSignal = { userId: 'usr_a', presence: 'online', atMs: Date.UTC(2026, 0, 1, 0, 0, 1) };
    // Presence has its own subscription: repeated too until it took effect (each repeat is passed on).
    await eventually(
      () => {
        if (delivered.length === 1) a.publish(presenceTopic(orgId), presence);
        return Promise.resolve(delivered.length);
      },
      (n) => n >= 2,
      'the presence change',
      10_000,
    );
    expect(delivered.slice(0, 2)).toEqual(['s1 event 1', `s1 ${presenceFrame(presence)}`]);
    expect(new Set(delivered.slice(1))).toEqual(new Set([`s1 ${presenceFrame(presence)}`]));
    channel.close();
  });
});
