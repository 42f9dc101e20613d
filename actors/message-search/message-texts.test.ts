import { describe, expect, it } from 'vitest';
import type { IndexedText } from './message-search.messages.ts';
import {
  CHUNK_SIZE,
  EXCERPT_MAX_CHARS,
  appendTexts,
  emptyMessageTexts,
  excerptOf,
  forgetConversation,
  oldestAtMs,
  searchTexts,
  searchWords,
  textCount,
  type MessageTexts,
} from './message-texts.ts';

const text = (conversationId: string, seq: number, body: string, direction: 'in' | 'out' = 'in'): IndexedText => ({
  conversationId,
  seq,
  atMs: seq * 1_000,
  direction,
  text: body,
});

function fill(count: number, maxEntries = 1_000_000): MessageTexts {
  let state = emptyMessageTexts();
  for (let i = 1; i <= count; i++) state = appendTexts(state, [text(`c${i % 7}`, i, `message ${i}`)], maxEntries);
  return state;
}

describe('appendTexts', () => {
  it('fills the newest chunk up to CHUNK_SIZE, then starts another; untouched chunks keep their identity', () => {
    const full = fill(CHUNK_SIZE);
    expect(full.chunks).toHaveLength(1);
    const next = appendTexts(full, [text('c1', 99, 'one more')], 1_000_000);
    expect(next.chunks.map((c) => c.index)).toEqual([0, 1]);
    expect(next.chunks[0]).toBe(full.chunks[0]);
    expect(next.nextChunk).toBe(2);
    expect(appendTexts(next, [], 10)).toBe(next);
  });

  it('drops whole chunks from the old end, keeping at least the newest maxEntries', () => {
    const state = fill(10 * CHUNK_SIZE + 5, 3 * CHUNK_SIZE);
    expect(textCount(state)).toBeGreaterThanOrEqual(3 * CHUNK_SIZE);
    expect(textCount(state)).toBeLessThan(4 * CHUNK_SIZE);
    expect(state.dropped + textCount(state)).toBe(10 * CHUNK_SIZE + 5);
    const newest = state.chunks[state.chunks.length - 1]!.texts;
    expect(newest[newest.length - 1]!.seq).toBe(10 * CHUNK_SIZE + 5);
    expect(oldestAtMs(state)).toBe((state.dropped + 1) * 1_000);
    expect(oldestAtMs(emptyMessageTexts())).toBeNull();
  });
});

describe('forgetConversation', () => {
  it("removes one conversation's texts, drops chunks left empty, and returns the same state when it had none", () => {
    let state = emptyMessageTexts();
    for (let i = 1; i <= CHUNK_SIZE * 2; i++) {
      state = appendTexts(state, [text(i <= CHUNK_SIZE ? 'gone' : i % 2 ? 'gone' : 'kept', i, 'order')], 1_000)!;
    }
    const after = forgetConversation(state, 'gone');
    expect(after.chunks.map((c) => c.index)).toEqual([1]);
    expect(after.chunks[0]!.texts.every((t) => t.conversationId === 'kept')).toBe(true);
    expect(searchTexts(after, ['order'], 10).map((h) => h.conversationId)).toEqual(['kept']);
    expect(forgetConversation(after, 'nobody')).toBe(after);
  });
});

describe('searchTexts', () => {
  const state = appendTexts(
    emptyMessageTexts(),
    [
      text('a', 1, 'Where is my order A-1001?'),
      text('b', 1, 'Quiero cancelar el PEDIDO, está dañado'),
      text('a', 2, 'Your order ships today', 'out'),
      text('c', 1, 'order'),
      text('b', 2, 'gracias'),
    ],
    1_000,
  );

  it('finds conversations whose one text holds every word (case and accents ignored), by their newest such text', () => {
    const ids = (query: string, limit = 10) =>
      searchTexts(state, searchWords(query), limit).map((h) => h.conversationId);
    expect(ids('order')).toEqual(['c', 'a']);
    expect(ids('ORDER ships')).toEqual(['a']);
    expect(ids('order a-1001')).toEqual(['a']);
    expect(ids('danado pedido')).toEqual(['b']);
    expect(ids('ESTÁ')).toEqual(['b']);
    expect(ids('order gracias')).toEqual([]);
    expect(ids('order', 1)).toEqual(['c']);
    expect(ids('   ')).toEqual([]);
    expect(searchTexts(state, searchWords('order'), 10)[1]).toEqual({
      conversationId: 'a',
      seq: 2,
      atMs: 2_000,
      direction: 'out',
      excerpt: 'Your order ships today',
    });
  });
});

describe('excerptOf', () => {
  it('cuts a long text around the first word found, with ellipses, at most EXCERPT_MAX_CHARS', () => {
    const long = `${'a '.repeat(100)}the parcel\n\n arrived ${'b '.repeat(100)}`;
    const excerpt = excerptOf(long, long.toLowerCase(), 'parcel');
    expect(excerpt.startsWith('…')).toBe(true);
    expect(excerpt.endsWith('…')).toBe(true);
    expect(excerpt).toContain('the parcel arrived');
    expect(Array.from(excerpt).length).toBeLessThanOrEqual(EXCERPT_MAX_CHARS);
    expect(excerptOf('short  text', 'short  text', 'text')).toBe('short text');
  });
});
