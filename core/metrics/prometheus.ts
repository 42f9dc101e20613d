import type { HistogramSnapshot, MetricsSnapshot } from './metrics.ts';

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

/** One series: the metric's name and its label pairs as written by `labelled()` (`a="x",b="y"`, or ''). */
interface Series<V> {
  readonly labels: string;
  readonly value: V;
}

/**
 * Groups series by metric name, in name order and then label order. A name written by `labelled()` is split at
 * its `{`; anything else is one unlabelled series whose name is sanitised.
 */
function byName<V>(entries: Readonly<Record<string, V>>): [string, Series<V>[]][] {
  const groups = new Map<string, Series<V>[]>();
  for (const [name, v] of Object.entries(entries)) {
    const brace = name.indexOf('{');
    const labelled = brace > 0 && name.endsWith('}');
    const base = sanitize(labelled ? name.slice(0, brace) : name);
    const labels = labelled ? name.slice(brace + 1, -1) : '';
    let group = groups.get(base);
    if (!group) groups.set(base, (group = []));
    group.push({ labels, value: v });
  }
  const sorted = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [, group] of sorted) group.sort((a, b) => (a.labels < b.labels ? -1 : a.labels > b.labels ? 1 : 0));
  return sorted;
}

/** `{labels}` with `extra` appended, or nothing when both are empty. */
function braces(labels: string, extra = ''): string {
  const inner = labels === '' ? extra : extra === '' ? labels : `${labels},${extra}`;
  return inner === '' ? '' : `{${inner}}`;
}

/**
 * Prometheus text exposition format (version 0.0.4): counters and gauges as such, histograms as summaries with
 * the 0.5 / 0.9 / 0.99 quantiles, `_sum` and `_count`. Series of one name with different labels (`labelled()`)
 * share one `# TYPE` line.
 */
export function renderPrometheus(snapshot: MetricsSnapshot): string {
  const lines: string[] = [];
  for (const [n, series] of byName(snapshot.counters)) {
    lines.push(`# TYPE ${n} counter`, ...series.map((s) => `${n}${braces(s.labels)} ${value(s.value)}`));
  }
  for (const [n, series] of byName(snapshot.gauges)) {
    lines.push(`# TYPE ${n} gauge`, ...series.map((s) => `${n}${braces(s.labels)} ${value(s.value)}`));
  }
  for (const [n, series] of byName<HistogramSnapshot>(snapshot.histograms)) {
    lines.push(`# TYPE ${n} summary`);
    for (const { labels, value: h } of series) {
      lines.push(
        `${n}${braces(labels, 'quantile="0.5"')} ${value(h.p50)}`,
        `${n}${braces(labels, 'quantile="0.9"')} ${value(h.p90)}`,
        `${n}${braces(labels, 'quantile="0.99"')} ${value(h.p99)}`,
        `${n}_sum${braces(labels)} ${value(h.sum)}`,
        `${n}_count${braces(labels)} ${value(h.count)}`,
      );
    }
  }
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
