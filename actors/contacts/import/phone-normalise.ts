import { CALLING_CODES, UNKNOWN_COUNTRY, countryOfPhone, normaliseE164 } from '../phone-country.ts';

/**
 * Phone numbers as people type them into spreadsheets → E.164 digits without the `+` (WhatsApp's `wa_id` form),
 * pure (STYLE rule 3). A contact import runs every row through this once, so a refusal names the problem in
 * words the person who made the file understands.
 *
 * 1. Formatting goes: whitespace (also no-break and thin spaces), `.`, `-` and the Unicode dashes, `/`, `()`,
 *    `[]`, invisible marks that copying from a phone or WhatsApp leaves behind (zero-width characters, the
 *    bidirectional embeddings around `+34 600…`), a spreadsheet's leading apostrophe (`'+34…`, the way Excel is
 *    told "this is text") and an RFC 3966 `tel:` prefix. Anything else but digits and one leading `+` is refused
 *    (`invalid-characters`): letters, extensions, full-width digits.
 * 2. International: `+CC…`, or `00CC…` (the international prefix the ITU recommends and most countries use; no
 *    national number starts with `00` where `0` is a trunk prefix, so it is read as international whatever the
 *    default country), or `011CC…` when the default country is in the North American Numbering Plan (its
 *    international prefix). Other countries' own international prefixes (`0011` in Australia, `010` in Japan,
 *    `810` in Russia…) are not recognised: read as national numbers, they almost always come out too long and are
 *    refused. A calling code that is not in `CALLING_CODES` is `unknown-country-code`.
 * 3. National: anything else, dialled in `defaultCountry` (ISO 3166-1 alpha-2, any case; `no-country` without
 *    one). The country's trunk prefix (`TRUNK_ZERO_COUNTRIES`, `OTHER_TRUNK_PREFIXES`) is dropped and its
 *    calling code put in front.
 * 4. The result must have a length the country's plan allows (`NSN_LENGTH_TABLE`, where known) and be valid
 *    E.164 (`normaliseE164`: 8–15 digits), else `bad-length` with the expected length in the message.
 *    `country` is `countryOfPhone(e164)`, so a Canadian area code dialled with default `US` reports `CA`.
 *
 * Not attempted (each comes out as `bad-length`, not as a wrong number): Argentina's national mobile form
 * `0 <area> 15 <number>` (E.164 is `+54 9 <area> <number>`: the `15` goes and a `9` comes, which needs the area
 * code lengths), Brazil's carrier selection code after the trunk `0`, Mexico's abolished `01`/`044`/`045`
 * prefixes. An Argentine number given without the mobile `9` is returned in that (landline) form: whether it is a
 * mobile only its owner knows.
 *
 * Bounds and cost: a few linear passes over the input (a handful of regular expressions); the tables are built
 * once at module load, a few hundred entries in all.
 */

export const PHONE_REJECTIONS = [
  'empty',
  'invalid-characters',
  'no-country',
  'bad-length',
  'unknown-country-code',
] as const;
export type PhoneRejection = (typeof PHONE_REJECTIONS)[number];

export type NormalisedPhone =
  | { readonly ok: true; readonly e164: string; readonly country: string }
  | { readonly ok: false; readonly reason: PhoneRejection; readonly message: string };

/**
 * Trunk (national) prefixes, the digits dialled before a national number inside the country and never part of
 * it in E.164. Source for every entry: the `nationalPrefix` of Google's libphonenumber metadata
 * (resources/PhoneNumberMetadata.xml, as shipped in libphonenumber-js 1.13.16), restricted to countries in
 * CALLING_CODES.
 *
 * Trunk prefix `0` (most of Europe, Latin America, Africa and Asia). A national significant number never starts
 * with the trunk prefix, so dropping one leading `0` can never damage a number of these countries.
 * Notably absent, because they have no trunk prefix and `0` is either impossible or part of the number: IT (the
 * landline `0` has been dialled from abroad too since 1998: `+39 06…`; mobiles start with 3), SM, ES (9 digits,
 * closed plan since 1998), PT (since 1999), GR (2002), PL (2005), CZ, NO, DK, IS, LU, EE, LV, CY, MT, MX (trunk
 * prefixes abolished by the IFT on 3 August 2019), CL, CR, GT and the other closed plans.
 */
const TRUNK_ZERO_COUNTRIES =
  'AE AF AL AM AR AT AU AZ BA BD BE BG BO BR CD CH CN CO CU DE DZ EC EG ER ET FI FR GB GE GF GH GP HR ID IE IL ' +
  'IN IQ IR JO JP KE KG KH KI KP KR LA LB LI LK LR LT LY MA MC MD ME MG MK MM MN MQ MW MY NA NG NL NP NZ PE PH PK ' +
  'PM PS PY RE RO RS RW SA SD SE SI SK SL SO SS SY TH TR TW TZ UA UG UY VE VN XK YE ZA ZM ZW';

/**
 * Other trunk prefixes (same source), tried in order: Hungary `06`; Russia, Kazakhstan and Turkmenistan `8`
 * (`8 916 123-45-67`); Belarus `8 0`, `8` or, since its move to the European form, `0` (libphonenumber parses
 * `0|80?`); the Marshall Islands `1`; the NANP `1` (added from CALLING_CODES below). A prefix that does not start
 * with `0` can also be the first digit of a national number (Russia's area code 812, St Petersburg), so it is
 * dropped only when the number has a wrong length with it and the right length without it.
 */
const OTHER_TRUNK_PREFIXES: Readonly<Record<string, readonly string[]>> = {
  HU: ['06'],
  RU: ['8'],
  KZ: ['8'],
  TM: ['8'],
  BY: ['80', '8', '0'],
  MH: ['1'],
};

/**
 * Lengths of the national significant number (after the calling code, without a trunk prefix): the union of
 * the fixed-line and mobile `possibleLengths` in libphonenumber's metadata (the same release as above), so
 * short codes, toll-free and premium ranges, which no contact has, do not widen them. `a-b` is a range.
 * Italy reaches 12 with the +39 0831 range; Germany's plan is open (5 to 15 digits); Argentina is 10, or 11 for
 * mobiles (`9` + 10); Brazil 10 (landline) or 11 (mobile, with its ninth digit); every NANP country 10.
 */
const NSN_LENGTH_TABLE =
  'AR 10-11|AT 4-13|BE 8-9|BR 10-11|BY 9|CH 9|CL 9|CO 8,10|DE 5-15|DK 8|EC 8-9|ES 9|FI 5-10|FR 9|GB 9-10|GR 10|' +
  'HU 8-9|IE 7-10|IN 10|IT 6-12|KZ 10|MH 7|MX 10|NL 9,11|NO 8|PE 8-9|PL 7,9|PT 9|PY 7-9|RU 10|SE 7-9|TM 8|UY 8|VE 10';

const NANP_CODE = '1';
const NANP_INTERNATIONAL_PREFIX = '011';

/** Mexico's mobile `1` after +52, dropped from the plan in 2019 (IFT), still in older lists and some WhatsApp ids. */
const MX_LEGACY_MOBILE_PREFIX = '1';
const MX_NSN_LENGTH = 10;

/**
 * Country → calling code, from CALLING_CODES: the shortest prefix of any of the country's entries that is itself
 * an entry (Canada's `1204` → `1`, Kazakhstan's `76` → `7`, Spain's `34` → `34`).
 */
const CALLING_CODE_OF: ReadonlyMap<string, string> = buildCallingCodes();

const TRUNK_PREFIXES_OF: ReadonlyMap<string, readonly string[]> = buildTrunkPrefixes();

const NSN_LENGTHS_OF: ReadonlyMap<string, readonly number[]> = buildNsnLengths();

/** Whitespace (`\s` covers no-break and thin spaces), dots, dashes (ASCII, U+2010–2015, minus), slashes, brackets. */
const SEPARATORS = /[\s.\-\u2010-\u2015\u2212/()[\]]/g;
/** Zero-width characters, bidirectional marks and embeddings, word joiners, BOM: invisible, pasted with numbers. */
const INVISIBLES = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]/g;
const TEL_PREFIX = /^tel:/i;
const PHONE_SHAPE = /^\+?\d+$/;
const NOT_PHONE_CHAR = /[^+\d]|(?<=.)\+/;

/** `input` as E.164 digits and its country, or why it cannot be one. See the module comment for the rules. */
export function normalisePhone(input: string, defaultCountry: string | null): NormalisedPhone {
  const compact = compactPhone(input);
  if (compact === '' || compact === '+') return reject('empty', 'no phone number');
  if (!PHONE_SHAPE.test(compact)) {
    const bad = NOT_PHONE_CHAR.exec(compact)?.[0] ?? compact;
    return reject('invalid-characters', `${quote(input)} is not a phone number: ${quote(bad)} is not allowed`);
  }

  const country = defaultCountry?.trim().toUpperCase() || null;
  const international = internationalDigits(compact, country);
  let e164: string;
  if (international !== null) {
    e164 = international;
  } else {
    if (country === null) {
      return reject(
        'no-country',
        `${quote(input)} has no country code: write it as +<country code> <number>, ` +
          'or choose the country of numbers written without one',
      );
    }
    const code = CALLING_CODE_OF.get(country);
    if (code === undefined) {
      return reject('no-country', `${quote(input)} has no country code and ${quote(country)} is not a country we know`);
    }
    e164 = code + dropTrunkPrefix(country, compact);
  }

  const found = countryOfPhone(e164);
  const code = CALLING_CODE_OF.get(found);
  if (found === UNKNOWN_COUNTRY || code === undefined) {
    return reject('unknown-country-code', `${quote(input)} starts with a country code that no country uses`);
  }
  const nsn = tidyNationalNumber(found, e164.slice(code.length));
  e164 = code + nsn;
  if (nsn.startsWith('0') && TRUNK_PREFIXES_OF.get(found)?.includes('0')) {
    // A second 0 after the trunk 0 (or after +code 0): no national number of such a country starts with one.
    return reject(
      'bad-length',
      `${quote(input)} has a national number starting with 0 after the country code +${code}; numbers in ${found} do not`,
    );
  }

  const lengths = NSN_LENGTHS_OF.get(found);
  if (lengths !== undefined && !lengths.includes(nsn.length)) {
    const hint =
      international === null && compact.startsWith(code)
        ? `; if it already includes the country code, write it with a leading + or 00`
        : '';
    return reject(
      'bad-length',
      `${quote(input)} has ${nsn.length} digits after the country code +${code}; ` +
        `numbers in ${found} have ${describeLengths(lengths)}${hint}`,
    );
  }
  const valid = normaliseE164(e164);
  if (valid === null) {
    return reject(
      'bad-length',
      `${quote(input)} has ${e164.length} digits with its country code; phone numbers have 8 to 15`,
    );
  }
  return { ok: true, e164: valid, country: countryOfPhone(valid) };
}

/** Without formatting, invisible marks, a leading apostrophe or `tel:`; '' when nothing is left. */
function compactPhone(input: string): string {
  let text = input.replace(INVISIBLES, '').trim();
  if (text.startsWith("'")) text = text.slice(1);
  text = text.replace(TEL_PREFIX, '');
  return text.replace(SEPARATORS, '');
}

/** The digits after an international prefix, or null for a national number. */
function internationalDigits(compact: string, country: string | null): string | null {
  if (compact.startsWith('+')) return compact.slice(1);
  if (compact.startsWith('00')) return compact.slice(2);
  if (country !== null && CALLING_CODE_OF.get(country) === NANP_CODE && compact.startsWith(NANP_INTERNATIONAL_PREFIX)) {
    return compact.slice(NANP_INTERNATIONAL_PREFIX.length);
  }
  return null;
}

function dropTrunkPrefix(country: string, national: string): string {
  for (const prefix of TRUNK_PREFIXES_OF.get(country) ?? []) {
    if (!national.startsWith(prefix)) continue;
    const stripped = national.slice(prefix.length);
    if (prefix.startsWith('0')) return stripped;
    // A prefix that can also begin a national number: strip it only when that is the reading with the right length.
    const lengths = NSN_LENGTHS_OF.get(country);
    if (lengths !== undefined && !lengths.includes(national.length) && lengths.includes(stripped.length)) {
      return stripped;
    }
  }
  return national;
}

/**
 * The national significant number as the plan has it now: without the `(0)` that business cards write after
 * the country code (`+44 (0)20 7946 0018`: never part of the number where `0` is the trunk prefix), and Mexico's
 * numbers without the mobile `1` the plan dropped in 2019 (`+52 1 55…` → `+52 55…`).
 */
function tidyNationalNumber(country: string, nsn: string): string {
  if (nsn.startsWith('0') && TRUNK_PREFIXES_OF.get(country)?.includes('0')) return nsn.slice(1);
  if (country === 'MX' && nsn.length === MX_NSN_LENGTH + 1 && nsn.startsWith(MX_LEGACY_MOBILE_PREFIX)) {
    return nsn.slice(1);
  }
  return nsn;
}

/** `9 digits`, `9 or 11 digits`, `6 to 12 digits`. */
function describeLengths(lengths: readonly number[]): string {
  const first = lengths[0]!;
  const last = lengths[lengths.length - 1]!;
  if (lengths.length === 1) return `${first} digits`;
  if (last - first === lengths.length - 1) return `${first} to ${last} digits`;
  return `${lengths.slice(0, -1).join(', ')} or ${last} digits`;
}

function quote(text: string): string {
  return JSON.stringify(text);
}

function reject(reason: PhoneRejection, message: string): NormalisedPhone {
  return { ok: false, reason, message };
}

function buildCallingCodes(): ReadonlyMap<string, string> {
  const codes = new Map<string, string>();
  for (const [prefix, country] of Object.entries(CALLING_CODES)) {
    let code = prefix;
    for (let length = 1; length < prefix.length; length++) {
      if (CALLING_CODES[prefix.slice(0, length)] !== undefined) {
        code = prefix.slice(0, length);
        break;
      }
    }
    const known = codes.get(country);
    if (known === undefined || code.length < known.length) codes.set(country, code);
  }
  return codes;
}

function buildTrunkPrefixes(): ReadonlyMap<string, readonly string[]> {
  const prefixes = new Map<string, readonly string[]>();
  for (const country of TRUNK_ZERO_COUNTRIES.split(' ')) prefixes.set(country, ['0']);
  for (const [country, list] of Object.entries(OTHER_TRUNK_PREFIXES)) prefixes.set(country, list);
  for (const [country, code] of CALLING_CODE_OF) if (code === NANP_CODE) prefixes.set(country, [NANP_CODE]);
  return prefixes;
}

function buildNsnLengths(): ReadonlyMap<string, readonly number[]> {
  const lengths = new Map<string, readonly number[]>();
  for (const entry of NSN_LENGTH_TABLE.split('|')) {
    const [country, spec] = entry.split(' ') as [string, string];
    const allowed: number[] = [];
    for (const part of spec.split(',')) {
      const [from, to = from] = part.split('-').map(Number) as [number, number?];
      for (let length = from; length <= to; length++) allowed.push(length);
    }
    lengths.set(country, Object.freeze(allowed));
  }
  for (const [country, code] of CALLING_CODE_OF) if (code === NANP_CODE) lengths.set(country, Object.freeze([10]));
  return lengths;
}
