import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly name?: string;
  /** Human-readable lines (pino-pretty, in a worker thread) instead of JSON; for development. */
  readonly pretty?: boolean;
}

/** JSON lines on stdout (pino). Per-actor context comes from `logger.child({ actor: 'kind:id' })`. */
export function createLogger(options: LoggerOptions): Logger {
  const settings = { level: options.level, name: options.name ?? 'parlo', base: { pid: process.pid } };
  if (options.pretty) return pino(settings, pino.transport({ target: 'pino-pretty', options: { colorize: false } }));
  return pino(settings);
}

/** A logger that writes nothing; for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
