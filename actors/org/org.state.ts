import type { AuditActor, AuditDetail, AuditEvent, MemberStatus } from './org.messages.ts';
import type { ApiKeyScope, Role } from './permissions.ts';

/** The org state holds at most this many newest audit entries; each full segment moves to an audit-segment actor. */
export const AUDIT_SEGMENT_SIZE = 250;
/** Sealed segments kept (10,000 entries) besides the current one; older ones are purged. */
export const AUDIT_SEGMENTS_KEPT = 40;

export interface Member {
  readonly email: string;
  readonly role: Role;
  readonly status: MemberStatus;
  readonly joinedAtMs: number;
  readonly removedAtMs: number | null;
}

export interface PendingInvite {
  readonly email: string;
  readonly role: Role;
  /** Hash of the invite token (the token itself is only ever shown to the inviter). */
  readonly tokenHash: string;
  readonly expiresAtMs: number;
  readonly invitedBy: string;
  readonly createdAtMs: number;
}

export interface ApiKey {
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  /** Hash of the key's secret; the secret is shown once, at creation, by the HTTP layer. */
  readonly secretHash: string;
  readonly createdAtMs: number;
  readonly createdBy: string;
  readonly lastUsedAtMs: number | null;
  readonly revokedAtMs: number | null;
}

export interface AuditEntry {
  /** Increases by one per entry in this organisation; the `before` cursor of listAudit. */
  readonly seq: number;
  readonly id: string;
  readonly atMs: number;
  readonly event: AuditEvent;
  readonly actor: AuditActor;
  readonly detail: AuditDetail;
}

/**
 * One organisation (tenant). `createdAtMs === null` means the organisation does not exist yet (a fresh activation).
 * Maps are keyed by ids that come from outside: read them with `own()`, never with a bare index (a key such as
 * `constructor` would otherwise find the prototype's).
 */
export interface OrgState {
  readonly name: string;
  readonly createdAtMs: number | null;
  readonly members: Readonly<Record<string, Member>>;
  readonly invites: Readonly<Record<string, PendingInvite>>;
  readonly apiKeys: Readonly<Record<string, ApiKey>>;
  /** The current audit segment: newest first, at most AUDIT_SEGMENT_SIZE once a turn ends. */
  readonly audit: readonly AuditEntry[];
  readonly nextAuditSeq: number;
  /** Sealed segments held by audit-segment actors, oldest first, at most AUDIT_SEGMENTS_KEPT. */
  readonly auditSegments: readonly number[];
  readonly nextAuditSegment: number;
}

export function initialOrgState(): OrgState {
  return {
    name: '',
    createdAtMs: null,
    members: {},
    invites: {},
    apiKeys: {},
    audit: [],
    nextAuditSeq: 1,
    auditSegments: [],
    nextAuditSegment: 1,
  };
}

/** An own entry of a record keyed by outside ids, or undefined. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A copy of `record` without `key`. */
export function without<T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> {
  const copy = { ...record };
  delete copy[key];
  return copy;
}

/** A copy of `record` with `key` set. A computed key is always an own property, even `__proto__`. */
export function withEntry<T>(record: Readonly<Record<string, T>>, key: string, value: T): Record<string, T> {
  return { ...record, [key]: value };
}

/** Active members holding the owner role. */
export function activeOwnerCount(state: OrgState): number {
  return Object.values(state.members).filter((m) => m.status === 'active' && m.role === 'owner').length;
}

/** The active member with this (normalised) email, if any. */
export function activeMemberByEmail(state: OrgState, email: string): [string, Member] | undefined {
  return Object.entries(state.members).find(([, m]) => m.status === 'active' && m.email === email);
}

/** Prepends an audit entry to the current segment (`sealFullAuditSegments` moves full segments out). */
export function appendAudit(state: OrgState, entry: Omit<AuditEntry, 'seq'>): Pick<OrgState, 'audit' | 'nextAuditSeq'> {
  const full: AuditEntry = { seq: state.nextAuditSeq, ...entry };
  return { audit: [full, ...state.audit], nextAuditSeq: state.nextAuditSeq + 1 };
}
