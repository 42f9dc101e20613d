/**
 * The simulator's media routes over HTTP, as Meta's behave (WHATSAPP.md §2.2): injected customer media is served
 * by `GET /{version}/{media-id}` (optionally scoped with `?phone_number_id=`) and its download URL, which answers
 * only with the bearer token of the account that may read the media.
 */
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatorServer, type SimulatorServer } from './server.ts';

const TOKEN = 'EAAGdownloadtesttoken';
const OTHER_TOKEN = 'EAAGotherdownloadtoken';
const WABA = '419561257915477';
const NUMBER = '106540352242922';
const SECOND_NUMBER = '106540352242924';
const OTHER_WABA = '419561257915479';

let sim: SimulatorServer;

beforeAll(async () => {
  sim = await startSimulatorServer();
  sim.simulator.registerWaba({ wabaId: WABA, appSecret: 's1', accessToken: TOKEN });
  sim.simulator.registerNumber({ phoneNumberId: NUMBER, wabaId: WABA, displayPhoneNumber: '15550783881' });
  sim.simulator.registerNumber({ phoneNumberId: SECOND_NUMBER, wabaId: WABA, displayPhoneNumber: '15550783884' });
  sim.simulator.registerWaba({ wabaId: OTHER_WABA, appSecret: 's2', accessToken: OTHER_TOKEN });
});
afterAll(async () => {
  await sim?.close();
});

async function inject(message: Record<string, unknown>) {
  const res = await request(`${sim.url}/_sim/inbound`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ phoneNumberId: NUMBER, message: { from: '16505551234', ...message } }),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

async function describeMedia(mediaId: string, query = '') {
  const res = await request(`${sim.url}/v23.0/${mediaId}${query}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

describe('simulator media over HTTP', () => {
  it('serves an injected image’s download only with the owning account’s bearer token', async () => {
    const jpeg = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.from('photo'),
      Buffer.from([0xff, 0xd9]),
    ]);
    const injected = await inject({ type: 'image', mimeType: 'image/jpeg', data: jpeg.toString('base64') });
    expect(injected.status).toBe(200);
    const mediaId = injected.body['mediaId'] as string;
    const described = await describeMedia(mediaId);
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({
      messaging_product: 'whatsapp',
      id: mediaId,
      mime_type: 'image/jpeg',
      sha256: createHash('sha256').update(jpeg).digest('hex'),
      file_size: jpeg.length,
    });
    const url = described.body['url'] as string;

    const anonymous = await request(url);
    expect(anonymous.statusCode).toBe(401);
    expect(((await anonymous.body.json()) as { error: { code: number } }).error.code).toBe(190);

    const otherAccount = await request(url, { headers: { authorization: `Bearer ${OTHER_TOKEN}` } });
    expect(otherAccount.statusCode).toBe(404);
    await otherAccount.body.dump();

    const owner = await request(url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(owner.statusCode).toBe(200);
    expect(owner.headers['content-type']).toBe('image/jpeg');
    expect(Buffer.from(await owner.body.arrayBuffer()).equals(jpeg)).toBe(true);

    const tampered = await request(url.replace(/token=[^&]+/, 'token=forged'), {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(tampered.statusCode).toBe(404);
    await tampered.body.dump();
  });

  it('describes media only for its own number when phone_number_id is given', async () => {
    const injected = await inject({ type: 'video', mimeType: 'video/mp4' });
    const mediaId = injected.body['mediaId'] as string;
    expect((await describeMedia(mediaId, `?phone_number_id=${NUMBER}`)).status).toBe(200);
    const elsewhere = await describeMedia(mediaId, `?phone_number_id=${SECOND_NUMBER}`);
    expect(elsewhere.status).toBe(400);
    expect(elsewhere.body).toMatchObject({ error: { code: 100 } });
  });

  it('refuses media data that is not base64 or is empty', async () => {
    const notBase64 = await inject({ type: 'image', mimeType: 'image/png', data: 'not base64!' });
    expect(notBase64.status).toBe(400);
    expect(notBase64.body).toMatchObject({ error: { code: 'SIM_INVALID_INPUT' } });
    const empty = await inject({ type: 'image', mimeType: 'image/png', data: '' });
    expect(empty.status).toBeGreaterThanOrEqual(400);
  });
});
