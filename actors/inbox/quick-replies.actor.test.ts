import { describe, expect, it } from 'vitest';
import { createWireCodec, type TurnContext } from '../../core/index.ts';
import type { AuditActor } from '../org/org.messages.ts';
import {
  initialQuickRepliesState,
  quickRepliesActor,
  quickRepliesSplit,
  type QuickRepliesState,
} from './quick-replies.actor.ts';
import {
  MAX_PERSONAL_QUICK_REPLIES,
  MAX_SHARED_QUICK_REPLIES,
  QuickRepliesMsg,
  type QuickRepliesReplies,
  type QuickReplyScope,
} from './quick-replies.messages.ts';

const T0 = Date.UTC(2026, 4, 4, 9, 0);
let ids = 0;
const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'quick-replies', id: 'org1' },
  nowMs,
  msgId: undefined,
  newId: () => `id${++ids}`,
});
const run = (state: QuickRepliesState, msg: QuickRepliesMsg, nowMs = T0) =>
  quickRepliesActor.handle(state, msg, ctx(nowMs));

const ANA: AuditActor = { kind: 'user', id: 'usr_ana' };
const BOB: AuditActor = { kind: 'user', id: 'usr_bob' };
const MAX: AuditActor = { kind: 'user', id: 'usr_max' };
const KEY: AuditActor = { kind: 'apiKey', id: 'org1.key1' };

interface Draft {
  readonly scope?: QuickReplyScope;
  readonly shortcut: string;
  readonly title?: string;
  readonly text?: string;
}

const createMsg = (by: AuditActor, draft: Draft, canManageShared = by === MAX): QuickRepliesMsg => ({
  type: 'createQuickReply',
  scope: draft.scope ?? 'personal',
  shortcut: draft.shortcut,
  title: draft.title ?? `Title of ${draft.shortcut}`,
  text: draft.text ?? `Text of ${draft.shortcut}`,
  by,
  canManageShared,
});

/** Creates and expects success; returns the new state and the reply's id. */
function create(state: QuickRepliesState, by: AuditActor, draft: Draft, nowMs = T0) {
  const turn = run(state, createMsg(by, draft), nowMs);
  const reply = turn.reply as QuickRepliesReplies['createQuickReply'];
  if (!reply.ok) throw new Error(`create ${draft.shortcut}: ${reply.code} ${reply.message}`);
  return { state: turn.state, id: reply.item.quickReply.id };
}

const list = (state: QuickRepliesState, by: AuditActor, query?: string) =>
  (
    run(state, { type: 'listQuickReplies', by, ...(query === undefined ? {} : { query }) })
      .reply as QuickRepliesReplies['listQuickReplies']
  ).items.map(
    (i) => `${i.quickReply.scope === 'shared' ? 'S' : 'P'}:${i.quickReply.shortcut}${i.isShadowed ? '*' : ''}`,
  );

/** Ana and Bob have personal replies; Max (a manager) made shared ones. */
function world(): QuickRepliesState {
  let state = initialQuickRepliesState();
  state = create(state, MAX, {
    scope: 'shared',
    shortcut: 'thanks',
    title: 'Thank you',
    text: 'Gracias, {{contact.first_name|amigo}}!',
  }).state;
  state = create(state, MAX, {
    scope: 'shared',
    shortcut: 'hours',
    title: 'Opening hours',
    text: 'Abrimos a las 9, café incluido.',
  }).state;
  state = create(state, ANA, { shortcut: 'bye', title: 'Goodbye', text: 'See you, {{operator.first_name}}' }).state;
  state = create(state, BOB, { shortcut: 'bye', title: 'Bob’s goodbye' }).state;
  return state;
}

describe('quick-replies actor', () => {
  it('creates personal and shared replies and lists a member’s own and the shared ones, by shortcut', () => {
    const state = world();
    expect(list(state, ANA)).toEqual(['P:bye', 'S:hours', 'S:thanks']);
    expect(list(state, BOB)).toEqual(['P:bye', 'S:hours', 'S:thanks']);
    expect(list(state, MAX)).toEqual(['S:hours', 'S:thanks']);
    // An API key owns no personal replies: it sees the shared ones.
    expect(list(state, KEY)).toEqual(['S:hours', 'S:thanks']);
    const created = run(state, createMsg(ANA, { shortcut: 'eta', text: 'Soon' }), T0 + 5);
    expect(created.reply).toMatchObject({
      ok: true,
      item: {
        isShadowed: false,
        quickReply: {
          scope: 'personal',
          ownerUserId: 'usr_ana',
          shortcut: 'eta',
          createdBy: ANA,
          createdAtMs: T0 + 5,
          updatedAtMs: T0 + 5,
          id: expect.stringMatching(/^qr_/),
        },
      },
    });
  });

  it('finds by shortcut prefix or by title and text, ignoring case and accents', () => {
    const state = world();
    expect(list(state, ANA, 'th')).toEqual(['S:thanks']);
    expect(list(state, ANA, '/B')).toEqual(['P:bye']);
    expect(list(state, ANA, 'CAFE')).toEqual(['S:hours']);
    expect(list(state, ANA, 'gracias')).toEqual(['S:thanks']);
    expect(list(state, ANA, 'goodbye')).toEqual(['P:bye']);
    expect(list(state, ANA, 'zzz')).toEqual([]);
    // Bob's goodbye is his own.
    expect(list(state, MAX, 'goodbye')).toEqual([]);
  });

  it('refuses shared replies without inbox:manage, and personal ones for an API key', () => {
    const state = world();
    const shared = run(state, createMsg(ANA, { scope: 'shared', shortcut: 'promo' }, false));
    expect(shared.reply).toMatchObject({ ok: false, code: 'PARLO_ACCESS_FORBIDDEN' });
    expect(shared.state).toBe(state);
    const keyed = run(state, createMsg(KEY, { shortcut: 'promo' }, true));
    expect(keyed.reply).toMatchObject({ ok: false, code: 'PARLO_ACCESS_FORBIDDEN' });
  });

  it.each([
    ['a shared shortcut again', MAX, { scope: 'shared', shortcut: 'thanks' }, 'a shared quick reply'],
    ['a shared shortcut for a personal one', ANA, { shortcut: 'thanks' }, 'a shared quick reply'],
    ['one of your own shortcuts', ANA, { shortcut: 'bye' }, 'another of your quick replies'],
  ] as const)('refuses %s (409)', (_case, by, draft, whose) => {
    const state = world();
    const turn = run(state, createMsg(by, draft));
    expect(turn.reply).toMatchObject({
      ok: false,
      code: 'PARLO_QUICK_REPLY_SHORTCUT_TAKEN',
      message: `shortcut: /${draft.shortcut} is taken by ${whose}`,
    });
    expect(turn.state).toBe(state);
  });

  it('lets a shared reply take a shortcut members use personally, shown as shadowed to them', () => {
    const { state, id } = create(world(), MAX, { scope: 'shared', shortcut: 'bye', title: 'Team goodbye' });
    expect(list(state, ANA)).toEqual(['P:bye', 'S:bye*', 'S:hours', 'S:thanks']);
    expect(list(state, MAX)).toEqual(['S:bye', 'S:hours', 'S:thanks']);
    const seen = run(state, { type: 'getQuickReply', id, by: BOB }).reply;
    expect(seen).toMatchObject({ ok: true, item: { isShadowed: true, quickReply: { title: 'Team goodbye' } } });
  });

  it.each([
    ['shortcut', { shortcut: 'Thanks!' }, /^shortcut: 1–32 lowercase/],
    ['shortcut', { shortcut: 'x'.repeat(33) }, /^shortcut: /],
    ['shortcut', { shortcut: '-x' }, /^shortcut: /],
    ['title', { shortcut: 'ok', title: '   ' }, /^title: 1–100 characters/],
    ['text', { shortcut: 'ok', text: 'x'.repeat(4097) }, /^text: 1–4096 characters/],
    ['text', { shortcut: 'ok', text: 'Hi {{customer.name}}' }, /^text: \{\{customer\.name\}\} at character 4: /],
  ])('refuses a bad %s naming it', (_field, draft, message) => {
    const turn = run(world(), createMsg(ANA, draft));
    expect(turn.reply).toMatchObject({
      ok: false,
      code: 'PARLO_VALIDATION_FAILED',
      message: expect.stringMatching(message),
    });
  });

  it('keeps at most 100 personal replies per member and 500 shared ones', () => {
    let state = initialQuickRepliesState();
    for (let i = 0; i < MAX_PERSONAL_QUICK_REPLIES; i++) state = create(state, ANA, { shortcut: `p${i}` }).state;
    expect(run(state, createMsg(ANA, { shortcut: 'one-more' })).reply).toMatchObject({
      ok: false,
      code: 'PARLO_QUICK_REPLY_LIMIT',
    });
    // Bob has his own allowance.
    state = create(state, BOB, { shortcut: 'p0' }).state;
    for (let i = 0; i < MAX_SHARED_QUICK_REPLIES; i++)
      state = create(state, MAX, { scope: 'shared', shortcut: `s${i}` }).state;
    expect(run(state, createMsg(MAX, { scope: 'shared', shortcut: 'one-more' })).reply).toMatchObject({
      ok: false,
      code: 'PARLO_QUICK_REPLY_LIMIT',
      message: expect.stringContaining('500 shared'),
    });
    expect(state.replies.count).toBe(MAX_PERSONAL_QUICK_REPLIES + 1 + MAX_SHARED_QUICK_REPLIES);
  });

  it('hides another member’s personal reply: not found to read, change or delete', () => {
    const { state, id } = create(world(), ANA, { shortcut: 'mine' });
    const asBob = [
      run(state, { type: 'getQuickReply', id, by: BOB }),
      run(state, { type: 'updateQuickReply', id, title: 'x', by: BOB, canManageShared: false }),
      run(state, { type: 'deleteQuickReply', id, by: MAX, canManageShared: true }),
    ];
    for (const turn of asBob) {
      expect(turn.reply).toMatchObject({ ok: false, code: 'PARLO_QUICK_REPLY_NOT_FOUND' });
      expect(turn.state).toBe(state);
    }
  });

  it('updates the given fields only, checking the shortcut again', () => {
    const { state, id } = create(world(), ANA, { shortcut: 'eta', title: 'ETA', text: 'Tomorrow' });
    const renamed = run(
      state,
      { type: 'updateQuickReply', id, title: ' When ', by: ANA, canManageShared: false },
      T0 + 9,
    );
    expect(renamed.reply).toMatchObject({
      ok: true,
      item: { quickReply: { shortcut: 'eta', title: 'When', text: 'Tomorrow', createdAtMs: T0, updatedAtMs: T0 + 9 } },
    });
    const clash = run(renamed.state, {
      type: 'updateQuickReply',
      id,
      shortcut: 'thanks',
      by: ANA,
      canManageShared: false,
    });
    expect(clash.reply).toMatchObject({ ok: false, code: 'PARLO_QUICK_REPLY_SHORTCUT_TAKEN' });
    const same = run(renamed.state, { type: 'updateQuickReply', id, shortcut: 'eta', by: ANA, canManageShared: false });
    expect(same.reply).toMatchObject({ ok: true });
    expect(same.state).toBe(renamed.state);
    const bad = run(renamed.state, { type: 'updateQuickReply', id, text: '{{x', by: ANA, canManageShared: false });
    expect(bad.reply).toMatchObject({ ok: false, code: 'PARLO_VALIDATION_FAILED' });
  });

  it('lets only inbox managers change or delete a shared reply', () => {
    const state = world();
    const [hours] = (
      run(state, { type: 'listQuickReplies', by: ANA, query: 'hours' }).reply as QuickRepliesReplies['listQuickReplies']
    ).items;
    const id = hours!.quickReply.id;
    expect(
      run(state, { type: 'updateQuickReply', id, title: 'x', by: ANA, canManageShared: false }).reply,
    ).toMatchObject({
      ok: false,
      code: 'PARLO_ACCESS_FORBIDDEN',
    });
    expect(run(state, { type: 'deleteQuickReply', id, by: ANA, canManageShared: false }).reply).toMatchObject({
      ok: false,
      code: 'PARLO_ACCESS_FORBIDDEN',
    });
    const deleted = run(state, { type: 'deleteQuickReply', id, by: BOB, canManageShared: true });
    expect(deleted.reply).toEqual({ ok: true });
    expect(list(deleted.state, ANA)).toEqual(['P:bye', 'S:thanks']);
    expect(run(deleted.state, { type: 'getQuickReply', id, by: BOB }).reply).toMatchObject({
      ok: false,
      code: 'PARLO_QUICK_REPLY_NOT_FOUND',
    });
  });

  it('is empty again when its last reply goes', () => {
    const { state, id } = create(initialQuickRepliesState(), ANA, { shortcut: 'only' });
    expect(quickRepliesActor.isEmpty!(state)).toBe(false);
    const after = run(state, { type: 'deleteQuickReply', id, by: ANA, canManageShared: false }).state;
    expect(quickRepliesActor.isEmpty!(after)).toBe(true);
  });

  it('writes one small bucket per saved reply, and joins back to the same state', () => {
    let state = initialQuickRepliesState();
    for (let i = 0; i < 300; i++) state = create(state, MAX, { scope: 'shared', shortcut: `s${i}` }).state;
    const after = create(state, ANA, { shortcut: 'new' }).state;
    const before = quickRepliesSplit.items(state);
    const changed = quickRepliesSplit.items(after).filter((bucket) => !before.includes(bucket));
    expect(changed).toHaveLength(1);
    expect(changed[0]!.entries.length).toBeLessThan(5);
    const joined = quickRepliesSplit.join(quickRepliesSplit.head(after), quickRepliesSplit.items(after));
    expect(list(joined, ANA)).toEqual(list(after, ANA));
  });

  it('round-trips its state and messages through the wire codec', () => {
    const codec = createWireCodec();
    const state = world();
    const head = codec.decode(codec.encode(quickRepliesSplit.head(state)));
    const items = quickRepliesSplit.items(state).map((b) => codec.decode(codec.encode(b)));
    const restored = quickRepliesSplit.join(head, items as typeof state.replies.buckets);
    expect(restored).toEqual(state);
    const msg = createMsg(ANA, { shortcut: 'wire', text: 'Hi {{contact.name|there}}' });
    expect(QuickRepliesMsg.parse(codec.decode(codec.encode(msg)))).toEqual(msg);
  });
});
