import { createSignal, type Accessor } from 'solid-js';
import { ApiClient, ApiError, NETWORK_ERROR } from './api.ts';
import type { SessionTokens, UserSummary } from './wire.ts';

/**
 * The signed-in session: tokens in memory and in sessionStorage (so a reload keeps the tab signed in, and closing
 * the tab forgets it), refreshed a minute before the access token expires and whenever the API says it expired.
 * Refresh tokens are rotated on every use and a reused one revokes the session, so refreshes are single-flight.
 */

export interface Session {
  readonly orgId: string;
  readonly user: UserSummary;
  readonly tokens: SessionTokens;
}

export const SESSION_STORAGE_KEY = 'parlo.inbox.session';
/** Refresh this long before the access token expires. */
export const REFRESH_AHEAD_MS = 60_000;
/** After a refresh that could not reach the server. */
const REFRESH_RETRY_MS = 15_000;
const MIN_REFRESH_DELAY_MS = 1_000;

export type SessionNotice = 'session.ended' | null;

export interface SessionStore {
  readonly session: Accessor<Session | null>;
  /** Why the user was signed out without asking (shown on the sign-in form). */
  readonly notice: Accessor<SessionNotice>;
  readonly api: ApiClient;
  /** Throws the API's refusal (ApiError). */
  signIn(email: string, password: string): Promise<void>;
  /** Resolves true when the session has fresh tokens. */
  refresh(): Promise<boolean>;
  signOut(): Promise<void>;
  dispose(): void;
}

export interface SessionStoreOptions {
  readonly fetch?: typeof fetch;
  readonly baseUrl?: string;
  readonly storage?: Storage | null;
  readonly now?: () => number;
}

export function createSessionStore(options: SessionStoreOptions = {}): SessionStore {
  const storage = options.storage === undefined ? safeSessionStorage() : options.storage;
  const now = options.now ?? Date.now;
  const [session, setSession] = createSignal<Session | null>(load(storage, now()));
  const [notice, setNotice] = createSignal<SessionNotice>(null);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<boolean> | null = null;

  const api = new ApiClient({
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.baseUrl === undefined ? {} : { baseUrl: options.baseUrl }),
    accessToken: () => session()?.tokens.accessToken ?? null,
    onExpired: () => refresh(),
  });

  function save(next: Session | null): void {
    setSession(next);
    try {
      if (next === null) storage?.removeItem(SESSION_STORAGE_KEY);
      else storage?.setItem(SESSION_STORAGE_KEY, JSON.stringify(next));
    } catch {
      // Storage unavailable: the session lives in memory only.
    }
    schedule();
  }

  function schedule(delayMs?: number): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const current = session();
    if (current === null) return;
    const due = delayMs ?? Date.parse(current.tokens.accessExpiresAt) - REFRESH_AHEAD_MS - now();
    timer = setTimeout(() => void refresh(), Math.max(MIN_REFRESH_DELAY_MS, due));
  }

  function refresh(): Promise<boolean> {
    inFlight ??= (async () => {
      const current = session();
      if (current === null) return false;
      try {
        const { tokens } = await api.refresh(current.tokens.refreshToken);
        save({ ...current, tokens });
        return true;
      } catch (err) {
        if (err instanceof ApiError && (err.code === NETWORK_ERROR || err.status >= 500 || err.status === 429)) {
          schedule(REFRESH_RETRY_MS);
          return false;
        }
        setNotice('session.ended');
        save(null);
        return false;
      }
    })().finally(() => {
      inFlight = null;
    });
    return inFlight;
  }

  schedule();

  return {
    session,
    notice,
    api,
    async signIn(email, password) {
      const signedIn = await api.signIn(email, password);
      setNotice(null);
      save({ orgId: signedIn.orgId, user: signedIn.user, tokens: signedIn.tokens });
    },
    refresh,
    async signOut() {
      try {
        if (session() !== null) await api.signOut();
      } catch {
        // Signed out here whatever the server says; the session expires there on its own.
      }
      setNotice(null);
      save(null);
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}

function load(storage: Storage | null, nowMs: number): Session | null {
  try {
    const text = storage?.getItem(SESSION_STORAGE_KEY);
    if (!text) return null;
    const stored = JSON.parse(text) as Session;
    if (typeof stored.tokens?.refreshToken !== 'string' || typeof stored.user?.id !== 'string') return null;
    return Date.parse(stored.tokens.refreshExpiresAt) > nowMs ? stored : null;
  } catch {
    return null;
  }
}

function safeSessionStorage(): Storage | null {
  try {
    return typeof sessionStorage === 'undefined' ? null : sessionStorage;
  } catch {
    return null;
  }
}
