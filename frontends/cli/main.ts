import { ConfigError, describeConfigSources, loadConfig, type ParloConfig } from '../../config/index.ts';
import { startParlo } from './start.ts';

const USAGE = `Usage: parlo <command> [options]

Commands:
  start            run the platform node (embedded by default; NATS when PARLO_NATS_URL is set)
  config           print the effective configuration as JSON
  config --list    list every setting with its environment variable and default
  help             show this text

Options (any command): --config <file.json>, --<setting.path>=<value> (e.g. --runtime.partitionCount=64)
Settings come from defaults < config file < PARLO_* environment < command-line flags.`;

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === 'config' && rest.includes('--list')) {
    for (const s of describeConfigSources())
      process.stdout.write(`${s.path}\t${s.env}\t${JSON.stringify(s.default)}\n`);
    return 0;
  }
  const config = loadConfig({ argv: rest.filter((a) => a !== '--list') });
  if (command === 'config') {
    process.stdout.write(`${JSON.stringify(redactSecrets(config), null, 2)}\n`);
    return 0;
  }
  if (command === 'start') {
    const node = await startParlo(config);
    // Runtime timers are unref'd; this handle keeps the node running until a signal asks it to stop.
    const keepAlive = setInterval(() => undefined, 2 ** 30);
    await new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals): void => {
        node.logger.info({ signal }, 'shutdown requested');
        node.stop().then(resolve, (err: unknown) => {
          node.logger.error({ err }, 'shutdown failed');
          process.exitCode = 1;
          resolve();
        });
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    clearInterval(keepAlive);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  }
  process.stderr.write(`parlo: unknown command "${command}"\n\n${USAGE}\n`);
  return 2;
}

/** Secrets are never printed: shown as "(set)" when present. */
function redactSecrets(config: ParloConfig): ParloConfig {
  const hide = (value: string): string => (value === '' ? '' : '(set)');
  return {
    ...config,
    whatsapp: {
      ...config.whatsapp,
      accessToken: hide(config.whatsapp.accessToken),
      appSecret: hide(config.whatsapp.appSecret),
      verifyToken: hide(config.whatsapp.verifyToken),
    },
  };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`parlo: invalid configuration (PARLO_CONFIG_INVALID)\n${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`parlo: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
