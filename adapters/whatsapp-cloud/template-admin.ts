/**
 * Message template management on the Graph API (WHATSAPP.md §4.8), for a WhatsApp business account:
 * - `POST /{version}/{waba-id}/message_templates` submits a template for review: Meta answers
 *   `{id, status: "PENDING" | "APPROVED" | "REJECTED", category}` (the category as Meta will bill it);
 * - `DELETE /{version}/{waba-id}/message_templates?name=…&hsm_id=…` deletes one template (one language).
 * The review's outcome arrives later as `message_template_status_update` webhooks.
 */
import { z } from 'zod';
import { CREDENTIAL_CODES, graphAdminCall, type GraphAdminTarget } from './graph-admin-call.ts';

export interface TemplateAdminTarget extends GraphAdminTarget {
  readonly wabaId: string;
}

/**
 * Why a call failed. `credentialsRejected`: token invalid, expired or without permission on the account.
 * `refused`: Meta refused the template (a duplicate name and language, a rule its review applies at once; the
 * detail says which). `unreachable`: network failure, timeout, 5xx or an unexpected answer (try again).
 */
export interface TemplateCallFailure {
  readonly ok: false;
  readonly reason: 'credentialsRejected' | 'refused' | 'unreachable';
  readonly detail: string;
  /** Meta's Graph error code and subcode, when Meta answered. */
  readonly code?: number;
  readonly subcode?: number;
}

export type TemplateSubmission =
  | { readonly ok: true; readonly templateId: string; readonly status: string; readonly category: string }
  | TemplateCallFailure;

export type TemplateDeletion = { readonly ok: true } | TemplateCallFailure;

const Created = z.object({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  status: z.string().min(1),
  category: z.string().min(1),
});

/** Submits a template (Meta's creation body, see actors/templates/template.types.ts) for review. */
export async function submitTemplate(target: TemplateAdminTarget, definition: object): Promise<TemplateSubmission> {
  const answer = await graphAdminCall(target, 'POST', target.wabaId, '/message_templates', definition);
  if (!answer.ok) return failure(answer);
  const created = Created.safeParse(answer.json);
  if (!created.success) {
    return { ok: false, reason: 'unreachable', detail: `unexpected answer: ${answer.text.slice(0, 200)}` };
  }
  return { ok: true, templateId: created.data.id, status: created.data.status, category: created.data.category };
}

/** Deletes one template: its name in one language (`templateId`, Meta's `hsm_id`). */
export async function deleteTemplate(
  target: TemplateAdminTarget,
  template: { readonly name: string; readonly templateId: string },
): Promise<TemplateDeletion> {
  const query = `?name=${encodeURIComponent(template.name)}&hsm_id=${encodeURIComponent(template.templateId)}`;
  const answer = await graphAdminCall(target, 'DELETE', target.wabaId, `/message_templates${query}`);
  if (!answer.ok) return failure(answer);
  return { ok: true };
}

function failure(answer: Extract<Awaited<ReturnType<typeof graphAdminCall>>, { ok: false }>): TemplateCallFailure {
  const { status, code, subcode, detail } = answer;
  const codes = { ...(code === undefined ? {} : { code }), ...(subcode === undefined ? {} : { subcode }) };
  if (status === 0 || status >= 500) return { ok: false, reason: 'unreachable', detail, ...codes };
  if (status === 401 || (code !== undefined && CREDENTIAL_CODES.has(code))) {
    return { ok: false, reason: 'credentialsRejected', detail, ...codes };
  }
  return { ok: false, reason: 'refused', detail, ...codes };
}
