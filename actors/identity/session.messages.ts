import { z } from 'zod';
import { ROLES, type Role } from '../org/permissions.ts';

/**
 * The protocol of the `session` actor: one signed-in session (id = session id, the part of the bearer token
 * before the dot). Token secrets never arrive here, only their hashes; the HTTP layer and the WebSocket gateway
 * both authenticate through `authenticate`.
 */
export const SESSION_KIND = 'session';

/** Access tokens are short-lived: a revoked or demoted session stops working within this time at worst. */
export const DEFAULT_ACCESS_TTL_MS = 15 * 60 * 1000;
/** Refresh tokens slide: each refresh extends the session by this much again. */
export const DEFAULT_REFRESH_TTL_MS = 30 * 24 * 60 * 60 * 1000;
/** Rotated-out refresh token hashes remembered to detect reuse (a replayed refresh token revokes the session). */
export const ROTATED_REFRESH_HASHES_KEPT = 5;

export const SESSION_REVOKE_REASONS = [
  'signedOut',
  'passwordChanged',
  'memberRemoved',
  'signOutEverywhere',
  'revokedByAdmin',
  'refreshTokenReused',
] as const;
export type SessionRevokeReason = (typeof SESSION_REVOKE_REASONS)[number];

const Id = z.string().min(1).max(128);
const TokenHash = z.string().min(16).max(256);
const TtlMs = z
  .number()
  .int()
  .min(1000)
  .max(365 * 24 * 60 * 60 * 1000);

export const SessionMsg = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('open'),
    userId: Id,
    orgId: Id,
    role: z.enum(ROLES),
    accessTokenHash: TokenHash,
    refreshTokenHash: TokenHash,
    accessTtlMs: TtlMs.optional(),
    refreshTtlMs: TtlMs.optional(),
  }),
  /** Read-only. */
  z.object({ type: z.literal('authenticate'), accessTokenHash: TokenHash }),
  /**
   * Rotation: both tokens are replaced and the old refresh token stops working. `role`, when given, is the
   * member's current role re-read from the org by the HTTP layer, so a role change reaches sessions on refresh.
   */
  z.object({
    type: z.literal('refresh'),
    refreshTokenHash: TokenHash,
    newAccessTokenHash: TokenHash,
    newRefreshTokenHash: TokenHash,
    accessTtlMs: TtlMs.optional(),
    refreshTtlMs: TtlMs.optional(),
    role: z.enum(ROLES).optional(),
  }),
  z.object({ type: z.literal('revoke'), reason: z.enum(SESSION_REVOKE_REASONS).optional() }),
]);
export type SessionMsg = z.infer<typeof SessionMsg>;

export const SESSION_ERROR_CODES = [
  'PARLO_SESSION_INVALID',
  'PARLO_SESSION_EXPIRED',
  'PARLO_SESSION_REVOKED',
  'PARLO_ID_CONFLICT',
] as const;
export type SessionErrorCode = (typeof SESSION_ERROR_CODES)[number];

export interface SessionRefused {
  readonly ok: false;
  readonly code: SessionErrorCode;
  readonly message: string;
}

export interface SessionTokensIssued {
  readonly ok: true;
  readonly sessionId: string;
  readonly accessExpiresAtMs: number;
  readonly refreshExpiresAtMs: number;
}

export interface SessionReplies {
  open: SessionTokensIssued | SessionRefused;
  authenticate:
    | { ok: true; sessionId: string; userId: string; orgId: string; role: Role; accessExpiresAtMs: number }
    | SessionRefused;
  refresh: SessionTokensIssued | SessionRefused;
  revoke: { ok: true; revokedAtMs: number } | SessionRefused;
}
export type SessionReply<T extends SessionMsg['type']> = SessionReplies[T];

/** Realtime event published when a session is revoked, so gateways close its sockets. */
export interface SessionRevokedEvent {
  readonly type: 'sessionRevoked';
  readonly sessionId: string;
  readonly userId: string;
  readonly orgId: string;
  readonly reason: SessionRevokeReason;
}

/** The topic a session's revocation is published on; a gateway subscribes to `session.>` once. */
export function sessionTopic(sessionId: string): string {
  return `session.${sessionId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}
