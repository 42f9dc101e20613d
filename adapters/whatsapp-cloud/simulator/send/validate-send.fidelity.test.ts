/**
 * Fidelity: every send body in Meta's OpenAPI examples is accepted.
 *
 * The examples are Postman requests: `{{Recipient-Phone-Number}}`-style variables are filled in by Postman before
 * anything reaches Meta, and `http(s)://...` / `<http(s)://...>` stand for "your URL". The test resolves exactly
 * those two kinds of placeholder (and nothing else), then also proves that the raw files fail only on them.
 */
import { describe, expect, it } from 'vitest';
import { readExamples } from './__fixtures__/meta-examples.ts';
import {
  validateSendRequest,
  type SendLookups,
  type TemplateButtonSubType,
  type TemplateHeaderFormat,
  type TemplateInfo,
} from './validate-send.ts';

type Json = Record<string, unknown>;

const POSTMAN_VARIABLES: Record<string, string> = {
  'Recipient-Phone-Number': '16505551234',
  'Recipient-WA-Phone-Number': '16505551234',
  'Flow-ID': '1234567890123456',
  'Flow-Name': 'appointment_booking',
};

const URL_PLACEHOLDER = /^<?http\(s\):\/\/([^>]*)>?$/;

function resolvePlaceholders(v: unknown, kinds: { urls: boolean } = { urls: true }): unknown {
  if (typeof v === 'string') {
    const filled = v.replace(/\{\{([^}]+)\}\}/g, (_, name: string) => {
      const value = POSTMAN_VARIABLES[name];
      if (value === undefined) throw new Error(`unknown Postman variable {{${name}}}: add it to POSTMAN_VARIABLES`);
      return value;
    });
    return kinds.urls ? filled.replace(URL_PLACEHOLDER, 'https://$1') : filled;
  }
  if (Array.isArray(v)) return v.map((x) => resolvePlaceholders(x, kinds));
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolvePlaceholders(x, kinds)]));
  }
  return v;
}

/** Media ids the examples use (Meta's placeholders for ids returned by an upload). */
const EXAMPLE_MEDIA_IDS = new Set([
  '<AUDIO_OBJECT_ID>',
  '<DOCUMENT_OBJECT_ID>',
  '<IMAGE_OBJECT_ID>',
  '<MEDIA_OBJECT_ID>',
  '<VIDEO_OBJECT_ID>',
]);

const asObjects = (v: unknown): Json[] =>
  Array.isArray(v) ? v.filter((x): x is Json => typeof x === 'object' && x !== null) : [];

/** The approved template an example was written against, read back from the example's own components. */
function deriveTemplateInfo(template: Json): TemplateInfo {
  const info: TemplateInfo = {
    status: 'APPROVED',
    category: 'MARKETING',
    parameterFormat: 'positional',
    headerParamCount: 0,
    bodyParamNames: [],
    bodyParamCount: 0,
    buttons: [],
  };
  const buttons: TemplateInfo['buttons'][number][] = [];
  for (const component of asObjects(template.components)) {
    const params = asObjects(component.parameters);
    switch (String(component.type).toLowerCase()) {
      case 'header':
        info.headerFormat = String(params[0]?.type).toUpperCase() as TemplateHeaderFormat;
        info.headerParamCount = params.length;
        break;
      case 'body': {
        const names = params.map((p) => p.parameter_name).filter((n): n is string => typeof n === 'string');
        info.parameterFormat = names.length > 0 ? 'named' : 'positional';
        info.bodyParamNames = names;
        info.bodyParamCount = params.length;
        break;
      }
      case 'button':
        buttons.push({
          index: Number(component.index),
          subType: String(component.sub_type).toLowerCase() as TemplateButtonSubType,
          paramCount: params.length,
        });
        break;
      default:
        break;
    }
  }
  info.buttons = buttons;
  return info;
}

function lookupsFor(body: Json): SendLookups {
  const template = typeof body.template === 'object' && body.template !== null ? (body.template as Json) : undefined;
  const language = (template?.language ?? {}) as Json;
  const info = template === undefined ? undefined : deriveTemplateInfo(template);
  return {
    template: (name, code) =>
      info !== undefined && name === template?.name && code === language.code ? info : undefined,
    mediaExists: (id) => EXAMPLE_MEDIA_IDS.has(id),
  };
}

const requests = readExamples('messages-send/requests').map(({ file, json }) => ({ file, body: json as Json }));

describe("Meta's send examples (examples/messages-send/requests)", () => {
  it('are all here', () => {
    expect(requests).toHaveLength(50);
  });

  it.each(requests)('accepts $file', ({ body }) => {
    const resolved = resolvePlaceholders(body) as Json;
    const result = validateSendRequest(resolved, lookupsFor(resolved));
    if (!result.ok) expect.fail(`${result.error.code} ${result.error.details ?? ''}`);
    if ('status' in body) {
      expect(result).toEqual({ ok: true, kind: 'markRead', messageId: body.message_id, typing: true });
      return;
    }
    expect(result.kind).toBe('message');
    if (result.kind !== 'message') return;
    // Two examples omit `type`: a text (Meta's default) and a list reply (the `interactive` object says it).
    const expectedType = typeof body.type === 'string' ? body.type : 'interactive' in body ? 'interactive' : 'text';
    expect(result.messageType).toBe(expectedType);
    expect(result.isTemplate).toBe(expectedType === 'template');
    expect(result.to).toBe(resolved.to);
    expect(result.recipientType).toBe('individual');
    expect(result.body.type).toBe(expectedType);
    const context = body.context as Json | undefined;
    expect(result.contextMessageId).toBe(context?.message_id);
    if (result.isTemplate) expect(result.templateCategory).toBe('MARKETING');
  });

  it.each(requests)('rejects $file as written only for its placeholders', ({ body }) => {
    const raw = validateSendRequest(body, lookupsFor(body));
    if (!raw.ok)
      expect(raw.error.details).toMatch(/^to: "\{\{Recipient-(WA-)?Phone-Number\}\}" is not a valid recipient/);
    // With Postman's variables filled in, what is left is Meta's "http(s)://your-url" placeholder.
    const partly = resolvePlaceholders(body, { urls: false }) as Json;
    const result = validateSendRequest(partly, lookupsFor(partly));
    if (!result.ok)
      expect(result.error.details).toMatch(/^\S*\.link: "<?http\(s\):\/\/[^"]*" is not a valid http or https URL/);
  });
});
