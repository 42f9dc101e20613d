import { describe, expect, it } from 'vitest';
import {
  EMPTY_CONSENT,
  EMPTY_SCOPE_CONSENT,
  MAX_EVIDENCE_PER_SCOPE,
  addEvidence,
  isAllowed,
  mergeEvidence,
  sinceOf,
  statusOf,
  type ConsentAction,
  type ConsentEvidence,
  type ConsentScope,
  type ContactConsent,
  type ScopeConsent,
} from './consent.ts';

const T0 = Date.UTC(2026, 0, 1);

let ids = 0;
function entry(action: ConsentAction, atMs: number, extra: Partial<ConsentEvidence> = {}): ConsentEvidence {
  return {
    id: `e${++ids}`,
    atMs,
    recordedAtMs: atMs,
    action,
    method: 'api',
    source: 'test',
    wording: null,
    by: { kind: 'system', id: 'test' },
    keyword: null,
    language: null,
    messageId: null,
    phoneNumberId: null,
    ...extra,
  };
}

function scopeOf(...entries: ConsentEvidence[]): ScopeConsent {
  return entries.reduce(addEvidence, EMPTY_SCOPE_CONSENT);
}

describe('isAllowed: the consent rule of each scope', () => {
  const none = EMPTY_SCOPE_CONSENT;
  const optedIn = scopeOf(entry('optIn', T0));
  const optedOut = scopeOf(entry('optOut', T0));
  const inThenOut = scopeOf(entry('optIn', T0), entry('optOut', T0 + 1));
  const outThenIn = scopeOf(entry('optOut', T0), entry('optIn', T0 + 1));

  const table: readonly [string, ConsentScope, ScopeConsent, boolean][] = [
    ['marketing without any record', 'marketing', none, false],
    ['marketing after an opt-in', 'marketing', optedIn, true],
    ['marketing after an opt-out', 'marketing', optedOut, false],
    ['marketing: opt-in followed by an opt-out', 'marketing', inThenOut, false],
    ['marketing: opt-out followed by an opt-in', 'marketing', outThenIn, true],
    ['utility without any record', 'utility', none, true],
    ['utility after an opt-in', 'utility', optedIn, true],
    ['utility after an opt-out', 'utility', optedOut, false],
    ['utility: opt-in followed by an opt-out', 'utility', inThenOut, false],
    ['utility: opt-out followed by an opt-in', 'utility', outThenIn, true],
  ];
  it.each(table)('%s', (_, scope, value, allowed) => {
    const consent: ContactConsent = { ...EMPTY_CONSENT, [scope]: value };
    expect(isAllowed(scope, consent)).toBe(allowed);
  });

  it('keeps the scopes independent: a marketing opt-out leaves utility allowed', () => {
    const consent: ContactConsent = { marketing: optedOut, utility: EMPTY_SCOPE_CONSENT };
    expect(isAllowed('marketing', consent)).toBe(false);
    expect(isAllowed('utility', consent)).toBe(true);
  });
});

describe('status and history', () => {
  it('is unknown without entries, with no since', () => {
    expect(statusOf(EMPTY_SCOPE_CONSENT)).toBe('unknown');
    expect(sinceOf(EMPTY_SCOPE_CONSENT)).toBeNull();
  });

  it('is decided by the newest entry by time: a back-dated import does not undo a later opt-out', () => {
    const stop = entry('optOut', T0 + 1_000, { recordedAtMs: T0 + 1_000 });
    const imported = entry('optIn', T0 - 86_400_000, { recordedAtMs: T0 + 5_000, method: 'import' });
    const scope = scopeOf(stop, imported);
    expect(statusOf(scope)).toBe('optedOut');
    expect(sinceOf(scope)).toBe(T0 + 1_000);
    expect(scope.history.map((e) => e.id)).toEqual([imported.id, stop.id]);
  });

  it('orders entries of the same time by when they were recorded, then by arrival', () => {
    const a = entry('optOut', T0, { recordedAtMs: T0 + 2 });
    const b = entry('optIn', T0, { recordedAtMs: T0 + 1 });
    expect(statusOf(scopeOf(a, b))).toBe('optedOut');
    const c = entry('optIn', T0, { recordedAtMs: T0 + 2 });
    expect(statusOf(scopeOf(a, c))).toBe('optedIn');
  });

  it('keeps the newest MAX_EVIDENCE_PER_SCOPE entries and counts the dropped ones', () => {
    let scope = EMPTY_SCOPE_CONSENT;
    const total = MAX_EVIDENCE_PER_SCOPE + 7;
    for (let i = 0; i < total; i++) scope = addEvidence(scope, entry(i % 2 === 0 ? 'optIn' : 'optOut', T0 + i));
    expect(scope.history).toHaveLength(MAX_EVIDENCE_PER_SCOPE);
    expect(scope.droppedCount).toBe(7);
    expect(scope.history[0]!.atMs).toBe(T0 + 7);
    expect(scope.history.at(-1)!.atMs).toBe(T0 + total - 1);
    // The newest entry is never the one dropped: an entry older than all kept ones goes at once.
    const ancient = addEvidence(scope, entry('optIn', T0 - 1));
    expect(ancient.history).toEqual(scope.history);
    expect(ancient.droppedCount).toBe(8);
  });

  it('ignores an entry it already holds (same id)', () => {
    const e = entry('optIn', T0);
    const scope = scopeOf(e);
    expect(addEvidence(scope, e)).toBe(scope);
  });

  it('merges entries from elsewhere by time and reports only the new ones', () => {
    const mine = entry('optIn', T0);
    const theirs = entry('optOut', T0 + 10);
    const merged = mergeEvidence(scopeOf(mine), [mine, theirs]);
    expect(merged.added).toEqual([theirs]);
    expect(merged.scope.history).toEqual([mine, theirs]);
    expect(statusOf(merged.scope)).toBe('optedOut');
  });
});
