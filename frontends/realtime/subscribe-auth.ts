import type { ActorSystem, ErrorCode } from '../../core/index.ts';
import { ORG_NUMBERS_KIND, type OrgNumbersReply } from '../../actors/numbers/numbers.messages.ts';
import { can, type Role } from '../../actors/org/permissions.ts';
import type { TtlCache } from '../http/ttl-cache.ts';
import { numberOfConversation, type Scope } from './protocol.ts';
import type { SubscriptionKey } from './subscriptions.ts';

/**
 * Who may subscribe to what (ARCHITECTURE invariant 4): the caller's role must hold `messages:read` (the REST API's
 * permission for conversations), and what they name must be their organisation's: `org` is their own
 * organisation, a number one connected to it, a conversation one of such a number. Anything else answers like the
 * REST API answers an id that is not the caller's: not found. Checked at subscribe time; the channel a socket
 * listens on only ever carries its own organisation's events.
 */
export const REALTIME_PERMISSION = 'messages:read';

export interface RealtimeCaller {
  readonly userId: string;
  readonly orgId: string;
  readonly role: Role;
}

export interface SubscriptionAccessDeps {
  /** Whether `phoneNumberId` is connected to organisation `orgId`. */
  ownsNumber(orgId: string, phoneNumberId: string): Promise<boolean>;
  /** Whether a role may read the inbox; default: the permission table's `messages:read`. */
  readonly canRead?: (role: Role) => boolean;
}

export type Access =
  | { readonly ok: true; readonly key: SubscriptionKey }
  | { readonly ok: false; readonly code: ErrorCode; readonly message: string };

export async function authorizeSubscription(
  caller: RealtimeCaller,
  request: { readonly scope: Scope; readonly id?: string | undefined },
  deps: SubscriptionAccessDeps,
): Promise<Access> {
  const canRead = deps.canRead ?? ((role: Role) => can(role, REALTIME_PERMISSION));
  if (!canRead(caller.role)) {
    return {
      ok: false,
      code: 'PARLO_ACCESS_FORBIDDEN',
      message: `role ${caller.role} does not hold ${REALTIME_PERMISSION}`,
    };
  }
  switch (request.scope) {
    case 'org':
      if (request.id !== undefined && request.id !== caller.orgId) {
        return { ok: false, code: 'PARLO_ORG_NOT_FOUND', message: `no organisation ${request.id} here` };
      }
      return { ok: true, key: { scope: 'org', id: caller.orgId } };
    case 'number': {
      const id = request.id!;
      if (!(await deps.ownsNumber(caller.orgId, id))) {
        return { ok: false, code: 'PARLO_NUMBER_NOT_FOUND', message: `no number ${id} in this organisation` };
      }
      return { ok: true, key: { scope: 'number', id } };
    }
    case 'conversation': {
      const id = request.id!;
      if (!(await deps.ownsNumber(caller.orgId, numberOfConversation(id)))) {
        return { ok: false, code: 'PARLO_CONVERSATION_NOT_FOUND', message: `no conversation ${id} here` };
      }
      return { ok: true, key: { scope: 'conversation', id } };
    }
  }
}

/**
 * Number ownership from the organisation's `org-numbers` actor, remembered in the node's cache of owned numbers
 * (the same one the REST API uses, cleared when numbers change through this node). Only "yes" is cached.
 */
export function orgNumbersOwnership(
  system: ActorSystem,
  ownedNumbers?: TtlCache<string, true>,
): SubscriptionAccessDeps['ownsNumber'] {
  return async (orgId, phoneNumberId) => {
    const key = `${orgId}/${phoneNumberId}`;
    if (ownedNumbers?.get(key) !== undefined) return true;
    const reply = await system.ask<OrgNumbersReply<'getNumber'>>(
      { kind: ORG_NUMBERS_KIND, id: orgId },
      { type: 'getNumber', phoneNumberId },
    );
    if (!reply.ok) return false;
    ownedNumbers?.set(key, true);
    return true;
  };
}
