import { describe, expect, it } from 'vitest';
import { describeChannelContract } from '../ports/channel.contract.ts';
import type { OutboundMessage } from '../ports/channel.port.ts';
import { FakeClock } from './fake-clock.ts';
import { MEMORY_CHANNEL_CODES, createMemoryChannel } from './memory-channel.ts';

describeChannelContract('memory double', async () => createMemoryChannel());

describeChannelContract(
  'memory double without a service window (an SMS-like channel)',
  async () =>
    createMemoryChannel({
      name: 'memory-sms',
      capabilities: {
        serviceWindowMs: null,
        freeEntryPointWindowMs: null,
        templateRequiredOutsideWindow: false,
        maxTextLength: 1600,
        supportedContent: ['text', 'image'],
      },
    }),
  { templates: false },
);

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const CUSTOMER = '16505551234';

function setup() {
  const clock = new FakeClock();
  const double = createMemoryChannel({ clock });
  let seq = 0;
  const text = (body: string, to = CUSTOMER): OutboundMessage => ({
    accountId: double.accountId,
    to: `+${to}`,
    messageKey: `k${seq++}`,
    content: { type: 'text', text: { body } },
  });
  const template = (name: string, count: number): OutboundMessage => ({
    accountId: double.accountId,
    to: CUSTOMER,
    messageKey: `k${seq++}`,
    content: {
      type: 'template',
      template: {
        name,
        language: { code: 'en_US' },
        components: [{ type: 'body', parameters: Array.from({ length: count }, () => ({ type: 'text', text: 'x' })) }],
      },
    },
  });
  return { clock, double, text, template };
}

describe('memory channel: the customer-service window, as Meta applies it', () => {
  it('delivers free-form 24 h − 1 ms after the customer’s last message; at 24 h it is accepted, then failed:131047', async () => {
    const { clock, double, text } = setup();
    double.injectInbound(CUSTOMER);
    await clock.advance(DAY_MS - 1);
    expect(await double.channel.send(text('just in time'))).toMatchObject({ outcome: 'accepted' });
    await clock.advance(1);
    expect(await double.channel.send(text('too late'))).toMatchObject({ outcome: 'accepted', recipientId: CUSTOMER });
    expect(double.sent.map((s) => s.outcome)).toEqual(['sent', `failed:${MEMORY_CHANNEL_CODES.reEngagement}`]);
  });

  it('reopens (and resets) the window with each customer message', async () => {
    const { clock, double, text } = setup();
    double.injectInbound(CUSTOMER);
    await clock.advance(10 * HOUR_MS);
    double.injectInbound(CUSTOMER);
    await clock.advance(DAY_MS - 1); // 34 h after the first message, 24 h − 1 ms after the second
    expect(double.isWindowOpen(CUSTOMER)).toBe(true);
    await double.channel.send(text('still open'));
    await clock.advance(1);
    expect(double.isWindowOpen(CUSTOMER)).toBe(false);
    await double.channel.send(text('closed'));
    double.injectInbound(CUSTOMER);
    await double.channel.send(text('reopened'));
    expect(double.sent.map((s) => s.outcome)).toEqual(['sent', 'failed:131047', 'sent']);
  });

  it('sends an approved template outside the window', async () => {
    const { double, template } = setup();
    double.setTemplate('order_update', 'en_US', { bodyParamCount: 1 });
    expect(await double.channel.send(template('order_update', 1))).toEqual({
      outcome: 'accepted',
      providerMessageId: expect.any(String),
      recipientId: CUSTOMER,
      providerStatus: 'accepted',
    });
    expect(double.sent.map((s) => s.outcome)).toEqual(['sent']);
  });
});

describe('memory channel: refusal codes are Meta’s', () => {
  it('answers 132001 / 132000 / 132015 / 132016 for template problems', async () => {
    const { double, template } = setup();
    expect(await double.channel.send(template('nope', 0))).toMatchObject({ outcome: 'rejected', code: 132001 });
    double.setTemplate('order_update', 'en_US', { bodyParamCount: 2 });
    expect(await double.channel.send(template('order_update', 1))).toMatchObject({ outcome: 'rejected', code: 132000 });
    double.setTemplate('order_update', 'en_US', { bodyParamCount: 2, status: 'PENDING' });
    expect(await double.channel.send(template('order_update', 2))).toMatchObject({ outcome: 'rejected', code: 132001 });
    double.setTemplate('order_update', 'en_US', { bodyParamCount: 2, status: 'PAUSED' });
    expect(await double.channel.send(template('order_update', 2))).toMatchObject({ outcome: 'rejected', code: 132015 });
    double.setTemplate('order_update', 'en_US', { bodyParamCount: 2, status: 'DISABLED' });
    expect(await double.channel.send(template('order_update', 2))).toMatchObject({ outcome: 'rejected', code: 132016 });
    expect(double.sent).toEqual([]);
  });

  it('answers 100 for an unknown account and for a read receipt of a message that is not inbound', async () => {
    const { double, text } = setup();
    const inboundId = double.injectInbound(CUSTOMER);
    expect(await double.channel.send({ ...text('hi'), accountId: '1' })).toMatchObject({
      outcome: 'rejected',
      code: 100,
    });
    const sent = await double.channel.send(text('hi'));
    if (sent.outcome !== 'accepted') throw new Error(`expected accepted, got ${JSON.stringify(sent)}`);
    expect(
      await double.channel.markRead({ accountId: double.accountId, providerMessageId: sent.providerMessageId }),
    ).toMatchObject({ outcome: 'rejected', code: 100 });
    expect(await double.channel.markRead({ accountId: double.accountId, providerMessageId: inboundId })).toEqual({
      outcome: 'accepted',
    });
    expect(double.readReceipts.map((r) => r.providerMessageId)).toEqual([inboundId]);
  });

  it('answers 131009 for a malformed recipient and 131051 for a content type the channel does not support', async () => {
    const clock = new FakeClock();
    const sms = createMemoryChannel({ clock, capabilities: { supportedContent: ['text'] } });
    const base = { accountId: sms.accountId, messageKey: 'k' } as const;
    expect(
      await sms.channel.send({ ...base, to: '+1 650-555-1234', content: { type: 'text', text: { body: 'x' } } }),
    ).toMatchObject({ outcome: 'rejected', code: 131009 });
    expect(
      await sms.channel.send({
        ...base,
        to: CUSTOMER,
        content: { type: 'image', image: { link: 'https://x.test/a' } },
      }),
    ).toMatchObject({ outcome: 'rejected', code: 131051 });
  });

  it('answers a scripted refusal once, without recording the send', async () => {
    const { double, text } = setup();
    double.injectInbound(CUSTOMER);
    double.refuseNextSend({ outcome: 'slowDown', code: 130429, detail: 'Rate limit hit', afterMs: 1_000 });
    expect(await double.channel.send(text('first'))).toEqual({
      outcome: 'slowDown',
      code: 130429,
      detail: 'Rate limit hit',
      afterMs: 1_000,
    });
    expect(await double.channel.send(text('second'))).toMatchObject({ outcome: 'accepted' });
    expect(double.sent.map((s) => s.messageKey)).toEqual(['k1']);
  });
});
