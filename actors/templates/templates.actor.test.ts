import { describe, expect, it } from 'vitest';
import type { TurnContext } from '../../core/index.ts';
import type { TemplateDefinition } from './template.types.ts';
import { templatesActor, type TemplatesState } from './templates.actor.ts';
import { MAX_TEMPLATES_PER_ACCOUNT, type TemplatesMsg, type TemplatesReplies } from './templates.messages.ts';

const T0 = 1_767_225_600_000;
const ctx = (nowMs = T0): TurnContext => ({
  self: { kind: 'templates', id: 'org1.710000000000000' },
  nowMs,
  msgId: undefined,
  newId: () => 'id',
});
const run = (state: TemplatesState, msg: TemplatesMsg, nowMs = T0) => templatesActor.handle(state, msg, ctx(nowMs));
const BY = { kind: 'user', id: 'u1' } as const;

function definition(name: string, language = 'en'): TemplateDefinition {
  return {
    name,
    language,
    category: 'UTILITY',
    components: [{ type: 'BODY', text: 'Order {{1}} shipped', example: { body_text: [['A-1']] } }],
  };
}

function submitted(state: TemplatesState, name: string, templateId: string, language = 'en'): TemplatesState {
  return run(state, {
    type: 'recordSubmitted',
    templateId,
    definition: definition(name, language),
    status: 'PENDING',
    category: 'UTILITY',
    by: BY,
  }).state;
}

const status = (templateId: string, event: string, reason: string | null = 'NONE'): TemplatesMsg => ({
  type: 'statusChanged',
  templateId,
  name: 'x',
  language: 'en',
  event,
  reason,
  category: 'UTILITY',
});

describe('templates actor', () => {
  it('records a submitted template as PENDING, in name.language order, with who created it', () => {
    let state = templatesActor.initialState('org1.710000000000000');
    state = submitted(state, 'shipping_update', '2');
    state = submitted(state, 'order_confirmation', '1', 'it');
    state = submitted(state, 'order_confirmation', '3', 'en');
    expect(state.records.map((r) => `${r.name}.${r.language}`)).toEqual([
      'order_confirmation.en',
      'order_confirmation.it',
      'shipping_update.en',
    ]);
    expect(state.records[0]).toMatchObject({
      templateId: '3',
      wabaId: '710000000000000',
      status: 'PENDING',
      quality: 'UNKNOWN',
      createdBy: BY,
      history: [{ status: 'PENDING', reason: null, atMs: T0 }],
    });
  });

  it("follows Meta's review: APPROVED, then PAUSED with its reason, keeping the history; a repeat changes nothing", () => {
    let state = submitted(templatesActor.initialState(''), 'order_confirmation', '1');
    state = run(state, status('1', 'APPROVED'), T0 + 1).state;
    const paused = run(state, status('1', 'PAUSED', 'FIRST_PAUSE'), T0 + 2).state;
    expect(paused.records[0]).toMatchObject({ status: 'PAUSED', reason: 'FIRST_PAUSE', updatedAtMs: T0 + 2 });
    expect(paused.records[0]!.history.map((h) => h.status)).toEqual(['PENDING', 'APPROVED', 'PAUSED']);
    expect(run(paused, status('1', 'PAUSED', 'FIRST_PAUSE'), T0 + 3).state).toBe(paused);
    expect(run(paused, status('1', 'SOMETHING_NEW'), T0 + 3).state).toBe(paused);
  });

  it('drops a template Meta deleted, and learns nothing from a DELETED it no longer holds', () => {
    const state = submitted(templatesActor.initialState(''), 'gone_soon', '8');
    const deleted = run(state, status('8', 'DELETED')).state;
    expect(deleted.records).toEqual([]);
    expect(run(deleted, status('8', 'DELETED')).state).toBe(deleted);
  });

  it('learns a template created outside Parlo from its review webhook (no definition)', () => {
    const state = run(templatesActor.initialState(''), {
      ...status('77', 'APPROVED'),
      name: 'made_in_meta_manager',
      language: 'es',
    } as TemplatesMsg).state;
    expect(state.records).toEqual([
      expect.objectContaining({ templateId: '77', name: 'made_in_meta_manager', definition: null, status: 'APPROVED' }),
    ]);
  });

  it('tracks quality and recategorisation, and ignores values it does not know', () => {
    let state = submitted(templatesActor.initialState(''), 'promo', '5');
    state = run(state, { type: 'qualityChanged', templateId: '5', quality: 'YELLOW' }).state;
    state = run(state, { type: 'categoryChanged', templateId: '5', category: 'MARKETING' }).state;
    expect(state.records[0]).toMatchObject({ quality: 'YELLOW', category: 'MARKETING' });
    expect(run(state, { type: 'qualityChanged', templateId: '5', quality: 'PURPLE' }).state).toBe(state);
    expect(run(state, { type: 'qualityChanged', templateId: 'nope', quality: 'RED' }).state).toBe(state);
  });

  it('lists with filters and a cursor, finds by id or by name and language, and removes', () => {
    let state = templatesActor.initialState('');
    for (let i = 0; i < 5; i++) state = submitted(state, `t${i}`, String(i));
    state = run(state, status('3', 'APPROVED')).state;
    const first = run(state, { type: 'listTemplates', filter: { limit: 2 } })
      .reply as TemplatesReplies['listTemplates'];
    expect(first.templates.map((t) => t.name)).toEqual(['t0', 't1']);
    expect(first).toMatchObject({ nextAfter: 't1.en', total: 5 });
    const second = run(state, { type: 'listTemplates', filter: { limit: 2, after: 't1.en' } })
      .reply as TemplatesReplies['listTemplates'];
    expect(second.templates.map((t) => t.name)).toEqual(['t2', 't3']);
    const approved = run(state, { type: 'listTemplates', filter: { status: 'APPROVED' } })
      .reply as TemplatesReplies['listTemplates'];
    expect(approved.templates.map((t) => t.templateId)).toEqual(['3']);
    expect(run(state, { type: 'findTemplate', name: 't4', language: 'en' }).reply).toMatchObject({
      ok: true,
      template: { templateId: '4' },
    });
    expect(run(state, { type: 'getTemplate', templateId: '9' }).reply).toMatchObject({
      ok: false,
      code: 'PARLO_TEMPLATE_NOT_FOUND',
    });
    const removed = run(state, { type: 'removeTemplate', templateId: '2' });
    expect(removed.reply).toEqual({ ok: true, removed: true });
    expect(removed.state.records.map((r) => r.templateId)).toEqual(['0', '1', '3', '4']);
  });

  it("refuses a record beyond Meta's 6,000 templates per account, and answers a repeated record with the first", () => {
    const full: TemplatesState = {
      records: Array.from({ length: MAX_TEMPLATES_PER_ACCOUNT }, (_, i) => ({
        ...submitted(templatesActor.initialState(''), `t${i}`, `id${i}`).records[0]!,
      })),
    };
    const refused = run(full, {
      type: 'recordSubmitted',
      templateId: 'new',
      definition: definition('one_more'),
      status: 'PENDING',
      category: 'UTILITY',
      by: BY,
    });
    expect(refused.reply).toMatchObject({ ok: false, code: 'PARLO_TEMPLATE_LIMIT' });
    const once = submitted(templatesActor.initialState(''), 'a', '1');
    const again = run(once, {
      type: 'recordSubmitted',
      templateId: '1',
      definition: definition('a'),
      status: 'PENDING',
      category: 'UTILITY',
      by: BY,
    });
    expect(again.state).toBe(once);
  });
});
