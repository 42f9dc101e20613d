/**
 * The WhatsApp Cloud API adapter passes the ChannelPort contract against the simulator over real HTTP: a fresh
 * simulator server (uWebSockets.js on a free port) and a fresh keep-alive client per test. The harness drives the
 * simulator in-process: customer messages through `injectInbound`, template approval through the template store,
 * and the accepted-send log is the simulator's `sent`.
 */
import { describe, expect, it } from 'vitest';
import { describeChannelContract, type ChannelContractSubject } from '../../core/ports/channel.contract.ts';
import type { OutboundMessage } from '../../core/ports/channel.port.ts';
import { createCloudApiClient } from './client.ts';
import { startSimulatorServer } from './simulator/server.ts';

const ACCESS_TOKEN = 'EAAGcontracttoken';

async function startSubject(): Promise<ChannelContractSubject> {
  const server = await startSimulatorServer();
  const { simulator } = server;
  // No callback URL: the contract is about synchronous outcomes, so no status webhooks are produced.
  const waba = simulator.registerWaba({ appSecret: 'contract-app-secret', accessToken: ACCESS_TOKEN });
  // 1,000 msg/s, so that the wire-pacing case (100/s) measures the adapter's spacing, not the simulator's 130429.
  const number = simulator.registerNumber({
    wabaId: waba.wabaId,
    displayPhoneNumber: '15550783881',
    throughputMps: 1000,
  });
  const client = createCloudApiClient({ baseUrl: server.url, accessToken: () => ACCESS_TOKEN });
  return {
    channel: client,
    accountId: number.phoneNumberId,
    harness: {
      async openServiceWindow(to) {
        return simulator.injectInbound(number.phoneNumberId, { type: 'text', from: to, body: 'Hi, a question' }).wamid;
      },
      async approveTemplate(name, language, bodyParamCount) {
        const placeholders = Array.from({ length: bodyParamCount }, (_, i) => ` {{${i + 1}}}`).join('');
        const created = simulator.templates.create(waba.wabaId, {
          name,
          language,
          category: 'UTILITY',
          components: [
            {
              type: 'BODY',
              text: `Update:${placeholders}`,
              ...(bodyParamCount === 0
                ? {}
                : { example: { body_text: [Array.from({ length: bodyParamCount }, (_, i) => `example ${i + 1}`)] } }),
            },
          ],
        });
        // The review timer would approve it later; the contract wants it approved now.
        const id = created.ok ? created.body.id : simulator.templates.findId(waba.wabaId, name, language);
        if (id === undefined || !simulator.templates.setStatus(id, 'APPROVED')) {
          throw new Error(`could not approve template ${name} (${language}): ${JSON.stringify(created)}`);
        }
      },
      async acceptedSends() {
        return simulator.sent
          .filter((record) => record.phoneNumberId === number.phoneNumberId)
          .map((record) => ({
            providerMessageId: record.wamid,
            to: record.to,
            ...(record.bizOpaqueCallbackData === undefined ? {} : { messageKey: record.bizOpaqueCallbackData }),
            acceptedAtMs: record.acceptedAtMs,
          }));
      },
    },
    async cleanup() {
      await client.close();
      await server.close();
    },
  };
}

describeChannelContract('whatsapp-cloud adapter against the simulator', startSubject, {
  templates: true,
  wirePacing: true,
});

/** The contract checks the kind of each refusal; here, that the adapter reports Meta's codes for them. */
describe('whatsapp-cloud adapter against the simulator: refusal codes are Meta’s (as the memory double’s)', () => {
  it('reports 132001, 132000 and 100 for unknown template, wrong parameter count and unknown account', async () => {
    const subject = await startSubject();
    try {
      const to = '16505559876';
      const inboundId = await subject.harness.openServiceWindow(to);
      await subject.harness.approveTemplate('order_update', 'en_US', 1);
      const template = (name: string, count: number): OutboundMessage => ({
        accountId: subject.accountId,
        to,
        messageKey: `k-${name}-${count}`,
        content: {
          type: 'template',
          template: {
            name,
            language: { code: 'en_US' },
            components: [
              { type: 'body', parameters: Array.from({ length: count }, () => ({ type: 'text', text: 'x' })) },
            ],
          },
        },
      });
      expect(await subject.channel.send(template('no_such_template', 1))).toMatchObject({
        outcome: 'rejected',
        code: 132001,
      });
      expect(await subject.channel.send(template('order_update', 2))).toMatchObject({
        outcome: 'rejected',
        code: 132000,
      });
      expect(
        await subject.channel.send({ ...template('order_update', 1), accountId: '100000000000999' }),
      ).toMatchObject({ outcome: 'rejected', code: 100 });
      expect(
        await subject.channel.markRead({ accountId: subject.accountId, providerMessageId: `${inboundId}x` }),
      ).toMatchObject({ outcome: 'rejected', code: 100 });
    } finally {
      await subject.cleanup();
    }
  });
});
