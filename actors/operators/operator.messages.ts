import type { Address } from '../../core/index.ts';
import type { Weekday } from '../campaigns/schedule.ts';

/**
 * The protocol of the `operator` actor (id `<orgId>.<userId>`): one member of an organisation as the inbox sees
 * them. Presence across devices (each open inbox tab or phone is a device: online, away; a device not heard of for
 * DEVICE_TTL_MS is gone), teams and skills, capacity (most open conversations at once), a weekly shift in their own
 * time zone, and the conversations assigned to them that are not resolved (their load, told by the conversations).
 * Every change that matters to automatic assignment is told to the organisation's `assignment` actor.
 */
export const OPERATOR_KIND = 'operator';
export const ASSIGNMENT_KIND = 'assignment';

export function operatorAddress(orgId: string, userId: string): Address {
  return { kind: OPERATOR_KIND, id: `${orgId}.${userId}` };
}

export function assignmentAddress(orgId: string): Address {
  return { kind: ASSIGNMENT_KIND, id: orgId };
}

/** A device that has not refreshed its presence for this long is gone (the gateway refreshes every 30 s). */
export const DEVICE_TTL_MS = 90_000;
export const DEFAULT_CAPACITY = 10;
export const MAX_CAPACITY = 1_000;

export const PRESENCES = ['online', 'away', 'offline'] as const;
export type Presence = (typeof PRESENCES)[number];

/**
 * Where an operator's presence changes are published for the realtime gateway (`presence.<orgId>`): a transient
 * signal (not numbered, not retained), as `GET /v1/operators` is the record.
 */
export function presenceTopic(orgId: string): string {
  return `presence.${orgId}`;
}

export interface PresenceSignal {
  readonly userId: string;
  readonly presence: Presence;
  readonly atMs: number;
}

/** `HH:MM`–`HH:MM` in the operator's zone; `to` ≤ `from` runs past midnight into the next day. */
export interface ShiftSpan {
  readonly from: string;
  readonly to: string;
}

export interface WeeklyShift {
  readonly timeZone: string;
  readonly days: Partial<Record<Weekday, readonly ShiftSpan[]>>;
}

export interface OperatorSettings {
  readonly teams: readonly string[];
  readonly skills: readonly string[];
  readonly capacity: number;
  /** null: always on shift. */
  readonly shift: WeeklyShift | null;
}

export const DEFAULT_OPERATOR_SETTINGS: OperatorSettings = {
  teams: [],
  skills: [],
  capacity: DEFAULT_CAPACITY,
  shift: null,
};

/** What the assignment actor keeps of an operator (told on every change of it). */
export interface OperatorSnapshot {
  readonly userId: string;
  readonly presence: Presence;
  readonly settings: OperatorSettings;
  /** Open conversations assigned to them. */
  readonly assigned: readonly string[];
  /** When they last became available (online from offline/away): least-recently-served order for ties. */
  readonly availableSinceMs: number | null;
}

export type OperatorMsg =
  /** From the realtime gateway: a device's presence (offline: the device closed). */
  | { readonly type: 'devicePresence'; readonly deviceId: string; readonly presence: Presence }
  /** From an admin (HTTP): the settings given replace those held. */
  | { readonly type: 'configure'; readonly settings: Partial<OperatorSettings> }
  /** From a conversation: it is (`open: true`) or no longer is an open conversation assigned to this operator. */
  | { readonly type: 'conversationLoad'; readonly conversationId: string; readonly open: boolean }
  /** From a conversation: this operator was @mentioned in an internal note. */
  | {
      readonly type: 'mentioned';
      readonly conversationId: string;
      readonly noteId: string;
      readonly by: string;
      readonly excerpt: string;
      readonly atMs: number;
    }
  /** The notifications up to this one are read. */
  | { readonly type: 'markNotificationsRead'; readonly upToId: string }
  /** Its own timer: drops devices not heard of for DEVICE_TTL_MS. */
  | { readonly type: 'devicesExpired' }
  | { readonly type: 'getOperator' };

/** A mention waiting for the operator (the newest NOTIFICATIONS_KEPT are kept). */
export interface OperatorNotification {
  readonly id: string;
  readonly kind: 'mention';
  readonly conversationId: string;
  readonly noteId: string;
  readonly by: string;
  readonly excerpt: string;
  readonly atMs: number;
  readonly read: boolean;
}

export const NOTIFICATIONS_KEPT = 100;

export interface OperatorView {
  readonly orgId: string;
  readonly userId: string;
  readonly presence: Presence;
  readonly devices: number;
  readonly settings: OperatorSettings;
  readonly assigned: readonly string[];
  /** Newest first. */
  readonly notifications: readonly OperatorNotification[];
}

export interface OperatorReplies {
  configure: { ok: true; operator: OperatorView } | { ok: false; code: 'PARLO_BAD_REQUEST'; message: string };
  getOperator: { ok: true; operator: OperatorView };
}
