import { z } from 'zod';
import { API_KEY_SCOPE_NAMES, ROLES, type ApiKeyScope, type Role } from './permissions.ts';

/**
 * The protocol of the `org` actor (one organisation, id = org id). Validated at the HTTP edge; in-process sends are
 * checked by TypeScript. Secrets never travel here: the HTTP layer hashes invite tokens and key secrets first.
 */
export const ORG_KIND = 'org';

/** Invites live this long unless the inviter says otherwise. */
export const DEFAULT_INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** An expired invite is kept this long (so accepting it says "expired", not "invalid"), then pruned by a timer. */
export const EXPIRED_INVITE_KEPT_MS = 7 * 24 * 60 * 60 * 1000;
/** `touchApiKey` writes at most once per key per this interval: last-used is a hint, not a counter. */
export const API_KEY_TOUCH_RESOLUTION_MS = 60_000;
export const DEFAULT_AUDIT_PAGE = 50;
export const MAX_AUDIT_PAGE = 500;

export const Id = z.string().min(1).max(128);
export const Email = z.email().max(254);
/** A hash of a secret, computed outside the actor (e.g. sha256 base64url). */
export const SecretHash = z.string().min(16).max(256);
export const RoleSchema = z.enum(ROLES);
export const ScopeSchema = z.enum(API_KEY_SCOPE_NAMES as readonly [ApiKeyScope, ...ApiKeyScope[]]);

export const MEMBER_STATUSES = ['active', 'removed'] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/**
 * Who is asking, as the HTTP layer authenticated them. The actor still checks that `userId` is an active member
 * and uses the lower of `role` and the member's stored role (a session's role is a snapshot taken at sign-in).
 */
export const Caller = z.object({ userId: Id, role: RoleSchema });
export type Caller = z.infer<typeof Caller>;

/** The audit vocabulary: facts, past tense. */
export const AUDIT_EVENTS = [
  'orgCreated',
  'userInvited',
  'inviteCancelled',
  'inviteAccepted',
  'roleChanged',
  'memberRemoved',
  'apiKeyCreated',
  'apiKeyRevoked',
  'signedIn',
  'signInFailed',
  'signInLocked',
  'signedOut',
  'passwordChanged',
  'sessionsRevoked',
  'numberConnected',
  'numberDisconnected',
  'numberCredentialsChanged',
  'webhookTokenRotated',
  'webhookEndpointCreated',
  'webhookEndpointUpdated',
  'webhookEndpointDeleted',
  'webhookEndpointDisabled',
  'webhookSecretRotated',
  'dataExported',
  'dataErased',
  'consentKeywordsChanged',
] as const;
export const AuditEventSchema = z.enum(AUDIT_EVENTS);
export type AuditEvent = (typeof AUDIT_EVENTS)[number];

export const AuditActor = z.object({ kind: z.enum(['user', 'apiKey', 'system']), id: z.string().min(1).max(256) });
export type AuditActor = z.infer<typeof AuditActor>;

/** Small, flat, non-secret facts about an audit event (ids, roles, counts). */
export const AuditDetail = z.record(
  z.string().max(64),
  z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]),
);
export type AuditDetail = z.infer<typeof AuditDetail>;

export const OrgMsg = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('createOrg'),
    name: z.string().trim().min(1).max(200),
    owner: z.object({ userId: Id, email: Email }),
  }),
  z.object({
    type: z.literal('inviteUser'),
    inviteId: Id,
    email: Email,
    role: RoleSchema,
    tokenHash: SecretHash,
    expiresAtMs: z.number().int(),
    by: Caller,
  }),
  z.object({ type: z.literal('cancelInvite'), inviteId: Id, by: Caller }),
  /** Read-only: is this invite token good? Lets the HTTP layer register the login before accepting. */
  z.object({ type: z.literal('checkInvite'), inviteId: Id, tokenHash: SecretHash }),
  z.object({ type: z.literal('acceptInvite'), inviteId: Id, tokenHash: SecretHash, userId: Id }),
  /** Timer delivery: prunes an invite EXPIRED_INVITE_KEPT_MS after it expired. */
  z.object({ type: z.literal('inviteExpired'), inviteId: Id }),
  z.object({ type: z.literal('changeRole'), userId: Id, role: RoleSchema, by: Caller }),
  z.object({ type: z.literal('removeMember'), userId: Id, by: Caller }),
  z.object({
    type: z.literal('createApiKey'),
    keyId: Id,
    name: z.string().trim().min(1).max(100),
    scopes: z.array(ScopeSchema).min(1).max(API_KEY_SCOPE_NAMES.length),
    secretHash: SecretHash,
    by: Caller,
  }),
  z.object({ type: z.literal('revokeApiKey'), keyId: Id, by: Caller }),
  z.object({ type: z.literal('touchApiKey'), keyId: Id }),
  z.object({ type: z.literal('verifyApiKey'), keyId: Id, secretHash: SecretHash }),
  z.object({ type: z.literal('getOrg'), by: Caller }),
  /** Internal (the sign-in path): a member's current role and status. */
  z.object({ type: z.literal('getMember'), userId: Id }),
  /** Internal: appends an audit entry for something that happened elsewhere (sign-in, number connected, …). */
  z.object({ type: z.literal('recordAudit'), event: AuditEventSchema, actor: AuditActor, detail: AuditDetail }),
  z.object({
    type: z.literal('listAudit'),
    by: Caller,
    limit: z.number().int().min(1).max(MAX_AUDIT_PAGE).optional(),
    before: z.number().int().optional(),
  }),
]);
export type OrgMsg = z.infer<typeof OrgMsg>;

// ---------------------------------------------------------------- replies

export interface Refused {
  readonly ok: false;
  readonly code: OrgErrorCode;
  readonly message: string;
}

export const ORG_ERROR_CODES = [
  'PARLO_ORG_NOT_FOUND',
  'PARLO_ORG_EXISTS',
  'PARLO_ACCESS_FORBIDDEN',
  'PARLO_MEMBER_EXISTS',
  'PARLO_USER_NOT_FOUND',
  'PARLO_LAST_OWNER',
  'PARLO_INVITE_INVALID',
  'PARLO_INVITE_EXPIRED',
  'PARLO_ID_CONFLICT',
  'PARLO_API_KEY_INVALID',
  'PARLO_API_KEY_REVOKED',
] as const;
export type OrgErrorCode = (typeof ORG_ERROR_CODES)[number];

export interface MemberView {
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
  readonly status: MemberStatus;
  readonly joinedAtMs: number;
  readonly removedAtMs: number | null;
}

export interface InviteView {
  readonly inviteId: string;
  readonly email: string;
  readonly role: Role;
  readonly expiresAtMs: number;
  readonly invitedBy: string;
  readonly createdAtMs: number;
}

export interface ApiKeyView {
  readonly keyId: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly createdAtMs: number;
  readonly createdBy: string;
  readonly lastUsedAtMs: number | null;
  readonly revokedAtMs: number | null;
}

export interface OrgView {
  readonly ok: true;
  readonly orgId: string;
  readonly name: string;
  readonly createdAtMs: number;
  readonly members: readonly MemberView[];
  /** Null when the caller may not invite (`users:invite`). */
  readonly invites: readonly InviteView[] | null;
  /** Null when the caller may not manage keys (`api-keys:manage`). */
  readonly apiKeys: readonly ApiKeyView[] | null;
}

export interface AuditEntryView {
  readonly seq: number;
  readonly id: string;
  readonly atMs: number;
  readonly event: AuditEvent;
  readonly actor: AuditActor;
  readonly detail: AuditDetail;
}

/** The reply of each command, by message type. */
export interface OrgReplies {
  createOrg: { ok: true; orgId: string; createdAtMs: number; alreadyExisted: boolean } | Refused;
  inviteUser: { ok: true; inviteId: string; expiresAtMs: number } | Refused;
  cancelInvite: { ok: true; inviteId: string } | Refused;
  checkInvite: { ok: true; inviteId: string; email: string; role: Role; expiresAtMs: number } | Refused;
  acceptInvite: { ok: true; userId: string; email: string; role: Role } | Refused;
  inviteExpired: { ok: true; pruned: boolean };
  changeRole: { ok: true; userId: string; role: Role; previousRole: Role } | Refused;
  removeMember: { ok: true; userId: string } | Refused;
  createApiKey: { ok: true; keyId: string; scopes: readonly ApiKeyScope[]; createdAtMs: number } | Refused;
  revokeApiKey: { ok: true; keyId: string; revokedAtMs: number } | Refused;
  touchApiKey: { ok: true; lastUsedAtMs: number } | Refused;
  verifyApiKey: { ok: true; orgId: string; keyId: string; name: string; scopes: readonly ApiKeyScope[] } | Refused;
  getOrg: OrgView | Refused;
  getMember: { ok: true; member: MemberView } | Refused;
  recordAudit: { ok: true; seq: number } | Refused;
  listAudit:
    | {
        ok: true;
        entries: readonly AuditEntryView[];
        /** Set when the page is full and older entries exist. */
        nextBefore: number | null;
        /** When the page is not full: sealed audit segments to read on, newest first (audit-segment actors). */
        olderSegments: readonly number[];
      }
    | Refused;
}
export type OrgReply<T extends OrgMsg['type']> = OrgReplies[T];
