import type { AnyActorDefinition } from '../../core/index.ts';
import type { ParloConfig } from '../../config/index.ts';
import { createNumberActor, type NumberOptions } from '../../actors/number/number.actor.ts';
import { NUMBER_KIND } from '../../actors/number/number.messages.ts';
import { DEFAULT_FEEDBACK_POLICY } from '../../actors/number/feedback.ts';
import { DEFAULT_PAIR_POLICY } from '../../actors/number/pacing.ts';

const HOUR_MS = 60 * 60 * 1000;

/** The number actor's options from config `sending.*` (pair rate, negative-feedback marketing pause). */
export function numberOptionsOf(config: ParloConfig): NumberOptions {
  const sending = config.sending;
  return {
    pair: { ...DEFAULT_PAIR_POLICY, burst: sending.pairBurst, intervalMs: sending.pairIntervalMs },
    feedback: {
      ...DEFAULT_FEEDBACK_POLICY,
      windowMs: sending.feedbackWindowHours * HOUR_MS,
      minMarketingSent: sending.feedbackMinMarketingSends,
      pausePercent: {
        optOut: sending.optOutPausePercent,
        blocked: sending.blockedPausePercent,
        spamLimited: sending.spamLimitedPausePercent,
      },
    },
  };
}

/** The actor list with the number actor built on the configured `sending.*` settings. */
export function withNumberSettings(
  definitions: readonly AnyActorDefinition[],
  config: ParloConfig,
): AnyActorDefinition[] {
  const number = createNumberActor(numberOptionsOf(config));
  return definitions.map((d) => (d.kind === NUMBER_KIND ? number : d));
}
