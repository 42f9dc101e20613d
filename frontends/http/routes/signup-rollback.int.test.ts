import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineActor, refusal, silentLogger } from '../../../core/index.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { loginActor } from '../../../actors/identity/login.actor.ts';
import { sessionActor } from '../../../actors/identity/session.actor.ts';
import { orgActor } from '../../../actors/org/org.actor.ts';
import type { OrgMsg } from '../../../actors/org/org.messages.ts';
import type { OrgState } from '../../../actors/org/org.state.ts';
import { buildHttpApp } from '../app.ts';
import { createAuthenticate } from '../auth/authenticate.ts';
import { identityRoutes } from './identity.routes.ts';

/**
 * Sign-up registers the login (claiming the email) before it creates the organisation. When the organisation step
 * fails, the login is removed again: the email is not left claimed by a user of no organisation.
 */

/** The real org actor, except that an organisation named "Doomed" cannot be created. */
const flakyOrgActor = defineActor<OrgState, OrgMsg>({
  ...orgActor,
  handle(state, msg, ctx) {
    if (msg.type === 'createOrg' && msg.name === 'Doomed') {
      return { state, reply: refusal('PARLO_ORG_EXISTS', 'organisation id already taken') };
    }
    return orgActor.handle(state, msg, ctx);
  },
});

let fixture: RuntimeFixture;
let app: FastifyInstance;

beforeAll(async () => {
  fixture = await startRuntimeFixture({ definitions: [flakyOrgActor, loginActor, sessionActor] });
  app = buildHttpApp({
    system: fixture.system,
    metrics: fixture.metrics,
    logger: silentLogger(),
    api: { routes: identityRoutes({ system: fixture.system }), authenticate: createAuthenticate(fixture.system) },
  });
});

afterAll(async () => {
  await app.close();
  await fixture.dispose();
});

const signUp = (orgName: string) =>
  app.inject({
    method: 'POST',
    url: '/v1/signup',
    payload: { orgName, email: 'ada@rollback.test', password: 'correct horse battery staple' },
  });

describe('sign-up rollback', () => {
  it('frees the email when the organisation cannot be created, so a second sign-up succeeds', async () => {
    const failed = await signUp('Doomed');
    expect(failed.statusCode).toBe(409);
    expect(failed.json<{ error: { code: string } }>().error.code).toBe('PARLO_ORG_EXISTS');
    // The login's state is gone from LMDB, not only emptied.
    expect(fixture.store.readState('login', 'ada@rollback.test')).toBeUndefined();

    const retried = await signUp('Thriving');
    expect(retried.statusCode, retried.body).toBe(201);
    expect(retried.json<{ user: { email: string } }>().user.email).toBe('ada@rollback.test');
  });
});
