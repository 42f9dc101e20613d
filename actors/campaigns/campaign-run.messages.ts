import type { AuditActor } from '../org/org.messages.ts';
import type { ContactFilter } from '../contacts/contact-filter.ts';
import type { CampaignCategory, CampaignVariant, SnapshotRecipient } from './audience.ts';
import type { RecipientOutcome, RecipientProgressed, SkipReason } from './recipient-outcome.ts';
import type { CampaignSchedule, SendingWindow } from './schedule.ts';

/**
 * The protocol of the `campaign-run` actor (id `<orgId>.<campaignId>.<run>`, recipient-outcome.ts): one run of a
 * campaign — the audience snapshot, its dispatch to the recipients' conversations under a credit window, and
 * every recipient's outcome with the counters per variant.
 */

/** Who a run sends to: contacts matching a filter (a segment's, or tags), or given contact keys. */
export type AudienceQuery =
  | { readonly kind: 'filter'; readonly filter: ContactFilter }
  | { readonly kind: 'keys'; readonly keys: readonly string[] };

/** Everything a run needs, fixed when it starts (the campaign may be edited for later runs). */
export interface RunPlan {
  readonly orgId: string;
  readonly campaignId: string;
  readonly run: number;
  readonly phoneNumberId: string;
  readonly category: CampaignCategory;
  readonly variants: readonly CampaignVariant[];
  readonly audience: AudienceQuery;
  readonly schedule: CampaignSchedule;
  /** When the run starts (its schedule's occurrence). */
  readonly runAtMs: number;
  readonly sendingWindow: SendingWindow;
  /** The zone of recipients without one. */
  readonly fallbackTimeZone: string;
  readonly frequencyCapMs: number;
  /** How many messages may be on their way (handed to conversations, not yet accepted or failed) at once. */
  readonly creditWindow: number;
  readonly by: AuditActor;
}

export const RUN_STATUSES = ['snapshotting', 'waiting', 'sending', 'paused', 'completed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The funnel of one variant (or of the whole run). */
export interface RunCounters {
  readonly audience: number;
  readonly skipped: Readonly<Partial<Record<SkipReason, number>>>;
  readonly dispatched: number;
  /** Reached at least this step (a read message counts as sent and delivered too). */
  readonly sent: number;
  readonly delivered: number;
  readonly read: number;
  readonly replied: number;
  /** By Meta's code or a PARLO_ code. */
  readonly failed: Readonly<Record<string, number>>;
  /** Clicks on tracked URL buttons (tracked-link.ts), every one counted. */
  readonly clicks: number;
  /** Recipients who clicked a tracked button at least once, each counted once. */
  readonly uniqueClicks: number;
}

export interface RunView {
  readonly runId: string;
  readonly campaignId: string;
  readonly run: number;
  readonly status: RunStatus;
  readonly pausedReason: string | null;
  readonly runAtMs: number;
  readonly snapshotAtMs: number | null;
  readonly firstSendAtMs: number | null;
  readonly dispatchFinishedAtMs: number | null;
  readonly inFlight: number;
  readonly total: RunCounters;
  readonly variants: readonly (RunCounters & { readonly id: string })[];
  /** The next instant a recipient becomes due (time zones, quiet hours), while some wait. */
  readonly nextReleaseAtMs: number | null;
}

export interface RecipientView {
  readonly index: number;
  readonly key: string;
  readonly variant: string;
  readonly outcome: RecipientOutcome;
  /** failed: the code; skipped: the reason. */
  readonly code: number | string | null;
  /** Whether the recipient followed a tracked button at least once. */
  readonly clicked: boolean;
}

/** Per minute: [sent, delivered, read, replied, failed, clicks]. */
export interface SeriesPoint {
  readonly minuteMs: number;
  readonly sent: number;
  readonly delivered: number;
  readonly read: number;
  readonly replied: number;
  readonly failed: number;
  readonly clicks: number;
}

/**
 * The redirect's tell when a recipient followed a tracked button (a tell, not an ask: the 302 never waits for the
 * count to commit). A recipient or button the run does not know is ignored.
 */
export interface RecipientClicked {
  readonly type: 'recipientClicked';
  readonly recipient: number;
  /** The URL button's position in the template. */
  readonly button: number;
  readonly atMs: number;
}

export type CampaignRunMsg =
  | { readonly type: 'startRun'; readonly plan: RunPlan }
  /** The contact index's answer to `audiencePage` / `lookupContacts` (callId = page number). */
  | { readonly type: 'audienceLoaded'; readonly callId: string; readonly reply: unknown }
  /** Timer: recipients became due, or credit came back in a full turn. */
  | { readonly type: 'dispatchDue' }
  | RecipientProgressed
  | RecipientClicked
  /** Where a recipient's tracked button leads (read-only; the redirect caches fixed destinations). */
  | { readonly type: 'getClickTarget'; readonly recipient: number; readonly button: number }
  | { readonly type: 'pauseRun'; readonly reason: string }
  | { readonly type: 'resumeRun' }
  | { readonly type: 'cancelRun' }
  | { readonly type: 'getRun' }
  | {
      readonly type: 'listRecipients';
      readonly outcome?: RecipientOutcome;
      /** Only those who clicked a tracked button (true) or did not (false). */
      readonly clicked?: boolean;
      /** The index after which the page starts (exclusive). */
      readonly after?: number;
      readonly limit: number;
    }
  | { readonly type: 'getSeries' }
  /** GDPR erasure: the customer's snapshot entries keep their outcome, under a pseudonym, without personal data. */
  | { readonly type: 'eraseRecipient'; readonly key: string; readonly pseudonym: string };

export interface CampaignRunReplies {
  startRun: { ok: true };
  getRun: { ok: true; run: RunView } | { ok: false; code: 'PARLO_CAMPAIGN_RUN_NOT_FOUND'; message: string };
  listRecipients: { ok: true; recipients: RecipientView[]; nextAfter: number | null };
  getSeries: { ok: true; points: SeriesPoint[] };
  /** `destination` null: no such recipient or tracked button; `isFixed`: the same for every recipient. */
  getClickTarget: { ok: true; destination: string | null; isFixed: boolean };
  eraseRecipient: { ok: true; erased: number };
  pauseRun: { ok: true; status: RunStatus };
  resumeRun: { ok: true; status: RunStatus };
  cancelRun: { ok: true; status: RunStatus };
}

/** What a run tells its campaign (the `campaign` actor) when its state changes in a way the campaign shows. */
export interface RunChanged {
  readonly type: 'runChanged';
  readonly run: number;
  readonly status: RunStatus;
  readonly pausedReason: string | null;
  readonly total: RunCounters;
  readonly atMs: number;
}

export type { SnapshotRecipient };
