import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ParloError } from '../errors/parlo-error.ts';
import type { DeliveryMode, Envelope, EnvelopeReceiver, Reply, Transport } from './transport.port.ts';

/** Two nodes of one cluster, and how to tear them down. */
export interface TransportPair {
  a: Transport;
  b: Transport;
  cleanup(): Promise<void>;
}

/** How long a phase may take before the test fails with a message naming it (a guard, not a timing assertion). */
const PHASE_TIMEOUT_MS = 10_000;
/** The bounded wait used to show that something does NOT happen. */
const QUIET_PERIOD_MS = 300;

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves with `promise`, or fails naming the phase after PHASE_TIMEOUT_MS. */
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

/** Records arrivals; `until(n)` resolves once n have arrived. */
class Arrivals<T> {
  readonly items: T[] = [];
  #waiters: { count: number; resolve: () => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    this.#waiters = this.#waiters.filter((w) => {
      if (this.items.length < w.count) return true;
      w.resolve();
      return false;
    });
  }

  until(count: number, phase: string): Promise<void> {
    if (this.items.length >= count) return Promise.resolve();
    const d = deferred<void>();
    this.#waiters.push({ count, resolve: () => d.resolve() });
    return within(`${phase} (expected ${count}, have ${this.items.length} so far)`, d.promise);
  }
}

const OK: Reply = { ok: true, value: null };

interface Delivery {
  envelope: Envelope;
  mode: DeliveryMode;
}

/** A receiver recording every delivery and answering `answer(envelope, mode)` (default: ok). */
function recordingReceiver(
  answer: (envelope: Envelope, mode: DeliveryMode) => Promise<Reply> = () => Promise.resolve(OK),
): {
  receiver: EnvelopeReceiver;
  deliveries: Arrivals<Delivery>;
} {
  const deliveries = new Arrivals<Delivery>();
  return {
    deliveries,
    receiver: (envelope, mode) => {
      deliveries.push({ envelope, mode });
      return answer(envelope, mode);
    },
  };
}

async function expectCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ code });
}

const quietPeriod = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, QUIET_PERIOD_MS));

let topicSerial = 0;

/**
 * Makes sure `subscriber`'s subscriptions made so far are active for `publisher`'s publishes (NATS registers a
 * subscription asynchronously): publishes a probe until a probe subscription made after them sees one.
 */
async function subscriptionsActive(publisher: Transport, subscriber: Transport): Promise<void> {
  const probeTopic = `probe.t${++topicSerial}`;
  const seen = deferred<void>();
  const sub = subscriber.subscribe(probeTopic, () => seen.resolve());
  let attempts = 0;
  const timer = setInterval(() => {
    attempts++;
    publisher.publish(probeTopic, attempts);
  }, 10);
  publisher.publish(probeTopic, 0);
  try {
    await within('subscriptions become active', seen.promise);
  } finally {
    clearInterval(timer);
    sub.unsubscribe();
  }
}

/**
 * The behaviour every Transport must show, run against two nodes `a` and `b` of one cluster (in-process: two
 * `connect()`s on one hub; NATS: two connections to one nats-server).
 */
export function describeTransportContract(name: string, makePair: () => Promise<TransportPair>): void {
  describe(`Transport contract: ${name}`, () => {
    let pair: TransportPair;
    let a: Transport;
    let b: Transport;

    beforeEach(async () => {
      pair = await makePair();
      ({ a, b } = pair);
    });

    afterEach(async () => {
      await pair.cleanup();
    });

    describe('tell (send)', () => {
      it('reaches the listening node exactly once with the same to, msg and msgId', async () => {
        const { receiver, deliveries } = recordingReceiver();
        await b.listen([3], receiver);
        const envelope: Envelope = {
          to: 'conversation:pn-1:4915112345678',
          msg: {
            type: 'inboundReceived',
            wamid: 'wamid.HBgL',
            atMs: 1_700_000_000_123,
            body: { kind: 'text', text: 'Grüße 👋', parts: [1, { nested: [true, null, 'x'] }], ratio: 0.25 },
          },
          msgId: 'msg-0001',
        };
        await within('send', a.send(3, envelope));
        await deliveries.until(1, 'first delivery');
        // A marker sent afterwards to the same partition: once it arrived, any duplicate would have arrived too.
        await within(
          'send marker',
          a.send(3, { to: 'conversation:pn-1:4915112345678', msg: { type: 'marker' }, msgId: 'msg-0002' }),
        );
        await deliveries.until(2, 'marker delivery');

        expect(deliveries.items.map((d) => d.envelope.msgId)).toEqual(['msg-0001', 'msg-0002']);
        const first = deliveries.items[0];
        expect(first?.mode).toBe('tell');
        expect(first?.envelope.to).toBe(envelope.to);
        expect(first?.envelope.msgId).toBe(envelope.msgId);
        expect(first?.envelope.msg).toEqual(envelope.msg);
      });

      it('resolves send according to the transport: after the receiver committed (in-process) or once stored (NATS)', async () => {
        const commit = deferred<Reply>();
        const { receiver, deliveries } = recordingReceiver(() => commit.promise);
        await b.listen([4], receiver);
        let sendResolved = false;
        const sending = a.send(4, { to: 'number:pn-1', msg: { type: 'ping' }, msgId: 'c-1' }).then(() => {
          sendResolved = true;
        });
        await deliveries.until(1, 'delivery of an uncommitted tell');
        if (a.kind === 'in-process') {
          await new Promise((resolve) => setImmediate(resolve));
          expect(sendResolved).toBe(false);
          commit.resolve(OK);
          await within('send after commit', sending);
        } else {
          // JetStream took responsibility: the sender does not wait for the receiver's commit.
          await within('send before commit', sending);
          commit.resolve(OK);
        }
        expect(sendResolved).toBe(true);
        expect(deliveries.items).toHaveLength(1);
      });

      it('delivers 200 tells to one partition in send order', async () => {
        const { receiver, deliveries } = recordingReceiver();
        await b.listen([5], receiver);
        const sends: Promise<void>[] = [];
        for (let i = 0; i < 200; i++) {
          sends.push(a.send(5, { to: 'campaign:c-1', msg: { type: 'recipientQueued', seq: i }, msgId: `seq-${i}` }));
        }
        await within('200 sends', Promise.all(sends));
        await deliveries.until(200, '200 deliveries');
        expect(deliveries.items.map((d) => (d.envelope.msg as { seq: number }).seq)).toEqual(
          Array.from({ length: 200 }, (_, i) => i),
        );
      });

      it('stops delivering after unlisten', async () => {
        const { receiver, deliveries } = recordingReceiver();
        await b.listen([9], receiver);
        await a.send(9, { to: 'operator:o-1:u-1', msg: { n: 1 }, msgId: 'u-1' });
        await deliveries.until(1, 'delivery before unlisten');

        await b.unlisten([9]);
        // In-process there is no owner left (PARLO_NO_RESPONDERS); over NATS the stream keeps it for a later owner.
        await a.send(9, { to: 'operator:o-1:u-1', msg: { n: 2 }, msgId: 'u-2' }).catch((err: unknown) => {
          expect(err).toMatchObject({ code: 'PARLO_NO_RESPONDERS' });
        });
        await expectCode(a.request(9, { to: 'operator:o-1:u-1', msg: { n: 3 } }, 1_000), 'PARLO_NO_RESPONDERS');
        await quietPeriod();
        expect(deliveries.items.map((d) => d.envelope.msgId)).toEqual(['u-1']);
      });

      it('replaces the partition set when listen is called again', async () => {
        const { receiver } = recordingReceiver();
        await b.listen([1, 2], receiver);
        await b.listen([2, 6], receiver);
        await expectCode(a.request(1, { to: 'number:x', msg: {} }, 1_000), 'PARLO_NO_RESPONDERS');
        await expect(a.request(2, { to: 'number:x', msg: {} }, 5_000)).resolves.toEqual(OK);
        await expect(a.request(6, { to: 'number:x', msg: {} }, 5_000)).resolves.toEqual(OK);
      });
    });

    describe('ask (request)', () => {
      it("returns the receiver's reply (accepted and refused) with mode ask", async () => {
        const { receiver, deliveries } = recordingReceiver(async (envelope) => {
          const msg = envelope.msg as { type: string; text?: string };
          if (msg.type === 'sendText') return { ok: true, value: { messageKey: 'k-1', echo: msg.text, at: [1, 2] } };
          return { ok: false, code: 'PARLO_WINDOW_CLOSED', message: 'a template is required' };
        });
        await b.listen([7], receiver);

        const accepted = await a.request(
          7,
          { to: 'conversation:pn:wa', msg: { type: 'sendText', text: 'hi' }, msgId: 'q-1' },
          5_000,
        );
        expect(accepted).toEqual({ ok: true, value: { messageKey: 'k-1', echo: 'hi', at: [1, 2] } });
        const refused = await a.request(7, { to: 'conversation:pn:wa', msg: { type: 'sendTemplate' } }, 5_000);
        expect(refused).toEqual({ ok: false, code: 'PARLO_WINDOW_CLOSED', message: 'a template is required' });

        expect(deliveries.items.map((d) => d.mode)).toEqual(['ask', 'ask']);
        expect(deliveries.items[0]?.envelope).toEqual({
          to: 'conversation:pn:wa',
          msg: { type: 'sendText', text: 'hi' },
          msgId: 'q-1',
        });
      });

      it('answers a rejecting receiver with a refusal carrying its code', async () => {
        const { receiver } = recordingReceiver(() =>
          Promise.reject(new ParloError('PARLO_MAILBOX_FULL', 'mailbox of number:1 is full')),
        );
        await b.listen([8], receiver);
        await expect(a.request(8, { to: 'number:1', msg: {} }, 5_000)).resolves.toEqual({
          ok: false,
          code: 'PARLO_MAILBOX_FULL',
          message: 'mailbox of number:1 is full',
        });
      });

      it('rejects with PARLO_NO_RESPONDERS when nobody listens to the partition', async () => {
        await expectCode(a.request(11, { to: 'number:nobody', msg: {} }, 2_000), 'PARLO_NO_RESPONDERS');
      });

      it('rejects with PARLO_ASK_TIMEOUT when the receiver never answers', async () => {
        const never = new Promise<Reply>(() => undefined);
        const { receiver, deliveries } = recordingReceiver(() => never);
        await b.listen([10], receiver);
        const started = performance.now();
        await expectCode(a.request(10, { to: 'flow-run:r-1', msg: {} }, 200), 'PARLO_ASK_TIMEOUT');
        const elapsedMs = performance.now() - started;
        expect(deliveries.items).toHaveLength(1);
        expect(elapsedMs).toBeGreaterThanOrEqual(150);
        expect(elapsedMs).toBeLessThan(2_000);
      });
    });

    describe('realtime (publish/subscribe)', () => {
      it('reaches matching subscriptions only, with * and > wildcards, until unsubscribed', async () => {
        type Event = [topic: string, payload: unknown];
        const oneToken = new Arrivals<Event>();
        const tail = new Arrivals<Event>();
        const exact = new Arrivals<Event>();
        const anyInbox = new Arrivals<Event>();
        const done = new Arrivals<Event>();
        b.subscribe('org1.*', (t, p) => oneToken.push([t, p]));
        const tailSub = b.subscribe('org1.>', (t, p) => tail.push([t, p]));
        b.subscribe('org2.inbox', (t, p) => exact.push([t, p]));
        b.subscribe('*.inbox', (t, p) => anyInbox.push([t, p]));
        b.subscribe('done.*', (t, p) => done.push([t, p]));
        await subscriptionsActive(a, b);

        const event = { type: 'messageQueued', key: 'k', nested: { list: [1, 'two', { three: 3 }] } };
        a.publish('org1.inbox', { ...event, n: 1 });
        a.publish('org1.inbox.conv-7', { n: 2 });
        a.publish('org2.inbox', { n: 3 });
        a.publish('org3.other', { n: 4 });
        a.publish('org1', { n: 5 });
        // Events from one publisher reach one subscriber in order: the marker closes the phase.
        a.publish('done.1', null);
        await done.until(1, 'first batch of events');

        expect(oneToken.items).toEqual([['org1.inbox', { ...event, n: 1 }]]);
        expect(tail.items).toEqual([
          ['org1.inbox', { ...event, n: 1 }],
          ['org1.inbox.conv-7', { n: 2 }],
        ]);
        expect(exact.items).toEqual([['org2.inbox', { n: 3 }]]);
        expect(anyInbox.items).toEqual([
          ['org1.inbox', { ...event, n: 1 }],
          ['org2.inbox', { n: 3 }],
        ]);

        tailSub.unsubscribe();
        a.publish('org1.inbox.conv-7', { n: 6 });
        a.publish('org1.inbox', { n: 7 });
        a.publish('done.2', null);
        await done.until(2, 'events after unsubscribe');
        expect(tail.items).toHaveLength(2);
        expect(oneToken.items.map(([, p]) => p)).toEqual([{ ...event, n: 1 }, { n: 7 }]);
      });

      it('isolates a throwing listener from the other subscriptions', async () => {
        const received = new Arrivals<unknown>();
        let thrown = 0;
        b.subscribe('org9.>', () => {
          thrown++;
          throw new Error('listener bug');
        });
        b.subscribe('org9.inbox', (_t, p) => received.push(p));
        await subscriptionsActive(a, b);
        a.publish('org9.inbox', { n: 1 });
        a.publish('org9.inbox', { n: 2 });
        await received.until(2, 'events despite a throwing listener');
        expect(received.items).toEqual([{ n: 1 }, { n: 2 }]);
        expect(thrown).toBe(2);
      });
    });
  });
}
