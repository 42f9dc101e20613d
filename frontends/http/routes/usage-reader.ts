import { ParloError, type ActorSystem } from '../../../core/index.ts';
import { mergeDays, type UsageDays } from '../../../actors/billing/usage.ts';
import {
  USAGE_ARCHIVE_KIND,
  usageArchiveId,
  walletAddress,
  type BillingCaller,
  type UsageArchiveReplies,
  type WalletReplies,
} from '../../../actors/billing/wallet.messages.ts';

/**
 * The usage aggregates of the days [fromDay, toDay] (inclusive), wherever they live: the wallet keeps the newest
 * days, older ones are in their month's usage archive. A day the wallet still holds wins over an archive's copy of
 * it (a seal in flight). Used by the billing API and by campaign analytics (cost per campaign).
 */
export async function readUsageDays(
  system: ActorSystem,
  orgId: string,
  by: BillingCaller,
  fromDay: string,
  toDay: string,
): Promise<UsageDays> {
  const read = await system.ask<WalletReplies['readUsage']>(walletAddress(orgId), {
    type: 'readUsage',
    by,
    fromDay,
    toDay,
  });
  if (!read.ok) throw new ParloError(read.code, read.message);
  const archived: UsageDays[] = [];
  for (const month of read.archivedMonths) {
    const answer = await system.ask<UsageArchiveReplies['read']>(
      { kind: USAGE_ARCHIVE_KIND, id: usageArchiveId(orgId, month) },
      { type: 'read', fromDay, toDay },
    );
    archived.push(answer.days);
  }
  return mergeDays(read.days, ...archived);
}
