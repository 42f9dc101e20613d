import { describe, expect, it } from 'vitest';
import { lintTemplate } from './template-lint.ts';
import { previewTemplate, valuesFromMapping, type ContactFields } from './template-preview.ts';
import type { TemplateDefinition } from './template.types.ts';

/** Header, body and a URL button with variables, plus a quick reply and a phone button. */
const ORDER: TemplateDefinition = {
  name: 'order_update',
  language: 'en',
  category: 'UTILITY',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['#10482'] } },
    {
      type: 'BODY',
      text: 'Hi {{1}}, your order {{2}} ships today. Thanks, {{1}}!',
      example: { body_text: [['Emma', '#10482']] },
    },
    { type: 'FOOTER', text: 'Reply STOP to unsubscribe.' },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'URL', text: 'Track', url: 'https://track.example.com/{{1}}', example: ['1Z999'] },
        { type: 'PHONE_NUMBER', text: 'Call us', phone_number: '+15550051310' },
        { type: 'QUICK_REPLY', text: 'Stop updates' },
      ],
    },
  ],
};

const NAMED: TemplateDefinition = {
  name: 'order_named',
  language: 'it',
  category: 'UTILITY',
  parameter_format: 'named',
  components: [
    {
      type: 'BODY',
      text: 'Grazie {{first_name}}! Il tuo ordine {{order_number}} è confermato.',
      example: {
        body_text_named_params: [
          { param_name: 'first_name', example: 'Giulia' },
          { param_name: 'order_number', example: '#1' },
        ],
      },
    },
    {
      type: 'BUTTONS',
      buttons: [{ type: 'URL', text: 'Ordine', url: 'https://shop.example.com/o/{{order_id}}', example: ['42'] }],
    },
  ],
};

const AUTH: TemplateDefinition = {
  name: 'login_code',
  language: 'es',
  category: 'AUTHENTICATION',
  components: [
    { type: 'BODY', add_security_recommendation: true },
    { type: 'FOOTER', code_expiration_minutes: 10 },
    { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
  ],
};

describe('previewTemplate', () => {
  it('the fixtures are valid templates', () => {
    for (const t of [ORDER, NAMED, AUTH]) expect(lintTemplate(t).ok).toBe(true);
  });

  it('renders positional header, body (repeats included) and URL button variables', () => {
    const result = previewTemplate(ORDER, {
      header: { '1': '#777' },
      body: { '1': 'Ana', '2': '#777' },
      buttons: { 0: { '1': 'TRACK-9' } },
    });
    expect(result).toEqual({
      ok: true,
      preview: {
        header: { format: 'TEXT', text: 'Order #777' },
        body: 'Hi Ana, your order #777 ships today. Thanks, Ana!',
        footer: 'Reply STOP to unsubscribe.',
        buttons: [
          { type: 'URL', text: 'Track', url: 'https://track.example.com/TRACK-9' },
          { type: 'PHONE_NUMBER', text: 'Call us', phoneNumber: '+15550051310' },
          { type: 'QUICK_REPLY', text: 'Stop updates' },
        ],
      },
    });
  });

  it('renders named variables', () => {
    const result = previewTemplate(NAMED, {
      body: { order_number: '#9', first_name: 'Marco' },
      buttons: { 0: { order_id: '9' } },
    });
    expect(result.ok && result.preview.body).toBe('Grazie Marco! Il tuo ordine #9 è confermato.');
    expect(result.ok && result.preview.buttons[0]?.url).toBe('https://shop.example.com/o/9');
    expect(result.ok && result.preview.header).toBeNull();
    expect(result.ok && result.preview.footer).toBeNull();
  });

  it('reports every missing value, once each, and no text', () => {
    expect(previewTemplate(ORDER, { body: { '2': '#1', '1': '  ' } })).toEqual({
      ok: false,
      missing: [
        { component: 'HEADER', variable: '1' },
        { component: 'BODY', variable: '1' },
        { component: 'BUTTONS[0]', variable: '1' },
      ],
    });
    expect(previewTemplate(NAMED, {})).toEqual({
      ok: false,
      missing: [
        { component: 'BODY', variable: 'first_name' },
        { component: 'BODY', variable: 'order_number' },
        { component: 'BUTTONS[0]', variable: 'order_id' },
      ],
    });
  });

  it('shows media and location headers without text', () => {
    const template: TemplateDefinition = {
      ...ORDER,
      components: [
        { type: 'HEADER', format: 'LOCATION' },
        { type: 'BODY', text: 'Your order is on its way.' },
      ],
    };
    expect(previewTemplate(template, {})).toEqual({
      ok: true,
      preview: {
        header: { format: 'LOCATION', text: null },
        body: 'Your order is on its way.',
        footer: null,
        buttons: [],
      },
    });
  });

  it("renders an authentication template with Meta's fixed texts", () => {
    expect(previewTemplate(AUTH, { body: { '1': '483920' } })).toEqual({
      ok: true,
      preview: {
        header: null,
        body: '483920 is your verification code. For your security, do not share this code.',
        footer: 'This code expires in 10 minutes.',
        buttons: [{ type: 'OTP', text: 'Copy code' }],
      },
    });
    const bare: TemplateDefinition = {
      ...AUTH,
      components: [
        { type: 'BODY' },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'OTP', otp_type: 'ONE_TAP', package_name: 'com.example.app', signature_hash: 'K8a/AINcGX7' },
          ],
        },
      ],
    };
    expect(previewTemplate(bare, { body: { '1': '111' } })).toEqual({
      ok: true,
      preview: {
        header: null,
        body: '111 is your verification code.',
        footer: null,
        buttons: [{ type: 'OTP', text: 'Autofill' }],
      },
    });
    expect(previewTemplate(AUTH, {})).toEqual({ ok: false, missing: [{ component: 'BODY', variable: '1' }] });
  });

  it('labels a coupon copy code button', () => {
    const template: TemplateDefinition = {
      name: 'promo',
      language: 'en',
      category: 'MARKETING',
      components: [
        { type: 'BODY', text: 'Use the code below for 10% off.' },
        { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'SAVE10' }] },
      ],
    };
    const result = previewTemplate(template, {});
    expect(result.ok && result.preview.buttons).toEqual([{ type: 'COPY_CODE', text: 'Copy offer code' }]);
  });
});

describe('valuesFromMapping', () => {
  const contact: ContactFields = {
    name: 'Ana',
    phone: '+34600000000',
    orders: 3,
    total: 59.9,
    vip: true,
    newsletter: false,
    city: '',
    nickname: null,
    tracking: '1Z999',
  };

  it('reads contact fields, constants and fallbacks', () => {
    const values = valuesFromMapping(
      ORDER,
      {
        header: { '1': { value: '#10482' } },
        body: { '1': { field: 'nickname', fallback: 'there' }, '2': { field: 'orders' } },
        buttons: { 0: { '1': { field: 'tracking' } } },
      },
      contact,
    );
    expect(values).toEqual({
      header: { '1': '#10482' },
      body: { '1': 'there', '2': '3' },
      buttons: { 0: { '1': '1Z999' } },
    });
    expect(previewTemplate(ORDER, values)).toMatchObject({
      ok: true,
      preview: { body: 'Hi there, your order 3 ships today. Thanks, there!' },
    });
  });

  it('writes numbers plainly and booleans as yes/no in the template language', () => {
    const body = (language: string, field: string): string | undefined =>
      valuesFromMapping({ ...ORDER, language }, { body: { '1': { field } } }, contact).body?.['1'];
    expect(body('en', 'total')).toBe('59.9');
    expect(body('en', 'vip')).toBe('yes');
    expect(body('en_GB', 'newsletter')).toBe('no');
    expect(body('es', 'vip')).toBe('sí');
    expect(body('it', 'vip')).toBe('sì');
    expect(body('pt_BR', 'newsletter')).toBe('não');
    expect(body('ja', 'vip')).toBe('yes');
  });

  it('leaves a variable missing when the field is empty and there is no fallback', () => {
    const values = valuesFromMapping(
      ORDER,
      {
        header: { '1': { value: '' } },
        body: { '1': { field: 'city' }, '2': { field: 'unknown_field', fallback: ' ' } },
        buttons: { 0: { '1': { field: 'nickname' } } },
      },
      contact,
    );
    expect(values).toEqual({ header: {}, body: {}, buttons: { 0: {} } });
    const preview = previewTemplate(ORDER, values);
    expect(preview.ok ? [] : preview.missing.map((m) => `${m.component} ${m.variable}`)).toEqual([
      'HEADER 1',
      'BODY 1',
      'BODY 2',
      'BUTTONS[0] 1',
    ]);
  });

  it('maps named variables and ignores names the template does not use', () => {
    const values = valuesFromMapping(
      NAMED,
      {
        body: {
          first_name: { field: 'name' },
          order_number: { value: '#5' },
          coupon: { value: 'SAVE10' },
        },
        buttons: { 0: { order_id: { value: '5' } }, 3: { '1': { value: 'x' } } },
      },
      contact,
    );
    expect(values).toEqual({
      header: {},
      body: { first_name: 'Ana', order_number: '#5' },
      buttons: { 0: { order_id: '5' } },
    });
  });

  it("fills an authentication template's code", () => {
    const values = valuesFromMapping(AUTH, { body: { '1': { value: '123456' } } }, {});
    expect(previewTemplate(AUTH, values)).toMatchObject({
      ok: true,
      preview: { body: expect.stringMatching(/^123456 is/) },
    });
  });
});
