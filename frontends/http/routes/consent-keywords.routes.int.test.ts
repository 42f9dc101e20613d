import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../config/index.ts';
import { silentLogger } from '../../../core/index.ts';
import { makeTempDir } from '../../../core/testing/temp-dir.ts';
import { contactAddress, type ContactReply } from '../../../actors/contacts/contact.messages.ts';
import { startParlo, type RunningParlo } from '../../cli/start.ts';
import { eventually } from '../../../core/testing/eventually.ts';

/**
 * An organisation's own consent keywords on the real composition root with the bundled simulator: a customer's
 * WhatsApp message travels webhook → inbound feed → conversation → contact → the organisation's
 * `consent-keywords` actor and back; an own opt-out word is recorded and confirmed to the customer before a
 * following marketing template is checked (refused `PARLO_NO_CONSENT`), and a disabled default word (STOP) is an
 * ordinary message that leaves the customer subscribed.
 */

const temp = makeTempDir('parlo-consent-keywords-');
let node: RunningParlo;
let token: string;
let phoneNumberId: string;
let orgId: string;
const PASSWORD = 'correct horse battery staple';
const QUIET = '34600222001';
const STOPPER = '34600222002';
const CONFIRMATION = 'De acuerdo: no te enviaremos más promociones. Escribe VOLVER para recibirlas de nuevo.';

interface MessageView {
  id: string;
  direction: string;
  state: string | null;
  content: unknown;
  error: { code: number | string; detail: string } | null;
}

async function api<T>(
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<{ status: number; json: T; text: string }> {
  const response = await request(`${node.httpUrl}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.body.text();
  return { status: response.statusCode, json: JSON.parse(text) as T, text };
}

const messagesOf = async (customer: string) =>
  (await api<{ messages: MessageView[] }>('GET', `/v1/conversations/${phoneNumberId}.p${customer}`)).json.messages ??
  [];

const consentOf = (customer: string) =>
  node.system.ask<ContactReply<'checkConsent'>>(contactAddress(orgId, `p${customer}`), {
    type: 'checkConsent',
    scope: 'marketing',
  });

const marketing = (to: string) => ({
  from: phoneNumberId,
  to,
  category: 'marketing',
  content: { type: 'template', template: { name: 'spring_sale', language: { code: 'es' } } },
});

async function optIn(customer: string): Promise<void> {
  const res = await api('PUT', `/v1/contacts/p${customer}/consent/marketing`, {
    action: 'optIn',
    method: 'form',
    source: 'https://shop.test/signup',
    wording: 'Quiero recibir ofertas',
  });
  expect(res.status, res.text).toBe(200);
}

beforeAll(async () => {
  node = await startParlo(
    loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } }),
    {
      logger: silentLogger(),
    },
  );
  const signup = await api<{ org: { id: string }; tokens: { accessToken: string } }>('POST', '/v1/signup', {
    orgName: 'Zapatería',
    email: 'owner@keywords.test',
    password: PASSWORD,
  });
  expect(signup.status, signup.text).toBe(201);
  token = signup.json.tokens.accessToken;
  orgId = signup.json.org.id;
  const connected = await api<{ number: { phoneNumberId: string } }>('POST', '/v1/numbers', { mode: 'simulator' });
  expect(connected.status, connected.text).toBe(201);
  phoneNumberId = connected.json.number.phoneNumberId;
}, 30_000);

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

describe("an organisation's own consent keywords, end to end", () => {
  it('takes an own opt-out word from the customer, confirms it, and refuses the next marketing template', async () => {
    await optIn(QUIET);
    const put = await api('PUT', '/v1/consent/keywords', {
      optOut: [{ keyword: 'No molestar', language: 'es' }],
      optIn: [{ keyword: 'Volver', language: 'es' }],
      disabledDefaults: ['stop'],
      confirmations: [{ language: 'es', optOut: CONFIRMATION, optIn: null }],
    });
    expect(put.status, put.text).toBe(200);

    const { wamid } = node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, {
      type: 'text',
      from: QUIET,
      body: '¡¡NO MOLESTAR!! 🙏',
    });
    // The confirmation, in the organisation's words, is sent back to the customer through the channel.
    const messages = await eventually(
      () => messagesOf(QUIET),
      (list) => list.some((m) => m.id === `confirm_${wamid}` && m.state === 'accepted'),
      'the opt-out confirmation to be sent',
    );
    expect(messages.find((m) => m.id === `confirm_${wamid}`)).toMatchObject({
      direction: 'out',
      content: { type: 'text', text: { body: CONFIRMATION } },
    });
    expect(
      node.whatsapp.simulator!.simulator.sent.some(
        (s) => s.to === QUIET && s.bizOpaqueCallbackData?.endsWith(`/confirm_${wamid}`),
      ),
    ).toBe(true);

    const check = await api<{ allowed: boolean; status: string }>('GET', `/v1/contacts/p${QUIET}/consent/marketing`);
    expect(check.json).toMatchObject({ allowed: false, status: 'optedOut' });
    const contact = await api<{ consent: { marketing: { evidence: Record<string, unknown>[] } } }>(
      'GET',
      `/v1/contacts/p${QUIET}`,
    );
    expect(contact.json.consent.marketing.evidence[0]).toMatchObject({
      action: 'optOut',
      method: 'keyword',
      keyword: 'no molestar',
      language: 'es',
      messageId: wamid,
      wording: CONFIRMATION,
      recordedBy: { kind: 'customer' },
    });

    const refused = await api<{ error: { code: string } }>('POST', '/v1/messages', marketing(QUIET));
    expect(refused.status, refused.text).toBe(409);
    expect(refused.json.error.code).toBe('PARLO_NO_CONSENT');
  });

  it('treats a disabled default word as an ordinary message: the customer stays subscribed', async () => {
    await optIn(STOPPER);
    const { wamid } = node.whatsapp.simulator!.simulator.injectInbound(phoneNumberId, {
      type: 'text',
      from: STOPPER,
      body: 'STOP',
    });
    await eventually(
      () => messagesOf(STOPPER),
      (list) => list.some((m) => m.id === wamid),
      'the message in the conversation',
    );
    // Classified by the organisation's settings (the contact holds marketing until then): no keyword.
    const consent = await eventually(
      () => consentOf(STOPPER),
      (c) => !c.isKeywordPending,
      'the classification of STOP',
    );
    expect(consent).toMatchObject({ allowed: true, status: 'optedIn' });
    expect((await messagesOf(STOPPER)).some((m) => m.id === `confirm_${wamid}`)).toBe(false);

    // A marketing template passes the consent checks (the API's and the conversation's) and goes to Meta, which
    // does not know this template: refused with Meta's code, not with PARLO_NO_CONSENT.
    const queued = await api<{ messageId: string }>('POST', '/v1/messages', marketing(STOPPER));
    expect(queued.status, queued.text).toBe(202);
    const sent = await eventually(
      () => messagesOf(STOPPER),
      (list) => list.some((m) => m.id === queued.json.messageId && m.state === 'failed'),
      'the template to reach Meta',
    );
    expect(sent.find((m) => m.id === queued.json.messageId)?.error?.code).toBe(132001);
  });
});
