import { describe, expect, it } from 'vitest';
import {
  accepted,
  describeRejects,
  lookups,
  long,
  msg,
  patch,
  TO,
  VALID,
  WAMID,
  MEDIA_ID,
  type Reject,
} from './__fixtures__/send-bodies.ts';
import { charCount, validateSendRequest } from './validate-send.ts';

describe('validateSendRequest accepts', () => {
  it.each(Object.entries(VALID).filter(([, body]) => !('interactive' in body) && !('status' in body)))(
    'a valid %s message',
    (_, body) => {
      accepted(body);
    },
  );

  it('a read receipt, with or without a typing indicator', () => {
    expect(validateSendRequest(VALID.markRead, lookups)).toEqual({
      ok: true,
      kind: 'markRead',
      messageId: WAMID,
      typing: false,
    });
    expect(validateSendRequest({ ...VALID.markRead, typing_indicator: { type: 'text' } }, lookups)).toMatchObject({
      kind: 'markRead',
      typing: true,
    });
  });

  it('a text without `type` (Meta defaults it to text) and fills the defaults in the normalized body', () => {
    const result = accepted({ messaging_product: 'whatsapp', to: `+${TO}`, text: { body: 'hi' } });
    expect(result).toMatchObject({ messageType: 'text', recipientType: 'individual', to: `+${TO}` });
    expect(result.body).toMatchObject({ type: 'text', recipient_type: 'individual', to: `+${TO}` });
  });

  it('a numeric `to` (Graph coerces it and echoes the string)', () => {
    expect(accepted({ ...VALID.text, to: 16505551234 }).to).toBe('16505551234');
  });

  it('a business-scoped user id and a group recipient', () => {
    expect(accepted({ ...VALID.text, to: 'US.13491208655302741918' }).recipientKind).toBe('bsuid');
    const group = accepted({ ...VALID.text, recipient_type: 'group', to: 'Y2FwaV9ncm91cDoxNzA1NTU1MDEzOToxMjAz' });
    expect(group).toMatchObject({ recipientType: 'group', recipientKind: 'group' });
  });

  it('context, biz_opaque_callback_data of exactly 512 characters, and reports them', () => {
    const opaque = 'x'.repeat(512);
    const result = accepted({ ...VALID.text, context: { message_id: WAMID }, biz_opaque_callback_data: opaque });
    expect(result).toMatchObject({ contextMessageId: WAMID, bizOpaqueCallbackData: opaque });
  });

  it('limits counted in characters, not UTF-16 units (4096 emoji)', () => {
    const body = '😀'.repeat(4096);
    expect(body.length).toBe(8192);
    expect(charCount(body)).toBe(4096);
    accepted(patch(VALID.text, 'text.body', body));
  });

  it('reaction removal (empty or absent emoji) and multi-code-point emoji', () => {
    accepted(patch(VALID.reaction, 'reaction.emoji', ''));
    accepted(patch(VALID.reaction, 'reaction.emoji', undefined));
    accepted(patch(VALID.reaction, 'reaction.emoji', '👍🏽'));
    accepted(patch(VALID.reaction, 'reaction.emoji', '👨‍👩‍👧'));
  });
});

const REJECTS: Reject[] = [
  // ---- envelope ----
  { name: 'a non-object body', body: 'hello', code: 100, details: 'request: the body must be a JSON object' },
  { name: 'an array body', body: [], code: 100, details: 'request:' },
  {
    name: 'missing messaging_product',
    body: patch(VALID.text, 'messaging_product', undefined),
    code: 100,
    details: 'messaging_product: The parameter messaging_product is required',
    message: '(#100) The parameter messaging_product is required.',
  },
  {
    name: 'messaging_product other than whatsapp',
    body: patch(VALID.text, 'messaging_product', 'sms'),
    code: 100,
    details: 'messaging_product: must be "whatsapp"',
  },
  {
    name: 'an unknown recipient_type',
    body: patch(VALID.text, 'recipient_type', 'broadcast'),
    code: 100,
    details: 'recipient_type: must be one of individual, group',
  },
  {
    name: 'missing to',
    body: patch(VALID.text, 'to', undefined),
    code: 131008,
    details: 'to: Required parameter is missing',
  },
  { name: 'an empty to', body: patch(VALID.text, 'to', ''), code: 131008, details: 'to: Required parameter' },
  { name: 'a non-scalar to', body: patch(VALID.text, 'to', { n: 1 }), code: 100, details: 'to: must be a string' },
  { name: 'letters in to', body: patch(VALID.text, 'to', '1650ABC1234'), code: 131009, details: 'to: "1650ABC1234"' },
  { name: 'a 4-digit to', body: patch(VALID.text, 'to', '+1234'), code: 131009, details: 'to:' },
  { name: 'a 16-digit to', body: patch(VALID.text, 'to', '1234567890123456'), code: 131009, details: 'to:' },
  { name: 'a malformed BSUID', body: patch(VALID.text, 'to', 'us.1234'), code: 131009, details: 'to:' },
  {
    name: 'a group id with spaces',
    body: { ...VALID.text, recipient_type: 'group', to: 'not a group' },
    code: 131009,
    details: 'to: "not a group" is not a valid group id',
  },
  {
    name: 'an unknown type',
    body: msg('carousel', {}),
    code: 100,
    details: 'type: must be one of audio, contacts',
    message:
      '(#100) Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO} - got "carousel".',
  },
  { name: 'an inbound-only type', body: msg('button', { text: 'x' }), code: 131051, details: 'type:' },
  { name: 'a non-string type', body: patch(VALID.text, 'type', 5), code: 100, details: 'type: must be a string' },
  {
    name: 'no object under the type key',
    body: patch(VALID.image, 'image', undefined),
    code: 131008,
    details: 'image: Required',
  },
  {
    name: 'no type and no message object',
    body: { messaging_product: 'whatsapp', to: TO },
    code: 131008,
    details: 'text: Required parameter is missing',
  },
  {
    name: 'a non-object context',
    body: { ...VALID.text, context: 'x' },
    code: 100,
    details: 'context: must be a JSON object',
  },
  {
    name: 'context without message_id',
    body: { ...VALID.text, context: {} },
    code: 131008,
    details: 'context.message_id',
  },
  {
    name: 'a non-string context.message_id',
    body: { ...VALID.text, context: { message_id: 5 } },
    code: 100,
    details: 'context.message_id: must be a string',
  },
  {
    name: 'biz_opaque_callback_data over 512 characters',
    body: { ...VALID.text, biz_opaque_callback_data: long(513) },
    code: 100,
    details: 'biz_opaque_callback_data: must be at most 512 characters',
  },
  {
    name: 'non-string biz_opaque_callback_data',
    body: { ...VALID.text, biz_opaque_callback_data: 42 },
    code: 100,
    details: 'biz_opaque_callback_data: must be a string',
  },
  // ---- read receipt / typing ----
  { name: 'a status other than read', body: { ...VALID.markRead, status: 'delivered' }, code: 100, details: 'status:' },
  {
    name: 'a read receipt without message_id',
    body: patch(VALID.markRead, 'message_id', undefined),
    code: 131008,
    details: 'message_id: Required parameter is missing',
  },
  {
    name: 'a typing indicator of another type',
    body: { ...VALID.markRead, typing_indicator: { type: 'audio' } },
    code: 100,
    details: 'typing_indicator.type: must be one of text',
  },
  {
    name: 'a non-object typing indicator',
    body: { ...VALID.markRead, typing_indicator: 'text' },
    code: 100,
    details: 'typing_indicator: must be a JSON object',
  },
  // ---- text ----
  {
    name: 'text without body',
    body: patch(VALID.text, 'text.body', undefined),
    code: 131008,
    details: 'text.body: Required',
  },
  { name: 'an empty text body', body: patch(VALID.text, 'text.body', ''), code: 131008, details: 'text.body' },
  {
    name: 'a text body over 4096 characters',
    body: patch(VALID.text, 'text.body', long(4097)),
    code: 131009,
    details: 'text.body: must be at most 4096 characters long (got 4097)',
  },
  {
    name: 'a numeric text body',
    body: patch(VALID.text, 'text.body', 7),
    code: 100,
    details: 'text.body: must be a string',
  },
  {
    name: 'a non-boolean preview_url',
    body: patch(VALID.text, 'text.preview_url', 'yes'),
    code: 100,
    details: 'text.preview_url: must be a boolean',
  },
  {
    name: 'an unexpected key in text',
    body: patch(VALID.text, 'text.url', 'x'),
    code: 100,
    details: 'text.url: Unexpected key "url" on param "text"',
    message: '(#100) Unexpected key "url" on param "text".',
  },
  {
    name: 'text as a string',
    body: patch(VALID.text, 'text', 'hello'),
    code: 100,
    details: 'text: must be a JSON object',
  },
  // ---- media ----
  {
    name: 'media without id or link',
    body: msg('image', {}),
    code: 131008,
    details: 'image: either id or link is required',
  },
  {
    name: 'media with both id and link',
    body: msg('image', { id: MEDIA_ID, link: 'https://example.com/a.jpg' }),
    code: 131009,
    details: 'image: provide either id or link, not both',
  },
  {
    name: 'a non-http media link',
    body: patch(VALID.image, 'image.link', 'ftp://example.com/a.jpg'),
    code: 131009,
    details: 'image.link: "ftp://example.com/a.jpg" is not a valid http or https URL',
  },
  {
    name: 'a media link that is not a URL',
    body: patch(VALID.sticker, 'sticker.link', 'sticker.webp'),
    code: 131009,
    details: 'sticker.link:',
  },
  {
    name: 'an unknown media id',
    body: patch(VALID.audio, 'audio.id', '999'),
    code: 131053,
    details: 'audio.id: media id 999 does not exist',
  },
  {
    name: 'a caption over 1024 characters',
    body: patch(VALID.image, 'image.caption', long(1025)),
    code: 131009,
    details: 'image.caption: must be at most 1024 characters',
  },
  {
    name: 'a caption on audio',
    body: patch(VALID.audio, 'audio.caption', 'no'),
    code: 100,
    details: 'audio.caption: Unexpected key "caption" on param "audio"',
    message: '(#100) Unexpected key "caption" on param "audio".',
  },
  {
    name: 'a caption on a sticker',
    body: patch(VALID.sticker, 'sticker.caption', 'no'),
    code: 100,
    details: 'sticker.caption: Unexpected key',
  },
  {
    name: 'a filename on an image',
    body: patch(VALID.image, 'image.filename', 'a.jpg'),
    code: 100,
    details: 'image.filename',
  },
  {
    name: 'a non-string document filename',
    body: patch(VALID.document, 'document.filename', 5),
    code: 100,
    details: 'document.filename: must be a string',
  },
  {
    name: 'a non-boolean voice flag',
    body: patch(VALID.audio, 'audio.voice', 'yes'),
    code: 100,
    details: 'audio.voice',
  },
  // ---- location ----
  {
    name: 'location without latitude',
    body: patch(VALID.location, 'location.latitude', undefined),
    code: 131008,
    details: 'location.latitude: Required',
  },
  {
    name: 'a latitude above 90',
    body: patch(VALID.location, 'location.latitude', 90.5),
    code: 131009,
    details: 'location.latitude: must be between -90 and 90',
  },
  {
    name: 'a longitude below -180',
    body: patch(VALID.location, 'location.longitude', -181),
    code: 131009,
    details: 'location.longitude: must be between -180 and 180',
  },
  {
    name: 'a non-numeric latitude',
    body: patch(VALID.location, 'location.latitude', 'north'),
    code: 100,
    details: 'location.latitude: must be a number',
  },
  // ---- contacts ----
  {
    name: 'an empty contacts array',
    body: msg('contacts', []),
    code: 131009,
    details: 'contacts: must contain at least one',
  },
  { name: 'contacts as an object', body: msg('contacts', {}), code: 100, details: 'contacts: must be an array' },
  { name: 'a contact without name', body: msg('contacts', [{}]), code: 131008, details: 'contacts[0].name: Required' },
  {
    name: 'a contact name without formatted_name',
    body: patch(VALID.contacts, 'contacts[0].name.formatted_name', undefined),
    code: 131008,
    details: 'contacts[0].name.formatted_name',
  },
  {
    name: 'contact phones that are not an array',
    body: patch(VALID.contacts, 'contacts[0].phones', { phone: '+1' }),
    code: 100,
    details: 'contacts[0].phones: must be an array',
  },
  // ---- reaction ----
  {
    name: 'a reaction without message_id',
    body: patch(VALID.reaction, 'reaction.message_id', undefined),
    code: 131008,
    details: 'reaction.message_id',
  },
  {
    name: 'a reaction of two emoji',
    body: patch(VALID.reaction, 'reaction.emoji', '😀😀'),
    code: 131009,
    details: 'reaction.emoji: must be a single emoji',
  },
  {
    name: 'a numeric reaction emoji',
    body: patch(VALID.reaction, 'reaction.emoji', 1),
    code: 100,
    details: 'reaction.emoji',
  },
  {
    name: 'a reaction as a contextual reply',
    body: { ...VALID.reaction, context: { message_id: WAMID } },
    code: 131009,
    details: 'context: a reaction cannot be sent as a contextual reply',
  },
];

describeRejects('validateSendRequest rejects', REJECTS);
