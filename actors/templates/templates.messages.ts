import type { AuditActor } from '../org/org.messages.ts';
import type { TemplateCategory, TemplateDefinition, TemplateQuality, TemplateStatus } from './template.types.ts';

/**
 * The protocol of the `templates` actor: the message templates of one WhatsApp business account of one
 * organisation (id `<orgId>.<wabaId>`, so an organisation only ever reaches its own). The HTTP layer lints a
 * template (template-lint.ts) and submits it to Meta, then records it here with Meta's id; Meta's review and
 * quality webhooks (through the account's inbound feed) keep each record's status, reason and quality current.
 */
export const TEMPLATES_KIND = 'templates';

/** Meta's ceiling of templates per business account (a verified business with an approved display name). */
export const MAX_TEMPLATES_PER_ACCOUNT = 6_000;

/** Status changes kept per template (the newest). */
export const STATUS_HISTORY_KEPT = 20;

export function templatesActorId(orgId: string, wabaId: string): string {
  return `${orgId}.${wabaId}`;
}

export interface StatusChange {
  readonly status: TemplateStatus;
  /** Meta's reason (`NONE`, `INVALID_FORMAT`, `PROMOTIONAL`, …) or pause title (`FIRST_PAUSE`…); null: none. */
  readonly reason: string | null;
  readonly atMs: number;
}

/** One template in one language, as Parlo knows it. */
export interface TemplateRecord {
  /** Meta's id (`hsm_id`). */
  readonly templateId: string;
  readonly wabaId: string;
  readonly name: string;
  readonly language: string;
  /** The category Meta bills the template in (Meta may recategorise it). */
  readonly category: TemplateCategory;
  /** What was submitted; null for a template Parlo learned of from Meta's webhooks only. */
  readonly definition: TemplateDefinition | null;
  readonly status: TemplateStatus;
  readonly reason: string | null;
  readonly quality: TemplateQuality;
  /** Newest last, at most STATUS_HISTORY_KEPT. */
  readonly history: readonly StatusChange[];
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly createdBy: AuditActor | null;
}

export interface TemplateFilter {
  readonly status?: TemplateStatus;
  readonly category?: TemplateCategory;
  /** Exact name. */
  readonly name?: string;
  readonly language?: string;
  /** Page size (1–200, default 50). */
  readonly limit?: number;
  /** The last `name.language` key of the previous page. */
  readonly after?: string;
}

export type TemplatesMsg =
  | {
      readonly type: 'recordSubmitted';
      readonly templateId: string;
      readonly definition: TemplateDefinition;
      readonly status: string;
      readonly category: string;
      readonly by: AuditActor;
    }
  /** Meta's `message_template_status_update`. */
  | {
      readonly type: 'statusChanged';
      readonly templateId: string;
      readonly name: string;
      readonly language: string;
      readonly event: string;
      readonly reason: string | null;
      readonly category: string | null;
    }
  | { readonly type: 'qualityChanged'; readonly templateId: string; readonly quality: string }
  | { readonly type: 'categoryChanged'; readonly templateId: string; readonly category: string }
  /** Deleted on Meta (through Parlo's API): the record goes, so the name and language can be used again. */
  | { readonly type: 'removeTemplate'; readonly templateId: string }
  | { readonly type: 'getTemplate'; readonly templateId: string }
  | { readonly type: 'findTemplate'; readonly name: string; readonly language: string }
  | { readonly type: 'listTemplates'; readonly filter: TemplateFilter };

export interface TemplatesReplies {
  recordSubmitted:
    { ok: true; template: TemplateRecord } | { ok: false; code: 'PARLO_TEMPLATE_LIMIT'; message: string };
  statusChanged: { ok: true };
  qualityChanged: { ok: true };
  categoryChanged: { ok: true };
  removeTemplate: { ok: true; removed: boolean };
  getTemplate:
    { ok: true; template: TemplateRecord } | { ok: false; code: 'PARLO_TEMPLATE_NOT_FOUND'; message: string };
  findTemplate:
    { ok: true; template: TemplateRecord } | { ok: false; code: 'PARLO_TEMPLATE_NOT_FOUND'; message: string };
  listTemplates: { ok: true; templates: TemplateRecord[]; nextAfter: string | null; total: number };
}

export type TemplatesReply<K extends keyof TemplatesReplies> = TemplatesReplies[K];
