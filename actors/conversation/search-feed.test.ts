import { describe, expect, it } from 'vitest';
import type { TurnContext } from '../../core/index.ts';
import { MAX_INDEXED_CHARS, messageSearchAddress } from '../message-search/message-search.messages.ts';
import { customerWrites } from './__fixtures__/customer-message.ts';
import { conversationActor } from './conversation.actor.ts';
import type { LoggedMessage } from './conversation.messages.ts';
import { initialConversationState, type ConversationState } from './conversation.state.ts';
import { searchFeedEffect, searchableTextOf, withSearchFeed } from './search-feed.ts';
import { EMPTY_MESSAGE_STATUS } from './status-merge.ts';

const T0 = 1_767_225_600_000;
const ID = '1001.p15551234567';

function message(seq: number, direction: 'in' | 'out', over: Partial<LoggedMessage> = {}): LoggedMessage {
  return {
    seq,
    id: `m${seq}`,
    direction,
    atMs: T0 + seq,
    type: 'text',
    content: direction === 'in' ? { body: `in ${seq}` } : { type: 'text', text: { body: `out ${seq}` } },
    providerMessageId: null,
    category: direction === 'in' ? null : 'service',
    sendState: direction === 'in' ? null : 'accepted',
    status: direction === 'in' ? null : EMPTY_MESSAGE_STATUS,
    error: null,
    attempts: 0,
    by: null,
    ...over,
  };
}

function stateWith(log: readonly LoggedMessage[], over: Partial<ConversationState> = {}): ConversationState {
  return {
    ...initialConversationState(),
    orgId: 'org1',
    phoneNumberId: '1001',
    log,
    nextSeq: (log.at(-1)?.seq ?? 0) + 1,
    ...over,
  };
}

describe('searchableTextOf', () => {
  it('is the text a person wrote: customer messages, free-form replies, captions, interactive replies', () => {
    expect(searchableTextOf(message(1, 'in'))).toBe('in 1');
    expect(searchableTextOf(message(2, 'out'))).toBe('out 2');
    expect(
      searchableTextOf(message(3, 'in', { type: 'image', content: { id: 'media1', caption: ' Broken part ' } })),
    ).toBe('Broken part');
    expect(
      searchableTextOf(
        message(4, 'in', { type: 'interactive', content: { button_reply: { id: 'b1', title: 'Track my order' } } }),
      ),
    ).toBe('Track my order');
  });

  it('leaves out templates, campaign messages, reactions and messages without text; cuts long texts', () => {
    const template = { type: 'template', template: { name: 'order_update', language: { code: 'en' } } };
    expect(searchableTextOf(message(1, 'out', { type: 'template', content: template }))).toBeNull();
    expect(searchableTextOf(message(2, 'out', { campaign: { campaignId: 'cmp1' } as never }))).toBeNull();
    expect(searchableTextOf(message(3, 'in', { type: 'reaction', content: { emoji: '👍' } }))).toBeNull();
    expect(searchableTextOf(message(4, 'in', { type: 'audio', content: { id: 'media2' } }))).toBeNull();
    expect(searchableTextOf(message(5, 'in', { content: { body: '   ' } }))).toBeNull();
    const long = searchableTextOf(message(6, 'in', { content: { body: `${'x'.repeat(MAX_INDEXED_CHARS - 1)}😀` } }));
    expect(long).toBe('x'.repeat(MAX_INDEXED_CHARS - 1));
  });
});

describe('searchFeedEffect', () => {
  it("tells the number's search the texts logged by the turn, in log order, in one tell", () => {
    const before = stateWith([message(1, 'in')]);
    const after = stateWith([
      ...before.log,
      message(2, 'out'),
      message(3, 'in', { type: 'reaction' }),
      message(4, 'in'),
    ]);
    expect(searchFeedEffect(before, after, ID)).toEqual({
      type: 'tell',
      to: messageSearchAddress('1001'),
      msg: {
        type: 'indexTexts',
        texts: [
          { conversationId: ID, seq: 2, atMs: T0 + 2, direction: 'out', text: 'out 2' },
          { conversationId: ID, seq: 4, atMs: T0 + 4, direction: 'in', text: 'in 4' },
        ],
      },
    });
  });

  it('tells nothing when nothing was logged, nothing logged has text, or the conversation has no organisation', () => {
    const before = stateWith([message(1, 'in')]);
    const statusOnly = stateWith([{ ...before.log[0]!, status: EMPTY_MESSAGE_STATUS }]);
    expect(searchFeedEffect(before, statusOnly, ID)).toBeNull();
    expect(searchFeedEffect(before, stateWith([...before.log, message(2, 'in', { type: 'reaction' })]), ID)).toBeNull();
    const orphan = stateWith([...before.log, message(2, 'in')], { orgId: null });
    expect(searchFeedEffect(before, orphan, ID)).toBeNull();
  });

  it("is part of the conversation actor as registered: a customer's message is told to the search once", () => {
    const ctx: TurnContext = { self: { kind: 'conversation', id: ID }, nowMs: T0, msgId: undefined, newId: () => 'id' };
    const turn = conversationActor.handle(initialConversationState(), customerWrites('wamid.1', T0), ctx);
    const told = (turn.effects ?? []).filter((e) => e.type === 'tell' && e.to.kind === 'message-search');
    expect(told).toEqual([
      {
        type: 'tell',
        to: messageSearchAddress('1001'),
        msg: { type: 'indexTexts', texts: [{ conversationId: ID, seq: 1, atMs: T0, direction: 'in', text: 'Hi' }] },
      },
    ]);
  });

  it('wraps any conversation definition without changing its turns otherwise', () => {
    const before = stateWith([]);
    const after = stateWith([message(1, 'in')]);
    const inner = { ...conversationActor, handle: () => ({ state: after }) };
    const ctx: TurnContext = { self: { kind: 'conversation', id: ID }, nowMs: T0, msgId: undefined, newId: () => 'id' };
    const turn = withSearchFeed(inner).handle(before, customerWrites('wamid.2', T0), ctx);
    expect(turn.state).toBe(after);
    expect(turn.effects).toHaveLength(1);
  });
});
