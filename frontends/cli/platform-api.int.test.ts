import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { startParlo, type RunningParlo } from './start.ts';

/**
 * The platform API as the composition root wires it (`startParlo`, real HTTP, LMDB): Idempotency-Key through the
 * `idempotency` actor, the per-address limit of public routes and the per-credential limit from the `api` settings,
 * and the request metrics on /metrics.
 */

const temp = makeTempDir('parlo-platform-api-');
let node: RunningParlo;

beforeAll(async () => {
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: temp.path,
      http: { port: 0 },
      realtime: { port: 0 },
      api: { ratePerAddressPerSec: 2, ratePerKeyPerSec: 3, rateBurstSeconds: 1 },
    },
  });
  node = await startParlo(config, { logger: silentLogger() });
});

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${node.httpUrl}/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

describe('platform API of a started node', () => {
  it('replays an idempotent sign-up, limits public routes per address and authenticated calls per credential', async () => {
    const signup = { orgName: 'Wired', email: 'ada@wired.test', password: 'correct horse battery staple' };
    const first = await post('/signup', signup, { 'idempotency-key': 'signup-1' });
    expect(first.status).toBe(201);
    const firstBody = await first.text();
    const retry = await post('/signup', signup, { 'idempotency-key': 'signup-1' });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.text()).toBe(firstBody);

    // Public routes share one bucket per address (2/s here): a quick run of refreshes is soon refused.
    const refreshes: Response[] = [];
    for (let i = 0; i < 20; i++) refreshes.push(await post('/sessions/refresh', { refreshToken: 'not-a-token' }));
    const limited = refreshes.find((res) => res.status === 429);
    expect(limited).toBeDefined();
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited?.json()).toMatchObject({
      error: { code: 'PARLO_RATE_LIMITED', details: { limit: 'address' } },
    });

    // Authenticated calls: 3/s per credential here.
    const token = (JSON.parse(firstBody) as { tokens: { accessToken: string } }).tokens.accessToken;
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      statuses.push((await fetch(`${node.httpUrl}/v1/me`, { headers: { authorization: `Bearer ${token}` } })).status);
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses).toContain(429);

    const metrics = await (await fetch(`${node.httpUrl}/metrics`)).text();
    const count = (labels: string): number =>
      Number(new RegExp(`^parlo_http_requests_total\\{${labels}\\} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    expect(count('method="POST",route="/v1/signup",status="201"')).toBe(2);
    expect(count('method="POST",route="/v1/sessions/refresh",status="429"')).toBe(
      refreshes.filter((res) => res.status === 429).length,
    );
    expect(count('method="GET",route="/v1/me",status="200"')).toBe(statuses.filter((s) => s === 200).length);
    expect(metrics).toContain('# TYPE parlo_http_request_duration_ms summary');
  });
});
