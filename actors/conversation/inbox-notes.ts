import { refusal, type Effect } from '../../core/index.ts';
import { operatorAddress, type OperatorMsg } from '../operators/operator.messages.ts';
import { MAX_NOTE_CHARS, MAX_TAG_CHARS, MAX_TAGS, NOTES_KEPT, type ConversationNote } from './conversation.messages.ts';
import type { ConversationState } from './conversation.state.ts';

/**
 * Collaboration on a conversation (pure, STYLE rule 3): internal notes, which operators see and the customer never
 * does (they are not messages: nothing is sent), with @mentions that notify the members named; and tags. A note
 * is kept under its id, so a repeated request adds it once.
 */

type Turn = { state: ConversationState; effects?: Effect[]; reply?: unknown };

const MAX_MENTIONS = 20;
const EXCERPT_CHARS = 120;

export function onAddNote(
  state: ConversationState,
  note: { noteId: string; userId: string; text: string; mentions: readonly string[] },
  conversationId: string,
  nowMs: number,
): Turn {
  if (state.orgId === null)
    return { state, reply: refusal('PARLO_CONVERSATION_NOT_FOUND', `no conversation ${conversationId}`) };
  const held = state.notes.find((n) => n.id === note.noteId);
  if (held) return { state, reply: { ok: true, note: held } };
  const text = note.text.trim();
  if (text.length === 0 || text.length > MAX_NOTE_CHARS)
    return { state, reply: refusal('PARLO_BAD_REQUEST', `text: a note holds 1–${MAX_NOTE_CHARS} characters`) };
  const mentions = [...new Set(note.mentions)].filter((id) => id !== note.userId);
  if (mentions.length > MAX_MENTIONS)
    return { state, reply: refusal('PARLO_BAD_REQUEST', `mentions: at most ${MAX_MENTIONS} members per note`) };
  const added: ConversationNote = { id: note.noteId, atMs: nowMs, by: note.userId, text, mentions };
  const notes = [...state.notes, added].slice(-NOTES_KEPT);
  const effects = mentions.map((userId) => mentionOf(state.orgId!, userId, added, conversationId, nowMs));
  return { state: { ...state, notes }, effects, reply: { ok: true, note: added } };
}

/** Tells member `userId` they were mentioned in `note`. */
function mentionOf(
  orgId: string,
  userId: string,
  note: ConversationNote,
  conversationId: string,
  nowMs: number,
): Effect {
  const excerpt = note.text.length > EXCERPT_CHARS ? `${note.text.slice(0, EXCERPT_CHARS - 1)}…` : note.text;
  const msg: OperatorMsg = { type: 'mentioned', conversationId, noteId: note.id, by: note.by, excerpt, atMs: nowMs };
  return { type: 'tell', to: operatorAddress(orgId, userId), msg };
}

/** Tags, trimmed, without repeats, in the order given; the same set again changes nothing. */
export function onSetTags(state: ConversationState, tags: readonly string[], conversationId: string): Turn {
  if (state.orgId === null)
    return { state, reply: refusal('PARLO_CONVERSATION_NOT_FOUND', `no conversation ${conversationId}`) };
  const clean = [...new Set(tags.map((t) => t.trim()))];
  if (clean.length > MAX_TAGS) return { state, reply: refusal('PARLO_BAD_REQUEST', `tags: at most ${MAX_TAGS}`) };
  const bad = clean.find((t) => t.length === 0 || t.length > MAX_TAG_CHARS);
  if (bad !== undefined)
    return { state, reply: refusal('PARLO_BAD_REQUEST', `tags: "${bad}" must be 1–${MAX_TAG_CHARS} characters`) };
  const same = clean.length === state.tags.length && clean.every((t, i) => t === state.tags[i]);
  const next = same ? state : { ...state, tags: clean };
  return { state: next, reply: { ok: true, tags: next.tags } };
}

/**
 * An assignment with its transfer note: the note is added in the same turn, mentioning the new assignee (so they are
 * notified) unless they wrote it. A transfer to a team mentions nobody yet: the member who is given the conversation
 * is mentioned then (`withAssigneeMentioned`). A refused assignment adds nothing; a note that would be refused
 * refuses the transfer (nothing changes).
 */
export function withTransferNote(
  before: ConversationState,
  assigned: Turn,
  msg: { readonly assignee: string | null; readonly note?: { noteId: string; userId: string; text: string } },
  conversationId: string,
  nowMs: number,
): Turn {
  const note = msg.note;
  if (note === undefined || (assigned.reply as { ok?: boolean } | undefined)?.ok !== true) return assigned;
  const mentions = msg.assignee === null || msg.assignee === note.userId ? [] : [msg.assignee];
  const noted = onAddNote(assigned.state, { ...note, mentions }, conversationId, nowMs);
  if ((noted.reply as { ok?: boolean } | undefined)?.ok !== true) return { state: before, reply: noted.reply };
  return {
    state: noted.state,
    effects: [...(assigned.effects ?? []), ...(noted.effects ?? [])],
    reply: assigned.reply,
  };
}

/**
 * A conversation transferred to a team with a note was given to `assignee` (a member of the team): the note mentions
 * them from now, and they are notified, as the new assignee of a transfer to a member is. Nothing when they wrote
 * the note, were mentioned in it already, or the note is no longer kept.
 */
export function withAssigneeMentioned(
  state: ConversationState,
  noteId: string,
  assignee: string,
  conversationId: string,
  nowMs: number,
  effects: Effect[],
): ConversationState {
  const at = state.notes.findIndex((n) => n.id === noteId);
  const note = state.notes[at];
  if (state.orgId === null || note === undefined || note.by === assignee || note.mentions.includes(assignee)) {
    return state;
  }
  const notes = state.notes.slice();
  notes[at] = { ...note, mentions: [...note.mentions, assignee] };
  effects.push(mentionOf(state.orgId, assignee, note, conversationId, nowMs));
  return { ...state, notes };
}
