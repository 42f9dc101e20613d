import type { MessageReceived } from '../../../core/index.ts';
import type { ConversationMsg } from '../conversation.messages.ts';

/**
 * For the conversation's unit tests: Ada (+1 555 123 4567) writes "Hi" to number 1001 of org1 at `atMs`, as the
 * organisation's webhook delivers it, under WhatsApp's message id `wamid`.
 */
export function customerWrites(wamid: string, atMs: number): ConversationMsg {
  return {
    type: 'inbound',
    orgId: 'org1',
    event: {
      type: 'messageReceived',
      accountId: '1001',
      businessAccountId: '2001',
      providerMessageId: wamid,
      timestampMs: atMs,
      from: '15551234567',
      profileName: 'Ada',
      messageType: 'text',
      content: { body: 'Hi' },
    } satisfies MessageReceived,
  };
}
