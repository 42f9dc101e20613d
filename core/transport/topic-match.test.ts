import { describe, expect, it } from 'vitest';
import { compileTopicPattern, topicMatches, topicTokens } from './topic-match.ts';

describe('topicMatches', () => {
  it.each([
    ['org1.inbox', 'org1.inbox', true],
    ['org1.inbox', 'org1.inbox2', false],
    ['org1.inbox', 'org1', false],
    ['org1.inbox', 'org1.inbox.x', false],
    ['org1.*', 'org1.inbox', true],
    ['org1.*', 'org1', false],
    ['org1.*', 'org1.inbox.x', false],
    ['*.inbox', 'org2.inbox', true],
    ['*.*', 'a.b', true],
    ['*', 'a', true],
    ['*', 'a.b', false],
    ['org1.>', 'org1.inbox', true],
    ['org1.>', 'org1.inbox.conv.1', true],
    ['org1.>', 'org1', false],
    ['org1.>', 'org2.inbox', false],
    ['>', 'a', true],
    ['>', 'a.b.c', true],
    ['*.conv.>', 'org1.conv.7', true],
    ['*.conv.>', 'org1.conv', false],
    ['*.conv.>', 'org1.inbox.7', false],
  ])('%s vs %s → %s', (pattern, topic, expected) => {
    expect(topicMatches(pattern, topic)).toBe(expected);
  });

  it('rejects malformed patterns', () => {
    for (const bad of ['', 'a..b', 'a.>.b', '>.a', 'a*', 'a.b>', 'a.b c', '.a', 'a.']) {
      expect(() => compileTopicPattern(bad), bad).toThrow(expect.objectContaining({ code: 'PARLO_INVALID_TOPIC' }));
    }
  });

  it('rejects topics with wildcards or empty tokens', () => {
    for (const bad of ['', 'a.*', 'a.>', 'a..b', 'a b', 'a.', 'a\tb']) {
      expect(() => topicTokens(bad), bad).toThrow(expect.objectContaining({ code: 'PARLO_INVALID_TOPIC' }));
    }
    expect(topicTokens('org-1.inbox_2.x~y')).toEqual(['org-1', 'inbox_2', 'x~y']);
  });

  it('exposes the source pattern on the compiled form', () => {
    expect(compileTopicPattern('a.*').pattern).toBe('a.*');
  });
});
