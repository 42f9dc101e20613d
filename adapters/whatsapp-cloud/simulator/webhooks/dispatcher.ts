/**
 * Delivers the simulator's webhooks the way Meta does (WHATSAPP.md §3.3): updates for one callback URL are
 * batched into one signed POST (up to 1000 updates; "batching cannot be guaranteed"), a non-2xx answer or a
 * network error is retried with decreasing frequency until a deadline (36 h on one Meta page, 7 days on another:
 * configurable) and then dropped, and — on request — batches are sent twice or out of order, both of which Meta
 * warns receivers about. All timing comes from the injected Clock.
 */
import { Agent, request } from 'undici';
import type { Logger } from '../../../../core/log/logger.ts';
import type { Clock } from '../../../../core/time/clock.ts';
import { coalesceChanges, countUpdates, serializeEnvelope, wrapEnvelope, type WebhookChange } from './payloads.ts';
import { SIGNATURE_HEADER, signPayload } from './sign.ts';

/** POSTs `body` to `url` and resolves with the HTTP status; rejects on network errors and timeouts. */
export type WebhookPoster = (url: string, body: string, headers: Readonly<Record<string, string>>) => Promise<number>;

/** Where a WABA's webhooks go, and the app secret that signs them. */
export interface WebhookTarget {
  readonly url: string;
  readonly appSecret: string;
}

export interface WebhookDispatcherOptions {
  /** Most updates (messages, statuses, …) in one POST. Meta's maximum is 1000. */
  readonly maxBatch: number;
  /** Updates queued for a URL within this window share one POST. */
  readonly batchDelayMs: number;
  /** First retry delay; doubles per failed attempt. */
  readonly retryInitialMs: number;
  /** Ceiling of the retry delay. */
  readonly retryMaxMs: number;
  /** A batch still failing this long after its first attempt is dropped. */
  readonly retryForMs: number;
  /** ± fraction of random spread applied to each retry delay. */
  readonly retryJitter: number;
  /** Chance that a delivered batch is POSTed once more (duplicate delivery). */
  readonly duplicateProbability: number;
  /** Chance that a batch is held back for `reorderDelayMs`, letting later batches overtake it. */
  readonly reorderProbability: number;
  readonly reorderDelayMs: number;
  /** Most POSTs in flight at once per callback URL (and app secret). */
  readonly concurrency: number;
  /** Escape non-ASCII characters as `\uXXXX` in the body (see `serializeEnvelope`). */
  readonly escapeNonAscii: boolean;
}

/** Meta: "POST requests are aggregated and sent in a batch with a maximum of 1000 updates". */
export const META_MAX_BATCH = 1000;
/** Meta's create-webhook-endpoint page: unacknowledged notifications are dropped after 36 hours. */
export const RETRY_FOR_36_HOURS_MS = 36 * 60 * 60 * 1000;
/** Meta's webhooks overview and throughput pages: retries for up to 7 days. */
export const RETRY_FOR_7_DAYS_MS = 7 * 24 * 60 * 60 * 1000;

export const DEFAULT_WEBHOOK_DISPATCHER_OPTIONS: WebhookDispatcherOptions = {
  maxBatch: 100,
  batchDelayMs: 5,
  retryInitialMs: 1_000,
  retryMaxMs: 60 * 60 * 1000,
  retryForMs: RETRY_FOR_36_HOURS_MS,
  retryJitter: 0.2,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayMs: 1_000,
  concurrency: 8,
  escapeNonAscii: true,
};

/** Counters; update counts are items (messages, statuses, …), not POSTs. */
export interface WebhookDispatcherStats {
  /** Updates acknowledged with a 2xx (duplicates not counted again). */
  readonly delivered: number;
  /** POSTs answered with a non-2xx status or failing at the network level. */
  readonly failedAttempts: number;
  /** Updates given up on after `retryForMs`. */
  readonly dropped: number;
  /** Extra POSTs of an already delivered batch. */
  readonly duplicatesSent: number;
  /** Updates enqueued and neither delivered, dropped nor abandoned yet. */
  readonly pending: number;
  /** All POSTs started, duplicates included. */
  readonly posts: number;
  /** Updates discarded by `close()`. */
  readonly abandoned: number;
}

export interface WebhookDispatcherDeps {
  readonly clock: Clock;
  readonly post: WebhookPoster;
  /** Uniform [0, 1); drives jitter, duplicates and reordering. */
  readonly random?: () => number;
  readonly logger?: Pick<Logger, 'debug' | 'warn'>;
  readonly options?: Partial<WebhookDispatcherOptions>;
}

interface Lane {
  readonly url: string;
  readonly appSecret: string;
  pending: WebhookChange[];
  pendingUpdates: number;
  cancelFlush: (() => void) | undefined;
  readonly ready: Send[];
  inFlight: number;
}

interface Batch {
  readonly seq: number;
  readonly lane: Lane;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly updates: number;
  firstAttemptAtMs: number | undefined;
  failures: number;
}

interface Send {
  readonly batch: Batch;
  readonly isDuplicate: boolean;
}

/**
 * Meta's webhook delivery for the simulator. `enqueue` never blocks and never throws for delivery problems;
 * outcomes show in `stats()`. Not durable: a process restart loses what is queued (Meta's queue is not ours).
 */
function checkedOptions(o: WebhookDispatcherOptions): WebhookDispatcherOptions {
  if (!(o.maxBatch >= 1 && o.maxBatch <= META_MAX_BATCH)) {
    throw new RangeError(`maxBatch must be 1..${META_MAX_BATCH}, got ${o.maxBatch}`);
  }
  if (!(o.concurrency >= 1)) throw new RangeError(`concurrency must be ≥ 1, got ${o.concurrency}`);
  return o;
}

export class WebhookDispatcher {
  private readonly clock: Clock;
  private readonly post: WebhookPoster;
  private readonly random: () => number;
  private readonly logger: Pick<Logger, 'debug' | 'warn'> | undefined;
  private options: WebhookDispatcherOptions;
  private readonly lanes = new Map<string, Lane>();
  private readonly timers = new Set<() => void>();
  private idleWaiters: (() => void)[] = [];
  private batchSeq = 0;
  private isClosed = false;
  private inFlight = 0;
  /** Updates inside POSTs in flight (duplicates excluded). */
  private inFlightUpdates = 0;
  private queuedDuplicates = 0;
  private readonly counts = {
    delivered: 0,
    failedAttempts: 0,
    dropped: 0,
    duplicatesSent: 0,
    pending: 0,
    posts: 0,
    abandoned: 0,
  };

  constructor(deps: WebhookDispatcherDeps) {
    this.clock = deps.clock;
    this.post = deps.post;
    this.random = deps.random ?? Math.random;
    this.logger = deps.logger;
    this.options = checkedOptions({ ...DEFAULT_WEBHOOK_DISPATCHER_OPTIONS, ...deps.options });
  }

  /** Changes delivery behaviour from now on (the control API's duplicate/reorder/retry knobs). */
  configure(options: Partial<WebhookDispatcherOptions>): WebhookDispatcherOptions {
    this.options = checkedOptions({ ...this.options, ...options });
    return this.options;
  }

  /** Queues one change for `target`; it leaves in a batch after `batchDelayMs` (or at once when the batch is full). */
  enqueue(target: WebhookTarget, change: WebhookChange): void {
    if (this.isClosed) throw new Error('WebhookDispatcher is closed');
    const lane = this.laneFor(target);
    const updates = countUpdates(change);
    lane.pending.push(change);
    lane.pendingUpdates += updates;
    this.counts.pending += updates;
    if (lane.pendingUpdates >= this.options.maxBatch) {
      this.flush(lane);
    } else if (!lane.cancelFlush) {
      lane.cancelFlush = this.schedule(this.clock.now() + this.options.batchDelayMs, () => {
        lane.cancelFlush = undefined;
        this.flush(lane);
      });
    }
  }

  stats(): WebhookDispatcherStats {
    return { ...this.counts };
  }

  /** Resolves once nothing is queued, waiting for a retry, or in flight. */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops: cancels batching and retry timers, discards queued updates (counted as `abandoned`) and resolves once
   * the POSTs already in flight have finished. Later `enqueue` calls throw.
   */
  async close(): Promise<void> {
    if (!this.isClosed) {
      this.isClosed = true;
      for (const cancel of this.timers) cancel();
      this.timers.clear();
      for (const lane of this.lanes.values()) {
        lane.cancelFlush = undefined;
        lane.pending = [];
        lane.pendingUpdates = 0;
        lane.ready.length = 0;
      }
      this.queuedDuplicates = 0;
      this.counts.abandoned += this.counts.pending - this.inFlightUpdates;
      this.counts.pending = this.inFlightUpdates;
      this.notifyIfIdle();
    }
    await this.whenIdle();
  }

  // ---------------------------------------------------------------------------------------------------------

  private laneFor(target: WebhookTarget): Lane {
    // One lane per URL and secret: two apps sharing a URL still get their own, differently signed POSTs.
    const key = `${target.url}\u0000${target.appSecret}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = {
        url: target.url,
        appSecret: target.appSecret,
        pending: [],
        pendingUpdates: 0,
        cancelFlush: undefined,
        ready: [],
        inFlight: 0,
      };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  private flush(lane: Lane): void {
    lane.cancelFlush?.();
    lane.cancelFlush = undefined;
    const changes = lane.pending;
    lane.pending = [];
    lane.pendingUpdates = 0;
    if (changes.length === 0) return;

    let group: WebhookChange[] = [];
    let groupUpdates = 0;
    const groups: WebhookChange[][] = [];
    for (const change of changes) {
      const n = countUpdates(change);
      if (group.length > 0 && groupUpdates + n > this.options.maxBatch) {
        groups.push(group);
        group = [];
        groupUpdates = 0;
      }
      group.push(change);
      groupUpdates += n;
    }
    groups.push(group);

    for (const g of groups) {
      const batch = this.makeBatch(lane, g);
      const send: Send = { batch, isDuplicate: false };
      if (this.options.reorderProbability > 0 && this.random() < this.options.reorderProbability) {
        this.logger?.debug({ url: lane.url, batch: batch.seq }, 'webhook batch held back (reorder)');
        this.schedule(this.clock.now() + this.options.reorderDelayMs, () => {
          lane.ready.push(send);
          this.pump(lane);
        });
      } else {
        lane.ready.push(send);
      }
    }
    this.pump(lane);
  }

  private makeBatch(lane: Lane, changes: readonly WebhookChange[]): Batch {
    let updates = 0;
    for (const c of changes) updates += countUpdates(c);
    const envelope = wrapEnvelope(coalesceChanges(changes), this.clock.now());
    const body = serializeEnvelope(envelope, { escapeNonAscii: this.options.escapeNonAscii });
    const headers = {
      'Content-Type': 'application/json',
      'User-Agent': 'facebookexternalua',
      [SIGNATURE_HEADER]: signPayload(body, lane.appSecret),
    };
    return { seq: this.batchSeq++, lane, body, headers, updates, firstAttemptAtMs: undefined, failures: 0 };
  }

  private pump(lane: Lane): void {
    while (!this.isClosed && lane.inFlight < this.options.concurrency) {
      const send = lane.ready.shift();
      if (!send) break;
      this.start(lane, send);
    }
    this.notifyIfIdle();
  }

  private start(lane: Lane, send: Send): void {
    const { batch } = send;
    lane.inFlight++;
    this.inFlight++;
    this.counts.posts++;
    if (send.isDuplicate) {
      this.queuedDuplicates--;
      this.counts.duplicatesSent++;
    } else {
      this.inFlightUpdates += batch.updates;
      batch.firstAttemptAtMs ??= this.clock.now();
    }
    let posting: Promise<number>;
    try {
      posting = this.post(lane.url, batch.body, batch.headers);
    } catch (error) {
      posting = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    posting.then(
      (status) => this.finish(lane, send, status, undefined),
      (error: unknown) => this.finish(lane, send, undefined, error),
    );
  }

  private finish(lane: Lane, send: Send, status: number | undefined, error: unknown): void {
    const { batch } = send;
    lane.inFlight--;
    this.inFlight--;
    if (!send.isDuplicate) this.inFlightUpdates -= batch.updates;
    const isOk = status !== undefined && status >= 200 && status < 300;
    if (!isOk) this.counts.failedAttempts++;

    if (send.isDuplicate) {
      // A duplicate is best effort: Meta's own duplicates come from retries it already counted as delivered.
    } else if (isOk) {
      this.counts.delivered += batch.updates;
      this.counts.pending -= batch.updates;
      if (
        !this.isClosed &&
        this.options.duplicateProbability > 0 &&
        this.random() < this.options.duplicateProbability
      ) {
        this.queuedDuplicates++;
        lane.ready.push({ batch, isDuplicate: true });
      }
    } else if (this.isClosed) {
      this.counts.abandoned += batch.updates;
      this.counts.pending -= batch.updates;
    } else {
      this.retryOrDrop(lane, send, status, error);
    }
    this.pump(lane);
  }

  private retryOrDrop(lane: Lane, send: Send, status: number | undefined, error: unknown): void {
    const { batch } = send;
    batch.failures++;
    const nowMs = this.clock.now();
    const atMs = nowMs + this.retryDelayMs(batch.failures);
    const firstMs = batch.firstAttemptAtMs ?? nowMs;
    const outcome =
      status === undefined ? { error: error instanceof Error ? error.message : String(error) } : { status };
    if (atMs - firstMs > this.options.retryForMs) {
      this.counts.dropped += batch.updates;
      this.counts.pending -= batch.updates;
      this.logger?.warn(
        { url: lane.url, batch: batch.seq, updates: batch.updates, attempts: batch.failures, ...outcome },
        'webhook batch dropped: retry period exhausted',
      );
      return;
    }
    this.logger?.debug(
      { url: lane.url, batch: batch.seq, attempt: batch.failures, retryAtMs: atMs, ...outcome },
      'webhook POST failed; will retry',
    );
    this.schedule(atMs, () => {
      lane.ready.push(send);
      this.pump(lane);
    });
  }

  /** Exponential backoff from `retryInitialMs`, capped at `retryMaxMs`, spread by ±`retryJitter`. */
  private retryDelayMs(failures: number): number {
    const { retryInitialMs, retryMaxMs, retryJitter } = this.options;
    const base = Math.min(retryMaxMs, retryInitialMs * 2 ** Math.min(failures - 1, 52));
    const spread = retryJitter > 0 ? 1 + retryJitter * (2 * this.random() - 1) : 1;
    return Math.max(0, Math.min(retryMaxMs, Math.round(base * spread)));
  }

  /** A clock wake-up that `close()` can cancel. */
  private schedule(atMs: number, run: () => void): () => void {
    const cancel = this.clock.wakeAt(atMs, () => {
      this.timers.delete(cancel);
      run();
    });
    this.timers.add(cancel);
    return () => {
      this.timers.delete(cancel);
      cancel();
    };
  }

  private isIdle(): boolean {
    return this.counts.pending === 0 && this.inFlight === 0 && this.queuedDuplicates === 0;
  }

  private notifyIfIdle(): void {
    if (!this.isIdle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

export interface UndiciPosterOptions {
  /** Keep-alive connections per origin. */
  readonly connections?: number;
  /** Headers/body timeout: a receiver slower than this counts as a failed attempt. */
  readonly timeoutMs?: number;
  readonly keepAliveTimeoutMs?: number;
}

/**
 * A `WebhookPoster` over one undici `Agent` (a keep-alive pool per origin). Global `fetch` opens too many
 * connections and is several times slower under load. `close()` shuts the agent down.
 */
export function undiciPoster(options: UndiciPosterOptions = {}): WebhookPoster & { close(): Promise<void> } {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agent = new Agent({
    connections: options.connections ?? 16,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 30_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: timeoutMs },
  });
  const post: WebhookPoster = async (url, body, headers) => {
    const response = await request(url, { method: 'POST', body, headers: { ...headers }, dispatcher: agent });
    // The body must be consumed for the connection to return to the pool.
    await response.body.dump();
    return response.statusCode;
  };
  return Object.assign(post, { close: () => agent.close() });
}
