import { afterEach, describe, expect, it } from 'vitest';
import type { MessageReceived } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../core/testing/runtime-fixture.ts';
import { conversationActor } from '../conversation/conversation.actor.ts';
import type { ConversationMsg } from '../conversation/conversation.messages.ts';
import { CHUNK_SIZE, createInboxStreamActor } from './inbox-stream.actor.ts';
import {
  inboxStreamAddress,
  inboxTopic,
  type InboxEntry,
  type InboxEvent,
  type InboxStreamMsg,
  type InboxStreamReplies,
} from './inbox-stream.messages.ts';

/**
 * The inbox stream on the real runtime (LMDB in a temp dir, in-process transport): what a conversation changes
 * reaches a subscriber of the organisation's topic, numbered; the numbering survives a restart (seqs are never
 * reused), the replay buffer does not (it is held in memory).
 */

const stream = createInboxStreamActor({ retentionMs: 60_000 });
let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

const assignment = (n: number): InboxEvent => ({
  type: 'assignment',
  conversationId: `1001.p${n}`,
  phoneNumberId: '1001',
  customer: { phone: `${n}`, userId: null, profileName: null },
  assignee: `usr${n}`,
  lock: null,
});

const readSince = (f: RuntimeFixture, afterSeq: number) =>
  f.system.ask<InboxStreamReplies['readSince']>(inboxStreamAddress('org1'), {
    type: 'readSince',
    afterSeq,
  } satisfies InboxStreamMsg);

describe('inbox stream on the runtime', () => {
  it('publishes what a conversation changed on the organisation’s topic, numbered from 1', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [conversationActor, stream] }));
    const published: InboxEntry[] = [];
    f.transport.subscribe(inboxTopic('org1'), (_topic, payload) => published.push(payload as InboxEntry));
    const inbound: ConversationMsg = {
      type: 'inbound',
      orgId: 'org1',
      event: {
        type: 'messageReceived',
        accountId: '1001',
        businessAccountId: '2001',
        providerMessageId: 'wamid.IN1',
        timestampMs: f.clock.now(),
        from: '15551234567',
        profileName: 'Ada',
        messageType: 'text',
        content: { body: 'Hola' },
      } satisfies MessageReceived,
    };
    await f.system.tell({ kind: 'conversation', id: '1001.p15551234567' }, inbound);
    await eventually(
      () => Promise.resolve(published.length),
      (n) => n === 1,
      'the published entry',
    );
    expect(published[0]).toMatchObject({
      seq: 1,
      event: {
        type: 'message',
        conversationId: '1001.p15551234567',
        message: { id: 'wamid.IN1', direction: 'in', content: { body: 'Hola' } },
      },
    });
  });

  it('keeps its numbering across a restart; a client behind it gets a gap, one at the last seq follows on', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [stream] }));
    const events = Array.from({ length: CHUNK_SIZE + 5 }, (_, i) => assignment(i));
    await f.system.tell(inboxStreamAddress('org1'), { type: 'append', events } satisfies InboxStreamMsg);
    await eventually(
      () => readSince(f, 0),
      (r) => r.lastSeq === CHUNK_SIZE + 5,
      'the appended events',
    );
    await f.restart();
    // Only the numbering was written: the replay buffer starts empty.
    expect(f.store.readItemKeys('inbox-stream', 'org1')).toEqual([]);
    expect(await readSince(f, 30)).toMatchObject({ complete: false, entries: [], lastSeq: CHUNK_SIZE + 5 });
    expect(await readSince(f, CHUNK_SIZE + 5)).toMatchObject({ complete: true, entries: [] });
    await f.system.tell(inboxStreamAddress('org1'), {
      type: 'append',
      events: [assignment(99)],
    } satisfies InboxStreamMsg);
    await eventually(
      () => readSince(f, CHUNK_SIZE + 5),
      (r) => r.entries.length === 1,
      'the next entry',
    );
    const next = await readSince(f, CHUNK_SIZE + 5);
    expect(next).toMatchObject({ complete: true, lastSeq: CHUNK_SIZE + 6 });
    expect(next.entries[0]).toMatchObject({ seq: CHUNK_SIZE + 6, event: assignment(99) });
  });

  it('upgrades a stream stored with its chunks (version 1): the numbering carries on, the chunks are deleted', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [stream] }));
    const old = (no: number) => ({
      no,
      entries: [{ seq: no * CHUNK_SIZE + 1, atMs: f.clock.now(), event: assignment(no) }],
    });
    f.store.putState('inbox-stream', 'org1', { v: 1, s: { nextSeq: 2 * CHUNK_SIZE + 2 } });
    f.store.putItem('inbox-stream', 'org1', 0, old(0));
    f.store.putItem('inbox-stream', 'org1', 1, old(1));
    await f.store.durable();
    expect(await readSince(f, 2 * CHUNK_SIZE + 1)).toMatchObject({ complete: true, lastSeq: 2 * CHUNK_SIZE + 1 });
    await f.system.tell(inboxStreamAddress('org1'), {
      type: 'append',
      events: [assignment(7)],
    } satisfies InboxStreamMsg);
    await eventually(
      () => readSince(f, 2 * CHUNK_SIZE + 1),
      (r) => r.entries.length === 1,
      'the appended event',
    );
    await f.restart();
    expect(f.store.readItemKeys('inbox-stream', 'org1')).toEqual([]);
    expect(await readSince(f, 0)).toMatchObject({ lastSeq: 2 * CHUNK_SIZE + 2, complete: false });
  });
});
