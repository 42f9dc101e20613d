import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext } from '../../core/index.ts';
import type { ContactSummary } from '../contacts/contact-filter.ts';
import type { ConversationMsg } from '../conversation/conversation.messages.ts';
import type { TemplateDefinition } from '../templates/template.types.ts';
import { campaignRunActor } from './campaign-run.actor.ts';
import type { CampaignRunMsg, CampaignRunReplies, RunPlan } from './campaign-run.messages.ts';
import { initialRunState, type RunState } from './campaign-run.state.ts';
import type { RecipientProgressed } from './recipient-outcome.ts';
import { DEFAULT_SENDING_WINDOW } from './schedule.ts';

// 2026-01-05 (a Monday) 10:00 UTC: inside Rome's and London's sending hours.
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);
const RUN_ID = 'org1.cmp_1.1';

const PROMO: TemplateDefinition = {
  name: 'promo',
  language: 'it',
  category: 'MARKETING',
  components: [{ type: 'BODY', text: 'Ciao {{1}}, -20% oggi', example: { body_text: [['Ada']] } }],
};

function plan(overrides: Partial<RunPlan> = {}): RunPlan {
  return {
    orgId: 'org1',
    campaignId: 'cmp_1',
    run: 1,
    phoneNumberId: '1001',
    category: 'marketing',
    variants: [
      {
        id: 'A',
        weight: 50,
        template: PROMO,
        variables: { body: { '1': { field: 'first_name', fallback: 'amico' } } },
      },
      { id: 'B', weight: 50, template: PROMO, variables: { body: { '1': { value: 'cliente' } } } },
    ],
    audience: { kind: 'filter', filter: { tags: { any: ['vip'] } } },
    schedule: { kind: 'now' },
    runAtMs: T0,
    sendingWindow: DEFAULT_SENDING_WINDOW,
    fallbackTimeZone: 'Europe/Rome',
    frequencyCapMs: 0,
    creditWindow: 3,
    by: { kind: 'user', id: 'usr1' },
    ...overrides,
  };
}

function contact(n: number, overrides: Partial<ContactSummary> = {}): ContactSummary {
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
    fields: {},
    marketing: 'optedIn',
    utility: 'unknown',
    lastSeenAtMs: null,
    createdAtMs: T0,
    changedAtMs: T0,
    ...overrides,
  };
}

class Run {
  state: RunState = initialRunState();
  effects: Effect[] = [];
  now = T0;
  send(msg: CampaignRunMsg) {
    const ctx: TurnContext = {
      self: { kind: 'campaign-run', id: RUN_ID },
      nowMs: this.now,
      msgId: undefined,
      newId: () => 'x',
    };
    const turn = campaignRunActor.handle(this.state, msg, ctx);
    this.state = turn.state;
    this.effects.push(...(turn.effects ?? []));
    return turn;
  }
  tells(type: string): Extract<Effect, { type: 'tell' }>[] {
    return this.effects.filter(
      (e): e is Extract<Effect, { type: 'tell' }> => e.type === 'tell' && (e.msg as { type: string }).type === type,
    );
  }
  view() {
    return (this.send({ type: 'getRun' }).reply as Extract<CampaignRunReplies['getRun'], { ok: true }>).run;
  }
}

const page = (contacts: ContactSummary[], nextBucket: number | null, callId = '0'): CampaignRunMsg => ({
  type: 'audienceLoaded',
  callId,
  reply: { ok: true, value: { ok: true, contacts, nextBucket } },
});
const progress = (recipient: number, outcome: RecipientProgressed['outcome'], code: string | number | null = null) =>
  ({ type: 'recipientProgressed', recipient, outcome, code, atMs: T0 + 1_000 }) satisfies CampaignRunMsg;

describe('campaign run', () => {
  it('snapshots the audience page by page, screening each contact', () => {
    const r = new Run();
    const start = r.send({ type: 'startRun', plan: plan() });
    expect(start.effects).toEqual([
      expect.objectContaining({ type: 'ask', msg: expect.objectContaining({ type: 'audiencePage', fromBucket: 0 }) }),
    ]);
    r.send(page([contact(1), contact(2, { marketing: 'optedOut' })], 17));
    expect(r.effects.at(-1)).toMatchObject({ type: 'ask', msg: { type: 'audiencePage', fromBucket: 17 } });
    r.send(page([contact(3, { marketing: 'unknown' }), contact(4, { phone: '1555', key: 'p1555' })], null, '17'));
    const view = r.view();
    expect(view.status).toBe('sending');
    expect(view.total).toMatchObject({
      audience: 4,
      skipped: { opted_out: 1, no_consent: 1, invalid_number: 1 },
      dispatched: 1,
    });
  });

  it('dispatches within the credit window and gives credit back on each report; completes when all report', () => {
    const r = new Run();
    r.send({ type: 'startRun', plan: plan() });
    r.send(
      page(
        [1, 2, 3, 4, 5].map((n) => contact(n)),
        null,
      ),
    );
    const sends = r.tells('send');
    expect(sends).toHaveLength(3);
    const first = sends[0]!.msg as Extract<ConversationMsg, { type: 'send' }>;
    expect(first).toMatchObject({
      messageId: 'cmp_1.1.0',
      category: 'marketing',
      customer: { phone: '393331234501' },
      campaign: { run: RUN_ID, recipient: 0, frequencyCapMs: 0 },
    });
    expect(sends[0]!.to).toEqual({ kind: 'conversation', id: '1001.p393331234501' });
    const text = JSON.stringify(first.content);
    expect(text.includes('Person') || text.includes('cliente')).toBe(true);
    expect(r.view().inFlight).toBe(3);

    r.send(progress(0, 'sent'));
    expect(r.tells('send')).toHaveLength(4);
    r.send(progress(1, 'failed', 131026));
    r.send(progress(2, 'skipped', 'frequency_cap'));
    expect(r.tells('send')).toHaveLength(5);
    r.send(progress(0, 'delivered'));
    r.send(progress(0, 'sent')); // late duplicate: nothing
    r.send(progress(3, 'read'));
    expect(r.view().status).toBe('sending');
    r.send(progress(4, 'sent'));
    const view = r.view();
    expect(view.status).toBe('completed');
    expect(view.inFlight).toBe(0);
    expect(view.total).toMatchObject({
      audience: 5,
      dispatched: 5,
      sent: 3,
      delivered: 2,
      read: 1,
      failed: { '131026': 1 },
      skipped: { frequency_cap: 1 },
    });
    expect(r.tells('runChanged').map((t) => (t.msg as { status: string }).status)).toEqual(['sending', 'completed']);
  });

  it('assigns variants deterministically and counts per variant', () => {
    const r = new Run();
    r.send({ type: 'startRun', plan: plan({ creditWindow: 1_000 }) });
    r.send(
      page(
        Array.from({ length: 60 }, (_, n) => contact(n)),
        null,
      ),
    );
    const view = r.view();
    const [a, b] = view.variants;
    expect(a!.id).toBe('A');
    expect(a!.audience + b!.audience).toBe(60);
    expect(a!.audience).toBeGreaterThan(15);
    expect(b!.audience).toBeGreaterThan(15);
    const again = new Run();
    again.send({ type: 'startRun', plan: plan({ creditWindow: 1_000 }) });
    again.send(
      page(
        Array.from({ length: 60 }, (_, n) => contact(n)),
        null,
      ),
    );
    expect(again.view().variants.map((v) => v.audience)).toEqual(view.variants.map((v) => v.audience));
  });

  it('holds a lane inside its quiet hours and releases it when they end (recipient time)', () => {
    const r = new Run();
    // 22:00 in Rome (21:00 UTC), 21:00 in London: both quiet; Rome opens at 09:00 local = 08:00 UTC.
    r.now = Date.UTC(2026, 0, 5, 21, 0, 0);
    r.send({ type: 'startRun', plan: plan({ runAtMs: r.now, creditWindow: 100 }) });
    r.send(page([contact(1), contact(2, { timeZone: 'Europe/London' })], null));
    expect(r.tells('send')).toHaveLength(0);
    const timer = r.effects.filter((e) => e.type === 'setTimer').at(-1);
    expect(timer).toMatchObject({ name: 'dispatch', dueAtMs: Date.UTC(2026, 0, 6, 8, 0, 0) });
    r.now = Date.UTC(2026, 0, 6, 8, 0, 0);
    r.send({ type: 'dispatchDue' });
    expect(r.tells('send').map((t) => t.to.id)).toEqual(['1001.p393331234501']);
    r.now = Date.UTC(2026, 0, 6, 9, 0, 0);
    r.send({ type: 'dispatchDue' });
    expect(r.tells('send')).toHaveLength(2);
  });

  it('pause stops dispatch, resume continues; cancel skips whoever was not dispatched', () => {
    const r = new Run();
    r.send({ type: 'startRun', plan: plan({ creditWindow: 2 }) });
    r.send(
      page(
        [1, 2, 3, 4, 5].map((n) => contact(n)),
        null,
      ),
    );
    r.send({ type: 'pauseRun', reason: 'by hand' });
    r.send(progress(0, 'sent'));
    expect(r.tells('send')).toHaveLength(2);
    expect(r.view()).toMatchObject({ status: 'paused', pausedReason: 'by hand', inFlight: 1 });
    r.send({ type: 'resumeRun' });
    expect(r.tells('send')).toHaveLength(3);
    r.send({ type: 'cancelRun' });
    const view = r.view();
    expect(view.status).toBe('cancelled');
    expect(view.total.skipped).toEqual({ cancelled: 2 });
    const skipped = r.send({ type: 'listRecipients', outcome: 'skipped', limit: 10 })
      .reply as CampaignRunReplies['listRecipients'];
    expect(skipped.recipients.map((x) => [x.index, x.code])).toEqual([
      [3, 'cancelled'],
      [4, 'cancelled'],
    ]);
    // Reports still land for those already on their way.
    r.send(progress(1, 'delivered'));
    expect(r.view().total.delivered).toBe(1);
  });

  it('keeps a per-minute series of outcomes', () => {
    const r = new Run();
    r.send({ type: 'startRun', plan: plan() });
    r.send(page([contact(1)], null));
    r.send(progress(0, 'read'));
    const series = r.send({ type: 'getSeries' }).reply as CampaignRunReplies['getSeries'];
    expect(series.points).toEqual([{ minuteMs: T0, sent: 0, delivered: 0, read: 1, replied: 0, failed: 0, clicks: 0 }]);
  });

  it('a repeated start changes nothing', () => {
    const r = new Run();
    r.send({ type: 'startRun', plan: plan() });
    const again = r.send({ type: 'startRun', plan: plan({ run: 2 }) });
    expect(again.effects ?? []).toEqual([]);
    expect(r.state.plan?.run).toBe(1);
  });
});
