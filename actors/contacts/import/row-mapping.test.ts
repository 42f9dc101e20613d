import { describe, expect, it } from 'vitest';
import type { FieldDefinition } from '../contact-fields.ts';
import { mapRow, planImport, type ImportPlan } from './row-mapping.ts';

const definitions: FieldDefinition[] = [
  { key: 'tier', label: 'Tier', type: 'enum', options: ['gold', 'silver'] },
  { key: 'orders', label: 'Orders', type: 'number' },
  { key: 'vip', label: 'VIP', type: 'boolean' },
  { key: 'birthday', label: 'Birthday', type: 'date' },
];
const HEADER = [
  'Teléfono',
  'Nombre',
  'Idioma',
  'Zona',
  'Etiquetas',
  'tier',
  'orders',
  'vip',
  'birthday',
  'Acepta',
  'extra',
];

function plan(): ImportPlan {
  const planned = planImport(
    HEADER,
    {
      phoneColumn: 'Teléfono',
      defaultCountry: 'ES',
      columns: { name: 'Nombre', language: 'Idioma', timeZone: 'Zona', tags: 'Etiquetas', optIn: 'Acepta' },
    },
    definitions,
  );
  if (!planned.ok) throw new Error(planned.problems.join('; '));
  return planned.plan;
}

describe('contact import rows', () => {
  it('maps the named columns and every custom field column; other columns are ignored', () => {
    expect(plan()).toMatchObject({ phone: 0, name: 1, optIn: 9, ignored: ['extra'] });
    expect(plan().fields.map((f) => f.field.key)).toEqual(['tier', 'orders', 'vip', 'birthday']);
  });

  it('refuses a mapping naming columns the header lacks', () => {
    const planned = planImport(['phone'], { phoneColumn: 'tel', defaultCountry: null, columns: { name: 'nom' } }, []);
    expect(planned).toEqual({
      ok: false,
      problems: ['phoneColumn: no column "tel" in the header', 'columns.name: no column "nom" in the header'],
    });
  });

  it('turns a row into a customer key and a profile patch, reading numbers, booleans and tags from text', () => {
    const row = [
      '600 00 00 01',
      'Lucía',
      'es',
      'Europe/Madrid',
      'VIP | Newsletter',
      'gold',
      '12,5',
      'sí',
      '1990-02-28',
      'yes',
      'x',
    ];
    expect(mapRow(plan(), row)).toEqual({
      ok: true,
      key: 'p34600000001',
      phone: '34600000001',
      patch: {
        name: 'Lucía',
        language: 'es',
        timeZone: 'Europe/Madrid',
        tags: { add: ['vip', 'newsletter'] },
        fields: { tier: 'gold', orders: 12.5, vip: true, birthday: '1990-02-28' },
      },
      optIn: true,
    });
  });

  it('leaves empty cells unchanged', () => {
    expect(mapRow(plan(), ['+34600000002', '', '', '', '', '', '', '', '', '', ''])).toEqual({
      ok: true,
      key: 'p34600000002',
      phone: '34600000002',
      patch: {},
      optIn: null,
    });
  });

  it('reports every problem of a row by column', () => {
    const row = [
      '12',
      'Ana',
      'spanish',
      'Mars/Olympus',
      'has space',
      'bronze',
      'many',
      'maybe',
      '28/02/1990',
      'perhaps',
    ];
    const mapped = mapRow(plan(), row);
    expect(mapped.ok).toBe(false);
    if (mapped.ok) return;
    expect(mapped.problems.map((p) => p.column)).toEqual([
      'phone',
      'language',
      'timeZone',
      'tags',
      'tier',
      'orders',
      'vip',
      'birthday',
      'optIn',
    ]);
  });
});
