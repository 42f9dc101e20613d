/**
 * The public surface of the core runtime. actors/, adapters/ and frontends/ import from here only
 * (tests may also import core/testing/).
 */
export { formatAddress, parseAddress, type Address } from './address/address.ts';
export { DEFAULT_PARTITION_COUNT, allPartitions, partitionOf } from './address/partition.ts';
export { ERROR_CODES, isErrorCode, type ErrorCode } from './errors/codes.ts';
export { ParloError, errorCodeOf, refusal, type Refusal } from './errors/parlo-error.ts';
export { createLogger, silentLogger, type Logger } from './log/logger.ts';
export { renderPrometheus } from './metrics/prometheus.ts';
export {
  Histogram,
  InMemoryMetrics,
  NoopMetrics,
  RUNTIME_METRICS,
  labelled,
  type Metrics,
  type MetricsSnapshot,
} from './metrics/metrics.ts';
export {
  defineActor,
  unreachable,
  type ActorDefinition,
  type AnyActorDefinition,
  type Effect,
  type StateSplit,
  type TurnContext,
  type TurnResult,
} from './runtime/define-actor.ts';
export {
  ActorSystem,
  type ActorSystemOptions,
  type AskOptions,
  type PortOperation,
  type Ports,
  type SendOptions,
} from './runtime/system.ts';
export { RuntimeStore } from './store/runtime-store.ts';
export { SystemClock, type Clock } from './time/clock.ts';
export type { Codec } from './codec/codec.ts';
export { createWireCodec } from './codec/msgpack.ts';
export { InProcessHub } from './transport/in-process.ts';
export { connectNatsTransport } from './transport/nats.ts';
export type { Envelope, Reply, Transport, Subscription, EventListener } from './transport/transport.port.ts';
export type * from './ports/channel.port.ts';
export type * from './ports/channel-events.ts';
export { DELIVERY_STATUSES } from './ports/channel-events.ts';
export type * from './ports/webhooks-out.port.ts';
export { WEBHOOKS_OUT_DELIVER, WEBHOOKS_OUT_PORT, WEBHOOK_FAILURE_REASONS } from './ports/webhooks-out.port.ts';
export type * from './ports/channel-media.port.ts';
export { FETCH_MEDIA_OPERATION } from './ports/channel-media.port.ts';
export type * from './ports/media-store.port.ts';
export {
  DEFAULT_MEDIA_MAX_BYTES,
  MEDIA_PUT_FAILURES,
  MEDIA_REF_PATTERN,
  isServableMimeType,
} from './ports/media-store.port.ts';
export { loadUws, type Uws } from './net/uws.ts';
export { SecretBox, parseKeyList } from './crypto/secret-box.ts';
export { randomHex } from './crypto/random-id.ts';
