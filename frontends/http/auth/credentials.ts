import { createHash, randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Credential crypto for the HTTP layer: password hashing, random secrets, token hashing and the textual formats of
 * API keys and session tokens. Actors are pure and never see a secret: only the hashes made here travel to them.
 *
 * Passwords use scrypt (RFC 7914) with N=2^15, r=8, p=1, the OWASP Password Storage Cheat Sheet's minimum
 * recommendation, a 16-byte random salt and a 32-byte key, encoded as `scrypt$N$r$p$<salt>$<hash>` (base64url) so
 * the parameters can be raised later and old hashes still verify (see `needsRehash`).
 *
 * Tokens (API key secrets, session tokens, invite tokens) are 256 random bits, so one SHA-256 is enough to store
 * them: there is nothing to brute-force, and a fast hash keeps per-request authentication cheap.
 */

export const SCRYPT_PARAMS = { N: 2 ** 15, r: 8, p: 1, saltBytes: 16, keyBytes: 32 } as const;
/** scrypt needs 128·N·r bytes; Node's default `maxmem` (32 MiB) is exactly that for N=2^15, r=8, so give room. */
const SCRYPT_MAXMEM = 256 * 1024 * 1024;
/** Bounds accepted when decoding a stored hash, so a corrupt or hostile record cannot demand unbounded work. */
const DECODE_LIMITS = {
  minLogN: 10,
  maxLogN: 20,
  maxR: 32,
  maxP: 16,
  minSaltBytes: 8,
  minKeyBytes: 16,
  maxKeyBytes: 64,
};

export const DEFAULT_SECRET_BYTES = 32;
export const PASSWORD_MIN_LENGTH = 12;
/** NIST SP 800-63B asks to allow at least 64; longer is fine, unbounded is a denial-of-service lever. */
export const PASSWORD_MAX_LENGTH = 256;
/** From this length on a passphrase needs no second character class. */
export const PASSPHRASE_LENGTH = 20;

export const API_KEY_PREFIX = 'parlo_';
const API_KEY_ID_PATTERN = /^[A-Za-z0-9.-]{1,128}$/;
const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** base64url of at least 12 bytes. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{16,512}$/;
const API_KEY_PATTERN = /^parlo_([A-Za-z0-9.-]{1,128})_([A-Za-z0-9_-]{16,512})$/;
const SESSION_TOKEN_PATTERN = /^([A-Za-z0-9_-]{1,128})\.([A-Za-z0-9_-]{16,512})$/;

function scryptAsync(password: string, salt: Buffer, keyBytes: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyBytes, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Unicode passwords are compared in NFKC form (NIST SP 800-63B §5.1.1.2), so the same password typed on two
 * keyboards that produce different code points for it still matches.
 */
function normalisePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Hashes a password with scrypt and a fresh salt, encoded as `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(password: string): Promise<string> {
  const { N, r, p, saltBytes, keyBytes } = SCRYPT_PARAMS;
  const salt = randomBytes(saltBytes);
  const key = await scryptAsync(normalisePassword(password), salt, keyBytes, { N, r, p, maxmem: SCRYPT_MAXMEM });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface DecodedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function decodePasswordHash(encoded: string): DecodedHash | null {
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, nText, rText, pText, saltText, keyText] = parts as [string, string, string, string, string, string];
  if (![nText, rText, pText].every((t) => /^[1-9][0-9]{0,9}$/.test(t))) return null;
  if (![saltText, keyText].every((t) => /^[A-Za-z0-9_-]+$/.test(t))) return null;
  const N = Number(nText);
  const r = Number(rText);
  const p = Number(pText);
  const logN = Math.log2(N);
  if (!Number.isInteger(logN) || logN < DECODE_LIMITS.minLogN || logN > DECODE_LIMITS.maxLogN) return null;
  if (r > DECODE_LIMITS.maxR || p > DECODE_LIMITS.maxP) return null;
  const salt = Buffer.from(saltText, 'base64url');
  const key = Buffer.from(keyText, 'base64url');
  if (salt.length < DECODE_LIMITS.minSaltBytes) return null;
  if (key.length < DECODE_LIMITS.minKeyBytes || key.length > DECODE_LIMITS.maxKeyBytes) return null;
  return { N, r, p, salt, key };
}

/**
 * Whether `password` matches `encoded`. The derived keys are compared in constant time. A malformed encoding
 * answers false (it is never a reason to let someone in, and the caller should not learn why).
 */
export async function verifyPassword(password: string, encoded: string): Promise<boolean> {
  const decoded = decodePasswordHash(encoded);
  if (!decoded) return false;
  const { N, r, p, salt, key } = decoded;
  const derived = await scryptAsync(normalisePassword(password), salt, key.length, { N, r, p, maxmem: SCRYPT_MAXMEM });
  return timingSafeEqual(derived, key);
}

/** Whether a stored hash uses other parameters than today's; re-hash it after the next successful sign-in. */
export function needsRehash(encoded: string): boolean {
  const decoded = decodePasswordHash(encoded);
  if (!decoded) return true;
  const { N, r, p, saltBytes, keyBytes } = SCRYPT_PARAMS;
  return (
    decoded.N !== N ||
    decoded.r !== r ||
    decoded.p !== p ||
    decoded.salt.length !== saltBytes ||
    decoded.key.length !== keyBytes
  );
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same scrypt work as `verifyPassword` and answers false. Use it when the email is unknown, so the
 * response time does not tell which emails have a login.
 */
export async function verifyPasswordOfUnknownUser(password: string): Promise<false> {
  dummyHash ??= hashPassword(newSecret());
  await verifyPassword(password, await dummyHash);
  return false;
}

/** A random secret: `bytes` random bytes as base64url (43 characters for the default 32 bytes). */
export function newSecret(bytes: number = DEFAULT_SECRET_BYTES): string {
  if (!Number.isInteger(bytes) || bytes < 16) throw new RangeError(`a secret needs at least 16 bytes, not ${bytes}`);
  return randomBytes(bytes).toString('base64url');
}

/** A random id for an API key (hex: no `_`, which separates the parts of a key). */
export function newApiKeyId(): string {
  return randomBytes(12).toString('hex');
}

/** A random id for a session, an invite or anything else addressed by id (base64url, 128 bits). */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

/** SHA-256 of a high-entropy token, base64url. What actors store and compare instead of the token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Compares two strings in time independent of where they differ (lengths may leak; compare hashes). */
export function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

// ---------------------------------------------------------------- API keys: parlo_<keyId>_<secret>

export interface ParsedApiKey {
  readonly keyId: string;
  readonly secret: string;
}

/** The text shown once to the creator of a key. */
export function formatApiKey(keyId: string, secret: string): string {
  if (!API_KEY_ID_PATTERN.test(keyId)) throw new Error(`API key id "${keyId}" must match ${API_KEY_ID_PATTERN}`);
  if (!SECRET_PATTERN.test(secret)) throw new Error('an API key secret must be base64url, 16 to 512 characters');
  return `${API_KEY_PREFIX}${keyId}_${secret}`;
}

/** The parts of an API key, or null if `text` is not one (the id holds no `_`, so the first `_` ends it). */
export function parseApiKey(text: string): ParsedApiKey | null {
  const match = API_KEY_PATTERN.exec(text);
  if (!match) return null;
  return { keyId: match[1] as string, secret: match[2] as string };
}

// ---------------------------------------------------------------- session tokens: <sessionId>.<secret>

export interface ParsedSessionToken {
  readonly sessionId: string;
  readonly secret: string;
}

/** A bearer token naming its session, so authenticating it is one ask to that session's actor. */
export function formatSessionToken(sessionId: string, secret: string): string {
  if (!SESSION_ID_PATTERN.test(sessionId))
    throw new Error(`session id "${sessionId}" must match ${SESSION_ID_PATTERN}`);
  if (!SECRET_PATTERN.test(secret)) throw new Error('a session secret must be base64url, 16 to 512 characters');
  return `${sessionId}.${secret}`;
}

export function parseSessionToken(text: string): ParsedSessionToken | null {
  const match = SESSION_TOKEN_PATTERN.exec(text);
  if (!match) return null;
  return { sessionId: match[1] as string, secret: match[2] as string };
}

// ---------------------------------------------------------------- password policy

/** Base words that make up most breached passwords; a password that is one of them plus digits/symbols fails. */
const COMMON_BASE_WORDS = new Set([
  'password',
  'passw0rd',
  'qwerty',
  'qwertyuiop',
  'azerty',
  'letmein',
  'welcome',
  'iloveyou',
  'admin',
  'administrator',
  'changeme',
  'parlo',
  'whatsapp',
  'abcdef',
  'abcdefgh',
  'abc',
  'monkey',
  'dragon',
  'football',
  'sunshine',
  'princess',
  'master',
]);

type CharClass = 'lower' | 'upper' | 'digit' | 'other';

function charClass(ch: string): CharClass {
  if (/\p{Ll}/u.test(ch)) return 'lower';
  if (/\p{Lu}/u.test(ch)) return 'upper';
  if (/\p{Nd}/u.test(ch)) return 'digit';
  return 'other';
}

/**
 * Null if `password` is acceptable, else the reason it is not (a sentence for the user). The rules: 12 to 256
 * characters; at least 5 different characters; two character classes (lower, upper, digit, other) unless it is a
 * passphrase of 20 or more characters; not a common word dressed up with digits and symbols; not the email's name.
 */
export function checkPasswordPolicy(password: string, context: { readonly email?: string } = {}): string | null {
  const chars = [...normalisePassword(password)];
  if (chars.length < PASSWORD_MIN_LENGTH) return `use at least ${PASSWORD_MIN_LENGTH} characters`;
  if (chars.length > PASSWORD_MAX_LENGTH) return `use at most ${PASSWORD_MAX_LENGTH} characters`;
  if (new Set(chars).size < 5) return 'use at least 5 different characters';
  if (chars.length < PASSPHRASE_LENGTH && new Set(chars.map(charClass)).size < 2) {
    return `mix letters with digits or symbols (or use a passphrase of ${PASSPHRASE_LENGTH} or more characters)`;
  }
  const letters = chars
    .filter((ch) => /\p{L}/u.test(ch))
    .join('')
    .toLowerCase();
  if (COMMON_BASE_WORDS.has(letters)) return 'this password is too common';
  const localPart = context.email?.split('@')[0]?.toLowerCase();
  if (localPart !== undefined && localPart.length >= 3 && chars.join('').toLowerCase().includes(localPart)) {
    return 'do not use your email address in your password';
  }
  return null;
}
