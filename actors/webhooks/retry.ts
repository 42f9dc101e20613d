/**
 * The delivery retry schedule, pure (STYLE rule 3). After failed attempt n the next one waits
 * `min(initialDelay × 2^(n-1), maxDelay)`, spread by a jitter of ±`jitterRatio` that is derived from the delivery
 * id, its round and n (so a replayed or re-run turn computes the same wait, and deliveries that failed together
 * do not retry in lock-step). Attempts continue while the next one falls within `retryWindowMs` of the round's
 * first attempt; after that the delivery is dead (dead-letter list, replayable).
 *
 * Defaults: 10 s, 20 s, 40 s, … capped at 1 h per wait, for 24 h: about 30 attempts.
 */
export interface DeliveryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly jitterRatio: number;
  /** How long after the first attempt of a round retries continue. */
  readonly retryWindowMs: number;
  /** A delivered (or cancelled) delivery is kept this long for the API, then forgotten. */
  readonly settledRetentionMs: number;
  /** A dead delivery is kept (replayable) this long, then forgotten. */
  readonly deadRetentionMs: number;
}

const SECOND_MS = 1000;
const HOUR_MS = 60 * 60 * SECOND_MS;
const DAY_MS = 24 * HOUR_MS;

export const DEFAULT_DELIVERY_POLICY: DeliveryPolicy = {
  initialDelayMs: 10 * SECOND_MS,
  maxDelayMs: HOUR_MS,
  jitterRatio: 0.2,
  retryWindowMs: DAY_MS,
  settledRetentionMs: 7 * DAY_MS,
  deadRetentionMs: 30 * DAY_MS,
};

/** The wait after failed attempt `attempt` (1-based) of `round` of delivery `deliveryId`, in ms. */
export function retryDelayMs(policy: DeliveryPolicy, deliveryId: string, round: number, attempt: number): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 40);
  const base = Math.min(policy.initialDelayMs * 2 ** exponent, policy.maxDelayMs);
  const unit = unitInterval(`${deliveryId}:${round}:${attempt}`);
  const factor = 1 - policy.jitterRatio + 2 * policy.jitterRatio * unit;
  return Math.max(1, Math.min(Math.round(base * factor), policy.maxDelayMs));
}

/**
 * When the attempt after failed attempt `attempt` is due, or null when it would fall after the round's window
 * (the delivery is then dead).
 */
export function nextAttemptAtMs(
  policy: DeliveryPolicy,
  deliveryId: string,
  round: number,
  attempt: number,
  failedAtMs: number,
  windowStartMs: number,
): number | null {
  const due = failedAtMs + retryDelayMs(policy, deliveryId, round, attempt);
  return due > windowStartMs + policy.retryWindowMs ? null : due;
}

/** A deterministic number in [0, 1) from a string (FNV-1a, 32 bits). */
export function unitInterval(text: string): number {
  return fnv1a32(text) / 2 ** 32;
}

function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/**
 * The id of the delivery of event `eventId` to endpoint `endpointId`: `dlv_` + 16 hex characters of a 64-bit
 * FNV-1a hash. Deterministic, so that an event emitted twice (under different message ids) reaches the same
 * delivery actor, which starts only once: de-duplication without a set of seen ids in the endpoints actor.
 */
export function deliveryIdOf(endpointId: string, eventId: string): string {
  let hash = 0xcbf29ce484222325n;
  const text = `${endpointId}\n${eventId}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= BigInt(text.charCodeAt(i));
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `dlv_${hash.toString(16).padStart(16, '0')}`;
}

export const DELIVERY_ID_PATTERN = /^dlv_[0-9a-f]{16}$/;
