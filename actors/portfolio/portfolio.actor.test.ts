import { describe, expect, it } from 'vitest';
import type { TurnContext, TurnResult } from '../../core/index.ts';
import {
  INITIAL_MESSAGING_LIMIT,
  portfolioActor,
  type PortfolioMsg,
  type PortfolioReplies,
  type PortfolioState,
} from './portfolio.actor.ts';

const T0 = 1_767_225_600_000;
const DAY = 24 * 3_600_000;
const ctx = (nowMs: number): TurnContext => ({
  self: { kind: 'portfolio', id: 'org1' },
  nowMs,
  msgId: undefined,
  newId: () => 'x',
});
const run = (state: PortfolioState, msg: PortfolioMsg, nowMs = T0): TurnResult<PortfolioState> =>
  portfolioActor.handle(state, msg, ctx(nowMs));
const admit = (state: PortfolioState, key: string, nowMs = T0) => {
  const result = run(state, { type: 'admit', customerKey: key }, nowMs);
  return { state: result.state, reply: result.reply as PortfolioReplies['admit'] };
};

describe('portfolio actor (messaging limit)', () => {
  it(`admits ${INITIAL_MESSAGING_LIMIT} unique customers in 24 h, then defers new ones until the oldest drops out`, () => {
    let state = portfolioActor.initialState('org1');
    for (let i = 0; i < INITIAL_MESSAGING_LIMIT; i++) {
      const result = admit(state, `p1555000${String(i).padStart(4, '0')}`, T0 + i);
      expect(result.reply).toMatchObject({ admitted: true, alreadyCounted: false });
      state = result.state;
    }
    const refused = admit(state, 'p15559999999', T0 + 1_000);
    expect(refused.reply).toEqual({ ok: true, admitted: false, nextFreeAtMs: T0 + DAY, limit: 250, count: 250 });
    // A customer already counted is admitted again, for free.
    expect(admit(refused.state, 'p15550000007', T0 + 2_000).reply).toMatchObject({
      admitted: true,
      alreadyCounted: true,
    });
    // The first customer drops out exactly 24 h after being counted.
    expect(admit(refused.state, 'p15559999999', T0 + DAY - 1).reply).toMatchObject({ admitted: false });
    expect(admit(refused.state, 'p15559999999', T0 + DAY).reply).toMatchObject({ admitted: true });
    expect(refused.state.deferredCount).toBe(1);
  });

  it('follows the limit Meta announces; unlimited counts nobody', () => {
    let state = run(portfolioActor.initialState('org1'), { type: 'setLimit', limit: 2 }).state;
    state = admit(state, 'pa').state;
    state = admit(state, 'pb').state;
    expect(admit(state, 'pc').reply).toMatchObject({ admitted: false, limit: 2 });
    const unlimited = run(state, { type: 'setLimit', limit: null }).state;
    expect(admit(unlimited, 'pc').reply).toMatchObject({ admitted: true });
    expect(run(unlimited, { type: 'getTier' }).reply).toEqual({ ok: true, limit: null, count: 0, deferredCount: 0 });
  });
});
