import { describe, expect, it } from 'vitest';
import { customerWrites } from './__fixtures__/customer-message.ts';
import type { Effect, TurnContext, TurnResult } from '../../core/index.ts';
import { createConversationActor } from './conversation.actor.ts';
import type { ConversationMsg, ConversationReplies } from './conversation.messages.ts';
import { initialConversationState, type ConversationState } from './conversation.state.ts';
import { LOCK_TIMER, SNOOZE_TIMER } from './inbox-controls.ts';
import { DEFAULT_RATE_CARD } from '../billing/rate-card.ts';

/**
 * Assignment, the lock and the status (inbox-controls.ts) through the conversation actor, with explicit times: one
 * operator replies at a time, whatever the client; a manager takes over; the lock lapses after the holder's
 * inactivity; snoozed and resolved conversations open again.
 */

const T0 = 1_767_225_600_000;
const MIN = 60_000;
const LOCK_TIMEOUT = 15 * MIN;
const ID = '1001.p15551234567';
const actor = createConversationActor({ rateCards: [DEFAULT_RATE_CARD], lockTimeoutMs: LOCK_TIMEOUT });

const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'conversation', id: ID },
  nowMs,
  msgId: undefined,
  newId: () => 'id',
});
const run = (state: ConversationState, msg: ConversationMsg, nowMs: number): TurnResult<ConversationState> =>
  actor.handle(state, msg, ctx(nowMs));

const inbound = customerWrites;

const reply = (messageId: string, by: { kind: 'user' | 'apiKey'; id: string }): ConversationMsg => ({
  type: 'send',
  orgId: 'org1',
  phoneNumberId: '1001',
  customer: { phone: '15551234567' },
  messageId,
  content: { type: 'text', text: { body: 'Hello' } },
  category: 'service',
  by,
});

const timers = (effects: readonly Effect[] | undefined) =>
  (effects ?? []).filter((e) => e.type === 'setTimer' || e.type === 'cancelTimer');

/** A customer wrote at T0: an open, unassigned conversation. */
const opened = () => run(initialConversationState(), inbound('wamid.IN1', T0), T0).state;

describe('conversation: assignment, lock and status', () => {
  it('lets one operator reply at a time: the first to reply holds it, another is refused naming them', () => {
    const a = run(opened(), reply('a1', { kind: 'user', id: 'ana' }), T0 + 1);
    expect(a.reply).toMatchObject({ ok: true });
    expect(a.state).toMatchObject({ assignee: 'ana', lock: { holder: 'ana', sinceMs: T0 + 1 } });
    expect(timers(a.effects)).toEqual([
      { type: 'setTimer', name: LOCK_TIMER, dueAtMs: T0 + 1 + LOCK_TIMEOUT, msg: { type: LOCK_TIMER } },
    ]);

    const b = run(a.state, reply('b1', { kind: 'user', id: 'bob' }), T0 + 2);
    expect(b.reply).toMatchObject({ ok: false, code: 'PARLO_CONVERSATION_LOCKED' });
    expect((b.reply as { message: string }).message).toContain('ana holds this conversation');
    expect(b.state).toBe(a.state);
    expect(run(a.state, { type: 'claim', userId: 'bob' }, T0 + 2).reply).toMatchObject({
      code: 'PARLO_CONVERSATION_LOCKED',
    });
    // An integration's send (API key) is not an operator's: the lock does not hold it back, nor change hands.
    const api = run(a.state, reply('k1', { kind: 'apiKey', id: 'key1' }), T0 + 3);
    expect(api.reply).toMatchObject({ ok: true });
    expect(api.state.lock).toEqual(a.state.lock);
    // Ana replies again: still hers, the lock's expiry moves on.
    const again = run(api.state, reply('a2', { kind: 'user', id: 'ana' }), T0 + 5 * MIN);
    expect(again.state.lock).toEqual({ holder: 'ana', sinceMs: T0 + 1, expiresAtMs: T0 + 5 * MIN + LOCK_TIMEOUT });
  });

  it('a campaign launched by a member neither assigns the conversation nor takes its lock, and is not held by it', () => {
    const campaignSend = (messageId: string): ConversationMsg => ({
      type: 'send',
      orgId: 'org1',
      phoneNumberId: '1001',
      customer: { phone: '15551234567' },
      messageId,
      by: { kind: 'user', id: 'mia' },
      content: { type: 'template', template: { name: 'promo', language: { code: 'it' } } },
      category: 'marketing',
      campaign: { run: 'org1.cmp_a.1', recipient: 0, frequencyCapMs: 0 },
    });
    const sent = run(initialConversationState(), campaignSend('c1'), T0);
    expect(sent.reply).toMatchObject({ ok: true });
    expect(sent.state).toMatchObject({ assignee: null, lock: null });
    expect(timers(sent.effects)).toEqual([]);
    // Ana holds the conversation: a campaign by Mia still goes out, and Ana keeps it.
    const held = run(opened(), reply('a1', { kind: 'user', id: 'ana' }), T0 + 1).state;
    const during = run(held, campaignSend('c2'), T0 + 2);
    expect(during.reply).toMatchObject({ ok: true });
    expect(during.state).toMatchObject({ assignee: 'ana', lock: held.lock });
  });

  it('a manager takes over: the lock and the assignment move, the former holder is refused', () => {
    const a = run(opened(), { type: 'claim', userId: 'ana' }, T0 + 1).state;
    const taken = run(a, { type: 'takeOver', userId: 'max' }, T0 + 2);
    expect(taken.reply).toMatchObject({ ok: true, assignee: 'max', lock: { holder: 'max' } });
    expect(run(taken.state, reply('a1', { kind: 'user', id: 'ana' }), T0 + 3).reply).toMatchObject({
      code: 'PARLO_CONVERSATION_LOCKED',
    });
    expect(run(taken.state, reply('m1', { kind: 'user', id: 'max' }), T0 + 3).reply).toMatchObject({ ok: true });
  });

  it('the lock lapses after the holder’s inactivity; the assignment stays', () => {
    const a = run(opened(), reply('a1', { kind: 'user', id: 'ana' }), T0).state;
    expect(run(a, reply('b1', { kind: 'user', id: 'bob' }), T0 + LOCK_TIMEOUT - 1).reply).toMatchObject({
      code: 'PARLO_CONVERSATION_LOCKED',
    });
    // Due, even before the timer is handled: the lock no longer holds.
    expect(run(a, reply('b1', { kind: 'user', id: 'bob' }), T0 + LOCK_TIMEOUT).reply).toMatchObject({ ok: true });
    const lapsed = run(a, { type: LOCK_TIMER }, T0 + LOCK_TIMEOUT);
    expect(lapsed.state).toMatchObject({ assignee: 'ana', lock: null });
    // A timer that fires early (the holder replied since and re-armed it) changes nothing.
    expect(run(a, { type: LOCK_TIMER }, T0 + LOCK_TIMEOUT - 1).state).toBe(a);
  });

  it('assigns, transfers and unassigns; the holder releases the lock', () => {
    const assigned = run(opened(), { type: 'assign', assignee: 'ana', by: { kind: 'user', id: 'lead' } }, T0);
    expect(assigned.reply).toMatchObject({ ok: true, assignee: 'ana', lock: { holder: 'ana' }, status: 'open' });
    const transferred = run(
      assigned.state,
      { type: 'assign', assignee: 'bob', by: { kind: 'user', id: 'lead' } },
      T0 + 1,
    );
    expect(transferred.state).toMatchObject({ assignee: 'bob', lock: { holder: 'bob', sinceMs: T0 + 1 } });
    // Only the holder's release counts.
    expect(run(transferred.state, { type: 'releaseLock', userId: 'ana' }, T0 + 2).state).toBe(transferred.state);
    const released = run(transferred.state, { type: 'releaseLock', userId: 'bob' }, T0 + 2);
    expect(released.state).toMatchObject({ assignee: 'bob', lock: null });
    expect(timers(released.effects)).toEqual([{ type: 'cancelTimer', name: LOCK_TIMER }]);
    const unassigned = run(
      transferred.state,
      { type: 'assign', assignee: null, by: { kind: 'user', id: 'lead' } },
      T0 + 3,
    );
    expect(unassigned.state).toMatchObject({ assignee: null, lock: null });
  });

  it('transfers with a note in the same turn: the note is kept and the new assignee is mentioned', () => {
    const held = run(opened(), { type: 'claim', userId: 'ana' }, T0 + 1).state;
    const note = { noteId: 'note_1', userId: 'ana', text: '  VIP: wants a refund  ' };
    const moved = run(held, { type: 'assign', assignee: 'bob', by: { kind: 'user', id: 'ana' }, note }, T0 + 2);
    expect(moved.reply).toMatchObject({ ok: true, assignee: 'bob' });
    expect(moved.state.notes).toEqual([
      { id: 'note_1', atMs: T0 + 2, by: 'ana', text: 'VIP: wants a refund', mentions: ['bob'] },
    ]);
    expect(moved.effects).toContainEqual({
      type: 'tell',
      to: { kind: 'operator', id: 'org1.bob' },
      msg: {
        type: 'mentioned',
        conversationId: ID,
        noteId: 'note_1',
        by: 'ana',
        excerpt: 'VIP: wants a refund',
        atMs: T0 + 2,
      },
    });
    // A note that cannot be kept refuses the transfer: nothing changes.
    const blank = { ...note, noteId: 'note_2', text: '   ' };
    const refused = run(
      held,
      { type: 'assign', assignee: 'bob', by: { kind: 'user', id: 'ana' }, note: blank },
      T0 + 3,
    );
    expect(refused.reply).toMatchObject({ ok: false, code: 'PARLO_BAD_REQUEST' });
    expect(refused.state).toBe(held);
  });

  it('transfers to a team: unassigned, the lock released, the note kept, the assignment actor told the team', () => {
    const held = run(opened(), { type: 'claim', userId: 'ana' }, T0 + 1).state;
    const note = { noteId: 'note_1', userId: 'ana', text: 'Invoice 42 is wrong' };
    const moved = run(
      held,
      { type: 'assign', assignee: null, team: 'billing', by: { kind: 'user', id: 'ana' }, note },
      T0 + 2,
    );
    expect(moved.reply).toEqual({
      ok: true,
      assignee: null,
      lock: null,
      status: 'open',
      snoozedUntilMs: null,
      waitingForTeam: 'billing',
    });
    expect(moved.state).toMatchObject({ assignee: null, lock: null });
    // Nobody is mentioned yet: the member given the conversation will be.
    expect(moved.state.notes).toEqual([
      { id: 'note_1', atMs: T0 + 2, by: 'ana', text: 'Invoice 42 is wrong', mentions: [] },
    ]);
    expect(timers(moved.effects)).toEqual([{ type: 'cancelTimer', name: LOCK_TIMER }]);
    const tells = (moved.effects ?? []).filter(
      (e) => e.type === 'tell' && (e.to.kind === 'assignment' || e.to.kind === 'operator'),
    );
    expect(tells).toEqual([
      {
        type: 'tell',
        to: { kind: 'operator', id: 'org1.ana' },
        msg: { type: 'conversationLoad', conversationId: ID, open: false },
      },
      {
        type: 'tell',
        to: { kind: 'assignment', id: 'org1' },
        msg: { type: 'needsOperator', conversationId: ID, phoneNumberId: '1001', team: 'billing', noteId: 'note_1' },
      },
    ]);

    // The assignment actor gives it to Bob: he holds it, the note mentions him, and he is notified.
    const given = run(moved.state, { type: 'autoAssign', assignee: 'bob', transferNoteId: 'note_1' }, T0 + 3);
    expect(given.state).toMatchObject({ assignee: 'bob', lock: { holder: 'bob', sinceMs: T0 + 3 } });
    expect(given.state.notes[0]!.mentions).toEqual(['bob']);
    expect(given.effects).toContainEqual({
      type: 'tell',
      to: { kind: 'operator', id: 'org1.bob' },
      msg: {
        type: 'mentioned',
        conversationId: ID,
        noteId: 'note_1',
        by: 'ana',
        excerpt: 'Invoice 42 is wrong',
        atMs: T0 + 3,
      },
    });
    // Given back to the note's author: no mention of themselves.
    const own = run(moved.state, { type: 'autoAssign', assignee: 'ana', transferNoteId: 'note_1' }, T0 + 3);
    expect(own.state.assignee).toBe('ana');
    expect(own.state.notes[0]!.mentions).toEqual([]);
    expect((own.effects ?? []).some((e) => e.type === 'tell' && (e.msg as { type: string }).type === 'mentioned')).toBe(
      false,
    );
    // Claimed meanwhile: the pick is declined, nobody is mentioned.
    const claimed = run(moved.state, { type: 'claim', userId: 'cy' }, T0 + 3).state;
    const declined = run(claimed, { type: 'autoAssign', assignee: 'bob', transferNoteId: 'note_1' }, T0 + 4);
    expect(declined.state).toBe(claimed);
    expect(declined.effects).toEqual([
      {
        type: 'tell',
        to: { kind: 'assignment', id: 'org1' },
        msg: { type: 'autoAssignDeclined', conversationId: ID, userId: 'bob' },
      },
    ]);
  });

  it('a transfer to a team opens a resolved conversation again; a member and a team at once is refused', () => {
    const by = { kind: 'user', id: 'ana' } as const;
    const resolved = run(opened(), { type: 'setStatus', status: 'resolved', by }, T0 + 1).state;
    const moved = run(resolved, { type: 'assign', assignee: null, team: 'billing', by }, T0 + 2);
    expect(moved.reply).toMatchObject({ ok: true, status: 'open', waitingForTeam: 'billing' });
    expect(moved.effects).toContainEqual({
      type: 'tell',
      to: { kind: 'assignment', id: 'org1' },
      msg: { type: 'needsOperator', conversationId: ID, phoneNumberId: '1001', team: 'billing' },
    });
    const both = run(opened(), { type: 'assign', assignee: 'bob', team: 'billing', by }, T0 + 2);
    expect(both.reply).toMatchObject({ ok: false, code: 'PARLO_BAD_REQUEST' });
    expect(both.effects ?? []).toEqual([]);
  });

  it('snoozes until a time and opens again then; resolving releases the lock; a customer message reopens', () => {
    const held = run(opened(), { type: 'claim', userId: 'ana' }, T0).state;
    const by = { kind: 'user', id: 'ana' } as const;
    expect(run(held, { type: 'setStatus', status: 'snoozed', by }, T0).reply).toMatchObject({
      code: 'PARLO_BAD_REQUEST',
    });
    expect(run(held, { type: 'setStatus', status: 'snoozed', snoozeUntilMs: T0, by }, T0).reply).toMatchObject({
      code: 'PARLO_BAD_REQUEST',
    });
    const snoozed = run(held, { type: 'setStatus', status: 'snoozed', snoozeUntilMs: T0 + 60 * MIN, by }, T0);
    expect(snoozed.reply).toMatchObject({ ok: true, status: 'snoozed', snoozedUntilMs: T0 + 60 * MIN });
    expect(timers(snoozed.effects)).toEqual([
      { type: 'setTimer', name: SNOOZE_TIMER, dueAtMs: T0 + 60 * MIN, msg: { type: SNOOZE_TIMER } },
    ]);
    expect(run(snoozed.state, { type: SNOOZE_TIMER }, T0 + 60 * MIN).state).toMatchObject({
      status: 'open',
      snoozedUntilMs: null,
    });

    const resolved = run(held, { type: 'setStatus', status: 'resolved', by }, T0 + 1);
    expect(resolved.state).toMatchObject({ status: 'resolved', lock: null, assignee: 'ana' });
    const back = run(resolved.state, inbound('wamid.IN2', T0 + 2), T0 + 2);
    expect(back.state.status).toBe('open');
    // A customer message wakes a snoozed conversation early, and its timer goes.
    const woken = run(snoozed.state, inbound('wamid.IN3', T0 + 3), T0 + 3);
    expect(woken.state).toMatchObject({ status: 'open', snoozedUntilMs: null });
    expect(timers(woken.effects)).toEqual([{ type: 'cancelTimer', name: SNOOZE_TIMER }]);
  });

  it('refuses the inbox controls on a conversation that does not exist yet', () => {
    const none = initialConversationState();
    for (const msg of [
      { type: 'claim', userId: 'ana' },
      { type: 'takeOver', userId: 'ana' },
      { type: 'releaseLock', userId: 'ana' },
      { type: 'assign', assignee: 'ana', by: { kind: 'user', id: 'lead' } },
      { type: 'setStatus', status: 'resolved', by: { kind: 'user', id: 'lead' } },
    ] satisfies ConversationMsg[]) {
      const result = run(none, msg, T0);
      expect(result.reply as ConversationReplies['claim']).toMatchObject({ code: 'PARLO_CONVERSATION_NOT_FOUND' });
      expect(result.state).toBe(none);
    }
  });

  it('shows assignee, lock and status in the conversation view', () => {
    const held = run(opened(), { type: 'claim', userId: 'ana' }, T0).state;
    const view = run(held, { type: 'getConversation' }, T0).reply as ConversationReplies['getConversation'];
    expect(view.conversation).toMatchObject({
      assignee: 'ana',
      lock: { holder: 'ana', sinceMs: T0, expiresAtMs: T0 + LOCK_TIMEOUT },
      status: 'open',
      snoozedUntilMs: null,
    });
  });
});
