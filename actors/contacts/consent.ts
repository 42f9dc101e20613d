import type { AuditActor } from '../org/org.messages.ts';

/**
 * Consent of one contact, per scope, as plain data and pure rules (STYLE rule 3). Issue #5, 3: "opt-in records
 * (time, method, source, wording, scope: marketing/utility) … marketing sends to contacts without marketing
 * opt-in or with an opt-out are refused (`PARLO_NO_CONSENT`)".
 *
 * **Evidence.** Every opt-in and opt-out is kept as an evidence entry: when it was given (`atMs`, which an import
 * may date back), when Parlo recorded it (`recordedAtMs`), the action, the method (`api`, `import`, `form`,
 * `keyword`, `whatsapp` — WhatsApp's own "stop promotions" button, delivered as a `user_preferences` webhook), a
 * free-text source (a URL, a campaign, the phone-number id a keyword arrived on), the wording shown to the
 * customer, who recorded it (an AuditActor, or `customer` for keywords and WhatsApp's button) and, for keywords,
 * the keyword, its language and the WhatsApp message id. The history of a scope is ordered by `atMs` (then
 * `recordedAtMs`, then arrival), append-only and bounded: the newest `MAX_EVIDENCE_PER_SCOPE` entries are kept, older
 * ones are dropped and counted (`droppedCount`). The newest entry is never dropped, so the status below is always
 * backed by a kept entry.
 *
 * **Status.** A scope's status is the action of its newest entry by `atMs`: `optedIn`, `optedOut`, or `unknown`
 * when there is none. So an opt-in imported with last year's date is kept as evidence but does not undo
 * yesterday's STOP, and entries merged from another record of the same customer (see contact.messages.ts) fall
 * into place by time.
 *
 * **May we send?** (`isAllowed`)
 * - `marketing`: only with an explicit opt-in that no opt-out followed, i.e. status `optedIn`. `unknown` is a no:
 *   WhatsApp's Business Messaging Policy asks for the customer's opt-in before business-initiated messages, and
 *   marketing is where consent is contested. The send path refuses with `PARLO_NO_CONSENT` (HTTP 409).
 * - `utility`: allowed unless the customer opted out of utility (status `optedOut`); `unknown` is a yes, because
 *   utility messages answer something the customer started (an order, a booking). Opting out "of everything" is
 *   an opt-out recorded for both scopes (`recordConsent` with scope `all`).
 * - Authentication and service (free-form, inside the customer-service window) messages are not governed here.
 *
 * Keyword opt-outs (STOP, BAJA, …) and WhatsApp's stop button withdraw **marketing** only: a customer who stops
 * promotions still receives the delivery notice of the order they placed.
 *
 * Bounds and cost: each scope holds at most `MAX_EVIDENCE_PER_SCOPE` entries of bounded size (source ≤
 * `MAX_CONSENT_SOURCE_LENGTH`, wording ≤ `MAX_CONSENT_WORDING_LENGTH` characters); adding an entry is one
 * ordered insert into that array.
 */

export const CONSENT_SCOPES = ['marketing', 'utility'] as const;
export type ConsentScope = (typeof CONSENT_SCOPES)[number];

export const CONSENT_STATUSES = ['optedIn', 'optedOut', 'unknown'] as const;
export type ConsentStatus = (typeof CONSENT_STATUSES)[number];

export const CONSENT_ACTIONS = ['optIn', 'optOut'] as const;
export type ConsentAction = (typeof CONSENT_ACTIONS)[number];

/**
 * How consent was given or withdrawn. `api`, `import` and `form` are recorded through the API (a person or an
 * integration of the business); `keyword` (the customer wrote STOP / START …) and `whatsapp` (WhatsApp's marketing
 * stop / resume, a `user_preferences` webhook) come from the customer through WhatsApp.
 */
export const CONSENT_METHODS = ['api', 'import', 'form', 'keyword', 'whatsapp'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/** The methods the REST API accepts; the others are only ever recorded from what the customer did on WhatsApp. */
export const API_CONSENT_METHODS = ['api', 'import', 'form'] as const satisfies readonly ConsentMethod[];
export type ApiConsentMethod = (typeof API_CONSENT_METHODS)[number];

/** Evidence entries kept per scope (so 100 per contact): the newest by `atMs`. */
export const MAX_EVIDENCE_PER_SCOPE = 50;
export const MAX_CONSENT_SOURCE_LENGTH = 256;
export const MAX_CONSENT_WORDING_LENGTH = 1024;
/** How far in the future a given consent time may lie (clocks of different nodes differ a little). */
export const CONSENT_CLOCK_SKEW_MS = 60_000;

/** Who recorded an entry: a member, an API key or the system, or the customer themself. */
export type RecordedBy = AuditActor | 'customer';

export interface ConsentEvidence {
  /** Unique across the installation (the recording turn's `ctx.newId()`): merges de-duplicate on it. */
  readonly id: string;
  /** When consent was given or withdrawn (epoch ms). */
  readonly atMs: number;
  /** When Parlo recorded it (epoch ms). */
  readonly recordedAtMs: number;
  readonly action: ConsentAction;
  readonly method: ConsentMethod;
  readonly source: string;
  /** The text the customer saw (the form's consent sentence; for keywords, the confirmation sent back). */
  readonly wording: string | null;
  readonly by: RecordedBy;
  /** Keyword entries: the keyword as normalised (`stop`, `arret`) and its language. */
  readonly keyword: string | null;
  readonly language: string | null;
  /** Keyword entries: the customer's WhatsApp message id (`wamid…`); de-duplicates a re-observed message. */
  readonly messageId: string | null;
  /** The business phone-number id the customer wrote to or pressed the button on. */
  readonly phoneNumberId: string | null;
}

export interface ScopeConsent {
  /** Ordered by (atMs, recordedAtMs, arrival), oldest first; at most MAX_EVIDENCE_PER_SCOPE. */
  readonly history: readonly ConsentEvidence[];
  /** Entries dropped from the front of `history` to respect the bound. */
  readonly droppedCount: number;
}

export type ContactConsent = Readonly<Record<ConsentScope, ScopeConsent>>;

export const EMPTY_SCOPE_CONSENT: ScopeConsent = { history: [], droppedCount: 0 };
export const EMPTY_CONSENT: ContactConsent = { marketing: EMPTY_SCOPE_CONSENT, utility: EMPTY_SCOPE_CONSENT };

/** The entry that decides the status: the newest by time. */
export function currentEvidence(scope: ScopeConsent): ConsentEvidence | null {
  return scope.history.at(-1) ?? null;
}

export function statusOf(scope: ScopeConsent): ConsentStatus {
  const current = currentEvidence(scope);
  if (current === null) return 'unknown';
  return current.action === 'optIn' ? 'optedIn' : 'optedOut';
}

/** Since when the status holds (the deciding entry's `atMs`); null while unknown. */
export function sinceOf(scope: ScopeConsent): number | null {
  return currentEvidence(scope)?.atMs ?? null;
}

/** The consent rule of each scope (see the module header). */
export function isAllowed(scope: ConsentScope, consent: ContactConsent): boolean {
  const status = statusOf(consent[scope]);
  switch (scope) {
    case 'marketing':
      return status === 'optedIn';
    case 'utility':
      return status !== 'optedOut';
  }
}

/**
 * Whether `a` comes after `b` in a scope's history: by `atMs`, then by `recordedAtMs`. Entries equal on both keep
 * the order in which they arrived (the later recorded wins).
 */
export function isLater(a: ConsentEvidence, b: ConsentEvidence): boolean {
  if (a.atMs !== b.atMs) return a.atMs > b.atMs;
  return a.recordedAtMs > b.recordedAtMs;
}

/**
 * `scope` with `entry` in its place by time, the oldest entries dropped beyond the bound (an entry older than
 * every kept one of a full history is dropped at once, and counted). Returns the very same object when an entry
 * with that id is already there (a merge or a redelivery).
 */
export function addEvidence(scope: ScopeConsent, entry: ConsentEvidence): ScopeConsent {
  if (scope.history.some((e) => e.id === entry.id)) return scope;
  let index = scope.history.length;
  while (index > 0 && isLater(scope.history[index - 1]!, entry)) index--;
  const history = [...scope.history.slice(0, index), entry, ...scope.history.slice(index)];
  const excess = history.length - MAX_EVIDENCE_PER_SCOPE;
  if (excess <= 0) return { history, droppedCount: scope.droppedCount };
  return { history: history.slice(excess), droppedCount: scope.droppedCount + excess };
}

/** Merges entries from elsewhere (another record of the same customer); returns the entries that were new. */
export function mergeEvidence(
  scope: ScopeConsent,
  entries: readonly ConsentEvidence[],
): { readonly scope: ScopeConsent; readonly added: readonly ConsentEvidence[] } {
  let next = scope;
  const added: ConsentEvidence[] = [];
  for (const entry of entries) {
    if (next.history.some((e) => e.id === entry.id)) continue;
    next = addEvidence(next, entry);
    added.push(entry);
  }
  return { scope: next, added };
}
