import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWireCodec } from '../codec/msgpack.ts';
import { startNatsServer, type NatsServer } from '../testing/nats-server.ts';
import {
  askSubject,
  connectNatsTransport,
  partitionConsumerName,
  realtimeSubject,
  tellSubject,
  type NatsTransportLogger,
} from './nats.ts';
import { describeTransportContract } from './transport.contract.ts';
import type { Envelope, Reply, Transport } from './transport.port.ts';

const PARTITION_COUNT = 16;
const PHASE_TIMEOUT_MS = 10_000;

let server: NatsServer;
let admin: NatsConnection;
let jsm: JetStreamManager;
let streamSerial = 0;

beforeAll(async () => {
  server = await startNatsServer({ jetstream: true });
  admin = await connect({ servers: server.url });
  jsm = await jetstreamManager(admin);
});

afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

interface LogLine {
  level: 'warn' | 'error';
  msg: string;
  obj: object;
}

function capturingLogger(lines: LogLine[] = []): NatsTransportLogger & { lines: LogLine[] } {
  return {
    lines,
    warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  };
}

function nextStreamName(): string {
  return `PARLO_T${process.pid}_${++streamSerial}`;
}

function node(nodeId: string, streamName: string, logger: NatsTransportLogger = capturingLogger()): Promise<Transport> {
  return connectNatsTransport({
    servers: server.url,
    nodeId,
    streamName,
    partitionCount: PARTITION_COUNT,
    codec: createWireCodec(),
    logger,
  });
}

/** Streams over `parlo.p.>` may not overlap: each pair gets its own stream, deleted afterwards. */
async function deleteStream(streamName: string): Promise<void> {
  await jsm.streams.delete(streamName).catch(() => undefined);
}

describeTransportContract('nats', async () => {
  const streamName = nextStreamName();
  const a = await node('node-a', streamName);
  const b = await node('node-b', streamName);
  return {
    a,
    b,
    cleanup: async () => {
      await Promise.all([a.close(), b.close()]);
      await deleteStream(streamName);
    },
  };
});

// --- NATS-only behaviour ----------------------------------------------------------------------------------------

async function within<T>(phase: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const guard = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`phase "${phase}" did not complete within ${PHASE_TIMEOUT_MS} ms`)),
      PHASE_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([promise, guard]);
  } finally {
    clearTimeout(timer);
  }
}

/** Records delivered envelopes; `until(n)` waits for n deliveries. */
function recorder(
  answer: (env: Envelope, attempt: number) => Promise<Reply> = () => Promise.resolve({ ok: true, value: null }),
) {
  const envelopes: Envelope[] = [];
  const attempts = new Map<string, number>();
  let waiters: { count: number; resolve: () => void }[] = [];
  return {
    envelopes,
    ids: () => envelopes.map((e) => e.msgId),
    receiver: (env: Envelope): Promise<Reply> => {
      envelopes.push(env);
      const attempt = (attempts.get(env.msgId ?? '') ?? 0) + 1;
      attempts.set(env.msgId ?? '', attempt);
      waiters = waiters.filter((w) => {
        if (envelopes.length < w.count) return true;
        w.resolve();
        return false;
      });
      return answer(env, attempt);
    },
    until(count: number, phase: string): Promise<void> {
      if (envelopes.length >= count) return Promise.resolve();
      return within(
        `${phase} (expected ${count}, have ${envelopes.length})`,
        new Promise<void>((resolve) => waiters.push({ count, resolve })),
      );
    },
  };
}

async function eventually(phase: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + PHASE_TIMEOUT_MS;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`phase "${phase}" did not hold within ${PHASE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const tell = (msgId: string, n = 0): Envelope => ({ to: 'conversation:pn-1:wa-1', msg: { type: 'noted', n }, msgId });

describe('NATS transport (JetStream specifics)', () => {
  let streamName: string;
  const open: Transport[] = [];

  beforeEach(() => {
    streamName = nextStreamName();
  });

  afterEach(async () => {
    await Promise.all(open.splice(0).map((t) => t.close()));
    await deleteStream(streamName);
  });

  async function openNode(nodeId: string, logger?: NatsTransportLogger): Promise<Transport> {
    const t = await node(nodeId, streamName, logger);
    open.push(t);
    return t;
  }

  it('builds subjects per STYLE 2.3', () => {
    expect(tellSubject(7, 'conversation:pn-1:49 151')).toBe('parlo.p.7.conversation.pn-1~003a49~0020151');
    expect(askSubject(7, 'number:123')).toBe('parlo.q.7.number.123');
    expect(realtimeSubject('org1.inbox')).toBe('parlo.rt.org1.inbox');
    expect(partitionConsumerName(12)).toBe('p12');
    expect(() => tellSubject(1, 'no-colon')).toThrow(expect.objectContaining({ code: 'PARLO_INVALID_ADDRESS' }));
    expect(() => tellSubject(1, 'Bad Kind:1')).toThrow(expect.objectContaining({ code: 'PARLO_INVALID_ADDRESS' }));
  });

  it('creates the work-queue stream over parlo.p.> with a 2-minute duplicate window', async () => {
    await openNode('n1');
    const info = await jsm.streams.info(streamName);
    expect(info.config.subjects).toEqual(['parlo.p.>']);
    expect(info.config.retention).toBe('workqueue');
    expect(info.config.storage).toBe('file');
    expect(info.config.duplicate_window).toBe(120_000_000_000);
    // A second node connecting to the same stream neither fails nor changes it.
    await openNode('n2');
    expect((await jsm.streams.info(streamName)).config.duplicate_window).toBe(120_000_000_000);
  });

  it('stores a re-send with the same msgId within the duplicate window once', async () => {
    const a = await openNode('a');
    const b = await openNode('b');
    const rec = recorder();
    await b.listen([2], rec.receiver);
    await a.send(2, tell('dup-1', 1));
    await a.send(2, tell('dup-1', 1));
    await Promise.all([a.send(2, tell('dup-1', 1)), a.send(2, tell('dup-2', 2))]);
    await rec.until(2, 'original and marker');
    expect(rec.ids()).toEqual(['dup-1', 'dup-2']);
    const info = await jsm.streams.info(streamName);
    expect(info.state.last_seq).toBe(2);
  });

  it('redelivers a tell whose receiver rejected it, and removes it once acknowledged', async () => {
    const logger = capturingLogger();
    const a = await openNode('a');
    const b = await openNode('b', logger);
    const rec = recorder((env, attempt) =>
      attempt === 1
        ? Promise.reject(new Error(`commit of ${env.msgId} failed`))
        : Promise.resolve({ ok: true, value: null }),
    );
    await b.listen([3], rec.receiver);
    await a.send(3, tell('retry-1'));
    await rec.until(2, 'redelivery after rejection');
    expect(rec.ids()).toEqual(['retry-1', 'retry-1']);
    expect(logger.lines.filter((l) => l.msg.includes('rejected'))).toHaveLength(1);
    await eventually(
      'acked tell removed from the work queue',
      async () => (await jsm.streams.info(streamName)).state.messages === 0,
    );
  });

  it('keeps tells sent while nobody listens and delivers them, in order, once a node listens', async () => {
    const a = await openNode('a');
    for (let i = 0; i < 5; i++) await a.send(4, tell(`early-${i}`, i));
    expect((await jsm.streams.info(streamName)).state.messages).toBe(5);

    const b = await openNode('b');
    const rec = recorder();
    await b.listen([4], rec.receiver);
    await rec.until(5, 'backlog delivery');
    expect(rec.ids()).toEqual(['early-0', 'early-1', 'early-2', 'early-3', 'early-4']);
  });

  it('hands a partition over: the next owner continues the same durable consumer', async () => {
    const sender = await openNode('sender');
    const first = await openNode('first');
    const second = await openNode('second');
    const one = recorder();
    const two = recorder();

    await first.listen([6], one.receiver);
    await sender.send(6, tell('h-1'));
    await sender.send(6, tell('h-2'));
    await one.until(2, 'deliveries to the first owner');
    await first.unlisten([6]);

    await sender.send(6, tell('h-3')); // while nobody owns partition 6
    await second.listen([6], two.receiver);
    await sender.send(6, tell('h-4'));
    await two.until(2, 'deliveries to the second owner');

    expect(one.ids()).toEqual(['h-1', 'h-2']);
    expect(two.ids()).toEqual(['h-3', 'h-4']);
    const consumer = await jsm.consumers.info(streamName, partitionConsumerName(6));
    expect(consumer.delivered.stream_seq).toBe(4);
    await eventually('all acknowledged', async () => {
      const info = await jsm.consumers.info(streamName, partitionConsumerName(6));
      return info.num_ack_pending === 0 && info.num_pending === 0;
    });
    // unlisten keeps the durable consumer (the state a new owner continues from)
    await second.unlisten([6]);
    expect((await jsm.consumers.info(streamName, partitionConsumerName(6))).name).toBe('p6');
  });

  it('keeps partitions apart: each consumer sees only its own partition', async () => {
    const a = await openNode('a');
    const b = await openNode('b');
    const p0 = recorder();
    const p1 = recorder();
    await b.listen([0], p0.receiver);
    await a.listen([1], p1.receiver);
    await Promise.all([a.send(0, tell('to-0')), a.send(1, tell('to-1')), b.send(0, tell('to-0b'))]);
    await p0.until(2, 'partition 0');
    await p1.until(1, 'partition 1');
    expect(p0.ids().sort()).toEqual(['to-0', 'to-0b']);
    expect(p1.ids()).toEqual(['to-1']);
  });

  it('rejects partitions outside 0..P-1', async () => {
    const a = await openNode('a');
    await expect(a.listen([PARTITION_COUNT], async () => ({ ok: true, value: null }))).rejects.toMatchObject({
      code: 'PARLO_PARTITION_NOT_OWNED',
    });
    await expect(a.send(1.5, tell('x'))).rejects.toMatchObject({ code: 'PARLO_PARTITION_NOT_OWNED' });
    await expect(a.request(-1, tell('x'), 100)).rejects.toMatchObject({ code: 'PARLO_PARTITION_NOT_OWNED' });
  });

  it('fails a send with PARLO_TRANSPORT_FAILED when no stream stores it', async () => {
    const a = await openNode('a');
    await deleteStream(streamName);
    await expect(a.send(0, tell('lost'))).rejects.toMatchObject({ code: 'PARLO_TRANSPORT_FAILED' });
  });

  it('fails a send with PARLO_TRANSPORT_FAILED when another stream captured the subject', async () => {
    const a = await openNode('a');
    await deleteStream(streamName);
    const other = `${streamName}_OTHER`;
    await jsm.streams.add({ name: other, subjects: ['parlo.p.>'] });
    try {
      await expect(a.send(0, tell('misrouted'))).rejects.toMatchObject({
        code: 'PARLO_TRANSPORT_FAILED',
        message: expect.stringContaining('expected stream'),
      });
    } finally {
      await deleteStream(other);
    }
  });

  it('fails sends with PARLO_TRANSPORT_FAILED after close', async () => {
    const a = await node('closing', streamName);
    await a.close();
    await expect(a.send(0, tell('late'))).rejects.toMatchObject({ code: 'PARLO_TRANSPORT_FAILED' });
    await expect(a.request(0, tell('late'), 100)).rejects.toMatchObject({ code: 'PARLO_TRANSPORT_FAILED' });
  });
});
