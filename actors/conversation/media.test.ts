import { describe, expect, it } from 'vitest';
import type { MediaFetchResult } from '../../core/index.ts';
import type { LoggedMessage } from './conversation.messages.ts';
import {
  MAX_MEDIA_FETCH_ATTEMPTS,
  MEDIA_RETRY_DELAYS_MS,
  applyMediaResult,
  mediaFetchEffect,
  mediaIdOf,
  mediaRetryDelayMs,
  mediaRetryTimer,
  pendingMedia,
  type MediaFetchOutcome,
  type MessageMedia,
} from './media.ts';

/** A logged message as the conversation keeps it, with the proposed `media` field. */
type Logged = LoggedMessage & { readonly media?: MessageMedia | null };

const NUMBER = '106540352242922';
const NOW = Date.UTC(2026, 10, 25, 12);
const REF = 'a'.repeat(64);

function inbound(type: string, content: unknown, media?: MessageMedia | null): Logged {
  const message: LoggedMessage = {
    seq: 7,
    id: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
    direction: 'in',
    atMs: NOW,
    type,
    content,
    providerMessageId: 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=',
    category: null,
    sendState: null,
    status: null,
    error: null,
    attempts: 0,
    by: null,
  };
  return media === undefined ? message : { ...message, media };
}

const photo = (media?: MessageMedia | null): Logged =>
  inbound(
    'image',
    {
      id: '1003383421387256',
      mime_type: 'image/jpeg',
      sha256: 'SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=',
      caption: 'look',
    },
    media,
  );

const stored: MediaFetchResult = { ok: true, ref: REF, mimeType: 'image/jpeg', sha256: REF, sizeBytes: 48_213 };
const retry: MediaFetchResult = { ok: false, outcome: 'retry', code: -2, detail: 'timed out' };
const rejected: MediaFetchResult = { ok: false, outcome: 'rejected', code: 100, detail: 'Object does not exist' };
const portFailed: MediaFetchOutcome = {
  ok: false,
  code: 'PARLO_PORT_FAILED',
  message: 'whatsapp-cloud.fetchMedia threw',
};

describe('which messages have media to fetch', () => {
  it.each([
    ['image', { id: '1', mime_type: 'image/jpeg' }, '1'],
    ['video', { id: '2', mime_type: 'video/mp4' }, '2'],
    ['audio', { id: '3', mime_type: 'audio/ogg; codecs=opus', voice: true }, '3'],
    ['document', { id: '4', mime_type: 'application/pdf', filename: 'a.pdf' }, '4'],
    ['sticker', { id: '5', mime_type: 'image/webp', animated: false }, '5'],
    ['text', { body: 'hi' }, null],
    ['location', { latitude: 1, longitude: 2 }, null],
    ['image', { link: 'https://example.com/a.jpg' }, null],
    ['image', { id: '' }, null],
    ['image', null, null],
    ['unsupported', { id: '6' }, null],
  ] as const)('%s %j → %s', (type, content, expected) => {
    expect(mediaIdOf(type, content)).toBe(expected);
    expect(pendingMedia(type, content)).toEqual(
      expected === null ? null : { state: 'fetching', mediaId: expected, attempts: 0, error: null },
    );
  });
});

describe('mediaFetchEffect', () => {
  it('calls whatsapp-cloud/fetchMedia for an inbound media message, with the message id as callId', () => {
    expect(mediaFetchEffect(photo(pendingMedia('image', photo().content)), NUMBER)).toEqual({
      type: 'callPort',
      port: 'whatsapp-cloud',
      operation: 'fetchMedia',
      input: { accountId: NUMBER, mediaId: '1003383421387256', mediaType: 'image' },
      resultType: 'mediaFetched',
      callId: photo().id,
    });
    // Without the field yet (messages logged before it existed) it fetches too.
    expect(mediaFetchEffect(photo(), NUMBER)).not.toBeNull();
  });

  it('is null for text, outbound messages, media without an id, and media already settled', () => {
    expect(mediaFetchEffect(inbound('text', { body: 'hi' }), NUMBER)).toBeNull();
    expect(mediaFetchEffect({ ...photo(), direction: 'out' }, NUMBER)).toBeNull();
    expect(mediaFetchEffect(inbound('image', { link: 'https://example.com/a.jpg' }), NUMBER)).toBeNull();
    expect(mediaFetchEffect(photo(applyMediaResult(photo(), stored).media), NUMBER)).toBeNull();
    expect(mediaFetchEffect(photo(applyMediaResult(photo(), rejected).media), NUMBER)).toBeNull();
  });
});

describe('applyMediaResult', () => {
  it('records the stored ref, type and size', () => {
    const message = applyMediaResult(photo(pendingMedia('image', photo().content)), {
      ...stored,
      fileName: 'IMG_0001.jpg',
    });
    expect(message.media).toEqual({
      state: 'stored',
      mediaId: '1003383421387256',
      attempts: 1,
      ref: REF,
      mimeType: 'image/jpeg',
      sizeBytes: 48_213,
      fileName: 'IMG_0001.jpg',
    });
    // Everything else is untouched.
    expect({ ...message, media: undefined }).toEqual({ ...photo(), media: undefined });
    expect(mediaRetryTimer(message, NOW)).toBeNull();
  });

  it('fails at once on a rejection, with the code', () => {
    const message = applyMediaResult(photo(), rejected);
    expect(message.media).toEqual({
      state: 'failed',
      mediaId: '1003383421387256',
      attempts: 1,
      error: { code: 100, detail: 'Object does not exist' },
    });
    expect(mediaRetryTimer(message, NOW)).toBeNull();
  });

  it('keeps fetching after a transient failure and sets the retry timer', () => {
    const message = applyMediaResult(photo(pendingMedia('image', photo().content)), retry);
    expect(message.media).toEqual({
      state: 'fetching',
      mediaId: '1003383421387256',
      attempts: 1,
      error: { code: -2, detail: 'timed out' },
    });
    expect(mediaRetryTimer(message, NOW)).toEqual({
      type: 'setTimer',
      name: `media:${photo().id}`,
      dueAtMs: NOW + 5_000,
      msg: { type: 'retryMediaFetch', messageId: photo().id },
    });
    // The timer's message brings the same fetch again.
    expect(mediaFetchEffect(message, NUMBER)).toEqual(mediaFetchEffect(photo(), NUMBER));
  });

  it('treats a runtime refusal (the port threw) as transient', () => {
    const message = applyMediaResult(photo(), portFailed);
    expect(message.media).toMatchObject({
      state: 'fetching',
      attempts: 1,
      error: { code: 'PARLO_PORT_FAILED', detail: 'whatsapp-cloud.fetchMedia threw' },
    });
  });

  it(`gives up after ${MAX_MEDIA_FETCH_ATTEMPTS} attempts, waiting 5 s, 30 s, 2 min, 10 min, 1 h and 6 h between them`, () => {
    let message = photo(pendingMedia('image', photo().content));
    const waits: number[] = [];
    for (let attempt = 1; attempt < MAX_MEDIA_FETCH_ATTEMPTS; attempt++) {
      message = applyMediaResult(message, retry);
      expect(message.media).toMatchObject({ state: 'fetching', attempts: attempt });
      const timer = mediaRetryTimer(message, NOW);
      if (timer?.type !== 'setTimer') throw new Error(`no timer after attempt ${attempt}`);
      waits.push(timer.dueAtMs - NOW);
    }
    expect(waits).toEqual([5_000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000]);
    expect(waits).toEqual(MEDIA_RETRY_DELAYS_MS);
    // About 7.2 hours in all: well inside the 7 days Meta keeps a received media id.
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThan(8 * 3_600_000);
    message = applyMediaResult(message, retry);
    expect(message.media).toEqual({
      state: 'failed',
      mediaId: '1003383421387256',
      attempts: MAX_MEDIA_FETCH_ATTEMPTS,
      error: { code: -2, detail: `gave up after ${MAX_MEDIA_FETCH_ATTEMPTS} attempts: timed out` },
    });
    expect(mediaRetryTimer(message, NOW)).toBeNull();
    expect(mediaFetchEffect(message, NUMBER)).toBeNull();
  });

  it('succeeds on a later attempt and counts it', () => {
    const message = applyMediaResult(applyMediaResult(applyMediaResult(photo(), retry), retry), stored);
    expect(message.media).toMatchObject({ state: 'stored', attempts: 3, ref: REF });
  });

  it('changes nothing (same object) for settled media, messages without media, and outbound messages', () => {
    const done = applyMediaResult(photo(), stored);
    expect(applyMediaResult(done, retry)).toBe(done);
    expect(applyMediaResult(done, { ...stored, ref: 'b'.repeat(64) })).toBe(done);
    const failed = applyMediaResult(photo(), rejected);
    expect(applyMediaResult(failed, stored)).toBe(failed);
    const text = inbound('text', { body: 'hi' });
    expect(applyMediaResult(text, stored)).toBe(text);
    const outbound: Logged = { ...photo(), direction: 'out' };
    expect(applyMediaResult(outbound, stored)).toBe(outbound);
  });

  it('clamps the delay table at both ends', () => {
    expect(mediaRetryDelayMs(0)).toBe(5_000);
    expect(mediaRetryDelayMs(99)).toBe(21_600_000);
  });
});
