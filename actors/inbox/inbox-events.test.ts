import { describe, expect, it } from 'vitest';
import { customerWrites } from '../conversation/__fixtures__/customer-message.ts';
import type { Effect, TurnContext } from '../../core/index.ts';
import { conversationActor } from '../conversation/conversation.actor.ts';
import type { ConversationMsg } from '../conversation/conversation.messages.ts';
import { initialConversationState, type ConversationState } from '../conversation/conversation.state.ts';
import { inboxEventsOf } from './inbox-events.ts';
import type { InboxEvent, InboxStreamMsg } from './inbox-stream.messages.ts';

const T0 = 1_767_225_600_000;
const ID = '1001.p15551234567';
const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'conversation', id: ID },
  nowMs,
  msgId: undefined,
  newId: () => 'id',
});

const inbound = customerWrites;

const reply: ConversationMsg = {
  type: 'send',
  orgId: 'org1',
  phoneNumberId: '1001',
  customer: { phone: '15551234567' },
  messageId: 'm1',
  content: { type: 'text', text: { body: 'Hello' } },
  category: 'service',
  by: { kind: 'user', id: 'usr1' },
};

const status = (s: 'sent' | 'delivered' | 'read', atMs: number): ConversationMsg => ({
  type: 'status',
  event: {
    type: 'statusUpdated',
    accountId: '1001',
    businessAccountId: '2001',
    providerMessageId: 'wamid.OUT1',
    status: s,
    timestampMs: atMs,
    recipientId: '15551234567',
  },
});

/** Runs the registered conversation actor and returns the events it told the inbox stream. */
function turn(state: ConversationState, msg: ConversationMsg, nowMs: number) {
  const result = conversationActor.handle(state, msg, ctx(nowMs));
  const appends = (result.effects ?? []).filter(
    (e): e is Extract<Effect, { type: 'tell' }> => e.type === 'tell' && e.to.kind === 'inbox-stream',
  );
  expect(appends.length).toBeLessThanOrEqual(1);
  for (const append of appends) expect(append.to).toEqual({ kind: 'inbox-stream', id: 'org1' });
  const events = appends.flatMap((a) => (a.msg as Extract<InboxStreamMsg, { type: 'append' }>).events);
  return { state: result.state, events };
}

const summary = (events: readonly InboxEvent[]) =>
  events.map((e) => {
    switch (e.type) {
      case 'assignment':
        return [e.type, e.assignee];
      case 'conversationStatus':
        return [e.type, e.status];
      case 'noteAdded':
        return [e.type, e.note.text, ...e.note.mentions];
      case 'tagsChanged':
        return [e.type, ...e.tags];
      default:
        return [e.type, e.message.id, e.message.sendState, e.message.status?.current ?? null];
    }
  });

describe('inbox events of a conversation (inbox-events.ts)', () => {
  it('tells the organisation’s stream of each message logged and each change an inbox shows, and nothing else', () => {
    const first = turn(initialConversationState(), inbound('wamid.IN1', T0), T0);
    expect(summary(first.events)).toEqual([['message', 'wamid.IN1', null, null]]);
    expect(first.events[0]).toMatchObject({
      conversationId: ID,
      phoneNumberId: '1001',
      customer: { phone: '15551234567', profileName: 'Ada' },
      message: { direction: 'in', content: { body: 'Hi' } },
    });
    // The same webhook again: nothing changed, nothing told.
    expect(turn(first.state, inbound('wamid.IN1', T0), T0).events).toEqual([]);

    const queued = turn(first.state, reply, T0 + 1);
    // The operator's reply: logged, and they now hold the conversation (inbox-controls.ts).
    expect(summary(queued.events)).toEqual([
      ['message', 'm1', 'queued', 'pending'],
      ['assignment', 'usr1'],
    ]);
    // Granted a slot: "sending" looks like "queued" on screen (pending), so no event.
    const granted = turn(queued.state, { type: 'slotGranted', messageId: 'm1' }, T0 + 2);
    expect(granted.state.log.at(-1)?.sendState).toBe('sending');
    expect(granted.events).toEqual([]);
    const accepted = turn(
      granted.state,
      {
        type: 'sendResult',
        callId: 'm1',
        result: { outcome: 'accepted', providerMessageId: 'wamid.OUT1', recipientId: '15551234567' },
      },
      T0 + 3,
    );
    expect(summary(accepted.events)).toEqual([['messageUpdated', 'm1', 'accepted', 'pending']]);
    const delivered = turn(accepted.state, status('delivered', T0 + 4), T0 + 4);
    expect(summary(delivered.events)).toEqual([['messageUpdated', 'm1', 'accepted', 'delivered']]);
    // A late "sent" after "delivered": the status stays delivered (status-merge.ts); at most its history grew.
    const late = turn(delivered.state, status('sent', T0 + 3), T0 + 5);
    for (const event of late.events) expect(event).toMatchObject({ message: { status: { current: 'delivered' } } });
    const read = turn(late.state, status('read', T0 + 6), T0 + 6);
    expect(summary(read.events)).toEqual([['messageUpdated', 'm1', 'accepted', 'read']]);
  });

  it('tells a change of assignee or lock', () => {
    const state = turn(initialConversationState(), inbound('wamid.IN1', T0), T0).state;
    const lock = { holder: 'usr7', sinceMs: T0, expiresAtMs: T0 + 60_000 };
    const assigned: ConversationState = { ...state, assignee: 'usr7', lock };
    expect(inboxEventsOf(state, assigned, ID)).toEqual([
      {
        type: 'assignment',
        assignee: 'usr7',
        lock,
        conversationId: ID,
        phoneNumberId: '1001',
        customer: state.customer,
      },
    ]);
  });

  it('tells internal notes (once each) and tags; mentioned members are notified, the author is not', () => {
    const state = turn(initialConversationState(), inbound('wamid.IN1', T0), T0).state;
    const add = (noteId: string, text: string) =>
      conversationActor.handle(
        state,
        { type: 'addNote', noteId, userId: 'usr1', text, mentions: ['usr2', 'usr1', 'usr2'] },
        ctx(T0 + 1),
      );
    const added = add('n1', '  Ask about the invoice  ');
    expect(added.reply).toMatchObject({
      ok: true,
      note: { id: 'n1', text: 'Ask about the invoice', mentions: ['usr2'] },
    });
    const tells = (added.effects ?? []).filter((e) => e.type === 'tell');
    expect(tells.map((e) => (e.type === 'tell' ? `${e.to.kind}:${e.to.id}` : ''))).toEqual([
      'operator:org1.usr2',
      'inbox-stream:org1',
    ]);
    const events = turn(
      state,
      { type: 'addNote', noteId: 'n1', userId: 'usr1', text: 'x', mentions: [] },
      T0 + 1,
    ).events;
    expect(summary(events)).toEqual([['noteAdded', 'x']]);
    // The same note id again: nothing new.
    expect(
      conversationActor.handle(
        added.state,
        { type: 'addNote', noteId: 'n1', userId: 'usr1', text: 'y', mentions: [] },
        ctx(T0 + 2),
      ).state,
    ).toBe(added.state);
    expect(add('n2', ' ').reply).toMatchObject({ ok: false, code: 'PARLO_BAD_REQUEST' });

    const tagged = turn(
      state,
      { type: 'setTags', tags: ['vip', ' vip ', 'billing'], by: { kind: 'user', id: 'usr1' } },
      T0 + 3,
    );
    expect(summary(tagged.events)).toEqual([['tagsChanged', 'vip', 'billing']]);
    expect(
      turn(tagged.state, { type: 'setTags', tags: ['vip', 'billing'], by: { kind: 'user', id: 'usr1' } }, T0 + 4)
        .events,
    ).toEqual([]);
  });

  it('tells nothing for a conversation without an organisation, or the same state', () => {
    const state = turn(initialConversationState(), inbound('wamid.IN1', T0), T0).state;
    expect(inboxEventsOf(state, state, ID)).toEqual([]);
    const orphan: ConversationState = { ...state, orgId: null };
    expect(inboxEventsOf(orphan, { ...orphan, assignee: 'usr7' }, ID)).toEqual([]);
    // An erased conversation (back to the initial state) tells nothing about what it held.
    expect(inboxEventsOf(state, initialConversationState(), ID)).toEqual([]);
  });

  it('finds the changed message wherever it is in a log that also dropped its oldest messages', () => {
    let state = turn(initialConversationState(), inbound('wamid.IN1', T0), T0).state;
    for (let i = 2; i <= 5; i++) state = turn(state, inbound(`wamid.IN${i}`, T0 + i), T0 + i).state;
    const [, second, ...rest] = state.log;
    const dropped: ConversationState = {
      ...state,
      log: [{ ...second!, media: null, content: { body: 'edited' } }, ...rest],
    };
    expect(summary(inboxEventsOf(state, dropped, ID))).toEqual([['messageUpdated', 'wamid.IN2', null, null]]);
  });
});
