import { z } from 'zod';
import { ParloError, type ActorSystem, type SecretBox } from '../../../core/index.ts';
import {
  ORG_NUMBERS_KIND,
  wabaSecretContext,
  type OrgNumbersMsg,
  type OrgNumbersReply,
} from '../../../actors/numbers/numbers.messages.ts';
import { lintTemplate, type LintProblem } from '../../../actors/templates/template-lint.ts';
import { previewTemplate, valuesFromMapping } from '../../../actors/templates/template-preview.ts';
import { STARTER_TEMPLATES } from '../../../actors/templates/starter-library.ts';
import {
  TEMPLATE_CATEGORIES,
  TEMPLATE_STATUSES,
  type TemplateDefinition,
} from '../../../actors/templates/template.types.ts';
import {
  TEMPLATES_KIND,
  templatesActorId,
  type TemplateRecord,
  type TemplatesMsg,
  type TemplatesReply,
} from '../../../actors/templates/templates.messages.ts';
import type {
  TemplateAdminTarget,
  TemplateCallFailure,
  TemplateDeletion,
  TemplateSubmission,
} from '../../../adapters/whatsapp-cloud/template-admin.ts';
import { defineRoute, type ApiRoute } from '../api/define-route.ts';
import { callerOf, okOrThrow, type ApiCaller } from '../auth/caller.ts';
import { iso } from './identity.routes.ts';
import { auditActorOf } from './numbers.routes.ts';

/**
 * Message templates of the organisation's WhatsApp business accounts (issue #6, 1). A template is written in Meta's
 * own creation shape, linted against Meta's rules (actors/templates/template-lint.ts: every problem named by
 * component and rule, before anything reaches Meta), submitted to Meta (the bundled simulator without Meta
 * credentials), and recorded by the account's `templates` actor, which Meta's review webhooks keep current
 * (PENDING → APPROVED / REJECTED with the reason, PAUSED, DISABLED, quality). A starter library of six templates in
 * Spanish, English and Italian can be submitted as is. Reading needs `templates:read`; submitting and deleting
 * `templates:manage`.
 */

export interface TemplatesRoutesDeps {
  readonly system: ActorSystem;
  readonly secretBox: SecretBox;
  /** The Graph API of this installation (Meta, or the bundled simulator). */
  readonly graph: { readonly baseUrl: string; readonly apiVersion: string };
  readonly submitTemplate: (target: TemplateAdminTarget, definition: object) => Promise<TemplateSubmission>;
  readonly deleteTemplate: (
    target: TemplateAdminTarget,
    template: { readonly name: string; readonly templateId: string },
  ) => Promise<TemplateDeletion>;
}

// ---------------------------------------------------------------- schemas

const TemplateBody = z
  .record(z.string(), z.unknown())
  .describe(
    "The template in Meta's creation shape: `{ name, language, category, parameter_format?, components: [HEADER?, BODY, FOOTER?, BUTTONS?] }` (see Meta's message template documentation); checked against Meta's rules before it is submitted",
  );

const WabaId = z
  .string()
  .regex(/^\d{1,32}$/)
  .describe(
    'The WhatsApp business account; optional when the organisation has connected numbers of one account only (and for a template id, which names its account)',
  );

const StatusChange = z.object({
  status: z.enum(TEMPLATE_STATUSES),
  reason: z.string().nullable().describe("Meta's reason (INVALID_FORMAT, PROMOTIONAL, …) or pause (FIRST_PAUSE, …)"),
  at: z.string(),
});

const Template = z
  .object({
    id: z.string().describe("Meta's template id"),
    wabaId: z.string(),
    name: z.string(),
    language: z.string(),
    category: z.enum(TEMPLATE_CATEGORIES).describe('The category Meta bills it in (Meta may recategorise)'),
    status: z.enum(TEMPLATE_STATUSES).describe('Only APPROVED templates can be sent'),
    reason: z.string().nullable(),
    quality: z.enum(['GREEN', 'YELLOW', 'RED', 'UNKNOWN']),
    definition: z
      .record(z.string(), z.unknown())
      .nullable()
      .describe('What was submitted; null for a template created outside Parlo (learned from its review)'),
    history: z.array(StatusChange).describe('Status changes, oldest first (the newest 20)'),
    createdAt: z.string(),
    updatedAt: z.string(),
    createdBy: z.object({ kind: z.enum(['user', 'apiKey', 'system']), id: z.string() }).nullable(),
  })
  .meta({ id: 'Template' });

const TemplatePage = z
  .object({ templates: z.array(Template), total: z.number().int(), nextCursor: z.string().nullable() })
  .meta({ id: 'TemplatePage' });

const Problem = z
  .object({
    component: z.string().describe('Where: name, language, category, HEADER, BODY, FOOTER, BUTTONS, BUTTONS[2], …'),
    rule: z.string().describe('A stable rule id, e.g. body-too-long, url-variable-position'),
    message: z.string(),
  })
  .meta({ id: 'TemplateProblem' });

const LintAnswer = z.object({ ok: z.boolean(), problems: z.array(Problem) }).meta({ id: 'TemplateLintResult' });

const VariableValues = z.record(z.string(), z.string());
const VariableSource = z.union([
  z.object({ field: z.string().min(1), fallback: z.string().optional() }).strict(),
  z.object({ value: z.string() }).strict(),
]);

/** Which contact field (with a fallback) or fixed value fills each variable of a template (campaigns use it too). */
export const VariableMappingSchema = z
  .object({
    header: z.record(z.string(), VariableSource).optional(),
    body: z.record(z.string(), VariableSource).optional(),
    buttons: z.record(z.string().regex(/^\d+$/), z.record(z.string(), VariableSource)).optional(),
  })
  .strict();

const PreviewInput = z
  .object({
    values: z
      .object({
        header: VariableValues.optional(),
        body: VariableValues.optional(),
        buttons: z.record(z.string().regex(/^\d+$/), VariableValues).optional(),
      })
      .strict()
      .optional()
      .describe('Values by variable name (`1`, `2`… or the named ones); they win over the mapping'),
    contact: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .optional()
      .describe("A contact's fields (name, phone, custom fields…), read through `mapping`"),
    mapping: VariableMappingSchema.optional().describe(
      'Which contact field (with a fallback) or fixed value fills each variable',
    ),
  })
  .meta({ id: 'TemplatePreviewInput' });

const Preview = z
  .object({
    header: z.object({ format: z.string(), text: z.string().nullable() }).nullable(),
    body: z.string(),
    footer: z.string().nullable(),
    buttons: z.array(
      z.object({
        type: z.string(),
        text: z.string(),
        url: z.string().optional(),
        phoneNumber: z.string().optional(),
      }),
    ),
  })
  .meta({ id: 'TemplatePreview' });

const LibraryEntry = z
  .object({ key: z.string(), title: z.string(), template: z.record(z.string(), z.unknown()) })
  .meta({ id: 'StarterTemplate' });

// ---------------------------------------------------------------- mapping

function templateBody(record: TemplateRecord): z.input<typeof Template> {
  return {
    id: record.templateId,
    wabaId: record.wabaId,
    name: record.name,
    language: record.language,
    category: record.category,
    status: record.status,
    reason: record.reason,
    quality: record.quality,
    definition:
      record.definition === null ? null : (structuredClone(record.definition) as unknown as Record<string, unknown>),
    history: record.history.map((h) => ({ status: h.status, reason: h.reason, at: iso(h.atMs) })),
    createdAt: iso(record.createdAtMs),
    updatedAt: iso(record.updatedAtMs),
    createdBy: record.createdBy,
  };
}

export function lintFailure(problems: readonly LintProblem[]): ParloError {
  const first = problems[0];
  const summary = first ? `${first.component}: ${first.message}` : 'the template is not valid';
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})` : '';
  return new ParloError('PARLO_TEMPLATE_INVALID', `${summary}${more}`, { problems });
}

function metaFailure(failure: TemplateCallFailure): ParloError {
  switch (failure.reason) {
    case 'credentialsRejected':
      return new ParloError(
        'PARLO_NUMBER_CREDENTIALS_REJECTED',
        `Meta refused the account's access token: ${failure.detail}`,
      );
    case 'refused':
      return new ParloError('PARLO_TEMPLATE_REFUSED', `Meta refused the template: ${failure.detail}`, {
        ...(failure.code === undefined ? {} : { graphCode: failure.code }),
        ...(failure.subcode === undefined ? {} : { graphSubcode: failure.subcode }),
      });
    case 'unreachable':
      return new ParloError('PARLO_META_UNREACHABLE', `the Graph API could not be reached: ${failure.detail}`);
  }
}

// ---------------------------------------------------------------- routes

export function templateRoutes(deps: TemplatesRoutesDeps): ApiRoute[] {
  const { system, secretBox } = deps;
  const numbers = <T extends OrgNumbersMsg['type']>(orgId: string, msg: Extract<OrgNumbersMsg, { type: T }>) =>
    system.ask<OrgNumbersReply<T>>({ kind: ORG_NUMBERS_KIND, id: orgId }, msg);
  const templates = <T extends TemplatesMsg['type']>(
    orgId: string,
    wabaId: string,
    msg: Extract<TemplatesMsg, { type: T }>,
  ) => system.ask<TemplatesReply<T>>({ kind: TEMPLATES_KIND, id: templatesActorId(orgId, wabaId) }, msg);

  /** The business account a request means: the one named (it must be the organisation's), or its only one. */
  async function accountsOf(orgId: string): Promise<string[]> {
    const { numbers: connected } = await numbers<'listNumbers'>(orgId, { type: 'listNumbers' });
    return [...new Set(connected.map((n) => n.wabaId))].sort();
  }

  async function accountOf(caller: ApiCaller, wabaId: string | undefined): Promise<string> {
    const accounts = await accountsOf(caller.orgId);
    if (wabaId !== undefined) {
      if (!accounts.includes(wabaId)) {
        throw new ParloError('PARLO_WABA_NOT_FOUND', `no connected WhatsApp business account ${wabaId} here`);
      }
      return wabaId;
    }
    if (accounts.length === 1) return accounts[0]!;
    if (accounts.length === 0) {
      throw new ParloError(
        'PARLO_WABA_NOT_FOUND',
        'the organisation has no connected WhatsApp business account: connect a number first (POST /v1/numbers)',
      );
    }
    throw new ParloError(
      'PARLO_VALIDATION_FAILED',
      `wabaId is required: the organisation has ${accounts.length} WhatsApp business accounts (${accounts.join(', ')})`,
      [{ location: 'body', path: 'wabaId', rule: 'required', message: 'name the WhatsApp business account' }],
    );
  }

  /**
   * The template with Meta's id `templateId`: in the account named, or (Meta's ids are unique) in whichever of
   * the organisation's accounts holds it.
   */
  async function locate(
    caller: ApiCaller,
    templateId: string,
    wabaId: string | undefined,
  ): Promise<{ wabaId: string; template: TemplateRecord }> {
    const accounts = wabaId === undefined ? await accountsOf(caller.orgId) : [await accountOf(caller, wabaId)];
    for (const account of accounts) {
      const found = await templates<'getTemplate'>(caller.orgId, account, { type: 'getTemplate', templateId });
      if (found.ok) return { wabaId: account, template: found.template };
    }
    throw new ParloError('PARLO_TEMPLATE_NOT_FOUND', `no template ${templateId} in the organisation's accounts`);
  }

  async function targetOf(orgId: string, wabaId: string): Promise<TemplateAdminTarget> {
    const { waba } = okOrThrow(await numbers<'getWaba'>(orgId, { type: 'getWaba', wabaId }));
    const accessToken = secretBox.open(waba.accessTokenSealed, wabaSecretContext(orgId, wabaId, 'accessToken'));
    return { ...deps.graph, accessToken, wabaId };
  }

  /** Lints, submits to Meta and records: the one way a template enters an account. */
  async function submit(caller: ApiCaller, wabaId: string, definition: TemplateDefinition): Promise<TemplateRecord> {
    const submitted = await deps.submitTemplate(await targetOf(caller.orgId, wabaId), definition);
    if (!submitted.ok) throw metaFailure(submitted);
    const recorded = okOrThrow(
      await templates<'recordSubmitted'>(caller.orgId, wabaId, {
        type: 'recordSubmitted',
        templateId: submitted.templateId,
        definition,
        status: submitted.status,
        category: submitted.category,
        by: auditActorOf(caller),
      }),
    );
    return recorded.template;
  }

  const listTemplates = defineRoute({
    method: 'GET',
    url: '/templates',
    operationId: 'listTemplates',
    summary: 'The message templates of a WhatsApp business account, by name and language',
    tags: ['templates'],
    auth: 'any',
    scopes: ['templates:read'],
    query: z.object({
      wabaId: WabaId.optional(),
      status: z.enum(TEMPLATE_STATUSES).optional(),
      category: z.enum(TEMPLATE_CATEGORIES).optional(),
      name: z.string().max(512).optional(),
      language: z.string().max(16).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: z.string().max(600).optional().describe('`nextCursor` of the previous page'),
    }),
    responses: { 200: TemplatePage },
    async handler({ query, request }) {
      const caller = callerOf(request);
      const wabaId = await accountOf(caller, query.wabaId);
      const page = await templates<'listTemplates'>(caller.orgId, wabaId, {
        type: 'listTemplates',
        filter: {
          limit: query.limit,
          ...(query.status === undefined ? {} : { status: query.status }),
          ...(query.category === undefined ? {} : { category: query.category }),
          ...(query.name === undefined ? {} : { name: query.name }),
          ...(query.language === undefined ? {} : { language: query.language }),
          ...(query.cursor === undefined ? {} : { after: query.cursor }),
        },
      });
      return {
        status: 200,
        body: { templates: page.templates.map(templateBody), total: page.total, nextCursor: page.nextAfter },
      };
    },
  });

  const createTemplate = defineRoute({
    method: 'POST',
    url: '/templates',
    operationId: 'createTemplate',
    summary: 'Check a template against Meta’s rules and submit it for review',
    description: [
      'The template is linted first: anything Meta would reject is refused with 422 `PARLO_TEMPLATE_INVALID`, every problem listed in `details.problems` with its component and rule (nothing reaches Meta). It is then submitted to Meta, which answers PENDING (review, usually minutes) or at once APPROVED or REJECTED; the review webhooks update it later (`GET /v1/templates/{id}`, and the `template.status_changed` webhook event).',
      'Meta refusing it (the name already exists in that language, for example) is 422 `PARLO_TEMPLATE_REFUSED` with Meta’s words; Meta unreachable is 502 `PARLO_META_UNREACHABLE` (nothing was created).',
    ].join('\n\n'),
    tags: ['templates'],
    auth: 'any',
    scopes: ['templates:manage'],
    body: z.object({ wabaId: WabaId.optional(), template: TemplateBody }),
    responses: { 201: Template },
    async handler({ body, request }) {
      const caller = callerOf(request);
      const linted = lintTemplate(body.template);
      if (!linted.ok) throw lintFailure(linted.problems);
      const wabaId = await accountOf(caller, body.wabaId);
      return { status: 201, body: templateBody(await submit(caller, wabaId, linted.template)) };
    },
  });

  const lint = defineRoute({
    method: 'POST',
    url: '/templates/lint',
    operationId: 'lintTemplate',
    summary: 'Check a template against Meta’s rules without submitting it',
    tags: ['templates'],
    auth: 'any',
    scopes: ['templates:read'],
    body: z.object({ template: TemplateBody }),
    responses: { 200: LintAnswer },
    handler({ body }) {
      const linted = lintTemplate(body.template);
      return Promise.resolve({
        status: 200 as const,
        body: { ok: linted.ok, problems: linted.ok ? [] : linted.problems.map((p) => ({ ...p })) },
      });
    },
  });

  const getTemplate = defineRoute({
    method: 'GET',
    url: '/templates/:templateId',
    operationId: 'getTemplate',
    summary: 'One template: its definition, review status and history, quality',
    tags: ['templates'],
    auth: 'any',
    scopes: ['templates:read'],
    params: z.object({ templateId: z.string().regex(/^\d{1,32}$/) }),
    query: z.object({ wabaId: WabaId.optional() }),
    responses: { 200: Template },
    async handler({ params, query, request }) {
      const { template } = await locate(callerOf(request), params.templateId, query.wabaId);
      return { status: 200, body: templateBody(template) };
    },
  });

  const deleteTemplateRoute = defineRoute({
    method: 'DELETE',
    url: '/templates/:templateId',
    operationId: 'deleteTemplate',
    summary: 'Delete a template (this language) at Meta and here',
    tags: ['templates'],
    auth: 'any',
    scopes: ['templates:manage'],
    params: z.object({ templateId: z.string().regex(/^\d{1,32}$/) }),
    query: z.object({ wabaId: WabaId.optional() }),
    responses: { 204: null },
    async handler({ params, query, request }) {
      const caller = callerOf(request);
      const { wabaId, template } = await locate(caller, params.templateId, query.wabaId);
      const deleted = await deps.deleteTemplate(await targetOf(caller.orgId, wabaId), {
        name: template.name,
        templateId: template.templateId,
      });
      if (!deleted.ok) throw metaFailure(deleted);
      await templates<'removeTemplate'>(caller.orgId, wabaId, {
        type: 'removeTemplate',
        templateId: template.templateId,
      });
      return { status: 204 as const };
    },
  });

  const preview = defineRoute({
    method: 'POST',
    url: '/templates/:templateId/preview',
    operationId: 'previewTemplate',
    summary: 'The template as a customer would read it, with given values or a contact’s data',
    description:
      'Each variable takes its value from `values`, else from `mapping` (a contact field, with a fallback, or a fixed value) over `contact`. A variable left without a value is 422 `PARLO_TEMPLATE_VALUES_MISSING`, every one listed in `details.missing`: a campaign would not send such a message either.',
    tags: ['templates'],
    auth: 'any',
    scopes: ['templates:read'],
    params: z.object({ templateId: z.string().regex(/^\d{1,32}$/) }),
    query: z.object({ wabaId: WabaId.optional() }),
    body: PreviewInput,
    responses: { 200: Preview },
    async handler({ params, query, body, request }) {
      const { template } = await locate(callerOf(request), params.templateId, query.wabaId);
      if (template.definition === null) {
        throw new ParloError(
          'PARLO_TEMPLATE_NOT_FOUND',
          `template ${template.templateId} was created outside Parlo: its components are not known here`,
        );
      }
      const mapped = body.mapping ? valuesFromMapping(template.definition, body.mapping, body.contact ?? {}) : {};
      const values = {
        header: { ...mapped.header, ...body.values?.header },
        body: { ...mapped.body, ...body.values?.body },
        buttons: mergeButtons(mapped.buttons, body.values?.buttons),
      };
      const rendered = previewTemplate(template.definition, values);
      if (!rendered.ok) {
        const names = rendered.missing.map((m) => `${m.component} {{${m.variable}}}`).join(', ');
        throw new ParloError('PARLO_TEMPLATE_VALUES_MISSING', `no value for ${names}`, { missing: rendered.missing });
      }
      return { status: 200, body: rendered.preview };
    },
  });

  const library = defineRoute({
    method: 'GET',
    url: '/templates/library',
    operationId: 'listStarterTemplates',
    summary:
      'Starter templates (order confirmation, shipping update, appointment reminder, abandoned cart, double opt-in, welcome) in Spanish, English and Italian',
    tags: ['templates'],
    auth: 'any',
    scopes: ['templates:read'],
    responses: { 200: z.object({ templates: z.array(LibraryEntry) }) },
    handler() {
      return Promise.resolve({
        status: 200 as const,
        body: {
          templates: STARTER_TEMPLATES.map((t) => ({
            key: t.key,
            title: t.title,
            template: structuredClone(t.definition) as unknown as Record<string, unknown>,
          })),
        },
      });
    },
  });

  const submitStarter = defineRoute({
    method: 'POST',
    url: '/templates/library/:key',
    operationId: 'submitStarterTemplate',
    summary: 'Submit a starter template to the account for review',
    tags: ['templates'],
    auth: 'any',
    scopes: ['templates:manage'],
    params: z.object({ key: z.string().max(600) }),
    body: z.object({ wabaId: WabaId.optional() }),
    responses: { 201: Template },
    async handler({ params, body, request }) {
      const starter = STARTER_TEMPLATES.find((t) => t.key === params.key);
      if (!starter) {
        throw new ParloError(
          'PARLO_TEMPLATE_NOT_FOUND',
          `no starter template ${params.key} (GET /v1/templates/library)`,
        );
      }
      const caller = callerOf(request);
      const wabaId = await accountOf(caller, body.wabaId);
      return { status: 201, body: templateBody(await submit(caller, wabaId, starter.definition)) };
    },
  });

  return [listTemplates, createTemplate, lint, library, submitStarter, getTemplate, deleteTemplateRoute, preview];
}

function mergeButtons(
  a: Readonly<Record<number, Record<string, string>>> | undefined,
  b: Readonly<Record<string, Record<string, string>>> | undefined,
): Record<number, Record<string, string>> {
  const merged: Record<number, Record<string, string>> = {};
  for (const [index, values] of Object.entries(a ?? {})) merged[Number(index)] = { ...values };
  for (const [index, values] of Object.entries(b ?? {}))
    merged[Number(index)] = { ...merged[Number(index)], ...values };
  return merged;
}
