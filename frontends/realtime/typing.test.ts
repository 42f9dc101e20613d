import { describe, expect, it } from 'vitest';
import {
  TYPING_MAX_CONVERSATIONS,
  TYPING_THROTTLE_MS,
  TypingThrottle,
  asTypingSignal,
  typingConversation,
  typingForbidden,
  typingTopic,
} from './typing.ts';

const A = '1001.p15551234567';
const B = '1001.p15557654321';

describe('TypingThrottle', () => {
  it('accepts one frame per conversation per TYPING_THROTTLE_MS, conversations apart', () => {
    const throttle = new TypingThrottle();
    expect(throttle.isThrottled(A, 0)).toBe(false);
    throttle.take(A, 0);
    expect(throttle.isThrottled(A, 0)).toBe(true);
    expect(throttle.isThrottled(A, TYPING_THROTTLE_MS - 1)).toBe(true);
    expect(throttle.isThrottled(B, 1)).toBe(false);
    expect(throttle.isThrottled(A, TYPING_THROTTLE_MS)).toBe(false);
    throttle.take(A, TYPING_THROTTLE_MS);
    expect(throttle.isThrottled(A, 2 * TYPING_THROTTLE_MS - 1)).toBe(true);
  });

  it('gives back a slot whose frame was refused, but never a newer one', () => {
    const throttle = new TypingThrottle();
    throttle.take(A, 100);
    throttle.release(A, 100);
    expect(throttle.isThrottled(A, 101)).toBe(false);
    throttle.take(A, 5_000);
    throttle.release(A, 100); // a check that began earlier and ended late
    expect(throttle.isThrottled(A, 5_001)).toBe(true);
  });

  it('holds at most TYPING_MAX_CONVERSATIONS slots at once, and frees expired ones for new conversations', () => {
    const throttle = new TypingThrottle();
    const ids = Array.from({ length: TYPING_MAX_CONVERSATIONS + 1 }, (_, i) => `1001.p1555000000${i}`);
    for (const id of ids.slice(0, -1)) {
      expect(throttle.isThrottled(id, 0)).toBe(false);
      throttle.take(id, 0);
    }
    const extra = ids.at(-1)!;
    expect(throttle.isThrottled(extra, TYPING_THROTTLE_MS - 1)).toBe(true);
    expect(throttle.isThrottled(extra, TYPING_THROTTLE_MS)).toBe(false);
    expect(throttle.size).toBe(0);
  });
});

describe('typing checks', () => {
  it('needs conversations:reply: viewers are refused, operators and up are not', () => {
    expect(typingForbidden({ userId: 'u', orgId: 'o', role: 'viewer' })).toEqual({
      code: 'PARLO_ACCESS_FORBIDDEN',
      message: 'role viewer does not hold conversations:reply',
    });
    for (const role of ['operator', 'manager', 'admin', 'owner'] as const) {
      expect(typingForbidden({ userId: 'u', orgId: 'o', role })).toBeNull();
    }
  });

  it('finds the conversation only on a number of the organisation', async () => {
    const caller = { userId: 'u', orgId: 'org1', role: 'operator' } as const;
    const ownsNumber = (orgId: string, phoneNumberId: string) =>
      Promise.resolve(orgId === 'org1' && phoneNumberId === '1001');
    expect(await typingConversation(caller, A, ownsNumber)).toEqual({ ok: true, phoneNumberId: '1001' });
    expect(await typingConversation(caller, '2002.p15551234567', ownsNumber)).toEqual({
      ok: false,
      code: 'PARLO_CONVERSATION_NOT_FOUND',
      message: 'no conversation 2002.p15551234567 here',
    });
  });
});

describe('typing signals', () => {
  it('travel on typing.<orgId>', () => {
    expect(typingTopic('00000000000a0001')).toBe('typing.00000000000a0001');
  });

  it('are read back only when they have a signal’s shape', () => {
    const signal = { conversationId: A, phoneNumberId: '1001', userId: 'u', expiresAtMs: 6_000, origin: 'g/1' };
    expect(asTypingSignal(signal)).toEqual(signal);
    expect(asTypingSignal({ ...signal, extra: 1 })).toEqual(signal);
    expect(asTypingSignal(null)).toBeNull();
    expect(asTypingSignal('typing')).toBeNull();
    expect(asTypingSignal({ ...signal, expiresAtMs: '6000' })).toBeNull();
    expect(asTypingSignal({ ...signal, expiresAtMs: Number.NaN })).toBeNull();
    expect(asTypingSignal({ ...signal, origin: undefined })).toBeNull();
    expect(asTypingSignal({ ...signal, userId: 7 })).toBeNull();
  });
});
