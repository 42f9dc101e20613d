import { describe, expect, it } from 'vitest';
import { customerWrites } from './__fixtures__/customer-message.ts';
import type { Effect, TurnContext } from '../../core/index.ts';
import type { ConversationSummary } from '../conversation-index/conversation-index.messages.ts';
import { conversationActor } from './conversation.actor.ts';
import type { LoggedMessage } from './conversation.messages.ts';
import { initialConversationState, type ConversationState } from './conversation.state.ts';
import { EMPTY_MESSAGE_STATUS } from './status-merge.ts';
import {
  PREVIEW_MAX_CHARS,
  SUMMARY_TAIL,
  previewOf,
  summaryChangeEffect,
  summaryOf,
  withSummaryUpdates,
} from './summary.ts';

const T0 = 1_767_225_600_000;
const ID = '1001.p15551234567';
const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'conversation', id: ID },
  nowMs,
  msgId: undefined,
  newId: () => 'id',
});

let seq = 0;
function message(direction: 'in' | 'out', atMs: number, over: Partial<LoggedMessage> = {}): LoggedMessage {
  seq++;
  return {
    seq,
    id: `m${seq}`,
    direction,
    atMs,
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
  const lastIn = log.filter((m) => m.direction === 'in').at(-1);
  const base = initialConversationState();
  return {
    ...base,
    orgId: 'org1',
    phoneNumberId: '1001',
    customer: { phone: '15551234567', userId: null, profileName: 'Ada' },
    window: { ...base.window, lastInboundAtMs: lastIn?.atMs ?? null },
    log,
    nextSeq: (log.at(-1)?.seq ?? 0) + 1,
    ...over,
  };
}

/** The state after replacing the logged message at `index` (what a status or send-state step does). */
function withMessage(state: ConversationState, index: number, change: Partial<LoggedMessage>): ConversationState {
  const log = state.log.slice();
  log[index] = { ...log[index]!, ...change };
  return { ...state, log };
}

const summaryTold = (effect: Effect | null): ConversationSummary => {
  expect(effect).toMatchObject({ type: 'tell', to: { kind: 'conversation-index', id: '1001' } });
  return (effect as { msg: { type: 'summaryChanged'; summary: ConversationSummary } }).msg.summary;
};

describe('summaryOf', () => {
  it('is null until the conversation has an organisation, a number and a message', () => {
    expect(summaryOf(initialConversationState(), ID, T0)).toBeNull();
    expect(summaryOf(stateWith([]), ID, T0)).toBeNull();
    expect(summaryOf(stateWith([message('in', T0)], { orgId: null }), ID, T0)).toBeNull();
  });

  it('shows the newest message, the window facts, the assignee and the customer messages since the last reply', () => {
    const log = [message('in', T0), message('out', T0 + 1), message('in', T0 + 2), message('in', T0 + 3)];
    const state = stateWith(log, { assignee: 'usr1' });
    expect(summaryOf(state, ID, T0 + 10)).toEqual({
      conversationId: ID,
      orgId: 'org1',
      customer: { phone: '15551234567', userId: null, profileName: 'Ada' },
      lastActivityAtMs: T0 + 3,
      lastMessage: { direction: 'in', type: 'text', preview: `in ${log[3]!.seq}`, failed: false },
      lastInboundAtMs: T0 + 3,
      assignee: 'usr1',
      status: 'open',
      unreadCount: 2,
      seq: log[3]!.seq + 1,
      changedAtMs: T0 + 10,
    });
    expect(summaryOf(stateWith([message('in', T0), message('out', T0 + 1)]), ID, T0)?.unreadCount).toBe(0);
    expect(summaryOf(stateWith([message('in', T0), message('in', T0 + 1)]), ID, T0)?.unreadCount).toBe(2);
  });

  it('keeps the newest message by time when a late customer message is logged after a newer reply', () => {
    const reply = message('out', T0 + 5_000);
    const late = message('in', T0 + 1_000);
    const summary = summaryOf(stateWith([message('in', T0), reply, late]), ID, T0)!;
    expect(summary.lastActivityAtMs).toBe(T0 + 5_000);
    expect(summary.lastMessage.direction).toBe('out');
  });

  it('marks a refused newest message as failed', () => {
    const state = stateWith([message('in', T0), message('out', T0 + 1, { sendState: 'failed' })]);
    expect(summaryOf(state, ID, T0)?.lastMessage).toMatchObject({ direction: 'out', failed: true });
  });
});

describe('previewOf', () => {
  const cases: readonly [string, string, unknown, string | null][] = [
    ['inbound text', 'text', { body: 'Hello  there\n\nfriend' }, 'Hello there friend'],
    ['outbound text', 'text', { type: 'text', text: { body: 'Hi!' } }, 'Hi!'],
    ['inbound image caption', 'image', { id: '1', mime_type: 'image/jpeg', caption: 'a shoe' }, 'a shoe'],
    ['image without caption', 'image', { id: '1', mime_type: 'image/jpeg' }, null],
    ['outbound document file name', 'document', { type: 'document', document: { filename: 'a.pdf' } }, 'a.pdf'],
    ['location name', 'location', { latitude: 1, longitude: 2, name: 'Shop' }, 'Shop'],
    ['reaction', 'reaction', { message_id: 'w', emoji: '👍' }, '👍'],
    ['quick-reply button', 'button', { payload: 'p', text: 'Yes please' }, 'Yes please'],
    ['button reply', 'interactive', { type: 'button_reply', button_reply: { id: 'b', title: 'Track' } }, 'Track'],
    ['list reply', 'interactive', { type: 'list_reply', list_reply: { id: 'r', title: 'Row 1' } }, 'Row 1'],
    [
      'outbound interactive',
      'interactive',
      { type: 'interactive', interactive: { type: 'button', body: { text: 'Pick one' } } },
      'Pick one',
    ],
    [
      'template name',
      'template',
      { type: 'template', template: { name: 'order_update', language: { code: 'en' } } },
      'order_update',
    ],
    ['shared contact', 'contacts', [{ name: { formatted_name: 'Bob B' } }], 'Bob B'],
    ['unsupported', 'unsupported', null, null],
    ['blank text', 'text', { body: '   ' }, null],
  ];
  for (const [what, type, content, expected] of cases) {
    it(what, () => {
      expect(previewOf(type, content)).toBe(expected);
    });
  }

  it(`cuts at ${PREVIEW_MAX_CHARS} characters (code points) with an ellipsis`, () => {
    const long = previewOf('text', { body: '😀'.repeat(100) })!;
    expect(Array.from(long)).toHaveLength(PREVIEW_MAX_CHARS);
    expect(long.endsWith('😀…')).toBe(true);
    expect(previewOf('text', { body: 'x'.repeat(PREVIEW_MAX_CHARS) })).toBe('x'.repeat(PREVIEW_MAX_CHARS));
    expect(previewOf('text', { body: 'y'.repeat(4096) })).toBe(`${'y'.repeat(PREVIEW_MAX_CHARS - 1)}…`);
  });
});

describe('summaryChangeEffect', () => {
  const base = stateWith([message('in', T0), message('out', T0 + 1), message('in', T0 + 2)]);

  it('tells the number’s index when the conversation first has a summary', () => {
    const summary = summaryTold(summaryChangeEffect(initialConversationState(), base, ctx(T0 + 3)));
    expect(summary).toMatchObject({ conversationId: ID, unreadCount: 1, seq: base.nextSeq, changedAtMs: T0 + 3 });
  });

  it('tells nothing for the same state, an unlisted conversation, or statuses of older messages', () => {
    expect(summaryChangeEffect(base, base, ctx(T0))).toBeNull();
    const unlisted = { ...base, orgId: null };
    expect(summaryChangeEffect(unlisted, { ...unlisted, unknownStatuses: 1 }, ctx(T0))).toBeNull();
    expect(summaryChangeEffect(base, { ...base, unknownStatuses: 3, lock: null }, ctx(T0))).toBeNull();
    // A status (even a failure) of a message beyond the newest SUMMARY_TAIL: not even looked at.
    let long = base;
    for (let i = 0; i < SUMMARY_TAIL + 2; i++) long = stateWith([...long.log, message('in', T0 + 10 + i)]);
    expect(summaryChangeEffect(long, withMessage(long, 1, { sendState: 'failed' }), ctx(T0))).toBeNull();
  });

  it('tells nothing when the newest message changes in a way no listing shows (delivered, read)', () => {
    const sent = stateWith([message('in', T0), message('out', T0 + 1)]);
    const read = withMessage(sent, 1, { status: { ...EMPTY_MESSAGE_STATUS, current: 'read' } });
    expect(summaryChangeEffect(sent, read, ctx(T0 + 5))).toBeNull();
  });

  it('tells when the newest message fails, a message is logged, or the assignee or customer changes', () => {
    const sent = stateWith([message('in', T0), message('out', T0 + 1)]);
    const failed = summaryTold(summaryChangeEffect(sent, withMessage(sent, 1, { sendState: 'failed' }), ctx(T0 + 5)));
    expect(failed).toMatchObject({ lastMessage: { failed: true }, seq: sent.nextSeq, changedAtMs: T0 + 5 });

    const wrote = stateWith([...sent.log, message('in', T0 + 9)]);
    expect(summaryTold(summaryChangeEffect(sent, wrote, ctx(T0 + 9)))).toMatchObject({
      unreadCount: 1,
      lastActivityAtMs: T0 + 9,
      seq: sent.nextSeq + 1,
    });

    const assigned = summaryTold(summaryChangeEffect(sent, { ...sent, assignee: 'usr2' }, ctx(T0 + 6)));
    expect(assigned).toMatchObject({ assignee: 'usr2', seq: sent.nextSeq, changedAtMs: T0 + 6 });

    const renamed = { ...sent, customer: { ...sent.customer, profileName: 'Ada L.' } };
    expect(summaryTold(summaryChangeEffect(sent, renamed, ctx(T0 + 7))).customer.profileName).toBe('Ada L.');
    // A new customer object with the same values is no change.
    expect(summaryChangeEffect(sent, { ...sent, customer: { ...sent.customer } }, ctx(T0 + 7))).toBeNull();
  });
});

describe('withSummaryUpdates (the conversation actor)', () => {
  const inbound = customerWrites;
  const indexTells = (effects: readonly Effect[] | undefined) =>
    (effects ?? []).filter((e) => e.type === 'tell' && e.to.kind === 'conversation-index');

  it('appends one summaryChanged tell to a turn that changed the summary, after the handler’s own effects', () => {
    const first = conversationActor.handle(initialConversationState(), inbound('wamid.1', T0), ctx(T0));
    expect(indexTells(first.effects)).toHaveLength(1);
    // Followed only by the message search's texts, the inbox stream's append and the assignment actor's tell (their
    // wrappers wrap this one).
    expect(first.effects?.slice(-3)).toMatchObject([
      { to: { kind: 'message-search' } },
      { to: { kind: 'inbox-stream' } },
      { to: { kind: 'assignment' } },
    ]);
    expect(first.effects?.at(-4)).toMatchObject({
      type: 'tell',
      to: { kind: 'conversation-index', id: '1001' },
      msg: { type: 'summaryChanged', summary: { conversationId: ID, unreadCount: 1, lastActivityAtMs: T0 } },
    });
    // The same message again (a duplicate webhook): nothing changes, nothing is told.
    const again = conversationActor.handle(first.state, inbound('wamid.1', T0), ctx(T0));
    expect(indexTells(again.effects)).toEqual([]);
    // A read of the conversation: no tell.
    const read = conversationActor.handle(first.state, { type: 'getConversation' }, ctx(T0));
    expect(read.effects).toBeUndefined();
  });

  it('leaves the wrapped definition’s other parts as they are', () => {
    const wrapped = withSummaryUpdates(conversationActor);
    expect(wrapped.kind).toBe(conversationActor.kind);
    expect(wrapped.stateVersion).toBe(conversationActor.stateVersion);
    expect(wrapped.split).toBe(conversationActor.split);
    expect(wrapped.upgrade).toBe(conversationActor.upgrade);
  });
});
