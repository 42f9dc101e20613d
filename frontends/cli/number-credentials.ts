import type { ActorSystem, SecretBox } from '../../core/index.ts';
import { NUMBER_DIRECTORY_KIND, type NumberDirectoryReply } from '../../actors/numbers/number-directory.actor.ts';
import { ORG_NUMBERS_KIND, wabaSecretContext, type OrgNumbersReply } from '../../actors/numbers/numbers.messages.ts';

/** How long a node reuses an opened access token before it reads it again (a rotation shows within this time). */
export const TOKEN_CACHE_TTL_MS = 60_000;

interface CachedToken {
  readonly token: string | undefined;
  readonly expiresAtMs: number;
}

/**
 * Access tokens for sending as a phone number: a number an organisation connected uses its account's token
 * (looked up through the number directory, opened with the SecretBox, cached for a minute); a number no
 * organisation connected falls back to the installation's own account (`whatsapp.accessToken`, or the demo
 * account of the simulator). A hit in the cache answers synchronously, so the send path pays nothing per message.
 */
export function numberCredentials(deps: {
  readonly system: ActorSystem;
  readonly secretBox: SecretBox;
  readonly installationToken: () => string | undefined;
  readonly now?: () => number;
}): {
  tokenFor(phoneNumberId: string): string | undefined | Promise<string | undefined>;
  /** Forgets every cached token (after a connect, disconnect or credential change made through this node). */
  invalidateAll(): void;
} {
  const now = deps.now ?? Date.now;
  const cache = new Map<string, CachedToken>();
  const pending = new Map<string, Promise<string | undefined>>();

  async function lookup(phoneNumberId: string): Promise<string | undefined> {
    const entry = await deps.system.ask<NumberDirectoryReply<'lookup'>>(
      { kind: NUMBER_DIRECTORY_KIND, id: phoneNumberId },
      { type: 'lookup' },
    );
    if (entry.orgId === null) return deps.installationToken();
    const credentials = await deps.system.ask<OrgNumbersReply<'getSendCredentials'>>(
      { kind: ORG_NUMBERS_KIND, id: entry.orgId },
      { type: 'getSendCredentials', phoneNumberId },
    );
    if (!credentials.ok) return undefined;
    return deps.secretBox.open(
      credentials.accessTokenSealed,
      wabaSecretContext(entry.orgId, credentials.wabaId, 'accessToken'),
    );
  }

  return {
    tokenFor(phoneNumberId) {
      const hit = cache.get(phoneNumberId);
      if (hit && hit.expiresAtMs > now()) return hit.token;
      const inFlight = pending.get(phoneNumberId);
      if (inFlight) return inFlight;
      const read = lookup(phoneNumberId)
        .then((token) => {
          cache.set(phoneNumberId, { token, expiresAtMs: now() + TOKEN_CACHE_TTL_MS });
          if (cache.size > 100_000) cache.delete(cache.keys().next().value!);
          return token;
        })
        .finally(() => pending.delete(phoneNumberId));
      pending.set(phoneNumberId, read);
      return read;
    },
    invalidateAll() {
      cache.clear();
    },
  };
}
