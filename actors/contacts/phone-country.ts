/**
 * Phone numbers → ISO 3166-1 alpha-2 country, pure (STYLE rule 3). Meta prices a message by "the recipient
 * WhatsApp phone number's country calling code" (WHATSAPP.md 4.7), so metering needs the country of an E.164
 * number; users known only by a business-scoped user id (BSUID, WHATSAPP.md 3.4) carry the country as the id's
 * first two letters.
 *
 * - `normaliseE164(input)`: E.164 digits with or without a leading `+` → the digits (Meta's `wa_id` form), or
 *   null. Valid: 8–15 digits, first digit not 0, nothing else (no spaces, dashes or brackets: formatting is the
 *   caller's, at the trust boundary).
 * - `countryOfPhone(input)`: longest-prefix match over `CALLING_CODES` (every ITU country calling code in use,
 *   plus the sub-prefixes that split a shared code: the North American Numbering Plan's area codes for Canada and
 *   the Caribbean, +7 6/7 for Kazakhstan). `+1` without a more specific entry is the United States (US and
 *   Canada are one billing zone at Meta, "North America"; the rate card gives them the same rates). Unknown →
 *   `'other'`, which the rate card prices at its `other` rates.
 *
 * Bounds and cost: one frozen table (about 280 entries) built at module load; a lookup tries at most four
 * prefixes (1 + a 3-digit area code is the longest) and allocates nothing but the digits string.
 */

/** An ISO 3166-1 alpha-2 code, or `other` when the prefix is not in the table. */
export type PhoneCountry = string;
export const UNKNOWN_COUNTRY = 'other';

export const E164_MIN_DIGITS = 8;
export const E164_MAX_DIGITS = 15;

const E164_PATTERN = /^\+?([1-9]\d{7,14})$/;

/** The digits of a valid E.164 number (no `+`), or null. */
export function normaliseE164(input: string): string | null {
  const match = E164_PATTERN.exec(input);
  return match ? match[1]! : null;
}

export function isValidE164(input: string): boolean {
  return E164_PATTERN.test(input);
}

/** NANP area codes outside the United States (and its territories, listed with their own codes). */
const CANADA_AREA_CODES =
  '204 226 236 249 250 257 263 273 289 306 343 354 365 367 368 382 387 403 416 418 428 431 437 438 450 460 468 ' +
  '474 506 514 519 548 579 581 584 587 600 604 613 622 633 639 644 647 655 672 677 683 688 705 709 742 753 778 780 ' +
  '782 807 819 825 867 873 879 902 905 942';
const NANP_OTHER: Readonly<Record<string, string>> = {
  '242': 'BS',
  '246': 'BB',
  '264': 'AI',
  '268': 'AG',
  '284': 'VG',
  '340': 'VI',
  '345': 'KY',
  '441': 'BM',
  '473': 'GD',
  '649': 'TC',
  '658': 'JM',
  '664': 'MS',
  '670': 'MP',
  '671': 'GU',
  '684': 'AS',
  '721': 'SX',
  '758': 'LC',
  '767': 'DM',
  '784': 'VC',
  '787': 'PR',
  '809': 'DO',
  '829': 'DO',
  '849': 'DO',
  '868': 'TT',
  '869': 'KN',
  '876': 'JM',
  '939': 'PR',
};

/**
 * Country calling codes (ITU-T E.164 assignments in use), `code country` pairs. Codes shared by several
 * countries map to the main one (e.g. +44 → GB, +39 → IT, +358 → FI, +47 → NO, +262 → RE, +590 → GP, +599 → CW).
 */
const ITU_CODES =
  '1 US|20 EG|211 SS|212 MA|213 DZ|216 TN|218 LY|220 GM|221 SN|222 MR|223 ML|224 GN|225 CI|226 BF|227 NE|228 TG|' +
  '229 BJ|230 MU|231 LR|232 SL|233 GH|234 NG|235 TD|236 CF|237 CM|238 CV|239 ST|240 GQ|241 GA|242 CG|243 CD|' +
  '244 AO|245 GW|246 IO|248 SC|249 SD|250 RW|251 ET|252 SO|253 DJ|254 KE|255 TZ|256 UG|257 BI|258 MZ|260 ZM|' +
  '261 MG|262 RE|263 ZW|264 NA|265 MW|266 LS|267 BW|268 SZ|269 KM|27 ZA|290 SH|291 ER|297 AW|298 FO|299 GL|' +
  '30 GR|31 NL|32 BE|33 FR|34 ES|350 GI|351 PT|352 LU|353 IE|354 IS|355 AL|356 MT|357 CY|358 FI|359 BG|36 HU|' +
  '370 LT|371 LV|372 EE|373 MD|374 AM|375 BY|376 AD|377 MC|378 SM|380 UA|381 RS|382 ME|383 XK|385 HR|386 SI|' +
  '387 BA|389 MK|39 IT|40 RO|41 CH|420 CZ|421 SK|423 LI|43 AT|44 GB|45 DK|46 SE|47 NO|48 PL|49 DE|' +
  '500 FK|501 BZ|502 GT|503 SV|504 HN|505 NI|506 CR|507 PA|508 PM|509 HT|51 PE|52 MX|53 CU|54 AR|55 BR|56 CL|' +
  '57 CO|58 VE|590 GP|591 BO|592 GY|593 EC|594 GF|595 PY|596 MQ|597 SR|598 UY|599 CW|' +
  '60 MY|61 AU|62 ID|63 PH|64 NZ|65 SG|66 TH|670 TL|672 NF|673 BN|674 NR|675 PG|676 TO|677 SB|678 VU|679 FJ|' +
  '680 PW|681 WF|682 CK|683 NU|685 WS|686 KI|687 NC|688 TV|689 PF|690 TK|691 FM|692 MH|' +
  '7 RU|76 KZ|77 KZ|81 JP|82 KR|84 VN|850 KP|852 HK|853 MO|855 KH|856 LA|86 CN|880 BD|886 TW|' +
  '90 TR|91 IN|92 PK|93 AF|94 LK|95 MM|960 MV|961 LB|962 JO|963 SY|964 IQ|965 KW|966 SA|967 YE|968 OM|970 PS|' +
  '971 AE|972 IL|973 BH|974 QA|975 BT|976 MN|977 NP|98 IR|992 TJ|993 TM|994 AZ|995 GE|996 KG|998 UZ';

function buildTable(): Readonly<Record<string, string>> {
  const table: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const pair of ITU_CODES.split('|')) {
    const [code, country] = pair.split(' ');
    table[code!] = country!;
  }
  for (const area of CANADA_AREA_CODES.split(' ')) table[`1${area}`] = 'CA';
  for (const [area, country] of Object.entries(NANP_OTHER)) table[`1${area}`] = country;
  return Object.freeze(table);
}

/** Calling-code prefix (digits) → country. Null-prototype, frozen. */
export const CALLING_CODES: Readonly<Record<string, string>> = buildTable();

const MAX_PREFIX_DIGITS = 4;

/** The country of an E.164 number (digits, with or without `+`); `other` when unknown or not a number. */
export function countryOfPhone(input: string): PhoneCountry {
  const digits = input.startsWith('+') ? input.slice(1) : input;
  if (!/^\d+$/.test(digits)) return UNKNOWN_COUNTRY;
  for (let length = Math.min(MAX_PREFIX_DIGITS, digits.length); length >= 1; length--) {
    const country = CALLING_CODES[digits.slice(0, length)];
    if (country !== undefined) return country;
  }
  return UNKNOWN_COUNTRY;
}

const BSUID_PATTERN = /^([A-Z]{2})\.[A-Za-z0-9.]+$/;

/**
 * The country of a business-scoped user id (`US.13491208655302741918`: two-letter ISO country, a dot, up to 128
 * alphanumerics), for users whose phone number Meta withholds; `other` when the id has another shape.
 */
export function countryOfUserId(userId: string): PhoneCountry {
  return BSUID_PATTERN.exec(userId)?.[1] ?? UNKNOWN_COUNTRY;
}

/** The recipient's country for pricing: from the phone number when known, else from the user id. */
export function recipientCountry(recipient: {
  readonly phone?: string | null;
  readonly userId?: string | null;
}): PhoneCountry {
  if (recipient.phone) {
    const country = countryOfPhone(recipient.phone);
    if (country !== UNKNOWN_COUNTRY) return country;
  }
  return recipient.userId ? countryOfUserId(recipient.userId) : UNKNOWN_COUNTRY;
}
