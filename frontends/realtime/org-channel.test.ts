import { afterEach, describe, expect, it, vi } from 'vitest';
import { InProcessHub, silentLogger, type Transport } from '../../core/index.ts';
import { inboxTopic, type InboxEntry, type InboxStreamReplies } from '../../actors/inbox/inbox-stream.messages.ts';
import { OrgChannel, type ReadSince } from './org-channel.ts';
import { typingTopic, type TypingSignal } from './typing.ts';

/**
 * The channel against a stand-in stream (an array: what the organisation's inbox-stream retains) and the
 * in-process hub: live entries pass in order, duplicates are dropped, a gap is read back from the stream, and
 * what the stream no longer has is reported as a gap. Typing signals bypass the numbering and reach every node's
 * matching sockets once.
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

let transports: Transport[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const t of transports) await t.close();
  transports = [];
});

function setUp(stream: StreamStandIn, hub = new InProcessHub(), node = 'node') {
  const transport = hub.connect(node);
  transports.push(transport);
  const delivered: number[] = [];
  const gaps: number[] = [];
  /** `<socket> <frame>` per typing delivery; `renders` counts frames rendered. */
  const typings: string[] = [];
  const renders = { count: 0 };
  const channel = new OrgChannel<string>({
    orgId: 'org1',
    transport,
    readSince: stream.readSince,
    render: (e) => `frame ${e.seq}`,
    deliver: (socket, e, frame) => {
      expect(frame()).toBe(`frame ${e.seq}`);
      delivered.push(e.seq);
    },
    renderTyping: (t) => {
      renders.count++;
      return `typing ${t.userId} ${t.conversationId}`;
    },
    deliverTyping: (socket, _t, frame) => typings.push(`${socket} ${frame()}`),
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
  return { channel, delivered, gaps, publish, typings, renders, transport };
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

describe('OrgChannel typing', () => {
  const signal = (conversationId: string, userId = 'usr_a'): TypingSignal => ({
    conversationId,
    phoneNumberId: conversationId.slice(0, conversationId.indexOf('.')),
    userId,
    expiresAtMs: 6_000,
    origin: 'gw1/1',
  });

  it('fans a signal out to the matching sockets of every node, each socket once, rendered once per node', async () => {
    const hub = new InProcessHub();
    const a = setUp(new StreamStandIn(), hub, 'node-a');
    const b = setUp(new StreamStandIn(), hub, 'node-b');
    await a.channel.ready();
    await b.channel.ready();
    // s1 is on the organisation (setUp); s2 on the number; s3 on another conversation; s4 on org and conversation.
    a.channel.index.add('s2', { scope: 'number', id: '1001' });
    a.channel.index.add('s3', { scope: 'conversation', id: '1001.p15550000009' });
    a.channel.index.add('s4', { scope: 'org', id: 'org1' });
    a.channel.index.add('s4', { scope: 'conversation', id: '1001.p15551234567' });
    b.transport.publish(typingTopic('org1'), signal('1001.p15551234567'));
    const frame = 'typing usr_a 1001.p15551234567';
    expect(a.typings.sort()).toEqual([`s1 ${frame}`, `s2 ${frame}`, `s4 ${frame}`]);
    expect(b.typings).toEqual([`s1 ${frame}`]);
    expect([a.renders.count, b.renders.count]).toEqual([1, 1]);
    // Typing is not numbered: the channels' positions did not move.
    expect([a.channel.lastSeq, b.channel.lastSeq]).toEqual([0, 0]);
    expect(a.delivered).toEqual([]);
  });

  it('ignores another organisation’s topic and malformed signals', async () => {
    const { channel, typings, transport: t } = setUp(new StreamStandIn());
    await channel.ready();
    t.publish(typingTopic('org2'), signal('1001.p15551234567'));
    t.publish(typingTopic('org1'), { conversationId: '1001.p15551234567' });
    t.publish(typingTopic('org1'), null);
    expect(typings).toEqual([]);
  });

  it('delivers while the channel starts, and nothing once it is closed', async () => {
    const stream = new StreamStandIn();
    const { channel, typings, transport: t } = setUp(stream);
    const starting = channel.ready();
    t.publish(typingTopic('org1'), signal('1001.p15551234567'));
    expect(typings).toEqual(['s1 typing usr_a 1001.p15551234567']);
    await starting;
    channel.close();
    t.publish(typingTopic('org1'), signal('1001.p15551234567', 'usr_b'));
    expect(typings).toHaveLength(1);
  });
});
