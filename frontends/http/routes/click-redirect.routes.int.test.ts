import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { NoopMetrics, silentLogger, type ActorSystem, type Address } from '../../../core/index.ts';
import { FakeClock } from '../../../core/testing/fake-clock.ts';
import type { CampaignRunMsg, CampaignRunReplies } from '../../../actors/campaigns/campaign-run.messages.ts';
import { clickToken } from '../../../actors/campaigns/click-token.ts';
import { buildHttpApp } from '../app.ts';
import { RateLimiter, publicRateLimit } from '../auth/rate-limit.ts';

/**
 * The click redirect over fastify's inject, against a stand-in for the campaign-run actors (what the redirect asks
 * and tells is the contract): a fixed destination asked once and then served from the node's cache, one that reads
 * contact fields asked per click, HEAD answered but not counted, the public per-address rate limit, and a run that
 * does not answer in time as a short 503 page. The whole path over real HTTP with real actors is
 * frontends/cli/campaign-clicks.int.test.ts.
 */

const KEY = new Uint8Array(32).fill(3);
const RUN_ID = '0123456789abcdef.cmp_AbCdEfGhIjKlMnOp.1';
const FIXED = 'https://shop.example/sale?v=B';

class Runs {
  readonly asked: CampaignRunMsg[] = [];
  readonly told: { to: Address; msg: CampaignRunMsg }[] = [];
  failAsks = false;
  ask(_to: Address, msg: CampaignRunMsg): Promise<CampaignRunReplies['getClickTarget']> {
    this.asked.push(msg);
    if (this.failAsks) return Promise.reject(new Error('ask timed out'));
    if (msg.type !== 'getClickTarget') throw new Error(`unexpected ${msg.type}`);
    return Promise.resolve(
      msg.button === 0
        ? { ok: true, destination: FIXED, isFixed: true }
        : { ok: true, destination: `https://shop.example/cart?r=${msg.recipient}`, isFixed: false },
    );
  }
  tryTell(to: Address, msg: CampaignRunMsg): boolean {
    this.told.push({ to, msg });
    return true;
  }
}

let app: FastifyInstance;
let runs: Runs;
const clock = new FakeClock(Date.UTC(2026, 2, 1, 12, 0, 0));

function start(perAddressPerSec = 100): FastifyInstance {
  runs = new Runs();
  const limiter = new RateLimiter({
    perKeyPerSec: 10,
    perOrgPerSec: 10,
    perAddressPerSec,
    burstSeconds: 1,
    now: () => clock.now(),
  });
  app = buildHttpApp({
    system: runs as unknown as ActorSystem,
    metrics: new NoopMetrics(),
    logger: silentLogger(),
    clickRedirect: {
      system: runs as unknown as ActorSystem,
      keys: [KEY],
      guard: publicRateLimit(limiter),
      now: () => clock.now(),
    },
  });
  return app;
}

afterEach(async () => {
  await app.close();
});

const tokenOf = (recipient: number, button: number) =>
  clickToken(KEY, { runId: RUN_ID, recipient, variant: button === 0 ? 1 : 0, button });

describe('GET /r/:token', () => {
  it('redirects to a fixed destination, asking its run once per node; counts each GET with the click time', async () => {
    start();
    for (const recipient of [4, 4, 9]) {
      const answer = await app.inject({ url: `/r/${tokenOf(recipient, 0)}` });
      expect(answer.statusCode).toBe(302);
      expect(answer.headers['location']).toBe(FIXED);
      expect(answer.headers['cache-control']).toBe('private, no-store');
    }
    expect(runs.asked).toHaveLength(1);
    expect(runs.told).toEqual(
      [4, 4, 9].map((recipient) => ({
        to: { kind: 'campaign-run', id: RUN_ID },
        msg: { type: 'recipientClicked', recipient, button: 0, atMs: clock.now() },
      })),
    );
  });

  it('asks for a destination that reads contact fields on every click; HEAD is answered but not counted', async () => {
    start();
    const get = await app.inject({ url: `/r/${tokenOf(7, 1)}` });
    const head = await app.inject({ method: 'HEAD', url: `/r/${tokenOf(7, 1)}` });
    for (const answer of [get, head]) {
      expect(answer.statusCode).toBe(302);
      expect(answer.headers['location']).toBe('https://shop.example/cart?r=7');
    }
    expect(runs.asked).toEqual([
      { type: 'getClickTarget', recipient: 7, button: 1 },
      { type: 'getClickTarget', recipient: 7, button: 1 },
    ]);
    expect(runs.told.map((t) => t.msg.type)).toEqual(['recipientClicked']);
  });

  it('answers a forged token with a 404 page, asking and counting nothing', async () => {
    start();
    const other = clickToken(new Uint8Array(32).fill(4), { runId: RUN_ID, recipient: 1, variant: 0, button: 0 });
    const answer = await app.inject({ url: `/r/${other}` });
    expect(answer.statusCode).toBe(404);
    expect(answer.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(answer.body).toContain('<h1>Link not found</h1>');
    expect(runs.asked).toEqual([]);
    expect(runs.told).toEqual([]);
  });

  it('is rate-limited per client address like the other public routes', async () => {
    start(2);
    const url = `/r/${tokenOf(1, 0)}`;
    expect((await app.inject({ url })).statusCode).toBe(302);
    expect((await app.inject({ url })).statusCode).toBe(302);
    const limited = await app.inject({ url });
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(runs.told).toHaveLength(2);
    await clock.advance(1_000);
    expect((await app.inject({ url })).statusCode).toBe(302);
  });

  it('answers a short 503 page when the run cannot be asked, and counts nothing', async () => {
    start();
    runs.failAsks = true;
    const answer = await app.inject({ url: `/r/${tokenOf(2, 1)}` });
    expect(answer.statusCode).toBe(503);
    expect(answer.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(answer.body).toBe('This link cannot be opened right now; please try again in a moment.\n');
    expect(runs.told).toEqual([]);
  });
});
