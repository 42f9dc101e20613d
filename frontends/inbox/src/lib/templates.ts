import type { TemplateContent, TemplateDefinition, TemplateValues } from './wire.ts';

/**
 * What the template picker needs of a template: its variables (to ask for a value each) and the Cloud API
 * `template` object that sends it with those values (the send route's `content`). Names are those of Meta's
 * definition: `1`, `2`… for positional templates, `first_name`… for named ones.
 */

export interface TemplateVariables {
  readonly header: readonly string[];
  readonly body: readonly string[];
  /** URL buttons with a variable, by their index among the template's buttons. */
  readonly buttons: readonly { readonly index: number; readonly variables: readonly string[] }[];
  /** IMAGE, VIDEO or DOCUMENT when every send must give the header's media; else null. */
  readonly headerMedia: 'IMAGE' | 'VIDEO' | 'DOCUMENT' | null;
}

const TOKEN = /\{\{\s*([^{}\s]+)\s*\}\}/g;

function distinctNames(text: string | undefined): string[] {
  if (text === undefined) return [];
  return [...new Set(Array.from(text.matchAll(TOKEN), (m) => m[1] ?? ''))].filter((n) => n !== '');
}

export function templateVariables(template: TemplateDefinition): TemplateVariables {
  let header: string[] = [];
  let body: string[] = [];
  let headerMedia: TemplateVariables['headerMedia'] = null;
  const buttons: { index: number; variables: string[] }[] = [];
  for (const component of template.components) {
    switch (component.type) {
      case 'HEADER':
        if (component.format === 'TEXT') header = distinctNames(component.text);
        else if (component.format === 'IMAGE' || component.format === 'VIDEO' || component.format === 'DOCUMENT') {
          headerMedia = component.format;
        }
        break;
      case 'BODY':
        body = template.category === 'AUTHENTICATION' ? ['1'] : distinctNames(component.text);
        break;
      case 'BUTTONS':
        (component.buttons ?? []).forEach((button, index) => {
          if (button.type !== 'URL') return;
          const variables = distinctNames(button.url);
          if (variables.length > 0) buttons.push({ index, variables });
        });
        break;
      default:
        break;
    }
  }
  return { header, body, buttons, headerMedia };
}

/** Every variable of the template has a non-blank value (and the media header a link). */
export function isComplete(variables: TemplateVariables, values: TemplateValues, headerMediaLink: string): boolean {
  const filled = (names: readonly string[], given: Readonly<Record<string, string>> | undefined) =>
    names.every((n) => (given?.[n] ?? '').trim() !== '');
  return (
    filled(variables.header, values.header) &&
    filled(variables.body, values.body) &&
    variables.buttons.every((b) => filled(b.variables, values.buttons?.[String(b.index)])) &&
    (variables.headerMedia === null || headerMediaLink.trim() !== '')
  );
}

/** The `content` of `POST /v1/messages` that sends `template` filled with `values`. */
export function templateContent(
  template: TemplateDefinition,
  values: TemplateValues,
  headerMediaLink = '',
): TemplateContent {
  const named = template.parameter_format === 'named';
  const variables = templateVariables(template);
  const texts = (names: readonly string[], given: Readonly<Record<string, string>> | undefined) =>
    names.map((name) => ({ type: 'text', text: given?.[name] ?? '', ...(named ? { parameter_name: name } : {}) }));
  const components: Record<string, unknown>[] = [];
  if (variables.header.length > 0) {
    components.push({ type: 'header', parameters: texts(variables.header, values.header) });
  } else if (variables.headerMedia !== null && headerMediaLink.trim() !== '') {
    const type = variables.headerMedia.toLowerCase();
    components.push({ type: 'header', parameters: [{ type, [type]: { link: headerMediaLink.trim() } }] });
  }
  if (variables.body.length > 0) components.push({ type: 'body', parameters: texts(variables.body, values.body) });
  for (const { index, variables: names } of variables.buttons) {
    const text = values.buttons?.[String(index)]?.[names[0] ?? ''] ?? '';
    components.push({ type: 'button', sub_type: 'url', index: String(index), parameters: [{ type: 'text', text }] });
  }
  return {
    type: 'template',
    template: {
      name: template.name,
      language: { code: template.language },
      ...(components.length > 0 ? { components } : {}),
    },
  };
}

/** The template's body with the values sent in its place (for showing a sent template), or null. */
export function filledBody(template: TemplateDefinition, parameters: readonly string[]): string | null {
  const body = template.components.find((c) => c.type === 'BODY')?.text;
  if (body === undefined) return null;
  const names = distinctNames(body);
  return body.replace(TOKEN, (whole, name: string) => parameters[names.indexOf(name)] ?? whole);
}
