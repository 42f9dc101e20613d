import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext } from '../../core/index.ts';
import {
  initialOperatorState,
  isOnShift,
  operatorActor,
  presenceOf,
  settingsProblem,
  type OperatorState,
} from './operator.actor.ts';
import { DEVICE_TTL_MS, type OperatorMsg, type OperatorReplies } from './operator.messages.ts';

const T0 = Date.UTC(2026, 2, 2, 10, 0); // Monday 2 March 2026, 10:00 UTC = 11:00 in Rome
const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'operator', id: 'org1.usr_ana' },
  nowMs,
  msgId: undefined,
  newId: () => 'id',
});
const run = (state: OperatorState, msg: OperatorMsg, nowMs = T0) => operatorActor.handle(state, msg, ctx(nowMs));
const assignmentTells = (effects: readonly Effect[] | undefined) =>
  (effects ?? []).filter((e) => e.type === 'tell' && e.to.kind === 'assignment');

describe('operator actor', () => {
  it('is online while any device is, away when all are, offline without devices; tells assignment each change', () => {
    const phone = run(initialOperatorState(), { type: 'devicePresence', deviceId: 'phone', presence: 'away' });
    expect(presenceOf(phone.state.devices)).toBe('away');
    expect(assignmentTells(phone.effects)).toEqual([
      {
        type: 'tell',
        to: { kind: 'assignment', id: 'org1' },
        msg: { type: 'operatorChanged', operator: expect.objectContaining({ userId: 'usr_ana', presence: 'away' }) },
      },
    ]);
    const laptop = run(phone.state, { type: 'devicePresence', deviceId: 'laptop', presence: 'online' }, T0 + 1);
    expect(presenceOf(laptop.state.devices)).toBe('online');
    expect(laptop.state.availableSinceMs).toBe(T0 + 1);
    // The same presence again: a refresh, nothing for the assignment actor.
    const refreshed = run(
      laptop.state,
      { type: 'devicePresence', deviceId: 'laptop', presence: 'online' },
      T0 + 30_000,
    );
    expect(assignmentTells(refreshed.effects)).toEqual([]);
    expect(refreshed.state.availableSinceMs).toBe(T0 + 1);
    const closed = run(
      refreshed.state,
      { type: 'devicePresence', deviceId: 'laptop', presence: 'offline' },
      T0 + 31_000,
    );
    expect(presenceOf(closed.state.devices)).toBe('away');
    expect(closed.state.availableSinceMs).toBeNull();
  });

  it('publishes each presence change for the realtime gateway (transient), not a refresh', () => {
    const published = (effects: readonly Effect[] | undefined) => (effects ?? []).filter((e) => e.type === 'publish');
    const online = run(initialOperatorState(), { type: 'devicePresence', deviceId: 'laptop', presence: 'online' });
    expect(published(online.effects)).toEqual([
      {
        type: 'publish',
        topic: 'presence.org1',
        event: { userId: 'usr_ana', presence: 'online', atMs: T0 },
        transient: true,
      },
    ]);
    const phone = run(online.state, { type: 'devicePresence', deviceId: 'phone', presence: 'away' }, T0 + 1);
    expect(published(phone.effects)).toEqual([]);
    const gone = run(phone.state, { type: 'devicePresence', deviceId: 'laptop', presence: 'offline' }, T0 + 2);
    expect(published(gone.effects)).toEqual([
      expect.objectContaining({ event: { userId: 'usr_ana', presence: 'away', atMs: T0 + 2 } }),
    ]);
  });

  it('drops devices not heard of for DEVICE_TTL_MS on its timer', () => {
    const online = run(initialOperatorState(), { type: 'devicePresence', deviceId: 'tab', presence: 'online' });
    expect(online.effects).toContainEqual({
      type: 'setTimer',
      name: 'devicesExpired',
      dueAtMs: T0 + DEVICE_TTL_MS,
      msg: { type: 'devicesExpired' },
    });
    expect(run(online.state, { type: 'devicesExpired' }, T0 + DEVICE_TTL_MS - 1).state.devices).toHaveLength(1);
    const gone = run(online.state, { type: 'devicesExpired' }, T0 + DEVICE_TTL_MS);
    expect(presenceOf(gone.state.devices)).toBe('offline');
    expect(gone.effects).toContainEqual({ type: 'cancelTimer', name: 'devicesExpired' });
    expect(assignmentTells(gone.effects)).toHaveLength(1);
  });

  it('counts its open conversations once each', () => {
    let state = run(initialOperatorState(), { type: 'conversationLoad', conversationId: 'c1', open: true }).state;
    state = run(state, { type: 'conversationLoad', conversationId: 'c1', open: true }).state;
    state = run(state, { type: 'conversationLoad', conversationId: 'c2', open: true }).state;
    expect(state.assigned).toEqual(['c1', 'c2']);
    const released = run(state, { type: 'conversationLoad', conversationId: 'c1', open: false });
    expect(released.state.assigned).toEqual(['c2']);
    expect(assignmentTells(released.effects)).toHaveLength(1);
    expect(run(released.state, { type: 'conversationLoad', conversationId: 'c1', open: false }).state).toBe(
      released.state,
    );
  });

  it('takes settings and refuses bad ones naming the field', () => {
    const ok = run(initialOperatorState(), {
      type: 'configure',
      settings: { teams: ['sales'], skills: ['es'], capacity: 3 },
    });
    expect((ok.reply as OperatorReplies['configure']).ok).toBe(true);
    expect(ok.state.settings).toMatchObject({ teams: ['sales'], skills: ['es'], capacity: 3, shift: null });
    expect(settingsProblem({ capacity: -1 })).toMatch(/^capacity/);
    expect(settingsProblem({ teams: [''] })).toMatch(/^teams/);
    expect(settingsProblem({ shift: { timeZone: 'Mars/Base', days: {} } })).toMatch(/^shift.timeZone/);
    expect(settingsProblem({ shift: { timeZone: 'UTC', days: { mon: [{ from: '9', to: '17:00' }] } } })).toMatch(
      /^shift.days.mon: from/,
    );
    const bad = run(ok.state, { type: 'configure', settings: { capacity: 1.5 } });
    expect(bad.reply).toMatchObject({ ok: false, code: 'PARLO_BAD_REQUEST' });
    expect(bad.state).toBe(ok.state);
  });

  it('is on shift inside its spans in its own zone, across midnight and DST', () => {
    const rome = {
      timeZone: 'Europe/Rome',
      days: { mon: [{ from: '09:00', to: '17:00' }], fri: [{ from: '22:00', to: '06:00' }] },
    };
    expect(isOnShift(null, T0)).toBe(true);
    expect(isOnShift(rome, T0)).toBe(true); // 11:00 Monday in Rome
    expect(isOnShift(rome, Date.UTC(2026, 2, 2, 16, 0))).toBe(false); // 17:00 in Rome: the span ended
    expect(isOnShift(rome, Date.UTC(2026, 2, 2, 7, 30))).toBe(false); // 08:30 in Rome
    // Friday night into Saturday morning.
    expect(isOnShift(rome, Date.UTC(2026, 2, 6, 22, 0))).toBe(true); // Fri 23:00
    expect(isOnShift(rome, Date.UTC(2026, 2, 7, 4, 0))).toBe(true); // Sat 05:00
    expect(isOnShift(rome, Date.UTC(2026, 2, 7, 6, 0))).toBe(false); // Sat 07:00
    // After the change to summer time (29 March) 09:00 in Rome is 07:00 UTC.
    expect(isOnShift(rome, Date.UTC(2026, 2, 30, 7, 0))).toBe(true);
    expect(isOnShift(rome, Date.UTC(2026, 2, 30, 6, 59))).toBe(false);
  });
});
