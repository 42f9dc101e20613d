import { describe, expect, it } from 'vitest';
import { quickReply } from '../../testing/fixtures.ts';
import { ApiError } from './api.ts';
import { fieldOfError, matchQuickReplies, slashQueryOf } from './quick-replies.ts';

describe('the quick-reply picker’s query', () => {
  it.each([
    ['/', ''],
    ['/hel', 'hel'],
    ['/order status', 'order status'],
    ['hello', null],
    [' /hel', null],
    ['/hel\nlo', null],
    [`/${'x'.repeat(41)}`, null],
  ])('%j → %j', (text, query) => {
    expect(slashQueryOf(text)).toBe(query);
  });
});

describe('matchQuickReplies', () => {
  const hello = quickReply({ shortcut: 'hello', title: 'Greeting' });
  const help = quickReply({ shortcut: 'help', title: 'How to get help', scope: 'personal' });
  const thanks = quickReply({ shortcut: 'thanks', title: 'Thank them for the chat' });
  const hidden = quickReply({ shortcut: 'help', title: 'Shared help', shadowed: true });
  const items = [hello, help, hidden, thanks];

  it('offers shortcut prefixes first, then title matches, and leaves shadowed ones out', () => {
    const ids = (query: string) => matchQuickReplies(items, query).map((i) => i.shortcut);
    expect(ids('')).toEqual(['hello', 'help', 'thanks']);
    expect(ids('he')).toEqual(['hello', 'help', 'thanks']);
    expect(ids('hel')).toEqual(['hello', 'help']);
    expect(ids('CHAT')).toEqual(['thanks']);
    expect(ids('nothing')).toEqual([]);
  });
});

describe('fieldOfError', () => {
  it.each([
    [new ApiError(409, 'PARLO_QUICK_REPLY_SHORTCUT_TAKEN', 'the shortcut /hello is taken'), 'shortcut'],
    [new ApiError(400, 'PARLO_BAD_REQUEST', 'text: unknown variable {{contact.foo}}'), 'text'],
    [new ApiError(400, 'PARLO_BAD_REQUEST', 'bad request', { field: 'title' }), 'title'],
    [
      new ApiError(400, 'PARLO_VALIDATION_FAILED', 'body/shortcut must match', [
        { location: 'body', path: '/shortcut', rule: 'pattern', message: 'must match' },
      ]),
      'shortcut',
    ],
    [new ApiError(403, 'PARLO_ACCESS_FORBIDDEN', 'shared quick replies need inbox:manage'), null],
    [new ApiError(400, 'PARLO_BAD_REQUEST', 'the body is not JSON'), null],
    [new Error('text'), null],
  ])('%s → %s', (err, field) => {
    expect(fieldOfError(err)).toBe(field);
  });
});
