/**
 * The contract every `WebhookSenderPort` implementation passes: the HTTP adapter (`adapters/webhook-http/`) against
 * a real receiver on 127.0.0.1, and the in-memory double (`core/testing/memory-webhook-sender.ts`). STYLE rule 6.
 *
 * What it pins down (docs/webhooks.md):
 * - a 2xx answer is `delivered` with its status; the receiver got exactly one POST whose JSON body is
 *   `{ id, type, created, orgId, data }` and whose headers name the event id and type;
 * - the `Parlo-Signature` header is `t=<seconds>,v1=<hex>` with one `v1` per active secret, each the
 *   HMAC-SHA256 of `"<t>.<raw body>"` under one secret (checked here from the spec, not with the adapter's code);
 * - a non-2xx answer is `failed` with reason `http` and the status (410 included: what it means is the actor's
 *   business);
 * - a secret that cannot be opened is `failed` with reason `secret` and nothing is sent;
 * - nothing throws for a remote refusal (STYLE rule 4).
 */
import { createHmac } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookDeliveryRequest, WebhookSenderPort } from './webhooks-out.port.ts';

/** One POST as the receiver saw it. Header names are lowercase. */
export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WebhooksOutContractSubject {
  readonly sender: WebhookSenderPort;
  /** A URL the receiver answers at. */
  readonly url: string;
  /** Seals a plaintext secret the way the sender will open it for (orgId, endpointId, secretId). */
  seal(plaintext: string, orgId: string, endpointId: string, secretId: string): string;
  /** The receiver answers the next requests with this status (default 200). */
  respondWith(status: number): void;
  received(): Promise<ReceivedWebhook[]>;
  /** The sender's clock, in ms (the signature's `t`). */
  nowMs(): number;
  cleanup(): Promise<void>;
}

const SECRET_A = 'whsec_contract-secret-a-0123456789';
const SECRET_B = 'whsec_contract-secret-b-9876543210';

function request(subject: WebhooksOutContractSubject, secrets: readonly [string, string][]): WebhookDeliveryRequest {
  return {
    orgId: 'org-contract',
    endpointId: 'we_contract',
    deliveryId: 'dlv_0123456789abcdef',
    attempt: 1,
    url: subject.url,
    secrets: secrets.map(([secretId, plaintext]) => ({
      secretId,
      sealed: subject.seal(plaintext, 'org-contract', 'we_contract', secretId),
    })),
    event: {
      id: 'evt_contract_1',
      type: 'message.received',
      orgId: 'org-contract',
      occurredAtMs: Date.UTC(2026, 0, 1, 12, 0, 0),
      data: { phoneNumberId: '100000000000002', messageId: 'wamid.1', text: 'Grüße ✓' },
    },
  };
}

function hmac(secret: string, t: string, body: string): string {
  return createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
}

export function describeWebhooksOutContract(name: string, make: () => Promise<WebhooksOutContractSubject>): void {
  describe(`${name} (webhooks-out contract)`, () => {
    let subject: WebhooksOutContractSubject;
    beforeEach(async () => {
      subject = await make();
    });
    afterEach(async () => {
      await subject.cleanup();
    });

    it('delivers on 2xx: one signed POST with the event as its JSON body', async () => {
      subject.respondWith(204);
      const outcome = await subject.sender.deliver(request(subject, [['ws_a', SECRET_A]]));
      expect(outcome).toMatchObject({ outcome: 'delivered', status: 204 });
      expect(outcome.durationMs).toBeGreaterThanOrEqual(0);
      const received = await subject.received();
      expect(received).toHaveLength(1);
      const [got] = received as [ReceivedWebhook];
      expect(JSON.parse(got.body)).toEqual({
        id: 'evt_contract_1',
        type: 'message.received',
        created: '2026-01-01T12:00:00.000Z',
        orgId: 'org-contract',
        data: { phoneNumberId: '100000000000002', messageId: 'wamid.1', text: 'Grüße ✓' },
      });
      expect(got.headers['content-type']).toMatch(/^application\/json/);
      expect(got.headers['parlo-event-id']).toBe('evt_contract_1');
      expect(got.headers['parlo-event-type']).toBe('message.received');
      expect(got.headers['parlo-delivery-id']).toBe('dlv_0123456789abcdef');
      const signature = got.headers['parlo-signature'] ?? '';
      const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature);
      expect(match, signature).not.toBeNull();
      const [, t = '', v1] = match ?? [];
      expect(Math.abs(Number(t) - Math.floor(subject.nowMs() / 1000))).toBeLessThanOrEqual(1);
      expect(v1).toBe(hmac(SECRET_A, t, got.body));
    });

    it('signs with every active secret during a rotation, newest first', async () => {
      const outcome = await subject.sender.deliver(
        request(subject, [
          ['ws_b', SECRET_B],
          ['ws_a', SECRET_A],
        ]),
      );
      expect(outcome.outcome).toBe('delivered');
      const [got] = (await subject.received()) as [ReceivedWebhook];
      const parts = (got.headers['parlo-signature'] ?? '').split(',');
      const t = parts[0]?.replace('t=', '') ?? '';
      expect(parts.slice(1)).toEqual([`v1=${hmac(SECRET_B, t, got.body)}`, `v1=${hmac(SECRET_A, t, got.body)}`]);
    });

    it.each([500, 503, 404, 410, 301])('reports HTTP %i as a failed attempt with the status', async (status) => {
      subject.respondWith(status);
      const outcome = await subject.sender.deliver(request(subject, [['ws_a', SECRET_A]]));
      expect(outcome).toMatchObject({ outcome: 'failed', reason: 'http', status });
      expect(await subject.received()).toHaveLength(1);
    });

    it('sends nothing when a secret cannot be opened', async () => {
      const req = request(subject, [['ws_a', SECRET_A]]);
      const tampered = { ...req, secrets: [{ secretId: 'ws_other', sealed: req.secrets[0]?.sealed ?? '' }] };
      const outcome = await subject.sender.deliver(tampered);
      expect(outcome).toMatchObject({ outcome: 'failed', reason: 'secret', status: null });
      expect(await subject.received()).toEqual([]);
    });
  });
}
