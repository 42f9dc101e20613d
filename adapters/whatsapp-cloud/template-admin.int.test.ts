import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteTemplate, submitTemplate, type TemplateAdminTarget } from './template-admin.ts';
import { startSimulatorServer, type SimulatorServer } from './simulator/server.ts';

/** Template submission and deletion against the simulator's Graph API over real HTTP. */

let server: SimulatorServer;
const TOKEN = 'EAAG-template-admin-test-token';
const WABA = '510000000000001';

beforeAll(async () => {
  server = await startSimulatorServer();
  server.simulator.registerWaba({ wabaId: WABA, appSecret: 'secret-of-the-app', accessToken: TOKEN });
});

afterAll(async () => {
  await server.close();
});

const target = (over: Partial<TemplateAdminTarget> = {}): TemplateAdminTarget => ({
  baseUrl: server.url,
  apiVersion: 'v23.0',
  accessToken: TOKEN,
  wabaId: WABA,
  ...over,
});

const definition = (name: string) => ({
  name,
  language: 'en',
  category: 'UTILITY',
  components: [{ type: 'BODY', text: 'Your order {{1}} shipped.', example: { body_text: [['A-1']] } }],
});

describe('message templates on the Graph API', () => {
  it("submits a template for review and gets Meta's id, status and category", async () => {
    const submitted = await submitTemplate(target(), definition('order_shipped'));
    expect(submitted).toEqual({
      ok: true,
      templateId: expect.stringMatching(/^\d+$/),
      status: 'PENDING',
      category: 'UTILITY',
    });
  });

  it("relays Meta's refusal of a duplicate with its code and subcode", async () => {
    await submitTemplate(target(), definition('twice'));
    expect(await submitTemplate(target(), definition('twice'))).toMatchObject({
      ok: false,
      reason: 'refused',
      code: 100,
      subcode: 2388024,
      detail: expect.stringContaining('already exists'),
    });
  });

  it('classifies a refused token and an unreachable host', async () => {
    expect(await submitTemplate(target({ accessToken: 'not-a-token' }), definition('x'))).toMatchObject({
      ok: false,
      reason: 'credentialsRejected',
    });
    expect(
      await submitTemplate(target({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 2_000 }), definition('y')),
    ).toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it('deletes one template, and is refused for one that is gone', async () => {
    const submitted = await submitTemplate(target(), definition('short_lived'));
    if (!submitted.ok) throw new Error(submitted.detail);
    const ref = { name: 'short_lived', templateId: submitted.templateId };
    expect(await deleteTemplate(target(), ref)).toEqual({ ok: true });
    expect(await deleteTemplate(target(), ref)).toMatchObject({ ok: false, reason: 'refused' });
  });
});
