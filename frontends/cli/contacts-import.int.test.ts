import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { importContacts, type ImportProgress } from './contacts-import.ts';
import { startParlo, type RunningParlo } from './start.ts';

/** `parlo contacts import` against a real node: a CSV streamed, mapped, sent in batches; every bad row reported. */

const temp = makeTempDir('parlo-contacts-import-');
let node: RunningParlo;
let apiKey: string;
let token: string;
const api = jsonApi(() => node.httpUrl);

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: join(temp.path, 'data'), http: { port: 0 }, realtime: { port: 0 } } }),
    {
      logger: silentLogger(),
    },
  );
  const signup = await api<{ tokens: { accessToken: string } }>('POST', '/v1/signup', {
    body: { orgName: 'Importer', email: 'owner@import.test', password: 'correct horse battery staple' },
  });
  token = signup.json.tokens.accessToken;
  const key = await api<{ key: string }>('POST', '/v1/api-keys', {
    token,
    body: { name: 'import', scopes: ['contacts:*'] },
  });
  apiKey = key.json.key;
  const fields = await api('PUT', '/v1/contacts/fields', {
    token,
    body: { fields: [{ key: 'tier', label: 'Tier', type: 'enum', options: ['gold', 'silver'] }] },
  });
  expect(fields.status, fields.text).toBe(200);
}, 30_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('contacts import', () => {
  it('imports the good rows in batches and reports every bad one with its line', async () => {
    const file = join(temp.path, 'contacts.csv');
    writeFileSync(
      file,
      [
        'Teléfono;Nombre;Etiquetas;tier;Acepta;Origen',
        '600 00 02 01;Ana;vip|fair;gold;sí;web',
        '600 00 02 02;Bruno;;silver;no;web',
        '12;Nadie;;;;web', // line 4: no phone number
        '600 00 02 04;"Carla; la de ""Madrid""";fair;platinum;;web', // line 5: no such tier
        '',
        '+34 600 00 02 06;Dani;;;yes;tienda', // line 7
        '600 00 02 07;Eva;;gold;;web',
      ].join('\r\n'),
    );
    const seen: ImportProgress[] = [];
    const options = {
      file,
      url: node.httpUrl,
      apiKey,
      mapping: {
        phoneColumn: 'Teléfono',
        defaultCountry: 'ES',
        columns: { name: 'Nombre', tags: 'Etiquetas', optIn: 'Acepta' },
      },
      consent: { source: 'spring-fair.csv' },
    };
    const report = await importContacts({
      ...options,
      batchSize: 2,
      onProgress: (p) => seen.push(p),
    });
    expect(report).toMatchObject({ rowsRead: 6, created: 4, updated: 0, failed: 2, ignoredColumns: ['Origen'] });
    expect(report.errors).toEqual([
      { line: 4, message: expect.stringContaining('phone') },
      { line: 5, message: expect.stringContaining('tier: "platinum"') },
    ]);
    expect(seen.length).toBeGreaterThanOrEqual(2);

    const ana = await api<{
      profile: { name: string; tags: string[]; fields: Record<string, unknown> };
      consent: { marketing: { status: string } };
    }>('GET', '/v1/contacts/p34600000201', { token });
    expect(ana.json.profile).toMatchObject({ name: 'Ana', tags: ['fair', 'vip'], fields: { tier: 'gold' } });
    expect(ana.json.consent.marketing.status).toBe('optedIn');
    const bruno = await api<{ consent: { marketing: { status: string } } }>('GET', '/v1/contacts/p34600000202', {
      token,
    });
    expect(bruno.json.consent.marketing.status).toBe('optedOut');

    // The same file again: nothing new, the same two rows refused.
    const again = await importContacts(options);
    expect(again).toMatchObject({ created: 0, unchanged: 4, failed: 2 });
  });

  it('refuses to start when the header lacks a mapped column or the key cannot write contacts', async () => {
    const file = join(temp.path, 'other.csv');
    writeFileSync(file, 'mobile,name\n+34600000301,Zoe\n');
    await expect(
      importContacts({ file, url: node.httpUrl, apiKey, mapping: { phoneColumn: 'phone', defaultCountry: null } }),
    ).rejects.toThrow('phoneColumn: no column "phone" in the header');
    await expect(
      importContacts({
        file,
        url: node.httpUrl,
        apiKey: 'parlo_0000000000000000.000000000000_nope',
        mapping: { phoneColumn: 'mobile', defaultCountry: null },
      }),
    ).rejects.toThrow(/401 PARLO_API_KEY_INVALID/);
  });
});
