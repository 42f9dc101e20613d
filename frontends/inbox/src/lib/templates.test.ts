import { describe, expect, it } from 'vitest';
import { filledBody, isComplete, templateContent, templateVariables } from './templates.ts';
import type { TemplateDefinition } from './wire.ts';

const named: TemplateDefinition = {
  name: 'appointment_reminder',
  language: 'it',
  category: 'UTILITY',
  parameter_format: 'named',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Ciao {{first_name}}' },
    { type: 'BODY', text: 'Il tuo appuntamento è il {{date}} alle {{time}}, {{first_name}}.' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Confermo' },
        { type: 'URL', text: 'Gestisci', url: 'https://acme.test/a/{{1}}' },
      ],
    },
  ],
};

describe('template variables and the content that sends them', () => {
  it('lists each variable once, by component, and knows when every one has a value', () => {
    const variables = templateVariables(named);
    expect(variables).toEqual({
      header: ['first_name'],
      body: ['date', 'time', 'first_name'],
      buttons: [{ index: 1, variables: ['1'] }],
      headerMedia: null,
    });
    const values = { header: { first_name: 'Giulia' }, body: { date: '3/12', time: '10:00', first_name: 'Giulia' } };
    expect(isComplete(variables, values, '')).toBe(false);
    expect(isComplete(variables, { ...values, buttons: { '1': { '1': 'X9' } } }, '')).toBe(true);
  });

  it('builds the Cloud API template object with named parameters and the URL button', () => {
    const content = templateContent(named, {
      header: { first_name: 'Giulia' },
      body: { date: '3/12', time: '10:00', first_name: 'Giulia' },
      buttons: { '1': { '1': 'X9' } },
    });
    expect(content).toEqual({
      type: 'template',
      template: {
        name: 'appointment_reminder',
        language: { code: 'it' },
        components: [
          { type: 'header', parameters: [{ type: 'text', text: 'Giulia', parameter_name: 'first_name' }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: '3/12', parameter_name: 'date' },
              { type: 'text', text: '10:00', parameter_name: 'time' },
              { type: 'text', text: 'Giulia', parameter_name: 'first_name' },
            ],
          },
          { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'X9' }] },
        ],
      },
    });
  });

  it('gives a media header its link, and shows a sent template filled in', () => {
    const withImage: TemplateDefinition = {
      name: 'promo',
      language: 'en',
      category: 'MARKETING',
      components: [
        { type: 'HEADER', format: 'IMAGE' },
        { type: 'BODY', text: 'Hi {{1}}, {{2}} off today.' },
      ],
    };
    expect(templateVariables(withImage).headerMedia).toBe('IMAGE');
    expect(
      templateContent(withImage, { body: { '1': 'Ada', '2': '10%' } }, 'https://acme.test/p.jpg').template
        .components?.[0],
    ).toEqual({
      type: 'header',
      parameters: [{ type: 'image', image: { link: 'https://acme.test/p.jpg' } }],
    });
    expect(filledBody(withImage, ['Ada', '10%'])).toBe('Hi Ada, 10% off today.');
  });
});
