/**
 * The transport moves envelopes between nodes (processes) that own partitions. Embedded mode runs one node on the
 * in-process hub; cluster mode runs many nodes over NATS. The runtime never asks which one it has.
 */

/** One message on its way to an actor. `to` is the printed address `kind:id`. */
export interface Envelope {
  readonly to: string;
  readonly msg: unknown;
  /** Idempotency key: a redelivered envelope with a msgId the actor already consumed is skipped. */
  readonly msgId?: string | undefined;
}

/** What an actor answered to an ask: the handler's reply value, or a runtime refusal. */
export type Reply =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * Called by the transport for each envelope addressed to a partition this node listens to. The promise resolves
 * only after the turn that consumed the envelope is durably committed (or the envelope was recognised as a
 * duplicate), so the transport may acknowledge upstream when it resolves.
 */
export type EnvelopeReceiver = (envelope: Envelope, mode: DeliveryMode) => Promise<Reply>;

export const DELIVERY_MODES = { tell: 'tell', ask: 'ask' } as const;
export type DeliveryMode = (typeof DELIVERY_MODES)[keyof typeof DELIVERY_MODES];

export type EventListener = (topic: string, payload: unknown) => void;

export interface Subscription {
  unsubscribe(): void;
}

export interface Transport {
  readonly kind: 'in-process' | 'nats';
  /** Starts delivering envelopes for these partitions to `receiver`. Calling again replaces the set. */
  listen(partitions: readonly number[], receiver: EnvelopeReceiver): Promise<void>;
  /** Stops delivering envelopes for these partitions (in-flight deliveries finish). */
  unlisten(partitions: readonly number[]): Promise<void>;
  /**
   * Durable one-way delivery to the partition's owner. Resolves once the transport has taken responsibility
   * (in-process: the owner committed; NATS: JetStream stored it, de-duplicated by msgId).
   */
  send(partition: number, envelope: Envelope): Promise<void>;
  /** Request/reply to the partition's owner; resolves with its reply after its commit, or rejects on timeout. */
  request(partition: number, envelope: Envelope, timeoutMs: number): Promise<Reply>;
  /** Best-effort realtime event (no persistence). Topics are dot-separated lowercase tokens. */
  publish(topic: string, payload: unknown): void;
  /** Subscribes to realtime events; `*` matches one token and a trailing `>` the rest, as in NATS. */
  subscribe(topicPattern: string, listener: EventListener): Subscription;
  close(): Promise<void>;
}
