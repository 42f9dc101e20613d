import type { MetricsSnapshot } from './metrics.ts';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function sanitize(name: string): string {
  return NAME.test(name) ? name : name.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/^([0-9])/, '_$1');
}

function value(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * Prometheus text exposition format (version 0.0.4): counters and gauges as such, histograms as summaries with
 * the 0.5 / 0.9 / 0.99 quantiles, `_sum` and `_count`.
 */
export function renderPrometheus(snapshot: MetricsSnapshot): string {
  const lines: string[] = [];
  for (const [name, v] of Object.entries(snapshot.counters).sort()) {
    const n = sanitize(name);
    lines.push(`# TYPE ${n} counter`, `${n} ${value(v)}`);
  }
  for (const [name, v] of Object.entries(snapshot.gauges).sort()) {
    const n = sanitize(name);
    lines.push(`# TYPE ${n} gauge`, `${n} ${value(v)}`);
  }
  for (const [name, h] of Object.entries(snapshot.histograms).sort()) {
    const n = sanitize(name);
    lines.push(
      `# TYPE ${n} summary`,
      `${n}{quantile="0.5"} ${value(h.p50)}`,
      `${n}{quantile="0.9"} ${value(h.p90)}`,
      `${n}{quantile="0.99"} ${value(h.p99)}`,
      `${n}_sum ${value(h.sum)}`,
      `${n}_count ${value(h.count)}`,
    );
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
