import type { Address } from '../../core/index.ts';

/**
 * Where one recipient of a campaign run stands, and the message a conversation tells its run when that changes
 * (issue #6, 3). Kept free of imports from the conversation so that both sides can use it without a cycle.
 *
 * Progress only moves up: `pending` (in the snapshot) < `dispatched` (handed to its conversation) < `sent` (Meta
 * accepted it) < `delivered` < `read` < `replied` (the customer wrote back). `failed` (with Meta's or Parlo's code)
 * and `skipped` (with a reason, decided before anything left) end a recipient that was not delivered. The terminal
 * outcomes are delivered, read, replied, failed and skipped; `sent` waits for Meta's next status.
 */
export const RECIPIENT_OUTCOMES = [
  'pending',
  'dispatched',
  'sent',
  'delivered',
  'read',
  'replied',
  'failed',
  'skipped',
] as const;
export type RecipientOutcome = (typeof RECIPIENT_OUTCOMES)[number];

/** What a conversation reports: everything past `dispatched`. */
export type ReportedOutcome = Exclude<RecipientOutcome, 'pending' | 'dispatched'>;

/** Why a recipient was not sent the campaign. */
export const SKIP_REASONS = [
  'no_consent',
  'opted_out',
  'invalid_number',
  'duplicate',
  'frequency_cap',
  'us_marketing_block',
  'missing_variable',
  'cancelled',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export const CAMPAIGN_RUN_KIND = 'campaign-run';

/** A run of a campaign: `<orgId>.<campaignId>.<runNumber>`. */
export function campaignRunId(orgId: string, campaignId: string, run: number): string {
  return `${orgId}.${campaignId}.${run}`;
}

export function campaignRunAddress(runId: string): Address {
  return { kind: CAMPAIGN_RUN_KIND, id: runId };
}

/** Carried by a campaign's send and kept on the logged message: whom to tell about its progress. */
export interface CampaignTag {
  /** The campaign-run actor's id. */
  readonly run: string;
  /** The recipient's position in the run's snapshot. */
  readonly recipient: number;
  /** No second marketing message to the customer within this span (0: no cap). */
  readonly frequencyCapMs: number;
  /** Set once the customer's reply was reported. */
  readonly replied?: boolean;
}

/** The tell a conversation sends its run, once per change (in the commit that records the change). */
export interface RecipientProgressed {
  readonly type: 'recipientProgressed';
  readonly recipient: number;
  readonly outcome: ReportedOutcome;
  /** failed: Meta's code or a PARLO_ code; skipped: a SkipReason. */
  readonly code: number | string | null;
  readonly atMs: number;
}

/** Rank of progress; failed and skipped are terminal and handled apart. */
export const PROGRESS_RANK: Readonly<Record<RecipientOutcome, number>> = {
  pending: 0,
  dispatched: 1,
  sent: 2,
  delivered: 3,
  read: 4,
  replied: 5,
  failed: 6,
  skipped: 6,
};

/**
 * The outcome after `current` learns `next`: progress moves up; failed and skipped only end a recipient that was
 * not delivered (a delivery proof outranks a failure, as status-merge.ts decides); nothing moves a terminal one back.
 */
export function advanceOutcome(current: RecipientOutcome, next: RecipientOutcome): RecipientOutcome {
  if (current === next) return current;
  if (current === 'failed' || current === 'skipped') return current;
  if (next === 'failed' || next === 'skipped')
    return PROGRESS_RANK[current] >= PROGRESS_RANK.delivered ? current : next;
  return PROGRESS_RANK[next] > PROGRESS_RANK[current] ? next : current;
}

/** The campaign id inside a run id (`<orgId>.<campaignId>.<run>`), or null. */
export function campaignIdOfRun(runId: string): string | null {
  const parts = runId.split('.');
  return parts.length >= 3 ? parts[parts.length - 2]! : null;
}
