import { describe, expect, it } from 'vitest';
import { matchesFilter, type ContactSummary } from './contact-filter.ts';

const contact: ContactSummary = {
  key: 'p34600000001',
  phone: '34600000001',
  userId: null,
  name: 'José Núñez',
  profileName: 'Pepe',
  language: 'es',
  timeZone: 'Europe/Madrid',
  tags: ['club', 'vip'],
  fields: { tier: 'gold', orders: 7, birthday: '1990-02-28', b2b: false },
  marketing: 'optedIn',
  utility: 'unknown',
  lastSeenAtMs: 1_000,
  createdAtMs: 500,
  changedAtMs: 1_000,
};

describe('contact filters', () => {
  it('holds only when every condition holds', () => {
    expect(matchesFilter(contact, {})).toBe(true);
    expect(matchesFilter(contact, { tags: { any: ['vip', 'x'] }, marketing: ['optedIn'], languages: ['es'] })).toBe(
      true,
    );
    expect(matchesFilter(contact, { tags: { all: ['vip', 'x'] } })).toBe(false);
    expect(matchesFilter(contact, { tags: { none: ['club'] } })).toBe(false);
    expect(matchesFilter(contact, { utility: ['optedIn'] })).toBe(false);
  });

  it('compares custom fields by type; a missing value fails every comparison but ne and missing', () => {
    const holds = (op: string, value?: unknown, values?: unknown[]) =>
      matchesFilter(contact, { fields: [{ key: 'orders', op, value, values } as never] });
    expect([
      holds('gt', 6),
      holds('gte', 7),
      holds('lt', 8),
      holds('lte', 7),
      holds('eq', 7),
      holds('in', undefined, [1, 7]),
    ]).toEqual([true, true, true, true, true, true]);
    expect(holds('gt', '6')).toBe(false); // a text is not compared with a number
    expect(matchesFilter(contact, { fields: [{ key: 'birthday', op: 'lt', value: '2000-01-01' }] })).toBe(true);
    expect(matchesFilter(contact, { fields: [{ key: 'b2b', op: 'eq', value: false }] })).toBe(true);
    expect(matchesFilter(contact, { fields: [{ key: 'nope', op: 'gt', value: 0 }] })).toBe(false);
    expect(matchesFilter(contact, { fields: [{ key: 'nope', op: 'ne', value: 1 }] })).toBe(true);
    expect(matchesFilter(contact, { fields: [{ key: 'nope', op: 'missing' }] })).toBe(true);
  });

  it('filters by activity and finds text in names and the phone, accents and case ignored', () => {
    expect(matchesFilter(contact, { lastSeenAfterMs: 1_000, lastSeenBeforeMs: 1_001 })).toBe(true);
    expect(matchesFilter(contact, { lastSeenAfterMs: 1_001 })).toBe(false);
    expect(matchesFilter(contact, { neverSeen: true })).toBe(false);
    expect(matchesFilter({ ...contact, lastSeenAtMs: null }, { neverSeen: true })).toBe(true);
    expect(['NUNEZ', 'pepe', '600000'].every((text) => matchesFilter(contact, { text }))).toBe(true);
    expect(matchesFilter(contact, { text: 'maria' })).toBe(false);
  });
});
