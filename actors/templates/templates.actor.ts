import { defineActor, unreachable, type ActorDefinition, type TurnResult } from '../../core/index.ts';
import {
  TEMPLATE_CATEGORIES,
  TEMPLATE_STATUSES,
  type TemplateCategory,
  type TemplateQuality,
  type TemplateStatus,
} from './template.types.ts';
import {
  MAX_TEMPLATES_PER_ACCOUNT,
  STATUS_HISTORY_KEPT,
  TEMPLATES_KIND,
  type TemplateFilter,
  type TemplateRecord,
  type TemplatesMsg,
  type TemplatesReplies,
} from './templates.messages.ts';

/**
 * The message templates of one WhatsApp business account of one organisation (templates.messages.ts). Records are
 * kept in `name.language` order (the listing order), one stored record each (split state), so a review webhook
 * rewrites one template, not the account's thousands.
 */
export interface TemplatesState {
  readonly records: readonly TemplateRecord[];
}

const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
const QUALITIES: readonly TemplateQuality[] = ['GREEN', 'YELLOW', 'RED', 'UNKNOWN'];

type Turn = TurnResult<TemplatesState>;
type Msg<T extends TemplatesMsg['type']> = Extract<TemplatesMsg, { type: T }>;

export const templatesActor: ActorDefinition<TemplatesState, TemplatesMsg, TemplateRecord> = defineActor<
  TemplatesState,
  TemplatesMsg,
  TemplateRecord
>({
  kind: TEMPLATES_KIND,
  stateVersion: 1,
  initialState: () => ({ records: [] }),
  isEmpty: (state) => state.records.length === 0,
  split: {
    head: () => ({}),
    items: (state) => state.records,
    itemKey: (record) => recordKey(record),
    join: (_head, records) => ({ records: [...records].sort(byKey) }),
  },
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'recordSubmitted':
        return onSubmitted(state, msg, ctx.self.id, ctx.nowMs);
      case 'statusChanged':
        return onStatusChanged(state, msg, ctx.self.id, ctx.nowMs);
      case 'qualityChanged': {
        const quality = QUALITIES.find((q) => q === msg.quality.toUpperCase());
        return changed(state, msg.templateId, (r) => (quality === undefined ? r : { ...r, quality }), ctx.nowMs);
      }
      case 'categoryChanged': {
        const category = categoryOf(msg.category);
        return changed(state, msg.templateId, (r) => (category === null ? r : { ...r, category }), ctx.nowMs);
      }
      case 'removeTemplate': {
        const records = state.records.filter((r) => r.templateId !== msg.templateId);
        const removed = records.length !== state.records.length;
        const reply: TemplatesReplies['removeTemplate'] = { ok: true, removed };
        return { state: removed ? { records } : state, reply };
      }
      case 'getTemplate':
        return {
          state,
          reply: found(
            state.records.find((r) => r.templateId === msg.templateId),
            msg.templateId,
          ),
        };
      case 'findTemplate': {
        const key = `${msg.name}.${msg.language}`;
        return {
          state,
          reply: found(
            state.records.find((r) => recordKey(r) === key),
            key,
          ),
        };
      }
      case 'listTemplates':
        return { state, reply: list(state, msg.filter) };
      default:
        return unreachable(msg);
    }
  },
});

function onSubmitted(state: TemplatesState, msg: Msg<'recordSubmitted'>, self: string, nowMs: number): Turn {
  const existing = state.records.find((r) => r.templateId === msg.templateId);
  if (existing) return { state, reply: { ok: true, template: existing } satisfies TemplatesReplies['recordSubmitted'] };
  if (state.records.length >= MAX_TEMPLATES_PER_ACCOUNT) {
    const reply: TemplatesReplies['recordSubmitted'] = {
      ok: false,
      code: 'PARLO_TEMPLATE_LIMIT',
      message: `this WhatsApp business account holds ${MAX_TEMPLATES_PER_ACCOUNT} templates, Meta's maximum; delete one first`,
    };
    return { state, reply };
  }
  const status = statusOf(msg.status) ?? 'PENDING';
  const template: TemplateRecord = {
    templateId: msg.templateId,
    wabaId: wabaOf(self),
    name: msg.definition.name,
    language: msg.definition.language,
    category: categoryOf(msg.category) ?? msg.definition.category,
    definition: msg.definition,
    status,
    reason: null,
    quality: 'UNKNOWN',
    history: [{ status, reason: null, atMs: nowMs }],
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    createdBy: msg.by,
  };
  // A record of the same name and language learned from a webhook (before this answer was recorded) is replaced.
  const records = insertSorted(
    state.records.filter((r) => recordKey(r) !== recordKey(template)),
    template,
  );
  return { state: { records }, reply: { ok: true, template } satisfies TemplatesReplies['recordSubmitted'] };
}

function onStatusChanged(state: TemplatesState, msg: Msg<'statusChanged'>, self: string, nowMs: number): Turn {
  const status = statusOf(msg.event);
  const reply: TemplatesReplies['statusChanged'] = { ok: true };
  if (status === null) return { state, reply }; // an event Parlo does not model: nothing to record
  const reason = msg.reason === null || msg.reason === 'NONE' ? null : msg.reason;
  const existing = state.records.find((r) => r.templateId === msg.templateId);
  // Deleted at Meta (through Parlo's API, or Meta's manager): the record goes; a late DELETED learns nothing.
  if (status === 'DELETED') {
    return existing ? { state: { records: state.records.filter((r) => r !== existing) }, reply } : { state, reply };
  }
  if (existing) {
    if (existing.status === status && existing.reason === reason) return { state, reply }; // a repeated webhook
    const next = withStatus(existing, status, reason, nowMs, categoryOf(msg.category ?? ''));
    return { state: replaced(state, existing, next), reply };
  }
  // A template created outside Parlo (Meta's manager, another tool): learned from its review.
  const category = categoryOf(msg.category ?? '');
  if (category === null || state.records.length >= MAX_TEMPLATES_PER_ACCOUNT) return { state, reply };
  const learned: TemplateRecord = {
    templateId: msg.templateId,
    wabaId: wabaOf(self),
    name: msg.name,
    language: msg.language,
    category,
    definition: null,
    status,
    reason,
    quality: 'UNKNOWN',
    history: [{ status, reason, atMs: nowMs }],
    createdAtMs: nowMs,
    updatedAtMs: nowMs,
    createdBy: null,
  };
  if (state.records.some((r) => recordKey(r) === recordKey(learned))) return { state, reply };
  return { state: { records: insertSorted(state.records, learned) }, reply };
}

function withStatus(
  record: TemplateRecord,
  status: TemplateStatus,
  reason: string | null,
  nowMs: number,
  category: TemplateCategory | null,
): TemplateRecord {
  const history = [...record.history, { status, reason, atMs: nowMs }].slice(-STATUS_HISTORY_KEPT);
  return { ...record, status, reason, history, updatedAtMs: nowMs, ...(category === null ? {} : { category }) };
}

function changed(
  state: TemplatesState,
  templateId: string,
  update: (record: TemplateRecord) => TemplateRecord,
  nowMs: number,
): Turn {
  const existing = state.records.find((r) => r.templateId === templateId);
  const reply = { ok: true as const };
  if (!existing) return { state, reply };
  const next = update(existing);
  if (next === existing || (next.quality === existing.quality && next.category === existing.category)) {
    return { state, reply };
  }
  return { state: replaced(state, existing, { ...next, updatedAtMs: nowMs }), reply };
}

function list(state: TemplatesState, filter: TemplateFilter): TemplatesReplies['listTemplates'] {
  const limit = Math.min(Math.max(filter.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
  const matching = state.records.filter(
    (r) =>
      (filter.status === undefined || r.status === filter.status) &&
      (filter.category === undefined || r.category === filter.category) &&
      (filter.name === undefined || r.name === filter.name) &&
      (filter.language === undefined || r.language === filter.language),
  );
  const after = filter.after;
  const start = after === undefined ? 0 : matching.findIndex((r) => recordKey(r) > after);
  const page = start < 0 ? [] : matching.slice(start, start + limit);
  const last = page[page.length - 1];
  const more = start >= 0 && start + limit < matching.length;
  return { ok: true, templates: page, nextAfter: more && last ? recordKey(last) : null, total: matching.length };
}

function found(record: TemplateRecord | undefined, what: string): TemplatesReplies['getTemplate'] {
  return record
    ? { ok: true, template: record }
    : { ok: false, code: 'PARLO_TEMPLATE_NOT_FOUND', message: `no template ${what} in this WhatsApp business account` };
}

function replaced(state: TemplatesState, old: TemplateRecord, next: TemplateRecord): TemplatesState {
  return { records: state.records.map((r) => (r === old ? next : r)) };
}

function insertSorted(records: readonly TemplateRecord[], record: TemplateRecord): TemplateRecord[] {
  const key = recordKey(record);
  const at = records.findIndex((r) => recordKey(r) > key);
  return at < 0 ? [...records, record] : [...records.slice(0, at), record, ...records.slice(at)];
}

export function recordKey(record: Pick<TemplateRecord, 'name' | 'language'>): string {
  return `${record.name}.${record.language}`;
}

function byKey(a: TemplateRecord, b: TemplateRecord): number {
  const x = recordKey(a);
  const y = recordKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function statusOf(value: string): TemplateStatus | null {
  const upper = value.toUpperCase();
  return TEMPLATE_STATUSES.find((s) => s === upper) ?? null;
}

function categoryOf(value: string): TemplateCategory | null {
  const upper = value.toUpperCase();
  return TEMPLATE_CATEGORIES.find((c) => c === upper) ?? null;
}

/** The account of an actor id `<orgId>.<wabaId>` (org ids hold no dot). */
function wabaOf(self: string): string {
  return self.slice(self.indexOf('.') + 1);
}
