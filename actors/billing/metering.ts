import type { BillingFacts } from '../conversation/status-merge.ts';
import {
  categoryOfMetaPricing,
  priceMessage,
  type ConversationInitiator,
  type MessageCategory,
  type Price,
  type PriceRule,
  type RateCard,
} from './rate-card.ts';
import type { ChargeDetails, WalletMsg } from './wallet.messages.ts';

/**
 * Metering glue for the send path, pure (STYLE rule 3): what a delivered message costs given what Meta said on its
 * status webhooks (`billingFacts` of status-merge.ts), and the wallet messages the conversation actor sends.
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

/** `reserve`, before the Graph API call of a billable message; the reservation id is the message id. */
export function reserveMessage(messageId: string, price: Price, atMs: number): WalletMsg {
  return { type: 'reserve', reservationId: messageId, amountMicros: price.amountMicros, atMs };
}

/** `settle`, in the turn where the message's status first proves delivery. */
export function settleMessage(
  messageId: string,
  charge: DeliveryCharge,
  where: Pick<ChargeDetails, 'phoneNumberId' | 'conversationId' | 'country'> & { readonly campaignId?: string | null },
  deliveredAtMs: number,
): WalletMsg {
  return {
    type: 'settle',
    reservationId: messageId,
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
export function releaseMessage(messageId: string): WalletMsg {
  return { type: 'release', reservationId: messageId };
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
    conversationKey: conversationKeyOf(conversationId, windowStartedAtMs),
    openedBy,
    atMs: windowStartedAtMs,
    phoneNumberId,
    conversationId,
  };
}
