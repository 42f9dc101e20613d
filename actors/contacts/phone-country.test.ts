import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CALLING_CODES,
  UNKNOWN_COUNTRY,
  countryOfPhone,
  countryOfUserId,
  isValidE164,
  normaliseE164,
  recipientCountry,
} from './phone-country.ts';

describe('normaliseE164 / isValidE164', () => {
  it.each([
    ['+4915112345678', '4915112345678'],
    ['4915112345678', '4915112345678'],
    ['+12025550123', '12025550123'],
    ['12345678', '12345678'], // 8 digits: the minimum
    ['+123456789012345', '123456789012345'], // 15 digits: the maximum
  ])('%s → %s', (input, digits) => {
    expect(normaliseE164(input)).toBe(digits);
    expect(isValidE164(input)).toBe(true);
  });

  it.each([
    '1234567', // 7 digits
    '+1234567890123456', // 16 digits
    '+0491511234567', // leading 0
    '00491511234567', // international prefix is not E.164
    '+49 151 1234567',
    '+49-151-1234567',
    '++4915112345678',
    '4915112345678+',
    '',
    '+',
    '+49１５１12345678', // full-width digits
  ])('rejects %j', (input) => {
    expect(normaliseE164(input)).toBeNull();
    expect(isValidE164(input)).toBe(false);
  });

  it('accepts exactly 8–15 digits not starting with 0 (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\+?\d{1,18}$/), (input) => {
        const digits = input.replace('+', '');
        const expected = digits.length >= 8 && digits.length <= 15 && !digits.startsWith('0');
        expect(isValidE164(input)).toBe(expected);
        if (expected) expect(normaliseE164(input)).toBe(digits);
      }),
    );
  });
});

describe('countryOfPhone', () => {
  it.each([
    // NANP: one calling code, US and Canada one billing zone, Caribbean split by area code
    ['+12025550123', 'US'],
    ['13105550123', 'US'],
    ['+14165550123', 'CA'],
    ['+16045550123', 'CA'],
    ['+15145550123', 'CA'],
    ['+18095550123', 'DO'],
    ['+18295550123', 'DO'],
    ['+18765550123', 'JM'],
    ['+17875550123', 'PR'],
    ['+12425550123', 'BS'],
    // European Union
    ['+4369912345678', 'AT'],
    ['+32470123456', 'BE'],
    ['+359881234567', 'BG'],
    ['+385911234567', 'HR'],
    ['+35799123456', 'CY'],
    ['+420601123456', 'CZ'],
    ['+4520123456', 'DK'],
    ['+3725123456', 'EE'],
    ['+358401234567', 'FI'],
    ['+33612345678', 'FR'],
    ['+4915112345678', 'DE'],
    ['+306912345678', 'GR'],
    ['+36201234567', 'HU'],
    ['+353851234567', 'IE'],
    ['+393471234567', 'IT'],
    ['+37120123456', 'LV'],
    ['+37060123456', 'LT'],
    ['+352621123456', 'LU'],
    ['+35699123456', 'MT'],
    ['+31612345678', 'NL'],
    ['+48501234567', 'PL'],
    ['+351912345678', 'PT'],
    ['+40721234567', 'RO'],
    ['+421901123456', 'SK'],
    ['+38640123456', 'SI'],
    ['+34612345678', 'ES'],
    ['+46701234567', 'SE'],
    // the rest of Europe
    ['+447911123456', 'GB'],
    ['+41791234567', 'CH'],
    ['+4741234567', 'NO'],
    ['+79161234567', 'RU'],
    ['+77011234567', 'KZ'],
    ['+905321234567', 'TR'],
    // Latin America
    ['+5215512345678', 'MX'],
    ['+5511912345678', 'BR'],
    ['+5491123456789', 'AR'],
    ['+56912345678', 'CL'],
    ['+573001234567', 'CO'],
    ['+51912345678', 'PE'],
    ['+584121234567', 'VE'],
    ['+593991234567', 'EC'],
    ['+59171234567', 'BO'],
    ['+595981123456', 'PY'],
    ['+59894123456', 'UY'],
    ['+50688123456', 'CR'],
    ['+50761234567', 'PA'],
    ['+50251234567', 'GT'],
    // Asia, Middle East, Africa
    ['+919812345678', 'IN'],
    ['+6281234567890', 'ID'],
    ['+201001234567', 'EG'],
    ['+2348031234567', 'NG'],
    ['+27821234567', 'ZA'],
    ['+966501234567', 'SA'],
    ['+971501234567', 'AE'],
    ['+972501234567', 'IL'],
    ['+60123456789', 'MY'],
    ['+923001234567', 'PK'],
  ])('%s → %s', (phone, country) => {
    expect(countryOfPhone(phone)).toBe(country);
  });

  it('answers other for unassigned prefixes and non-numbers', () => {
    expect(countryOfPhone('+8001234567')).toBe(UNKNOWN_COUNTRY); // +800: international freephone
    expect(countryOfPhone('+2101234567')).toBe(UNKNOWN_COUNTRY); // +210: spare
    expect(countryOfPhone('+99912345678')).toBe(UNKNOWN_COUNTRY);
    expect(countryOfPhone('')).toBe(UNKNOWN_COUNTRY);
    expect(countryOfPhone('+')).toBe(UNKNOWN_COUNTRY);
    expect(countryOfPhone('abc')).toBe(UNKNOWN_COUNTRY);
    expect(countryOfPhone('+49 151')).toBe(UNKNOWN_COUNTRY);
  });

  it('has a prefix-free table of country codes, apart from the sub-prefixes that split +1 and +7', () => {
    const codes = Object.keys(CALLING_CODES);
    for (const code of codes) {
      for (let length = 1; length < code.length; length++) {
        const prefix = code.slice(0, length);
        if (prefix in CALLING_CODES) expect(['1', '7'], `${prefix} is a prefix of ${code}`).toContain(prefix);
      }
      expect(CALLING_CODES[code]).toMatch(/^[A-Z]{2}$/);
    }
    expect(codes.length).toBeGreaterThan(250);
  });

  it('is the longest-prefix match of its own table (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[1-9]\d{7,14}$/), (digits) => {
        let expected = UNKNOWN_COUNTRY;
        for (let length = 1; length <= 4; length++) expected = CALLING_CODES[digits.slice(0, length)] ?? expected;
        expect(countryOfPhone(digits)).toBe(expected);
        expect(countryOfPhone(`+${digits}`)).toBe(expected);
      }),
    );
  });

  it('does not find prototype keys', () => {
    expect(countryOfPhone('constructor')).toBe(UNKNOWN_COUNTRY);
    expect(CALLING_CODES['toString']).toBeUndefined();
  });
});

describe('countryOfUserId / recipientCountry', () => {
  it('reads the country of a business-scoped user id', () => {
    expect(countryOfUserId('US.13491208655302741918')).toBe('US');
    expect(countryOfUserId('BR.ENT.118157')).toBe('BR');
    expect(countryOfUserId('13491208655302741918')).toBe(UNKNOWN_COUNTRY);
    expect(countryOfUserId('us.123')).toBe(UNKNOWN_COUNTRY);
  });

  it('prefers the phone number, falls back to the user id', () => {
    expect(recipientCountry({ phone: '+4915112345678', userId: 'US.1' })).toBe('DE');
    expect(recipientCountry({ phone: null, userId: 'IN.123' })).toBe('IN');
    expect(recipientCountry({ phone: '+8001234567', userId: 'IT.123' })).toBe('IT');
    expect(recipientCountry({})).toBe(UNKNOWN_COUNTRY);
  });
});
