import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessHub, silentLogger, type Transport } from '../../core/index.ts';
import { inboxTopic, type InboxEntry, type InboxStreamReplies } from '../../actors/inbox/inbox-stream.messages.ts';
import { OrgChannel, type ReadSince } from './org-channel.ts';

/**
 * The channel against a stand-in stream (an array: what the organisation's inbox-stream retains) and the
 * in-process hub: live entries pass in order, duplicates are dropped, a gap is read back from the stream, and
 * what the stream no longer has is reported as a gap.
 */

function entry(seq: number): InboxEntry {
  return {
    seq,
    atMs: seq,
    event: {
      type: 'assignment',
      conversationId: '1001.p15551234567',
      phoneNumberId: '1001',
      customer: { phone: null, userId: null, profileName: null },
      assignee: null,
      lock: null,
    },
  };
}

class StreamStandIn {
  entries: InboxEntry[] = [];
  /** Seqs at or below this are no longer retained. */
  trimmedThrough = 0;
  reads: number[] = [];
  failNext = false;

  get lastSeq(): number {
    return this.entries.at(-1)?.seq ?? 0;
  }

  readonly readSince: ReadSince = (_orgId, afterSeq, limit) => {
    this.reads.push(afterSeq);
    if (this.failNext) {
      this.failNext = false;
      return Promise.reject(Object.assign(new Error('ask timed out'), { code: 'PARLO_ASK_TIMEOUT' }));
    }
    const complete = afterSeq >= this.trimmedThrough && afterSeq <= this.lastSeq;
    const after = this.entries.filter((e) => e.seq > Math.max(afterSeq, this.trimmedThrough));
    const reply: InboxStreamReplies['readSince'] = {
      ok: true,
      entries: after.slice(0, limit),
      lastSeq: this.lastSeq,
      complete,
      hasMore: after.length > limit,
    };
    return Promise.resolve(reply);
  };

  append(count: number): InboxEntry[] {
    const added = Array.from({ length: count }, (_, i) => entry(this.lastSeq + i + 1));
    this.entries.push(...added);
    return added;
  }
}

let transport: Transport;
afterEach(async () => {
  vi.useRealTimers();
  await transport?.close();
});

function setUp(stream: StreamStandIn) {
  transport = new InProcessHub().connect('node');
  const delivered: number[] = [];
  const gaps: number[] = [];
  const channel = new OrgChannel<string>({
    orgId: 'org1',
    transport,
    readSince: stream.readSince,
    render: (e) => `frame ${e.seq}`,
    deliver: (socket, e, frame) => {
      expect(frame()).toBe(`frame ${e.seq}`);
      delivered.push(e.seq);
    },
    onGap: (sockets, lastSeq) => {
      expect(sockets).toEqual(['s1']);
      gaps.push(lastSeq);
    },
    logger: silentLogger(),
    settleAfterMs: 60_000,
    retryAfterMs: 60_000,
  });
  channel.sockets.add('s1');
  channel.index.add('s1', { scope: 'org', id: 'org1' });
  const publish = (entries: readonly InboxEntry[]) => {
    for (const e of entries) transport.publish(inboxTopic('org1'), e);
  };
  return { channel, delivered, gaps, publish };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('OrgChannel', () => {
  it('starts at the stream’s newest seq and passes live entries on in order, once', async () => {
    const stream = new StreamStandIn();
    stream.append(5);
    const { channel, delivered, publish } = setUp(stream);
    await channel.ready();
    expect(channel.lastSeq).toBe(5);
    const live = stream.append(3);
    publish(live);
    publish(live); // a duplicate delivery
    expect(delivered).toEqual([6, 7, 8]);
    expect(channel.lastSeq).toBe(8);
  });

  it('keeps what arrives while it starts, and passes on what is newer than where it starts', async () => {
    const stream = new StreamStandIn();
    stream.append(2);
    const { channel, delivered, publish } = setUp(stream);
    const starting = channel.ready();
    publish([entry(2), ...stream.append(2)]); // 2 is before the start point; 3 and 4 are after it
    await starting;
    await settled();
    expect(delivered).toEqual([3, 4]);
  });

  it('reads a skipped seq back from the stream before it goes on', async () => {
    const stream = new StreamStandIn();
    const { channel, delivered, publish } = setUp(stream);
    await channel.ready();
    const live = stream.append(4);
    publish([live[0]!, live[2]!, live[3]!]); // 2 was lost on the way
    await settled();
    expect(delivered).toEqual([1, 2, 3, 4]);
    expect(stream.reads).toEqual([Number.MAX_SAFE_INTEGER, 1]);
  });

  it('reports a gap when the stream no longer retains what was lost, then follows on', async () => {
    const stream = new StreamStandIn();
    const { channel, delivered, gaps, publish } = setUp(stream);
    await channel.ready();
    const live = stream.append(4);
    stream.trimmedThrough = 3;
    publish([live[3]!]);
    await settled();
    expect(gaps).toEqual([4]);
    expect(delivered).toEqual([]);
    publish(stream.append(1));
    expect(delivered).toEqual([5]);
  });

  it('reads once more after it starts (a subscription may take effect late), and retries a failed read', async () => {
    vi.useFakeTimers();
    const stream = new StreamStandIn();
    const { channel, delivered } = setUp(stream);
    await channel.ready();
    stream.append(2); // published before the subscription took effect: never seen live
    stream.failNext = true;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(delivered).toEqual([]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(delivered).toEqual([1, 2]);
  });

  it('a failed start rejects and the next ready() tries again', async () => {
    const stream = new StreamStandIn();
    stream.failNext = true;
    const { channel } = setUp(stream);
    await expect(channel.ready()).rejects.toMatchObject({ code: 'PARLO_ASK_TIMEOUT' });
    await channel.ready();
    expect(channel.isReady).toBe(true);
  });

  it('stops listening when closed', async () => {
    const stream = new StreamStandIn();
    const { channel, delivered, publish } = setUp(stream);
    await channel.ready();
    channel.close();
    publish(stream.append(1));
    expect(delivered).toEqual([]);
    await expect(channel.ready()).rejects.toMatchObject({ code: 'PARLO_RUNTIME_STOPPED' });
  });
});
