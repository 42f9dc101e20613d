import { describe, expect, it } from 'vitest';
import { Histogram, InMemoryMetrics, RUNTIME_METRICS } from './metrics.ts';

/** Deterministic uniform [0, 1) from a 32-bit LCG (Numerical Recipes constants); no Math.random in tests. */
function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** Nearest-rank quantile, the definition Histogram.quantile approximates (rank = ceil(q·n)). */
function exactQuantile(sorted: readonly number[], q: number): number {
  const value = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)];
  if (value === undefined) throw new Error(`no sample for q=${q} among ${sorted.length}`);
  return value;
}

const SAMPLES = 20_000;
const QUANTILES = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

const DISTRIBUTIONS: readonly [string, () => () => number][] = [
  [
    'uniform [1, 1000)',
    () => {
      const next = lcg(1);
      return () => 1 + next() * 999;
    },
  ],
  [
    'uniform [0.01, 10)',
    () => {
      const next = lcg(2);
      return () => 0.01 + next() * 9.99;
    },
  ],
  [
    'exponential, mean 50',
    () => {
      const next = lcg(3);
      return () => -Math.log(1 - next()) * 50 + 0.01;
    },
  ],
  ['constant 42', () => () => 42],
];

function fill(makeSource: () => () => number): { histogram: Histogram; sorted: number[] } {
  const next = makeSource();
  const histogram = new Histogram();
  const samples: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const value = next();
    samples.push(value);
    histogram.observe(value);
  }
  return { histogram, sorted: samples.sort((a, b) => a - b) };
}

function relativeErrors(histogram: Histogram, sorted: readonly number[]): { q: number; error: number }[] {
  return QUANTILES.map((q) => {
    const exact = exactQuantile(sorted, q);
    return { q, error: (histogram.quantile(q) - exact) / exact };
  });
}

describe('Histogram', () => {
  /** quantile() answers with the geometric middle of the bucket holding the rank: within √1.09 − 1 ≈ 4.4 %. */
  it.each(DISTRIBUTIONS)('%s: quantiles within 5 percent of exact', (_name, source) => {
    const { histogram, sorted } = fill(source);
    expect(relativeErrors(histogram, sorted).filter(({ error }) => Math.abs(error) > 0.05)).toEqual([]);
  });

  it('gives the exact value for a constant stream', () => {
    const { histogram } = fill(() => () => 42);
    expect(histogram.snapshot()).toEqual({
      count: SAMPLES,
      sum: 42 * SAMPLES,
      min: 42,
      max: 42,
      p50: 42,
      p90: 42,
      p99: 42,
    });
  });

  it('keeps count, sum, min and max exact', () => {
    const histogram = new Histogram();
    const values = [7, 3, 1000, 0.5, 12, 3, 250];
    for (const value of values) histogram.observe(value);
    const snapshot = histogram.snapshot();
    expect(snapshot.count).toBe(7);
    expect(snapshot.sum).toBe(1275.5);
    expect(snapshot.min).toBe(0.5);
    expect(snapshot.max).toBe(1000);
    expect(histogram.quantile(1)).toBe(1000);
    expect(histogram.quantile(0)).toBe(0.5);
  });

  it('puts every value up to 0.001 in the first bucket, answered as 0.001 clamped to the observed range', () => {
    const histogram = new Histogram();
    histogram.observe(0);
    histogram.observe(0.0001);
    expect(histogram.quantile(0.5)).toBe(0.0001);
    expect(histogram.quantile(1)).toBe(0.0001);
    histogram.observe(0.5);
    expect(histogram.quantile(0.5)).toBe(0.001);
  });

  it('reports zeros when empty', () => {
    const histogram = new Histogram();
    expect(histogram.quantile(0.5)).toBe(0);
    expect(histogram.snapshot()).toEqual({ count: 0, sum: 0, min: 0, max: 0, p50: 0, p90: 0, p99: 0 });
  });
});

describe('InMemoryMetrics', () => {
  it('starts empty', () => {
    expect(new InMemoryMetrics().snapshot()).toEqual({ counters: {}, gauges: {}, histograms: {} });
  });

  it('adds to counters, by one unless told otherwise', () => {
    const metrics = new InMemoryMetrics();
    metrics.count(RUNTIME_METRICS.turns);
    metrics.count(RUNTIME_METRICS.turns);
    metrics.count(RUNTIME_METRICS.turns, 5);
    metrics.count(RUNTIME_METRICS.deadLetters, 0);
    expect(metrics.snapshot().counters).toEqual({ [RUNTIME_METRICS.turns]: 7, [RUNTIME_METRICS.deadLetters]: 0 });
  });

  it('keeps the last value of a gauge', () => {
    const metrics = new InMemoryMetrics();
    metrics.gauge(RUNTIME_METRICS.mailboxDepth, 10);
    metrics.gauge(RUNTIME_METRICS.mailboxDepth, 3);
    metrics.gauge(RUNTIME_METRICS.activeActors, 0);
    expect(metrics.snapshot().gauges).toEqual({ [RUNTIME_METRICS.mailboxDepth]: 3, [RUNTIME_METRICS.activeActors]: 0 });
  });

  it('keeps one histogram per name', () => {
    const metrics = new InMemoryMetrics();
    metrics.observe('a_ms', 5);
    metrics.observe('a_ms', 5);
    metrics.observe('b_ms', 1);
    expect(metrics.snapshot().histograms).toEqual({
      a_ms: { count: 2, sum: 10, min: 5, max: 5, p50: 5, p90: 5, p99: 5 },
      b_ms: { count: 1, sum: 1, min: 1, max: 1, p50: 1, p90: 1, p99: 1 },
    });
  });

  it('returns snapshots that later updates do not change', () => {
    const metrics = new InMemoryMetrics();
    metrics.count('c');
    metrics.gauge('g', 1);
    metrics.observe('h', 2);
    const before = metrics.snapshot();
    metrics.count('c');
    metrics.gauge('g', 2);
    metrics.observe('h', 4);
    metrics.count('new');
    expect(before).toEqual({
      counters: { c: 1 },
      gauges: { g: 1 },
      histograms: { h: { count: 1, sum: 2, min: 2, max: 2, p50: 2, p90: 2, p99: 2 } },
    });
    expect(metrics.snapshot().counters).toEqual({ c: 2, new: 1 });
  });
});

describe('RUNTIME_METRICS', () => {
  it('uses unique Prometheus-style names', () => {
    const names = Object.values(RUNTIME_METRICS);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^parlo_[a-z_]+$/);
  });
});
