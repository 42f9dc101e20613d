/**
 * Template linter, pure (STYLE rule 3): checks a template creation request against Meta's rules before Parlo
 * submits it, so a user learns in one round trip, with every problem listed, what Meta would otherwise reject one
 * error at a time and up to a day later. The input is `unknown` (raw JSON from an API client): every shape is
 * checked defensively and a bad shape is a problem, never an exception.
 *
 * Sources (WHATSAPP.md §4.8): Meta's "Template components" page (updated Jun 2026), "Templates" overview (names,
 * parameter formats), the authentication template pages (copy code, one-tap, zero-tap), Meta's OpenAPI example
 * requests (shared/meta-cloud-api/examples/message-templates) and Meta's rejection message for error subcode
 * 2388299 ("Variables can't be at the start or end of the template"). Where sources disagree we follow Meta's
 * documented value; each such place says so next to the limit in `TEMPLATE_LIMITS` or in the rule.
 *
 * Naming: `component` is where a problem is: `template` (the request itself), `name`, `language`, `category`,
 * `parameter_format`, `components`, `components[i]` (an element that is not a known component), `HEADER`, `BODY`,
 * `FOOTER`, `BUTTONS`, or `BUTTONS[i]`, where `i` counts from 0 like Meta's `index` when the template is sent.
 * `rule` is one of `LINT_RULES`: a stable id clients may switch on, never renamed once shipped.
 *
 * Not modelled (they are `unknown-field` / `unknown-button-type` problems): FLOW, MPM, CATALOG, SPM, VOICE_CALL
 * buttons, carousels, limited-time offers, GIF headers, and the request fields `message_send_ttl_seconds` and
 * `supported_apps`, because `template.types.ts` (the stored shape) does not carry them.
 */

import {
  HEADER_FORMATS,
  TEMPLATE_CATEGORIES,
  type HeaderFormat,
  type ParameterFormat,
  type TemplateCategory,
  type TemplateDefinition,
} from './template.types.ts';

/** Meta's limits, in one place so messages, tests and the UI quote the same numbers. */
export const TEMPLATE_LIMITS = {
  /** Templates overview: "maximum of 512 characters, lowercase alphanumeric characters and underscores". */
  nameMaxLength: 512,
  headerTextMaxLength: 60,
  /** "Text headers support 1 parameter" (some BSP pages say none; Meta documents one). */
  headerTextMaxVariables: 1,
  /** Meta: 1,024 (one BSP page says 4,096; that is the free-form text limit, not a template body's). */
  bodyTextMaxLength: 1024,
  footerTextMaxLength: 60,
  /** "up to 10 button components in total". */
  buttonsMax: 10,
  /** Meta: 10 quick replies (older BSP pages say 3 and "no mixing"; Meta allows mixing when grouped). */
  quickReplyMax: 10,
  urlButtonMax: 2,
  phoneButtonMax: 1,
  copyCodeButtonMax: 1,
  buttonTextMaxLength: 25,
  urlMaxLength: 2000,
  phoneNumberMaxLength: 20,
  /**
   * Meta's components page (Jun 2026) says 20; earlier versions of the same page said 15. We follow the current
   * page.
   */
  copyCodeExampleMaxLength: 20,
  codeExpirationMinMinutes: 1,
  codeExpirationMaxMinutes: 90,
  otpPackageNameMaxLength: 224,
  /** "Must be exactly 11 characters", from a-zA-Z0-9+/= . */
  otpSignatureHashLength: 11,
} as const;

/** Every rule id the linter can report. Stable: clients switch on these. */
export const LINT_RULES = [
  // the request's shape
  'not-an-object',
  'unknown-field',
  'field-type',
  'field-not-allowed',
  'name-required',
  'name-too-long',
  'name-pattern',
  'language-required',
  'language-pattern',
  'category-invalid',
  'parameter-format-invalid',
  'components-missing',
  'component-invalid',
  'unknown-component-type',
  'duplicate-component',
  'body-missing',
  // variables and their examples (header, body, URL buttons)
  'malformed-variable',
  'named-parameter-pattern',
  'parameter-format-mismatch',
  'variable-at-edge',
  'adjacent-variables',
  'example-value-invalid',
  'example-names-mismatch',
  // header
  'header-format',
  'header-text-missing',
  'header-text-too-long',
  'header-text-variables',
  'header-variables-not-sequential',
  'header-example-missing',
  'header-example-count',
  'header-media-example-missing',
  // body
  'body-text-missing',
  'body-too-long',
  'body-variables-not-sequential',
  'body-example-missing',
  'body-example-count',
  // footer
  'footer-text-missing',
  'footer-too-long',
  'footer-variables',
  // buttons
  'buttons-empty',
  'button-invalid',
  'unknown-button-type',
  'too-many-buttons',
  'quick-reply-limit',
  'url-button-limit',
  'phone-button-limit',
  'copy-code-limit',
  'button-grouping',
  'button-text-missing',
  'button-text-too-long',
  'url-missing',
  'url-too-long',
  'url-invalid',
  'url-variable-count',
  'url-variable-position',
  'url-variable-number',
  'url-example-missing',
  'url-example-count',
  'phone-number-format',
  'copy-code-example',
  'otp-button-not-allowed',
  // authentication templates
  'authentication-header',
  'authentication-body',
  'authentication-buttons',
  'code-expiration-range',
  'otp-type',
  'otp-app-missing',
  'otp-package-name',
  'otp-signature-hash',
  'zero-tap-terms',
] as const;
export type LintRule = (typeof LINT_RULES)[number];

export interface LintProblem {
  /** Where: `name`, `BODY`, `BUTTONS[1]`… (see the module comment). */
  readonly component: string;
  readonly rule: LintRule;
  /** An English sentence a user can act on: the limit and what they sent. */
  readonly message: string;
}

export type LintResult =
  | { readonly ok: true; readonly template: TemplateDefinition }
  | { readonly ok: false; readonly problems: readonly LintProblem[] };

/** A `{{…}}` placeholder in a text, with its position. `name` is what is between the braces, e.g. `1` or `first_name`. */
export interface VariableToken {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** The variables a template needs when it is sent, by component, in order of first appearance. */
export interface TemplateVariables {
  readonly header: string[];
  readonly body: string[];
  /** Buttons with variables only; `index` is the button's 0-based position, as Meta's send API counts it. */
  readonly buttons: { readonly index: number; readonly variables: string[] }[];
}

const TOKEN_PATTERN = /\{\{([^{}]*)\}\}/g;
const POSITIONAL_NAME = /^[1-9][0-9]*$/;
/**
 * Meta's overview: named parameters are "composed of lowercase characters and underscores". The comment in
 * template.types.ts also allows digits; where they disagree we follow Meta's documented rule.
 */
const NAMED_NAME = /^[a-z_]+$/;
const IDENTIFIER_LIKE = /^[A-Za-z0-9_]+$/;
const TEMPLATE_NAME = /^[a-z0-9_]+$/;
/** Meta's language codes are `ll`, `lll` (`fil`) or either with `_CC` (`en_US`, `prs_AF`): all match this. */
const LANGUAGE_CODE = /^[a-z]{2,3}(_[A-Z]{2})?$/;
const PHONE_NUMBER = /^\+?[0-9]+$/;
/** "at least two segments (one or more dots), and each segment must start with a letter", `[a-zA-Z0-9_]`. */
const PACKAGE_NAME = /^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/;
const SIGNATURE_HASH = /^[A-Za-z0-9+/=]+$/;

const TEMPLATE_FIELDS = [
  'name',
  'language',
  'category',
  'parameter_format',
  'allow_category_change',
  'components',
] as const;
const COMPONENT_TYPES = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS'] as const;
type ComponentType = (typeof COMPONENT_TYPES)[number];
const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'OTP'] as const;
type ButtonType = (typeof BUTTON_TYPES)[number];
const OTP_TYPES = ['COPY_CODE', 'ONE_TAP', 'ZERO_TAP'] as const;

const BUTTON_FIELDS: Readonly<Record<ButtonType, readonly string[]>> = {
  QUICK_REPLY: ['type', 'text'],
  URL: ['type', 'text', 'url', 'example'],
  PHONE_NUMBER: ['type', 'text', 'phone_number'],
  COPY_CODE: ['type', 'example'],
  OTP: ['type', 'otp_type', 'text', 'autofill_text', 'package_name', 'signature_hash', 'zero_tap_terms_accepted'],
};

type JsonObject = Readonly<Record<string, unknown>>;

interface Ctx {
  readonly problems: LintProblem[];
  readonly format: ParameterFormat;
  /** `null` when the category itself is invalid: components are then checked as for MARKETING/UTILITY. */
  readonly category: TemplateCategory | null;
}

/**
 * Lints a template creation request. On success the input itself comes back, typed: nothing is dropped or
 * rewritten, so what Parlo submits to Meta is exactly what the user sent.
 */
export function lintTemplate(input: unknown): LintResult {
  if (!isObject(input)) {
    return {
      ok: false,
      problems: [
        {
          component: 'template',
          rule: 'not-an-object',
          message: `A template must be a JSON object with name, language, category and components; got ${describe(input)}.`,
        },
      ],
    };
  }
  const problems: LintProblem[] = [];
  checkFields(problems, input, TEMPLATE_FIELDS, 'template', '');
  checkName(problems, input['name']);
  checkLanguage(problems, input['language']);
  const category = checkCategory(problems, input['category']);
  const format = checkParameterFormat(problems, input['parameter_format']);
  const allowCategoryChange = input['allow_category_change'];
  if (allowCategoryChange !== undefined && typeof allowCategoryChange !== 'boolean') {
    push(
      problems,
      'allow_category_change',
      'field-type',
      `allow_category_change must be true or false (may Meta recategorise the template instead of rejecting it); got ${describe(allowCategoryChange)}.`,
    );
  }
  const ctx: Ctx = { problems, format, category };
  checkComponents(ctx, input['components']);
  return problems.length === 0
    ? { ok: true, template: input as unknown as TemplateDefinition }
    : { ok: false, problems };
}

/** Every `{{…}}` placeholder in `text`, in order. Well-formed or not: the linter decides which are valid. */
export function parseVariables(text: string): readonly VariableToken[] {
  const tokens: VariableToken[] = [];
  for (const match of text.matchAll(TOKEN_PATTERN)) {
    tokens.push({ name: match[1] ?? '', start: match.index, end: match.index + match[0].length });
  }
  return tokens;
}

/**
 * The variables of a (linted) template, for the preview and for campaigns: header and body variables in order of
 * first appearance, and the URL buttons that take one. An AUTHENTICATION template's body is Meta's fixed
 * "{{1}} is your verification code.", so its body variable is `1` (the code); when sending, Meta wants the same
 * code again as the OTP button's parameter, which the sender copies from the body rather than asking twice.
 */
export function templateVariables(template: TemplateDefinition): TemplateVariables {
  let header: string[] = [];
  let body: string[] = [];
  const buttons: { index: number; variables: string[] }[] = [];
  for (const component of template.components) {
    switch (component.type) {
      case 'HEADER':
        if (component.format === 'TEXT' && component.text !== undefined) header = distinctNames(component.text);
        break;
      case 'BODY':
        body = template.category === 'AUTHENTICATION' ? ['1'] : distinctNames(component.text ?? '');
        break;
      case 'BUTTONS':
        component.buttons.forEach((button, index) => {
          if (button.type !== 'URL') return;
          const variables = distinctNames(button.url);
          if (variables.length > 0) buttons.push({ index, variables });
        });
        break;
      case 'FOOTER':
        break;
    }
  }
  return { header, body, buttons };
}

// ---- top level -------------------------------------------------------------------------------------------------

function checkName(problems: LintProblem[], name: unknown): void {
  if (typeof name !== 'string' || name === '') {
    push(problems, 'name', 'name-required', `Every template needs a name (a non-empty string); got ${describe(name)}.`);
    return;
  }
  if (name.length > TEMPLATE_LIMITS.nameMaxLength) {
    push(
      problems,
      'name',
      'name-too-long',
      `Template names are limited to ${count(TEMPLATE_LIMITS.nameMaxLength)} characters; this one has ${count(name.length)}.`,
    );
  }
  if (!TEMPLATE_NAME.test(name)) {
    const suggestion = name
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/^_+|_+$/g, '');
    push(
      problems,
      'name',
      'name-pattern',
      `Template names may only contain lowercase letters, digits and underscores; got ${describe(name)}` +
        (suggestion === '' ? '.' : `. Try ${describe(suggestion)}.`),
    );
  }
}

function checkLanguage(problems: LintProblem[], language: unknown): void {
  if (typeof language !== 'string' || language === '') {
    push(
      problems,
      'language',
      'language-required',
      `Every template needs a language code such as "en", "en_US" or "es_MX"; got ${describe(language)}.`,
    );
    return;
  }
  if (!LANGUAGE_CODE.test(language)) {
    const [lang = '', region] = language.split(/[-_]/);
    const suggestion = region === undefined ? lang.toLowerCase() : `${lang.toLowerCase()}_${region.toUpperCase()}`;
    push(
      problems,
      'language',
      'language-pattern',
      `The language must be one of Meta's codes: a lowercase language, optionally "_" and an uppercase region ` +
        `("en", "en_US", "pt_BR"); got ${describe(language)}` +
        (LANGUAGE_CODE.test(suggestion) ? `. Did you mean ${describe(suggestion)}?` : '.'),
    );
  }
}

function checkCategory(problems: LintProblem[], category: unknown): TemplateCategory | null {
  const known = TEMPLATE_CATEGORIES.find((c) => c === category);
  if (known !== undefined) return known;
  push(
    problems,
    'category',
    'category-invalid',
    `The category must be MARKETING, UTILITY or AUTHENTICATION; got ${describe(category)}${uppercaseHint(category, TEMPLATE_CATEGORIES)}.`,
  );
  return null;
}

function checkParameterFormat(problems: LintProblem[], format: unknown): ParameterFormat {
  if (format === undefined || format === 'positional') return 'positional';
  if (format === 'named') return 'named';
  push(
    problems,
    'parameter_format',
    'parameter-format-invalid',
    `parameter_format must be "positional" ({{1}}, {{2}}…, the default) or "named" ({{first_name}}); got ${describe(format)}.`,
  );
  return 'positional';
}

function checkComponents(ctx: Ctx, components: unknown): void {
  if (!Array.isArray(components)) {
    push(
      ctx.problems,
      'components',
      'components-missing',
      `A template needs a components array holding at least a BODY; got ${describe(components)}.`,
    );
    return;
  }
  const found = new Map<ComponentType, JsonObject>();
  components.forEach((component: unknown, i) => {
    const where = `components[${i}]`;
    if (!isObject(component)) {
      push(
        ctx.problems,
        where,
        'component-invalid',
        `Each component must be an object with a type; got ${describe(component)}.`,
      );
      return;
    }
    const type = COMPONENT_TYPES.find((t) => t === component['type']);
    if (type === undefined) {
      push(
        ctx.problems,
        where,
        'unknown-component-type',
        `Component type must be HEADER, BODY, FOOTER or BUTTONS; got ${describe(component['type'])}` +
          `${uppercaseHint(component['type'], COMPONENT_TYPES)}.`,
      );
      return;
    }
    if (found.has(type)) {
      push(ctx.problems, type, 'duplicate-component', `A template may have only one ${type} component; found another.`);
      return;
    }
    found.set(type, component);
  });

  const header = found.get('HEADER');
  const body = found.get('BODY');
  const footer = found.get('FOOTER');
  const buttons = found.get('BUTTONS');
  if (header !== undefined) checkHeader(ctx, header);
  if (body === undefined) {
    push(ctx.problems, 'BODY', 'body-missing', 'Every template needs exactly one BODY component; none was sent.');
  } else {
    checkBody(ctx, body);
  }
  if (footer !== undefined) checkFooter(ctx, footer);
  if (buttons !== undefined) {
    checkButtons(ctx, buttons);
  } else if (ctx.category === 'AUTHENTICATION') {
    push(
      ctx.problems,
      'BUTTONS',
      'authentication-buttons',
      'Authentication templates need a BUTTONS component with one OTP button (COPY_CODE, ONE_TAP or ZERO_TAP); none was sent.',
    );
  }
}

// ---- header ----------------------------------------------------------------------------------------------------

function checkHeader(ctx: Ctx, header: JsonObject): void {
  checkFields(ctx.problems, header, ['type', 'format', 'text', 'example'], 'HEADER', '');
  if (ctx.category === 'AUTHENTICATION') {
    push(
      ctx.problems,
      'HEADER',
      'authentication-header',
      'Authentication templates cannot have a HEADER (Meta writes their text); remove it.',
    );
    return;
  }
  const format = HEADER_FORMATS.find((f) => f === header['format']);
  if (format === undefined) {
    push(
      ctx.problems,
      'HEADER',
      'header-format',
      `The header format must be TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION; got ${describe(header['format'])}` +
        `${uppercaseHint(header['format'], HEADER_FORMATS)}.`,
    );
    return;
  }
  const example = header['example'];
  if (example !== undefined && !isObject(example)) {
    push(ctx.problems, 'HEADER', 'field-type', `The header's example must be an object; got ${describe(example)}.`);
  }
  const exampleObject = isObject(example) ? example : undefined;
  if (exampleObject !== undefined) {
    checkFields(
      ctx.problems,
      exampleObject,
      ['header_text', 'header_text_named_params', 'header_handle'],
      'HEADER',
      'example.',
    );
  }
  if (format === 'TEXT') {
    checkTextHeader(ctx, header, exampleObject);
  } else {
    checkNonTextHeader(ctx, header, format, exampleObject);
  }
}

function checkTextHeader(ctx: Ctx, header: JsonObject, example: JsonObject | undefined): void {
  const text = header['text'];
  if (typeof text !== 'string' || text.trim() === '') {
    push(
      ctx.problems,
      'HEADER',
      'header-text-missing',
      `A TEXT header needs its text (up to ${TEMPLATE_LIMITS.headerTextMaxLength} characters); got ${describe(text)}.`,
    );
    return;
  }
  if (text.length > TEMPLATE_LIMITS.headerTextMaxLength) {
    push(
      ctx.problems,
      'HEADER',
      'header-text-too-long',
      `Header text is limited to ${TEMPLATE_LIMITS.headerTextMaxLength} characters; this one has ${count(text.length)}.`,
    );
  }
  const names = checkVariables(ctx, text, 'HEADER').names;
  if (names.length > TEMPLATE_LIMITS.headerTextMaxVariables) {
    push(
      ctx.problems,
      'HEADER',
      'header-text-variables',
      `Header text supports at most ${TEMPLATE_LIMITS.headerTextMaxVariables} variable; this one has ${names.length} (${braces(names)}).`,
    );
  } else if (
    ctx.format === 'positional' &&
    names.length === 1 &&
    POSITIONAL_NAME.test(names[0] ?? '') &&
    names[0] !== '1'
  ) {
    push(
      ctx.problems,
      'HEADER',
      'header-variables-not-sequential',
      `The header's variable must be {{1}} (positional variables are numbered from 1 in each component); got ${braces(names)}.`,
    );
  }
  if (example?.['header_handle'] !== undefined) {
    push(
      ctx.problems,
      'HEADER',
      'field-not-allowed',
      'example.header_handle is for media headers; a TEXT header takes example.header_text.',
    );
  }
  checkExample(ctx, {
    component: 'HEADER',
    names,
    positional: example?.['header_text'],
    positionalKey: 'header_text',
    named: example?.['header_text_named_params'],
    namedKey: 'header_text_named_params',
    missingRule: 'header-example-missing',
    countRule: 'header-example-count',
  });
}

function checkNonTextHeader(ctx: Ctx, header: JsonObject, format: HeaderFormat, example: JsonObject | undefined): void {
  if (header['text'] !== undefined) {
    push(
      ctx.problems,
      'HEADER',
      'field-not-allowed',
      `A ${format} header has no text; remove "text" or use format TEXT.`,
    );
  }
  for (const key of ['header_text', 'header_text_named_params'] as const) {
    if (example?.[key] !== undefined) {
      push(
        ctx.problems,
        'HEADER',
        'field-not-allowed',
        `example.${key} is for TEXT headers; a ${format} header does not take it.`,
      );
    }
  }
  if (format === 'LOCATION') {
    if (example?.['header_handle'] !== undefined) {
      push(
        ctx.problems,
        'HEADER',
        'field-not-allowed',
        'A LOCATION header takes no example: the location is chosen when sending.',
      );
    }
    return;
  }
  const handles = example?.['header_handle'];
  if (!Array.isArray(handles) || handles.length === 0 || !handles.every(isNonBlankString)) {
    push(
      ctx.problems,
      'HEADER',
      'header-media-example-missing',
      `A ${format} header needs example.header_handle: a sample uploaded with Meta's Resumable Upload API ` +
        `(["4::aW…"]); got ${describe(handles)}.`,
    );
  }
}

// ---- body ------------------------------------------------------------------------------------------------------

function checkBody(ctx: Ctx, body: JsonObject): void {
  checkFields(ctx.problems, body, ['type', 'text', 'add_security_recommendation', 'example'], 'BODY', '');
  const recommendation = body['add_security_recommendation'];
  if (ctx.category === 'AUTHENTICATION') {
    if (body['text'] !== undefined || body['example'] !== undefined) {
      push(
        ctx.problems,
        'BODY',
        'authentication-body',
        'Authentication templates have no body text or example: Meta writes "<code> is your verification code." ' +
          'itself. Remove them and set add_security_recommendation if you want the security line.',
      );
    }
    if (recommendation !== undefined && typeof recommendation !== 'boolean') {
      push(
        ctx.problems,
        'BODY',
        'field-type',
        `add_security_recommendation must be true or false; got ${describe(recommendation)}.`,
      );
    }
    return;
  }
  if (recommendation !== undefined) {
    push(
      ctx.problems,
      'BODY',
      'field-not-allowed',
      'add_security_recommendation is only for AUTHENTICATION templates; write the text in the body instead.',
    );
  }
  const text = body['text'];
  if (typeof text !== 'string' || text.trim() === '') {
    push(
      ctx.problems,
      'BODY',
      'body-text-missing',
      `The body needs its text (up to ${count(TEMPLATE_LIMITS.bodyTextMaxLength)} characters); got ${describe(text)}.`,
    );
    return;
  }
  if (text.length > TEMPLATE_LIMITS.bodyTextMaxLength) {
    push(
      ctx.problems,
      'BODY',
      'body-too-long',
      `Body text is limited to ${count(TEMPLATE_LIMITS.bodyTextMaxLength)} characters; this one has ${count(text.length)}.`,
    );
  }
  const { names, tokens } = checkVariables(ctx, text, 'BODY');
  checkPlacement(ctx, text, tokens);
  const numbers = names.filter((n) => POSITIONAL_NAME.test(n)).map(Number);
  if (ctx.format === 'positional' && !isOneToN(numbers)) {
    push(
      ctx.problems,
      'BODY',
      'body-variables-not-sequential',
      `Positional variables must be numbered {{1}} to {{${numbers.length}}} without gaps; the body uses ` +
        `${braces([...numbers].sort((a, b) => a - b).map(String))}.`,
    );
  }
  const example = body['example'];
  if (example !== undefined && !isObject(example)) {
    push(ctx.problems, 'BODY', 'field-type', `The body's example must be an object; got ${describe(example)}.`);
  }
  const exampleObject = isObject(example) ? example : undefined;
  if (exampleObject !== undefined) {
    checkFields(ctx.problems, exampleObject, ['body_text', 'body_text_named_params'], 'BODY', 'example.');
  }
  const rows = exampleObject?.['body_text'];
  let row: unknown = rows;
  if (rows !== undefined && ctx.format === 'positional') {
    if (!Array.isArray(rows)) {
      push(
        ctx.problems,
        'BODY',
        'field-type',
        `example.body_text must be an array holding one array of values; got ${describe(rows)}.`,
      );
      return;
    }
    if (rows.length > 1) {
      push(
        ctx.problems,
        'BODY',
        'body-example-count',
        `example.body_text must hold exactly one row of values (one per variable); got ${rows.length} rows.`,
      );
    }
    row = rows.length === 0 ? undefined : rows[0];
  }
  checkExample(ctx, {
    component: 'BODY',
    names,
    positional: row,
    positionalKey: 'body_text',
    named: exampleObject?.['body_text_named_params'],
    namedKey: 'body_text_named_params',
    missingRule: 'body-example-missing',
    countRule: 'body-example-count',
  });
}

/** Meta rejects a body that starts or ends with a variable (subcode 2388299) or glues two variables together. */
function checkPlacement(ctx: Ctx, text: string, tokens: readonly VariableToken[]): void {
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  const leading = text.length - text.trimStart().length;
  const trailing = text.trimEnd().length;
  if (first !== undefined && first.start === leading) {
    push(
      ctx.problems,
      'BODY',
      'variable-at-edge',
      `The body may not start with a variable (Meta rejects it); it starts with {{${first.name}}}. Put some text before it.`,
    );
  }
  if (last !== undefined && last.end === trailing) {
    push(
      ctx.problems,
      'BODY',
      'variable-at-edge',
      `The body may not end with a variable (Meta rejects it); it ends with {{${last.name}}}. Add text or punctuation after it.`,
    );
  }
  for (let i = 1; i < tokens.length; i++) {
    const before = tokens[i - 1];
    const after = tokens[i];
    if (before === undefined || after === undefined) continue;
    if (text.slice(before.end, after.start).trim() === '') {
      push(
        ctx.problems,
        'BODY',
        'adjacent-variables',
        `Variables {{${before.name}}} and {{${after.name}}} are next to each other; WhatsApp rejects that. Put words between them.`,
      );
    }
  }
}

// ---- footer ----------------------------------------------------------------------------------------------------

function checkFooter(ctx: Ctx, footer: JsonObject): void {
  checkFields(ctx.problems, footer, ['type', 'text', 'code_expiration_minutes'], 'FOOTER', '');
  const minutes = footer['code_expiration_minutes'];
  const text = footer['text'];
  if (ctx.category === 'AUTHENTICATION') {
    if (text !== undefined) {
      push(
        ctx.problems,
        'FOOTER',
        'field-not-allowed',
        'Authentication footers have no text: Meta writes "This code expires in N minutes." Set code_expiration_minutes instead.',
      );
    }
    const { codeExpirationMinMinutes: min, codeExpirationMaxMinutes: max } = TEMPLATE_LIMITS;
    if (minutes !== undefined && !(Number.isInteger(minutes) && Number(minutes) >= min && Number(minutes) <= max)) {
      push(
        ctx.problems,
        'FOOTER',
        'code-expiration-range',
        `code_expiration_minutes must be a whole number from ${min} to ${max}; got ${describe(minutes)}.`,
      );
    }
    return;
  }
  if (minutes !== undefined) {
    push(ctx.problems, 'FOOTER', 'field-not-allowed', 'code_expiration_minutes is only for AUTHENTICATION templates.');
  }
  if (typeof text !== 'string' || text.trim() === '') {
    push(
      ctx.problems,
      'FOOTER',
      'footer-text-missing',
      `A footer needs its text (up to ${TEMPLATE_LIMITS.footerTextMaxLength} characters); got ${describe(text)}. Remove the FOOTER if you do not want one.`,
    );
    return;
  }
  if (text.length > TEMPLATE_LIMITS.footerTextMaxLength) {
    push(
      ctx.problems,
      'FOOTER',
      'footer-too-long',
      `Footer text is limited to ${TEMPLATE_LIMITS.footerTextMaxLength} characters; this one has ${count(text.length)}.`,
    );
  }
  if (text.includes('{{') || text.includes('}}')) {
    push(ctx.problems, 'FOOTER', 'footer-variables', `Footers cannot contain variables; got ${describe(text)}.`);
  }
}

// ---- buttons ---------------------------------------------------------------------------------------------------

function checkButtons(ctx: Ctx, component: JsonObject): void {
  checkFields(ctx.problems, component, ['type', 'buttons'], 'BUTTONS', '');
  const buttons = component['buttons'];
  if (!Array.isArray(buttons) || buttons.length === 0) {
    push(
      ctx.problems,
      'BUTTONS',
      'buttons-empty',
      `A BUTTONS component needs a non-empty buttons array; got ${describe(buttons)}. Remove the component if you want no buttons.`,
    );
    return;
  }
  const types: (ButtonType | null)[] = buttons.map((button: unknown, i) => checkButton(ctx, button, `BUTTONS[${i}]`));
  const kinds = types.filter((t): t is ButtonType => t !== null);

  if (ctx.category === 'AUTHENTICATION') {
    if (buttons.length !== 1 || kinds[0] !== 'OTP') {
      push(
        ctx.problems,
        'BUTTONS',
        'authentication-buttons',
        `Authentication templates take exactly one OTP button; got ${buttons.length} button(s)` +
          (kinds.length > 0 ? ` (${kinds.join(', ')}).` : '.'),
      );
    }
    return;
  }

  const tally = (type: ButtonType): number => kinds.filter((t) => t === type).length;
  const limit = (rule: LintRule, type: ButtonType, max: number, label: string): void => {
    const n = tally(type);
    if (n > max) push(ctx.problems, 'BUTTONS', rule, `A template may have at most ${max} ${label}; this one has ${n}.`);
  };
  if (buttons.length > TEMPLATE_LIMITS.buttonsMax) {
    push(
      ctx.problems,
      'BUTTONS',
      'too-many-buttons',
      `A template may have at most ${TEMPLATE_LIMITS.buttonsMax} buttons in total; this one has ${buttons.length}.`,
    );
  }
  limit('quick-reply-limit', 'QUICK_REPLY', TEMPLATE_LIMITS.quickReplyMax, 'quick reply buttons');
  limit('url-button-limit', 'URL', TEMPLATE_LIMITS.urlButtonMax, 'URL buttons');
  limit('phone-button-limit', 'PHONE_NUMBER', TEMPLATE_LIMITS.phoneButtonMax, 'phone number button');
  limit('copy-code-limit', 'COPY_CODE', TEMPLATE_LIMITS.copyCodeButtonMax, 'copy code button');

  // Meta: quick replies and other buttons must form two groups ("Quick Reply, URL, Quick Reply" is invalid).
  const switches = kinds.filter((t, i) => i > 0 && (t === 'QUICK_REPLY') !== (kinds[i - 1] === 'QUICK_REPLY')).length;
  if (switches > 1) {
    push(
      ctx.problems,
      'BUTTONS',
      'button-grouping',
      `Quick reply buttons must come all before or all after the other buttons; got ${kinds.join(', ')}.`,
    );
  }
}

/** Checks one button; returns its type when it is a known one. */
function checkButton(ctx: Ctx, button: unknown, where: string): ButtonType | null {
  if (!isObject(button)) {
    push(ctx.problems, where, 'button-invalid', `Each button must be an object with a type; got ${describe(button)}.`);
    return null;
  }
  const type = BUTTON_TYPES.find((t) => t === button['type']);
  if (type === undefined) {
    push(
      ctx.problems,
      where,
      'unknown-button-type',
      `Button type must be QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE or OTP; got ${describe(button['type'])}` +
        `${uppercaseHint(button['type'], BUTTON_TYPES)}. (Parlo does not model FLOW, MPM, CATALOG or VOICE_CALL buttons yet.)`,
    );
    return null;
  }
  checkFields(ctx.problems, button, BUTTON_FIELDS[type], where, '');
  switch (type) {
    case 'QUICK_REPLY':
    case 'PHONE_NUMBER':
      checkButtonText(ctx, button['text'], where, 'text', true);
      if (type === 'PHONE_NUMBER') checkPhoneNumber(ctx, button['phone_number'], where);
      break;
    case 'URL':
      checkButtonText(ctx, button['text'], where, 'text', true);
      checkUrlButton(ctx, button, where);
      break;
    case 'COPY_CODE':
      checkCopyCode(ctx, button['example'], where);
      break;
    case 'OTP':
      checkOtpButton(ctx, button, where);
      break;
  }
  return type;
}

function checkButtonText(ctx: Ctx, text: unknown, where: string, field: string, required: boolean): void {
  if (text === undefined && !required) return;
  if (typeof text !== 'string' || text.trim() === '') {
    push(
      ctx.problems,
      where,
      'button-text-missing',
      `The button needs a ${field} label (up to ${TEMPLATE_LIMITS.buttonTextMaxLength} characters); got ${describe(text)}.`,
    );
    return;
  }
  if (text.length > TEMPLATE_LIMITS.buttonTextMaxLength) {
    push(
      ctx.problems,
      where,
      'button-text-too-long',
      `Button ${field} is limited to ${TEMPLATE_LIMITS.buttonTextMaxLength} characters; ${describe(text)} has ${text.length}.`,
    );
  }
}

function checkUrlButton(ctx: Ctx, button: JsonObject, where: string): void {
  const url = button['url'];
  if (typeof url !== 'string' || url.trim() === '') {
    push(ctx.problems, where, 'url-missing', `A URL button needs its url (https://…); got ${describe(url)}.`);
    return;
  }
  if (url.length > TEMPLATE_LIMITS.urlMaxLength) {
    push(
      ctx.problems,
      where,
      'url-too-long',
      `Button URLs are limited to ${count(TEMPLATE_LIMITS.urlMaxLength)} characters; this one has ${count(url.length)}.`,
    );
  }
  const { names, tokens } = checkVariables(ctx, url, where);
  const example = button['example'];
  if (tokens.length > 1) {
    push(
      ctx.problems,
      where,
      'url-variable-count',
      `A button URL supports one variable, at its end; this one has ${tokens.length} (${braces(tokens.map((t) => t.name))}).`,
    );
  } else {
    const token = tokens[0];
    if (token !== undefined && token.end !== url.length) {
      push(
        ctx.problems,
        where,
        'url-variable-position',
        `The URL's variable must be the very end of the URL (Meta appends the value there); ${describe(url)} continues after {{${token.name}}}.`,
      );
    }
    if (token !== undefined && ctx.format === 'positional' && POSITIONAL_NAME.test(token.name) && token.name !== '1') {
      push(
        ctx.problems,
        where,
        'url-variable-number',
        `A URL button's variable must be {{1}} (each button numbers its own variables); got {{${token.name}}}.`,
      );
    }
    checkStringList(ctx, example, names.length, where, 'example', 'url-example-missing', 'url-example-count');
  }
  // Meta rejects URLs that are not absolute http(s) URIs ("buttons[0]['url'] is not a valid URI").
  const sample = url.replace(TOKEN_PATTERN, 'sample');
  if (!isHttpUrl(sample)) {
    push(
      ctx.problems,
      where,
      'url-invalid',
      `The button URL must be a full http:// or https:// address; got ${describe(url)}.`,
    );
  }
}

function checkPhoneNumber(ctx: Ctx, phone: unknown, where: string): void {
  if (typeof phone === 'string' && PHONE_NUMBER.test(phone) && phone.length <= TEMPLATE_LIMITS.phoneNumberMaxLength)
    return;
  push(
    ctx.problems,
    where,
    'phone-number-format',
    `phone_number must be digits with an optional leading "+" (country code first, e.g. "15550051310"), at most ` +
      `${TEMPLATE_LIMITS.phoneNumberMaxLength} characters; got ${describe(phone)}.`,
  );
}

function checkCopyCode(ctx: Ctx, example: unknown, where: string): void {
  const max = TEMPLATE_LIMITS.copyCodeExampleMaxLength;
  if (isNonBlankString(example) && example.length <= max) return;
  push(
    ctx.problems,
    where,
    'copy-code-example',
    `A COPY_CODE button needs example: a sample code of 1 to ${max} characters; got ${describe(example)}.`,
  );
}

function checkOtpButton(ctx: Ctx, button: JsonObject, where: string): void {
  if (ctx.category !== 'AUTHENTICATION') {
    push(
      ctx.problems,
      where,
      'otp-button-not-allowed',
      'OTP buttons are only for AUTHENTICATION templates; use COPY_CODE for a coupon code in a MARKETING template.',
    );
    return;
  }
  const otpType = OTP_TYPES.find((t) => t === button['otp_type']);
  if (otpType === undefined) {
    push(
      ctx.problems,
      where,
      'otp-type',
      `otp_type must be COPY_CODE, ONE_TAP or ZERO_TAP; got ${describe(button['otp_type'])}${uppercaseHint(button['otp_type'], OTP_TYPES)}.`,
    );
  }
  checkButtonText(ctx, button['text'], where, 'text', false);
  checkButtonText(ctx, button['autofill_text'], where, 'autofill_text', false);
  if (otpType === 'COPY_CODE') {
    for (const key of ['autofill_text', 'package_name', 'signature_hash'] as const) {
      if (button[key] !== undefined) {
        push(
          ctx.problems,
          where,
          'field-not-allowed',
          `${key} is only for ONE_TAP and ZERO_TAP buttons; remove it from this COPY_CODE button.`,
        );
      }
    }
    return;
  }
  if (otpType === undefined) return;
  const terms = button['zero_tap_terms_accepted'];
  if (otpType === 'ZERO_TAP' && terms !== true) {
    push(
      ctx.problems,
      where,
      'zero-tap-terms',
      `A ZERO_TAP button needs zero_tap_terms_accepted: true (you accept Meta's zero-tap terms); got ${describe(terms)}.`,
    );
  } else if (otpType === 'ONE_TAP' && terms !== undefined) {
    push(ctx.problems, where, 'field-not-allowed', 'zero_tap_terms_accepted is only for ZERO_TAP buttons.');
  }
  const packageName = button['package_name'];
  const hash = button['signature_hash'];
  if (packageName === undefined || hash === undefined) {
    push(
      ctx.problems,
      where,
      'otp-app-missing',
      `A ${otpType} button needs your Android app's package_name and signature_hash; ` +
        `missing ${[packageName === undefined ? 'package_name' : '', hash === undefined ? 'signature_hash' : ''].filter(Boolean).join(' and ')}.`,
    );
  }
  if (
    packageName !== undefined &&
    !(
      typeof packageName === 'string' &&
      PACKAGE_NAME.test(packageName) &&
      packageName.length <= TEMPLATE_LIMITS.otpPackageNameMaxLength
    )
  ) {
    push(
      ctx.problems,
      where,
      'otp-package-name',
      `package_name must be an Android package name: two or more dot-separated segments, each starting with a letter, ` +
        `letters/digits/underscores only, at most ${TEMPLATE_LIMITS.otpPackageNameMaxLength} characters (e.g. "com.example.shop"); got ${describe(packageName)}.`,
    );
  }
  if (hash !== undefined && !isSignatureHash(hash)) {
    push(
      ctx.problems,
      where,
      'otp-signature-hash',
      `signature_hash must be your app signing key hash: exactly ${TEMPLATE_LIMITS.otpSignatureHashLength} characters ` +
        `from A-Z, a-z, 0-9, +, / and = (e.g. "K8a/AINcGX7"); got ${describe(hash)}.`,
    );
  }
}

/**
 * Meta's docs: exactly 11 characters of a-zA-Z0-9+/=. Meta's own OpenAPI example sends it percent-encoded
 * ("K8a%2FAINcGX7" for "K8a/AINcGX7"), so an encoded `+`, `/` or `=` is decoded before checking.
 */
function isSignatureHash(hash: unknown): boolean {
  if (typeof hash !== 'string') return false;
  const decoded = hash.replace(/%2B/gi, '+').replace(/%2F/gi, '/').replace(/%3D/gi, '=');
  return decoded.length === TEMPLATE_LIMITS.otpSignatureHashLength && SIGNATURE_HASH.test(decoded);
}

// ---- variables and examples ------------------------------------------------------------------------------------

/**
 * Reports malformed placeholders and ones that do not fit the template's parameter format. Returns the distinct
 * variable names in order of first appearance (badly named ones included, so their examples still match) and the
 * well-formed tokens.
 */
function checkVariables(
  ctx: Ctx,
  text: string,
  where: string,
): { names: readonly string[]; tokens: readonly VariableToken[] } {
  const tokens: VariableToken[] = [];
  const reported = new Set<string>();
  for (const token of parseVariables(text)) {
    const { name } = token;
    const isPositional = POSITIONAL_NAME.test(name);
    if (!isPositional && !IDENTIFIER_LIKE.test(name)) {
      push(
        ctx.problems,
        where,
        'malformed-variable',
        `{{${name}}} is not a valid variable: use {{1}}, {{2}}… or, in a named template, {{lower_snake_case}} (no spaces or symbols).`,
      );
      continue;
    }
    if (/^[0-9]+$/.test(name) && !isPositional) {
      push(
        ctx.problems,
        where,
        'malformed-variable',
        `{{${name}}} is not a valid variable: positional variables start at {{1}}.`,
      );
      continue;
    }
    tokens.push(token);
    if (reported.has(name)) continue;
    reported.add(name);
    if (ctx.format === 'positional' && !isPositional) {
      push(
        ctx.problems,
        where,
        'parameter-format-mismatch',
        `{{${name}}} is a named variable but the template is positional; use {{1}}, {{2}}… or set parameter_format to "named".`,
      );
    } else if (ctx.format === 'named' && isPositional) {
      push(
        ctx.problems,
        where,
        'parameter-format-mismatch',
        `{{${name}}} is a positional variable but the template's parameter_format is "named"; use a name such as {{first_name}}.`,
      );
    } else if (ctx.format === 'named' && !NAMED_NAME.test(name)) {
      push(
        ctx.problems,
        where,
        'named-parameter-pattern',
        `Named variables may contain only lowercase letters and underscores; got {{${name}}}. Try {{${name.toLowerCase().replace(/[^a-z_]/g, '_')}}}.`,
      );
    }
  }
  const rest = text.replace(TOKEN_PATTERN, '');
  if (rest.includes('{{') || rest.includes('}}')) {
    push(
      ctx.problems,
      where,
      'malformed-variable',
      'The text has unmatched "{{" or "}}"; every variable is written {{1}} or {{name}} with two braces on each side.',
    );
  }
  return { names: [...reported], tokens };
}

interface ExampleSpec {
  readonly component: string;
  readonly names: readonly string[];
  /** The positional example values (a flat list), if given. */
  readonly positional: unknown;
  readonly positionalKey: string;
  /** The named example list, if given. */
  readonly named: unknown;
  readonly namedKey: string;
  readonly missingRule: LintRule;
  readonly countRule: LintRule;
}

/** Meta: "If your templates use variables, you must include sample variable values upon template creation." */
function checkExample(ctx: Ctx, spec: ExampleSpec): void {
  const { component, positional, named } = spec;
  if (ctx.format === 'positional') {
    if (named !== undefined) {
      push(
        ctx.problems,
        component,
        'parameter-format-mismatch',
        `example.${spec.namedKey} is for named templates; this template is positional, so give example.${spec.positionalKey}.`,
      );
    }
    checkStringList(
      ctx,
      positional,
      spec.names.length,
      component,
      `example.${spec.positionalKey}`,
      spec.missingRule,
      spec.countRule,
    );
    return;
  }
  if (positional !== undefined) {
    push(
      ctx.problems,
      component,
      'parameter-format-mismatch',
      `example.${spec.positionalKey} is for positional templates; this template is named, so give example.${spec.namedKey}.`,
    );
  }
  checkNamedExample(ctx, spec);
}

function checkStringList(
  ctx: Ctx,
  list: unknown,
  expected: number,
  where: string,
  label: string,
  missingRule: LintRule,
  countRule: LintRule,
): void {
  if (list === undefined || (Array.isArray(list) && list.length === 0)) {
    if (expected > 0) {
      push(
        ctx.problems,
        where,
        missingRule,
        `${label} is required: give a sample value for each of the ${expected} variable(s) so Meta can review the template.`,
      );
    }
    return;
  }
  if (!Array.isArray(list)) {
    push(ctx.problems, where, 'field-type', `${label} must be an array of sample values; got ${describe(list)}.`);
    return;
  }
  if (list.length !== expected) {
    push(
      ctx.problems,
      where,
      countRule,
      `${label} must hold exactly one sample value per variable: the text has ${expected}, the example has ${list.length}.`,
    );
  }
  list.forEach((value: unknown, i) => {
    if (!isNonBlankString(value)) {
      push(
        ctx.problems,
        where,
        'example-value-invalid',
        `${label}[${i}] must be a non-empty string; got ${describe(value)}.`,
      );
    }
  });
}

function checkNamedExample(ctx: Ctx, spec: ExampleSpec): void {
  const { component, names, named } = spec;
  const label = `example.${spec.namedKey}`;
  if (named === undefined || (Array.isArray(named) && named.length === 0)) {
    if (names.length > 0) {
      push(
        ctx.problems,
        component,
        spec.missingRule,
        `${label} is required: give { "param_name", "example" } for each of ${braces(names)}.`,
      );
    }
    return;
  }
  if (!Array.isArray(named)) {
    push(
      ctx.problems,
      component,
      'field-type',
      `${label} must be an array of { "param_name", "example" }; got ${describe(named)}.`,
    );
    return;
  }
  if (names.length === 0) {
    push(
      ctx.problems,
      component,
      spec.countRule,
      `${label} gives ${named.length} value(s) but the text has no variables.`,
    );
    return;
  }
  const given: string[] = [];
  named.forEach((entry: unknown, i) => {
    if (!isObject(entry) || typeof entry['param_name'] !== 'string' || !isNonBlankString(entry['example'])) {
      push(
        ctx.problems,
        component,
        'example-value-invalid',
        `${label}[${i}] must be { "param_name": "<name>", "example": "<non-empty sample>" }; got ${describe(entry)}.`,
      );
      return;
    }
    checkFields(ctx.problems, entry, ['param_name', 'example'], component, `${label}[${i}].`);
    given.push(entry['param_name']);
  });
  const missing = names.filter((n) => !given.includes(n));
  const extra = given.filter((n) => !names.includes(n));
  const repeated = given.filter((n, i) => given.indexOf(n) !== i);
  if (missing.length > 0 || extra.length > 0 || repeated.length > 0) {
    const parts = [
      missing.length > 0 ? `no sample for ${braces(missing)}` : '',
      extra.length > 0 ? `samples for ${braces(extra)}, which the text does not use` : '',
      repeated.length > 0 ? `more than one sample for ${braces(repeated)}` : '',
    ].filter(Boolean);
    push(
      ctx.problems,
      component,
      'example-names-mismatch',
      `${label} must give exactly one sample per variable (${braces(names)}); it has ${parts.join(', ')}.`,
    );
  }
}

// ---- helpers ---------------------------------------------------------------------------------------------------

function push(problems: LintProblem[], component: string, rule: LintRule, message: string): void {
  problems.push({ component, rule, message });
}

function checkFields(
  problems: LintProblem[],
  object: JsonObject,
  allowed: readonly string[],
  component: string,
  prefix: string,
): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      push(
        problems,
        component,
        'unknown-field',
        `Unknown field "${prefix}${key}"${component === 'template' ? ' in the template' : ''}; Parlo accepts ${allowed
          .map((k) => `"${prefix}${k}"`)
          .join(', ')} here.`,
      );
    }
  }
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonBlankString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isHttpUrl(text: string): boolean {
  if (!/^https?:\/\//i.test(text)) return false;
  try {
    return new URL(text).hostname !== '';
  } catch {
    return false;
  }
}

function isOneToN(numbers: readonly number[]): boolean {
  const sorted = [...numbers].sort((a, b) => a - b);
  return sorted.every((n, i) => n === i + 1);
}

function distinctNames(text: string): string[] {
  return [...new Set(parseVariables(text).map((t) => t.name))];
}

function braces(names: readonly string[]): string {
  return names.map((n) => `{{${n}}}`).join(', ');
}

/** "1,024": thousands separators without depending on the process locale. */
function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** A short, quoted rendering of what the user sent, for messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** " (write it in uppercase: "BODY")" when only the case is wrong: Meta accepts any case, Parlo stores Meta's. */
function uppercaseHint(value: unknown, known: readonly string[]): string {
  if (typeof value !== 'string') return '';
  const upper = value.toUpperCase();
  return known.includes(upper) ? ` (write it in uppercase: "${upper}")` : '';
}
