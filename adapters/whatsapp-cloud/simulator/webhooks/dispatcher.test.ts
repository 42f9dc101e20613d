import { describe, expect, it, vi } from 'vitest';
import { FakeClock, settle } from '../../../../core/testing/fake-clock.ts';
import {
  RETRY_FOR_7_DAYS_MS,
  WebhookDispatcher,
  type WebhookDispatcherDeps,
  type WebhookPoster,
} from './dispatcher.ts';
import {
  buildStatusValue,
  buildTemplateStatusUpdateValue,
  type BusinessNumberRef,
  type WebhookChange,
  type WebhookEnvelope,
} from './payloads.ts';
import { signPayload } from './sign.ts';

const T0 = Date.UTC(2026, 0, 1);
const HOUR_MS = 60 * 60 * 1000;
const NUMBER: BusinessNumberRef = {
  wabaId: '419561257915477',
  phoneNumberId: '1065',
  displayPhoneNumber: '15550783881',
};
const TARGET = { url: 'http://hooks.test/whatsapp', appSecret: 'app-secret' };

interface Call {
  readonly atMs: number;
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

type Answer = number | Error | Promise<number>;

/** A fake `post` that records each call with the clock's time and answers from `respond`. */
function recorder(clock: FakeClock, respond: (index: number, call: Call) => Answer = () => 200) {
  const calls: Call[] = [];
  const post: WebhookPoster = (url, body, headers) => {
    const call = { atMs: clock.now(), url, body, headers };
    calls.push(call);
    const answer = respond(calls.length - 1, call);
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { calls, post };
}

function setup(options: WebhookDispatcherDeps['options'] = {}, respond?: (index: number, call: Call) => Answer) {
  const clock = new FakeClock(T0);
  const { calls, post } = recorder(clock, respond);
  const dispatcher = new WebhookDispatcher({
    clock,
    post,
    random: () => 0.5,
    options: { batchDelayMs: 0, ...options },
  });
  return { clock, calls, dispatcher };
}

function statusChange(wamid: string, number = NUMBER): WebhookChange {
  return {
    wabaId: number.wabaId,
    field: 'messages',
    value: buildStatusValue(number, { wamid, status: 'delivered', recipientId: '16505551234', timestampMs: T0 }, 24),
  };
}

function envelopeOf(call: Call): WebhookEnvelope {
  return JSON.parse(call.body) as WebhookEnvelope;
}

/** The status ids in a POST, in order. */
function statusIds(call: Call): string[] {
  return envelopeOf(call).entry.flatMap((e) =>
    e.changes.flatMap((c) => ((c.value as { statuses?: { id: string }[] }).statuses ?? []).map((s) => s.id)),
  );
}

/** Small seeded PRNG (mulberry32) for reproducible fault injection. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('WebhookDispatcher batching', () => {
  it('sends the updates queued within batchDelayMs as one signed POST', async () => {
    const { clock, calls, dispatcher } = setup({ batchDelayMs: 10 });
    dispatcher.enqueue(TARGET, statusChange('wamid.A'));
    dispatcher.enqueue(TARGET, statusChange('wamid.B'));
    await clock.advance(5);
    dispatcher.enqueue(TARGET, statusChange('wamid.C'));
    dispatcher.enqueue(TARGET, {
      wabaId: NUMBER.wabaId,
      field: 'message_template_status_update',
      value: buildTemplateStatusUpdateValue({ event: 'APPROVED', templateId: 7, templateName: 't', language: 'en' }),
    });
    expect(calls).toHaveLength(0);
    expect(dispatcher.stats().pending).toBe(4);

    await clock.advance(5);

    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.atMs).toBe(T0 + 10);
    expect(call!.url).toBe(TARGET.url);
    expect(call!.headers['Content-Type']).toBe('application/json');
    expect(call!.headers['X-Hub-Signature-256']).toBe(signPayload(call!.body, TARGET.appSecret));
    const envelope = envelopeOf(call!);
    expect(envelope.entry).toHaveLength(2);
    expect(envelope.entry[0]!.changes).toHaveLength(1); // three statuses merged into one value
    expect(statusIds(call!)).toEqual(['wamid.A', 'wamid.B', 'wamid.C']);
    expect(envelope.entry[1]).toMatchObject({ id: NUMBER.wabaId, time: Math.floor((T0 + 10) / 1000) });
    expect(dispatcher.stats()).toMatchObject({ delivered: 4, pending: 0, posts: 1, failedAttempts: 0 });
    await expect(dispatcher.whenIdle()).resolves.toBeUndefined();
  });

  it('keeps URLs and app secrets apart', async () => {
    const { clock, calls, dispatcher } = setup();
    dispatcher.enqueue(TARGET, statusChange('a'));
    dispatcher.enqueue({ ...TARGET, url: 'http://other.test/' }, statusChange('b'));
    dispatcher.enqueue({ ...TARGET, appSecret: 'second-app' }, statusChange('c'));
    await clock.advance(0);
    expect(calls.map((c) => [c.url, statusIds(c)])).toEqual([
      [TARGET.url, ['a']],
      ['http://other.test/', ['b']],
      [TARGET.url, ['c']],
    ]);
    expect(calls[2]!.headers['X-Hub-Signature-256']).toBe(signPayload(calls[2]!.body, 'second-app'));
  });

  it('sends a full batch at once and splits at maxBatch', async () => {
    const { clock, calls, dispatcher } = setup({ maxBatch: 2, batchDelayMs: 10 });
    for (const id of ['1', '2', '3', '4', '5']) dispatcher.enqueue(TARGET, statusChange(id));
    expect(calls.map(statusIds)).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    await clock.advance(10);
    expect(calls.map((c) => [c.atMs - T0, statusIds(c)])).toEqual([
      [0, ['1', '2']],
      [0, ['3', '4']],
      [10, ['5']],
    ]);
  });

  it('refuses a maxBatch above Meta’s 1000', () => {
    const clock = new FakeClock(T0);
    const post: WebhookPoster = () => Promise.resolve(200);
    expect(() => new WebhookDispatcher({ clock, post, options: { maxBatch: 1001 } })).toThrow(RangeError);
  });
});

describe('WebhookDispatcher retries', () => {
  it('retries a non-2xx answer with exponential backoff, re-sending the same signed bytes', async () => {
    const { clock, calls, dispatcher } = setup({}, (i) => [500, 503, 200][i] ?? 200);
    dispatcher.enqueue(TARGET, statusChange('a'));
    await clock.advance(10_000);
    expect(calls.map((c) => c.atMs - T0)).toEqual([0, 1_000, 3_000]);
    expect(new Set(calls.map((c) => c.body)).size).toBe(1);
    expect(new Set(calls.map((c) => c.headers['X-Hub-Signature-256'])).size).toBe(1);
    expect(dispatcher.stats()).toMatchObject({ delivered: 1, failedAttempts: 2, dropped: 0, pending: 0, posts: 3 });
  });

  it('treats network errors (rejections and throws) like failed attempts', async () => {
    const clock = new FakeClock(T0);
    let n = 0;
    const post: WebhookPoster = () => {
      n++;
      if (n === 1) throw new Error('EHOSTUNREACH');
      if (n === 2) return Promise.reject(new Error('ECONNREFUSED'));
      return Promise.resolve(204);
    };
    const dispatcher = new WebhookDispatcher({ clock, post, random: () => 0.5, options: { batchDelayMs: 0 } });
    dispatcher.enqueue(TARGET, statusChange('a'));
    await clock.advance(5_000);
    expect(n).toBe(3);
    expect(dispatcher.stats()).toMatchObject({ delivered: 1, failedAttempts: 2 });
  });

  it('spreads each delay by ±retryJitter', async () => {
    for (const [random, expectedDelay] of [
      [0, 800],
      [0.75, 1_100],
    ] as const) {
      const clock = new FakeClock(T0);
      const { calls, post } = recorder(clock, (i) => (i === 0 ? 500 : 200));
      const dispatcher = new WebhookDispatcher({ clock, post, random: () => random, options: { batchDelayMs: 0 } });
      dispatcher.enqueue(TARGET, statusChange('a'));
      await clock.advance(5_000);
      expect(calls.map((c) => c.atMs - T0)).toEqual([0, expectedDelay]);
    }
  });

  it('caps the delay at retryMaxMs and drops the batch when retryForMs has passed', async () => {
    const logger = { debug: vi.fn(), warn: vi.fn() };
    const clock = new FakeClock(T0);
    const { calls, post } = recorder(clock, () => 500);
    const dispatcher = new WebhookDispatcher({
      clock,
      post,
      logger,
      random: () => 0.5,
      options: { batchDelayMs: 0, retryInitialMs: 1_000, retryMaxMs: 4_000, retryForMs: 20_000 },
    });
    dispatcher.enqueue(TARGET, statusChange('a'));
    dispatcher.enqueue(TARGET, statusChange('b'));
    await clock.advance(60_000);
    expect(calls.map((c) => c.atMs - T0)).toEqual([0, 1_000, 3_000, 7_000, 11_000, 15_000, 19_000]);
    expect(dispatcher.stats()).toMatchObject({ delivered: 0, failedAttempts: 7, dropped: 2, pending: 0 });
    expect(logger.warn).toHaveBeenCalledTimes(1);
    expect(clock.pendingCount()).toBe(0);
    await expect(dispatcher.whenIdle()).resolves.toBeUndefined();
  });

  it('by default gives up after 36 hours of retries with decreasing frequency', async () => {
    const { clock, calls, dispatcher } = setup({}, () => 500);
    dispatcher.enqueue(TARGET, statusChange('a'));
    await clock.advance(35 * HOUR_MS);
    expect(dispatcher.stats()).toMatchObject({ dropped: 0, pending: 1 });
    await clock.advance(5 * HOUR_MS);
    expect(dispatcher.stats()).toMatchObject({ dropped: 1, pending: 0 });
    const last = calls[calls.length - 1]!.atMs - T0;
    expect(last).toBeGreaterThan(35 * HOUR_MS);
    expect(last).toBeLessThanOrEqual(36 * HOUR_MS);
    const gaps = calls.slice(1).map((c, i) => c.atMs - calls[i]!.atMs);
    expect(gaps.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000]);
    expect(Math.max(...gaps)).toBe(HOUR_MS);
  });

  it('keeps retrying for 7 days when configured like Meta’s webhooks overview page', async () => {
    const { clock, dispatcher } = setup({ retryForMs: RETRY_FOR_7_DAYS_MS }, () => 500);
    dispatcher.enqueue(TARGET, statusChange('a'));
    await clock.advance(6 * 24 * HOUR_MS);
    expect(dispatcher.stats()).toMatchObject({ dropped: 0, pending: 1 });
    await clock.advance(2 * 24 * HOUR_MS);
    expect(dispatcher.stats()).toMatchObject({ dropped: 1, pending: 0 });
  });
});

describe('WebhookDispatcher duplicates and reordering', () => {
  it('sends a delivered batch a second time when asked to', async () => {
    const { clock, calls, dispatcher } = setup({ duplicateProbability: 1 });
    dispatcher.enqueue(TARGET, statusChange('a'));
    await clock.advance(0);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body).toBe(calls[0]!.body);
    expect(calls[1]!.headers).toEqual(calls[0]!.headers);
    expect(dispatcher.stats()).toMatchObject({ delivered: 1, duplicatesSent: 1, posts: 2, pending: 0 });
  });

  it('holds a batch back so that a later one overtakes it', async () => {
    const rolls = [0.1, 0.9]; // first batch held back, second not
    const clock = new FakeClock(T0);
    const { calls, post } = recorder(clock);
    const dispatcher = new WebhookDispatcher({
      clock,
      post,
      random: () => rolls.shift() ?? 0.9,
      options: { batchDelayMs: 0, reorderProbability: 0.5, reorderDelayMs: 500 },
    });
    dispatcher.enqueue(TARGET, statusChange('first'));
    await clock.advance(0);
    dispatcher.enqueue(TARGET, statusChange('second'));
    await clock.advance(0);
    expect(calls.map(statusIds)).toEqual([['second']]);
    await clock.advance(500);
    expect(calls.map((c) => [c.atMs - T0, statusIds(c)])).toEqual([
      [0, ['second']],
      [500, ['first']],
    ]);
  });

  it('is reproducible with a seeded random, and still delivers every update', async () => {
    const run = async (seed: number) => {
      const clock = new FakeClock(T0);
      const random = mulberry32(seed);
      const { calls, post } = recorder(clock, () => (random() < 0.2 ? 502 : 200));
      const dispatcher = new WebhookDispatcher({
        clock,
        post,
        random,
        options: { batchDelayMs: 0, duplicateProbability: 0.3, reorderProbability: 0.3, reorderDelayMs: 3_000 },
      });
      for (let i = 0; i < 40; i++) {
        dispatcher.enqueue(TARGET, statusChange(`m${i}`));
        await clock.advance(100);
      }
      await clock.advance(HOUR_MS);
      await dispatcher.whenIdle();
      return { sequence: calls.map((c) => `${c.atMs}:${statusIds(c).join()}`), stats: dispatcher.stats() };
    };
    const a = await run(42);
    const b = await run(42);
    expect(a).toEqual(b);
    expect(a.stats).toMatchObject({ delivered: 40, dropped: 0, pending: 0 });
    expect(a.stats.duplicatesSent).toBeGreaterThan(0);
    expect(a.stats.failedAttempts).toBeGreaterThan(0);
    const firstSeen = [...new Set(a.sequence.map((s) => s.split(':')[1]!))];
    expect(firstSeen).toHaveLength(40);
    expect(firstSeen).not.toEqual([...firstSeen].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
    expect((await run(7)).sequence).not.toEqual(a.sequence);
  });
});

describe('WebhookDispatcher concurrency and lifecycle', () => {
  it('keeps at most `concurrency` POSTs in flight per URL', async () => {
    const clock = new FakeClock(T0);
    const release: ((status: number) => void)[] = [];
    const { calls, post } = recorder(clock, () => new Promise<number>((resolve) => release.push(resolve)));
    const dispatcher = new WebhookDispatcher({
      clock,
      post,
      options: { batchDelayMs: 0, maxBatch: 1, concurrency: 2 },
    });
    for (const id of ['1', '2', '3', '4', '5']) dispatcher.enqueue(TARGET, statusChange(id));
    await clock.advance(0);
    expect(calls.map(statusIds)).toEqual([['1'], ['2']]);
    release.shift()!(200);
    await settle();
    expect(calls.map(statusIds)).toEqual([['1'], ['2'], ['3']]);
    while (release.length > 0) {
      release.shift()!(200);
      await settle();
    }
    expect(calls).toHaveLength(5);
    expect(dispatcher.stats()).toMatchObject({ delivered: 5, pending: 0 });
  });

  it('whenIdle waits for retries; close abandons what is queued and refuses new work', async () => {
    const { clock, dispatcher } = setup({}, () => 500);
    dispatcher.enqueue(TARGET, statusChange('a'));
    await clock.advance(0);
    let isIdle = false;
    void dispatcher.whenIdle().then(() => {
      isIdle = true;
    });
    await clock.advance(100);
    expect(isIdle).toBe(false);
    await dispatcher.close();
    expect(isIdle).toBe(true);
    expect(dispatcher.stats()).toMatchObject({ abandoned: 1, pending: 0 });
    expect(clock.pendingCount()).toBe(0);
    expect(() => dispatcher.enqueue(TARGET, statusChange('b'))).toThrow(/closed/);
  });

  it('close waits for POSTs in flight', async () => {
    const clock = new FakeClock(T0);
    let release: ((status: number) => void) | undefined;
    const { post } = recorder(clock, () => new Promise<number>((resolve) => (release = resolve)));
    const dispatcher = new WebhookDispatcher({ clock, post, options: { batchDelayMs: 0 } });
    dispatcher.enqueue(TARGET, statusChange('a'));
    await clock.advance(0);
    let isClosed = false;
    void dispatcher.close().then(() => {
      isClosed = true;
    });
    await settle();
    expect(isClosed).toBe(false);
    release!(200);
    await settle();
    expect(isClosed).toBe(true);
    expect(dispatcher.stats()).toMatchObject({ delivered: 1, abandoned: 0, pending: 0 });
  });
});
