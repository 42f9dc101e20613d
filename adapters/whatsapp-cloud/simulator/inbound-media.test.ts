/**
 * Injected customer media can be fetched the way Meta's can: the webhook's media id is one the simulator serves
 * (`GET /{media-id}` → metadata and a download URL), and its `sha256` is the real hash of those bytes (base64 in
 * the webhook, hex in the metadata, as Meta sends them). Ids of received media live 7 days (uploads 30).
 *
 * No HTTP here (`media-download.int.test.ts` covers the routes): the simulator is driven directly, time by a
 * FakeClock, and the dispatcher's `post` records each webhook body.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../core/testing/fake-clock.ts';
import { SimInputError, CloudApiSimulator } from './simulator.ts';
import { WebhookDispatcher } from './webhooks/dispatcher.ts';
import type { InboundMessageSpec } from './webhooks/payloads.ts';

const TOKEN = 'EAAGmediatesttoken';
const WABA_ID = '419561257915477';
const PHONE_NUMBER_ID = '106540352242922';
const OTHER_NUMBER_ID = '106540352242923';
const CUSTOMER = '16505551234';
const DAY_MS = 24 * 60 * 60 * 1000;

interface MediaObject {
  readonly id: string;
  readonly mime_type: string;
  readonly sha256: string;
  readonly filename?: string;
}

function setup() {
  const clock = new FakeClock();
  const bodies: string[] = [];
  const webhooks = new WebhookDispatcher({
    clock,
    post: (_url, body) => {
      bodies.push(body);
      return Promise.resolve(200);
    },
    random: () => 0.5,
  });
  const simulator = new CloudApiSimulator({ clock, webhooks, random: () => 0.5 });
  simulator.registerWaba({
    wabaId: WABA_ID,
    appSecret: 'media-test-secret',
    accessToken: TOKEN,
    callbackUrl: 'http://hooks.test/whatsapp',
  });
  for (const phoneNumberId of [PHONE_NUMBER_ID, OTHER_NUMBER_ID]) {
    simulator.registerNumber({ phoneNumberId, wabaId: WABA_ID, displayPhoneNumber: '15550783881' });
  }

  /** Injects, lets the dispatcher post, and answers the message's media object from the webhook. */
  const inject = async (message: InboundMessageSpec): Promise<{ mediaId?: string; media: MediaObject }> => {
    const before = bodies.length;
    const injected = simulator.injectInbound(PHONE_NUMBER_ID, message);
    await clock.advance(1_000);
    const envelope = JSON.parse(bodies.slice(before).join('') || '{}') as {
      entry: { changes: { value: { messages: Record<string, MediaObject>[] } }[] }[];
    };
    const sent = envelope.entry[0]!.changes[0]!.value.messages[0]!;
    return { ...(injected.mediaId ? { mediaId: injected.mediaId } : {}), media: sent[message.type]! };
  };

  /** `GET /{media-id}` and the download, as the server does them. */
  const fetchMedia = (mediaId: string): { meta: Record<string, unknown>; bytes: Buffer } | undefined => {
    const meta = simulator.media.describe(mediaId, 'http://sim.test');
    if (!meta) return undefined;
    const url = new URL(meta['url'] as string);
    const file = simulator.media.download(
      mediaId,
      url.searchParams.get('token') ?? '',
      Number(url.searchParams.get('expires')),
    );
    return file ? { meta, bytes: file.bytes } : undefined;
  };

  return { clock, simulator, inject, fetchMedia };
}

const hex = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const base64 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('base64');

describe('simulator: media of injected customer messages', () => {
  it.each([
    ['image', 'image/jpeg', [0xff, 0xd8]],
    ['image', 'image/png', [0x89, 0x50, 0x4e, 0x47]],
    ['sticker', 'image/webp', [0x52, 0x49, 0x46, 0x46]],
    ['audio', 'audio/ogg; codecs=opus', [0x4f, 0x67, 0x67, 0x53]],
    ['video', 'video/mp4', [0, 0, 0, 24]],
    ['document', 'application/pdf', [0x25, 0x50, 0x44, 0x46]],
    ['document', 'application/zip', []],
  ] as const)('serves a sample %s (%s) under the id the webhook names', async (type, mimeType, magic) => {
    const { inject, fetchMedia } = setup();
    const { mediaId, media } = await inject({ type, from: CUSTOMER, mimeType });
    expect(media.id).toBe(mediaId);
    expect(media.mime_type).toBe(mimeType);
    const fetched = fetchMedia(media.id);
    expect(fetched).toBeDefined();
    const { meta, bytes } = fetched!;
    expect(meta).toMatchObject({ id: media.id, mime_type: mimeType, sha256: hex(bytes), file_size: bytes.length });
    // Meta: base64 in the webhook, hex from GET /{media-id}.
    expect(media.sha256).toBe(base64(bytes));
    expect([...bytes.subarray(0, magic.length)]).toEqual([...magic]);
  });

  it('gives every message its own sample file', async () => {
    const { inject, fetchMedia } = setup();
    const first = await inject({ type: 'image', from: CUSTOMER, mimeType: 'image/png' });
    const second = await inject({ type: 'image', from: CUSTOMER, mimeType: 'image/png' });
    expect(first.media.id).not.toBe(second.media.id);
    expect(first.media.sha256).not.toBe(second.media.sha256);
    expect(fetchMedia(first.media.id)!.bytes.equals(fetchMedia(second.media.id)!.bytes)).toBe(false);
  });

  it('serves the bytes given as data, under the given id, with a filename on documents', async () => {
    const { inject, fetchMedia } = setup();
    const bytes = Buffer.from('%PDF-1.7 the customer’s invoice');
    const { media } = await inject({
      type: 'document',
      from: CUSTOMER,
      mediaId: '1003383421387256',
      mimeType: 'application/pdf',
      filename: 'invoice.pdf',
      data: bytes.toString('base64'),
    });
    expect(media).toMatchObject({ id: '1003383421387256', filename: 'invoice.pdf', sha256: base64(bytes) });
    expect(fetchMedia('1003383421387256')!.bytes.equals(bytes)).toBe(true);
  });

  it('uses a media id uploaded earlier as it is', async () => {
    const { simulator, inject, fetchMedia } = setup();
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(32, 3)]);
    const uploaded = simulator.media.upload(PHONE_NUMBER_ID, { bytes: png, mimeType: 'image/png' });
    if (!uploaded.ok) throw new Error(uploaded.error.message);
    const { media } = await inject({ type: 'image', from: CUSTOMER, mediaId: uploaded.id, mimeType: 'image/png' });
    expect(media).toMatchObject({ id: uploaded.id, sha256: base64(png) });
    expect(fetchMedia(uploaded.id)!.bytes.equals(png)).toBe(true);
  });

  it('keeps a sha256 given in the message (to provoke an integrity failure)', async () => {
    const { inject, fetchMedia } = setup();
    const wrong = createHash('sha256').update('something else').digest('base64');
    const { media } = await inject({ type: 'image', from: CUSTOMER, mimeType: 'image/jpeg', sha256: wrong });
    expect(media.sha256).toBe(wrong);
    expect(base64(fetchMedia(media.id)!.bytes)).not.toBe(wrong);
  });

  it('forgets received media after 7 days', async () => {
    const { clock, inject, fetchMedia } = setup();
    const { media } = await inject({ type: 'audio', from: CUSTOMER, mimeType: 'audio/ogg' });
    await clock.advance(7 * DAY_MS - 2_000);
    expect(fetchMedia(media.id)).toBeDefined();
    await clock.advance(2_000);
    expect(fetchMedia(media.id)).toBeUndefined();
  });

  it('describes media only for its own number when phone_number_id is given', async () => {
    const { simulator, inject } = setup();
    const { media } = await inject({ type: 'image', from: CUSTOMER, mimeType: 'image/jpeg' });
    expect(simulator.media.describe(media.id, 'http://sim.test', PHONE_NUMBER_ID)).toBeDefined();
    expect(simulator.media.describe(media.id, 'http://sim.test', OTHER_NUMBER_ID)).toBeUndefined();
  });

  it('refuses an empty file', () => {
    const { simulator } = setup();
    expect(() =>
      simulator.injectInbound(PHONE_NUMBER_ID, { type: 'image', from: CUSTOMER, mimeType: 'image/png', data: '' }),
    ).toThrow(SimInputError);
  });
});
