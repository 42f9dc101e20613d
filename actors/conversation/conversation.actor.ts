import {
  defineActor,
  refusal,
  unreachable,
  type Effect,
  type MessageReceived,
  type OutboundMessage,
  type SendOutcome,
  type TurnContext,
  type TurnResult,
} from '../../core/index.ts';
import { customerKeyOf } from '../contacts/customer-key.ts';
import { contactAddress, type ContactMsg, type ContactReply } from '../contacts/contact.messages.ts';
import { NUMBER_KIND, type NumberMsg, type SendPriority } from '../number/number.messages.ts';
import { PORTFOLIO_KIND, type PortfolioMsg, type PortfolioReplies } from '../portfolio/portfolio.actor.ts';
import {
  CONVERSATION_KIND,
  MAX_SEND_ATTEMPTS,
  MESSAGES_KEPT,
  messageKeyOf,
  parseMessageKey,
  type ConversationMsg,
  type ConversationReplies,
  type LoggedMessage,
  type MessageCategory,
  type PortFailure,
  type SendError,
} from './conversation.messages.ts';
import {
  findByProviderId,
  findMessage,
  initialConversationState,
  type ConversationState,
} from './conversation.state.ts';
import { EMPTY_MESSAGE_STATUS, mergeStatus } from './status-merge.ts';
import { CONVERSATION_STATE_VERSION, conversationSplit, upgradeConversation } from './conversation.storage.ts';
import { applyMediaResult, mediaFetchEffect, mediaRetryTimer, pendingMedia } from './media.ts';
import { endOfMetaSecond } from './meta-time.ts';
import { isServiceWindowOpen, recordInbound, recordOutbound, windowState } from './window.ts';

type Turn = TurnResult<ConversationState>;
type Msg<T extends ConversationMsg['type']> = Extract<ConversationMsg, { type: T }>;

/** The WhatsApp channel port (adapters/whatsapp-cloud), wired by the composition root. */
export const WHATSAPP_PORT = 'whatsapp-cloud';
/** Meta's throughput refusal: the number slows down for everyone. Other slow-downs (pair rate) wait here. */
const THROUGHPUT_CODE = 130429;
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

const PRIORITY_OF: Readonly<Record<MessageCategory, SendPriority>> = {
  service: 'reply',
  authentication: 'authentication',
  utility: 'utility',
  marketing: 'marketing',
};

/**
 * One customer on one business number. A send is checked (free-form only inside the customer-service window),
 * logged as `queued`, and waits for a slot from the number actor; when the slot comes the window is checked again
 * and the Graph API call is made through the channel port. Outcomes: accepted (WhatsApp's id kept), transient
 * (retried with backoff, then failed), throughput (handed back to the number), refused (failed with Meta's code).
 * Statuses from webhooks merge into the message whatever their order or repetition; a status that carries our
 * message key also reconciles a send whose response was lost.
 */
export const conversationActor = defineActor<ConversationState, ConversationMsg, LoggedMessage>({
  kind: CONVERSATION_KIND,
  stateVersion: CONVERSATION_STATE_VERSION,
  initialState: () => initialConversationState(),
  split: conversationSplit,
  upgrade: upgradeConversation,
  handle(state, msg, ctx) {
    switch (msg.type) {
      case 'send':
        return onSend(state, msg, ctx);
      case 'slotGranted':
        return onSlotGranted(state, msg.messageId, ctx);
      case 'slotRequested':
        return onSlotRequested(state, msg, ctx);
      case 'sendResult':
        return onSendResult(state, msg, ctx);
      case 'retrySend':
        return requestSlotFor(state, msg.messageId, ctx);
      case 'consentChecked':
        return onConsentChecked(state, msg, ctx);
      case 'inboundObserved':
        return onInboundObserved(state, msg, ctx);
      case 'tierChecked':
        return onTierChecked(state, msg, ctx);
      case 'inbound':
        return onInbound(state, msg);
      case 'status':
        return onStatus(state, msg);
      case 'mediaFetched':
        return onMediaFetched(state, msg, ctx);
      case 'retryMediaFetch':
        return onRetryMediaFetch(state, msg.messageId);
      case 'getConversation':
        return onGet(state, msg, ctx);
      default:
        return unreachable(msg);
    }
  },
});

// ---------------------------------------------------------------- helpers

function updated(state: ConversationState, index: number, message: LoggedMessage): ConversationState {
  const log = state.log.slice();
  log[index] = message;
  return { ...state, log };
}

/** Appends to the log, dropping the oldest beyond MESSAGES_KEPT. */
function appended(state: ConversationState, message: Omit<LoggedMessage, 'seq'>): ConversationState {
  const full: LoggedMessage = { ...message, seq: state.nextSeq };
  let log = [...state.log, full];
  if (log.length > MESSAGES_KEPT) log = log.slice(log.length - MESSAGES_KEPT);
  return { ...state, log, nextSeq: state.nextSeq + 1 };
}

function isFreeForm(message: { readonly type: string }): boolean {
  return message.type !== 'template';
}

function failed(state: ConversationState, index: number, message: LoggedMessage, error: SendError): Turn {
  return { state: updated(state, index, { ...message, sendState: 'failed', error }) };
}

function windowClosedError(state: ConversationState, nowMs: number): SendError {
  const window = windowState(state.window, nowMs);
  const detail =
    window.reason === 'noInboundMessage'
      ? 'the customer has never written to this number: only a template may be sent'
      : `the customer-service window closed at ${new Date(window.service.expiresAtMs ?? 0).toISOString()}: only a template may be sent`;
  return { code: 'PARLO_WINDOW_CLOSED', detail };
}

/** Asks the number for a slot; its refusal (queue full) comes back as `slotRequested`. */
function slotRequest(state: ConversationState, message: LoggedMessage, ctx: TurnContext): Effect {
  const msg: NumberMsg = {
    type: 'requestSlot',
    requester: ctx.self,
    messageId: message.id,
    priority: PRIORITY_OF[message.category ?? 'service'],
  };
  return {
    type: 'ask',
    to: { kind: NUMBER_KIND, id: state.phoneNumberId! },
    msg,
    replyType: 'slotRequested',
    callId: message.id,
  };
}

function retryLater(message: LoggedMessage, delayMs: number, ctx: TurnContext): Effect {
  return {
    type: 'setTimer',
    name: `retry:${message.id}`,
    dueAtMs: ctx.nowMs + delayMs,
    msg: { type: 'retrySend', messageId: message.id },
  };
}

/** 1 s, 2 s, 4 s, … (at most 60 s) after the n-th failed attempt. */
function backoffMs(attempts: number): number {
  return Math.min(60_000, 1_000 * 2 ** Math.max(0, attempts - 1));
}

// ---------------------------------------------------------------- handlers

function onSend(state: ConversationState, msg: Msg<'send'>, ctx: TurnContext): Turn {
  const known = findMessage(state, msg.messageId);
  if (known) {
    const reply: ConversationReplies['send'] = {
      ok: true,
      messageId: msg.messageId,
      conversationId: ctx.self.id,
      sendState: known.message.sendState ?? 'queued',
    };
    return { state, reply };
  }
  if (isFreeForm(msg.content) && !windowState(state.window, ctx.nowMs).canSendFreeForm) {
    const error = windowClosedError(state, ctx.nowMs);
    return { state, reply: refusal('PARLO_WINDOW_CLOSED', error.detail) };
  }
  const customer = {
    phone: state.customer.phone ?? msg.customer.phone ?? null,
    userId: state.customer.userId ?? msg.customer.userId ?? null,
    profileName: state.customer.profileName,
  };
  const next = appended(
    { ...state, orgId: state.orgId ?? msg.orgId, phoneNumberId: state.phoneNumberId ?? msg.phoneNumberId, customer },
    {
      id: msg.messageId,
      direction: 'out',
      atMs: ctx.nowMs,
      type: msg.content.type,
      content: msg.content,
      providerMessageId: null,
      category: isFreeForm(msg.content) ? 'service' : msg.category,
      sendState: 'queued',
      status: EMPTY_MESSAGE_STATUS,
      error: null,
      attempts: 0,
      by: msg.by,
    },
  );
  const logged = next.log[next.log.length - 1]!;
  if (logged.category === 'marketing') {
    // Marketing needs the contact's opt-in: ask first, queue for a slot only when it is given.
    const checking = updated(next, next.log.length - 1, { ...logged, sendState: 'checkingConsent' });
    const reply: ConversationReplies['send'] = {
      ok: true,
      messageId: msg.messageId,
      conversationId: ctx.self.id,
      sendState: 'checkingConsent',
    };
    return { state: checking, effects: [consentCheck(checking, logged.id)], reply };
  }
  const proceeding = proceed(next, next.log.length - 1, logged, ctx);
  const reply: ConversationReplies['send'] = {
    ok: true,
    messageId: msg.messageId,
    conversationId: ctx.self.id,
    sendState: proceeding.state.log[next.log.length - 1]!.sendState ?? 'queued',
  };
  return { ...proceeding, reply };
}

/**
 * The step after consent: a business-initiated message outside the customer-service window first needs the
 * portfolio's messaging limit (`checkingTier`); everything else asks the number for a slot.
 */
function proceed(state: ConversationState, index: number, message: LoggedMessage, ctx: TurnContext): Turn {
  if (needsTier(state, message, ctx.nowMs)) {
    const checking = updated(state, index, { ...message, sendState: 'checkingTier' });
    return { state: checking, effects: [tierCheck(checking, message.id)] };
  }
  const queued: LoggedMessage = { ...message, sendState: 'queued' };
  const next = updated(state, index, queued);
  return { state: next, effects: [slotRequest(next, queued, ctx)] };
}

function needsTier(state: ConversationState, message: LoggedMessage, nowMs: number): boolean {
  return !isFreeForm(message) && state.orgId !== null && !isServiceWindowOpen(state.window, nowMs);
}

function tierCheck(state: ConversationState, messageId: string): Effect {
  const msg: PortfolioMsg = {
    type: 'admit',
    customerKey: customerKeyOf({ phone: state.customer.phone, userId: state.customer.userId }),
  };
  return {
    type: 'ask',
    to: { kind: PORTFOLIO_KIND, id: state.orgId! },
    msg,
    replyType: 'tierChecked',
    callId: messageId,
  };
}

function onTierChecked(state: ConversationState, msg: Msg<'tierChecked'>, ctx: TurnContext): Turn {
  const found = findMessage(state, msg.callId);
  if (!found || found.message.sendState !== 'checkingTier') return { state };
  const { index, message } = found;
  const reply = msg.reply as
    { ok: true; value: PortfolioReplies['admit'] } | { ok: false; code: string; message: string };
  if (!reply.ok) {
    // The portfolio did not answer: ask again shortly (never send uncounted).
    const waiting = updated(state, index, {
      ...message,
      sendState: 'deferred',
      error: { code: reply.code, detail: reply.message },
    });
    return { state: waiting, effects: [retryAt(message, ctx.nowMs + 1_000)] };
  }
  const answer = reply.value;
  if (!answer.admitted) {
    const deferred = updated(state, index, {
      ...message,
      sendState: 'deferred',
      error: {
        code: 'PARLO_TIER_LIMIT',
        detail: `the portfolio reached its messaging limit (${answer.count} of ${answer.limit} customers in 24 h); waiting until ${new Date(answer.nextFreeAtMs).toISOString()}`,
      },
    });
    return { state: deferred, effects: [retryAt(message, answer.nextFreeAtMs)] };
  }
  const queued: LoggedMessage = { ...message, sendState: 'queued', error: null };
  const next = updated(state, index, queued);
  return { state: next, effects: [slotRequest(next, queued, ctx)] };
}

function retryAt(message: LoggedMessage, dueAtMs: number): Effect {
  return { type: 'setTimer', name: `tier:${message.id}`, dueAtMs, msg: { type: 'retrySend', messageId: message.id } };
}

function contactOf(state: ConversationState) {
  return contactAddress(state.orgId!, customerKeyOf({ phone: state.customer.phone, userId: state.customer.userId }));
}

function consentCheck(state: ConversationState, messageId: string): Effect {
  const msg: ContactMsg = { type: 'checkConsent', scope: 'marketing' };
  return { type: 'ask', to: contactOf(state), msg, replyType: 'consentChecked', callId: messageId };
}

function onConsentChecked(state: ConversationState, msg: Msg<'consentChecked'>, ctx: TurnContext): Turn {
  const found = findMessage(state, msg.callId);
  if (!found || found.message.sendState !== 'checkingConsent') return { state };
  const { index, message } = found;
  const reply = msg.reply as
    { ok: true; value: ContactReply<'checkConsent'> } | { ok: false; code: string; message: string };
  if (!reply.ok) {
    // The contact did not answer (timeout, failure): ask again later rather than send without consent.
    if (message.attempts >= MAX_SEND_ATTEMPTS) {
      return failed(state, index, message, {
        code: reply.code,
        detail: `consent could not be checked: ${reply.message}`,
      });
    }
    const waiting = updated(state, index, { ...message, attempts: message.attempts + 1 });
    return {
      state: waiting,
      effects: [
        {
          type: 'setTimer',
          name: `consent:${message.id}`,
          dueAtMs: ctx.nowMs + backoffMs(message.attempts + 1),
          msg: { type: 'retrySend', messageId: message.id },
        },
      ],
    };
  }
  if (!reply.value.allowed) {
    return failed(state, index, message, {
      code: 'PARLO_NO_CONSENT',
      detail: `the contact has no marketing opt-in (status ${reply.value.status})`,
    });
  }
  return proceed(state, index, { ...message, attempts: 0 }, ctx);
}

/**
 * The contact saw the customer's message. A consent keyword is confirmed to the customer (a service reply: the
 * window was just opened by that very message); an opt-out also fails this conversation's marketing messages that
 * have not left yet.
 */
function onInboundObserved(state: ConversationState, msg: Msg<'inboundObserved'>, ctx: TurnContext): Turn {
  const reply = msg.reply as { ok: true; value: ContactReply<'observeInbound'> } | { ok: false };
  if (!reply.ok || reply.value.keyword === null) return { state };
  let next = state;
  if (reply.value.keyword.kind === 'optOut') {
    next = {
      ...next,
      log: next.log.map((m) =>
        m.category === 'marketing' &&
        (m.sendState === 'queued' ||
          m.sendState === 'checkingConsent' ||
          m.sendState === 'checkingTier' ||
          m.sendState === 'deferred')
          ? {
              ...m,
              sendState: 'failed' as const,
              error: { code: 'PARLO_NO_CONSENT', detail: 'the customer opted out' },
            }
          : m,
      ),
    };
  }
  const confirmation = reply.value.confirmation;
  if (confirmation === null || next.orgId === null || next.phoneNumberId === null) return { state: next };
  const confirmationId = `confirm_${msg.callId}`;
  if (findMessage(next, confirmationId)) return { state: next };
  const queued = appended(next, {
    id: confirmationId,
    direction: 'out',
    atMs: ctx.nowMs,
    type: 'text',
    content: { type: 'text', text: { body: confirmation } },
    providerMessageId: null,
    category: 'service',
    sendState: 'queued',
    status: EMPTY_MESSAGE_STATUS,
    error: null,
    attempts: 0,
    by: { kind: 'system', id: 'consent' },
  });
  return { state: queued, effects: [slotRequest(queued, queued.log[queued.log.length - 1]!, ctx)] };
}

function requestSlotFor(state: ConversationState, messageId: string, ctx: TurnContext): Turn {
  const found = findMessage(state, messageId);
  if (found?.message.sendState === 'checkingConsent') return { state, effects: [consentCheck(state, messageId)] };
  if (found?.message.sendState === 'deferred' || found?.message.sendState === 'checkingTier') {
    const checking = updated(state, found.index, { ...found.message, sendState: 'checkingTier' });
    return { state: checking, effects: [tierCheck(checking, messageId)] };
  }
  if (!found || found.message.sendState !== 'queued') return { state };
  return { state, effects: [slotRequest(state, found.message, ctx)] };
}

function onSlotRequested(state: ConversationState, msg: Msg<'slotRequested'>, ctx: TurnContext): Turn {
  const reply = msg.reply as { ok: true; value: { ok: boolean } } | { ok: false };
  if (reply.ok && reply.value.ok) return { state };
  // The number's queue is full (or the ask failed): try again shortly; the message stays queued.
  const found = findMessage(state, msg.callId);
  if (!found || found.message.sendState !== 'queued') return { state };
  return { state, effects: [retryLater(found.message, 1_000, ctx)] };
}

function onSlotGranted(state: ConversationState, messageId: string, ctx: TurnContext): Turn {
  const found = findMessage(state, messageId);
  if (!found || found.message.sendState !== 'queued') return { state };
  const { index, message } = found;
  // The window may have closed while the message waited: refuse it here rather than have Meta refuse it.
  if (isFreeForm(message) && !windowState(state.window, ctx.nowMs).canSendFreeForm) {
    return failed(state, index, message, windowClosedError(state, ctx.nowMs));
  }
  const to = state.customer.phone ?? state.customer.userId;
  if (to === null || state.phoneNumberId === null) {
    return failed(state, index, message, { code: 'PARLO_VALIDATION_FAILED', detail: 'no recipient' });
  }
  const input: OutboundMessage = {
    accountId: state.phoneNumberId,
    to,
    messageKey: messageKeyOf(ctx.self.id, message.id),
    content: message.content as OutboundMessage['content'],
  };
  const sending = updated(state, index, { ...message, sendState: 'sending', attempts: message.attempts + 1 });
  return {
    state: sending,
    effects: [
      { type: 'callPort', port: WHATSAPP_PORT, operation: 'send', input, resultType: 'sendResult', callId: messageId },
    ],
  };
}

function onSendResult(state: ConversationState, msg: Msg<'sendResult'>, ctx: TurnContext): Turn {
  const found = findMessage(state, msg.callId);
  if (!found || found.message.sendState !== 'sending') return { state };
  const { index, message } = found;
  const result: SendOutcome | PortFailure = msg.result;
  if ('ok' in result) return transient(state, index, message, { code: result.code, detail: result.message }, ctx);
  switch (result.outcome) {
    case 'accepted': {
      const accepted: LoggedMessage = {
        ...message,
        sendState: 'accepted',
        providerMessageId: result.providerMessageId,
      };
      const next = updated(state, index, accepted);
      return {
        state: { ...next, window: recordOutbound(next.window, { atMs: ctx.nowMs }) },
      };
    }
    case 'retry':
      return transient(state, index, message, { code: result.code, detail: result.detail }, ctx, result.afterMs);
    case 'slowDown': {
      const queued = updated(state, index, { ...message, sendState: 'queued' });
      if (result.code === THROUGHPUT_CODE) {
        const throttled: NumberMsg = {
          type: 'throttled',
          code: result.code,
          requester: ctx.self,
          messageId: message.id,
          priority: PRIORITY_OF[message.category ?? 'service'],
        };
        return {
          state: queued,
          effects: [{ type: 'tell', to: { kind: NUMBER_KIND, id: state.phoneNumberId! }, msg: throttled }],
        };
      }
      // The pair rate (one customer written to too often) concerns this conversation only.
      return { state: queued, effects: [retryLater(message, result.afterMs ?? 6_000, ctx)] };
    }
    case 'windowClosed':
    case 'rejected':
      return failed(state, index, message, { code: result.code, detail: result.detail });
    default:
      return unreachable(result);
  }
}

function transient(
  state: ConversationState,
  index: number,
  message: LoggedMessage,
  error: SendError,
  ctx: TurnContext,
  afterMs?: number,
): Turn {
  if (message.attempts >= MAX_SEND_ATTEMPTS) {
    return failed(state, index, message, {
      code: error.code,
      detail: `gave up after ${message.attempts} attempts: ${error.detail}`,
    });
  }
  const queued = updated(state, index, { ...message, sendState: 'queued', error });
  return { state: queued, effects: [retryLater(message, afterMs ?? backoffMs(message.attempts), ctx)] };
}

function onInbound(state: ConversationState, msg: Msg<'inbound'>): Turn {
  const event = msg.event;
  if (findByProviderId(state, event.providerMessageId)) return { state };
  const customer = {
    phone: state.customer.phone ?? event.from ?? null,
    userId: state.customer.userId ?? event.fromUserId ?? null,
    profileName: event.profileName ?? state.customer.profileName,
  };
  const referral = event.referral
    ? {
        sourceType: stringOr(event.referral['source_type']) ?? 'unknown',
        sourceId: stringOr(event.referral['source_id']),
        ctwaClid: stringOr(event.referral['ctwa_clid']),
      }
    : null;
  const next = appended(
    {
      ...state,
      orgId: state.orgId ?? msg.orgId ?? null,
      phoneNumberId: state.phoneNumberId ?? event.accountId,
      customer,
      window: recordInbound(state.window, { atMs: event.timestampMs, referral }),
    },
    {
      id: event.providerMessageId,
      direction: 'in',
      atMs: event.timestampMs,
      type: event.messageType,
      content: event.content,
      providerMessageId: event.providerMessageId,
      category: null,
      sendState: null,
      status: null,
      error: null,
      attempts: 0,
      by: null,
      media: pendingMedia(event.messageType, event.content),
    },
  );
  const counted: NumberMsg = { type: 'inboundCounted', count: 1 };
  const effects: Effect[] = [{ type: 'tell', to: { kind: NUMBER_KIND, id: event.accountId }, msg: counted }];
  // Media is fetched from Meta and stored while Meta still keeps it (7 days).
  const fetchMedia = mediaFetchEffect(next.log[next.log.length - 1]!, event.accountId);
  if (fetchMedia) effects.push(fetchMedia);
  // The contact keeps identifiers and consent; it recognises STOP / START keywords (organisations' numbers only).
  if (next.orgId !== null) {
    const text = textOf(event);
    const observe: ContactMsg = {
      type: 'observeInbound',
      atMs: endOfMetaSecond(event.timestampMs),
      phoneNumberId: event.accountId,
      messageId: event.providerMessageId,
      ...(event.from === undefined ? {} : { phone: event.from }),
      ...(event.fromUserId === undefined ? {} : { userId: event.fromUserId }),
      ...(event.profileName === undefined ? {} : { profileName: event.profileName }),
      ...(text === undefined ? {} : { text }),
    };
    effects.push({
      type: 'ask',
      to: contactOf(next),
      msg: observe,
      replyType: 'inboundObserved',
      callId: event.providerMessageId,
    });
  }
  return { state: next, effects };
}

/** The words of a customer message a keyword can be in: a text body or a quick-reply button's text. */
function textOf(event: MessageReceived): string | undefined {
  const content = event.content as Record<string, unknown> | null | undefined;
  if (event.messageType === 'text' && typeof content?.['body'] === 'string') return content['body'];
  if (event.messageType === 'button' && typeof content?.['text'] === 'string') return content['text'];
  return undefined;
}

function stringOr(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

function onStatus(state: ConversationState, msg: Msg<'status'>): Turn {
  const event = msg.event;
  const ours = event.messageKey === undefined ? undefined : parseMessageKey(event.messageKey)?.messageId;
  const found = ours === undefined ? findByProviderId(state, event.providerMessageId) : findMessage(state, ours);
  if (!found || found.message.direction !== 'out')
    return { state: { ...state, unknownStatuses: state.unknownStatuses + 1 } };
  const { index, message } = found;
  const status = mergeStatus(message.status ?? EMPTY_MESSAGE_STATUS, event);
  // A status names the WhatsApp id even when the send's own answer was lost (timeout after Meta accepted).
  const reconciled: LoggedMessage = {
    ...message,
    status,
    providerMessageId: message.providerMessageId ?? event.providerMessageId,
    sendState: message.sendState === 'failed' || message.sendState === 'accepted' ? message.sendState : 'accepted',
  };
  return { state: updated(state, index, reconciled) };
}

function onGet(state: ConversationState, msg: Msg<'getConversation'>, ctx: TurnContext): Turn {
  const limit = Math.min(Math.max(msg.limit ?? DEFAULT_PAGE, 1), MAX_PAGE);
  const before = msg.before;
  const older = before === undefined ? state.log : state.log.filter((m) => m.seq < before);
  const page = older.slice(Math.max(0, older.length - limit)).reverse();
  const last = page[page.length - 1];
  const reply: ConversationReplies['getConversation'] = {
    ok: true,
    conversation: {
      id: ctx.self.id,
      orgId: state.orgId,
      phoneNumberId: state.phoneNumberId,
      customer: state.customer,
      window: windowState(state.window, ctx.nowMs),
      messages: page,
      nextBefore: older.length > limit && last ? last.seq : null,
    },
  };
  return { state, reply };
}

function onMediaFetched(state: ConversationState, msg: Msg<'mediaFetched'>, ctx: TurnContext): Turn {
  const found = findMessage(state, msg.callId);
  if (!found) return { state };
  const message = applyMediaResult(found.message, msg.result);
  if (message === found.message) return { state };
  const retry = mediaRetryTimer(message, ctx.nowMs);
  return { state: updated(state, found.index, message), ...(retry ? { effects: [retry] } : {}) };
}

function onRetryMediaFetch(state: ConversationState, messageId: string): Turn {
  const found = findMessage(state, messageId);
  const fetch = found && state.phoneNumberId !== null ? mediaFetchEffect(found.message, state.phoneNumberId) : null;
  return fetch ? { state, effects: [fetch] } : { state };
}
