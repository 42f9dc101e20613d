import type { Role } from '../org/permissions.ts';
import type { SessionRevokeReason } from './session.messages.ts';

/** One signed-in session. Only hashes of its tokens are kept. */
export interface SessionRecord {
  readonly userId: string;
  readonly orgId: string;
  /** The member's role when the session was opened or last refreshed. */
  readonly role: Role;
  readonly accessTokenHash: string;
  readonly accessExpiresAtMs: number;
  readonly refreshTokenHash: string;
  readonly refreshExpiresAtMs: number;
  /** Refresh token hashes rotated out, newest first; presenting one again revokes the session. */
  readonly rotatedRefreshTokenHashes: readonly string[];
  readonly createdAtMs: number;
  readonly refreshedAtMs: number | null;
  readonly revokedAtMs: number | null;
  readonly revokedReason: SessionRevokeReason | null;
}

export interface SessionState {
  /** Null until `open`. */
  readonly session: SessionRecord | null;
}

export function initialSessionState(): SessionState {
  return { session: null };
}
