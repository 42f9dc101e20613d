import { createHmac, hkdfSync } from 'node:crypto';
import type { ParloConfig } from '../../config/index.ts';
import { secretBoxKeys } from './media.ts';

const HKDF_INFO = 'parlo-erasure-pseudonym:v1';

/**
 * The pseudonyms a GDPR erasure writes where records must stay (ledger, campaign outcomes): `x` + 32 hex of an
 * HMAC-SHA256 keyed from the installation's sealing key, over the organisation and the customer key. Keyed, so a
 * pseudonym cannot be reversed by hashing every phone number; stable, so a repeated erasure writes the same one.
 */
export function erasurePseudonyms(config: ParloConfig): (orgId: string, key: string) => string {
  const [sealing] = secretBoxKeys(config);
  if (!sealing) throw new Error('erasure pseudonyms need a SecretBox key');
  const key = Buffer.from(hkdfSync('sha256', sealing, Buffer.alloc(0), HKDF_INFO, 32));
  return (orgId, customerKey) =>
    `x${createHmac('sha256', key).update(`${orgId}:${customerKey}`).digest('hex').slice(0, 32)}`;
}
