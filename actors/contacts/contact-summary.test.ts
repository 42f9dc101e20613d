import { describe, expect, it } from 'vitest';
import { LAST_SEEN_RESOLUTION_MS, listingChanged } from './contact-summary.ts';
import { initialContactState, type ContactState } from './contact.state.ts';

const T0 = 1_767_225_600_000; // a whole minute

describe('contact listing changes', () => {
  const seen = (state: ContactState, atMs: number | null): ContactState => ({ ...state, lastSeenAtMs: atMs });
  const base = seen(initialContactState('org1.p15551234567'), T0);

  it('tells the index when the contact is first seen and when last seen moves to another minute', () => {
    expect(listingChanged(seen(base, null), base)).toBe(true);
    expect(listingChanged(base, seen(base, T0 + LAST_SEEN_RESOLUTION_MS))).toBe(true);
  });

  it('does not tell it for more messages within the same minute, unless something else changed', () => {
    expect(listingChanged(base, seen(base, T0 + 1_000))).toBe(false);
    expect(listingChanged(base, seen(base, T0 + LAST_SEEN_RESOLUTION_MS - 1))).toBe(false);
    expect(listingChanged(base, { ...seen(base, T0 + 1_000), profileName: 'Ada' })).toBe(true);
  });
});
