import { defineActor, unreachable } from '../../core/index.ts';
import type { AuditEntry } from './org.state.ts';

/**
 * A sealed page of an organisation's audit log (id `<orgId>.<segment number>`). The org actor keeps only the
 * newest entries in its own state and hands each full segment to one of these, so an organisation change never
 * rewrites thousands of old entries; the oldest segments are purged (their LMDB entry deleted) beyond the
 * retention. Entries are newest first, their `seq` contiguous.
 */
export const AUDIT_SEGMENT_KIND = 'audit-segment';

export function auditSegmentId(orgId: string, segment: number): string {
  return `${orgId}.${segment}`;
}

export interface AuditSegmentState {
  readonly entries: readonly AuditEntry[];
}

export type AuditSegmentMsg =
  | { readonly type: 'store'; readonly entries: readonly AuditEntry[] }
  | { readonly type: 'read'; readonly before?: number; readonly limit: number }
  | { readonly type: 'purge' };

export interface AuditSegmentReplies {
  read: { ok: true; entries: readonly AuditEntry[]; more: boolean };
}

export const auditSegmentActor = defineActor<AuditSegmentState, AuditSegmentMsg>({
  kind: AUDIT_SEGMENT_KIND,
  stateVersion: 1,
  initialState: () => ({ entries: [] }),
  isEmpty: (state) => state.entries.length === 0,
  handle(state, msg) {
    switch (msg.type) {
      case 'store':
        // A segment is written once; a re-delivered store changes nothing.
        return state.entries.length > 0 ? { state } : { state: { entries: msg.entries } };
      case 'read': {
        const before = msg.before;
        const older = before === undefined ? state.entries : state.entries.filter((e) => e.seq < before);
        const entries = older.slice(0, msg.limit);
        const reply: AuditSegmentReplies['read'] = { ok: true, entries, more: older.length > entries.length };
        return { state, reply };
      }
      case 'purge':
        return { state: { entries: [] } };
      default:
        return unreachable(msg);
    }
  },
});
