/**
 * The contract every `ChannelPort` implementation passes: the WhatsApp Cloud API adapter against the simulator,
 * and every test double (STYLE 2.4, rule 6). A port is an interface plus this suite; an implementation that
 * passes it can stand in for another in every test above the port.
 *
 * What it pins down (WHATSAPP.md §0, §2, §4.5):
 * - a send inside an open customer-service window is `accepted`, with the provider's message id and the recipient
 *   normalised to digits (`+16505551234` → `16505551234`, Meta's `contacts[0].wa_id`);
 * - every content type the channel lists in `capabilities.supportedContent` is accepted in Meta's own shape, and a
 *   type it does not list is `rejected`;
 * - each accepted send is in the peer's log exactly once, with its message key; refused sends are not;
 * - an unknown template, a template in a language it does not exist in, a wrong template parameter count and an
 *   unknown sending account are `rejected` (synchronous refusals at Meta: 132001, 132000, 100);
 * - a read receipt for an inbound message is `accepted`; for an unknown or outgoing message id it is `rejected`;
 * - capabilities are consistent data (a 24 h window or none, the text limit is the one enforced);
 * - a remote refusal never throws (STYLE rule 4): every call above resolves to an outcome;
 * - for implementations that put calls on a wire (`declared.wirePacing`): sends carrying `maxRatePerSec` are
 *   spaced, so that no 1 s window of the peer's accepted sends holds more than ⌊rate × 1.02⌋ of them. A double
 *   that makes no calls has nothing to space and does not declare it (and must not delay: tests above the port
 *   drive it with clocks that never move).
 *
 * Which code a refusal carries is the provider's business (`code` is the provider's own number), so the suite
 * checks the outcome's kind and shape; the implementations' own tests check their codes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  ChannelPort,
  OutboundContent,
  OutboundContentType,
  OutboundMessage,
  ReadReceiptOutcome,
  SendOutcome,
} from './channel.port.ts';

/** One send as the peer (simulator, double) recorded it after accepting it. */
export interface AcceptedSend {
  readonly providerMessageId: string;
  /** The recipient as the peer normalised it (digits, or a business-scoped user id). */
  readonly to: string;
  /** Our message key as it reached the peer (Meta: `biz_opaque_callback_data`). */
  readonly messageKey?: string;
  /** When the peer accepted it (epoch ms, the peer's clock); needed by the wire-pacing case only. */
  readonly acceptedAtMs?: number;
}

/** The peer-side controls the suite needs; each implementation's test wires them to its peer. */
export interface ChannelContractHarness {
  /** The customer `to` (wa_id digits) messages the subject's account now; resolves to that inbound message's id. */
  openServiceWindow(to: string): Promise<string>;
  /**
   * Makes template `name` exist, approved, in `language` for the subject's account, with `bodyParamCount`
   * positional body variables (`{{1}}` … `{{n}}`) and no header or buttons.
   */
  approveTemplate(name: string, language: string, bodyParamCount: number): Promise<void>;
  /** Every send the peer accepted so far, in order. */
  acceptedSends(): Promise<AcceptedSend[]>;
}

export interface ChannelContractSubject {
  readonly channel: ChannelPort;
  /** The business's sending account known to the peer (WhatsApp: the phone-number id). */
  readonly accountId: string;
  readonly harness: ChannelContractHarness;
  cleanup(): Promise<void>;
}

const HOUR_MS = 60 * 60 * 1000;
/** Meta's customer-service window (WHATSAPP.md §4.5). */
const SERVICE_WINDOW_MS = 24 * HOUR_MS;
/** Meta's free-entry-point window after a click-to-WhatsApp referral (WHATSAPP.md §4.6). */
const FREE_ENTRY_POINT_WINDOW_MS = 72 * HOUR_MS;

/** An account id no implementation registers. */
const UNKNOWN_ACCOUNT_ID = '100000000000999';
/** A well-formed message id that no peer ever issued. */
const UNKNOWN_MESSAGE_ID = 'wamid.HBgLMTY1MDU1NTAxOTkVAgARGBJDT05UUkFDVFVOS05PV04wMDAA';

const TEMPLATE_LANGUAGE = 'en_US';

/** Exhaustive by construction: adding a member to `OutboundContentType` fails to compile until it is listed. */
const CONTENT_TYPES_PRESENT: Record<OutboundContentType, true> = {
  text: true,
  image: true,
  video: true,
  audio: true,
  document: true,
  sticker: true,
  location: true,
  contacts: true,
  reaction: true,
  interactive: true,
  template: true,
};
const ALL_CONTENT_TYPES = Object.keys(CONTENT_TYPES_PRESENT) as OutboundContentType[];

interface SampleContext {
  /** The customer's message that opened the window (a reaction's target). */
  readonly inboundId: string;
  /** An approved template with two body variables. */
  readonly templateName: string;
}

interface ContentSample {
  readonly label: string;
  readonly type: OutboundContentType;
  content(ctx: SampleContext): OutboundContent;
}

/** One valid send per content type (two for interactive), in Meta's request shapes (WHATSAPP.md §2). */
const CONTENT_SAMPLES: readonly ContentSample[] = [
  {
    label: 'text with a link preview',
    type: 'text',
    content: () => ({
      type: 'text',
      text: { body: 'Your order shipped: https://example.com/track/42', preview_url: true },
    }),
  },
  {
    label: 'image by link',
    type: 'image',
    content: () => ({ type: 'image', image: { link: 'https://example.com/media/parcel.jpg', caption: 'Your parcel' } }),
  },
  {
    label: 'video by link',
    type: 'video',
    content: () => ({ type: 'video', video: { link: 'https://example.com/media/howto.mp4', caption: 'How to' } }),
  },
  {
    label: 'audio by link',
    type: 'audio',
    // Meta takes no caption on audio ("Unexpected key caption on param audio").
    content: () => ({ type: 'audio', audio: { link: 'https://example.com/media/greeting.ogg' } }),
  },
  {
    label: 'document by link',
    type: 'document',
    content: () => ({
      type: 'document',
      document: { link: 'https://example.com/media/invoice-42.pdf', caption: 'Invoice', filename: 'invoice-42.pdf' },
    }),
  },
  {
    label: 'sticker by link',
    type: 'sticker',
    content: () => ({ type: 'sticker', sticker: { link: 'https://example.com/media/thanks.webp' } }),
  },
  {
    label: 'location',
    type: 'location',
    content: () => ({
      type: 'location',
      location: { latitude: 37.758056, longitude: -122.425332, name: 'META HQ', address: '1 Hacker Way, Menlo Park' },
    }),
  },
  {
    label: 'contacts',
    type: 'contacts',
    content: () => ({
      type: 'contacts',
      contacts: [
        {
          name: { formatted_name: 'Ada Lovelace', first_name: 'Ada', last_name: 'Lovelace' },
          phones: [{ phone: '+16505551234', type: 'CELL', wa_id: '16505551234' }],
          emails: [{ email: 'ada@example.com', type: 'WORK' }],
        },
      ],
    }),
  },
  {
    label: 'reaction to the customer’s message',
    type: 'reaction',
    content: ({ inboundId }) => ({ type: 'reaction', reaction: { message_id: inboundId, emoji: '👍' } }),
  },
  {
    label: 'interactive reply buttons',
    type: 'interactive',
    content: () => ({
      type: 'interactive',
      interactive: {
        type: 'button',
        header: { type: 'text', text: 'Order 42' },
        body: { text: 'Did your order arrive?' },
        footer: { text: 'Parlo' },
        action: {
          buttons: [
            { type: 'reply', reply: { id: 'arrived-yes', title: 'Yes' } },
            { type: 'reply', reply: { id: 'arrived-no', title: 'No' } },
          ],
        },
      },
    }),
  },
  {
    label: 'interactive list',
    type: 'interactive',
    content: () => ({
      type: 'interactive',
      interactive: {
        type: 'list',
        header: { type: 'text', text: 'Delivery slots' },
        body: { text: 'Pick a slot for tomorrow' },
        footer: { text: 'Parlo' },
        action: {
          button: 'Slots',
          sections: [
            {
              title: 'Tomorrow',
              rows: [
                { id: 'slot-09', title: '09:00', description: 'Morning' },
                { id: 'slot-14', title: '14:00', description: 'Afternoon' },
              ],
            },
          ],
        },
      },
    }),
  },
  {
    label: 'approved template with its two body parameters',
    type: 'template',
    content: ({ templateName }) => templateContent(templateName, 2),
  },
];

function templateContent(name: string, bodyParamCount: number, language = TEMPLATE_LANGUAGE): OutboundContent {
  const parameters = Array.from({ length: bodyParamCount }, (_, i) => ({ type: 'text', text: `value ${i + 1}` }));
  return {
    type: 'template',
    template: {
      name,
      language: { code: language },
      ...(bodyParamCount === 0 ? {} : { components: [{ type: 'body', parameters }] }),
    },
  };
}

type Accepted = Extract<SendOutcome, { readonly outcome: 'accepted' }>;

const ACCEPTED_KEYS = ['outcome', 'providerMessageId', 'recipientId', 'providerStatus'];
const PROVIDER_STATUSES = ['accepted', 'held_for_quality_assessment', 'paused'];

function expectAccepted(outcome: SendOutcome, recipientId: string, what: string): asserts outcome is Accepted {
  expect(outcome.outcome, `${what}: ${JSON.stringify(outcome)}`).toBe('accepted');
  const accepted = outcome as Accepted;
  expect(typeof accepted.providerMessageId, what).toBe('string');
  expect(accepted.providerMessageId.length, `${what}: providerMessageId`).toBeGreaterThan(0);
  expect(accepted.recipientId, `${what}: recipientId`).toBe(recipientId);
  expect(
    Object.keys(accepted).filter((key) => !ACCEPTED_KEYS.includes(key)),
    what,
  ).toEqual([]);
  if (accepted.providerStatus !== undefined) expect(PROVIDER_STATUSES, what).toContain(accepted.providerStatus);
}

/** A permanent refusal: `{ outcome: 'rejected', code, detail }` and nothing else. */
function expectRejected(outcome: SendOutcome | ReadReceiptOutcome, what: string): void {
  expect(outcome, what).toEqual({ outcome: 'rejected', code: expect.any(Number), detail: expect.any(String) });
  expect((outcome as { detail: string }).detail.length, `${what}: detail`).toBeGreaterThan(0);
}

/**
 * Registers the ChannelPort contract for one implementation. `makeSubject` is called before every test (a fresh
 * peer each time, so tests never see each other's sends); `cleanup` after it.
 */
export function describeChannelContract(
  name: string,
  makeSubject: () => Promise<ChannelContractSubject>,
  declared: { readonly templates: boolean; readonly wirePacing?: boolean } = { templates: true },
): void {
  /** Template behaviours are registered only for channels that declare templates (checked against capabilities). */
  const templateTest = declared.templates ? it : (): void => undefined;
  describe(`ChannelPort contract: ${name}`, () => {
    let subject: ChannelContractSubject | undefined;
    let keySeq = 0;
    let recipientSeq = 0;

    beforeEach(async () => {
      subject = await makeSubject();
    });
    afterEach(async () => {
      const done = subject;
      subject = undefined;
      await done?.cleanup();
    });

    const s = (): ChannelContractSubject => {
      if (subject === undefined) throw new Error('channel contract: no subject (makeSubject failed?)');
      return subject;
    };
    const supports = (type: OutboundContentType): boolean => s().channel.capabilities.supportedContent.includes(type);
    /** A fresh customer per call: wa_id digits of a US test number. */
    const newRecipient = (): string => `1650555${String(1000 + (recipientSeq++ % 9000)).padStart(4, '0')}`;
    const newKey = (): string => `contract-${Date.now().toString(36)}-${keySeq++}`;
    const message = (to: string, content: OutboundContent, extra: Partial<OutboundMessage> = {}): OutboundMessage => ({
      accountId: s().accountId,
      to,
      messageKey: newKey(),
      content,
      ...extra,
    });
    const sendText = (to: string, body: string, extra: Partial<OutboundMessage> = {}): Promise<SendOutcome> =>
      s().channel.send(message(to, { type: 'text', text: { body } }, extra));

    describe('capabilities', () => {
      it('are consistent data: a 24 h window (72 h free entry point) or none, and a non-empty content list', () => {
        const { name: channelName, capabilities } = s().channel;
        expect(capabilities.supportedContent.includes('template')).toBe(declared.templates);
        expect(typeof channelName).toBe('string');
        expect(channelName.length).toBeGreaterThan(0);
        expect([SERVICE_WINDOW_MS, null]).toContain(capabilities.serviceWindowMs);
        expect([FREE_ENTRY_POINT_WINDOW_MS, null]).toContain(capabilities.freeEntryPointWindowMs);
        if (capabilities.freeEntryPointWindowMs !== null) expect(capabilities.serviceWindowMs).toBe(SERVICE_WINDOW_MS);
        if (capabilities.templateRequiredOutsideWindow) {
          // Templates are the only way past a closed window, so a channel that demands them must have both.
          expect(capabilities.serviceWindowMs).toBe(SERVICE_WINDOW_MS);
          expect(capabilities.supportedContent).toContain('template');
        }
        expect(Number.isInteger(capabilities.maxTextLength)).toBe(true);
        expect(capabilities.maxTextLength).toBeGreaterThan(0);
        expect(capabilities.supportedContent).toContain('text');
        expect(new Set(capabilities.supportedContent).size).toBe(capabilities.supportedContent.length);
        for (const type of capabilities.supportedContent) expect(ALL_CONTENT_TYPES).toContain(type);
      });

      it('enforce maxTextLength: a text of exactly that length is accepted, one character more is rejected', async () => {
        const to = newRecipient();
        await s().harness.openServiceWindow(to);
        const max = s().channel.capabilities.maxTextLength;
        expectAccepted(await sendText(`+${to}`, 'a'.repeat(max)), to, `text of ${max} characters`);
        expectRejected(await sendText(`+${to}`, 'a'.repeat(max + 1)), `text of ${max + 1} characters`);
      });
    });

    describe('send', () => {
      it('accepts a text inside an open window, with the provider id and the recipient normalised to digits', async () => {
        const to = newRecipient();
        await s().harness.openServiceWindow(to);
        const outcome = await sendText(`+${to}`, 'Hello from Parlo');
        expectAccepted(outcome, to, 'text to +E.164');
        expectAccepted(await sendText(to, 'Digits only work too'), to, 'text to bare digits');
      });

      it('accepts a contextual reply to the customer’s message', async () => {
        const to = newRecipient();
        const inboundId = await s().harness.openServiceWindow(to);
        expectAccepted(
          await sendText(`+${to}`, 'Replying to you', { replyToProviderMessageId: inboundId }),
          to,
          'contextual reply',
        );
      });

      it('lists a sample of every OutboundContent type (the suite itself is complete)', () => {
        const sampled = new Set(CONTENT_SAMPLES.map((sample) => sample.type));
        expect([...sampled].sort()).toEqual([...ALL_CONTENT_TYPES].sort());
      });

      it.each(CONTENT_SAMPLES)(
        'accepts $label inside an open window when $type is a supported content type (else rejects it)',
        async (sample) => {
          const to = newRecipient();
          const inboundId = await s().harness.openServiceWindow(to);
          const templateName = 'contract_order_update';
          if (sample.type === 'template' && supports('template')) {
            await s().harness.approveTemplate(templateName, TEMPLATE_LANGUAGE, 2);
          }
          const outcome = await s().channel.send(message(`+${to}`, sample.content({ inboundId, templateName })));
          if (supports(sample.type)) expectAccepted(outcome, to, sample.label);
          else expectRejected(outcome, `${sample.label} (not in supportedContent)`);
        },
      );

      templateTest(
        'accepts an approved template to a customer who never wrote (templates open conversations)',
        async () => {
          const to = newRecipient();
          await s().harness.approveTemplate('contract_reminder', TEMPLATE_LANGUAGE, 1);
          expectAccepted(
            await s().channel.send(message(`+${to}`, templateContent('contract_reminder', 1))),
            to,
            'template outside any window',
          );
        },
      );

      it('never refuses free-form outside the window as a bad request: accepted (fails later) or windowClosed', async () => {
        const to = newRecipient();
        const outcome = await sendText(`+${to}`, 'Are you still there?');
        const { serviceWindowMs, templateRequiredOutsideWindow } = s().channel.capabilities;
        if (serviceWindowMs === null || !templateRequiredOutsideWindow) {
          expectAccepted(outcome, to, 'free-form on a channel without a window');
          return;
        }
        // Meta answers 200 and fails the message later with a 131047 status (WHATSAPP.md §4.5); a synchronous
        // 131047 also exists, which the port reports as windowClosed.
        expect(['accepted', 'windowClosed'], JSON.stringify(outcome)).toContain(outcome.outcome);
      });

      it('records each accepted send exactly once, with its message key; refused sends are not recorded', async () => {
        const to = newRecipient();
        await s().harness.openServiceWindow(to);
        const before = await s().harness.acceptedSends();
        const sent: { key: string; outcome: Accepted }[] = [];
        for (const body of ['one', 'two', 'three']) {
          const m = message(`+${to}`, { type: 'text', text: { body } });
          const outcome = await s().channel.send(m);
          expectAccepted(outcome, to, `text "${body}"`);
          sent.push({ key: m.messageKey, outcome });
        }
        const refused = message(`+${to}`, templateContent('contract_no_such_template', 0));
        expectRejected(await s().channel.send(refused), 'unknown template');

        const after = await s().harness.acceptedSends();
        expect(after.length).toBe(before.length + sent.length);
        expect(new Set(sent.map((x) => x.outcome.providerMessageId)).size).toBe(sent.length);
        for (const { key, outcome } of sent) {
          const records = after
            .filter((a) => a.providerMessageId === outcome.providerMessageId)
            .map(({ providerMessageId, to: recordTo, messageKey }) => ({
              providerMessageId,
              to: recordTo,
              messageKey,
            }));
          expect(records).toEqual([{ providerMessageId: outcome.providerMessageId, to, messageKey: key }]);
        }
        expect(after.filter((a) => a.messageKey === refused.messageKey)).toEqual([]);
      });

      it('rejects a template that does not exist', async () => {
        const to = newRecipient();
        await s().harness.openServiceWindow(to);
        expectRejected(
          await s().channel.send(message(`+${to}`, templateContent('contract_no_such_template', 0))),
          'unknown template',
        );
      });

      templateTest('rejects a template in a language it does not exist in', async () => {
        const to = newRecipient();
        await s().harness.approveTemplate('contract_greeting', TEMPLATE_LANGUAGE, 0);
        expectRejected(
          await s().channel.send(message(`+${to}`, templateContent('contract_greeting', 0, 'pt_BR'))),
          'template in another language',
        );
      });

      templateTest('rejects a template sent with too few or too many body parameters', async () => {
        const to = newRecipient();
        await s().harness.approveTemplate('contract_order_update', TEMPLATE_LANGUAGE, 2);
        for (const count of [0, 1, 3]) {
          expectRejected(
            await s().channel.send(message(`+${to}`, templateContent('contract_order_update', count))),
            `template with ${count} of 2 body parameters`,
          );
        }
        expectAccepted(
          await s().channel.send(message(`+${to}`, templateContent('contract_order_update', 2))),
          to,
          'template with its 2 body parameters',
        );
      });

      it('rejects a send from an account the provider does not know', async () => {
        const to = newRecipient();
        await s().harness.openServiceWindow(to);
        expect(s().accountId).not.toBe(UNKNOWN_ACCOUNT_ID);
        expectRejected(await sendText(`+${to}`, 'Hello', { accountId: UNKNOWN_ACCOUNT_ID }), 'unknown account');
      });
    });

    // Registered only for implementations that put calls on a wire (an empty describe would fail the run).
    const describeWirePacing = declared.wirePacing === true ? describe : (): void => undefined;
    describeWirePacing('wire pacing (maxRatePerSec)', () => {
      it('200 concurrent sends at maxRatePerSec 100 take ≥ 1.9 s and no 1 s window of accepted sends holds > 102', async () => {
        const recipients = Array.from({ length: 10 }, () => newRecipient());
        for (const to of recipients) await s().harness.openServiceWindow(to);
        const before = (await s().harness.acceptedSends()).length;
        const startedAtMs = Date.now();
        const outcomes = await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            sendText(`+${recipients[i % recipients.length]!}`, `paced ${i}`, { maxRatePerSec: 100 }),
          ),
        );
        const elapsedMs = Date.now() - startedAtMs;
        outcomes.forEach((outcome, i) =>
          expect(outcome.outcome, `send ${i}: ${JSON.stringify(outcome)}`).toBe('accepted'),
        );
        // 2 at once (⌊100 × 2 %⌋), then one per 10 ms: the 200th goes ≈ 1.98 s after the first.
        expect(elapsedMs, 'time taken by 200 sends at 100/s').toBeGreaterThanOrEqual(1_900);
        const times = (await s().harness.acceptedSends())
          .slice(before)
          .map((a) => a.acceptedAtMs)
          .filter((t): t is number => t !== undefined)
          .sort((a, b) => a - b);
        expect(times.length, 'accepted sends with a time').toBe(200);
        expect(maxInOneSecond(times), 'most accepted sends in a 1 s window').toBeLessThanOrEqual(102);
      }, 20_000);
    });

    describe('markRead', () => {
      it('accepts a read receipt (with or without the typing indicator) for the customer’s message', async () => {
        const inboundId = await s().harness.openServiceWindow(newRecipient());
        expect(await s().channel.markRead({ accountId: s().accountId, providerMessageId: inboundId })).toEqual({
          outcome: 'accepted',
        });
        expect(
          await s().channel.markRead({ accountId: s().accountId, providerMessageId: inboundId, showTyping: true }),
        ).toEqual({ outcome: 'accepted' });
      });

      it('rejects a read receipt for an unknown message id', async () => {
        await s().harness.openServiceWindow(newRecipient());
        expectRejected(
          await s().channel.markRead({ accountId: s().accountId, providerMessageId: UNKNOWN_MESSAGE_ID }),
          'unknown message id',
        );
      });

      it('rejects a read receipt for one of our own (outgoing) messages', async () => {
        const to = newRecipient();
        await s().harness.openServiceWindow(to);
        const outcome = await sendText(`+${to}`, 'Outgoing');
        expectAccepted(outcome, to, 'text');
        expectRejected(
          await s().channel.markRead({ accountId: s().accountId, providerMessageId: outcome.providerMessageId }),
          'outgoing message id',
        );
      });

      it('rejects a read receipt on an account the provider does not know', async () => {
        const inboundId = await s().harness.openServiceWindow(newRecipient());
        expectRejected(
          await s().channel.markRead({ accountId: UNKNOWN_ACCOUNT_ID, providerMessageId: inboundId }),
          'unknown account',
        );
      });
    });
  });
}

/** The most of the sorted times `timesMs` in any window [a, a + 1000). */
function maxInOneSecond(timesMs: readonly number[]): number {
  let most = 0;
  let first = 0;
  for (let last = 0; last < timesMs.length; last++) {
    while (timesMs[first]! <= timesMs[last]! - 1000) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}
