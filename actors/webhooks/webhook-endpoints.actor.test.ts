import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext, TurnResult } from '../../core/index.ts';
import { deliveryIdOf } from './retry.ts';
import type { WebhookCaller } from './webhook-caller.ts';
import { webhookDeliveryAddress } from './webhook-delivery.messages.ts';
import { webhookEndpointsActor } from './webhook-endpoints.actor.ts';
import {
  DEFAULT_SECRET_OVERLAP_MS,
  MAX_ENDPOINTS_PER_ORG,
  secretTimerName,
  type EndpointView,
  type EventFilter,
  type PreparedAttempt,
  type WebhookEndpointsMsg,
} from './webhook-endpoints.messages.ts';
import { initialWebhookEndpointsState, type WebhookEndpointsState } from './webhook-endpoints.state.ts';
import {
  WEBHOOK_EVENT_TYPES,
  webhookEventMessage,
  webhookEndpointsAddress,
  type AnyWebhookEvent,
} from './webhook-events.ts';
import { webhookLogAddress } from './webhook-log.messages.ts';

const ORG = '0123456789abcdef';
const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;

const ADMIN: WebhookCaller = { kind: 'user', userId: 'usr-admin', role: 'admin' };
const MANAGER: WebhookCaller = { kind: 'user', userId: 'usr-manager', role: 'manager' };
const KEY: WebhookCaller = { kind: 'apiKey', keyId: `${ORG}.0123456789ab`, scopes: ['webhooks:*'] };
const READ_KEY: WebhookCaller = { kind: 'apiKey', keyId: `${ORG}.0123456789ac`, scopes: ['read'] };

function ctxAt(nowMs: number): TurnContext {
  let n = 0;
  return { self: webhookEndpointsAddress(ORG), nowMs, msgId: 'm-1', newId: () => `id-${++n}` };
}

function run(state: WebhookEndpointsState, msg: WebhookEndpointsMsg, nowMs = T0): TurnResult<WebhookEndpointsState> {
  return webhookEndpointsActor.handle(state, msg, ctxAt(nowMs));
}

const sealed = (secretId: string) => ({ secretId, sealed: `sealed-${secretId}` });

function create(
  state: WebhookEndpointsState,
  endpointId: string,
  events: EventFilter = null,
  enabled = true,
  by: WebhookCaller = ADMIN,
): WebhookEndpointsState {
  const result = run(state, {
    type: 'createEndpoint',
    endpointId,
    url: `https://hooks.example.com/${endpointId}`,
    description: `endpoint ${endpointId}`,
    events,
    enabled,
    secret: sealed(`ws_${endpointId}_1`),
    by,
  });
  expect(result.reply).toMatchObject({ ok: true });
  return result.state;
}

function event(type: AnyWebhookEvent['type'], id = 'evt_1'): AnyWebhookEvent {
  if (type === 'conversation.resolved') {
    return {
      id,
      type,
      orgId: ORG,
      occurredAtMs: T0,
      data: { conversationId: 'c1', phoneNumberId: 'p1', contactWaId: '15551234567', resolvedBy: null },
    };
  }
  if (type === 'contact.opted_out') {
    return {
      id,
      type,
      orgId: ORG,
      occurredAtMs: T0,
      data: { contactId: null, waId: '15551234567', phoneNumberId: null, source: 'keyword', keyword: 'STOP' },
    };
  }
  return {
    id,
    type: 'campaign.finished',
    orgId: ORG,
    occurredAtMs: T0,
    data: {
      campaignId: 'cmp1',
      name: 'Spring',
      outcome: 'completed',
      counts: { recipients: 1, sent: 1, delivered: 1, read: 0, failed: 0 },
    },
  };
}

/** Timer effects only (audit tells are checked on their own). */
function timers(effects: readonly Effect[] | undefined): Effect[] {
  return (effects ?? []).filter((e) => e.type === 'setTimer' || e.type === 'cancelTimer');
}

/** The audit entries a turn asks the org actor to record: [event, actor id, detail]. */
function audits(effects: readonly Effect[] | undefined): [string, string, Record<string, unknown>][] {
  return (effects ?? []).flatMap((e) => {
    if (e.type !== 'tell' || e.to.kind !== 'org') return [];
    expect(e.to.id).toBe(ORG);
    const msg = e.msg as { type: string; event: string; actor: { id: string }; detail: Record<string, unknown> };
    expect(msg.type).toBe('recordAudit');
    return [[msg.event, msg.actor.id, msg.detail]];
  });
}

function tellsTo(effects: readonly Effect[] | undefined): string[] {
  return (effects ?? []).flatMap((e) => (e.type === 'tell' ? [`${e.to.kind}:${e.to.id}`] : []));
}

describe('webhook-endpoints actor: management', () => {
  it('creates an endpoint with its first secret, and lists it without the sealed value', () => {
    const state = create(initialWebhookEndpointsState(), 'we_a', ['message.received']);
    const listed = run(state, { type: 'listEndpoints', by: ADMIN }).reply as { endpoints: EndpointView[] };
    expect(listed.endpoints).toEqual([
      {
        endpointId: 'we_a',
        url: 'https://hooks.example.com/we_a',
        description: 'endpoint we_a',
        events: ['message.received'],
        enabled: true,
        disabledReason: null,
        secrets: [{ secretId: 'ws_we_a_1', createdAtMs: T0, expiresAtMs: null }],
        createdAtMs: T0,
        updatedAtMs: T0,
      },
    ]);
    expect(JSON.stringify(listed)).not.toContain('sealed-');
  });

  it('refuses callers without webhooks:manage (defence in depth), by role and by key scope', () => {
    const state = create(initialWebhookEndpointsState(), 'we_a');
    for (const by of [MANAGER, READ_KEY]) {
      for (const msg of [
        { type: 'listEndpoints', by },
        { type: 'getEndpoint', endpointId: 'we_a', by },
        { type: 'deleteEndpoint', endpointId: 'we_a', by },
        { type: 'rotateSecret', endpointId: 'we_a', secret: sealed('x'), overlapMs: 0, by },
        { type: 'sendTestEvent', endpointId: 'we_a', eventId: 'evt_t', by },
      ] satisfies WebhookEndpointsMsg[]) {
        const result = run(state, msg);
        expect(result.state).toBe(state);
        expect(result.effects ?? []).toEqual([]);
        expect(result.reply).toMatchObject({ ok: false, code: 'PARLO_ACCESS_FORBIDDEN' });
      }
    }
    expect(run(state, { type: 'listEndpoints', by: KEY }).reply).toMatchObject({ ok: true });
  });

  it('answers not-found for an unknown endpoint, refuses a reused id and caps the number of endpoints', () => {
    let state = initialWebhookEndpointsState();
    expect(run(state, { type: 'getEndpoint', endpointId: 'nope', by: ADMIN }).reply).toMatchObject({
      ok: false,
      code: 'PARLO_WEBHOOK_ENDPOINT_NOT_FOUND',
    });
    expect(run(state, { type: 'getEndpoint', endpointId: 'constructor', by: ADMIN }).reply).toMatchObject({
      code: 'PARLO_WEBHOOK_ENDPOINT_NOT_FOUND',
    });
    for (let i = 0; i < MAX_ENDPOINTS_PER_ORG; i++) state = create(state, `we_${i}`);
    const again = run(state, {
      type: 'createEndpoint',
      endpointId: 'we_0',
      url: 'https://x.test/',
      description: '',
      events: null,
      enabled: true,
      secret: sealed('s'),
      by: ADMIN,
    });
    expect(again.reply).toMatchObject({ ok: false, code: 'PARLO_ID_CONFLICT' });
    const over = run(state, {
      type: 'createEndpoint',
      endpointId: 'we_more',
      url: 'https://x.test/',
      description: '',
      events: null,
      enabled: true,
      secret: sealed('s'),
      by: ADMIN,
    });
    expect(over.reply).toMatchObject({ ok: false, code: 'PARLO_WEBHOOK_ENDPOINT_LIMIT' });
  });

  it('updates url, events, description and enabled; enabling again clears the disabled reason', () => {
    let state = create(initialWebhookEndpointsState(), 'we_a');
    state = run(state, { type: 'endpointGone', endpointId: 'we_a', deliveryId: 'dlv_1' }, T0 + 1).state;
    const gone = run(state, { type: 'getEndpoint', endpointId: 'we_a', by: ADMIN }).reply as { endpoint: EndpointView };
    expect(gone.endpoint).toMatchObject({ enabled: false, disabledReason: 'gone', updatedAtMs: T0 + 1 });
    const updated = run(
      state,
      {
        type: 'updateEndpoint',
        endpointId: 'we_a',
        url: 'https://new.example.com/h',
        events: ['contact.opted_out', 'contact.opted_out'],
        description: 'new',
        enabled: true,
        by: KEY,
      },
      T0 + 2,
    );
    expect((updated.reply as { endpoint: EndpointView }).endpoint).toMatchObject({
      url: 'https://new.example.com/h',
      events: ['contact.opted_out'],
      description: 'new',
      enabled: true,
      disabledReason: null,
      createdAtMs: T0,
      updatedAtMs: T0 + 2,
    });
    const toAll = run(updated.state, { type: 'updateEndpoint', endpointId: 'we_a', events: null, by: ADMIN });
    expect((toAll.reply as { endpoint: EndpointView }).endpoint.events).toBeNull();
  });

  it('names the event types some enabled endpoint wants, for the ingestion path', () => {
    const types = (state: WebhookEndpointsState) =>
      (run(state, { type: 'getSubscribedEventTypes' }).reply as { eventTypes: readonly string[] }).eventTypes;
    expect(types(initialWebhookEndpointsState())).toEqual([]);
    let state = create(initialWebhookEndpointsState(), 'we_a', ['contact.opted_out']);
    state = create(state, 'we_b', ['message.status'], false);
    expect(types(state)).toEqual(['contact.opted_out']);
    state = create(state, 'we_c', null);
    expect(types(state)).toHaveLength(WEBHOOK_EVENT_TYPES.length);
  });

  it('deletes an endpoint: its secret timers go and its log is emptied', () => {
    let state = create(initialWebhookEndpointsState(), 'we_a');
    state = run(state, {
      type: 'rotateSecret',
      endpointId: 'we_a',
      secret: sealed('ws_2'),
      overlapMs: HOUR,
      by: ADMIN,
    }).state;
    const deleted = run(state, { type: 'deleteEndpoint', endpointId: 'we_a', by: ADMIN });
    expect(deleted.reply).toEqual({ ok: true, endpointId: 'we_a' });
    expect(deleted.state).toEqual(initialWebhookEndpointsState());
    expect(webhookEndpointsActor.isEmpty?.(deleted.state)).toBe(true);
    expect(deleted.effects).toEqual([
      { type: 'cancelTimer', name: secretTimerName('we_a', 'ws_2') },
      { type: 'cancelTimer', name: secretTimerName('we_a', 'ws_we_a_1') },
      { type: 'tell', to: webhookLogAddress(ORG, 'we_a'), msg: { type: 'endpointDeleted' } },
      expect.objectContaining({ type: 'tell', to: { kind: 'org', id: ORG } }),
    ]);
    expect(audits(deleted.effects)).toEqual([
      ['webhookEndpointDeleted', 'usr-admin', { endpointId: 'we_a', url: 'https://hooks.example.com/we_a' }],
    ]);
  });
});

describe('webhook-endpoints actor: audit', () => {
  it("records creation, changes, rotation and 410-disabling in the organisation's audit log", () => {
    let state = initialWebhookEndpointsState();
    const created = run(state, {
      type: 'createEndpoint',
      endpointId: 'we_a',
      url: 'https://hooks.example.com/a',
      description: '',
      events: ['message.status', 'message.received'],
      enabled: true,
      secret: sealed('ws_1'),
      by: KEY,
    });
    expect(audits(created.effects)).toEqual([
      [
        'webhookEndpointCreated',
        KEY.kind === 'apiKey' ? KEY.keyId : '',
        {
          endpointId: 'we_a',
          url: 'https://hooks.example.com/a',
          events: 'message.status message.received',
          enabled: true,
        },
      ],
    ]);
    state = created.state;
    const updated = run(state, { type: 'updateEndpoint', endpointId: 'we_a', enabled: false, events: null, by: ADMIN });
    expect(audits(updated.effects)).toEqual([
      ['webhookEndpointUpdated', 'usr-admin', { endpointId: 'we_a', events: '*', enabled: false }],
    ]);
    const rotated = run(state, {
      type: 'rotateSecret',
      endpointId: 'we_a',
      secret: sealed('ws_2'),
      overlapMs: HOUR,
      by: ADMIN,
    });
    expect(audits(rotated.effects)).toEqual([
      [
        'webhookSecretRotated',
        'usr-admin',
        { endpointId: 'we_a', secretId: 'ws_2', previousSecretId: 'ws_1', overlapSeconds: 3600 },
      ],
    ]);
    const gone = run(state, { type: 'endpointGone', endpointId: 'we_a', deliveryId: 'dlv_1' });
    expect(audits(gone.effects)).toEqual([
      ['webhookEndpointDisabled', 'webhooks', expect.objectContaining({ endpointId: 'we_a', deliveryId: 'dlv_1' })],
    ]);
    // No secret, sealed or not, ever reaches the audit log.
    expect(JSON.stringify([created, updated, rotated].map((r) => audits(r.effects)))).not.toContain('sealed-');
  });
});

describe('webhook-endpoints actor: secret rotation', () => {
  const prepare = (state: WebhookEndpointsState, nowMs: number) =>
    run(state, { type: 'prepareAttempt', endpointId: 'we_a', deliveryId: 'dlv_1' }, nowMs).reply as PreparedAttempt;

  it('keeps the previous secret signing for the overlap, then a durable timer ends it', () => {
    const state = create(initialWebhookEndpointsState(), 'we_a');
    const rotated = run(
      state,
      {
        type: 'rotateSecret',
        endpointId: 'we_a',
        secret: sealed('ws_2'),
        overlapMs: DEFAULT_SECRET_OVERLAP_MS,
        by: ADMIN,
      },
      T0 + HOUR,
    );
    const expiresAtMs = T0 + HOUR + DEFAULT_SECRET_OVERLAP_MS;
    expect((rotated.reply as { endpoint: EndpointView }).endpoint.secrets).toEqual([
      { secretId: 'ws_2', createdAtMs: T0 + HOUR, expiresAtMs: null },
      { secretId: 'ws_we_a_1', createdAtMs: T0, expiresAtMs },
    ]);
    expect(timers(rotated.effects)).toEqual([
      {
        type: 'setTimer',
        name: secretTimerName('we_a', 'ws_we_a_1'),
        dueAtMs: expiresAtMs,
        msg: { type: 'secretExpired', endpointId: 'we_a', secretId: 'ws_we_a_1' },
      },
    ]);
    // Both sign during the overlap, newest first.
    expect(prepare(rotated.state, T0 + 2 * HOUR).secrets.map((s) => s.secretId)).toEqual(['ws_2', 'ws_we_a_1']);
    // The timer's message removes the old one (a late timer changes nothing).
    const early = run(
      rotated.state,
      { type: 'secretExpired', endpointId: 'we_a', secretId: 'ws_we_a_1' },
      expiresAtMs - 1,
    );
    expect(early.reply).toEqual({ ok: true, removed: false });
    const expired = run(
      rotated.state,
      { type: 'secretExpired', endpointId: 'we_a', secretId: 'ws_we_a_1' },
      expiresAtMs,
    );
    expect(expired.reply).toEqual({ ok: true, removed: true });
    expect(prepare(expired.state, expiresAtMs).secrets).toEqual([sealed('ws_2')]);
    // Even before the timer's turn, an expired secret no longer signs.
    expect(prepare(rotated.state, expiresAtMs).secrets.map((s) => s.secretId)).toEqual(['ws_2']);
  });

  it('revokes the previous secret at once with overlap 0, or on request', () => {
    const state = create(initialWebhookEndpointsState(), 'we_a');
    const immediate = run(state, {
      type: 'rotateSecret',
      endpointId: 'we_a',
      secret: sealed('ws_2'),
      overlapMs: 0,
      by: ADMIN,
    });
    expect(prepare(immediate.state, T0).secrets).toEqual([sealed('ws_2')]);
    expect(timers(immediate.effects)).toEqual([]);

    const overlapping = run(state, {
      type: 'rotateSecret',
      endpointId: 'we_a',
      secret: sealed('ws_2'),
      overlapMs: HOUR,
      by: ADMIN,
    });
    const revoked = run(overlapping.state, { type: 'revokePreviousSecrets', endpointId: 'we_a', by: ADMIN }, T0 + 1);
    expect(revoked.reply).toMatchObject({ ok: true, revoked: 1 });
    expect(timers(revoked.effects)).toEqual([{ type: 'cancelTimer', name: secretTimerName('we_a', 'ws_we_a_1') }]);
    expect(prepare(revoked.state, T0 + 1).secrets).toEqual([sealed('ws_2')]);
    const again = run(revoked.state, { type: 'revokePreviousSecrets', endpointId: 'we_a', by: ADMIN });
    expect(again.reply).toMatchObject({ ok: true, revoked: 0 });
    expect(again.state).toBe(revoked.state);
  });

  it('keeps at most two active secrets: rotating during an overlap drops the oldest', () => {
    let state = create(initialWebhookEndpointsState(), 'we_a');
    state = run(state, {
      type: 'rotateSecret',
      endpointId: 'we_a',
      secret: sealed('ws_2'),
      overlapMs: HOUR,
      by: ADMIN,
    }).state;
    const third = run(
      state,
      { type: 'rotateSecret', endpointId: 'we_a', secret: sealed('ws_3'), overlapMs: HOUR, by: ADMIN },
      T0 + 1,
    );
    expect(prepare(third.state, T0 + 1).secrets.map((s) => s.secretId)).toEqual(['ws_3', 'ws_2']);
    expect(timers(third.effects)).toEqual([
      { type: 'cancelTimer', name: secretTimerName('we_a', 'ws_we_a_1') },
      expect.objectContaining({ type: 'setTimer', name: secretTimerName('we_a', 'ws_2'), dueAtMs: T0 + 1 + HOUR }),
    ]);
  });
});

describe('webhook-endpoints actor: fan-out', () => {
  function org(): WebhookEndpointsState {
    let state = initialWebhookEndpointsState();
    state = create(state, 'we_all', null);
    state = create(state, 'we_conv', ['conversation.resolved', 'conversation.assigned']);
    state = create(state, 'we_contact', ['contact.opted_out']);
    state = create(state, 'we_off', null, false);
    return state;
  }

  it('starts one delivery per enabled endpoint whose filter matches, and changes no state', () => {
    const state = org();
    const resolved = event('conversation.resolved');
    const published = run(state, webhookEventMessage(resolved));
    expect(published.state).toBe(state);
    const ids = ['we_all', 'we_conv'].map((e) => deliveryIdOf(e, 'evt_1'));
    expect(published.reply).toEqual({ ok: true, deliveryIds: ids });
    expect(published.effects).toEqual(
      ['we_all', 'we_conv'].map((endpointId, i) => ({
        type: 'tell',
        to: webhookDeliveryAddress(ORG, ids[i] ?? ''),
        msg: { type: 'startDelivery', orgId: ORG, endpointId, deliveryId: ids[i], event: resolved },
      })),
    );
    expect(tellsTo(run(state, webhookEventMessage(event('contact.opted_out'))).effects)).toEqual(
      ['we_all', 'we_contact'].map((e) => `webhook-delivery:${ORG}:${deliveryIdOf(e, 'evt_1')}`),
    );
    expect(tellsTo(run(state, webhookEventMessage(event('campaign.finished'))).effects)).toEqual([
      `webhook-delivery:${ORG}:${deliveryIdOf('we_all', 'evt_1')}`,
    ]);
    expect(run(initialWebhookEndpointsState(), webhookEventMessage(resolved)).reply).toEqual({
      ok: true,
      deliveryIds: [],
    });
  });

  it('throws on a malformed event (a bug of the emitter: the runtime dead-letters it)', () => {
    const state = org();
    const bad = [
      { ...event('campaign.finished'), orgId: 'another-org' },
      { ...event('campaign.finished'), id: 'has space' },
      { ...event('campaign.finished'), type: 'webhook.test' },
      { ...event('campaign.finished'), type: 'nope' },
      { ...event('campaign.finished'), occurredAtMs: 1.5 },
    ];
    for (const e of bad) {
      expect(() => run(state, { type: 'publishEvent', event: e as AnyWebhookEvent })).toThrow(/publishEvent/);
    }
  });

  it('sends a test event to one endpoint whatever its filter, but not to a disabled one', () => {
    const state = org();
    const sent = run(
      state,
      { type: 'sendTestEvent', endpointId: 'we_contact', eventId: 'evt_test', by: ADMIN },
      T0 + 5,
    );
    const deliveryId = deliveryIdOf('we_contact', 'evt_test');
    expect(sent.reply).toEqual({ ok: true, deliveryId, eventId: 'evt_test' });
    expect(sent.effects).toEqual([
      {
        type: 'tell',
        to: webhookDeliveryAddress(ORG, deliveryId),
        msg: {
          type: 'startDelivery',
          orgId: ORG,
          endpointId: 'we_contact',
          deliveryId,
          event: {
            id: 'evt_test',
            type: 'webhook.test',
            orgId: ORG,
            occurredAtMs: T0 + 5,
            data: { endpointId: 'we_contact', message: expect.any(String) },
          },
        },
      },
    ]);
    expect(run(state, { type: 'sendTestEvent', endpointId: 'we_off', eventId: 'e', by: ADMIN }).reply).toMatchObject({
      ok: false,
      code: 'PARLO_WEBHOOK_ENDPOINT_DISABLED',
    });
  });

  it('prepares attempts with the current URL, flag and active secrets; not-found once deleted', () => {
    let state = org();
    expect(run(state, { type: 'prepareAttempt', endpointId: 'we_off', deliveryId: 'd' }).reply).toEqual({
      ok: true,
      url: 'https://hooks.example.com/we_off',
      enabled: false,
      secrets: [sealed('ws_we_off_1')],
    });
    state = run(state, { type: 'deleteEndpoint', endpointId: 'we_off', by: ADMIN }).state;
    expect(run(state, { type: 'prepareAttempt', endpointId: 'we_off', deliveryId: 'd' }).reply).toMatchObject({
      ok: false,
      code: 'PARLO_WEBHOOK_ENDPOINT_NOT_FOUND',
    });
  });
});
