import { describe, expect, it } from 'vitest';
import { verifySubscription } from './verify.ts';

const TOKEN = 'parlo-verify-token';

describe('verifySubscription (GET handshake, WHATSAPP.md §3.1)', () => {
  it('echoes hub.challenge when the mode is subscribe and the token matches', () => {
    const query = { 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '1158201444' };
    expect(verifySubscription(query, TOKEN)).toEqual({ ok: true, challenge: '1158201444' });
  });

  it('reads nested query objects ({hub: {mode, …}}) as well', () => {
    const query = { hub: { mode: 'subscribe', verify_token: TOKEN, challenge: 'abc' } };
    expect(verifySubscription(query, TOKEN)).toEqual({ ok: true, challenge: 'abc' });
  });

  it.each([
    ['a wrong token', { 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1' }, /does not match/],
    [
      'a token that only shares a prefix',
      { 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN.slice(0, 5), 'hub.challenge': '1' },
      /does not match/,
    ],
    ['a missing token', { 'hub.mode': 'subscribe', 'hub.challenge': '1' }, /hub.verify_token is missing/],
    [
      'another mode',
      { 'hub.mode': 'unsubscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '1' },
      /hub.mode must be "subscribe"/,
    ],
    ['a missing mode', { 'hub.verify_token': TOKEN, 'hub.challenge': '1' }, /hub.mode is missing/],
    ['a missing challenge', { 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN }, /hub.challenge is missing/],
    [
      'an empty challenge',
      { 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '' },
      /hub.challenge must be/,
    ],
    [
      'a repeated parameter',
      { 'hub.mode': ['subscribe', 'subscribe'], 'hub.verify_token': TOKEN, 'hub.challenge': '1' },
      /more than once/,
    ],
    [
      'a non-string token',
      { 'hub.mode': 'subscribe', 'hub.verify_token': 42, 'hub.challenge': '1' },
      /hub.verify_token must be/,
    ],
  ])('refuses %s', (_name, query, reason) => {
    const verdict = verifySubscription(query, TOKEN);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.reason).toMatch(reason);
  });

  it('refuses everything when no verify token is configured (even an empty one sent)', () => {
    const query = { 'hub.mode': 'subscribe', 'hub.verify_token': '', 'hub.challenge': '1' };
    expect(verifySubscription(query, '')).toEqual({ ok: false, reason: 'no verify token is configured' });
  });

  it('does not read inherited properties as parameters', () => {
    const query = Object.create({ 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN, 'hub.challenge': '1' }) as Record<
      string,
      unknown
    >;
    expect(verifySubscription(query, TOKEN).ok).toBe(false);
  });
});
