import type { FieldValue } from './contact-fields.ts';

/**
 * What an organisation knows of a customer beyond identifiers and consent (issue #6, 2): a name, the language
 * and time zone campaigns use (templates by language, sends at a local time), tags, custom field values and
 * notes. Pure (STYLE rule 3): the shape, its bounds, and how a patch applies.
 */
export interface ContactProfile {
  /** The name the business uses (WhatsApp's profile name is the customer's own, kept apart). */
  readonly name: string | null;
  /** Meta's language code (`es`, `en_US`, `pt_BR`). */
  readonly language: string | null;
  /** IANA time zone (`Europe/Madrid`). */
  readonly timeZone: string | null;
  /** Sorted, unique, lowercase. */
  readonly tags: readonly string[];
  /** Custom field values by field key (contact-fields.ts); a field without a value is absent. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly notes: string | null;
}

export const EMPTY_PROFILE: ContactProfile = {
  name: null,
  language: null,
  timeZone: null,
  tags: [],
  fields: {},
  notes: null,
};

export const MAX_NAME_LENGTH = 200;
export const MAX_NOTES_LENGTH = 5_000;
export const MAX_TAGS = 100;
export const MAX_TAG_LENGTH = 50;
/** Lowercase letters (any script), digits, `-`, `_`, `:`; no spaces, so a tag reads the same in a filter. */
export const TAG_PATTERN = /^[\p{Ll}\p{Lo}\p{N}][\p{Ll}\p{Lo}\p{N}_:-]*$/u;
export const LANGUAGE_PATTERN = /^[a-z]{2,3}(_[A-Z]{2})?$/;

/** A change to a profile: absent means unchanged, null clears. Tags are set, or added and removed. */
export interface ProfilePatch {
  readonly name?: string | null;
  readonly language?: string | null;
  readonly timeZone?: string | null;
  readonly tags?: {
    readonly set?: readonly string[];
    readonly add?: readonly string[];
    readonly remove?: readonly string[];
  };
  /** Values by field key, already checked against the organisation's definitions; null removes the value. */
  readonly fields?: Readonly<Record<string, FieldValue | null>>;
  readonly notes?: string | null;
}

/** A tag as stored: trimmed and lowercased (`VIP` and `vip` are one tag). */
export function normaliseTag(tag: string): string {
  return tag.trim().toLowerCase();
}

/** Whether `zone` is a time zone this runtime knows (IANA names, and `UTC`). */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The profile with the patch applied, or the very same object when nothing changed; `problems` lists what the
 * patch cannot do (too many tags), each naming its field. Tags: `set` replaces, then `remove`, then `add`.
 */
export function applyProfilePatch(
  profile: ContactProfile,
  patch: ProfilePatch,
): { readonly profile: ContactProfile; readonly problems: readonly string[] } {
  const problems: string[] = [];
  let tags = profile.tags;
  if (patch.tags !== undefined) {
    const next = new Set((patch.tags.set ?? profile.tags).map(normaliseTag));
    for (const tag of patch.tags.remove ?? []) next.delete(normaliseTag(tag));
    for (const tag of patch.tags.add ?? []) next.add(normaliseTag(tag));
    const sorted = [...next].sort();
    if (sorted.length > MAX_TAGS) problems.push(`tags: at most ${MAX_TAGS} tags per contact, not ${sorted.length}`);
    tags = sameList(sorted, profile.tags) ? profile.tags : sorted;
  }
  let fields = profile.fields;
  if (patch.fields !== undefined) {
    const next: Record<string, FieldValue> = { ...profile.fields };
    for (const [key, value] of Object.entries(patch.fields)) {
      if (value === null) delete next[key];
      else next[key] = value;
    }
    fields = sameRecord(next, profile.fields) ? profile.fields : next;
  }
  const next: ContactProfile = {
    name: patch.name === undefined ? profile.name : patch.name,
    language: patch.language === undefined ? profile.language : patch.language,
    timeZone: patch.timeZone === undefined ? profile.timeZone : patch.timeZone,
    tags,
    fields,
    notes: patch.notes === undefined ? profile.notes : patch.notes,
  };
  const unchanged =
    next.name === profile.name &&
    next.language === profile.language &&
    next.timeZone === profile.timeZone &&
    next.tags === profile.tags &&
    next.fields === profile.fields &&
    next.notes === profile.notes;
  return { profile: unchanged ? profile : next, problems };
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameRecord(a: Readonly<Record<string, FieldValue>>, b: Readonly<Record<string, FieldValue>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.is(a[k], b[k]));
}
