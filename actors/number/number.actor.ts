import { defineActor, refusal, unreachable, type Effect, type TurnResult } from '../../core/index.ts';
import {
  MAX_QUEUED_SENDS,
  NUMBER_KIND,
  SEND_PRIORITIES,
  numberAlertsTopic,
  type NumberMsg,
  type NumberReplies,
  type SendPriority,
  type SlotGranted,
} from './number.messages.ts';
import { initialNumberState, queuedCount, type NumberState, type QueuedRequest } from './number.state.ts';
import { UPGRADED_RATE_PER_SEC, countInbound, effectiveRate, setRate, slowDown, trySend } from './pacing.ts';

type Turn = TurnResult<NumberState>;

/** The name of the number's one pacing timer. */
const PACE_TIMER = 'pace';

/**
 * One business phone number: a priority queue of send requests and the pacing that releases them. Each turn ends
 * with `pump`: as many slots as pacing allows now are granted (highest priority first, first come first served
 * within a priority), and if requests remain the pacing timer is armed for the next slot. Grants are tells to the
 * requesting conversation, which sends; a 130429 comes back as `throttled`, slows the number down and puts the
 * request back at the front of its priority.
 */
export const numberActor = defineActor<NumberState, NumberMsg>({
  kind: NUMBER_KIND,
  stateVersion: 1,
  initialState: () => initialNumberState(),
  handle(state, msg, ctx) {
    const nowMs = ctx.nowMs;
    switch (msg.type) {
      case 'requestSlot': {
        if (queuedCount(state) >= MAX_QUEUED_SENDS) {
          return {
            state,
            reply: refusal(
              'PARLO_NUMBER_BUSY',
              `number ${ctx.self.id} already holds ${MAX_QUEUED_SENDS} sends; retry shortly`,
            ),
          };
        }
        const request: QueuedRequest = {
          requester: msg.requester,
          messageId: msg.messageId,
          priority: msg.priority,
          seq: state.nextSeq,
          enqueuedAtMs: nowMs,
        };
        const queued = withQueue(state, msg.priority, [...state.queues[msg.priority], request]);
        const next = pump({ ...queued, nextSeq: state.nextSeq + 1 }, nowMs);
        const reply: NumberReplies['requestSlot'] = { ok: true, queued: queuedCount(next.state) };
        return { ...next, reply };
      }
      case 'throttled': {
        const request: QueuedRequest = {
          requester: msg.requester,
          messageId: msg.messageId,
          priority: msg.priority,
          seq: state.nextSeq,
          enqueuedAtMs: nowMs,
        };
        const slowed: NumberState = {
          ...withQueue(state, msg.priority, [request, ...state.queues[msg.priority]]),
          pacing: slowDown(state.pacing, nowMs),
          nextSeq: state.nextSeq + 1,
          throttledCount: state.throttledCount + 1,
        };
        return pump(slowed, nowMs);
      }
      case 'inboundCounted':
        return pump({ ...state, pacing: countInbound(state.pacing, nowMs, msg.count) }, nowMs);
      case 'setThroughput':
        return pump({ ...state, pacing: setRate(state.pacing, msg.ratePerSec, nowMs) }, nowMs);
      case 'qualityChanged':
        return onQualityChanged(state, msg.event, ctx.self.id, nowMs);
      case 'paceTick':
        return pump({ ...state, timerDueMs: null }, nowMs);
      case 'getNumberState': {
        const queuedByPriority = Object.fromEntries(
          SEND_PRIORITIES.map((priority) => [priority, state.queues[priority].length]),
        ) as Record<SendPriority, number>;
        const reply: NumberReplies['getNumberState'] = {
          ok: true,
          state: {
            ratePerSec: state.pacing.ratePerSec,
            effectiveRatePerSec: effectiveRate(state.pacing, nowMs),
            queued: queuedCount(state),
            queuedByPriority,
            granted: state.granted,
            throttledCount: state.throttledCount,
            quality: state.quality,
            marketingPause: state.marketingPause,
          },
        };
        return { state, reply };
      }
      default:
        return unreachable(msg);
    }
  },
});

function withQueue(state: NumberState, priority: SendPriority, queue: readonly QueuedRequest[]): NumberState {
  return { ...state, queues: { ...state.queues, [priority]: queue } };
}

/**
 * Grants every slot pacing allows now; arms the pacing timer for the next one if requests are left. Each queue is
 * sliced once per turn, however many grants the turn makes.
 */
function pump(state: NumberState, nowMs: number): Turn {
  const effects: Effect[] = [];
  let pacing = state.pacing;
  const taken: Record<SendPriority, number> = { reply: 0, authentication: 0, utility: 0, marketing: 0 };
  let retryAtMs: number | null = null;
  for (const priority of SEND_PRIORITIES) {
    if (priority === 'marketing' && state.marketingPause !== null) continue;
    const queue = state.queues[priority];
    while (taken[priority] < queue.length) {
      const decision = trySend(pacing, nowMs);
      pacing = decision.state;
      if (!decision.ok) {
        retryAtMs = decision.retryAtMs;
        break;
      }
      const request = queue[taken[priority]++]!;
      const grant: SlotGranted = { type: 'slotGranted', messageId: request.messageId };
      effects.push({ type: 'tell', to: request.requester, msg: grant });
    }
    if (retryAtMs !== null) break;
  }
  const grants = effects.length;
  const queues: NumberState['queues'] =
    grants === 0
      ? state.queues
      : {
          reply: state.queues.reply.slice(taken.reply),
          authentication: state.queues.authentication.slice(taken.authentication),
          utility: state.queues.utility.slice(taken.utility),
          marketing: state.queues.marketing.slice(taken.marketing),
        };
  let timerDueMs = state.timerDueMs;
  if (retryAtMs !== null && (timerDueMs === null || timerDueMs > retryAtMs || timerDueMs <= nowMs)) {
    timerDueMs = retryAtMs;
    effects.push({ type: 'setTimer', name: PACE_TIMER, dueAtMs: retryAtMs, msg: { type: 'paceTick' } });
  }
  const next: NumberState = { ...state, pacing, queues, granted: state.granted + grants, timerDueMs };
  return effects.length > 0 ? { state: next, effects } : { state: next };
}

function onQualityChanged(state: NumberState, event: string, phoneNumberId: string, nowMs: number): Turn {
  const topic = numberAlertsTopic(phoneNumberId);
  switch (event) {
    case 'FLAGGED': {
      if (state.marketingPause !== null) return { state: { ...state, quality: 'RED' } };
      const paused: NumberState = {
        ...state,
        quality: 'RED',
        marketingPause: { reason: 'qualityRed', sinceMs: nowMs },
      };
      const alert = { type: 'marketingPaused', phoneNumberId, reason: 'qualityRed', atMs: nowMs };
      return { state: paused, effects: [{ type: 'publish', topic, event: alert }] };
    }
    case 'UNFLAGGED': {
      const resumed: NumberState = { ...state, quality: 'GREEN', marketingPause: null };
      const next = pump(resumed, nowMs);
      if (state.marketingPause === null) return next;
      const alert = { type: 'marketingResumed', phoneNumberId, reason: 'qualityRecovered', atMs: nowMs };
      return { ...next, effects: [...(next.effects ?? []), { type: 'publish', topic, event: alert }] };
    }
    case 'THROUGHPUT_UPGRADE': {
      const next = pump({ ...state, pacing: setRate(state.pacing, UPGRADED_RATE_PER_SEC, nowMs) }, nowMs);
      const alert = { type: 'throughputChanged', phoneNumberId, ratePerSec: UPGRADED_RATE_PER_SEC, atMs: nowMs };
      return { ...next, effects: [...(next.effects ?? []), { type: 'publish', topic, event: alert }] };
    }
    default:
      // ONBOARDING, tier changes and others: nothing for pacing to do (the portfolio tier is tracked elsewhere).
      return { state };
  }
}
