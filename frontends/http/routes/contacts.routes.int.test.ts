import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SecretBox,
  defineActor,
  silentLogger,
  type ActorDefinition,
  type WebhookDeliveryRequest,
} from '../../../core/index.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../../core/testing/runtime-fixture.ts';
import { consentKeywordsActor } from '../../../actors/contacts/consent-keywords.actor.ts';
import { contactActor } from '../../../actors/contacts/contact.actor.ts';
import { orgNumbersActor } from '../../../actors/numbers/numbers.actor.ts';
import { contactFieldsActor } from '../../../actors/contacts/contact-fields.actor.ts';
import { contactIndexActor } from '../../../actors/contacts/contact-index.actor.ts';
import { segmentsActor } from '../../../actors/contacts/segments.actor.ts';
import { contactAddress, customerKeyOf, type ContactReply } from '../../../actors/contacts/contact.messages.ts';
import { CONVERSATION_KIND, type ConversationMsg } from '../../../actors/conversation/conversation.messages.ts';
import { OPT_CONFIRMATION_TEXTS } from '../../../actors/contacts/opt-out-keywords.ts';
import { loginActor } from '../../../actors/identity/login.actor.ts';
import { sessionActor } from '../../../actors/identity/session.actor.ts';
import { orgActor } from '../../../actors/org/org.actor.ts';
import { createWebhookDeliveryActor } from '../../../actors/webhooks/webhook-delivery.actor.ts';
import { webhookEndpointsActor } from '../../../actors/webhooks/webhook-endpoints.actor.ts';
import { webhookLogActor } from '../../../actors/webhooks/webhook-log.actor.ts';
import { buildHttpApp } from '../app.ts';
import { createAuthenticate } from '../auth/authenticate.ts';
import { apiKeyRoutes } from './api-keys.routes.ts';
import { contactRoutes } from './contacts.routes.ts';
import { identityRoutes } from './identity.routes.ts';
import { webhookRoutes } from './webhooks.routes.ts';

/**
 * Contacts and consent end to end: the REST API over fastify `inject`, the contact and consent-keywords actors on a
 * real runtime (LMDB in a temp dir, fake clock), the conversation actor's part played by asking `observeInbound` as
 * it will and by a stand-in that records what the contact tells it, and the `contact.opted_out` webhook through the
 * real endpoints and delivery actors to a recording port.
 */

const PASSWORD = 'correct horse battery staple';
const PHONE = '15551234567';
const KEY = `p${PHONE}`;
const NUMBER = '106540352242922';
const BSUID = 'US.13491208655302741918';

let fixture: RuntimeFixture;
let app: FastifyInstance;
const delivered: WebhookDeliveryRequest[] = [];
const box = SecretBox.fromText(SecretBox.generateKeyText());

interface Org {
  readonly orgId: string;
  readonly token: string;
}
let a: Org;
let b: Org;

async function call(method: string, url: string, token: string, body?: unknown): Promise<LightMyRequestResponse> {
  return app.inject({
    method: method as 'GET',
    url: `/v1${url}`,
    headers: { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { payload: body as object }),
  });
}

function errorOf(res: LightMyRequestResponse): { code: string; message: string } {
  return res.json<{ error: { code: string; message: string } }>().error;
}

async function signUp(orgName: string, email: string): Promise<Org> {
  const res = await app.inject({ method: 'POST', url: '/v1/signup', payload: { orgName, email, password: PASSWORD } });
  expect(res.statusCode, res.body).toBe(201);
  const body = res.json<{ org: { id: string }; tokens: { accessToken: string } }>();
  return { orgId: body.org.id, token: body.tokens.accessToken };
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

type Observed = ContactReply<'observeInbound'>;

/** Stands in for the conversation actor: keeps the `inboundObserved` facts the contact tells it (by message id). */
const conversationStandIn: ActorDefinition<
  Record<string, Observed>,
  ConversationMsg | { type: 'getObserved' }
> = defineActor({
  kind: CONVERSATION_KIND,
  stateVersion: 1,
  initialState: () => ({}),
  handle(state, msg) {
    if (msg.type === 'getObserved') return { state, reply: state };
    if (msg.type !== 'inboundObserved') return { state };
    const value = (msg.reply as { value: Observed }).value;
    return { state: { ...state, [msg.callId]: value } };
  },
});

let wamids = 0;
/**
 * What the conversation actor does for each customer message: asks `observeInbound`; a message that could be a
 * keyword is answered "pending", and its keyword (if any) told to the conversation once applied. Answers what the
 * conversation learns either way, after the contact has applied it.
 */
async function observe(
  orgId: string,
  text: string,
  identifiers: { phone?: string; userId?: string } = { phone: PHONE },
): Promise<Observed & { messageId: string }> {
  const key = customerKeyOf(identifiers);
  const messageId = `wamid.HBgL${++wamids}`;
  const reply = await fixture.system.ask<Observed>(contactAddress(orgId, key), {
    type: 'observeInbound',
    atMs: fixture.clock.now(),
    phoneNumberId: NUMBER,
    messageId,
    ...identifiers,
    text,
  });
  if (!reply.isKeywordPending) return { ...reply, messageId };
  // Settled when the contact no longer holds marketing for it: then any keyword was applied and told.
  await eventually(`the classification of ${JSON.stringify(text)}`, async () => {
    const check = await fixture.system.ask<ContactReply<'checkConsent'>>(contactAddress(orgId, key), {
      type: 'checkConsent',
      scope: 'marketing',
    });
    return check.isKeywordPending ? undefined : check;
  });
  const told = await fixture.system.ask<Record<string, Observed>>(
    { kind: CONVERSATION_KIND, id: `${NUMBER}.${key}` },
    { type: 'getObserved' },
  );
  return { ...(told[messageId] ?? { ...reply, isKeywordPending: false }), messageId };
}

const optInBody = {
  action: 'optIn',
  method: 'form',
  source: 'https://shop.example/whatsapp-signup',
  wording: 'Yes, send me offers on WhatsApp',
};

/** The HTTP app over the fixture's current system (built again after a restart). */
function buildApp(): FastifyInstance {
  const routes = [
    ...identityRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
    ...apiKeyRoutes({ system: fixture.system }),
    ...webhookRoutes({
      system: fixture.system,
      secretBox: box,
      targetPolicy: { allowLoopback: false, allowPrivateNetworks: false, allowLinkLocal: false },
    }),
    ...contactRoutes({ system: fixture.system, now: () => fixture.clock.now() }),
  ];
  return buildHttpApp({
    system: fixture.system,
    metrics: fixture.metrics,
    logger: silentLogger(),
    api: { routes, authenticate: createAuthenticate(fixture.system) },
  });
}

beforeAll(async () => {
  fixture = await startRuntimeFixture({
    definitions: [
      orgActor,
      loginActor,
      sessionActor,
      contactActor,
      orgNumbersActor,
      contactFieldsActor,
      contactIndexActor,
      segmentsActor,
      consentKeywordsActor,
      conversationStandIn,
      webhookEndpointsActor,
      createWebhookDeliveryActor(),
      webhookLogActor,
    ],
    ports: {
      'webhooks-out': {
        deliver: (input: unknown) => {
          delivered.push(input as WebhookDeliveryRequest);
          return Promise.resolve({ outcome: 'delivered', status: 200, durationMs: 1 });
        },
      },
    },
  });
  app = buildApp();
  a = await signUp('Contacts A', 'owner-a@contacts.test');
  b = await signUp('Contacts B', 'owner-b@contacts.test');
  const endpoint = await call('POST', '/webhook-endpoints', a.token, {
    url: 'https://hooks.contacts.test/in',
    events: ['contact.opted_out'],
  });
  expect(endpoint.statusCode, endpoint.body).toBe(201);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await fixture?.dispose();
});

describe('contacts and consent over the API', () => {
  it('records consent with its evidence and reads it back', async () => {
    const put = await call('PUT', `/contacts/${KEY}/consent/marketing`, a.token, optInBody);
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({
      recorded: true,
      contact: { key: KEY, phone: PHONE, consent: { marketing: { status: 'optedIn', allowed: true } } },
    });

    const got = await call('GET', `/contacts/${KEY}`, a.token);
    expect(got.statusCode, got.body).toBe(200);
    const contact = got.json<{
      consent: { marketing: { evidence: Record<string, unknown>[] }; utility: { status: string; allowed: boolean } };
    }>();
    expect(contact.consent.marketing.evidence).toEqual([
      {
        id: expect.any(String),
        at: new Date(fixture.clock.now()).toISOString(),
        recordedAt: new Date(fixture.clock.now()).toISOString(),
        action: 'optIn',
        method: 'form',
        source: optInBody.source,
        wording: optInBody.wording,
        recordedBy: { kind: 'user', id: expect.stringMatching(/^usr/) },
        keyword: null,
        language: null,
        messageId: null,
        phoneNumberId: null,
      },
    ]);
    expect(contact.consent.utility).toMatchObject({ status: 'unknown', allowed: true });

    const check = await call('GET', `/contacts/${KEY}/consent/marketing`, a.token);
    expect(check.statusCode, check.body).toBe(200);
    expect(check.json()).toEqual({
      contactKey: KEY,
      scope: 'marketing',
      allowed: true,
      status: 'optedIn',
      since: new Date(fixture.clock.now()).toISOString(),
    });

    // The same PUT again is no new fact.
    const again = await call('PUT', `/contacts/${KEY}/consent/marketing`, a.token, optInBody);
    expect(again.json()).toMatchObject({ recorded: false });
  });

  it('honours STOP from the customer before any later consent check, and tells the webhook endpoint once', async () => {
    await fixture.clock.advance(60_000);
    const reply = await observe(a.orgId, 'Stop!');
    expect(reply).toEqual({
      ok: true,
      keyword: { kind: 'optOut', keyword: 'stop', language: 'en' },
      confirmation: OPT_CONFIRMATION_TEXTS.en.optOut,
      isKeywordPending: false,
      messageId: `wamid.HBgL${wamids}`,
    });
    // The very next check (what the send path does) says no.
    const check = await call('GET', `/contacts/${KEY}/consent/marketing`, a.token);
    expect(check.json()).toMatchObject({ allowed: false, status: 'optedOut' });
    const utility = await call('GET', `/contacts/${KEY}/consent/utility`, a.token);
    expect(utility.json()).toMatchObject({ allowed: true, status: 'unknown' });

    const got = (await call('GET', `/contacts/${KEY}`, a.token)).json<{
      lastSeenAt: string;
      lastPhoneNumberId: string;
      consent: { marketing: { evidence: { method: string; keyword: string | null; recordedBy: { kind: string } }[] } };
    }>();
    expect(got.lastPhoneNumberId).toBe(NUMBER);
    expect(got.consent.marketing.evidence[0]).toMatchObject({
      method: 'keyword',
      keyword: 'stop',
      recordedBy: { kind: 'customer' },
    });

    const event = await eventually('the contact.opted_out delivery', () =>
      delivered.find((d) => d.event.type === 'contact.opted_out' && d.orgId === a.orgId),
    );
    expect(event.event).toMatchObject({
      id: `optout.wamid.HBgL${wamids}`,
      data: { contactId: KEY, waId: PHONE, source: 'keyword', keyword: 'stop', scope: 'marketing' },
    });

    // BAJA while already opted out: confirmed in Spanish, recorded, no second event.
    const baja = await observe(a.orgId, 'BAJA');
    expect(baja.confirmation).toBe(OPT_CONFIRMATION_TEXTS.es.optOut);
    const before = delivered.length;
    await fixture.system.ask(contactAddress(a.orgId, KEY), { type: 'getContact' });
    expect(delivered.filter((d) => d.event.type === 'contact.opted_out')).toHaveLength(1);
    expect(delivered.length).toBe(before);
  });

  it('keeps consent across a restart (real LMDB)', async () => {
    await app.close();
    await fixture.restart();
    app = buildApp();
    const check = await call('GET', `/contacts/${KEY}/consent/marketing`, a.token);
    expect(check.statusCode, check.body).toBe(200);
    expect(check.json()).toMatchObject({ allowed: false, status: 'optedOut' });
    const got = (await call('GET', `/contacts/${KEY}`, a.token)).json<{
      consent: { marketing: { evidence: unknown[] } };
    }>();
    expect(got.consent.marketing.evidence).toHaveLength(3);
  });

  it('answers 404 PARLO_CONTACT_NOT_FOUND for a contact that does not exist', async () => {
    for (const url of ['/contacts/p34600111222', '/contacts/p34600111222/consent/marketing']) {
      const res = await call('GET', url, a.token);
      expect(res.statusCode, url).toBe(404);
      expect(errorOf(res).code).toBe('PARLO_CONTACT_NOT_FOUND');
    }
  });

  it('refuses a malformed key naming the field, and a consent dated in the future', async () => {
    for (const key of ['15551234567', 'p+15551234567', 'p0123', 'uUS/123', 'x1']) {
      const res = await call('GET', `/contacts/${encodeURIComponent(key)}`, a.token);
      expect(res.statusCode, key).toBe(400);
      expect(errorOf(res)).toMatchObject({ code: 'PARLO_VALIDATION_FAILED' });
      expect(errorOf(res).message).toMatch(/^params\.contactKey: expected p followed by an E\.164 number/);
    }
    const badScope = await call('PUT', `/contacts/${KEY}/consent/newsletter`, a.token, optInBody);
    expect(badScope.statusCode).toBe(400);
    expect(errorOf(badScope).message).toMatch(/^params\.scope:/);

    const future = new Date(fixture.clock.now() + 3_600_000).toISOString();
    const res = await call('PUT', `/contacts/${KEY}/consent/marketing`, a.token, { ...optInBody, at: future });
    expect(res.statusCode).toBe(400);
    expect(errorOf(res).message).toBe('body.at: must not be in the future');
    const keyword = await call('PUT', `/contacts/${KEY}/consent/marketing`, a.token, {
      ...optInBody,
      method: 'keyword',
    });
    expect(keyword.statusCode).toBe(400);
    expect(errorOf(keyword).message).toMatch(/^body\.method:/);
  });

  it('re-subscribes with an explicit opt-in, and records an opt-out of everything', async () => {
    await fixture.clock.advance(60_000);
    const put = await call('PUT', `/contacts/${KEY}/consent/marketing`, a.token, optInBody);
    expect(put.json()).toMatchObject({ recorded: true, contact: { consent: { marketing: { status: 'optedIn' } } } });
    await fixture.clock.advance(1_000);
    const all = await call('PUT', `/contacts/${KEY}/consent/all`, a.token, {
      action: 'optOut',
      method: 'api',
      source: 'support ticket 42',
    });
    expect(all.statusCode, all.body).toBe(200);
    expect(all.json()).toMatchObject({
      contact: { consent: { marketing: { status: 'optedOut' }, utility: { status: 'optedOut', allowed: false } } },
    });
  });

  it("keeps organisations apart: B neither sees nor changes A's contact", async () => {
    const read = await call('GET', `/contacts/${KEY}`, b.token);
    expect(read.statusCode).toBe(404);
    expect(errorOf(read).code).toBe('PARLO_CONTACT_NOT_FOUND');
    // B's PUT with the same phone creates B's own contact of that customer.
    const put = await call('PUT', `/contacts/${KEY}/consent/marketing`, b.token, optInBody);
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ contact: { consent: { marketing: { status: 'optedIn' } } } });
    const mine = await call('GET', `/contacts/${KEY}/consent/marketing`, a.token);
    expect(mine.json()).toMatchObject({ allowed: false, status: 'optedOut' });
    const theirs = await call('GET', `/contacts/${KEY}/consent/marketing`, b.token);
    expect(theirs.json()).toMatchObject({ allowed: true, status: 'optedIn' });
  });

  it("carries a username customer's STOP over to their phone record once the phone is known", async () => {
    const phone = '447700900123';
    const uKey = `u${BSUID}`;
    await call('PUT', `/contacts/p${phone}/consent/marketing`, a.token, optInBody);
    // The customer writes with their phone and BSUID: the phone record learns the link.
    await observe(a.orgId, 'hello', { phone, userId: BSUID });
    await eventually('the link on the BSUID record', async () => {
      const reply = await fixture.system.ask<ContactReply<'checkConsent'>>(contactAddress(a.orgId, uKey), {
        type: 'checkConsent',
        scope: 'marketing',
      });
      return reply.status === 'optedIn' ? reply : undefined;
    });
    // Later they write STOP as a username customer (no phone): the BSUID record takes it and passes it on.
    await fixture.clock.advance(1_000);
    const stop = await observe(a.orgId, 'STOP', { userId: BSUID });
    expect(stop.keyword).toMatchObject({ kind: 'optOut' });
    const onPhone = await eventually('the STOP on the phone record', async () => {
      const res = await call('GET', `/contacts/p${phone}/consent/marketing`, a.token);
      const body = res.json<{ status: string; allowed: boolean }>();
      return body.status === 'optedOut' ? body : undefined;
    });
    expect(onPhone.allowed).toBe(false);
    const viaBsuid = (await call('GET', `/contacts/${encodeURIComponent(uKey)}`, a.token)).json<{
      phone: string;
      linkedContactKey: string;
    }>();
    expect(viaBsuid).toMatchObject({ phone, linkedContactKey: `p${phone}` });
  });
});

describe('contact profiles and custom fields over the API', () => {
  const fields = [
    { key: 'tier', label: 'Loyalty tier', type: 'enum', options: ['gold', 'silver'] },
    { key: 'birthday', label: 'Birthday', type: 'date' },
    { key: 'orders', label: 'Orders', type: 'number' },
    { key: 'vip', label: 'VIP', type: 'boolean' },
  ];
  const PROFILE_KEY = 'p34600000077';

  it('defines typed custom fields, refusing every problem by name', async () => {
    const bad = await call('PUT', '/contacts/fields', a.token, {
      fields: [
        { key: 'Tier', label: 'x', type: 'text' },
        { key: 'tags', label: 'Tags', type: 'text' },
        { key: 'level', label: 'Level', type: 'enum', options: [] },
      ],
    });
    expect(bad.statusCode).toBe(400);
    const message = bad.json<{ error: { message: string } }>().error.message;
    expect(message).toContain('fields[0].key');
    expect(message).toContain('fields[1].key: "tags" is a property every contact has');
    expect(message).toContain('fields[2].options');
    const put = await call('PUT', '/contacts/fields', a.token, { fields });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({ fields, updatedAt: expect.any(String) });
    expect((await call('GET', '/contacts/fields', b.token)).json()).toEqual({ fields: [], updatedAt: null });
  });

  it('updates a profile (creating the contact), checking each value against its field, and changes nothing on a refusal', async () => {
    const refused = await call('PATCH', `/contacts/${PROFILE_KEY}`, a.token, {
      name: 'Lucía',
      timeZone: 'Mars/Olympus',
      tags: { add: ['has space'] },
      fields: { tier: 'platinum', birthday: '1990-02-30', orders: '3', nickname: 'Lu' },
    });
    expect(refused.statusCode).toBe(400);
    const details = refused.json<{ error: { details: { path: string }[] } }>().error.details.map((d) => d.path);
    expect(details).toEqual(
      expect.arrayContaining([
        'fields.tier',
        'fields.birthday',
        'fields.orders',
        'fields.nickname',
        'timeZone',
        'tags.add',
      ]),
    );
    expect((await call('GET', `/contacts/${PROFILE_KEY}`, a.token)).statusCode).toBe(404);

    const updated = await call('PATCH', `/contacts/${PROFILE_KEY}`, a.token, {
      name: 'Lucía',
      language: 'es',
      timeZone: 'Europe/Madrid',
      tags: { add: ['VIP', 'newsletter', 'vip'] },
      fields: { tier: 'gold', birthday: '1990-02-28', orders: 3, vip: true },
      notes: 'Prefers mornings',
    });
    expect(updated.statusCode, updated.body).toBe(200);
    expect(updated.json()).toMatchObject({
      key: PROFILE_KEY,
      phone: '34600000077',
      profile: {
        name: 'Lucía',
        language: 'es',
        timeZone: 'Europe/Madrid',
        tags: ['newsletter', 'vip'],
        fields: { tier: 'gold', birthday: '1990-02-28', orders: 3, vip: true },
        notes: 'Prefers mornings',
      },
    });
    const changed = await call('PATCH', `/contacts/${PROFILE_KEY}`, a.token, {
      tags: { remove: ['newsletter'] },
      fields: { orders: null },
      notes: null,
    });
    expect(changed.json()).toMatchObject({
      profile: { tags: ['vip'], fields: { tier: 'gold', birthday: '1990-02-28', vip: true }, notes: null },
    });
    expect(changed.json<{ profile: { fields: object } }>().profile.fields).not.toHaveProperty('orders');
    // Another organisation's PATCH of the same customer is its own contact.
    expect((await call('GET', `/contacts/${PROFILE_KEY}`, b.token)).statusCode).toBe(404);
  });

  it('creates and updates many contacts in one call, each item on its own, with consent evidence', async () => {
    const refused = await call('POST', '/contacts/batch', a.token, {
      contacts: [{ phone: '+34600000101', optIn: true }],
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json<{ error: { message: string } }>().error.message).toContain('consent');

    const res = await call('POST', '/contacts/batch', a.token, {
      defaultCountry: 'ES',
      consent: { source: 'spring-fair.csv', wording: 'Yes, send me offers on WhatsApp' },
      contacts: [
        { phone: '600 00 01 01', name: 'Ana', tags: { add: ['fair'] }, fields: { tier: 'gold' }, optIn: true },
        { phone: '+34 600 000 077', tags: { add: ['fair'] } }, // the contact of the profile test
        { phone: '12', name: 'Nobody' },
        { phone: '600000101', name: 'Ana again' },
        { phone: '600000102', fields: { tier: 'platinum', nickname: 'x' } },
        { phone: '+34600000077' },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      created: number;
      updated: number;
      unchanged: number;
      failed: number;
      results: { index: number; key: string | null; outcome: string; error: { fields: string[] } | null }[];
    }>();
    expect(body).toMatchObject({ created: 1, updated: 1, failed: 4 });
    expect(body.results.map((r) => [r.key, r.outcome])).toEqual([
      ['p34600000101', 'created'],
      ['p34600000077', 'updated'],
      [null, 'failed'],
      ['p34600000101', 'failed'],
      ['p34600000102', 'failed'],
      ['p34600000077', 'failed'],
    ]);
    expect(body.results[4]!.error!.fields).toEqual(['fields.tier', 'fields.nickname']);
    const ana = (await call('GET', '/contacts/p34600000101', a.token)).json<{
      profile: { name: string; tags: string[]; fields: Record<string, unknown> };
      consent: { marketing: { status: string; evidence: { method: string; source: string }[] } };
    }>();
    expect(ana.profile).toMatchObject({ name: 'Ana', tags: ['fair'], fields: { tier: 'gold' } });
    expect(ana.consent.marketing).toMatchObject({
      status: 'optedIn',
      evidence: [{ method: 'import', source: 'spring-fair.csv' }],
    });
    // Nothing was written for the refused items.
    expect((await call('GET', '/contacts/p34600000102', a.token)).statusCode).toBe(404);
  });

  it('finds contacts by tags, custom fields, consent and text, a page at a time', async () => {
    await call('POST', '/contacts/batch', a.token, {
      defaultCountry: 'ES',
      consent: { source: 'search-test' },
      contacts: [
        {
          phone: '600000301',
          name: 'Zoe Gold',
          tags: { add: ['club'] },
          fields: { tier: 'gold', orders: 9 },
          optIn: true,
        },
        { phone: '600000302', name: 'Yago', tags: { add: ['club', 'vip'] }, fields: { tier: 'silver', orders: 2 } },
        { phone: '600000303', name: 'Xavi', tags: { add: ['club'] }, fields: { orders: 5 }, optIn: false },
      ],
    });
    const search = async (filter: object, extra: object = {}) => {
      const res = await call('POST', '/contacts/search', a.token, { filter, ...extra });
      expect(res.statusCode, res.body).toBe(200);
      return res.json<{ contacts: { key: string; name: string }[]; total: number; nextCursor: string | null }>();
    };
    const keys = (r: { contacts: { key: string }[] }) => r.contacts.map((c) => c.key);
    expect(keys(await search({ tags: { any: ['CLUB'], none: ['vip'] } }))).toEqual(['p34600000301', 'p34600000303']);
    expect(keys(await search({ tags: { all: ['club', 'vip'] } }))).toEqual(['p34600000302']);
    expect(keys(await search({ tags: { any: ['club'] }, fields: [{ key: 'orders', op: 'gte', value: 5 }] }))).toEqual([
      'p34600000301',
      'p34600000303',
    ]);
    expect(
      keys(
        await search({
          tags: { any: ['club'] },
          fields: [{ key: 'tier', op: 'in', values: ['gold', 'silver'] }],
          marketing: ['optedIn'],
        }),
      ),
    ).toEqual(['p34600000301']);
    expect(keys(await search({ tags: { any: ['club'] }, fields: [{ key: 'tier', op: 'missing' }] }))).toEqual([
      'p34600000303',
    ]);
    expect(keys(await search({ text: 'yago' }))).toEqual(['p34600000302']);
    const first = await search({ tags: { any: ['club'] } }, { limit: 2 });
    expect(first).toMatchObject({ total: 3, nextCursor: 'p34600000302' });
    const second = await search({ tags: { any: ['club'] } }, { limit: 2, cursor: first.nextCursor });
    expect(keys(second)).toEqual(['p34600000303']);
    expect(second.nextCursor).toBeNull();
    // Another organisation finds none of them.
    const other = await call('POST', '/contacts/search', b.token, { filter: { tags: { any: ['club'] } } });
    expect(other.json()).toMatchObject({ contacts: [], total: 0 });
  });

  it('saves filters as segments that stay current, and lists their contacts', async () => {
    const created = await call('POST', '/segments', a.token, {
      name: 'Club gold',
      filter: { tags: { any: ['club'] }, fields: [{ key: 'tier', op: 'eq', value: 'gold' }] },
    });
    expect(created.statusCode, created.body).toBe(201);
    const segment = created.json<{ id: string; contacts: number; filter: object }>();
    expect(segment).toMatchObject({ name: 'Club gold', contacts: 1 });
    expect(segment.filter).toEqual({ tags: { any: ['club'] }, fields: [{ key: 'tier', op: 'eq', value: 'gold' }] });
    const taken = await call('POST', '/segments', a.token, { name: 'club GOLD', filter: {} });
    expect(taken.json<{ error: { code: string } }>().error.code).toBe('PARLO_SEGMENT_NAME_TAKEN');
    const unknown = await call('POST', '/segments', a.token, { name: 'x', filter: { colour: 'red' } });
    expect(unknown.statusCode).toBe(400);

    // A new gold club member joins the segment without touching it.
    await call('PATCH', '/contacts/p34600000303', a.token, { fields: { tier: 'gold' } });
    expect((await call('GET', `/segments/${segment.id}`, a.token)).json()).toMatchObject({ contacts: 2 });
    const members = await call('POST', `/segments/${segment.id}/contacts`, a.token, { limit: 10 });
    expect(members.json<{ contacts: { key: string }[] }>().contacts.map((c) => c.key)).toEqual([
      'p34600000301',
      'p34600000303',
    ]);

    const renamed = await call('PUT', `/segments/${segment.id}`, a.token, {
      name: 'Engaged lately',
      filter: { lastSeenWithinDays: 30 },
    });
    expect(renamed.json()).toMatchObject({ name: 'Engaged lately' });
    expect((await call('GET', '/segments', a.token)).json<{ segments: unknown[] }>().segments).toHaveLength(1);
    expect((await call('GET', `/segments/${segment.id}`, b.token)).statusCode).toBe(404);
    // Exported as CSV (one column per custom field) or JSON, all contacts or a segment's.
    await call('PUT', `/segments/${segment.id}`, a.token, { name: 'Club', filter: { tags: { any: ['club'] } } });
    const csv = await call('GET', `/contacts/export?format=csv&segment=${segment.id}`, a.token);
    expect(csv.statusCode, csv.body).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe(
      'key,phone,user_id,name,profile_name,language,time_zone,tags,marketing,utility,last_seen_at,created_at,tier,birthday,orders,vip',
    );
    expect(lines.slice(1).map((l) => l.split(',')[0])).toEqual(['p34600000301', 'p34600000302', 'p34600000303']);
    expect(lines[1]).toContain('Zoe Gold,,,,club,optedIn,unknown');
    expect(lines[1]).toMatch(/,gold,,9,$/);
    const json = await call('GET', '/contacts/export?format=json', a.token);
    const all = json.json<{ key: string }[]>();
    expect(all.length).toBeGreaterThanOrEqual(5);
    expect(all.map((c) => c.key)).toEqual([...all.map((c) => c.key)].sort());
    expect((await call('GET', '/contacts/export?segment=seg_nope', a.token)).statusCode).toBe(404);

    expect((await call('DELETE', `/segments/${segment.id}`, a.token)).statusCode).toBe(204);
    expect((await call('GET', `/segments/${segment.id}`, a.token)).statusCode).toBe(404);
  });

  it('hides the value of a field no longer defined, and shows it again when the field comes back', async () => {
    await call('PUT', '/contacts/fields', a.token, { fields: fields.filter((f) => f.key !== 'tier') });
    const hidden = (await call('GET', `/contacts/${PROFILE_KEY}`, a.token)).json<{ profile: { fields: object } }>();
    expect(hidden.profile.fields).toEqual({ birthday: '1990-02-28', vip: true });
    await call('PUT', '/contacts/fields', a.token, { fields });
    const back = (await call('GET', `/contacts/${PROFILE_KEY}`, a.token)).json<{ profile: { fields: object } }>();
    expect(back.profile.fields).toMatchObject({ tier: 'gold' });
  });
});

describe('data subject access', () => {
  it('exports everything held about one customer, audited, for admins only', async () => {
    const res = await call('GET', `/contacts/${KEY}/data`, a.token);
    expect(res.statusCode, res.body).toBe(200);
    const data = res.json<{
      contactKey: string;
      contact: { phone: string; consent: { marketing: { history: unknown[] } } };
      conversations: unknown[];
    }>();
    expect(data.contactKey).toBe(KEY);
    expect(data.contact.phone).toBe(PHONE);
    expect(data.contact.consent.marketing.history.length).toBeGreaterThan(1);
    const audit = await call('GET', '/audit?limit=5', a.token);
    expect(audit.json<{ data: { event: string; detail: Record<string, unknown> }[] }>().data[0]).toMatchObject({
      event: 'dataExported',
      detail: { contactKey: KEY },
    });
    expect((await call('GET', `/contacts/p19990000001/data`, a.token)).statusCode).toBe(404);
    expect((await call('GET', `/contacts/p34600000077/data`, b.token)).statusCode).toBe(404);
  });
});

describe("the organisation's consent keywords over the API", () => {
  const CUSTOMER = '34600111333';
  const CUSTOMER_KEY = `p${CUSTOMER}`;
  const settings = {
    optOut: [{ keyword: 'Silencio', language: 'es' }],
    optIn: [{ keyword: 'Volver', language: 'es' }],
    disabledDefaults: ['stop'],
    confirmations: [{ language: 'es', optOut: 'Vale, no te enviaremos más ofertas.', optIn: null }],
  };

  it('answers the defaults while the organisation changed nothing', async () => {
    const res = await call('GET', '/consent/keywords', a.token);
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<{
      optOut: unknown[];
      updatedAt: string | null;
      defaults: { language: string; optOut: string[]; confirmation: { optOut: string } }[];
    }>();
    expect(body).toMatchObject({ optOut: [], optIn: [], disabledDefaults: [], confirmations: [], updatedAt: null });
    expect(body.defaults.map((d) => d.language)).toEqual(['en', 'es', 'pt', 'it', 'fr', 'de', 'nl']);
    expect(body.defaults.find((d) => d.language === 'fr')).toMatchObject({
      optOut: expect.arrayContaining(['arrêt']),
      confirmation: { optOut: OPT_CONFIRMATION_TEXTS.fr.optOut },
    });
  });

  it.each([
    [
      'a word both opt-out and opt-in',
      { optOut: [{ keyword: 'Silencio', language: 'es' }], optIn: [{ keyword: 'SILENCIO!', language: 'es' }] },
      'PARLO_CONSENT_KEYWORD_CONFLICT',
      /^body\.optIn\[0\]\.keyword: "SILENCIO!" is also an opt-out keyword/,
    ],
    [
      'an opt-in word that is an enabled default opt-out word',
      { optIn: [{ keyword: 'Cancel', language: 'en' }] },
      'PARLO_CONSENT_KEYWORD_CONFLICT',
      /^body\.optIn\[0\]\.keyword: "Cancel" is a default opt-out keyword \(en\); add it to disabledDefaults/,
    ],
    [
      'a disabled word that is no default',
      { disabledDefaults: ['chega'] },
      'PARLO_CONSENT_KEYWORD_INVALID',
      /^body\.disabledDefaults\[0\]: "chega" is not a default keyword/,
    ],
    [
      'a word without letters',
      { optOut: [{ keyword: '🛑🛑', language: 'en' }] },
      'PARLO_CONSENT_KEYWORD_INVALID',
      /^body\.optOut\[0\]\.keyword: has no letters or digits/,
    ],
    [
      'an empty word',
      { optOut: [{ keyword: '  ', language: 'es' }] },
      'PARLO_VALIDATION_FAILED',
      /^body\.optOut\[0\]\.keyword:/,
    ],
    [
      'a word that is too long',
      { optIn: [{ keyword: 'x'.repeat(33), language: 'es' }] },
      'PARLO_VALIDATION_FAILED',
      /^body\.optIn\[0\]\.keyword:/,
    ],
    [
      'a language that is no ISO code',
      { optOut: [{ keyword: 'basta ya', language: 'Spanish' }] },
      'PARLO_VALIDATION_FAILED',
      /^body\.optOut\[0\]\.language: expected a string matching/,
    ],
    [
      'too many words',
      { optOut: Array.from({ length: 101 }, (_, i) => ({ keyword: `word${i}`, language: 'en' })) },
      'PARLO_VALIDATION_FAILED',
      /^body\.optOut:/,
    ],
    ['an unknown field', { keywords: ['x'] }, 'PARLO_VALIDATION_FAILED', /^body\.keywords: is not a known field/],
  ])('refuses %s with 400, naming the field', async (_, body, code, message) => {
    const res = await call('PUT', '/consent/keywords', a.token, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(errorOf(res).code).toBe(code);
    expect(errorOf(res).message).toMatch(message);
  });

  it('replaces the settings and reads them back; another organisation keeps the defaults', async () => {
    await fixture.clock.advance(1_000);
    const put = await call('PUT', '/consent/keywords', a.token, settings);
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json()).toMatchObject({
      ...settings,
      updatedAt: new Date(fixture.clock.now()).toISOString(),
      updatedBy: { kind: 'user', id: expect.stringMatching(/^usr/) },
    });
    const got = await call('GET', '/consent/keywords', a.token);
    expect(got.json()).toMatchObject(settings);
    const theirs = await call('GET', '/consent/keywords', b.token);
    expect(theirs.json()).toMatchObject({ optOut: [], disabledDefaults: [], updatedAt: null });
  });

  it("classifies the customer's messages with the organisation's words", async () => {
    await call('PUT', `/contacts/${CUSTOMER_KEY}/consent/marketing`, a.token, optInBody);
    await fixture.clock.advance(1_000);
    // A disabled default is an ordinary message.
    const stop = await observe(a.orgId, 'STOP', { phone: CUSTOMER });
    expect(stop).toMatchObject({ keyword: null, confirmation: null, isKeywordPending: false });
    const still = await call('GET', `/contacts/${CUSTOMER_KEY}/consent/marketing`, a.token);
    expect(still.json()).toMatchObject({ allowed: true, status: 'optedIn' });

    // The organisation's own word, any case and accents, with its own confirmation.
    const silencio = await observe(a.orgId, '¡¡SILENCIO!!', { phone: CUSTOMER });
    expect(silencio).toMatchObject({
      keyword: { kind: 'optOut', keyword: 'silencio', language: 'es' },
      confirmation: settings.confirmations[0]!.optOut,
    });
    const out = await call('GET', `/contacts/${CUSTOMER_KEY}/consent/marketing`, a.token);
    expect(out.json()).toMatchObject({ allowed: false, status: 'optedOut' });

    await fixture.clock.advance(1_000);
    const volver = await observe(a.orgId, 'Volver', { phone: CUSTOMER });
    expect(volver).toMatchObject({
      keyword: { kind: 'optIn', keyword: 'volver', language: 'es' },
      confirmation: OPT_CONFIRMATION_TEXTS.es.optIn,
    });

    // B has the defaults: STOP opts B's customer out, "silencio" is nothing there.
    await call('PUT', `/contacts/${CUSTOMER_KEY}/consent/marketing`, b.token, optInBody);
    expect(await observe(b.orgId, 'silencio', { phone: CUSTOMER })).toMatchObject({ keyword: null });
    expect(await observe(b.orgId, 'stop', { phone: CUSTOMER })).toMatchObject({ keyword: { kind: 'optOut' } });
  });

  it('keeps the settings across a restart, and a PUT of the same settings changes nothing', async () => {
    await app.close();
    await fixture.restart();
    app = buildApp();
    const before = (await call('GET', '/consent/keywords', a.token)).json<{ updatedAt: string }>();
    expect(before).toMatchObject(settings);
    await fixture.clock.advance(1_000);
    const again = await call('PUT', '/consent/keywords', a.token, settings);
    expect(again.json()).toMatchObject({ updatedAt: before.updatedAt });
    // {} restores the defaults.
    const reset = await call('PUT', '/consent/keywords', a.token, {});
    expect(reset.json()).toMatchObject({ optOut: [], optIn: [], disabledDefaults: [], confirmations: [] });
  });
});
