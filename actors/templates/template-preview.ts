/**
 * Template preview, pure (STYLE rule 3): the message as a customer would read it, for the editor and before a
 * campaign starts. Either every variable has a value and the whole text comes back, or every missing value is
 * listed and no text comes back: a half-rendered "Hi {{1}}" must never reach a screen that looks final, and a
 * campaign must not send it either.
 *
 * Values are keyed by variable name as the template writes it (`"1"`, `"2"` or `"first_name"`), per component,
 * because Meta numbers variables per component: the body's `{{1}}` and a URL button's `{{1}}` are different
 * values. Buttons are keyed by their 0-based position, as Meta's send API counts them. A value that is empty or
 * only whitespace counts as missing (Meta refuses empty text parameters). Values are inserted as given; a URL
 * button's value must be percent-encoded when sent (Meta's rule), which is the sending adapter's job, not the
 * preview's.
 *
 * `valuesFromMapping` turns a campaign's mapping (variable → contact field with a fallback, or a fixed value) and
 * one contact into values, leaving out what it cannot fill so that `previewTemplate` reports it.
 */

import { parseVariables, templateVariables } from './template-lint.ts';
import type {
  BodyComponent,
  ButtonsComponent,
  FooterComponent,
  HeaderComponent,
  HeaderFormat,
  TemplateButton,
  TemplateDefinition,
} from './template.types.ts';

export interface TemplateValues {
  readonly header?: Readonly<Record<string, string>>;
  readonly body?: Readonly<Record<string, string>>;
  /** By 0-based button position. */
  readonly buttons?: Readonly<Record<number, Readonly<Record<string, string>>>>;
}

export interface PreviewButton {
  readonly type: TemplateButton['type'];
  readonly text: string;
  readonly url?: string;
  readonly phoneNumber?: string;
}

export interface TemplatePreview {
  /** `text` is null for media and location headers: the media or place is chosen when sending. */
  readonly header: { readonly format: HeaderFormat; readonly text: string | null } | null;
  readonly body: string;
  readonly footer: string | null;
  /** A fresh array the caller may keep or serialise (mutable, as the HTTP response schema expects). */
  readonly buttons: PreviewButton[];
}

/** `component` is `HEADER`, `BODY` or `BUTTONS[i]`; `variable` the name between the braces. */
export interface MissingValue {
  readonly component: string;
  readonly variable: string;
}

export type PreviewResult =
  { readonly ok: true; readonly preview: TemplatePreview } | { readonly ok: false; readonly missing: MissingValue[] };

/** Where a variable's value comes from in a campaign: a contact field (with an optional fallback) or a constant. */
export type VariableSource = { readonly field: string; readonly fallback?: string } | { readonly value: string };

export interface VariableMapping {
  readonly header?: Readonly<Record<string, VariableSource>>;
  readonly body?: Readonly<Record<string, VariableSource>>;
  /** By 0-based button position. */
  readonly buttons?: Readonly<Record<number, Readonly<Record<string, VariableSource>>>>;
}

/** A contact's fields, flattened: `name`, `phone`, custom field keys… */
export type ContactFields = Readonly<Record<string, string | number | boolean | null | undefined>>;

/**
 * Meta's fixed English texts for AUTHENTICATION templates (authentication template docs). Meta localises them to
 * the template's language when it delivers the message (and sets the code in bold); the preview shows the English
 * wording whatever the language, since Parlo does not hold Meta's translations.
 */
export const AUTHENTICATION_TEXTS = {
  body: (code: string): string => `${code} is your verification code.`,
  securityRecommendation: 'For your security, do not share this code.',
  /** Meta's wording is "<NUM_MINUTES> minutes" whatever the number. */
  codeExpiration: (minutes: number): string => `This code expires in ${minutes} minutes.`,
  copyCodeButton: 'Copy code',
  autofillButton: 'Autofill',
} as const;

/** The label WhatsApp shows on a COPY_CODE (coupon) button, which the template does not set. */
export const COPY_CODE_BUTTON_TEXT = 'Copy offer code';

/**
 * Renders `template` with `values`. Every variable of the header, the body and URL buttons needs a non-blank
 * value; all missing ones are reported together.
 */
export function previewTemplate(template: TemplateDefinition, values: TemplateValues): PreviewResult {
  const missing: MissingValue[] = [];
  const fill = (text: string, component: string, given: Readonly<Record<string, string>> | undefined): string => {
    let out = '';
    let from = 0;
    const reported = new Set<string>();
    for (const token of parseVariables(text)) {
      const value = given?.[token.name];
      if (value === undefined || value.trim() === '') {
        if (!reported.has(token.name)) missing.push({ component, variable: token.name });
        reported.add(token.name);
      }
      out += text.slice(from, token.start) + (value ?? '');
      from = token.end;
    }
    return out + text.slice(from);
  };

  const isAuthentication = template.category === 'AUTHENTICATION';
  const header = findComponent<HeaderComponent>(template, 'HEADER');
  const body = findComponent<BodyComponent>(template, 'BODY');
  const footer = findComponent<FooterComponent>(template, 'FOOTER');
  const buttons = findComponent<ButtonsComponent>(template, 'BUTTONS');

  const renderedHeader =
    header === undefined
      ? null
      : {
          format: header.format,
          text: header.format === 'TEXT' ? fill(header.text ?? '', 'HEADER', values.header) : null,
        };
  const renderedBody = isAuthentication
    ? authenticationBody(fill('{{1}}', 'BODY', values.body), body?.add_security_recommendation === true)
    : fill(body?.text ?? '', 'BODY', values.body);
  const renderedFooter = isAuthentication
    ? footer?.code_expiration_minutes === undefined
      ? null
      : AUTHENTICATION_TEXTS.codeExpiration(footer.code_expiration_minutes)
    : (footer?.text ?? null);
  const renderedButtons = (buttons?.buttons ?? []).map((button, index): PreviewButton => {
    switch (button.type) {
      case 'QUICK_REPLY':
        return { type: button.type, text: button.text };
      case 'URL':
        return {
          type: button.type,
          text: button.text,
          url: fill(button.url, `BUTTONS[${index}]`, values.buttons?.[index]),
        };
      case 'PHONE_NUMBER':
        return { type: button.type, text: button.text, phoneNumber: button.phone_number };
      case 'COPY_CODE':
        return { type: button.type, text: COPY_CODE_BUTTON_TEXT };
      case 'OTP':
        // One-tap and zero-tap show the autofill button on Android and fall back to copy code elsewhere; the
        // preview shows the button the user is most likely to see.
        return {
          type: button.type,
          text:
            button.otp_type === 'COPY_CODE'
              ? (button.text ?? AUTHENTICATION_TEXTS.copyCodeButton)
              : (button.autofill_text ?? AUTHENTICATION_TEXTS.autofillButton),
        };
    }
  });

  if (missing.length > 0) return { ok: false, missing };
  return {
    ok: true,
    preview: { header: renderedHeader, body: renderedBody, footer: renderedFooter, buttons: renderedButtons },
  };
}

/**
 * Values for `template` from a campaign `mapping` and one `contact`. For each variable the template has:
 * - `{ value }` gives that text;
 * - `{ field, fallback }` reads `contact[field]`: a string as is, a number in plain digits (`String(n)`, so
 *   `1234.5`, no grouping, since locale formatting belongs in the field itself), a boolean as "yes"/"no" in the
 *   template's language (en, es, it, pt, fr, de; English otherwise), because a customer should never read "true";
 * - a field that is missing, null, empty or only whitespace (or a number that is not finite) takes `fallback`, and
 *   without a (non-blank) fallback the variable is left out, so `previewTemplate` reports it as missing.
 * Mapped names the template does not use are ignored.
 */
export function valuesFromMapping(
  template: TemplateDefinition,
  mapping: VariableMapping,
  contact: ContactFields,
): TemplateValues {
  const words = booleanWords(template.language);
  const resolve = (
    names: readonly string[],
    sources: Readonly<Record<string, VariableSource>> | undefined,
  ): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const name of names) {
      const source = sources?.[name];
      if (source === undefined) continue;
      const value = 'value' in source ? source.value : (fieldText(contact[source.field], words) ?? source.fallback);
      if (value !== undefined && value.trim() !== '') out[name] = value;
    }
    return out;
  };
  const variables = templateVariables(template);
  const buttons: Record<number, Record<string, string>> = {};
  for (const { index, variables: names } of variables.buttons) {
    buttons[index] = resolve(names, mapping.buttons?.[index]);
  }
  return {
    header: resolve(variables.header, mapping.header),
    body: resolve(variables.body, mapping.body),
    buttons,
  };
}

function authenticationBody(code: string, withSecurityRecommendation: boolean): string {
  const text = AUTHENTICATION_TEXTS.body(code);
  return withSecurityRecommendation ? `${text} ${AUTHENTICATION_TEXTS.securityRecommendation}` : text;
}

function findComponent<C extends TemplateDefinition['components'][number]>(
  template: TemplateDefinition,
  type: C['type'],
): C | undefined {
  return template.components.find((c): c is C => c.type === type);
}

type BooleanWords = readonly [yes: string, no: string];

const BOOLEAN_WORDS: Readonly<Record<string, BooleanWords>> = {
  en: ['yes', 'no'],
  es: ['sí', 'no'],
  it: ['sì', 'no'],
  pt: ['sim', 'não'],
  fr: ['oui', 'non'],
  de: ['ja', 'nein'],
};

function booleanWords(language: string): BooleanWords {
  return BOOLEAN_WORDS[language.split('_')[0] ?? ''] ?? ['yes', 'no'];
}

function fieldText(value: ContactFields[string], [yes, no]: BooleanWords): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'boolean') return value ? yes : no;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  return value.trim() === '' ? undefined : value;
}
