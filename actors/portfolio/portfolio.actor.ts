import { defineActor, unreachable, type TurnResult } from '../../core/index.ts';
import {
  countAt,
  createTierState,
  isCounted,
  nextFreeAtMs,
  prune,
  record,
  wouldExceed,
  type MessagingLimit,
  type TierState,
} from '../number/tier.ts';

/**
 * The business portfolio's messaging limit (WHATSAPP.md 4.3): unique customers reached by business-initiated
 * messages outside an open customer-service window in a moving 24 h, shared by every number of the portfolio.
 * Parlo takes an organisation as one portfolio (id = org id). A conversation asks `admit` before it queues such
 * a message; a customer already counted is admitted again for free, a new one only while the count is under the
 * limit — otherwise the message is deferred (`PARLO_TIER_LIMIT`) until `nextFreeAtMs`.
 *
 * The limit starts at Meta's first tier (250) and follows Meta's webhooks (`TIER_2K`, …, `TIER_UNLIMITED`). With an
 * unlimited tier nothing is counted. Cost: tier.ts (the per-customer index is copied per admission: ≈ 10–20 µs at
 * 100,000 customers, and the state, up to ~5 MB at that tier, is written once per drain).
 */
export const PORTFOLIO_KIND = 'portfolio';
export const INITIAL_MESSAGING_LIMIT = 250;

export interface PortfolioState {
  readonly limit: MessagingLimit;
  readonly tier: TierState;
  readonly deferredCount: number;
}

export type PortfolioMsg =
  | { readonly type: 'admit'; readonly customerKey: string }
  | { readonly type: 'setLimit'; readonly limit: MessagingLimit }
  | { readonly type: 'getTier' };

export interface PortfolioReplies {
  admit:
    | { ok: true; admitted: true; alreadyCounted: boolean }
    | { ok: true; admitted: false; nextFreeAtMs: number; limit: number; count: number };
  setLimit: { ok: true; limit: MessagingLimit };
  getTier: { ok: true; limit: MessagingLimit; count: number; deferredCount: number };
}

type Turn = TurnResult<PortfolioState>;

export const portfolioActor = defineActor<PortfolioState, PortfolioMsg>({
  kind: PORTFOLIO_KIND,
  stateVersion: 1,
  initialState: () => ({ limit: INITIAL_MESSAGING_LIMIT, tier: createTierState(), deferredCount: 0 }),
  handle(state, msg, ctx): Turn {
    const nowMs = ctx.nowMs;
    switch (msg.type) {
      case 'admit': {
        if (state.limit === null) {
          const reply: PortfolioReplies['admit'] = { ok: true, admitted: true, alreadyCounted: false };
          return { state, reply };
        }
        const tier = prune(state.tier, nowMs);
        if (isCounted(tier, msg.customerKey, nowMs)) {
          // Counted already: the newer message keeps them counted for 24 h from now.
          const reply: PortfolioReplies['admit'] = { ok: true, admitted: true, alreadyCounted: true };
          return { state: { ...state, tier: record(tier, msg.customerKey, nowMs) }, reply };
        }
        if (wouldExceed(tier, msg.customerKey, nowMs, state.limit)) {
          const reply: PortfolioReplies['admit'] = {
            ok: true,
            admitted: false,
            nextFreeAtMs: nextFreeAtMs(tier, nowMs, state.limit),
            limit: state.limit,
            count: countAt(tier, nowMs),
          };
          return { state: { ...state, tier, deferredCount: state.deferredCount + 1 }, reply };
        }
        const reply: PortfolioReplies['admit'] = { ok: true, admitted: true, alreadyCounted: false };
        return { state: { ...state, tier: record(tier, msg.customerKey, nowMs) }, reply };
      }
      case 'setLimit': {
        const reply: PortfolioReplies['setLimit'] = { ok: true, limit: msg.limit };
        // Unlimited: nothing needs counting any more (the index is dropped, not kept for nothing).
        const tier = msg.limit === null ? createTierState() : state.tier;
        return { state: { ...state, limit: msg.limit, tier }, reply };
      }
      case 'getTier': {
        const reply: PortfolioReplies['getTier'] = {
          ok: true,
          limit: state.limit,
          count: state.limit === null ? 0 : countAt(state.tier, nowMs),
          deferredCount: state.deferredCount,
        };
        return { state, reply };
      }
      default:
        return unreachable(msg);
    }
  },
});
