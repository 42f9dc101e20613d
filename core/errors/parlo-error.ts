import { ERROR_CODES, type ErrorCode } from './codes.ts';

/** An error that carries a registered code; compare `err.code`, never `instanceof`. */
export class ParloError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, details?: unknown) {
    super(message);
    this.name = 'ParloError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }
}

/** A refusal as actors and replies carry it: data, not an exception (STYLE rule 4). */
export interface Refusal {
  readonly ok: false;
  readonly code: string;
  readonly message: string;
}

export function refusal(code: string, message: string): Refusal {
  return { ok: false, code, message };
}

export function errorCodeOf(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}
