import type { Clock } from '../../../core/time/clock.ts';
import { graphError, type GraphError } from './send/graph-error.ts';
import type { TemplateInfo } from './send/validate-send.ts';

export type TemplateStatus = TemplateInfo['status'];
type Category = TemplateInfo['category'];

interface StoredTemplate {
  readonly id: string;
  readonly wabaId: string;
  readonly name: string;
  readonly language: string;
  category: Category;
  status: TemplateStatus;
  readonly parameterFormat: 'positional' | 'named';
  readonly components: readonly Record<string, unknown>[];
  readonly createdAtMs: number;
  rejectedReason: string;
}

const NAME = /^[a-z0-9_]{1,512}$/;
const CATEGORIES: readonly Category[] = ['MARKETING', 'UTILITY', 'AUTHENTICATION'];
/** Templates whose name starts with this are rejected at review, so tests can exercise the REJECTED path. */
export const REJECT_ON_REVIEW_PREFIX = 'reject_';

export interface TemplateStatusChange {
  readonly event: string;
  readonly message_template_id: number;
  readonly message_template_name: string;
  readonly message_template_language: string;
  readonly reason: string;
  readonly message_template_category: string;
}

/**
 * Message templates per WABA with Meta's review lifecycle: created PENDING, APPROVED (or REJECTED) after a
 * configurable review delay, each change announced with a `message_template_status_update` webhook.
 */
export class SimulatorTemplates {
  private readonly byId = new Map<string, StoredTemplate>();
  private readonly clock: Clock;
  private readonly reviewDelayMs: number;
  private readonly onStatusChange: (wabaId: string, change: TemplateStatusChange) => void;
  private seq = 0;
  private readonly reviews = new Set<() => void>();

  constructor(deps: {
    clock: Clock;
    reviewDelayMs: number;
    onStatusChange: (wabaId: string, change: TemplateStatusChange) => void;
  }) {
    this.clock = deps.clock;
    this.reviewDelayMs = deps.reviewDelayMs;
    this.onStatusChange = deps.onStatusChange;
  }

  /** `POST /{waba-id}/message_templates`. */
  create(
    wabaId: string,
    body: unknown,
  ): { ok: true; body: { id: string; status: string; category: string } } | { ok: false; error: GraphError } {
    if (!isRecord(body)) return { ok: false, error: graphError(100, 'The request body must be a JSON object') };
    const { name, language, category, components, parameter_format: parameterFormat } = body;
    if (typeof name !== 'string' || !NAME.test(name)) {
      return {
        ok: false,
        error: graphError(100, 'Param name must be 1-512 lowercase letters, digits and underscores'),
      };
    }
    if (typeof language !== 'string' || language.length === 0)
      return { ok: false, error: graphError(100, 'Param language is required') };
    if (typeof category !== 'string' || !CATEGORIES.includes(category.toUpperCase() as Category)) {
      return { ok: false, error: graphError(100, `Param category must be one of ${CATEGORIES.join(', ')}`) };
    }
    if (
      !Array.isArray(components) ||
      !components.every(isRecord) ||
      !components.some((c) => String(c['type']).toUpperCase() === 'BODY')
    ) {
      return { ok: false, error: graphError(100, 'Param components must be an array with a BODY component') };
    }
    if (parameterFormat !== undefined && parameterFormat !== 'positional' && parameterFormat !== 'named') {
      return { ok: false, error: graphError(100, 'Param parameter_format must be positional or named') };
    }
    for (const existing of this.byId.values()) {
      if (existing.wabaId === wabaId && existing.name === name && existing.language === language) {
        return {
          ok: false,
          error: graphError(100, `Content in this language already exists for template ${name} (${language})`, {
            subcode: 2388024,
          }),
        };
      }
    }
    const id = String(1_000_000_000_000_000 + ++this.seq);
    const template: StoredTemplate = {
      id,
      wabaId,
      name,
      language,
      category: category.toUpperCase() as Category,
      status: 'PENDING',
      parameterFormat: parameterFormat ?? 'positional',
      components,
      createdAtMs: this.clock.now(),
      rejectedReason: 'NONE',
    };
    this.byId.set(id, template);
    const cancelReview = this.clock.wakeAt(this.clock.now() + this.reviewDelayMs, () => {
      this.reviews.delete(cancelReview);
      const current = this.byId.get(id);
      if (!current || current.status !== 'PENDING') return;
      if (name.startsWith(REJECT_ON_REVIEW_PREFIX)) this.setStatus(id, 'REJECTED', 'INVALID_FORMAT');
      else this.setStatus(id, 'APPROVED', 'NONE');
    });
    this.reviews.add(cancelReview);
    return { ok: true, body: { id, status: 'PENDING', category: template.category } };
  }

  /** Cancels pending reviews (the simulator is shutting down). */
  close(): void {
    for (const cancel of this.reviews) cancel();
    this.reviews.clear();
  }

  /** `GET /{waba-id}/message_templates` with optional `name` and `status` filters. */
  list(
    wabaId: string,
    filter: { name?: string; status?: string; limit?: number },
  ): { data: Record<string, unknown>[]; paging: Record<string, unknown> } {
    const data = [...this.byId.values()]
      .filter((t) => t.wabaId === wabaId)
      .filter((t) => filter.name === undefined || t.name === filter.name)
      .filter((t) => filter.status === undefined || t.status === filter.status.toUpperCase())
      .slice(0, filter.limit ?? 100)
      .map((t) => ({
        name: t.name,
        parameter_format: t.parameterFormat.toUpperCase(),
        components: t.components,
        language: t.language,
        status: t.status,
        category: t.category,
        id: t.id,
      }));
    const first = data[0]?.['id'];
    const last = data[data.length - 1]?.['id'];
    return { data, paging: { cursors: { before: first ?? '', after: last ?? '' } } };
  }

  /** `DELETE /{waba-id}/message_templates?name=…[&hsm_id=…]`: every language of the name, or one id. */
  delete(wabaId: string, name: string, hsmId?: string): boolean {
    let deleted = false;
    for (const [id, t] of this.byId) {
      if (t.wabaId === wabaId && t.name === name && (hsmId === undefined || hsmId === id)) {
        this.byId.delete(id);
        this.emit(t, 'DELETED', 'NONE');
        deleted = true;
      }
    }
    return deleted;
  }

  /** Control API: moves a template to any status (e.g. PAUSED to test 132015) and announces it. */
  setStatus(id: string, status: TemplateStatus, reason = 'NONE'): boolean {
    const template = this.byId.get(id);
    if (!template) return false;
    template.status = status;
    template.rejectedReason = reason;
    this.emit(template, status, reason);
    return true;
  }

  findId(wabaId: string, name: string, language: string): string | undefined {
    for (const t of this.byId.values())
      if (t.wabaId === wabaId && t.name === name && t.language === language) return t.id;
    return undefined;
  }

  /** What the send validator needs to know about a template (parameter counts per component). */
  info(wabaId: string, name: string, language: string): TemplateInfo | undefined {
    for (const t of this.byId.values()) {
      if (t.wabaId === wabaId && t.name === name && t.language === language) return templateInfo(t);
    }
    return undefined;
  }

  private emit(template: StoredTemplate, event: string, reason: string): void {
    this.onStatusChange(template.wabaId, {
      event,
      message_template_id: Number(template.id),
      message_template_name: template.name,
      message_template_language: template.language,
      reason,
      message_template_category: template.category,
    });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const POSITIONAL = /\{\{\s*(\d+)\s*\}\}/g;
const NAMED = /\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}/g;

function placeholders(text: unknown, format: 'positional' | 'named'): string[] {
  if (typeof text !== 'string') return [];
  const pattern = format === 'named' ? NAMED : POSITIONAL;
  return [...new Set([...text.matchAll(pattern)].map((m) => m[1]!))];
}

/** Derives parameter expectations from the template's components, as Meta checks them at send time. */
export function templateInfo(t: {
  status: TemplateStatus;
  category: Category;
  parameterFormat: 'positional' | 'named';
  components: readonly Record<string, unknown>[];
}): TemplateInfo {
  const byType = (type: string): Record<string, unknown> | undefined =>
    t.components.find((c) => String(c['type']).toUpperCase() === type);
  const header = byType('HEADER');
  const body = byType('BODY');
  const buttonsComponent = byType('BUTTONS');
  const headerFormat = header
    ? ((typeof header['format'] === 'string' ? header['format'] : 'TEXT').toUpperCase() as TemplateInfo['headerFormat'])
    : undefined;
  const headerParamCount = !header
    ? 0
    : headerFormat === 'TEXT'
      ? placeholders(header['text'], t.parameterFormat).length
      : 1;
  const bodyParams = placeholders(body?.['text'], t.parameterFormat);
  const rawButtons = Array.isArray(buttonsComponent?.['buttons'])
    ? (buttonsComponent['buttons'] as Record<string, unknown>[])
    : [];
  const buttons = rawButtons.map((button, index) => {
    const type = String(button['type']).toUpperCase();
    const subType =
      (
        {
          QUICK_REPLY: 'quick_reply',
          URL: 'url',
          COPY_CODE: 'copy_code',
          FLOW: 'flow',
          CATALOG: 'catalog',
          PHONE_NUMBER: 'phone_number',
        } as const
      )[type as 'URL'] ?? 'quick_reply';
    // What a send supplies when it includes a component for the button: a url suffix per {{1}}, one payload,
    // code or action; phone-number buttons take none.
    const paramCount =
      subType === 'url' ? placeholders(button['url'], 'positional').length : subType === 'phone_number' ? 0 : 1;
    return { index, subType, paramCount };
  });
  return {
    status: t.status,
    category: t.category,
    parameterFormat: t.parameterFormat,
    ...(headerFormat ? { headerFormat } : {}),
    headerParamCount,
    bodyParamNames: t.parameterFormat === 'named' ? bodyParams : [],
    bodyParamCount: bodyParams.length,
    buttons,
  };
}
