import {
  defineActor,
  refusal,
  unreachable,
  type StateSplit,
  type TurnContext,
  type TurnResult,
} from '../../core/index.ts';
import { foldText } from '../indexing/fold-text.ts';
import type { AuditActor } from '../org/org.messages.ts';
import {
  bucketIndexSplit,
  emptyBucketIndex,
  findEntry,
  removeEntry,
  upsertEntry,
  type Bucket,
  type BucketIndex,
  type EntryKind,
} from '../indexing/bucket-index.ts';
import {
  MAX_PERSONAL_QUICK_REPLIES,
  MAX_SHARED_QUICK_REPLIES,
  MAX_SHORTCUT_LENGTH,
  MAX_TEXT_LENGTH,
  MAX_TITLE_LENGTH,
  QUICK_REPLIES_KIND,
  SHORTCUT_PATTERN,
  type ListedQuickReply,
  type QuickRepliesErrorCode,
  type QuickRepliesMsg,
  type QuickRepliesRefusal,
  type QuickRepliesReplies,
  type QuickReply,
} from './quick-replies.messages.ts';
import { textProblems } from './quick-reply-text.ts';

/** Protocol and rules in quick-replies.messages.ts; the text's variables in quick-reply-text.ts. */
export interface QuickRepliesState {
  /**
   * Every reply, shared and personal, by id in buckets (bucket-index.ts): saving one writes one small bucket, not
   * the organisation's hundreds of replies (500 shared plus 100 per member at most).
   */
  readonly replies: BucketIndex<QuickReply>;
}

export function initialQuickRepliesState(): QuickRepliesState {
  return { replies: emptyBucketIndex() };
}

const replyKind: EntryKind<QuickReply> = {
  idOf: (r) => r.id,
  // This actor is the only writer: each version it records is the later one.
  isNewer: () => true,
};
const replyBuckets = bucketIndexSplit<QuickReply>();

/** Stored as the head (the count) and one record per bucket of replies. */
export const quickRepliesSplit: StateSplit<QuickRepliesState, Bucket<QuickReply>> = {
  head: (state) => replyBuckets.head(state.replies),
  items: (state) => state.replies.buckets,
  itemKey: (bucket) => bucket.index,
  join: (head, buckets) => ({ replies: replyBuckets.join(head, buckets) }),
};

export const quickRepliesActor = defineActor<QuickRepliesState, QuickRepliesMsg, Bucket<QuickReply>>({
  kind: QUICK_REPLIES_KIND,
  stateVersion: 1,
  initialState: () => initialQuickRepliesState(),
  isEmpty: (state) => state.replies.count === 0,
  split: quickRepliesSplit,
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'listQuickReplies': {
        const reply: QuickRepliesReplies['listQuickReplies'] = {
          ok: true,
          items: listFor(state, userIdOf(msg.by), msg.query),
        };
        return { state, reply };
      }
      case 'getQuickReply': {
        const held = visible(state, msg.id, userIdOf(msg.by));
        if (held === undefined) return { state, reply: notFound(msg.id) };
        const reply: QuickRepliesReplies['getQuickReply'] = { ok: true, item: listed(state, held, msg.by) };
        return { state, reply };
      }
      case 'createQuickReply':
        return onCreate(state, msg, ctx);
      case 'updateQuickReply':
        return onUpdate(state, msg, ctx);
      case 'deleteQuickReply': {
        const held = writable(state, msg.id, msg.by, msg.canManageShared);
        if ('code' in held) return { state, reply: held };
        const reply: QuickRepliesReplies['deleteQuickReply'] = { ok: true };
        return { state: { replies: removeEntry(state.replies, held.id, replyKind) }, reply };
      }
      default:
        return unreachable(msg);
    }
  },
});

type Create = Extract<QuickRepliesMsg, { type: 'createQuickReply' }>;
type Update = Extract<QuickRepliesMsg, { type: 'updateQuickReply' }>;

function onCreate(state: QuickRepliesState, msg: Create, ctx: TurnContext): TurnResult<QuickRepliesState> {
  const userId = userIdOf(msg.by);
  if (msg.scope === 'shared' && !msg.canManageShared) {
    return { state, reply: refused('PARLO_ACCESS_FORBIDDEN', 'shared quick replies need inbox:manage') };
  }
  if (msg.scope === 'personal' && userId === null) {
    return { state, reply: refused('PARLO_ACCESS_FORBIDDEN', 'personal quick replies belong to a signed-in user') };
  }
  const ownerUserId = msg.scope === 'personal' ? userId : null;
  const title = msg.title.trim();
  const problem = contentProblem(msg.shortcut, title, msg.text);
  if (problem !== null) return { state, reply: refused('PARLO_VALIDATION_FAILED', problem) };
  const all = entries(state);
  if (ownerUserId === null) {
    if (all.filter((r) => r.scope === 'shared').length >= MAX_SHARED_QUICK_REPLIES) {
      const message = `an organisation keeps at most ${MAX_SHARED_QUICK_REPLIES} shared quick replies; delete one first`;
      return { state, reply: refused('PARLO_QUICK_REPLY_LIMIT', message) };
    }
  } else if (all.filter((r) => r.ownerUserId === ownerUserId).length >= MAX_PERSONAL_QUICK_REPLIES) {
    const message = `a member keeps at most ${MAX_PERSONAL_QUICK_REPLIES} personal quick replies; delete one first`;
    return { state, reply: refused('PARLO_QUICK_REPLY_LIMIT', message) };
  }
  const taken = shortcutTaken(all, msg.shortcut, ownerUserId, null);
  if (taken !== null) return { state, reply: taken };
  const quickReply: QuickReply = {
    id: `qr_${ctx.newId()}`,
    scope: msg.scope,
    ownerUserId,
    shortcut: msg.shortcut,
    title,
    text: msg.text,
    createdBy: msg.by,
    createdAtMs: ctx.nowMs,
    updatedAtMs: ctx.nowMs,
  };
  const next: QuickRepliesState = { replies: upsertEntry(state.replies, quickReply, replyKind) };
  const reply: QuickRepliesReplies['createQuickReply'] = { ok: true, item: listed(next, quickReply, msg.by) };
  return { state: next, reply };
}

function onUpdate(state: QuickRepliesState, msg: Update, ctx: TurnContext): TurnResult<QuickRepliesState> {
  const held = writable(state, msg.id, msg.by, msg.canManageShared);
  if ('code' in held) return { state, reply: held };
  const shortcut = msg.shortcut ?? held.shortcut;
  const title = msg.title?.trim() ?? held.title;
  const text = msg.text ?? held.text;
  if (shortcut === held.shortcut && title === held.title && text === held.text) {
    const reply: QuickRepliesReplies['updateQuickReply'] = { ok: true, item: listed(state, held, msg.by) };
    return { state, reply };
  }
  const problem = contentProblem(shortcut, title, text);
  if (problem !== null) return { state, reply: refused('PARLO_VALIDATION_FAILED', problem) };
  if (shortcut !== held.shortcut) {
    const taken = shortcutTaken(entries(state), shortcut, held.ownerUserId, held.id);
    if (taken !== null) return { state, reply: taken };
  }
  const quickReply: QuickReply = { ...held, shortcut, title, text, updatedAtMs: ctx.nowMs };
  const next: QuickRepliesState = { replies: upsertEntry(state.replies, quickReply, replyKind) };
  const reply: QuickRepliesReplies['updateQuickReply'] = { ok: true, item: listed(next, quickReply, msg.by) };
  return { state: next, reply };
}

/** What is wrong with a reply's content, naming the field; null when it may be saved. */
export function contentProblem(shortcut: string, title: string, text: string): string | null {
  if (shortcut.length === 0 || shortcut.length > MAX_SHORTCUT_LENGTH || !SHORTCUT_PATTERN.test(shortcut)) {
    return `shortcut: 1–${MAX_SHORTCUT_LENGTH} lowercase letters, digits, _ or -, starting with a letter or digit`;
  }
  if (title.length === 0 || title.length > MAX_TITLE_LENGTH) return `title: 1–${MAX_TITLE_LENGTH} characters`;
  if (text.trim().length === 0 || text.length > MAX_TEXT_LENGTH) return `text: 1–${MAX_TEXT_LENGTH} characters`;
  const problems = textProblems(text);
  if (problems.length > 0) return `text: ${problems.map((p) => p.message).join('; ')}`;
  return null;
}

/**
 * The refusal when `shortcut` is already used where it would make `/shortcut` ambiguous: among the shared replies
 * and, for a personal reply, its owner's own. `except` is the reply being changed.
 */
function shortcutTaken(
  all: readonly QuickReply[],
  shortcut: string,
  ownerUserId: string | null,
  except: string | null,
): QuickRepliesRefusal | null {
  const clash = all.find(
    (r) =>
      r.id !== except &&
      r.shortcut === shortcut &&
      (r.scope === 'shared' || (ownerUserId !== null && r.ownerUserId === ownerUserId)),
  );
  if (clash === undefined) return null;
  const whose = clash.scope === 'shared' ? 'a shared quick reply' : 'another of your quick replies';
  return refused('PARLO_QUICK_REPLY_SHORTCUT_TAKEN', `shortcut: /${shortcut} is taken by ${whose}`);
}

/** The reply if the caller may see it: shared, or their own personal one. */
function visible(state: QuickRepliesState, id: string, userId: string | null): QuickReply | undefined {
  const held = findEntry(state.replies, id, replyKind);
  if (held === undefined) return undefined;
  return held.scope === 'shared' || (userId !== null && held.ownerUserId === userId) ? held : undefined;
}

/** The reply if the caller may change it, else the refusal: not found when they may not even see it. */
function writable(
  state: QuickRepliesState,
  id: string,
  by: AuditActor,
  canManageShared: boolean,
): QuickReply | QuickRepliesRefusal {
  const held = visible(state, id, userIdOf(by));
  if (held === undefined) return notFound(id);
  if (held.scope === 'shared' && !canManageShared) {
    return refused('PARLO_ACCESS_FORBIDDEN', 'shared quick replies need inbox:manage');
  }
  return held;
}

/**
 * The replies a member sees, by shortcut (their own before a shared one it shadows), matching `query` if given:
 * `/tha` (as typed in the composer) matches shortcuts starting with `tha`; any other query also matches titles and
 * texts containing it. Case and accents are ignored.
 */
export function listFor(state: QuickRepliesState, userId: string | null, query?: string): ListedQuickReply[] {
  const mine = entries(state).filter((r) => r.scope === 'shared' || (userId !== null && r.ownerUserId === userId));
  const personalShortcuts = new Set(mine.filter((r) => r.scope === 'personal').map((r) => r.shortcut));
  const trimmed = query?.trim() ?? '';
  const isShortcutOnly = trimmed.startsWith('/');
  const folded = foldText(isShortcutOnly ? trimmed.slice(1) : trimmed);
  return mine
    .filter((r) => folded === '' || matchesQuery(r, folded, isShortcutOnly))
    .sort(byShortcut)
    .map((quickReply) => ({
      quickReply,
      isShadowed: quickReply.scope === 'shared' && personalShortcuts.has(quickReply.shortcut),
    }));
}

/** A shortcut starting with the folded query, or (unless shortcut only) a title or text containing it. */
export function matchesQuery(reply: QuickReply, foldedQuery: string, isShortcutOnly = false): boolean {
  if (reply.shortcut.startsWith(foldedQuery)) return true;
  return !isShortcutOnly && (foldText(reply.title).includes(foldedQuery) || foldText(reply.text).includes(foldedQuery));
}

function byShortcut(a: QuickReply, b: QuickReply): number {
  if (a.shortcut !== b.shortcut) return a.shortcut < b.shortcut ? -1 : 1;
  if (a.scope !== b.scope) return a.scope === 'personal' ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function listed(state: QuickRepliesState, quickReply: QuickReply, by: AuditActor): ListedQuickReply {
  const userId = userIdOf(by);
  const isShadowed =
    quickReply.scope === 'shared' &&
    userId !== null &&
    entries(state).some((r) => r.ownerUserId === userId && r.shortcut === quickReply.shortcut);
  return { quickReply, isShadowed };
}

function entries(state: QuickRepliesState): QuickReply[] {
  const all: QuickReply[] = [];
  for (const bucket of state.replies.buckets) for (const entry of bucket.entries) all.push(entry);
  return all;
}

/** The member a caller is; an API key is none (it owns no personal replies). */
function userIdOf(by: AuditActor): string | null {
  return by.kind === 'user' ? by.id : null;
}

function notFound(id: string): QuickRepliesRefusal {
  return refused('PARLO_QUICK_REPLY_NOT_FOUND', `no quick reply ${id} here`);
}

function refused(code: QuickRepliesErrorCode, message: string): QuickRepliesRefusal {
  return { ...refusal(code, message), code };
}
