import { recipientCountry } from '../contacts/phone-country.ts';
import type { BillingFacts } from '../conversation/status-merge.ts';
import {
  isFreeEntryPointOpen,
  isServiceWindowOpen,
  opensPlanConversation,
  type WindowFacts,
} from '../conversation/window.ts';
import {
  categoryOfMetaPricing,
  priceMessage,
  rateCardAt,
  type ConversationInitiator,
  type MessageCategory,
  type Price,
  type PriceRule,
  type RateCard,
} from './rate-card.ts';
import type { ChargeDetails, ConversationOpening, WalletMsg } from './wallet.messages.ts';

/**
 * Metering glue for the send path, pure (STYLE rule 3): what a send costs and whether it is business-initiated
 * (`chargeOfSend`, before the slot), what a delivered message costs given what Meta said on its status webhooks
 * (`deliveryCharge`, from `billingFacts` of status-merge.ts), and the wallet messages the conversation actor sends.
 * The conversation actor's header says when each is used.
 *
 * **Meta's word wins** where it has one: a status's `pricing.billable: false` makes the message free (rule from
 * `pricing.type`: `free_entry_point` → freeEntryPoint, `free_customer_service` → utilityInServiceWindow for a
 * utility template, serviceFree otherwise); a billable status is priced in Meta's category (`marketing_lite` as
 * marketing) at our card's rate for the recipient's country, ignoring our own window facts (Meta decided it is
 * not free). Without pricing on the statuses, the card's rules decide from the window facts at send time. The
 * amount may exceed the reservation (Meta classified a template differently): the wallet charges the excess
 * from the available credit.
 */
export interface DeliveryChargeInput {
  readonly facts: BillingFacts;
  /** The category the message was sent (and reserved) as. */
  readonly category: MessageCategory;
  readonly recipientCountry: string;
  /** Window facts when the message was sent. */
  readonly insideServiceWindow: boolean;
  readonly insideFreeEntryPoint: boolean;
  /** The card the reservation was priced with (`rateCardAt(cards, sentAtMs)`). */
  readonly rateCard: RateCard;
  readonly businessCountry?: string | null;
}

/** The price of a delivered message and the category it is booked under (Meta's, when a status names one). */
export type DeliveryCharge = Price & { readonly category: MessageCategory };

export function deliveryCharge(input: DeliveryChargeInput): DeliveryCharge {
  const meta = input.facts.pricing;
  const base = {
    recipientCountry: input.recipientCountry,
    rateCard: input.rateCard,
    businessCountry: input.businessCountry ?? null,
  };
  if (meta === null) {
    const priced = priceMessage({
      ...base,
      category: input.category,
      insideServiceWindow: input.insideServiceWindow,
      insideFreeEntryPoint: input.insideFreeEntryPoint,
    });
    return { ...priced, category: input.category };
  }
  const metaCategory = categoryOfMetaPricing(meta.category);
  const category = metaCategory ?? input.category;
  if (!meta.billable || meta.category === 'referral_conversion') {
    const rule: PriceRule =
      meta.type === 'free_entry_point' || meta.category === 'referral_conversion'
        ? 'freeEntryPoint'
        : category === 'utility'
          ? 'utilityInServiceWindow'
          : 'serviceFree';
    const priced = priceMessage({ ...base, category, insideServiceWindow: false, insideFreeEntryPoint: false });
    return { ...priced, billable: false, amountMicros: 0, rule, category };
  }
  const priced = priceMessage({ ...base, category, insideServiceWindow: false, insideFreeEntryPoint: false });
  return { ...priced, category };
}

/** The card in force at `atMs`, or the earliest one for an instant before every card (clock skew in tests). */
export function cardAt(cards: readonly [RateCard, ...RateCard[]], atMs: number): RateCard {
  return rateCardAt(cards, atMs) ?? cards.reduce((a, b) => (b.effectiveFromMs < a.effectiveFromMs ? b : a));
}

/** What the conversation actor knows of a send when it decides whether the wallet must hear of it. */
export interface SendFacts {
  /** The rate-card category: a free-form message is `service`. */
  readonly category: MessageCategory;
  /** A template (as opposed to a free-form message). */
  readonly isTemplate: boolean;
  readonly customer: { readonly phone: string | null; readonly userId: string | null };
  readonly window: WindowFacts;
  readonly nowMs: number;
  readonly rateCards: readonly [RateCard, ...RateCard[]];
}

/** A send as the wallet sees it at one instant. */
export interface SendCharge {
  /** The rate-card price (0 when free), with the rule that decided it. */
  readonly price: Price;
  readonly country: string;
  readonly insideServiceWindow: boolean;
  readonly insideFreeEntryPoint: boolean;
  /**
   * For a business-initiated message (a template while the customer-service window is closed): the start of the
   * plan conversation it opens (now) or joins (the one already started); null otherwise. A message inside the
   * customer-service window is the customer's conversation: it is counted when it opens one, never refused.
   */
  readonly planConversationStartMs: number | null;
}

/**
 * Prices a send at `nowMs` and says whether it is business-initiated (the plan quota applies). Pure, O(1): one
 * country lookup and one card lookup. The caller skips it for a free-form message under a card whose service is
 * free (`isFreeServiceSend`), so a free reply costs nothing here.
 */
export function chargeOfSend(facts: SendFacts): SendCharge {
  const insideServiceWindow = isServiceWindowOpen(facts.window, facts.nowMs);
  const insideFreeEntryPoint = isFreeEntryPointOpen(facts.window, facts.nowMs);
  const country = recipientCountry(facts.customer);
  const price = priceMessage({
    category: facts.category,
    recipientCountry: country,
    insideServiceWindow,
    insideFreeEntryPoint,
    rateCard: cardAt(facts.rateCards, facts.nowMs),
  });
  const isBusinessInitiated = facts.isTemplate && !insideServiceWindow;
  const planConversationStartMs = !isBusinessInitiated
    ? null
    : opensPlanConversation(facts.window, facts.nowMs)
      ? facts.nowMs
      : facts.window.planConversationStartedAtMs;
  return { price, country, insideServiceWindow, insideFreeEntryPoint, planConversationStartMs };
}

/** A free-form message under a card that makes service free: nothing to price, nothing for the wallet. */
export function isFreeServiceSend(
  isTemplate: boolean,
  rateCards: readonly [RateCard, ...RateCard[]],
  nowMs: number,
): boolean {
  return !isTemplate && cardAt(rateCards, nowMs).policy.serviceFree;
}

/**
 * `reserve`, before the Graph API call of a billable message or of a business-initiated one (which carries its
 * plan conversation, `conversation`); the reservation id is the message key (`<conversationId>/<messageId>`).
 */
export function reserveMessage(
  reservationId: string,
  amountMicros: number,
  atMs: number,
  conversation?: ConversationOpening,
): WalletMsg {
  return conversation === undefined
    ? { type: 'reserve', reservationId, amountMicros, atMs }
    : { type: 'reserve', reservationId, amountMicros, atMs, conversation };
}

/** The opening of a plan conversation, as `countConversation` and `reserve` carry it. */
export function conversationOpening(
  conversationId: string,
  phoneNumberId: string,
  windowStartedAtMs: number,
  openedBy: ConversationInitiator,
): ConversationOpening {
  return {
    conversationKey: conversationKeyOf(conversationId, windowStartedAtMs),
    openedBy,
    atMs: windowStartedAtMs,
    phoneNumberId,
    conversationId,
  };
}

/** `settle`, in the turn where the message's status first proves delivery (reservation id: the message key). */
export function settleMessage(
  reservationId: string,
  charge: DeliveryCharge,
  where: Pick<ChargeDetails, 'phoneNumberId' | 'conversationId' | 'country'> & { readonly campaignId?: string | null },
  deliveredAtMs: number,
): WalletMsg {
  return {
    type: 'settle',
    reservationId,
    amountMicros: charge.amountMicros,
    charge: {
      category: charge.category,
      country: where.country,
      phoneNumberId: where.phoneNumberId,
      conversationId: where.conversationId,
      campaignId: where.campaignId ?? null,
      rateCardVersion: charge.rateCardVersion,
      rule: charge.rule,
    },
    atMs: deliveredAtMs,
  };
}

/** `release`, when the send failed for good (nothing is charged). */
export function releaseMessage(reservationId: string): WalletMsg {
  return { type: 'release', reservationId };
}

/** The key that counts one plan conversation once: the conversation and the start of its 24 h window. */
export function conversationKeyOf(conversationId: string, windowStartedAtMs: number): string {
  return `${conversationId}@${windowStartedAtMs}`;
}

/** `countConversation`, when a message opens a new 24 h plan conversation (`opensPlanConversation`). */
export function countConversationMessage(
  conversationId: string,
  phoneNumberId: string,
  windowStartedAtMs: number,
  openedBy: ConversationInitiator,
): WalletMsg {
  return {
    type: 'countConversation',
    ...conversationOpening(conversationId, phoneNumberId, windowStartedAtMs, openedBy),
  };
}
