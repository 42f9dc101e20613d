import { describe, expect, it } from 'vitest';
import type { MessageReceived } from '../../core/ports/channel-events.ts';
import { signatureHeader, verifySignature } from './webhook/signature.ts';
import { parseWebhook } from './webhook/parse.ts';
import { signPayload } from './simulator/webhooks/sign.ts';
import {
  InboundMessageSpec,
  buildInboundMessageValue,
  serializeEnvelope,
  wrapEnvelope,
} from './simulator/webhooks/payloads.ts';

const NUMBER = { wabaId: '1001', phoneNumberId: '1002', displayPhoneNumber: '15550001111' };
const FROM = { from: '15551234567', profileName: 'Ada' };

/** One customer message of every inbound type the simulator can inject, and the Meta `type` it must arrive as. */
const CASES: [string, Record<string, unknown>, string][] = [
  ['text', { type: 'text', body: 'hello' }, 'text'],
  ['image', { type: 'image', mediaId: 'm1', mimeType: 'image/jpeg', caption: 'look' }, 'image'],
  ['video', { type: 'video', mediaId: 'm2', mimeType: 'video/mp4' }, 'video'],
  ['voice note', { type: 'audio', mediaId: 'm3', mimeType: 'audio/ogg; codecs=opus', voice: true }, 'audio'],
  ['document', { type: 'document', mediaId: 'm4', mimeType: 'application/pdf', filename: 'a.pdf' }, 'document'],
  ['sticker', { type: 'sticker', mediaId: 'm5', mimeType: 'image/webp', animated: false }, 'sticker'],
  ['location', { type: 'location', latitude: 45.46, longitude: 9.19, name: 'Duomo' }, 'location'],
  ['contacts', { type: 'contacts', contacts: [{ name: { formattedName: 'Bob Rossi' } }] }, 'contacts'],
  [
    'button reply',
    { type: 'interactive_button_reply', id: 'yes', title: 'Yes', contextMessageId: 'wamid.OUT' },
    'interactive',
  ],
  [
    'list reply',
    { type: 'interactive_list_reply', id: 'r1', title: 'Row', contextMessageId: 'wamid.OUT' },
    'interactive',
  ],
  ['flow reply', { type: 'nfm_reply', responseJson: { ok: true } }, 'interactive'],
  ['template quick reply', { type: 'button', payload: 'STOP', text: 'Stop promotions' }, 'button'],
  ['reaction', { type: 'reaction', messageId: 'wamid.OUT', emoji: '👍' }, 'reaction'],
  [
    'order',
    {
      type: 'order',
      catalogId: 'c1',
      productItems: [{ productRetailerId: 'p1', quantity: 2, itemPrice: 9.5, currency: 'EUR' }],
    },
    'order',
  ],
  ['system', { type: 'system', body: 'User changed number', newWaId: '15559876543' }, 'system'],
  ['unsupported', { type: 'unsupported' }, 'unsupported'],
  [
    'click-to-WhatsApp referral',
    { type: 'text', body: 'From the ad', referral: { sourceUrl: 'https://fb.me/x', sourceId: '1', sourceType: 'ad' } },
    'text',
  ],
  [
    'BSUID user without phone',
    { type: 'text', body: 'hi', fromUserId: 'US.13491208655302741918', username: '@ada', withholdPhone: true },
    'text',
  ],
];

describe('inbound round trip: simulator payload → signed body → adapter parse', () => {
  it.each(CASES)('%s', (_name, partial, messageType) => {
    const spec = InboundMessageSpec.parse({ ...FROM, ...partial });
    const value = buildInboundMessageValue(spec, NUMBER, 'wamid.IN1', 1_795_624_920_000);
    const body = serializeEnvelope(
      wrapEnvelope([{ wabaId: NUMBER.wabaId, field: 'messages', value }], 1_795_624_920_000),
    );
    const raw = Buffer.from(body);
    const signature = signPayload(raw, 'secret');
    expect(signature).toBe(signatureHeader(raw, 'secret'));
    expect(verifySignature(raw, signature, ['secret'])).toBe(true);
    const parsed = parseWebhook(raw);
    if (!parsed.ok) throw new Error(parsed.reason);
    expect(parsed.events).toHaveLength(1);
    const [{ event, dedupeKey }] = parsed.events as [{ event: MessageReceived; dedupeKey: string }];
    expect(dedupeKey).toBe('msg:wamid.IN1');
    expect(event).toMatchObject({
      type: 'messageReceived',
      accountId: '1002',
      businessAccountId: '1001',
      providerMessageId: 'wamid.IN1',
      messageType,
    });
    if ('referral' in partial) expect(event.referral).toMatchObject({ source_type: 'ad', source_id: '1' });
    if ('withholdPhone' in partial) {
      expect(event.from).toBeUndefined();
      expect(event.fromUserId).toBe('US.13491208655302741918');
    } else if (partial['type'] !== 'system') {
      expect(event.from).toBe('15551234567');
    }
  });
});
