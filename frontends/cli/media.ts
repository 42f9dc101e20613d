import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseKeyList, type MediaStorePort } from '../../core/index.ts';
import type { ParloConfig } from '../../config/index.ts';
import { openFsMediaStore } from '../../adapters/media-fs/media-fs.adapter.ts';
import { createMediaRefs, deriveMediaRefKeys, type MediaRefs } from '../http/media-refs.ts';
import { SECRETS_KEY_FILE } from './secret-box.ts';

/** Where the node keeps media files: `<dataDir>/media/<aa>/<sha256>` (adapters/media-fs). */
export const MEDIA_FOLDER = 'media';

/** Customers' media as the composition root wires it: the store the adapter fills and the API serves from. */
export interface MediaEdge {
  readonly store: MediaStorePort;
  /** Organisation-scoped refs for `GET /v1/media/{mediaRef}` and the conversation view. */
  readonly refs: MediaRefs;
}

/**
 * Opens the filesystem media store under the data dir and derives the media-ref keys from the SecretBox keys
 * (`secrets.encryptionKey`, or the key file embedded mode keeps), so that they rotate together. Call after
 * `openSecretBox`, which creates that file on the first embedded start.
 */
export async function openMedia(config: ParloConfig): Promise<MediaEdge> {
  const store = await openFsMediaStore({ dir: join(config.dataDir, MEDIA_FOLDER) });
  return { store, refs: createMediaRefs(deriveMediaRefKeys(secretBoxKeys(config))) };
}

/** The SecretBox keys (`secrets.encryptionKey`, or embedded mode's key file), the sealing key first. */
export function secretBoxKeys(config: ParloConfig): Buffer[] {
  const configured = config.secrets.encryptionKey.trim();
  if (configured !== '') return parseKeyList(configured);
  const file = join(config.dataDir, SECRETS_KEY_FILE);
  if (!existsSync(file)) throw new Error(`media: ${file} is missing; open the SecretBox first`);
  return parseKeyList(readFileSync(file, 'utf8').trim());
}
