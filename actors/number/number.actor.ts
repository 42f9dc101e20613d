import {
  defineActor,
  refusal,
  unreachable,
  type ActorDefinition,
  type Effect,
  type TurnResult,
} from '../../core/index.ts';
import { NUMBER_STATE_VERSION, numberSplit, upgradeNumber, type NumberItem } from './number.storage.ts';
import {
  DEFAULT_FEEDBACK_POLICY,
  createFeedbackState,
  feedbackBreach,
  feedbackTotals,
  hasRecovered,
  nextExpiry,
  recordMarketingSent,
  recordSignal,
  type FeedbackPolicy,
} from './feedback.ts';
import {
  MARKETING_PAUSE_REASONS,
  MAX_QUEUED_SENDS,
  NUMBER_KIND,
  SEND_PRIORITIES,
  numberAlertsTopic,
  type MarketingPause,
  type MarketingPauseReason,
  type NumberAlert,
  type NumberMsg,
  type NumberReplies,
  type QualityRating,
  type SendPriority,
  type SlotGranted,
} from './number.messages.ts';
import {
  NO_PAIR_WAIT,
  initialNumberState,
  isMarketingPaused,
  liveWait,
  pauseReasons,
  queuedCount,
  type NumberState,
  type PairWait,
  type QueuedRequest,
} from './number.state.ts';
import {
  COEXISTENCE_RATE_PER_SEC,
  DEFAULT_PAIR_POLICY,
  DEFAULT_RATE_PER_SEC,
  UPGRADED_RATE_PER_SEC,
  availableSlots,
  countInbound,
  effectiveRate,
  nextSlot,
  openPairBatch,
  pairBackOff,
  pairNextSlot,
  prunePairs,
  setRate,
  slowDown,
  takeSlots,
  type PairPolicy,
} from './pacing.ts';

type Turn = TurnResult<NumberState>;
type Msg<T extends NumberMsg['type']> = Extract<NumberMsg, { type: T }>;

/** What the composition root may configure (config `sending.*`); the defaults are Meta's figures (see pacing.ts). */
export interface NumberOptions {
  readonly pair: PairPolicy;
  readonly feedback: FeedbackPolicy;
}

export const DEFAULT_NUMBER_OPTIONS: NumberOptions = { pair: DEFAULT_PAIR_POLICY, feedback: DEFAULT_FEEDBACK_POLICY };

/** The name of the number's one pacing timer. */
const PACE_TIMER = 'pace';
const FEEDBACK_TIMER = 'feedback';
const PAIR_SWEEP_TIMER = 'pairSweep';
/** An idle number's expired pair-rate entries are dropped this long after its last grant round. */
export const PAIR_SWEEP_INTERVAL_MS = 60_000;
/**
 * Requests one round looks at, at most, beyond those it grants: requests whose recipient must wait for the pair
 * rate are passed over, and this bounds the work of a round when many of them sit at the head (the next round
 * goes on from where this one stopped, see `PairWait`).
 */
export const MAX_SCAN_PER_ROUND = 1_000;

/** The throughput of Meta's `throughput.level` (GET /{phone-number-id}?fields=throughput). */
export function rateOfThroughputLevel(level: string | null): number {
  switch (level?.toUpperCase()) {
    case 'HIGH':
      return UPGRADED_RATE_PER_SEC;
    case 'LOW': // what the simulator (and coexistence numbers' fixed 20 msg/s) report
      return COEXISTENCE_RATE_PER_SEC;
    default: // STANDARD, NOT_APPLICABLE, unknown
      return DEFAULT_RATE_PER_SEC;
  }
}

/**
 * One business phone number: a priority queue of send requests and the pacing that releases them. Each turn ends
 * with `pump`, a round of grants: every slot pacing allows now is granted (highest priority first, first come
 * first served within a priority, requests whose recipient must wait for the pair rate passed over), and if
 * requests remain the pacing timer is armed for the next slot. Grants are tells to the requesting conversation,
 * which sends; a 130429 comes back as `throttled` (the number slows down, the request goes back to the front), a
 * 131056 as `pairThrottled` (that recipient backs off). Marketing pauses on quality RED and on the number's own
 * negative feedback (feedback.ts), with an alert on `numberAlertsTopic` each time.
 */
export function createNumberActor(
  options: NumberOptions = DEFAULT_NUMBER_OPTIONS,
): ActorDefinition<NumberState, NumberMsg, NumberItem> {
  return defineActor<NumberState, NumberMsg, NumberItem>({
    kind: NUMBER_KIND,
    stateVersion: NUMBER_STATE_VERSION,
    initialState: () => initialNumberState(),
    upgrade: upgradeNumber,
    split: numberSplit,
    handle(state, msg, ctx) {
      const nowMs = ctx.nowMs;
      const self = ctx.self.id;
      switch (msg.type) {
        case 'requestSlot':
          return onRequestSlot(state, msg, nowMs, self, options);
        case 'throttled':
          return onThrottled(state, msg, nowMs, options);
        case 'pairThrottled':
          return onPairThrottled(state, msg, nowMs, options);
        case 'negativeFeedbackObserved':
          return onNegativeFeedback(state, msg, nowMs, self, options);
        case 'inboundCounted':
          return pump({ ...state, pacing: countInbound(state.pacing, nowMs, msg.count) }, nowMs, options);
        case 'setThroughput':
          return pump(
            { ...state, pacing: setRate(state.pacing, msg.ratePerSec, nowMs), rateChangedAtMs: nowMs },
            nowMs,
            options,
          );
        case 'configure':
          return onConfigure(state, msg, nowMs, self, options);
        case 'qualityChanged':
          return onQualityChanged(state, msg.event, nowMs, self, options);
        case 'resumeMarketing':
          return onResumeMarketing(state, msg, nowMs, self, options);
        case 'paceTick':
          return pump({ ...state, timerDueMs: null }, nowMs, options);
        case 'feedbackTick':
          return onFeedbackTick({ ...state, feedbackCheckDueMs: null }, nowMs, self, options);
        case 'sweepPairs': {
          const pairs = prunePairs(state.pairs, nowMs);
          const swept: NumberState = { ...state, pairs, pairSweepDueMs: null };
          if (pairs.size === 0) return { state: swept };
          return { state: { ...swept, pairSweepDueMs: nowMs + PAIR_SWEEP_INTERVAL_MS }, effects: [sweepTimer(nowMs)] };
        }
        case 'getNumberState':
          return { state, reply: view(state, nowMs, options) };
        default:
          return unreachable(msg);
      }
    },
  });
}

export const numberActor = createNumberActor();

// ---------------------------------------------------------------- handlers

function onRequestSlot(
  state: NumberState,
  msg: Msg<'requestSlot'>,
  nowMs: number,
  self: string,
  o: NumberOptions,
): Turn {
  if (queuedCount(state) >= MAX_QUEUED_SENDS) {
    const refused = refusal(
      'PARLO_NUMBER_BUSY',
      `number ${self} already holds ${MAX_QUEUED_SENDS} sends; retry shortly`,
    );
    // Requesters tell (they hear of a slot by its grant): the refusal goes back to them as `slotRequested`.
    const answer: Effect = {
      type: 'tell',
      to: msg.requester,
      msg: { type: 'slotRequested', callId: msg.messageId, reply: refused },
    };
    return { state, effects: [answer], reply: refused };
  }
  const request: QueuedRequest = {
    requester: msg.requester,
    messageId: msg.messageId,
    priority: msg.priority,
    ...(msg.recipient === undefined ? {} : { recipient: msg.recipient }),
    seq: state.nextSeq,
    enqueuedAtMs: nowMs,
  };
  const queued = withQueue(state, msg.priority, [...state.queues[msg.priority], request]);
  const next = pump({ ...queued, nextSeq: state.nextSeq + 1 }, nowMs, o);
  const reply: NumberReplies['requestSlot'] = { ok: true, queued: queuedCount(next.state) };
  return { ...next, reply };
}

/** 130429: the number slows down; the request goes back to the front of its priority. */
function onThrottled(state: NumberState, msg: Msg<'throttled'>, nowMs: number, o: NumberOptions): Turn {
  const requeued = requeueAtFront(state, msg, nowMs, NO_PAIR_WAIT);
  const slowed: NumberState = {
    ...requeued,
    pacing: slowDown(state.pacing, nowMs),
    throttledCount: state.throttledCount + 1,
    feedback: ungrantMarketing(state, msg.priority, nowMs, o),
  };
  return pump(slowed, nowMs, o);
}

/**
 * 131056: the recipient backs off; the request goes back to the front of its priority, where it waits for the
 * recipient without holding up the others (it joins the priority's pair wait).
 */
function onPairThrottled(state: NumberState, msg: Msg<'pairThrottled'>, nowMs: number, o: NumberOptions): Turn {
  const pairs = pairBackOff(state.pairs, msg.recipient, nowMs, o.pair);
  const untilMs = pairNextSlot(pairs, msg.recipient, nowMs, o.pair);
  const wait = liveWait(state.pairWaits[msg.priority], nowMs);
  const joined: PairWait =
    wait.count === 0 ? { count: 1, untilMs } : { count: wait.count + 1, untilMs: Math.min(wait.untilMs, untilMs) };
  const requeued = requeueAtFront(state, msg, nowMs, joined);
  return pump(
    {
      ...requeued,
      pairs,
      pairThrottledCount: state.pairThrottledCount + 1,
      feedback: ungrantMarketing(state, msg.priority, nowMs, o),
    },
    nowMs,
    o,
  );
}

function onNegativeFeedback(
  state: NumberState,
  msg: Msg<'negativeFeedbackObserved'>,
  nowMs: number,
  self: string,
  o: NumberOptions,
): Turn {
  const feedback = recordSignal(state.feedback, nowMs, msg.signal, o.feedback);
  const counted: NumberState = { ...state, feedback };
  if (pauseOf(state, 'negativeFeedback') !== undefined) return { state: counted };
  const breach = feedbackBreach(feedback, nowMs, o.feedback);
  if (breach === null) return { state: counted };
  const paused = addPause(counted, { reason: 'negativeFeedback', sinceMs: nowMs, breach });
  const alert: NumberAlert = {
    type: 'marketingPaused',
    phoneNumberId: self,
    reason: 'negativeFeedback',
    atMs: nowMs,
    ...breach,
  };
  const armed = armFeedbackCheck(paused, nowMs, o);
  return { state: armed.state, effects: [publish(self, alert), ...armed.effects] };
}

function onFeedbackTick(state: NumberState, nowMs: number, self: string, o: NumberOptions): Turn {
  if (pauseOf(state, 'negativeFeedback') === undefined) return { state };
  if (!hasRecovered(state.feedback, nowMs, o.feedback)) {
    const armed = armFeedbackCheck(state, nowMs, o);
    return armed.effects.length > 0 ? { state: armed.state, effects: armed.effects } : { state: armed.state };
  }
  return endPauses(state, ['negativeFeedback'], 'feedbackRecovered', nowMs, self, o);
}

function onConfigure(state: NumberState, msg: Msg<'configure'>, nowMs: number, self: string, o: NumberOptions): Turn {
  const effects: Effect[] = [];
  let next = state;
  const isCurrent = state.rateChangedAtMs === null || msg.observedAtMs >= state.rateChangedAtMs;
  if (isCurrent) {
    const ratePerSec = rateOfThroughputLevel(msg.throughputLevel);
    const changed = ratePerSec !== state.pacing.ratePerSec;
    next = {
      ...next,
      pacing: setRate(next.pacing, ratePerSec, nowMs),
      throughputLevel: msg.throughputLevel,
      rateChangedAtMs: msg.observedAtMs,
    };
    if (changed)
      effects.push(publish(self, { type: 'throughputChanged', phoneNumberId: self, ratePerSec, atMs: nowMs }));
  }
  const quality = qualityOf(msg.qualityRating);
  if (quality === 'RED') {
    const flagged = flag(next, nowMs, self);
    next = flagged.state;
    effects.push(...(flagged.effects ?? []));
  } else if (quality !== 'UNKNOWN') {
    const since = pauseOf(next, 'qualityRed')?.sinceMs;
    if (since !== undefined && since <= msg.observedAtMs) {
      const ended = endPauses({ ...next, quality }, ['qualityRed'], 'qualityRecovered', nowMs, self, o);
      return { state: ended.state, effects: [...effects, ...(ended.effects ?? [])] };
    }
    next = { ...next, quality };
  }
  const pumped = pump(next, nowMs, o);
  return { state: pumped.state, effects: [...effects, ...(pumped.effects ?? [])] };
}

function onQualityChanged(state: NumberState, event: string, nowMs: number, self: string, o: NumberOptions): Turn {
  switch (event) {
    case 'FLAGGED':
      return flag(state, nowMs, self);
    case 'UNFLAGGED':
      return endPauses({ ...state, quality: 'GREEN' }, ['qualityRed'], 'qualityRecovered', nowMs, self, o);
    case 'THROUGHPUT_UPGRADE': {
      const upgraded: NumberState = {
        ...state,
        pacing: setRate(state.pacing, UPGRADED_RATE_PER_SEC, nowMs),
        throughputLevel: 'HIGH',
        rateChangedAtMs: nowMs,
      };
      const next = pump(upgraded, nowMs, o);
      const alert: NumberAlert = {
        type: 'throughputChanged',
        phoneNumberId: self,
        ratePerSec: UPGRADED_RATE_PER_SEC,
        atMs: nowMs,
      };
      return { ...next, effects: [...(next.effects ?? []), publish(self, alert)] };
    }
    default:
      // ONBOARDING, tier changes and others: nothing for pacing to do (the portfolio tier is tracked elsewhere).
      return { state };
  }
}

function onResumeMarketing(
  state: NumberState,
  msg: Msg<'resumeMarketing'>,
  nowMs: number,
  self: string,
  o: NumberOptions,
): Turn {
  const wanted = msg.reasons ?? MARKETING_PAUSE_REASONS;
  const ending = pauseReasons(state).filter((reason) => wanted.includes(reason));
  // The feedback window starts afresh: the counts that caused the pause would cause it again at once.
  const reset: NumberState = wanted.includes('negativeFeedback')
    ? { ...state, feedback: createFeedbackState() }
    : state;
  const ended = endPauses(reset, ending, 'manual', nowMs, self, o);
  const reply: NumberReplies['resumeMarketing'] = {
    ok: true,
    ended: ending,
    stillPausedBy: pauseReasons(ended.state),
  };
  return { ...ended, reply };
}

// ---------------------------------------------------------------- the round of grants

/**
 * Grants every slot pacing allows now (`availableSlots`: all that fell due since the last round while requests
 * waited, at most the one-second window's room); arms the pacing timer for the next slot if requests are left.
 * Each priority's queue is copied once per round, however many grants the round makes.
 */
function pump(state: NumberState, nowMs: number, o: NumberOptions): Turn {
  const effects: Effect[] = [];
  const isPaused = isMarketingPaused(state);
  const available = availableSlots(state.pacing, nowMs);
  let queues = state.queues;
  let pairWaits = state.pairWaits;
  let pairs = state.pairs;
  let granted = 0;
  let marketingGranted = 0;
  let isScanCut = false;
  if (available > 0) {
    const ratePerSec = effectiveRate(state.pacing, nowMs);
    const batch = openPairBatch(state.pairs, nowMs, o.pair);
    const blockedUntil = new Map<string, number>();
    const nextQueues = { ...queues };
    const nextWaits = { ...pairWaits };
    let budget = available + MAX_SCAN_PER_ROUND;
    for (const priority of SEND_PRIORITIES) {
      if (granted >= available || budget <= 0) break;
      if (priority === 'marketing' && isPaused) continue;
      const queue = queues[priority];
      const wait = liveWait(pairWaits[priority], nowMs);
      if (wait.count >= queue.length) continue;
      const kept: QueuedRequest[] = [];
      let waitUntilMs = wait.count > 0 ? wait.untilMs : Infinity;
      let grantedHere = 0;
      let i = wait.count;
      while (i < queue.length && granted < available && budget > 0) {
        const request = queue[i++]!;
        budget--;
        const recipient = request.recipient;
        if (recipient !== undefined) {
          let untilMs = blockedUntil.get(recipient);
          if (untilMs === undefined) {
            const taken = batch.tryTake(recipient);
            if (taken !== true) {
              untilMs = taken;
              blockedUntil.set(recipient, taken);
            }
          }
          if (untilMs !== undefined) {
            kept.push(request);
            waitUntilMs = Math.min(waitUntilMs, untilMs);
            continue;
          }
        }
        const grant: SlotGranted = { type: 'slotGranted', messageId: request.messageId, ratePerSec };
        effects.push({ type: 'tell', to: request.requester, msg: grant });
        granted++;
        grantedHere++;
        if (priority === 'marketing') marketingGranted++;
      }
      if (i < queue.length && budget <= 0) isScanCut = true;
      if (grantedHere > 0) nextQueues[priority] = [...queue.slice(0, wait.count), ...kept, ...queue.slice(i)];
      const waitCount = wait.count + kept.length;
      nextWaits[priority] = waitCount === 0 ? NO_PAIR_WAIT : { count: waitCount, untilMs: waitUntilMs };
    }
    if (granted > 0) queues = nextQueues;
    pairWaits = nextWaits;
    pairs = batch.finish();
  }

  // Requests not known to wait for a recipient, in queues that may go: they wait for pacing (or the scan bound).
  let hasCandidates = false;
  let pairRetryAtMs = Infinity;
  for (const priority of SEND_PRIORITIES) {
    if (priority === 'marketing' && isPaused) continue;
    const wait = liveWait(pairWaits[priority], nowMs);
    if (wait.count > 0) pairRetryAtMs = Math.min(pairRetryAtMs, wait.untilMs);
    if (queues[priority].length > wait.count) hasCandidates = true;
  }
  const pacing = takeSlots(state.pacing, nowMs, granted, hasCandidates);

  let retryAtMs = pairRetryAtMs;
  if (hasCandidates)
    retryAtMs = Math.min(retryAtMs, isScanCut && granted < available ? nowMs : nextSlot(pacing, nowMs));
  let timerDueMs = state.timerDueMs;
  if (retryAtMs !== Infinity && (timerDueMs === null || timerDueMs > retryAtMs || timerDueMs <= nowMs)) {
    timerDueMs = retryAtMs;
    effects.push({ type: 'setTimer', name: PACE_TIMER, dueAtMs: retryAtMs, msg: { type: 'paceTick' } });
  }
  let pairSweepDueMs = state.pairSweepDueMs;
  if (pairs.size > 0 && pairSweepDueMs === null) {
    pairSweepDueMs = nowMs + PAIR_SWEEP_INTERVAL_MS;
    effects.push(sweepTimer(nowMs));
  }
  const next: NumberState = {
    ...state,
    pacing,
    pairs,
    queues,
    pairWaits,
    granted: state.granted + granted,
    timerDueMs,
    pairSweepDueMs,
    feedback:
      marketingGranted > 0 ? recordMarketingSent(state.feedback, nowMs, marketingGranted, o.feedback) : state.feedback,
  };
  return effects.length > 0 ? { state: next, effects } : { state: next };
}

// ---------------------------------------------------------------- helpers

function withQueue(state: NumberState, priority: SendPriority, queue: readonly QueuedRequest[]): NumberState {
  return { ...state, queues: { ...state.queues, [priority]: queue } };
}

/** Puts a granted request back at the front of its priority (seq counting down), with that priority's pair wait. */
function requeueAtFront(
  state: NumberState,
  msg: Msg<'throttled'> | Msg<'pairThrottled'>,
  nowMs: number,
  wait: PairWait,
): NumberState {
  const request: QueuedRequest = {
    requester: msg.requester,
    messageId: msg.messageId,
    priority: msg.priority,
    ...(msg.recipient === undefined ? {} : { recipient: msg.recipient }),
    seq: state.nextFrontSeq,
    enqueuedAtMs: nowMs,
  };
  return {
    ...withQueue(state, msg.priority, [request, ...state.queues[msg.priority]]),
    pairWaits: { ...state.pairWaits, [msg.priority]: wait },
    nextFrontSeq: state.nextFrontSeq - 1,
  };
}

/** A marketing grant that Meta refused (it will be granted again) is not a marketing send. */
function ungrantMarketing(state: NumberState, priority: SendPriority, nowMs: number, o: NumberOptions) {
  return priority === 'marketing' ? recordMarketingSent(state.feedback, nowMs, -1, o.feedback) : state.feedback;
}

function pauseOf<R extends MarketingPauseReason>(
  state: NumberState,
  reason: R,
): Extract<MarketingPause, { reason: R }> | undefined {
  return state.marketingPauses.find((p): p is Extract<MarketingPause, { reason: R }> => p.reason === reason);
}

function addPause(state: NumberState, pause: MarketingPause): NumberState {
  // Kept in the order of MARKETING_PAUSE_REASONS, one per reason.
  const pauses = [...state.marketingPauses.filter((p) => p.reason !== pause.reason), pause].sort(
    (a, b) => MARKETING_PAUSE_REASONS.indexOf(a.reason) - MARKETING_PAUSE_REASONS.indexOf(b.reason),
  );
  return { ...state, marketingPauses: pauses };
}

/** Quality RED: marketing pauses (once: a repeated FLAGGED changes nothing but the rating). */
function flag(state: NumberState, nowMs: number, self: string): Turn {
  const red: NumberState = { ...state, quality: 'RED' };
  if (pauseOf(state, 'qualityRed') !== undefined) return { state: red };
  const alert: NumberAlert = { type: 'marketingPaused', phoneNumberId: self, reason: 'qualityRed', atMs: nowMs };
  return { state: addPause(red, { reason: 'qualityRed', sinceMs: nowMs }), effects: [publish(self, alert)] };
}

/** Ends the given pauses (those that are set), with one alert, and grants what may go now. */
function endPauses(
  state: NumberState,
  reasons: readonly MarketingPauseReason[],
  why: 'qualityRecovered' | 'feedbackRecovered' | 'manual',
  nowMs: number,
  self: string,
  o: NumberOptions,
): Turn {
  const ending = pauseReasons(state).filter((reason) => reasons.includes(reason));
  if (ending.length === 0) return pump(state, nowMs, o);
  let resumed: NumberState = {
    ...state,
    marketingPauses: state.marketingPauses.filter((p) => !ending.includes(p.reason)),
  };
  const effects: Effect[] = [];
  if (ending.includes('negativeFeedback') && resumed.feedbackCheckDueMs !== null) {
    resumed = { ...resumed, feedbackCheckDueMs: null };
    effects.push({ type: 'cancelTimer', name: FEEDBACK_TIMER });
  }
  const alert: NumberAlert = {
    type: 'marketingResumed',
    phoneNumberId: self,
    reason: why,
    ended: ending,
    stillPausedBy: pauseReasons(resumed),
    atMs: nowMs,
  };
  effects.push(publish(self, alert));
  const pumped = pump(resumed, nowMs, o);
  return { state: pumped.state, effects: [...effects, ...(pumped.effects ?? [])] };
}

/** Arms the feedback check for when the oldest bucket leaves the window (the rate can only fall then). */
function armFeedbackCheck(
  state: NumberState,
  nowMs: number,
  o: NumberOptions,
): { state: NumberState; effects: Effect[] } {
  const dueAtMs = nextExpiry(state.feedback, nowMs, o.feedback) ?? nowMs;
  if (state.feedbackCheckDueMs === dueAtMs) return { state, effects: [] };
  return {
    state: { ...state, feedbackCheckDueMs: dueAtMs },
    effects: [{ type: 'setTimer', name: FEEDBACK_TIMER, dueAtMs, msg: { type: 'feedbackTick' } }],
  };
}

function sweepTimer(nowMs: number): Effect {
  return {
    type: 'setTimer',
    name: PAIR_SWEEP_TIMER,
    dueAtMs: nowMs + PAIR_SWEEP_INTERVAL_MS,
    msg: { type: 'sweepPairs' },
  };
}

function publish(phoneNumberId: string, alert: NumberAlert): Effect {
  return { type: 'publish', topic: numberAlertsTopic(phoneNumberId), event: alert };
}

function qualityOf(rating: string | null | undefined): QualityRating {
  switch (rating?.toUpperCase()) {
    case 'GREEN':
      return 'GREEN';
    case 'YELLOW':
      return 'YELLOW';
    case 'RED':
      return 'RED';
    default:
      return 'UNKNOWN';
  }
}

function view(state: NumberState, nowMs: number, o: NumberOptions): NumberReplies['getNumberState'] {
  const queuedByPriority = Object.fromEntries(
    SEND_PRIORITIES.map((priority) => [priority, state.queues[priority].length]),
  ) as Record<SendPriority, number>;
  let waitingForPairRate = 0;
  for (const priority of SEND_PRIORITIES) waitingForPairRate += liveWait(state.pairWaits[priority], nowMs).count;
  return {
    ok: true,
    state: {
      ratePerSec: state.pacing.ratePerSec,
      effectiveRatePerSec: effectiveRate(state.pacing, nowMs),
      throughputLevel: state.throughputLevel,
      queued: queuedCount(state),
      queuedByPriority,
      waitingForPairRate,
      granted: state.granted,
      throttledCount: state.throttledCount,
      pairThrottledCount: state.pairThrottledCount,
      pairRecipients: state.pairs.size,
      quality: state.quality,
      marketingPause: state.marketingPauses[0] ?? null,
      marketingPauses: state.marketingPauses,
      feedback: feedbackTotals(state.feedback, nowMs, o.feedback),
    },
  };
}
