/**
 * The time windows of one conversation (business number × customer), pure (STYLE rule 3). WHATSAPP.md 4.5–4.7.
 *
 * - **Customer-service window (24 h).** Opens when the customer messages or calls the business and lasts 24 h from
 *   the customer's *latest* message or call. Business messages never extend it. Free-form (non-template) messages
 *   may be sent only while it is open ("All non-template messages … can only be sent within an open customer
 *   service window", Meta pricing page).
 * - **Free entry point window (72 h).** The customer arrived through a Click-to-WhatsApp ad or a Facebook Page
 *   call to action (an inbound message carrying a `referral`), and the business replied (any outbound message)
 *   within 24 h of that referral: a 72 h window starts *at that reply*, in which every message, templates
 *   included, is free. It does not make free-form sends legal: those still need the customer-service window.
 * - **Plan conversation (24 h).** For the plan quota (issue #5, 4): a conversation is a 24 h period opened by a
 *   customer *or* business message when none is open. `opensPlanConversation` says whether a message would open
 *   one; `recordInbound` / `recordOutbound` start it.
 *
 * Decided rules (each one tested):
 * - Boundaries are exact to the millisecond: a window that expires at `E` is open at `E − 1` and closed at `E`.
 * - Out-of-order webhooks: inbound times only move `lastInboundAtMs` forward (max), so a late, older message never
 *   shortens the window. An inbound time later than `nowMs` (clock skew) simply keeps the window open longer.
 * - A referral is *pending* until a reply consumes it (the FEP starts), or until its 24 h reply deadline passes.
 *   The newest referral wins; an older one arriving late is ignored. A referral received while an FEP is open
 *   neither extends it nor stays pending (Meta opens no second free entry point inside an open one).
 * - A reply time earlier than the pending referral (reordered facts) does not consume it.
 * - A late, older message never opens a plan conversation before the current one (it may be under-counted; the
 *   alternative, counting it twice, bills the customer for a conversation they already paid).
 *
 * Bounds and cost: `WindowFacts` is five fields (a referral's three ids at most), O(1) memory; every function is
 * O(1) and allocates at most one object. Unchanged facts are returned as the same object (===), so a turn that
 * changes nothing can commit nothing.
 */

const HOUR_MS = 60 * 60 * 1000;

/** The customer-service window: 24 h from the customer's latest message or call. */
export const SERVICE_WINDOW_MS = 24 * HOUR_MS;
/** The free entry point window: 72 h from the business reply that opened it. */
export const FREE_ENTRY_POINT_WINDOW_MS = 72 * HOUR_MS;
/** How long after a referral the business may reply and still open a free entry point. */
export const FREE_ENTRY_POINT_REPLY_MS = 24 * HOUR_MS;
/** A plan conversation (quota unit) lasts 24 h from the message that opened it. */
export const PLAN_CONVERSATION_MS = 24 * HOUR_MS;

/** Where a customer came from (Meta's inbound `referral` object, reduced to what attribution needs). */
export interface Referral {
  /** Meta `source_type`: `ad` (Click-to-WhatsApp ad) or `post` (Page post / call to action); kept as given. */
  readonly sourceType: string;
  readonly sourceId: string | null;
  /** Click-to-WhatsApp click id (`ctwa_clid`), when present. */
  readonly ctwaClid: string | null;
}

/** A referral as the conversation actor passes it in (absent ids may be omitted). */
export interface ReferralInput {
  readonly sourceType: string;
  readonly sourceId?: string | null;
  readonly ctwaClid?: string | null;
}

export interface PendingReferral extends Referral {
  /** When the inbound message carrying the referral was sent (Meta's timestamp). */
  readonly atMs: number;
}

/** Plain data, persisted inside the conversation state. */
export interface WindowFacts {
  /** The latest inbound message or call (max over everything recorded), or null if the customer never wrote. */
  readonly lastInboundAtMs: number | null;
  /** A referral that a business reply within 24 h would turn into a free entry point. */
  readonly pendingReferral: PendingReferral | null;
  /** When the current (or last) free entry point window started: the business reply's time. */
  readonly freeEntryPointStartedAtMs: number | null;
  /** The referral that opened that free entry point (attribution for reports). */
  readonly freeEntryPointReferral: Referral | null;
  /** When the current (or last) plan conversation started. */
  readonly planConversationStartedAtMs: number | null;
}

export const EMPTY_WINDOW_FACTS: WindowFacts = {
  lastInboundAtMs: null,
  pendingReferral: null,
  freeEntryPointStartedAtMs: null,
  freeEntryPointReferral: null,
  planConversationStartedAtMs: null,
};

export interface InboundFact {
  readonly atMs: number;
  /** Present when the message came through a Click-to-WhatsApp ad or a Page call to action. */
  readonly referral?: ReferralInput | null;
}

export interface OutboundFact {
  readonly atMs: number;
}

export interface WindowView {
  readonly isOpen: boolean;
  /** When it closes (or closed); null if it never opened. */
  readonly expiresAtMs: number | null;
}

export const FREE_FORM_REASONS = ['serviceWindowOpen', 'noInboundMessage', 'serviceWindowExpired'] as const;
/** Why free-form sending is (or is not) allowed; the conversation actor maps the last two to PARLO_WINDOW_CLOSED. */
export type FreeFormReason = (typeof FREE_FORM_REASONS)[number];

export interface WindowState {
  readonly service: WindowView;
  readonly freeEntryPoint: WindowView;
  /** Free-form (non-template) messages may be sent: the customer-service window is open. */
  readonly canSendFreeForm: boolean;
  readonly reason: FreeFormReason;
  /** A business reply before this instant opens a free entry point (a referral is pending); null otherwise. */
  readonly freeEntryPointOfferUntilMs: number | null;
  /**
   * The next instant after `nowMs` at which this view changes by the passage of time alone (a window closes, or a
   * pending referral's reply deadline passes), or null. The actor arms its `windowExpired` timer here.
   */
  readonly nextChangeAtMs: number | null;
}

/** Records a message (or call) from the customer. */
export function recordInbound(facts: WindowFacts, inbound: InboundFact): WindowFacts {
  const { atMs } = inbound;
  const lastInboundAtMs = facts.lastInboundAtMs === null || atMs > facts.lastInboundAtMs ? atMs : facts.lastInboundAtMs;
  const pendingReferral = inbound.referral ? nextPendingReferral(facts, inbound.referral, atMs) : facts.pendingReferral;
  const planConversationStartedAtMs = nextPlanConversationStart(facts, atMs);
  if (
    lastInboundAtMs === facts.lastInboundAtMs &&
    pendingReferral === facts.pendingReferral &&
    planConversationStartedAtMs === facts.planConversationStartedAtMs
  )
    return facts;
  return { ...facts, lastInboundAtMs, pendingReferral, planConversationStartedAtMs };
}

/** Records a message sent by the business (any kind: free-form or template). */
export function recordOutbound(facts: WindowFacts, outbound: OutboundFact): WindowFacts {
  const { atMs } = outbound;
  let { pendingReferral, freeEntryPointStartedAtMs, freeEntryPointReferral } = facts;
  if (pendingReferral !== null && atMs >= pendingReferral.atMs) {
    if (atMs < pendingReferral.atMs + FREE_ENTRY_POINT_REPLY_MS && !isFreeEntryPointOpenAt(facts, atMs)) {
      freeEntryPointStartedAtMs = atMs;
      freeEntryPointReferral = {
        sourceType: pendingReferral.sourceType,
        sourceId: pendingReferral.sourceId,
        ctwaClid: pendingReferral.ctwaClid,
      };
      pendingReferral = null;
    } else if (atMs >= pendingReferral.atMs + FREE_ENTRY_POINT_REPLY_MS) {
      pendingReferral = null; // its reply deadline passed
    }
  }
  const planConversationStartedAtMs = nextPlanConversationStart(facts, atMs);
  if (
    pendingReferral === facts.pendingReferral &&
    freeEntryPointStartedAtMs === facts.freeEntryPointStartedAtMs &&
    planConversationStartedAtMs === facts.planConversationStartedAtMs
  )
    return facts;
  return { ...facts, pendingReferral, freeEntryPointStartedAtMs, freeEntryPointReferral, planConversationStartedAtMs };
}

/** The windows as seen at `nowMs`. */
export function windowState(facts: WindowFacts, nowMs: number): WindowState {
  const serviceExpiresAtMs = facts.lastInboundAtMs === null ? null : facts.lastInboundAtMs + SERVICE_WINDOW_MS;
  const fepExpiresAtMs =
    facts.freeEntryPointStartedAtMs === null ? null : facts.freeEntryPointStartedAtMs + FREE_ENTRY_POINT_WINDOW_MS;
  const serviceOpen = serviceExpiresAtMs !== null && nowMs < serviceExpiresAtMs;
  const fepOpen = fepExpiresAtMs !== null && nowMs < fepExpiresAtMs;
  const reason: FreeFormReason = serviceOpen
    ? 'serviceWindowOpen'
    : serviceExpiresAtMs === null
      ? 'noInboundMessage'
      : 'serviceWindowExpired';
  const referralDeadline =
    facts.pendingReferral === null ? null : facts.pendingReferral.atMs + FREE_ENTRY_POINT_REPLY_MS;
  return {
    service: { isOpen: serviceOpen, expiresAtMs: serviceExpiresAtMs },
    freeEntryPoint: { isOpen: fepOpen, expiresAtMs: fepExpiresAtMs },
    canSendFreeForm: serviceOpen,
    reason,
    freeEntryPointOfferUntilMs: referralDeadline !== null && nowMs < referralDeadline ? referralDeadline : null,
    nextChangeAtMs: earliestAfter(nowMs, serviceExpiresAtMs, fepExpiresAtMs, referralDeadline),
  };
}

/** Whether the customer-service window is open at `nowMs` (the hot-path check before a free-form send). */
export function isServiceWindowOpen(facts: WindowFacts, nowMs: number): boolean {
  return facts.lastInboundAtMs !== null && nowMs < facts.lastInboundAtMs + SERVICE_WINDOW_MS;
}

/** Whether a free entry point window is open at `nowMs` (every message free). */
export function isFreeEntryPointOpen(facts: WindowFacts, nowMs: number): boolean {
  return isFreeEntryPointOpenAt(facts, nowMs);
}

/** Whether a message (either direction) at `atMs` would open a new plan conversation (quota unit). */
export function opensPlanConversation(facts: WindowFacts, atMs: number): boolean {
  return nextPlanConversationStart(facts, atMs) !== facts.planConversationStartedAtMs;
}

function isFreeEntryPointOpenAt(facts: WindowFacts, atMs: number): boolean {
  return (
    facts.freeEntryPointStartedAtMs !== null && atMs < facts.freeEntryPointStartedAtMs + FREE_ENTRY_POINT_WINDOW_MS
  );
}

function nextPendingReferral(facts: WindowFacts, referral: ReferralInput, atMs: number): PendingReferral | null {
  // Inside an open free entry point a new referral neither extends it nor waits for the next reply.
  if (isFreeEntryPointOpenAt(facts, atMs)) return facts.pendingReferral;
  // The newest referral wins; a late, older one changes nothing.
  if (facts.pendingReferral !== null && atMs <= facts.pendingReferral.atMs) return facts.pendingReferral;
  return {
    atMs,
    sourceType: referral.sourceType,
    sourceId: referral.sourceId ?? null,
    ctwaClid: referral.ctwaClid ?? null,
  };
}

function nextPlanConversationStart(facts: WindowFacts, atMs: number): number | null {
  const started = facts.planConversationStartedAtMs;
  return started === null || atMs >= started + PLAN_CONVERSATION_MS ? atMs : started;
}

function earliestAfter(nowMs: number, ...candidates: readonly (number | null)[]): number | null {
  let best: number | null = null;
  for (const at of candidates) if (at !== null && at > nowMs && (best === null || at < best)) best = at;
  return best;
}
