import { describe, expect, it } from 'vitest';
import type { LoggedMessage } from './conversation.messages.ts';
import { initialConversationState, type ConversationState } from './conversation.state.ts';
import { conversationSplit, upgradeConversation } from './conversation.storage.ts';
import { EMPTY_MESSAGE_STATUS } from './status-merge.ts';

function message(seq: number): LoggedMessage {
  return {
    id: `m${seq}`,
    seq,
    direction: 'out',
    atMs: 1_000 + seq,
    type: 'text',
    content: { type: 'text', text: { body: `hello ${seq}` } },
    providerMessageId: `wamid.${seq}`,
    category: 'service',
    sendState: 'accepted',
    status: EMPTY_MESSAGE_STATUS,
    error: null,
    attempts: 1,
    by: { kind: 'apiKey', id: 'k1' },
  };
}

const state: ConversationState = {
  ...initialConversationState(),
  orgId: 'org1',
  phoneNumberId: '1001',
  log: [message(1), message(2), message(3)],
  nextSeq: 4,
};

describe('conversation storage', () => {
  it('stores the head without the log and one item per message keyed by seq; join gives the state back', () => {
    const head = conversationSplit.head(state);
    expect(head).not.toHaveProperty('log');
    const items = conversationSplit.items(state);
    expect(items.map((m, i) => conversationSplit.itemKey(m, i))).toEqual([1, 2, 3]);
    expect(conversationSplit.join(structuredClone(head), structuredClone(items))).toEqual(state);
  });

  it('upgrades a version-1 state by dropping its provider-id index', () => {
    const { status: _status, snoozedUntilMs: _snooze, ...fields } = state;
    const v1 = { ...fields, byProviderId: { 'wamid.1': 'm1', 'wamid.2': 'm2', 'wamid.3': 'm3' } };
    expect(upgradeConversation(v1, 1)).toEqual(state);
    expect(() => upgradeConversation(v1, 7)).toThrow(/version 7/);
  });

  it('upgrades a version-2 head and its logged messages: open, not snoozed, no lock', () => {
    const { log, status: _status, snoozedUntilMs: _snooze, ...v2head } = state;
    expect(upgradeConversation({ ...v2head, lock: { holder: 'u1', sinceMs: 5 } }, 2, log)).toEqual(state);
  });
});
