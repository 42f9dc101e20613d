import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { SecretBox } from '../../core/index.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { SECRETS_KEY_FILE, openSecretBox } from './secret-box.ts';

let temp: ReturnType<typeof makeTempDir> | undefined;
afterEach(() => temp?.remove());

describe('openSecretBox', () => {
  it('generates a key file once in embedded mode (mode 0600) and opens old values with it after a restart', () => {
    temp = makeTempDir('parlo-secret-box-');
    const config = loadConfig({ env: {}, overrides: { dataDir: temp.path } });
    const sealed = openSecretBox(config).seal('token', 'ctx');
    const file = join(temp.path, SECRETS_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(openSecretBox(config).open(sealed, 'ctx')).toBe('token');
  });

  it('uses the configured keys, the first one sealing', () => {
    temp = makeTempDir('parlo-secret-box-');
    const oldKey = SecretBox.generateKeyText();
    const newKey = SecretBox.generateKeyText();
    const before = openSecretBox(
      loadConfig({ env: { PARLO_SECRETS__ENCRYPTION_KEY: oldKey }, overrides: { dataDir: temp.path } }),
    ).seal('v', 'c');
    const rotated = openSecretBox(
      loadConfig({ env: { PARLO_SECRETS__ENCRYPTION_KEY: `${newKey},${oldKey}` }, overrides: { dataDir: temp.path } }),
    );
    expect(rotated.open(before, 'c')).toBe('v');
  });

  it('requires a configured key in nats mode, naming the setting', () => {
    temp = makeTempDir('parlo-secret-box-');
    const config = loadConfig({ env: { PARLO_NATS_URL: 'nats://127.0.0.1:4222' }, overrides: { dataDir: temp.path } });
    expect(() => openSecretBox(config)).toThrow(ConfigError);
    expect(() => openSecretBox(config)).toThrow(/secrets\.encryptionKey .*required when transport\.kind is nats/);
  });

  it('refuses a malformed key at configuration time', () => {
    expect(() => loadConfig({ env: { PARLO_SECRETS__ENCRYPTION_KEY: 'c2hvcnQ=' } })).toThrow(
      /secrets\.encryptionKey \(from PARLO_SECRETS__ENCRYPTION_KEY\): expected base64 of 32 random bytes/,
    );
  });
});
