import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DELIVERY_STATUSES } from '../../core/index.ts';
import {
  EMPTY_MESSAGE_STATUS,
  billingFacts,
  currentRank,
  deliveredAtMs,
  entryOf,
  failure,
  isDelivered,
  joinStatuses,
  mergeStatus,
  pricing,
  type MessageStatus,
  type StatusObservation,
} from './status-merge.ts';

const T = 1_790_000_000_000;
const MARKETING = { billable: true, pricingModel: 'PMP', pricingType: 'regular', category: 'marketing' };
const FREE = { billable: false, pricingModel: 'PMP', pricingType: 'free_customer_service', category: 'service' };
const E131047 = { code: 131047, title: 'Re-engagement message', details: 'more than 24 hours have passed' };
const E131026 = { code: 131026, title: 'Message undeliverable' };

const fold = (observations: readonly StatusObservation[], from: MessageStatus = EMPTY_MESSAGE_STATUS) =>
  observations.reduce(mergeStatus, from);

describe('mergeStatus: ranks', () => {
  it('starts pending and moves up sent < delivered < read, keeping each status once with its time', () => {
    const state = fold([
      { status: 'sent', timestampMs: T, pricing: MARKETING },
      { status: 'delivered', timestampMs: T + 1000, pricing: MARKETING },
      { status: 'read', timestampMs: T + 5000 },
    ]);
    expect(state.current).toBe('read');
    expect(state.history.map((e) => [e.status, e.atMs])).toEqual([
      ['sent', T],
      ['delivered', T + 1000],
      ['read', T + 5000],
    ]);
    expect(EMPTY_MESSAGE_STATUS.current).toBe('pending');
    expect(currentRank(EMPTY_MESSAGE_STATUS)).toBe(0);
  });

  it('never regresses: a late delivered after read keeps read but enters the history', () => {
    const state = fold([
      { status: 'read', timestampMs: T + 5000 },
      { status: 'delivered', timestampMs: T + 1000 },
      { status: 'sent', timestampMs: T },
    ]);
    expect(state.current).toBe('read');
    expect(state.history.map((e) => e.status)).toEqual(['sent', 'delivered', 'read']);
  });

  it('read without delivered proves delivery', () => {
    const state = fold([{ status: 'read', timestampMs: T + 3 }]);
    expect(isDelivered(state)).toBe(true);
    expect(deliveredAtMs(state)).toBe(T + 3);
  });

  it('failed after sent is terminal and carries code, title and details', () => {
    const state = fold([
      { status: 'sent', timestampMs: T },
      { status: 'failed', timestampMs: T + 10, errors: [E131047] },
      { status: 'sent', timestampMs: T },
    ]);
    expect(state.current).toBe('failed');
    expect(isDelivered(state)).toBe(false);
    expect(failure(state)).toEqual([
      { code: 131047, title: 'Re-engagement message', message: null, details: 'more than 24 hours have passed' },
    ]);
  });

  it('a delivery proof outranks failed; the failure stays in the history', () => {
    const state = fold([
      { status: 'failed', timestampMs: T + 10, errors: [E131026] },
      { status: 'delivered', timestampMs: T + 5 },
    ]);
    expect(state.current).toBe('delivered');
    expect(failure(state)).toBeNull();
    expect(entryOf(state, 'failed')?.errors?.[0]?.code).toBe(131026);
  });

  it('a failed without errors reports an empty list', () => {
    expect(failure(fold([{ status: 'failed', timestampMs: T }]))).toEqual([]);
  });

  it('played ranks above read; deleted is a flag that keeps the delivery rank', () => {
    let state = fold([
      { status: 'played', timestampMs: T + 9 },
      { status: 'read', timestampMs: T + 8 },
    ]);
    expect(state.current).toBe('played');
    state = mergeStatus(state, { status: 'deleted', timestampMs: T + 20 });
    expect(state.current).toBe('played');
    expect(state.isDeleted).toBe(true);
    expect(state.history.map((e) => e.status)).toEqual(['read', 'played', 'deleted']);
    const onlyDeleted = fold([{ status: 'deleted', timestampMs: T }]);
    expect(onlyDeleted.current).toBe('pending');
    expect(onlyDeleted.isDeleted).toBe(true);
  });

  it('ignores a status outside the known set (same object back)', () => {
    const state = fold([{ status: 'sent', timestampMs: T }]);
    expect(mergeStatus(state, { status: 'warning' as never, timestampMs: T })).toBe(state);
  });
});

describe('mergeStatus: duplicates', () => {
  it('returns the same object for an exact duplicate', () => {
    const state = fold([{ status: 'sent', timestampMs: T, pricing: MARKETING }]);
    expect(mergeStatus(state, { status: 'sent', timestampMs: T, pricing: { ...MARKETING } })).toBe(state);
  });

  it('keeps the earliest timestamp of a status and fills in pricing a duplicate carries', () => {
    const state = fold([
      { status: 'delivered', timestampMs: T + 7 },
      { status: 'delivered', timestampMs: T + 3, pricing: MARKETING },
    ]);
    expect(state.history).toEqual([
      {
        status: 'delivered',
        atMs: T + 3,
        errors: null,
        pricing: { billable: true, pricingModel: 'PMP', type: 'regular', category: 'marketing' },
      },
    ]);
  });
});

describe('pricing and billing facts', () => {
  it('prefers the delivery-time pricing over the send-time one', () => {
    const state = fold([
      { status: 'sent', timestampMs: T, pricing: FREE },
      { status: 'delivered', timestampMs: T + 1, pricing: MARKETING },
    ]);
    expect(pricing(state)?.category).toBe('marketing');
    expect(billingFacts(state)).toEqual({
      isDelivered: true,
      deliveredAtMs: T + 1,
      pricing: { billable: true, pricingModel: 'PMP', type: 'regular', category: 'marketing' },
    });
  });

  it('is empty before any pricing arrives; a sent-only message is not delivered', () => {
    expect(billingFacts(EMPTY_MESSAGE_STATUS)).toEqual({ isDelivered: false, deliveredAtMs: null, pricing: null });
    const sent = fold([{ status: 'sent', timestampMs: T, pricing: FREE }]);
    expect(billingFacts(sent)).toEqual({
      isDelivered: false,
      deliveredAtMs: null,
      pricing: { billable: false, pricingModel: 'PMP', type: 'free_customer_service', category: 'service' },
    });
  });

  it('deliveredAtMs is the earliest proof', () => {
    const state = fold([
      { status: 'read', timestampMs: T + 2 },
      { status: 'delivered', timestampMs: T + 4 }, // clocks disagree: still the earliest proof
    ]);
    expect(deliveredAtMs(state)).toBe(T + 2);
  });
});

// ---- property tests: a join-semilattice ----

const errorArb = fc.constantFrom(
  [E131047],
  [E131026],
  [{ code: 131049, title: 'Meta chose not to deliver', message: 'healthy ecosystem' }],
  [E131026, E131047],
);
const pricingArb = fc.constantFrom(MARKETING, FREE, {
  billable: false,
  pricingModel: 'PMP',
  pricingType: 'free_entry_point',
  category: 'referral_conversion',
});
const observationArb: fc.Arbitrary<StatusObservation> = fc.record(
  {
    status: fc.constantFrom(...DELIVERY_STATUSES),
    timestampMs: fc.integer({ min: T, max: T + 20 }),
    errors: errorArb,
    pricing: pricingArb,
  },
  { requiredKeys: ['status', 'timestampMs'] },
);

/** The observations, each repeated 1–3 times, in a random order. */
const deliveriesArb = fc.array(observationArb, { minLength: 0, maxLength: 12 }).chain((observations) =>
  fc
    .tuple(
      fc.constant(observations),
      fc.array(fc.integer({ min: 1, max: 3 }), {
        minLength: observations.length,
        maxLength: observations.length,
      }),
    )
    .chain(([obs, repeats]) =>
      fc.shuffledSubarray(
        obs.flatMap((o, i) => Array<StatusObservation>(repeats[i]!).fill(o)),
        {
          minLength: obs.reduce((n, _o, i) => n + repeats[i]!, 0),
        },
      ),
    )
    .map((delivered) => ({ observations, delivered })),
);

describe('mergeStatus is order-, duplicate- and delay-insensitive (property)', () => {
  it('shuffled and duplicated webhooks give the deep-equal state', () => {
    fc.assert(
      fc.property(deliveriesArb, ({ observations, delivered }) => {
        expect(fold(delivered)).toEqual(fold(observations));
      }),
      { numRuns: 500 },
    );
  });

  it('the current rank never decreases while webhooks arrive', () => {
    fc.assert(
      fc.property(fc.array(observationArb, { maxLength: 15 }), (observations) => {
        let state = EMPTY_MESSAGE_STATUS;
        for (const o of observations) {
          const next = mergeStatus(state, o);
          expect(currentRank(next)).toBeGreaterThanOrEqual(currentRank(state));
          state = next;
        }
        // Each status at most once, in history order.
        const statuses = state.history.map((e) => e.status);
        expect(new Set(statuses).size).toBe(statuses.length);
      }),
    );
  });

  it('join is commutative, associative and idempotent', () => {
    const stateArb = fc.array(observationArb, { maxLength: 8 }).map((o) => fold(o));
    fc.assert(
      fc.property(stateArb, stateArb, stateArb, (a, b, c) => {
        expect(joinStatuses(a, b)).toEqual(joinStatuses(b, a));
        expect(joinStatuses(joinStatuses(a, b), c)).toEqual(joinStatuses(a, joinStatuses(b, c)));
        expect(joinStatuses(a, a)).toEqual(a);
        expect(joinStatuses(a, EMPTY_MESSAGE_STATUS)).toBe(a);
      }),
    );
  });

  it('never mutates its input', () => {
    fc.assert(
      fc.property(fc.array(observationArb, { maxLength: 8 }), observationArb, (observations, extra) => {
        const state = fold(observations);
        const copy = structuredClone(state);
        mergeStatus(state, extra);
        expect(state).toEqual(copy);
      }),
    );
  });
});
