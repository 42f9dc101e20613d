/**
 * The webhook subscription handshake (WHATSAPP.md §3.1): Meta calls
 * `GET <callback>?hub.mode=subscribe&hub.challenge=<n>&hub.verify_token=<ours>` and expects HTTP 200 with the
 * challenge echoed as the body; anything else leaves the endpoint unverified.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type SubscriptionVerdict =
  { readonly ok: true; readonly challenge: string } | { readonly ok: false; readonly reason: string };

/**
 * Checks the handshake query. `query` is the parsed query string, flat (`{'hub.mode': 'subscribe'}`, as node's
 * URLSearchParams and fastify's default parser give it) or nested (`{hub: {mode}}`, as `qs` with `allowDots`
 * gives it). A parameter given twice is refused rather than guessed at. The token comparison is constant-time
 * (both sides are hashed first, so not even the length leaks).
 */
export function verifySubscription(query: Record<string, unknown>, verifyToken: string): SubscriptionVerdict {
  if (verifyToken === '') return { ok: false, reason: 'no verify token is configured' };
  const mode = hubParam(query, 'mode');
  const token = hubParam(query, 'verify_token');
  const challenge = hubParam(query, 'challenge');
  if (typeof mode !== 'string') return { ok: false, reason: describeMissing('hub.mode', mode) };
  if (mode !== 'subscribe') return { ok: false, reason: `hub.mode must be "subscribe", got "${mode}"` };
  if (typeof token !== 'string') return { ok: false, reason: describeMissing('hub.verify_token', token) };
  if (!constantTimeEqual(token, verifyToken)) return { ok: false, reason: 'hub.verify_token does not match' };
  if (typeof challenge !== 'string' || challenge === '') {
    return { ok: false, reason: describeMissing('hub.challenge', challenge) };
  }
  return { ok: true, challenge };
}

function hubParam(query: Record<string, unknown>, name: string): unknown {
  const flat = Object.hasOwn(query, `hub.${name}`) ? query[`hub.${name}`] : undefined;
  if (flat !== undefined) return flat;
  const hub = Object.hasOwn(query, 'hub') ? query.hub : undefined;
  if (typeof hub === 'object' && hub !== null && Object.hasOwn(hub, name))
    return (hub as Record<string, unknown>)[name];
  return undefined;
}

function describeMissing(name: string, value: unknown): string {
  if (value === undefined) return `${name} is missing`;
  if (Array.isArray(value)) return `${name} is given more than once`;
  return `${name} must be a non-empty string`;
}

function constantTimeEqual(a: string, b: string): boolean {
  const digestA = createHash('sha256').update(a, 'utf8').digest();
  const digestB = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(digestA, digestB);
}
