/**
 * How Parlo signs outbound webhooks, and the verification a receiver runs (copy `verifyParloSignature` into your
 * receiver: it needs only `node:crypto`).
 *
 *   Parlo-Signature: t=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v1=…
 *
 * `t` is the Unix time in seconds when the attempt was signed (every retry is signed afresh). Each `v1` is the
 * lowercase hex HMAC-SHA256 of `"<t>.<raw body>"` keyed with one active signing secret (the whole `whsec_…` text,
 * as UTF-8): one `v1` while an endpoint has one secret, two during a rotation's overlap. A receiver accepts the
 * request when any `v1` matches one of the secrets it knows and `t` is within the tolerance (300 s by default) of
 * its own clock, which stops the replay of an old captured request.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Parlo-Signature';
export const EVENT_ID_HEADER = 'Parlo-Event-Id';
export const EVENT_TYPE_HEADER = 'Parlo-Event-Type';
export const DELIVERY_ID_HEADER = 'Parlo-Delivery-Id';
export const DELIVERY_ATTEMPT_HEADER = 'Parlo-Delivery-Attempt';
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Prefix of signing secrets, so a leaked one is recognisable (secret scanners, logs). */
export const SIGNING_SECRET_PREFIX = 'whsec_';

/** The SecretBox context a signing secret is sealed under: a sealed value copied elsewhere does not open. */
export function signingSecretContext(orgId: string, endpointId: string, secretId: string): string {
  return `webhook:${orgId}:${endpointId}:${secretId}`;
}

/** `HMAC-SHA256(secret, "<t>.<body>")` as lowercase hex. */
export function computeSignature(secret: string, timestampSeconds: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
}

/** The `Parlo-Signature` value: `t=<t>,v1=<sig>` with one `v1` per secret. */
export function signatureHeader(secrets: readonly string[], timestampSeconds: number, body: string | Buffer): string {
  if (secrets.length === 0) throw new RangeError('signatureHeader needs at least one secret');
  return [`t=${timestampSeconds}`, ...secrets.map((s) => `v1=${computeSignature(s, timestampSeconds, body)}`)].join(
    ',',
  );
}

export type SignatureCheck =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly reason: 'missing' | 'malformed' | 'timestamp' | 'mismatch' };

/**
 * Verifies a `Parlo-Signature` header against the raw request body (the exact bytes received, before any JSON
 * parsing) and the secrets the receiver holds (two while it rotates). `nowSeconds` is the receiver's Unix time.
 * A signature older or newer than `toleranceSeconds` is refused even if it matches.
 */
export function verifyParloSignature(
  header: string | undefined | null,
  body: string | Buffer,
  secrets: string | readonly string[],
  nowSeconds: number,
  toleranceSeconds = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
): SignatureCheck {
  if (header === undefined || header === null || header.trim() === '') return { ok: false, reason: 'missing' };
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { ok: false, reason: 'malformed' };
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value) || timestamp !== undefined) return { ok: false, reason: 'malformed' };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      signatures.push(value);
    }
    // Other schemes (a future v2) are skipped, so receivers keep working when Parlo adds one.
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return { ok: false, reason: 'timestamp' };
  const candidates = typeof secrets === 'string' ? [secrets] : secrets;
  for (const secret of candidates) {
    const expected = Buffer.from(computeSignature(secret, timestamp, body), 'hex');
    for (const signature of signatures) {
      if (timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return { ok: true, timestamp };
    }
  }
  return { ok: false, reason: 'mismatch' };
}
