import { defineActor, refusal, unreachable, type Effect, type TurnContext, type TurnResult } from '../../core/index.ts';
import { normaliseEmail } from '../identity/email.ts';
import { LOGIN_KIND, type LoginMsg } from '../identity/login.messages.ts';
import {
  API_KEY_TOUCH_RESOLUTION_MS,
  DEFAULT_AUDIT_PAGE,
  EXPIRED_INVITE_KEPT_MS,
  MAX_AUDIT_PAGE,
  ORG_KIND,
  type ApiKeyView,
  type AuditActor,
  type AuditDetail,
  type AuditEvent,
  type Caller,
  type InviteView,
  type MemberView,
  type OrgErrorCode,
  type OrgMsg,
  type OrgReplies,
  type OrgView,
} from './org.messages.ts';
import {
  activeMemberByEmail,
  activeOwnerCount,
  appendAudit,
  initialOrgState,
  own,
  withEntry,
  without,
  type ApiKey,
  type Member,
  type OrgState,
  type PendingInvite,
  AUDIT_SEGMENTS_KEPT,
  AUDIT_SEGMENT_SIZE,
} from './org.state.ts';
import { AUDIT_SEGMENT_KIND, auditSegmentId, type AuditSegmentMsg } from './audit-segment.actor.ts';
import { can, canAssignRole, lowerRole, roleCoversScope, type Permission, type Role } from './permissions.ts';

/**
 * One organisation (tenant): its members and roles, pending invites, API keys and audit log. It is the authority on
 * membership and checks every caller itself (defence in depth): the HTTP layer's check is not trusted alone.
 */
type Turn = TurnResult<OrgState>;
type Msg<T extends OrgMsg['type']> = Extract<OrgMsg, { type: T }>;

export const orgActor = defineActor<OrgState, OrgMsg>({
  kind: ORG_KIND,
  // 2: the audit log moved into segments (auditSegments, nextAuditSegment).
  stateVersion: 2,
  initialState: () => initialOrgState(),
  upgrade(stored, storedVersion) {
    const state = stored as OrgState;
    // Version 1 kept up to 10,000 entries in `audit`; the first turn seals them into segments.
    return storedVersion < 2 ? { ...state, auditSegments: [], nextAuditSegment: 1 } : state;
  },
  handle(state, msg, ctx) {
    return sealFullAuditSegments(dispatch(state, msg, ctx), ctx.self.id);
  },
});

function dispatch(state: OrgState, msg: OrgMsg, ctx: TurnContext): Turn {
  if (msg.type === 'createOrg') return onCreateOrg(state, msg, ctx);
  if (msg.type === 'inviteExpired') return onInviteExpired(state, msg, ctx);
  if (state.createdAtMs === null)
    return refuse(state, 'PARLO_ORG_NOT_FOUND', `organisation ${ctx.self.id} does not exist`);
  switch (msg.type) {
    case 'inviteUser':
      return onInviteUser(state, msg, ctx);
    case 'cancelInvite':
      return onCancelInvite(state, msg, ctx);
    case 'checkInvite':
      return onCheckInvite(state, msg, ctx);
    case 'acceptInvite':
      return onAcceptInvite(state, msg, ctx);
    case 'changeRole':
      return onChangeRole(state, msg, ctx);
    case 'removeMember':
      return onRemoveMember(state, msg, ctx);
    case 'createApiKey':
      return onCreateApiKey(state, msg, ctx);
    case 'revokeApiKey':
      return onRevokeApiKey(state, msg, ctx);
    case 'touchApiKey':
      return onTouchApiKey(state, msg, ctx);
    case 'verifyApiKey':
      return onVerifyApiKey(state, msg, ctx);
    case 'getOrg':
      return onGetOrg(state, msg, ctx);
    case 'getMember':
      return onGetMember(state, msg);
    case 'recordAudit':
      return onRecordAudit(state, msg, ctx);
    case 'listAudit':
      return onListAudit(state, msg);
    default:
      return unreachable(msg);
  }
}

/**
 * Moves full segments of the current audit log out of the org state (oldest first) into audit-segment actors, and
 * purges sealed segments beyond the retention. Runs after every turn, so a state never carries more than
 * AUDIT_SEGMENT_SIZE entries past a commit (an upgraded version-1 state is sealed on its first turn).
 */
function sealFullAuditSegments(result: Turn, orgId: string): Turn {
  let state = result.state;
  if (state.audit.length <= AUDIT_SEGMENT_SIZE) return result;
  const effects: Effect[] = [...(result.effects ?? [])];
  let audit = state.audit;
  let segments = [...state.auditSegments];
  let nextSegment = state.nextAuditSegment;
  while (audit.length > AUDIT_SEGMENT_SIZE) {
    const sealed = audit.slice(audit.length - AUDIT_SEGMENT_SIZE);
    audit = audit.slice(0, audit.length - AUDIT_SEGMENT_SIZE);
    const segment = nextSegment++;
    effects.push(segmentMessage(orgId, segment, { type: 'store', entries: sealed }));
    segments.push(segment);
  }
  while (segments.length > AUDIT_SEGMENTS_KEPT) {
    effects.push(segmentMessage(orgId, segments[0]!, { type: 'purge' }));
    segments = segments.slice(1);
  }
  state = { ...state, audit, auditSegments: segments, nextAuditSegment: nextSegment };
  return { ...result, state, effects };
}

function segmentMessage(orgId: string, segment: number, msg: AuditSegmentMsg): Effect {
  return { type: 'tell', to: { kind: AUDIT_SEGMENT_KIND, id: auditSegmentId(orgId, segment) }, msg };
}

/** The timer that prunes an invite some time after it expired. */
export function inviteTimerName(inviteId: string): string {
  return `invite:${inviteId}`;
}

// ---------------------------------------------------------------- helpers

function refuse(state: OrgState, code: OrgErrorCode, message: string): Turn {
  return { state, reply: refusal(code, message) };
}

function ok<T extends keyof OrgReplies>(state: OrgState, reply: OrgReplies[T], effects?: readonly Effect[]): Turn {
  return effects && effects.length > 0 ? { state, effects, reply } : { state, reply };
}

/**
 * The caller's effective role if they are an active member holding `permission`, else a refusal. The effective
 * role is the lower of the claimed (session) role and the stored one: a stale session never outranks the org.
 */
function authorise(state: OrgState, by: Caller, permission: Permission): { role: Role } | { refused: Turn } {
  const member = own(state.members, by.userId);
  if (!member || member.status !== 'active') {
    return { refused: refuse(state, 'PARLO_ACCESS_FORBIDDEN', `user ${by.userId} is not an active member`) };
  }
  const role = lowerRole(by.role, member.role);
  if (!can(role, permission)) {
    return { refused: refuse(state, 'PARLO_ACCESS_FORBIDDEN', `role ${role} does not hold ${permission}`) };
  }
  return { role };
}

/** `next` with an audit entry for what just happened prepended to its log. */
function audited(
  next: OrgState,
  ctx: TurnContext,
  event: AuditEvent,
  actor: AuditActor,
  detail: AuditDetail,
): OrgState {
  return { ...next, ...appendAudit(next, { id: ctx.newId(), atMs: ctx.nowMs, event, actor, detail }) };
}

function user(userId: string): AuditActor {
  return { kind: 'user', id: userId };
}

function memberView(userId: string, m: Member): MemberView {
  return {
    userId,
    email: m.email,
    role: m.role,
    status: m.status,
    joinedAtMs: m.joinedAtMs,
    removedAtMs: m.removedAtMs,
  };
}

function inviteView(inviteId: string, i: PendingInvite): InviteView {
  return {
    inviteId,
    email: i.email,
    role: i.role,
    expiresAtMs: i.expiresAtMs,
    invitedBy: i.invitedBy,
    createdAtMs: i.createdAtMs,
  };
}

function apiKeyView(keyId: string, k: ApiKey): ApiKeyView {
  return {
    keyId,
    name: k.name,
    scopes: k.scopes,
    createdAtMs: k.createdAtMs,
    createdBy: k.createdBy,
    lastUsedAtMs: k.lastUsedAtMs,
    revokedAtMs: k.revokedAtMs,
  };
}

/** The invite if `tokenHash` opens it and it has not expired; otherwise a refusal. */
function openInvite(
  state: OrgState,
  inviteId: string,
  tokenHash: string,
  nowMs: number,
): { invite: PendingInvite } | { refused: Turn } {
  const invite = own(state.invites, inviteId);
  // An unknown id and a wrong token answer alike: the reply must not tell a guesser which ids exist.
  if (!invite || invite.tokenHash !== tokenHash) {
    return { refused: refuse(state, 'PARLO_INVITE_INVALID', 'the invite does not exist or the token does not match') };
  }
  if (nowMs >= invite.expiresAtMs) {
    return { refused: refuse(state, 'PARLO_INVITE_EXPIRED', `the invite expired at ${invite.expiresAtMs}`) };
  }
  return { invite };
}

// ---------------------------------------------------------------- organisation

function onCreateOrg(state: OrgState, msg: Msg<'createOrg'>, ctx: TurnContext): Turn {
  if (state.createdAtMs !== null) {
    // A repeat of the very same creation answers as the first one did; anything else is a conflict.
    if (state.name === msg.name && own(state.members, msg.owner.userId)?.role === 'owner') {
      return ok<'createOrg'>(state, {
        ok: true,
        orgId: ctx.self.id,
        createdAtMs: state.createdAtMs,
        alreadyExisted: true,
      });
    }
    return refuse(state, 'PARLO_ORG_EXISTS', `organisation ${ctx.self.id} already exists`);
  }
  const owner: Member = {
    email: normaliseEmail(msg.owner.email),
    role: 'owner',
    status: 'active',
    joinedAtMs: ctx.nowMs,
    removedAtMs: null,
  };
  const next: OrgState = {
    ...state,
    name: msg.name,
    createdAtMs: ctx.nowMs,
    members: withEntry({}, msg.owner.userId, owner),
  };
  return ok<'createOrg'>(
    audited(next, ctx, 'orgCreated', user(msg.owner.userId), { name: msg.name, ownerEmail: owner.email }),
    { ok: true, orgId: ctx.self.id, createdAtMs: ctx.nowMs, alreadyExisted: false },
  );
}

function onGetOrg(state: OrgState, msg: Msg<'getOrg'>, ctx: TurnContext): Turn {
  const auth = authorise(state, msg.by, 'org:read');
  if ('refused' in auth) return auth.refused;
  const view: OrgView = {
    ok: true,
    orgId: ctx.self.id,
    name: state.name,
    createdAtMs: state.createdAtMs ?? 0,
    members: can(auth.role, 'users:read') ? Object.entries(state.members).map(([id, m]) => memberView(id, m)) : [],
    invites: can(auth.role, 'users:invite') ? Object.entries(state.invites).map(([id, i]) => inviteView(id, i)) : null,
    apiKeys: can(auth.role, 'api-keys:manage')
      ? Object.entries(state.apiKeys).map(([id, k]) => apiKeyView(id, k))
      : null,
  };
  return ok<'getOrg'>(state, view);
}

function onGetMember(state: OrgState, msg: Msg<'getMember'>): Turn {
  const member = own(state.members, msg.userId);
  if (!member) return refuse(state, 'PARLO_USER_NOT_FOUND', `user ${msg.userId} is not a member`);
  return ok<'getMember'>(state, { ok: true, member: memberView(msg.userId, member) });
}

// ---------------------------------------------------------------- invites

function onInviteUser(state: OrgState, msg: Msg<'inviteUser'>, ctx: TurnContext): Turn {
  const auth = authorise(state, msg.by, 'users:invite');
  if ('refused' in auth) return auth.refused;
  if (!canAssignRole(auth.role, msg.role)) {
    return refuse(state, 'PARLO_ACCESS_FORBIDDEN', `role ${auth.role} may not invite a ${msg.role}`);
  }
  const email = normaliseEmail(msg.email);
  if (activeMemberByEmail(state, email)) {
    return refuse(state, 'PARLO_MEMBER_EXISTS', `${email} is already a member`);
  }
  if (own(state.invites, msg.inviteId)) {
    return refuse(state, 'PARLO_ID_CONFLICT', `invite id ${msg.inviteId} is already used`);
  }
  if (msg.expiresAtMs <= ctx.nowMs) {
    return refuse(state, 'PARLO_INVITE_EXPIRED', 'the invite would already have expired');
  }
  // Only the newest invite for an email works: inviting again replaces (and so cancels) older tokens.
  const replaced = Object.entries(state.invites)
    .filter(([, i]) => i.email === email)
    .map(([id]) => id);
  let invites = state.invites;
  for (const id of replaced) invites = without(invites, id);
  const invite: PendingInvite = {
    email,
    role: msg.role,
    tokenHash: msg.tokenHash,
    expiresAtMs: msg.expiresAtMs,
    invitedBy: msg.by.userId,
    createdAtMs: ctx.nowMs,
  };
  const effects: Effect[] = [
    ...replaced.map((id): Effect => ({ type: 'cancelTimer', name: inviteTimerName(id) })),
    {
      type: 'setTimer',
      name: inviteTimerName(msg.inviteId),
      dueAtMs: msg.expiresAtMs + EXPIRED_INVITE_KEPT_MS,
      msg: { type: 'inviteExpired', inviteId: msg.inviteId } satisfies OrgMsg,
    },
  ];
  const next = audited(
    { ...state, invites: withEntry(invites, msg.inviteId, invite) },
    ctx,
    'userInvited',
    user(msg.by.userId),
    {
      inviteId: msg.inviteId,
      email,
      role: msg.role,
      replacedInvites: replaced.length,
    },
  );
  return ok<'inviteUser'>(next, { ok: true, inviteId: msg.inviteId, expiresAtMs: msg.expiresAtMs }, effects);
}

function onCancelInvite(state: OrgState, msg: Msg<'cancelInvite'>, ctx: TurnContext): Turn {
  const auth = authorise(state, msg.by, 'users:invite');
  if ('refused' in auth) return auth.refused;
  const invite = own(state.invites, msg.inviteId);
  if (!invite) return refuse(state, 'PARLO_INVITE_INVALID', `invite ${msg.inviteId} does not exist`);
  if (!canAssignRole(auth.role, invite.role)) {
    return refuse(state, 'PARLO_ACCESS_FORBIDDEN', `role ${auth.role} may not cancel an invite for a ${invite.role}`);
  }
  const next = audited(
    { ...state, invites: without(state.invites, msg.inviteId) },
    ctx,
    'inviteCancelled',
    user(msg.by.userId),
    {
      inviteId: msg.inviteId,
      email: invite.email,
      role: invite.role,
    },
  );
  return ok<'cancelInvite'>(next, { ok: true, inviteId: msg.inviteId }, [
    { type: 'cancelTimer', name: inviteTimerName(msg.inviteId) },
  ]);
}

function onCheckInvite(state: OrgState, msg: Msg<'checkInvite'>, ctx: TurnContext): Turn {
  const opened = openInvite(state, msg.inviteId, msg.tokenHash, ctx.nowMs);
  if ('refused' in opened) return opened.refused;
  const { invite } = opened;
  return ok<'checkInvite'>(state, {
    ok: true,
    inviteId: msg.inviteId,
    email: invite.email,
    role: invite.role,
    expiresAtMs: invite.expiresAtMs,
  });
}

function onAcceptInvite(state: OrgState, msg: Msg<'acceptInvite'>, ctx: TurnContext): Turn {
  const opened = openInvite(state, msg.inviteId, msg.tokenHash, ctx.nowMs);
  if ('refused' in opened) return opened.refused;
  const { invite } = opened;
  if (own(state.members, msg.userId)?.status === 'active' || activeMemberByEmail(state, invite.email)) {
    return refuse(state, 'PARLO_MEMBER_EXISTS', `${invite.email} is already a member`);
  }
  const member: Member = {
    email: invite.email,
    role: invite.role,
    status: 'active',
    joinedAtMs: ctx.nowMs,
    removedAtMs: null,
  };
  const next = audited(
    {
      ...state,
      members: withEntry(state.members, msg.userId, member),
      invites: without(state.invites, msg.inviteId),
    },
    ctx,
    'inviteAccepted',
    user(msg.userId),
    { inviteId: msg.inviteId, email: invite.email, role: invite.role, invitedBy: invite.invitedBy },
  );
  return ok<'acceptInvite'>(next, { ok: true, userId: msg.userId, email: invite.email, role: invite.role }, [
    { type: 'cancelTimer', name: inviteTimerName(msg.inviteId) },
  ]);
}

function onInviteExpired(state: OrgState, msg: Msg<'inviteExpired'>, ctx: TurnContext): Turn {
  const invite = own(state.invites, msg.inviteId);
  if (!invite || ctx.nowMs < invite.expiresAtMs) return ok<'inviteExpired'>(state, { ok: true, pruned: false });
  return ok<'inviteExpired'>({ ...state, invites: without(state.invites, msg.inviteId) }, { ok: true, pruned: true });
}

// ---------------------------------------------------------------- members

function onChangeRole(state: OrgState, msg: Msg<'changeRole'>, ctx: TurnContext): Turn {
  const auth = authorise(state, msg.by, 'users:manage-roles');
  if ('refused' in auth) return auth.refused;
  const target = own(state.members, msg.userId);
  if (!target || target.status !== 'active') {
    return refuse(state, 'PARLO_USER_NOT_FOUND', `user ${msg.userId} is not an active member`);
  }
  // Both ends must be within the caller's reach: an admin can neither promote to owner nor demote an owner.
  if (!canAssignRole(auth.role, target.role) || !canAssignRole(auth.role, msg.role)) {
    return refuse(
      state,
      'PARLO_ACCESS_FORBIDDEN',
      `role ${auth.role} may not change a ${target.role} into a ${msg.role}`,
    );
  }
  const reply = { ok: true, userId: msg.userId, role: msg.role, previousRole: target.role } as const;
  if (target.role === msg.role) return ok<'changeRole'>(state, reply);
  if (target.role === 'owner' && activeOwnerCount(state) <= 1) {
    return refuse(state, 'PARLO_LAST_OWNER', 'the organisation would be left without an owner');
  }
  const next = audited(
    { ...state, members: withEntry(state.members, msg.userId, { ...target, role: msg.role }) },
    ctx,
    'roleChanged',
    user(msg.by.userId),
    { userId: msg.userId, email: target.email, from: target.role, to: msg.role },
  );
  return ok<'changeRole'>(next, reply);
}

function onRemoveMember(state: OrgState, msg: Msg<'removeMember'>, ctx: TurnContext): Turn {
  const isSelf = msg.by.userId === msg.userId;
  // Anyone may leave; removing someone else takes `users:remove` and reach over their role.
  const auth = authorise(state, msg.by, isSelf ? 'org:read' : 'users:remove');
  if ('refused' in auth) return auth.refused;
  const target = own(state.members, msg.userId);
  if (!target || target.status !== 'active') {
    return refuse(state, 'PARLO_USER_NOT_FOUND', `user ${msg.userId} is not an active member`);
  }
  if (!isSelf && !canAssignRole(auth.role, target.role)) {
    return refuse(state, 'PARLO_ACCESS_FORBIDDEN', `role ${auth.role} may not remove a ${target.role}`);
  }
  if (target.role === 'owner' && activeOwnerCount(state) <= 1) {
    return refuse(state, 'PARLO_LAST_OWNER', 'the organisation would be left without an owner');
  }
  const removed: Member = { ...target, status: 'removed', removedAtMs: ctx.nowMs };
  const next = audited(
    { ...state, members: withEntry(state.members, msg.userId, removed) },
    ctx,
    'memberRemoved',
    user(msg.by.userId),
    { userId: msg.userId, email: target.email, role: target.role, left: isSelf },
  );
  // A removed member's sessions end now, not when their access tokens run out.
  const revoke: LoginMsg = { type: 'revokeAllSessions', reason: 'memberRemoved' };
  return ok<'removeMember'>(next, { ok: true, userId: msg.userId }, [
    { type: 'tell', to: { kind: LOGIN_KIND, id: target.email }, msg: revoke },
  ]);
}

// ---------------------------------------------------------------- API keys

function onCreateApiKey(state: OrgState, msg: Msg<'createApiKey'>, ctx: TurnContext): Turn {
  const auth = authorise(state, msg.by, 'api-keys:manage');
  if ('refused' in auth) return auth.refused;
  const scopes = [...new Set(msg.scopes)];
  const beyond = scopes.filter((scope) => !roleCoversScope(auth.role, scope));
  if (beyond.length > 0) {
    return refuse(state, 'PARLO_ACCESS_FORBIDDEN', `role ${auth.role} may not grant ${beyond.join(', ')}`);
  }
  if (own(state.apiKeys, msg.keyId)) {
    return refuse(state, 'PARLO_ID_CONFLICT', `API key id ${msg.keyId} is already used`);
  }
  const key: ApiKey = {
    name: msg.name,
    scopes,
    secretHash: msg.secretHash,
    createdAtMs: ctx.nowMs,
    createdBy: msg.by.userId,
    lastUsedAtMs: null,
    revokedAtMs: null,
  };
  const next = audited(
    { ...state, apiKeys: withEntry(state.apiKeys, msg.keyId, key) },
    ctx,
    'apiKeyCreated',
    user(msg.by.userId),
    {
      keyId: msg.keyId,
      name: msg.name,
      scopes: scopes.join(' '),
    },
  );
  return ok<'createApiKey'>(next, { ok: true, keyId: msg.keyId, scopes, createdAtMs: ctx.nowMs });
}

function onRevokeApiKey(state: OrgState, msg: Msg<'revokeApiKey'>, ctx: TurnContext): Turn {
  const auth = authorise(state, msg.by, 'api-keys:manage');
  if ('refused' in auth) return auth.refused;
  const key = own(state.apiKeys, msg.keyId);
  if (!key) return refuse(state, 'PARLO_API_KEY_INVALID', `API key ${msg.keyId} does not exist`);
  if (key.revokedAtMs !== null) {
    return ok<'revokeApiKey'>(state, { ok: true, keyId: msg.keyId, revokedAtMs: key.revokedAtMs });
  }
  const next = audited(
    { ...state, apiKeys: withEntry(state.apiKeys, msg.keyId, { ...key, revokedAtMs: ctx.nowMs }) },
    ctx,
    'apiKeyRevoked',
    user(msg.by.userId),
    { keyId: msg.keyId, name: key.name },
  );
  return ok<'revokeApiKey'>(next, { ok: true, keyId: msg.keyId, revokedAtMs: ctx.nowMs });
}

function onTouchApiKey(state: OrgState, msg: Msg<'touchApiKey'>, ctx: TurnContext): Turn {
  const key = own(state.apiKeys, msg.keyId);
  if (!key) return refuse(state, 'PARLO_API_KEY_INVALID', `API key ${msg.keyId} does not exist`);
  if (key.revokedAtMs !== null) return refuse(state, 'PARLO_API_KEY_REVOKED', `API key ${msg.keyId} is revoked`);
  // Every API request touches its key; writing the organisation each time would be the hottest write in the
  // system. Within the resolution the state is returned as is, so the runtime commits nothing.
  if (key.lastUsedAtMs !== null && ctx.nowMs - key.lastUsedAtMs < API_KEY_TOUCH_RESOLUTION_MS) {
    return ok<'touchApiKey'>(state, { ok: true, lastUsedAtMs: key.lastUsedAtMs });
  }
  return ok<'touchApiKey'>(
    { ...state, apiKeys: withEntry(state.apiKeys, msg.keyId, { ...key, lastUsedAtMs: ctx.nowMs }) },
    { ok: true, lastUsedAtMs: ctx.nowMs },
  );
}

function onVerifyApiKey(state: OrgState, msg: Msg<'verifyApiKey'>, ctx: TurnContext): Turn {
  const key = own(state.apiKeys, msg.keyId);
  // Revocation is only revealed to a holder of the secret.
  if (!key || key.secretHash !== msg.secretHash) {
    return refuse(state, 'PARLO_API_KEY_INVALID', 'the API key does not exist or its secret does not match');
  }
  if (key.revokedAtMs !== null) return refuse(state, 'PARLO_API_KEY_REVOKED', `API key ${msg.keyId} is revoked`);
  return ok<'verifyApiKey'>(state, {
    ok: true,
    orgId: ctx.self.id,
    keyId: msg.keyId,
    name: key.name,
    scopes: key.scopes,
  });
}

// ---------------------------------------------------------------- audit

function onRecordAudit(state: OrgState, msg: Msg<'recordAudit'>, ctx: TurnContext): Turn {
  const next = audited(state, ctx, msg.event, msg.actor, msg.detail);
  return ok<'recordAudit'>(next, { ok: true, seq: state.nextAuditSeq });
}

function onListAudit(state: OrgState, msg: Msg<'listAudit'>): Turn {
  const auth = authorise(state, msg.by, 'audit:read');
  if ('refused' in auth) return auth.refused;
  const limit = Math.min(Math.max(msg.limit ?? DEFAULT_AUDIT_PAGE, 1), MAX_AUDIT_PAGE);
  const before = msg.before;
  const start = before === undefined ? 0 : state.audit.findIndex((e) => e.seq < before);
  const from = start === -1 ? state.audit.length : start;
  const entries = state.audit.slice(from, from + limit);
  const last = entries[entries.length - 1];
  const more = from + limit < state.audit.length || state.auditSegments.length > 0;
  const nextBefore = last !== undefined && entries.length === limit && more ? last.seq : null;
  // Every sealed segment is older than the current one: the caller continues there while the page is not full.
  const olderSegments = entries.length < limit ? [...state.auditSegments].reverse() : [];
  return ok<'listAudit'>(state, { ok: true, entries, nextBefore, olderSegments });
}
