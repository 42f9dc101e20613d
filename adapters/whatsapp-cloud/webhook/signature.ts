/**
 * `X-Hub-Signature-256` on webhook POSTs (WHATSAPP.md §3.2): `sha256=<lowercase hex HMAC-SHA256(app secret, raw
 * body)>`. Verified over the raw bytes as received: re-serialised JSON would not match (Meta escapes non-ASCII).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header Meta signs webhook POSTs with (node lower-cases incoming header names). */
export const SIGNATURE_HEADER = 'x-hub-signature-256';

const SIGNATURE_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * True when `header` is a well-formed `sha256=<64 hex>` signature of `rawBody` under any of `appSecrets` (several
 * secrets allow rotating the app secret without dropping webhooks). Malformed or missing headers, and empty
 * secrets, never verify. Comparison is constant-time.
 */
export function verifySignature(rawBody: Buffer, header: string | undefined, appSecrets: readonly string[]): boolean {
  if (header === undefined) return false;
  const match = SIGNATURE_PATTERN.exec(header);
  const hex = match?.[1];
  if (hex === undefined) return false;
  const received = Buffer.from(hex, 'hex');
  let verified = false;
  for (const secret of appSecrets) {
    if (secret === '') continue;
    const expected = createHmac('sha256', secret).update(rawBody).digest();
    // No early exit: every configured secret costs the same, whichever one matches.
    if (timingSafeEqual(expected, received)) verified = true;
  }
  return verified;
}

/** The header value Meta would send for `rawBody` signed with `appSecret`. */
export function signatureHeader(rawBody: Buffer | string, appSecret: string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}
