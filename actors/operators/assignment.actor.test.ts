import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext } from '../../core/index.ts';
import {
  assignmentActor,
  assignmentSplit,
  initialAssignmentState,
  upgradeAssignment,
  waitingOldestFirst,
  type AssignmentState,
} from './assignment.actor.ts';
import {
  MAX_WAITING,
  MAX_WAITING_SHOWN,
  MAX_WAITING_WITH_TRANSFERS,
  type AssignmentMsg,
  type AssignmentReplies,
  type AssignmentRules,
} from './assignment.messages.ts';
import { bucketOf } from '../indexing/bucket-index.ts';
import { DEFAULT_OPERATOR_SETTINGS, type OperatorSettings, type OperatorSnapshot } from './operator.messages.ts';

const T0 = Date.UTC(2026, 2, 2, 10, 0);
const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'assignment', id: 'org1' },
  nowMs,
  msgId: undefined,
  newId: () => 'id',
});
const run = (state: AssignmentState, msg: AssignmentMsg, nowMs = T0) => assignmentActor.handle(state, msg, ctx(nowMs));

function operator(
  userId: string,
  overrides: Omit<Partial<OperatorSnapshot>, 'settings'> & { settings?: Partial<OperatorSettings> } = {},
) {
  return {
    userId,
    presence: 'online',
    assigned: [],
    availableSinceMs: T0,
    ...overrides,
    settings: { ...DEFAULT_OPERATOR_SETTINGS, ...overrides.settings },
  } satisfies OperatorSnapshot;
}

/** Who each autoAssign went to, in order: `conversation → user`. */
const picks = (effects: readonly Effect[] | undefined) =>
  (effects ?? []).flatMap((e) =>
    e.type === 'tell' && e.to.kind === 'conversation' && (e.msg as { type: string }).type === 'autoAssign'
      ? [`${e.to.id}→${(e.msg as { assignee: string }).assignee}`]
      : [],
  );

function world(rules: Partial<AssignmentRules>, operators: OperatorSnapshot[]): AssignmentState {
  const set = run(initialAssignmentState(), {
    type: 'setRules',
    rules: { mode: 'roundRobin', routes: [], unassignWhenOffline: false, ...rules },
  });
  expect(set.reply).toMatchObject({ ok: true });
  let state = set.state;
  for (const o of operators) state = run(state, { type: 'operatorChanged', operator: o }).state;
  return state;
}

const needs = (conversationId: string, phoneNumberId = '1001'): AssignmentMsg => ({
  type: 'needsOperator',
  conversationId,
  phoneNumberId,
});

const transfer = (conversationId: string, team: string, noteId?: string): AssignmentMsg => ({
  type: 'needsOperator',
  conversationId,
  phoneNumberId: conversationId.slice(0, conversationId.indexOf('.')),
  team,
  ...(noteId === undefined ? {} : { noteId }),
});

/** The autoAssign messages told, as sent. */
const autoAssigns = (effects: readonly Effect[] | undefined) =>
  (effects ?? []).flatMap((e) => (e.type === 'tell' && e.to.kind === 'conversation' ? [e.msg] : []));

function feed(state: AssignmentState, ids: string[]) {
  const all: string[] = [];
  for (const id of ids) {
    const turn = run(state, needs(id));
    state = turn.state;
    all.push(...picks(turn.effects));
  }
  return { state, picks: all };
}

describe('assignment actor', () => {
  it('round robin takes online operators in turn', () => {
    const state = world({ mode: 'roundRobin' }, [operator('ana'), operator('bob'), operator('cy')]);
    expect(feed(state, ['1001.p1', '1001.p2', '1001.p3', '1001.p4']).picks).toEqual([
      '1001.p1→ana',
      '1001.p2→bob',
      '1001.p3→cy',
      '1001.p4→ana',
    ]);
  });

  it('least busy takes whoever has the fewest open conversations, ties to the longest available', () => {
    const state = world({ mode: 'leastBusy' }, [
      operator('ana', { assigned: ['x', 'y'] }),
      operator('bob', { assigned: ['z'], availableSinceMs: T0 + 5 }),
      operator('cy', { assigned: ['w'], availableSinceMs: T0 + 1 }),
    ]);
    expect(feed(state, ['1001.p1', '1001.p2', '1001.p3']).picks).toEqual(['1001.p1→cy', '1001.p2→bob', '1001.p3→ana']);
  });

  it('skips operators away, offline, at capacity or off shift; nobody free: the conversation waits', () => {
    const state = world({ mode: 'roundRobin' }, [
      operator('away', { presence: 'away' }),
      operator('gone', { presence: 'offline' }),
      operator('full', { assigned: ['a'], settings: { capacity: 1 } }),
      operator('night', { settings: { shift: { timeZone: 'UTC', days: { mon: [{ from: '22:00', to: '06:00' }] } } } }),
    ]);
    const fed = feed(state, ['1001.p1', '1001.p2']);
    expect(fed.picks).toEqual([]);
    expect(waitingOldestFirst(fed.state.waiting).map((w) => w.conversationId)).toEqual(['1001.p1', '1001.p2']);
    // The same conversation asking again waits once.
    expect(run(fed.state, needs('1001.p1')).state).toBe(fed.state);

    // Someone frees up: the oldest waiting goes first, then the next as capacity allows.
    const freed = run(fed.state, {
      type: 'operatorChanged',
      operator: operator('full', { assigned: ['a'], settings: { capacity: 2 } }),
    });
    expect(picks(freed.effects)).toEqual(['1001.p1→full']);
    expect(waitingOldestFirst(freed.state.waiting).map((w) => w.conversationId)).toEqual(['1001.p2']);
  });

  it('routes a number’s conversations to its team with the skills it needs', () => {
    const state = world({ mode: 'roundRobin', routes: [{ phoneNumberId: '20020', team: 'support', skills: ['it'] }] }, [
      operator('ana', { settings: { teams: ['sales'] } }),
      operator('bob', { settings: { teams: ['support'], skills: ['es'] } }),
      operator('cy', { settings: { teams: ['support'], skills: ['es', 'it'] } }),
    ]);
    const support = run(state, needs('20020.p1', '20020'));
    expect(picks(support.effects)).toEqual(['20020.p1→cy']);
    // Another number matches no route: anyone.
    expect(picks(run(support.state, needs('1001.p1', '1001')).effects)).toEqual(['1001.p1→ana']);
  });

  it('does nothing in manual mode, and leaves the queue when the conversation is taken', () => {
    const manual = world({ mode: 'manual' }, [operator('ana')]);
    const waiting = run(manual, needs('1001.p1'));
    expect(picks(waiting.effects)).toEqual([]);
    expect(waiting.state.waiting.count).toBe(1);
    expect(run(waiting.state, { type: 'conversationTaken', conversationId: '1001.p1' }).state.waiting.count).toBe(0);
  });

  it('stops counting a declined pick on its operator', () => {
    const state = world({ mode: 'roundRobin' }, [operator('ana', { settings: { capacity: 1 } })]);
    const first = run(state, needs('1001.p1'));
    expect(picks(first.effects)).toEqual(['1001.p1→ana']);
    // Full now: the next one waits …
    const second = run(first.state, needs('1001.p2'));
    expect(picks(second.effects)).toEqual([]);
    // … until the first declines (it was taken meanwhile).
    const declined = run(second.state, { type: 'autoAssignDeclined', conversationId: '1001.p1', userId: 'ana' });
    expect(picks(declined.effects)).toEqual(['1001.p2→ana']);
  });

  it('unassigns and queues again the conversations of an operator who goes offline, when the rules say so', () => {
    const state = world({ mode: 'roundRobin', unassignWhenOffline: true }, [
      operator('ana', { assigned: ['1001.p1', '1001.p2'] }),
    ]);
    const offline = run(state, {
      type: 'operatorChanged',
      operator: operator('ana', { presence: 'offline', assigned: ['1001.p1', '1001.p2'] }),
    });
    expect(offline.effects).toEqual([
      { type: 'tell', to: { kind: 'conversation', id: '1001.p1' }, msg: { type: 'autoUnassign', userId: 'ana' } },
      { type: 'tell', to: { kind: 'conversation', id: '1001.p2' }, msg: { type: 'autoUnassign', userId: 'ana' } },
    ]);
    expect(waitingOldestFirst(offline.state.waiting).map((w) => w.conversationId)).toEqual(['1001.p1', '1001.p2']);
    const bob = run(offline.state, { type: 'operatorChanged', operator: operator('bob') });
    expect(picks(bob.effects)).toEqual(['1001.p1→bob', '1001.p2→bob']);
  });

  it('queues at most MAX_WAITING; a view lists the oldest MAX_WAITING_SHOWN and counts them all', () => {
    let state = world({ mode: 'manual' }, []);
    for (let i = 0; i < MAX_WAITING; i++) state = run(state, needs(`1001.p${i}`), T0 + i).state;
    expect(state.waiting.count).toBe(MAX_WAITING);
    expect(run(state, needs('1001.pLate'), T0 + MAX_WAITING).state).toBe(state);
    const view = (run(state, { type: 'getAssignment' }).reply as AssignmentReplies['getAssignment']).view;
    expect(view.waitingCount).toBe(MAX_WAITING);
    expect(view.waiting).toHaveLength(MAX_WAITING_SHOWN);
    expect(view.waiting.slice(0, 2).map((w) => w.conversationId)).toEqual(['1001.p0', '1001.p1']);
  });

  it('writes one small bucket per waiting conversation added, not the whole queue', () => {
    let state = world({ mode: 'manual' }, []);
    for (let i = 0; i < 1000; i++) state = run(state, needs(`1001.p${i}`), T0 + i).state;
    const after = run(state, needs('1001.pNew'), T0 + 2000).state;
    const before = assignmentSplit.items(state);
    const changed = assignmentSplit
      .items(after)
      .filter((bucket, i) => before[i] !== bucket && !before.includes(bucket));
    expect(changed).toHaveLength(1);
    expect(changed[0]!.entries.length).toBeLessThan(5);
    const joined = assignmentSplit.join(assignmentSplit.head(after), assignmentSplit.items(after));
    expect(waitingOldestFirst(joined.waiting)).toEqual(waitingOldestFirst(after.waiting));
  });

  it('upgrades a version 1 state, whose waiting conversations were one list', () => {
    const v1 = {
      rules: { mode: 'roundRobin', routes: [], unassignWhenOffline: false },
      operators: [],
      lastPicked: null,
      waiting: [
        { conversationId: '1001.p2', phoneNumberId: '1001', sinceMs: T0 },
        { conversationId: '1001.p1', phoneNumberId: '1001', sinceMs: T0 + 1 },
      ],
    };
    const state = upgradeAssignment(v1, 1);
    expect(state.waiting.count).toBe(2);
    expect(waitingOldestFirst(state.waiting).map((w) => w.conversationId)).toEqual(['1001.p2', '1001.p1']);
    expect(picks(run(state, { type: 'operatorChanged', operator: operator('ana') }).effects)).toEqual([
      '1001.p2→ana',
      '1001.p1→ana',
    ]);
  });

  it('gives a conversation transferred to a team to a free member of it, whatever the route, with the note', () => {
    const state = world({ mode: 'roundRobin', routes: [{ phoneNumberId: null, team: 'support', skills: ['es'] }] }, [
      operator('ana', { settings: { teams: ['support'], skills: ['es'] } }),
      operator('bob', { settings: { teams: ['billing'] } }),
      operator('cy', { settings: { teams: ['billing'] }, presence: 'away' }),
    ]);
    const moved = run(state, transfer('1001.p1', 'billing', 'note_1'));
    expect(autoAssigns(moved.effects)).toEqual([{ type: 'autoAssign', assignee: 'bob', transferNoteId: 'note_1' }]);
    expect(moved.state.waiting.count).toBe(0);
    // Without a note, the usual autoAssign.
    expect(autoAssigns(run(moved.state, transfer('1001.p2', 'billing')).effects)).toEqual([
      { type: 'autoAssign', assignee: 'bob' },
    ]);
  });

  it('serves a transfer to a team in manual mode too (the least busy member), and nothing else', () => {
    const state = world({ mode: 'manual' }, [
      operator('ana', { settings: { teams: ['billing'] }, assigned: ['x', 'y'] }),
      operator('bob', { settings: { teams: ['billing'] }, assigned: ['z'] }),
      operator('cy'),
    ]);
    const plain = run(state, needs('1001.p1'));
    expect(picks(plain.effects)).toEqual([]);
    const moved = run(plain.state, transfer('1001.p2', 'billing'), T0 + 1);
    expect(picks(moved.effects)).toEqual(['1001.p2→bob']);
    expect(waitingOldestFirst(moved.state.waiting).map((w) => w.conversationId)).toEqual(['1001.p1']);
  });

  it('keeps a transfer waiting until a member of the team is free, oldest first for that team', () => {
    const state = world({ mode: 'leastBusy' }, [
      operator('ana', { settings: { teams: ['billing'] }, presence: 'offline' }),
      operator('bob', { settings: { teams: ['support'] } }),
    ]);
    const first = run(state, transfer('1001.p1', 'billing', 'note_1'), T0);
    const second = run(first.state, transfer('1001.p2', 'billing'), T0 + 1);
    // Bob is free but not in the team.
    expect(picks(first.effects)).toEqual([]);
    expect(picks(second.effects)).toEqual([]);
    expect(waitingOldestFirst(second.state.waiting)).toEqual([
      { conversationId: '1001.p1', phoneNumberId: '1001', sinceMs: T0, team: 'billing', noteId: 'note_1' },
      { conversationId: '1001.p2', phoneNumberId: '1001', sinceMs: T0 + 1, team: 'billing', noteId: null },
    ]);
    const online = run(second.state, {
      type: 'operatorChanged',
      operator: operator('ana', { settings: { teams: ['billing'], capacity: 1 } }),
    });
    expect(autoAssigns(online.effects)).toEqual([{ type: 'autoAssign', assignee: 'ana', transferNoteId: 'note_1' }]);
    expect(online.effects?.[0]).toMatchObject({ to: { kind: 'conversation', id: '1001.p1' } });
    expect(waitingOldestFirst(online.state.waiting).map((w) => w.conversationId)).toEqual(['1001.p2']);
    // Claimed meanwhile: it waits no more.
    expect(run(online.state, { type: 'conversationTaken', conversationId: '1001.p2' }).state.waiting.count).toBe(0);
  });

  it('a conversation waiting already keeps its place when transferred to a team; a later ask keeps its team', () => {
    const state = world({ mode: 'manual' }, [
      operator('ana', { presence: 'offline', settings: { teams: ['billing'] } }),
    ]);
    const waiting = run(state, needs('1001.p1'), T0).state;
    const moved = run(waiting, transfer('1001.p1', 'billing', 'note_1'), T0 + 5).state;
    expect(waitingOldestFirst(moved.waiting)).toEqual([
      { conversationId: '1001.p1', phoneNumberId: '1001', sinceMs: T0, team: 'billing', noteId: 'note_1' },
    ]);
    expect(run(moved, needs('1001.p1'), T0 + 6).state).toBe(moved);
  });

  it('queues a transfer to a team beyond MAX_WAITING, up to MAX_WAITING_WITH_TRANSFERS', () => {
    let state = world({ mode: 'manual' }, []);
    for (let i = 0; i < MAX_WAITING; i++) state = run(state, needs(`1001.p${i}`), T0 + i).state;
    expect(run(state, needs('1001.pLate'), T0 + MAX_WAITING).state).toBe(state);
    for (let i = 0; i < MAX_WAITING_WITH_TRANSFERS - MAX_WAITING; i++) {
      state = run(state, transfer(`1001.t${i}`, 'billing'), T0 + MAX_WAITING + i).state;
    }
    expect(state.waiting.count).toBe(MAX_WAITING_WITH_TRANSFERS);
    expect(run(state, transfer('1001.tLate', 'billing')).state).toBe(state);
    // A conversation waiting already may still be transferred.
    expect(run(state, transfer('1001.p0', 'billing')).state.waiting.count).toBe(MAX_WAITING_WITH_TRANSFERS);
  });

  it('names the operators in a team', () => {
    const state = world({ mode: 'manual' }, [
      operator('cy', { settings: { teams: ['billing', 'support'] }, presence: 'offline' }),
      operator('ana', { settings: { teams: ['billing'] } }),
      operator('bob', { settings: { teams: ['support'] } }),
    ]);
    const team = (name: string) =>
      (run(state, { type: 'getTeam', team: name }).reply as AssignmentReplies['getTeam']).userIds;
    expect(team('billing')).toEqual(['ana', 'cy']);
    expect(team('nobody')).toEqual([]);
  });

  it('upgrades a version 2 state, whose waiting conversations had no team nor note', () => {
    const head = {
      rules: { mode: 'roundRobin', routes: [], unassignWhenOffline: false },
      operators: [],
      lastPicked: null,
      waitingCount: 2,
    };
    const entry = (conversationId: string, sinceMs: number) => ({ conversationId, phoneNumberId: '1001', sinceMs });
    // One bucket each, as version 2 stored them (in key order).
    const items = [entry('1001.p2', T0), entry('1001.p1', T0 + 1)]
      .map((e) => ({ index: bucketOf(e.conversationId), entries: [e] }))
      .sort((a, b) => a.index - b.index);
    const state = upgradeAssignment(head, 2, items);
    expect(waitingOldestFirst(state.waiting)).toEqual([
      { ...entry('1001.p2', T0), team: null, noteId: null },
      { ...entry('1001.p1', T0 + 1), team: null, noteId: null },
    ]);
    expect(state.waiting.count).toBe(2);
    expect(state.rules.mode).toBe('roundRobin');
    expect(run(state, { type: 'conversationTaken', conversationId: '1001.p1' }).state.waiting.count).toBe(1);
    expect(picks(run(state, { type: 'operatorChanged', operator: operator('ana') }).effects)).toEqual([
      '1001.p2→ana',
      '1001.p1→ana',
    ]);
  });

  it('refuses bad rules naming the field', () => {
    const bad = run(initialAssignmentState(), {
      type: 'setRules',
      rules: {
        mode: 'roundRobin',
        routes: [{ phoneNumberId: 'x', team: null, skills: [] }],
        unassignWhenOffline: false,
      },
    });
    expect(bad.reply).toMatchObject({
      ok: false,
      code: 'PARLO_BAD_REQUEST',
      message: expect.stringMatching(/^routes\[0\].phoneNumberId/),
    });
    const view = run(initialAssignmentState(), { type: 'getAssignment' }).reply as AssignmentReplies['getAssignment'];
    expect(view.view.rules.mode).toBe('manual');
  });
});
