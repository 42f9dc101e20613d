/**
 * Template messages (WHATSAPP.md §2.7): the template must exist in the language and be APPROVED (132001, paused
 * 132015, disabled 132016); each component's parameters must match the approved template in count (132000), in
 * format (132012) and, for named templates, in names.
 */
import { graphError, type GraphError } from './graph-error.ts';
import {
  charCount,
  checkKeys,
  checkLocation,
  checkMedia,
  describe,
  EMBEDDED_MEDIA_KEYS,
  invalid,
  isAbsent,
  isObject,
  isScalar,
  missing,
  notAnObject,
  notOneOf,
  optionalString,
  requiredObject,
  requiredString,
  truncate,
  unreachable,
  wrongType,
  type Check,
  type Facts,
  type Json,
} from './send-checks.ts';
import { SEND_LIMITS, type SendLookups, type TemplateButtonSubType, type TemplateInfo } from './send-types.ts';

const COMPONENT_TYPES = ['header', 'body', 'button', 'carousel', 'limited_time_offer'] as const;

export const TEMPLATE_PARAMETER_TYPES = [
  'text',
  'currency',
  'date_time',
  'image',
  'video',
  'document',
  'location',
  'payload',
  'action',
  'coupon_code',
] as const;
type ParamType = (typeof TEMPLATE_PARAMETER_TYPES)[number];

const BODY_PARAM_TYPES: readonly ParamType[] = ['text', 'currency', 'date_time'];
const TEXT_HEADER_PARAM_TYPES: readonly ParamType[] = ['text'];

/** Parameter types per button kind; quick replies also take `text` (Meta's "sample_issue_resolution" example). */
const BUTTON_PARAM_TYPES: Record<TemplateButtonSubType, readonly ParamType[]> = {
  quick_reply: ['payload', 'text'],
  url: ['text'],
  copy_code: ['coupon_code'],
  flow: ['action'],
  catalog: ['action'],
  phone_number: [],
};

const BUTTON_SUB_TYPES = Object.keys(BUTTON_PARAM_TYPES) as TemplateButtonSubType[];

/** Buttons whose variable must be supplied on every send (Meta: `Button at index 0 of type Url requires a parameter`). */
const BUTTONS_REQUIRING_COMPONENT: ReadonlySet<TemplateButtonSubType> = new Set(['url', 'copy_code']);

/** How Meta spells button kinds in `details`. */
const BUTTON_LABEL: Record<TemplateButtonSubType, string> = {
  quick_reply: 'QuickReply',
  url: 'Url',
  copy_code: 'CopyCode',
  flow: 'Flow',
  catalog: 'Catalog',
  phone_number: 'PhoneNumber',
};

interface Component {
  path: string;
  type: (typeof COMPONENT_TYPES)[number];
  raw: Json;
  params: readonly unknown[];
}

export function checkTemplate(v: unknown, lookups: SendLookups, facts: Facts): Check {
  const path = 'template';
  if (!isObject(v)) return notAnObject(path, v);
  const shapeError =
    checkKeys(v, path, ['name', 'language', 'components', 'namespace']) ??
    requiredString(v, path, 'name') ??
    requiredObject(v, path, 'language');
  if (shapeError) return shapeError;
  const language = v.language as Json;
  const languageError =
    checkKeys(language, 'template.language', ['code', 'policy']) ??
    requiredString(language, 'template.language', 'code') ??
    optionalString(language, 'template.language', 'policy');
  if (languageError) return languageError;

  const components = readComponents(v.components);
  if (!Array.isArray(components)) return components;

  const name = v.name as string;
  const languageCode = language.code as string;
  const info = lookups.template(name, languageCode);
  if (info === undefined) {
    return graphError(132001, `template.name: template name (${name}) does not exist in ${languageCode}`);
  }
  switch (info.status) {
    case 'APPROVED':
      break;
    case 'PAUSED':
      return graphError(
        132015,
        `template.name: template name (${name}) in ${languageCode} is paused due to low quality`,
      );
    case 'DISABLED':
      return graphError(132016, `template.name: template name (${name}) in ${languageCode} is disabled`);
    case 'PENDING':
    case 'REJECTED':
      return graphError(
        132001,
        `template.name: template name (${name}) in ${languageCode} is not approved (status ${info.status})`,
      );
    default:
      return unreachable(info.status);
  }
  facts.template = { name, languageCode, info };

  let header: Component | undefined;
  let body: Component | undefined;
  const buttons: Component[] = [];
  for (const c of components) {
    if (c.type === 'header' || c.type === 'body') {
      if ((c.type === 'header' ? header : body) !== undefined) {
        return invalid(`${c.path}.type`, `a template takes at most one ${c.type} component`);
      }
      if (c.type === 'header') header = c;
      else body = c;
    } else if (c.type === 'button') {
      buttons.push(c);
    }
    // carousel and limited_time_offer components are accepted as sent: their cards are not modelled.
  }
  return (
    checkTemplateHeader(info, header, lookups) ??
    checkTemplateBody(info, body, lookups) ??
    checkTemplateButtons(info, buttons, lookups)
  );
}

function readComponents(raw: unknown): Component[] | GraphError {
  const path = 'template.components';
  if (isAbsent(raw)) return [];
  if (!Array.isArray(raw)) return wrongType(path, 'an array', raw);
  const out: Component[] = [];
  for (const [i, c] of raw.entries()) {
    const p = `${path}[${i}]`;
    if (!isObject(c)) return notAnObject(p, c);
    const rawType = c.type;
    if (isAbsent(rawType) || rawType === '') return missing(`${p}.type`);
    if (typeof rawType !== 'string') return wrongType(`${p}.type`, 'a string', rawType);
    const type = rawType.toLowerCase();
    if (!(COMPONENT_TYPES as readonly string[]).includes(type)) return notOneOf(`${p}.type`, COMPONENT_TYPES, rawType);
    const params = c.parameters;
    if (!isAbsent(params) && !Array.isArray(params)) return wrongType(`${p}.parameters`, 'an array', params);
    out.push({ path: p, type: type as Component['type'], raw: c, params: Array.isArray(params) ? params : [] });
  }
  return out;
}

function countMismatch(where: string, given: number, expected: number, suffix = ''): GraphError {
  return graphError(
    132000,
    `${where}: number of localizable_params (${given}) does not match the expected number of params (${expected})${suffix}`,
  );
}

function formatMismatch(where: string, expected: string, received: string): GraphError {
  return graphError(132012, `${where}: Format mismatch, expected ${expected}, received ${received}`);
}

/** `TEXT`, `IMAGE`, ... for a parameter's declared type, `UNKNOWN` when it has none (Meta's wording). */
function declaredParamType(p: unknown): string {
  return isObject(p) && typeof p.type === 'string' && p.type !== '' ? p.type.toUpperCase() : 'UNKNOWN';
}

function checkTemplateHeader(info: TemplateInfo, header: Component | undefined, lookups: SendLookups): Check {
  const given = header?.params ?? [];
  const format = info.headerFormat;
  const paramsPath = `${header?.path ?? 'template.components'}.parameters`;

  if (format === undefined || format === 'TEXT') {
    const expected = format === undefined ? 0 : info.headerParamCount;
    if (given.length !== expected) return countMismatch('header', given.length, expected);
    for (const [j, p] of given.entries()) {
      const received = declaredParamType(p);
      if (received !== 'UNKNOWN' && received !== 'TEXT') return formatMismatch('header', 'TEXT', received);
      const error = checkTemplateParam(p, `${paramsPath}[${j}]`, TEXT_HEADER_PARAM_TYPES, 'a text header', lookups);
      if (error) return error;
    }
    return undefined;
  }

  // Media and location headers: exactly one parameter of the header's own type.
  const first = given[0];
  if (first === undefined) return formatMismatch('header', format, 'UNKNOWN');
  if (given.length > 1) return countMismatch('header', given.length, 1);
  const received = declaredParamType(first);
  if (received !== format) return formatMismatch('header', format, received);
  const expectedType = format.toLowerCase() as ParamType;
  return checkTemplateParam(first, `${paramsPath}[0]`, [expectedType], `a ${format} header`, lookups);
}

function checkTemplateBody(info: TemplateInfo, body: Component | undefined, lookups: SendLookups): Check {
  const given = body?.params ?? [];
  const paramsPath = `${body?.path ?? 'template.components'}.parameters`;

  if (info.parameterFormat === 'named') {
    const names = new Set<string>();
    for (const [j, p] of given.entries()) {
      const pp = `${paramsPath}[${j}]`;
      if (!isObject(p)) return notAnObject(pp, p);
      const name = p.parameter_name;
      if (isAbsent(name) || name === '') {
        return graphError(
          132000,
          `${pp}.parameter_name: every body parameter of a template with named parameters needs a parameter_name`,
        );
      }
      if (typeof name !== 'string') return wrongType(`${pp}.parameter_name`, 'a string', name);
      if (names.has(name)) return graphError(132000, `${pp}.parameter_name: "${name}" is given more than once`);
      names.add(name);
    }
    const expected = new Set(info.bodyParamNames);
    const unknown = [...names].filter((n) => !expected.has(n));
    const absent = [...expected].filter((n) => !names.has(n));
    if (unknown.length > 0 || absent.length > 0) {
      const parts = [
        ...(absent.length > 0 ? [`missing ${absent.join(', ')}`] : []),
        ...(unknown.length > 0 ? [`unknown ${unknown.join(', ')}`] : []),
      ];
      return graphError(
        132000,
        `body: parameter names do not match the template's named params (${[...expected].join(', ')}): ${parts.join('; ')}`,
      );
    }
  } else {
    for (const [j, p] of given.entries()) {
      if (isObject(p) && !isAbsent(p.parameter_name)) {
        return graphError(
          132000,
          `${paramsPath}[${j}].parameter_name: the template uses positional parameters, so parameters cannot be named`,
        );
      }
    }
    if (given.length !== info.bodyParamCount) return countMismatch('body', given.length, info.bodyParamCount);
  }

  for (const [j, p] of given.entries()) {
    const error = checkTemplateParam(p, `${paramsPath}[${j}]`, BODY_PARAM_TYPES, 'the body', lookups);
    if (error) return error;
  }
  return undefined;
}

function checkTemplateButtons(info: TemplateInfo, buttons: readonly Component[], lookups: SendLookups): Check {
  const seen = new Set<number>();
  for (const b of buttons) {
    const rawSubType = b.raw.sub_type;
    if (isAbsent(rawSubType) || rawSubType === '') return missing(`${b.path}.sub_type`);
    if (typeof rawSubType !== 'string') return wrongType(`${b.path}.sub_type`, 'a string', rawSubType);
    const subType = rawSubType.toLowerCase();
    if (!isButtonSubType(subType)) return notOneOf(`${b.path}.sub_type`, BUTTON_SUB_TYPES, rawSubType);

    const rawIndex = b.raw.index;
    if (isAbsent(rawIndex) || rawIndex === '') return missing(`${b.path}.index`);
    const index =
      typeof rawIndex === 'number' ? rawIndex : typeof rawIndex === 'string' ? Number(rawIndex) : Number.NaN;
    if (!Number.isInteger(index) || index < 0 || index > 9) {
      return invalid(`${b.path}.index`, `must be a button position from 0 to 9, got ${describe(rawIndex)}`);
    }
    if (seen.has(index)) return invalid(`${b.path}.index`, `more than one button component for index ${index}`);
    seen.add(index);

    const definition = info.buttons.find((d) => d.index === index);
    const where = `buttons: button at index ${index}`;
    if (definition === undefined) {
      return graphError(132000, `${where}: the template has no button at index ${index}`);
    }
    if (definition.subType !== subType) {
      return graphError(
        132012,
        `${where} is of type ${BUTTON_LABEL[definition.subType]}, the request sends ${BUTTON_LABEL[subType]}`,
      );
    }
    if (b.params.length !== definition.paramCount) {
      return countMismatch('buttons', b.params.length, definition.paramCount, ` for the button at index ${index}`);
    }
    for (const [j, p] of b.params.entries()) {
      const error = checkTemplateParam(
        p,
        `${b.path}.parameters[${j}]`,
        BUTTON_PARAM_TYPES[subType],
        `a ${BUTTON_LABEL[subType]} button`,
        lookups,
      );
      if (error) return error;
    }
  }
  for (const d of info.buttons) {
    if (d.paramCount > 0 && BUTTONS_REQUIRING_COMPONENT.has(d.subType) && !seen.has(d.index)) {
      return missing('buttons', `Button at index ${d.index} of type ${BUTTON_LABEL[d.subType]} requires a parameter`);
    }
  }
  return undefined;
}

/**
 * One template parameter. Type names are case-insensitive (a real send with `"type":"TEXT"` was accepted).
 * Missing value → 131008 (Meta: `Parameter of type text is missing text value`); a value of the wrong shape → 132012.
 */
function checkTemplateParam(
  p: unknown,
  path: string,
  allowed: readonly ParamType[],
  where: string,
  lookups: SendLookups,
): Check {
  if (!isObject(p)) return notAnObject(path, p);
  const rawType = p.type;
  if (isAbsent(rawType) || rawType === '') return missing(`${path}.type`);
  if (typeof rawType !== 'string') return wrongType(`${path}.type`, 'a string', rawType);
  const type = rawType.toLowerCase();
  if (!isParamType(type)) return paramFormat(`${path}.type`, `unknown parameter type "${truncate(rawType)}"`);
  if (!allowed.includes(type)) {
    return paramFormat(
      `${path}.type`,
      `parameters of type ${type} are not allowed in ${where} (allowed: ${allowed.join(', ') || 'none'})`,
    );
  }
  const valuePath = `${path}.${type}`;
  const value = p[type];
  if (isAbsent(value) || value === '') return missing(valuePath, `Parameter of type ${type} is missing ${type} value`);

  switch (type) {
    case 'text':
    case 'payload':
    case 'coupon_code':
      // Graph coerces scalars: Meta's own example sends `{"type":"text","text":true}` for a quick reply.
      if (!isScalar(value)) return paramFormat(valuePath, `must be a string, got ${describe(value)}`);
      if (type === 'text' && charCount(String(value)) > SEND_LIMITS.templateTextParamMaxChars) {
        return invalid(valuePath, `must be at most ${SEND_LIMITS.templateTextParamMaxChars} characters long`);
      }
      return undefined;
    case 'currency':
      return checkCurrency(value, valuePath);
    case 'date_time':
      if (!isObject(value)) return paramFormat(valuePath, `must be an object, got ${describe(value)}`);
      return asTemplateFormat(requiredString(value, valuePath, 'fallback_value'));
    case 'image':
    case 'video':
    case 'document':
      return asTemplateFormat(checkMedia(type, value, valuePath, EMBEDDED_MEDIA_KEYS[type], lookups));
    case 'location':
      return asTemplateFormat(checkLocation(value, valuePath));
    case 'action':
      return isObject(value) ? undefined : paramFormat(valuePath, `must be an object, got ${describe(value)}`);
    default:
      return unreachable(type);
  }
}

const CURRENCY_CODE_RE = /^[A-Za-z]{3}$/;

function checkCurrency(v: unknown, path: string): Check {
  if (!isObject(v)) return paramFormat(path, `must be an object, got ${describe(v)}`);
  const error = asTemplateFormat(requiredString(v, path, 'fallback_value') ?? requiredString(v, path, 'code'));
  if (error) return error;
  if (!CURRENCY_CODE_RE.test(v.code as string)) {
    return paramFormat(`${path}.code`, `must be an ISO 4217 currency code, got "${truncate(v.code as string)}"`);
  }
  const amount = v.amount_1000;
  if (isAbsent(amount) || amount === '') return missing(`${path}.amount_1000`);
  const n = typeof amount === 'number' ? amount : typeof amount === 'string' ? Number(amount) : Number.NaN;
  if (!Number.isInteger(n)) return paramFormat(`${path}.amount_1000`, `must be an integer, got ${describe(amount)}`);
  return undefined;
}

/** Inside template parameters, shape errors are Meta's 132012 rather than the generic 100/131009. */
function asTemplateFormat(error: Check): Check {
  if (error === undefined) return undefined;
  if (error.code === 131009 || (error.code === 100 && error.message === '(#100) Invalid parameter')) {
    return graphError(132012, error.details ?? '');
  }
  return error;
}

function paramFormat(path: string, message: string): GraphError {
  return graphError(132012, `${path}: ${message}`);
}

function isButtonSubType(s: string): s is TemplateButtonSubType {
  return (BUTTON_SUB_TYPES as readonly string[]).includes(s);
}

function isParamType(s: string): s is ParamType {
  return (TEMPLATE_PARAMETER_TYPES as readonly string[]).includes(s);
}
