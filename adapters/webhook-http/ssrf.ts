/**
 * The SSRF guard of outbound webhooks: which IP addresses a customer's webhook URL may reach. A webhook URL is
 * chosen by a customer, so without this guard any organisation could make Parlo POST to the machine's loopback
 * services, the private network it runs in, or the cloud metadata service (169.254.169.254).
 *
 * Every address is put in one category; only `public` is allowed by default. `loopback`, `private` (RFC 1918,
 * CGNAT 100.64/10, IPv6 unique-local and the old site-local) and `link-local` (incl. cloud metadata) can each be
 * allowed by configuration (`webhooks.allowLoopback`, `webhooks.allowPrivateNetworks`, `webhooks.allowLinkLocal`);
 * `unspecified` (0.0.0.0/8 and ::, which reach the local machine), `multicast` and `reserved` (documentation,
 * benchmarking, 240/4, broadcast, Teredo, unallocated IPv6) never are. IPv6 forms that carry an IPv4 address
 * (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) are judged
 * by that IPv4 address.
 *
 * Names are resolved by the sender at connect time and every resolved address is checked (`sender.ts`); this
 * module only classifies and checks literal addresses and URLs.
 */
import { isIP } from 'node:net';

export const ADDRESS_CATEGORIES = [
  'public',
  'private',
  'loopback',
  'link-local',
  'unspecified',
  'multicast',
  'reserved',
] as const;
export type AddressCategory = (typeof ADDRESS_CATEGORIES)[number];

/** Which non-public categories this installation allows (all false by default). */
export interface TargetPolicy {
  readonly allowLoopback: boolean;
  readonly allowPrivateNetworks: boolean;
  readonly allowLinkLocal: boolean;
}

export const STRICT_TARGET_POLICY: TargetPolicy = {
  allowLoopback: false,
  allowPrivateNetworks: false,
  allowLinkLocal: false,
};

export function categoryAllowed(category: AddressCategory, policy: TargetPolicy): boolean {
  switch (category) {
    case 'public':
      return true;
    case 'loopback':
      return policy.allowLoopback;
    case 'private':
      return policy.allowPrivateNetworks;
    case 'link-local':
      return policy.allowLinkLocal;
    case 'unspecified':
    case 'multicast':
    case 'reserved':
      return false;
    default:
      return false;
  }
}

/** The setting that would allow a category, for error messages; null when none can. */
export function settingFor(category: AddressCategory): string | null {
  switch (category) {
    case 'loopback':
      return 'webhooks.allowLoopback';
    case 'private':
      return 'webhooks.allowPrivateNetworks';
    case 'link-local':
      return 'webhooks.allowLinkLocal';
    default:
      return null;
  }
}

/** The category of an IP address (IPv4 dotted quad or IPv6, brackets and zone id allowed), or null if not one. */
export function classifyAddress(text: string): AddressCategory | null {
  const address = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const v4 = parseIPv4(address);
  if (v4) return classifyIPv4(v4);
  const v6 = parseIPv6(address);
  return v6 ? classifyIPv6(v6) : null;
}

type Bytes = readonly number[];

function inV4(bytes: Bytes, prefix: readonly number[], bits: number): boolean {
  return matches(bytes, prefix, bits);
}

/** Whether the first `bits` bits of `bytes` equal those of `prefix`. */
function matches(bytes: Bytes, prefix: readonly number[], bits: number): boolean {
  for (let i = 0; i < bits; i += 8) {
    const take = Math.min(8, bits - i);
    const mask = (0xff << (8 - take)) & 0xff;
    if (((bytes[i / 8] ?? 0) & mask) !== ((prefix[i / 8] ?? 0) & mask)) return false;
  }
  return true;
}

const IPV4_TABLE: readonly (readonly [readonly number[], number, AddressCategory])[] = [
  [[0, 0, 0, 0], 8, 'unspecified'], // "this network": 0.0.0.0 reaches the local machine on Linux
  [[10, 0, 0, 0], 8, 'private'],
  [[100, 64, 0, 0], 10, 'private'], // carrier-grade NAT (RFC 6598)
  [[127, 0, 0, 0], 8, 'loopback'],
  [[169, 254, 0, 0], 16, 'link-local'], // incl. 169.254.169.254, the cloud metadata service
  [[172, 16, 0, 0], 12, 'private'],
  [[192, 0, 0, 0], 24, 'reserved'], // IETF protocol assignments
  [[192, 0, 2, 0], 24, 'reserved'], // TEST-NET-1
  [[192, 88, 99, 0], 24, 'reserved'], // 6to4 relay anycast (deprecated)
  [[192, 168, 0, 0], 16, 'private'],
  [[198, 18, 0, 0], 15, 'reserved'], // benchmarking
  [[198, 51, 100, 0], 24, 'reserved'], // TEST-NET-2
  [[203, 0, 113, 0], 24, 'reserved'], // TEST-NET-3
  [[224, 0, 0, 0], 4, 'multicast'],
  [[240, 0, 0, 0], 4, 'reserved'], // future use, and 255.255.255.255 broadcast
];

function classifyIPv4(bytes: Bytes): AddressCategory {
  for (const [prefix, bits, category] of IPV4_TABLE) if (inV4(bytes, prefix, bits)) return category;
  return 'public';
}

const ZERO_80 = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

function classifyIPv6(bytes: Bytes): AddressCategory {
  const embedded = (from: number): AddressCategory => classifyIPv4(bytes.slice(from, from + 4));
  if (bytes.every((b) => b === 0)) return 'unspecified';
  if (bytes.slice(0, 15).every((b) => b === 0) && bytes[15] === 1) return 'loopback';
  // ::ffff:a.b.c.d (IPv4-mapped) and ::a.b.c.d (IPv4-compatible, deprecated): the IPv4 address decides.
  if (matches(bytes, [...ZERO_80, 0xff, 0xff], 96)) return embedded(12);
  if (matches(bytes, [...ZERO_80, 0, 0], 96)) return embedded(12);
  if (matches(bytes, [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96)) return embedded(12); // NAT64
  if (matches(bytes, [0x00, 0x64, 0xff, 0x9b, 0x00, 0x01], 48)) return 'private'; // local-use NAT64
  if (matches(bytes, [0x20, 0x02], 16)) return embedded(2); // 6to4
  if (matches(bytes, [0x01, 0x00, 0, 0, 0, 0, 0, 0], 64)) return 'reserved'; // discard prefix
  if (matches(bytes, [0x20, 0x01, 0x0d, 0xb8], 32)) return 'reserved'; // documentation
  if (matches(bytes, [0x20, 0x01, 0x00, 0x00], 32)) return 'reserved'; // Teredo: the IPv4 inside is obfuscated
  if (matches(bytes, [0xfc], 7)) return 'private'; // unique local fc00::/7
  if (matches(bytes, [0xfe, 0x80], 10)) return 'link-local';
  if (matches(bytes, [0xfe, 0xc0], 10)) return 'private'; // site-local (deprecated)
  if (matches(bytes, [0xff], 8)) return 'multicast';
  if (matches(bytes, [0x20], 3)) return 'public'; // 2000::/3, global unicast
  return 'reserved';
}

/** `a.b.c.d` with four decimal parts 0–255 (no shorthand: URLs and resolvers hand us this form). */
export function parseIPv4(text: string): number[] | null {
  if (isIP(text) !== 4) return null;
  return text.split('.').map(Number);
}

/** 16 bytes of an IPv6 address (a zone id `%eth0` is ignored), or null. */
export function parseIPv6(text: string): number[] | null {
  const address = text.split('%')[0] ?? '';
  if (isIP(address) !== 6) return null;
  let head = address;
  let tailV4: number[] = [];
  const lastColon = address.lastIndexOf(':');
  const maybeV4 = address.slice(lastColon + 1);
  if (maybeV4.includes('.')) {
    const v4 = parseIPv4(maybeV4);
    if (!v4) return null;
    tailV4 = v4;
    head = address.slice(0, lastColon + 1) + '0:0';
  }
  const [left = '', right] = head.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const leftGroups = groups(left);
  const rightGroups = right === undefined ? [] : groups(right);
  const missing = 8 - leftGroups.length - rightGroups.length;
  const all = right === undefined ? leftGroups : [...leftGroups, ...new Array<number>(missing).fill(0), ...rightGroups];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff]);
  if (tailV4.length === 4) bytes.splice(12, 4, ...tailV4);
  return bytes;
}

// ---------------------------------------------------------------- URLs

export const MAX_WEBHOOK_URL_LENGTH = 2048;

export type UrlCheck =
  | { readonly ok: true; readonly url: string }
  | {
      readonly ok: false;
      readonly code: 'PARLO_WEBHOOK_URL_INVALID' | 'PARLO_WEBHOOK_URL_FORBIDDEN';
      /** The rule broken, for validation details: `maxLength`, `format`, `scheme`, `credentials`, `fragment`,
       *  or the address category (`loopback`, `private`, …). */
      readonly rule: string;
      readonly message: string;
    };

/**
 * Checks a webhook URL as a customer gives it: an absolute `http:` or `https:` URL, no user name or password in
 * it (they would end up in logs and lists), no fragment (never sent), at most 2048 characters; a literal IP
 * address or `localhost` must be allowed by `policy`. Host names are checked again, resolved, at every attempt.
 * Returns the normalised URL.
 */
export function checkWebhookUrl(text: string, policy: TargetPolicy): UrlCheck {
  const invalid = (rule: string, message: string): UrlCheck => ({
    ok: false,
    code: 'PARLO_WEBHOOK_URL_INVALID',
    rule,
    message,
  });
  if (text.length > MAX_WEBHOOK_URL_LENGTH) {
    return invalid('maxLength', `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return invalid('format', 'must be an absolute URL such as https://example.com/webhooks/parlo');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return invalid('scheme', `must use http or https, not ${url.protocol.replace(/:$/, '')}`);
  }
  if (url.username !== '' || url.password !== '') {
    return invalid('credentials', 'must not contain a user name or password; authenticate requests by their signature');
  }
  if (url.hash !== '' || text.includes('#')) return invalid('fragment', 'must not contain a #fragment');
  if (url.hostname === '') return invalid('format', 'must name a host');
  const category = hostCategory(url.hostname);
  if (category !== null && !categoryAllowed(category, policy)) {
    return {
      ok: false,
      code: 'PARLO_WEBHOOK_URL_FORBIDDEN',
      rule: category,
      message: forbiddenMessage(url.hostname, category),
    };
  }
  return { ok: true, url: url.href };
}

/** The category of a URL host that can be judged without DNS: an IP literal or a `localhost` name. */
export function hostCategory(hostname: string): AddressCategory | null {
  const literal = classifyAddress(hostname);
  if (literal !== null) return literal;
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost') ? 'loopback' : null;
}

export function forbiddenMessage(target: string, category: AddressCategory, resolvedFrom?: string): string {
  const setting = settingFor(category);
  const noun = category === 'unspecified' ? 'an unspecified (this-host)' : `a ${category}`;
  const subject =
    resolvedFrom === undefined
      ? `${target} is ${noun} address`
      : `${resolvedFrom} resolves to ${target}, ${noun} address`;
  return setting === null
    ? `${subject}, which webhooks never reach`
    : `${subject}, which this installation does not allow (${setting})`;
}
