import { hkdfSync } from 'node:crypto';
import type { ParloConfig } from '../../config/index.ts';
import { secretBoxKeys } from './media.ts';

const HKDF_INFO = 'parlo-click-token:v1';

/**
 * The keys of campaign click tokens (actors/campaigns/click-token.ts), one per SecretBox key (sealing key first):
 * HKDF-SHA256 of each under its own label, so a click key reveals nothing of the key that seals stored secrets. New
 * tokens are made with the first; the redirect accepts any, so rotating the sealing key keeps sent links working
 * while the old key stays listed.
 */
export function clickTokenKeys(config: ParloConfig): Uint8Array[] {
  const keys = secretBoxKeys(config).map(
    (key) => new Uint8Array(hkdfSync('sha256', key, Buffer.alloc(0), HKDF_INFO, 32)),
  );
  if (keys.length === 0) throw new Error('click tokens need a SecretBox key');
  return keys;
}
