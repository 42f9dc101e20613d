import { defineActor, unreachable, type Effect, type TurnContext } from '../../core/index.ts';
import {
  INBOX_STREAM_KIND,
  MAX_READ_SINCE,
  inboxTopic,
  type InboxEntry,
  type InboxStreamMsg,
  type InboxStreamReplies,
} from './inbox-stream.messages.ts';

/**
 * One organisation's realtime inbox events in one numbered order (protocol in inbox-stream.messages.ts). The
 * newest events are retained for `retentionMs` (and at most about `maxEntries`) so that a client that reconnects
 * resumes from the last seq it saw; older ones are answered as a gap (`complete: false`: reload, then follow).
 *
 * Storage: only the numbering (`nextSeq`) is written, so seqs are never reused. The retained entries are a replay
 * buffer held in memory, in chunks of CHUNK_SIZE consecutive seqs (an append copies the newest, partly filled
 * chunk; whole chunks leave from the front). The record of every message is its conversation; writing each event
 * again here cost more than the rest of a send (0.4 ms CPU per message in `npm run bench -- send`). When the
 * stream starts afresh (a restart, a shard moving, or an unload after `idlePassivateMs` without events or reads),
 * the buffer is empty: a client behind the last seq gets a gap and reloads; one that saw the last seq follows on.
 */
export const CHUNK_SIZE = 32;
export const DEFAULT_INBOX_RETENTION_MS = 5 * 60 * 1000;
export const DEFAULT_INBOX_MAX_ENTRIES = 20_000;

/** Entries with seqs in `no * CHUNK_SIZE + 1` … `(no + 1) * CHUNK_SIZE`, consecutive, oldest first. */
export interface InboxChunk {
  readonly no: number;
  readonly entries: readonly InboxEntry[];
}

export interface InboxStreamState {
  /** The next seq to assign; seqs are never reused, so this survives every trim. */
  readonly nextSeq: number;
  /** Retained chunks, ascending by `no`, without gaps. */
  readonly chunks: readonly InboxChunk[];
}

/** What is written: the numbering only. */
interface StoredInboxStream {
  readonly nextSeq: number;
}

const NOTHING_STORED: readonly InboxChunk[] = Object.freeze([]);

export interface InboxStreamOptions {
  readonly retentionMs: number;
  readonly maxEntries?: number;
}

export function initialInboxStreamState(): InboxStreamState {
  return { nextSeq: 1, chunks: [] };
}

export function createInboxStreamActor(options: InboxStreamOptions) {
  const retentionMs = options.retentionMs;
  const maxEntries = options.maxEntries ?? DEFAULT_INBOX_MAX_ENTRIES;
  if (!Number.isSafeInteger(retentionMs) || retentionMs < 0) throw new Error('retentionMs must be an integer ≥ 0');
  if (!Number.isSafeInteger(maxEntries) || maxEntries < CHUNK_SIZE)
    throw new Error(`maxEntries must be an integer ≥ ${CHUNK_SIZE}`);
  return defineActor<InboxStreamState, InboxStreamMsg, InboxChunk>({
    kind: INBOX_STREAM_KIND,
    stateVersion: 2,
    initialState: () => initialInboxStreamState(),
    // The head is the numbering; no item is ever stored (the replay buffer stays in memory, see above).
    split: {
      head: (state): StoredInboxStream => ({ nextSeq: state.nextSeq }),
      items: () => NOTHING_STORED,
      itemKey: (chunk) => chunk.no,
      join: (head) => ({ nextSeq: (head as StoredInboxStream).nextSeq, chunks: [] }),
    },
    // Version 1 also stored the chunks: its numbering carries on, its chunks are deleted.
    upgrade: (stored) => ({ nextSeq: (stored as StoredInboxStream).nextSeq, chunks: [] }),
    handle(state, msg, ctx) {
      switch (msg.type) {
        case 'append':
          return onAppend(state, msg.events, ctx, retentionMs, maxEntries);
        case 'readSince':
          return { state, reply: readSince(state, msg.afterSeq, msg.limit, ctx.nowMs - retentionMs) };
        default:
          return unreachable(msg);
      }
    },
  });
}

/** The stream with the registry's defaults; the composition root swaps in one on `realtime.retentionSec`. */
export const inboxStreamActor = createInboxStreamActor({ retentionMs: DEFAULT_INBOX_RETENTION_MS });

function onAppend(
  state: InboxStreamState,
  events: Extract<InboxStreamMsg, { type: 'append' }>['events'],
  ctx: TurnContext,
  retentionMs: number,
  maxEntries: number,
) {
  if (events.length === 0) return { state };
  const effects: Effect[] = [];
  const chunks = state.chunks.slice();
  let seq = state.nextSeq;
  for (const event of events) {
    const entry: InboxEntry = { seq, atMs: ctx.nowMs, event };
    const no = chunkOf(seq);
    const last = chunks[chunks.length - 1];
    if (last !== undefined && last.no === no) chunks[chunks.length - 1] = { no, entries: [...last.entries, entry] };
    else chunks.push({ no, entries: [entry] });
    effects.push({ type: 'publish', topic: inboxTopic(ctx.self.id), event: entry, transient: true });
    seq++;
  }
  return { state: { nextSeq: seq, chunks: trimmed(chunks, seq, ctx.nowMs - retentionMs, maxEntries) }, effects };
}

/** Drops whole chunks from the front: those entirely older than `cutoffMs`, and those beyond `maxEntries`. */
function trimmed(chunks: InboxChunk[], nextSeq: number, cutoffMs: number, maxEntries: number): InboxChunk[] {
  // Chunks hold consecutive seqs up to nextSeq - 1.
  let count = chunks.length === 0 ? 0 : nextSeq - chunks[0]!.entries[0]!.seq;
  let drop = 0;
  while (drop < chunks.length - 1) {
    const oldest = chunks[drop]!;
    const expired = oldest.entries[oldest.entries.length - 1]!.atMs < cutoffMs;
    if (!expired && count - oldest.entries.length < maxEntries) break;
    count -= oldest.entries.length;
    drop++;
  }
  return drop === 0 ? chunks : chunks.slice(drop);
}

function chunkOf(seq: number): number {
  return Math.floor((seq - 1) / CHUNK_SIZE);
}

/**
 * The retained entries after `afterSeq` (those recorded at or after `cutoffMs`), oldest first. Complete when
 * nothing after `afterSeq` was dropped: `afterSeq` is at most the last seq and at least the seq before the oldest
 * retained entry.
 */
export function readSince(
  state: InboxStreamState,
  afterSeq: number,
  limit: number | undefined,
  cutoffMs: number,
): InboxStreamReplies['readSince'] {
  const lastSeq = state.nextSeq - 1;
  const max = Math.min(Math.max(1, limit ?? MAX_READ_SINCE), MAX_READ_SINCE);
  const first = firstRetained(state, cutoffMs);
  const oldestSeq = first?.seq ?? state.nextSeq;
  const complete = Number.isSafeInteger(afterSeq) && afterSeq >= oldestSeq - 1 && afterSeq <= lastSeq;
  const entries: InboxEntry[] = [];
  let seq = Math.max(afterSeq + 1, oldestSeq);
  let hasMore = false;
  while (seq <= lastSeq) {
    if (entries.length === max) {
      hasMore = true;
      break;
    }
    entries.push(entryAt(state, seq)!);
    seq++;
  }
  return { ok: true, entries, lastSeq, complete, hasMore };
}

/** The oldest entry recorded at or after `cutoffMs`, if any is retained. */
function firstRetained(state: InboxStreamState, cutoffMs: number): InboxEntry | undefined {
  for (const chunk of state.chunks) {
    if (chunk.entries[chunk.entries.length - 1]!.atMs < cutoffMs) continue;
    return chunk.entries.find((e) => e.atMs >= cutoffMs);
  }
  return undefined;
}

/**
 * The retained entry with this seq: chunks are consecutive, and full but the oldest (a buffer started afresh
 * mid-chunk) and the newest, so this is arithmetic.
 */
function entryAt(state: InboxStreamState, seq: number): InboxEntry | undefined {
  const first = state.chunks[0];
  if (first === undefined) return undefined;
  const chunk = state.chunks[chunkOf(seq) - first.no];
  return chunk?.entries[seq - chunk.entries[0]!.seq];
}
