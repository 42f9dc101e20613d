import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { jsonApi } from '../http/testing/json-api.ts';
import { MEDIA_FOLDER } from './media.ts';
import { startParlo, type RunningParlo } from './start.ts';

/**
 * A data subject's erasure end to end on the real composition root (issue #6, 2): a customer imported with consent,
 * sent a campaign (charged in the ledger), who then wrote and sent a photo (stored media). After
 * `POST /v1/contacts/{key}/erase`: no contact, no conversation, no media file; the ledger keeps every amount and
 * the balance but names the customer only by a pseudonym; the campaign keeps the outcome under the pseudonym; the
 * audit log says `dataErased` without the phone number; a second request changes nothing.
 */

const temp = makeTempDir('parlo-erasure-');
let node: RunningParlo;
const api = jsonApi(() => node.httpUrl);
const PASSWORD = 'correct horse battery staple';
const PHONE = '393331112233';
const KEY = `p${PHONE}`;
const OTHER = '393331112244';
const PHOTO = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
  Buffer.from('erasure photo'),
  Buffer.from([0xff, 0xd9]),
]);

let token: string;
let phoneNumberId: string;
let campaignId: string;

interface LedgerPage {
  data: { kind: string; amountMicros: number; conversationId: string | null; reference: string }[];
}

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    {
      logger: silentLogger(),
    },
  );
  const signup = await api<{ tokens: { accessToken: string } }>('POST', '/v1/signup', {
    body: { orgName: 'Erasure', email: 'owner@erasure.test', password: PASSWORD },
  });
  token = signup.json.tokens.accessToken;
  const connected = await api<{ number: { phoneNumberId: string } }>('POST', '/v1/numbers', {
    token,
    body: { mode: 'simulator' },
  });
  phoneNumberId = connected.json.number.phoneNumberId;
  const template = await api<{ id: string }>('POST', '/v1/templates', {
    token,
    body: {
      template: {
        name: 'winter_sale',
        language: 'it',
        category: 'MARKETING',
        components: [{ type: 'BODY', text: 'Saldi invernali: -30% per te.' }],
      },
    },
  });
  await eventually(
    () => api<{ status: string }>('GET', `/v1/templates/${template.json.id}`, { token }),
    (r) => r.json.status === 'APPROVED',
    'the template to be approved',
  );
  const batch = await api<{ failed: number }>('POST', '/v1/contacts/batch', {
    token,
    body: {
      consent: { source: 'shop form' },
      contacts: [
        { phone: `+${PHONE}`, name: 'Mario Bianchi', tags: { set: ['winter'] }, optIn: true },
        { phone: `+${OTHER}`, name: 'Luisa Verdi', tags: { set: ['winter'] }, optIn: true },
      ],
    },
  });
  expect(batch.json.failed).toBe(0);
  const created = await api<{ id: string }>('POST', '/v1/campaigns', {
    token,
    body: {
      name: 'Winter',
      phoneNumberId,
      category: 'marketing',
      variants: [{ template: { name: 'winter_sale', language: 'it' } }],
      audience: { filter: { tags: { any: ['winter'] } } },
      quietHours: null,
    },
  });
  campaignId = created.json.id;
  expect((await api('POST', `/v1/campaigns/${campaignId}/launch`, { token })).status).toBe(200);
  await eventually(
    () => api<LedgerPage>('GET', '/v1/billing/ledger?limit=50', { token }),
    (r) => r.json.data.filter((e) => e.kind === 'charge').length === 2,
    'both campaign messages to be delivered and charged',
  );
  // The customer answers with a photo: stored media.
  node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, {
    type: 'image',
    from: PHONE,
    mimeType: 'image/jpeg',
    data: PHOTO.toString('base64'),
  });
  // And writes, which the inbox's search finds.
  node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, {
    type: 'text',
    from: PHONE,
    body: 'Please forget my data',
  });
  const sha256 = createHash('sha256').update(PHOTO).digest('hex');
  await eventually(
    () => Promise.resolve(existsSync(join(temp.path, MEDIA_FOLDER, sha256.slice(0, 2), sha256))),
    (stored) => stored,
    'the photo to be stored',
  );
  await eventually(
    () => api<{ data: unknown[] }>('GET', '/v1/conversations?q=forget', { token }),
    (r) => r.json.data.length === 1,
    "the customer's text to be searchable",
  );
}, 60_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe('erasing a customer (GDPR art. 17)', () => {
  it('deletes the contact, conversations and media, and pseudonymises the ledger and campaign outcomes', async () => {
    const before = await api<LedgerPage>('GET', '/v1/billing/ledger?limit=50', { token });
    const balanceBefore = (await api<{ balanceMicros: number }>('GET', '/v1/billing/wallet', { token })).json
      .balanceMicros;
    expect(JSON.stringify(before.json)).toContain(PHONE);

    const erased = await api<{
      pseudonym: string;
      contactsErased: number;
      conversationsErased: number;
      messagesErased: number;
      mediaErased: number;
      ledgerRecordsPseudonymised: number;
      campaignRecipientsPseudonymised: number;
    }>('POST', `/v1/contacts/${KEY}/erase`, { token, body: {} });
    expect(erased.status, erased.text).toBe(200);
    expect(erased.json).toMatchObject({
      contactsErased: 1,
      conversationsErased: 1,
      mediaErased: 1,
      campaignRecipientsPseudonymised: 1,
    });
    expect(erased.json.messagesErased).toBeGreaterThanOrEqual(2);
    expect(erased.json.ledgerRecordsPseudonymised).toBeGreaterThanOrEqual(1);
    const pseudonym = erased.json.pseudonym;
    expect(pseudonym).toMatch(/^x[0-9a-f]{32}$/);

    // Nothing held about the customer any more.
    expect((await api('GET', `/v1/contacts/${KEY}`, { token })).status).toBe(404);
    const data = await api<{ error: { code: string } }>('GET', `/v1/contacts/${KEY}/data`, { token });
    expect(data.json.error.code).toBe('PARLO_CONTACT_NOT_FOUND');
    const sha256 = createHash('sha256').update(PHOTO).digest('hex');
    expect(existsSync(join(temp.path, MEDIA_FOLDER, sha256.slice(0, 2), sha256))).toBe(false);
    const search = await api<{ contacts: { key: string }[] }>('POST', '/v1/contacts/search', {
      token,
      body: { filter: {} },
    });
    expect(search.json.contacts.map((c) => c.key)).toEqual([`p${OTHER}`]);
    // Nor does the inbox's search by message text find what they wrote.
    const found = await api<{ data: unknown[] }>('GET', '/v1/conversations?q=forget', { token });
    expect(found.json.data).toEqual([]);
    expect(JSON.stringify(node.store.readItems('message-search', phoneNumberId))).not.toContain('forget');

    // The ledger: the same entries and balance, the customer named by the pseudonym only.
    const after = await api<LedgerPage>('GET', '/v1/billing/ledger?limit=50', { token });
    expect(JSON.stringify(after.json)).not.toContain(PHONE);
    expect(after.json.data.map((e) => [e.kind, e.amountMicros])).toEqual(
      before.json.data.map((e) => [e.kind, e.amountMicros]),
    );
    expect(after.json.data.some((e) => e.conversationId === `${phoneNumberId}.${pseudonym}`)).toBe(true);
    const balanceAfter = (await api<{ balanceMicros: number }>('GET', '/v1/billing/wallet', { token })).json
      .balanceMicros;
    expect(balanceAfter).toBe(balanceBefore);

    // The campaign keeps the outcome, under the pseudonym.
    const recipients = await api<{ recipients: { key: string; outcome: string }[] }>(
      'GET',
      `/v1/campaigns/${campaignId}/runs/1/recipients`,
      { token },
    );
    expect(recipients.json.recipients.map((r) => r.key).sort()).toEqual([`p${OTHER}`, pseudonym].sort());
    expect(JSON.stringify(recipients.json)).not.toContain(PHONE);

    // Audited without the phone number.
    const audit = await api<{ data: { event: string; detail: Record<string, unknown> }[] }>('GET', '/v1/audit', {
      token,
    });
    const entry = audit.json.data.find((e) => e.event === 'dataErased');
    expect(entry?.detail).toMatchObject({ pseudonym });
    expect(JSON.stringify(entry)).not.toContain(PHONE);

    // Idempotent: a repeated request finds nothing more to erase.
    const again = await api<typeof erased.json>('POST', `/v1/contacts/${KEY}/erase`, { token, body: {} });
    expect(again.json).toMatchObject({
      pseudonym,
      contactsErased: 0,
      conversationsErased: 0,
      mediaErased: 0,
      ledgerRecordsPseudonymised: 0,
      campaignRecipientsPseudonymised: 0,
    });
  }, 60_000);
});
