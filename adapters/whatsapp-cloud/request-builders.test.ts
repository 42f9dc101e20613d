import { META_EXAMPLES_DIR } from './__fixtures__/meta-examples-dir.ts';
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { OutboundContent, OutboundContentType, OutboundMessage } from '../../core/ports/channel.port.ts';
import { WHATSAPP_CLOUD_CONTENT_TYPES } from './config.ts';
import { buildReadReceiptBody, buildSendBody, messagesPath } from './request-builders.ts';

/** Meta's send request examples (shared/meta-cloud-api/README.md). */
const REQUESTS_DIR = new URL('messages-send/requests/', META_EXAMPLES_DIR);
const READ_RECEIPT_EXAMPLE = 'send-typing-indicator-and-read-receipt.json';

function load(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(name, REQUESTS_DIR), 'utf8')) as Record<string, unknown>;
}

/** The content type of an example: its `type`, or (where Meta's example omits it) the one content key it has. */
function contentTypeOf(example: Record<string, unknown>): OutboundContentType {
  const keys = WHATSAPP_CLOUD_CONTENT_TYPES.filter((type) => Object.hasOwn(example, type));
  if (keys.length !== 1) throw new Error(`expected one content key, got ${keys.join(', ')}`);
  const [key] = keys;
  if (key === undefined || (example.type !== undefined && example.type !== key)) throw new Error('type mismatch');
  return key;
}

const sendExamples = readdirSync(REQUESTS_DIR)
  .filter((name) => name.endsWith('.json') && name !== READ_RECEIPT_EXAMPLE)
  .sort()
  .map((name) => ({ name, example: load(name) }));

describe("buildSendBody reproduces Meta's example requests", () => {
  it('covers every content type the channel supports', () => {
    const covered = new Set(sendExamples.map(({ example }) => contentTypeOf(example)));
    expect([...covered].sort()).toStrictEqual([...WHATSAPP_CLOUD_CONTENT_TYPES].sort());
    expect(sendExamples.length).toBe(49);
  });

  it.each(sendExamples)('$name', ({ example }) => {
    const type = contentTypeOf(example);
    const context = example.context as { message_id: string } | undefined;
    const message: OutboundMessage = {
      accountId: '106540352242922',
      to: '+16505551234',
      messageKey: 'conv-1/msg-7',
      ...(context === undefined ? {} : { replyToProviderMessageId: context.message_id }),
      content: { type, [type]: example[type] } as unknown as OutboundContent,
    };
    // Meta's example, with our recipient, and the envelope fields we always send (some examples omit `type` and
    // `recipient_type`, which default to text / individual).
    expect(buildSendBody(message)).toStrictEqual({
      ...example,
      to: '+16505551234',
      recipient_type: 'individual',
      type,
      biz_opaque_callback_data: 'conv-1/msg-7',
    });
  });
});

describe('buildSendBody envelope', () => {
  const text: OutboundContent = { type: 'text', text: { body: 'hi', preview_url: false } };

  it('puts the fields in Meta order and omits context when not replying', () => {
    const built = buildSendBody({ accountId: 'PN', to: '16505551234', messageKey: 'k', content: text });
    expect(JSON.stringify(built)).toBe(
      '{"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234","type":"text",' +
        '"text":{"body":"hi","preview_url":false},"biz_opaque_callback_data":"k"}',
    );
  });

  it('adds context.message_id for a reply', () => {
    const built = buildSendBody({
      accountId: 'PN',
      to: 'US.13491208655302741918',
      messageKey: 'k',
      replyToProviderMessageId: 'wamid.PREV',
      content: text,
    });
    expect(built.context).toStrictEqual({ message_id: 'wamid.PREV' });
    expect(built.to).toBe('US.13491208655302741918');
  });

  it('never sends a reaction as a contextual reply (it names its target itself)', () => {
    const built = buildSendBody({
      accountId: 'PN',
      to: '1',
      messageKey: 'k',
      replyToProviderMessageId: 'wamid.PREV',
      content: { type: 'reaction', reaction: { message_id: 'wamid.PREV', emoji: '👍' } },
    });
    expect(built).not.toHaveProperty('context');
    expect(built.reaction).toStrictEqual({ message_id: 'wamid.PREV', emoji: '👍' });
  });

  it('passes the content object through untouched (same values, no added keys)', () => {
    const template = {
      name: 'order_update',
      language: { code: 'en_US', policy: 'deterministic' },
      components: [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Jessica' }] }],
    };
    const built = buildSendBody({ accountId: 'PN', to: '1', messageKey: 'k', content: { type: 'template', template } });
    expect(built.template).toStrictEqual(template);
  });
});

describe('buildReadReceiptBody', () => {
  it("equals Meta's typing indicator + read receipt example when showTyping", () => {
    const example = load(READ_RECEIPT_EXAMPLE);
    const built = buildReadReceiptBody({
      accountId: 'PN',
      providerMessageId: example.message_id as string,
      showTyping: true,
    });
    expect(built).toStrictEqual(example);
  });

  it('is a plain read receipt otherwise', () => {
    expect(buildReadReceiptBody({ accountId: 'PN', providerMessageId: 'wamid.IN' })).toStrictEqual({
      messaging_product: 'whatsapp',
      status: 'read',
      message_id: 'wamid.IN',
    });
    expect(
      buildReadReceiptBody({ accountId: 'PN', providerMessageId: 'wamid.IN', showTyping: false }),
    ).not.toHaveProperty('typing_indicator');
  });
});

describe('messagesPath', () => {
  it('is /{version}/{phone-number-id}/messages, with an optional prefix', () => {
    expect(messagesPath('v23.0', '106540352242922')).toBe('/v23.0/106540352242922/messages');
    expect(messagesPath('v23.0', '1', '/meta')).toBe('/meta/v23.0/1/messages');
  });

  it('escapes an account id that is not a plain number', () => {
    expect(messagesPath('v23.0', '../x?y')).toBe('/v23.0/..%2Fx%3Fy/messages');
  });
});
