import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { DEFAULT_MARKET_RATES, DEFAULT_REGION_COUNTRIES } from './rate-card.ts';

/**
 * docs/pricing.md shows the default rate card; this keeps the table equal to `DEFAULT_MARKET_RATES` (reading the
 * committed docs file is the one piece of I/O, as in core/errors/codes.test.ts).
 */
const REGION_NAMES: Readonly<Record<string, string>> = {
  northAmerica: 'North America',
  restOfAfrica: 'Rest of Africa',
  restOfAsiaPacific: 'Rest of Asia Pacific',
  restOfCentralEasternEurope: 'Rest of Central & Eastern Europe',
  restOfLatinAmerica: 'Rest of Latin America',
  restOfMiddleEast: 'Rest of Middle East',
  restOfWesternEurope: 'Rest of Western Europe',
};

function euros(micros: number | null): string {
  return micros === null ? '—' : `€${(micros / 1_000_000).toFixed(4)}`;
}

function renderDefaultRateTable(): string {
  const rows = Object.entries(DEFAULT_MARKET_RATES).map(([market, rates]) => {
    const countries = DEFAULT_REGION_COUNTRIES[market];
    const label =
      market === 'other'
        ? 'Other (every country not listed)'
        : countries !== undefined
          ? `${REGION_NAMES[market] ?? market}: ${countries.split(' ').join(', ')}`
          : market;
    return `| ${label} | ${rates.map(euros).join(' | ')} |`;
  });
  return [
    '| Market | Marketing | Utility | Authentication | Authentication-international |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

describe('docs/pricing.md', () => {
  it('shows the default rate card as the code has it', () => {
    const docs = readFileSync(fileURLToPath(new URL('../../docs/pricing.md', import.meta.url)), 'utf8');
    const table = /<!-- default-rates:start[^>]*-->\n([\s\S]*?)\n<!-- default-rates:end -->/.exec(docs)?.[1];
    expect(table, 'the default-rates markers are missing').toBeDefined();
    expect(table).toBe(renderDefaultRateTable());
  });

  it('says the default card is illustrative', () => {
    const docs = readFileSync(fileURLToPath(new URL('../../docs/pricing.md', import.meta.url)), 'utf8');
    expect(docs).toMatch(/\*\*These prices are illustrative\.\*\*/);
  });
});
