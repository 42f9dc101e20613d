import type { Address, Refusal } from '../../core/index.ts';
import type { ContactFilter } from '../contacts/contact-filter.ts';
import type { AuditActor } from '../org/org.messages.ts';
import type { HeaderMedia } from '../templates/template-message.ts';
import type { VariableMapping } from '../templates/template-preview.ts';
import type { CampaignCategory, CampaignVariant } from './audience.ts';
import type { AudienceQuery, RunChanged, RunCounters, RunStatus } from './campaign-run.messages.ts';
import type { CampaignSchedule, SendingWindow } from './schedule.ts';
import type { TrackedButton } from './tracked-link.ts';

/**
 * The protocol of the `campaign` actor (id `<orgId>.<campaignId>`): a campaign's definition while it is a draft,
 * its launch, its schedule of runs (one, or one per recurrence) and the lifecycle commands it passes to the run
 * in progress. The runs themselves are `campaign-run` actors.
 */
export const CAMPAIGN_KIND = 'campaign';

export function campaignAddress(orgId: string, campaignId: string): Address {
  return { kind: CAMPAIGN_KIND, id: `${orgId}.${campaignId}` };
}

/** Who a campaign is for, as the marketer chose it; a segment is resolved to its filter at launch. */
export type AudienceSpec =
  | { readonly kind: 'segment'; readonly segmentId: string }
  | { readonly kind: 'filter'; readonly filter: ContactFilter }
  | { readonly kind: 'keys'; readonly keys: readonly string[] };

/** A variant as defined: the template by name and language (its definition is taken at launch). */
export interface VariantSpec {
  readonly id: string;
  readonly weight: number;
  readonly template: { readonly name: string; readonly language: string };
  readonly variables: VariableMapping;
  readonly headerMedia?: HeaderMedia;
  /** URL buttons whose clicks are counted, with their real destinations (tracked-link.ts). */
  readonly trackedButtons?: readonly TrackedButton[];
}

export interface CampaignDefinition {
  readonly name: string;
  readonly phoneNumberId: string;
  readonly wabaId: string;
  readonly category: CampaignCategory;
  readonly variants: readonly VariantSpec[];
  readonly audience: AudienceSpec;
  readonly schedule: CampaignSchedule;
  readonly sendingWindow: SendingWindow;
  /** The zone of recipients whose contact has none. */
  readonly fallbackTimeZone: string;
  /** No second marketing message to a contact within this many hours (0: no cap). */
  readonly frequencyCapHours: number;
}

export const CAMPAIGN_STATUSES = ['draft', 'scheduled', 'running', 'paused', 'completed', 'cancelled'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export interface RunSummary {
  readonly run: number;
  readonly startedAtMs: number;
  readonly status: RunStatus;
  readonly pausedReason: string | null;
  readonly total: RunCounters | null;
}

/** What launching fixed: the variants with their template definitions, the audience query, the credit window. */
export interface LaunchPlan {
  readonly variants: readonly CampaignVariant[];
  readonly audience: AudienceQuery;
  readonly creditWindow: number;
  readonly launchedAtMs: number;
  readonly launchedBy: AuditActor;
}

export interface CampaignView {
  readonly id: string;
  readonly orgId: string;
  readonly definition: CampaignDefinition;
  readonly status: CampaignStatus;
  readonly pausedReason: string | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly createdBy: AuditActor;
  readonly launchedAtMs: number | null;
  readonly nextRunAtMs: number | null;
  /** Newest last. */
  readonly runs: readonly RunSummary[];
}

export type CampaignMsg =
  | {
      readonly type: 'createCampaign';
      readonly orgId: string;
      readonly campaignId: string;
      readonly definition: CampaignDefinition;
      readonly by: AuditActor;
    }
  | { readonly type: 'updateCampaign'; readonly definition: CampaignDefinition }
  | { readonly type: 'deleteCampaign' }
  | { readonly type: 'launchCampaign'; readonly plan: Omit<LaunchPlan, 'launchedAtMs'> }
  | { readonly type: 'pauseCampaign'; readonly reason: string }
  | { readonly type: 'resumeCampaign' }
  | { readonly type: 'cancelCampaign' }
  | { readonly type: 'getCampaign' }
  /** GDPR erasure: a contact key in the audience list becomes its pseudonym. */
  | { readonly type: 'eraseAudienceKey'; readonly key: string; readonly pseudonym: string }
  /** Timer: the next run is due. */
  | { readonly type: 'runDue' }
  | RunChanged;

export type CampaignReply = { readonly ok: true; readonly campaign: CampaignView } | Refusal;

export interface CampaignReplies {
  createCampaign: CampaignReply;
  updateCampaign: CampaignReply;
  deleteCampaign: { ok: true } | Refusal;
  launchCampaign: CampaignReply;
  pauseCampaign: CampaignReply;
  resumeCampaign: CampaignReply;
  cancelCampaign: CampaignReply;
  getCampaign: CampaignReply;
  eraseAudienceKey: { ok: true; erased: boolean };
}

/** What the organisation's campaign list shows of one campaign (campaigns directory). */
export interface CampaignListing {
  readonly id: string;
  readonly name: string;
  readonly status: CampaignStatus;
  readonly category: CampaignCategory;
  readonly phoneNumberId: string;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly nextRunAtMs: number | null;
  readonly runs: number;
  /** The variants' templates, `<name>.<language>` (a paused one pauses the campaign). */
  readonly templates: readonly string[];
  /** Removed from the list (a deleted draft). */
  readonly deleted: boolean;
}
