import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import { WEEKDAYS } from '../../../actors/campaigns/schedule.ts';
import {
  ASSIGNMENT_MODES,
  MAX_ROUTES,
  type AssignmentMsg,
  type AssignmentReplies,
  type AssignmentView,
} from '../../../actors/operators/assignment.messages.ts';
import {
  MAX_CAPACITY,
  PRESENCES,
  assignmentAddress,
  operatorAddress,
  type OperatorMsg,
  type OperatorReplies,
  type OperatorSettings,
  type OperatorView,
} from '../../../actors/operators/operator.messages.ts';
import { ORG_KIND, type OrgMsg, type OrgReply } from '../../../actors/org/org.messages.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { callerOf, okOrThrow, userCallerOf } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';

/**
 * Operators and automatic assignment (issue #7, 2–3): each member's presence, teams, skills, capacity and weekly
 * shift (actors/operators/operator.actor.ts), and the organisation's assignment rules and waiting conversations
 * (assignment.actor.ts). Managers and up set them (`inbox:manage`); every member reads them; a signed-in user
 * reports their own device's presence (the realtime gateway does it for open inbox sockets).
 */

const Label = z.string().min(1).max(64);
const HourMinute = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'must be HH:MM (24 h)');
const Shift = z
  .object({
    timeZone: z.string().min(1).max(64).describe('IANA time zone, e.g. Europe/Rome'),
    days: z.partialRecord(z.enum(WEEKDAYS), z.array(z.object({ from: HourMinute, to: HourMinute })).max(4)),
  })
  .describe('A span whose end is not after its start runs past midnight into the next day');
const Settings = z.object({
  teams: z.array(Label).max(50),
  skills: z.array(Label).max(50),
  capacity: z.number().int().min(0).max(MAX_CAPACITY).describe('Most open conversations at once'),
  shift: Shift.nullable().describe('null: always on shift'),
});
const SettingsInput = Settings.partial().strict();

const Operator = z.object({
  userId: z.string(),
  email: z.string().nullable(),
  role: z.string().nullable(),
  presence: z.enum(PRESENCES),
  devices: z.number().int(),
  settings: Settings,
  openConversations: z.array(z.string()),
});

const Route = z.object({
  phoneNumberId: z
    .string()
    .regex(/^[0-9]{5,25}$/, 'must be a phone-number id (digits)')
    .nullable()
    .describe('null: every number'),
  team: Label.nullable(),
  skills: z.array(Label).max(20),
});
const Rules = z.object({
  mode: z.enum(ASSIGNMENT_MODES),
  routes: z.array(Route).max(MAX_ROUTES),
  unassignWhenOffline: z.boolean(),
});
const Assignment = z.object({
  rules: Rules,
  /** Oldest first, at most MAX_WAITING_SHOWN. */
  waiting: z.array(
    z.object({
      conversationId: z.string(),
      phoneNumberId: z.string(),
      since: z.string(),
      team: z.string().nullable().describe('Transferred to this team: only its members take it; null: by the rules'),
    }),
  ),
  waitingCount: z.number().int(),
});

const UserIdParams = z.object({ userId: z.string().min(1).max(64) });

export interface OperatorRoutesDeps {
  readonly system: ActorSystem;
}

export function operatorRoutes(deps: OperatorRoutesDeps): ApiRoute[] {
  const { system } = deps;

  async function members(orgId: string, userId: string) {
    const msg: OrgMsg = { type: 'getOrg', by: { userId, role: 'viewer' } };
    const org = okOrThrow(await system.ask<OrgReply<'getOrg'>>({ kind: ORG_KIND, id: orgId }, msg));
    return org.members.filter((m) => m.status === 'active');
  }

  async function operatorOf(orgId: string, userId: string): Promise<OperatorView> {
    const reply = await system.ask<OperatorReplies['getOperator']>(operatorAddress(orgId, userId), {
      type: 'getOperator',
    } satisfies OperatorMsg);
    return reply.operator;
  }

  const body = (view: OperatorView, member: { email: string; role: string } | undefined) => ({
    userId: view.userId,
    email: member?.email ?? null,
    role: member?.role ?? null,
    presence: view.presence,
    devices: view.devices,
    settings: settingsBody(view.settings),
    openConversations: [...view.assigned],
  });

  /** 404 unless `userId` is an active member of the caller's organisation. */
  async function memberOrThrow(orgId: string, callerId: string, userId: string) {
    const member = (await members(orgId, callerId)).find((m) => m.userId === userId);
    if (!member) throw new ParloError('PARLO_USER_NOT_FOUND', `no active member ${userId} in this organisation`);
    return member;
  }

  const listOperators = defineRoute({
    method: 'GET',
    url: '/operators',
    operationId: 'listOperators',
    summary: 'Every active member as an inbox operator: presence, teams, skills, capacity, shift, open conversations',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['messages:read'],
    responses: { 200: z.object({ data: z.array(Operator) }) },
    async handler({ request }) {
      const caller = userCallerOf(request);
      const all = await members(caller.orgId, caller.userId);
      const views = await Promise.all(all.map((m) => operatorOf(caller.orgId, m.userId)));
      return { status: 200, body: { data: views.map((v, i) => body(v, all[i])) } };
    },
  });

  const getOperator = defineRoute({
    method: 'GET',
    url: '/operators/:userId',
    operationId: 'getOperator',
    summary: 'One member as an inbox operator',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['messages:read'],
    params: UserIdParams,
    responses: { 200: Operator },
    async handler({ params, request }) {
      const caller = userCallerOf(request);
      const member = await memberOrThrow(caller.orgId, caller.userId, params.userId);
      return { status: 200, body: body(await operatorOf(caller.orgId, params.userId), member) };
    },
  });

  const configureOperator = defineRoute({
    method: 'PATCH',
    url: '/operators/:userId',
    operationId: 'configureOperator',
    summary: 'Set a member’s teams, skills, capacity or weekly shift (the fields given)',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['inbox:manage'],
    params: UserIdParams,
    body: SettingsInput,
    responses: { 200: Operator },
    async handler({ params, body: settings, request }) {
      const caller = userCallerOf(request);
      const member = await memberOrThrow(caller.orgId, caller.userId, params.userId);
      const msg: OperatorMsg = { type: 'configure', settings };
      const reply = okOrThrow(
        await system.ask<OperatorReplies['configure']>(operatorAddress(caller.orgId, params.userId), msg),
      );
      return { status: 200, body: body(reply.operator, member) };
    },
  });

  const reportPresence = defineRoute({
    method: 'POST',
    url: '/me/presence',
    operationId: 'reportPresence',
    summary: 'Report this device’s presence (online, away, offline); a device not refreshed within 90 s is gone',
    tags: ['inbox'],
    auth: 'session',
    scopes: [],
    body: z.object({ deviceId: z.string().min(1).max(64), presence: z.enum(PRESENCES) }).strict(),
    responses: { 202: z.object({ presence: z.enum(PRESENCES) }) },
    async handler({ body: input, request }) {
      const caller = userCallerOf(request);
      const msg: OperatorMsg = { type: 'devicePresence', deviceId: input.deviceId, presence: input.presence };
      await system.tell(operatorAddress(caller.orgId, caller.userId), msg);
      return { status: 202, body: { presence: input.presence } };
    },
  });

  const assignmentBody = (view: AssignmentView) => ({
    rules: {
      mode: view.rules.mode,
      routes: view.rules.routes.map((r) => ({ ...r, skills: [...r.skills] })),
      unassignWhenOffline: view.rules.unassignWhenOffline,
    },
    waiting: view.waiting.map((w) => ({
      conversationId: w.conversationId,
      phoneNumberId: w.phoneNumberId,
      since: iso(w.sinceMs),
      team: w.team,
    })),
    waitingCount: view.waitingCount,
  });

  const getAssignment = defineRoute({
    method: 'GET',
    url: '/assignment',
    operationId: 'getAssignment',
    summary: 'The automatic assignment rules and the conversations waiting for an operator, oldest first',
    tags: ['inbox'],
    auth: 'any',
    scopes: ['messages:read'],
    responses: { 200: Assignment },
    async handler({ request }) {
      const caller = callerOf(request);
      const reply = await system.ask<AssignmentReplies['getAssignment']>(assignmentAddress(caller.orgId), {
        type: 'getAssignment',
      } satisfies AssignmentMsg);
      return { status: 200, body: assignmentBody(reply.view) };
    },
  });

  const setAssignmentRules = defineRoute({
    method: 'PUT',
    url: '/assignment/rules',
    operationId: 'setAssignmentRules',
    summary:
      'Set how new conversations are assigned: manual, roundRobin or leastBusy; routes from numbers to teams and skills; unassign when offline',
    tags: ['inbox'],
    auth: 'session',
    scopes: ['inbox:manage'],
    body: Rules.strict(),
    responses: { 200: Assignment },
    async handler({ body: rules, request }) {
      const caller = userCallerOf(request);
      const msg: AssignmentMsg = { type: 'setRules', rules };
      const reply = okOrThrow(await system.ask<AssignmentReplies['setRules']>(assignmentAddress(caller.orgId), msg));
      return { status: 200, body: assignmentBody(reply.view) };
    },
  });

  const Notification = z.object({
    id: z.string(),
    kind: z.literal('mention'),
    conversationId: z.string(),
    noteId: z.string(),
    by: z.string(),
    excerpt: z.string(),
    at: z.string(),
    read: z.boolean(),
  });
  const notificationsBody = (view: OperatorView) => ({
    data: view.notifications.map((n) => ({
      id: n.id,
      kind: n.kind,
      conversationId: n.conversationId,
      noteId: n.noteId,
      by: n.by,
      excerpt: n.excerpt,
      at: iso(n.atMs),
      read: n.read,
    })),
    unread: view.notifications.filter((n) => !n.read).length,
  });
  const Notifications = z.object({ data: z.array(Notification), unread: z.number().int() });

  const listNotifications = defineRoute({
    method: 'GET',
    url: '/me/notifications',
    operationId: 'listNotifications',
    summary: 'Your notifications (mentions in internal notes), newest first, with the unread count',
    tags: ['inbox'],
    auth: 'session',
    scopes: [],
    responses: { 200: Notifications },
    async handler({ request }) {
      const caller = userCallerOf(request);
      return { status: 200, body: notificationsBody(await operatorOf(caller.orgId, caller.userId)) };
    },
  });

  const readNotifications = defineRoute({
    method: 'POST',
    url: '/me/notifications/read',
    operationId: 'readNotifications',
    summary: 'Mark your notifications read, up to and including the one given',
    tags: ['inbox'],
    auth: 'session',
    scopes: [],
    body: z.object({ upToId: z.string().min(1).max(300) }).strict(),
    responses: { 200: Notifications },
    async handler({ body: input, request }) {
      const caller = userCallerOf(request);
      const msg: OperatorMsg = { type: 'markNotificationsRead', upToId: input.upToId };
      await system.ask(operatorAddress(caller.orgId, caller.userId), msg);
      return { status: 200, body: notificationsBody(await operatorOf(caller.orgId, caller.userId)) };
    },
  });

  return [
    listOperators,
    getOperator,
    configureOperator,
    reportPresence,
    listNotifications,
    readNotifications,
    getAssignment,
    setAssignmentRules,
  ];
}

function settingsBody(settings: OperatorSettings): z.input<typeof Settings> {
  const shift = settings.shift;
  return {
    teams: [...settings.teams],
    skills: [...settings.skills],
    capacity: settings.capacity,
    shift:
      shift === null
        ? null
        : {
            timeZone: shift.timeZone,
            days: Object.fromEntries(
              Object.entries(shift.days).map(([day, spans]) => [day, (spans ?? []).map((span) => ({ ...span }))]),
            ),
          },
  };
}
