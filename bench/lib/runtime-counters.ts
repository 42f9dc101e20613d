import type { Pool } from 'undici';

/** The node's runtime counters (`GET /metrics`): actor turns and LMDB commits so far. */
export async function runtimeCounters(
  parlo: Pool,
): Promise<{ turns: number; commits: number; inCycle: number; turnsByKind: Record<string, number> }> {
  const response = await parlo.request({ method: 'GET', path: '/metrics' });
  const text = await response.body.text();
  const counter = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const turnsByKind: Record<string, number> = {};
  for (const [, kind, value] of text.matchAll(/^parlo_runtime_kind_turns_total\{kind="([^"]+)"\} (\S+)$/gm)) {
    turnsByKind[kind!] = Number(value);
  }
  return {
    turns: counter('parlo_runtime_turns_total'),
    commits: counter('parlo_runtime_commits_total'),
    inCycle: counter('parlo_runtime_in_cycle_deliveries_total') || 0,
    turnsByKind,
  };
}
