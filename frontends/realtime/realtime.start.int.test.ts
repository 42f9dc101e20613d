import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { startParlo, type RunningParlo } from '../cli/start.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { CLOSE_CODES } from './gateway.ts';
import { RealtimeTestClient } from './testing/realtime-client.ts';

/**
 * The gateway as `npm start` wires it (the composition root on a temp data dir, the bundled simulator): found
 * through `GET /v1/realtime`, authenticated with the access token of a REST sign-up, fed by real conversations, and
 * showing a customer's message exactly as the REST API does; signing out closes the socket.
 */

const temp = makeTempDir('parlo-realtime-');
let node: RunningParlo;
const api = jsonApi(() => node.httpUrl);
const CUSTOMER = '15557770042';

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    { logger: silentLogger() },
  );
}, 30_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('the realtime gateway in a running node', () => {
  it('is announced by GET /v1/realtime and streams a customer’s message as the REST API shows it', async () => {
    const signup = await api<{ user: { id: string }; tokens: { accessToken: string } }>('POST', '/v1/signup', {
      body: { orgName: 'Realtime', email: 'owner@realtime.test', password: 'correct horse battery staple' },
    });
    expect(signup.status, signup.text).toBe(201);
    const token = signup.json.tokens.accessToken;

    const announced = await api<{ url: string }>('GET', '/v1/realtime', { token });
    expect(announced.status, announced.text).toBe(200);
    expect(announced.json.url).toBe(node.realtimeUrl);
    expect(node.realtimeUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/v1\/realtime$/);
    expect((await api('GET', '/v1/realtime')).status).toBe(401);

    const connected = await api<{ number: { phoneNumberId: string } }>('POST', '/v1/numbers', {
      token,
      body: { mode: 'simulator' },
    });
    expect(connected.status, connected.text).toBe(201);
    const phoneNumberId = connected.json.number.phoneNumberId;

    const client = await RealtimeTestClient.connect(node.realtimeUrl, ['parlo.v1', `parlo.bearer.${token}`]);
    client.send({ type: 'subscribe', scope: 'number', id: phoneNumberId });
    expect((await client.next()).type).toBe('subscribed');
    // The open socket makes its session a device of the operator: online.
    const presence = () => api<{ presence: string }>('GET', `/v1/operators/${signup.json.user.id}`, { token });
    await eventually(presence, (r) => r.json.presence === 'online', 'the operator online');

    node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, { type: 'text', from: CUSTOMER, body: 'Hola' });
    const { frame } = await client.until('event', 15_000);
    const conversationId = `${phoneNumberId}.p${CUSTOMER}`;
    expect(frame).toMatchObject({ event: { type: 'message', conversationId, phoneNumberId } });
    const shown = await api<{ data: unknown[] }>('GET', `/v1/conversations/${conversationId}/messages`, { token });
    expect(shown.status, shown.text).toBe(200);
    expect((frame.event as { message: unknown }).message).toEqual(shown.json.data[0]);

    expect((await api('DELETE', '/v1/sessions/current', { token })).status).toBe(204);
    expect(await client.closed).toEqual({ code: CLOSE_CODES.sessionEnded, reason: 'session ended' });
    // Its last socket closed: the device is gone. (Read with a new session: the old one was signed out.)
    const again = await api<{ tokens: { accessToken: string } }>('POST', '/v1/sessions', {
      body: { email: 'owner@realtime.test', password: 'correct horse battery staple' },
    });
    const operator = () =>
      api<{ presence: string }>('GET', `/v1/operators/${signup.json.user.id}`, {
        token: again.json.tokens.accessToken,
      });
    await eventually(operator, (r) => r.json.presence === 'offline', 'the operator offline');
  });
});
