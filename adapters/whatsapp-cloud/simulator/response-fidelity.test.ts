import { META_EXAMPLES_DIR } from '../__fixtures__/meta-examples-dir.ts';
/**
 * Fidelity: what the simulator answers on `POST /{version}/{phone-number-id}/messages` has the key structure of
 * Meta's own examples (`shared/meta-cloud-api/examples/`, extracted from Meta's OpenAPI file). Key sets and value
 * types are compared, not values.
 *
 * Two keys go beyond the examples, each documented by Meta elsewhere and checked here by shape:
 * - `messages[].message_status` on template sends: in the OpenAPI send-response schema (`MessageStatus`, example
 *   `accepted`) and in recorded real template sends (WHATSAPP.md §1.3); none of the 44 response examples has it.
 * - `error.error_data {messaging_product, details}`: Meta's error-codes page ("build logic on code and details",
 *   WHATSAPP.md §1.4) and recorded real errors; the OpenAPI `GraphAPIError` schema and its 110 examples lack it.
 *
 * No HTTP: the simulator's `handleSend` is what the server serialises.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../core/testing/fake-clock.ts';
import { CloudApiSimulator, type SimResponse } from './simulator.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';

/**
 * Meta's examples: the copy in `adapters/whatsapp-cloud/__fixtures__/meta-cloud-api/examples/`.
 */
const EXAMPLES_DIR = META_EXAMPLES_DIR;

function readExample(sub: string, file: string): unknown {
  return JSON.parse(readFileSync(fileURLToPath(new URL(`${sub}/${file}`, EXAMPLES_DIR)), 'utf8')) as unknown;
}

function readExamples(sub: string): { file: string; json: unknown }[] {
  return readdirSync(fileURLToPath(new URL(`${sub}/`, EXAMPLES_DIR)))
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, json: readExample(sub, file) }));
}

/**
 * The structure of a JSON value as `path → type`: `contacts[].wa_id → string`. Array items share the `[]` path
 * (their structures are merged); an empty array contributes only its own entry.
 */
function structureOf(value: unknown, path = '$', out: Record<string, string> = {}): Record<string, string> {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  const seen = out[path];
  if (seen !== undefined && seen !== type) throw new Error(`${path} is both ${seen} and ${type}`);
  out[path] = type;
  if (Array.isArray(value)) {
    for (const item of value) structureOf(item, `${path}[]`, out);
  } else if (type === 'object') {
    for (const [key, item] of Object.entries(value as Record<string, unknown>))
      structureOf(item, `${path}.${key}`, out);
  }
  return out;
}

/** Removes `path` and everything under it from a structure, returning what was removed. */
function extract(structure: Record<string, string>, path: string): Record<string, string> {
  const removed: Record<string, string> = {};
  for (const key of Object.keys(structure)) {
    if (key === path || key.startsWith(`${path}.`) || key.startsWith(`${path}[]`)) {
      removed[key] = structure[key]!;
      delete structure[key];
    }
  }
  return removed;
}

const TOKEN = 'EAAGfidelitytoken';
const WABA_ID = '419561257915477';
const PHONE_NUMBER_ID = '106540352242922';
/** A number with a throughput of 1 msg/s (burst 1), to provoke 130429. */
const SLOW_PHONE_NUMBER_ID = '106540352242923';
const CUSTOMER = '16505551234';
const TEMPLATE = 'order_update';

function setup() {
  const clock = new FakeClock();
  const webhooks = new WebhookDispatcher({ clock, post: async () => 200 });
  const simulator = new CloudApiSimulator({ clock, webhooks, random: () => 0.5 });
  simulator.registerWaba({ wabaId: WABA_ID, appSecret: 'fidelity-secret', accessToken: TOKEN });
  simulator.registerNumber({ phoneNumberId: PHONE_NUMBER_ID, wabaId: WABA_ID, displayPhoneNumber: '15550783881' });
  simulator.registerNumber({
    phoneNumberId: SLOW_PHONE_NUMBER_ID,
    wabaId: WABA_ID,
    displayPhoneNumber: '15550783882',
    throughputMps: 1,
  });
  const created = simulator.templates.create(WABA_ID, {
    name: TEMPLATE,
    language: 'en_US',
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Order {{1}} has shipped', example: { body_text: [['42']] } }],
  });
  if (!created.ok) throw new Error(created.error.message);
  simulator.templates.setStatus(created.body.id, 'APPROVED');
  const inboundId = simulator.injectInbound(PHONE_NUMBER_ID, { type: 'text', from: CUSTOMER, body: 'Hi' }).wamid;

  const post = (body: Record<string, unknown>, phoneNumberId = PHONE_NUMBER_ID, token = TOKEN): SimResponse =>
    simulator.handleSend('v23.0', phoneNumberId, `Bearer ${token}`, { messaging_product: 'whatsapp', ...body });
  const text = { recipient_type: 'individual', to: `+${CUSTOMER}`, type: 'text', text: { body: 'Hello' } };
  const template = (params: number) => ({
    recipient_type: 'individual',
    to: CUSTOMER,
    type: 'template',
    template: {
      name: TEMPLATE,
      language: { code: 'en_US' },
      components: [
        { type: 'body', parameters: Array.from({ length: params }, (_, i) => ({ type: 'text', text: `${i}` })) },
      ],
    },
  });
  return { simulator, inboundId, post, text, template };
}

describe('simulator success responses have the structure of Meta’s examples', () => {
  const responses = readExamples('messages-send/responses');
  const sendExamples = responses.filter((r) => r.file !== '200-send-typing-indicator-and-read-receipt.json');

  it('reads Meta’s 44 send-response examples: 43 sends of one structure and one read receipt', () => {
    expect(responses).toHaveLength(44);
    expect(sendExamples).toHaveLength(43);
    const first = structureOf(sendExamples[0]?.json);
    for (const example of sendExamples) expect(structureOf(example.json), example.file).toEqual(first);
  });

  it.each(['200-send-text-message.json', '200-example-response.json', '200-send-reply-to-text-message.json'])(
    'text send ≡ %s',
    (file) => {
      const { post, text } = setup();
      const response = post(text);
      expect(response.status).toBe(200);
      expect(structureOf(response.body)).toEqual(structureOf(readExample('messages-send/responses', file)));
    },
  );

  it.each(['200-send-message-template-text.json', '200-send-test-message.json'])(
    'template send ≡ %s, plus the documented messages[].message_status',
    (file) => {
      const { post, template } = setup();
      const response = post(template(1));
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      const ours = structureOf(response.body);
      expect(extract(ours, '$.messages[].message_status')).toEqual({ '$.messages[].message_status': 'string' });
      expect(['accepted', 'held_for_quality_assessment', 'paused']).toContain(
        (response.body as { messages: { message_status: string }[] }).messages[0]?.message_status,
      );
      expect(ours).toEqual(structureOf(readExample('messages-send/responses', file)));
    },
  );

  it.each([false, true])(
    'mark-as-read (typing indicator: %s) ≡ 200-send-typing-indicator-and-read-receipt.json',
    (typing) => {
      const { post, inboundId } = setup();
      const response = post({
        status: 'read',
        message_id: inboundId,
        ...(typing ? { typing_indicator: { type: 'text' } } : {}),
      });
      expect(response.status, JSON.stringify(response.body)).toBe(200);
      expect(structureOf(response.body)).toEqual(
        structureOf(readExample('messages-send/responses', '200-send-typing-indicator-and-read-receipt.json')),
      );
    },
  );
});

describe('simulator error bodies have the structure of Meta’s error examples', () => {
  const examples = readExamples('errors');
  const exampleStructures = examples.map((e) => ({ file: e.file, structure: structureOf(e.json) }));
  /** Every key any example uses, with its type: one type per key across all examples. */
  const knownKeys: Record<string, string> = {};
  for (const { structure } of exampleStructures) Object.assign(knownKeys, structure);
  /** Keys every example has. */
  const requiredKeys = Object.keys(knownKeys).filter((key) => exampleStructures.every((e) => key in e.structure));

  it('reads Meta’s 110 error examples, whose keys agree on their types', () => {
    expect(examples).toHaveLength(110);
    for (const { file, structure } of exampleStructures) {
      for (const [key, type] of Object.entries(structure)) expect(type, `${file} ${key}`).toBe(knownKeys[key]);
    }
    expect(requiredKeys.sort()).toEqual(['$', '$.error', '$.error.code', '$.error.message', '$.error.type']);
  });

  const scenarios: { name: string; code: number; respond(t: ReturnType<typeof setup>): SimResponse }[] = [
    {
      name: 'template does not exist',
      code: 132001,
      respond: (t) => t.post({ ...t.template(1), template: { name: 'nope', language: { code: 'en_US' } } }),
    },
    { name: 'template parameter count mismatch', code: 132000, respond: (t) => t.post(t.template(2)) },
    { name: 'required parameter missing', code: 131008, respond: (t) => t.post({ ...t.text, text: {} }) },
    { name: 'unexpected key', code: 100, respond: (t) => t.post({ ...t.text, text: { body: 'x', colour: 'red' } }) },
    {
      name: 'read receipt for an unknown message',
      code: 100,
      respond: (t) => t.post({ status: 'read', message_id: 'wamid.unknown' }),
    },
    {
      name: 'unknown phone-number id (GraphMethodException, subcode 33)',
      code: 100,
      respond: (t) => t.post(t.text, '999999999999999'),
    },
    { name: 'invalid access token', code: 190, respond: (t) => t.post(t.text, PHONE_NUMBER_ID, 'EAAGnotatoken') },
    {
      name: 'throughput reached (is_transient)',
      code: 130429,
      respond: (t) => {
        expect(t.post(t.text, SLOW_PHONE_NUMBER_ID).status).toBe(200);
        return t.post(t.text, SLOW_PHONE_NUMBER_ID);
      },
    },
    {
      name: 'injected server error (is_transient)',
      code: 131000,
      respond: (t) => {
        t.simulator.faults = { ...t.simulator.faults, serverErrorRate: 1 };
        return t.post(t.text);
      },
    },
  ];

  it.each(scenarios)('$name ($code)', ({ code, respond }) => {
    const response = respond(setup());
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect((response.body as { error: { code: number } }).error.code).toBe(code);

    const ours = structureOf(response.body);
    // The documented extension, checked by shape, then set aside.
    const errorData = extract(ours, '$.error.error_data');
    if (Object.keys(errorData).length > 0) {
      expect(errorData).toEqual({
        '$.error.error_data': 'object',
        '$.error.error_data.messaging_product': 'string',
        '$.error.error_data.details': 'string',
      });
    }
    for (const key of requiredKeys) expect(ours, `required ${key}`).toHaveProperty([key], knownKeys[key]);
    for (const [key, type] of Object.entries(ours)) expect(knownKeys[key], `${key} in Meta's examples`).toBe(type);
    // And the whole error is shaped like at least one of Meta's examples.
    const alike = exampleStructures.filter((e) => JSON.stringify(sorted(e.structure)) === JSON.stringify(sorted(ours)));
    expect(alike.length, `an example with keys ${Object.keys(ours).join(', ')}`).toBeGreaterThan(0);
  });
});

function sorted(structure: Record<string, string>): [string, string][] {
  return Object.entries(structure).sort(([a], [b]) => a.localeCompare(b));
}
