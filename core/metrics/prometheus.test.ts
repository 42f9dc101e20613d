import { describe, expect, it } from 'vitest';
import { InMemoryMetrics } from './metrics.ts';
import { renderPrometheus } from './prometheus.ts';

describe('renderPrometheus', () => {
  it('renders counters, gauges and histograms as summaries in the text format', () => {
    const metrics = new InMemoryMetrics();
    metrics.count('parlo_runtime_turns_total', 3);
    metrics.gauge('parlo_runtime_active_actors', 2);
    for (const v of [1, 1, 1, 1, 100]) metrics.observe('parlo_commit_ms', v);
    const lines = renderPrometheus(metrics.snapshot()).split('\n');
    const quantile = (q: string): number =>
      Number(lines.find((l) => l.startsWith(`parlo_commit_ms{quantile="${q}"} `))?.split(' ')[1]);
    expect(lines.filter((l) => !l.includes('{quantile='))).toEqual([
      '# TYPE parlo_runtime_turns_total counter',
      'parlo_runtime_turns_total 3',
      '# TYPE parlo_runtime_active_actors gauge',
      'parlo_runtime_active_actors 2',
      '# TYPE parlo_commit_ms summary',
      'parlo_commit_ms_sum 104',
      'parlo_commit_ms_count 5',
      '',
    ]);
    // Histogram quantiles are estimates within 5 % of the exact value.
    expect(quantile('0.5')).toBeCloseTo(1, 1);
    expect(Math.abs(quantile('0.9') - 100)).toBeLessThanOrEqual(5);
    expect(Math.abs(quantile('0.99') - 100)).toBeLessThanOrEqual(5);
  });

  it('replaces characters Prometheus does not allow in names', () => {
    const metrics = new InMemoryMetrics();
    metrics.count('http.requests-total');
    expect(renderPrometheus(metrics.snapshot())).toContain('http_requests_total 1');
  });

  it('renders nothing for an empty snapshot', () => {
    expect(renderPrometheus({ counters: {}, gauges: {}, histograms: {} })).toBe('');
  });
});
