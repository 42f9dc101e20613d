/**
 * Building blocks of the send validator: Meta-worded error builders, field readers, and the media and location
 * checks that plain messages, interactive headers and template parameters share. A check returns the first
 * failure as a `GraphError`, or `undefined` when it passes, so checks chain with `??`.
 */
import { graphError, type GraphError } from './graph-error.ts';
import {
  SEND_LIMITS,
  type InteractiveType,
  type SendLookups,
  type SendRejected,
  type TemplateInfo,
} from './send-types.ts';

/** Facts the per-type validators learn on the way, for the result. */
export interface Facts {
  interactiveType?: InteractiveType;
  template?: { name: string; languageCode: string; info: TemplateInfo };
}

export type Json = Record<string, unknown>;
/** A failed check, or `undefined` when it passed; chains with `??` so the first failure wins. */
export type Check = GraphError | undefined;

export function reject(error: GraphError): SendRejected {
  return { ok: false, error };
}

export function unreachable(x: never): never {
  throw new Error(`unreachable: ${String(x)}`);
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function isAbsent(v: unknown): v is undefined | null {
  return v === undefined || v === null;
}

export function isScalar(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** Length as Meta counts it: characters (code points), not UTF-16 units, so an emoji counts once. */
export function charCount(s: string): number {
  let n = 0;
  for (const _ of s) n += 1;
  return n;
}

export function isHttpUrl(s: string): boolean {
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
}

export function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function truncate(s: string, max = 60): string {
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') return JSON.stringify(truncate(v));
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${v}`;
  return `a ${typeof v}`;
}

/** Graph's own spelling of a nested param in its messages: `text.body` → `text['body']`. */
export function graphParamName(path: string): string {
  const [head = '', ...rest] = path.split('.');
  return head + rest.map((segment) => segment.replace(/^([^[]+)/, "['$1']")).join('');
}

// ---- errors ----

/** `(#100) The parameter messaging_product is required.` (observed on the wire). */
export function graphParamRequired(path: string): GraphError {
  return graphError(100, `${path}: The parameter ${path} is required`, {
    message: `(#100) The parameter ${graphParamName(path)} is required.`,
  });
}

/** `(#100) Param type must be one of {AUDIO, CONTACTS, ...} - got "jpeg".` (observed on the wire). */
export function notOneOf(path: string, allowed: readonly string[], got: unknown): GraphError {
  const shown = typeof got === 'string' ? `"${truncate(got)}"` : describe(got);
  return graphError(100, `${path}: must be one of ${allowed.join(', ')} - got ${shown}`, {
    message: `(#100) Param ${graphParamName(path)} must be one of {${allowed.map((a) => a.toUpperCase()).join(', ')}} - got ${shown}.`,
  });
}

/** `(#100) Unexpected key "caption" on param "audio".` (observed on the wire). */
export function unexpectedKey(path: string, key: string): GraphError {
  const param = graphParamName(path);
  return graphError(100, `${path}.${key}: Unexpected key "${key}" on param "${param}"`, {
    message: `(#100) Unexpected key "${key}" on param "${param}".`,
  });
}

export function wrongType(path: string, expected: string, got: unknown): GraphError {
  return graphError(100, `${path}: must be ${expected}, got ${describe(got)}`);
}

export function notAnObject(path: string, got: unknown): GraphError {
  return wrongType(path, 'a JSON object', got);
}

export function missing(path: string, what = 'Required parameter is missing'): GraphError {
  return graphError(131008, `${path}: ${what}`);
}

export function invalid(path: string, what: string): GraphError {
  return graphError(131009, `${path}: ${what}`);
}

// ---- field readers ----

export function checkKeys(obj: Json, path: string, allowed: readonly string[]): Check {
  const extra = Object.keys(obj).find((k) => !allowed.includes(k));
  return extra === undefined ? undefined : unexpectedKey(path, extra);
}

export function requiredString(obj: Json, path: string, key: string, maxChars?: number): Check {
  const v = obj[key];
  const p = join(path, key);
  if (isAbsent(v) || v === '') return missing(p);
  return stringValue(v, p, maxChars);
}

export function optionalString(obj: Json, path: string, key: string, maxChars?: number): Check {
  const v = obj[key];
  return isAbsent(v) ? undefined : stringValue(v, join(path, key), maxChars);
}

export function stringValue(v: unknown, p: string, maxChars: number | undefined): Check {
  if (typeof v !== 'string') return wrongType(p, 'a string', v);
  if (maxChars !== undefined && charCount(v) > maxChars) {
    return invalid(p, `must be at most ${maxChars} characters long (got ${charCount(v)})`);
  }
  return undefined;
}

export function optionalBoolean(obj: Json, path: string, key: string): Check {
  const v = obj[key];
  return isAbsent(v) || typeof v === 'boolean' ? undefined : wrongType(join(path, key), 'a boolean', v);
}

export function requiredObject(obj: Json, path: string, key: string): Check {
  const v = obj[key];
  const p = join(path, key);
  if (isAbsent(v)) return missing(p);
  return isObject(v) ? undefined : notAnObject(p, v);
}

// ---- media and location (WHATSAPP.md §2.2, §2.3) ----

export type MediaKind = 'image' | 'video' | 'document' | 'audio' | 'sticker';

/** Keys Meta accepts per media message; anything else is `(#100) Unexpected key "x" on param "<type>".` */
export const MESSAGE_MEDIA_KEYS: Record<MediaKind, readonly string[]> = {
  image: ['id', 'link', 'caption'],
  video: ['id', 'link', 'caption'],
  document: ['id', 'link', 'caption', 'filename'],
  audio: ['id', 'link', 'voice'],
  sticker: ['id', 'link'],
};

/** Media in interactive headers and template parameters: no captions (Meta: "Captions not supported"). */
export const EMBEDDED_MEDIA_KEYS: Record<'image' | 'video' | 'document', readonly string[]> = {
  image: ['id', 'link'],
  video: ['id', 'link'],
  document: ['id', 'link', 'filename'],
};

/**
 * A media object: exactly one of `id` / `link`; `link` an http(s) URL; `id` known to the simulator. An unknown id
 * is 131053 "Media upload error" synchronously (Meta may also report media failures later in a `failed` status;
 * that is the server's decision for links it cannot fetch).
 */
export function checkMedia(
  kind: string,
  v: unknown,
  path: string,
  allowedKeys: readonly string[],
  lookups: SendLookups,
): Check {
  if (isAbsent(v)) return missing(path);
  if (!isObject(v)) return notAnObject(path, v);
  const keyError = checkKeys(v, path, allowedKeys);
  if (keyError) return keyError;

  const hasId = !isAbsent(v.id) && v.id !== '';
  const hasLink = !isAbsent(v.link) && v.link !== '';
  if (!hasId && !hasLink) return missing(path, `either id or link is required for ${kind} media`);
  if (hasId && hasLink) return invalid(path, 'provide either id or link, not both');
  if (hasId) {
    if (typeof v.id !== 'string' && typeof v.id !== 'number') return wrongType(`${path}.id`, 'a string', v.id);
    const id = String(v.id);
    if (!lookups.mediaExists(id)) {
      return graphError(131053, `${path}.id: media id ${truncate(id)} does not exist or has expired`);
    }
  } else {
    if (typeof v.link !== 'string') return wrongType(`${path}.link`, 'a string', v.link);
    if (!isHttpUrl(v.link)) return invalid(`${path}.link`, `"${truncate(v.link)}" is not a valid http or https URL`);
  }
  return (
    optionalString(v, path, 'caption', SEND_LIMITS.mediaCaptionMaxChars) ??
    optionalString(v, path, 'filename') ??
    optionalBoolean(v, path, 'voice')
  );
}

export function checkLocation(v: unknown, path: string): Check {
  if (!isObject(v)) return notAnObject(path, v);
  return (
    checkKeys(v, path, ['latitude', 'longitude', 'name', 'address']) ??
    checkCoordinate(v, path, 'latitude', 90) ??
    checkCoordinate(v, path, 'longitude', 180) ??
    optionalString(v, path, 'name') ??
    optionalString(v, path, 'address')
  );
}

/** A number, or a numeric string (Graph coerces form-style scalars), within ±limit. */
export function checkCoordinate(obj: Json, path: string, key: string, limit: number): Check {
  const v = obj[key];
  const p = join(path, key);
  if (isAbsent(v) || v === '') return missing(p);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n)) return wrongType(p, 'a number', v);
  if (n < -limit || n > limit) return invalid(p, `must be between -${limit} and ${limit}, got ${n}`);
  return undefined;
}
