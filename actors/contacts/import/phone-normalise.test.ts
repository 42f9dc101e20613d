import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countryOfPhone, normaliseE164 } from '../phone-country.ts';
import { normalisePhone, type PhoneRejection } from './phone-normalise.ts';

describe('normalisePhone: accepted', () => {
  it.each([
    // input, default country, E.164 digits, country
    ['+34 600 00 00 01', null, '34600000001', 'ES'],
    ['0034600000001', null, '34600000001', 'ES'],
    ['600000001', 'ES', '34600000001', 'ES'],
    ['600 00 00 01', 'es', '34600000001', 'ES'], // the default country in any case
    ['+34600000001', 'FR', '34600000001', 'ES'], // international wins over the default
    // NANP: trunk 1, international prefix 011
    ['(212) 555-0100', 'US', '12125550100', 'US'],
    ['1 212 555 0100', 'US', '12125550100', 'US'],
    ['+1 (416) 555-0100', null, '14165550100', 'CA'],
    ['416.555.0100', 'US', '14165550100', 'CA'], // the area code decides the country
    ['011 44 20 7946 0018', 'US', '442079460018', 'GB'],
    ['011 44 20 7946 0018', 'CA', '442079460018', 'GB'],
    ['00 44 20 7946 0018', 'US', '442079460018', 'GB'],
    // trunk 0 dropped
    ['020 7946 0018', 'GB', '442079460018', 'GB'],
    ['07700 900123', 'GB', '447700900123', 'GB'],
    ['06 12345678', 'NL', '31612345678', 'NL'],
    ['0612345678', 'FR', '33612345678', 'FR'],
    ['06 12 34 56 78', 'FR', '33612345678', 'FR'],
    ['030 1234567', 'DE', '49301234567', 'DE'],
    ['0151 12345678', 'DE', '4915112345678', 'DE'],
    ['0470 12 34 56', 'BE', '32470123456', 'BE'],
    ['0664 1234567', 'AT', '436641234567', 'AT'],
    ['079 123 45 67', 'CH', '41791234567', 'CH'],
    ['070-123 45 67', 'SE', '46701234567', 'SE'],
    ['011 2345-6789', 'AR', '541123456789', 'AR'],
    ['(011) 98765-4321', 'BR', '5511987654321', 'BR'],
    ['11 98765-4321', 'BR', '5511987654321', 'BR'],
    // no trunk prefix: nothing dropped, Italy keeps the landline 0
    ['345 678 9012', 'IT', '393456789012', 'IT'],
    ['06 1234567', 'IT', '39061234567', 'IT'],
    ['+39 06 1234567', null, '39061234567', 'IT'],
    ['912 345 678', 'PT', '351912345678', 'PT'],
    ['55 1234 5678', 'MX', '525512345678', 'MX'],
    ['412 34 567', 'NO', '4741234567', 'NO'],
    ['20 12 34 56', 'DK', '4520123456', 'DK'],
    ['512 345 678', 'PL', '48512345678', 'PL'],
    // other trunk prefixes
    ['8 916 123-45-67', 'RU', '79161234567', 'RU'],
    ['812 123-45-67', 'RU', '78121234567', 'RU'], // St Petersburg's 812: the 8 is the number's, not a trunk prefix
    ['8 (812) 123-45-67', 'RU', '78121234567', 'RU'],
    ['8 701 123 4567', 'KZ', '77011234567', 'KZ'],
    ['06 30 123 4567', 'HU', '36301234567', 'HU'],
    ['8 029 491-19-11', 'BY', '375294911911', 'BY'],
    ['029 491 19 11', 'BY', '375294911911', 'BY'],
    ['8 66 123456', 'TM', '99366123456', 'TM'],
    ['1 235 1234', 'MH', '6922351234', 'MH'],
    ['235 1234', 'MH', '6922351234', 'MH'],
    // the "(0)" of business cards, where 0 is the trunk prefix
    ['+44 (0)20 7946 0018', null, '442079460018', 'GB'],
    ['+49 (0) 30 1234567', null, '49301234567', 'DE'],
    // Argentina mobile with its 9; Mexico's abolished mobile 1
    ["'+5491123456789", null, '5491123456789', 'AR'],
    ['+54 9 11 2345-6789', null, '5491123456789', 'AR'],
    ['+52 1 55 1234 5678', null, '525512345678', 'MX'],
    // spreadsheet and copy-paste debris
    ["'600000001", 'ES', '34600000001', 'ES'],
    ['tel:+34-600-000-001', null, '34600000001', 'ES'],
    ['TEL:+34600000001', null, '34600000001', 'ES'],
    ['\u202a+34 600 000 001\u202c', null, '34600000001', 'ES'],
    ['+34\u00a0600\u202f000\u2009001', null, '34600000001', 'ES'],
    ['+34 600–000—001', null, '34600000001', 'ES'],
    ['[+34] 600/000.001', null, '34600000001', 'ES'],
    ['  +34600000001\t', null, '34600000001', 'ES'],
    // no length table for the country: E.164 rules only
    ['+81 90 1234 5678', null, '819012345678', 'JP'],
    ['090-1234-5678', 'JP', '819012345678', 'JP'],
  ])('%j with %j → %s (%s)', (input, defaultCountry, e164, country) => {
    expect(normalisePhone(input, defaultCountry)).toEqual({ ok: true, e164, country });
  });
});

describe('normalisePhone: refused', () => {
  it.each<[string, string | null, PhoneRejection, string]>([
    ['', 'ES', 'empty', 'no phone number'],
    ['   ', 'ES', 'empty', 'no phone number'],
    ["'", 'ES', 'empty', 'no phone number'],
    ['( ) - .', null, 'empty', 'no phone number'],
    ['+', null, 'empty', 'no phone number'],
    ['+34 600 ABC 001', null, 'invalid-characters', '"A" is not allowed'],
    ['600000001 ext. 12', 'ES', 'invalid-characters', '"e" is not allowed'],
    ['+34+600000001', null, 'invalid-characters', '"+" is not allowed'],
    ['600000001+', 'ES', 'invalid-characters', '"+" is not allowed'],
    ['＋３４６００００００００１', null, 'invalid-characters', 'is not allowed'],
    ['600000001', null, 'no-country', 'has no country code'],
    ['600000001', '', 'no-country', 'has no country code'],
    ['600000001', 'XX', 'no-country', '"XX" is not a country we know'],
    ['+999 123 456 789', null, 'unknown-country-code', 'no country uses'],
    ['00 0 34 600000001', null, 'unknown-country-code', 'no country uses'],
    ['00', 'ES', 'unknown-country-code', 'no country uses'],
    ['+34 60000001', null, 'bad-length', 'has 8 digits after the country code +34; numbers in ES have 9 digits'],
    ['0600000001', 'ES', 'bad-length', 'numbers in ES have 9 digits'],
    ['212 555 010', 'US', 'bad-length', 'numbers in US have 10 digits'],
    ['020 7946 00', 'GB', 'bad-length', 'numbers in GB have 9 to 10 digits'],
    ['06 123456789', 'NL', 'bad-length', 'numbers in NL have 9 or 11 digits'],
    ['+39 12345', null, 'bad-length', 'numbers in IT have 6 to 12 digits'],
    ['011 15 2345-6789', 'AR', 'bad-length', 'numbers in AR have 10 to 11 digits'], // the national 15 form
    ['34600000001', 'ES', 'bad-length', 'write it with a leading + or 00'], // the + was lost
    ['+81 12345', null, 'bad-length', 'phone numbers have 8 to 15'], // no table for JP: E.164's 8–15
    ['+81 1234 5678 9012 3456', null, 'bad-length', 'phone numbers have 8 to 15'],
  ])('%j with %j → %s', (input, defaultCountry, reason, message) => {
    const result = normalisePhone(input, defaultCountry);
    expect(result).toMatchObject({ ok: false, reason });
    expect(result.ok ? '' : result.message).toContain(message);
  });

  it('quotes the input in the message', () => {
    expect(normalisePhone('+34 600', null)).toEqual({
      ok: false,
      reason: 'bad-length',
      message: '"+34 600" has 3 digits after the country code +34; numbers in ES have 9 digits',
    });
  });
});

describe('normalisePhone: properties', () => {
  const spanishMobile = fc.integer({ min: 600_000_000, max: 699_999_999 }).map(String);
  const separator = fc.constantFrom('', ' ', '-', '.', '/', ' - ', '\u00a0');

  it('ignores how the digits are grouped and separated', () => {
    fc.assert(
      fc.property(spanishMobile, fc.array(separator, { minLength: 9, maxLength: 9 }), (digits, separators) => {
        const formatted = [...digits].map((digit, i) => digit + separators[i]!).join('');
        expect(normalisePhone(formatted, 'ES')).toEqual({ ok: true, e164: `34${digits}`, country: 'ES' });
        expect(normalisePhone(`+34 ${formatted}`, null)).toEqual({ ok: true, e164: `34${digits}`, country: 'ES' });
      }),
    );
  });

  it('returns valid E.164 whose country is countryOfPhone, and is idempotent on it', () => {
    const input = fc.oneof(fc.stringMatching(/^\+?[0-9 ()-]{0,20}$/), fc.stringMatching(/^0{0,2}[1-9][0-9]{6,14}$/));
    const country = fc.constantFrom(null, 'ES', 'US', 'GB', 'IT', 'DE', 'FR', 'AR', 'BR', 'MX', 'RU', 'HU', 'JP', 'XX');
    fc.assert(
      fc.property(input, country, (text, defaultCountry) => {
        const result = normalisePhone(text, defaultCountry);
        if (!result.ok) return;
        expect(normaliseE164(result.e164)).toBe(result.e164);
        expect(result.country).toBe(countryOfPhone(result.e164));
        expect(normalisePhone(`+${result.e164}`, null)).toEqual(result);
        expect(normalisePhone(`+${result.e164}`, defaultCountry)).toEqual(result);
      }),
    );
  });
});

describe('normalisePhone: a national number that still starts with 0 after the trunk 0', () => {
  it('is refused, so that normalising a result again gives the same result', () => {
    expect(normalisePhone('+810000000', null)).toMatchObject({ ok: false, reason: 'bad-length' });
    expect(normalisePhone('+81 90 1234 5678', null)).toMatchObject({ ok: true, e164: '819012345678' });
  });
});
