import { ParloError, errorCodeOf } from '../errors/parlo-error.ts';
import { compileTopicPattern, topicTokens, type TopicPattern } from './topic-match.ts';
import type {
  DeliveryMode,
  Envelope,
  EnvelopeReceiver,
  EventListener,
  Reply,
  Subscription,
  Transport,
} from './transport.port.ts';

/** The slice of a pino logger the transports use. */
export interface InProcessLogger {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface InProcessHubOptions {
  /** Where listener exceptions are reported; defaults to the console. */
  logger?: InProcessLogger;
}

const CONSOLE_LOGGER: InProcessLogger = {
  warn: (obj, msg) => console.warn(msg, obj),
  error: (obj, msg) => console.error(msg, obj),
};

interface Owner {
  readonly node: InProcessTransport;
  readonly receiver: EnvelopeReceiver;
}

interface HubSubscription {
  readonly node: InProcessTransport;
  readonly pattern: TopicPattern;
  readonly listener: EventListener;
}

/**
 * A "cluster in one process": every transport connected to one hub sees the same partition owners and the same
 * realtime subscriptions. Envelopes are handed to the owner's receiver as the same object reference (no encoding,
 * no copy). Created by the composition root; there is no module-global hub.
 *
 * Ownership is last-writer-wins: a node that listens to a partition another node listens to takes it over, and
 * the old node's later `unlisten` of that partition leaves the new owner in place.
 */
export class InProcessHub {
  /** Indexed by partition. */
  readonly #owners: (Owner | undefined)[] = [];
  readonly #subscriptions = new Set<HubSubscription>();
  readonly #logger: InProcessLogger;

  constructor(options: InProcessHubOptions = {}) {
    this.#logger = options.logger ?? CONSOLE_LOGGER;
  }

  /** A transport for one node (`nodeName` only appears in logs and errors). */
  connect(nodeName: string): Transport {
    return new InProcessTransport(this, nodeName);
  }

  /** @internal */
  ownerOf(partition: number): Owner | undefined {
    return this.#owners[partition];
  }

  /** @internal */
  claim(partition: number, owner: Owner): void {
    this.#owners[partition] = owner;
  }

  /** @internal releases the partition only if `node` still owns it. */
  release(partition: number, node: InProcessTransport): void {
    if (this.#owners[partition]?.node === node) this.#owners[partition] = undefined;
  }

  /** @internal */
  addSubscription(sub: HubSubscription): void {
    this.#subscriptions.add(sub);
  }

  /** @internal */
  removeSubscription(sub: HubSubscription): void {
    this.#subscriptions.delete(sub);
  }

  /** @internal fans an event out synchronously; a throwing listener is logged and does not affect the others. */
  publish(topic: string, payload: unknown): void {
    const tokens = topicTokens(topic);
    for (const sub of this.#subscriptions) {
      if (!sub.pattern.matches(tokens)) continue;
      try {
        sub.listener(topic, payload);
      } catch (err) {
        this.#logger.error(
          { err, topic, pattern: sub.pattern.pattern, node: sub.node.nodeName },
          'realtime listener threw',
        );
      }
    }
  }
}

/** Calls a receiver so that a synchronous throw becomes a rejection. */
function deliver(receiver: EnvelopeReceiver, envelope: Envelope, mode: DeliveryMode): Promise<Reply> {
  try {
    return receiver(envelope, mode);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** A receiver's rejection becomes a refusal reply, exactly as the NATS transport answers it over the wire. */
export function refusalFromError(err: unknown): Reply {
  const code = errorCodeOf(err);
  return {
    ok: false,
    code: code !== undefined && code.startsWith('PARLO_') ? code : 'PARLO_HANDLER_FAILED',
    message: err instanceof Error ? err.message : String(err),
  };
}

const toVoid = (): void => undefined;

class InProcessTransport implements Transport {
  readonly kind = 'in-process' as const;
  readonly #hub: InProcessHub;
  readonly nodeName: string;
  readonly #partitions = new Set<number>();
  readonly #subscriptions = new Set<HubSubscription>();
  #closed = false;

  constructor(hub: InProcessHub, nodeName: string) {
    this.#hub = hub;
    this.nodeName = nodeName;
  }

  async listen(partitions: readonly number[], receiver: EnvelopeReceiver): Promise<void> {
    this.#assertOpen();
    const wanted = new Set(partitions);
    for (const p of this.#partitions) if (!wanted.has(p)) this.#release(p);
    const owner: Owner = { node: this, receiver };
    for (const p of wanted) {
      this.#hub.claim(p, owner);
      this.#partitions.add(p);
    }
  }

  async unlisten(partitions: readonly number[]): Promise<void> {
    for (const p of partitions) this.#release(p);
  }

  send(partition: number, envelope: Envelope): Promise<void> {
    const owner = this.#ownerOf(partition);
    if (owner instanceof ParloError) return Promise.reject(owner);
    return deliver(owner.receiver, envelope, 'tell').then(toVoid);
  }

  request(partition: number, envelope: Envelope, timeoutMs: number): Promise<Reply> {
    const owner = this.#ownerOf(partition);
    if (owner instanceof ParloError) return Promise.reject(owner);
    return new Promise<Reply>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new ParloError(
            'PARLO_ASK_TIMEOUT',
            `ask to ${envelope.to} (partition ${partition}) got no reply within ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      deliver(owner.receiver, envelope, 'ask').then(
        (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        (err: unknown) => {
          clearTimeout(timer);
          resolve(refusalFromError(err));
        },
      );
    });
  }

  publish(topic: string, payload: unknown): void {
    this.#assertOpen();
    this.#hub.publish(topic, payload);
  }

  subscribe(topicPattern: string, listener: EventListener): Subscription {
    this.#assertOpen();
    const sub: HubSubscription = { node: this, pattern: compileTopicPattern(topicPattern), listener };
    this.#hub.addSubscription(sub);
    this.#subscriptions.add(sub);
    return {
      unsubscribe: () => {
        this.#hub.removeSubscription(sub);
        this.#subscriptions.delete(sub);
      },
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of this.#partitions) this.#release(p);
    for (const sub of this.#subscriptions) this.#hub.removeSubscription(sub);
    this.#subscriptions.clear();
  }

  #release(partition: number): void {
    this.#partitions.delete(partition);
    this.#hub.release(partition, this);
  }

  #ownerOf(partition: number): Owner | ParloError {
    if (this.#closed) return new ParloError('PARLO_TRANSPORT_FAILED', `transport of node ${this.nodeName} is closed`);
    return (
      this.#hub.ownerOf(partition) ??
      new ParloError('PARLO_NO_RESPONDERS', `no node listens to partition ${partition}`, { partition })
    );
  }

  #assertOpen(): void {
    if (this.#closed) throw new ParloError('PARLO_TRANSPORT_FAILED', `transport of node ${this.nodeName} is closed`);
  }
}
