import { describe, expect, it } from 'vitest';
import { MAX_TYPING_SHOW_MS, createTypingNotifier, typingShowMs } from './typing.ts';

describe('the typing notifier', () => {
  it('sends at most once every 3 s per conversation, and again at once after a send that could not go', () => {
    let nowMs = 0;
    let isOpen = true;
    const sent: string[] = [];
    const notify = createTypingNotifier({
      now: () => nowMs,
      send: (id) => {
        if (isOpen) sent.push(`${nowMs} ${id}`);
        return isOpen;
      },
    });
    notify('a');
    nowMs = 1_000;
    notify('a');
    notify('b');
    nowMs = 2_999;
    notify('a');
    nowMs = 3_000;
    notify('a');
    expect(sent).toEqual(['0 a', '1000 b', '3000 a']);
    isOpen = false;
    nowMs = 7_000;
    notify('a');
    isOpen = true;
    nowMs = 7_100;
    notify('a');
    expect(sent.at(-1)).toBe('7100 a');
  });

  it('shows a typing frame until its expiresAt, capped, and not at all once expired', () => {
    const nowMs = Date.parse('2026-11-25T12:00:00.000Z');
    expect(typingShowMs('2026-11-25T12:00:05.000Z', nowMs)).toBe(5_000);
    expect(typingShowMs('2026-11-25T13:00:00.000Z', nowMs)).toBe(MAX_TYPING_SHOW_MS);
    expect(typingShowMs('2026-11-25T11:59:59.000Z', nowMs)).toBe(0);
    expect(typingShowMs('not a date', nowMs)).toBe(0);
  });
});
