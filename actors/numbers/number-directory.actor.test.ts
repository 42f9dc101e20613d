import { describe, expect, it } from 'vitest';
import type { TurnContext } from '../../core/index.ts';
import { numberDirectoryActor, type NumberDirectoryMsg, type NumberDirectoryState } from './number-directory.actor.ts';

const ctx: TurnContext = {
  self: { kind: 'number-directory', id: '1001' },
  nowMs: 5,
  msgId: undefined,
  newId: () => 'x',
};
const run = (state: NumberDirectoryState, msg: NumberDirectoryMsg) => numberDirectoryActor.handle(state, msg, ctx);

describe('number-directory actor', () => {
  it('gives a number to one organisation at a time', () => {
    const empty = numberDirectoryActor.initialState('1001');
    const claimed = run(empty, { type: 'claim', orgId: 'org-a', wabaId: 'w1' });
    expect(claimed.reply).toEqual({ ok: true, alreadyOurs: false });
    expect(claimed.state).toEqual({ orgId: 'org-a', wabaId: 'w1', claimedAtMs: 5 });
    expect(run(claimed.state, { type: 'claim', orgId: 'org-a', wabaId: 'w1' }).reply).toEqual({
      ok: true,
      alreadyOurs: true,
    });
    const taken = run(claimed.state, { type: 'claim', orgId: 'org-b', wabaId: 'w9' });
    expect(taken.reply).toMatchObject({ ok: false, code: 'PARLO_NUMBER_TAKEN' });
    expect(taken.state).toBe(claimed.state);
    expect(run(claimed.state, { type: 'lookup' }).reply).toEqual({ ok: true, orgId: 'org-a', wabaId: 'w1' });
  });

  it('is released only by its organisation', () => {
    const claimed = run(numberDirectoryActor.initialState('1001'), { type: 'claim', orgId: 'org-a', wabaId: 'w1' });
    const stale = run(claimed.state, { type: 'release', orgId: 'org-b' });
    expect(stale.reply).toEqual({ ok: true, released: false });
    expect(stale.state).toBe(claimed.state);
    const released = run(claimed.state, { type: 'release', orgId: 'org-a' });
    expect(released.reply).toEqual({ ok: true, released: true });
    expect(run(released.state, { type: 'claim', orgId: 'org-b', wabaId: 'w9' }).reply).toEqual({
      ok: true,
      alreadyOurs: false,
    });
  });
});
