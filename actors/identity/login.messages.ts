import { z } from 'zod';

/**
 * The protocol of the `login` actor: one sign-in identity, addressed by normalised email (`loginAddress`). It holds
 * the password hash (opaque: hashing and verifying happen in the HTTP layer), the failed-attempt lockout and the
 * sessions opened with it, so a password change or removal from the organisation can revoke them all.
 */
export const LOGIN_KIND = 'login';

/** Consecutive failed sign-ins that lock the login. */
export const MAX_FAILED_SIGN_INS = 10;
/** How long a lockout lasts. */
export const SIGN_IN_LOCK_MS = 15 * 60 * 1000;
/**
 * Sessions remembered per login for revocation, newest kept. Sessions slide their refresh expiry, so they are not
 * pruned by time; 100 is far more than one person's devices, and the oldest evicted is long idle.
 */
export const MAX_TRACKED_SESSIONS = 100;

const Id = z.string().min(1).max(128);
/** An encoded password hash (e.g. `scrypt$…`); opaque here. */
const PasswordHash = z.string().min(16).max(512);

export const LoginMsg = z.discriminatedUnion('type', [
  z.object({ type: z.literal('register'), userId: Id, orgId: Id, passwordHash: PasswordHash }),
  /**
   * Undoes a `register` whose organisation step failed (sign-up or invite acceptance), so the email is free again.
   * Only for that very user, and only while the login was never used to sign in.
   */
  z.object({ type: z.literal('unregister'), userId: Id }),
  /** Read-only: what the HTTP layer needs to verify a password. */
  z.object({ type: z.literal('getCredentials') }),
  /** After the HTTP layer verified (or failed to verify) a password; on success, the session it opened. */
  z.object({ type: z.literal('recordLoginResult'), success: z.boolean(), sessionId: Id.optional() }),
  /** The HTTP layer checked the current password first; every other session of this login is revoked. */
  z.object({ type: z.literal('changePassword'), passwordHash: PasswordHash, exceptSessionId: Id.optional() }),
  z.object({
    type: z.literal('revokeAllSessions'),
    reason: z.enum(['signOutEverywhere', 'memberRemoved', 'revokedByAdmin']),
    exceptSessionId: Id.optional(),
  }),
]);
export type LoginMsg = z.infer<typeof LoginMsg>;

export const LOGIN_ERROR_CODES = ['PARLO_EMAIL_TAKEN', 'PARLO_LOGIN_FAILED', 'PARLO_USER_NOT_FOUND'] as const;
export type LoginErrorCode = (typeof LOGIN_ERROR_CODES)[number];

export interface LoginRefused {
  readonly ok: false;
  readonly code: LoginErrorCode;
  readonly message: string;
}

export interface LoginReplies {
  register: { ok: true; userId: string; orgId: string } | LoginRefused;
  unregister: { ok: true; removed: boolean };
  /** `lockedUntilMs` is null unless the login is locked now. */
  getCredentials:
    { ok: true; userId: string; orgId: string; passwordHash: string; lockedUntilMs: number | null } | LoginRefused;
  recordLoginResult: { ok: true; failedAttempts: number; lockedUntilMs: number | null } | LoginRefused;
  changePassword: { ok: true; passwordChangedAtMs: number; revokedSessionCount: number } | LoginRefused;
  revokeAllSessions: { ok: true; revokedSessionCount: number } | LoginRefused;
}
export type LoginReply<T extends LoginMsg['type']> = LoginReplies[T];
