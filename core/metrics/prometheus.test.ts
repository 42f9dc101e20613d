import { describe, expect, it } from 'vitest';
import { InMemoryMetrics, labelled } from './metrics.ts';
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

  it('renders labelled series of one name under one TYPE line, escaping label values', () => {
    const metrics = new InMemoryMetrics();
    metrics.count(labelled('parlo_http_requests_total', { method: 'GET', route: '/v1/me', status: '200' }), 2);
    metrics.count(labelled('parlo_http_requests_total', { method: 'POST', route: '/v1/signup', status: '201' }));
    metrics.count('parlo_http_requests_total_other');
    metrics.observe(labelled('parlo_http_request_duration_ms', { route: 'a"b\\c\nd' }), 4);
    expect(renderPrometheus(metrics.snapshot()).split('\n')).toEqual([
      '# TYPE parlo_http_requests_total counter',
      'parlo_http_requests_total{method="GET",route="/v1/me",status="200"} 2',
      'parlo_http_requests_total{method="POST",route="/v1/signup",status="201"} 1',
      '# TYPE parlo_http_requests_total_other counter',
      'parlo_http_requests_total_other 1',
      '# TYPE parlo_http_request_duration_ms summary',
      'parlo_http_request_duration_ms{route="a\\"b\\\\c\\nd",quantile="0.5"} 4',
      'parlo_http_request_duration_ms{route="a\\"b\\\\c\\nd",quantile="0.9"} 4',
      'parlo_http_request_duration_ms{route="a\\"b\\\\c\\nd",quantile="0.99"} 4',
      'parlo_http_request_duration_ms_sum{route="a\\"b\\\\c\\nd"} 4',
      'parlo_http_request_duration_ms_count{route="a\\"b\\\\c\\nd"} 1',
      '',
    ]);
    expect(() => labelled('x', { 'bad-name': 'v' })).toThrow(RangeError);
    expect(labelled('x', {})).toBe('x');
  });

  it('renders nothing for an empty snapshot', () => {
    expect(renderPrometheus({ counters: {}, gauges: {}, histograms: {} })).toBe('');
  });
});
