import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ParloError, type ActorSystem } from '../../../core/index.ts';
import {
  CURRENCY,
  DEFAULT_MAX_USAGE_PERCENT,
  DEFAULT_OVERAGE_MARKUP_PERCENT,
  type Currency,
} from '../../../actors/billing/rate-card.ts';
import {
  USAGE_DIMENSIONS,
  addDays,
  dayOf,
  dayStartMs,
  groupUsage,
  type UsageDimension,
} from '../../../actors/billing/usage.ts';
import {
  LEDGER_ENTRY_KINDS,
  LEDGER_SEGMENT_KIND,
  LEDGER_SEGMENT_SIZE,
  MAX_TOP_UP_MICROS,
  USAGE_RETENTION_DAYS,
  ledgerSegmentId,
  walletAddress,
  type BillingCaller,
  type BillingEvent,
  type LedgerEntry,
  type LedgerSegmentReplies,
  type WalletMsg,
  type WalletReplies,
  type WalletView,
} from '../../../actors/billing/wallet.messages.ts';
import { defineRoute, streamedResponse, type ApiRoute } from '../api/define-route.ts';
import { PageQuery, decodeCursor, encodeCursor, pageSchema } from '../api/pagination.ts';
import { okOrThrow, userCallerOf } from '../auth/caller.ts';
import { LedgerExportWriter, ledgerEntryView, type ExportFormat } from './billing-export.ts';
import { iso } from './identity.routes.ts';
import { readUsageDays } from './usage-reader.ts';

/**
 * The organisation's wallet, plan, usage and ledger (issue #5, 4–5). Money is integer micro-euros (`…Micros`,
 * 1 EUR = 1,000,000) everywhere. Reads need `billing:read` (admins and owners), changes `billing:manage` (owners);
 * no API key scope reaches billing, so every route takes a signed-in user. The wallet actor re-checks the role.
 */
export interface BillingRoutesDeps {
  readonly system: ActorSystem;
  /** The clock for default date ranges (a fake one in tests). */
  readonly now?: () => number;
}

// ---------------------------------------------------------------- schemas

/** Typed as the literal (a bare `CURRENCY` in an object literal widens to string). */
const EUR: Currency = CURRENCY;

const Micros = z.number().int().min(0).describe('Micro-euros (1 EUR = 1,000,000)');
const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((d) => !Number.isNaN(dayStartMs(d)) && dayOf(dayStartMs(d)) === d, 'must be a real calendar date');
/** A date (the whole UTC day) or an ISO 8601 date-time with a zone. */
const Instant = z
  .string()
  .max(40)
  .refine(
    (v) =>
      /^\d{4}-\d{2}-\d{2}$/.test(v) ||
      (/^\d{4}-\d{2}-\d{2}T[^ ]+(Z|[+-]\d{2}:?\d{2})$/.test(v) && !Number.isNaN(Date.parse(v))),
    'must be a date YYYY-MM-DD or an ISO 8601 date-time with a zone (2026-01-31T12:00:00Z)',
  );

const AutoRechargeView = z.object({
  enabled: z.boolean(),
  thresholdMicros: Micros.nullable(),
  amountMicros: Micros.nullable(),
});

const PendingAutoRechargeView = z
  .object({
    requestId: z.string().describe('Fulfil the request with a top-up under this topUpId'),
    amountMicros: Micros,
    requestedAt: z.string(),
  })
  .nullable();

const PlanView = z
  .object({
    name: z.string(),
    includedConversations: z.number().int(),
    monthlyFeeMicros: Micros,
    overageMarkupPercent: z.number().int(),
    maxUsagePercent: z.number().int(),
    changedAt: z.string(),
  })
  .meta({ id: 'BillingPlan' });

const QuotaView = z.object({
  month: z.string().describe('The UTC calendar month, YYYY-MM'),
  used: z.number().int().describe('Conversations counted this month'),
  included: z.number().int().nullable(),
  max: z.number().int().nullable().describe('The cap (included × maxUsagePercent); null without a plan'),
  overageConversations: z.number().int(),
  overageMicros: Micros,
  overageUnitPriceMicros: Micros.nullable(),
  isBusinessBlocked: z
    .boolean()
    .describe('Business-initiated conversations are refused until the month or plan changes'),
});

const EventView = z.object({
  type: z.enum(['quotaThresholdReached', 'quotaBlocked', 'autoRechargeRequested', 'planChanged']),
  at: z.string(),
  month: z.string().optional(),
  percent: z.number().optional(),
  used: z.number().optional(),
  included: z.number().optional(),
  max: z.number().optional(),
  requestId: z.string().optional(),
  amountMicros: z.number().optional(),
  availableMicros: z.number().optional(),
  thresholdMicros: z.number().optional(),
  name: z.string().optional(),
  includedConversations: z.number().optional(),
});

const Wallet = z
  .object({
    currency: z.literal(CURRENCY),
    balanceMicros: Micros,
    reservedMicros: Micros.describe('Held for sends in flight (reserved before the send, settled on delivery)'),
    availableMicros: Micros.describe('balance − reserved: what new sends may use'),
    owedMicros: Micros.describe('Charges the credit could not cover; the next top-up pays them first'),
    openReservations: z.number().int(),
    autoRecharge: AutoRechargeView,
    pendingAutoRecharge: PendingAutoRechargeView,
    plan: PlanView.nullable(),
    quota: QuotaView,
    events: z.array(EventView).describe('Recent billing events, newest first'),
    ledgerEntries: z.number().int(),
  })
  .meta({ id: 'Wallet' });

const TopUpBody = z.object({
  amountMicros: z
    .number()
    .int('must be a whole number of micro-euros')
    .min(1)
    .max(MAX_TOP_UP_MICROS)
    .describe('Micro-euros to credit (1 EUR = 1,000,000)'),
  topUpId: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1–128 letters, digits or . _ : -')
    .optional()
    .describe('Your id for this top-up (a pending auto-recharge requestId, a payment id): credited once'),
  note: z.string().trim().max(500).optional(),
});

const TopUp = z
  .object({
    topUpId: z.string(),
    amountMicros: Micros,
    recoveredMicros: Micros.describe('Paid back from this top-up for charges the credit could not cover'),
    balanceMicros: Micros,
    availableMicros: Micros,
    ledgerSeq: z.number().int(),
  })
  .meta({ id: 'TopUp' });

const AutoRechargeBody = z
  .object({
    enabled: z.boolean(),
    thresholdMicros: Micros.optional().describe('When the available credit falls below this, a top-up is requested'),
    amountMicros: z.number().int().min(1).max(MAX_TOP_UP_MICROS).optional().describe('The top-up to request'),
  })
  .superRefine((body, ctx) => {
    if (!body.enabled) return;
    for (const field of ['thresholdMicros', 'amountMicros'] as const)
      if (body[field] === undefined)
        ctx.addIssue({ code: 'custom', path: [field], message: 'is required when enabled' });
  });

const AutoRechargeSettingsView = z
  .object({ autoRecharge: AutoRechargeView, pendingAutoRecharge: PendingAutoRechargeView })
  .meta({ id: 'AutoRecharge' });

const PlanBody = z.object({
  name: z.string().trim().min(1).max(100),
  includedConversations: z.number().int().min(0).max(100_000_000).describe('Conversations included per month'),
  monthlyFeeMicros: z.number().int().min(0).max(MAX_TOP_UP_MICROS).describe('Sets the overage price (fee ÷ included)'),
  overageMarkupPercent: z.number().int().min(0).max(1_000).default(DEFAULT_OVERAGE_MARKUP_PERCENT),
  maxUsagePercent: z.number().int().min(100).max(10_000).default(DEFAULT_MAX_USAGE_PERCENT),
});

const GroupBy = z
  .string()
  .regex(
    new RegExp(`^(${USAGE_DIMENSIONS.join('|')})(,(${USAGE_DIMENSIONS.join('|')}))*$`),
    `must be a comma-separated list of ${USAGE_DIMENSIONS.join(', ')}`,
  );

const UsageRow = z.object({
  day: z.string().optional(),
  category: z.string().optional(),
  country: z.string().optional(),
  phoneNumberId: z.string().optional(),
  campaignId: z.string().nullable().optional(),
  messageCount: z.number().int(),
  billableCount: z.number().int(),
  amountMicros: Micros,
});

const Usage = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.array(z.enum(USAGE_DIMENSIONS)),
    currency: z.literal(CURRENCY),
    rows: z.array(UsageRow),
    total: z.object({ messageCount: z.number().int(), billableCount: z.number().int(), amountMicros: Micros }),
  })
  .meta({ id: 'Usage' });

const LedgerEntryView = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    kind: z.enum(LEDGER_ENTRY_KINDS),
    direction: z.enum(['credit', 'debit']),
    amountMicros: Micros,
    balanceAfterMicros: Micros,
    shortfallMicros: Micros,
    currency: z.literal(CURRENCY),
    recordedAt: z.string(),
    occurredAt: z.string(),
    reference: z.string(),
    category: z.string().nullable(),
    country: z.string().nullable(),
    phoneNumberId: z.string().nullable(),
    conversationId: z.string().nullable(),
    campaignId: z.string().nullable(),
    rateCardVersion: z.number().int().nullable(),
    rule: z.string().nullable(),
    by: z.string().nullable(),
    note: z.string().nullable(),
  })
  .meta({ id: 'LedgerEntry' });

const LedgerCursor = z.object({ before: z.number().int().min(2) });

// ---------------------------------------------------------------- views

function eventBody(e: BillingEvent): z.input<typeof EventView> {
  const { atMs, ...rest } = e;
  return { ...rest, at: iso(atMs) };
}

function walletBody(w: WalletView): z.input<typeof Wallet> {
  return {
    currency: EUR,
    balanceMicros: w.balanceMicros,
    reservedMicros: w.reservedMicros,
    availableMicros: w.availableMicros,
    owedMicros: w.owedMicros,
    openReservations: w.openReservations,
    autoRecharge: autoRechargeBody(w.autoRecharge),
    pendingAutoRecharge: pendingBody(w.pendingAutoRecharge),
    plan:
      w.plan === null
        ? null
        : {
            name: w.plan.name,
            includedConversations: w.plan.includedConversations,
            monthlyFeeMicros: w.plan.monthlyFeeMicros,
            overageMarkupPercent: w.plan.overageMarkupPercent,
            maxUsagePercent: w.plan.maxUsagePercent,
            changedAt: iso(w.plan.changedAtMs),
          },
    quota: w.quota,
    events: w.events.map(eventBody),
    ledgerEntries: w.ledgerEntries,
  };
}

function autoRechargeBody(a: WalletView['autoRecharge']): z.input<typeof AutoRechargeView> {
  return a === null
    ? { enabled: false, thresholdMicros: null, amountMicros: null }
    : { enabled: true, thresholdMicros: a.thresholdMicros, amountMicros: a.amountMicros };
}

function pendingBody(p: WalletView['pendingAutoRecharge']): z.input<typeof PendingAutoRechargeView> {
  return p === null
    ? null
    : { requestId: p.requestId, amountMicros: p.amountMicros, requestedAt: iso(p.requestedAtMs) };
}

/** The UTC start (inclusive) of a `from` and the end (exclusive) of a `to`: a date stands for its whole day. */
function rangeMs(from: string | undefined, to: string | undefined): { fromMs: number; toMs: number } {
  const isDay = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v);
  const fromMs = from === undefined ? 0 : isDay(from) ? dayStartMs(from) : Date.parse(from);
  const toMs = to === undefined ? Number.MAX_SAFE_INTEGER : isDay(to) ? dayStartMs(to) + 86_400_000 : Date.parse(to);
  return { fromMs, toMs };
}

function invalidQuery(path: string, message: string): ParloError {
  return new ParloError('PARLO_VALIDATION_FAILED', `query.${path}: ${message}`, [
    { location: 'query', path, rule: 'range', message },
  ]);
}

// ---------------------------------------------------------------- routes

export function billingRoutes(deps: BillingRoutesDeps): ApiRoute[] {
  const { system } = deps;
  const now = deps.now ?? Date.now;
  const wallet = <T extends keyof WalletReplies>(orgId: string, msg: WalletMsg) =>
    system.ask<WalletReplies[T]>(walletAddress(orgId), msg);
  const callerBy = (request: Parameters<typeof userCallerOf>[0]): { orgId: string; by: BillingCaller } => {
    const caller = userCallerOf(request);
    return { orgId: caller.orgId, by: { kind: 'user', userId: caller.userId, role: caller.role } };
  };
  const readSegment = async (orgId: string, segment: number): Promise<readonly LedgerEntry[]> => {
    const read = await system.ask<LedgerSegmentReplies['read']>(
      { kind: LEDGER_SEGMENT_KIND, id: ledgerSegmentId(orgId, segment) },
      { type: 'read' },
    );
    return read.entries;
  };

  const getWallet = defineRoute({
    method: 'GET',
    url: '/billing/wallet',
    operationId: 'getWallet',
    summary: 'The wallet: balance, credit held for sends in flight, auto-recharge, plan and this month’s quota use',
    tags: ['billing'],
    auth: 'session',
    scopes: ['billing:read'],
    responses: { 200: Wallet },
    async handler({ request }) {
      const { orgId, by } = callerBy(request);
      const { wallet: view } = okOrThrow(await wallet<'getWallet'>(orgId, { type: 'getWallet', by }));
      return { status: 200, body: walletBody(view) };
    },
  });

  const createTopUp = defineRoute({
    method: 'POST',
    url: '/billing/top-ups',
    operationId: 'createTopUp',
    summary: 'Credit the wallet (once per topUpId); charges the credit could not cover are paid back first',
    description:
      'Parlo holds no payment method: a top-up records money received elsewhere (an invoice paid, a card charged by your payment integration). To fulfil a pending auto-recharge request, pass its requestId as topUpId. 201 when credited, 200 when this topUpId was already credited with the same amount (409 PARLO_ID_CONFLICT with another amount).',
    tags: ['billing'],
    auth: 'session',
    scopes: ['billing:manage'],
    body: TopUpBody,
    responses: { 200: TopUp, 201: TopUp },
    async handler({ body, request }) {
      const { orgId, by } = callerBy(request);
      const topUpId = body.topUpId ?? `tu_${randomBytes(12).toString('hex')}`;
      const done = okOrThrow(
        await wallet<'topUp'>(orgId, {
          type: 'topUp',
          topUpId,
          amountMicros: body.amountMicros,
          by,
          note: body.note ?? null,
        }),
      );
      const view = {
        topUpId: done.topUpId,
        amountMicros: done.amountMicros,
        recoveredMicros: done.recoveredMicros,
        balanceMicros: done.balanceMicros,
        availableMicros: done.availableMicros,
        ledgerSeq: done.seq,
      };
      return done.isDuplicate ? { status: 200, body: view } : { status: 201, body: view };
    },
  });

  const setAutoRecharge = defineRoute({
    method: 'PUT',
    url: '/billing/auto-recharge',
    operationId: 'setAutoRecharge',
    summary: 'Turn auto-recharge on (threshold and amount) or off',
    description:
      'When a charge or reservation leaves the available credit below thresholdMicros, the wallet records a pending top-up request of amountMicros (event autoRechargeRequested on the billing realtime topic, shown as pendingAutoRecharge). Parlo has no payment provider, so nothing is credited by itself: fulfil the request with POST /v1/billing/top-ups under its requestId.',
    tags: ['billing'],
    auth: 'session',
    scopes: ['billing:manage'],
    body: AutoRechargeBody,
    responses: { 200: AutoRechargeSettingsView },
    async handler({ body, request }) {
      const { orgId, by } = callerBy(request);
      const settings =
        body.enabled && body.thresholdMicros !== undefined && body.amountMicros !== undefined
          ? { thresholdMicros: body.thresholdMicros, amountMicros: body.amountMicros }
          : null;
      const done = okOrThrow(await wallet<'setAutoRecharge'>(orgId, { type: 'setAutoRecharge', settings, by }));
      return {
        status: 200,
        body: {
          autoRecharge: autoRechargeBody(done.autoRecharge),
          pendingAutoRecharge: pendingBody(done.pendingAutoRecharge),
        },
      };
    },
  });

  const setPlan = defineRoute({
    method: 'PUT',
    url: '/billing/plan',
    operationId: 'setPlan',
    summary: 'Set the plan: conversations included per month, monthly fee, overage markup and cap',
    description:
      'A conversation is a 24 h window opened by a business or customer message. Beyond the included ones each costs (monthlyFee ÷ included) + overageMarkupPercent; beyond maxUsagePercent of the included ones business-initiated conversations are refused (402 PARLO_PLAN_QUOTA_EXCEEDED) until the plan changes or the month ends. A new plan applies at once to the current month’s count.',
    tags: ['billing'],
    auth: 'session',
    scopes: ['billing:manage'],
    body: PlanBody,
    responses: { 200: Wallet },
    async handler({ body, request }) {
      const { orgId, by } = callerBy(request);
      const { wallet: view } = okOrThrow(await wallet<'setPlan'>(orgId, { type: 'setPlan', plan: body, by }));
      return { status: 200, body: walletBody(view) };
    },
  });

  const getUsage = defineRoute({
    method: 'GET',
    url: '/billing/usage',
    operationId: 'getUsage',
    summary: 'Message usage and charges by day, category, country, number and/or campaign',
    description:
      'Aggregated from settled message charges (delivery day, UTC), without scanning the ledger. from and to are inclusive dates (default: this month so far); groupBy is a comma-separated list (default day). Plan overage is in the ledger and the wallet’s quota.',
    tags: ['billing'],
    auth: 'session',
    scopes: ['billing:read'],
    query: z.object({ from: Day.optional(), to: Day.optional(), groupBy: GroupBy.optional() }),
    responses: { 200: Usage },
    async handler({ query, request }) {
      const { orgId, by } = callerBy(request);
      const today = dayOf(now());
      const to = query.to ?? today;
      const from = query.from ?? `${to.slice(0, 7)}-01`;
      if (from > to) throw invalidQuery('from', `must not be after to (${to})`);
      if (from < addDays(to, -USAGE_RETENTION_DAYS))
        throw invalidQuery('from', `the range may span at most ${USAGE_RETENTION_DAYS} days (usage is kept that long)`);
      const groupBy = [...new Set((query.groupBy ?? 'day').split(','))] as UsageDimension[];
      const { rows, total } = groupUsage(await readUsageDays(system, orgId, by, from, to), from, to, groupBy);
      return { status: 200, body: { from, to, groupBy, currency: EUR, rows, total } };
    },
  });

  const listLedger = defineRoute({
    method: 'GET',
    url: '/billing/ledger',
    operationId: 'listLedger',
    summary: 'The ledger, newest first: every charge, overage, top-up and recovery, with the balance after it',
    tags: ['billing'],
    auth: 'session',
    scopes: ['billing:read'],
    query: PageQuery,
    responses: { 200: pageSchema(LedgerEntryView) },
    async handler({ query, request }) {
      const { orgId, by } = callerBy(request);
      const before = decodeCursor(query.cursor, LedgerCursor)?.before;
      const listed = okOrThrow(
        await wallet<'listLedger'>(orgId, {
          type: 'listLedger',
          by,
          limit: query.limit,
          ...(before === undefined ? {} : { before }),
        }),
      );
      const entries = [...listed.entries];
      // Older entries are in sealed segments (fixed size: seq s is in segment ⌈s / SIZE⌉), read newest first.
      let below = Math.min(before ?? Number.MAX_SAFE_INTEGER, listed.sealedThroughSeq + 1);
      if (entries.length > 0) below = Math.min(below, entries[entries.length - 1]!.seq);
      for (
        let segment = Math.ceil((below - 1) / LEDGER_SEGMENT_SIZE);
        segment >= 1 && entries.length < query.limit;
        segment--
      ) {
        const older = (await readSegment(orgId, segment)).filter((e) => e.seq < below);
        for (let i = older.length - 1; i >= 0 && entries.length < query.limit; i--) entries.push(older[i]!);
      }
      const last = entries[entries.length - 1];
      // Seqs run 1, 2, 3 … without gaps and nothing is purged: there is more while the last is above 1.
      const nextCursor =
        entries.length === query.limit && last && last.seq > 1 ? encodeCursor({ before: last.seq }) : null;
      return { status: 200, body: { data: entries.map(ledgerEntryView), nextCursor } };
    },
  });

  const exportLedger = defineRoute({
    method: 'GET',
    url: '/billing/ledger/export',
    operationId: 'exportLedger',
    summary: 'Export the ledger (oldest first) as CSV or JSON, streamed',
    description:
      'Entries booked between from (inclusive) and to (exclusive); a date stands for its whole UTC day, so from=2026-01-01&to=2026-01-31 is January. CSV has one row per entry with signed amountMicros and a decimal amount (negative for debits); JSON is an array of LedgerEntry objects. Streamed: an export of any length holds one segment in memory.',
    tags: ['billing'],
    auth: 'session',
    scopes: ['billing:read'],
    query: z.object({
      format: z.enum(['csv', 'json']).default('json'),
      from: Instant.optional(),
      to: Instant.optional(),
    }),
    responses: {
      200: streamedResponse({
        'application/json': 'A JSON array of LedgerEntry objects, oldest first',
        'text/csv': 'RFC 4180 CSV with a header row, one entry per row, oldest first',
      }),
    },
    async handler({ query, request }) {
      const { orgId, by } = callerBy(request);
      const { fromMs, toMs } = rangeMs(query.from, query.to);
      if (fromMs >= toMs) throw invalidQuery('from', 'must be before to');
      // Located before the first byte: a refusal is still an error response, and the range is a snapshot.
      const located = okOrThrow(
        await wallet<'locateLedger'>(orgId, { type: 'locateLedger', by, ...(fromMs > 0 ? { fromMs } : {}) }),
      );
      const format: ExportFormat = query.format;
      const inRange = (e: LedgerEntry) => e.recordedAtMs >= fromMs && e.recordedAtMs < toMs;
      async function* chunks(): AsyncGenerator<string> {
        const writer = new LedgerExportWriter(format);
        yield writer.start();
        for (let segment = located.startSegment; segment <= located.sealedSegments; segment++) {
          const entries = await readSegment(orgId, segment);
          const chunk = writer.add(entries.filter(inRange));
          if (chunk !== '') yield chunk;
          // Entries are in booking order: past `to`, nothing later can be in range.
          if (entries.length > 0 && entries[entries.length - 1]!.recordedAtMs >= toMs) {
            yield writer.end();
            return;
          }
        }
        const chunk = writer.add(located.entries.filter(inRange));
        if (chunk !== '') yield chunk;
        yield writer.end();
      }
      const stamp = iso(now()).slice(0, 10);
      return {
        status: 200,
        stream: {
          mediaType: format === 'csv' ? 'text/csv' : 'application/json',
          chunks: chunks(),
          fileName: `ledger-${stamp}.${format}`,
        },
      };
    },
  });

  return [getWallet, createTopUp, setAutoRecharge, setPlan, getUsage, listLedger, exportLedger];
}
