import type { AuditActor } from '../org/org.messages.ts';
import { EMPTY_KEYWORD_SETTINGS, compileKeywordSettings, type KeywordSettings } from './keyword-settings.ts';
import type { CompiledOptKeywords } from './opt-out-keywords.ts';

/**
 * An organisation's consent keyword settings (plain data, msgpack in LMDB): the document as the organisation wrote
 * it, and the same in matching form, derived when it changes (never edited on its own).
 */
export interface ConsentKeywordsState {
  readonly settings: KeywordSettings;
  readonly compiled: CompiledOptKeywords;
  /** Null until the organisation first changes its settings (then the actor is stored). */
  readonly updatedAtMs: number | null;
  readonly updatedBy: AuditActor | null;
}

export function initialConsentKeywordsState(): ConsentKeywordsState {
  return {
    settings: EMPTY_KEYWORD_SETTINGS,
    compiled: compileKeywordSettings(EMPTY_KEYWORD_SETTINGS),
    updatedAtMs: null,
    updatedBy: null,
  };
}
