import type { OutboundContent } from '../../core/index.ts';
import { templateVariables } from './template-lint.ts';
import type { TemplateValues } from './template-preview.ts';
import type { TemplateDefinition } from './template.types.ts';

/**
 * The Cloud API `template` object that sends a template with its variables filled (pure): a `header`, `body` and
 * one `button` component per URL button with a variable, each listing its parameters in the order the template
 * first uses them (positional templates) or by `parameter_name` (named ones). A media header takes `headerMedia`
 * (a link or an uploaded media id): Meta needs one on every send of such a template.
 */
export interface HeaderMedia {
  readonly type: 'image' | 'video' | 'document';
  readonly link?: string;
  readonly id?: string;
  /** Documents: the file name shown to the customer. */
  readonly filename?: string;
}

export function templateMessageContent(
  template: TemplateDefinition,
  values: TemplateValues,
  headerMedia?: HeaderMedia,
): Extract<OutboundContent, { type: 'template' }> {
  const named = template.parameter_format === 'named';
  const texts = (names: readonly string[], given: Readonly<Record<string, string>> | undefined) =>
    names.map((name) => ({ type: 'text', text: given?.[name] ?? '', ...(named ? { parameter_name: name } : {}) }));
  const variables = templateVariables(template);
  const components: Record<string, unknown>[] = [];
  if (variables.header.length > 0) {
    components.push({ type: 'header', parameters: texts(variables.header, values.header) });
  } else if (headerMedia !== undefined && hasMediaHeader(template)) {
    const { type, ...media } = headerMedia;
    components.push({ type: 'header', parameters: [{ type, [type]: media }] });
  }
  if (variables.body.length > 0) components.push({ type: 'body', parameters: texts(variables.body, values.body) });
  for (const { index, variables: names } of variables.buttons) {
    // URL buttons take their variable positionally whatever the template's parameter format.
    const text = values.buttons?.[index]?.[names[0] ?? ''] ?? '';
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

/** Whether the template's header is an image, video or document, which every send must provide. */
export function hasMediaHeader(template: TemplateDefinition): boolean {
  return template.components.some(
    (c) => c.type === 'HEADER' && (c.format === 'IMAGE' || c.format === 'VIDEO' || c.format === 'DOCUMENT'),
  );
}
