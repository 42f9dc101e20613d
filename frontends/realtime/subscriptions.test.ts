import { describe, expect, it } from 'vitest';
import { SubscriptionIndex, matches, matchesAny, sameKey } from './subscriptions.ts';

const event = { phoneNumberId: '1001', conversationId: '1001.p15551234567' };

describe('subscription matching', () => {
  it.each([
    [{ scope: 'org', id: 'org1' }, true],
    [{ scope: 'number', id: '1001' }, true],
    [{ scope: 'number', id: '1002' }, false],
    [{ scope: 'conversation', id: '1001.p15551234567' }, true],
    [{ scope: 'conversation', id: '1001.p15550000000' }, false],
  ] as const)('%j matches: %s', (sub, expected) => {
    expect(matches(sub, event)).toBe(expected);
  });

  it('matches any of several, none of none', () => {
    expect(matchesAny(null, event)).toBe(false);
    expect(matchesAny([{ scope: 'number', id: '1002' }], event)).toBe(false);
    expect(
      matchesAny(
        [
          { scope: 'number', id: '1002' },
          { scope: 'conversation', id: '1001.p15551234567' },
        ],
        event,
      ),
    ).toBe(true);
    expect(sameKey({ scope: 'number', id: '1' }, { scope: 'number', id: '1' })).toBe(true);
    expect(sameKey({ scope: 'number', id: '1' }, { scope: 'conversation', id: '1' })).toBe(false);
  });
});

describe('SubscriptionIndex', () => {
  it('visits the sockets on the organisation, the event’s number and its conversation, and no other', () => {
    const index = new SubscriptionIndex<string>();
    index.add('onOrg', { scope: 'org', id: 'org1' });
    index.add('onNumber', { scope: 'number', id: '1001' });
    index.add('onOtherNumber', { scope: 'number', id: '1002' });
    index.add('onConversation', { scope: 'conversation', id: '1001.p15551234567' });
    index.add('onOtherConversation', { scope: 'conversation', id: '1001.p15550000000' });
    const visited: string[] = [];
    index.forEachTarget(event, (s) => visited.push(s));
    expect(visited.sort()).toEqual(['onConversation', 'onNumber', 'onOrg']);
  });

  it('visits a socket once per matching subscription (the caller delivers each seq once)', () => {
    const index = new SubscriptionIndex<string>();
    index.add('a', { scope: 'org', id: 'org1' });
    index.add('a', { scope: 'number', id: '1001' });
    index.add('a', { scope: 'conversation', id: '1001.p15551234567' });
    const visited: string[] = [];
    index.forEachTarget(event, (s) => visited.push(s));
    expect(visited).toEqual(['a', 'a', 'a']);
  });

  it('forgets what is removed, down to empty', () => {
    const index = new SubscriptionIndex<string>();
    index.add('a', { scope: 'number', id: '1001' });
    index.add('b', { scope: 'conversation', id: '1001.p15551234567' });
    index.add('c', { scope: 'org', id: 'org1' });
    index.remove('a', { scope: 'number', id: '1001' });
    index.remove('b', { scope: 'conversation', id: '1001.p15551234567' });
    index.remove('b', { scope: 'conversation', id: 'never.added' });
    expect(index.isEmpty).toBe(false);
    index.remove('c', { scope: 'org', id: 'org1' });
    expect(index.isEmpty).toBe(true);
    const visited: string[] = [];
    index.forEachTarget(event, (s) => visited.push(s));
    expect(visited).toEqual([]);
  });
});
