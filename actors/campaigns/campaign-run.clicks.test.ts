import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext } from '../../core/index.ts';
import type { ContactSummary } from '../contacts/contact-filter.ts';
import type { ConversationMsg } from '../conversation/conversation.messages.ts';
import type { TemplateDefinition } from '../templates/template.types.ts';
import { campaignRunActor, createCampaignRunActor } from './campaign-run.actor.ts';
import type { CampaignRunMsg, CampaignRunReplies, RunPlan } from './campaign-run.messages.ts';
import {
  EMPTY_COUNTERS,
  initialRunState,
  MINUTE_MS,
  RUN_STATE_VERSION,
  runSplit,
  upgradeRunState,
  type RunState,
} from './campaign-run.state.ts';
import { clickToken, readClickToken } from './click-token.ts';
import { DEFAULT_SENDING_WINDOW } from './schedule.ts';

/**
 * Tracked URL buttons in a run (issue #6, 4): the token each recipient's button carries, the clicks the redirect
 * reports (every one in `clicks`, each recipient once in `uniqueClicks`, per variant and per minute), where a
 * button leads, and a version-1 state upgraded to count clicks.
 */

// 2026-01-05 (a Monday) 10:00 UTC: inside Rome's sending hours.
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const RUN_ID = '0123456789abcdef.cmp_AbCdEfGhIjKlMnOp.1';
const KEY = new Uint8Array(32).fill(7);
const actor = createCampaignRunActor({ clickKey: KEY });

const PROMO: TemplateDefinition = {
  name: 'promo',
  language: 'it',
  category: 'MARKETING',
  components: [
    { type: 'BODY', text: 'Ciao {{1}}, -20% oggi', example: { body_text: [['Ada']] } },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Stop' },
        { type: 'URL', text: 'Compra', url: 'https://parlo.example/r/{{1}}', example: ['abc'] },
        { type: 'URL', text: 'Negozi', url: 'https://shops.example/{{1}}', example: ['milano'] },
      ],
    },
  ],
};

function plan(): RunPlan {
  return {
    orgId: '0123456789abcdef',
    campaignId: 'cmp_AbCdEfGhIjKlMnOp',
    run: 1,
    phoneNumberId: '1001',
    category: 'marketing',
    variants: [
      {
        id: 'A',
        weight: 50,
        template: PROMO,
        variables: { body: { '1': { field: 'first_name' } }, buttons: { 2: { '1': { value: 'milano' } } } },
        trackedButtons: [{ button: 1, destination: 'https://shop.example/cart?c={{contact.cart|none}}&v=A' }],
      },
      {
        id: 'B',
        weight: 50,
        template: PROMO,
        variables: { body: { '1': { value: 'cliente' } }, buttons: { 2: { '1': { value: 'roma' } } } },
        trackedButtons: [{ button: 1, destination: 'https://shop.example/sale?v=B' }],
      },
    ],
    audience: { kind: 'filter', filter: { tags: { any: ['vip'] } } },
    schedule: { kind: 'now' },
    runAtMs: T0,
    sendingWindow: DEFAULT_SENDING_WINDOW,
    fallbackTimeZone: 'Europe/Rome',
    frequencyCapMs: 0,
    creditWindow: 100,
    by: { kind: 'user', id: 'usr1' },
  };
}

function contact(n: number, fields: ContactSummary['fields'] = {}): ContactSummary {
  const phone = `3933312345${String(n).padStart(2, '0')}`;
  return {
    key: `p${phone}`,
    phone,
    userId: null,
    name: `Person ${n}`,
    profileName: null,
    language: 'it',
    timeZone: 'Europe/Rome',
    tags: ['vip'],
    fields,
    marketing: 'optedIn',
    utility: 'unknown',
    lastSeenAtMs: null,
    createdAtMs: T0,
    changedAtMs: T0,
  };
}

class Run {
  state: RunState = initialRunState();
  effects: Effect[] = [];
  send(msg: CampaignRunMsg, nowMs = T0) {
    const ctx: TurnContext = { self: { kind: 'campaign-run', id: RUN_ID }, nowMs, msgId: undefined, newId: () => 'x' };
    const turn = actor.handle(this.state, msg, ctx);
    this.state = turn.state;
    this.effects.push(...(turn.effects ?? []));
    return turn;
  }
  sends(): Extract<ConversationMsg, { type: 'send' }>[] {
    return this.effects.flatMap((e) =>
      e.type === 'tell' && (e.msg as { type: string }).type === 'send'
        ? [e.msg as Extract<ConversationMsg, { type: 'send' }>]
        : [],
    );
  }
  view() {
    return (this.send({ type: 'getRun' }).reply as Extract<CampaignRunReplies['getRun'], { ok: true }>).run;
  }
}

/** A run of 6 recipients, all dispatched; recipient 5 was skipped by its conversation. */
function sentRun(): Run {
  const r = new Run();
  r.send({ type: 'startRun', plan: plan() });
  r.send({
    type: 'audienceLoaded',
    callId: '0',
    reply: {
      ok: true,
      value: { ok: true, contacts: [0, 1, 2, 3, 4, 5].map((n) => contact(n, { cart: `K-${n}` })), nextBucket: null },
    },
  });
  for (const recipient of [0, 1, 2, 3, 4]) {
    r.send({ type: 'recipientProgressed', recipient, outcome: 'delivered', code: null, atMs: T0 });
  }
  r.send({ type: 'recipientProgressed', recipient: 5, outcome: 'skipped', code: 'frequency_cap', atMs: T0 });
  return r;
}

const clicked = (recipient: number, atMs: number, button = 1): CampaignRunMsg => ({
  type: 'recipientClicked',
  recipient,
  button,
  atMs,
});

function buttonParameter(send: Extract<ConversationMsg, { type: 'send' }>, index: string): string | undefined {
  const template = (send.content as { template: { components?: Record<string, unknown>[] } }).template;
  const button = template.components?.find((c) => c['type'] === 'button' && c['index'] === index);
  return (button?.['parameters'] as { text: string }[] | undefined)?.[0]?.text;
}

describe('tracked buttons in a campaign run', () => {
  it('send each recipient a token naming the run, recipient, variant and button; other buttons keep their values', () => {
    const r = sentRun();
    const sends = r.sends();
    expect(sends).toHaveLength(6);
    for (const send of sends) {
      const recipient = send.campaign!.recipient;
      const token = buttonParameter(send, '1')!;
      const ref = readClickToken([KEY], token);
      expect(ref).toMatchObject({ runId: RUN_ID, recipient, button: 1 });
      expect(ref!.variant).toBe(r.state.recipients[0]!.recipients[recipient]!.variant);
      // Derived, not drawn: a dispatch replayed after a crash carries the very same token.
      expect(token).toBe(clickToken(KEY, ref!));
      expect(['milano', 'roma']).toContain(buttonParameter(send, '2'));
    }
    expect(new Set(sends.map((s) => buttonParameter(s, '1'))).size).toBe(6);
  });

  it('count every click, and each clicking recipient once, per variant and per minute', () => {
    const r = sentRun();
    const variantOf = (recipient: number) => r.state.recipients[0]!.recipients[recipient]!.variant;
    r.send(clicked(0, T0 + 5_000));
    r.send(clicked(0, T0 + 6_000));
    r.send(clicked(0, T0 + MINUTE_MS + 1));
    r.send(clicked(3, T0 + MINUTE_MS + 2));
    const view = r.view();
    expect(view.total).toMatchObject({ clicks: 4, uniqueClicks: 2 });
    const byVariant = [0, 0];
    byVariant[variantOf(0)]! += 3;
    byVariant[variantOf(3)]! += 1;
    expect(view.variants.map((v) => v.clicks)).toEqual(byVariant);
    expect(view.variants.map((v) => v.uniqueClicks).reduce((a, b) => a + b)).toBe(2);

    const series = (r.send({ type: 'getSeries' }).reply as CampaignRunReplies['getSeries']).points;
    expect(series.map((p) => [p.minuteMs, p.clicks])).toEqual([
      [T0, 2],
      [T0 + MINUTE_MS, 2],
    ]);

    const clickers = r.send({ type: 'listRecipients', clicked: true, limit: 10 })
      .reply as CampaignRunReplies['listRecipients'];
    expect(clickers.recipients.map((x) => [x.index, x.clicked])).toEqual([
      [0, true],
      [3, true],
    ]);
    const others = r.send({ type: 'listRecipients', clicked: false, limit: 10 })
      .reply as CampaignRunReplies['listRecipients'];
    expect(others.recipients.map((x) => x.index)).toEqual([1, 2, 4, 5]);
  });

  it('ignore a click for a recipient the run does not have, one never sent to, or an untracked button', () => {
    const r = sentRun();
    const before = r.state;
    expect(r.send(clicked(99, T0)).state).toBe(before);
    expect(r.send(clicked(-1, T0)).state).toBe(before);
    expect(r.send(clicked(5, T0)).state).toBe(before); // skipped: its message never left
    expect(r.send(clicked(0, T0, 2)).state).toBe(before); // a URL button the campaign does not track
    expect(r.send(clicked(0, T0, 0)).state).toBe(before);
    expect(r.view().total).toMatchObject({ clicks: 0, uniqueClicks: 0 });
  });

  it('tell the redirect where a button leads: fixed for B, with the contact’s value for A', () => {
    const r = sentRun();
    const targets = [0, 1, 2, 3, 4].map(
      (recipient) =>
        r.send({ type: 'getClickTarget', recipient, button: 1 }).reply as CampaignRunReplies['getClickTarget'],
    );
    // Both variants are among the five (the split is deterministic per contact).
    expect(new Set(r.state.recipients[0]!.recipients.slice(0, 5).map((x) => x.variant))).toEqual(new Set([0, 1]));
    for (const [recipient, target] of targets.entries()) {
      const variant = r.state.recipients[0]!.recipients[recipient]!.variant;
      expect(target).toEqual(
        variant === 0
          ? { ok: true, destination: `https://shop.example/cart?c=K-${recipient}&v=A`, isFixed: false }
          : { ok: true, destination: 'https://shop.example/sale?v=B', isFixed: true },
      );
    }
    expect(r.send({ type: 'getClickTarget', recipient: 0, button: 2 }).reply).toEqual({
      ok: true,
      destination: null,
      isFixed: false,
    });
    expect(r.send({ type: 'getClickTarget', recipient: 40, button: 1 }).reply).toMatchObject({ destination: null });
  });

  it('need a click key: without one, dispatching a tracked button is a bug, not a send without a token', () => {
    const ctx: TurnContext = {
      self: { kind: 'campaign-run', id: RUN_ID },
      nowMs: T0,
      msgId: undefined,
      newId: () => 'x',
    };
    const started = campaignRunActor.handle(initialRunState(), { type: 'startRun', plan: plan() }, ctx).state;
    expect(() =>
      campaignRunActor.handle(
        started,
        {
          type: 'audienceLoaded',
          callId: '0',
          reply: { ok: true, value: { ok: true, contacts: [contact(1)], nextBucket: null } },
        },
        ctx,
      ),
    ).toThrow(/no click key/);
  });
});

describe('a version-1 run state', () => {
  it('is upgraded: zero click counters, clicked bits, a clicks column in the series; clicks then count', () => {
    const r = sentRun();
    r.send({ type: 'recipientProgressed', recipient: 0, outcome: 'read', code: null, atMs: T0 + 30_000 });
    // The state as version 1 stored it: no click counts, no bits, five columns per minute.
    const current = r.state;
    const head = runSplit.head(current) as RunState;
    const v1Head = { ...head, counters: head.counters.map(({ clicks: _c, uniqueClicks: _u, ...c }) => c) };
    const v1Items = runSplit.items(current).map((item) => {
      if (item.kind === 'o') {
        const { clicked: _bits, ...rest } = item;
        return rest;
      }
      if (item.kind === 't') {
        const counts: number[] = [];
        for (let m = 0; m < 60; m++) counts.push(...item.counts.slice(m * 6, m * 6 + 5));
        return { ...item, counts };
      }
      return item;
    });
    const upgraded = upgradeRunState(v1Head, 1, v1Items);
    expect(RUN_STATE_VERSION).toBe(2);
    expect(upgraded.counters).toEqual(current.counters);
    expect(upgraded.series).toEqual(current.series);
    expect(upgraded.outcomes.map((o) => o.clicked)).toEqual(current.outcomes.map((o) => o.clicked));

    const after = new Run();
    after.state = upgraded;
    after.send(clicked(0, T0 + 40_000));
    expect(after.view().total).toMatchObject({ clicks: 1, uniqueClicks: 1, read: 1, delivered: 5 });
    const points = (after.send({ type: 'getSeries' }).reply as CampaignRunReplies['getSeries']).points;
    expect(points).toEqual([{ minuteMs: T0, sent: 0, delivered: 5, read: 1, replied: 0, failed: 0, clicks: 1 }]);
    expect(EMPTY_COUNTERS).toMatchObject({ clicks: 0, uniqueClicks: 0 });
  });
});
