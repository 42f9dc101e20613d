import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { ParloError } from '../errors/parlo-error.ts';

/**
 * Encryption at rest for the secrets Parlo must be able to use again (Cloud API access tokens, app secrets,
 * outbound-webhook signing secrets): AES-256-GCM with a random 96-bit nonce per value.
 *
 * A sealed value is `v1.<keyId>.<nonce>.<ciphertext+tag>` (base64url). `keyId` names the key that sealed it, so
 * keys can be rotated: the first key seals, every key listed opens. The `context` (for example
 * `waba:<orgId>:<wabaId>:accessToken`) is bound as GCM associated data, so a sealed value copied into another
 * record does not open there.
 */
export class SecretBox {
  private readonly sealing: { readonly id: string; readonly key: Buffer };
  private readonly byId: ReadonlyMap<string, Buffer>;

  /** `keys`: 32-byte keys, the sealing key first. */
  constructor(keys: readonly Buffer[]) {
    if (keys.length === 0) throw new TypeError('SecretBox needs at least one key');
    const entries = keys.map((key) => {
      if (key.length !== KEY_BYTES)
        throw new TypeError(`a SecretBox key must be ${KEY_BYTES} bytes, got ${key.length}`);
      return { id: keyIdOf(key), key };
    });
    this.sealing = entries[0]!;
    this.byId = new Map(entries.map((entry) => [entry.id, entry.key]));
  }

  /** Keys from their text form: base64 (or base64url) of 32 bytes each, comma-separated, sealing key first. */
  static fromText(text: string): SecretBox {
    return new SecretBox(parseKeyList(text));
  }

  static generateKeyText(): string {
    return randomBytes(KEY_BYTES).toString('base64');
  }

  seal(plaintext: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.sealing.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, this.sealing.id, nonce.toString('base64url'), body.toString('base64url')].join('.');
  }

  /** The plaintext, or PARLO_SECRET_UNREADABLE when the value is malformed, sealed by an unknown key or tampered. */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    const [version, keyId, nonceText, bodyText] = parts;
    if (parts.length !== 4 || version !== VERSION || !keyId || !nonceText || !bodyText) {
      throw unreadable('it is not a sealed value');
    }
    const key = this.byId.get(keyId);
    if (!key) throw unreadable(`it was sealed by key ${keyId}, which is not configured`);
    const nonce = Buffer.from(nonceText, 'base64url');
    const body = Buffer.from(bodyText, 'base64url');
    if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw unreadable('it is truncated');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, nonce);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
      return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw unreadable('authentication failed (wrong key, wrong context or tampered)');
    }
  }
}

const VERSION = 'v1';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** First 8 hex characters of the key's SHA-256: identifies a key without revealing it. */
function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

/** Parses `base64,base64,…` into 32-byte keys; throws a TypeError naming the bad entry. */
export function parseKeyList(text: string): Buffer[] {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new TypeError('no key given');
  return items.map((item, index) => {
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(item)) throw new TypeError(`key ${index + 1} is not base64`);
    const key = Buffer.from(item.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length !== KEY_BYTES) {
      throw new TypeError(`key ${index + 1} decodes to ${key.length} bytes; it must be ${KEY_BYTES}`);
    }
    return key;
  });
}

function unreadable(why: string): ParloError {
  return new ParloError('PARLO_SECRET_UNREADABLE', `a stored secret cannot be decrypted: ${why}`);
}
