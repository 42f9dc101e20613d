import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/index.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { loginActor } from '../../../actors/identity/login.actor.ts';
import { sessionActor } from '../../../actors/identity/session.actor.ts';
import { orgActor } from '../../../actors/org/org.actor.ts';
import { buildHttpApp } from '../app.ts';
import { identityRoutes } from '../routes/identity.routes.ts';
import { createAuthenticate } from './authenticate.ts';
import { RateLimiter, publicRateLimit, withRateLimit } from './rate-limit.ts';

let fixture: RuntimeFixture;
let app: FastifyInstance;
let token: string;

beforeAll(async () => {
  fixture = await startRuntimeFixture({ definitions: [orgActor, loginActor, sessionActor] });
  const limiter = new RateLimiter({
    perKeyPerSec: 1,
    perOrgPerSec: 10,
    perAddressPerSec: 1,
    burstSeconds: 2,
    now: () => fixture.clock.now(),
  });
  app = buildHttpApp({
    system: fixture.system,
    metrics: fixture.metrics,
    logger: silentLogger(),
    api: {
      routes: identityRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
      authenticate: withRateLimit(createAuthenticate(fixture.system), limiter),
      guardPublic: publicRateLimit(limiter),
    },
  });
  const signup = await app.inject({
    method: 'POST',
    url: '/v1/signup',
    payload: { orgName: 'Acme', email: 'ada@acme.test', password: 'correct horse battery staple' },
  });
  token = signup.json<{ tokens: { accessToken: string } }>().tokens.accessToken;
});

afterAll(async () => {
  await app.close();
  await fixture.dispose();
});

describe('rate limits on authenticated routes', () => {
  it('answers 429 PARLO_RATE_LIMITED with Retry-After once the credential’s bucket is empty, and recovers', async () => {
    const me = () => app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${token}` } });
    expect((await me()).statusCode).toBe(200);
    expect((await me()).statusCode).toBe(200);
    const limited = await me();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toMatchObject({
      error: { code: 'PARLO_RATE_LIMITED', details: { retryAfterSeconds: 1, limit: 'credential' } },
    });
    await fixture.clock.advance(1_000);
    expect((await me()).statusCode).toBe(200);
  });

  it('limits public routes per client address, before the body is read', async () => {
    const refresh = (remoteAddress: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/sessions/refresh',
        remoteAddress,
        payload: { refreshToken: 'not-a-token' },
      });
    // Burst of 2 (1/s for 2 s): the handler answers (401), then the address is refused before it runs.
    expect((await refresh('198.51.100.1')).statusCode).toBe(401);
    expect((await refresh('198.51.100.1')).statusCode).toBe(401);
    const limited = await refresh('198.51.100.1');
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('1');
    expect(limited.json()).toMatchObject({
      error: { code: 'PARLO_RATE_LIMITED', details: { retryAfterSeconds: 1, limit: 'address' } },
    });
    // Another address has its own bucket; sign-in, sign-up and invite accept share the address's bucket.
    expect((await refresh('198.51.100.2')).statusCode).toBe(401);
    const signIn = await app.inject({
      method: 'POST',
      url: '/v1/sessions',
      remoteAddress: '198.51.100.1',
      payload: { email: 'ada@acme.test', password: 'wrong' },
    });
    expect(signIn.statusCode).toBe(429);
    await fixture.clock.advance(1_000);
    expect((await refresh('198.51.100.1')).statusCode).toBe(401);
  });
});
