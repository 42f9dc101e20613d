import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

export interface LoggerOptions {
  readonly level: LevelWithSilent;
  readonly name?: string;
}

/** JSON lines on stdout (pino). Per-actor context comes from `logger.child({ actor: 'kind:id' })`. */
export function createLogger(options: LoggerOptions): Logger {
  return pino({ level: options.level, name: options.name ?? 'parlo', base: { pid: process.pid } });
}

/** A logger that writes nothing; for tests and benchmarks. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
