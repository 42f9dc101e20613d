/**
 * Shared fixtures of the send-validator tests: valid bodies per message type, the simulator lookups they need,
 * a `patch` helper to break one field at a time, and the table runner for rejections.
 */
import { describe, expect, it } from 'vitest';
import { GRAPH_ERROR_CATALOG } from '../graph-error.ts';
import { validateSendRequest, type SendLookups, type TemplateInfo, type ValidatedMessage } from '../validate-send.ts';

export type Json = Record<string, unknown>;

export const TO = '16505551234';
export const MEDIA_ID = '1013859600285441';
export const WAMID = 'wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=';

export const TEMPLATE_BASE: TemplateInfo = {
  status: 'APPROVED',
  category: 'UTILITY',
  parameterFormat: 'positional',
  headerParamCount: 0,
  bodyParamNames: [],
  bodyParamCount: 0,
  buttons: [],
};

/** name|language → template. */
export const TEMPLATES: Record<string, TemplateInfo> = {
  'order_update|en_US': {
    ...TEMPLATE_BASE,
    headerFormat: 'TEXT',
    headerParamCount: 1,
    bodyParamCount: 2,
    buttons: [
      { index: 0, subType: 'url', paramCount: 1 },
      { index: 1, subType: 'quick_reply', paramCount: 1 },
      { index: 2, subType: 'phone_number', paramCount: 0 },
    ],
  },
  'promo_image|en': {
    ...TEMPLATE_BASE,
    category: 'MARKETING',
    headerFormat: 'IMAGE',
    headerParamCount: 1,
    bodyParamCount: 1,
  },
  'store_location|en': { ...TEMPLATE_BASE, headerFormat: 'LOCATION', headerParamCount: 1 },
  'welcome_named|en_US': {
    ...TEMPLATE_BASE,
    category: 'MARKETING',
    parameterFormat: 'named',
    bodyParamNames: ['first_name', 'order_id'],
    bodyParamCount: 2,
  },
  'otp_code|en': {
    ...TEMPLATE_BASE,
    category: 'AUTHENTICATION',
    bodyParamCount: 1,
    buttons: [{ index: 0, subType: 'copy_code', paramCount: 1 }],
  },
  'paused_tpl|en': { ...TEMPLATE_BASE, status: 'PAUSED' },
  'disabled_tpl|en': { ...TEMPLATE_BASE, status: 'DISABLED' },
  'pending_tpl|en': { ...TEMPLATE_BASE, status: 'PENDING' },
  'rejected_tpl|en': { ...TEMPLATE_BASE, status: 'REJECTED' },
};

export const lookups: SendLookups = {
  template: (name, code) => TEMPLATES[`${name}|${code}`],
  mediaExists: (id) => id === MEDIA_ID,
};

export const msg = (type: string, object: unknown, extra: Json = {}): Json => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to: TO,
  type,
  [type]: object,
  ...extra,
});

export const interactive = (object: Json): Json => msg('interactive', object);

export const rows = (prefix: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `${prefix}-${i}`, title: `Row ${prefix}${i}`, description: 'desc' }));

export const VALID = {
  text: msg('text', { body: 'hello', preview_url: false }),
  image: msg('image', { link: 'https://example.com/a.jpg', caption: 'a picture' }),
  document: msg('document', { id: MEDIA_ID, filename: 'invoice.pdf', caption: 'your invoice' }),
  audio: msg('audio', { id: MEDIA_ID }),
  sticker: msg('sticker', { link: 'https://example.com/s.webp' }),
  location: msg('location', { latitude: 37.758056, longitude: -122.425332, name: 'META HQ', address: '1 Hacker Way' }),
  contacts: msg('contacts', [
    { name: { formatted_name: 'John Smith', first_name: 'John' }, phones: [{ phone: '+1' }] },
  ]),
  reaction: msg('reaction', { message_id: WAMID, emoji: '😀' }),
  button: interactive({
    type: 'button',
    header: { type: 'text', text: 'Header' },
    body: { text: 'Pick one' },
    footer: { text: 'Footer' },
    action: {
      buttons: [
        { type: 'reply', reply: { id: 'yes', title: 'Yes' } },
        { type: 'reply', reply: { id: 'no', title: 'No' } },
      ],
    },
  }),
  list: interactive({
    type: 'list',
    header: { type: 'text', text: 'Menu' },
    body: { text: 'Choose' },
    footer: { text: 'Thanks' },
    action: {
      button: 'Options',
      sections: [
        { title: 'First', rows: rows('a', 2) },
        { title: 'Second', rows: rows('b', 2) },
      ],
    },
  }),
  ctaUrl: interactive({
    type: 'cta_url',
    header: { type: 'image', image: { link: 'https://example.com/h.png' } },
    body: { text: 'See our site' },
    action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'https://example.com' } },
  }),
  flow: interactive({
    type: 'flow',
    body: { text: 'Book' },
    action: { name: 'flow', parameters: { flow_message_version: '3', flow_cta: 'Book!', flow_id: '123' } },
  }),
  product: interactive({ type: 'product', action: { catalog_id: '1', product_retailer_id: 'sku-1' } }),
  productList: interactive({
    type: 'product_list',
    header: { type: 'text', text: 'Our picks' },
    body: { text: 'Have a look' },
    action: { catalog_id: '1', sections: [{ title: 'Hot', product_items: [{ product_retailer_id: 'sku-1' }] }] },
  }),
  catalogMessage: interactive({
    type: 'catalog_message',
    body: { text: 'Browse' },
    action: { name: 'catalog_message' },
  }),
  locationRequest: interactive({
    type: 'location_request_message',
    body: { text: 'Where are you?' },
    action: { name: 'send_location' },
  }),
  addressMessage: interactive({
    type: 'address_message',
    body: { text: 'Your address?' },
    action: { name: 'address_message', parameters: { country: 'IN' } },
  }),
  orderDetails: interactive({
    type: 'order_details',
    body: { text: 'Your order' },
    action: { name: 'review_and_pay', parameters: { reference_id: 'r1' } },
  }),
  orderStatus: interactive({
    type: 'order_status',
    body: { text: 'Shipped' },
    action: { name: 'review_order', parameters: { reference_id: 'r1' } },
  }),
  callPermission: interactive({
    type: 'call_permission_request',
    body: { text: 'May we call?' },
    action: { name: 'call_permission_request' },
  }),
  template: msg('template', {
    name: 'order_update',
    language: { code: 'en_US' },
    components: [
      { type: 'header', parameters: [{ type: 'text', text: 'Order 42' }] },
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Jessica' },
          { type: 'currency', currency: { fallback_value: '$100.99', code: 'USD', amount_1000: 100990 } },
        ],
      },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'order/42' }] },
      { type: 'button', sub_type: 'quick_reply', index: 1, parameters: [{ type: 'payload', payload: 'STOP' }] },
    ],
  }),
  imageTemplate: msg('template', {
    name: 'promo_image',
    language: { code: 'en' },
    components: [
      { type: 'header', parameters: [{ type: 'image', image: { id: MEDIA_ID } }] },
      { type: 'body', parameters: [{ type: 'date_time', date_time: { fallback_value: 'February 25, 1977' } }] },
    ],
  }),
  namedTemplate: msg('template', {
    name: 'welcome_named',
    language: { code: 'en_US' },
    components: [
      {
        type: 'body',
        parameters: [
          { type: 'text', parameter_name: 'order_id', text: 'A-1042' },
          { type: 'text', parameter_name: 'first_name', text: 'Jessica' },
        ],
      },
    ],
  }),
  markRead: { messaging_product: 'whatsapp', status: 'read', message_id: WAMID },
} satisfies Record<string, Json>;

/**
 * A deep copy of `body` with the value at `path` (`a.b[0].c`) replaced, or removed when `value` is `undefined`.
 * Intermediate objects and arrays are created as needed.
 */
export function patch(body: Json, path: string, value: unknown): Json {
  const out = structuredClone(body);
  const keys = path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  let node: Record<string | number, unknown> = out;
  for (const [i, key] of keys.entries()) {
    if (i === keys.length - 1) {
      if (value === undefined) {
        if (Array.isArray(node) && typeof key === 'number') node.splice(key, 1);
        else delete node[key];
      } else {
        node[key] = value;
      }
      break;
    }
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = typeof keys[i + 1] === 'number' ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  }
  return out;
}

export function accepted(body: unknown): ValidatedMessage {
  const result = validateSendRequest(body, lookups);
  if (!result.ok) expect.fail(`rejected: ${result.error.code} ${result.error.details ?? ''}`);
  if (result.kind !== 'message') expect.fail('expected a message');
  return result;
}

export interface Reject {
  name: string;
  body: unknown;
  code: number;
  /** A substring of `details`; every `details` must also start with the offending path (checked separately). */
  details: string;
  message?: string;
}

export const long = (n: number) => 'x'.repeat(n);

/** Runs a rejection table: exact code, HTTP status and `details` substring, and a field path leading `details`. */
export function describeRejects(title: string, rejects: readonly Reject[]): void {
  describe(title, () => {
    it.each(rejects)('$name → $code', ({ body, code, details, message }) => {
      const result = validateSendRequest(body, lookups);
      if (result.ok) expect.fail('accepted');
      expect(result.error.code).toBe(code);
      expect(result.error.details).toContain(details);
      expect(result.error.httpStatus).toBe(GRAPH_ERROR_CATALOG[code]?.httpStatus);
      expect(result.error.type).toBe('OAuthException');
      if (message !== undefined) expect(result.error.message).toBe(message);
      else if (code !== 100) expect(result.error.message).toBe(`(#${code}) ${GRAPH_ERROR_CATALOG[code]?.title}`);
    });

    it.each(rejects)('$name: details start with the offending field', ({ body }) => {
      const result = validateSendRequest(body, lookups);
      if (result.ok) expect.fail('accepted');
      // A field path (`interactive.action.buttons[3]`), or Meta's component prefix (`body`, `header`, `buttons`).
      expect(result.error.details).toMatch(/^[a-z_]+[A-Za-z0-9_.[\]]*: \S/);
    });
  });
}
