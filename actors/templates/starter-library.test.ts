import { describe, expect, it } from 'vitest';
import { STARTER_LANGUAGES, STARTER_TEMPLATES } from './starter-library.ts';
import { lintTemplate, templateVariables } from './template-lint.ts';

const NAMES = [
  'parlo_order_confirmation',
  'parlo_shipping_update',
  'parlo_appointment_reminder',
  'parlo_abandoned_cart',
  'parlo_double_opt_in',
  'parlo_welcome',
];

describe('STARTER_TEMPLATES', () => {
  it('holds 6 templates in Spanish, English and Italian', () => {
    expect(STARTER_TEMPLATES).toHaveLength(18);
    expect([...STARTER_LANGUAGES]).toEqual(['es', 'en', 'it']);
    for (const name of NAMES) {
      const languages = STARTER_TEMPLATES.filter((t) => t.definition.name === name).map((t) => t.definition.language);
      expect(languages.sort()).toEqual(['en', 'es', 'it']);
    }
  });

  it('has unique keys of the form name.language', () => {
    const keys = STARTER_TEMPLATES.map((t) => t.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const t of STARTER_TEMPLATES) expect(t.key).toBe(`${t.definition.name}.${t.definition.language}`);
  });

  it.each(STARTER_TEMPLATES.map((t) => [t.key, t] as const))('%s lints clean', (_key, starter) => {
    expect(lintTemplate(starter.definition)).toEqual({ ok: true, template: starter.definition });
    expect(starter.title.trim()).not.toBe('');
  });

  it.each(NAMES)("%s uses the English version's variables in every language", (name) => {
    const versions = STARTER_TEMPLATES.filter((t) => t.definition.name === name);
    const english = versions.find((t) => t.definition.language === 'en');
    expect(english).toBeDefined();
    const expected = templateVariables(english!.definition);
    for (const version of versions) {
      const variables = templateVariables(version.definition);
      expect([...variables.body].sort()).toEqual([...expected.body].sort());
      expect(variables.header).toEqual(expected.header);
      expect(variables.buttons).toEqual(expected.buttons);
      expect(version.definition.category).toBe(english!.definition.category);
    }
  });

  it('uses the categories Meta expects', () => {
    const categoryOf = (name: string): string | undefined =>
      STARTER_TEMPLATES.find((t) => t.definition.name === name)?.definition.category;
    expect(NAMES.map(categoryOf)).toEqual(['UTILITY', 'UTILITY', 'UTILITY', 'MARKETING', 'MARKETING', 'MARKETING']);
  });

  it('gives the double opt-in two quick replies and the abandoned cart a URL ending in {{1}}', () => {
    for (const t of STARTER_TEMPLATES) {
      const buttons = t.definition.components.flatMap((c) => (c.type === 'BUTTONS' ? c.buttons : []));
      if (t.definition.name === 'parlo_double_opt_in') {
        expect(buttons.map((b) => b.type)).toEqual(['QUICK_REPLY', 'QUICK_REPLY']);
      }
      if (t.definition.name === 'parlo_abandoned_cart') {
        expect(buttons).toHaveLength(1);
        const [button] = buttons;
        expect(button?.type === 'URL' && button.url.endsWith('{{1}}') && button.example?.length === 1).toBe(true);
      }
    }
  });
});
