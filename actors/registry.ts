import type { AnyActorDefinition } from '../core/index.ts';
import { ledgerSegmentActor } from './billing/ledger-segment.actor.ts';
import { usageArchiveActor } from './billing/usage-archive.actor.ts';
import { walletActor } from './billing/wallet.actor.ts';
import { loginActor } from './identity/login.actor.ts';
import { sessionActor } from './identity/session.actor.ts';
import { consentKeywordsActor } from './contacts/consent-keywords.actor.ts';
import { contactActor } from './contacts/contact.actor.ts';
import { contactFieldsActor } from './contacts/contact-fields.actor.ts';
import { contactIndexActor } from './contacts/contact-index.actor.ts';
import { segmentsActor } from './contacts/segments.actor.ts';
import { conversationActor } from './conversation/conversation.actor.ts';
import { conversationIndexActor } from './conversation-index/conversation-index.actor.ts';
import { messageSearchActor } from './message-search/message-search.actor.ts';
import { idempotencyActor } from './idempotency/idempotency.actor.ts';
import { inboundFeedActor } from './inbound-feed/inbound-feed.actor.ts';
import { inboxStreamActor } from './inbox/inbox-stream.actor.ts';
import { quickRepliesActor } from './inbox/quick-replies.actor.ts';
import { assignmentActor } from './operators/assignment.actor.ts';
import { operatorActor } from './operators/operator.actor.ts';
import { numberActor } from './number/number.actor.ts';
import { templatesActor } from './templates/templates.actor.ts';
import { portfolioActor } from './portfolio/portfolio.actor.ts';
import { numberDirectoryActor } from './numbers/number-directory.actor.ts';
import { orgNumbersActor } from './numbers/numbers.actor.ts';
import { simulatedNumbersActor } from './numbers/simulated-numbers.actor.ts';
import { auditSegmentActor } from './org/audit-segment.actor.ts';
import { orgActor } from './org/org.actor.ts';
import { webhookDeliveryActor } from './webhooks/webhook-delivery.actor.ts';
import { webhookEndpointsActor } from './webhooks/webhook-endpoints.actor.ts';
import { webhookLogActor } from './webhooks/webhook-log.actor.ts';
import { campaignActor } from './campaigns/campaign.actor.ts';
import { campaignRunActor } from './campaigns/campaign-run.actor.ts';
import { campaignsDirectoryActor } from './campaigns/campaigns-directory.actor.ts';

/**
 * Every actor kind the platform runs, wired by the composition root. Domain actors (number, conversation,
 * operator, campaign, …) register here as their issues land.
 */
export const ACTOR_DEFINITIONS: readonly AnyActorDefinition[] = [
  inboundFeedActor,
  orgActor,
  auditSegmentActor,
  loginActor,
  sessionActor,
  idempotencyActor,
  orgNumbersActor,
  numberDirectoryActor,
  simulatedNumbersActor,
  webhookEndpointsActor,
  // The composition root swaps in one built on the configured retry window (webhooks.retryWindowHours).
  webhookDeliveryActor,
  webhookLogActor,
  // The composition root swaps in one built on the configured pair rate and feedback thresholds (sending.*).
  numberActor,
  conversationActor,
  conversationIndexActor,
  // The composition root swaps in one on the configured reach (inbox.searchableMessagesPerNumber).
  messageSearchActor,
  // The composition root swaps in one on the configured retention (realtime.retentionSec).
  inboxStreamActor,
  operatorActor,
  assignmentActor,
  quickRepliesActor,
  portfolioActor,
  contactActor,
  contactFieldsActor,
  contactIndexActor,
  segmentsActor,
  consentKeywordsActor,
  walletActor,
  ledgerSegmentActor,
  usageArchiveActor,
  templatesActor,
  campaignActor,
  campaignRunActor,
  campaignsDirectoryActor,
];
