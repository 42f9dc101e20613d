import { ParloError } from '../errors/parlo-error.ts';

/**
 * Realtime topics are dot-separated tokens, as NATS subjects (https://docs.nats.io/nats-concepts/subjects):
 * a token is non-empty and holds no `.`, whitespace, `*` or `>`. A pattern may also use `*` for exactly one token
 * and, as its last token only, `>` for one or more remaining tokens.
 */
const LITERAL_TOKEN = /^[^\s.*>]+$/;

export const SINGLE_TOKEN_WILDCARD = '*';
export const TAIL_WILDCARD = '>';

/** A compiled subscription pattern; `matches` takes the topic already split into tokens. */
export interface TopicPattern {
  readonly pattern: string;
  matches(topicTokens: readonly string[]): boolean;
}

function invalid(kind: 'topic' | 'pattern', text: string, reason: string): ParloError {
  return new ParloError('PARLO_INVALID_TOPIC', `realtime ${kind} "${text}" is invalid: ${reason}`);
}

/** Splits a concrete topic (no wildcards) into tokens; throws on an invalid topic. */
export function topicTokens(topic: string): string[] {
  const tokens = topic.split('.');
  for (const token of tokens) {
    if (!LITERAL_TOKEN.test(token)) {
      throw invalid('topic', topic, token === '' ? 'empty token' : `token "${token}" is not a literal token`);
    }
  }
  return tokens;
}

/** Validates and compiles a subscription pattern. */
export function compileTopicPattern(pattern: string): TopicPattern {
  const tokens = pattern.split('.');
  const last = tokens.length - 1;
  tokens.forEach((token, i) => {
    if (token === SINGLE_TOKEN_WILDCARD) return;
    if (token === TAIL_WILDCARD) {
      if (i !== last) throw invalid('pattern', pattern, '">" may only be the last token');
      return;
    }
    if (!LITERAL_TOKEN.test(token)) {
      throw invalid('pattern', pattern, token === '' ? 'empty token' : `token "${token}" mixes wildcards and text`);
    }
  });
  const hasTail = tokens[last] === TAIL_WILDCARD;
  const fixed = hasTail ? tokens.slice(0, last) : tokens;
  return {
    pattern,
    matches(topic: readonly string[]): boolean {
      if (hasTail ? topic.length <= fixed.length : topic.length !== fixed.length) return false;
      for (let i = 0; i < fixed.length; i++) {
        const want = fixed[i];
        if (want !== SINGLE_TOKEN_WILDCARD && want !== topic[i]) return false;
      }
      return true;
    },
  };
}

/** Convenience for one-off checks: does `topic` match `pattern`? Both are validated. */
export function topicMatches(pattern: string, topic: string): boolean {
  return compileTopicPattern(pattern).matches(topicTokens(topic));
}
