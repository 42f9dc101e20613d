import { describeWebhooksOutContract } from '../ports/webhooks-out.contract.ts';
import { SecretBox } from '../crypto/secret-box.ts';
import { MemoryWebhookSender } from './memory-webhook-sender.ts';

describeWebhooksOutContract('MemoryWebhookSender', async () => {
  const box = SecretBox.fromText(SecretBox.generateKeyText());
  const sender = new MemoryWebhookSender({ open: (sealed, context) => box.open(sealed, context), now: Date.now });
  return {
    sender,
    url: 'https://receiver.test/hooks',
    seal: (plaintext, orgId, endpointId, secretId) => box.seal(plaintext, `webhook:${orgId}:${endpointId}:${secretId}`),
    respondWith: (status) => sender.respondWith(status),
    received: async () => sender.sent,
    nowMs: Date.now,
    cleanup: async () => undefined,
  };
});
