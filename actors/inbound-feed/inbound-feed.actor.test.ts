import { describe, expect, it } from 'vitest';
import type { InboundEvent, TurnContext } from '../../core/index.ts';
import type { WebhookEventType } from '../webhooks/webhook-events.ts';
import { RECENT_EVENTS_KEPT, inboundFeedActor, inboundFeedId, inboundFeedTopic } from './inbound-feed.actor.ts';

const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'inbound-feed', id: '1002' },
  nowMs,
  msgId: 'm',
  newId: () => 'id',
});

function status(n: number): InboundEvent {
  return {
    type: 'statusUpdated',
    accountId: '1002',
    businessAccountId: '1001',
    providerMessageId: `wamid.${n}`,
    status: 'sent',
    timestampMs: n,
  };
}

describe('inbound-feed actor', () => {
  it("emits the organisation's customer webhook event when the event came through its endpoint", () => {
    const withOrg = inboundFeedActor.handle(
      inboundFeedActor.initialState('1002'),
      { type: 'recordEvent', event: status(1), orgId: 'org1' },
      ctx(5),
    );
    expect(withOrg.effects).toContainEqual({
      type: 'tell',
      to: { kind: 'webhook-endpoints', id: 'org1' },
      msg: {
        type: 'publishEvent',
        event: expect.objectContaining({ id: 'message.status.wamid.1.sent', orgId: 'org1' }),
      },
    });
    const installation = inboundFeedActor.handle(
      inboundFeedActor.initialState('1002'),
      { type: 'recordEvent', event: status(1) },
      ctx(5),
    );
    expect(installation.effects?.filter((e) => e.type === 'tell')).toEqual([]);
  });

  it('emits only the customer webhook event types the organisation subscribes to, when the ingestion path says', () => {
    const tellsOf = (webhookTypes: readonly WebhookEventType[]) =>
      inboundFeedActor
        .handle(
          inboundFeedActor.initialState('1002'),
          { type: 'recordEvent', event: status(1), orgId: 'org1', webhookTypes },
          ctx(5),
        )
        .effects?.filter((e) => e.type === 'tell' && e.to.kind === 'webhook-endpoints');
    expect(tellsOf([])).toEqual([]);
    expect(tellsOf(['message.received'])).toEqual([]);
    expect(tellsOf(['message.status'])).toHaveLength(1);
  });

  it('records an event, counts it by type, and publishes it on the feed topic', () => {
    const result = inboundFeedActor.handle(
      inboundFeedActor.initialState('1002'),
      { type: 'recordEvent', event: status(1) },
      ctx(5),
    );
    expect(result.state).toEqual({
      counts: { statusUpdated: 1 },
      recent: [{ seq: 1, event: status(1) }],
      nextSeq: 2,
      lastEventAtMs: 5,
    });
    expect(result.effects).toEqual([{ type: 'publish', topic: 'channel.1002.events', event: status(1) }]);
  });

  it(`keeps only the latest ${RECENT_EVENTS_KEPT} events but counts all of them`, () => {
    let state = inboundFeedActor.initialState('1002');
    for (let i = 0; i < RECENT_EVENTS_KEPT + 5; i++)
      state = inboundFeedActor.handle(state, { type: 'recordEvent', event: status(i) }, ctx(i)).state;
    expect(state.recent).toHaveLength(RECENT_EVENTS_KEPT);
    expect(state.recent[0]).toEqual({ seq: 6, event: status(5) });
    expect(state.counts['statusUpdated']).toBe(RECENT_EVENTS_KEPT + 5);
    const reply = inboundFeedActor.handle(state, { type: 'getFeed', limit: 2 }, ctx(0)).reply as {
      recent: InboundEvent[];
    };
    expect(reply.recent.map((e) => (e.type === 'statusUpdated' ? e.providerMessageId : ''))).toEqual([
      `wamid.${RECENT_EVENTS_KEPT + 3}`,
      `wamid.${RECENT_EVENTS_KEPT + 4}`,
    ]);
  });

  it('stores each recent event as its own record and upgrades a version-1 state', () => {
    const split = inboundFeedActor.split!;
    const state = inboundFeedActor.handle(
      inboundFeedActor.initialState('1002'),
      { type: 'recordEvent', event: status(1) },
      ctx(5),
    ).state;
    expect(split.head(state)).toEqual({ counts: { statusUpdated: 1 }, nextSeq: 2, lastEventAtMs: 5 });
    expect(split.items(state).map((entry, i) => split.itemKey(entry, i))).toEqual([1]);
    expect(split.join(split.head(state), split.items(state))).toEqual(state);
    const v1 = { counts: { statusUpdated: 2 }, recent: [status(1), status(2)], lastEventAtMs: 9 };
    expect(inboundFeedActor.upgrade!(v1, 1)).toEqual({
      counts: { statusUpdated: 2 },
      recent: [
        { seq: 1, event: status(1) },
        { seq: 2, event: status(2) },
      ],
      nextSeq: 3,
      lastEventAtMs: 9,
    });
  });

  it('files account-level events under the WABA and makes topics token-safe', () => {
    expect(
      inboundFeedId({ type: 'accountUpdated', businessAccountId: '77', event: 'ACCOUNT_VIOLATION', detail: {} }),
    ).toBe('waba-77');
    expect(inboundFeedId(status(1))).toBe('1002');
    expect(inboundFeedTopic('waba-77')).toBe('channel.waba-77.events');
    expect(inboundFeedTopic('a.b*c')).toBe('channel.a_b_c.events');
  });
});
