/**
 * Meta's webhook signature (WHATSAPP.md §3.2): `X-Hub-Signature-256: sha256=<lowercase hex HMAC-SHA256>`, keyed
 * with the app secret and computed over the raw request body bytes.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Meta signs webhook POSTs with. */
export const SIGNATURE_HEADER = 'X-Hub-Signature-256';

/** `sha256=<hex HMAC-SHA256(appSecret, rawBody)>`; a string body is hashed as its UTF-8 bytes. */
export function signPayload(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** Checks a received `X-Hub-Signature-256` value against the raw body, in constant time. */
export function verifySignature(rawBody: Buffer | string, appSecret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signPayload(rawBody, appSecret), 'utf8');
  const actual = Buffer.from(header.trim(), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
