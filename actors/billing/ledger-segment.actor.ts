import { defineActor, unreachable } from '../../core/index.ts';
import { pseudonymiseEntries, pseudonymsOf } from './pseudonymise.ts';
import {
  LEDGER_SEGMENT_KIND,
  type LedgerEntry,
  type LedgerSegmentMsg,
  type LedgerSegmentReplies,
} from './wallet.messages.ts';

/**
 * A sealed page of an organisation's ledger (id `<orgId>.<segment number>`, ledgerSegmentId): exactly
 * LEDGER_SEGMENT_SIZE entries, oldest first, seqs (n−1)·SIZE+1 … n·SIZE. The wallet keeps only the newest entries
 * in its own state and asks one of these to store each full segment, so a charge never rewrites thousands of old
 * entries. A segment is written once: a re-sent store changes nothing. The ledger is a financial record and is
 * never purged (about 100 bytes per entry on disk). The one rewrite is a customer's erasure (`pseudonymise`,
 * pseudonymise.ts): conversation ids become pseudonyms, every amount, balance and seq stays.
 */
export interface LedgerSegmentState {
  readonly entries: readonly LedgerEntry[];
}

export const ledgerSegmentActor = defineActor<LedgerSegmentState, LedgerSegmentMsg>({
  kind: LEDGER_SEGMENT_KIND,
  stateVersion: 1,
  initialState: () => ({ entries: [] }),
  isEmpty: (state) => state.entries.length === 0,
  handle(state, msg) {
    switch (msg.type) {
      case 'store': {
        const next = state.entries.length > 0 ? state : { entries: msg.entries };
        const reply: LedgerSegmentReplies['store'] = { ok: true, stored: next.entries.length };
        return { state: next, reply };
      }
      case 'read': {
        const reply: LedgerSegmentReplies['read'] = { ok: true, entries: state.entries };
        return { state, reply };
      }
      case 'pseudonymise': {
        // A segment never stored has no entries: it answers 0 and stays unstored (isEmpty).
        const { list, rewritten } = pseudonymiseEntries(state.entries, pseudonymsOf(msg.pseudonyms));
        const reply: LedgerSegmentReplies['pseudonymise'] = { ok: true, rewritten };
        return { state: rewritten === 0 ? state : { entries: list }, reply };
      }
      default:
        return unreachable(msg);
    }
  },
});
