import {
  WEBHOOKS_OUT_PORT,
  type AnyActorDefinition,
  type Ports,
  type WebhookDeliveryRequest,
} from '../../core/index.ts';
import type { ParloConfig } from '../../config/index.ts';
import { DEFAULT_DELIVERY_POLICY } from '../../actors/webhooks/retry.ts';
import { createWebhookDeliveryActor } from '../../actors/webhooks/webhook-delivery.actor.ts';
import { WEBHOOK_DELIVERY_KIND } from '../../actors/webhooks/webhook-delivery.messages.ts';
import { createWebhookSender } from '../../adapters/webhook-http/sender.ts';
import type { TargetPolicy } from '../../adapters/webhook-http/ssrf.ts';

/** Outbound webhooks as the composition root wires them: the HTTP sender port and the configured actors. */
export interface OutboundWebhooks {
  /** `webhooks-out`: the HTTP sender (SSRF guard and timeout from `webhooks.*`). */
  readonly ports: Ports;
  /** The SSRF policy from config, for the routes' URL checks. */
  readonly targetPolicy: TargetPolicy;
  /** The actor list with the delivery actor built on the configured retry window. */
  definitions(definitions: readonly AnyActorDefinition[]): AnyActorDefinition[];
  close(): Promise<void>;
}

export function outboundWebhooks(
  config: ParloConfig,
  secretBox: { open(sealed: string, context: string): string },
  now: () => number,
): OutboundWebhooks {
  const settings = config.webhooks;
  const targetPolicy: TargetPolicy = {
    allowLoopback: settings.allowLoopback,
    allowPrivateNetworks: settings.allowPrivateNetworks,
    allowLinkLocal: settings.allowLinkLocal,
  };
  const sender = createWebhookSender({ secretBox, policy: targetPolicy, timeoutMs: settings.requestTimeoutMs, now });
  const delivery = createWebhookDeliveryActor({
    ...DEFAULT_DELIVERY_POLICY,
    retryWindowMs: settings.retryWindowHours * 60 * 60 * 1000,
  });
  return {
    ports: { [WEBHOOKS_OUT_PORT]: { deliver: (input) => sender.deliver(input as WebhookDeliveryRequest) } },
    targetPolicy,
    definitions: (definitions) => definitions.map((d) => (d.kind === WEBHOOK_DELIVERY_KIND ? delivery : d)),
    close: () => sender.close(),
  };
}
