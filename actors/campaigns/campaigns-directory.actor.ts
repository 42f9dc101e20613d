import { defineActor, unreachable, type Address, type Effect } from '../../core/index.ts';
import { campaignAddress, type CampaignMsg } from './campaign.messages.ts';
import {
  bucketIndexSplit,
  emptyBucketIndex,
  removeEntry,
  upsertEntry,
  type Bucket,
  type BucketIndex,
  type EntryKind,
} from '../indexing/bucket-index.ts';
import type { CampaignListing, CampaignStatus } from './campaign.messages.ts';

/**
 * The campaigns of one organisation as listings (id = org id), for `GET /v1/campaigns`: each campaign tells it
 * whenever what the list shows changed (a stale update is dropped by `updatedAtMs`); a deleted draft leaves it.
 */
export const CAMPAIGNS_DIRECTORY_KIND = 'campaigns';
export const MAX_CAMPAIGN_PAGE = 200;

export function campaignsDirectoryAddress(orgId: string): Address {
  return { kind: CAMPAIGNS_DIRECTORY_KIND, id: orgId };
}

export type CampaignsDirectoryMsg =
  | { readonly type: 'campaignListed'; readonly listing: CampaignListing }
  /**
   * Pauses, with the reason, every running or scheduled campaign that sends this template (any account of the
   * organisation) or, for a number, every marketing campaign on it.
   */
  | {
      readonly type: 'pauseCampaignsUsing';
      readonly template?: { readonly name: string; readonly language: string };
      readonly phoneNumberId?: string;
      readonly reason: string;
    }
  | {
      readonly type: 'listCampaigns';
      readonly status?: CampaignStatus;
      readonly limit: number;
      /** The `createdAtMs:id` cursor of the previous page's last campaign (pages run newest first). */
      readonly before?: string;
    };

export interface CampaignsDirectoryReplies {
  listCampaigns: { ok: true; campaigns: CampaignListing[]; total: number; nextBefore: string | null };
}

const LISTINGS: EntryKind<CampaignListing> = {
  idOf: (l) => l.id,
  isNewer: (update, held) => update.updatedAtMs >= held.updatedAtMs,
};

export const campaignsDirectoryActor = defineActor<
  BucketIndex<CampaignListing>,
  CampaignsDirectoryMsg,
  Bucket<CampaignListing>
>({
  kind: CAMPAIGNS_DIRECTORY_KIND,
  stateVersion: 1,
  initialState: () => emptyBucketIndex(),
  split: bucketIndexSplit(),
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'campaignListed':
        return {
          state: msg.listing.deleted
            ? removeEntry(state, msg.listing.id, LISTINGS)
            : upsertEntry(state, msg.listing, LISTINGS),
        };
      case 'listCampaigns':
        return { state, reply: list(state, msg) };
      case 'pauseCampaignsUsing':
        return { state, effects: pausesOf(state, msg, ctx.self.id) };
      default:
        return unreachable(msg);
    }
  },
});

function cursorOf(listing: CampaignListing): string {
  return `${String(listing.createdAtMs).padStart(15, '0')}:${listing.id}`;
}

function list(
  state: BucketIndex<CampaignListing>,
  msg: Extract<CampaignsDirectoryMsg, { type: 'listCampaigns' }>,
): CampaignsDirectoryReplies['listCampaigns'] {
  const limit = Math.min(Math.max(Math.trunc(msg.limit), 1), MAX_CAMPAIGN_PAGE);
  const matching: CampaignListing[] = [];
  for (const bucket of state.buckets) {
    for (const listing of bucket.entries)
      if (msg.status === undefined || listing.status === msg.status) matching.push(listing);
  }
  matching.sort((a, b) => (cursorOf(a) < cursorOf(b) ? 1 : -1));
  const start = msg.before === undefined ? 0 : matching.findIndex((l) => cursorOf(l) < msg.before!);
  const page = start < 0 ? [] : matching.slice(start, start + limit);
  const last = page.at(-1);
  const more = start >= 0 && start + limit < matching.length;
  return { ok: true, campaigns: page, total: matching.length, nextBefore: more && last ? cursorOf(last) : null };
}

function pausesOf(
  state: BucketIndex<CampaignListing>,
  msg: Extract<CampaignsDirectoryMsg, { type: 'pauseCampaignsUsing' }>,
  orgId: string,
): Effect[] {
  const effects: Effect[] = [];
  const templateKey = msg.template ? `${msg.template.name}.${msg.template.language}` : null;
  for (const bucket of state.buckets) {
    for (const listing of bucket.entries) {
      if (listing.status !== 'running' && listing.status !== 'scheduled') continue;
      const concerned =
        (templateKey !== null && listing.templates.includes(templateKey)) ||
        (msg.phoneNumberId !== undefined &&
          listing.phoneNumberId === msg.phoneNumberId &&
          listing.category === 'marketing');
      if (!concerned) continue;
      const pause: CampaignMsg = { type: 'pauseCampaign', reason: msg.reason };
      effects.push({ type: 'tell', to: campaignAddress(orgId, listing.id), msg: pause });
    }
  }
  return effects;
}
