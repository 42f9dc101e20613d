import type { Effect, TurnContext } from '../../../core/index.ts';
import { ledgerSegmentActor, type LedgerSegmentState } from '../ledger-segment.actor.ts';
import { usageArchiveActor, type UsageArchiveState } from '../usage-archive.actor.ts';
import { walletActor } from '../wallet.actor.ts';
import {
  LEDGER_SEGMENT_KIND,
  USAGE_ARCHIVE_KIND,
  WALLET_KIND,
  type LedgerEntry,
  type LedgerSegmentMsg,
  type UsageArchiveMsg,
  type WalletMsg,
} from '../wallet.messages.ts';
import { initialWalletState, type WalletState } from '../wallet.state.ts';

/**
 * The wallet and its segment and archive actors in memory, for unit tests: each message runs the pure handlers
 * and delivers their effects at once (asks answered, replies fed back, tells run), the way the runtime would,
 * without LMDB. Timers are kept and fired by `advanceTo`. `holdAcks` keeps the answers of segment and archive
 * asks back (to look at the state while a seal is in flight) until `releaseAcks`; `holdAsks` keeps the asks
 * themselves back (the peer has not handled them yet) until `releaseAsks`.
 */
export class WalletWorld {
  wallet: WalletState = initialWalletState();
  readonly segments = new Map<string, LedgerSegmentState>();
  readonly archives = new Map<string, UsageArchiveState>();
  readonly timers = new Map<string, { dueAtMs: number; msg: WalletMsg }>();
  readonly published: { topic: string; event: unknown }[] = [];
  /** Every effect the wallet returned, in order. */
  readonly effects: Effect[] = [];
  holdAcks = false;
  holdAsks = false;
  /** The next this many asks fail as a handler bug would (the runtime's PARLO_HANDLER_FAILED refusal). */
  failAsks = 0;
  private readonly heldAcks: WalletMsg[] = [];
  private readonly heldAsks: Extract<Effect, { type: 'ask' }>[] = [];
  private ids = 0;

  constructor(
    readonly orgId: string,
    public nowMs: number,
    /** The wallet definition (one built with a starting credit, say); the registry's by default. */
    private readonly actor: typeof walletActor = walletActor,
  ) {}

  private ctx(kind: string, id: string): TurnContext {
    return { self: { kind, id }, nowMs: this.nowMs, msgId: `m${this.ids}`, newId: () => `id${++this.ids}` };
  }

  /** Sends one message to the wallet and returns its reply. */
  send<R = unknown>(msg: WalletMsg): R {
    const result = this.actor.handle(this.wallet, msg, this.ctx(WALLET_KIND, this.orgId));
    this.wallet = result.state;
    for (const effect of result.effects ?? []) this.dispatch(effect);
    return result.reply as R;
  }

  private dispatch(effect: Effect): void {
    this.effects.push(effect);
    switch (effect.type) {
      case 'publish':
        this.published.push({ topic: effect.topic, event: effect.event });
        return;
      case 'setTimer':
        this.timers.set(effect.name, { dueAtMs: effect.dueAtMs, msg: effect.msg as WalletMsg });
        return;
      case 'cancelTimer':
        this.timers.delete(effect.name);
        return;
      case 'tell':
        this.runPeer(effect.to.kind, effect.to.id, effect.msg);
        return;
      case 'ask':
        if (this.holdAsks) this.heldAsks.push(effect);
        else this.runAsk(effect);
        return;
      case 'callPort':
        throw new Error('the wallet calls no port');
    }
  }

  private runAsk(effect: Extract<Effect, { type: 'ask' }>): void {
    const failed = this.failAsks > 0;
    if (failed) this.failAsks--;
    const reply = failed
      ? { ok: false, code: 'PARLO_HANDLER_FAILED', message: 'the handler threw' }
      : { ok: true, value: this.runPeer(effect.to.kind, effect.to.id, effect.msg) };
    const answer = { type: effect.replyType, callId: effect.callId, reply } as unknown as WalletMsg;
    if (this.holdAcks) this.heldAcks.push(answer);
    else this.send(answer);
  }

  private runPeer(kind: string, id: string, msg: unknown): unknown {
    if (kind === LEDGER_SEGMENT_KIND) {
      const state = this.segments.get(id) ?? ledgerSegmentActor.initialState(id);
      const result = ledgerSegmentActor.handle(state, msg as LedgerSegmentMsg, this.ctx(kind, id));
      if (ledgerSegmentActor.isEmpty?.(result.state)) this.segments.delete(id);
      else this.segments.set(id, result.state);
      return result.reply;
    }
    if (kind === USAGE_ARCHIVE_KIND) {
      const state = this.archives.get(id) ?? usageArchiveActor.initialState(id);
      const result = usageArchiveActor.handle(state, msg as UsageArchiveMsg, this.ctx(kind, id));
      if (usageArchiveActor.isEmpty?.(result.state)) this.archives.delete(id);
      else this.archives.set(id, result.state);
      return result.reply;
    }
    throw new Error(`no actor ${kind}:${id} in this world`);
  }

  /** Delivers the held answers (those `which` picks, all by default; the rest stay held and holding goes on). */
  releaseAcks(which?: (answer: { type: string; callId: string }) => boolean): void {
    if (which === undefined) this.holdAcks = false;
    const picked = this.heldAcks.filter((a) => which?.(a as unknown as { type: string; callId: string }) ?? true);
    for (const answer of picked) this.heldAcks.splice(this.heldAcks.indexOf(answer), 1);
    for (const answer of picked) this.send(answer);
  }

  /** Sends a message to segment `n` of this organisation's ledger (as the erasure does) and returns its reply. */
  sendToSegment<R = unknown>(segment: number, msg: LedgerSegmentMsg): R {
    return this.runPeer(LEDGER_SEGMENT_KIND, `${this.orgId}.${segment}`, msg) as R;
  }

  /** Runs the held asks in order (their answers then come back as usual). */
  releaseAsks(): void {
    this.holdAsks = false;
    for (const ask of this.heldAsks.splice(0)) this.runAsk(ask);
  }

  /** Moves the clock, firing due timers in due order. */
  advanceTo(nowMs: number): void {
    for (;;) {
      const due = [...this.timers.entries()]
        .filter(([, t]) => t.dueAtMs <= nowMs)
        .sort(([, a], [, b]) => a.dueAtMs - b.dueAtMs)[0];
      if (!due) break;
      const [name, timer] = due;
      this.timers.delete(name);
      this.nowMs = Math.max(this.nowMs, timer.dueAtMs);
      this.send(timer.msg);
    }
    this.nowMs = nowMs;
  }

  /** The whole ledger, oldest first: sealed segments, then the wallet's own entries. */
  allEntries(): LedgerEntry[] {
    const sealed: LedgerEntry[] = [];
    for (let n = 1; this.segments.has(`${this.orgId}.${n}`); n++)
      sealed.push(...this.segments.get(`${this.orgId}.${n}`)!.entries);
    const rest = this.wallet.ledger.filter((e) => sealed.every((s) => s.seq !== e.seq));
    return [...sealed, ...rest];
  }
}
