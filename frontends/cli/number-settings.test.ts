import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../config/defaults.ts';
import { ACTOR_DEFINITIONS } from '../../actors/registry.ts';
import { DEFAULT_NUMBER_OPTIONS, numberActor } from '../../actors/number/number.actor.ts';
import { numberOptionsOf, withNumberSettings } from './number-settings.ts';

describe('number settings', () => {
  it("the config defaults are the number actor's defaults", () => {
    expect(numberOptionsOf(defaultConfig())).toEqual(DEFAULT_NUMBER_OPTIONS);
  });

  it('maps every sending.* setting and swaps in the configured number actor', () => {
    const config = defaultConfig();
    const options = numberOptionsOf({
      ...config,
      sending: {
        pairBurst: 10,
        pairIntervalMs: 3_000,
        feedbackWindowHours: 6,
        feedbackMinMarketingSends: 50,
        optOutPausePercent: 1.5,
        blockedPausePercent: 0,
        spamLimitedPausePercent: 7,
        reconcileAfterSec: 600,
      },
    });
    expect(options.pair).toMatchObject({ burst: 10, intervalMs: 3_000 });
    expect(options.feedback).toEqual({
      windowMs: 6 * 60 * 60 * 1000,
      minMarketingSent: 50,
      pausePercent: { optOut: 1.5, blocked: 0, spamLimited: 7 },
    });
    const definitions = withNumberSettings(ACTOR_DEFINITIONS, config);
    expect(definitions.map((d) => d.kind)).toEqual(ACTOR_DEFINITIONS.map((d) => d.kind));
    const number = definitions.find((d) => d.kind === 'number');
    expect(number).toBeDefined();
    expect(number).not.toBe(numberActor);
  });
});
