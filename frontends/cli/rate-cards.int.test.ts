import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { DEFAULT_RATE_CARD } from '../../actors/billing/rate-card.ts';
import { makeTempDir } from '../../core/testing/temp-dir.ts';
import { loadRateCards, rateCardsOf } from './rate-cards.ts';

const temp = makeTempDir('parlo-rate-cards-');
afterAll(() => temp.remove());

const rates = (marketing: number) => ({
  marketing,
  utility: 1_000,
  authentication: 900,
  authenticationInternational: null,
  service: 0,
});
const POLICY = { freeEntryPointFree: true, serviceFree: true, utilityFreeInServiceWindow: true };
const card = (version: number, effectiveFrom: string, extra: Record<string, unknown> = {}) => ({
  version,
  effectiveFrom,
  currency: 'EUR',
  policy: POLICY,
  rates: { IT: rates(60_000), other: rates(50_000) },
  ...extra,
});

function file(name: string, content: unknown): string {
  const path = join(temp.path, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function problemsOf(path: string): string[] {
  try {
    loadRateCards(path);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues.map((i) => `${i.path} (${i.source}): ${i.message}`);
  }
  throw new Error('expected a ConfigError');
}

describe('rate cards from billing.rateCardsFile', () => {
  it('uses the built-in card when no file is configured', () => {
    const config = loadConfig({ env: {}, overrides: { dataDir: temp.path } });
    expect(rateCardsOf(config)).toEqual([DEFAULT_RATE_CARD]);
  });

  it('reads the cards of the file, in force from their start, oldest first', () => {
    const path = file('good.json', {
      cards: [card(3, '2026-10-01T00:00:00Z'), card(2, '2026-07-01T00:00:00+02:00')],
    });
    const config = loadConfig({ env: {}, overrides: { dataDir: temp.path, billing: { rateCardsFile: path } } });
    const cards = rateCardsOf(config);
    expect(cards.map((c) => [c.version, c.effectiveFromMs])).toEqual([
      [2, Date.parse('2026-06-30T22:00:00Z')],
      [3, Date.parse('2026-10-01T00:00:00Z')],
    ]);
    expect(cards[1]?.rates['IT']?.marketing).toBe(60_000);
  });

  it('refuses a bad file naming the setting, the file and the field', () => {
    const missing = join(temp.path, 'nope.json');
    expect(problemsOf(missing)[0]).toMatch(/^billing\.rateCardsFile \(.*nope\.json\): cannot read the rate cards/);
    expect(problemsOf(file('not-json.json', '{ cards: ['))[0]).toMatch(/cannot read the rate cards/);
    expect(problemsOf(file('empty.json', { cards: [] }))[0]).toMatch(/cards: .*1/);
    const typo = card(2, '2026-07-01T00:00:00Z', { rates: { other: { ...rates(1), marketing: -5 } } });
    expect(problemsOf(file('negative.json', { cards: [typo] }))).toEqual([
      expect.stringMatching(/: cards\.0\.rates\.other\.marketing: /),
    ]);
    const noOther = card(2, '2026-07-01T00:00:00Z', { rates: { IT: rates(1) } });
    expect(problemsOf(file('no-other.json', { cards: [noOther] }))).toEqual([
      expect.stringMatching(/version 2: rates must contain 'other'/),
    ]);
    const twice = { cards: [card(2, '2026-07-01T00:00:00Z'), card(2, '2026-08-01T00:00:00Z')] };
    expect(problemsOf(file('twice.json', twice))).toEqual([expect.stringMatching(/version 2 appears twice/)]);
    const backwards = { cards: [card(2, '2026-09-01T00:00:00Z'), card(3, '2026-08-01T00:00:00Z')] };
    expect(problemsOf(file('backwards.json', backwards))).toEqual([
      expect.stringMatching(/version 3 starts before version 2/),
    ]);
    const unknownField = { cards: [card(2, '2026-07-01T00:00:00Z', { discount: 10 })] };
    expect(problemsOf(file('unknown.json', unknownField))[0]).toMatch(/discount/);
    const badDate = { cards: [card(2, 'July 2026')] };
    expect(problemsOf(file('bad-date.json', badDate))[0]).toMatch(/cards\.0\.effectiveFrom/);
  });
});
