import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LINT_RULES, lintTemplate, parseVariables, templateVariables, type LintRule } from './template-lint.ts';
import type { TemplateDefinition } from './template.types.ts';

// ---- builders: minimal templates, each row below breaks exactly one thing ----------------------------------------

type Json = Record<string, unknown>;

const body = (text: string, values?: readonly string[]): Json => ({
  type: 'BODY',
  text,
  ...(values === undefined ? {} : { example: { body_text: [values] } }),
});
const namedBody = (text: string, params: readonly (readonly [string, string])[]): Json => ({
  type: 'BODY',
  text,
  example: { body_text_named_params: params.map(([param_name, example]) => ({ param_name, example })) },
});
const OK_BODY = body('Hi {{1}}, your order is ready.', ['Ana']);
const template = (components: readonly unknown[], extra: Json = {}): Json => ({
  name: 'order_update',
  language: 'en_US',
  category: 'UTILITY',
  components,
  ...extra,
});
const named = (components: readonly unknown[]): Json => template(components, { parameter_format: 'named' });
const withButtons = (buttons: readonly unknown[], category = 'MARKETING'): Json =>
  template([OK_BODY, { type: 'BUTTONS', buttons }], { category });
const qr = (text: string): Json => ({ type: 'QUICK_REPLY', text });
const url = (u: string, example?: readonly string[]): Json => ({
  type: 'URL',
  text: 'Open',
  url: u,
  ...(example === undefined ? {} : { example }),
});
const phone = (n: string): Json => ({ type: 'PHONE_NUMBER', text: 'Call us', phone_number: n });
const auth = (components: readonly unknown[]): Json =>
  template(components, { name: 'login_code', category: 'AUTHENTICATION' });
const AUTH_BODY = { type: 'BODY', add_security_recommendation: true };
const otp = (button: Json): Json => ({ type: 'BUTTONS', buttons: [{ type: 'OTP', ...button }] });
const COPY_CODE_OTP = otp({ otp_type: 'COPY_CODE' });
const oneTap = (app: Json): Json => otp({ otp_type: 'ONE_TAP', autofill_text: 'Autofill', ...app });
const header = (h: Json): Json => template([{ type: 'HEADER', ...h }, OK_BODY]);
const footer = (f: Json): Json => template([OK_BODY, { type: 'FOOTER', ...f }]);

interface Row {
  readonly rule: LintRule;
  readonly component: string;
  readonly input: unknown;
  /** Problems that necessarily come with this one. */
  readonly also?: readonly (readonly [string, LintRule])[];
}

const ROWS: readonly Row[] = [
  // the request's shape
  { rule: 'not-an-object', component: 'template', input: 42 },
  { rule: 'unknown-field', component: 'template', input: template([OK_BODY], { message_send_ttl_seconds: 3600 }) },
  {
    rule: 'field-type',
    component: 'BODY',
    input: auth([{ type: 'BODY', add_security_recommendation: 'yes' }, COPY_CODE_OTP]),
  },
  {
    rule: 'field-not-allowed',
    component: 'BODY',
    input: template([{ ...OK_BODY, add_security_recommendation: true }]),
  },
  { rule: 'name-required', component: 'name', input: template([OK_BODY], { name: '' }) },
  { rule: 'name-too-long', component: 'name', input: template([OK_BODY], { name: 'a'.repeat(513) }) },
  { rule: 'name-pattern', component: 'name', input: template([OK_BODY], { name: 'Order Update' }) },
  { rule: 'language-required', component: 'language', input: template([OK_BODY], { language: undefined }) },
  { rule: 'language-pattern', component: 'language', input: template([OK_BODY], { language: 'en-US' }) },
  { rule: 'category-invalid', component: 'category', input: template([OK_BODY], { category: 'PROMO' }) },
  {
    rule: 'parameter-format-invalid',
    component: 'parameter_format',
    input: template([OK_BODY], { parameter_format: 'NAMED' }),
  },
  { rule: 'components-missing', component: 'components', input: template([], { components: 'BODY' }) },
  { rule: 'component-invalid', component: 'components[1]', input: template([OK_BODY, 'FOOTER']) },
  { rule: 'unknown-component-type', component: 'components[1]', input: template([OK_BODY, { type: 'CAROUSEL' }]) },
  {
    rule: 'duplicate-component',
    component: 'FOOTER',
    input: template([OK_BODY, { type: 'FOOTER', text: 'One' }, { type: 'FOOTER', text: 'Two' }]),
  },
  { rule: 'body-missing', component: 'BODY', input: template([{ type: 'FOOTER', text: 'Thanks' }]) },
  // variables and examples
  { rule: 'malformed-variable', component: 'BODY', input: template([body('Hi {{first name}}, your order is ready.')]) },
  {
    rule: 'named-parameter-pattern',
    component: 'BODY',
    input: named([namedBody('Hi {{First_Name}}, thanks.', [['First_Name', 'Ana']])]),
  },
  { rule: 'parameter-format-mismatch', component: 'BODY', input: template([body('Hi {{name}}, thanks.', ['Ana'])]) },
  { rule: 'variable-at-edge', component: 'BODY', input: template([body('{{1}}, your order is ready.', ['Ana'])]) },
  {
    rule: 'adjacent-variables',
    component: 'BODY',
    input: template([body('Hi {{1}} {{2}}, your order is ready.', ['Ana', 'Rossi'])]),
  },
  { rule: 'example-value-invalid', component: 'BODY', input: template([body('Hi {{1}}, your order is ready.', [''])]) },
  {
    rule: 'example-names-mismatch',
    component: 'BODY',
    input: named([namedBody('Hi {{first_name}}, thanks.', [['name', 'Ana']])]),
  },
  // header
  { rule: 'header-format', component: 'HEADER', input: header({ format: 'AUDIO' }) },
  { rule: 'header-text-missing', component: 'HEADER', input: header({ format: 'TEXT' }) },
  { rule: 'header-text-too-long', component: 'HEADER', input: header({ format: 'TEXT', text: 'A'.repeat(61) }) },
  {
    rule: 'header-text-variables',
    component: 'HEADER',
    input: header({ format: 'TEXT', text: 'Hi {{1}} and {{2}}', example: { header_text: ['a', 'b'] } }),
  },
  {
    rule: 'header-variables-not-sequential',
    component: 'HEADER',
    input: header({ format: 'TEXT', text: 'Order {{2}} shipped', example: { header_text: ['123'] } }),
  },
  {
    rule: 'header-example-missing',
    component: 'HEADER',
    input: header({ format: 'TEXT', text: 'Order {{1}} shipped' }),
  },
  {
    rule: 'header-example-count',
    component: 'HEADER',
    input: header({ format: 'TEXT', text: 'Order {{1}} shipped', example: { header_text: ['1', '2'] } }),
  },
  { rule: 'header-media-example-missing', component: 'HEADER', input: header({ format: 'IMAGE' }) },
  // body
  { rule: 'body-text-missing', component: 'BODY', input: template([{ type: 'BODY' }]) },
  { rule: 'body-too-long', component: 'BODY', input: template([body('a'.repeat(1025))]) },
  {
    rule: 'body-variables-not-sequential',
    component: 'BODY',
    input: template([body('Hi {{1}}, code {{3}} today.', ['Ana', 'X'])]),
  },
  { rule: 'body-example-missing', component: 'BODY', input: template([body('Hi {{1}}, your order is ready.')]) },
  {
    rule: 'body-example-count',
    component: 'BODY',
    input: template([body('Hi {{1}}, your order is ready.', ['Ana', 'extra'])]),
  },
  // footer
  { rule: 'footer-text-missing', component: 'FOOTER', input: footer({}) },
  { rule: 'footer-too-long', component: 'FOOTER', input: footer({ text: 'f'.repeat(61) }) },
  { rule: 'footer-variables', component: 'FOOTER', input: footer({ text: 'Code {{1}} inside' }) },
  // buttons
  { rule: 'buttons-empty', component: 'BUTTONS', input: withButtons([]) },
  { rule: 'button-invalid', component: 'BUTTONS[0]', input: withButtons([42]) },
  { rule: 'unknown-button-type', component: 'BUTTONS[0]', input: withButtons([{ type: 'FLOW', text: 'Open' }]) },
  {
    rule: 'too-many-buttons',
    component: 'BUTTONS',
    input: withButtons([...Array.from({ length: 10 }, (_, i) => qr(`Option ${i}`)), url('https://shop.example.com')]),
  },
  {
    rule: 'quick-reply-limit',
    component: 'BUTTONS',
    input: withButtons(Array.from({ length: 11 }, (_, i) => qr(`Option ${i}`))),
    also: [['BUTTONS', 'too-many-buttons']],
  },
  {
    rule: 'url-button-limit',
    component: 'BUTTONS',
    input: withButtons([url('https://a.example.com'), url('https://b.example.com'), url('https://c.example.com')]),
  },
  {
    rule: 'phone-button-limit',
    component: 'BUTTONS',
    input: withButtons([phone('15550051310'), phone('15550051311')]),
  },
  {
    rule: 'copy-code-limit',
    component: 'BUTTONS',
    input: withButtons([
      { type: 'COPY_CODE', example: 'SAVE10' },
      { type: 'COPY_CODE', example: 'SAVE20' },
    ]),
  },
  {
    rule: 'button-grouping',
    component: 'BUTTONS',
    input: withButtons([qr('Yes'), url('https://shop.example.com'), qr('No')]),
  },
  { rule: 'button-text-missing', component: 'BUTTONS[0]', input: withButtons([{ type: 'QUICK_REPLY' }]) },
  { rule: 'button-text-too-long', component: 'BUTTONS[0]', input: withButtons([qr('x'.repeat(26))]) },
  { rule: 'url-missing', component: 'BUTTONS[0]', input: withButtons([{ type: 'URL', text: 'Shop' }]) },
  {
    rule: 'url-too-long',
    component: 'BUTTONS[0]',
    input: withButtons([url(`https://shop.example.com/${'a'.repeat(2000)}`)]),
  },
  { rule: 'url-invalid', component: 'BUTTONS[0]', input: withButtons([url('www.example.com/shop')]) },
  {
    rule: 'url-variable-count',
    component: 'BUTTONS[0]',
    input: withButtons([url('https://shop.example.com/{{1}}/{{2}}', ['a'])]),
  },
  {
    rule: 'url-variable-position',
    component: 'BUTTONS[0]',
    input: withButtons([url('https://shop.example.com/{{1}}/cart', ['a'])]),
  },
  {
    rule: 'url-variable-number',
    component: 'BUTTONS[0]',
    input: withButtons([url('https://shop.example.com/cart/{{2}}', ['a'])]),
  },
  { rule: 'url-example-missing', component: 'BUTTONS[0]', input: withButtons([url('https://shop.example.com/{{1}}')]) },
  {
    rule: 'url-example-count',
    component: 'BUTTONS[0]',
    input: withButtons([url('https://shop.example.com/{{1}}', ['a', 'b'])]),
  },
  { rule: 'phone-number-format', component: 'BUTTONS[0]', input: withButtons([phone('+1 (646) 704-3595')]) },
  {
    rule: 'copy-code-example',
    component: 'BUTTONS[0]',
    input: withButtons([{ type: 'COPY_CODE', example: 'A'.repeat(21) }]),
  },
  {
    rule: 'otp-button-not-allowed',
    component: 'BUTTONS[0]',
    input: withButtons([{ type: 'OTP', otp_type: 'COPY_CODE' }]),
  },
  // authentication
  {
    rule: 'authentication-header',
    component: 'HEADER',
    input: auth([{ type: 'HEADER', format: 'TEXT', text: 'Your code' }, AUTH_BODY, COPY_CODE_OTP]),
  },
  {
    rule: 'authentication-body',
    component: 'BODY',
    input: auth([{ type: 'BODY', text: 'Your code is {{1}}.' }, COPY_CODE_OTP]),
  },
  { rule: 'authentication-buttons', component: 'BUTTONS', input: auth([AUTH_BODY]) },
  {
    rule: 'code-expiration-range',
    component: 'FOOTER',
    input: auth([AUTH_BODY, { type: 'FOOTER', code_expiration_minutes: 120 }, COPY_CODE_OTP]),
  },
  { rule: 'otp-type', component: 'BUTTONS[0]', input: auth([AUTH_BODY, otp({ otp_type: 'TWO_TAP' })]) },
  { rule: 'otp-app-missing', component: 'BUTTONS[0]', input: auth([AUTH_BODY, oneTap({})]) },
  {
    rule: 'otp-package-name',
    component: 'BUTTONS[0]',
    input: auth([AUTH_BODY, oneTap({ package_name: 'luckyshrub', signature_hash: 'K8a/AINcGX7' })]),
  },
  {
    rule: 'otp-signature-hash',
    component: 'BUTTONS[0]',
    input: auth([AUTH_BODY, oneTap({ package_name: 'com.example.shop', signature_hash: 'short' })]),
  },
  {
    rule: 'zero-tap-terms',
    component: 'BUTTONS[0]',
    input: auth([
      AUTH_BODY,
      otp({ otp_type: 'ZERO_TAP', package_name: 'com.example.shop', signature_hash: 'K8a/AINcGX7' }),
    ]),
  },
];

const found = (input: unknown): string[][] => {
  const result = lintTemplate(input);
  return result.ok ? [] : result.problems.map((p) => [p.component, p.rule]);
};

describe('lintTemplate: one row per rule', () => {
  it('covers every rule in LINT_RULES', () => {
    expect(new Set(ROWS.map((r) => r.rule))).toEqual(new Set(LINT_RULES));
  });

  it.each(ROWS.map((row) => [row.rule, row] as const))('%s', (_rule, row) => {
    const expected = [[row.component, row.rule], ...(row.also ?? []).map(([c, r]) => [c, r])];
    expect(found(row.input).sort()).toEqual(expected.sort());
  });

  it('writes messages that name the limit and what was sent', () => {
    const result = lintTemplate(template([body('a'.repeat(1100))]));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]?.message).toBe('Body text is limited to 1,024 characters; this one has 1,100.');
    const name = lintTemplate(template([OK_BODY], { name: 'Order Update!' }));
    expect(name.ok ? '' : name.problems[0]?.message).toContain('Try "order_update"');
    const type = lintTemplate(template([{ type: 'body', text: 'Hello there.' }]));
    expect(type.ok ? '' : type.problems.map((p) => p.message).join(' ')).toContain('write it in uppercase: "BODY"');
  });
});

describe('lintTemplate: valid templates', () => {
  const valid: readonly (readonly [string, unknown])[] = [
    ['a body without variables', template([body('Your order is ready for pickup.')])],
    ['a repeated positional variable', template([body('Hi {{1}}! Yes, {{1}}, your order is ready.', ['Ana'])])],
    ['variables followed by punctuation', template([body('Your code is {{1}}.', ['123'])])],
    [
      'a named template with header, body and URL variables',
      named([
        {
          type: 'HEADER',
          format: 'TEXT',
          text: 'Order {{order_id}} update',
          example: { header_text_named_params: [{ param_name: 'order_id', example: '1234' }] },
        },
        namedBody('Thank you, {{first_name}}! Your order number is {{order_number}}.', [
          ['order_number', '860198-230332'],
          ['first_name', 'Pablo'],
        ]),
        { type: 'BUTTONS', buttons: [url('https://shop.example.com/order?id={{order_id}}', ['1234'])] },
      ]),
    ],
    [
      'quick replies after call-to-action buttons',
      withButtons([url('https://shop.example.com'), phone('+15550051310'), qr('Stop promotions'), qr('Stop all')]),
    ],
    ['a copy code button in a marketing template', withButtons([{ type: 'COPY_CODE', example: 'SUMMER2026' }])],
    ['a VIDEO header', header({ format: 'VIDEO', example: { header_handle: ['4::aW...'] } })],
    [
      'a zero-tap authentication template',
      auth([
        AUTH_BODY,
        { type: 'FOOTER', code_expiration_minutes: 90 },
        otp({
          otp_type: 'ZERO_TAP',
          text: 'Copy code',
          autofill_text: 'Autofill',
          package_name: 'com.example.shop',
          signature_hash: 'K8a/AINcGX7',
          zero_tap_terms_accepted: true,
        }),
      ]),
    ],
    ['a template Meta may recategorise', { ...(template([OK_BODY]) as object), allow_category_change: true }],
  ];
  it.each(valid)('%s lints clean', (_label, input) => {
    expect(found(input)).toEqual([]);
  });

  it('returns the input itself, typed, on success', () => {
    const input = template([OK_BODY]);
    const result = lintTemplate(input);
    expect(result).toEqual({ ok: true, template: input });
  });
});

describe("lintTemplate: Meta's example creation requests", () => {
  // The repository's copy of Meta's examples (adapters/whatsapp-cloud/__fixtures__/meta-cloud-api), read as files.
  const dir = new URL(
    '../../adapters/whatsapp-cloud/__fixtures__/meta-cloud-api/examples/message-templates/post/requests/',
    import.meta.url,
  );
  const files = readdirSync(fileURLToPath(dir)).filter((f) => f.endsWith('.json'));
  /** Examples using components Parlo does not model: they must be refused with a problem, not crash. */
  const SKIPPED: Readonly<Record<string, string>> = {
    'create-flow-template-message-by-flow-json.json': 'FLOW button',
    'create-flow-template-message-by-id.json': 'FLOW button',
    'create-flow-template-message-by-name.json': 'FLOW button',
    'create-multi-product-message-template.json': 'MPM button',
  };
  const read = (file: string): unknown => JSON.parse(readFileSync(new URL(file, dir), 'utf8'));

  it('finds the examples', () => {
    expect(files.length).toBeGreaterThanOrEqual(11);
  });

  it.each(files.filter((f) => SKIPPED[f] === undefined))('%s lints clean', (file) => {
    expect(lintTemplate(read(file))).toEqual({ ok: true, template: read(file) });
  });

  it.each(Object.keys(SKIPPED))('%s (not modelled) is refused as an unknown button type', (file) => {
    expect(found(read(file)).map(([, rule]) => rule)).toContain('unknown-button-type');
  });
});

describe('lintTemplate: reporting', () => {
  it('reports every problem at once', () => {
    const input = {
      name: 'Spring Sale',
      language: 'english',
      category: 'MARKETING',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Our {{1}} sale is on and it is the biggest sale of the whole year!' },
        body(`{{1}}, ${'x'.repeat(1030)}`, ['Ana']),
        { type: 'FOOTER', text: 'Use code {{1}}' },
        {
          type: 'BUTTONS',
          buttons: [qr('Yes'), url('https://shop.example.com/{{1}}'), qr('No thanks, maybe some other time')],
        },
      ],
    };
    expect(found(input).sort()).toEqual(
      [
        ['name', 'name-pattern'],
        ['language', 'language-pattern'],
        ['HEADER', 'header-text-too-long'],
        ['HEADER', 'header-example-missing'],
        ['BODY', 'body-too-long'],
        ['BODY', 'variable-at-edge'],
        ['FOOTER', 'footer-variables'],
        ['BUTTONS[1]', 'url-example-missing'],
        ['BUTTONS[2]', 'button-text-too-long'],
        ['BUTTONS', 'button-grouping'],
      ].sort(),
    );
  });

  it.each([
    ['null', null],
    ['a string', 'hello_world'],
    ['an array', [{ type: 'BODY', text: 'Hi' }]],
    ['a number', 7],
    ['undefined', undefined],
  ])('refuses %s as not-an-object', (_label, input) => {
    expect(found(input)).toEqual([['template', 'not-an-object']]);
  });

  it('lists what an empty object lacks', () => {
    expect(found({}).sort()).toEqual(
      [
        ['name', 'name-required'],
        ['language', 'language-required'],
        ['category', 'category-invalid'],
        ['components', 'components-missing'],
      ].sort(),
    );
  });

  it.each([
    ['components of the wrong shapes', template([null, [], 'BODY', 3, { type: 42 }])],
    ['a body whose text is a number', template([{ type: 'BODY', text: 12, example: 'x' }])],
    [
      'examples of the wrong shapes',
      template([{ type: 'BODY', text: 'Hi {{1}}, ok.', example: { body_text: 'Ana' } }]),
    ],
    [
      'named examples of the wrong shapes',
      named([{ type: 'BODY', text: 'Hi {{a}}, ok.', example: { body_text_named_params: [1, null, {}] } }]),
    ],
    ['buttons of the wrong shapes', template([OK_BODY, { type: 'BUTTONS', buttons: { type: 'QUICK_REPLY' } }])],
    ['a button with numbers for strings', withButtons([{ type: 'URL', text: 5, url: 6, example: 7 }])],
    [
      'an OTP button with numbers for strings',
      auth([AUTH_BODY, oneTap({ package_name: 1, signature_hash: 2, text: 3 })]),
    ],
  ])('reports %s as problems, never throwing', (_label, input) => {
    expect(() => lintTemplate(input)).not.toThrow();
    expect(lintTemplate(input).ok).toBe(false);
  });
});

describe('parseVariables and templateVariables', () => {
  it('finds placeholders with their positions', () => {
    expect(parseVariables('Hi {{1}}, order {{order_id}}')).toEqual([
      { name: '1', start: 3, end: 8 },
      { name: 'order_id', start: 16, end: 28 },
    ]);
  });

  it('lists header, body and URL button variables in order of first appearance', () => {
    const definition: TemplateDefinition = {
      name: 'order_update',
      language: 'en',
      category: 'UTILITY',
      components: [
        { type: 'HEADER', format: 'TEXT', text: 'Order {{1}}', example: { header_text: ['12'] } },
        { type: 'BODY', text: 'Hi {{2}}, {{1}} and {{2}} again.', example: { body_text: [['a', 'b']] } },
        {
          type: 'BUTTONS',
          buttons: [
            { type: 'QUICK_REPLY', text: 'Stop' },
            { type: 'URL', text: 'Track', url: 'https://t.example.com/{{1}}', example: ['x'] },
            { type: 'URL', text: 'Help', url: 'https://t.example.com/help' },
          ],
        },
      ],
    };
    expect(templateVariables(definition)).toEqual({
      header: ['1'],
      body: ['2', '1'],
      buttons: [{ index: 1, variables: ['1'] }],
    });
  });

  it("gives an authentication template's body the code variable 1", () => {
    const definition: TemplateDefinition = {
      name: 'login_code',
      language: 'en',
      category: 'AUTHENTICATION',
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] },
      ],
    };
    expect(templateVariables(definition)).toEqual({ header: [], body: ['1'], buttons: [] });
  });
});
