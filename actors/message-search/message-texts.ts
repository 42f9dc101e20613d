import { foldText } from '../indexing/fold-text.ts';
import type { IndexedText, SearchHit } from './message-search.messages.ts';

/**
 * The texts a number's `message-search` actor keeps, pure (STYLE rule 3): an append-only ring of chunks of
 * CHUNK_SIZE texts, oldest first. A new text goes into the newest chunk (a copy of that one chunk), so storage
 * (message-search.storage.ts, one record per chunk) rewrites at most CHUNK_SIZE texts a turn, whatever the number
 * holds; beyond the limit whole chunks are dropped from the old end.
 *
 * A search scans from the newest text back, matching every query word as a substring of the folded text (case
 * and accents ignored). Folded texts are computed once per chunk object and cached (chunks never change in place),
 * so a search costs one `includes` per word and text: ~20,000 texts in a few milliseconds.
 */

export const CHUNK_SIZE = 32;
/** The longest excerpt of a hit, in characters. */
export const EXCERPT_MAX_CHARS = 120;

export interface TextChunk {
  /** Increases by one per chunk started: the chunk's storage key. */
  readonly index: number;
  /** In arrival order, at most CHUNK_SIZE. */
  readonly texts: readonly IndexedText[];
}

export interface MessageTexts {
  /** Oldest first, none empty. */
  readonly chunks: readonly TextChunk[];
  /** The index the next chunk gets. */
  readonly nextChunk: number;
  /** Texts let go so far to stay within the limit. */
  readonly dropped: number;
}

export function emptyMessageTexts(): MessageTexts {
  return { chunks: [], nextChunk: 0, dropped: 0 };
}

export function textCount(state: MessageTexts): number {
  let count = 0;
  for (const chunk of state.chunks) count += chunk.texts.length;
  return count;
}

/**
 * The state with `texts` appended, then the oldest chunks dropped while more than `maxEntries` texts would remain
 * without them (so at least `maxEntries` of the newest stay searchable, at most CHUNK_SIZE more).
 */
export function appendTexts(state: MessageTexts, texts: readonly IndexedText[], maxEntries: number): MessageTexts {
  if (texts.length === 0) return state;
  const chunks = state.chunks.slice();
  let nextChunk = state.nextChunk;
  for (const text of texts) {
    const newest = chunks[chunks.length - 1];
    if (newest !== undefined && newest.texts.length < CHUNK_SIZE) {
      chunks[chunks.length - 1] = { index: newest.index, texts: [...newest.texts, text] };
    } else {
      chunks.push({ index: nextChunk, texts: [text] });
      nextChunk++;
    }
  }
  let count = textCount({ chunks, nextChunk, dropped: 0 });
  let dropped = state.dropped;
  let first = 0;
  while (first < chunks.length - 1 && count - chunks[first]!.texts.length >= maxEntries) {
    count -= chunks[first]!.texts.length;
    dropped += chunks[first]!.texts.length;
    first++;
  }
  return { chunks: first === 0 ? chunks : chunks.slice(first), nextChunk, dropped };
}

/** The state without the texts of one conversation (the same state when it had none). */
export function forgetConversation(state: MessageTexts, conversationId: string): MessageTexts {
  let changed = false;
  const chunks: TextChunk[] = [];
  for (const chunk of state.chunks) {
    if (!chunk.texts.some((t) => t.conversationId === conversationId)) {
      chunks.push(chunk);
      continue;
    }
    changed = true;
    const texts = chunk.texts.filter((t) => t.conversationId !== conversationId);
    if (texts.length > 0) chunks.push({ index: chunk.index, texts });
  }
  return changed ? { ...state, chunks } : state;
}

/** The words of a search text, folded; empty when it has none. */
export function searchWords(text: string): string[] {
  return foldText(text)
    .split(/\s+/u)
    .filter((word) => word !== '');
}

const foldedTexts = new WeakMap<TextChunk, readonly string[]>();

function foldedOf(chunk: TextChunk): readonly string[] {
  let folded = foldedTexts.get(chunk);
  if (folded === undefined) {
    folded = chunk.texts.map((t) => foldText(t.text));
    foldedTexts.set(chunk, folded);
  }
  return folded;
}

/**
 * The conversations with a text holding every word, by their newest such text, newest first (texts arrive about
 * in time order; a late one counts where it arrived), at most `limit`.
 */
export function searchTexts(state: MessageTexts, words: readonly string[], limit: number): SearchHit[] {
  if (words.length === 0 || limit <= 0) return [];
  const hits: SearchHit[] = [];
  const seen = new Set<string>();
  for (let c = state.chunks.length - 1; c >= 0; c--) {
    const chunk = state.chunks[c]!;
    const folded = foldedOf(chunk);
    for (let i = chunk.texts.length - 1; i >= 0; i--) {
      const text = chunk.texts[i]!;
      if (seen.has(text.conversationId)) continue;
      const haystack = folded[i]!;
      if (!words.every((word) => haystack.includes(word))) continue;
      seen.add(text.conversationId);
      hits.push({
        conversationId: text.conversationId,
        seq: text.seq,
        atMs: text.atMs,
        direction: text.direction,
        excerpt: excerptOf(text.text, haystack, words[0]!),
      });
      if (hits.length === limit) return hits;
    }
  }
  return hits;
}

/**
 * The text around the first place `word` was found, whitespace collapsed, with "…" where it was cut. Folding keeps
 * the length of most texts (always of ASCII ones); where it did not, the excerpt starts at the text's beginning.
 */
export function excerptOf(text: string, folded: string, word: string): string {
  const flat = text.replace(/\s+/gu, ' ').trim();
  const foldedFlat = folded.replace(/\s+/gu, ' ').trim();
  const found = foldedFlat.length === flat.length ? foldedFlat.indexOf(word) : -1;
  const lead = 30;
  const start = found > lead ? found - lead : 0;
  if (start === 0 && flat.length <= EXCERPT_MAX_CHARS) return flat;
  // Room for the text and an ellipsis at each cut end.
  const end = Math.min(flat.length, start + EXCERPT_MAX_CHARS - (start > 0 ? 2 : 1));
  let excerpt = flat
    .slice(start, end)
    .replace(/^[\uDC00-\uDFFF]/u, '')
    .replace(/[\uD800-\uDBFF]$/u, '');
  if (start > 0) excerpt = `…${excerpt}`;
  if (end < flat.length) excerpt = `${excerpt}…`;
  return excerpt;
}

/** The time of the oldest text kept, null when none. */
export function oldestAtMs(state: MessageTexts): number | null {
  const oldest = state.chunks[0]?.texts[0];
  return oldest === undefined ? null : oldest.atMs;
}
