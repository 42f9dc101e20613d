import { describe, expect, it } from 'vitest';
import { initialConversationState, type ConversationState } from '../conversation/conversation.state.ts';
import { assignmentEffectsOf, teamTransferOf } from './conversation-assignment.ts';

const ID = '10010.p34600000001';
const base: ConversationState = { ...initialConversationState(), orgId: 'org1', phoneNumberId: '10010' };
const load = (userId: string, open: boolean) => ({
  type: 'tell',
  to: { kind: 'operator', id: `org1.${userId}` },
  msg: { type: 'conversationLoad', conversationId: ID, open },
});
const taken = {
  type: 'tell',
  to: { kind: 'assignment', id: 'org1' },
  msg: { type: 'conversationTaken', conversationId: ID },
};

describe('assignment effects of a conversation turn', () => {
  it('moves the load on a transfer, and tells the assignment actor the conversation was taken', () => {
    const ana = { ...base, assignee: 'ana' };
    expect(assignmentEffectsOf(base, ana, ID)).toEqual([load('ana', true), taken]);
    expect(assignmentEffectsOf(ana, { ...ana, assignee: 'bob' }, ID)).toEqual([load('ana', false), load('bob', true)]);
    expect(assignmentEffectsOf(ana, { ...ana, assignee: null }, ID)).toEqual([load('ana', false)]);
  });

  it('a resolved conversation is no load; reopened it is again', () => {
    const ana = { ...base, assignee: 'ana' };
    const resolved: ConversationState = { ...ana, status: 'resolved' };
    expect(assignmentEffectsOf(ana, resolved, ID)).toEqual([load('ana', false)]);
    expect(assignmentEffectsOf(resolved, ana, ID)).toEqual([load('ana', true)]);
    // Resolved while unassigned: it waits no more.
    expect(assignmentEffectsOf(base, { ...base, status: 'resolved' }, ID)).toEqual([taken]);
  });

  it('tells that the conversation waits when it starts waiting, not for every message of the customer', () => {
    const needs = {
      type: 'tell',
      to: { kind: 'assignment', id: 'org1' },
      msg: { type: 'needsOperator', conversationId: ID, phoneNumberId: '10010' },
    };
    const message = (seq: number, direction: 'in' | 'out') => ({ seq, direction }) as ConversationState['log'][number];
    const wrote = { ...base, log: [message(1, 'in')], nextSeq: 2 };
    expect(assignmentEffectsOf(base, wrote, ID)).toEqual([needs]);
    const again = { ...wrote, log: [...wrote.log, message(2, 'in')], nextSeq: 3 };
    expect(assignmentEffectsOf(wrote, again, ID)).toEqual([]);
    // Answered without being assigned (an API reply), then the customer writes: it waits again.
    const answered = { ...again, log: [...again.log, message(3, 'out')], nextSeq: 4 };
    expect(assignmentEffectsOf(again, answered, ID)).toEqual([]);
    expect(assignmentEffectsOf(answered, { ...answered, log: [...answered.log, message(4, 'in')] }, ID)).toEqual([
      needs,
    ]);
    // Unassigned while the customer waits: it waits for someone again.
    const ana = { ...again, assignee: 'ana' };
    expect(assignmentEffectsOf(ana, again, ID)).toEqual([load('ana', false), needs]);
  });

  it('tells a transfer to a team, with its note, whoever wrote last, instead of the plain wait', () => {
    const ana = { ...base, assignee: 'ana' };
    const billing = (noteId: string | null) => ({
      type: 'tell',
      to: { kind: 'assignment', id: 'org1' },
      msg: {
        type: 'needsOperator',
        conversationId: ID,
        phoneNumberId: '10010',
        team: 'billing',
        ...(noteId === null ? {} : { noteId }),
      },
    });
    expect(assignmentEffectsOf(ana, base, ID, { team: 'billing', noteId: 'note_1' })).toEqual([
      load('ana', false),
      billing('note_1'),
    ]);
    // The customer wrote last: one ask, with the team.
    const wrote = { ...base, log: [{ seq: 1, direction: 'in' } as ConversationState['log'][number]], nextSeq: 2 };
    expect(assignmentEffectsOf({ ...wrote, assignee: 'ana' }, wrote, ID, { team: 'billing', noteId: null })).toEqual([
      load('ana', false),
      billing(null),
    ]);
  });

  it('knows a team transfer by the accepted assign with a team', () => {
    const by = { kind: 'user', id: 'ana' } as const;
    const note = { noteId: 'note_1', userId: 'ana', text: 'hi' };
    expect(teamTransferOf({ type: 'assign', assignee: null, team: 'billing', by, note }, { ok: true })).toEqual({
      team: 'billing',
      noteId: 'note_1',
    });
    expect(teamTransferOf({ type: 'assign', assignee: null, team: 'billing', by }, { ok: true })).toEqual({
      team: 'billing',
      noteId: null,
    });
    expect(teamTransferOf({ type: 'assign', assignee: null, team: 'billing', by }, { ok: false })).toBeNull();
    expect(teamTransferOf({ type: 'assign', assignee: 'bob', by }, { ok: true })).toBeNull();
    expect(teamTransferOf({ type: 'claim', userId: 'ana' }, { ok: true })).toBeNull();
  });

  it('says nothing for the same state or a conversation without an organisation', () => {
    expect(assignmentEffectsOf(base, base, ID)).toEqual([]);
    const orphan = { ...initialConversationState(), phoneNumberId: '10010' };
    expect(assignmentEffectsOf(orphan, { ...orphan, assignee: 'ana' }, ID)).toEqual([]);
  });
});
