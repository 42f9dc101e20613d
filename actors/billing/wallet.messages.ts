import type { Address } from '../../core/index.ts';
import type { Role } from '../org/permissions.ts';
import type { ConversationInitiator, MessageCategory, PlanQuota, PriceRule } from './rate-card.ts';
import type { DayUsage, UsageDays } from './usage.ts';

/**
 * The protocol of the `wallet` actor: one per organisation (id = org id), the money side of the send path.
 *
 * **Reserve → settle / release.** Before the Graph API call of a billable message the sender reserves the most the
 * message can cost (its rate-card price) under the message's key (`<conversationId>/<messageId>`, unique within
 * the organisation); a wallet whose available credit (balance − open reservations) does not cover it refuses with
 * `PARLO_INSUFFICIENT_CREDIT`, so a send that cannot be paid never leaves. A business-initiated message carries
 * its plan conversation in the same `reserve` (`conversation`): counted (or refused with
 * `PARLO_PLAN_QUOTA_EXCEEDED`) in the same turn, all or nothing, so a refused quota holds no credit and a refused
 * credit counts no conversation. A reserve of 0 holds nothing (a free business-initiated message that only counts
 * its conversation). When the message is delivered (Meta bills on delivery) the sender settles: exactly one ledger entry with
 * the actual amount (≤ the reservation; 0 when Meta says it was free) and the rest of the reservation is freed.
 * A send that failed is released (nothing charged). Reservations older than RESERVATION_TTL_MS are released by a
 * durable timer; a delivery reported after that is still charged (from the available credit).
 *
 * **Plan quota.** `countConversation` when a 24 h conversation opens: included, overage (charged), or, for a
 * business-initiated conversation beyond the plan's cap, refused with `PARLO_PLAN_QUOTA_EXCEEDED`.
 *
 * **Starting credit.** A wallet built with a starting credit (`billing.startingCreditMicros`, wired by the
 * composition root) credits it once, as a `topUp` entry with reference STARTING_CREDIT_REFERENCE, in the first turn
 * of a wallet whose ledger is still empty: a new organisation can send templates before anyone tops it up.
 *
 * **Ledger and usage.** Every balance change is one append-only ledger entry; the newest entries live in the wallet
 * state, full segments move to `ledger-segment` actors. Usage aggregates (day × category × country × number ×
 * campaign) are updated in the same turn as the charge, newest days in the state, older days in `usage-archive`
 * actors.
 *
 * **Erasure (GDPR, issue #6, 2).** `pseudonymiseCustomer` replaces a customer's conversation ids by pseudonyms in
 * everything the wallet holds (ledger entries, segments in flight, reservations, settled ids, counted conversation
 * keys) and keeps every amount, balance and seq; the caller then asks each sealed segment (1 … sealedThroughSeq /
 * LEDGER_SEGMENT_SIZE) to `pseudonymise`. Segments beyond that are the wallet's: it tells them once their store is
 * acknowledged (pseudonymise.ts). Usage aggregates hold no conversation id (usage.ts), so nothing there changes.
 */
export const WALLET_KIND = 'wallet';
export const LEDGER_SEGMENT_KIND = 'ledger-segment';
export const USAGE_ARCHIVE_KIND = 'usage-archive';

export function walletAddress(orgId: string): Address {
  return { kind: WALLET_KIND, id: orgId };
}

/** Realtime topic of an organisation's billing events (quota thresholds, auto-recharge requests, plan changes). */
export function billingTopic(orgId: string): string {
  return `org.${orgId}.billing`;
}

/** Segment `n` (1-based) of an organisation's ledger holds seqs (n−1)·SIZE+1 … n·SIZE. */
export function ledgerSegmentId(orgId: string, segment: number): string {
  return `${orgId}.${segment}`;
}

/** The month archive of an organisation's usage: `<orgId>.2026-01`. */
export function usageArchiveId(orgId: string, month: string): string {
  return `${orgId}.${month}`;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Open reservations older than this are released by the wallet's timer (the send never reported back). */
export const RESERVATION_TTL_MS = 7 * DAY_MS;
/** Entries per sealed ledger segment; the wallet state holds fewer than this (plus segments not yet stored). */
export const LEDGER_SEGMENT_SIZE = 100;
/** UTC days of usage held in the wallet state (today and the days before); older days go to month archives. */
export const USAGE_DAYS_IN_STATE = 10;
/** Month archives older than this are purged. */
export const USAGE_RETENTION_DAYS = 400;
/**
 * Settled reservation ids remembered (newest), so that a re-sent settle changes nothing. Redelivery of the same
 * message is already dropped by the runtime's consumed ids (kept `runtime.dedupeRetentionMs`, 7 days by
 * default); this is the second guard, against a sender that settles twice under different message ids.
 */
export const SETTLED_IDS_KEPT = 500;
/** Conversation keys remembered (newest), so that a re-sent countConversation counts once. */
export const COUNTED_CONVERSATIONS_KEPT = 500;
/** Top-up ids remembered (newest): a top-up repeated with its id credits once. */
export const TOP_UP_IDS_KEPT = 1_000;
/** Billing events kept in the wallet state for the API (newest). */
export const BILLING_EVENTS_KEPT = 50;
/** The ledger reference (and top-up id) of a new wallet's starting credit. */
export const STARTING_CREDIT_REFERENCE = 'starting-credit';
/** The largest single top-up: €1,000,000. */
export const MAX_TOP_UP_MICROS = 1_000_000_000_000;
/** The largest balance a wallet may hold: €1,000,000,000 (far inside exact integer arithmetic). */
export const MAX_BALANCE_MICROS = 1_000_000_000_000_000;
export const DEFAULT_LEDGER_PAGE = 50;
export const MAX_LEDGER_PAGE = 200;

/** Who is asking, as the HTTP layer authenticated them; `system` is in-process code (never built from a request). */
export type BillingCaller =
  | { readonly kind: 'user'; readonly userId: string; readonly role: Role }
  | { readonly kind: 'system'; readonly id: string };

/** What a message charge is for: everything usage and the ledger export need. */
export interface ChargeDetails {
  readonly category: MessageCategory;
  /** ISO country of the recipient (contacts/phone-country.ts), or `other`. */
  readonly country: string;
  readonly phoneNumberId: string;
  readonly conversationId: string;
  readonly campaignId: string | null;
  readonly rateCardVersion: number;
  readonly rule: PriceRule;
}

export interface AutoRechargeSettings {
  /** When a debit leaves the available credit below this, a top-up of `amountMicros` is requested. */
  readonly thresholdMicros: number;
  readonly amountMicros: number;
}

export interface Plan extends PlanQuota {
  readonly name: string;
}

export const LEDGER_ENTRY_KINDS = ['charge', 'overage', 'topUp', 'recovery'] as const;
/**
 * - `charge`: a delivered message (settle); may be 0 when Meta did not bill it.
 * - `overage`: a plan conversation beyond the included ones.
 * - `topUp`: credit.
 * - `recovery`: a top-up paying back what earlier debits could not take (`shortfallMicros`).
 */
export type LedgerEntryKind = (typeof LEDGER_ENTRY_KINDS)[number];

/** One balance change. Fixed keys (null where a field does not apply), so entries encode as one msgpack record. */
export interface LedgerEntry {
  /** 1, 2, 3, … per organisation, without gaps. */
  readonly seq: number;
  readonly id: string;
  readonly kind: LedgerEntryKind;
  /** When the wallet wrote it (entries are in this order). */
  readonly recordedAtMs: number;
  /** When it happened: delivery time of a message, opening of a conversation, time of a top-up. */
  readonly occurredAtMs: number;
  /** Magnitude: credited for `topUp`, debited otherwise. Never negative. */
  readonly amountMicros: number;
  readonly balanceAfterMicros: number;
  /** What a debit could not take because the credit was short (owed, paid back by the next top-up). */
  readonly shortfallMicros: number;
  /** Reservation (message) id, conversation key or top-up id. */
  readonly reference: string;
  readonly category: MessageCategory | null;
  readonly country: string | null;
  readonly phoneNumberId: string | null;
  readonly conversationId: string | null;
  readonly campaignId: string | null;
  readonly rateCardVersion: number | null;
  readonly rule: PriceRule | null;
  /** `user:<id>` or `system:<id>` for top-ups; null for the send path. */
  readonly by: string | null;
  readonly note: string | null;
}

export type BillingEvent =
  | {
      readonly type: 'quotaThresholdReached';
      readonly atMs: number;
      readonly month: string;
      readonly percent: number;
      readonly used: number;
      readonly included: number;
    }
  | {
      readonly type: 'quotaBlocked';
      readonly atMs: number;
      readonly month: string;
      readonly used: number;
      readonly max: number;
    }
  | {
      readonly type: 'autoRechargeRequested';
      readonly atMs: number;
      readonly requestId: string;
      readonly amountMicros: number;
      readonly availableMicros: number;
      readonly thresholdMicros: number;
    }
  | {
      readonly type: 'planChanged';
      readonly atMs: number;
      readonly name: string;
      readonly includedConversations: number;
    };

/** A 24 h plan conversation being opened (quota unit): counted once per key. */
export interface ConversationOpening {
  /** Identifies the 24 h window, e.g. `<conversationId>@<window start ms>` (`conversationKeyOf`): counted once. */
  readonly conversationKey: string;
  readonly openedBy: ConversationInitiator;
  /** When the window opened (its month is the quota month). */
  readonly atMs: number;
  readonly phoneNumberId?: string;
  readonly conversationId?: string;
}

export type WalletMsg =
  // ---- the send path (from the conversation actor) ----
  | {
      readonly type: 'reserve';
      /** The message key `<conversationId>/<messageId>`; a re-sent reserve under it holds nothing more. */
      readonly reservationId: string;
      /** The rate-card price; 0 holds nothing (the reserve then only counts `conversation`). */
      readonly amountMicros: number;
      readonly atMs: number;
      /** A business-initiated message's plan conversation, counted in the same turn (all or nothing). */
      readonly conversation?: ConversationOpening;
    }
  | {
      readonly type: 'settle';
      readonly reservationId: string;
      readonly amountMicros: number;
      readonly charge: ChargeDetails;
      readonly atMs: number;
    }
  | { readonly type: 'release'; readonly reservationId: string }
  | ({ readonly type: 'countConversation' } & ConversationOpening)
  // ---- the API ----
  | {
      readonly type: 'topUp';
      readonly topUpId: string;
      readonly amountMicros: number;
      readonly by: BillingCaller;
      readonly note?: string | null;
    }
  | { readonly type: 'setAutoRecharge'; readonly settings: AutoRechargeSettings | null; readonly by: BillingCaller }
  | { readonly type: 'setPlan'; readonly plan: Plan; readonly by: BillingCaller }
  | { readonly type: 'getWallet'; readonly by: BillingCaller }
  | { readonly type: 'listLedger'; readonly by: BillingCaller; readonly before?: number; readonly limit?: number }
  | { readonly type: 'locateLedger'; readonly by: BillingCaller; readonly fromMs?: number }
  | { readonly type: 'readUsage'; readonly by: BillingCaller; readonly fromDay: string; readonly toDay: string }
  // ---- erasure (from the data-subject erasure, in-process code) ----
  | {
      readonly type: 'pseudonymiseCustomer';
      /** The customer's conversation ids (`<phoneNumberId>.<customerKey>`) to replace. */
      readonly conversationIds: readonly string[];
      /** Conversation id → its pseudonym (e.g. `1001.p34600000001` → `1001.x3f9a…`); every listed id needs one. */
      readonly pseudonyms: Readonly<Record<string, string>>;
    }
  // ---- facts: the timer and the replies of segment / archive actors ----
  | { readonly type: 'reservationsExpired' }
  | { readonly type: 'ledgerSegmentStored'; readonly callId: string; readonly reply: unknown }
  | { readonly type: 'usageDayStored'; readonly callId: string; readonly reply: unknown };

export interface WalletView {
  readonly balanceMicros: number;
  readonly reservedMicros: number;
  readonly availableMicros: number;
  readonly owedMicros: number;
  readonly openReservations: number;
  readonly autoRecharge: AutoRechargeSettings | null;
  readonly pendingAutoRecharge: PendingAutoRecharge | null;
  readonly plan: (Plan & { readonly changedAtMs: number }) | null;
  readonly quota: QuotaView;
  /** Newest first. */
  readonly events: readonly BillingEvent[];
  readonly ledgerEntries: number;
}

export interface PendingAutoRecharge {
  /** Fulfil it with a top-up under this id. */
  readonly requestId: string;
  readonly amountMicros: number;
  readonly requestedAtMs: number;
}

export interface QuotaView {
  readonly month: string;
  readonly used: number;
  /** Null without a plan. */
  readonly included: number | null;
  readonly max: number | null;
  readonly overageConversations: number;
  readonly overageMicros: number;
  readonly overageUnitPriceMicros: number | null;
  /** Whether a business-initiated conversation would be refused now. */
  readonly isBusinessBlocked: boolean;
}

export type Refused<C extends string> = { ok: false; code: C; message: string };

/** What counting a plan conversation did (`countConversation`, or the `conversation` of a `reserve`). */
export interface ConversationCounted {
  ok: true;
  reason: 'included' | 'overage' | 'noPlan';
  chargedMicros: number;
  used: number;
  isDuplicate: boolean;
}

export interface WalletReplies {
  reserve:
    | {
        ok: true;
        reservationId: string;
        /** Held for this reservation (0 for a reserve of 0). */
        reservedMicros: number;
        availableMicros: number;
        status: 'reserved' | 'settled';
        /** The plan conversation the reserve carried, or null. */
        conversation: ConversationCounted | null;
      }
    | Refused<'PARLO_INSUFFICIENT_CREDIT' | 'PARLO_PLAN_QUOTA_EXCEEDED'>;
  settle: {
    ok: true;
    reservationId: string;
    chargedMicros: number;
    shortfallMicros: number;
    releasedMicros: number;
    balanceMicros: number;
    seq: number;
    isDuplicate: boolean;
  };
  release: { ok: true; reservationId: string; releasedMicros: number };
  countConversation: ConversationCounted | Refused<'PARLO_PLAN_QUOTA_EXCEEDED' | 'PARLO_INSUFFICIENT_CREDIT'>;
  topUp:
    | {
        ok: true;
        topUpId: string;
        amountMicros: number;
        recoveredMicros: number;
        balanceMicros: number;
        availableMicros: number;
        seq: number;
        isDuplicate: boolean;
      }
    | Refused<'PARLO_ACCESS_FORBIDDEN' | 'PARLO_ID_CONFLICT' | 'PARLO_VALIDATION_FAILED'>;
  setAutoRecharge:
    | { ok: true; autoRecharge: AutoRechargeSettings | null; pendingAutoRecharge: PendingAutoRecharge | null }
    | Refused<'PARLO_ACCESS_FORBIDDEN' | 'PARLO_VALIDATION_FAILED'>;
  setPlan: { ok: true; wallet: WalletView } | Refused<'PARLO_ACCESS_FORBIDDEN' | 'PARLO_VALIDATION_FAILED'>;
  getWallet: { ok: true; wallet: WalletView } | Refused<'PARLO_ACCESS_FORBIDDEN'>;
  listLedger:
    | {
        ok: true;
        /** Newest first, seq < before, from the wallet state. */
        entries: readonly LedgerEntry[];
        /** Entries with seq ≤ this are in ledger-segment actors (0: none). */
        sealedThroughSeq: number;
      }
    | Refused<'PARLO_ACCESS_FORBIDDEN'>;
  locateLedger:
    | {
        ok: true;
        /** The first sealed segment that may hold entries recorded at or after `fromMs`. */
        startSegment: number;
        /** Sealed segments are 1 … this. */
        sealedSegments: number;
        /** The entries not in a sealed segment, oldest first. */
        entries: readonly LedgerEntry[];
      }
    | Refused<'PARLO_ACCESS_FORBIDDEN'>;
  readUsage:
    | {
        ok: true;
        /** Days of the range held by the wallet (they win over an archive's copy of the same day). */
        days: UsageDays;
        /** Month archives (`usage-archive`) that hold days of the range. */
        archivedMonths: readonly string[];
      }
    | Refused<'PARLO_ACCESS_FORBIDDEN'>;
  pseudonymiseCustomer: {
    ok: true;
    /** Wallet records changed: ledger entries, reservations, settled ids, counted conversations (0 when repeated). */
    rewritten: number;
    /** Segments 1 … sealedThroughSeq / LEDGER_SEGMENT_SIZE are the caller's to pseudonymise. */
    sealedThroughSeq: number;
  };
}

// ---------------------------------------------------------------- segment and archive protocols

export type LedgerSegmentMsg =
  | { readonly type: 'store'; readonly entries: readonly LedgerEntry[] }
  | { readonly type: 'read' }
  /** Erasure: conversation id → pseudonym in the entries' conversation ids and send-path references. */
  | { readonly type: 'pseudonymise'; readonly pseudonyms: Readonly<Record<string, string>> };

export interface LedgerSegmentReplies {
  store: { ok: true; stored: number };
  read: { ok: true; entries: readonly LedgerEntry[] };
  /** Entries changed (0 when repeated, and for a segment never stored). */
  pseudonymise: { ok: true; rewritten: number };
}

export type UsageArchiveMsg =
  /** A whole day sealed by the wallet; replaces any earlier copy (so a re-sent store changes nothing). */
  | { readonly type: 'storeDay'; readonly day: string; readonly usage: DayUsage }
  /** A charge for a day already sealed (a delivery reported days late). */
  | {
      readonly type: 'addUsage';
      readonly day: string;
      readonly key: string;
      readonly cell: readonly [number, number, number];
    }
  | { readonly type: 'read'; readonly fromDay: string; readonly toDay: string }
  | { readonly type: 'purge' };

export interface UsageArchiveReplies {
  storeDay: { ok: true; day: string };
  read: { ok: true; days: UsageDays };
}

/** Micro-euros as a short euro amount for messages: 1_500_000 → `€1.50`, 113_100 → `€0.1131`. */
export function formatMicros(micros: number): string {
  const sign = micros < 0 ? '-' : '';
  const abs = Math.abs(micros);
  const units = Math.floor(abs / 1_000_000);
  const fraction = String(abs % 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '')
    .padEnd(2, '0');
  return `${sign}€${units}.${fraction}`;
}
