import type { StateSplit } from '../../core/index.ts';
import type { MessageTexts, TextChunk } from './message-texts.ts';

export const MESSAGE_SEARCH_STATE_VERSION = 1;

/**
 * Written as its head (`nextChunk`, `dropped`) and one record per chunk keyed by the chunk's index: a new text
 * rewrites the newest chunk (at most CHUNK_SIZE texts), a dropped chunk's record is deleted.
 */
export const messageSearchSplit: StateSplit<MessageTexts, TextChunk> = {
  head: (state) => ({ nextChunk: state.nextChunk, dropped: state.dropped }),
  items: (state) => state.chunks,
  itemKey: (chunk) => chunk.index,
  join: (head, chunks) => {
    const { nextChunk, dropped } = head as { nextChunk: number; dropped: number };
    return { chunks: [...chunks].sort((a, b) => a.index - b.index), nextChunk, dropped };
  },
};
