import { describe, expect, it } from 'vitest';
import {
  contactVariableValues,
  operatorNameOf,
  operatorVariableValues,
  parseQuickReplyText,
  renderQuickReplyText,
  textProblems,
  variablesOf,
  type VariableValues,
} from './quick-reply-text.ts';

const values = (contact: Record<string, string | null>, operator: Record<string, string | null> = {}) =>
  ({ contact, operator }) satisfies VariableValues;

describe('parseQuickReplyText', () => {
  it('splits plain text and variables, with fallbacks and their positions', () => {
    const { parts, problems } = parseQuickReplyText('Hi {{contact.first_name|there}}, I am {{ operator.name }}.');
    expect(problems).toEqual([]);
    expect(parts).toEqual([
      'Hi ',
      { name: 'contact.first_name', namespace: 'contact', key: 'first_name', fallback: 'there', index: 3 },
      ', I am ',
      { name: 'operator.name', namespace: 'operator', key: 'name', fallback: null, index: 38 },
      '.',
    ]);
  });

  it('keeps single braces as text', () => {
    expect(parseQuickReplyText('{"a": 1} and {x}')).toEqual({ parts: ['{"a": 1} and {x}'], problems: [] });
  });

  it.each([
    ['Hi {{contact.name', 3, '{{contact.name at character 4: is not closed with }}'],
    ['Hi contact.name}}', 15, '}} at character 16: closes no {{'],
    ['{{name}}', 0, '{{name}} at character 1: a variable is namespace.key'],
    ['Hola {{customer.name}}', 5, '{{customer.name}} at character 6: unknown namespace "customer"'],
    ['{{contact.First}}', 0, '{{contact.First}} at character 1: key "First" must be lowercase letters, digits and _'],
    ['{{contact.}}', 0, 'key "" must be'],
    ['{{operator.email}}', 0, '{{operator.email}} at character 1: unknown operator variable'],
    ['{{contact.a {{contact.name}}', 0, '{{contact.a at character 1: is not closed with }}'],
  ])('refuses %j naming the variable and its position', (text, index, message) => {
    const problems = textProblems(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.index).toBe(index);
    expect(problems[0]!.message).toContain(message);
  });

  it('lists every problem, in text order', () => {
    const problems = textProblems('{{a.b}} then {{contact.ok}} then }} and {{operator.x}}');
    expect(problems.map((p) => p.variable)).toEqual(['{{a.b}}', '}}', '{{operator.x}}']);
  });

  it('accepts a custom field key and an empty fallback', () => {
    expect(textProblems('Tier: {{contact.loyalty_tier}} {{contact.name|}} {{contact.vip_2026 | no}}')).toEqual([]);
  });
});

describe('variablesOf', () => {
  it('names each variable once, in order of first use', () => {
    expect(variablesOf('{{operator.name}} {{contact.name}} {{operator.name|x}} {{bad}}')).toEqual([
      'operator.name',
      'contact.name',
    ]);
  });
});

describe('renderQuickReplyText', () => {
  const text = 'Hi {{contact.first_name|there}}, order {{contact.order_id}} — {{operator.first_name}}';

  it('fills values', () => {
    expect(renderQuickReplyText(text, values({ first_name: 'José', order_id: 'A-1' }, { first_name: 'Ana' }))).toEqual({
      text: 'Hi José, order A-1 — Ana',
      missing: [],
    });
  });

  it('uses the fallback, or renders nothing and reports the variable once', () => {
    const rendered = renderQuickReplyText(`${text} {{contact.order_id}}`, values({ first_name: '' }));
    expect(rendered).toEqual({
      text: 'Hi there, order  —  ',
      missing: ['contact.order_id', 'operator.first_name'],
    });
  });

  it('does not report an empty fallback', () => {
    expect(renderQuickReplyText('Hi{{contact.name|}}!', values({}))).toEqual({ text: 'Hi!', missing: [] });
  });

  it('reads own keys only', () => {
    expect(renderQuickReplyText('{{contact.constructor}}', values({}))).toEqual({
      text: '',
      missing: ['contact.constructor'],
    });
  });

  it('leaves a malformed placeholder as written', () => {
    expect(renderQuickReplyText('Hi {{nope}} {{contact.name}}', values({ name: 'Ana' })).text).toBe('Hi {{nope}} Ana');
  });
});

describe('contactVariableValues', () => {
  it.each([
    [
      'the business name first',
      { name: 'María José Ruiz', profileName: 'MJ', phone: '34600111222', fields: {} },
      { name: 'María José Ruiz', first_name: 'María', profile_name: 'MJ', phone: '+34600111222' },
    ],
    [
      'else the WhatsApp profile name',
      { name: null, profileName: '  Giulia Bianchi ', phone: '+393331234567', fields: {} },
      { name: 'Giulia Bianchi', first_name: 'Giulia', profile_name: 'Giulia Bianchi', phone: '+393331234567' },
    ],
    [
      'nothing known',
      { name: null, profileName: null, phone: null, fields: {} },
      { name: null, first_name: null, profile_name: null, phone: null },
    ],
  ])('%s', (_case, facts, expected) => {
    expect(contactVariableValues(facts)).toEqual(expected);
  });

  it('adds custom fields as text; built-ins win over a field of the same key', () => {
    const facts = {
      name: 'Ana',
      profileName: null,
      phone: null,
      fields: { tier: 'gold', visits: 3, vip: true, name: 'shadowed' },
    };
    expect(contactVariableValues(facts)).toMatchObject({ tier: 'gold', visits: '3', vip: 'true', name: 'Ana' });
  });
});

describe('operator values', () => {
  it.each([
    ['ana.rossi@acme.test', 'Ana Rossi'],
    ['bob@acme.test', 'Bob'],
    ['max_power-2@x.test', 'Max Power 2'],
  ])('names %s as %s', (email, name) => {
    expect(operatorNameOf(email)).toBe(name);
  });

  it('gives name and first name, or nothing for a non-member', () => {
    expect(operatorVariableValues('ana.rossi@acme.test')).toEqual({ name: 'Ana Rossi', first_name: 'Ana' });
    expect(operatorVariableValues(null)).toEqual({ name: null, first_name: null });
  });
});
