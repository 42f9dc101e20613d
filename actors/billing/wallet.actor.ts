import { defineActor, refusal, unreachable, type Effect, type TurnContext, type TurnResult } from '../../core/index.ts';
import { can, type Permission } from '../org/permissions.ts';
import { findRecent, keepNewestIndexed } from './recent-list.ts';
import {
  billingMonth,
  maxConversations,
  overageUnitPriceMicros,
  quotaDecision,
  validatePlanQuota,
} from './rate-card.ts';
import { pseudonymiseWallet, pseudonymsOf, takeSegmentPseudonyms } from './pseudonymise.ts';
import { addDays, addUsage, chargeCell, dayOf, monthOfDay, usageKey } from './usage.ts';
import {
  BILLING_EVENTS_KEPT,
  COUNTED_CONVERSATIONS_KEPT,
  DEFAULT_LEDGER_PAGE,
  LEDGER_SEGMENT_KIND,
  LEDGER_SEGMENT_SIZE,
  MAX_BALANCE_MICROS,
  MAX_LEDGER_PAGE,
  MAX_TOP_UP_MICROS,
  RESERVATION_TTL_MS,
  SETTLED_IDS_KEPT,
  STARTING_CREDIT_REFERENCE,
  TOP_UP_IDS_KEPT,
  USAGE_ARCHIVE_KIND,
  USAGE_DAYS_IN_STATE,
  USAGE_RETENTION_DAYS,
  WALLET_KIND,
  billingTopic,
  formatMicros,
  ledgerSegmentId,
  usageArchiveId,
  type BillingCaller,
  type BillingEvent,
  type ConversationCounted,
  type ConversationOpening,
  type LedgerEntry,
  type LedgerSegmentMsg,
  type QuotaView,
  type UsageArchiveMsg,
  type WalletMsg,
  type WalletReplies,
  type WalletView,
} from './wallet.messages.ts';
import {
  availableMicros,
  initialWalletState,
  keepNewest,
  own,
  listReservations,
  reservationOf,
  upgradeWallet,
  nextCountedN,
  type WalletItem,
  type SettledMark,
  type CountedConversation,
  walletSplit,
  withoutReservation,
  withReservation,
  without,
  type QuotaMonth,
  type Reservation,
  type WalletState,
} from './wallet.state.ts';

type Turn = TurnResult<WalletState>;
type Msg<T extends WalletMsg['type']> = Extract<WalletMsg, { type: T }>;

/** The name of the one durable timer that releases expired reservations (armed for the earliest expiry). */
export const EXPIRY_TIMER = 'reservationsExpired';

export interface WalletPolicy {
  /**
   * Credited once to a new wallet (`billing.startingCreditMicros`), in the first turn of a wallet whose ledger is
   * empty, as a `topUp` entry (reference STARTING_CREDIT_REFERENCE). 0: a new wallet starts empty.
   */
  readonly startingCreditMicros: number;
}

/**
 * One organisation's wallet (id = org id): balance, reservations, ledger, usage aggregates and plan quota; the
 * protocol and its rules are described in wallet.messages.ts. Every turn that changes the state then seals what
 * has grown out of it: full ledger segments into `ledger-segment` actors, old usage days into `usage-archive`
 * actors (each kept in the state until its actor acknowledged it, so a reader never finds a gap).
 */
export function createWalletActor(policy: WalletPolicy) {
  if (!isMicros(policy.startingCreditMicros) || policy.startingCreditMicros > MAX_TOP_UP_MICROS)
    throw new Error(`startingCreditMicros must be an integer from 0 to ${MAX_TOP_UP_MICROS}`);
  return defineActor<WalletState, WalletMsg, WalletItem>({
    kind: WALLET_KIND,
    // 2: ledgerPseudonymsPending (erasure while a segment store is in flight).
    // 3: reservations in buckets, stored one record per bucket (walletSplit).
    // 4: the ledger tail, settled marks and counted conversations stored one record each, out of the head.
    stateVersion: 4,
    initialState: () => initialWalletState(),
    upgrade: upgradeWallet,
    split: walletSplit,
    handle(stored, msg, ctx) {
      const state = withStartingCredit(stored, policy.startingCreditMicros, ctx);
      const result = dispatch(state, msg, ctx);
      // Acknowledgements only take things out; sealing waits for the next turn that changes the wallet, which is
      // also when a store that failed is tried again (so a broken segment actor cannot spin the wallet).
      if (result.state === stored || msg.type === 'ledgerSegmentStored' || msg.type === 'usageDayStored') return result;
      return sealOverflow(result, ctx);
    },
  });
}

/** A wallet without starting credit (tests, and the registry's default until the composition root swaps it). */
export const walletActor = createWalletActor({ startingCreditMicros: 0 });

/**
 * The starting credit, once: only a wallet whose ledger never had an entry receives it (so an existing
 * organisation never does, and a wallet that received it never again: the entry makes the ledger non-empty).
 */
/** The ids the recent lists are looked up by (recent-list.ts). */
const settledId = (mark: SettledMark): string => mark.id;
const countedKey = (counted: CountedConversation): string => counted.key;

function withStartingCredit(state: WalletState, amountMicros: number, ctx: TurnContext): WalletState {
  if (amountMicros === 0 || state.nextLedgerSeq !== 1) return state;
  const credited = appendEntry({ ...state, balanceMicros: state.balanceMicros + amountMicros }, ctx, {
    kind: 'topUp',
    occurredAtMs: ctx.nowMs,
    amountMicros,
    shortfallMicros: 0,
    reference: STARTING_CREDIT_REFERENCE,
    by: `system:${STARTING_CREDIT_REFERENCE}`,
    note: 'starting credit of a new organisation (billing.startingCreditMicros)',
  });
  return {
    ...credited.state,
    // Remembered like a top-up, so a top-up under the same id is recognised (duplicate or conflict).
    recentTopUps: keepNewest(
      credited.state.recentTopUps,
      { id: STARTING_CREDIT_REFERENCE, amountMicros, seq: credited.entry.seq, recoveredMicros: 0 },
      TOP_UP_IDS_KEPT,
    ),
  };
}

function dispatch(state: WalletState, msg: WalletMsg, ctx: TurnContext): Turn {
  switch (msg.type) {
    case 'reserve':
      return onReserve(state, msg, ctx);
    case 'settle':
      return onSettle(state, msg, ctx);
    case 'release':
      return onRelease(state, msg);
    case 'countConversation':
      return onCountConversation(state, msg, ctx);
    case 'topUp':
      return onTopUp(state, msg, ctx);
    case 'setAutoRecharge':
      return onSetAutoRecharge(state, msg, ctx);
    case 'setPlan':
      return onSetPlan(state, msg, ctx);
    case 'getWallet':
      return onGetWallet(state, msg, ctx);
    case 'listLedger':
      return onListLedger(state, msg);
    case 'locateLedger':
      return onLocateLedger(state, msg);
    case 'readUsage':
      return onReadUsage(state, msg);
    case 'pseudonymiseCustomer':
      return onPseudonymiseCustomer(state, msg, ctx);
    case 'reservationsExpired':
      return onReservationsExpired(state, ctx);
    case 'ledgerSegmentStored':
      return onLedgerSegmentStored(state, msg, ctx);
    case 'usageDayStored':
      return onUsageDayStored(state, msg, ctx);
    default:
      return unreachable(msg);
  }
}

// ---------------------------------------------------------------- helpers

function reply<T extends keyof WalletReplies>(
  state: WalletState,
  value: WalletReplies[T],
  effects: readonly Effect[] = [],
): Turn {
  return effects.length > 0 ? { state, effects, reply: value } : { state, reply: value };
}

function authorise(by: BillingCaller, permission: Permission): ReturnType<typeof refusal> | null {
  if (by.kind === 'system') return null;
  return can(by.role, permission)
    ? null
    : refusal('PARLO_ACCESS_FORBIDDEN', `role ${by.role} does not hold ${permission}`);
}

function callerName(by: BillingCaller): string {
  return by.kind === 'user' ? `user:${by.userId}` : `system:${by.id}`;
}

function isMicros(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Amounts on the send path come from our own code: a bad one is a bug, dead-lettered rather than booked. */
function assertMicros(value: unknown, what: string): asserts value is number {
  if (!isMicros(value))
    throw new Error(`${what} must be a non-negative safe integer (micro-euros), got ${String(value)}`);
}

type EntryFields = Pick<LedgerEntry, 'kind' | 'occurredAtMs' | 'amountMicros' | 'shortfallMicros' | 'reference'> &
  Partial<
    Pick<
      LedgerEntry,
      | 'category'
      | 'country'
      | 'phoneNumberId'
      | 'conversationId'
      | 'campaignId'
      | 'rateCardVersion'
      | 'rule'
      | 'by'
      | 'note'
    >
  >;

/** Appends one entry recording the balance `state` already has. Keys in a fixed order (one msgpack record shape). */
function appendEntry(
  state: WalletState,
  ctx: TurnContext,
  fields: EntryFields,
): { state: WalletState; entry: LedgerEntry } {
  const entry: LedgerEntry = {
    seq: state.nextLedgerSeq,
    id: ctx.newId(),
    kind: fields.kind,
    recordedAtMs: ctx.nowMs,
    occurredAtMs: fields.occurredAtMs,
    amountMicros: fields.amountMicros,
    balanceAfterMicros: state.balanceMicros,
    shortfallMicros: fields.shortfallMicros,
    reference: fields.reference,
    category: fields.category ?? null,
    country: fields.country ?? null,
    phoneNumberId: fields.phoneNumberId ?? null,
    conversationId: fields.conversationId ?? null,
    campaignId: fields.campaignId ?? null,
    rateCardVersion: fields.rateCardVersion ?? null,
    rule: fields.rule ?? null,
    by: fields.by ?? null,
    note: fields.note ?? null,
  };
  return { state: { ...state, ledger: [...state.ledger, entry], nextLedgerSeq: state.nextLedgerSeq + 1 }, entry };
}

/**
 * Takes up to `amountMicros` from the balance, using first `heldMicros` of reservation (already set aside for it),
 * then available credit. What cannot be taken is owed. Returns the new state and what was charged.
 */
function debit(
  state: WalletState,
  amountMicros: number,
  heldMicros: number,
): { state: WalletState; chargedMicros: number; shortfallMicros: number } {
  const chargedMicros = Math.min(amountMicros, heldMicros + availableMicros(state));
  const shortfallMicros = amountMicros - chargedMicros;
  return {
    state: {
      ...state,
      balanceMicros: state.balanceMicros - chargedMicros,
      reservedMicros: state.reservedMicros - heldMicros,
      owedMicros: state.owedMicros + shortfallMicros,
    },
    chargedMicros,
    shortfallMicros,
  };
}

/** Records a billing event in the state and publishes it on the organisation's billing topic. */
function withEvent(state: WalletState, event: BillingEvent, ctx: TurnContext, effects: Effect[]): WalletState {
  effects.push({ type: 'publish', topic: billingTopic(ctx.self.id), event });
  return { ...state, events: keepNewest(state.events, event, BILLING_EVENTS_KEPT) };
}

/**
 * Auto-recharge as a **pending request**: when the available credit is below the threshold and no request is
 * pending, one is recorded (event `autoRechargeRequested`, published). Parlo holds no payment method, so it never
 * credits money nobody paid: the request is fulfilled by a top-up under its `requestId` (from a payment
 * integration or an owner), and cleared by any top-up that lifts the credit to the threshold.
 */
function withAutoRecharge(state: WalletState, ctx: TurnContext, effects: Effect[]): WalletState {
  const settings = state.autoRecharge;
  if (settings === null || state.pendingAutoRecharge !== null) return state;
  const available = availableMicros(state);
  if (available >= settings.thresholdMicros) return state;
  const requestId = `ar_${ctx.newId()}`;
  const next: WalletState = {
    ...state,
    pendingAutoRecharge: { requestId, amountMicros: settings.amountMicros, requestedAtMs: ctx.nowMs },
  };
  return withEvent(
    next,
    {
      type: 'autoRechargeRequested',
      atMs: ctx.nowMs,
      requestId,
      amountMicros: settings.amountMicros,
      availableMicros: available,
      thresholdMicros: settings.thresholdMicros,
    },
    ctx,
    effects,
  );
}

function armExpiry(state: WalletState, dueAtMs: number, effects: Effect[]): WalletState {
  if (state.expiryTimerAtMs !== null && state.expiryTimerAtMs <= dueAtMs) return state;
  effects.push({
    type: 'setTimer',
    name: EXPIRY_TIMER,
    dueAtMs,
    msg: { type: 'reservationsExpired' } satisfies WalletMsg,
  });
  return { ...state, expiryTimerAtMs: dueAtMs };
}

// ---------------------------------------------------------------- reserve / settle / release

/**
 * Holds `amountMicros` under the reservation id (idempotent), after counting the message's plan conversation when
 * it carries one. All or nothing: a refused count holds nothing; a refused hold undoes the count (the turn returns
 * the state before it, and the count's events are not published).
 */
function onReserve(state: WalletState, msg: Msg<'reserve'>, ctx: TurnContext): Turn {
  assertMicros(msg.amountMicros, 'reserve.amountMicros');
  let counted: Counted | null = null;
  if (msg.conversation !== undefined) {
    counted = countOpening(state, msg.conversation, ctx);
    if (!counted.reply.ok) return reply<'reserve'>(counted.state, counted.reply, counted.effects);
  }
  const base = counted?.state ?? state;
  const conversation = counted?.reply.ok ? counted.reply : null;
  const countEffects = counted?.effects ?? [];
  const held = reservationOf(base, msg.reservationId);
  if (held || msg.amountMicros === 0) {
    return reply<'reserve'>(
      base,
      {
        ok: true,
        reservationId: msg.reservationId,
        reservedMicros: held?.amountMicros ?? 0,
        availableMicros: availableMicros(base),
        status: 'reserved',
        conversation,
      },
      countEffects,
    );
  }
  if (findRecent(base.recentSettled, msg.reservationId, settledId) !== undefined) {
    return reply<'reserve'>(
      base,
      {
        ok: true,
        reservationId: msg.reservationId,
        reservedMicros: 0,
        availableMicros: availableMicros(base),
        status: 'settled',
        conversation,
      },
      countEffects,
    );
  }
  const effects: Effect[] = [];
  const available = availableMicros(base);
  if (available < msg.amountMicros) {
    // Refused, and nothing held (nor counted); a low credit may still record an auto-recharge request.
    const next = withAutoRecharge(state, ctx, effects);
    const inFlight =
      state.reservedMicros > 0 ? `, ${formatMicros(state.reservedMicros)} of it held for sends in flight` : '';
    return reply<'reserve'>(
      next,
      refusal(
        'PARLO_INSUFFICIENT_CREDIT',
        `the wallet's available credit ${formatMicros(available)} (balance ${formatMicros(state.balanceMicros)}${inFlight}) does not cover ${formatMicros(msg.amountMicros)}; top up the wallet`,
      ) as WalletReplies['reserve'],
      effects,
    );
  }
  effects.unshift(...countEffects);
  let next: WalletState = {
    ...base,
    reservedMicros: base.reservedMicros + msg.amountMicros,
    reservations: withReservation(base.reservations, {
      id: msg.reservationId,
      amountMicros: msg.amountMicros,
      atMs: msg.atMs,
    }),
  };
  next = armExpiry(next, msg.atMs + RESERVATION_TTL_MS, effects);
  next = withAutoRecharge(next, ctx, effects);
  return reply<'reserve'>(
    next,
    {
      ok: true,
      reservationId: msg.reservationId,
      reservedMicros: msg.amountMicros,
      availableMicros: availableMicros(next),
      status: 'reserved',
      conversation,
    },
    effects,
  );
}

function onSettle(state: WalletState, msg: Msg<'settle'>, ctx: TurnContext): Turn {
  assertMicros(msg.amountMicros, 'settle.amountMicros');
  const settled = findRecent(state.recentSettled, msg.reservationId, settledId);
  if (settled) {
    return reply<'settle'>(state, {
      ok: true,
      reservationId: msg.reservationId,
      chargedMicros: settled.chargedMicros,
      shortfallMicros: settled.shortfallMicros,
      releasedMicros: 0,
      balanceMicros: state.balanceMicros,
      seq: settled.seq,
      isDuplicate: true,
    });
  }
  // Without a reservation (expired, released after a failure that Meta later contradicted with a delivery, or
  // never made) the charge is taken from the available credit; what it cannot cover is owed.
  const heldMicros = reservationOf(state, msg.reservationId)?.amountMicros ?? 0;
  const debited = debit(state, msg.amountMicros, heldMicros);
  const releasedMicros = Math.max(0, heldMicros - debited.chargedMicros);
  const charge = msg.charge;
  const appended = appendEntry(
    { ...debited.state, reservations: withoutReservation(state.reservations, msg.reservationId) },
    ctx,
    {
      kind: 'charge',
      occurredAtMs: msg.atMs,
      amountMicros: debited.chargedMicros,
      shortfallMicros: debited.shortfallMicros,
      reference: msg.reservationId,
      category: charge.category,
      country: charge.country,
      phoneNumberId: charge.phoneNumberId,
      conversationId: charge.conversationId,
      campaignId: charge.campaignId,
      rateCardVersion: charge.rateCardVersion,
      rule: charge.rule,
    },
  );
  const effects: Effect[] = [];
  let next: WalletState = {
    ...appended.state,
    recentSettled: keepNewestIndexed(
      state.recentSettled,
      {
        id: msg.reservationId,
        seq: appended.entry.seq,
        chargedMicros: debited.chargedMicros,
        shortfallMicros: debited.shortfallMicros,
        releasedMicros,
      },
      SETTLED_IDS_KEPT,
      settledId,
    ),
  };
  next = recordUsage(next, msg, debited.chargedMicros, ctx, effects);
  next = withAutoRecharge(next, ctx, effects);
  return reply<'settle'>(
    next,
    {
      ok: true,
      reservationId: msg.reservationId,
      chargedMicros: debited.chargedMicros,
      shortfallMicros: debited.shortfallMicros,
      releasedMicros,
      balanceMicros: next.balanceMicros,
      seq: appended.entry.seq,
      isDuplicate: false,
    },
    effects,
  );
}

function onRelease(state: WalletState, msg: Msg<'release'>): Turn {
  const held = reservationOf(state, msg.reservationId);
  if (!held) return reply<'release'>(state, { ok: true, reservationId: msg.reservationId, releasedMicros: 0 });
  const next: WalletState = {
    ...state,
    reservedMicros: state.reservedMicros - held.amountMicros,
    reservations: withoutReservation(state.reservations, msg.reservationId),
  };
  return reply<'release'>(next, { ok: true, reservationId: msg.reservationId, releasedMicros: held.amountMicros });
}

function onReservationsExpired(state: WalletState, ctx: TurnContext): Turn {
  const isExpired = (r: Reservation) => r.atMs + RESERVATION_TTL_MS <= ctx.nowMs;
  const open = listReservations(state);
  const expired = open.filter(isExpired);
  const reservations = expired.reduce((index, r) => withoutReservation(index, r.id), state.reservations);
  const releasedMicros = expired.reduce((sum, r) => sum + r.amountMicros, 0);
  const oldest = open.find((r) => !isExpired(r))?.atMs ?? null;
  const nextDue = oldest === null ? null : oldest + RESERVATION_TTL_MS;
  const effects: Effect[] =
    nextDue === null
      ? []
      : [
          {
            type: 'setTimer',
            name: EXPIRY_TIMER,
            dueAtMs: nextDue,
            msg: { type: 'reservationsExpired' } satisfies WalletMsg,
          },
        ];
  return {
    state: {
      ...state,
      reservations,
      reservedMicros: state.reservedMicros - releasedMicros,
      expiryTimerAtMs: nextDue,
    },
    effects,
  };
}

// ---------------------------------------------------------------- usage

/**
 * Adds a settled charge to its day's usage. A day still in the state gets it there (if the day is being sealed,
 * it is marked changed and stored again when the first store is acknowledged: the archive's copy is replaced, so
 * the order in which the two stores arrive does not matter); a day already archived gets it in its archive only
 * (additively; the acknowledgement proved the base is there); a day beyond the retention is not counted (the
 * ledger still has the charge).
 */
function recordUsage(
  state: WalletState,
  msg: Msg<'settle'>,
  chargedMicros: number,
  ctx: TurnContext,
  effects: Effect[],
): WalletState {
  const day = dayOf(msg.atMs);
  const today = dayOf(ctx.nowMs);
  if (day < addDays(today, -USAGE_RETENTION_DAYS)) return state;
  const key = usageKey({
    category: msg.charge.category,
    country: msg.charge.country,
    phoneNumberId: msg.charge.phoneNumberId,
    campaignId: msg.charge.campaignId,
  });
  const cell = chargeCell(chargedMicros);
  const inState = Object.hasOwn(state.usage, day);
  const isSealing = state.usageSealing.includes(day);
  const cutoff = addDays(today, -(USAGE_DAYS_IN_STATE - 1));
  if (inState || day >= cutoff) {
    const usage = addUsage(state.usage, day, key, cell);
    if (!isSealing || state.usageChangedWhileSealing.includes(day)) return { ...state, usage };
    return { ...state, usage, usageChangedWhileSealing: [...state.usageChangedWhileSealing, day] };
  }
  effects.push(archiveTell(ctx.self.id, day, { type: 'addUsage', day, key, cell: [...cell] }));
  return withUsageMonth(state, monthOfDay(day));
}

function archiveTell(orgId: string, day: string, msg: UsageArchiveMsg): Effect {
  return { type: 'tell', to: { kind: USAGE_ARCHIVE_KIND, id: usageArchiveId(orgId, monthOfDay(day)) }, msg };
}

function withUsageMonth(state: WalletState, month: string): WalletState {
  if (state.usageMonths.includes(month)) return state;
  return { ...state, usageMonths: [...state.usageMonths, month].sort() };
}

// ---------------------------------------------------------------- plan quota

function quotaOf(state: WalletState, atMs: number): QuotaMonth {
  const month = billingMonth(atMs);
  return month > state.quota.month
    ? { month, used: 0, overageConversations: 0, overageMicros: 0, blockedCount: 0 }
    : state.quota;
}

function onCountConversation(state: WalletState, msg: Msg<'countConversation'>, ctx: TurnContext): Turn {
  const counted = countOpening(state, msg, ctx);
  return reply<'countConversation'>(counted.state, counted.reply, counted.effects);
}

interface Counted {
  readonly state: WalletState;
  readonly effects: Effect[];
  readonly reply: WalletReplies['countConversation'];
}

/** Counts one plan conversation (once per key): included, overage (charged), or refused. */
function countOpening(state: WalletState, msg: ConversationOpening, ctx: TurnContext): Counted {
  const counted = findRecent(state.recentConversations, msg.conversationKey, countedKey);
  if (counted) {
    const duplicate: ConversationCounted = {
      ok: true,
      reason: counted.reason,
      chargedMicros: counted.chargedMicros,
      used: counted.used,
      isDuplicate: true,
    };
    return { state, effects: [], reply: duplicate };
  }
  // A conversation reported after its month ended counts towards the current month (a closed month stays closed).
  const quota = quotaOf(state, Math.max(msg.atMs, ctx.nowMs));
  const plan = state.plan;
  const effects: Effect[] = [];
  const remember = (
    next: WalletState,
    reason: 'included' | 'overage' | 'noPlan',
    chargedMicros: number,
    used: number,
  ) => ({
    ...next,
    recentConversations: keepNewestIndexed(
      next.recentConversations,
      { n: nextCountedN(next), key: msg.conversationKey, reason, chargedMicros, used },
      COUNTED_CONVERSATIONS_KEPT,
      countedKey,
    ),
  });
  if (plan === null) {
    const used = quota.used + 1;
    const next = remember({ ...state, quota: { ...quota, used } }, 'noPlan', 0, used);
    return { state: next, effects, reply: { ok: true, reason: 'noPlan', chargedMicros: 0, used, isDuplicate: false } };
  }
  const decision = quotaDecision(plan, quota.used, msg.openedBy);
  if (!decision.allowed) {
    const max = maxConversations(plan);
    let next: WalletState = { ...state, quota: { ...quota, blockedCount: quota.blockedCount + 1 } };
    if (quota.blockedCount === 0) {
      next = withEvent(
        next,
        { type: 'quotaBlocked', atMs: ctx.nowMs, month: quota.month, used: quota.used, max },
        ctx,
        effects,
      );
    }
    return {
      state: next,
      effects,
      reply: refusal(
        'PARLO_PLAN_QUOTA_EXCEEDED',
        `the plan's conversations for ${quota.month} are used up: ${quota.used} of at most ${max} (${plan.includedConversations} included, overage up to ${plan.maxUsagePercent} %); business-initiated conversations resume when the plan changes or the month ends`,
      ) as WalletReplies['countConversation'],
    };
  }
  let next: WalletState = state;
  let chargedMicros = 0;
  if (decision.chargeMicros > 0) {
    const available = availableMicros(state);
    if (msg.openedBy === 'business' && available < decision.chargeMicros) {
      next = withAutoRecharge(state, ctx, effects);
      return {
        state: next,
        effects,
        reply: refusal(
          'PARLO_INSUFFICIENT_CREDIT',
          `an overage conversation costs ${formatMicros(decision.chargeMicros)} and the wallet's available credit is ${formatMicros(available)}; top up the wallet`,
        ) as WalletReplies['countConversation'],
      };
    }
    // A customer's conversation is never refused: what the credit cannot cover is owed.
    const debited = debit(next, decision.chargeMicros, 0);
    chargedMicros = debited.chargedMicros;
    next = appendEntry(debited.state, ctx, {
      kind: 'overage',
      occurredAtMs: msg.atMs,
      amountMicros: debited.chargedMicros,
      shortfallMicros: debited.shortfallMicros,
      reference: msg.conversationKey,
      phoneNumberId: msg.phoneNumberId ?? null,
      conversationId: msg.conversationId ?? null,
      note: `plan overage ${quota.month}: conversation ${decision.usedAfter} of ${plan.includedConversations} included (${msg.openedBy}-initiated)`,
    }).state;
  }
  const isOverage = decision.reason === 'overage';
  next = {
    ...next,
    quota: {
      ...quota,
      used: decision.usedAfter,
      overageConversations: quota.overageConversations + (isOverage ? 1 : 0),
      overageMicros: quota.overageMicros + (isOverage ? decision.chargeMicros : 0),
    },
  };
  for (const percent of decision.thresholdsCrossed) {
    next = withEvent(
      next,
      {
        type: 'quotaThresholdReached',
        atMs: ctx.nowMs,
        month: quota.month,
        percent,
        used: decision.usedAfter,
        included: plan.includedConversations,
      },
      ctx,
      effects,
    );
  }
  const reason = isOverage ? 'overage' : 'included';
  next = remember(next, reason, chargedMicros, decision.usedAfter);
  next = withAutoRecharge(next, ctx, effects);
  return {
    state: next,
    effects,
    reply: { ok: true, reason, chargedMicros, used: decision.usedAfter, isDuplicate: false },
  };
}

// ---------------------------------------------------------------- the API

function onTopUp(state: WalletState, msg: Msg<'topUp'>, ctx: TurnContext): Turn {
  const refused = authorise(msg.by, 'billing:manage');
  if (refused) return reply<'topUp'>(state, refused as WalletReplies['topUp']);
  const known = state.recentTopUps.find((t) => t.id === msg.topUpId);
  if (known) {
    if (known.amountMicros !== msg.amountMicros) {
      return reply<'topUp'>(
        state,
        refusal(
          'PARLO_ID_CONFLICT',
          `top-up ${msg.topUpId} was already made for ${formatMicros(known.amountMicros)}; use a new topUpId for a new top-up`,
        ) as WalletReplies['topUp'],
      );
    }
    return reply<'topUp'>(state, {
      ok: true,
      topUpId: msg.topUpId,
      amountMicros: known.amountMicros,
      recoveredMicros: known.recoveredMicros,
      balanceMicros: state.balanceMicros,
      availableMicros: availableMicros(state),
      seq: known.seq,
      isDuplicate: true,
    });
  }
  if (!isMicros(msg.amountMicros) || msg.amountMicros < 1 || msg.amountMicros > MAX_TOP_UP_MICROS) {
    return reply<'topUp'>(
      state,
      refusal(
        'PARLO_VALIDATION_FAILED',
        `amountMicros must be an integer from 1 to ${MAX_TOP_UP_MICROS} (${formatMicros(MAX_TOP_UP_MICROS)})`,
      ) as WalletReplies['topUp'],
    );
  }
  if (state.balanceMicros + msg.amountMicros > MAX_BALANCE_MICROS) {
    return reply<'topUp'>(
      state,
      refusal(
        'PARLO_VALIDATION_FAILED',
        `amountMicros: the balance would exceed the most a wallet holds, ${formatMicros(MAX_BALANCE_MICROS)}`,
      ) as WalletReplies['topUp'],
    );
  }
  const by = callerName(msg.by);
  let next: WalletState = { ...state, balanceMicros: state.balanceMicros + msg.amountMicros };
  const credited = appendEntry(next, ctx, {
    kind: 'topUp',
    occurredAtMs: ctx.nowMs,
    amountMicros: msg.amountMicros,
    shortfallMicros: 0,
    reference: msg.topUpId,
    by,
    note: msg.note ?? null,
  });
  next = credited.state;
  // What earlier debits could not take is paid first, from credit not held for sends in flight.
  const recoveredMicros = Math.min(next.owedMicros, availableMicros(next));
  if (recoveredMicros > 0) {
    next = {
      ...next,
      balanceMicros: next.balanceMicros - recoveredMicros,
      owedMicros: next.owedMicros - recoveredMicros,
    };
    next = appendEntry(next, ctx, {
      kind: 'recovery',
      occurredAtMs: ctx.nowMs,
      amountMicros: recoveredMicros,
      shortfallMicros: 0,
      reference: msg.topUpId,
      by,
      note: 'owed amount paid back from this top-up',
    }).state;
  }
  const pending = next.pendingAutoRecharge;
  if (
    pending !== null &&
    (pending.requestId === msg.topUpId ||
      next.autoRecharge === null ||
      availableMicros(next) >= next.autoRecharge.thresholdMicros)
  ) {
    next = { ...next, pendingAutoRecharge: null };
  }
  next = {
    ...next,
    recentTopUps: keepNewest(
      next.recentTopUps,
      { id: msg.topUpId, amountMicros: msg.amountMicros, seq: credited.entry.seq, recoveredMicros },
      TOP_UP_IDS_KEPT,
    ),
  };
  return reply<'topUp'>(next, {
    ok: true,
    topUpId: msg.topUpId,
    amountMicros: msg.amountMicros,
    recoveredMicros,
    balanceMicros: next.balanceMicros,
    availableMicros: availableMicros(next),
    seq: credited.entry.seq,
    isDuplicate: false,
  });
}

function onSetAutoRecharge(state: WalletState, msg: Msg<'setAutoRecharge'>, ctx: TurnContext): Turn {
  const refused = authorise(msg.by, 'billing:manage');
  if (refused) return reply<'setAutoRecharge'>(state, refused as WalletReplies['setAutoRecharge']);
  const settings = msg.settings;
  if (settings !== null) {
    const problems: string[] = [];
    if (!isMicros(settings.thresholdMicros) || settings.thresholdMicros > MAX_BALANCE_MICROS)
      problems.push(`thresholdMicros must be an integer from 0 to ${MAX_BALANCE_MICROS}`);
    if (!isMicros(settings.amountMicros) || settings.amountMicros < 1 || settings.amountMicros > MAX_TOP_UP_MICROS)
      problems.push(`amountMicros must be an integer from 1 to ${MAX_TOP_UP_MICROS}`);
    if (problems.length > 0) {
      return reply<'setAutoRecharge'>(
        state,
        refusal('PARLO_VALIDATION_FAILED', problems.join('; ')) as WalletReplies['setAutoRecharge'],
      );
    }
  }
  const effects: Effect[] = [];
  let next: WalletState = {
    ...state,
    autoRecharge:
      settings === null ? null : { thresholdMicros: settings.thresholdMicros, amountMicros: settings.amountMicros },
    // New settings replace a pending request made under the old ones.
    pendingAutoRecharge: null,
  };
  next = withAutoRecharge(next, ctx, effects);
  return reply<'setAutoRecharge'>(
    next,
    { ok: true, autoRecharge: next.autoRecharge, pendingAutoRecharge: next.pendingAutoRecharge },
    effects,
  );
}

function onSetPlan(state: WalletState, msg: Msg<'setPlan'>, ctx: TurnContext): Turn {
  const refused = authorise(msg.by, 'billing:manage');
  if (refused) return reply<'setPlan'>(state, refused as WalletReplies['setPlan']);
  const problems = validatePlanQuota(msg.plan);
  const name = msg.plan.name.trim();
  if (name.length === 0 || name.length > 100) problems.push('name must be 1 to 100 characters');
  if (problems.length > 0) {
    return reply<'setPlan'>(state, refusal('PARLO_VALIDATION_FAILED', problems.join('; ')) as WalletReplies['setPlan']);
  }
  const plan = {
    name,
    includedConversations: msg.plan.includedConversations,
    monthlyFeeMicros: msg.plan.monthlyFeeMicros,
    overageMarkupPercent: msg.plan.overageMarkupPercent,
    maxUsagePercent: msg.plan.maxUsagePercent,
  };
  const effects: Effect[] = [];
  // A new plan lifts a block at once: the refused count of the month starts again (and so does its event).
  let next: WalletState = {
    ...state,
    plan,
    planChangedAtMs: ctx.nowMs,
    quota: { ...quotaOf(state, ctx.nowMs), blockedCount: 0 },
  };
  next = withEvent(
    next,
    { type: 'planChanged', atMs: ctx.nowMs, name, includedConversations: plan.includedConversations },
    ctx,
    effects,
  );
  return reply<'setPlan'>(next, { ok: true, wallet: walletView(next, ctx.nowMs) }, effects);
}

function quotaView(state: WalletState, nowMs: number): QuotaView {
  const quota = quotaOf(state, nowMs);
  const plan = state.plan;
  return {
    month: quota.month,
    used: quota.used,
    included: plan?.includedConversations ?? null,
    max: plan ? maxConversations(plan) : null,
    overageConversations: quota.overageConversations,
    overageMicros: quota.overageMicros,
    overageUnitPriceMicros: plan ? overageUnitPriceMicros(plan) : null,
    isBusinessBlocked: plan ? !quotaDecision(plan, quota.used, 'business').allowed : false,
  };
}

function walletView(state: WalletState, nowMs: number): WalletView {
  return {
    balanceMicros: state.balanceMicros,
    reservedMicros: state.reservedMicros,
    availableMicros: availableMicros(state),
    owedMicros: state.owedMicros,
    openReservations: state.reservations.count,
    autoRecharge: state.autoRecharge,
    pendingAutoRecharge: state.pendingAutoRecharge,
    plan: state.plan === null ? null : { ...state.plan, changedAtMs: state.planChangedAtMs ?? 0 },
    quota: quotaView(state, nowMs),
    events: [...state.events].reverse(),
    ledgerEntries: state.nextLedgerSeq - 1,
  };
}

function onGetWallet(state: WalletState, msg: Msg<'getWallet'>, ctx: TurnContext): Turn {
  const refused = authorise(msg.by, 'billing:read');
  if (refused) return reply<'getWallet'>(state, refused as WalletReplies['getWallet']);
  return reply<'getWallet'>(state, { ok: true, wallet: walletView(state, ctx.nowMs) });
}

function onListLedger(state: WalletState, msg: Msg<'listLedger'>): Turn {
  const refused = authorise(msg.by, 'billing:read');
  if (refused) return reply<'listLedger'>(state, refused as WalletReplies['listLedger']);
  const limit = Math.min(Math.max(msg.limit ?? DEFAULT_LEDGER_PAGE, 1), MAX_LEDGER_PAGE);
  const before = msg.before ?? Number.MAX_SAFE_INTEGER;
  const entries: LedgerEntry[] = [];
  for (let i = state.ledger.length - 1; i >= 0 && entries.length < limit; i--) {
    const entry = state.ledger[i]!;
    if (entry.seq < before) entries.push(entry);
  }
  return reply<'listLedger'>(state, { ok: true, entries, sealedThroughSeq: state.ledgerSealedSeq });
}

function onLocateLedger(state: WalletState, msg: Msg<'locateLedger'>): Turn {
  const refused = authorise(msg.by, 'billing:read');
  if (refused) return reply<'locateLedger'>(state, refused as WalletReplies['locateLedger']);
  let startSegment = 1;
  if (msg.fromMs !== undefined) {
    const month = billingMonth(msg.fromMs);
    const known = Object.keys(state.ledgerMonthStarts)
      .filter((m) => m <= month)
      .sort();
    const last = known[known.length - 1];
    // The segment before the month's first may run into the month; nothing earlier can.
    if (last !== undefined) startSegment = Math.max(1, state.ledgerMonthStarts[last]! - 1);
  }
  return reply<'locateLedger'>(state, {
    ok: true,
    startSegment,
    sealedSegments: state.ledgerSealedSeq / LEDGER_SEGMENT_SIZE,
    entries: state.ledger,
  });
}

function onReadUsage(state: WalletState, msg: Msg<'readUsage'>): Turn {
  const refused = authorise(msg.by, 'billing:read');
  if (refused) return reply<'readUsage'>(state, refused as WalletReplies['readUsage']);
  const days: Record<string, WalletState['usage'][string]> = {};
  for (const [day, usage] of Object.entries(state.usage)) if (day >= msg.fromDay && day <= msg.toDay) days[day] = usage;
  const fromMonth = monthOfDay(msg.fromDay);
  const toMonth = monthOfDay(msg.toDay);
  const archivedMonths = state.usageMonths.filter((m) => m >= fromMonth && m <= toMonth);
  return reply<'readUsage'>(state, { ok: true, days, archivedMonths });
}

// ---------------------------------------------------------------- erasure

/** A customer's conversation ids become pseudonyms in the wallet (pseudonymise.ts); amounts and seqs stay. */
function onPseudonymiseCustomer(state: WalletState, msg: Msg<'pseudonymiseCustomer'>, ctx: TurnContext): Turn {
  const done = pseudonymiseWallet(state, pseudonymsOf(msg.pseudonyms, msg.conversationIds), ctx.self.id);
  return reply<'pseudonymiseCustomer'>(
    done.state,
    { ok: true, rewritten: done.rewritten, sealedThroughSeq: done.state.ledgerSealedSeq },
    done.effects,
  );
}

// ---------------------------------------------------------------- sealing

/**
 * After a turn that changed the state: full ledger segments and usage days older than USAGE_DAYS_IN_STATE are
 * sent to their actors with an `ask`; they leave the state when the answer comes (`ledgerSegmentStored`,
 * `usageDayStored`), so that a reader finds every entry either here or there. Month archives older than the
 * retention are purged.
 */
function sealOverflow(result: Turn, ctx: TurnContext): Turn {
  let state = result.state;
  const effects: Effect[] = [...(result.effects ?? [])];
  const orgId = ctx.self.id;
  while (state.nextLedgerSeq - 1 - state.ledgerSealRequestedSeq >= LEDGER_SEGMENT_SIZE) {
    const from = state.ledgerSealRequestedSeq + 1;
    const segment = (from - 1) / LEDGER_SEGMENT_SIZE + 1;
    const entries = segmentEntries(state, segment);
    effects.push(storeSegment(orgId, segment, entries));
    const month = billingMonth(entries[0]!.recordedAtMs);
    state = {
      ...state,
      ledgerSealRequestedSeq: from - 1 + LEDGER_SEGMENT_SIZE,
      ledgerMonthStarts: Object.hasOwn(state.ledgerMonthStarts, month)
        ? state.ledgerMonthStarts
        : { ...state.ledgerMonthStarts, [month]: segment },
    };
  }
  const today = dayOf(ctx.nowMs);
  const cutoff = addDays(today, -(USAGE_DAYS_IN_STATE - 1));
  for (const day of Object.keys(state.usage).sort()) {
    if (day >= cutoff) break;
    if (state.usageSealing.includes(day)) continue;
    effects.push(storeDay(orgId, day, state.usage[day]!));
    state = withUsageMonth({ ...state, usageSealing: [...state.usageSealing, day] }, monthOfDay(day));
  }
  const oldestKept = monthOfDay(addDays(today, -USAGE_RETENTION_DAYS));
  const expired = state.usageMonths.filter((m) => m < oldestKept);
  if (expired.length > 0) {
    for (const month of expired) {
      effects.push({
        type: 'tell',
        to: { kind: USAGE_ARCHIVE_KIND, id: usageArchiveId(orgId, month) },
        msg: { type: 'purge' } satisfies UsageArchiveMsg,
      });
    }
    state = { ...state, usageMonths: state.usageMonths.filter((m) => m >= oldestKept) };
  }
  if (state === result.state) return result;
  return { ...result, state, effects };
}

function segmentEntries(state: WalletState, segment: number): LedgerEntry[] {
  const firstSeq = (segment - 1) * LEDGER_SEGMENT_SIZE + 1;
  const offset = firstSeq - (state.ledgerSealedSeq + 1);
  return state.ledger.slice(offset, offset + LEDGER_SEGMENT_SIZE);
}

function storeSegment(orgId: string, segment: number, entries: readonly LedgerEntry[]): Effect {
  return {
    type: 'ask',
    to: { kind: LEDGER_SEGMENT_KIND, id: ledgerSegmentId(orgId, segment) },
    msg: { type: 'store', entries } satisfies LedgerSegmentMsg,
    replyType: 'ledgerSegmentStored',
    callId: String(segment),
  };
}

function storeDay(orgId: string, day: string, usage: WalletState['usage'][string]): Effect {
  return {
    type: 'ask',
    to: { kind: USAGE_ARCHIVE_KIND, id: usageArchiveId(orgId, monthOfDay(day)) },
    msg: { type: 'storeDay', day, usage } satisfies UsageArchiveMsg,
    replyType: 'usageDayStored',
    callId: day,
  };
}

function isOkReply(reply: unknown): boolean {
  return typeof reply === 'object' && reply !== null && (reply as { ok?: unknown }).ok === true;
}

function onLedgerSegmentStored(state: WalletState, msg: Msg<'ledgerSegmentStored'>, ctx: TurnContext): Turn {
  const segment = Number(msg.callId);
  const lastSeq = segment * LEDGER_SEGMENT_SIZE;
  if (!Number.isSafeInteger(segment) || lastSeq <= state.ledgerSealedSeq || state.ledgerAckedAhead.includes(segment))
    return { state };
  // The store failed (a bug in the segment actor, dead-lettered): the entries are still here; asking again from
  // this segment on is left to the next turn that changes the wallet (a store is written once, so segments
  // already stored answer as before).
  if (!isOkReply(msg.reply)) {
    const requested = Math.min(state.ledgerSealRequestedSeq, lastSeq - LEDGER_SEGMENT_SIZE);
    return requested === state.ledgerSealRequestedSeq
      ? { state }
      : { state: { ...state, ledgerSealRequestedSeq: requested } };
  }
  let sealed = state.ledgerSealedSeq;
  let ahead = [...state.ledgerAckedAhead, segment];
  for (let next = sealed / LEDGER_SEGMENT_SIZE + 1; ahead.includes(next); next++) {
    sealed = next * LEDGER_SEGMENT_SIZE;
    ahead = ahead.filter((s) => s !== next);
  }
  const dropped = sealed - state.ledgerSealedSeq;
  // Pseudonyms recorded while this store was in flight: told now that the segment holds its entries.
  const pending = takeSegmentPseudonyms(state, segment, ctx.self.id);
  const next: WalletState = {
    ...pending.state,
    ledgerSealedSeq: sealed,
    ledgerAckedAhead: ahead,
    ledger: dropped > 0 ? state.ledger.slice(dropped) : state.ledger,
  };
  return pending.effects.length > 0 ? { state: next, effects: pending.effects } : { state: next };
}

function onUsageDayStored(state: WalletState, msg: Msg<'usageDayStored'>, ctx: TurnContext): Turn {
  const day = msg.callId;
  if (!state.usageSealing.includes(day)) return { state };
  const usage = own(state.usage, day);
  const changedWhileSealing = state.usageChangedWhileSealing.filter((d) => d !== day);
  // The store failed (a bug in the archive actor, dead-lettered): the day stays here and is sealed again by the
  // next turn that changes the wallet.
  if (!isOkReply(msg.reply)) {
    return {
      state: {
        ...state,
        usageSealing: state.usageSealing.filter((d) => d !== day),
        usageChangedWhileSealing: changedWhileSealing,
      },
    };
  }
  // The day took a charge since it was sent: send it again, whole (it replaces the archive's copy); it stays
  // here until a store of its final copy is acknowledged.
  if (usage !== undefined && state.usageChangedWhileSealing.includes(day)) {
    return {
      state: { ...state, usageChangedWhileSealing: changedWhileSealing },
      effects: [storeDay(ctx.self.id, day, usage)],
    };
  }
  return {
    state: { ...state, usage: without(state.usage, day), usageSealing: state.usageSealing.filter((d) => d !== day) },
  };
}
