import { describe, expect, it } from 'vitest';
import {
  accepted,
  describeRejects,
  MEDIA_ID,
  msg,
  patch,
  VALID,
  type Json,
  type Reject,
} from './__fixtures__/send-bodies.ts';

describe('template messages: accepted', () => {
  it('templates: reports name, language and category; leaves out optional quick-reply components', () => {
    const result = accepted(patch(VALID.template, 'template.components[3]', undefined));
    expect(result).toMatchObject({
      isTemplate: true,
      templateName: 'order_update',
      templateLanguage: 'en_US',
      templateCategory: 'UTILITY',
    });
  });

  it('templates: uppercase types as the real API does, normalized to lowercase', () => {
    const body = patch(
      patch(VALID.template, 'template.components[1].type', 'BODY'),
      'template.components[1].parameters[0].type',
      'TEXT',
    );
    const result = accepted(patch(body, 'template.components[2].sub_type', 'URL'));
    const template = result.body.template as { components: Json[] };
    expect(template.components[1]).toMatchObject({ type: 'body' });
    expect((template.components[1]?.parameters as Json[])[0]).toEqual({ type: 'text', text: 'Jessica' });
    expect(template.components[2]).toMatchObject({ sub_type: 'url', index: '0' });
    expect(template.components[3]).toMatchObject({ index: '1' });
  });

  it('templates: named parameters in any order, a location header, a copy-code button', () => {
    expect(accepted(VALID.namedTemplate).templateCategory).toBe('MARKETING');
    accepted(
      msg('template', {
        name: 'store_location',
        language: { code: 'en' },
        components: [
          {
            type: 'header',
            parameters: [{ type: 'location', location: { latitude: '37.48', longitude: -122.14, name: 'Store' } }],
          },
        ],
      }),
    );
    accepted(
      msg('template', {
        name: 'otp_code',
        language: { code: 'en' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: '123456' }] },
          {
            type: 'button',
            sub_type: 'copy_code',
            index: '0',
            parameters: [{ type: 'coupon_code', coupon_code: 'A1' }],
          },
        ],
      }),
    );
  });
});

const REJECTS: Reject[] = [
  // ---- template: envelope and lookup ----
  {
    name: 'a template without name',
    body: patch(VALID.template, 'template.name', undefined),
    code: 131008,
    details: 'template.name: Required',
  },
  {
    name: 'a template without language',
    body: patch(VALID.template, 'template.language', undefined),
    code: 131008,
    details: 'template.language: Required',
  },
  {
    name: 'a template without language code',
    body: patch(VALID.template, 'template.language.code', undefined),
    code: 131008,
    details: 'template.language.code: Required',
  },
  {
    name: 'an unexpected key in template',
    body: patch(VALID.template, 'template.params', []),
    code: 100,
    details: 'template.params: Unexpected key',
  },
  {
    name: 'an unknown template',
    body: patch(VALID.template, 'template.name', 'nope'),
    code: 132001,
    details: 'template name (nope) does not exist in en_US',
  },
  {
    name: 'a template in a language it lacks',
    body: patch(VALID.template, 'template.language.code', 'fr'),
    code: 132001,
    details: 'template name (order_update) does not exist in fr',
  },
  {
    name: 'a pending template',
    body: msg('template', { name: 'pending_tpl', language: { code: 'en' } }),
    code: 132001,
    details: 'template name (pending_tpl) in en is not approved (status PENDING)',
  },
  {
    name: 'a rejected template',
    body: msg('template', { name: 'rejected_tpl', language: { code: 'en' } }),
    code: 132001,
    details: 'status REJECTED',
  },
  {
    name: 'a paused template',
    body: msg('template', { name: 'paused_tpl', language: { code: 'en' } }),
    code: 132015,
    details: 'template name (paused_tpl) in en is paused',
  },
  {
    name: 'a disabled template',
    body: msg('template', { name: 'disabled_tpl', language: { code: 'en' } }),
    code: 132016,
    details: 'template name (disabled_tpl) in en is disabled',
  },
  {
    name: 'components that are not an array',
    body: patch(VALID.template, 'template.components', {}),
    code: 100,
    details: 'template.components: must be an array',
  },
  {
    name: 'a footer component',
    body: patch(VALID.template, 'template.components[0].type', 'footer'),
    code: 100,
    details: 'template.components[0].type: must be one of header, body, button',
  },
  {
    name: 'two body components',
    body: patch(VALID.template, 'template.components[0].type', 'body'),
    code: 131009,
    details: 'template.components[1].type: a template takes at most one body component',
  },
  // ---- template: counts and formats ----
  {
    name: 'too few body parameters',
    body: patch(VALID.template, 'template.components[1].parameters[1]', undefined),
    code: 132000,
    details: 'body: number of localizable_params (1) does not match the expected number of params (2)',
  },
  {
    name: 'no body component',
    body: patch(VALID.template, 'template.components[1]', undefined),
    code: 132000,
    details: 'body: number of localizable_params (0) does not match the expected number of params (2)',
  },
  {
    name: 'no header parameter for a TEXT header with a variable',
    body: patch(VALID.template, 'template.components[0].parameters', []),
    code: 132000,
    details: 'header: number of localizable_params (0) does not match the expected number of params (1)',
  },
  {
    name: 'an image parameter in a TEXT header',
    body: patch(VALID.template, 'template.components[0].parameters[0]', { type: 'image', image: { id: MEDIA_ID } }),
    code: 132012,
    details: 'header: Format mismatch, expected TEXT, received IMAGE',
  },
  {
    name: 'no header for an IMAGE-header template',
    body: patch(VALID.imageTemplate, 'template.components[0]', undefined),
    code: 132012,
    details: 'header: Format mismatch, expected IMAGE, received UNKNOWN',
  },
  {
    name: 'a text parameter for an IMAGE header',
    body: patch(VALID.imageTemplate, 'template.components[0].parameters[0]', { type: 'text', text: 'x' }),
    code: 132012,
    details: 'header: Format mismatch, expected IMAGE, received TEXT',
  },
  {
    name: 'a header parameter for a template without header',
    body: msg('template', {
      name: 'otp_code',
      language: { code: 'en' },
      components: [
        { type: 'header', parameters: [{ type: 'text', text: 'x' }] },
        { type: 'body', parameters: [{ type: 'text', text: '1' }] },
        { type: 'button', sub_type: 'copy_code', index: 0, parameters: [{ type: 'coupon_code', coupon_code: 'A' }] },
      ],
    }),
    code: 132000,
    details: 'header: number of localizable_params (1) does not match the expected number of params (0)',
  },
  {
    name: 'an image header parameter without id or link',
    body: patch(VALID.imageTemplate, 'template.components[0].parameters[0].image', {}),
    code: 131008,
    details: 'template.components[0].parameters[0].image: either id or link is required',
  },
  {
    name: 'an image header parameter with a bad link',
    body: patch(VALID.imageTemplate, 'template.components[0].parameters[0].image', { link: 'http(s)://x' }),
    code: 132012,
    details: 'template.components[0].parameters[0].image.link:',
  },
  {
    name: 'an image header parameter with an unknown media id',
    body: patch(VALID.imageTemplate, 'template.components[0].parameters[0].image.id', '42'),
    code: 131053,
    details: 'template.components[0].parameters[0].image.id: media id 42 does not exist',
  },
  {
    name: 'a missing component for a dynamic URL button',
    body: patch(VALID.template, 'template.components[2]', undefined),
    code: 131008,
    details: 'buttons: Button at index 0 of type Url requires a parameter',
  },
  {
    name: 'a missing component for a copy-code button',
    body: msg('template', {
      name: 'otp_code',
      language: { code: 'en' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: '1' }] }],
    }),
    code: 131008,
    details: 'buttons: Button at index 0 of type CopyCode requires a parameter',
  },
  {
    name: 'a URL button component without parameters',
    body: patch(VALID.template, 'template.components[2].parameters', []),
    code: 132000,
    details: 'buttons: number of localizable_params (0) does not match the expected number of params (1)',
  },
  {
    name: 'a button component for a position the template lacks',
    body: patch(VALID.template, 'template.components[3].index', '5'),
    code: 132000,
    details: 'buttons: button at index 5: the template has no button at index 5',
  },
  {
    name: 'parameters for a phone-number button',
    body: patch(VALID.template, 'template.components[3]', {
      type: 'button',
      sub_type: 'phone_number',
      index: '2',
      parameters: [{ type: 'text', text: '1' }],
    }),
    code: 132000,
    details: 'buttons: number of localizable_params (1) does not match the expected number of params (0)',
  },
  {
    name: 'a button component of the wrong sub_type',
    body: patch(VALID.template, 'template.components[2].sub_type', 'quick_reply'),
    code: 132012,
    details: 'buttons: button at index 0 is of type Url, the request sends QuickReply',
  },
  {
    name: 'an unknown button sub_type',
    body: patch(VALID.template, 'template.components[2].sub_type', 'voice_call'),
    code: 100,
    details: 'template.components[2].sub_type: must be one of quick_reply, url',
  },
  {
    name: 'a button component without index',
    body: patch(VALID.template, 'template.components[2].index', undefined),
    code: 131008,
    details: 'template.components[2].index: Required',
  },
  {
    name: 'a button index that is not a position',
    body: patch(VALID.template, 'template.components[2].index', 'first'),
    code: 131009,
    details: 'template.components[2].index: must be a button position from 0 to 9',
  },
  {
    name: 'two components for the same button',
    body: patch(VALID.template, 'template.components[3].index', '0'),
    code: 131009,
    details: 'template.components[3].index: more than one button component for index 0',
  },
  {
    name: 'a payload parameter for a URL button',
    body: patch(VALID.template, 'template.components[2].parameters[0]', { type: 'payload', payload: 'x' }),
    code: 132012,
    details: 'template.components[2].parameters[0].type: parameters of type payload are not allowed in a Url button',
  },
  // ---- template: parameter shapes ----
  {
    name: 'a text parameter without text',
    body: patch(VALID.template, 'template.components[1].parameters[0].text', undefined),
    code: 131008,
    details: 'template.components[1].parameters[0].text: Parameter of type text is missing text value',
  },
  {
    name: 'a text parameter with an object value',
    body: patch(VALID.template, 'template.components[1].parameters[0].text', { value: 'x' }),
    code: 132012,
    details: 'template.components[1].parameters[0].text: must be a string',
  },
  {
    name: 'a parameter of unknown type',
    body: patch(VALID.template, 'template.components[1].parameters[0].type', 'emoji'),
    code: 132012,
    details: 'template.components[1].parameters[0].type: unknown parameter type "emoji"',
  },
  {
    name: 'a parameter without type',
    body: patch(VALID.template, 'template.components[1].parameters[0].type', undefined),
    code: 131008,
    details: 'template.components[1].parameters[0].type: Required',
  },
  {
    name: 'an image parameter in the body',
    body: patch(VALID.template, 'template.components[1].parameters[0]', { type: 'image', image: { id: MEDIA_ID } }),
    code: 132012,
    details: 'template.components[1].parameters[0].type: parameters of type image are not allowed in the body',
  },
  {
    name: 'a currency without amount_1000',
    body: patch(VALID.template, 'template.components[1].parameters[1].currency.amount_1000', undefined),
    code: 131008,
    details: 'template.components[1].parameters[1].currency.amount_1000: Required',
  },
  {
    name: 'a currency with a non-ISO code',
    body: patch(VALID.template, 'template.components[1].parameters[1].currency.code', 'DOLLAR'),
    code: 132012,
    details: 'template.components[1].parameters[1].currency.code: must be an ISO 4217 currency code',
  },
  {
    name: 'a fractional amount_1000',
    body: patch(VALID.template, 'template.components[1].parameters[1].currency.amount_1000', 1.5),
    code: 132012,
    details: 'template.components[1].parameters[1].currency.amount_1000: must be an integer',
  },
  {
    name: 'a currency that is not an object',
    body: patch(VALID.template, 'template.components[1].parameters[1].currency', '$100'),
    code: 132012,
    details: 'template.components[1].parameters[1].currency: must be an object',
  },
  {
    name: 'a numeric currency fallback_value',
    body: patch(VALID.template, 'template.components[1].parameters[1].currency.fallback_value', 100),
    code: 132012,
    details: 'template.components[1].parameters[1].currency.fallback_value: must be a string',
  },
  {
    name: 'a date_time without fallback_value',
    body: patch(VALID.imageTemplate, 'template.components[1].parameters[0].date_time', { year: 1977 }),
    code: 131008,
    details: 'template.components[1].parameters[0].date_time.fallback_value: Required',
  },
  // ---- template: named vs positional ----
  {
    name: 'a named-template parameter without parameter_name',
    body: patch(VALID.namedTemplate, 'template.components[0].parameters[0].parameter_name', undefined),
    code: 132000,
    details: 'template.components[0].parameters[0].parameter_name: every body parameter of a template with named',
  },
  {
    name: 'named parameters that do not match the template',
    body: patch(VALID.namedTemplate, 'template.components[0].parameters[0].parameter_name', 'order_number'),
    code: 132000,
    details: 'body: parameter names do not match the template',
  },
  {
    name: 'a named parameter given twice',
    body: patch(VALID.namedTemplate, 'template.components[0].parameters[1].parameter_name', 'order_id'),
    code: 132000,
    details: 'template.components[0].parameters[1].parameter_name: "order_id" is given more than once',
  },
  {
    name: 'a named parameter missing',
    body: patch(VALID.namedTemplate, 'template.components[0].parameters[1]', undefined),
    code: 132000,
    details: 'missing first_name',
  },
  {
    name: 'parameter_name in a positional template',
    body: patch(VALID.template, 'template.components[1].parameters[0].parameter_name', 'first_name'),
    code: 132000,
    details: 'template.components[1].parameters[0].parameter_name: the template uses positional parameters',
  },
];

describeRejects('template messages: rejected', REJECTS);
