import { afterEach, describe, expect, it } from 'vitest';
import type { MessageReceived } from '../../core/index.ts';
import { eventually } from '../../core/testing/eventually.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../core/testing/runtime-fixture.ts';
import { conversationActor } from '../conversation/conversation.actor.ts';
import type { ConversationMsg, ConversationReplies } from '../conversation/conversation.messages.ts';
import { inboxStreamActor } from '../inbox/inbox-stream.actor.ts';
import { bucketOf } from '../indexing/bucket-index.ts';
import { assignmentActor } from './assignment.actor.ts';
import type { AssignmentMsg, AssignmentReplies } from './assignment.messages.ts';
import { operatorActor } from './operator.actor.ts';
import { assignmentAddress, operatorAddress, type OperatorMsg, type OperatorReplies } from './operator.messages.ts';

/**
 * Automatic assignment on the real runtime (LMDB in a temp dir, durable tells): an operator comes online, customers
 * write, the organisation's assignment actor gives each conversation to a free operator, a full operator leaves
 * the next one waiting until a resolve frees them, and going offline hands their conversations back.
 */

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

const ORG = 'org1';
const conversation = (phone: string) => ({ kind: 'conversation', id: `10010.p${phone}` });

function customerWrites(f: RuntimeFixture, phone: string, wamid: string): Promise<void> {
  const msg: ConversationMsg = {
    type: 'inbound',
    orgId: ORG,
    event: {
      type: 'messageReceived',
      accountId: '10010',
      businessAccountId: '2001',
      providerMessageId: wamid,
      timestampMs: f.clock.now(),
      from: phone,
      messageType: 'text',
      content: { body: 'Hola' },
    } satisfies MessageReceived,
  };
  return f.system.tell(conversation(phone), msg);
}

const view = async (f: RuntimeFixture, phone: string) =>
  (await f.system.ask<ConversationReplies['getConversation']>(conversation(phone), { type: 'getConversation' }))
    .conversation;

describe('automatic assignment on the runtime', () => {
  it('gives conversations to free operators, queues when they are full, hands back when they go offline', async () => {
    const f = (fixture = await startRuntimeFixture({
      definitions: [conversationActor, operatorActor, assignmentActor, inboxStreamActor],
    }));
    const rules: AssignmentMsg = {
      type: 'setRules',
      rules: { mode: 'roundRobin', routes: [], unassignWhenOffline: true },
    };
    expect(await f.system.ask<AssignmentReplies['setRules']>(assignmentAddress(ORG), rules)).toMatchObject({
      ok: true,
    });
    const ana = operatorAddress(ORG, 'usr_ana');
    await f.system.ask(ana, { type: 'configure', settings: { capacity: 1 } } satisfies OperatorMsg);
    await f.system.tell(ana, { type: 'devicePresence', deviceId: 'laptop', presence: 'online' } satisfies OperatorMsg);

    await customerWrites(f, '34600000001', 'wamid.1');
    await eventually(
      () => view(f, '34600000001'),
      (c) => c.assignee === 'usr_ana',
      'the first conversation assigned to Ana',
    );
    expect((await view(f, '34600000001')).lock).toMatchObject({ holder: 'usr_ana' });
    await eventually(
      () => f.system.ask<OperatorReplies['getOperator']>(ana, { type: 'getOperator' }),
      (r) => r.operator.assigned.length === 1,
      'Ana’s load',
    );

    // Ana is full (capacity 1): the next customer waits.
    await customerWrites(f, '34600000002', 'wamid.2');
    await eventually(
      () => f.system.ask<AssignmentReplies['getAssignment']>(assignmentAddress(ORG), { type: 'getAssignment' }),
      (r) => r.view.waiting.some((w) => w.conversationId === '10010.p34600000002'),
      'the second conversation waiting',
    );
    expect((await view(f, '34600000002')).assignee).toBeNull();

    // Ana resolves the first: she is free, and the waiting one is hers.
    await f.system.ask(conversation('34600000001'), {
      type: 'setStatus',
      status: 'resolved',
      by: { kind: 'user', id: 'usr_ana' },
    } satisfies ConversationMsg);
    await eventually(
      () => view(f, '34600000002'),
      (c) => c.assignee === 'usr_ana',
      'the second conversation assigned to Ana',
    );

    // Ana closes her laptop: her open conversation is handed back and waits again.
    await f.system.tell(ana, { type: 'devicePresence', deviceId: 'laptop', presence: 'offline' } satisfies OperatorMsg);
    await eventually(
      () => view(f, '34600000002'),
      (c) => c.assignee === null && c.lock === null,
      'the second conversation unassigned',
    );
    const queue = await f.system.ask<AssignmentReplies['getAssignment']>(assignmentAddress(ORG), {
      type: 'getAssignment',
    });
    expect(queue.view.waiting.map((w) => w.conversationId)).toEqual(['10010.p34600000002']);

    // Bob comes online: it is his.
    const bob = operatorAddress(ORG, 'usr_bob');
    await f.system.tell(bob, { type: 'devicePresence', deviceId: 'phone', presence: 'online' } satisfies OperatorMsg);
    await eventually(
      () => view(f, '34600000002'),
      (c) => c.assignee === 'usr_bob',
      'the second conversation assigned to Bob',
    );
  });

  it('upgrades a queue stored by version 2 (no teams) and keeps a transfer’s team across a restart', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [assignmentActor] }));
    const head = {
      rules: { mode: 'manual', routes: [], unassignWhenOffline: false },
      operators: [],
      lastPicked: null,
      waitingCount: 1,
    };
    const old = { conversationId: '10010.p1', phoneNumberId: '10010', sinceMs: f.clock.now() };
    f.store.putState('assignment', ORG, { v: 2, s: head });
    f.store.putItem('assignment', ORG, bucketOf(old.conversationId), {
      index: bucketOf(old.conversationId),
      entries: [old],
    });
    await f.store.durable();
    const queue = () =>
      f.system.ask<AssignmentReplies['getAssignment']>(assignmentAddress(ORG), { type: 'getAssignment' });
    expect((await queue()).view.waiting).toEqual([{ ...old, team: null, noteId: null }]);

    const moved: AssignmentMsg = {
      type: 'needsOperator',
      conversationId: '10010.p1',
      phoneNumberId: '10010',
      team: 'billing',
      noteId: 'note_1',
    };
    await f.system.tell(assignmentAddress(ORG), moved);
    await eventually(queue, (r) => r.view.waiting[0]?.team === 'billing', 'the transfer recorded');
    await f.restart();
    expect((await queue()).view.waiting).toEqual([{ ...old, team: 'billing', noteId: 'note_1' }]);
  });
});
