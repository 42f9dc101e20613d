import { describe, expect, it } from 'vitest';
import { InMemoryMetrics } from './metrics.ts';
import { renderPrometheus } from './prometheus.ts';

describe('renderPrometheus', () => {
  it('renders counters, gauges and histograms as summaries in the text format', () => {
    const metrics = new InMemoryMetrics();
    metrics.count('parlo_runtime_turns_total', 3);
    metrics.gauge('parlo_runtime_active_actors', 2);
    for (const v of [1, 1, 1, 1, 100]) metrics.observe('parlo_commit_ms', v);
    const text = renderPrometheus(metrics.snapshot());
    expect(text.split('\n')).toEqual([
      '# TYPE parlo_runtime_turns_total counter',
      'parlo_runtime_turns_total 3',
      '# TYPE parlo_runtime_active_actors gauge',
      'parlo_runtime_active_actors 2',
      '# TYPE parlo_commit_ms summary',
      expect.stringMatching(/^parlo_commit_ms\{quantile="0\.5"\} 1(\.0\d*)?$/),
      expect.stringMatching(/^parlo_commit_ms\{quantile="0\.9"\} 100$/),
      expect.stringMatching(/^parlo_commit_ms\{quantile="0\.99"\} 100$/),
      'parlo_commit_ms_sum 104',
      'parlo_commit_ms_count 5',
      '',
    ]);
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
