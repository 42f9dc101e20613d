import { createHash } from 'node:crypto';
import type { ActorSystem } from '../../../core/index.ts';
import {
  LEDGER_SEGMENT_KIND,
  LEDGER_SEGMENT_SIZE,
  ledgerSegmentId,
  walletAddress,
  type LedgerSegmentReplies,
  type WalletReplies,
} from '../../../actors/billing/wallet.messages.ts';
import { campaignAddress, type CampaignReplies } from '../../../actors/campaigns/campaign.messages.ts';
import type { CampaignRunReplies } from '../../../actors/campaigns/campaign-run.messages.ts';
import {
  campaignsDirectoryAddress,
  MAX_CAMPAIGN_PAGE,
  type CampaignsDirectoryReplies,
} from '../../../actors/campaigns/campaigns-directory.actor.ts';
import { campaignRunAddress, campaignRunId } from '../../../actors/campaigns/recipient-outcome.ts';
import { contactAddress, type ContactReply } from '../../../actors/contacts/contact.messages.ts';
import {
  CONVERSATION_KIND,
  conversationId,
  type ConversationReplies,
} from '../../../actors/conversation/conversation.messages.ts';
import { ORG_NUMBERS_KIND, type OrgNumbersReply } from '../../../actors/numbers/numbers.messages.ts';

/**
 * A data subject's erasure (GDPR art. 17, issue #6, 2), across the actors that hold something of the customer:
 * 1. the contact (and the customer's other record, phone ↔ business-scoped user id), and its contact-index entry;
 * 2. every conversation with them on each of the organisation's numbers (log, customer, window facts) and its
 *    conversation-index entry;
 * 3. the media those conversations stored (erased from the store: content-addressed, so identical bytes held for
 *    anyone go too);
 * 4. billing: the ledger, the wallet and the sealed ledger segments keep every amount, but the conversation ids
 *    (which name the customer) become pseudonyms;
 * 5. campaigns: audience lists and run snapshots keep their outcomes under the pseudonym, without phone, user id,
 *    time zone or template values.
 * Each step is idempotent, so a request cut off half-way is completed by repeating it. The pseudonym is keyed
 * (HMAC with an installation secret in production), so it cannot be reversed by hashing every phone number.
 */

export interface ErasureDeps {
  readonly system: ActorSystem;
  /** `x` + hex: stable for (orgId, key), so a repeated erasure writes the same pseudonyms. */
  readonly pseudonymOf: (orgId: string, key: string) => string;
  /** Erases a stored media object; absent: the installation keeps no media. */
  readonly eraseMedia?: (ref: string) => Promise<boolean>;
}

export interface ErasureReport {
  readonly pseudonym: string;
  readonly contactsErased: number;
  readonly conversationsErased: number;
  readonly messagesErased: number;
  readonly mediaErased: number;
  readonly ledgerRecordsPseudonymised: number;
  readonly campaignRecipientsPseudonymised: number;
}

/** Unkeyed fallback (tests, tools without the installation's secrets): SHA-256 of the organisation and the key. */
export function hashedPseudonym(orgId: string, key: string): string {
  return `x${createHash('sha256').update(`parlo-erasure:v1:${orgId}:${key}`).digest('hex').slice(0, 32)}`;
}

export async function eraseCustomer(deps: ErasureDeps, orgId: string, contactKey: string): Promise<ErasureReport> {
  const { system } = deps;
  // 1. The contact and the customer's other record.
  const keys = [contactKey];
  let contactsErased = 0;
  for (let i = 0; i < keys.length; i++) {
    const erased = await system.ask<ContactReply<'eraseContact'>>(contactAddress(orgId, keys[i]!), {
      type: 'eraseContact',
    });
    if (erased.erased) contactsErased++;
    if (erased.linkedKey !== null && !keys.includes(erased.linkedKey)) keys.push(erased.linkedKey);
  }
  const pseudonym = deps.pseudonymOf(orgId, contactKey);

  // 2–3. Conversations on every number, and their media.
  const { numbers } = await system.ask<OrgNumbersReply<'listNumbers'>>(
    { kind: ORG_NUMBERS_KIND, id: orgId },
    { type: 'listNumbers' },
  );
  const pseudonyms: Record<string, string> = {};
  let conversationsErased = 0;
  let messagesErased = 0;
  let mediaErased = 0;
  for (const number of numbers) {
    for (const key of keys) {
      const id = conversationId(number.phoneNumberId, key);
      pseudonyms[id] = conversationId(number.phoneNumberId, deps.pseudonymOf(orgId, key));
      const erased = await system.ask<ConversationReplies['eraseConversation']>(
        { kind: CONVERSATION_KIND, id },
        { type: 'eraseConversation' },
      );
      if (erased.messages > 0) conversationsErased++;
      messagesErased += erased.messages;
      for (const ref of new Set(erased.mediaRefs)) if (await deps.eraseMedia?.(ref)) mediaErased++;
    }
  }

  // 4. Billing: the wallet, then every sealed ledger segment.
  const conversationIds = Object.keys(pseudonyms);
  let ledgerRecordsPseudonymised = 0;
  const wallet = await system.ask<WalletReplies['pseudonymiseCustomer']>(walletAddress(orgId), {
    type: 'pseudonymiseCustomer',
    conversationIds,
    pseudonyms,
  });
  ledgerRecordsPseudonymised += wallet.rewritten;
  for (let segment = 1; segment <= Math.ceil(wallet.sealedThroughSeq / LEDGER_SEGMENT_SIZE); segment++) {
    const rewritten = await system.ask<LedgerSegmentReplies['pseudonymise']>(
      { kind: LEDGER_SEGMENT_KIND, id: ledgerSegmentId(orgId, segment) },
      { type: 'pseudonymise', pseudonyms },
    );
    ledgerRecordsPseudonymised += rewritten.rewritten;
  }

  // 5. Campaigns: audience lists and run snapshots.
  let campaignRecipientsPseudonymised = 0;
  let before: string | undefined;
  do {
    const page: CampaignsDirectoryReplies['listCampaigns'] = await system.ask(campaignsDirectoryAddress(orgId), {
      type: 'listCampaigns',
      limit: MAX_CAMPAIGN_PAGE,
      ...(before === undefined ? {} : { before }),
    });
    for (const listing of page.campaigns) {
      for (const key of keys) {
        await system.ask<CampaignReplies['eraseAudienceKey']>(campaignAddress(orgId, listing.id), {
          type: 'eraseAudienceKey',
          key,
          pseudonym: deps.pseudonymOf(orgId, key),
        });
        for (let run = 1; run <= listing.runs; run++) {
          const erased = await system.ask<CampaignRunReplies['eraseRecipient']>(
            campaignRunAddress(campaignRunId(orgId, listing.id, run)),
            { type: 'eraseRecipient', key, pseudonym: deps.pseudonymOf(orgId, key) },
          );
          campaignRecipientsPseudonymised += erased.erased;
        }
      }
    }
    before = page.nextBefore ?? undefined;
  } while (before !== undefined);

  return {
    pseudonym,
    contactsErased,
    conversationsErased,
    messagesErased,
    mediaErased,
    ledgerRecordsPseudonymised,
    campaignRecipientsPseudonymised,
  };
}
