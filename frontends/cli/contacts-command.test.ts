import { describe, expect, it } from 'vitest';
import { parseContactsCommand } from './contacts-command.ts';

describe('parlo contacts import arguments', () => {
  it('turns flags into the import options', () => {
    const parsed = parseContactsCommand(
      [
        'import',
        'list.csv',
        '--url=http://parlo:8080',
        '--default-country',
        'es',
        '--name-column',
        'Nombre',
        '--opt-in-column=Acepta',
        '--opt-in-source',
        'fair',
        '--errors',
        'bad.csv',
      ],
      { PARLO_API_KEY: 'parlo_key' },
    );
    expect(parsed).toEqual({
      ok: true,
      value: {
        options: {
          file: 'list.csv',
          url: 'http://parlo:8080',
          apiKey: 'parlo_key',
          mapping: { phoneColumn: 'phone', defaultCountry: 'ES', columns: { name: 'Nombre', optIn: 'Acepta' } },
          consent: { source: 'fair' },
        },
        errorsFile: 'bad.csv',
      },
    });
  });

  it('names the argument at fault', () => {
    const message = (args: string[], env: Record<string, string> = { PARLO_API_KEY: 'k' }) => {
      const parsed = parseContactsCommand(args, env);
      return parsed.ok ? null : parsed.message;
    };
    expect(message(['export'])).toBe('unknown contacts command "export"');
    expect(message(['import'])).toBe('give exactly one FILE to import');
    expect(message(['import', 'a.csv'], {})).toBe('--api-key (or PARLO_API_KEY) is required');
    expect(message(['import', 'a.csv', '--colour', 'red'])).toBe('unknown option --colour');
    expect(message(['import', 'a.csv', '--default-country', 'Spain'])).toContain('--default-country');
    expect(message(['import', 'a.csv', '--opt-in-column', 'ok'])).toContain('--opt-in-source is required');
    expect(message(['import', 'a.csv', '--url'])).toBe('--url needs a value');
  });
});
