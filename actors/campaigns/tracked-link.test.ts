import { describe, expect, it } from 'vitest';
import type { TemplateDefinition } from '../templates/template.types.ts';
import {
  destinationProblems,
  isFixedDestination,
  linkValuesOf,
  resolveDestination,
  trackedButtonProblem,
  trackedButtonUrl,
  withClickTokens,
} from './tracked-link.ts';

const BASE = 'https://parlo.example.com';

function template(urls: readonly string[], quickReplyFirst = false): TemplateDefinition {
  return {
    name: 'spring_promo',
    language: 'it',
    category: 'MARKETING',
    components: [
      { type: 'BODY', text: 'Ciao!' },
      {
        type: 'BUTTONS',
        buttons: [
          ...(quickReplyFirst ? [{ type: 'QUICK_REPLY' as const, text: 'Stop' }] : []),
          ...urls.map((url) => ({ type: 'URL' as const, text: 'Apri', url, example: ['abc'] })),
        ],
      },
    ],
  };
}

describe('destinations', () => {
  it.each([
    ['https://shop.example/cart?x=1', []],
    ['http://shop.example', []],
    ['https://shop.example/c/{{contact.cart_id}}?utm_source=wa', []],
    ['https://shop.example/?n={{ contact.first_name | amico }}', []],
    ['https://shop.example#{{contact.name}}', []],
    ['ftp://shop.example/x', ['must be a full http:// or https:// URL; got "ftp://shop.example/x"']],
    ['javascript:alert(1)', ['must be a full http:// or https:// URL; got "javascript:alert(1)"']],
    ['shop.example/cart', ['must be a full http:// or https:// URL; got "shop.example/cart"']],
    ['https://shop.example/a b', ['must be a full http:// or https:// URL; got "https://shop.example/a b"']],
    ['https://{{contact.domain}}/x', ['may read contact fields only after its host (in the path, query or fragment)']],
    [
      'https://shop.example{{contact.x}}/',
      ['may read contact fields only after its host (in the path, query or fragment)'],
    ],
    [
      'https://shop.example/?x={{1}}',
      ['has braces that are no {{contact.field}} or {{contact.field|fallback}} placeholder'],
    ],
    [
      'https://shop.example/?x={{contact.Name}}',
      ['has braces that are no {{contact.field}} or {{contact.field|fallback}} placeholder'],
    ],
    [`https://shop.example/${'a'.repeat(1_980)}`, ['is 2001 characters; at most 2000']],
  ])('%s → %j', (destination, problems) => {
    expect(destinationProblems(destination)).toEqual(problems);
  });

  it('fill contact values percent-encoded, the fallback (or nothing) for a missing one', () => {
    const destination = 'https://shop.example/c/{{contact.cart_id}}?n={{contact.first_name|amico}}&t={{contact.tier}}';
    expect(isFixedDestination(destination)).toBe(false);
    expect(isFixedDestination('https://shop.example/x?y=1')).toBe(true);
    const buttons = [{ button: 0, destination }];
    const values = linkValuesOf(buttons, { cart_id: 'A/1 & 2', first_name: '  ', tier: 3, name: 'Ada' });
    expect(values).toEqual({ cart_id: 'A/1 & 2', tier: '3' });
    expect(resolveDestination(destination, values)).toBe('https://shop.example/c/A%2F1%20%26%202?n=amico&t=3');
    expect(resolveDestination(destination, undefined)).toBe('https://shop.example/c/?n=amico&t=');
    expect(linkValuesOf([{ button: 0, destination: 'https://shop.example/' }], { cart_id: 'x' })).toBeUndefined();
    expect(linkValuesOf(undefined, {})).toBeUndefined();
  });
});

describe('the template of a tracked button', () => {
  it('must open the redirect with its variable at the end', () => {
    expect(trackedButtonUrl(`${BASE}/`)).toBe(`${BASE}/r/{{1}}`);
    expect(trackedButtonProblem(template([`${BASE}/r/{{1}}`]), 0, BASE)).toBeNull();
    expect(trackedButtonProblem(template([`${BASE}/R/{{ 1 }}`]), 0, `${BASE}/`)).toBeNull();
    expect(trackedButtonProblem(template(['https://x.example/{{1}}', `${BASE}/r/{{1}}`], true), 2, BASE)).toBeNull();
  });

  it.each([
    [
      template(['https://shop.example/{{1}}']),
      0,
      `button 0 of template spring_promo (it) opens https://shop.example/{{1}}; a tracked button's URL must be ${BASE}/r/{{1}} (Parlo's click redirect, its variable at the end)`,
    ],
    [template([`${BASE}/r/x`]), 0, `button 0 of template spring_promo (it) opens ${BASE}/r/x; a tracked button's URL`],
    [template([`${BASE}/r/{{1}}`], true), 0, 'button 0 of template spring_promo (it) is a QUICK_REPLY button'],
    [template([`${BASE}/r/{{1}}`]), 3, 'button 3 of template spring_promo (it) does not exist (the template has 1'],
  ])('refuses %#, naming the button and the URL to use', (definition, button, message) => {
    expect(trackedButtonProblem(definition, button, BASE)).toContain(message);
  });

  it('gets the click token as its variable, other buttons keep their values', () => {
    const values = { body: { '1': 'Ada' }, buttons: { 0: { '1': 'keep' } } };
    expect(withClickTokens(values, [{ button: 1, destination: 'https://x.example/' }], (b) => `t${b}`)).toEqual({
      body: { '1': 'Ada' },
      buttons: { 0: { '1': 'keep' }, 1: { '1': 't1' } },
    });
    expect(withClickTokens(values, [], () => 'x')).toBe(values);
  });
});
