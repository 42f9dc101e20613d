import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPhoneNumberInfo, updateBusinessProfile } from './number-admin.ts';
import { startSimulatorServer, type SimulatorServer } from './simulator/server.ts';

/** The number administration calls against the simulator's Graph API over real HTTP. */

let server: SimulatorServer;
const TOKEN = 'EAAG-number-admin-test-token';
const WABA = '500000000000001';
const NUMBER = '500000000000002';

beforeAll(async () => {
  server = await startSimulatorServer();
  server.simulator.registerWaba({ wabaId: WABA, appSecret: 'secret-of-the-app', accessToken: TOKEN });
  server.simulator.registerNumber({ wabaId: WABA, phoneNumberId: NUMBER, displayPhoneNumber: '15550005555' });
});

afterAll(async () => {
  await server.close();
});

const options = (over: Partial<{ accessToken: string; phoneNumberId: string; baseUrl: string }> = {}) => ({
  baseUrl: server.url,
  apiVersion: 'v23.0',
  accessToken: TOKEN,
  phoneNumberId: NUMBER,
  ...over,
});

describe('number administration on the Graph API', () => {
  it('reads the number with a token that sees it', async () => {
    expect(await fetchPhoneNumberInfo(options())).toEqual({
      ok: true,
      info: {
        displayPhoneNumber: '15550005555',
        verifiedName: null,
        qualityRating: 'GREEN',
        throughputLevel: 'STANDARD',
      },
    });
  });

  it('classifies a refused token, an unknown number and an unreachable host', async () => {
    expect(await fetchPhoneNumberInfo(options({ accessToken: 'not-a-token-of-this-app' }))).toMatchObject({
      ok: false,
      reason: 'credentialsRejected',
      detail: expect.stringContaining('Graph code 190'),
    });
    expect(await fetchPhoneNumberInfo(options({ phoneNumberId: '500000000000099' }))).toMatchObject({
      ok: false,
      reason: 'unknownNumber',
    });
    expect(
      await fetchPhoneNumberInfo({ ...options({ baseUrl: 'http://127.0.0.1:1' }), timeoutMs: 2_000 }),
    ).toMatchObject({ ok: false, reason: 'unreachable' });
  });

  it('sets the business profile, and reports the parameter Meta refuses', async () => {
    const profile = { about: 'Fresh pasta daily', vertical: 'RESTAURANT', websites: ['https://pasta.test'] };
    expect(await updateBusinessProfile({ ...options(), profile })).toEqual({ ok: true });
    expect(server.simulator.businessProfiles.get(NUMBER)).toEqual(profile);
    const refused = await updateBusinessProfile({ ...options(), profile: { about: 'x'.repeat(140) } });
    expect(refused).toMatchObject({ ok: false, reason: 'invalidParameter', detail: expect.stringContaining('about') });
    expect(server.simulator.businessProfiles.get(NUMBER)?.about).toBe('Fresh pasta daily');
  });
});
