import { describe, expect, it } from 'vitest';
import {
  accepted,
  describeRejects,
  long,
  MEDIA_ID,
  rows,
  VALID,
  patch,
  type Reject,
} from './__fixtures__/send-bodies.ts';

describe('interactive messages: accepted', () => {
  it.each(Object.entries(VALID).filter(([, body]) => 'interactive' in body))('a valid %s message', (_, body) => {
    accepted(body);
  });

  it('interactive: reports the interactive type', () => {
    expect(accepted(VALID.list).interactiveType).toBe('list');
  });
});

const fourButtons = [0, 1, 2, 3].map((i) => ({ type: 'reply', reply: { id: `b${i}`, title: `B${i}` } }));
const sections = (n: number) => Array.from({ length: n }, (_, i) => ({ title: `S${i}`, rows: rows(`s${i}`, 1) }));

const REJECTS: Reject[] = [
  // ---- interactive: common ----
  {
    name: 'interactive without type',
    body: patch(VALID.button, 'interactive.type', undefined),
    code: 131008,
    details: 'interactive.type: Required',
  },
  {
    name: 'an unknown interactive type',
    body: patch(VALID.button, 'interactive.type', 'carousel'),
    code: 100,
    details: 'interactive.type: must be one of button, list',
    message: `(#100) Param interactive['type'] must be one of {BUTTON, LIST, CTA_URL, PRODUCT, PRODUCT_LIST, CATALOG_MESSAGE, FLOW, LOCATION_REQUEST_MESSAGE, ADDRESS_MESSAGE, ORDER_DETAILS, ORDER_STATUS, CALL_PERMISSION_REQUEST} - got "carousel".`,
  },
  {
    name: 'an unexpected key in interactive',
    body: patch(VALID.button, 'interactive.templateId', 'x'),
    code: 100,
    details: 'interactive.templateId: Unexpected key "templateId" on param "interactive"',
  },
  {
    name: 'interactive without action',
    body: patch(VALID.button, 'interactive.action', undefined),
    code: 131008,
    details: 'interactive.action: Required',
  },
  // ---- interactive: reply buttons ----
  {
    name: 'four reply buttons',
    body: patch(VALID.button, 'interactive.action.buttons', fourButtons),
    code: 131009,
    details: 'interactive.action.buttons[3]: Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: 3',
  },
  {
    name: 'no reply buttons',
    body: patch(VALID.button, 'interactive.action.buttons', []),
    code: 131009,
    details: 'interactive.action.buttons: Invalid buttons count',
  },
  {
    name: 'missing buttons',
    body: patch(VALID.button, 'interactive.action.buttons', undefined),
    code: 131008,
    details: 'interactive.action.buttons: Required',
  },
  {
    name: 'duplicate button ids',
    body: patch(VALID.button, 'interactive.action.buttons[1].reply.id', 'yes'),
    code: 131009,
    details: 'interactive.action.buttons[1].reply.id: button ids must be unique',
  },
  {
    name: 'duplicate button titles',
    body: patch(VALID.button, 'interactive.action.buttons[1].reply.title', 'Yes'),
    code: 131009,
    details: 'interactive.action.buttons[1].reply.title: button titles must be unique',
  },
  {
    name: 'a button title over 20 characters',
    body: patch(VALID.button, 'interactive.action.buttons[0].reply.title', long(21)),
    code: 131009,
    details: 'interactive.action.buttons[0].reply.title: must be at most 20 characters',
  },
  {
    name: 'a button id over 256 characters',
    body: patch(VALID.button, 'interactive.action.buttons[0].reply.id', long(257)),
    code: 131009,
    details: 'interactive.action.buttons[0].reply.id: must be at most 256 characters',
  },
  {
    name: 'a button of type url',
    body: patch(VALID.button, 'interactive.action.buttons[0].type', 'url'),
    code: 131009,
    details: 'interactive.action.buttons[0].type: must be "reply"',
  },
  {
    name: 'a button without reply',
    body: patch(VALID.button, 'interactive.action.buttons[0].reply', undefined),
    code: 131008,
    details: 'interactive.action.buttons[0].reply: Required',
  },
  {
    name: 'reply buttons without body',
    body: patch(VALID.button, 'interactive.body', undefined),
    code: 131008,
    details: 'interactive.body: Required',
  },
  {
    name: 'a reply-button body over 1024 characters',
    body: patch(VALID.button, 'interactive.body.text', long(1025)),
    code: 131009,
    details: 'interactive.body.text: must be at most 1024 characters',
  },
  {
    name: 'a footer over 60 characters',
    body: patch(VALID.button, 'interactive.footer.text', long(61)),
    code: 131009,
    details: 'interactive.footer.text: must be at most 60 characters',
  },
  {
    name: 'a header text over 60 characters',
    body: patch(VALID.button, 'interactive.header.text', long(61)),
    code: 131009,
    details: 'interactive.header.text: must be at most 60 characters',
  },
  {
    name: 'an audio header',
    body: patch(VALID.button, 'interactive.header', { type: 'audio', audio: { id: MEDIA_ID } }),
    code: 100,
    details: 'interactive.header.audio: Unexpected key',
  },
  {
    name: 'a header of an unsupported type',
    body: patch(VALID.button, 'interactive.header', { type: 'audio' }),
    code: 131009,
    details: 'interactive.header.type: a button message header must be of type text or image or video or document',
  },
  {
    name: 'an image header without its media object',
    body: patch(VALID.button, 'interactive.header', { type: 'image' }),
    code: 131008,
    details: 'interactive.header.image: Required',
  },
  {
    name: 'a header media with a caption',
    body: patch(VALID.button, 'interactive.header', { type: 'image', image: { id: MEDIA_ID, caption: 'c' } }),
    code: 100,
    details: 'interactive.header.image.caption: Unexpected key',
  },
  // ---- interactive: list ----
  {
    name: 'a list button over 20 characters',
    body: patch(VALID.list, 'interactive.action.button', long(21)),
    code: 131009,
    details: 'interactive.action.button: must be at most 20 characters',
  },
  {
    name: 'a list without button',
    body: patch(VALID.list, 'interactive.action.button', undefined),
    code: 131008,
    details: 'interactive.action.button: Required',
  },
  {
    name: 'a list without sections',
    body: patch(VALID.list, 'interactive.action.sections', []),
    code: 131009,
    details: 'interactive.action.sections: a list message needs at least 1 section',
  },
  {
    name: 'a list with 11 sections',
    body: patch(VALID.list, 'interactive.action.sections', sections(11)),
    code: 131009,
    details: 'interactive.action.sections[10]: a list message has at most 10 sections',
  },
  {
    name: 'a list with 11 rows in total',
    body: patch(VALID.list, 'interactive.action.sections[1].rows', rows('b', 9)),
    code: 131009,
    details: 'interactive.action.sections[1].rows[8]: a list message has at most 10 rows in total',
  },
  {
    name: 'an untitled section when there are several',
    body: patch(VALID.list, 'interactive.action.sections[0].title', undefined),
    code: 131008,
    details: 'interactive.action.sections[0].title: Required',
  },
  {
    name: 'a section title over 24 characters',
    body: patch(VALID.list, 'interactive.action.sections[0].title', long(25)),
    code: 131009,
    details: 'interactive.action.sections[0].title: must be at most 24 characters',
  },
  {
    name: 'a section without rows',
    body: patch(VALID.list, 'interactive.action.sections[0].rows', []),
    code: 131009,
    details: 'interactive.action.sections[0].rows: a section needs at least 1 row',
  },
  {
    name: 'a row id over 200 characters',
    body: patch(VALID.list, 'interactive.action.sections[0].rows[0].id', long(201)),
    code: 131009,
    details: 'interactive.action.sections[0].rows[0].id: must be at most 200 characters',
  },
  {
    name: 'duplicate row ids across sections',
    body: patch(VALID.list, 'interactive.action.sections[1].rows[0].id', 'a-0'),
    code: 131009,
    details: 'interactive.action.sections[1].rows[0].id: row ids must be unique',
  },
  {
    name: 'a row title over 24 characters',
    body: patch(VALID.list, 'interactive.action.sections[0].rows[1].title', long(25)),
    code: 131009,
    details: 'interactive.action.sections[0].rows[1].title: must be at most 24 characters',
  },
  {
    name: 'a row description over 72 characters',
    body: patch(VALID.list, 'interactive.action.sections[0].rows[1].description', long(73)),
    code: 131009,
    details: 'interactive.action.sections[0].rows[1].description: must be at most 72 characters',
  },
  {
    name: 'a row without title',
    body: patch(VALID.list, 'interactive.action.sections[0].rows[1].title', undefined),
    code: 131008,
    details: 'interactive.action.sections[0].rows[1].title: Required',
  },
  {
    name: 'a list with an image header',
    body: patch(VALID.list, 'interactive.header', { type: 'image', image: { id: MEDIA_ID } }),
    code: 131009,
    details: 'interactive.header.type: a list message header must be of type text',
  },
  {
    name: 'a list body over 4096 characters',
    body: patch(VALID.list, 'interactive.body.text', long(4097)),
    code: 131009,
    details: 'interactive.body.text: must be at most 4096 characters',
  },
  // ---- interactive: cta_url ----
  {
    name: 'a CTA display_text over 20 characters',
    body: patch(VALID.ctaUrl, 'interactive.action.parameters.display_text', long(21)),
    code: 131009,
    details: 'interactive.action.parameters.display_text: must be at most 20 characters',
  },
  {
    name: 'a CTA url that is not http(s)',
    body: patch(VALID.ctaUrl, 'interactive.action.parameters.url', 'javascript:alert(1)'),
    code: 131009,
    details: 'interactive.action.parameters.url: "javascript:alert(1)" is not a valid http or https URL',
  },
  {
    name: 'a CTA action with another name',
    body: patch(VALID.ctaUrl, 'interactive.action.name', 'open_url'),
    code: 131009,
    details: 'interactive.action.name: must be "cta_url"',
  },
  {
    name: 'a CTA without parameters',
    body: patch(VALID.ctaUrl, 'interactive.action.parameters', undefined),
    code: 131008,
    details: 'interactive.action.parameters: Required',
  },
  {
    name: 'a CTA without body',
    body: patch(VALID.ctaUrl, 'interactive.body', undefined),
    code: 131008,
    details: 'interactive.body: Required',
  },
  // ---- interactive: other types ----
  {
    name: 'a flow with neither flow_id nor flow_name',
    body: patch(VALID.flow, 'interactive.action.parameters.flow_id', undefined),
    code: 131008,
    details: 'interactive.action.parameters.flow_id: flow_id or flow_name is required',
  },
  {
    name: 'a flow with both flow_id and flow_name',
    body: patch(VALID.flow, 'interactive.action.parameters.flow_name', 'booking'),
    code: 131009,
    details: 'interactive.action.parameters.flow_id: flow_id cannot be used together with flow_name',
  },
  {
    name: 'a flow without flow_cta',
    body: patch(VALID.flow, 'interactive.action.parameters.flow_cta', undefined),
    code: 131008,
    details: 'interactive.action.parameters.flow_cta: Required',
  },
  {
    name: 'a product without product_retailer_id',
    body: patch(VALID.product, 'interactive.action.product_retailer_id', undefined),
    code: 131008,
    details: 'interactive.action.product_retailer_id: Required',
  },
  {
    name: 'a product list without header',
    body: patch(VALID.productList, 'interactive.header', undefined),
    code: 131008,
    details: 'interactive.header: Required',
  },
  {
    name: 'a product list section without products',
    body: patch(VALID.productList, 'interactive.action.sections[0].product_items', []),
    code: 131009,
    details: 'interactive.action.sections[0].product_items: a section needs at least 1 product',
  },
  {
    name: 'a catalog message without body',
    body: patch(VALID.catalogMessage, 'interactive.body', undefined),
    code: 131008,
    details: 'interactive.body: Required',
  },
  {
    name: 'a location request with another action name',
    body: patch(VALID.locationRequest, 'interactive.action.name', 'location'),
    code: 131009,
    details: 'interactive.action.name: must be "send_location"',
  },
  {
    name: 'an address message without action',
    body: patch(VALID.addressMessage, 'interactive.action', undefined),
    code: 131008,
    details: 'interactive.action: Required',
  },
  {
    name: 'order details with another action name',
    body: patch(VALID.orderDetails, 'interactive.action.name', 'pay'),
    code: 131009,
    details: 'interactive.action.name: must be "review_and_pay"',
  },
  {
    name: 'an order status without parameters',
    body: patch(VALID.orderStatus, 'interactive.action.parameters', undefined),
    code: 131008,
    details: 'interactive.action.parameters: Required',
  },
  {
    name: 'a call permission request without action name',
    body: patch(VALID.callPermission, 'interactive.action.name', undefined),
    code: 131008,
    details: 'interactive.action.name: Required',
  },
];

describeRejects('interactive messages: rejected', REJECTS);
