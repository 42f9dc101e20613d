import { describe, expect, it } from 'vitest';
import type { Effect, TurnContext, TurnResult } from '../../core/index.ts';
import { webhookEndpointsAddress, type AnyWebhookEvent } from '../webhooks/webhook-events.ts';
import { contactIndexAddress, type ContactIndexMsg } from './contact-index.actor.ts';
import { contactActor } from './contact.actor.ts';
import { contactAddress, type ContactMsg, type ContactReplies } from './contact.messages.ts';
import type { ContactState } from './contact.state.ts';

/** `importContact`: one row of a bulk write (POST /v1/contacts/batch) in one turn — profile and consent together. */

const ORG = '0123456789abcdef';
const KEY = 'p34600000101';
const T0 = Date.UTC(2026, 0, 1);
const KEY_USER = { kind: 'apiKey', id: 'key-import' } as const;
const FAIR = { source: 'spring-fair.csv', wording: 'Yes, send me offers on WhatsApp' };

let ids = 0;
function run(state: ContactState, msg: ContactMsg, nowMs = T0): TurnResult<ContactState> {
  const ctx: TurnContext = { self: contactAddress(ORG, KEY), nowMs, msgId: undefined, newId: () => `id-${++ids}` };
  return contactActor.handle(state, msg, ctx);
}

const fresh = (): ContactState => contactActor.initialState(contactAddress(ORG, KEY).id);

function row(
  patch: Extract<ContactMsg, { type: 'importContact' }>['patch'],
  action?: 'optIn' | 'optOut',
): Extract<ContactMsg, { type: 'importContact' }> {
  return {
    type: 'importContact',
    patch,
    ...(action === undefined ? {} : { consent: { action, ...FAIR } }),
    by: KEY_USER,
  };
}

const reply = (result: TurnResult<ContactState>) => result.reply as ContactReplies['importContact'];

function indexUpdates(effects: readonly Effect[] | undefined): ContactIndexMsg[] {
  return (effects ?? []).flatMap((e) =>
    e.type === 'tell' && e.to.kind === contactIndexAddress(ORG).kind ? [e.msg as ContactIndexMsg] : [],
  );
}

function webhookEvents(effects: readonly Effect[] | undefined): AnyWebhookEvent[] {
  return (effects ?? []).flatMap((e) =>
    e.type === 'tell' && e.to.kind === webhookEndpointsAddress(ORG).kind
      ? [(e.msg as { event: AnyWebhookEvent }).event]
      : [],
  );
}

describe('contact actor: importContact (a row of a bulk write)', () => {
  it('creates the contact with its profile and the opt-in evidence in one turn, and tells the index once', () => {
    const created = run(fresh(), row({ name: 'Ana', tags: { add: ['Fair', 'vip'] } }, 'optIn'));
    expect(reply(created)).toEqual({ ok: true, created: true, changed: true });
    expect(created.state.profile).toMatchObject({ name: 'Ana', tags: ['fair', 'vip'] });
    expect(created.state.createdAtMs).toBe(T0);
    expect(created.state.consent.marketing.history).toEqual([
      expect.objectContaining({ action: 'optIn', method: 'import', source: FAIR.source, wording: FAIR.wording }),
    ]);
    const told = indexUpdates(created.effects);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({
      type: 'contactChanged',
      summary: { key: KEY, name: 'Ana', tags: ['fair', 'vip'], marketing: 'optedIn' },
    });
    // What the API shows afterwards is the same as through updateProfile + recordConsent.
    const view = run(created.state, { type: 'getContact' }).reply as ContactReplies['getContact'];
    expect(view).toMatchObject({ ok: true, contact: { consent: { marketing: { status: 'optedIn', allowed: true } } } });
  });

  it('answers unchanged for the same row again: no state change, no new evidence, nothing told', () => {
    const first = run(fresh(), row({ name: 'Ana' }, 'optIn'));
    const again = run(first.state, row({ name: 'Ana' }, 'optIn'), T0 + 1_000);
    expect(reply(again)).toEqual({ ok: true, created: false, changed: false });
    expect(again.state).toBe(first.state);
    expect(again.effects ?? []).toEqual([]);
  });

  it('creates a contact from a row with nothing but the phone number', () => {
    const created = run(fresh(), row({}));
    expect(reply(created)).toEqual({ ok: true, created: true, changed: true });
    expect(created.state.createdAtMs).toBe(T0);
  });

  it('records an opt-out from the file, with its contact.opted_out event, and updates an existing contact', () => {
    const first = run(fresh(), row({ name: 'Bruno' }, 'optIn'));
    const out = run(first.state, row({ name: 'Bruno' }, 'optOut'), T0 + 1_000);
    expect(reply(out)).toEqual({ ok: true, created: false, changed: true });
    expect(out.state.consent.marketing.history.map((e) => e.action)).toEqual(['optIn', 'optOut']);
    expect(webhookEvents(out.effects).map((e) => [e.type, (e.data as { source: string }).source])).toEqual([
      ['contact.opted_out', 'import'],
    ]);
  });

  it('refuses a row whose profile cannot apply, and records no consent for it either', () => {
    const tags = Array.from({ length: 101 }, (_, i) => `t${i}`);
    const refused = run(fresh(), row({ name: 'Carla', tags: { add: tags } }, 'optIn'));
    expect(reply(refused)).toMatchObject({ ok: false, code: 'PARLO_VALIDATION_FAILED' });
    expect((reply(refused) as { message: string }).message).toContain('tags');
    expect(refused.state).toEqual(fresh());
    expect(refused.effects ?? []).toEqual([]);
  });
});
