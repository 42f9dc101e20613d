import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config/index.ts';
import { silentLogger } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import type { InboundFeedView } from '../../actors/inbound-feed/inbound-feed.actor.ts';
import { startParlo, type RunningParlo } from './start.ts';
import { DEMO_PHONE_NUMBER_ID } from './whatsapp-edge.ts';

const temp = makeTempDir('parlo-embedded-wa-');
let node: RunningParlo;

beforeAll(async () => {
  const config = loadConfig({ env: {}, overrides: { dataDir: temp.path, http: { port: 0 }, realtime: { port: 0 } } });
  node = await startParlo(config, { logger: silentLogger() });
});

afterAll(async () => {
  await node?.stop();
  temp.remove();
});

async function feed(): Promise<InboundFeedView> {
  return node.system.ask<InboundFeedView>({ kind: 'inbound-feed', id: DEMO_PHONE_NUMBER_ID }, { type: 'getFeed' });
}

async function eventually(check: (state: InboundFeedView) => boolean, what: string): Promise<InboundFeedView> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const state = await feed();
    if (check(state)) return state;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; feed counts ${JSON.stringify(state.counts)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('embedded platform with the bundled Cloud API simulator', () => {
  it('records a customer message injected into the simulator, via the signed webhook, in the number’s inbound feed', async () => {
    expect(node.whatsapp.mode).toBe('simulator');
    const { wamid } = node.whatsapp.simulator!.simulator.injectInbound(DEMO_PHONE_NUMBER_ID, {
      type: 'text',
      from: '15551234567',
      profileName: 'Ada',
      body: 'Do you ship to Italy?',
    });
    const state = await eventually(
      (s) => s.recent.some((e) => e.type === 'messageReceived' && e.providerMessageId === wamid),
      'the inbound message',
    );
    const received = state.recent.find((e) => e.type === 'messageReceived' && e.providerMessageId === wamid);
    expect(received).toMatchObject({
      from: '15551234567',
      profileName: 'Ada',
      messageType: 'text',
      content: { body: 'Do you ship to Italy?' },
    });
  });

  it('sends a reply through the adapter port and records the simulator’s status webhooks once each', async () => {
    const outcome = await node.whatsapp.client.send({
      accountId: DEMO_PHONE_NUMBER_ID,
      to: '15551234567',
      messageKey: 'reply-1',
      content: { type: 'text', text: { body: 'Yes, in 3 days.' } },
    });
    expect(outcome.outcome).toBe('accepted');
    if (outcome.outcome !== 'accepted') return;
    const state = await eventually(
      (s) =>
        s.recent.some(
          (e) =>
            e.type === 'statusUpdated' && e.providerMessageId === outcome.providerMessageId && e.status === 'delivered',
        ),
      'the delivered status',
    );
    const statuses = state.recent.filter(
      (e) => e.type === 'statusUpdated' && e.providerMessageId === outcome.providerMessageId,
    );
    expect(statuses.filter((e) => e.type === 'statusUpdated' && e.status === 'sent')).toHaveLength(1);
    expect(statuses[0]).toMatchObject({ messageKey: 'reply-1' });
  });
});
