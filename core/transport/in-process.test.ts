import { describe, expect, it } from 'vitest';
import { InProcessHub, type InProcessLogger } from './in-process.ts';
import { describeTransportContract } from './transport.contract.ts';
import type { Envelope, Reply } from './transport.port.ts';

const silentLogger: InProcessLogger = { warn: () => undefined, error: () => undefined };

describeTransportContract('in-process', async () => {
  const hub = new InProcessHub({ logger: silentLogger });
  const a = hub.connect('node-a');
  const b = hub.connect('node-b');
  return {
    a,
    b,
    cleanup: async () => {
      await a.close();
      await b.close();
    },
  };
});

describe('InProcessHub specifics', () => {
  it('hands the receiver the very same envelope object (no encoding, no copy)', async () => {
    const hub = new InProcessHub({ logger: silentLogger });
    const a = hub.connect('a');
    const b = hub.connect('b');
    const seen: Envelope[] = [];
    await b.listen([0], async (env) => {
      seen.push(env);
      return { ok: true, value: env.msg };
    });
    const envelope: Envelope = { to: 'number:1', msg: { big: new Uint8Array(4) } };
    await a.send(0, envelope);
    const reply = await a.request(0, envelope, 1_000);
    expect(seen[0]).toBe(envelope);
    expect(seen[1]).toBe(envelope);
    expect((reply as Extract<Reply, { ok: true }>).value).toBe(envelope.msg);
  });

  it('keeps hubs independent', async () => {
    const one = new InProcessHub({ logger: silentLogger });
    const two = new InProcessHub({ logger: silentLogger });
    await one.connect('a').listen([0], async () => ({ ok: true, value: 1 }));
    await expect(two.connect('b').send(0, { to: 'number:1', msg: {} })).rejects.toMatchObject({
      code: 'PARLO_NO_RESPONDERS',
    });
  });

  it('lets a node take a partition over; the old owner unlistening leaves the new one in place', async () => {
    const hub = new InProcessHub({ logger: silentLogger });
    const client = hub.connect('client');
    const first = hub.connect('first');
    const second = hub.connect('second');
    await first.listen([5], async () => ({ ok: true, value: 'first' }));
    await second.listen([5], async () => ({ ok: true, value: 'second' }));
    await first.unlisten([5]);
    await expect(client.request(5, { to: 'number:1', msg: {} }, 1_000)).resolves.toEqual({ ok: true, value: 'second' });
  });

  it('propagates a tell rejected by the receiver to the sender', async () => {
    const hub = new InProcessHub({ logger: silentLogger });
    const a = hub.connect('a');
    await a.listen([0], () => Promise.reject(new Error('commit failed')));
    await expect(a.send(0, { to: 'number:1', msg: {} })).rejects.toThrow('commit failed');
  });

  it('maps an uncoded receiver error to PARLO_HANDLER_FAILED in the ask reply', async () => {
    const hub = new InProcessHub({ logger: silentLogger });
    const a = hub.connect('a');
    await a.listen([0], () => {
      throw new TypeError('bug');
    });
    await expect(a.request(0, { to: 'number:1', msg: {} }, 1_000)).resolves.toEqual({
      ok: false,
      code: 'PARLO_HANDLER_FAILED',
      message: 'bug',
    });
  });

  it('logs a throwing listener', async () => {
    const errors: string[] = [];
    const hub = new InProcessHub({ logger: { warn: () => undefined, error: (_o, msg) => errors.push(msg) } });
    const a = hub.connect('a');
    a.subscribe('x.>', () => {
      throw new Error('boom');
    });
    a.publish('x.y', 1);
    expect(errors).toEqual(['realtime listener threw']);
  });

  it('refuses work after close and drops its partitions and subscriptions', async () => {
    const hub = new InProcessHub({ logger: silentLogger });
    const a = hub.connect('a');
    const b = hub.connect('b');
    const events: unknown[] = [];
    await b.listen([0], async () => ({ ok: true, value: null }));
    b.subscribe('t', (_topic, p) => events.push(p));
    await b.close();
    a.publish('t', 1);
    expect(events).toEqual([]);
    await expect(a.send(0, { to: 'number:1', msg: {} })).rejects.toMatchObject({ code: 'PARLO_NO_RESPONDERS' });
    await expect(b.send(0, { to: 'number:1', msg: {} })).rejects.toMatchObject({ code: 'PARLO_TRANSPORT_FAILED' });
    await expect(b.listen([0], async () => ({ ok: true, value: null }))).rejects.toMatchObject({
      code: 'PARLO_TRANSPORT_FAILED',
    });
  });

  it('rejects invalid topics and patterns', () => {
    const a = new InProcessHub({ logger: silentLogger }).connect('a');
    expect(() => a.publish('a.*', 1)).toThrow(expect.objectContaining({ code: 'PARLO_INVALID_TOPIC' }));
    expect(() => a.subscribe('a.>.b', () => undefined)).toThrow(
      expect.objectContaining({ code: 'PARLO_INVALID_TOPIC' }),
    );
  });
});
