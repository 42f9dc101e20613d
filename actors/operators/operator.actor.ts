import { defineActor, refusal, unreachable, type Effect, type TurnContext } from '../../core/index.ts';
import { isValidTimeZone, parseLocalTime, WEEKDAYS, zonedParts, type Weekday } from '../campaigns/schedule.ts';
import {
  DEFAULT_OPERATOR_SETTINGS,
  DEVICE_TTL_MS,
  MAX_CAPACITY,
  NOTIFICATIONS_KEPT,
  OPERATOR_KIND,
  assignmentAddress,
  presenceTopic,
  type OperatorMsg,
  type OperatorNotification,
  type OperatorReplies,
  type OperatorSettings,
  type OperatorSnapshot,
  type OperatorView,
  type Presence,
  type PresenceSignal,
  type WeeklyShift,
} from './operator.messages.ts';
import type { AssignmentMsg } from './assignment.messages.ts';

/** One device's presence; `seenAtMs` is when it last said so. */
export interface DevicePresence {
  readonly deviceId: string;
  readonly presence: 'online' | 'away';
  readonly seenAtMs: number;
}

export interface OperatorState {
  readonly devices: readonly DevicePresence[];
  readonly settings: OperatorSettings;
  readonly assigned: readonly string[];
  readonly availableSinceMs: number | null;
  /** When the device expiry timer is due; null when none is armed. */
  readonly expiryAtMs: number | null;
  /** Oldest first, the newest NOTIFICATIONS_KEPT. */
  readonly notifications: readonly OperatorNotification[];
}

const DEVICES_TIMER = 'devicesExpired';
const MAX_DEVICES = 20;
const MAX_LABELS = 50;
const MAX_LABEL_LENGTH = 64;

export function initialOperatorState(): OperatorState {
  return {
    devices: [],
    settings: DEFAULT_OPERATOR_SETTINGS,
    assigned: [],
    availableSinceMs: null,
    expiryAtMs: null,
    notifications: [],
  };
}

/** The operator's presence: online if any device is, away if all are away, offline without devices. */
export function presenceOf(devices: readonly DevicePresence[]): Presence {
  if (devices.length === 0) return 'offline';
  return devices.some((d) => d.presence === 'online') ? 'online' : 'away';
}

/** `<orgId>.<userId>` → its parts (org ids hold no dot). */
export function parseOperatorId(id: string): { orgId: string; userId: string } {
  const dot = id.indexOf('.');
  return { orgId: id.slice(0, dot), userId: id.slice(dot + 1) };
}

export const operatorActor = defineActor<OperatorState, OperatorMsg>({
  kind: OPERATOR_KIND,
  stateVersion: 1,
  initialState: () => initialOperatorState(),
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'devicePresence':
        return changed(state, onDevicePresence(state, msg.deviceId, msg.presence, ctx.nowMs), ctx);
      case 'devicesExpired':
        return changed(state, withLiveDevices(state, state.devices, ctx.nowMs), ctx);
      case 'conversationLoad': {
        const held = state.assigned.includes(msg.conversationId);
        if (held === msg.open) return { state };
        const assigned = msg.open
          ? [...state.assigned, msg.conversationId]
          : state.assigned.filter((id) => id !== msg.conversationId);
        return changed(state, { ...state, assigned }, ctx);
      }
      case 'configure': {
        const problem = settingsProblem(msg.settings);
        if (problem !== null) return { state, reply: refusal('PARLO_BAD_REQUEST', problem) };
        const next = { ...state, settings: { ...state.settings, ...msg.settings } };
        const turn = changed(state, next, ctx);
        const reply: OperatorReplies['configure'] = { ok: true, operator: viewOf(turn.state, ctx.self.id) };
        return { ...turn, reply };
      }
      case 'mentioned': {
        const id = `${msg.conversationId}/${msg.noteId}`;
        if (state.notifications.some((n) => n.id === id)) return { state };
        const notification: OperatorNotification = {
          id,
          kind: 'mention',
          conversationId: msg.conversationId,
          noteId: msg.noteId,
          by: msg.by,
          excerpt: msg.excerpt,
          atMs: msg.atMs,
          read: false,
        };
        return {
          state: { ...state, notifications: [...state.notifications, notification].slice(-NOTIFICATIONS_KEPT) },
        };
      }
      case 'markNotificationsRead': {
        const upTo = state.notifications.findIndex((n) => n.id === msg.upToId);
        if (upTo < 0 || state.notifications.slice(0, upTo + 1).every((n) => n.read)) return { state };
        const notifications = state.notifications.map((n, i) => (i <= upTo && !n.read ? { ...n, read: true } : n));
        return { state: { ...state, notifications } };
      }
      case 'getOperator': {
        const reply: OperatorReplies['getOperator'] = { ok: true, operator: viewOf(state, ctx.self.id) };
        return { state, reply };
      }
      default:
        return unreachable(msg);
    }
  },
});

function onDevicePresence(state: OperatorState, deviceId: string, presence: Presence, nowMs: number): OperatorState {
  const others = state.devices.filter((d) => d.deviceId !== deviceId);
  const devices =
    presence === 'offline' ? others : [...others, { deviceId, presence, seenAtMs: nowMs }].slice(-MAX_DEVICES);
  return withLiveDevices(state, devices, nowMs);
}

/** The devices heard of within DEVICE_TTL_MS; available-since moves when the operator comes online. */
function withLiveDevices(state: OperatorState, devices: readonly DevicePresence[], nowMs: number): OperatorState {
  const live = devices.filter((d) => d.seenAtMs + DEVICE_TTL_MS > nowMs);
  const wasOnline = presenceOf(state.devices) === 'online';
  const isOnline = presenceOf(live) === 'online';
  const availableSinceMs = isOnline ? (wasOnline ? state.availableSinceMs : nowMs) : null;
  return { ...state, devices: live, availableSinceMs };
}

/**
 * The turn for a new state: the device timer re-armed for the oldest device's expiry, a presence change published
 * for the realtime gateway (`presence.<orgId>`), and the organisation's assignment actor told when something it
 * decides by changed (presence, settings, load).
 */
function changed(before: OperatorState, after: OperatorState, ctx: TurnContext) {
  const effects: Effect[] = [];
  let next = after;
  const oldest = after.devices.reduce<number | null>(
    (min, d) => (min === null || d.seenAtMs < min ? d.seenAtMs : min),
    null,
  );
  const dueAtMs = oldest === null ? null : oldest + DEVICE_TTL_MS;
  if (dueAtMs !== after.expiryAtMs) {
    effects.push(
      dueAtMs === null
        ? { type: 'cancelTimer', name: DEVICES_TIMER }
        : { type: 'setTimer', name: DEVICES_TIMER, dueAtMs, msg: { type: DEVICES_TIMER } satisfies OperatorMsg },
    );
    next = { ...next, expiryAtMs: dueAtMs };
  }
  const presence = presenceOf(after.devices);
  if (presenceOf(before.devices) !== presence) {
    const { orgId, userId } = parseOperatorId(ctx.self.id);
    const event: PresenceSignal = { userId, presence, atMs: ctx.nowMs };
    effects.push({ type: 'publish', topic: presenceTopic(orgId), event, transient: true });
  }
  if (
    presenceOf(before.devices) !== presence ||
    before.settings !== after.settings ||
    before.assigned !== after.assigned
  ) {
    const { orgId } = parseOperatorId(ctx.self.id);
    const msg: AssignmentMsg = { type: 'operatorChanged', operator: snapshotOf(next, ctx.self.id) };
    effects.push({ type: 'tell', to: assignmentAddress(orgId), msg });
  }
  return { state: next, effects };
}

export function snapshotOf(state: OperatorState, id: string): OperatorSnapshot {
  return {
    userId: parseOperatorId(id).userId,
    presence: presenceOf(state.devices),
    settings: state.settings,
    assigned: state.assigned,
    availableSinceMs: state.availableSinceMs,
  };
}

function viewOf(state: OperatorState, id: string): OperatorView {
  const { orgId, userId } = parseOperatorId(id);
  return {
    orgId,
    userId,
    presence: presenceOf(state.devices),
    devices: state.devices.length,
    settings: state.settings,
    assigned: state.assigned,
    notifications: [...state.notifications].reverse(),
  };
}

/** What is wrong with the settings, naming the field; null when they are good. */
export function settingsProblem(settings: Partial<OperatorSettings>): string | null {
  for (const field of ['teams', 'skills'] as const) {
    const labels = settings[field];
    if (labels === undefined) continue;
    if (labels.length > MAX_LABELS) return `${field}: at most ${MAX_LABELS}`;
    const bad = labels.find((l) => l.length === 0 || l.length > MAX_LABEL_LENGTH);
    if (bad !== undefined) return `${field}: "${bad}" must be 1–${MAX_LABEL_LENGTH} characters`;
  }
  if (
    settings.capacity !== undefined &&
    (!Number.isInteger(settings.capacity) || settings.capacity < 0 || settings.capacity > MAX_CAPACITY)
  )
    return `capacity: an integer from 0 to ${MAX_CAPACITY}`;
  if (settings.shift) return shiftProblem(settings.shift);
  return null;
}

function shiftProblem(shift: WeeklyShift): string | null {
  if (!isValidTimeZone(shift.timeZone)) return `shift.timeZone: "${shift.timeZone}" is not an IANA time zone`;
  for (const [day, spans] of Object.entries(shift.days)) {
    if (!(WEEKDAYS as readonly string[]).includes(day))
      return `shift.days: "${day}" is not one of ${WEEKDAYS.join(', ')}`;
    for (const span of spans ?? []) {
      if (parseLocalTime(span.from) === null) return `shift.days.${day}: from "${span.from}" is not HH:MM`;
      if (parseLocalTime(span.to) === null) return `shift.days.${day}: to "${span.to}" is not HH:MM`;
    }
  }
  return null;
}

/** Whether `atMs` falls in the shift (a span past midnight counts on the next day until its end); no shift: yes. */
export function isOnShift(shift: WeeklyShift | null, atMs: number): boolean {
  if (shift === null) return true;
  const parts = zonedParts(atMs, shift.timeZone);
  const minute = parts.hour * 60 + parts.minute;
  const today = parts.weekday;
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(today) + 6) % 7] as Weekday;
  for (const span of shift.days[today] ?? []) {
    const [from, to] = [minutesOf(span.from), minutesOf(span.to)];
    if (from < to ? minute >= from && minute < to : minute >= from) return true;
  }
  for (const span of shift.days[yesterday] ?? []) {
    const [from, to] = [minutesOf(span.from), minutesOf(span.to)];
    if (to <= from && minute < to) return true;
  }
  return false;
}

function minutesOf(text: string): number {
  const time = parseLocalTime(text)!;
  return time.hour * 60 + time.minute;
}
