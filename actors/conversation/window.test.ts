import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_WINDOW_FACTS,
  FREE_ENTRY_POINT_REPLY_MS,
  FREE_ENTRY_POINT_WINDOW_MS,
  PLAN_CONVERSATION_MS,
  SERVICE_WINDOW_MS,
  isFreeEntryPointOpen,
  isServiceWindowOpen,
  opensPlanConversation,
  recordInbound,
  recordOutbound,
  windowState,
  type WindowFacts,
} from './window.ts';

const HOUR = 3_600_000;
const T0 = 1_790_000_000_000;
const AD = { sourceType: 'ad', sourceId: '120212345', ctwaClid: 'clid-1' };

describe('customer-service window', () => {
  it('is closed before the customer ever wrote', () => {
    const view = windowState(EMPTY_WINDOW_FACTS, T0);
    expect(view.service).toEqual({ isOpen: false, expiresAtMs: null });
    expect(view.canSendFreeForm).toBe(false);
    expect(view.reason).toBe('noInboundMessage');
    expect(view.nextChangeAtMs).toBeNull();
    expect(view.freeEntryPointOfferUntilMs).toBeNull();
  });

  it('opens on an inbound message and closes exactly 24 h later (open at −1 ms, closed at 0)', () => {
    const facts = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0 });
    const expires = T0 + SERVICE_WINDOW_MS;
    expect(windowState(facts, T0).service).toEqual({ isOpen: true, expiresAtMs: expires });
    expect(windowState(facts, expires - 1).canSendFreeForm).toBe(true);
    expect(windowState(facts, expires - 1).reason).toBe('serviceWindowOpen');
    expect(windowState(facts, expires - 1).nextChangeAtMs).toBe(expires);
    expect(windowState(facts, expires).service.isOpen).toBe(false);
    expect(windowState(facts, expires).canSendFreeForm).toBe(false);
    expect(windowState(facts, expires).reason).toBe('serviceWindowExpired');
    expect(isServiceWindowOpen(facts, expires - 1)).toBe(true);
    expect(isServiceWindowOpen(facts, expires)).toBe(false);
  });

  it('is reset to 24 h by each newer inbound message', () => {
    let facts = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0 });
    facts = recordInbound(facts, { atMs: T0 + 20 * HOUR });
    expect(windowState(facts, T0 + SERVICE_WINDOW_MS).service.isOpen).toBe(true);
    expect(windowState(facts, T0 + 44 * HOUR - 1).service.isOpen).toBe(true);
    expect(windowState(facts, T0 + 44 * HOUR).service.isOpen).toBe(false);
  });

  it('is not extended by business messages', () => {
    let facts = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0 });
    facts = recordOutbound(facts, { atMs: T0 + 23 * HOUR });
    expect(windowState(facts, T0 + SERVICE_WINDOW_MS).service.isOpen).toBe(false);
  });

  it('is not shortened by a late, older inbound message (out-of-order webhooks)', () => {
    const newer = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0 + 10 * HOUR });
    const withLate = recordInbound(newer, { atMs: T0 });
    expect(withLate).toBe(newer); // unchanged, same object
    expect(windowState(withLate, T0 + 34 * HOUR - 1).service.isOpen).toBe(true);
  });

  it('never depends on the order in which inbound times are recorded (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 * HOUR }), { minLength: 1, maxLength: 20 }), (offsets) => {
        const forward = offsets.reduce((f, o) => recordInbound(f, { atMs: T0 + o }), EMPTY_WINDOW_FACTS);
        const backward = [...offsets]
          .reverse()
          .reduce((f, o) => recordInbound(f, { atMs: T0 + o }), EMPTY_WINDOW_FACTS);
        expect(forward.lastInboundAtMs).toBe(T0 + Math.max(...offsets));
        expect(backward.lastInboundAtMs).toBe(forward.lastInboundAtMs);
      }),
    );
  });
});

describe('free entry point window', () => {
  it('opens 72 h from a business reply within 24 h of a referral, exact to the millisecond', () => {
    let facts = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0, referral: AD });
    expect(windowState(facts, T0).freeEntryPoint.isOpen).toBe(false); // a referral alone opens nothing
    expect(windowState(facts, T0).nextChangeAtMs).toBe(T0 + SERVICE_WINDOW_MS);
    expect(windowState(facts, T0).freeEntryPointOfferUntilMs).toBe(T0 + FREE_ENTRY_POINT_REPLY_MS);
    expect(windowState(facts, T0 + FREE_ENTRY_POINT_REPLY_MS - 1).freeEntryPointOfferUntilMs).toBe(
      T0 + FREE_ENTRY_POINT_REPLY_MS,
    );
    expect(windowState(facts, T0 + FREE_ENTRY_POINT_REPLY_MS).freeEntryPointOfferUntilMs).toBeNull();
    const reply = T0 + 5 * HOUR;
    facts = recordOutbound(facts, { atMs: reply });
    const expires = reply + FREE_ENTRY_POINT_WINDOW_MS;
    expect(facts.freeEntryPointStartedAtMs).toBe(reply);
    expect(facts.freeEntryPointReferral).toEqual(AD);
    expect(facts.pendingReferral).toBeNull();
    expect(windowState(facts, reply).freeEntryPointOfferUntilMs).toBeNull();
    expect(windowState(facts, expires - 1).freeEntryPoint).toEqual({ isOpen: true, expiresAtMs: expires });
    expect(isFreeEntryPointOpen(facts, expires - 1)).toBe(true);
    expect(isFreeEntryPointOpen(facts, expires)).toBe(false);
    expect(windowState(facts, expires).freeEntryPoint.isOpen).toBe(false);
    // The service window still governs free-form sends inside the free entry point.
    expect(windowState(facts, T0 + SERVICE_WINDOW_MS).canSendFreeForm).toBe(false);
    expect(windowState(facts, T0 + SERVICE_WINDOW_MS).freeEntryPoint.isOpen).toBe(true);
    expect(windowState(facts, T0 + SERVICE_WINDOW_MS).nextChangeAtMs).toBe(expires);
  });

  it('opens for a reply at referral + 24 h − 1 ms but not at + 24 h (which also drops the referral)', () => {
    const referred = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0, referral: AD });
    const justInTime = recordOutbound(referred, { atMs: T0 + FREE_ENTRY_POINT_REPLY_MS - 1 });
    expect(justInTime.freeEntryPointStartedAtMs).toBe(T0 + FREE_ENTRY_POINT_REPLY_MS - 1);
    const late = recordOutbound(referred, { atMs: T0 + FREE_ENTRY_POINT_REPLY_MS });
    expect(late.freeEntryPointStartedAtMs).toBeNull();
    expect(late.pendingReferral).toBeNull();
  });

  it('needs a referral: a reply to an ordinary message opens none', () => {
    let facts = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0 });
    facts = recordOutbound(facts, { atMs: T0 + HOUR });
    expect(facts.freeEntryPointStartedAtMs).toBeNull();
    expect(windowState(facts, T0 + HOUR).freeEntryPoint).toEqual({ isOpen: false, expiresAtMs: null });
  });

  it('is started by the first reply only; later replies do not move it', () => {
    let facts = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0, referral: AD });
    facts = recordOutbound(facts, { atMs: T0 + HOUR });
    const again = recordOutbound(facts, { atMs: T0 + 2 * HOUR });
    expect(again.freeEntryPointStartedAtMs).toBe(T0 + HOUR);
  });

  it('ignores a referral received while a free entry point is open (no extension, nothing pending)', () => {
    let facts = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0, referral: AD });
    facts = recordOutbound(facts, { atMs: T0 + HOUR });
    facts = recordInbound(facts, { atMs: T0 + 30 * HOUR, referral: { sourceType: 'post' } });
    expect(facts.pendingReferral).toBeNull();
    facts = recordOutbound(facts, { atMs: T0 + 31 * HOUR });
    expect(facts.freeEntryPointStartedAtMs).toBe(T0 + HOUR);
    expect(windowState(facts, T0 + HOUR + FREE_ENTRY_POINT_WINDOW_MS).freeEntryPoint.isOpen).toBe(false);
  });

  it('opens a new one after the last one closed, from a new referral', () => {
    let facts = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0, referral: AD });
    facts = recordOutbound(facts, { atMs: T0 + HOUR });
    const later = T0 + HOUR + FREE_ENTRY_POINT_WINDOW_MS + 5 * HOUR;
    facts = recordInbound(facts, { atMs: later, referral: { sourceType: 'post', sourceId: 'p1' } });
    expect(facts.pendingReferral).toEqual({ atMs: later, sourceType: 'post', sourceId: 'p1', ctwaClid: null });
    expect(windowState(facts, later).nextChangeAtMs).toBe(later + FREE_ENTRY_POINT_REPLY_MS);
    facts = recordOutbound(facts, { atMs: later + 1 });
    expect(facts.freeEntryPointStartedAtMs).toBe(later + 1);
    expect(facts.freeEntryPointReferral).toEqual({ sourceType: 'post', sourceId: 'p1', ctwaClid: null });
  });

  it('keeps the newest pending referral; a late, older one changes nothing', () => {
    const newer = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0 + 10 * HOUR, referral: AD });
    const late = recordInbound(newer, { atMs: T0, referral: { sourceType: 'post' } });
    expect(late).toBe(newer);
    // So a reply 30 h after the older one (20 h after the newer one) still opens a free entry point.
    expect(recordOutbound(late, { atMs: T0 + 30 * HOUR }).freeEntryPointStartedAtMs).toBe(T0 + 30 * HOUR);
  });

  it('is not started by a reply timestamped before the referral (reordered facts)', () => {
    const referred = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0 + HOUR, referral: AD });
    const early = recordOutbound(referred, { atMs: T0 });
    expect(early.freeEntryPointStartedAtMs).toBeNull();
    expect(early.pendingReferral).toEqual(referred.pendingReferral);
  });
});

describe('plan conversations (quota unit)', () => {
  it('a customer or business message opens one when none is open; it lasts exactly 24 h', () => {
    expect(opensPlanConversation(EMPTY_WINDOW_FACTS, T0)).toBe(true);
    let facts = recordOutbound(EMPTY_WINDOW_FACTS, { atMs: T0 });
    expect(facts.planConversationStartedAtMs).toBe(T0);
    expect(opensPlanConversation(facts, T0 + PLAN_CONVERSATION_MS - 1)).toBe(false);
    facts = recordInbound(facts, { atMs: T0 + PLAN_CONVERSATION_MS - 1 });
    expect(facts.planConversationStartedAtMs).toBe(T0);
    expect(opensPlanConversation(facts, T0 + PLAN_CONVERSATION_MS)).toBe(true);
    facts = recordInbound(facts, { atMs: T0 + PLAN_CONVERSATION_MS });
    expect(facts.planConversationStartedAtMs).toBe(T0 + PLAN_CONVERSATION_MS);
  });

  it('a late, older message opens none', () => {
    const facts = recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0 + 30 * HOUR });
    expect(opensPlanConversation(facts, T0)).toBe(false);
    expect(recordInbound(facts, { atMs: T0 })).toBe(facts);
  });
});

describe('purity', () => {
  it('never mutates its input and returns the same object when nothing changes', () => {
    const facts: WindowFacts = Object.freeze(recordInbound(EMPTY_WINDOW_FACTS, { atMs: T0, referral: AD }));
    const copy = structuredClone(facts);
    recordOutbound(facts, { atMs: T0 + HOUR });
    recordInbound(facts, { atMs: T0 + 2 * HOUR, referral: AD });
    windowState(facts, T0);
    expect(facts).toEqual(copy);
    expect(recordInbound(facts, { atMs: T0 })).toBe(facts);
  });
});
