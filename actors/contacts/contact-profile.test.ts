import { describe, expect, it } from 'vitest';
import { checkFieldValue, definitionProblems, isCalendarDate, type FieldDefinition } from './contact-fields.ts';
import { EMPTY_PROFILE, applyProfilePatch, isTimeZone, TAG_PATTERN } from './contact-profile.ts';

describe('custom contact fields', () => {
  const tier: FieldDefinition = { key: 'tier', label: 'Tier', type: 'enum', options: ['gold', 'silver'] };

  it('checks a value against its field type', () => {
    expect(checkFieldValue(tier, 'gold')).toEqual({ ok: true, value: 'gold' });
    expect(checkFieldValue(tier, 'bronze')).toEqual({ ok: false, message: 'one of "gold", "silver"' });
    expect(checkFieldValue({ key: 'n', label: 'N', type: 'number' }, 3.5)).toMatchObject({ ok: true });
    expect(checkFieldValue({ key: 'n', label: 'N', type: 'number' }, Number.NaN)).toMatchObject({ ok: false });
    expect(checkFieldValue({ key: 'b', label: 'B', type: 'boolean' }, 'true')).toMatchObject({ ok: false });
    expect(checkFieldValue({ key: 't', label: 'T', type: 'text' }, 'x'.repeat(1_001))).toMatchObject({ ok: false });
    expect(checkFieldValue({ key: 'd', label: 'D', type: 'date' }, '2024-02-29')).toMatchObject({ ok: true });
  });

  it('knows calendar dates', () => {
    expect(['2024-02-29', '1999-12-31'].every(isCalendarDate)).toBe(true);
    expect(['2023-02-29', '2024-13-01', '2024-1-01', '01/02/2024', ''].some(isCalendarDate)).toBe(false);
  });

  it('lists every problem of a set of definitions', () => {
    expect(definitionProblems([tier, { key: 'notes', label: '', type: 'text', options: ['x'] }, tier])).toEqual([
      'fields[1].key: "notes" is a property every contact has; choose another name',
      'fields[1].label: 1 to 100 characters',
      'fields[1].options: only enum fields have options',
      'fields[2].key: "tier" is defined twice',
    ]);
    expect(definitionProblems([tier])).toEqual([]);
  });
});

describe('contact profile patches', () => {
  it('sets, removes then adds tags (lowercased, sorted, unique), and clears values with null', () => {
    const first = applyProfilePatch(EMPTY_PROFILE, {
      tags: { add: ['VIP', 'b2b', 'vip'] },
      fields: { tier: 'gold', orders: 2 },
      name: 'Ana',
    }).profile;
    expect(first).toMatchObject({ name: 'Ana', tags: ['b2b', 'vip'], fields: { tier: 'gold', orders: 2 } });
    const second = applyProfilePatch(first, {
      tags: { set: ['x'], remove: ['x'], add: ['y'] },
      fields: { orders: null },
    });
    expect(second.profile).toMatchObject({ tags: ['y'], fields: { tier: 'gold' } });
  });

  it('gives the very same profile back when nothing changes (so the contact writes nothing)', () => {
    const profile = applyProfilePatch(EMPTY_PROFILE, { tags: { add: ['a'] }, fields: { n: 1 } }).profile;
    expect(applyProfilePatch(profile, { tags: { add: ['A'] }, fields: { n: 1 }, name: null }).profile).toBe(profile);
  });

  it('refuses more than 100 tags', () => {
    const tags = Array.from({ length: 101 }, (_, i) => `t${i}`);
    expect(applyProfilePatch(EMPTY_PROFILE, { tags: { set: tags } }).problems).toEqual([
      'tags: at most 100 tags per contact, not 101',
    ]);
  });

  it('knows IANA time zones and tag shapes', () => {
    expect(isTimeZone('Europe/Madrid') && isTimeZone('UTC') && isTimeZone('America/Mexico_City')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
    expect(['vip', 'clientes-2024', 'tier:gold', 'ñandú'].every((t) => TAG_PATTERN.test(t))).toBe(true);
    expect(['has space', '-lead', ''].some((t) => TAG_PATTERN.test(t))).toBe(false);
  });
});
