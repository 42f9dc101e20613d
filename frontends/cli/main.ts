import { ConfigError, describeConfigSources, loadConfig, type ParloConfig } from '../../config/index.ts';
import { startParlo } from './start.ts';
import { CONTACTS_USAGE, runContactsCommand } from './contacts-command.ts';
import { runCampaignCommand } from './campaign-command.ts';
import { startSimulatorServer } from '../../adapters/whatsapp-cloud/simulator/server.ts';

const USAGE = `Usage: parlo <command> [options]

Commands:
  start            run the platform node (embedded by default; NATS when PARLO_NATS_URL is set)
  simulator        run the WhatsApp Cloud API simulator alone (--port N, default 4010; --host H)
  contacts import  import a CSV of contacts into a running Parlo (parlo contacts import --help)
  campaign         create, pre-flight, launch, follow, pause, resume, cancel and list campaigns of a running
                   Parlo (parlo campaign --help)
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
  if (command === 'simulator') return runSimulator(rest);
  if (command === 'contacts') {
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${CONTACTS_USAGE}\n`);
      return 0;
    }
    return runContactsCommand(rest);
  }
  if (command === 'campaign') return runCampaignCommand(rest);
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

/** `parlo simulator`: Meta's Cloud API stand-in on its own port, until SIGINT/SIGTERM. */
async function runSimulator(args: string[]): Promise<number> {
  const flag = (name: string): string | undefined => {
    const index = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (index < 0) return undefined;
    const arg = args[index]!;
    return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[index + 1];
  };
  const portText = flag('port') ?? '4010';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    process.stderr.write(`parlo simulator: --port must be an integer 0-65535, got "${portText}"\n`);
    return 2;
  }
  const server = await startSimulatorServer({ host: flag('host') ?? '127.0.0.1', port });
  process.stdout.write(
    `${JSON.stringify({ msg: 'WhatsApp Cloud API simulator listening', url: server.url, controlApi: `${server.url}/_sim` })}\n`,
  );
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  clearInterval(keepAlive);
  await server.close();
  return 0;
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
