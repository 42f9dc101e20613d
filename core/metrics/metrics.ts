/**
 * One metrics interface for the runtime and everything above it. Counters only go up, gauges are set, histograms
 * record observations into fixed log-spaced buckets (so p50/p99 cost O(buckets), not O(samples)).
 */
export interface Metrics {
  count(name: string, by?: number): void;
  gauge(name: string, value: number): void;
  observe(name: string, value: number): void;
  snapshot(): MetricsSnapshot;
}

export interface HistogramSnapshot {
  readonly count: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

export interface MetricsSnapshot {
  readonly counters: Readonly<Record<string, number>>;
  readonly gauges: Readonly<Record<string, number>>;
  readonly histograms: Readonly<Record<string, HistogramSnapshot>>;
}

/** Bucket i holds values in (GROWTH^(i-1), GROWTH^i] × BASE: 0.001 .. ~10^7 with ~4.4 % relative error. */
const BASE = 0.001;
const GROWTH = 1.09;
const BUCKETS = 270;

export class Histogram {
  private readonly buckets = new Float64Array(BUCKETS + 1);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  observe(value: number): void {
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    const index = value <= BASE ? 0 : Math.min(BUCKETS, Math.ceil(Math.log(value / BASE) / Math.log(GROWTH)));
    this.buckets[index]! += 1;
  }

  /**
   * The geometric middle of the bucket holding quantile q (0..1) by nearest rank, clamped to the observed
   * min/max; within √GROWTH − 1 ≈ 4.4 % of the exact value.
   */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    if (q <= 0) return this.min;
    if (q >= 1) return this.max;
    const rank = Math.ceil(q * this.count);
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += this.buckets[i]!;
      if (seen >= rank) {
        const middle = i === 0 ? BASE : BASE * GROWTH ** (i - 0.5);
        return Math.min(this.max, Math.max(this.min, middle));
      }
    }
    return this.max;
  }

  snapshot(): HistogramSnapshot {
    return {
      count: this.count,
      sum: this.sum,
      min: this.count ? this.min : 0,
      max: this.count ? this.max : 0,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
    };
  }
}

export class InMemoryMetrics implements Metrics {
  private readonly counters = new Map<string, number>();
  private readonly gauges = new Map<string, number>();
  private readonly histograms = new Map<string, Histogram>();

  count(name: string, by = 1): void {
    if (by < 0) throw new RangeError(`counter ${name} cannot go down (by ${by})`);
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  gauge(name: string, value: number): void {
    this.gauges.set(name, value);
  }

  observe(name: string, value: number): void {
    let histogram = this.histograms.get(name);
    if (!histogram) {
      histogram = new Histogram();
      this.histograms.set(name, histogram);
    }
    histogram.observe(value);
  }

  snapshot(): MetricsSnapshot {
    const histograms: Record<string, HistogramSnapshot> = {};
    for (const [name, h] of this.histograms) histograms[name] = h.snapshot();
    return {
      counters: Object.fromEntries(this.counters),
      gauges: Object.fromEntries(this.gauges),
      histograms,
    };
  }
}

/** Records nothing (metrics disabled by configuration); snapshots are empty. */
export class NoopMetrics implements Metrics {
  count(): void {}
  gauge(): void {}
  observe(): void {}
  snapshot(): MetricsSnapshot {
    return { counters: {}, gauges: {}, histograms: {} };
  }
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/**
 * A metric name with Prometheus labels, `name{key="value",…}`, usable with every `Metrics` method: each distinct
 * label set is its own series, and `renderPrometheus` prints the series of one name under one `# TYPE` line. Label
 * values are escaped as the text format requires; keep their number bounded (a route pattern, never a raw URL).
 */
export function labelled(name: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.entries(labels).map(([key, value]) => {
    if (!LABEL_NAME.test(key)) throw new RangeError(`metric label name "${key}" must match ${String(LABEL_NAME)}`);
    return `${key}="${value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`;
  });
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}

/** Metric names the runtime records; kept in one place so dashboards and docs agree. */
export const RUNTIME_METRICS = {
  turns: 'parlo_runtime_turns_total',
  /** Labelled `{kind}`: the turns of each actor kind. */
  turnsByKind: 'parlo_runtime_kind_turns_total',
  duplicatesSkipped: 'parlo_runtime_duplicates_skipped_total',
  deadLetters: 'parlo_runtime_dead_letters_total',
  commits: 'parlo_runtime_commits_total',
  /** Tells handled in their sender's commit (no outbox entry). */
  inCycleDeliveries: 'parlo_runtime_in_cycle_deliveries_total',
  commitLatencyMs: 'parlo_runtime_commit_latency_ms',
  turnsPerCommit: 'parlo_runtime_turns_per_commit',
  mailboxDepth: 'parlo_runtime_mailbox_depth',
  activeActors: 'parlo_runtime_active_actors',
  activations: 'parlo_runtime_activations_total',
  passivations: 'parlo_runtime_passivations_total',
  outboxPending: 'parlo_runtime_outbox_pending',
  timersFired: 'parlo_runtime_timers_fired_total',
  portCalls: 'parlo_runtime_port_calls_total',
  /**
   * Port calls with `onReplay: 'interrupt'` found in the outbox at start and not called again: the actor got
   * PARLO_PORT_CALL_INTERRUPTED instead (not counted in `portCalls`).
   */
  portCallsInterrupted: 'parlo_runtime_port_calls_interrupted_total',
} as const;
