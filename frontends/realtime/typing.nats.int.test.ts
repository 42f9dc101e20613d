import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNatsTransport, createWireCodec, silentLogger, type Transport } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { startNatsServer, type NatsServer } from '../../core/testing/nats-server.ts';
import { OrgChannel } from './org-channel.ts';
import { typingFrame } from './protocol.ts';
import { typingTopic, type TypingSignal } from './typing.ts';

/**
 * Typing in NATS mode: a signal published by one node's gateway crosses a real nats-server (core NATS, the wire
 * codec) and reaches the organisation's channel on the other node, which fans it out as the documented frame.
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
});
