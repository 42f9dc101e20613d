import type { FastifyBaseLogger } from 'fastify';
import {
  AUDIT_SEGMENT_KIND,
  auditSegmentId,
  type AuditSegmentReplies,
} from '../../../actors/org/audit-segment.actor.ts';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import { normaliseEmail } from '../../../actors/identity/email.ts';
import {
  LOGIN_KIND,
  MAX_FAILED_SIGN_INS,
  SIGN_IN_LOCK_MS,
  type LoginMsg,
  type LoginReply,
} from '../../../actors/identity/login.messages.ts';
import { SESSION_KIND, type SessionMsg, type SessionReply } from '../../../actors/identity/session.messages.ts';
import {
  AUDIT_EVENTS,
  DEFAULT_INVITE_TTL_MS,
  ORG_KIND,
  type OrgMsg,
  type OrgReply,
} from '../../../actors/org/org.messages.ts';
import { ROLES, type Role } from '../../../actors/org/permissions.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { PageQuery, decodeCursor, encodeCursor, pageSchema } from '../api/pagination.ts';
import { callerOf, okOrThrow, userCallerOf, type UserCaller } from '../auth/caller.ts';
import {
  PASSWORD_MAX_LENGTH,
  checkPasswordPolicy,
  formatSessionToken,
  hashPassword,
  hashToken,
  newSecret,
  parseSessionToken,
  verifyPassword,
  verifyPasswordOfUnknownUser,
} from '../auth/credentials.ts';

/**
 * Identity and membership routes: sign-up, sign-in (sessions), the signed-in user, the organisation, invites,
 * members and the audit log. The tenant is implicit: a credential belongs to one organisation and every route acts
 * on that one, so ids of another organisation are simply not found (404), never forbidden.
 *
 * Passwords are verified here with scrypt; actors only ever see hashes. Session tokens are `<sessionId>.<secret>`
 * (access and refresh tokens alike, with different secrets).
 */

export interface IdentityRoutesDeps {
  readonly system: ActorSystem;
  /** The platform clock in ms (expiries, Retry-After); must agree with the actors' clock. Default `Date.now`. */
  readonly now?: () => number;
  /** Embedded mode sends no email: the invite token is logged at info level so the operator can pass it on. */
  readonly logInviteTokens?: boolean;
}

// ---------------------------------------------------------------- ids

export const ORG_ID = /^[0-9a-f]{16}$/;
export const USER_ID = /^usr[0-9a-f]{16}$/;
/** `<orgId>.<16 hex>`: the invite names the org actor that holds it, as API keys do. */
export const INVITE_ID = /^([0-9a-f]{16})\.[0-9a-f]{16}$/;

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

const newOrgId = (): string => hex(8);
const newUserId = (): string => `usr${hex(8)}`;
const newSessionId = (): string => hex(8);
const newInviteId = (orgId: string): string => `${orgId}.${hex(8)}`;

// ---------------------------------------------------------------- schemas

const UserId = z.string().regex(USER_ID, 'must be a user id (usr + 16 hex characters)');
const InviteId = z.string().regex(INVITE_ID, 'must be an invite id as returned by POST /v1/invites');
const EmailInput = z.email().max(254);
const NewPassword = z.string().min(1).max(PASSWORD_MAX_LENGTH);
const RoleSchema = z.enum(ROLES);
const Timestamp = z.string().describe('ISO 8601, UTC.');

const SessionTokens = z
  .object({
    accessToken: z.string().describe('Send as Authorization: Bearer <accessToken>. Short-lived.'),
    refreshToken: z.string().describe('Exchange at POST /v1/sessions/refresh; rotated on every use.'),
    accessExpiresAt: Timestamp,
    refreshExpiresAt: Timestamp,
  })
  .meta({ id: 'SessionTokens' });

const UserSummary = z.object({ id: z.string(), email: z.string(), role: RoleSchema }).meta({ id: 'UserSummary' });
const OrgSummary = z.object({ id: z.string(), name: z.string() }).meta({ id: 'OrgSummary' });

const SignedUp = z.object({ org: OrgSummary, user: UserSummary, tokens: SessionTokens }).meta({ id: 'SignedUp' });
const SignedIn = z.object({ orgId: z.string(), user: UserSummary, tokens: SessionTokens }).meta({ id: 'SignedIn' });

const Me = z
  .object({
    kind: z.enum(['user', 'apiKey']),
    orgId: z.string(),
    user: z
      .object({ id: z.string(), email: z.string(), role: RoleSchema, sessionId: z.string(), joinedAt: Timestamp })
      .optional(),
    apiKey: z.object({ id: z.string(), scopes: z.array(z.string()) }).optional(),
  })
  .meta({ id: 'Me' });

const Member = z
  .object({
    userId: z.string(),
    email: z.string(),
    role: RoleSchema,
    status: z.enum(['active', 'removed']),
    joinedAt: Timestamp,
    removedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Member' });

const PendingInvite = z
  .object({
    inviteId: z.string(),
    email: z.string(),
    role: RoleSchema,
    expiresAt: Timestamp,
    invitedBy: z.string(),
    createdAt: Timestamp,
  })
  .meta({ id: 'PendingInvite' });

const ApiKeySummary = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(z.string()),
    createdAt: Timestamp,
    createdBy: z.string(),
    lastUsedAt: Timestamp.nullable(),
    revokedAt: Timestamp.nullable(),
  })
  .meta({ id: 'ApiKeySummary' });

const Organisation = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: Timestamp,
    members: z.array(Member),
    invites: z.array(PendingInvite).nullable().describe('Null unless the caller may invite (users:invite).'),
    apiKeys: z.array(ApiKeySummary).nullable().describe('Null unless the caller may manage keys (api-keys:manage).'),
  })
  .meta({ id: 'Organisation' });

const InviteCreated = z
  .object({
    inviteId: z.string(),
    token: z.string().describe('Shown once: the invitee sends it with the invite id to POST /v1/invites/accept.'),
    email: z.string(),
    role: RoleSchema,
    expiresAt: Timestamp,
  })
  .meta({ id: 'InviteCreated' });

const AuditEntry = z
  .object({
    id: z.string(),
    seq: z.number(),
    at: Timestamp,
    event: z.enum(AUDIT_EVENTS),
    actor: z.object({ kind: z.enum(['user', 'apiKey', 'system']), id: z.string() }),
    detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  })
  .meta({ id: 'AuditEntry' });

const AuditCursor = z.object({ before: z.number().int() });

// ---------------------------------------------------------------- helpers

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

/** A weak password is refused with the field named, like a validation error. */
function assertPasswordPolicy(field: string, password: string, email?: string): void {
  const why = checkPasswordPolicy(password, email === undefined ? {} : { email });
  if (why !== null) {
    throw new ParloError('PARLO_PASSWORD_WEAK', `body.${field}: ${why}`, [
      { location: 'body', path: field, rule: 'passwordPolicy', message: why },
    ]);
  }
}

const loginFailed = (): ParloError => new ParloError('PARLO_LOGIN_FAILED', 'the email or the password is wrong');

export function routesActors(system: ActorSystem) {
  const org = <T extends OrgMsg['type']>(orgId: string, msg: Extract<OrgMsg, { type: T }>) =>
    system.ask<OrgReply<T>>({ kind: ORG_KIND, id: orgId }, msg);
  const login = <T extends LoginMsg['type']>(email: string, msg: Extract<LoginMsg, { type: T }>) =>
    system.ask<LoginReply<T>>({ kind: LOGIN_KIND, id: normaliseEmail(email) }, msg);
  const session = <T extends SessionMsg['type']>(sessionId: string, msg: Extract<SessionMsg, { type: T }>) =>
    system.ask<SessionReply<T>>({ kind: SESSION_KIND, id: sessionId }, msg);
  return { org, login, session };
}

/** What the org actor needs to know about who is asking. */
export function by(caller: UserCaller): { userId: string; role: Role } {
  return { userId: caller.userId, role: caller.role };
}

// ---------------------------------------------------------------- routes

export function identityRoutes(deps: IdentityRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const now = deps.now ?? Date.now;
  const actors = routesActors(system);

  /** Opens a session for a verified user and records the sign-in (which tracks the session for revocation). */
  async function openSession(user: { userId: string; orgId: string; role: Role; email: string }) {
    const sessionId = newSessionId();
    const access = newSecret();
    const refresh = newSecret();
    const opened = okOrThrow(
      await actors.session<'open'>(sessionId, {
        type: 'open',
        userId: user.userId,
        orgId: user.orgId,
        role: user.role,
        accessTokenHash: hashToken(access),
        refreshTokenHash: hashToken(refresh),
      }),
    );
    okOrThrow(
      await actors.login<'recordLoginResult'>(user.email, { type: 'recordLoginResult', success: true, sessionId }),
    );
    return {
      accessToken: formatSessionToken(sessionId, access),
      refreshToken: formatSessionToken(sessionId, refresh),
      accessExpiresAt: iso(opened.accessExpiresAtMs),
      refreshExpiresAt: iso(opened.refreshExpiresAtMs),
    };
  }

  function locked(reply: { header(name: string, value: string): unknown }, untilMs: number): ParloError {
    const seconds = Math.max(1, Math.ceil((untilMs - now()) / 1000));
    reply.header('retry-after', String(seconds));
    return new ParloError('PARLO_LOGIN_LOCKED', `too many failed sign-ins; try again in ${seconds} s`, {
      retryAfterSeconds: seconds,
    });
  }

  /**
   * Runs the organisation step that follows a `register`; if it fails, the login is removed again so the email is
   * not left claimed by a user of no organisation (the error is rethrown either way).
   */
  async function undoLoginOnFailure<T>(
    log: FastifyBaseLogger,
    email: string,
    userId: string,
    step: () => Promise<T>,
  ): Promise<T> {
    try {
      return await step();
    } catch (err) {
      try {
        await actors.login<'unregister'>(email, { type: 'unregister', userId });
      } catch (undoErr) {
        log.error({ err: undoErr, userId }, 'a login whose organisation step failed could not be removed');
      }
      throw err;
    }
  }

  const signup = defineRoute({
    method: 'POST',
    url: '/signup',
    operationId: 'signUp',
    summary: 'Create an organisation and its owner, and sign the owner in',
    tags: ['identity'],
    auth: 'public',
    body: z.object({ orgName: z.string().trim().min(1).max(200), email: EmailInput, password: NewPassword }),
    responses: { 201: SignedUp },
    async handler({ body, request }) {
      const email = normaliseEmail(body.email);
      assertPasswordPolicy('password', body.password, email);
      const orgId = newOrgId();
      const userId = newUserId();
      const passwordHash = await hashPassword(body.password);
      // The login first: it claims the email (one login per email), so a taken email creates no organisation.
      okOrThrow(await actors.login<'register'>(email, { type: 'register', userId, orgId, passwordHash }));
      await undoLoginOnFailure(request.log, email, userId, async () =>
        okOrThrow(
          await actors.org<'createOrg'>(orgId, { type: 'createOrg', name: body.orgName, owner: { userId, email } }),
        ),
      );
      const tokens = await openSession({ userId, orgId, role: 'owner', email });
      return {
        status: 201,
        body: { org: { id: orgId, name: body.orgName }, user: { id: userId, email, role: 'owner' as const }, tokens },
      };
    },
  });

  const createSession = defineRoute({
    method: 'POST',
    url: '/sessions',
    operationId: 'signIn',
    summary: 'Sign in with email and password',
    description: `After ${MAX_FAILED_SIGN_INS} failed attempts in a row the login is locked for ${SIGN_IN_LOCK_MS / 60_000} minutes (429 with Retry-After).`,
    tags: ['identity'],
    auth: 'public',
    body: z.object({ email: EmailInput, password: z.string().min(1).max(PASSWORD_MAX_LENGTH) }),
    responses: { 201: SignedIn },
    async handler({ body, reply }) {
      const email = normaliseEmail(body.email);
      const credentials = await actors.login<'getCredentials'>(email, { type: 'getCredentials' });
      if (!credentials.ok) {
        // Same scrypt work as a real check: the response time does not tell which emails have a login.
        await verifyPasswordOfUnknownUser(body.password);
        throw loginFailed();
      }
      if (credentials.lockedUntilMs !== null) throw locked(reply, credentials.lockedUntilMs);
      if (!(await verifyPassword(body.password, credentials.passwordHash))) {
        const recorded = okOrThrow(
          await actors.login<'recordLoginResult'>(email, { type: 'recordLoginResult', success: false }),
        );
        if (recorded.lockedUntilMs !== null) throw locked(reply, recorded.lockedUntilMs);
        throw loginFailed();
      }
      const member = await actors.org<'getMember'>(credentials.orgId, {
        type: 'getMember',
        userId: credentials.userId,
      });
      // A removed member keeps a login but may not sign in; they learn no more than from a wrong password.
      if (!member.ok || member.member.status !== 'active') throw loginFailed();
      const { role } = member.member;
      const tokens = await openSession({ userId: credentials.userId, orgId: credentials.orgId, role, email });
      return {
        status: 201,
        body: { orgId: credentials.orgId, user: { id: credentials.userId, email, role }, tokens },
      };
    },
  });

  const refreshSession = defineRoute({
    method: 'POST',
    url: '/sessions/refresh',
    operationId: 'refreshSession',
    summary: 'Exchange a refresh token for new tokens (the refresh token is rotated)',
    description: 'Presenting a refresh token that was already used revokes the session.',
    tags: ['identity'],
    auth: 'public',
    body: z.object({ refreshToken: z.string().min(1).max(700) }),
    responses: { 200: z.object({ tokens: SessionTokens }) },
    async handler({ body }) {
      const token = parseSessionToken(body.refreshToken);
      if (!token) throw new ParloError('PARLO_SESSION_INVALID', 'body.refreshToken is not a refresh token');
      const rotate = async (sessionId: string, refreshHash: string, role?: Role) => {
        const access = newSecret();
        const refresh = newSecret();
        const rotated = okOrThrow(
          await actors.session<'refresh'>(sessionId, {
            type: 'refresh',
            refreshTokenHash: refreshHash,
            newAccessTokenHash: hashToken(access),
            newRefreshTokenHash: hashToken(refresh),
            ...(role === undefined ? {} : { role }),
          }),
        );
        return { access, refresh, rotated };
      };
      let issued = await rotate(token.sessionId, hashToken(token.secret));
      // The session's role is a snapshot: re-read the member so that a role change reaches the session now.
      const session = okOrThrow(
        await actors.session<'authenticate'>(token.sessionId, {
          type: 'authenticate',
          accessTokenHash: hashToken(issued.access),
        }),
      );
      const member = await actors.org<'getMember'>(session.orgId, { type: 'getMember', userId: session.userId });
      if (!member.ok || member.member.status !== 'active') {
        await actors.session<'revoke'>(token.sessionId, { type: 'revoke', reason: 'memberRemoved' });
        throw new ParloError('PARLO_SESSION_REVOKED', 'the session was revoked');
      }
      if (member.member.role !== session.role) {
        issued = await rotate(token.sessionId, hashToken(issued.refresh), member.member.role);
      }
      return {
        status: 200,
        body: {
          tokens: {
            accessToken: formatSessionToken(token.sessionId, issued.access),
            refreshToken: formatSessionToken(token.sessionId, issued.refresh),
            accessExpiresAt: iso(issued.rotated.accessExpiresAtMs),
            refreshExpiresAt: iso(issued.rotated.refreshExpiresAtMs),
          },
        },
      };
    },
  });

  const deleteCurrentSession = defineRoute({
    method: 'DELETE',
    url: '/sessions/current',
    operationId: 'signOut',
    summary: 'Sign out: revoke the session of the access token',
    tags: ['identity'],
    auth: 'session',
    responses: { 204: null },
    async handler({ request }) {
      const caller = userCallerOf(request);
      okOrThrow(await actors.session<'revoke'>(caller.sessionId, { type: 'revoke', reason: 'signedOut' }));
      return { status: 204 };
    },
  });

  const getMe = defineRoute({
    method: 'GET',
    url: '/me',
    operationId: 'getMe',
    summary: 'Who is calling: the signed-in user, or the API key',
    tags: ['identity'],
    auth: 'any',
    responses: { 200: Me },
    async handler({ request }) {
      const caller = callerOf(request);
      if (caller.kind === 'apiKey') {
        return {
          status: 200,
          body: {
            kind: 'apiKey' as const,
            orgId: caller.orgId,
            apiKey: { id: caller.keyId, scopes: [...caller.scopes] },
          },
        };
      }
      const { member } = okOrThrow(
        await actors.org<'getMember'>(caller.orgId, { type: 'getMember', userId: caller.userId }),
      );
      return {
        status: 200,
        body: {
          kind: 'user' as const,
          orgId: caller.orgId,
          user: {
            id: caller.userId,
            email: member.email,
            role: member.role,
            sessionId: caller.sessionId,
            joinedAt: iso(member.joinedAtMs),
          },
        },
      };
    },
  });

  const changePassword = defineRoute({
    method: 'POST',
    url: '/me/password',
    operationId: 'changePassword',
    summary: 'Change the password (every other session of the user is revoked)',
    tags: ['identity'],
    auth: 'session',
    body: z.object({
      currentPassword: z.string().min(1).max(PASSWORD_MAX_LENGTH),
      newPassword: NewPassword,
    }),
    responses: { 200: z.object({ passwordChangedAt: Timestamp, revokedSessions: z.number().int() }) },
    async handler({ body, request, reply }) {
      const caller = userCallerOf(request);
      const { member } = okOrThrow(
        await actors.org<'getMember'>(caller.orgId, { type: 'getMember', userId: caller.userId }),
      );
      assertPasswordPolicy('newPassword', body.newPassword, member.email);
      const credentials = okOrThrow(await actors.login<'getCredentials'>(member.email, { type: 'getCredentials' }));
      if (credentials.lockedUntilMs !== null) throw locked(reply, credentials.lockedUntilMs);
      if (!(await verifyPassword(body.currentPassword, credentials.passwordHash))) {
        // A stolen session must not become a free password-guessing oracle: failures count towards the lock.
        const recorded = okOrThrow(
          await actors.login<'recordLoginResult'>(member.email, { type: 'recordLoginResult', success: false }),
        );
        if (recorded.lockedUntilMs !== null) throw locked(reply, recorded.lockedUntilMs);
        throw new ParloError('PARLO_LOGIN_FAILED', 'body.currentPassword: the current password is wrong');
      }
      const passwordHash = await hashPassword(body.newPassword);
      const changed = okOrThrow(
        await actors.login<'changePassword'>(member.email, {
          type: 'changePassword',
          passwordHash,
          exceptSessionId: caller.sessionId,
        }),
      );
      return {
        status: 200,
        body: { passwordChangedAt: iso(changed.passwordChangedAtMs), revokedSessions: changed.revokedSessionCount },
      };
    },
  });

  const getOrg = defineRoute({
    method: 'GET',
    url: '/org',
    operationId: 'getOrg',
    summary: 'The organisation: members, and pending invites and API keys when the role may see them',
    tags: ['org'],
    auth: 'session',
    scopes: ['org:read'],
    responses: { 200: Organisation },
    async handler({ request }) {
      const caller = userCallerOf(request);
      const view = okOrThrow(await actors.org<'getOrg'>(caller.orgId, { type: 'getOrg', by: by(caller) }));
      return {
        status: 200,
        body: {
          id: view.orgId,
          name: view.name,
          createdAt: iso(view.createdAtMs),
          members: view.members.map((m) => ({
            userId: m.userId,
            email: m.email,
            role: m.role,
            status: m.status,
            joinedAt: iso(m.joinedAtMs),
            removedAt: isoOrNull(m.removedAtMs),
          })),
          invites:
            view.invites?.map((i) => ({
              inviteId: i.inviteId,
              email: i.email,
              role: i.role,
              expiresAt: iso(i.expiresAtMs),
              invitedBy: i.invitedBy,
              createdAt: iso(i.createdAtMs),
            })) ?? null,
          apiKeys: view.apiKeys?.map(apiKeySummary) ?? null,
        },
      };
    },
  });

  const createInvite = defineRoute({
    method: 'POST',
    url: '/invites',
    operationId: 'createInvite',
    summary: 'Invite someone by email with a role (never above what the caller may assign)',
    tags: ['org'],
    auth: 'session',
    scopes: ['users:invite'],
    body: z.object({ email: EmailInput, role: RoleSchema }),
    responses: { 201: InviteCreated },
    async handler({ body, request }) {
      const caller = userCallerOf(request);
      const inviteId = newInviteId(caller.orgId);
      const token = newSecret();
      const email = normaliseEmail(body.email);
      const invited = okOrThrow(
        await actors.org<'inviteUser'>(caller.orgId, {
          type: 'inviteUser',
          inviteId,
          email,
          role: body.role,
          tokenHash: hashToken(token),
          expiresAtMs: now() + DEFAULT_INVITE_TTL_MS,
          by: by(caller),
        }),
      );
      if (deps.logInviteTokens) {
        // Embedded mode has no mail delivery: the operator reads the invite from the log and passes it on.
        request.log.info(
          { orgId: caller.orgId, inviteId, email, role: body.role, inviteToken: token },
          `invite for ${email}: POST /v1/invites/accept with this inviteId and inviteToken`,
        );
      }
      return {
        status: 201,
        body: { inviteId, token, email, role: body.role, expiresAt: iso(invited.expiresAtMs) },
      };
    },
  });

  const acceptInvite = defineRoute({
    method: 'POST',
    url: '/invites/accept',
    operationId: 'acceptInvite',
    summary: 'Accept an invite: create the login and membership, and sign in',
    tags: ['org'],
    auth: 'public',
    body: z.object({ inviteId: InviteId, token: z.string().min(16).max(512), password: NewPassword }),
    responses: { 201: SignedUp },
    async handler({ body, request }) {
      const orgId = INVITE_ID.exec(body.inviteId)?.[1] as string;
      const tokenHash = hashToken(body.token);
      const invite = okOrThrow(
        await actors.org<'checkInvite'>(orgId, { type: 'checkInvite', inviteId: body.inviteId, tokenHash }),
      );
      assertPasswordPolicy('password', body.password, invite.email);
      const userId = newUserId();
      const passwordHash = await hashPassword(body.password);
      okOrThrow(await actors.login<'register'>(invite.email, { type: 'register', userId, orgId, passwordHash }));
      const accepted = await undoLoginOnFailure(request.log, invite.email, userId, async () =>
        okOrThrow(
          await actors.org<'acceptInvite'>(orgId, { type: 'acceptInvite', inviteId: body.inviteId, tokenHash, userId }),
        ),
      );
      const view = okOrThrow(
        await actors.org<'getOrg'>(orgId, { type: 'getOrg', by: { userId, role: accepted.role } }),
      );
      const tokens = await openSession({ userId, orgId, role: accepted.role, email: accepted.email });
      return {
        status: 201,
        body: {
          org: { id: orgId, name: view.name },
          user: { id: userId, email: accepted.email, role: accepted.role },
          tokens,
        },
      };
    },
  });

  const updateMember = defineRoute({
    method: 'PATCH',
    url: '/members/:userId',
    operationId: 'updateMember',
    summary: "Change a member's role",
    description: 'Only an owner assigns or removes the owner role; the last owner cannot be demoted (409).',
    tags: ['org'],
    auth: 'session',
    scopes: ['users:manage-roles'],
    params: z.object({ userId: UserId }),
    body: z.object({ role: RoleSchema }),
    responses: { 200: z.object({ userId: z.string(), role: RoleSchema, previousRole: RoleSchema }) },
    async handler({ params, body, request }) {
      const caller = userCallerOf(request);
      const changed = okOrThrow(
        await actors.org<'changeRole'>(caller.orgId, {
          type: 'changeRole',
          userId: params.userId,
          role: body.role,
          by: by(caller),
        }),
      );
      return { status: 200, body: { userId: changed.userId, role: changed.role, previousRole: changed.previousRole } };
    },
  });

  const removeMember = defineRoute({
    method: 'DELETE',
    url: '/members/:userId',
    operationId: 'removeMember',
    summary: 'Remove a member (or leave, with your own id); their sessions end at once',
    tags: ['org'],
    auth: 'session',
    params: z.object({ userId: UserId }),
    responses: { 204: null },
    async handler({ params, request }) {
      const caller = userCallerOf(request);
      okOrThrow(
        await actors.org<'removeMember'>(caller.orgId, { type: 'removeMember', userId: params.userId, by: by(caller) }),
      );
      return { status: 204 };
    },
  });

  const listAudit = defineRoute({
    method: 'GET',
    url: '/audit',
    operationId: 'listAudit',
    summary: 'The audit log of the organisation, newest first',
    tags: ['org'],
    auth: 'session',
    scopes: ['audit:read'],
    query: PageQuery,
    responses: { 200: pageSchema(AuditEntry) },
    async handler({ query, request }) {
      const caller = userCallerOf(request);
      const before = decodeCursor(query.cursor, AuditCursor)?.before;
      const listed = okOrThrow(
        await actors.org<'listAudit'>(caller.orgId, {
          type: 'listAudit',
          by: by(caller),
          limit: query.limit,
          ...(before === undefined ? {} : { before }),
        }),
      );
      const entries = [...listed.entries];
      let nextBefore = listed.nextBefore;
      // The org actor holds the newest entries; older ones are in sealed segments, read newest first.
      const segments = listed.olderSegments;
      for (let i = 0; i < segments.length && entries.length < query.limit; i++) {
        const read = await system.ask<AuditSegmentReplies['read']>(
          { kind: AUDIT_SEGMENT_KIND, id: auditSegmentId(caller.orgId, segments[i]!) },
          { type: 'read', limit: query.limit - entries.length, ...(before === undefined ? {} : { before }) },
        );
        entries.push(...read.entries);
        const last = entries[entries.length - 1];
        const more = read.more || i + 1 < segments.length;
        nextBefore = entries.length === query.limit && more && last ? last.seq : null;
      }
      return {
        status: 200,
        body: {
          data: entries.map((e) => ({
            id: e.id,
            seq: e.seq,
            at: iso(e.atMs),
            event: e.event,
            actor: e.actor,
            detail: e.detail,
          })),
          nextCursor: nextBefore === null ? null : encodeCursor({ before: nextBefore }),
        },
      };
    },
  });

  return [
    signup,
    createSession,
    refreshSession,
    deleteCurrentSession,
    getMe,
    changePassword,
    getOrg,
    createInvite,
    acceptInvite,
    updateMember,
    removeMember,
    listAudit,
  ];
}

export function apiKeySummary(k: {
  keyId: string;
  name: string;
  scopes: readonly string[];
  createdAtMs: number;
  createdBy: string;
  lastUsedAtMs: number | null;
  revokedAtMs: number | null;
}) {
  return {
    id: k.keyId,
    name: k.name,
    scopes: [...k.scopes],
    createdAt: iso(k.createdAtMs),
    createdBy: k.createdBy,
    lastUsedAt: isoOrNull(k.lastUsedAtMs),
    revokedAt: isoOrNull(k.revokedAtMs),
  };
}

export { ApiKeySummary };
