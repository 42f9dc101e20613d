/**
 * The portfolio messaging limit, pure (STYLE rule 3). WHATSAPP.md 4.3: "the maximum number of unique WhatsApp user
 * phone numbers your business can deliver messages to, outside of a customer service window, within a moving
 * 24-hour period", per business portfolio (shared by all its numbers) since 7 Oct 2025, in tiers
 * 250 / 2,000 / 10,000 / 100,000 / unlimited.
 *
 * Rule: a user *counts* at `nowMs` when a business-initiated message outside an open service window was recorded
 * for them at t with `nowMs < t + 24 h` (exact to the ms, like the windows: counted at t + 24 h − 1, not at
 * t + 24 h). `wouldExceed(state, user, now, limit)` is true when the user does not count yet and the users who
 * count already number `limit` or more: a user already counted never counts again, and their latest message
 * keeps them counted for 24 h. The caller records at send time (`record`), which is conservative: a message that
 * then fails still used a slot for 24 h, as it may have at Meta.
 *
 * ## Data structure (why not one object keyed by user)
 *
 * A state that is copied on every send must not copy 100,000 entries per send. So:
 * - `index`: the user → latest record time map, split by a hash of the user id into `INDEX_SHARDS` (512) shards,
 *   each two parallel arrays (ids, times). A lookup scans one shard (≈ users / 512 ≈ 200 at 100k); an update
 *   copies the 512-slot shard list and that one shard.
 * - `queue`: (user, time) pairs in time order, in chunks of `QUEUE_CHUNK` (256). An append copies the chunk list
 *   and the last chunk only. When a counted user is messaged again, a new pair is appended and the old one becomes
 *   *stale* (its time is no longer the user's time in the index); it is skipped when it reaches the front.
 * - Pruning pops pairs older than 24 h from the front; a pair that is still the user's latest removes the user
 *   from the index (one copy per affected shard, not per user) and decrements `liveCount`.
 * - Compaction: when stale pairs exceed a quarter of the live ones (plus one chunk), the queue is rebuilt without
 *   them, so the queue never holds more than 1.25 × live users + 256 pairs.
 *
 * Bounds and cost: at most `MAX_TRACKED_USERS` (100,000) users. `record` costs O(512 + users/512 + queue/256 +
 * 256) ≈ 2,000 element copies and compares at 100k users (measured 10–20 µs per call on one core), plus the
 * pruning of whatever expired since the previous call (O(expired + affected shards); 100k users expiring at once
 * 40–80 ms), plus amortised O(1) for compaction. `wouldExceed` after `prune` is one shard scan (< 1 µs);
 * `wouldExceed`/`countAt` on an unpruned state also scan the expired front of the queue, so prune once per turn
 * first. Memory at 100k users: ids and times in the index plus ≤ 125k + 256 pairs in the queue; with 13-digit ids
 * 3.4–5.2 MB of msgpack (measured). With an unlimited tier nothing needs counting: the caller does not record.
 */

const HOUR_MS = 60 * 60 * 1000;

/** The moving window of the messaging limit. */
export const TIER_WINDOW_MS = 24 * HOUR_MS;
/** Meta's tiers since Oct 2025; null = unlimited. */
export const MESSAGING_TIERS = [250, 2_000, 10_000, 100_000, null] as const;
/** A messaging limit: a number of unique users, or null for unlimited. */
export type MessagingLimit = number | null;
/** The most users tracked (the highest finite tier); `record` ignores new users beyond it. */
export const MAX_TRACKED_USERS = 100_000;
export const INDEX_SHARDS = 512;
export const QUEUE_CHUNK = 256;

export interface IndexShard {
  readonly userIds: readonly string[];
  /** The latest record time of `userIds[i]`. */
  readonly lastAtMs: readonly number[];
}

export interface QueueChunk {
  readonly userIds: readonly string[];
  readonly atMs: readonly number[];
}

/** Plain data, persisted with the portfolio's state. */
export interface TierState {
  readonly index: readonly IndexShard[];
  /**
   * (user, time) pairs in non-decreasing time; the first `head` pairs of `queue[0]` are consumed
   * (`head < queue[0].length` whenever the queue is not empty).
   */
  readonly queue: readonly QueueChunk[];
  readonly head: number;
  /** Users in the index (counted, unless expired but not pruned yet). */
  readonly liveCount: number;
  /** Pairs in the queue after `head` (live and stale). */
  readonly queuedCount: number;
  /** The latest time appended (the queue stays ordered even if a caller's clock steps back). */
  readonly lastAtMs: number;
}

export function createTierState(): TierState {
  return {
    index: Array.from({ length: INDEX_SHARDS }, () => ({ userIds: [], lastAtMs: [] })),
    queue: [],
    head: 0,
    liveCount: 0,
    queuedCount: 0,
    lastAtMs: 0,
  };
}

/**
 * The limit of a webhook's `messaging_limit_tier` / capability value (`TIER_250`, `TIER_1K`, `TIER_2K`,
 * `TIER_10K`, `TIER_100K`, `TIER_UNLIMITED`); undefined when unknown.
 */
export function parseMessagingLimit(value: string): MessagingLimit | undefined {
  const normalised = value.trim().toUpperCase();
  if (normalised === 'TIER_UNLIMITED') return null;
  const match = /^TIER_(\d+)(K?)$/.exec(normalised);
  if (!match) return undefined;
  return Number(match[1]) * (match[2] === 'K' ? 1000 : 1);
}

/** Whether `userId` counts at `nowMs` (recorded within the last 24 h). */
export function isCounted(state: TierState, userId: string, nowMs: number): boolean {
  const last = lastRecordAt(state, userId);
  return last !== undefined && nowMs < last + TIER_WINDOW_MS;
}

/** Users counted at `nowMs`. */
export function countAt(state: TierState, nowMs: number): number {
  const cutoff = nowMs - TIER_WINDOW_MS;
  let count = state.liveCount;
  forEachQueued(state, (userId, atMs) => {
    if (atMs > cutoff) return false;
    if (lastRecordAt(state, userId) === atMs) count--;
    return true;
  });
  return count;
}

/** Whether a business-initiated message to `userId` at `nowMs` would exceed `limit` (null = unlimited). */
export function wouldExceed(state: TierState, userId: string, nowMs: number, limit: MessagingLimit): boolean {
  if (limit === null) return false;
  if (isCounted(state, userId, nowMs)) return false;
  return countAt(state, nowMs) >= Math.min(limit, MAX_TRACKED_USERS);
}

/**
 * When a new user could next be reached without exceeding `limit`, if nothing else is recorded: `nowMs` when
 * there is room already, otherwise when enough counted users expire. For deferring a refused send
 * (`PARLO_TIER_LIMIT`) to a timer. O(queue) at worst.
 */
export function nextFreeAtMs(state: TierState, nowMs: number, limit: MessagingLimit): number {
  if (limit === null) return nowMs;
  const effectiveLimit = Math.min(limit, MAX_TRACKED_USERS);
  const count = countAt(state, nowMs);
  if (count < effectiveLimit) return nowMs;
  let toExpire = count - effectiveLimit + 1;
  const cutoff = nowMs - TIER_WINDOW_MS;
  let freeAt = nowMs;
  forEachQueued(state, (userId, atMs) => {
    if (atMs <= cutoff || lastRecordAt(state, userId) !== atMs) return true; // expired already, or stale
    if (--toExpire === 0) {
      freeAt = atMs + TIER_WINDOW_MS;
      return false;
    }
    return true;
  });
  return freeAt;
}

/** Records a business-initiated message outside a service window to `userId` at `nowMs`. */
export function record(state: TierState, userId: string, nowMs: number): TierState {
  const pruned = prune(state, nowMs);
  const atMs = Math.max(nowMs, pruned.lastAtMs);
  const shardIndex = shardOf(userId);
  const shard = pruned.index[shardIndex]!;
  const position = shard.userIds.indexOf(userId);
  if (position >= 0 && shard.lastAtMs[position]! >= atMs) return pruned;
  if (position < 0 && pruned.liveCount >= MAX_TRACKED_USERS) return pruned;

  const userIds = shard.userIds.slice();
  const lastAtMs = shard.lastAtMs.slice();
  if (position >= 0) lastAtMs[position] = atMs;
  else {
    userIds.push(userId);
    lastAtMs.push(atMs);
  }
  const index = pruned.index.slice();
  index[shardIndex] = { userIds, lastAtMs };

  const queue = pruned.queue.slice();
  const last = queue.at(-1);
  if (last !== undefined && last.userIds.length < QUEUE_CHUNK)
    queue[queue.length - 1] = { userIds: [...last.userIds, userId], atMs: [...last.atMs, atMs] };
  else queue.push({ userIds: [userId], atMs: [atMs] });

  const next: TierState = {
    index,
    queue,
    head: pruned.head,
    liveCount: pruned.liveCount + (position < 0 ? 1 : 0),
    queuedCount: pruned.queuedCount + 1,
    lastAtMs: atMs,
  };
  return next.queuedCount > next.liveCount + Math.floor(next.liveCount / 4) + QUEUE_CHUNK ? compact(next) : next;
}

/** Forgets users whose latest record is 24 h old or older. The same object back when nothing expired. */
export function prune(state: TierState, nowMs: number): TierState {
  const cutoff = nowMs - TIER_WINDOW_MS;
  const first = state.queue[0];
  if (first === undefined || first.atMs[state.head]! > cutoff) return state;

  // Pop expired pairs from the front; remember, per shard, which users' latest time they were.
  const expiring = new Map<number, Map<string, number>>();
  let chunk = 0;
  let head = state.head;
  let popped = 0;
  while (chunk < state.queue.length) {
    const current = state.queue[chunk]!;
    if (head >= current.atMs.length) {
      chunk++;
      head = 0;
      continue;
    }
    const atMs = current.atMs[head]!;
    if (atMs > cutoff) break;
    const userId = current.userIds[head]!;
    const shardIndex = shardOf(userId);
    let users = expiring.get(shardIndex);
    if (users === undefined) expiring.set(shardIndex, (users = new Map<string, number>()));
    users.set(userId, atMs); // pairs come in time order: the last one seen is the user's latest popped pair
    head++;
    popped++;
  }

  let removed = 0;
  const index = state.index.slice();
  for (const [shardIndex, users] of expiring) {
    const shard = index[shardIndex]!;
    const userIds: string[] = [];
    const lastAtMs: number[] = [];
    for (let i = 0; i < shard.userIds.length; i++) {
      const id = shard.userIds[i]!;
      const at = shard.lastAtMs[i]!;
      if (users.get(id) === at) removed++;
      else {
        userIds.push(id);
        lastAtMs.push(at);
      }
    }
    index[shardIndex] = { userIds, lastAtMs };
  }
  return {
    index,
    queue: state.queue.slice(chunk),
    head,
    liveCount: state.liveCount - removed,
    queuedCount: state.queuedCount - popped,
    lastAtMs: state.lastAtMs,
  };
}

/** The queue rebuilt without stale pairs: O(users + queue). */
function compact(state: TierState): TierState {
  const latest = new Map<string, number>();
  for (const shard of state.index)
    for (let i = 0; i < shard.userIds.length; i++) latest.set(shard.userIds[i]!, shard.lastAtMs[i]!);
  const queue: QueueChunk[] = [];
  let userIds: string[] = [];
  let atMsList: number[] = [];
  forEachQueued(state, (userId, atMs) => {
    if (latest.get(userId) !== atMs) return true;
    userIds.push(userId);
    atMsList.push(atMs);
    if (userIds.length === QUEUE_CHUNK) {
      queue.push({ userIds, atMs: atMsList });
      userIds = [];
      atMsList = [];
    }
    return true;
  });
  if (userIds.length > 0) queue.push({ userIds, atMs: atMsList });
  return { ...state, queue, head: 0, queuedCount: state.liveCount };
}

/** Visits queued pairs in order until `visit` returns false. */
function forEachQueued(state: TierState, visit: (userId: string, atMs: number) => boolean): void {
  let head = state.head;
  for (const chunk of state.queue) {
    for (let i = head; i < chunk.atMs.length; i++) if (!visit(chunk.userIds[i]!, chunk.atMs[i]!)) return;
    head = 0;
  }
}

function lastRecordAt(state: TierState, userId: string): number | undefined {
  const shard = state.index[shardOf(userId)]!;
  const position = shard.userIds.indexOf(userId);
  return position < 0 ? undefined : shard.lastAtMs[position];
}

/** FNV-1a of the user id, mod INDEX_SHARDS. */
function shardOf(userId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % INDEX_SHARDS;
}
