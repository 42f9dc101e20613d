import type { SimBusinessProfile } from './business-profile.ts';
import { createHash } from 'node:crypto';
import { pooledRandomBytes } from './random-pool.ts';
import type { Clock } from '../../../core/time/clock.ts';
import {
  graphError,
  graphErrorBody,
  asyncErrorObject,
  objectDoesNotExistError,
  type GraphError,
} from './send/graph-error.ts';
import { validateSendRequest, type TemplateInfo } from './send/validate-send.ts';
import { DAY_MS, RollingUniqueUsers, SlidingCounter, TokenBucket } from './limits.ts';
import {
  buildInboundMessageValue,
  buildStatusValue,
  buildAccountUpdateValue,
  buildPhoneNumberQualityValue,
  buildUserPreferencesValue,
  newWamid,
  type InboundMessageSpec,
} from './webhooks/payloads.ts';
import type { WebhookDispatcher } from './webhooks/dispatcher.ts';
import { SimulatorTemplates } from './templates.ts';
import { SimulatorMedia } from './media.ts';

/** A simulated HTTP answer: status, JSON (or text) body, headers; `hang` never answers (a timeout). */
export interface SimResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly delayMs?: number;
  readonly hang?: boolean;
}

export interface SimWaba {
  readonly wabaId: string;
  appSecret: string;
  accessToken: string;
  callbackUrl: string | undefined;
  /** Unique users per rolling 24 h for business-initiated messages; null = unlimited. */
  messagingLimit: number | null;
  readonly reached: RollingUniqueUsers;
}

export interface SimNumber {
  readonly phoneNumberId: string;
  readonly wabaId: string;
  readonly displayPhoneNumber: string;
  throughputMps: number;
  quality: 'GREEN' | 'YELLOW' | 'RED';
  readonly bucket: TokenBucket;
}

export interface SentRecord {
  readonly wamid: string;
  readonly phoneNumberId: string;
  readonly to: string;
  readonly messageType: string;
  readonly isTemplate: boolean;
  readonly category: string;
  readonly bizOpaqueCallbackData: string | undefined;
  readonly acceptedAtMs: number;
  /** The terminal outcome the simulator decided: 'delivered' / 'read' / 'sent' or `failed:<code>`. */
  outcome: string;
}

export interface SimulatorBehaviour {
  sentDelayMs: number;
  deliveredDelayMs: number;
  readDelayMs: number;
  deliveredProbability: number;
  readProbability: number;
  /** Probability that an otherwise deliverable message fails with 131026 (undeliverable). */
  undeliverableProbability: number;
  /** Meta has no dedicated code for "messaging limit reached"; configurable. */
  messagingLimitErrorCode: number;
  /** Marketing templates one user may receive per rolling 24 h before 131049; null = no cap. */
  marketingPerUserPerDay: number | null;
  /** Pair rate: burst and sustained rate of messages from one number to one user (131056 beyond). */
  pairRateBurst: number;
  pairRatePerSec: number;
  /** Graph API version whose webhook shapes are produced (conversation object omitted from v24). */
  webhookApiVersion: number;
}

export interface SimulatorFaults {
  /** Extra latency per request, uniformly in [min, max] ms. */
  latencyMs: { min: number; max: number } | null;
  /** Share of sends answered with a 5xx Graph error (code `serverErrorCode`). */
  serverErrorRate: number;
  serverErrorCode: number;
  /** Share of sends never answered (the client times out); nothing is sent. */
  timeoutRate: number;
  /** Share of sends accepted (logged, webhooks follow) but never answered: the lost-response case. */
  acceptThenTimeoutRate: number;
}

export const DEFAULT_BEHAVIOUR: SimulatorBehaviour = {
  sentDelayMs: 20,
  deliveredDelayMs: 100,
  readDelayMs: 500,
  deliveredProbability: 1,
  readProbability: 0.5,
  undeliverableProbability: 0,
  messagingLimitErrorCode: 131048,
  marketingPerUserPerDay: null,
  pairRateBurst: 45,
  pairRatePerSec: 1 / 6,
  webhookApiVersion: 23,
};

export const NO_FAULTS: SimulatorFaults = {
  latencyMs: null,
  serverErrorRate: 0,
  serverErrorCode: 131000,
  timeoutRate: 0,
  acceptThenTimeoutRate: 0,
};

const FREE_ENTRY_POINT_MS = 72 * 60 * 60 * 1000;

export interface SimulatorOptions {
  readonly clock: Clock;
  readonly webhooks: WebhookDispatcher;
  readonly random?: () => number;
  readonly behaviour?: Partial<SimulatorBehaviour>;
  /** Template review delay (PENDING → APPROVED/REJECTED). */
  readonly templateReviewDelayMs?: number;
}

/**
 * Meta's WhatsApp Cloud API as state and rules, independent of HTTP: the server maps requests to these methods.
 * Accounts, numbers and tokens are registered through the control API; sends are validated and limited as Meta
 * does, accepted ones are logged and followed by status webhooks.
 */
export class CloudApiSimulator {
  readonly wabas = new Map<string, SimWaba>();
  readonly numbers = new Map<string, SimNumber>();
  /** Business profiles by phone-number id (empty until set). */
  readonly businessProfiles = new Map<string, SimBusinessProfile>();
  readonly sent: SentRecord[] = [];
  readonly templates: SimulatorTemplates;
  readonly media: SimulatorMedia;
  behaviour: SimulatorBehaviour;
  faults: SimulatorFaults = { ...NO_FAULTS };
  private readonly clock: Clock;
  private readonly webhooks: WebhookDispatcher;
  private readonly random: () => number;
  /** `${phoneNumberId}:${waId}` → last inbound message time (customer-service window). */
  private readonly lastInboundAtMs = new Map<string, number>();
  /** `${phoneNumberId}:${waId}` → click-to-WhatsApp referral time (free entry point). */
  private readonly referralAtMs = new Map<string, number>();
  /** Inbound wamids per number, for mark-as-read checks. */
  private readonly inboundWamids = new Set<string>();
  private readonly pairBuckets = new Map<string, TokenBucket>();
  private readonly marketingStopped = new Set<string>();
  private readonly blocked = new Set<string>();
  private readonly reports = new Map<string, number>();
  private readonly marketingPerUser = new SlidingCounter(DAY_MS);
  private requestSeq = 0;
  /** `${phoneNumberId}:${waId}` → when the 72 h free entry point started (the business's reply to a referral). */
  private readonly freeEntryStartedAtMs = new Map<string, number>();
  private readonly pendingWakes = new Set<() => void>();
  private closed = false;

  constructor(options: SimulatorOptions) {
    this.clock = options.clock;
    this.webhooks = options.webhooks;
    this.random = options.random ?? Math.random;
    this.behaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
    this.templates = new SimulatorTemplates({
      clock: this.clock,
      reviewDelayMs: options.templateReviewDelayMs ?? 1_000,
      onStatusChange: (wabaId, change) => this.emit(wabaId, 'message_template_status_update', change),
    });
    this.media = new SimulatorMedia({ clock: this.clock });
  }

  // ------------------------------------------------------------------ control API

  registerWaba(input: {
    wabaId?: string;
    appSecret: string;
    accessToken: string;
    callbackUrl?: string;
    messagingLimit?: number | null;
  }): SimWaba {
    const wabaId = input.wabaId ?? numericId();
    const waba: SimWaba = {
      wabaId,
      appSecret: input.appSecret,
      accessToken: input.accessToken,
      callbackUrl: input.callbackUrl,
      messagingLimit: input.messagingLimit === undefined ? 250 : input.messagingLimit,
      reached: this.wabas.get(wabaId)?.reached ?? new RollingUniqueUsers(),
    };
    this.wabas.set(wabaId, waba);
    return waba;
  }

  registerNumber(input: {
    phoneNumberId?: string;
    wabaId: string;
    displayPhoneNumber: string;
    throughputMps?: number;
    quality?: SimNumber['quality'];
  }): SimNumber {
    if (!this.wabas.has(input.wabaId))
      throw new SimInputError(`unknown wabaId ${input.wabaId}: register the WABA first`);
    const mps = input.throughputMps ?? 80;
    const number: SimNumber = {
      phoneNumberId: input.phoneNumberId ?? numericId(),
      wabaId: input.wabaId,
      displayPhoneNumber: input.displayPhoneNumber,
      throughputMps: mps,
      quality: input.quality ?? 'GREEN',
      bucket: new TokenBucket(mps, mps, this.clock.now()),
    };
    this.numbers.set(number.phoneNumberId, number);
    return number;
  }

  /**
   * Injects a customer message: opens the service window, counts against throughput, sends the webhook. A media
   * message's file is kept by the simulator (its bytes, or a sample of its type) so that its id can be fetched
   * with `GET /{media-id}` and downloaded, as Meta's can; the webhook carries that id and the file's real SHA-256.
   */
  injectInbound(phoneNumberId: string, spec: InboundMessageSpec): { wamid: string; mediaId?: string } {
    const number = this.requireNumber(phoneNumberId);
    let mediaId: string | undefined;
    if ('mimeType' in spec) {
      const received = this.media.receive(phoneNumberId, {
        id: spec.mediaId,
        bytes: spec.data === undefined ? undefined : Buffer.from(spec.data, 'base64'),
        mimeType: spec.mimeType,
      });
      if (!received.ok) throw new SimInputError(`message.data: ${received.message}`);
      mediaId = received.id;
      spec = { ...spec, mediaId, sha256: spec.sha256 ?? received.sha256Base64 };
    }
    const nowMs = spec.timestampMs ?? this.clock.now();
    const wamid = spec.wamid ?? newWamid({ ...(spec.from ? { waId: spec.from } : {}), direction: 'inbound' });
    number.bucket.forceTake(this.clock.now());
    if (spec.from !== undefined && spec.type !== 'system') {
      this.lastInboundAtMs.set(`${phoneNumberId}:${spec.from}`, nowMs);
      if (spec.referral) {
        this.referralAtMs.set(`${phoneNumberId}:${spec.from}`, nowMs);
        this.freeEntryStartedAtMs.delete(`${phoneNumberId}:${spec.from}`);
      }
    }
    this.inboundWamids.add(wamid);
    const value = buildInboundMessageValue(spec, this.numberRef(number), wamid, nowMs);
    this.emit(number.wabaId, 'messages', value);
    return mediaId === undefined ? { wamid } : { wamid, mediaId };
  }

  /** The user stops (or resumes) marketing messages from the business that owns the number (131050 after stop). */
  setMarketingPreference(phoneNumberId: string, waId: string, value: 'stop' | 'resume'): void {
    const number = this.requireNumber(phoneNumberId);
    const key = `${number.wabaId}:${waId}`;
    if (value === 'stop') this.marketingStopped.add(key);
    else this.marketingStopped.delete(key);
    this.emit(
      number.wabaId,
      'user_preferences',
      buildUserPreferencesValue(this.numberRef(number), { waId, value, timestampMs: this.clock.now() }),
    );
  }

  blockUser(phoneNumberId: string, waId: string): void {
    this.requireNumber(phoneNumberId);
    this.blocked.add(`${phoneNumberId}:${waId}`);
  }

  unblockUser(phoneNumberId: string, waId: string): void {
    this.blocked.delete(`${phoneNumberId}:${waId}`);
  }

  reportSpam(phoneNumberId: string, waId: string): void {
    this.requireNumber(phoneNumberId);
    this.blocked.add(`${phoneNumberId}:${waId}`);
    this.reports.set(phoneNumberId, (this.reports.get(phoneNumberId) ?? 0) + 1);
  }

  setQuality(phoneNumberId: string, quality: SimNumber['quality']): void {
    const number = this.requireNumber(phoneNumberId);
    const previous = number.quality;
    number.quality = quality;
    const event = quality === 'RED' ? 'FLAGGED' : previous === 'RED' ? 'UNFLAGGED' : 'ONBOARDING';
    this.emit(
      number.wabaId,
      'phone_number_quality_update',
      buildPhoneNumberQualityValue({
        displayPhoneNumber: number.displayPhoneNumber,
        event,
        currentLimit: tierName(this.requireWaba(number.wabaId).messagingLimit),
      }),
    );
  }

  upgradeThroughput(phoneNumberId: string, mps: number): void {
    const number = this.requireNumber(phoneNumberId);
    number.throughputMps = mps;
    number.bucket.setRate(mps, mps, this.clock.now());
    this.emit(
      number.wabaId,
      'phone_number_quality_update',
      buildPhoneNumberQualityValue({
        displayPhoneNumber: number.displayPhoneNumber,
        event: 'THROUGHPUT_UPGRADE',
        currentLimit: tierName(this.requireWaba(number.wabaId).messagingLimit),
      }),
    );
  }

  /** An `account_update` webhook (e.g. ACCOUNT_VIOLATION, ACCOUNT_RESTRICTION, DISABLED_UPDATE) for the WABA. */
  emitAccountUpdate(wabaId: string, event: string, details: Readonly<Record<string, unknown>> = {}): void {
    this.requireWaba(wabaId);
    this.emit(wabaId, 'account_update', buildAccountUpdateValue(event, details));
  }

  stats(): { sent: number; reportsByNumber: Record<string, number>; webhooks: ReturnType<WebhookDispatcher['stats']> } {
    return {
      sent: this.sent.length,
      reportsByNumber: Object.fromEntries(this.reports),
      webhooks: this.webhooks.stats(),
    };
  }

  // ------------------------------------------------------------------ Graph API

  /** `POST /{version}/{phone-number-id}/messages`. */
  handleSend(version: string, phoneNumberId: string, authorization: string | undefined, body: unknown): SimResponse {
    const nowMs = this.clock.now();
    const headers = this.graphHeaders(version);
    const fault = this.pickFault();
    if (fault === 'timeout') return { status: 0, body: null, hang: true };
    const denied = this.authorize(phoneNumberId, authorization, 'post');
    if (denied) return this.errorResponse(denied, headers);
    const number = this.numbers.get(phoneNumberId)!;
    if (fault === 'serverError')
      return this.errorResponse(graphError(this.faults.serverErrorCode, 'Injected server error'), headers);

    const validated = validateSendRequest(body, {
      template: (name, language) => this.templates.info(number.wabaId, name, language),
      mediaExists: (mediaId) => this.media.exists(mediaId),
    });
    if (!validated.ok) return this.errorResponse(validated.error, headers);

    if (validated.kind === 'markRead') {
      if (!this.inboundWamids.has(validated.messageId)) {
        return this.errorResponse(
          graphError(
            100,
            `Message supplied to mark message as read API with message ID: ${validated.messageId} is outgoing or unknown. Please use an incoming message ID.`,
          ),
          headers,
        );
      }
      if (!number.bucket.tryTake(nowMs)) return this.errorResponse(graphError(130429, rateLimitDetails()), headers);
      return { status: 200, body: { success: true }, headers };
    }

    if (!number.bucket.tryTake(nowMs)) return this.errorResponse(graphError(130429, rateLimitDetails()), headers);
    const waId = normalizeWaId(validated.to);
    const pairKey = `${phoneNumberId}:${waId}`;
    let pair = this.pairBuckets.get(pairKey);
    if (!pair) {
      pair = new TokenBucket(this.behaviour.pairRatePerSec, this.behaviour.pairRateBurst, nowMs);
      this.pairBuckets.set(pairKey, pair);
    }
    if (!pair.tryTake(nowMs)) {
      return this.errorResponse(
        graphError(
          131056,
          'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time',
        ),
        headers,
      );
    }

    const wamid = newWamid({ waId, direction: 'outbound' });
    const category = validated.isTemplate ? (validated.templateCategory ?? 'MARKETING').toLowerCase() : 'service';
    const record: SentRecord = {
      wamid,
      phoneNumberId,
      to: waId,
      messageType: validated.messageType,
      isTemplate: validated.isTemplate,
      category,
      bizOpaqueCallbackData: validated.bizOpaqueCallbackData,
      acceptedAtMs: nowMs,
      outcome: 'pending',
    };
    this.sent.push(record);
    this.scheduleStatuses(number, record, validated.messageType);

    const response: SimResponse = {
      status: 200,
      headers,
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: validated.to, wa_id: waId }],
        messages: [validated.isTemplate ? { id: wamid, message_status: 'accepted' } : { id: wamid }],
      },
    };
    if (fault === 'acceptThenTimeout') return { ...response, hang: true };
    return this.withLatency(response);
  }

  // ------------------------------------------------------------------ statuses

  /** Decides the message's fate now (deterministically for the state at acceptance) and schedules its webhooks. */
  private scheduleStatuses(number: SimNumber, record: SentRecord, messageType: string): void {
    const nowMs = record.acceptedAtMs;
    const waba = this.requireWaba(number.wabaId);
    const windowOpen = this.isWindowOpen(number.phoneNumberId, record.to, nowMs);
    const freeEntry = this.isFreeEntryPoint(number.phoneNumberId, record.to, nowMs);
    const failure = this.failureFor(number, waba, record, windowOpen, nowMs);
    const webhooksWanted = waba.callbackUrl !== undefined;
    const base = { recipientId: record.to, bizOpaqueCallbackData: record.bizOpaqueCallbackData };
    const at = (delayMs: number): number => nowMs + delayMs;
    if (failure) {
      record.outcome = `failed:${failure.code}`;
      if (!webhooksWanted) return;
      this.later(at(this.behaviour.sentDelayMs), () =>
        this.emit(
          number.wabaId,
          'messages',
          buildStatusValue(
            this.numberRef(number),
            {
              ...base,
              wamid: record.wamid,
              status: 'failed',
              timestampMs: this.clock.now(),
              errors: [asyncErrorObject(failure.code, failure.details)],
            },
            this.behaviour.webhookApiVersion,
          ),
        ),
      );
      return;
    }
    if (!windowOpen && record.isTemplate) waba.reached.record(record.to, nowMs);
    if (record.category === 'marketing') this.marketingPerUser.record(`${number.wabaId}:${record.to}`, nowMs);
    const pricing = pricingFor(record.category, windowOpen, freeEntry);
    const conversation = freeEntry
      ? {
          id: createHash('sha1').update(`${number.phoneNumberId}:${record.to}`).digest('hex').slice(0, 32),
          originType: 'referral_conversion',
        }
      : undefined;
    const status = (name: 'sent' | 'delivered' | 'read', withPricing: boolean) => () =>
      this.emit(
        number.wabaId,
        'messages',
        buildStatusValue(
          this.numberRef(number),
          {
            ...base,
            wamid: record.wamid,
            status: name,
            timestampMs: this.clock.now(),
            ...(withPricing ? { pricing, ...(conversation ? { conversation } : {}) } : {}),
          },
          this.behaviour.webhookApiVersion,
        ),
      );
    // The outcome is decided now; timers for webhooks nobody receives are not scheduled.
    const schedule = (delayMs: number, run: () => void): void => {
      if (webhooksWanted) this.later(at(delayMs), run);
    };
    record.outcome = 'sent';
    schedule(this.behaviour.sentDelayMs, status('sent', true));
    if (messageType === 'reaction') return; // Meta sends only `sent` for reactions
    if (this.random() >= this.behaviour.deliveredProbability) return;
    record.outcome = 'delivered';
    schedule(this.behaviour.deliveredDelayMs, status('delivered', true));
    if (this.random() >= this.behaviour.readProbability) return;
    record.outcome = 'read';
    schedule(this.behaviour.readDelayMs, status('read', false));
  }

  private failureFor(
    number: SimNumber,
    waba: SimWaba,
    record: SentRecord,
    windowOpen: boolean,
    nowMs: number,
  ): { code: number; details: string } | undefined {
    if (this.blocked.has(`${number.phoneNumberId}:${record.to}`)) {
      return { code: 131026, details: 'Message Undeliverable.' };
    }
    if (!record.isTemplate && !windowOpen) {
      return {
        code: 131047,
        details:
          'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
      };
    }
    if (record.category === 'marketing' && this.marketingStopped.has(`${number.wabaId}:${record.to}`)) {
      return {
        code: 131050,
        details:
          'Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.',
      };
    }
    const cap = this.behaviour.marketingPerUserPerDay;
    if (
      record.category === 'marketing' &&
      cap !== null &&
      this.marketingPerUser.count(`${number.wabaId}:${record.to}`, nowMs) >= cap
    ) {
      return { code: 131049, details: 'This message was not delivered to maintain healthy ecosystem engagement.' };
    }
    if (record.isTemplate && !windowOpen && !waba.reached.allows(record.to, nowMs, waba.messagingLimit)) {
      return {
        code: this.behaviour.messagingLimitErrorCode,
        details: `Messaging limit of ${waba.messagingLimit} unique users in 24 hours reached.`,
      };
    }
    if (this.random() < this.behaviour.undeliverableProbability)
      return { code: 131026, details: 'Message Undeliverable.' };
    return undefined;
  }

  // ------------------------------------------------------------------ helpers

  isWindowOpen(phoneNumberId: string, waId: string, nowMs: number): boolean {
    const at = this.lastInboundAtMs.get(`${phoneNumberId}:${waId}`);
    return at !== undefined && nowMs - at < DAY_MS;
  }

  /**
   * Meta: a user who came through a click-to-WhatsApp ad and gets the business's reply within 24 h opens a 72 h
   * free entry point, starting at that reply (WHATSAPP.md §4.6).
   */
  private isFreeEntryPoint(phoneNumberId: string, waId: string, nowMs: number): boolean {
    const key = `${phoneNumberId}:${waId}`;
    let started = this.freeEntryStartedAtMs.get(key);
    if (started === undefined) {
      const referral = this.referralAtMs.get(key);
      if (referral === undefined || nowMs - referral >= DAY_MS) return false;
      started = nowMs;
      this.freeEntryStartedAtMs.set(key, started);
    }
    return nowMs - started < FREE_ENTRY_POINT_MS;
  }

  /** Cancels every pending status and review timer: nothing is emitted after the server closed. */
  close(): void {
    this.closed = true;
    for (const cancel of this.pendingWakes) cancel();
    this.pendingWakes.clear();
    this.templates.close();
  }

  /** Checks the bearer token against the WABA that owns the object; Meta's 190 / 100-33 errors otherwise. */
  authorize(
    objectId: string,
    authorization: string | undefined,
    verb: 'post' | 'get' | 'delete',
  ): GraphError | undefined {
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return oauthError('Invalid OAuth access token - Cannot parse access token');
    const number = this.numbers.get(objectId);
    const wabaId =
      number?.wabaId ??
      (this.wabas.has(objectId) ? objectId : this.media.ownerWaba(objectId, (n) => this.numbers.get(n)?.wabaId));
    const knownToken = [...this.wabas.values()].some((w) => w.accessToken === token);
    if (!knownToken) return oauthError('Invalid OAuth access token data.');
    if (!wabaId || this.wabas.get(wabaId)?.accessToken !== token) return objectDoesNotExistError(objectId, verb);
    return undefined;
  }

  errorResponse(error: GraphError, headers: Record<string, string>): SimResponse {
    return this.withLatency({ status: error.httpStatus, body: graphErrorBody(error, traceId()), headers });
  }

  graphHeaders(version: string): Record<string, string> {
    return {
      'facebook-api-version': /^v\d+\.\d+$/.test(version) ? version : 'v23.0',
      'x-fb-request-id': `sim-${(this.requestSeq++).toString(36)}`,
      'x-fb-trace-id': traceId(),
    };
  }

  private withLatency(response: SimResponse): SimResponse {
    const latency = this.faults.latencyMs;
    if (!latency) return response;
    return { ...response, delayMs: latency.min + this.random() * Math.max(0, latency.max - latency.min) };
  }

  private pickFault(): 'timeout' | 'serverError' | 'acceptThenTimeout' | undefined {
    const f = this.faults;
    if (f.timeoutRate === 0 && f.serverErrorRate === 0 && f.acceptThenTimeoutRate === 0) return undefined;
    const roll = this.random();
    if (roll < f.timeoutRate) return 'timeout';
    if (roll < f.timeoutRate + f.serverErrorRate) return 'serverError';
    if (roll < f.timeoutRate + f.serverErrorRate + f.acceptThenTimeoutRate) return 'acceptThenTimeout';
    return undefined;
  }

  private later(atMs: number, run: () => void): void {
    if (this.closed) return;
    const cancel = this.clock.wakeAt(atMs, () => {
      this.pendingWakes.delete(cancel);
      run();
    });
    this.pendingWakes.add(cancel);
  }

  private emit(wabaId: string, field: string, value: unknown): void {
    const waba = this.wabas.get(wabaId);
    if (!waba?.callbackUrl) return;
    this.webhooks.enqueue({ url: waba.callbackUrl, appSecret: waba.appSecret }, { wabaId, field, value });
  }

  private numberRef(number: SimNumber): { wabaId: string; phoneNumberId: string; displayPhoneNumber: string } {
    return {
      wabaId: number.wabaId,
      phoneNumberId: number.phoneNumberId,
      displayPhoneNumber: number.displayPhoneNumber,
    };
  }

  requireNumber(phoneNumberId: string): SimNumber {
    const number = this.numbers.get(phoneNumberId);
    if (!number) throw new SimInputError(`unknown phoneNumberId ${phoneNumberId}`);
    return number;
  }

  requireWaba(wabaId: string): SimWaba {
    const waba = this.wabas.get(wabaId);
    if (!waba) throw new SimInputError(`unknown wabaId ${wabaId}`);
    return waba;
  }
}

/** A control-API request that names something that does not exist or is malformed (answered with 400/404). */
export class SimInputError extends Error {
  readonly code = 'SIM_INVALID_INPUT';
}

export type { TemplateInfo };

/** Meta's 190: an OAuthException with no `error_data` (as recorded from the real API). */
function oauthError(message: string): GraphError {
  return { httpStatus: 401, code: 190, type: 'OAuthException', message };
}

function numericId(): string {
  return String(100_000_000_000_000 + Math.floor(Math.random() * 899_999_999_999_999));
}

function traceId(): string {
  return pooledRandomBytes(9).toString('base64url');
}

function rateLimitDetails(): string {
  return 'Message failed to send because there were too many messages sent from this phone number in a short period of time';
}

/** Meta normalises the recipient: digits only (BSUIDs pass through). */
export function normalizeWaId(to: string): string {
  return /^[A-Z]{2}\./.test(to) ? to : to.replace(/\D/g, '');
}

function tierName(limit: number | null): string {
  if (limit === null) return 'TIER_UNLIMITED';
  if (limit >= 100_000) return 'TIER_100K';
  if (limit >= 10_000) return 'TIER_10K';
  if (limit >= 2_000) return 'TIER_2K';
  return 'TIER_250';
}

/** Meta's per-message pricing (PMP) as reported in status webhooks. */
export function pricingFor(
  category: string,
  windowOpen: boolean,
  freeEntryPoint: boolean,
): { billable: boolean; category: string; type: 'regular' | 'free_customer_service' | 'free_entry_point' } {
  if (freeEntryPoint) return { billable: false, category: 'referral_conversion', type: 'free_entry_point' };
  if (category === 'service') return { billable: false, category: 'service', type: 'free_customer_service' };
  if (category === 'utility' && windowOpen)
    return { billable: false, category: 'utility', type: 'free_customer_service' };
  return { billable: true, category, type: 'regular' };
}
