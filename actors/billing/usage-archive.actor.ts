import { defineActor, unreachable } from '../../core/index.ts';
import { addCell, type DayUsage, type UsageDays } from './usage.ts';
import { USAGE_ARCHIVE_KIND, type UsageArchiveMsg, type UsageArchiveReplies } from './wallet.messages.ts';

/**
 * One month of an organisation's usage aggregates (id `<orgId>.<YYYY-MM>`, usageArchiveId): the days the wallet
 * sealed out of its state (older than USAGE_DAYS_IN_STATE), plus charges reported for them later. Purged by the
 * wallet after USAGE_RETENTION_DAYS. At most 31 days of cells. Cells hold no conversation id (usage.ts), so an
 * erasure has nothing to pseudonymise here.
 */
export interface UsageArchiveState {
  readonly days: UsageDays;
}

export const usageArchiveActor = defineActor<UsageArchiveState, UsageArchiveMsg>({
  kind: USAGE_ARCHIVE_KIND,
  stateVersion: 1,
  initialState: () => ({ days: {} }),
  isEmpty: (state) => Object.keys(state.days).length === 0,
  handle(state, msg) {
    switch (msg.type) {
      case 'storeDay': {
        // The wallet's copy of the whole day: replaces an earlier one, so a re-sent store changes nothing.
        const reply: UsageArchiveReplies['storeDay'] = { ok: true, day: msg.day };
        return { state: { days: { ...state.days, [msg.day]: msg.usage } }, reply };
      }
      case 'addUsage': {
        const day: DayUsage = Object.hasOwn(state.days, msg.day) ? state.days[msg.day]! : {};
        return { state: { days: { ...state.days, [msg.day]: addCell(day, msg.key, msg.cell) } } };
      }
      case 'read': {
        const days: Record<string, DayUsage> = {};
        for (const [day, usage] of Object.entries(state.days))
          if (day >= msg.fromDay && day <= msg.toDay) days[day] = usage;
        const reply: UsageArchiveReplies['read'] = { ok: true, days };
        return { state, reply };
      }
      case 'purge':
        return { state: { days: {} } };
      default:
        return unreachable(msg);
    }
  },
});
