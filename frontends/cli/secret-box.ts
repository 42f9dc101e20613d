import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SecretBox } from '../../core/index.ts';
import { ConfigError, type ParloConfig } from '../../config/index.ts';

/** Where embedded mode keeps the key it generated on first start. */
export const SECRETS_KEY_FILE = 'secrets.key';

/**
 * The SecretBox that encrypts stored secrets. Keys come from `secrets.encryptionKey`; when that is empty, embedded
 * mode generates one key once into `<dataDir>/secrets.key` (mode 0600) and reads it on every later start. A cluster
 * (nats transport) must configure the key: every node has to open what any other node sealed.
 */
export function openSecretBox(config: ParloConfig): SecretBox {
  const configured = config.secrets.encryptionKey.trim();
  if (configured !== '') return SecretBox.fromText(configured);
  if (config.transport.kind === 'nats') {
    throw new ConfigError([
      {
        path: 'secrets.encryptionKey',
        source: 'PARLO_SECRETS__ENCRYPTION_KEY',
        message:
          'required when transport.kind is nats (every node must use the same key); generate one with `openssl rand -base64 32`',
      },
    ]);
  }
  const file = join(config.dataDir, SECRETS_KEY_FILE);
  if (!existsSync(file)) {
    mkdirSync(config.dataDir, { recursive: true });
    // `wx`: two nodes starting on one data dir never overwrite each other's key.
    writeFileSync(file, `${SecretBox.generateKeyText()}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(file, 0o600);
  }
  const text = readFileSync(file, 'utf8').trim();
  try {
    return SecretBox.fromText(text);
  } catch (err) {
    throw new ConfigError([
      { path: 'secrets.encryptionKey', source: file, message: `the key file is unreadable: ${(err as Error).message}` },
    ]);
  }
}
