/**
 * Interactive messages (WHATSAPP.md §2.5, §2.6; OpenAPI `InteractiveObject`): reply buttons and lists with Meta's
 * limits, CTA URL buttons, and structural checks (body and action present, action name) for the commerce, flow,
 * location-request, address, order and call-permission types.
 */
import {
  checkKeys,
  checkMedia,
  EMBEDDED_MEDIA_KEYS,
  invalid,
  isAbsent,
  isHttpUrl,
  isObject,
  missing,
  notAnObject,
  notOneOf,
  optionalString,
  requiredObject,
  requiredString,
  truncate,
  unreachable,
  wrongType,
  describe,
  type Check,
  type Facts,
  type Json,
} from './send-checks.ts';
import { INTERACTIVE_TYPES, SEND_LIMITS, type InteractiveType, type SendLookups } from './send-types.ts';

type HeaderType = 'text' | 'image' | 'video' | 'document';
const ANY_HEADER: readonly HeaderType[] = ['text', 'image', 'video', 'document'];
const TEXT_HEADER: readonly HeaderType[] = ['text'];

/** `action.name` each named-action interactive type must carry. */
const ACTION_NAMES: Partial<Record<InteractiveType, string>> = {
  cta_url: 'cta_url',
  catalog_message: 'catalog_message',
  flow: 'flow',
  location_request_message: 'send_location',
  address_message: 'address_message',
  order_details: 'review_and_pay',
  order_status: 'review_order',
  call_permission_request: 'call_permission_request',
};

export function checkInteractive(v: unknown, lookups: SendLookups, facts: Facts): Check {
  if (!isObject(v)) return notAnObject('interactive', v);
  const keyError = checkKeys(v, 'interactive', ['type', 'header', 'body', 'footer', 'action']);
  if (keyError) return keyError;
  const rawType = v.type;
  if (isAbsent(rawType) || rawType === '') return missing('interactive.type');
  if (typeof rawType !== 'string') return wrongType('interactive.type', 'a string', rawType);
  const type = rawType.toLowerCase();
  if (!isInteractiveType(type)) return notOneOf('interactive.type', INTERACTIVE_TYPES, rawType);
  facts.interactiveType = type;

  const action = v.action;
  const withAction = (check: (action: Json) => Check): Check => {
    if (isAbsent(action)) return missing('interactive.action');
    return isObject(action) ? check(action) : notAnObject('interactive.action', action);
  };
  const actionName = ACTION_NAMES[type];
  const withNamedAction = (check: (action: Json) => Check = () => undefined): Check =>
    withAction((a) => (actionName === undefined ? undefined : checkActionName(a, actionName, type)) ?? check(a));

  switch (type) {
    case 'button':
      return (
        checkHeader(v, ANY_HEADER, type, lookups) ??
        checkInteractiveBody(v, true, SEND_LIMITS.interactiveBodyMaxChars) ??
        checkFooter(v) ??
        withAction(checkReplyButtonsAction)
      );
    case 'list':
      return (
        checkHeader(v, TEXT_HEADER, type, lookups) ??
        checkInteractiveBody(v, true, SEND_LIMITS.listBodyMaxChars) ??
        checkFooter(v) ??
        withAction(checkListAction)
      );
    case 'cta_url':
      return (
        checkHeader(v, ANY_HEADER, type, lookups) ??
        checkInteractiveBody(v, true, SEND_LIMITS.interactiveBodyMaxChars) ??
        checkFooter(v) ??
        withNamedAction(checkCtaUrlParameters)
      );
    case 'product':
      return (
        checkInteractiveBody(v, false, SEND_LIMITS.interactiveBodyMaxChars) ??
        checkFooter(v) ??
        withAction(
          (a) =>
            requiredString(a, 'interactive.action', 'catalog_id') ??
            requiredString(a, 'interactive.action', 'product_retailer_id'),
        )
      );
    case 'product_list':
      return (
        (isAbsent(v.header) ? missing('interactive.header') : undefined) ??
        checkInteractiveBody(v, true, SEND_LIMITS.interactiveBodyMaxChars) ??
        checkFooter(v) ??
        withAction(checkProductListAction)
      );
    case 'flow':
      return (
        checkHeader(v, ANY_HEADER, type, lookups) ??
        checkInteractiveBody(v, true, SEND_LIMITS.interactiveBodyMaxChars) ??
        checkFooter(v) ??
        withNamedAction(checkFlowParameters)
      );
    case 'order_details':
    case 'order_status':
      return (
        checkInteractiveBody(v, true, SEND_LIMITS.interactiveBodyMaxChars) ??
        checkFooter(v) ??
        withNamedAction((a) => requiredObject(a, 'interactive.action', 'parameters'))
      );
    case 'catalog_message':
    case 'location_request_message':
    case 'address_message':
    case 'call_permission_request':
      return (
        checkInteractiveBody(v, true, SEND_LIMITS.interactiveBodyMaxChars) ??
        checkFooter(v) ??
        withNamedAction((a) =>
          isAbsent(a.parameters) ? undefined : requiredObject(a, 'interactive.action', 'parameters'),
        )
      );
    default:
      return unreachable(type);
  }
}

function checkHeader(i: Json, allowed: readonly HeaderType[], type: InteractiveType, lookups: SendLookups): Check {
  const h = i.header;
  const path = 'interactive.header';
  if (isAbsent(h)) return undefined;
  if (!isObject(h)) return notAnObject(path, h);
  const keyError = checkKeys(h, path, ['type', 'text', 'sub_text', 'image', 'video', 'document']);
  if (keyError) return keyError;
  const rawType = h.type;
  if (isAbsent(rawType) || rawType === '') return missing(`${path}.type`);
  if (typeof rawType !== 'string') return wrongType(`${path}.type`, 'a string', rawType);
  const headerType = rawType.toLowerCase();
  if (!(allowed as readonly string[]).includes(headerType)) {
    return invalid(
      `${path}.type`,
      `a ${type} message header must be of type ${allowed.join(' or ')}, got "${truncate(rawType)}"`,
    );
  }
  if (headerType === 'text') {
    return (
      requiredString(h, path, 'text', SEND_LIMITS.interactiveHeaderTextMaxChars) ??
      optionalString(h, path, 'sub_text', SEND_LIMITS.interactiveHeaderTextMaxChars)
    );
  }
  const kind = headerType as 'image' | 'video' | 'document';
  return checkMedia(kind, h[kind], `${path}.${kind}`, EMBEDDED_MEDIA_KEYS[kind], lookups);
}

function checkInteractiveBody(i: Json, required: boolean, maxChars: number): Check {
  const b = i.body;
  if (isAbsent(b)) return required ? missing('interactive.body') : undefined;
  if (!isObject(b)) return notAnObject('interactive.body', b);
  return checkKeys(b, 'interactive.body', ['text']) ?? requiredString(b, 'interactive.body', 'text', maxChars);
}

function checkFooter(i: Json): Check {
  const f = i.footer;
  if (isAbsent(f)) return undefined;
  if (!isObject(f)) return notAnObject('interactive.footer', f);
  return (
    checkKeys(f, 'interactive.footer', ['text']) ??
    requiredString(f, 'interactive.footer', 'text', SEND_LIMITS.interactiveFooterMaxChars)
  );
}

function checkActionName(action: Json, expected: string, type: InteractiveType): Check {
  const name = action.name;
  if (isAbsent(name) || name === '') return missing('interactive.action.name');
  if (typeof name !== 'string') return wrongType('interactive.action.name', 'a string', name);
  if (name !== expected) {
    return invalid(
      'interactive.action.name',
      `must be "${expected}" for an interactive ${type} message, got "${truncate(name)}"`,
    );
  }
  return undefined;
}

const BUTTON_COUNT_MESSAGE = `Invalid buttons count. Min allowed buttons: 1, Max allowed buttons: ${SEND_LIMITS.replyButtonsMax}`;

function checkReplyButtonsAction(action: Json): Check {
  const path = 'interactive.action.buttons';
  const buttons = action.buttons;
  if (isAbsent(buttons)) return missing(path);
  if (!Array.isArray(buttons)) return wrongType(path, 'an array', buttons);
  if (buttons.length === 0) return invalid(path, BUTTON_COUNT_MESSAGE);
  if (buttons.length > SEND_LIMITS.replyButtonsMax) {
    return invalid(
      `${path}[${SEND_LIMITS.replyButtonsMax}]`,
      `${BUTTON_COUNT_MESSAGE} (a reply-button message has at most ${SEND_LIMITS.replyButtonsMax} buttons)`,
    );
  }
  const ids = new Set<string>();
  const titles = new Set<string>();
  for (const [k, button] of buttons.entries()) {
    const p = `${path}[${k}]`;
    if (!isObject(button)) return notAnObject(p, button);
    if (isAbsent(button.type) || button.type === '') return missing(`${p}.type`);
    if (button.type !== 'reply') return invalid(`${p}.type`, `must be "reply", got ${describe(button.type)}`);
    const reply = button.reply;
    const rp = `${p}.reply`;
    if (isAbsent(reply)) return missing(rp);
    if (!isObject(reply)) return notAnObject(rp, reply);
    const error =
      requiredString(reply, rp, 'id', SEND_LIMITS.replyButtonIdMaxChars) ??
      requiredString(reply, rp, 'title', SEND_LIMITS.replyButtonTitleMaxChars);
    if (error) return error;
    const id = reply.id as string;
    const title = reply.title as string;
    if (ids.has(id)) return invalid(`${rp}.id`, `button ids must be unique, "${truncate(id)}" is repeated`);
    if (titles.has(title)) return invalid(`${rp}.title`, `button titles must be unique, "${title}" is repeated`);
    ids.add(id);
    titles.add(title);
  }
  return undefined;
}

function checkListAction(action: Json): Check {
  const error = requiredString(action, 'interactive.action', 'button', SEND_LIMITS.listButtonMaxChars);
  if (error) return error;
  const path = 'interactive.action.sections';
  const sections = action.sections;
  if (isAbsent(sections)) return missing(path);
  if (!Array.isArray(sections)) return wrongType(path, 'an array', sections);
  if (sections.length === 0) return invalid(path, 'a list message needs at least 1 section');
  if (sections.length > SEND_LIMITS.listSectionsMax) {
    return invalid(
      `${path}[${SEND_LIMITS.listSectionsMax}]`,
      `a list message has at most ${SEND_LIMITS.listSectionsMax} sections`,
    );
  }
  const rowIds = new Set<string>();
  let totalRows = 0;
  for (const [s, section] of sections.entries()) {
    const sp = `${path}[${s}]`;
    if (!isObject(section)) return notAnObject(sp, section);
    // "Required if the message has more than one section" (OpenAPI SectionObject.title).
    const titleError =
      sections.length > 1
        ? requiredString(section, sp, 'title', SEND_LIMITS.listSectionTitleMaxChars)
        : optionalString(section, sp, 'title', SEND_LIMITS.listSectionTitleMaxChars);
    if (titleError) return titleError;
    const rows = section.rows;
    if (isAbsent(rows)) return missing(`${sp}.rows`);
    if (!Array.isArray(rows)) return wrongType(`${sp}.rows`, 'an array', rows);
    if (rows.length === 0) return invalid(`${sp}.rows`, 'a section needs at least 1 row');
    for (const [r, row] of rows.entries()) {
      const rp = `${sp}.rows[${r}]`;
      totalRows += 1;
      if (totalRows > SEND_LIMITS.listRowsMax) {
        return invalid(rp, `a list message has at most ${SEND_LIMITS.listRowsMax} rows in total across all sections`);
      }
      if (!isObject(row)) return notAnObject(rp, row);
      const rowError =
        requiredString(row, rp, 'id', SEND_LIMITS.listRowIdMaxChars) ??
        requiredString(row, rp, 'title', SEND_LIMITS.listRowTitleMaxChars) ??
        optionalString(row, rp, 'description', SEND_LIMITS.listRowDescriptionMaxChars);
      if (rowError) return rowError;
      const id = row.id as string;
      if (rowIds.has(id)) return invalid(`${rp}.id`, `row ids must be unique, "${truncate(id)}" is repeated`);
      rowIds.add(id);
    }
  }
  return undefined;
}

function checkCtaUrlParameters(action: Json): Check {
  const path = 'interactive.action.parameters';
  const error = requiredObject(action, 'interactive.action', 'parameters');
  if (error) return error;
  const params = action.parameters as Json;
  const fieldError =
    requiredString(params, path, 'display_text', SEND_LIMITS.ctaDisplayTextMaxChars) ??
    requiredString(params, path, 'url');
  if (fieldError) return fieldError;
  const url = params.url as string;
  return isHttpUrl(url) ? undefined : invalid(`${path}.url`, `"${truncate(url)}" is not a valid http or https URL`);
}

function checkProductListAction(action: Json): Check {
  const error = requiredString(action, 'interactive.action', 'catalog_id');
  if (error) return error;
  const path = 'interactive.action.sections';
  const sections = action.sections;
  if (isAbsent(sections)) return missing(path);
  if (!Array.isArray(sections)) return wrongType(path, 'an array', sections);
  if (sections.length === 0) return invalid(path, 'a product list needs at least 1 section');
  if (sections.length > SEND_LIMITS.productListSectionsMax) {
    return invalid(
      `${path}[${SEND_LIMITS.productListSectionsMax}]`,
      `a product list has at most ${SEND_LIMITS.productListSectionsMax} sections`,
    );
  }
  for (const [s, section] of sections.entries()) {
    const sp = `${path}[${s}]`;
    if (!isObject(section)) return notAnObject(sp, section);
    const items = section.product_items;
    if (isAbsent(items)) return missing(`${sp}.product_items`);
    if (!Array.isArray(items)) return wrongType(`${sp}.product_items`, 'an array', items);
    if (items.length === 0) return invalid(`${sp}.product_items`, 'a section needs at least 1 product');
  }
  return undefined;
}

function checkFlowParameters(action: Json): Check {
  const path = 'interactive.action.parameters';
  const error = requiredObject(action, 'interactive.action', 'parameters');
  if (error) return error;
  const params = action.parameters as Json;
  const fieldError =
    requiredString(params, path, 'flow_message_version') ??
    requiredString(params, path, 'flow_cta') ??
    optionalString(params, path, 'flow_id') ??
    optionalString(params, path, 'flow_name');
  if (fieldError) return fieldError;
  const hasId = !isAbsent(params.flow_id) && params.flow_id !== '';
  const hasName = !isAbsent(params.flow_name) && params.flow_name !== '';
  if (!hasId && !hasName) return missing(`${path}.flow_id`, 'flow_id or flow_name is required');
  if (hasId && hasName) return invalid(`${path}.flow_id`, 'flow_id cannot be used together with flow_name');
  return undefined;
}

function isInteractiveType(s: string): s is InteractiveType {
  return (INTERACTIVE_TYPES as readonly string[]).includes(s);
}
