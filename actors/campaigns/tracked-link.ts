import type { ContactFields, TemplateValues } from '../templates/template-preview.ts';
import type { TemplateDefinition } from '../templates/template.types.ts';

/**
 * Tracked URL buttons (issue #6, 4), pure. A campaign variant may track clicks on a URL button of its template: the
 * template's button then opens Parlo's redirect, `<public URL>/r/{{1}}`, the run fills `{{1}}` with a click token
 * per recipient (click-token.ts), and the redirect counts the click and answers 302 to the button's real
 * destination, which the campaign keeps. WhatsApp lets a URL button vary only in a suffix (one variable, at the
 * end), so the destination cannot be the template's own URL: the redirect is what makes a per-recipient, countable
 * link possible.
 *
 * A destination is an http(s) URL of at most 2,000 characters that may read contact fields after its host:
 * `https://shop.example/cart?c={{contact.cart_id}}&utm_campaign=spring`, optionally with a fallback
 * (`{{contact.first_name|friend}}`). Values are percent-encoded where they are inserted. A field in the host is
 * refused: a contact's data must not choose where a customer is sent.
 */

export interface TrackedButton {
  /** The URL button's 0-based position among the template's buttons (as Meta's send API counts them). */
  readonly button: number;
  readonly destination: string;
}

/** Meta's limit on a button URL, applied to the destination too. */
export const MAX_DESTINATION_LENGTH = 2_000;
/** Where the redirect listens, under the installation's public URL. */
export const CLICK_REDIRECT_PATH = '/r/';
/** The variable a tracked button's template URL ends with (URL buttons number their own: always `{{1}}`). */
export const CLICK_TOKEN_VARIABLE = '1';

const PLACEHOLDER = /\{\{\s*contact\.([a-z][a-z0-9_]*)\s*(?:\|([^{}|]*))?\}\}/g;
const ANY_BRACES = /\{\{|\}\}/;
const ORIGIN = /^https?:\/\/[^/?#\s]+[/?#]/i;

interface Placeholder {
  readonly field: string;
  readonly fallback: string;
  readonly start: number;
  readonly end: number;
}

function placeholders(destination: string): Placeholder[] {
  return [...destination.matchAll(PLACEHOLDER)].map((m) => ({
    field: m[1]!,
    fallback: m[2] ?? '',
    start: m.index,
    end: m.index + m[0].length,
  }));
}

/** What is wrong with a destination (each a sentence), or nothing. */
export function destinationProblems(destination: string): string[] {
  if (destination.length > MAX_DESTINATION_LENGTH) {
    return [`is ${destination.length} characters; at most ${MAX_DESTINATION_LENGTH}`];
  }
  const found = placeholders(destination);
  let rest = '';
  let from = 0;
  for (const p of found) {
    rest += destination.slice(from, p.start) + 'x';
    from = p.end;
  }
  rest += destination.slice(from);
  const problems: string[] = [];
  if (ANY_BRACES.test(rest)) {
    problems.push('has braces that are no {{contact.field}} or {{contact.field|fallback}} placeholder');
  }
  if (!isHttpUrl(rest)) problems.push(`must be a full http:// or https:// URL; got "${truncate(destination)}"`);
  const first = found[0];
  if (first !== undefined && !ORIGIN.test(destination.slice(0, first.start))) {
    problems.push('may read contact fields only after its host (in the path, query or fragment)');
  }
  return problems;
}

/** Whether the destination is the same for every recipient (no contact field in it). */
export function isFixedDestination(destination: string): boolean {
  return placeholders(destination).length === 0;
}

/** The contact fields the destinations read, each once. */
export function destinationFields(buttons: readonly TrackedButton[]): string[] {
  return [...new Set(buttons.flatMap((b) => placeholders(b.destination).map((p) => p.field)))];
}

/**
 * The values of the fields a variant's destinations read, from one contact (taken with the snapshot, like the
 * template's values), or undefined when they read none. A missing or blank field is left out: the placeholder's
 * fallback (or nothing) stands in when the link is followed.
 */
export function linkValuesOf(
  buttons: readonly TrackedButton[] | undefined,
  contact: ContactFields,
): Readonly<Record<string, string>> | undefined {
  const fields = destinationFields(buttons ?? []);
  if (fields.length === 0) return undefined;
  const values: Record<string, string> = {};
  for (const field of fields) {
    const value = contact[field];
    if (value === null || value === undefined) continue;
    const text = String(value).trim();
    if (text !== '') values[field] = text;
  }
  return values;
}

/** The destination for one recipient: each placeholder replaced by its value (or fallback), percent-encoded. */
export function resolveDestination(destination: string, values: Readonly<Record<string, string>> | undefined): string {
  let out = '';
  let from = 0;
  for (const p of placeholders(destination)) {
    out += destination.slice(from, p.start) + encodeURIComponent(values?.[p.field] ?? p.fallback.trim());
    from = p.end;
  }
  return out + destination.slice(from);
}

/** The URL a tracked button's template must open: the redirect under `publicBaseUrl`, its variable at the end. */
export function trackedButtonUrl(publicBaseUrl: string): string {
  return `${publicBaseUrl.replace(/\/+$/, '')}${CLICK_REDIRECT_PATH}{{${CLICK_TOKEN_VARIABLE}}}`;
}

/**
 * Why `button` of `template` cannot be tracked under `publicBaseUrl` (a sentence naming the template's URL and the
 * one to use), or null when its URL is the redirect with the token variable at its end.
 */
export function trackedButtonProblem(
  template: TemplateDefinition,
  button: number,
  publicBaseUrl: string,
): string | null {
  const expected = trackedButtonUrl(publicBaseUrl);
  const label = `button ${button} of template ${template.name} (${template.language})`;
  const buttons = template.components.find((c) => c.type === 'BUTTONS')?.buttons ?? [];
  const found = buttons[button];
  if (found === undefined) return `${label} does not exist (the template has ${buttons.length} buttons)`;
  if (found.type !== 'URL') return `${label} is a ${found.type} button; only URL buttons can be tracked`;
  const url = found.url.replace(/\{\{\s*1\s*\}\}$/, '{{1}}');
  if (url.toLowerCase() !== expected.toLowerCase()) {
    return `${label} opens ${found.url}; a tracked button's URL must be ${expected} (Parlo's click redirect, its variable at the end)`;
  }
  return null;
}

/** The values with each tracked button's variable set to `tokenOf(button)`. */
export function withClickTokens(
  values: TemplateValues,
  buttons: readonly TrackedButton[],
  tokenOf: (button: number) => string,
): TemplateValues {
  if (buttons.length === 0) return values;
  const filled: Record<number, Readonly<Record<string, string>>> = { ...values.buttons };
  for (const { button } of buttons) filled[button] = { [CLICK_TOKEN_VARIABLE]: tokenOf(button) };
  return { ...values, buttons: filled };
}

function isHttpUrl(text: string): boolean {
  if (/\s/.test(text)) return false;
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}
