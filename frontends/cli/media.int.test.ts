import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type ParloConfig } from '../../config/index.ts';
import { FETCH_MEDIA_OPERATION, silentLogger, type MediaFetchResult } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { MEDIA_FOLDER, openMedia } from './media.ts';
import { startParlo, type RunningParlo } from './start.ts';
import { DEMO_PHONE_NUMBER_ID } from './whatsapp-edge.ts';

/**
 * The media path as the composition root wires it, on an embedded node with the bundled simulator: a customer's
 * photo injected into the simulator is fetched through the `whatsapp-cloud` port's `fetchMedia` (what the
 * conversation actor's `callPort` reaches), kept under `<dataDir>/media`, and served by `GET /v1/media/{mediaRef}`
 * to the organisation the ref was issued to only.
 */

const temp = makeTempDir('parlo-media-node-');
let config: ParloConfig;
let node: RunningParlo;

beforeAll(async () => {
  config = loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } });
  node = await startParlo(config, { logger: silentLogger() });
});

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

async function signUp(orgName: string, email: string): Promise<{ orgId: string; token: string }> {
  const res = await request(`${node.httpUrl}/v1/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orgName, email, password: 'correct horse battery staple' }),
  });
  const body = (await res.body.json()) as { org: { id: string }; tokens: { accessToken: string } };
  expect(res.statusCode).toBe(201);
  return { orgId: body.org.id, token: body.tokens.accessToken };
}

describe('media on an embedded node', () => {
  it('fetches an injected photo through the port into <dataDir>/media and serves it to its organisation only', async () => {
    const photo = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.from('a customer photo'),
      Buffer.from([0xff, 0xd9]),
    ]);
    const { mediaId } = node.whatsapp.simulator!.simulator.injectInbound(DEMO_PHONE_NUMBER_ID, {
      type: 'image',
      from: '15551234567',
      mimeType: 'image/jpeg',
      data: photo.toString('base64'),
    });
    const fetchMedia = node.whatsapp.ports['whatsapp-cloud']?.[FETCH_MEDIA_OPERATION];
    expect(fetchMedia).toBeDefined();
    const result = (await fetchMedia!({
      accountId: DEMO_PHONE_NUMBER_ID,
      mediaId,
      mediaType: 'image',
    })) as MediaFetchResult;
    const sha256 = createHash('sha256').update(photo).digest('hex');
    expect(result).toEqual({ ok: true, ref: sha256, sha256, mimeType: 'image/jpeg', sizeBytes: photo.length });
    const path = join(temp.path, MEDIA_FOLDER, sha256.slice(0, 2), sha256);
    expect(existsSync(path)).toBe(true);
    expect(readFileSync(path).equals(photo)).toBe(true);

    // The refs the node hands out: the same keys, derived again from the node's SecretBox key file.
    const { refs } = await openMedia(config);
    const a = await signUp('Media A', 'media-a@parlo.test');
    const b = await signUp('Media B', 'media-b@parlo.test');
    const refA = refs.issue(a.orgId, sha256);
    const served = await request(`${node.httpUrl}/v1/media/${refA}`, {
      headers: { authorization: `Bearer ${a.token}` },
    });
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-type']).toBe('image/jpeg');
    expect(Buffer.from(await served.body.arrayBuffer()).equals(photo)).toBe(true);
    const asB = await request(`${node.httpUrl}/v1/media/${refA}`, { headers: { authorization: `Bearer ${b.token}` } });
    expect(asB.statusCode).toBe(404);
    expect(((await asB.body.json()) as { error: { code: string } }).error.code).toBe('PARLO_MEDIA_NOT_FOUND');
  });
});
