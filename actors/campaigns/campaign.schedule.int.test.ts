import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../core/testing/eventually.ts';
import { FakeClock } from '../../core/testing/fake-clock.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../core/testing/runtime-fixture.ts';
import { defineActor } from '../../core/index.ts';
import { contactIndexActor } from '../contacts/contact-index.actor.ts';
import type { ContactSummary } from '../contacts/contact-filter.ts';
import type { TemplateDefinition } from '../templates/template.types.ts';
import { campaignActor } from './campaign.actor.ts';
import { campaignAddress, type CampaignDefinition, type CampaignReplies } from './campaign.messages.ts';
import { campaignRunActor } from './campaign-run.actor.ts';
import type { CampaignRunReplies } from './campaign-run.messages.ts';
import { campaignsDirectoryActor } from './campaigns-directory.actor.ts';
import { campaignRunAddress, campaignRunId } from './recipient-outcome.ts';
import { DEFAULT_SENDING_WINDOW, WEEKDAYS } from './schedule.ts';

/**
 * Campaign scheduling on the real runtime (durable timers, LMDB in a temp dir) with a fake clock (issue #6, 6): a
 * recurring campaign at 09:00 Europe/Rome starts its runs at 09:00 local across the end of daylight-saving time; a
 * `localTime` campaign releases each recipient at 10:00 in their own zone on the day Europe moves to summer time;
 * a campaign sent at 22:30 Rome time reaches New York at once and Rome at 09:00 local (quiet hours in recipient
 * time). Sends reach a stand-in conversation actor that records them with the clock's time; the clock stops at
 * each due instant until the send arrived (the fake clock does not wait for the actors).
 */

const ORG = 'org_sched';
const PROMO: TemplateDefinition = {
  name: 'promo',
  language: 'en',
  category: 'UTILITY',
  components: [{ type: 'BODY', text: 'Your order is ready.' }],
};

/** Records every `send` it is told, with the time it got it. */
function recordingConversations(sent: { id: string; atMs: number }[]) {
  return defineActor<{ n: number }, { type: string }>({
    kind: 'conversation',
    stateVersion: 1,
    initialState: () => ({ n: 0 }),
    handle(state, msg, ctx) {
      if (msg.type === 'send') sent.push({ id: ctx.self.id, atMs: ctx.nowMs });
      return { state };
    },
  });
}

function contact(phone: string, timeZone: string): ContactSummary {
  return {
    key: `p${phone}`,
    phone,
    userId: null,
    name: null,
    profileName: null,
    language: null,
    timeZone,
    tags: ['t'],
    fields: {},
    marketing: 'unknown',
    utility: 'unknown',
    lastSeenAtMs: null,
    createdAtMs: 0,
    changedAtMs: 0,
  };
}

function definition(schedule: CampaignDefinition['schedule']): CampaignDefinition {
  return {
    name: 'Scheduled',
    phoneNumberId: '1001',
    wabaId: '2001',
    category: 'utility',
    variants: [{ id: 'A', weight: 100, template: { name: 'promo', language: 'en' }, variables: {} }],
    audience: { kind: 'filter', filter: { tags: { any: ['t'] } } },
    schedule,
    sendingWindow: DEFAULT_SENDING_WINDOW,
    fallbackTimeZone: 'UTC',
    frequencyCapHours: 0,
  };
}

let f: RuntimeFixture | undefined;
afterEach(async () => {
  await f?.dispose();
  f = undefined;
});

async function start(startMs: number, sent: { id: string; atMs: number }[]): Promise<RuntimeFixture> {
  f = await startRuntimeFixture({
    clock: new FakeClock(startMs),
    definitions: [
      campaignActor,
      campaignRunActor,
      campaignsDirectoryActor,
      contactIndexActor,
      recordingConversations(sent),
    ],
  });
  return f;
}

async function launch(fx: RuntimeFixture, id: string, def: CampaignDefinition): Promise<void> {
  const address = campaignAddress(ORG, id);
  const created = await fx.system.ask<CampaignReplies['createCampaign']>(address, {
    type: 'createCampaign',
    orgId: ORG,
    campaignId: id,
    definition: def,
    by: { kind: 'user', id: 'usr' },
  });
  expect(created.ok).toBe(true);
  const launched = await fx.system.ask<CampaignReplies['launchCampaign']>(address, {
    type: 'launchCampaign',
    plan: {
      variants: [{ id: 'A', weight: 100, template: PROMO, variables: {} }],
      audience: { kind: 'filter', filter: { tags: { any: ['t'] } } },
      creditWindow: 100,
      launchedBy: { kind: 'user', id: 'usr' },
    },
  });
  expect(launched.ok, JSON.stringify(launched)).toBe(true);
}

async function runAt(fx: RuntimeFixture, id: string, run: number): Promise<number | null> {
  const reply = await fx.system.ask<CampaignRunReplies['getRun']>(campaignRunAddress(campaignRunId(ORG, id, run)), {
    type: 'getRun',
  });
  return reply.ok ? reply.run.runAtMs : null;
}

describe('campaign scheduling on durable timers (fake clock)', () => {
  it('runs a daily campaign at 09:00 Rome time across the end of daylight-saving time', async () => {
    const sent: { id: string; atMs: number }[] = [];
    // Friday 23 October 2026, 12:00 UTC; Europe leaves summer time on Sunday 25 October at 03:00 local.
    const fx = await start(Date.UTC(2026, 9, 23, 12, 0), sent);
    await fx.system.ask(
      { kind: 'contact-index', id: ORG },
      { type: 'contactChanged', summary: contact('393330000001', 'Europe/Rome') },
    );
    await launch(
      fx,
      'cmp_daily',
      definition({
        kind: 'recurring',
        recurrence: { every: 'day' },
        time: { hour: 9, minute: 0 },
        timeZone: 'Europe/Rome',
        startDate: { year: 2026, month: 10, day: 24 },
        count: 3,
      }),
    );
    // 09:00 CEST = 07:00 UTC on the 24th; 09:00 CET = 08:00 UTC on the 25th and 26th. The clock stops at each
    // run until its send arrived (the fake clock does not wait for the actors).
    const runs = [Date.UTC(2026, 9, 24, 7, 0), Date.UTC(2026, 9, 25, 8, 0), Date.UTC(2026, 9, 26, 8, 0)];
    for (const [i, atMs] of runs.entries()) {
      await fx.clock.advanceTo(atMs - 1);
      expect(sent).toHaveLength(i);
      await fx.clock.advanceTo(atMs);
      await eventually(
        () => Promise.resolve(sent.length),
        (n) => n === i + 1,
        `the send of run ${i + 1}`,
      );
      expect(sent[i]!.atMs).toBe(atMs);
      expect(await runAt(fx, 'cmp_daily', i + 1)).toBe(atMs);
    }
    await fx.clock.advanceTo(Date.UTC(2026, 9, 30, 12, 0));
    expect(await runAt(fx, 'cmp_daily', 4)).toBeNull();
    expect(sent).toHaveLength(3);
    const campaign = await fx.system.ask<CampaignReplies['getCampaign']>(campaignAddress(ORG, 'cmp_daily'), {
      type: 'getCampaign',
    });
    expect(campaign.ok && campaign.campaign.nextRunAtMs).toBeNull();
  });

  it('releases each recipient at 10:00 in their own time zone, on a DST day', async () => {
    const sent: { id: string; atMs: number }[] = [];
    const fx = await start(Date.UTC(2026, 2, 27, 12, 0), sent);
    for (const [phone, zone] of [
      ['393330000001', 'Europe/Rome'],
      ['12125550101', 'America/New_York'],
      ['819012345678', 'Asia/Tokyo'],
      ['919812345678', 'Asia/Kolkata'],
    ] as const) {
      await fx.system.ask(
        { kind: 'contact-index', id: ORG },
        { type: 'contactChanged', summary: contact(phone, zone) },
      );
    }
    // Sunday 29 March 2026: Europe moves to summer time at 02:00 (New York did on the 8th).
    await launch(
      fx,
      'cmp_local',
      definition({
        kind: 'localTime',
        date: { year: 2026, month: 3, day: 29 },
        time: { hour: 10, minute: 0 },
        defaultTimeZone: 'UTC',
      }),
    );
    // The run starts when 10:00 first comes anywhere (UTC+14), snapshots, and holds each lane until its 10:00.
    await fx.clock.advanceTo(Date.UTC(2026, 2, 28, 20, 0));
    await eventually(
      () =>
        fx.system.ask<CampaignRunReplies['getRun']>(campaignRunAddress(campaignRunId(ORG, 'cmp_local', 1)), {
          type: 'getRun',
        }),
      (r) => r.ok && r.run.status === 'waiting',
      'the snapshot',
    );
    const expected: [string, number][] = [
      ['1001.p819012345678', Date.UTC(2026, 2, 29, 1, 0)], // Tokyo +09:00
      ['1001.p919812345678', Date.UTC(2026, 2, 29, 4, 30)], // Kolkata +05:30
      ['1001.p393330000001', Date.UTC(2026, 2, 29, 8, 0)], // Rome, summer time since 02:00: +02:00
      ['1001.p12125550101', Date.UTC(2026, 2, 29, 14, 0)], // New York, summer time since the 8th: −04:00
    ];
    for (const [i, [id, atMs]] of expected.entries()) {
      await fx.clock.advanceTo(atMs - 1);
      expect(sent).toHaveLength(i);
      await fx.clock.advanceTo(atMs);
      await eventually(
        () => Promise.resolve(sent.length),
        (n) => n === i + 1,
        `the send to ${id}`,
      );
      expect(sent[i]).toEqual({ id, atMs });
    }
  });

  it('holds a recipient in quiet hours until they end in the recipient\u2019s time', async () => {
    const sent: { id: string; atMs: number }[] = [];
    // 21:30 UTC = 22:30 in Rome (quiet), 17:30 in New York (allowed).
    const fx = await start(Date.UTC(2026, 0, 12, 21, 30), sent);
    await fx.system.ask(
      { kind: 'contact-index', id: ORG },
      { type: 'contactChanged', summary: contact('393330000001', 'Europe/Rome') },
    );
    await fx.system.ask(
      { kind: 'contact-index', id: ORG },
      { type: 'contactChanged', summary: contact('12125550101', 'America/New_York') },
    );
    await launch(fx, 'cmp_quiet', {
      ...definition({ kind: 'now' }),
      sendingWindow: { quietHours: DEFAULT_SENDING_WINDOW.quietHours, weekdays: WEEKDAYS },
    });
    await eventually(
      () => Promise.resolve(sent.length),
      (n) => n === 1,
      'the New York send',
    );
    expect(sent[0]!.id).toBe('1001.p12125550101');
    await fx.clock.advanceTo(Date.UTC(2026, 0, 13, 7, 59));
    expect(sent).toHaveLength(1);
    await fx.clock.advanceTo(Date.UTC(2026, 0, 13, 8, 0));
    await eventually(
      () => Promise.resolve(sent.length),
      (n) => n === 2,
      'the Rome send at 09:00 local',
    );
    expect(sent[1]).toEqual({ id: '1001.p393330000001', atMs: Date.UTC(2026, 0, 13, 8, 0) });
  });
});
