import {
  connect,
  createInbox,
  headers,
  nanos,
  nuid,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription as NatsSubscription,
} from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type ConsumerInfo,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import { isValidKind } from '../address/address.ts';
import { SUBJECT_PREFIX, toSubjectToken } from '../address/subject.ts';
import type { Codec } from '../codec/codec.ts';
import { ParloError } from '../errors/parlo-error.ts';
import { refusalFromError } from './in-process.ts';
import { compileTopicPattern, topicTokens } from './topic-match.ts';
import type {
  DeliveryMode,
  Envelope,
  EnvelopeReceiver,
  EventListener,
  Reply,
  Subscription,
  Transport,
} from './transport.port.ts';

// ---------------------------------------------------------------------------------------------------------------
// Subjects (STYLE 2.3 "Addressing over NATS")
// ---------------------------------------------------------------------------------------------------------------

/** Durable tells: stored by JetStream. */
export const TELL_SUBJECT_ROOT = `${SUBJECT_PREFIX}.p`;
/** Asks: core request/reply only, a separate space so that the stream over `parlo.p.>` never stores them. */
export const ASK_SUBJECT_ROOT = `${SUBJECT_PREFIX}.q`;
/** Realtime events: core NATS, at most once. */
export const EVENT_SUBJECT_ROOT = `${SUBJECT_PREFIX}.rt`;

/** `kind.idToken` for a printed address `kind:id` (split at the first `:`). */
function addressTokens(to: string): string {
  const colon = to.indexOf(':');
  if (colon <= 0 || colon === to.length - 1) {
    throw new ParloError('PARLO_INVALID_ADDRESS', `"${to}" is not an actor address of the form kind:id`);
  }
  const kind = to.slice(0, colon);
  if (!isValidKind(kind)) {
    throw new ParloError('PARLO_INVALID_ADDRESS', `actor kind "${kind}" must be lowercase letters, digits and dashes`);
  }
  return `${kind}.${toSubjectToken(to.slice(colon + 1))}`;
}

/** `parlo.p.<partition>.<kind>.<idToken>` */
export function tellSubject(partition: number, to: string): string {
  return `${TELL_SUBJECT_ROOT}.${partition}.${addressTokens(to)}`;
}

/** `parlo.q.<partition>.<kind>.<idToken>` */
export function askSubject(partition: number, to: string): string {
  return `${ASK_SUBJECT_ROOT}.${partition}.${addressTokens(to)}`;
}

/** `parlo.p.<partition>.>`: the filter of the partition's durable consumer. */
export function tellFilter(partition: number): string {
  return `${TELL_SUBJECT_ROOT}.${partition}.>`;
}

/** `parlo.q.<partition>.>`: the subscription answering the partition's asks. */
export function askFilter(partition: number): string {
  return `${ASK_SUBJECT_ROOT}.${partition}.>`;
}

/** `parlo.rt.<topic>`; the topic may be a subscription pattern. */
export function realtimeSubject(topic: string): string {
  return `${EVENT_SUBJECT_ROOT}.${topic}`;
}

/** The partition's durable consumer name: independent of the node so that a new owner continues where the old stopped. */
export function partitionConsumerName(partition: number): string {
  return `p${partition}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------------------

/** JetStream forgets msgIds older than this; a re-send within the window is stored once. */
export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;
/** Unacknowledged tells are redelivered after this. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** Server-side bound on delivered-but-unacknowledged tells per partition consumer. */
export const DEFAULT_MAX_ACK_PENDING = 10_000;
/** Client-side bound on tells handed to the receiver and not yet settled, per partition. */
export const DEFAULT_MAX_IN_FLIGHT_PER_PARTITION = 1_000;
/** Messages per pull request of a partition consumer. */
export const DEFAULT_PULL_BATCH = 256;
/** Redelivery delay after a receiver rejected a tell. */
export const DEFAULT_NAK_DELAY_MS = 1_000;

export interface NatsTransportLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface NatsTransportOptions {
  servers: string | string[];
  /** This node's id (connection name and logs); consumers are named per partition, not per node. */
  nodeId: string;
  /** The JetStream stream over `parlo.p.>`, created or updated at connect. */
  streamName: string;
  /** P; partitions are 0..P-1. */
  partitionCount: number;
  /** JetStream replicas of the stream (1 on a single server); applied when the stream is created. */
  streamReplicas?: number;
  codec: Codec;
  /** NATS connection name; defaults to `parlo-<nodeId>`. */
  name?: string;
  logger?: NatsTransportLogger;
}

const CONSOLE_LOGGER: NatsTransportLogger = {
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

function transportFailed(message: string, cause: unknown, details?: object): ParloError {
  const err = new ParloError(
    'PARLO_TRANSPORT_FAILED',
    `${message}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause, ...details },
  );
  err.cause = cause;
  return err;
}

// ---------------------------------------------------------------------------------------------------------------
// Connect
// ---------------------------------------------------------------------------------------------------------------

/**
 * Connects a node to NATS: durable tells through JetStream (stream `streamName` over `parlo.p.>`, de-duplicated by
 * msgId, one durable pull consumer per partition), asks through core request/reply on `parlo.q.…`, realtime
 * events through core NATS on `parlo.rt.…`.
 */
export async function connectNatsTransport(options: NatsTransportOptions): Promise<Transport> {
  const logger = options.logger ?? CONSOLE_LOGGER;
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: options.servers,
      name: options.name ?? `parlo-${options.nodeId}`,
      // Otherwise nats.js captures a stack trace per request (JetStream API calls, acks with replies).
      noAsyncTraces: true,
      maxReconnectAttempts: -1,
    });
  } catch (err) {
    throw transportFailed(`cannot connect to NATS at ${String(options.servers)}`, err);
  }
  try {
    const jsm = await jetstreamManager(nc);
    await ensureStream(jsm, options.streamName, options.streamReplicas ?? 1);
    return new NatsTransport(nc, jetstream(nc), jsm, options, logger);
  } catch (err) {
    await nc.close().catch(() => undefined);
    throw err instanceof ParloError ? err : transportFailed('cannot set up the JetStream stream', err);
  }
}

async function ensureStream(jsm: JetStreamManager, streamName: string, replicas: number): Promise<void> {
  const subjects = [`${TELL_SUBJECT_ROOT}.>`];
  const duplicate_window = nanos(DEFAULT_DUPLICATE_WINDOW_MS);
  try {
    await jsm.streams.add({
      name: streamName,
      subjects,
      storage: StorageType.File,
      // Acked messages are removed; per-partition consumer filters never overlap, as work-queue streams require.
      retention: RetentionPolicy.Workqueue,
      duplicate_window,
      num_replicas: replicas,
    });
  } catch (addError) {
    // Exists with another configuration (or a concurrent node created it): bring the mutable fields in line.
    try {
      await jsm.streams.update(streamName, { subjects, duplicate_window });
    } catch (updateError) {
      throw transportFailed(`cannot create or update JetStream stream ${streamName}`, updateError, { addError });
    }
  }
}

async function ensureConsumer(jsm: JetStreamManager, streamName: string, partition: number): Promise<ConsumerInfo> {
  const name = partitionConsumerName(partition);
  const config: Partial<ConsumerConfig> = {
    durable_name: name,
    filter_subject: tellFilter(partition),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(DEFAULT_ACK_WAIT_MS),
    max_ack_pending: DEFAULT_MAX_ACK_PENDING,
  };
  try {
    // Idempotent when the durable exists with the same configuration.
    return await jsm.consumers.add(streamName, config);
  } catch (addError) {
    try {
      return await jsm.consumers.update(streamName, name, {
        ack_wait: config.ack_wait,
        max_ack_pending: config.max_ack_pending,
      });
    } catch (updateError) {
      throw transportFailed(`cannot create consumer ${name} on stream ${streamName}`, updateError, { addError });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Transport
// ---------------------------------------------------------------------------------------------------------------

function deliver(receiver: EnvelopeReceiver, envelope: Envelope, mode: DeliveryMode): Promise<Reply> {
  try {
    return receiver(envelope, mode);
  } catch (err) {
    return Promise.reject(err);
  }
}

const toVoid = (): void => undefined;

/** Status code of the server's no-responders message (sent to the reply subject when nobody subscribes). */
const NO_RESPONDERS_STATUS = 503;
const JETSTREAM_MSG_ID_HEADER = 'Nats-Msg-Id';
const JETSTREAM_EXPECTED_STREAM_HEADER = 'Nats-Expected-Stream';
/** How long a tell waits for JetStream's PubAck. */
export const DEFAULT_PUBLISH_TIMEOUT_MS = 10_000;

const textDecoder = new TextDecoder();

function isNoResponders(msg: Msg): boolean {
  return msg.data.length === 0 && msg.headers?.code === NO_RESPONDERS_STATUS;
}

/** Something waiting on the node's reply inbox. */
interface PendingReply {
  timer: NodeJS.Timeout | undefined;
  settle(msg: Msg, codec: Codec): void;
  expire(): void;
  abort(err: ParloError): void;
}

class PendingAsk implements PendingReply {
  timer: NodeJS.Timeout | undefined;
  constructor(
    readonly resolve: (reply: Reply) => void,
    readonly abort: (err: unknown) => void,
    readonly partition: number,
    readonly to: string,
    readonly timeoutMs: number,
  ) {}

  settle(msg: Msg, codec: Codec): void {
    if (isNoResponders(msg)) {
      this.abort(
        new ParloError('PARLO_NO_RESPONDERS', `no node listens to partition ${this.partition}`, {
          partition: this.partition,
        }),
      );
      return;
    }
    try {
      this.resolve(codec.decode(msg.data) as Reply);
    } catch (err) {
      this.abort(err);
    }
  }

  expire(): void {
    this.abort(
      new ParloError(
        'PARLO_ASK_TIMEOUT',
        `ask to ${this.to} (partition ${this.partition}) got no reply within ${this.timeoutMs} ms`,
      ),
    );
  }
}

/** A JetStream publish waiting for its PubAck (`{"stream","seq","duplicate"?}` or `{"error":{…}}`, JSON by protocol). */
class PendingPublish implements PendingReply {
  timer: NodeJS.Timeout | undefined;
  constructor(
    readonly resolve: () => void,
    readonly reject: (err: unknown) => void,
    readonly partition: number,
    readonly to: string,
  ) {}

  #failed(cause: unknown): void {
    this.reject(transportFailed(`JetStream did not store the tell to ${this.to} (partition ${this.partition})`, cause));
  }

  settle(msg: Msg): void {
    if (isNoResponders(msg)) {
      this.#failed(new Error('no JetStream stream listens on the subject (no responders)'));
      return;
    }
    let ack: { error?: { description?: string; err_code?: number } };
    try {
      ack = JSON.parse(textDecoder.decode(msg.data)) as typeof ack;
    } catch (err) {
      this.#failed(err);
      return;
    }
    if (ack.error) this.#failed(new Error(`${ack.error.description ?? 'error'} (err_code ${ack.error.err_code})`));
    else this.resolve();
  }

  expire(): void {
    this.#failed(new Error(`no PubAck within ${DEFAULT_PUBLISH_TIMEOUT_MS} ms`));
  }

  abort(err: ParloError): void {
    this.reject(err);
  }
}

interface NatsTransportContext {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly codec: Codec;
  readonly streamName: string;
  readonly nodeId: string;
  readonly logger: NatsTransportLogger;
}

class NatsTransport implements Transport {
  readonly kind = 'nats' as const;
  readonly #ctx: NatsTransportContext;
  readonly #partitionCount: number;
  readonly #listeners = new Map<number, PartitionListener>();
  readonly #subscriptions = new Set<NatsSubscription>();
  /** listen/unlisten/close run one after another. */
  #lifecycle: Promise<unknown> = Promise.resolve();
  #closed = false;
  /**
   * One reply inbox per node (`<inbox>.<replyId>`, one wildcard subscription) for asks and JetStream PubAcks,
   * instead of `nc.request`/`js.publish`: nats.js allocates an Error (a stack capture) per request even on success,
   * which cost ~20% of a request/reply turn.
   */
  readonly #inbox: string;
  readonly #pending = new Map<string, PendingReply>();
  #replySerial = 0;

  constructor(
    nc: NatsConnection,
    js: JetStreamClient,
    jsm: JetStreamManager,
    options: NatsTransportOptions,
    logger: NatsTransportLogger,
  ) {
    this.#ctx = { nc, js, jsm, codec: options.codec, streamName: options.streamName, nodeId: options.nodeId, logger };
    this.#partitionCount = options.partitionCount;
    this.#inbox = `${createInbox()}.`;
    nc.subscribe(`${this.#inbox}*`, { callback: (err, msg) => this.#onReply(err, msg) });
    void this.#watchConnection();
  }

  async #watchConnection(): Promise<void> {
    const { nc, logger, nodeId } = this.#ctx;
    for await (const status of nc.status()) {
      switch (status.type) {
        case 'disconnect':
        case 'reconnect':
        case 'ldm':
          logger.warn({ nodeId, server: status.server }, `NATS ${status.type}`);
          break;
        case 'error':
          logger.error({ nodeId, err: status.error }, 'NATS connection error');
          break;
        case 'slowConsumer':
          logger.warn({ nodeId, subject: status.sub.getSubject(), pending: status.pending }, 'NATS slow consumer');
          break;
        default:
          break;
      }
    }
  }

  #serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lifecycle.then(fn, fn);
    this.#lifecycle = run.catch(toVoid);
    return run;
  }

  /** A partition outside 0..P-1 would build a subject another partition's filter matches (`1.5` → `parlo.p.1.5…`). */
  #checkPartition(partition: number): void {
    if (!Number.isInteger(partition) || partition < 0 || partition >= this.#partitionCount) {
      throw new ParloError(
        'PARLO_PARTITION_NOT_OWNED',
        `partition ${partition} is outside 0..${this.#partitionCount - 1}`,
      );
    }
  }

  listen(partitions: readonly number[], receiver: EnvelopeReceiver): Promise<void> {
    return this.#serially(async () => {
      this.#assertOpen();
      partitions.forEach((p) => this.#checkPartition(p));
      const wanted = new Set(partitions);
      const stopping = [...this.#listeners.keys()].filter((p) => !wanted.has(p));
      await this.#stop(stopping);
      const starting: PartitionListener[] = [];
      for (const p of wanted) {
        const existing = this.#listeners.get(p);
        if (existing) {
          existing.receiver = receiver;
        } else {
          const listener = new PartitionListener(this.#ctx, p, receiver);
          this.#listeners.set(p, listener);
          starting.push(listener);
        }
      }
      const results = await Promise.allSettled(starting.map((l) => l.start()));
      const failed = results.findIndex((r) => r.status === 'rejected');
      if (failed !== -1) {
        await this.#stop(starting.map((l) => l.partition));
        const reason: unknown = (results[failed] as PromiseRejectedResult).reason;
        throw reason instanceof ParloError ? reason : transportFailed('cannot listen', reason);
      }
      // The ask subscriptions are registered at the server before listen resolves.
      await this.#ctx.nc.flush();
    });
  }

  unlisten(partitions: readonly number[]): Promise<void> {
    return this.#serially(async () => {
      if (this.#closed) return;
      await this.#stop(partitions);
      await this.#ctx.nc.flush();
    });
  }

  async #stop(partitions: readonly number[]): Promise<void> {
    const stopping: Promise<void>[] = [];
    for (const p of partitions) {
      const listener = this.#listeners.get(p);
      if (!listener) continue;
      this.#listeners.delete(p);
      stopping.push(listener.stop());
    }
    await Promise.all(stopping);
  }

  send(partition: number, envelope: Envelope): Promise<void> {
    let subject: string;
    let payload: Uint8Array;
    try {
      this.#assertOpen();
      this.#checkPartition(partition);
      subject = tellSubject(partition, envelope.to);
      payload = this.#ctx.codec.encode(envelope);
    } catch (err) {
      return Promise.reject(err);
    }
    // Nats-Msg-Id = msgId: a re-send of the same envelope within the duplicate window is stored once.
    const h = headers();
    h.set(JETSTREAM_MSG_ID_HEADER, envelope.msgId ?? nuid.next());
    h.set(JETSTREAM_EXPECTED_STREAM_HEADER, this.#ctx.streamName);
    return new Promise<void>((resolve, reject) => {
      this.#expectReply(
        subject,
        payload,
        h,
        new PendingPublish(resolve, reject, partition, envelope.to),
        DEFAULT_PUBLISH_TIMEOUT_MS,
      );
    });
  }

  request(partition: number, envelope: Envelope, timeoutMs: number): Promise<Reply> {
    let subject: string;
    let payload: Uint8Array;
    try {
      this.#assertOpen();
      this.#checkPartition(partition);
      subject = askSubject(partition, envelope.to);
      payload = this.#ctx.codec.encode(envelope);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<Reply>((resolve, reject) => {
      this.#expectReply(
        subject,
        payload,
        undefined,
        new PendingAsk(resolve, reject, partition, envelope.to, timeoutMs),
        timeoutMs,
      );
    });
  }

  /** Publishes with a reply subject on this node's inbox and routes the reply (or the timeout) to `pending`. */
  #expectReply(
    subject: string,
    payload: Uint8Array,
    h: MsgHdrs | undefined,
    pending: PendingReply,
    timeoutMs: number,
  ): void {
    const id = (this.#replySerial++).toString(36);
    pending.timer = setTimeout(() => {
      if (this.#pending.delete(id)) pending.expire();
    }, timeoutMs);
    this.#pending.set(id, pending);
    try {
      this.#ctx.nc.publish(subject, payload, h ? { reply: this.#inbox + id, headers: h } : { reply: this.#inbox + id });
    } catch (err) {
      this.#pending.delete(id);
      clearTimeout(pending.timer);
      pending.abort(transportFailed(`publishing to ${subject} failed`, err));
    }
  }

  #onReply(err: Error | null, msg: Msg): void {
    if (err) {
      this.#ctx.logger.error({ nodeId: this.#ctx.nodeId, err }, 'reply inbox subscription failed');
      return;
    }
    const id = msg.subject.slice(this.#inbox.length);
    const pending = this.#pending.get(id);
    if (pending === undefined) return; // a late reply to something that already timed out
    this.#pending.delete(id);
    clearTimeout(pending.timer);
    pending.settle(msg, this.#ctx.codec);
  }

  publish(topic: string, payload: unknown): void {
    this.#assertOpen();
    topicTokens(topic); // validates: same rules as the in-process hub
    this.#ctx.nc.publish(realtimeSubject(topic), this.#ctx.codec.encode(payload));
  }

  subscribe(topicPattern: string, listener: EventListener): Subscription {
    this.#assertOpen();
    compileTopicPattern(topicPattern); // validates
    const { codec, logger, nodeId } = this.#ctx;
    const prefixLength = EVENT_SUBJECT_ROOT.length + 1;
    const sub = this.#ctx.nc.subscribe(realtimeSubject(topicPattern), {
      callback: (err: Error | null, msg: Msg) => {
        if (err) {
          logger.error({ nodeId, err, pattern: topicPattern }, 'realtime subscription failed');
          return;
        }
        const topic = msg.subject.slice(prefixLength);
        let payload: unknown;
        try {
          payload = codec.decode(msg.data);
        } catch (decodeError) {
          logger.error({ nodeId, err: decodeError, topic }, 'undecodable realtime event dropped');
          return;
        }
        try {
          listener(topic, payload);
        } catch (listenerError) {
          logger.error({ nodeId, err: listenerError, topic, pattern: topicPattern }, 'realtime listener threw');
        }
      },
    });
    this.#subscriptions.add(sub);
    return {
      unsubscribe: () => {
        if (!this.#subscriptions.delete(sub)) return;
        if (!this.#ctx.nc.isClosed()) sub.unsubscribe();
      },
    };
  }

  close(): Promise<void> {
    if (this.#closed) return this.#lifecycle.then(toVoid);
    return this.#serially(async () => {
      this.#closed = true;
      await this.#stop([...this.#listeners.keys()]);
      this.#subscriptions.clear();
      const { nc } = this.#ctx;
      try {
        if (!nc.isClosed()) await nc.drain();
      } catch (err) {
        if (!nc.isClosed()) throw transportFailed('draining the NATS connection failed', err);
      } finally {
        // Replies that did not arrive before the drain never will.
        for (const pending of this.#pending.values()) {
          clearTimeout(pending.timer);
          pending.abort(new ParloError('PARLO_TRANSPORT_FAILED', 'transport closed before the reply arrived'));
        }
        this.#pending.clear();
      }
    });
  }

  #assertOpen(): void {
    if (this.#closed) {
      throw new ParloError('PARLO_TRANSPORT_FAILED', `NATS transport of node ${this.#ctx.nodeId} is closed`);
    }
  }
}

/**
 * One partition this node listens to: the partition's durable pull consumer (tells) and a queue subscription on
 * its ask subjects. Tells are handed to the receiver in arrival order without waiting for earlier ones to settle
 * (the receiver keeps order by enqueuing synchronously); at most DEFAULT_MAX_IN_FLIGHT_PER_PARTITION are unsettled.
 */
class PartitionListener {
  receiver: EnvelopeReceiver;
  readonly partition: number;
  readonly #ctx: NatsTransportContext;
  #messages: ConsumerMessages | undefined;
  #loop: Promise<void> | undefined;
  #askSub: NatsSubscription | undefined;
  #stopping = false;
  #inFlight = 0;
  #wakeLoop: (() => void) | undefined;

  constructor(ctx: NatsTransportContext, partition: number, receiver: EnvelopeReceiver) {
    this.#ctx = ctx;
    this.partition = partition;
    this.receiver = receiver;
  }

  async start(): Promise<void> {
    const { nc, js, jsm, streamName } = this.#ctx;
    this.#askSub = nc.subscribe(askFilter(this.partition), {
      // A queue group: while a partition moves, at most one of its listeners answers each ask.
      queue: `parlo-q-${this.partition}`,
      callback: (err, msg) => this.#onAsk(err, msg),
    });
    const info = await ensureConsumer(jsm, streamName, this.partition);
    if (this.#stopping) return;
    const messages = await js.consumers.getConsumerFromInfo(info).consume({ max_messages: DEFAULT_PULL_BATCH });
    if (this.#stopping) {
      await messages.close();
      return;
    }
    this.#messages = messages;
    this.#loop = this.#consume(messages);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#askSub?.unsubscribe();
    this.#wake();
    if (this.#messages) {
      await this.#messages.close();
      await this.#loop;
    }
  }

  async #consume(messages: ConsumerMessages): Promise<void> {
    const { logger, nodeId } = this.#ctx;
    try {
      for await (const m of messages) {
        if (this.#stopping) {
          // Pulled but never handed over: give it back now rather than after ack_wait.
          settle(() => m.nak());
          continue;
        }
        this.#deliver(m);
        if (this.#inFlight >= DEFAULT_MAX_IN_FLIGHT_PER_PARTITION) {
          await new Promise<void>((resolve) => {
            this.#wakeLoop = resolve;
          });
        }
      }
    } catch (err) {
      logger.error({ nodeId, partition: this.partition, err }, 'partition consumer stopped with an error');
    }
  }

  #deliver(m: JsMsg): void {
    const { codec, logger, nodeId } = this.#ctx;
    let envelope: Envelope;
    try {
      envelope = codec.decode(m.data) as Envelope;
    } catch (err) {
      logger.error({ nodeId, partition: this.partition, seq: m.seq, err }, 'undecodable tell terminated');
      settle(() => m.term('undecodable'));
      return;
    }
    this.#inFlight++;
    deliver(this.receiver, envelope, 'tell').then(
      () => {
        this.#settled();
        settle(() => m.ack());
      },
      (err: unknown) => {
        this.#settled();
        logger.warn(
          {
            nodeId,
            partition: this.partition,
            to: envelope.to,
            msgId: envelope.msgId,
            deliveries: m.info.deliveryCount,
            err,
          },
          'tell rejected by receiver; redelivering',
        );
        settle(() => m.nak(DEFAULT_NAK_DELAY_MS));
      },
    );
  }

  #settled(): void {
    this.#inFlight--;
    if (this.#inFlight < DEFAULT_MAX_IN_FLIGHT_PER_PARTITION) this.#wake();
  }

  #wake(): void {
    const wake = this.#wakeLoop;
    if (wake) {
      this.#wakeLoop = undefined;
      wake();
    }
  }

  #onAsk(err: Error | null, msg: Msg): void {
    const { codec, logger, nodeId } = this.#ctx;
    if (err) {
      logger.error({ nodeId, partition: this.partition, err }, 'ask subscription failed');
      return;
    }
    let envelope: Envelope;
    try {
      envelope = codec.decode(msg.data) as Envelope;
    } catch (decodeError) {
      this.#respond(msg, refusalFromError(decodeError));
      return;
    }
    deliver(this.receiver, envelope, 'ask').then(
      (reply) => this.#respond(msg, reply),
      (receiverError: unknown) => this.#respond(msg, refusalFromError(receiverError)),
    );
  }

  #respond(msg: Msg, reply: Reply): void {
    const { codec, logger, nodeId } = this.#ctx;
    try {
      msg.respond(codec.encode(reply));
    } catch (err) {
      logger.error({ nodeId, partition: this.partition, err }, 'cannot send the reply to an ask');
      try {
        msg.respond(codec.encode(refusalFromError(transportFailed('reply could not be encoded', err))));
      } catch {
        // connection closed: the asker times out
      }
    }
  }
}

/** Ack/nak/term after the connection closed throws; the message is then redelivered after ack_wait, which is safe. */
function settle(action: () => void): void {
  try {
    action();
  } catch {
    // ignored: see above
  }
}
