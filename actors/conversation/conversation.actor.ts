import {
  defineActor,
  refusal,
  unreachable,
  type ActorDefinition,
  type Effect,
  type MessageReceived,
  type OutboundMessage,
  type SendOutcome,
  type TurnContext,
  type TurnResult,
} from '../../core/index.ts';
import {
  cardAt,
  chargeOfSend,
  conversationOpening,
  countConversationMessage,
  deliveryCharge,
  isFreeServiceSend,
  releaseMessage,
  reserveMessage,
  settleMessage,
  type SendCharge,
} from '../billing/metering.ts';
import { DEFAULT_RATE_CARD, type RateCard } from '../billing/rate-card.ts';
import { walletAddress, type WalletMsg, type WalletReplies } from '../billing/wallet.messages.ts';
import { customerKeyOf } from '../contacts/customer-key.ts';
import { webhookEventsOf } from '../inbound-feed/webhook-translation.ts';
import { emitWebhookEvent } from '../webhooks/webhook-events.ts';
import { recipientCountry } from '../contacts/phone-country.ts';
import { contactAddress, type ContactMsg, type ContactReply } from '../contacts/contact.messages.ts';
import { NUMBER_KIND, feedbackSignalOfCode, type NumberMsg, type SendPriority } from '../number/number.messages.ts';
import { PORTFOLIO_KIND, type PortfolioMsg, type PortfolioReplies } from '../portfolio/portfolio.actor.ts';
import type { AuditActor } from '../org/org.messages.ts';
import {
  CONVERSATION_KIND,
  MAX_SEND_ATTEMPTS,
  MESSAGES_KEPT,
  messageKeyOf,
  parseMessageKey,
  type ConversationMsg,
  type ConversationReplies,
  type LoggedMessage,
  type MessageBilling,
  type MessageCategory,
  type PortFailure,
  type SendError,
} from './conversation.messages.ts';
import {
  findByProviderId,
  findMessage,
  initialConversationState,
  type ConversationState,
} from './conversation.state.ts';
import { EMPTY_MESSAGE_STATUS, billingFacts, failure, isDelivered, mergeStatus, pricing } from './status-merge.ts';
import { CONVERSATION_STATE_VERSION, conversationSplit, upgradeConversation } from './conversation.storage.ts';
import { applyMediaResult, mediaFetchEffect, mediaRetryTimer, pendingMedia } from './media.ts';
import { endOfMetaSecond } from './meta-time.ts';
import { withInboxEvents } from '../inbox/inbox-events.ts';
import { withAssignmentEffects } from '../operators/conversation-assignment.ts';
import {
  DEFAULT_LOCK_TIMEOUT_MS,
  afterUserReply,
  lockRefusal,
  onAssign,
  onAutoAssign,
  onAutoUnassign,
  onClaim,
  onLockExpired,
  onReleaseLock,
  onSetStatus,
  onSnoozeEnded,
  onTakeOver,
  reopenedByCustomer,
} from './inbox-controls.ts';
import { onAddNote, onSetTags, withTransferNote } from './inbox-notes.ts';
import { withSearchFeed } from './search-feed.ts';
import { messageSearchAddress, type MessageSearchMsg } from '../message-search/message-search.messages.ts';
import { withSummaryUpdates } from './summary.ts';
import {
  conversationIndexAddress,
  type ConversationIndexMsg,
} from '../conversation-index/conversation-index.messages.ts';
import { withCampaignReports } from './campaign-reports.ts';
import { campaignIdOfRun } from '../campaigns/recipient-outcome.ts';
import {
  isFreeEntryPointOpen,
  isServiceWindowOpen,
  opensPlanConversation,
  recordInbound,
  recordOutbound,
  windowState,
} from './window.ts';

type Turn = TurnResult<ConversationState>;
type Msg<T extends ConversationMsg['type']> = Extract<ConversationMsg, { type: T }>;

/** The WhatsApp channel port (adapters/whatsapp-cloud), wired by the composition root. */
export const WHATSAPP_PORT = 'whatsapp-cloud';
/** Meta's throughput refusal: the number slows down for everyone. Other slow-downs (pair rate) wait here. */
const THROUGHPUT_CODE = 130429;
/** The runtime's answer for a port call cut off by a stop or crash (the call's outcome is unknown). */
const INTERRUPTED_CODE = 'PARLO_PORT_CALL_INTERRUPTED';
/** How soon a marketing send asks its contact again while a customer's message is still being classified. */
const KEYWORD_PENDING_RETRY_MS = 250;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;
/**
 * The rate cards messages are priced with. There is no card setting yet (docs/pricing.md, "Where a card is
 * loaded"): the default, illustrative card.
 */

const PRIORITY_OF: Readonly<Record<MessageCategory, SendPriority>> = {
  service: 'reply',
  authentication: 'authentication',
  utility: 'utility',
  marketing: 'marketing',
};

/**
 * One customer on one business number. A send is checked (free-form only inside the customer-service window),
 * logged, has its price held by the organisation's wallet when it is billable or business-initiated (`reserving`,
 * see "Metering" below), and waits for a slot from the number actor; when the slot comes the window is checked
 * again and the Graph API call is made through the channel port. Outcomes: accepted (WhatsApp's id kept), transient
 * (retried with backoff, then failed), throughput (handed back to the number), refused (failed with Meta's code).
 * Statuses from webhooks merge into the message whatever their order or repetition; a status that carries our
 * message key also reconciles a send whose response was lost.
 *
 * **Metering** (issue #5, 4; docs/pricing.md). The wallet knows a message by its key `<conversationId>/<messageId>`.
 * - Before the slot (and again at the slot, when the window changed meanwhile) a message priced above 0
 *   (`chargeOfSend`: category × recipient country × window facts) is reserved; a business-initiated one (a
 *   template while the customer-service window is closed) carries its plan conversation in the same `reserve`,
 *   so the quota is checked with the credit, all or nothing. Refused → failed with the wallet's code, before any
 *   slot or tier count is used. The wallet not answering → asked again with backoff; nothing leaves unpaid.
 * - The first delivery proof (delivered, read, played: `isDelivered` turns true once, whatever the order or
 *   repetition of statuses) settles it, in that turn, once: `deliveryCharge` (Meta's pricing block wins). A
 *   message the wallet holds nothing for is settled only when that charge is above 0 (Meta billed what we priced
 *   free, or the delivery came after a release); a free reply is not even priced unless Meta says it billed it.
 * - A failure for good (refused by Meta or by us, retries exhausted, opt-out, a failed status) releases it.
 * - Free messages (service replies, utility inside the window) never reach the wallet; a business-initiated one
 *   inside a free entry point reserves 0, only to have its plan conversation counted.
 * - A customer message opening a plan conversation tells the wallet (`countConversation`, never refused); so does
 *   a business message accepted inside the customer-service window when it opens one (it answers the customer).
 */
export interface ConversationOptions {
  /** The rate cards in force, oldest to newest (`rateCardAt` picks the one of a send's time); at least one. */
  readonly rateCards: readonly [RateCard, ...RateCard[]];
  /**
   * How long a message whose Graph API call was in flight when the node stopped waits for its status webhook
   * before it is sent again (default RECONCILE_AFTER_MS).
   */
  readonly reconcileAfterMs?: number;
  /** How long an operator's lock lasts after their last reply (default DEFAULT_LOCK_TIMEOUT_MS; inbox-controls.ts). */
  readonly lockTimeoutMs?: number;
}

/** Meta sends a `sent` status within seconds of accepting a message; 10 minutes without one means it never came. */
export const RECONCILE_AFTER_MS = 10 * 60 * 1000;

/** What the handlers are given: the turn's context and the actor's options. */
interface ConversationContext extends TurnContext {
  readonly rateCards: readonly [RateCard, ...RateCard[]];
  readonly reconcileAfterMs: number;
  readonly lockTimeoutMs: number;
}

/** The conversation actor priced by the given rate cards (the composition root's `billing.rateCardsFile`). */
export function createConversationActor(
  options: ConversationOptions,
): ActorDefinition<ConversationState, ConversationMsg, LoggedMessage> {
  const { rateCards } = options;
  const reconcileAfterMs = options.reconcileAfterMs ?? RECONCILE_AFTER_MS;
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const handler = defineActor<ConversationState, ConversationMsg, LoggedMessage>({
    kind: CONVERSATION_KIND,
    stateVersion: CONVERSATION_STATE_VERSION,
    initialState: () => initialConversationState(),
    split: conversationSplit,
    upgrade: upgradeConversation,
    handle(state, msg, turn) {
      const ctx: ConversationContext = {
        self: turn.self,
        nowMs: turn.nowMs,
        msgId: turn.msgId,
        newId: () => turn.newId(),
        rateCards,
        reconcileAfterMs,
        lockTimeoutMs,
      };
      switch (msg.type) {
        case 'send':
          return onSend(state, msg, ctx);
        case 'slotGranted':
          return onSlotGranted(state, msg.messageId, msg.ratePerSec, ctx);
        case 'slotRequested':
          return onSlotRequested(state, msg, ctx);
        case 'sendResult':
          return onSendResult(state, msg, ctx);
        case 'retrySend':
          return requestSlotFor(state, msg.messageId, ctx);
        case 'consentChecked':
          return onConsentChecked(state, msg, ctx);
        case 'inboundObserved':
          return onInboundObserved(state, msg, ctx);
        case 'tierChecked':
          return onTierChecked(state, msg, ctx);
        case 'creditReserved':
          return onCreditReserved(state, msg, ctx);
        case 'inbound':
          return withCustomerWebhooks(onInbound(state, msg, ctx), state, msg, ctx);
        case 'status':
          return withCustomerWebhooks(onStatus(state, msg, ctx), state, msg, ctx);
        case 'mediaFetched':
          return onMediaFetched(state, msg, ctx);
        case 'retryMediaFetch':
          return onRetryMediaFetch(state, msg.messageId);
        case 'assign':
          return withTransferNote(
            state,
            onAssign(state, msg, ctx.self.id, ctx.nowMs, lockTimeoutMs),
            msg,
            ctx.self.id,
            ctx.nowMs,
          );
        case 'claim':
          return onClaim(state, msg.userId, ctx.self.id, ctx.nowMs, lockTimeoutMs);
        case 'autoAssign':
          return onAutoAssign(state, msg, ctx.self.id, ctx.nowMs, lockTimeoutMs);
        case 'autoUnassign':
          return onAutoUnassign(state, msg.userId);
        case 'takeOver':
          return onTakeOver(state, msg.userId, ctx.self.id, ctx.nowMs, lockTimeoutMs);
        case 'releaseLock':
          return onReleaseLock(state, msg.userId, ctx.self.id);
        case 'setStatus':
          return onSetStatus(state, msg.status, msg.snoozeUntilMs, ctx.self.id, ctx.nowMs);
        case 'addNote':
          return onAddNote(state, msg, ctx.self.id, ctx.nowMs);
        case 'setTags':
          return onSetTags(state, msg.tags, ctx.self.id);
        case 'lockExpired':
          return onLockExpired(state, ctx.nowMs);
        case 'snoozeEnded':
          return onSnoozeEnded(state, ctx.nowMs);
        case 'getConversation':
          return onGet(state, msg, ctx);
        case 'eraseConversation':
          return onErase(state, ctx);
        default:
          return unreachable(msg);
      }
    },
  });

  // As registered: a turn that changed the conversation's listing summary also tells its number's index (summary.ts),
  // the texts of messages people wrote to its number's search (search-feed.ts), campaign messages whose outcome
  // changed are reported to their runs (campaign-reports.ts), and what an inbox
  // shows is told to the organisation's inbox stream (inbox/inbox-events.ts), and assignment changes to the
  // operators and the organisation's assignment actor (operators/conversation-assignment.ts).
  return withAssignmentEffects(withInboxEvents(withSearchFeed(withSummaryUpdates(withCampaignReports(handler)))));
}

/** Priced by the built-in rate card (DEFAULT_RATE_CARD, docs/pricing.md). */
export const conversationActor = createConversationActor({ rateCards: [DEFAULT_RATE_CARD] });

// ---------------------------------------------------------------- helpers

/**
 * An event that came straight from the organisation's webhook (`webhookTypes` set, see inbound-routing.ts) is
 * announced to the organisation's customer webhooks here, in the turn that records it (exactly once: the turn
 * consumes the event under its webhook dedupe key). Only the types some endpoint subscribes to.
 */
function withCustomerWebhooks(
  turn: Turn,
  before: ConversationState,
  msg: Msg<'inbound'> | Msg<'status'>,
  ctx: ConversationContext,
): Turn {
  const orgId = msg.orgId ?? before.orgId;
  if (msg.webhookTypes === undefined || msg.webhookTypes.length === 0 || orgId === null) return turn;
  if (turn.state === before) return turn; // a status already merged: announced when it was
  const subscribed: readonly string[] = msg.webhookTypes;
  const events = webhookEventsOf(msg.event, orgId, ctx.msgId, ctx.nowMs).filter((e) => subscribed.includes(e.type));
  if (events.length === 0) return turn;
  return { ...turn, effects: [...(turn.effects ?? []), ...events.map(emitWebhookEvent)] };
}

function updated(state: ConversationState, index: number, message: LoggedMessage): ConversationState {
  const log = state.log.slice();
  log[index] = message;
  return { ...state, log };
}

/** Appends to the log, dropping the oldest beyond MESSAGES_KEPT. */
function appended(state: ConversationState, message: Omit<LoggedMessage, 'seq'>): ConversationState {
  const full: LoggedMessage = { ...message, seq: state.nextSeq };
  let log = [...state.log, full];
  if (log.length > MESSAGES_KEPT) log = log.slice(log.length - MESSAGES_KEPT);
  return { ...state, log, nextSeq: state.nextSeq + 1 };
}

function isFreeForm(message: { readonly type: string }): boolean {
  return message.type !== 'template';
}

/** Fails a message for good; what the wallet holds for it is released (nothing is charged). */
function failed(
  state: ConversationState,
  index: number,
  message: LoggedMessage,
  error: SendError,
  ctx: ConversationContext,
): Turn {
  const release = releaseOf(state, message, ctx);
  const failedMessage: LoggedMessage = {
    ...message,
    sendState: 'failed',
    error,
    ...(release ? { billing: release.billing } : {}),
  };
  const next = updated(state, index, failedMessage);
  const effects: Effect[] = [];
  if (release) effects.push(release.effect);
  const feedback = feedbackEffect(state, message, typeof error.code === 'number' ? error.code : undefined);
  if (feedback) effects.push(feedback);
  return effects.length > 0 ? { state: next, effects } : { state: next };
}

/**
 * A marketing message refused for a reason that reads as the customer's negative feedback (blocked: 131026; spam
 * limits: 131048, 131049) is reported to the number once, on its transition to failed, so that marketing pauses when
 * the number's own block/report rate is too high.
 */
function feedbackEffect(state: ConversationState, message: LoggedMessage, code: number | undefined): Effect | null {
  if (message.category !== 'marketing' || code === undefined || state.phoneNumberId === null) return null;
  const signal = feedbackSignalOfCode(code);
  if (signal === null) return null;
  const msg: NumberMsg = { type: 'negativeFeedbackObserved', signal, code };
  return { type: 'tell', to: { kind: NUMBER_KIND, id: state.phoneNumberId }, msg };
}

/** The customer as the number knows recipients: the conversation's customer key. */
function recipientOf(state: ConversationState): string {
  return customerKeyOf({ phone: state.customer.phone, userId: state.customer.userId });
}

function windowClosedError(state: ConversationState, nowMs: number): SendError {
  const window = windowState(state.window, nowMs);
  const detail =
    window.reason === 'noInboundMessage'
      ? 'the customer has never written to this number: only a template may be sent'
      : `the customer-service window closed at ${new Date(window.service.expiresAtMs ?? 0).toISOString()}: only a template may be sent`;
  return { code: 'PARLO_WINDOW_CLOSED', detail };
}

/**
 * Tells the number that the message wants a slot: the grant comes back as `slotGranted`, a refusal (queue full) as
 * `slotRequested`. A tell, not an ask: the usual answer is the grant itself, so no reply turn is spent on it.
 */
function slotRequest(state: ConversationState, message: LoggedMessage, ctx: ConversationContext): Effect {
  const msg: NumberMsg = {
    type: 'requestSlot',
    requester: ctx.self,
    messageId: message.id,
    priority: PRIORITY_OF[message.category ?? 'service'],
    recipient: recipientOf(state),
  };
  return { type: 'tell', to: { kind: NUMBER_KIND, id: state.phoneNumberId! }, msg };
}

function retryLater(message: LoggedMessage, delayMs: number, ctx: ConversationContext): Effect {
  return {
    type: 'setTimer',
    name: `retry:${message.id}`,
    dueAtMs: ctx.nowMs + delayMs,
    msg: { type: 'retrySend', messageId: message.id },
  };
}

/**
 * The message counts one more attempt and asks its current step again (`retrySend`) after `delayMs`, under the
 * step's timer (`<step>:<messageId>`).
 */
function askAgainLater(
  state: ConversationState,
  index: number,
  message: LoggedMessage,
  step: 'wallet' | 'consent',
  delayMs: number,
  ctx: ConversationContext,
): Turn {
  const waiting = updated(state, index, { ...message, attempts: message.attempts + 1 });
  const retry: Effect = {
    type: 'setTimer',
    name: `${step}:${message.id}`,
    dueAtMs: ctx.nowMs + delayMs,
    msg: { type: 'retrySend', messageId: message.id },
  };
  return { state: waiting, effects: [retry] };
}

/** 1 s, 2 s, 4 s, … (at most 60 s) after the n-th failed attempt. */
function backoffMs(attempts: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}

// ---------------------------------------------------------------- metering (see the header)

/** The id the wallet knows a message by: its message key, unique within the organisation. */
function reservationIdOf(message: LoggedMessage, ctx: ConversationContext): string {
  return messageKeyOf(ctx.self.id, message.id);
}

function walletTell(state: ConversationState, msg: WalletMsg): Effect {
  return { type: 'tell', to: walletAddress(state.orgId!), msg };
}

/** `countConversation` for a plan conversation that started at `startMs` (a tell: counted once per key). */
function countOpened(
  state: ConversationState,
  startMs: number,
  openedBy: 'customer' | 'business',
  ctx: ConversationContext,
): Effect {
  return walletTell(state, countConversationMessage(ctx.self.id, state.phoneNumberId ?? '', startMs, openedBy));
}

/**
 * What the wallet must hear of before `message` leaves now, or null: a price above 0 not held yet, or a
 * business-initiated plan conversation the message was not admitted in. A free-form message under a card whose
 * service is free returns at the second check, unpriced: free replies cost nothing here.
 */
function walletStep(state: ConversationState, message: LoggedMessage, ctx: ConversationContext): SendCharge | null {
  if (state.orgId === null) return null;
  const isTemplate = !isFreeForm(message);
  if (isFreeServiceSend(isTemplate, ctx.rateCards, ctx.nowMs)) return null;
  const charge = chargeOfSend({
    category: message.category ?? 'service',
    isTemplate,
    customer: state.customer,
    window: state.window,
    nowMs: ctx.nowMs,
    rateCards: ctx.rateCards,
  });
  const billing = message.billing;
  const needsHold =
    charge.price.amountMicros > 0 &&
    (billing === undefined || billing.charge === 'none' || billing.charge === 'released');
  const needsCount =
    charge.planConversationStartMs !== null && billing?.planConversationStartMs !== charge.planConversationStartMs;
  return needsHold || needsCount ? charge : null;
}

/**
 * Asks the wallet to hold the message's price (and count its business-initiated plan conversation). A plan
 * conversation that starts with this message is recorded in the window facts at once, so a second template sent
 * before the wallet answers joins it (same key: the wallet counts it once) instead of opening another. Should the
 * wallet refuse, the start stays: a customer message in the next 24 h is then not counted (window.ts prefers
 * under-counting to counting twice), and the next business message asks for the same conversation again.
 */
function reserving(
  state: ConversationState,
  index: number,
  message: LoggedMessage,
  charge: SendCharge,
  ctx: ConversationContext,
): Turn {
  const held = message.billing?.charge === 'reserved' ? message.billing : null;
  const billing: MessageBilling = {
    charge: held ? 'reserved' : 'pending',
    reservedMicros: held ? held.reservedMicros : charge.price.amountMicros,
    chargedMicros: null,
    country: charge.country,
    rateCardVersion: held ? held.rateCardVersion : charge.price.rateCardVersion,
    insideServiceWindow: charge.insideServiceWindow,
    insideFreeEntryPoint: charge.insideFreeEntryPoint,
    planConversationStartMs: charge.planConversationStartMs,
  };
  const start = charge.planConversationStartMs;
  const window =
    start !== null && opensPlanConversation(state.window, start)
      ? { ...state.window, planConversationStartedAtMs: start }
      : state.window;
  const next = updated({ ...state, window }, index, { ...message, sendState: 'reserving', attempts: 0, billing });
  return { state: next, effects: [reserveAsk(next, message, billing, ctx)] };
}

function reserveAsk(
  state: ConversationState,
  message: LoggedMessage,
  billing: MessageBilling,
  ctx: ConversationContext,
) {
  const start = billing.planConversationStartMs;
  const opening =
    start === null ? undefined : conversationOpening(ctx.self.id, state.phoneNumberId!, start, 'business');
  return {
    type: 'ask',
    to: walletAddress(state.orgId!),
    msg: reserveMessage(reservationIdOf(message, ctx), billing.reservedMicros, ctx.nowMs, opening),
    replyType: 'creditReserved',
    callId: message.id,
  } satisfies Effect;
}

function onCreditReserved(state: ConversationState, msg: Msg<'creditReserved'>, ctx: ConversationContext): Turn {
  const found = findMessage(state, msg.callId);
  if (!found) return { state };
  const { index, message } = found;
  const reply = msg.reply as
    { ok: true; value: WalletReplies['reserve'] } | { ok: false; code: string; message: string };
  const billing = message.billing;
  if (message.sendState !== 'reserving' || billing === undefined) {
    // The message failed while the wallet answered (an opt-out released it before this hold): give it back.
    const isHeld = reply.ok && reply.value.ok && reply.value.reservedMicros > 0;
    return message.sendState === 'failed' && isHeld && state.orgId !== null
      ? { state, effects: [walletTell(state, releaseMessage(reservationIdOf(message, ctx)))] }
      : { state };
  }
  if (!reply.ok) {
    // The wallet did not answer (the runtime retries timeouts itself; this is a failure): ask again with backoff,
    // and never send unpaid.
    if (message.attempts >= MAX_SEND_ATTEMPTS) {
      return failed(
        state,
        index,
        message,
        { code: reply.code, detail: `the wallet could not hold the price: ${reply.message}` },
        ctx,
      );
    }
    return askAgainLater(state, index, message, 'wallet', backoffMs(message.attempts + 1), ctx);
  }
  const answer = reply.value;
  if (!answer.ok) {
    // Refused (credit or plan quota): a reserve is all or nothing, so a pending one holds nothing to release.
    const unheld: LoggedMessage =
      billing.charge === 'pending'
        ? { ...message, billing: { ...billing, charge: 'none', reservedMicros: 0 } }
        : message;
    return failed(state, index, unheld, { code: answer.code, detail: answer.message }, ctx);
  }
  const admitted: MessageBilling = {
    ...billing,
    // `settled`: the wallet already charged this message (never asked again for its price).
    charge: answer.reservedMicros > 0 ? 'reserved' : answer.status === 'settled' ? 'settled' : 'none',
    reservedMicros: answer.reservedMicros,
  };
  return admit(state, index, { ...message, attempts: 0, error: null, billing: admitted }, ctx);
}

/** The release of what the wallet holds (or may hold) for a message that failed for good; null if nothing. */
function releaseOf(
  state: ConversationState,
  message: LoggedMessage,
  ctx: ConversationContext,
): { billing: MessageBilling; effect: Effect } | null {
  const billing = message.billing;
  if (state.orgId === null || billing === undefined || (billing.charge !== 'reserved' && billing.charge !== 'pending'))
    return null;
  return {
    billing: { ...billing, charge: 'released' },
    effect: walletTell(state, releaseMessage(reservationIdOf(message, ctx))),
  };
}

/** The window facts at the Graph API call: what Meta prices the message by. */
function withSendFacts(billing: MessageBilling, state: ConversationState, nowMs: number): MessageBilling {
  const insideServiceWindow = isServiceWindowOpen(state.window, nowMs);
  const insideFreeEntryPoint = isFreeEntryPointOpen(state.window, nowMs);
  return insideServiceWindow === billing.insideServiceWindow && insideFreeEntryPoint === billing.insideFreeEntryPoint
    ? billing
    : { ...billing, insideServiceWindow, insideFreeEntryPoint };
}

/**
 * What a merged status changes for the wallet: the first delivery proof settles (once: `isDelivered` turns true in
 * exactly one turn, whatever the order or repetition of statuses); a failure that stands releases. A message the
 * wallet holds nothing for is settled only when the charge is above 0 (Meta billed what we thought free); a free
 * reply Meta did not bill is never priced at all.
 */
function meterStatus(
  state: ConversationState,
  before: LoggedMessage,
  after: LoggedMessage,
  ctx: ConversationContext,
): { message: LoggedMessage; effect: Effect } | null {
  const status = after.status ?? EMPTY_MESSAGE_STATUS;
  const billing = after.billing;
  if (isDelivered(status)) {
    const wasDelivered = before.status !== null && isDelivered(before.status);
    if (wasDelivered || billing?.charge === 'settled') return null;
    if (billing === undefined && pricing(status)?.billable !== true) return null;
    const facts = billingFacts(status);
    const country = billing?.country ?? recipientCountry(state.customer);
    const charge = deliveryCharge({
      facts,
      category: after.category ?? 'service',
      recipientCountry: country,
      insideServiceWindow: billing?.insideServiceWindow ?? false,
      insideFreeEntryPoint: billing?.insideFreeEntryPoint ?? false,
      rateCard:
        ctx.rateCards.find((card) => card.version === billing?.rateCardVersion) ?? cardAt(ctx.rateCards, after.atMs),
    });
    if (billing?.charge !== 'reserved' && charge.amountMicros === 0) return null;
    const settle = settleMessage(
      reservationIdOf(after, ctx),
      charge,
      {
        phoneNumberId: state.phoneNumberId ?? '',
        conversationId: ctx.self.id,
        country,
        campaignId: after.campaign ? campaignIdOfRun(after.campaign.run) : null,
      },
      facts.deliveredAtMs ?? ctx.nowMs,
    );
    const settled: MessageBilling = {
      charge: 'settled',
      reservedMicros: billing?.reservedMicros ?? 0,
      chargedMicros: charge.amountMicros,
      country,
      rateCardVersion: charge.rateCardVersion,
      insideServiceWindow: billing?.insideServiceWindow ?? false,
      insideFreeEntryPoint: billing?.insideFreeEntryPoint ?? false,
      planConversationStartMs: billing?.planConversationStartMs ?? null,
    };
    return { message: { ...after, billing: settled }, effect: walletTell(state, settle) };
  }
  if (billing?.charge === 'reserved' && failure(status) !== null) {
    // Meta accepted the message, then could not deliver it (131026, 131047, 131049, 131050, …): nothing is billed.
    const release = releaseOf(state, after, ctx);
    return release ? { message: { ...after, billing: release.billing }, effect: release.effect } : null;
  }
  return null;
}

// ---------------------------------------------------------------- handlers

/** Who a campaign's message counts as sent by, for the lock and the assignee: nobody who replies. */
const CAMPAIGN_SENDER: AuditActor = { kind: 'system', id: 'campaign' };

function onSend(state: ConversationState, msg: Msg<'send'>, ctx: ConversationContext): Turn {
  const known = findMessage(state, msg.messageId);
  if (known) {
    const reply: ConversationReplies['send'] = {
      ok: true,
      messageId: msg.messageId,
      conversationId: ctx.self.id,
      sendState: known.message.sendState ?? 'queued',
    };
    return { state, reply };
  }
  // Another operator holds the conversation: this user's reply is refused (API keys and campaigns are not held).
  // A campaign's message is no reply: it neither takes the lock nor assigns the conversation to who launched it.
  const replyBy = msg.campaign === undefined ? msg.by : CAMPAIGN_SENDER;
  const locked = replyBy.kind === 'user' ? lockRefusal(state, replyBy.id, ctx.nowMs) : null;
  if (locked !== null) return { state, reply: locked };
  if (isFreeForm(msg.content) && !windowState(state.window, ctx.nowMs).canSendFreeForm) {
    const error = windowClosedError(state, ctx.nowMs);
    return { state, reply: refusal('PARLO_WINDOW_CLOSED', error.detail) };
  }
  const lockEffects: Effect[] = [];
  const customer = {
    phone: state.customer.phone ?? msg.customer.phone ?? null,
    userId: state.customer.userId ?? msg.customer.userId ?? null,
    profileName: state.customer.profileName,
  };
  const next = appended(
    afterUserReply(
      { ...state, orgId: state.orgId ?? msg.orgId, phoneNumberId: state.phoneNumberId ?? msg.phoneNumberId, customer },
      replyBy,
      ctx.nowMs,
      ctx.lockTimeoutMs,
      lockEffects,
    ),
    {
      id: msg.messageId,
      direction: 'out',
      atMs: ctx.nowMs,
      type: msg.content.type,
      content: msg.content,
      providerMessageId: null,
      category: isFreeForm(msg.content) ? 'service' : msg.category,
      sendState: 'queued',
      status: EMPTY_MESSAGE_STATUS,
      error: null,
      attempts: 0,
      by: msg.by,
      ...(msg.campaign ? { campaign: msg.campaign } : {}),
    },
  );
  const logged = next.log[next.log.length - 1]!;
  const capped = msg.campaign ? frequencyCapped(state, logged, msg.campaign.frequencyCapMs, ctx.nowMs) : null;
  if (capped !== null) {
    const skipped = failed(next, next.log.length - 1, logged, capped, ctx);
    const reply: ConversationReplies['send'] = {
      ok: true,
      messageId: msg.messageId,
      conversationId: ctx.self.id,
      sendState: 'failed',
    };
    return { ...prependEffects(skipped, lockEffects), reply };
  }
  if (logged.category === 'marketing') {
    // Marketing needs the contact's opt-in: ask first, queue for a slot only when it is given.
    const checking = updated(next, next.log.length - 1, { ...logged, sendState: 'checkingConsent' });
    const reply: ConversationReplies['send'] = {
      ok: true,
      messageId: msg.messageId,
      conversationId: ctx.self.id,
      sendState: 'checkingConsent',
    };
    return { state: checking, effects: [...lockEffects, consentCheck(checking, logged.id)], reply };
  }
  const proceeding = proceed(next, next.log.length - 1, logged, ctx);
  const reply: ConversationReplies['send'] = {
    ok: true,
    messageId: msg.messageId,
    conversationId: ctx.self.id,
    sendState: proceeding.state.log[next.log.length - 1]!.sendState ?? 'queued',
  };
  return { ...prependEffects(proceeding, lockEffects), reply };
}

/** The turn with `effects` before its own (the same turn when there are none). */
function prependEffects(turn: Turn, effects: readonly Effect[]): Turn {
  return effects.length === 0 ? turn : { ...turn, effects: [...effects, ...(turn.effects ?? [])] };
}

/**
 * The frequency cap of a campaign's marketing message: refused (as PARLO_FREQUENCY_CAP) when another marketing
 * message to this customer left this number within `capMs` (accepted by Meta, or still on its way out).
 */
function frequencyCapped(
  state: ConversationState,
  message: LoggedMessage,
  capMs: number,
  nowMs: number,
): SendError | null {
  if (capMs <= 0 || message.category !== 'marketing') return null;
  for (let i = state.log.length - 1; i >= 0; i--) {
    const earlier = state.log[i]!;
    if (earlier.atMs <= nowMs - capMs) break;
    if (earlier.direction !== 'out' || earlier.category !== 'marketing' || earlier.sendState === 'failed') continue;
    return {
      code: 'PARLO_FREQUENCY_CAP',
      detail: `a marketing message went to this customer at ${new Date(earlier.atMs).toISOString()}, within the campaign's frequency cap of ${Math.round(capMs / 3_600_000)} h`,
    };
  }
  return null;
}

/**
 * The step after consent: a message the wallet must hear of (billable, or business-initiated) first has its price
 * held (`reserving`); then `admit`.
 */
function proceed(state: ConversationState, index: number, message: LoggedMessage, ctx: ConversationContext): Turn {
  const charge = walletStep(state, message, ctx);
  if (charge) return reserving(state, index, message, charge, ctx);
  return admit(state, index, message, ctx);
}

/**
 * The step after the wallet: a business-initiated message outside the customer-service window first needs the
 * portfolio's messaging limit (`checkingTier`); everything else asks the number for a slot.
 */
function admit(state: ConversationState, index: number, message: LoggedMessage, ctx: ConversationContext): Turn {
  if (needsTier(state, message, ctx.nowMs)) {
    const checking = updated(state, index, { ...message, sendState: 'checkingTier' });
    return { state: checking, effects: [tierCheck(checking, message.id)] };
  }
  const queued: LoggedMessage = { ...message, sendState: 'queued' };
  const next = updated(state, index, queued);
  return { state: next, effects: [slotRequest(next, queued, ctx)] };
}

function needsTier(state: ConversationState, message: LoggedMessage, nowMs: number): boolean {
  return !isFreeForm(message) && state.orgId !== null && !isServiceWindowOpen(state.window, nowMs);
}

function tierCheck(state: ConversationState, messageId: string): Effect {
  const msg: PortfolioMsg = {
    type: 'admit',
    customerKey: customerKeyOf({ phone: state.customer.phone, userId: state.customer.userId }),
  };
  return {
    type: 'ask',
    to: { kind: PORTFOLIO_KIND, id: state.orgId! },
    msg,
    replyType: 'tierChecked',
    callId: messageId,
  };
}

function onTierChecked(state: ConversationState, msg: Msg<'tierChecked'>, ctx: ConversationContext): Turn {
  const found = findMessage(state, msg.callId);
  if (!found || found.message.sendState !== 'checkingTier') return { state };
  const { index, message } = found;
  const reply = msg.reply as
    { ok: true; value: PortfolioReplies['admit'] } | { ok: false; code: string; message: string };
  if (!reply.ok) {
    // The portfolio did not answer: ask again shortly (never send uncounted).
    const waiting = updated(state, index, {
      ...message,
      sendState: 'deferred',
      error: { code: reply.code, detail: reply.message },
    });
    return { state: waiting, effects: [retryAt(message, ctx.nowMs + 1_000)] };
  }
  const answer = reply.value;
  if (!answer.admitted) {
    const deferred = updated(state, index, {
      ...message,
      sendState: 'deferred',
      error: {
        code: 'PARLO_TIER_LIMIT',
        detail: `the portfolio reached its messaging limit (${answer.count} of ${answer.limit} customers in 24 h); waiting until ${new Date(answer.nextFreeAtMs).toISOString()}`,
      },
    });
    return { state: deferred, effects: [retryAt(message, answer.nextFreeAtMs)] };
  }
  const queued: LoggedMessage = { ...message, sendState: 'queued', error: null };
  const next = updated(state, index, queued);
  return { state: next, effects: [slotRequest(next, queued, ctx)] };
}

function retryAt(message: LoggedMessage, dueAtMs: number): Effect {
  return { type: 'setTimer', name: `tier:${message.id}`, dueAtMs, msg: { type: 'retrySend', messageId: message.id } };
}

function contactOf(state: ConversationState) {
  return contactAddress(state.orgId!, customerKeyOf({ phone: state.customer.phone, userId: state.customer.userId }));
}

function consentCheck(state: ConversationState, messageId: string): Effect {
  const msg: ContactMsg = { type: 'checkConsent', scope: 'marketing' };
  return { type: 'ask', to: contactOf(state), msg, replyType: 'consentChecked', callId: messageId };
}

function onConsentChecked(state: ConversationState, msg: Msg<'consentChecked'>, ctx: ConversationContext): Turn {
  const found = findMessage(state, msg.callId);
  if (!found || found.message.sendState !== 'checkingConsent') return { state };
  const { index, message } = found;
  const reply = msg.reply as
    { ok: true; value: ContactReply<'checkConsent'> } | { ok: false; code: string; message: string };
  if (!reply.ok) {
    // The contact did not answer (timeout, failure): ask again later rather than send without consent.
    if (message.attempts >= MAX_SEND_ATTEMPTS) {
      return failed(
        state,
        index,
        message,
        { code: reply.code, detail: `consent could not be checked: ${reply.message}` },
        ctx,
      );
    }
    return askAgainLater(state, index, message, 'consent', backoffMs(message.attempts + 1), ctx);
  }
  if (!reply.value.allowed && reply.value.isKeywordPending && message.attempts < MAX_SEND_ATTEMPTS) {
    // The customer's latest short message is still being matched against the organisation's keywords (one round
    // trip to its settings): it may be a STOP, so ask again in a moment rather than send or refuse now.
    return askAgainLater(state, index, message, 'consent', KEYWORD_PENDING_RETRY_MS, ctx);
  }
  if (!reply.value.allowed) {
    return failed(
      state,
      index,
      message,
      { code: 'PARLO_NO_CONSENT', detail: `the contact has no marketing opt-in (status ${reply.value.status})` },
      ctx,
    );
  }
  return proceed(state, index, { ...message, attempts: 0 }, ctx);
}

/**
 * The contact saw the customer's message. A consent keyword is confirmed to the customer (a service reply: the
 * window was just opened by that very message); an opt-out also fails this conversation's marketing messages that
 * have not left yet.
 */
function onInboundObserved(state: ConversationState, msg: Msg<'inboundObserved'>, ctx: ConversationContext): Turn {
  const reply = msg.reply as { ok: true; value: ContactReply<'observeInbound'> } | { ok: false };
  if (!reply.ok || reply.value.keyword === null) return { state };
  let next = state;
  const releases: Effect[] = [];
  if (reply.value.keyword.kind === 'optOut') {
    // An opt-out is negative feedback on the number's marketing (once per customer message: its confirmation is
    // logged under the message's id, so a repeated observation finds it).
    if (state.phoneNumberId !== null && !findMessage(state, `confirm_${msg.callId}`)) {
      const feedback: NumberMsg = { type: 'negativeFeedbackObserved', signal: 'optOut' };
      releases.push({ type: 'tell', to: { kind: NUMBER_KIND, id: state.phoneNumberId }, msg: feedback });
    }
    next = {
      ...next,
      log: next.log.map((m) => {
        if (
          m.category !== 'marketing' ||
          !(
            m.sendState === 'queued' ||
            m.sendState === 'checkingConsent' ||
            m.sendState === 'reserving' ||
            m.sendState === 'checkingTier' ||
            m.sendState === 'deferred'
          )
        )
          return m;
        const release = releaseOf(state, m, ctx);
        if (release) releases.push(release.effect);
        return {
          ...m,
          sendState: 'failed' as const,
          error: { code: 'PARLO_NO_CONSENT', detail: 'the customer opted out' },
          ...(release ? { billing: release.billing } : {}),
        };
      }),
    };
  }
  const confirmation = reply.value.confirmation;
  if (confirmation === null || next.orgId === null || next.phoneNumberId === null)
    return releases.length > 0 ? { state: next, effects: releases } : { state: next };
  const confirmationId = `confirm_${msg.callId}`;
  if (findMessage(next, confirmationId))
    return releases.length > 0 ? { state: next, effects: releases } : { state: next };
  const queued = appended(next, {
    id: confirmationId,
    direction: 'out',
    atMs: ctx.nowMs,
    type: 'text',
    content: { type: 'text', text: { body: confirmation } },
    providerMessageId: null,
    category: 'service',
    sendState: 'queued',
    status: EMPTY_MESSAGE_STATUS,
    error: null,
    attempts: 0,
    by: { kind: 'system', id: 'consent' },
  });
  return { state: queued, effects: [...releases, slotRequest(queued, queued.log[queued.log.length - 1]!, ctx)] };
}

function requestSlotFor(state: ConversationState, messageId: string, ctx: ConversationContext): Turn {
  const found = findMessage(state, messageId);
  if (found?.message.sendState === 'checkingConsent') return { state, effects: [consentCheck(state, messageId)] };
  if (found?.message.sendState === 'reserving' && found.message.billing)
    return { state, effects: [reserveAsk(state, found.message, found.message.billing, ctx)] };
  if (found?.message.sendState === 'deferred' || found?.message.sendState === 'checkingTier') {
    const checking = updated(state, found.index, { ...found.message, sendState: 'checkingTier' });
    return { state: checking, effects: [tierCheck(checking, messageId)] };
  }
  if (found?.message.sendState === 'reconciling') {
    // No status came for the interrupted call: Meta never had the message. Send it again.
    const queued: LoggedMessage = { ...found.message, sendState: 'queued' };
    const next = updated(state, found.index, queued);
    return { state: next, effects: [slotRequest(next, queued, ctx)] };
  }
  if (!found || found.message.sendState !== 'queued') return { state };
  return { state, effects: [slotRequest(state, found.message, ctx)] };
}

function onSlotRequested(state: ConversationState, msg: Msg<'slotRequested'>, ctx: ConversationContext): Turn {
  const reply = msg.reply as { ok: true; value: { ok: boolean } } | { ok: false };
  if (reply.ok && reply.value.ok) return { state };
  // The number's queue is full (or the ask failed): try again shortly; the message stays queued.
  const found = findMessage(state, msg.callId);
  if (!found || found.message.sendState !== 'queued') return { state };
  return { state, effects: [retryLater(found.message, 1_000, ctx)] };
}

function onSlotGranted(
  state: ConversationState,
  messageId: string,
  ratePerSec: number | undefined,
  ctx: ConversationContext,
): Turn {
  const found = findMessage(state, messageId);
  if (!found || found.message.sendState !== 'queued') return { state };
  const { index, message } = found;
  // The window may have closed while the message waited: refuse it here rather than have Meta refuse it.
  if (isFreeForm(message) && !windowState(state.window, ctx.nowMs).canSendFreeForm) {
    return failed(state, index, message, windowClosedError(state, ctx.nowMs), ctx);
  }
  const to = state.customer.phone ?? state.customer.userId;
  if (to === null || state.phoneNumberId === null) {
    return failed(state, index, message, { code: 'PARLO_VALIDATION_FAILED', detail: 'no recipient' }, ctx);
  }
  // The window may also have changed the price (a utility template whose window closed while it waited, a plan
  // conversation that ended): the wallet hears of it first; the message asks for a new slot afterwards.
  const charge = walletStep(state, message, ctx);
  if (charge) return reserving(state, index, message, charge, ctx);
  const input: OutboundMessage = {
    accountId: state.phoneNumberId,
    to,
    messageKey: messageKeyOf(ctx.self.id, message.id),
    content: message.content as OutboundMessage['content'],
    // The adapter spaces the calls at the number's pace, so that commit latency cannot bunch them above it.
    ...(ratePerSec === undefined ? {} : { maxRatePerSec: ratePerSec }),
  };
  const sending = updated(state, index, {
    ...message,
    sendState: 'sending',
    attempts: message.attempts + 1,
    // What Meta prices by: the window facts when the call is made.
    ...(message.billing ? { billing: withSendFacts(message.billing, state, ctx.nowMs) } : {}),
  });
  return {
    state: sending,
    effects: [
      {
        type: 'callPort',
        port: WHATSAPP_PORT,
        operation: 'send',
        input,
        resultType: 'sendResult',
        callId: messageId,
        // A call cut off by a crash or stop is not repeated blindly: Meta may have the message (see `reconciling`).
        onReplay: 'interrupt',
      },
    ],
  };
}

function onSendResult(state: ConversationState, msg: Msg<'sendResult'>, ctx: ConversationContext): Turn {
  const found = findMessage(state, msg.callId);
  if (!found || found.message.sendState !== 'sending') return { state };
  const { index, message } = found;
  const result: SendOutcome | PortFailure = msg.result;
  if ('ok' in result && result.code === INTERRUPTED_CODE) return reconciling(state, index, message, ctx);
  if ('ok' in result) return transient(state, index, message, { code: result.code, detail: result.message }, ctx);
  switch (result.outcome) {
    case 'accepted': {
      const accepted: LoggedMessage = {
        ...message,
        sendState: 'accepted',
        providerMessageId: result.providerMessageId,
      };
      const next = updated(state, index, accepted);
      // A business message inside the customer-service window that opens a plan conversation answers the
      // customer: counted as theirs, never refused (a business-initiated one was counted with its reservation).
      const count =
        state.orgId !== null && opensPlanConversation(state.window, ctx.nowMs)
          ? [countOpened(state, ctx.nowMs, 'customer', ctx)]
          : undefined;
      return {
        state: { ...next, window: recordOutbound(next.window, { atMs: ctx.nowMs }) },
        ...(count ? { effects: count } : {}),
      };
    }
    case 'retry':
      return transient(state, index, message, { code: result.code, detail: result.detail }, ctx, result.afterMs);
    case 'slowDown': {
      const queued = updated(state, index, { ...message, sendState: 'queued' });
      if (result.code === THROUGHPUT_CODE) {
        const throttled: NumberMsg = {
          type: 'throttled',
          code: result.code,
          requester: ctx.self,
          messageId: message.id,
          priority: PRIORITY_OF[message.category ?? 'service'],
        };
        return {
          state: queued,
          effects: [{ type: 'tell', to: { kind: NUMBER_KIND, id: state.phoneNumberId! }, msg: throttled }],
        };
      }
      // The pair rate (this customer written to too often): the number backs this recipient off and grants the
      // message again when it may be written to.
      const pairThrottled: NumberMsg = {
        type: 'pairThrottled',
        code: result.code,
        requester: ctx.self,
        messageId: message.id,
        priority: PRIORITY_OF[message.category ?? 'service'],
        recipient: recipientOf(state),
      };
      return {
        state: queued,
        effects: [{ type: 'tell', to: { kind: NUMBER_KIND, id: state.phoneNumberId! }, msg: pairThrottled }],
      };
    }
    case 'windowClosed':
    case 'rejected':
      return failed(state, index, message, { code: result.code, detail: result.detail }, ctx);
    default:
      return unreachable(result);
  }
}

/**
 * The call was in flight when the node stopped: Meta may have accepted the message. Its status webhook carries our
 * message key and settles it (`onStatus`); if none comes within `reconcileAfterMs`, the message asks for a slot
 * again (`retrySend`), since Meta then never had it.
 */
function reconciling(state: ConversationState, index: number, message: LoggedMessage, ctx: ConversationContext): Turn {
  const waiting = updated(state, index, { ...message, sendState: 'reconciling' });
  const timer: Effect = {
    type: 'setTimer',
    name: `reconcile:${message.id}`,
    dueAtMs: ctx.nowMs + ctx.reconcileAfterMs,
    msg: { type: 'retrySend', messageId: message.id },
  };
  return { state: waiting, effects: [timer] };
}

function transient(
  state: ConversationState,
  index: number,
  message: LoggedMessage,
  error: SendError,
  ctx: ConversationContext,
  afterMs?: number,
): Turn {
  if (message.attempts >= MAX_SEND_ATTEMPTS) {
    return failed(
      state,
      index,
      message,
      { code: error.code, detail: `gave up after ${message.attempts} attempts: ${error.detail}` },
      ctx,
    );
  }
  const queued = updated(state, index, { ...message, sendState: 'queued', error });
  return { state: queued, effects: [retryLater(message, afterMs ?? backoffMs(message.attempts), ctx)] };
}

function onInbound(state: ConversationState, msg: Msg<'inbound'>, ctx: ConversationContext): Turn {
  const event = msg.event;
  if (findByProviderId(state, event.providerMessageId)) return { state };
  const customer = {
    phone: state.customer.phone ?? event.from ?? null,
    userId: state.customer.userId ?? event.fromUserId ?? null,
    profileName: event.profileName ?? state.customer.profileName,
  };
  const referral = event.referral
    ? {
        sourceType: stringOr(event.referral['source_type']) ?? 'unknown',
        sourceId: stringOr(event.referral['source_id']),
        ctwaClid: stringOr(event.referral['ctwa_clid']),
      }
    : null;
  const next = appended(
    {
      ...state,
      orgId: state.orgId ?? msg.orgId ?? null,
      phoneNumberId: state.phoneNumberId ?? event.accountId,
      customer,
      window: recordInbound(state.window, { atMs: event.timestampMs, referral }),
    },
    {
      id: event.providerMessageId,
      direction: 'in',
      atMs: event.timestampMs,
      type: event.messageType,
      content: event.content,
      providerMessageId: event.providerMessageId,
      category: null,
      sendState: null,
      status: null,
      error: null,
      attempts: 0,
      by: null,
      media: pendingMedia(event.messageType, event.content),
    },
  );
  const counted: NumberMsg = { type: 'inboundCounted', count: 1 };
  const effects: Effect[] = [{ type: 'tell', to: { kind: NUMBER_KIND, id: event.accountId }, msg: counted }];
  // A snoozed or resolved conversation is open again (inbox-controls.ts).
  const reopened = reopenedByCustomer(next, effects);
  // The customer opened a plan conversation (quota unit): the wallet counts it (never refused).
  if (next.orgId !== null && opensPlanConversation(state.window, event.timestampMs))
    effects.push(countOpened(next, event.timestampMs, 'customer', ctx));
  // Media is fetched from Meta and stored while Meta still keeps it (7 days).
  const fetchMedia = mediaFetchEffect(next.log[next.log.length - 1]!, event.accountId);
  if (fetchMedia) effects.push(fetchMedia);
  // The contact keeps identifiers and consent; it recognises STOP / START keywords (organisations' numbers only).
  if (next.orgId !== null) {
    const text = textOf(event);
    const observe: ContactMsg = {
      type: 'observeInbound',
      atMs: endOfMetaSecond(event.timestampMs),
      phoneNumberId: event.accountId,
      messageId: event.providerMessageId,
      ...(event.from === undefined ? {} : { phone: event.from }),
      ...(event.fromUserId === undefined ? {} : { userId: event.fromUserId }),
      ...(event.profileName === undefined ? {} : { profileName: event.profileName }),
      ...(text === undefined ? {} : { text }),
    };
    // A tell: the contact answers only when a keyword applies (`inboundObserved`, told back once it is recorded),
    // so an ordinary message costs the contact one turn in this same commit, with no reply to carry.
    effects.push({ type: 'tell', to: contactOf(next), msg: observe });
  }
  return { state: reopened, effects };
}

/** The words of a customer message a keyword can be in: a text body or a quick-reply button's text. */
function textOf(event: MessageReceived): string | undefined {
  const content = event.content as Record<string, unknown> | null | undefined;
  if (event.messageType === 'text' && typeof content?.['body'] === 'string') return content['body'];
  if (event.messageType === 'button' && typeof content?.['text'] === 'string') return content['text'];
  return undefined;
}

function stringOr(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function onStatus(state: ConversationState, msg: Msg<'status'>, ctx: ConversationContext): Turn {
  const event = msg.event;
  const ours = event.messageKey === undefined ? undefined : parseMessageKey(event.messageKey)?.messageId;
  const found = ours === undefined ? findByProviderId(state, event.providerMessageId) : findMessage(state, ours);
  if (!found || found.message.direction !== 'out')
    return { state: { ...state, unknownStatuses: state.unknownStatuses + 1 } };
  const { index, message } = found;
  const status = mergeStatus(message.status ?? EMPTY_MESSAGE_STATUS, event);
  // A status already merged (Meta's duplicates; statuses are delivered without a dedupe id) changes nothing.
  const settled = message.sendState === 'accepted' || message.sendState === 'failed';
  if (status === message.status && message.providerMessageId !== null && settled) {
    return { state };
  }
  // A status names the WhatsApp id even when the send's own answer was lost (timeout after Meta accepted).
  const reconciled: LoggedMessage = {
    ...message,
    status,
    providerMessageId: message.providerMessageId ?? event.providerMessageId,
    sendState: message.sendState === 'failed' || message.sendState === 'accepted' ? message.sendState : 'accepted',
  };
  // A marketing message that Meta failed after accepting it (a `failed` status) may be negative feedback.
  const becameFailed = status.current === 'failed' && (message.status ?? EMPTY_MESSAGE_STATUS).current !== 'failed';
  const feedback = becameFailed ? feedbackEffect(state, message, event.errors?.[0]?.code) : null;
  if (state.orgId === null || status === message.status) {
    return { state: updated(state, index, reconciled), ...(feedback ? { effects: [feedback] } : {}) };
  }
  const metered = meterStatus(state, message, reconciled, ctx);
  const effects: Effect[] = [];
  if (metered) effects.push(metered.effect);
  if (feedback) effects.push(feedback);
  return { state: updated(state, index, metered ? metered.message : reconciled), effects };
}

function onGet(state: ConversationState, msg: Msg<'getConversation'>, ctx: ConversationContext): Turn {
  const limit = Math.min(Math.max(msg.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
  const { before, direction } = msg;
  const older =
    before === undefined && direction === undefined
      ? state.log
      : state.log.filter(
          (m) => (before === undefined || m.seq < before) && (direction === undefined || m.direction === direction),
        );
  const page = older.slice(Math.max(0, older.length - limit)).reverse();
  const last = page[page.length - 1];
  const reply: ConversationReplies['getConversation'] = {
    ok: true,
    conversation: {
      id: ctx.self.id,
      orgId: state.orgId,
      phoneNumberId: state.phoneNumberId,
      customer: state.customer,
      window: windowState(state.window, ctx.nowMs),
      assignee: state.assignee,
      lock: state.lock,
      status: state.status,
      snoozedUntilMs: state.snoozedUntilMs,
      tags: state.tags,
      notes: state.notes,
      messages: page,
      nextBefore: older.length > limit && last ? last.seq : null,
    },
  };
  return { state, reply };
}

function onMediaFetched(state: ConversationState, msg: Msg<'mediaFetched'>, ctx: ConversationContext): Turn {
  const found = findMessage(state, msg.callId);
  if (!found) return { state };
  const message = applyMediaResult(found.message, msg.result);
  if (message === found.message) return { state };
  const retry = mediaRetryTimer(message, ctx.nowMs);
  return { state: updated(state, found.index, message), ...(retry ? { effects: [retry] } : {}) };
}

function onRetryMediaFetch(state: ConversationState, messageId: string): Turn {
  const found = findMessage(state, messageId);
  const fetch = found && state.phoneNumberId !== null ? mediaFetchEffect(found.message, state.phoneNumberId) : null;
  return fetch ? { state, effects: [fetch] } : { state };
}

function onErase(state: ConversationState, ctx: ConversationContext): Turn {
  const mediaRefs = state.log.flatMap((m) => (m.media?.state === 'stored' ? [m.media.ref] : []));
  const reply: ConversationReplies['eraseConversation'] = { ok: true, messages: state.log.length, mediaRefs };
  if (state.phoneNumberId === null) return { state: initialConversationState(), reply };
  const removed: ConversationIndexMsg = { type: 'summaryRemoved', conversationId: ctx.self.id };
  const forgotten: MessageSearchMsg = { type: 'forgetConversation', conversationId: ctx.self.id };
  return {
    state: initialConversationState(),
    effects: [
      { type: 'tell', to: conversationIndexAddress(state.phoneNumberId), msg: removed },
      { type: 'tell', to: messageSearchAddress(state.phoneNumberId), msg: forgotten },
    ],
    reply,
  };
}
