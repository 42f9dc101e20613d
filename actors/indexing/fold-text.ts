/**
 * Case- and accent-insensitive form of a text, for "contains" searches: lower case, compatibility-decomposed,
 * without combining marks ("José" and "JOSE" both become "jose"). ASCII text skips the Unicode work.
 */
export function foldText(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(text)) return text.toLowerCase();
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}
