/**
 * An in-memory `WebhookSenderPort` double: it plays both the HTTP adapter and the customer's receiver. It builds
 * the body and the `Parlo-Signature` header exactly as the adapter does (docs/webhooks.md), records each POST as
 * the receiver would see it, and answers from a script: an HTTP status, or `down` (connection refused) and
 * `timeout`. It passes the port's contract suite (`core/ports/webhooks-out.contract.ts`, STYLE rule 6).
 *
 * Not modelled: the SSRF guard and DNS (the adapter's own tests cover them), real durations (always 1 ms).
 */
import { createHmac } from 'node:crypto';
import type { ReceivedWebhook } from '../ports/webhooks-out.contract.ts';
import type { WebhookDeliveryOutcome, WebhookDeliveryRequest, WebhookSenderPort } from '../ports/webhooks-out.port.ts';

export type ScriptedAnswer = number | 'down' | 'timeout';

export interface RecordedWebhook extends ReceivedWebhook {
  readonly request: WebhookDeliveryRequest;
  /** The sender's clock when it was sent. */
  readonly atMs: number;
}

export interface MemoryWebhookSenderOptions {
  /** Opens a sealed secret (a SecretBox's `open`), given the context `webhook:<org>:<endpoint>:<secret>`. */
  open(sealed: string, context: string): string;
  now(): number;
}

export class MemoryWebhookSender implements WebhookSenderPort {
  private readonly script: ScriptedAnswer[] = [];
  private fallback: ScriptedAnswer = 200;
  readonly sent: RecordedWebhook[] = [];
  /** Attempts that sent nothing (down, timeout, unreadable secret), with the sender's clock. */
  readonly unsent: { readonly request: WebhookDeliveryRequest; readonly atMs: number; readonly why: string }[] = [];

  constructor(private readonly options: MemoryWebhookSenderOptions) {}

  /** Every following attempt gets this answer (after any scripted ones). */
  respondWith(answer: ScriptedAnswer): void {
    this.fallback = answer;
  }

  /** The next attempts get these answers, in order; then the `respondWith` answer. */
  answerNext(...answers: ScriptedAnswer[]): void {
    this.script.push(...answers);
  }

  /** Every attempt, sent or not, in order, with its clock time. */
  attempts(): { readonly request: WebhookDeliveryRequest; readonly atMs: number }[] {
    return [...this.sent, ...this.unsent].sort((a, b) => a.atMs - b.atMs || a.request.attempt - b.request.attempt);
  }

  async deliver(request: WebhookDeliveryRequest): Promise<WebhookDeliveryOutcome> {
    const atMs = this.options.now();
    let secrets: string[];
    try {
      secrets = request.secrets.map((s) =>
        this.options.open(s.sealed, `webhook:${request.orgId}:${request.endpointId}:${s.secretId}`),
      );
    } catch (err) {
      this.unsent.push({ request, atMs, why: 'secret' });
      return failed('secret', `a signing secret cannot be opened: ${(err as Error).message}`, null);
    }
    const answer = this.script.shift() ?? this.fallback;
    if (answer === 'down') {
      this.unsent.push({ request, atMs, why: 'down' });
      return failed('network', 'ECONNREFUSED: connect ECONNREFUSED', null);
    }
    if (answer === 'timeout') {
      this.unsent.push({ request, atMs, why: 'timeout' });
      return failed('timeout', 'no complete answer within 10000 ms', null);
    }
    const body = JSON.stringify({
      id: request.event.id,
      type: request.event.type,
      created: new Date(request.event.occurredAtMs).toISOString(),
      orgId: request.event.orgId,
      data: request.event.data,
    });
    const t = Math.floor(atMs / 1000);
    const signature = [
      `t=${t}`,
      ...secrets.map((s) => `v1=${createHmac('sha256', s).update(`${t}.${body}`).digest('hex')}`),
    ].join(',');
    this.sent.push({
      request,
      atMs,
      path: new URL(request.url).pathname,
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Parlo-Webhooks/1.0',
        'parlo-signature': signature,
        'parlo-event-id': request.event.id,
        'parlo-event-type': request.event.type,
        'parlo-delivery-id': request.deliveryId,
        'parlo-delivery-attempt': String(request.attempt),
      },
    });
    if (answer >= 200 && answer < 300) return { outcome: 'delivered', status: answer, durationMs: 1 };
    return failed('http', `HTTP ${answer}`, answer);
  }
}

function failed(
  reason: 'http' | 'network' | 'timeout' | 'secret',
  detail: string,
  status: number | null,
): WebhookDeliveryOutcome {
  return { outcome: 'failed', reason, status, detail, durationMs: 1 };
}
