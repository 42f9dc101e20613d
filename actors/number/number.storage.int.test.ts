import { afterEach, describe, expect, it } from 'vitest';
import { defineActor } from '../../core/index.ts';
import { startRuntimeFixture, type RuntimeFixture } from '../../core/testing/runtime-fixture.ts';
import { numberActor } from './number.actor.ts';
import type { NumberMsg, NumberReplies, SendPriority, SlotGranted } from './number.messages.ts';

/** Receives every grant of the test's requests, in the order they were told. */
const recorder = defineActor<readonly string[], SlotGranted | { type: 'list' }>({
  kind: 'recorder',
  stateVersion: 1,
  initialState: () => [],
  handle: (state, msg) => (msg.type === 'list' ? { state, reply: state } : { state: [...state, msg.messageId] }),
});

const NUMBER = { kind: 'number', id: '1001' };
const RECORDER = { kind: 'recorder', id: 'r' };

function request(n: number, priority: SendPriority): Extract<NumberMsg, { type: 'requestSlot' }> {
  return { type: 'requestSlot', requester: RECORDER, messageId: `m${n}`, priority, recipient: `p1555000${n}` };
}

let fixture: RuntimeFixture | undefined;
afterEach(async () => {
  await fixture?.dispose();
  fixture = undefined;
});

async function settled(f: RuntimeFixture): Promise<void> {
  for (let i = 0; i < 3; i++) await f.system.whenIdle();
}

describe('number state on disk (split: head, pair shards, waiting requests)', () => {
  it('keeps the waiting requests, their order and the pair facts across a restart', async () => {
    const f = (fixture = await startRuntimeFixture({ definitions: [numberActor, recorder] }));
    for (let n = 1; n <= 6; n++) await f.system.tell(NUMBER, request(n, 'marketing'));
    for (let n = 7; n <= 8; n++) await f.system.tell(NUMBER, request(n, 'reply'));
    await settled(f);
    // 80 msg/s: one slot and a burst of one at once; the rest waits for the pacing timer.
    expect(await f.system.ask(RECORDER, { type: 'list' })).toEqual(['m1', 'm2']);
    // A 130429 for m2: it goes back to the front of its queue.
    await f.system.tell(NUMBER, { ...request(2, 'marketing'), type: 'throttled', code: 130429 });
    await settled(f);
    const before = await f.system.ask<NumberReplies['getNumberState']>(NUMBER, { type: 'getNumberState' });
    expect(before.state.queuedByPriority).toEqual({ reply: 2, authentication: 0, utility: 0, marketing: 5 });

    await f.restart();
    const after = await f.system.ask<NumberReplies['getNumberState']>(NUMBER, { type: 'getNumberState' });
    expect(after.state).toEqual(before.state);
    for (let i = 0; i < 20; i++) {
      await f.clock.advance(1_000);
      await settled(f);
    }
    expect(await f.system.ask(RECORDER, { type: 'list' })).toEqual([
      'm1',
      'm2',
      ...['m7', 'm8'], // replies first
      ...['m2', 'm3', 'm4', 'm5', 'm6'], // then marketing, the throttled request at the front
    ]);
    expect(f.store.readItemKeys('number', '1001')).toHaveLength(128); // the pair shards; no request waits
  });
});
