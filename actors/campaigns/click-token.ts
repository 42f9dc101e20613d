/**
 * The token a campaign puts at the end of a tracked URL button (`<public URL>/r/<token>`), pure (issue #6, 4).
 *
 * A token names one button of one recipient's message in one run and proves that Parlo made it: it is derived,
 * never stored, so a dispatch writes nothing more per recipient and a dispatch repeated after a crash sends the same
 * token. Layout (then base64url, no padding):
 *
 * ```
 * [1]  form: 1 = compact ids (organisation 16 hex → 8 bytes, campaign `cmp_` + 16 base64url → 12 bytes, run varint)
 *            2 = raw run id (length byte + UTF-8)
 * […]  the run, as the form says
 * […]  recipient index (unsigned LEB128 varint)
 * [1]  variant index << 4 | button index (variants ≤ 15, buttons 0–9)
 * [12] the first 12 bytes of HMAC-SHA256(key, "parlo/click/v1" ‖ everything above)
 * ```
 *
 * A compact token of a real run is 50 characters. The 96-bit MAC makes a token unguessable and unforgeable without
 * the key; the variant rides along (it follows from the recipient) so that the redirect can find a fixed destination
 * without asking the run. The key comes from the composition root (derived from the installation's sealing key);
 * verification accepts every configured key, so a key rotation keeps older links working.
 *
 * SHA-256 and HMAC are written out here (FIPS 180-4, RFC 2104) because actors are pure and cannot reach
 * `node:crypto`; click-token.test.ts checks them against `node:crypto`.
 */

/** Which button of which recipient's message in which run. */
export interface ClickRef {
  /** The campaign-run actor's id, `<orgId>.<campaignId>.<run>`. */
  readonly runId: string;
  readonly recipient: number;
  readonly variant: number;
  readonly button: number;
}

export const CLICK_MAC_BYTES = 12;
/** Longer text is not a token (a compact one is 50 characters; a raw one at most ~370). */
export const MAX_CLICK_TOKEN_LENGTH = 400;
const FORM_COMPACT = 1;
const FORM_RAW = 2;
const DOMAIN = utf8('parlo/click/v1');
const ORG_HEX = /^[0-9a-f]{16}$/;
const CAMPAIGN_COMPACT = /^cmp_[A-Za-z0-9_-]{16}$/;
const RUN_NUMBER = /^[1-9][0-9]{0,8}$/;
const TOKEN_TEXT = /^[A-Za-z0-9_-]+$/;

/** The token of `ref` under `key`. Throws on a ref no token can carry (a bug in the caller). */
export function clickToken(key: Uint8Array, ref: ClickRef): string {
  if (!Number.isInteger(ref.variant) || ref.variant < 0 || ref.variant > 15) throw new RangeError('variant 0–15');
  if (!Number.isInteger(ref.button) || ref.button < 0 || ref.button > 9) throw new RangeError('button 0–9');
  if (!Number.isSafeInteger(ref.recipient) || ref.recipient < 0) throw new RangeError('recipient ≥ 0');
  const body = [...runBytes(ref.runId), ...varint(ref.recipient), (ref.variant << 4) | ref.button];
  const bytes = new Uint8Array(body.length + CLICK_MAC_BYTES);
  bytes.set(body);
  bytes.set(macOf(key, bytes.subarray(0, body.length)), body.length);
  return base64url(bytes);
}

/** The ref a token names, when one of `keys` made it; null for anything else (forged, truncated, garbage). */
export function readClickToken(keys: readonly Uint8Array[], token: string): ClickRef | null {
  if (token.length > MAX_CLICK_TOKEN_LENGTH || !TOKEN_TEXT.test(token)) return null;
  const bytes = fromBase64url(token);
  if (bytes === null || bytes.length <= CLICK_MAC_BYTES + 3) return null;
  const bodyLength = bytes.length - CLICK_MAC_BYTES;
  const body = bytes.subarray(0, bodyLength);
  const mac = bytes.subarray(bodyLength);
  if (!keys.some((key) => equalBytes(macOf(key, body), mac))) return null;
  const reader = { bytes: body, at: 0 };
  const runId = readRun(reader);
  if (runId === null) return null;
  const recipient = readVarint(reader);
  const packed = body[reader.at];
  if (recipient === null || packed === undefined || reader.at + 1 !== body.length) return null;
  const button = packed & 0x0f;
  return button > 9 ? null : { runId, recipient, variant: packed >> 4, button };
}

// ---------------------------------------------------------------- the run

function runBytes(runId: string): number[] {
  const [org, campaign, run, ...rest] = runId.split('.');
  if (
    rest.length === 0 &&
    org !== undefined &&
    ORG_HEX.test(org) &&
    campaign !== undefined &&
    CAMPAIGN_COMPACT.test(campaign) &&
    run !== undefined &&
    RUN_NUMBER.test(run)
  ) {
    const ids = fromBase64url(campaign.slice(4))!;
    return [FORM_COMPACT, ...fromHex(org), ...ids, ...varint(Number(run))];
  }
  const text = utf8(runId);
  if (text.length === 0 || text.length > 255) throw new RangeError(`run id of ${text.length} bytes`);
  return [FORM_RAW, text.length, ...text];
}

interface Reader {
  readonly bytes: Uint8Array;
  at: number;
}

function readRun(reader: Reader): string | null {
  const form = reader.bytes[reader.at++];
  if (form === FORM_COMPACT) {
    if (reader.at + 20 > reader.bytes.length) return null;
    const org = hex(reader.bytes.subarray(reader.at, reader.at + 8));
    const campaign = base64url(reader.bytes.subarray(reader.at + 8, reader.at + 20));
    reader.at += 20;
    const run = readVarint(reader);
    return run === null || run < 1 ? null : `${org}.cmp_${campaign}.${run}`;
  }
  if (form === FORM_RAW) {
    const length = reader.bytes[reader.at++];
    if (length === undefined || length === 0 || reader.at + length > reader.bytes.length) return null;
    const text = new TextDecoder('utf-8', { fatal: false }).decode(
      reader.bytes.subarray(reader.at, reader.at + length),
    );
    reader.at += length;
    return text;
  }
  return null;
}

function varint(n: number): number[] {
  const out: number[] = [];
  let rest = n;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return out;
}

/** An unsigned LEB128 of at most 7 bytes (2^49: every safe index), or null. */
function readVarint(reader: Reader): number | null {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7; i++) {
    const byte = reader.bytes[reader.at++];
    if (byte === undefined) return null;
    value += (byte & 0x7f) * scale;
    if ((byte & 0x80) === 0) return value;
    scale *= 0x80;
  }
  return null;
}

function macOf(key: Uint8Array, body: Uint8Array): Uint8Array {
  const message = new Uint8Array(DOMAIN.length + body.length);
  message.set(DOMAIN);
  message.set(body, DOMAIN.length);
  return hmacSha256(key, message).subarray(0, CLICK_MAC_BYTES);
}

/** Constant time in the length: how far two MACs agree must not show in the answer's timing. */
function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

// ---------------------------------------------------------------- SHA-256 and HMAC

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** SHA-256 of `data` (FIPS 180-4). */
export function sha256(data: Uint8Array): Uint8Array {
  const blocks = Math.ceil((data.length + 9) / 64);
  const padded = new Uint8Array(blocks * 64);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bits = data.length * 8;
  view.setUint32(padded.length - 8, Math.floor(bits / 0x1_0000_0000));
  view.setUint32(padded.length - 4, bits >>> 0);
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
  ]);
  const w = new Uint32Array(64);
  for (let block = 0; block < blocks; block++) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(block * 64 + t * 4);
    for (let t = 16; t < 64; t++) {
      const a = w[t - 15]!;
      const b = w[t - 2]!;
      const s0 = rotr(a, 7) ^ rotr(a, 18) ^ (a >>> 3);
      const s1 = rotr(b, 17) ^ rotr(b, 19) ^ (b >>> 10);
      w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = [h[0]!, h[1]!, h[2]!, h[3]!, h[4]!, h[5]!, h[6]!, h[7]!];
    for (let t = 0; t < 64; t++) {
      const t1 = (hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = (h[0]! + a) >>> 0;
    h[1] = (h[1]! + b) >>> 0;
    h[2] = (h[2]! + c) >>> 0;
    h[3] = (h[3]! + d) >>> 0;
    h[4] = (h[4]! + e) >>> 0;
    h[5] = (h[5]! + f) >>> 0;
    h[6] = (h[6]! + g) >>> 0;
    h[7] = (h[7]! + hh) >>> 0;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) outView.setUint32(i * 4, h[i]!);
  return out;
}

/** HMAC-SHA256 (RFC 2104). */
export function hmacSha256(key: Uint8Array, message: Uint8Array): Uint8Array {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha256(key) : key);
  const inner = new Uint8Array(64 + message.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i]! ^ 0x36;
    outer[i] = block[i]! ^ 0x5c;
  }
  inner.set(message, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

// ---------------------------------------------------------------- encodings

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ALPHABET_INDEX = new Map([...ALPHABET].map((char, i) => [char, i]));

function base64url(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = i + 2 < bytes.length ? 4 : i + 1 < bytes.length ? 3 : 2;
    for (let c = 0; c < chars; c++) out += ALPHABET[(n >> (18 - 6 * c)) & 0x3f];
  }
  return out;
}

/** Bytes of unpadded base64url text, or null when it is not (a length of 1 mod 4, stray bits). */
function fromBase64url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const char of text) {
    const index = ALPHABET_INDEX.get(char);
    if (index === undefined) return null;
    value = (value << 6) | index;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, so that each byte string has one text (no two tokens for one ref).
  return (value & ((1 << bits) - 1)) === 0 ? out : null;
}

function fromHex(text: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < text.length; i += 2) out.push(parseInt(text.slice(i, i + 2), 16));
  return out;
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
