import { META_EXAMPLES_DIR } from '../../__fixtures__/meta-examples-dir.ts';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  InboundMessageSpec,
  RATE_LIMIT_HIT_ERROR,
  buildAccountUpdateValue,
  buildBusinessCapabilityValue,
  buildErrorsValue,
  buildInboundMessageValue,
  buildPhoneNumberQualityValue,
  buildStatusValue,
  buildTemplateCategoryUpdateValue,
  buildTemplateQualityUpdateValue,
  buildTemplateStatusUpdateValue,
  buildUserPreferencesValue,
  coalesceChanges,
  countUpdates,
  newWamid,
  serializeEnvelope,
  webhookError,
  wrapEnvelope,
  type BusinessNumberRef,
  type StatusUpdate,
  type WebhookChange,
} from './payloads.ts';

/** The business number of Meta's examples. */
const META_NUMBER = { phoneNumberId: '106540352242922', displayPhoneNumber: '15550783881' };
const NUMBER: BusinessNumberRef = { wabaId: '419561257915477', ...META_NUMBER };
const T0 = Date.UTC(2026, 0, 1);

interface Fixture {
  entry: { id: string; changes: { value: { messages: { id: string; timestamp: string }[] } }[] }[];
}

function loadFixture(name: string): Fixture {
  const url = new URL(`webhooks/${name}.json`, META_EXAMPLES_DIR);
  return JSON.parse(readFileSync(url, 'utf8')) as Fixture;
}

/** Rebuilds a Meta example from a spec, taking the WABA id, wamid and timestamp from the example itself. */
function rebuild(name: string, spec: Record<string, unknown>): { built: unknown; expected: Fixture } {
  const expected = loadFixture(name);
  const entry = expected.entry[0]!;
  const message = entry.changes[0]!.value.messages[0]!;
  const parsed = InboundMessageSpec.parse({
    from: '16505551234',
    profileName: 'Sheena Nelson',
    timestampMs: Number(message.timestamp) * 1000,
    ...spec,
  });
  const number = { wabaId: entry.id, ...META_NUMBER };
  const value = buildInboundMessageValue(parsed, number, message.id, T0);
  const built = wrapEnvelope([{ wabaId: entry.id, field: 'messages', value }], T0);
  return { built, expected };
}

/**
 * Each case rebuilds one of Meta's examples. `isOrderExact` also compares key order byte for byte; Meta's plain
 * text example puts `type` before `text`, unlike its CTWA and product-inquiry examples and recorded payloads,
 * which the builder follows.
 */
const CASES: { file: string; isOrderExact: boolean; spec: Record<string, unknown> }[] = [
  { file: 'text-message', isOrderExact: false, spec: { type: 'text', body: 'Does it come in another color?' } },
  {
    file: 'text-message-from-click-to-whatsapp-ad',
    isOrderExact: true,
    spec: {
      type: 'text',
      body: 'Hello! Can I get more info on this?',
      referral: {
        sourceUrl: 'https://fb.me/3cr4Wqqkv',
        sourceId: '120226305854810726',
        sourceType: 'ad',
        body: 'Summer Succulents are here!',
        headline: 'Chat with us',
        mediaType: 'image',
        imageUrl: 'https://scontent.xx.fbcdn.net/v/t45.1...',
        ctwaClid:
          'Aff-n8ZTODiE79d22KtAwQKj9e_mIEOOj27vDVwFjN80dp4_0NiNhEgpGo0AHemvuSoifXaytfTzcchptiErTKCqTrJ5nW1h7IHYeYymGb5K5J5iTROpBhWAGaIAeUzHL50',
        welcomeMessage: 'Hi there! Let us know how we can help!',
      },
    },
  },
  {
    file: 'text-message-with-context-product-inquiry',
    isOrderExact: true,
    spec: {
      type: 'text',
      body: 'Is this still available?',
      contextMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA',
      referredProduct: { catalogId: '194836987003835', productRetailerId: 'di9ozbzfi4' },
    },
  },
  {
    file: 'image-message',
    isOrderExact: true,
    spec: {
      type: 'image',
      mediaId: '1003383421387256',
      mimeType: 'image/jpeg',
      sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
      caption: 'Taj Mahal',
    },
  },
  {
    file: 'location-message',
    isOrderExact: true,
    spec: {
      type: 'location',
      latitude: 37.44221496582,
      longitude: -122.16165924072,
      name: 'Philz Coffee',
      address: '101 Forest Ave, Palo Alto, CA 94301',
      url: 'https://philzcoffee.com/',
    },
  },
  {
    file: 'contact-sharing-message',
    isOrderExact: true,
    spec: {
      type: 'contacts',
      contacts: [
        {
          name: { formattedName: 'Lucía Gómez', firstName: 'Lucía', lastName: 'Gómez' },
          org: { company: 'Google' },
          phones: [{ phone: '+1 (983) 555-2319', waId: '19835552319', type: 'MOBILE' }],
        },
      ],
    },
  },
  {
    file: 'reaction-message',
    isOrderExact: true,
    spec: { type: 'reaction', messageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA', emoji: '👍' },
  },
  {
    file: 'button-message',
    isOrderExact: true,
    spec: {
      type: 'button',
      payload: 'Unsubscribe',
      text: 'Unsubscribe',
      contextMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA',
    },
  },
  {
    file: 'interactive-button-reply-message',
    isOrderExact: true,
    spec: {
      type: 'interactive_button_reply',
      id: 'cancel-button',
      title: 'Cancel',
      contextMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI3MEM2RUJFNkI0RENGQTVDRjUA',
    },
  },
  {
    file: 'interactive-list-reply-message',
    isOrderExact: true,
    spec: {
      type: 'interactive_list_reply',
      id: 'priority_express',
      title: 'Priority Mail Express',
      description: 'Next Day to 2 Days',
      contextMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJGMzEyNzhENTZDMzNGODlDRDgA',
    },
  },
  {
    file: 'order-message',
    isOrderExact: true,
    spec: {
      type: 'order',
      catalogId: '194836987003835',
      productItems: [
        { productRetailerId: 'di9ozbzfi4', quantity: 2, itemPrice: 30, currency: 'USD' },
        { productRetailerId: 'nqryix03ez', quantity: 1, itemPrice: 25, currency: 'USD' },
      ],
    },
  },
  {
    file: 'system-message',
    isOrderExact: true,
    spec: {
      type: 'system',
      body: 'User Sheena Nelson changed from 16505551234 to 12195555358',
      newWaId: '12195555358',
      systemType: 'user_changed_number',
    },
  },
  { file: 'unsupported-message', isOrderExact: true, spec: { type: 'unsupported' } },
];

describe("inbound messages rebuild Meta's webhook examples", () => {
  it.each(CASES)('$file', ({ file, spec, isOrderExact }) => {
    const { built, expected } = rebuild(file, spec);
    expect(built).toStrictEqual(expected);
    if (isOrderExact) expect(JSON.stringify(built)).toBe(JSON.stringify(expected));
  });
});

function firstMessage(spec: InboundMessageSpec, nowMs = T0): Record<string, unknown> {
  return buildInboundMessageValue(spec, NUMBER, 'wamid.X', nowMs).messages![0]!;
}

describe('buildInboundMessageValue', () => {
  it('writes timestamps as strings of unix seconds, from the spec or else from now', () => {
    expect(firstMessage({ type: 'text', from: '16505551234', body: 'hi' }, 1_750_000_000_999)['timestamp']).toBe(
      '1750000000',
    );
    const spec: InboundMessageSpec = { type: 'text', from: '16505551234', body: 'hi', timestampMs: 1_000_500 };
    expect(firstMessage(spec, 1_750_000_000_999)['timestamp']).toBe('1000');
  });

  it('adds the BSUID fields: contacts[].user_id, profile.username, messages[].from_user_id', () => {
    const value = buildInboundMessageValue(
      {
        type: 'text',
        from: '16315551181',
        fromUserId: 'US.13491208655302741918',
        fromParentUserId: 'US.ENT.11815799212886844830',
        profileName: 'test user name',
        username: '@testusername',
        body: 'this is a text message',
      },
      NUMBER,
      'wamid.X',
      T0,
    );
    expect(value.contacts).toStrictEqual([
      {
        profile: { name: 'test user name', username: '@testusername' },
        wa_id: '16315551181',
        user_id: 'US.13491208655302741918',
        parent_user_id: 'US.ENT.11815799212886844830',
      },
    ]);
    const message = value.messages![0]!;
    expect(message['from']).toBe('16315551181');
    expect(message['from_user_id']).toBe('US.13491208655302741918');
    expect(message['from_parent_user_id']).toBe('US.ENT.11815799212886844830');
  });

  it('omits the phone number (wa_id, from) for a username user who withholds it', () => {
    const value = buildInboundMessageValue(
      {
        type: 'text',
        from: '16315551181',
        fromUserId: 'US.13491208655302741918',
        username: '@jane',
        withholdPhone: true,
        body: 'hi',
      },
      NUMBER,
      'wamid.X',
      T0,
    );
    expect(value.contacts).toStrictEqual([{ profile: { username: '@jane' }, user_id: 'US.13491208655302741918' }]);
    expect(value.messages![0]).not.toHaveProperty('from');
    expect(Object.keys(value.messages![0]!)).toEqual(['id', 'timestamp', 'text', 'type', 'from_user_id']);
  });

  it('marks forwarded and frequently forwarded messages in context', () => {
    expect(firstMessage({ type: 'text', from: '1650555', body: 'x', forwarded: true })['context']).toStrictEqual({
      forwarded: true,
    });
    const spec: InboundMessageSpec = { type: 'text', from: '1650555', body: 'x', frequentlyForwarded: true };
    expect(firstMessage(spec)['context']).toStrictEqual({ frequently_forwarded: true });
  });

  it('fills the media fields Meta always sends: sha256, voice, animated', () => {
    const voice = firstMessage({ type: 'audio', from: '1650555', mediaId: '42', mimeType: 'audio/ogg; codecs=opus' });
    expect(voice).toMatchObject({ type: 'audio' });
    expect(Object.keys(voice['audio'] as object)).toEqual(['mime_type', 'sha256', 'id', 'voice']);
    expect(voice['audio']).toMatchObject({
      id: '42',
      voice: false,
      sha256: expect.stringMatching(/^[A-Za-z0-9+/]+=*$/),
    });
    const sticker = firstMessage({
      type: 'sticker',
      from: '1650555',
      mediaId: '7',
      mimeType: 'image/webp',
      animated: true,
    });
    expect(sticker['sticker']).toMatchObject({ id: '7', animated: true });
    const doc = firstMessage({
      type: 'document',
      from: '1650555',
      mediaId: '9',
      mimeType: 'application/pdf',
      filename: 'a.pdf',
      caption: 'c',
    });
    expect(Object.keys(doc['document'] as object)).toEqual(['caption', 'filename', 'mime_type', 'sha256', 'id']);
  });

  it('builds a Flow completion as interactive nfm_reply with response_json as a string', () => {
    const message = firstMessage({
      type: 'nfm_reply',
      from: '1650555',
      responseJson: { flow_token: 't', answer: 1 },
      contextMessageId: 'wamid.BIZ',
    });
    expect(message['context']).toStrictEqual({ from: '15550783881', id: 'wamid.BIZ' });
    expect(message['interactive']).toStrictEqual({
      type: 'nfm_reply',
      nfm_reply: { response_json: '{"flow_token":"t","answer":1}', body: 'Sent', name: 'flow' },
    });
  });

  it('reports an unsupported type with Meta’s 131051 error and the optional unsupported.type', () => {
    const message = firstMessage({ type: 'unsupported', from: '1650555', unsupportedType: 'pool' });
    expect(message['unsupported']).toStrictEqual({ type: 'pool' });
    expect(message['errors']).toStrictEqual([
      {
        code: 131051,
        title: 'Message type unknown',
        message: 'Message type unknown',
        error_data: { details: 'Message type is currently not supported.' },
      },
    ]);
  });
});

describe('InboundMessageSpec', () => {
  it('needs a phone number or a BSUID', () => {
    expect(InboundMessageSpec.safeParse({ type: 'text', body: 'hi' }).success).toBe(false);
    expect(InboundMessageSpec.safeParse({ type: 'text', body: 'hi', fromUserId: 'US.123' }).success).toBe(true);
  });

  it('refuses withholdPhone without a BSUID, and malformed ids', () => {
    expect(
      InboundMessageSpec.safeParse({ type: 'text', body: 'hi', from: '1650555', withholdPhone: true }).success,
    ).toBe(false);
    expect(InboundMessageSpec.safeParse({ type: 'text', body: 'hi', from: '+1 650' }).success).toBe(false);
    expect(InboundMessageSpec.safeParse({ type: 'text', body: 'hi', fromUserId: 'us-123' }).success).toBe(false);
  });

  it('requires the replied-to message for interactive replies and rejects unknown types', () => {
    expect(
      InboundMessageSpec.safeParse({ type: 'interactive_button_reply', from: '1650555', id: 'a', title: 'A' }).success,
    ).toBe(false);
    expect(InboundMessageSpec.safeParse({ type: 'poll', from: '1650555' }).success).toBe(false);
  });

  it('defaults the system message type to user_changed_number', () => {
    const spec = InboundMessageSpec.parse({ type: 'system', from: '1650555', body: 'b', newWaId: '1650556' });
    expect(spec).toMatchObject({ systemType: 'user_changed_number' });
  });
});

describe('buildStatusValue', () => {
  const sent: StatusUpdate = {
    wamid: 'wamid.OUT',
    status: 'sent',
    recipientId: '16505551234',
    timestampMs: 1_750_857_384_000,
    pricing: { billable: true, category: 'marketing', type: 'regular' },
    conversation: {
      id: 'a75d17ad06104c51166f948319b03c6a',
      originType: 'marketing',
      expirationTimestampMs: 1_750_943_820_000,
    },
  };

  it('keeps conversation before v24 and writes the PMP pricing block in recorded order', () => {
    const value = buildStatusValue(NUMBER, { ...sent, bizOpaqueCallbackData: 'key-1' }, 23);
    expect(JSON.stringify(value)).toBe(
      JSON.stringify({
        messaging_product: 'whatsapp',
        metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
        statuses: [
          {
            id: 'wamid.OUT',
            status: 'sent',
            timestamp: '1750857384',
            recipient_id: '16505551234',
            biz_opaque_callback_data: 'key-1',
            conversation: {
              id: 'a75d17ad06104c51166f948319b03c6a',
              expiration_timestamp: '1750943820',
              origin: { type: 'marketing' },
            },
            pricing: { billable: true, pricing_model: 'PMP', type: 'regular', category: 'marketing' },
          },
        ],
      }),
    );
  });

  it('omits conversation from v24 on, except for a free entry point', () => {
    expect(buildStatusValue(NUMBER, sent, 24).statuses![0]).not.toHaveProperty('conversation');
    const free: StatusUpdate = {
      ...sent,
      pricing: { billable: false, category: 'referral_conversion', type: 'free_entry_point' },
      conversation: { id: 'c1', originType: 'referral_conversion' },
    };
    expect(buildStatusValue(NUMBER, free, 25).statuses![0]).toMatchObject({
      conversation: { id: 'c1', origin: { type: 'referral_conversion' } },
      pricing: { billable: false, pricing_model: 'PMP', type: 'free_entry_point', category: 'referral_conversion' },
    });
  });

  it('carries errors on failed statuses and no pricing', () => {
    const error = webhookError(131047, 'Re-engagement message', 'more than 24 hours', 'https://x');
    const value = buildStatusValue(
      NUMBER,
      { wamid: 'wamid.F', status: 'failed', recipientId: '1650555', timestampMs: T0, errors: [error] },
      24,
    );
    expect(value.statuses).toStrictEqual([
      {
        id: 'wamid.F',
        status: 'failed',
        timestamp: String(T0 / 1000),
        recipient_id: '1650555',
        errors: [
          {
            code: 131047,
            title: 'Re-engagement message',
            message: 'Re-engagement message',
            error_data: { details: 'more than 24 hours' },
            href: 'https://x',
          },
        ],
      },
    ]);
  });

  it('adds BSUID fields and a contacts entry after statuses (username on delivered/read only, none on failed)', () => {
    const bsuid = {
      recipientUserId: 'US.13491208655302741918',
      recipientParentUserId: 'US.ENT.11815799212886844830',
      recipientProfileName: 'test user name',
      recipientUsername: '@testusername',
    };
    const delivered = buildStatusValue(NUMBER, { ...sent, ...bsuid, status: 'delivered' }, 25);
    expect(Object.keys(delivered)).toEqual(['messaging_product', 'metadata', 'statuses', 'contacts']);
    expect(delivered.statuses![0]).toMatchObject({
      recipient_user_id: 'US.13491208655302741918',
      parent_recipient_user_id: 'US.ENT.11815799212886844830',
    });
    expect(delivered.contacts).toStrictEqual([
      {
        profile: { name: 'test user name', username: '@testusername' },
        wa_id: '16505551234',
        user_id: 'US.13491208655302741918',
        parent_user_id: 'US.ENT.11815799212886844830',
      },
    ]);
    expect(buildStatusValue(NUMBER, { ...sent, ...bsuid }, 25).contacts![0]!.profile).toStrictEqual({
      name: 'test user name',
    });
    const failed = buildStatusValue(NUMBER, { ...sent, ...bsuid, status: 'failed' }, 25);
    expect(failed).not.toHaveProperty('contacts');
  });
});

describe('other webhook fields', () => {
  it('message_template_status_update', () => {
    expect(
      buildTemplateStatusUpdateValue({
        event: 'APPROVED',
        templateId: '1689556908129832',
        templateName: 'order_confirmation',
        language: 'en-US',
        category: 'UTILITY',
      }),
    ).toStrictEqual({
      event: 'APPROVED',
      message_template_id: 1689556908129832,
      message_template_name: 'order_confirmation',
      message_template_language: 'en-US',
      reason: 'NONE',
      message_template_category: 'UTILITY',
    });
    const paused = buildTemplateStatusUpdateValue({
      event: 'PAUSED',
      templateId: 5,
      templateName: 't',
      language: 'en',
      reason: null,
      otherInfo: { title: 'FIRST_PAUSE', description: 'paused for 3 hours' },
    });
    expect(paused).toStrictEqual({
      event: 'PAUSED',
      message_template_id: 5,
      message_template_name: 't',
      message_template_language: 'en',
      reason: null,
      other_info: { title: 'FIRST_PAUSE', description: 'paused for 3 hours' },
    });
  });

  it('message_template_quality_update and template_category_update', () => {
    const quality = buildTemplateQualityUpdateValue({
      templateId: '806312974732579',
      templateName: 'welcome_template',
      language: 'en-US',
      previousQualityScore: 'GREEN',
      newQualityScore: 'YELLOW',
    });
    expect(JSON.stringify(quality)).toBe(
      '{"previous_quality_score":"GREEN","new_quality_score":"YELLOW","message_template_id":806312974732579,' +
        '"message_template_name":"welcome_template","message_template_language":"en-US"}',
    );
    expect(
      buildTemplateCategoryUpdateValue({
        templateId: '12345678',
        templateName: 'my_message_template',
        language: 'he',
        previousCategory: 'UTILITY',
        newCategory: 'MARKETING',
      }),
    ).toStrictEqual({
      message_template_id: 12345678,
      message_template_name: 'my_message_template',
      message_template_language: 'he',
      previous_category: 'UTILITY',
      new_category: 'MARKETING',
    });
  });

  it('phone_number_quality_update, account_update, business_capability_update', () => {
    expect(
      buildPhoneNumberQualityValue({
        displayPhoneNumber: '15550783881',
        event: 'THROUGHPUT_UPGRADE',
        currentLimit: 'TIER_UNLIMITED',
      }),
    ).toStrictEqual({
      display_phone_number: '15550783881',
      event: 'THROUGHPUT_UPGRADE',
      current_limit: 'TIER_UNLIMITED',
    });
    expect(
      buildAccountUpdateValue('ACCOUNT_RESTRICTION', {
        restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: 1641330498 }],
      }),
    ).toStrictEqual({
      event: 'ACCOUNT_RESTRICTION',
      restriction_info: [{ restriction_type: 'RESTRICTED_BIZ_INITIATED_MESSAGING', expiration: 1641330498 }],
    });
    expect(
      buildBusinessCapabilityValue({ maxDailyConversationsPerBusiness: 'TIER_2K', maxPhoneNumbersPerBusiness: 2 }),
    ).toStrictEqual({ max_daily_conversations_per_business: 'TIER_2K', max_phone_numbers_per_business: 2 });
  });

  it('user_preferences carries an integer timestamp', () => {
    expect(
      buildUserPreferencesValue(NUMBER, { waId: '16505551234', value: 'resume', timestampMs: 1_731_705_721_000 }),
    ).toStrictEqual({
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
      contacts: [{ wa_id: '16505551234' }],
      user_preferences: [
        {
          wa_id: '16505551234',
          detail: 'User requested to resume marketing messages',
          category: 'marketing_messages',
          value: 'resume',
          timestamp: 1731705721,
        },
      ],
    });
  });

  it('value-level errors (130429)', () => {
    expect(buildErrorsValue(NUMBER, [RATE_LIMIT_HIT_ERROR])).toStrictEqual({
      messaging_product: 'whatsapp',
      metadata: { display_phone_number: '15550783881', phone_number_id: '106540352242922' },
      errors: [
        {
          code: 130429,
          title: 'Rate limit hit',
          message: 'Rate limit hit',
          error_data: {
            details:
              'Message failed to send because there were too many messages sent from this phone number in a short period of time',
          },
          href: '/documentation/business-messaging/whatsapp/support/error-codes',
        },
      ],
    });
  });
});

describe('wrapEnvelope', () => {
  const status = (wamid: string, number = NUMBER): WebhookChange => ({
    wabaId: number.wabaId,
    field: 'messages',
    value: buildStatusValue(number, { wamid, status: 'read', recipientId: '1650555', timestampMs: T0 }, 24),
  });
  const template: WebhookChange = {
    wabaId: NUMBER.wabaId,
    field: 'message_template_status_update',
    value: buildTemplateStatusUpdateValue({ event: 'APPROVED', templateId: 1, templateName: 't', language: 'en' }),
  };

  it('groups changes by WABA; only account-level entries carry time', () => {
    const other = { ...NUMBER, wabaId: '999' };
    const envelope = wrapEnvelope([status('a'), template, status('b', other), status('c')], 1_750_000_000_500);
    expect(envelope.object).toBe('whatsapp_business_account');
    expect(envelope.entry.map((e) => [e.id, e.time, e.changes.map((c) => c.field)])).toEqual([
      [NUMBER.wabaId, undefined, ['messages', 'messages']],
      [NUMBER.wabaId, 1_750_000_000, ['message_template_status_update']],
      ['999', undefined, ['messages']],
    ]);
    expect(Object.keys(envelope.entry[1]!)).toEqual(['id', 'time', 'changes']);
    expect(Object.keys(envelope.entry[0]!.changes[0]!)).toEqual(['value', 'field']);
  });

  it('coalesces statuses of one number into one value and counts updates', () => {
    const second = { ...NUMBER, phoneNumberId: '2', displayPhoneNumber: '15550000002' };
    const input = [status('a'), status('b'), template, status('c', second), status('d')];
    const merged = coalesceChanges(input);
    expect(merged).toHaveLength(3);
    const statuses = (merged[0]!.value as { statuses: { id: string }[] }).statuses;
    expect(statuses.map((s) => s.id)).toEqual(['a', 'b', 'd']);
    expect(merged.map(countUpdates)).toEqual([3, 1, 1]);
    // inputs untouched
    expect((input[0]!.value as { statuses: unknown[] }).statuses).toHaveLength(1);
  });

  it('does not merge inbound messages with statuses, and de-duplicates contacts', () => {
    const inbound = (body: string): WebhookChange => ({
      wabaId: NUMBER.wabaId,
      field: 'messages',
      value: buildInboundMessageValue({ type: 'text', from: '1650555', profileName: 'A', body }, NUMBER, body, T0),
    });
    const merged = coalesceChanges([inbound('m1'), status('s1'), inbound('m2')]);
    expect(merged).toHaveLength(2);
    expect(merged[0]!.value).toMatchObject({
      contacts: [{ profile: { name: 'A' }, wa_id: '1650555' }],
      messages: [{ id: 'm1' }, { id: 'm2' }],
    });
    expect((merged[0]!.value as { contacts: unknown[] }).contacts).toHaveLength(1);
  });
});

describe('serializeEnvelope', () => {
  it('escapes non-ASCII as \\uXXXX (surrogate pairs for emoji) and still parses back', () => {
    const envelope = wrapEnvelope(
      [
        {
          wabaId: '1',
          field: 'messages',
          value: buildInboundMessageValue(
            { type: 'reaction', from: '1650555', messageId: 'wamid.Y', emoji: '😮' },
            NUMBER,
            'wamid.X',
            T0,
          ),
        },
      ],
      T0,
    );
    const body = serializeEnvelope(envelope);
    expect(body).toContain('"emoji":"\\ud83d\\ude2e"');
    expect(/^[\x20-\x7e]*$/.test(body)).toBe(true);
    expect(JSON.parse(body)).toStrictEqual(envelope);
    expect(serializeEnvelope(envelope, { escapeNonAscii: false })).toContain('😮');
  });
});

describe('newWamid', () => {
  it('encodes the user and direction the way Meta’s ids do', () => {
    const inbound = newWamid({ waId: '16505551234', direction: 'inbound' });
    expect(inbound).toMatch(/^wamid\.[A-Za-z0-9+/]+=*$/);
    const bytes = Buffer.from(inbound.slice('wamid.'.length), 'base64');
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0x1c, 0x18, 11]));
    expect(bytes.subarray(3, 14).toString()).toBe('16505551234');
    expect(bytes[17]).toBe(0x12); // not from the business
    expect(bytes.subarray(20, 40).toString()).toMatch(/^3A[0-9A-F]{18}$/);

    const outbound = Buffer.from(newWamid({ waId: '16505551234' }).slice(6), 'base64');
    expect(outbound[17]).toBe(0x11);
    expect(outbound.subarray(20, 38).toString()).toMatch(/^[0-9A-F]{18}$/);
    expect(newWamid()).not.toBe(newWamid());
  });

  it('has the same layout as a real id from Meta’s examples', () => {
    const real = Buffer.from('HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=', 'base64');
    const ours = Buffer.from(newWamid({ waId: '16503879439', direction: 'inbound' }).slice(6), 'base64');
    expect(ours.length).toBe(real.length);
    expect(ours.subarray(0, 20)).toEqual(real.subarray(0, 20));
    expect(ours[ours.length - 1]).toBe(0);
  });
});
