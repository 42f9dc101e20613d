/** One login's record; `account === null` until `register` (a fresh activation of an unknown email). */
export interface LoginAccount {
  readonly userId: string;
  readonly orgId: string;
  /** Opaque encoded hash (`scrypt$…`), produced and verified by the HTTP layer. */
  readonly passwordHash: string;
  readonly createdAtMs: number;
  readonly passwordChangedAtMs: number;
  /** Consecutive failed sign-ins since the last success or lockout. */
  readonly failedAttempts: number;
  readonly lockedUntilMs: number | null;
  readonly lastSignInAtMs: number | null;
  /** Sessions opened with this login, oldest first, at most MAX_TRACKED_SESSIONS. */
  readonly sessionIds: readonly string[];
}

export interface LoginState {
  readonly account: LoginAccount | null;
}

export function initialLoginState(): LoginState {
  return { account: null };
}
