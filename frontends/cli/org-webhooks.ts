import type { ActorSystem, InboundEvent, Logger, SecretBox } from '../../core/index.ts';

type KeyedInboundEvent = { readonly event: InboundEvent; readonly dedupeKey: string };
import { ORG_NUMBERS_KIND, wabaSecretContext, type OrgNumbersReply } from '../../actors/numbers/numbers.messages.ts';
import {
  WEBHOOK_ENDPOINTS_KIND,
  type WebhookEndpointsReply,
} from '../../actors/webhooks/webhook-endpoints.messages.ts';
import type { WebhookEventType } from '../../actors/webhooks/webhook-events.ts';
import type { OrganisationWebhooks } from '../http/routes/whatsapp-webhook.routes.ts';
import { actorInboundSink } from './inbound-sink.ts';

/** How long a node trusts what it read of an organisation's webhook secrets. */
export const WEBHOOK_SETTINGS_TTL_MS = 5_000;

interface OrgWebhookSettings {
  readonly verifyToken: string | null;
  readonly appSecrets: readonly string[];
  readonly wabaIds: ReadonlySet<string>;
  readonly phoneNumberIds: ReadonlySet<string>;
  readonly displayNumbers: Readonly<Record<string, string>>;
  /** The customer-webhook event types some enabled endpoint of the organisation wants. */
  readonly webhookTypes: readonly WebhookEventType[];
}

interface Cached {
  readonly expiresAtMs: number;
  readonly value: Promise<OrgWebhookSettings>;
}

/**
 * The per-organisation side of Meta's webhook: each organisation's verify token and opened app secrets, read from
 * its `org-numbers` actor, and the event types its customer-webhook endpoints subscribe to (events of other types
 * are not emitted at all: no turn of the endpoints actor per status update of an organisation without endpoints),
 * cached for a few seconds (a webhook POST must not cost an actor round trip each).
 * Changes made through this node invalidate the cache at once; other nodes see them within the TTL.
 */
export function organisationWebhooks(deps: {
  readonly system: ActorSystem;
  readonly secretBox: SecretBox;
  readonly logger: Logger;
  readonly now?: () => number;
}): OrganisationWebhooks & { invalidate(orgId: string): void } {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, Cached>();

  async function read(orgId: string): Promise<OrgWebhookSettings> {
    const [reply, subscribed] = await Promise.all([
      deps.system.ask<OrgNumbersReply<'getWebhookSecrets'>>(
        { kind: ORG_NUMBERS_KIND, id: orgId },
        { type: 'getWebhookSecrets' },
      ),
      deps.system.ask<WebhookEndpointsReply<'getSubscribedEventTypes'>>(
        { kind: WEBHOOK_ENDPOINTS_KIND, id: orgId },
        { type: 'getSubscribedEventTypes' },
      ),
    ]);
    const appSecrets: string[] = [];
    for (const { wabaId, sealed } of reply.appSecrets) {
      try {
        appSecrets.push(deps.secretBox.open(sealed, wabaSecretContext(orgId, wabaId, 'appSecret')));
      } catch (err) {
        deps.logger.error({ err, orgId, wabaId }, 'an app secret of this organisation cannot be decrypted');
      }
    }
    return {
      verifyToken: reply.verifyToken,
      appSecrets,
      wabaIds: new Set(reply.appSecrets.map((s) => s.wabaId)),
      phoneNumberIds: new Set(reply.phoneNumberIds),
      displayNumbers: reply.displayNumbers,
      webhookTypes: subscribed.eventTypes,
    };
  }

  function settings(orgId: string): Promise<OrgWebhookSettings> {
    const hit = cache.get(orgId);
    if (hit && hit.expiresAtMs > now()) return hit.value;
    const value = read(orgId);
    cache.set(orgId, { expiresAtMs: now() + WEBHOOK_SETTINGS_TTL_MS, value });
    // A failed read is not cached.
    value.catch(() => cache.delete(orgId));
    if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
    return value;
  }

  return {
    settings,
    sink(orgId) {
      return {
        async record(events) {
          // Only events of this organisation's own accounts: a payload signed with one organisation's app secret
          // must not write into the feed of a number another organisation connected.
          const own = await settings(orgId);
          const inner = actorInboundSink(deps.system, orgId, own.webhookTypes);
          const accepted = events
            .map((keyed) => withAccountOfDisplayNumber(keyed, own.displayNumbers))
            .filter(({ event }) =>
              event.accountId === undefined
                ? own.wabaIds.has(event.businessAccountId)
                : own.phoneNumberIds.has(event.accountId),
            );
          if (accepted.length < events.length) {
            deps.logger.warn(
              { orgId, dropped: events.length - accepted.length },
              'webhook events for accounts this organisation has not connected were dropped',
            );
          }
          await inner.record(accepted);
        },
      };
    },
    invalidate(orgId) {
      cache.delete(orgId);
    },
  };
}

/**
 * Meta's quality webhook is account-level and names the number only by its display number: give it the
 * phone-number id of the organisation's number with that display number, so it reaches that number's actor.
 */
function withAccountOfDisplayNumber(
  keyed: KeyedInboundEvent,
  displayNumbers: Readonly<Record<string, string>>,
): KeyedInboundEvent {
  const { event } = keyed;
  if (event.type !== 'phoneNumberQualityChanged' || event.accountId !== undefined) return keyed;
  const digits = event.displayPhoneNumber.replace(/\D/g, '');
  const accountId = Object.hasOwn(displayNumbers, digits) ? displayNumbers[digits] : undefined;
  return accountId === undefined ? keyed : { ...keyed, event: { ...event, accountId } };
}
